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

import math
from typing import Any

import mpmath
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
    section="The Achilles' Heel: Long-Term Dependency and Gradient Stability",
    order=110,
    symbols={
        "lam": r"the ODE's rate, $y' = \lambda y$", "dt": "the Euler step ($h$ is the hidden state elsewhere)",
        "N": "number of Euler steps", "A_k": "the recurrence's matrix at step $k$",
        "b_k": "the recurrence's forcing at step $k$", "z_k": "the recurrence's state",
        "t_N": r"the end time $N \, dt$",
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
    generic = next(piece for piece, cond in summed.args if cond == sp.true)
    if any(sp.simplify(piece.subs(_r, _a)) != 0 for piece, _ in summed.args):  # pragma: no cover
        raise RuntimeError("the r = a branch of the error sum is not zero")
    via_errors = sp.powsimp(generic.subs({_r: sp.exp(lam * dt), _a: 1 + dt * lam}), force=True)
    if sp.simplify(via_errors - result) != 0:  # pragma: no cover
        raise RuntimeError("the summed error recursion disagrees with y(N dt) - y_N")
    leading = sp.limit(result.subs(N, t_N / dt) / dt, dt, 0)
    growth = sp.Le(sp.Abs(1 + dt * lam) ** (N - kk), sp.exp(sp.Abs(lam) * dt * (N - kk)), evaluate=False)

    steps = [
        Step(sp.Eq(Z_NEXT, A_k * z_k + b_k, evaluate=False),
             "The driven linear recurrence shared by ODE errors and RNN gradients ($A_k$, $b_k$ may vary)."),
        Step(sp.Eq(PHI, OrderedProduct(_A(jj), (jj, sp.Symbol("j"), N - 1)), evaluate=False),
             r"The transition matrix: the ordered product $A_{N-1} \cdots A_j$, latest on the left."),
        Step(sp.Eq(ZN, general, evaluate=False),
             r"Its solution $z_N = \Phi(N,0) z_0 + \sum_k \Phi(N,k+1) b_k$: SymPy unrolls the recurrence and "
             f"matches this for $N = 1, \\ldots, {CHECKED_UP_TO}$; " r"induction uses $\Phi(N+1, j) = A_N \Phi(N, j)$."),
        Step(sp.Eq(zf(kk), scalar, evaluate=False),
             r"Scalar, constant coefficients ($a \ne 1$): SymPy's rsolve."),
        Step(sp.Eq(y(t), ode.rhs, evaluate=False), r"SymPy's dsolve: $y' = \lambda y$, $y(0) = 1$."),
        Step(sp.Eq(Y_N, euler.subs(kk, N), evaluate=False),
             r"Forward Euler $y_{k+1} = y_k + dt \, \lambda y_k$, solved by rsolve."),
        Step(sp.Eq(TAU, tau, evaluate=False),
             r"The error $e_k = y(k \, dt) - y_k$ obeys $e_{k+1} = (1 + dt \, \lambda) e_k + \tau_k$ with this local "
             r"error (correction C16: $A_k = I + dt \, J_k$ with $J = \lambda$)."),
        Step(sp.Eq(E_N, via_errors, evaluate=False),
             r"The solution formula with $e_0 = 0$: SymPy sums $(1 + dt \, \lambda)^{N-1-k} \tau_k$ (a geometric sum)."),
        Step(sp.Eq(sp.Limit(E_N / dt, dt, 0), leading, evaluate=False),
             r"At a fixed end time $t_N = N \, dt$ the error is proportional to $dt$: Euler converges to first order."),
        Step(growth, r"Over a fixed horizon the transition factors stay bounded, $|\Phi| \le e^{|\lambda| t_N}$, "
                     r"since $\log(1 + x) \le x$."),
        Step(backward_recursion(),
             r"The gradient recursion is the same recurrence run backward ($A = W_h^{\top} D_{k+1}$, "
             r"$b = \partial \ell_k / \partial h_k$), over a horizon $T - k$ that grows without bound: its factors "
             r"$(c \|W_h\|_2)^{T-k}$ are not tamed."),
    ]
    shared = {lam: LAM}
    steps = [step.subs(shared) for step in steps]   # Step.subs keeps the relations unevaluated
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps,
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


#: Unit roundoff of float64; the ODE solver's relative and absolute tolerances.
_U = 2.0 ** -53
_RTOL, _ATOL = 1e-13, 1e-300


def _euler(lam_v: float, dt_v: float, steps: int) -> tuple[float, float]:
    """An actual forward-Euler solve ``y <- y + dt lam y`` from ``y_0 = 1``, and a bound on its
    rounding: ``r_{k+1} = |1 + x| r_k + u (|x y_k| + |y_{k+1}|)`` with ``x = fl(dt lam)``."""
    x = dt_v * lam_v
    y, r = 1.0, 0.0
    for _ in range(steps):
        step = x * y
        y_next = y + step
        r = abs(1.0 + x) * r + _U * (abs(step) + abs(y_next))
        y = y_next
    return y, r


def _ode(lam_v: float, t_end: float) -> tuple[float, float]:
    """``y(t_end)`` of ``y' = lam y``, ``y(0) = 1``, by DOP853, and a bound on its error: each
    accepted step's local error is below ``rtol |y| + atol`` (the solver's control), and the
    problem is linear, so the global error is at most their sum (times ``1 + rtol``)."""
    if t_end == 0.0:
        return 1.0, 0.0
    sol = solve_ivp(lambda _t, y: lam_v * y, (0.0, t_end), [1.0], method="DOP853", rtol=_RTOL, atol=_ATOL)
    y = sol.y[0]
    return float(y[-1]), float(len(y) * (_RTOL * np.max(np.abs(y)) + _ATOL))


def _steps() -> st.SearchStrategy[tuple[float, float, int]]:
    """``(x, dt, N)`` with ``x = lam dt``: generic ``x`` in ``[-0.9, 0.5]``, ``x`` within
    ``1e-12 .. 1e-2`` of ``-1``, ``x < -1`` (down to ``-2.5``: Euler oscillates and, below
    ``-2``, grows), tiny ``|x|`` (``1e-10 .. 1e-3``); ``dt`` log-uniform in ``[1e-4, 0.5]``;
    ``N`` up to 200, with 0, 1, 2 and 200 on purpose."""
    gap = st.floats(-12.0, -2.0).map(lambda e: 10.0 ** e)
    x = st.one_of(st.floats(-0.9, 0.5), gap.map(lambda g: -1.0 - g), gap.map(lambda g: -1.0 + g),
                  st.floats(-2.5, -1.0), st.tuples(st.floats(-10.0, -3.0), st.sampled_from([1.0, -1.0]))
                  .map(lambda t: t[1] * 10.0 ** t[0]))
    dts = st.floats(-4.0, math.log10(0.5)).map(lambda e: 10.0 ** e)
    counts = st.one_of(st.integers(0, 200), st.sampled_from([0, 1, 2, 200]))
    return st.tuples(x, dts, counts)


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare ``e_N`` with an actual Euler solve and the ODE's solution; check first order.

    Errors are divided by their stated bound (tolerance 1).  ``e_N``: against
    an actual Euler solve and the ODE's solution ``exp(lam t)`` at 30 digits
    (DOP853's numeric solve is used in the order check, where ``|lam t| <= 6``:
    at ``|lam t|`` up to 500 it takes 20000 steps); the bound is the Euler
    solve's rounding (bounded step by step, see :func:`_euler`) and the
    kernel's own: the exponent
    ``N dt lam`` is rounded twice (``2u |lam t_N|`` relative in ``exp``), ``1 + x``
    once (``N u`` relative in its ``N``-th power), each function within one
    ulp: ``(2u |lam t_N| + 4u) |y(t_N)| + (N + 4) u |y_N|``.
    """
    params = dict(derivation.parameters)
    kernel = derivation.kernel
    free = [a for a in kernel.args]

    def pick(example: tuple[float, float, int]) -> dict:
        x, dt_v, steps = example
        dt_v = float(params.get(dt, dt_v))
        return {LAM: float(params.get(LAM, x / dt_v)), dt: dt_v, N: float(params.get(N, steps))}

    def error_error(example: tuple[float, float, int]) -> float:
        v = pick(example)
        steps = int(v[N])
        t_end = v[dt] * steps
        euler, r_euler = _euler(v[LAM], v[dt], steps)
        with mpmath.workdps(30):   # the ODE's solution exp(lam t) at the float lam and dt (t_N = N dt exact)
            exact = float(mpmath.exp(mpmath.mpf(v[LAM]) * mpmath.mpf(v[dt]) * steps))
        value = float(kernel(*[v[a] for a in free]))
        own = (2 * _U * abs(v[LAM] * t_end) + 4 * _U) * abs(exact) + (steps + 4) * _U * abs(euler)
        bound = r_euler + own + _U * (abs(value) + abs(exact))
        difference = abs(value - (exact - euler))
        return 0.0 if difference == 0 else difference / bound

    leading = _leading(derivation).subs(params)
    fine = 4000

    def order_error(example: tuple[float, float]) -> float:
        # e_N / dt = exp(lam t) (lam^2 t / 2 - dt (lam^3 t / 3 + lam^4 t^2 / 8)) + O(dt^2): the leading
        # term is off by a relative dt |2 lam / 3 + lam^2 t / 4| (stated bound: twice that), and the
        # solves' rounding divided by dt
        lam_v = float(params.get(LAM, example[0]))
        t_end = example[1]
        dt_v = t_end / fine
        exact, r_ode = _ode(lam_v, t_end)
        euler, r_euler = _euler(lam_v, dt_v, fine)
        measured = (exact - euler) / dt_v
        predicted = float(leading.subs({LAM: lam_v, t_N: t_end}))
        bound = (2 * dt_v * (2 * abs(lam_v) / 3 + lam_v ** 2 * t_end / 4) * abs(predicted)
                 + (r_ode + r_euler) / dt_v + 1e-300)
        return abs(measured - predicted) / bound

    solution = _product_solution(derivation)
    n_check = 2

    def recurrence_error(example: list[float]) -> float:
        # The formula is evaluated exactly (rationals); the stepped recurrence is within
        # N (n + 1) u of the same steps taken with |A_i|, |b_i| (stated bound, N = 4, n = 2)
        rng = np.random.default_rng(int(abs(example[0]) * 1e6) % 2**32)
        mats = [rng.normal(size=(n_check, n_check)) for _ in range(CHECKED_UP_TO)]
        vecs = [rng.normal(size=(n_check, 1)) for _ in range(CHECKED_UP_TO)]
        z0 = rng.normal(size=(n_check, 1))
        z, scale = z0.copy(), np.abs(z0)
        for A, b in zip(mats, vecs):  # the recurrence, stepped
            z = A @ z + b
            scale = np.abs(A) @ scale + np.abs(b)

        def exact(m: np.ndarray) -> sp.Matrix:
            return sp.Matrix(m).applyfunc(lambda e: sp.Rational(float(e)))
        subs = {z_0: exact(z0), n_dim: n_check}
        subs.update({_A(i): exact(m) for i, m in enumerate(mats)})
        subs.update({_b(i): exact(v) for i, v in enumerate(vecs)})
        formula = solution.subs(subs).doit().as_explicit()
        difference = np.array([[float(abs(formula[i, 0] - sp.Rational(float(z[i, 0]))))] for i in range(n_check)])
        return float(np.max(difference / (CHECKED_UP_TO * (n_check + 1) * _U * scale)))

    hard = [(-1.0, 0.5, 3), (-2.0, 0.5, 7), (-2.0, 0.5, 8), (-1.0 - 1e-9, 0.25, 5), (-1.0 + 1e-9, 0.25, 5),
            (-2.5, 0.5, 199), (-2.5, 0.5, 200), (1e-8, 1e-3, 200), (0.5, 0.5, 200), (0.0, 0.1, 10), (-0.5, 0.1, 0)]
    reports = [
        check_property(r"$e_N$ against an Euler solve and the ODE's solution (error / stated bound)", _steps(),
                       error_error, tolerance=1.0, max_examples=max_examples, seed=seed, explicit=hard),
        check_property(r"first-order convergence: $e_N / dt$ at fixed $t_N$ (error / stated bound)",
                       st.tuples(st.floats(-3.0, 2.0), st.floats(0.1, 2.0)), order_error, tolerance=1.0,
                       max_examples=max(3, max_examples // 10), seed=seed, explicit=[(-3.0, 2.0), (2.0, 2.0)]),
        check_property("solution formula against the stepped driven recurrence (error / stated bound)",
                       st.lists(st.floats(0, 1), min_size=1, max_size=1), recurrence_error,
                       tolerance=1.0, max_examples=max(3, max_examples // 10), seed=seed),
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
        ax.loglog(1.0 / counts, derived, color=f"C{i}", lw=1.5, label=rf"derived $|e_N|$, $\lambda = {lam:g}$")
        ax.loglog(1.0 / counts[::3], np.abs(np.exp(lam) - y)[::3], "o", color=f"C{i}", ms=4, label=f"_{i}")
    ax.loglog([], [], "ko", ms=4, label="simulated Euler run")   # the key for the dots
    ax.loglog(1.0 / counts, 0.5 / counts, "k:", lw=1, label="slope 1")
    ax.set(xlabel=r"step $\Delta t$ ($N \Delta t = 1$)", ylabel=r"$|y(1) - y_N|$",
           title="Euler's global error at $t = 1$: derived (lines), simulated (dots)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return (r"Forward Euler for $y' = \lambda y$ up to $t = 1$: the derived global error $e_N$ (lines) equals the error "
            "of an actual Euler run (dots) and shrinks in proportion to the step: first order.")
