"""The ODE analogy: driven linear recurrences and forward Euler's global error.

Worked solution.  The driven recurrence ``z_{k+1} = A_k z_k + b_k`` has the
solution ``z_N = Phi(N, 0) z_0 + sum_k Phi(N, k+1) b_k`` with the ordered
product ``Phi(N, j) = A_{N-1} ... A_j``: SymPy checks it against the
unrolled recurrence and solves the scalar constant-coefficient case with
``rsolve``.  Forward Euler for ``y' = lam y``, ``y(0) = 1`` is such a
recurrence: SymPy solves it (``rsolve``) and the ODE (``dsolve``), giving the
global error ``e_N = y(N dt) - y_N``; the same error follows from the
error recursion ``e_{k+1} = (1 + dt lam) e_k + tau_k`` summed by SymPy.  Its
limit ``e_N / dt`` at fixed ``t_N = N dt`` shows first-order convergence.
The gradient recursion ``g_k = W_h^T D_{k+1} g_{k+1} + dl_k/dh_k`` is the
same kind of recurrence run backward over an unbounded horizon (correction C16).

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("ode_error")
>>> d.result
-(dt*lam + 1)**N + exp(N*dt*lam)
>>> d.verify(max_examples=10).passed
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from sympy.codegen.cfunctions import expm1, log1p

from rnnsym.derivation import Derivation, Step
from rnnsym.gradients import OrderedProduct, backward_recursion, k
from rnnsym.latex import register_symbol
from rnnsym.registry import DerivationInfo
from rnnsym.report.figures import evaluate
from rnnsym.symbols import LAM
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="ode_error",
    title="The ODE analogy: driven linear recurrences and Euler's global error",
    reference="3236675",
    order=110,
    symbols={
        "lam": "the ODE's rate, y' = lam y", "dt": "the Euler step (h is the hidden state elsewhere)",
        "N": "number of Euler steps", "A_k": "the recurrence's matrix at step k",
        "b_k": "the recurrence's forcing at step k", "z_k": "the recurrence's state",
        "t_N": "the end time N dt",
    },
)
CHECKED_UP_TO = 4

dt = sp.Symbol("dt", positive=True)
N = sp.Symbol("N", integer=True, nonnegative=True)
kk = k  # the same time index as in the gradient recursion
jj = sp.Symbol("i", integer=True, nonnegative=True)
t = sp.Symbol("t", real=True)
t_N = register_symbol(sp.Symbol("t_N", positive=True), "t_N")
n_dim = sp.Symbol("n", integer=True, positive=True)
A_k = register_symbol(sp.Symbol("A_k", commutative=False), "A_k")
b_k = register_symbol(sp.Symbol("b_k", commutative=False), "b_k")
z_k = register_symbol(sp.Symbol("z_k", commutative=False), "z_k")
z_0 = sp.MatrixSymbol("z_0", n_dim, 1)
E_N = register_symbol(sp.Symbol("e_N"), "e_N")
TAU = register_symbol(sp.Symbol("tau_k"), r"\tau_k")
Y_N = register_symbol(sp.Symbol("y_N"), "y_N")
Z_NEXT = register_symbol(sp.Symbol("z_k+1"), "z_{k+1}")
PHI = register_symbol(sp.Symbol("Phi(N,j)"), r"\Phi(N, j)")
ZN = register_symbol(sp.Symbol("z_N"), "z_N")
_a, _r = sp.symbols("a r", positive=True)

def _A(i: Any) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(f"A_{i}", n_dim, n_dim)


def _b(i: Any) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(f"b_{i}", n_dim, 1)


def _solution(steps: int) -> sp.MatrixExpr:
    """``Phi(N, 0) z_0 + sum_k Phi(N, k+1) b_k`` written out for ``N = steps``."""
    def phi(lo: int) -> list:
        return [_A(i) for i in range(steps - 1, lo - 1, -1)]
    terms = [sp.MatMul(*phi(0), z_0)] + [sp.MatMul(*phi(i + 1), _b(i)) for i in range(steps)]
    return sp.MatAdd(*terms)


def derive() -> Derivation:
    """Derive the driven-recurrence solution and Euler's global error for ``y' = lam y``.

    The work is done on a real ``lam`` (a dummy: ``dsolve``, the limit and the
    summed error recursion need it); the shared :data:`rnnsym.symbols.LAM`
    replaces it in the steps, the result and the context at the end.
    """
    lam = sp.Dummy("lam", real=True)
    for steps in range(1, CHECKED_UP_TO + 1):  # unroll z_{k+1} = A_k z_k + b_k
        z = z_0
        for i in range(steps):
            z = _A(i) * z + _b(i)
        if sp.expand(z - _solution(steps)) != sp.ZeroMatrix(n_dim, 1) and \
                sp.expand(z - _solution(steps)) != 0:  # pragma: no cover
            raise RuntimeError(f"the product formula fails at N = {steps}")
    y, zf = sp.Function("y"), sp.Function("z")
    a_s, beta = sp.symbols("a beta", real=True)
    scalar = sp.rsolve(zf(kk + 1) - a_s * zf(kk) - beta, zf(kk), {zf(0): zf(0)})
    transition = sp.Function("Phi")
    z0_nc, bk_nc = sp.Symbol("z_0", commutative=False), b_k
    general = transition(N, 0) * z0_nc + sp.Sum(transition(N, kk + 1) * bk_nc, (kk, 0, N - 1))
    ode = sp.dsolve(sp.Eq(y(t).diff(t), lam * y(t)), y(t), ics={y(0): 1})
    euler = sp.rsolve(y(kk + 1) - (y(kk) + dt * lam * y(kk)), y(kk), {y(0): 1})
    result = ode.rhs.subs(t, N * dt) - euler.subs(kk, N)
    exact = sp.Lambda(t, ode.rhs)
    tau = sp.simplify(exact(t + dt) - (1 + dt * lam) * exact(t)).subs(t, kk * dt)
    summed = sp.simplify((_r - _a) * sp.summation(_a ** (N - 1 - kk) * _r ** kk, (kk, 0, N - 1)))
    generic = [piece for piece, cond in summed.args if cond == sp.true][0]
    if any(sp.simplify(piece.subs(_r, _a)) != 0 for piece, _ in summed.args):  # pragma: no cover
        raise RuntimeError("the r = a branch of the error sum is not zero")
    via_errors = sp.powsimp(generic.subs({_r: sp.exp(lam * dt), _a: 1 + dt * lam}), force=True)
    if sp.simplify(via_errors - result) != 0:  # pragma: no cover
        raise RuntimeError("the summed error recursion disagrees with y(N dt) - y_N")
    leading = sp.limit(result.subs(N, t_N / dt) / dt, dt, 0)
    growth = sp.Le(sp.Abs(1 + dt * lam) ** (N - kk), sp.exp(sp.Abs(lam) * dt * (N - kk)), evaluate=False)

    steps = [
        Step(sp.Eq(Z_NEXT, A_k * z_k + b_k, evaluate=False),
             "The driven linear recurrence shared by ODE errors and RNN gradients (A_k, b_k may vary)."),
        Step(sp.Eq(PHI, OrderedProduct(_A(jj), (jj, sp.Symbol("j"), N - 1)), evaluate=False),
             "The transition matrix: the ordered product A_{N-1} ... A_j, latest on the left."),
        Step(sp.Eq(ZN, general, evaluate=False),
             f"Its solution z_N = Phi(N,0) z_0 + sum_k Phi(N,k+1) b_k: SymPy unrolls the recurrence and "
             f"matches this for N = 1..{CHECKED_UP_TO}; induction uses Phi(N+1, j) = A_N Phi(N, j)."),
        Step(sp.Eq(zf(kk), scalar, evaluate=False),
             "Scalar, constant coefficients (a != 1): SymPy's rsolve."),
        Step(sp.Eq(y(t), ode.rhs, evaluate=False), "SymPy's dsolve: y' = lam y, y(0) = 1."),
        Step(sp.Eq(Y_N, euler.subs(kk, N), evaluate=False),
             "Forward Euler y_{k+1} = y_k + dt lam y_k, solved by rsolve."),
        Step(sp.Eq(TAU, tau, evaluate=False),
             "The error e_k = y(k dt) - y_k obeys e_{k+1} = (1 + dt lam) e_k + tau_k with this local "
             "error (correction C16: A_k = I + dt J_k with J = lam)."),
        Step(sp.Eq(E_N, via_errors, evaluate=False),
             "The solution formula with e_0 = 0: SymPy sums (1 + dt lam)^(N-1-k) tau_k (a geometric sum)."),
        Step(sp.Eq(sp.Limit(E_N / dt, dt, 0), leading, evaluate=False),
             "At a fixed end time t_N = N dt the error is proportional to dt: Euler converges to first order."),
        Step(growth, "Over a fixed horizon the transition factors stay bounded, |Phi| <= exp(|lam| t_N), "
                     "since log(1 + x) <= x."),
        Step(backward_recursion(),
             "The gradient recursion is the same recurrence run backward (A = W_h^T D_{k+1}, b = dl_k/dh_k), "
             "over a horizon T - k that grows without bound: its factors (c ||W_h||_2)^(T-k) are not tamed."),
    ]
    shared = {lam: LAM}
    steps = [step.subs(shared) for step in steps]   # Step.subs keeps the relations unevaluated
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, steps=steps,
        result=result.xreplace(shared), result_label=E_N, symbols=dict(INFO.symbols), kernel_args=[LAM, dt, N],
        verifier=verify, context={"leading": leading.xreplace(shared), "solution": _solution(CHECKED_UP_TO)},
        numeric_form=_without_cancellation,
    )


def _leading(derivation: Derivation) -> sp.Expr:
    """``lim e_N / dt`` at fixed ``t_N = N dt``, in ``lam`` and ``t_N`` (kept in ``context["leading"]``)."""
    leading: sp.Expr = derivation.context["leading"]
    return leading


def _product_solution(derivation: Derivation) -> sp.MatrixExpr:
    """The product formula for ``z_N`` written out for ``N = CHECKED_UP_TO`` (``context["solution"]``)."""
    solution: sp.MatrixExpr = derivation.context["solution"]
    return solution


def _without_cancellation(e_N: sp.Expr) -> sp.Expr:
    """An equal form of ``e_N`` that keeps its digits for small steps.

    Both terms of ``e_N`` tend to ``exp(lam N dt)`` as ``dt -> 0``, so their
    difference cancels.  With ``x = lam dt > -1``, ``(1 + x)^N =
    exp(N log1p(x))`` and ``e_N = (1 + x)^N expm1(N (x - log1p(x)))``; the
    small difference ``x - log1p(x)`` is the Taylor series SymPy derives
    (for ``|x| < 1/10``, to where the next term is below 1e-18 relative).
    The form is rebuilt from ``e_N``'s own two terms; tests/test_accuracy.py
    checks it against ``e_N`` at 50 digits.
    """
    exact_term = next(t for t in e_N.args if t.has(sp.exp))
    euler_term = -(e_N - exact_term)
    x = sp.Symbol("x", real=True)
    power = euler_term.subs(dt, x / LAM)            # (1 + x)^N
    base = sp.simplify(power ** (1 / N))            # 1 + x
    gap = x - sp.log(base)                          # log(1+x)^N = N log(base); exp(lam N dt) = exp(N x)
    series = sp.series(gap, x, 0, 19).removeO()
    small = sp.Piecewise((sp.horner(series), sp.Abs(x) < sp.Rational(1, 10)), (x - log1p(x), True))
    # exp(N x) - exp(N log1p x) = -exp(N x) expm1(-N (x - log1p x)); the gap is >= 0, so
    # expm1 stays in [-1, 0] and nothing overflows unless the true value does.
    stable = -sp.exp(N * x) * expm1(-N * small)
    return sp.Piecewise((stable.subs(x, LAM * dt), LAM * dt > -1), (e_N, True))


def _euler(lam_v: float, dt_v: float, steps: int) -> float:
    y = 1.0
    for _ in range(steps):  # an actual forward-Euler solve
        y = y + dt_v * lam_v * y
    return y


def _ode(lam_v: float, t_end: float) -> float:
    sol = solve_ivp(lambda _t, y: lam_v * y, (0.0, t_end), [1.0], method="DOP853", rtol=1e-13, atol=1e-15)
    return float(sol.y[0, -1])


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare ``e_N`` with an actual Euler solve against an accurate ODE solve."""
    params = dict(derivation.parameters)
    kernel = derivation.kernel
    free = [a for a in kernel.args]

    def pick(example: tuple[float, float, int]) -> dict:
        drawn = dict(zip((LAM, dt, N), example))
        return {s: float(params.get(s, drawn[s])) for s in (LAM, dt, N)}

    def error_error(example: tuple[float, float, int]) -> float:
        v = pick(example)
        steps = int(v[N])
        truth = _ode(v[LAM], v[dt] * steps) - _euler(v[LAM], v[dt], steps)
        value = float(kernel(*[v[a] for a in free]))
        scale = max(1.0, abs(_euler(v[LAM], v[dt], steps)), abs(_ode(v[LAM], v[dt] * steps)))
        return abs(value - truth) / scale

    leading = _leading(derivation).subs(params)

    def order_error(example: tuple[float, float]) -> float:
        lam_v = float(params.get(LAM, example[0]))
        t_end = example[1]
        steps = 4000
        dt_v = t_end / steps
        measured = (_ode(lam_v, t_end) - _euler(lam_v, dt_v, steps)) / dt_v
        predicted = float(leading.subs({LAM: lam_v, t_N: t_end}))
        return abs(measured - predicted) / max(1e-3, abs(predicted))

    solution = _product_solution(derivation)
    n_check = 2

    def recurrence_error(example: list[float]) -> float:
        rng = np.random.default_rng(int(abs(example[0]) * 1e6) % 2**32)
        mats = [rng.normal(size=(n_check, n_check)) for _ in range(CHECKED_UP_TO)]
        vecs = [rng.normal(size=(n_check, 1)) for _ in range(CHECKED_UP_TO)]
        z0 = rng.normal(size=(n_check, 1))
        z = z0.copy()
        for A, b in zip(mats, vecs):  # the recurrence, stepped
            z = A @ z + b
        subs = {z_0: sp.Matrix(z0), n_dim: n_check}
        subs.update({_A(i): sp.Matrix(m) for i, m in enumerate(mats)})
        subs.update({_b(i): sp.Matrix(v) for i, v in enumerate(vecs)})
        formula = np.array(solution.subs(subs).doit().as_explicit().tolist(), dtype=float)
        return float(np.max(np.abs(formula - z)))

    lam_s = st.floats(-3.0, 2.0, allow_nan=False)
    reports = [
        check_property("e_N against an Euler solve and an accurate ODE solve",
                       st.tuples(lam_s, st.floats(1e-3, 0.5), st.integers(1, 200)),
                       error_error, tolerance=1e-8, max_examples=max_examples, seed=seed),
        check_property("first-order convergence: e_N / dt at fixed t_N",
                       st.tuples(lam_s, st.floats(0.1, 2.0)), order_error, tolerance=2e-2,
                       max_examples=max(3, max_examples // 10), seed=seed),
        check_property("solution formula against the stepped driven recurrence",
                       st.lists(st.floats(0, 1), min_size=1, max_size=1), recurrence_error,
                       tolerance=1e-9, max_examples=max(3, max_examples // 10), seed=seed),
    ]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw the derived global error of forward Euler against actual Euler runs; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    ax = fig.subplots(1, 1)
    counts = np.unique(np.logspace(0.5, 4, 30).astype(int))
    for i, lam in enumerate((-2.0, -0.5, 1.0)):
        derived = np.abs(evaluate(kernel, {"lam": lam, "dt": 1.0 / counts, "N": counts.astype(float)}))
        y = np.ones(len(counts))   # forward Euler, run for every step size at once up to t = 1
        for step in range(int(counts.max())):
            y = np.where(step < counts, y + (1.0 / counts) * lam * y, y)
        ax.loglog(1.0 / counts, derived, color=f"C{i}", lw=1.5, label=rf"derived $|e_N|$, $\lambda$ = {lam:g}")
        ax.loglog(1.0 / counts[::3], np.abs(np.exp(lam) - y)[::3], "o", color=f"C{i}", ms=4)
    ax.loglog(1.0 / counts, 0.5 / counts, "k:", lw=1, label="slope 1")
    ax.set(xlabel=r"step $\Delta t$ ($N \Delta t = 1$)", ylabel=r"$|y(1) - y_N|$",
           title="Euler's global error at t = 1: derived (lines), simulated (dots)")
    ax.legend(fontsize=8)
    return ("Forward Euler for y' = lambda y up to t = 1: the derived global error e_N (lines) equals the error "
            "of an actual Euler run (dots) and shrinks in proportion to the step: first order.")
