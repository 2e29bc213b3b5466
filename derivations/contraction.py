"""Global contraction: ``q = ||W_h||_2 L_phi < 1`` and its consequences.

Worked solution.  For the map ``T(h) = phi(W_h h + u)`` the Lipschitz bound
of ``phi`` and the operator norm give ``||T(h) - T(h')|| <= q ||h - h'||``
with ``q = ||W_h||_2 L_phi``; SymPy computes ``||W_h||_2`` as the square root
of the largest eigenvalue of ``W_h^T W_h``.  Iterating the bound (SymPy's
``rsolve``) gives ``||h_t - h'_t|| <= q^t ||h_0 - h'_0||`` for any input
sequence; Banach's theorem gives a unique fixed point ``h*(u)``, which is
the origin only when ``phi(0) = 0`` and ``u = 0`` (correction C14).  The same
bound makes gradients vanish: ``||dh_T/dh_k|| <= q^{T-k}`` (correction C15).
``verify`` runs the model's own step from many starts.

Examples
--------
>>> import rnnsym as rs
>>> rs.derive("contraction", n=1).result
L_phi*Abs(W_h[0,0])
>>> rs.derive("contraction", n=1).verify(max_examples=10).passed
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st
from sympy.codegen.cfunctions import hypot

import rnnsym as rs
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import register_symbol
from rnnsym.registry import DerivationInfo
from rnnsym.report.figures import evaluate, matrix_entries
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="contraction",
    title="Global contraction and the unique fixed point",
    reference="3192136",
    order=90,
    options={"n": int, "activation": str},
    max_n=2,  # the eigenvalues of a symbolic n x n Gram matrix: n = 2 took 0.6 s, n = 3 over 20 s
    limit_hint="use rnnsym.stability.contraction_factor() on numbers.",
    symbols={
        "W_h": "recurrent weights, entries W_h[i,j]",
        "L_phi": "Lipschitz constant sup|phi'| of the activation",
        "q": "contraction factor ||W_h||_2 L_phi",
    },
)

L_phi = sp.Symbol("L_phi", positive=True)
q = sp.Symbol("q", positive=True)
k_sym = sp.Symbol("k", integer=True, nonnegative=True)
e = sp.Function("e")
GRAM = register_symbol(sp.Symbol("W_h^T W_h"), r"W_h^{\top} W_h")
EIG = register_symbol(sp.Symbol("lambda(W_h^T W_h)"), r"\lambda\left(W_h^{\top} W_h\right)")
NORM = register_symbol(sp.Symbol("norm_W_h"), r"\|W_h\|_2")
STEP_GAP = register_symbol(sp.Symbol("gap_t"), r"\|T(h) - T(h')\|_2")
GAP = register_symbol(sp.Symbol("gap_0"), r"\|h - h'\|_2")
ORIGIN = register_symbol(sp.Symbol("T(0)"), r"T(0)")
GRAD = register_symbol(sp.Symbol("grad_norm"), r"\left\|\frac{\partial h_T}{\partial h_k}\right\|_2")
T_sym, K_sym = sp.symbols("T k_0", integer=True, nonnegative=True)


def derive(n: int = 2, activation: str = "tanh", model: Any = None) -> Derivation:
    """Derive ``q``; ``model`` replaces ``RNN.symbolic(n, 1, activation)``.

    ``n`` is limited to ``INFO.max_n`` by :func:`rnnsym.registry.derive`.
    """
    net = model if model is not None else rs.RNN.symbolic(n=n, m=1, activation=activation)
    W = sp.Matrix(net.W_h)
    gram = (W.T * W).applyfunc(sp.expand)
    eigs = list(gram.eigenvals())
    largest = eigs[0]
    if len(eigs) == 2:   # (trace +- sqrt(disc))/2, disc >= 0: the larger carries +sqrt
        largest = eigs[1] if sp.expand(eigs[0] - eigs[1]).could_extract_minus_sign() else eigs[0]
    elif len(eigs) > 2:
        largest = sp.Max(*eigs)
    norm = sp.sqrt(sp.factor(largest)) if W.rows > 1 else sp.sqrt(largest)
    result = norm * L_phi
    split = _two_by_two_norm(W, gram, largest) if W.shape == (2, 2) and len(eigs) == 2 else None
    recursion = sp.rsolve(e(k_sym + 1) - q * e(k_sym), e(k_sym), {e(0): GAP})
    origin = net.step([0] * net.n, net.x)
    steps = [
        Step(sp.Eq(STEP_GAP, sp.Symbol("L_phi") * sp.Symbol("norm_W_h") * GAP, evaluate=False),
             "phi is L_phi-Lipschitz elementwise, and ||W_h v||_2 <= ||W_h||_2 ||v||_2 "
             "(this bound is an inequality: <=)."),
        Step(sp.Eq(GRAM, gram, evaluate=False), "The spectral norm comes from the Gram matrix."),
        Step(sp.Eq(EIG, sp.FiniteSet(*eigs), evaluate=False), "SymPy's eigenvalues of W_h^T W_h."),
        Step(sp.Eq(NORM, norm, evaluate=False), "||W_h||_2 is the square root of the largest one."),
        *([] if split is None else [Step(sp.Eq(NORM, split[0], evaluate=False), split[1])]),
        Step(sp.Eq(L_phi, net.activation.lipschitz, evaluate=False),
             f"For {net.activation.name}, L_phi = sup|phi'| (carried by the activation)."),
        Step(sp.Eq(e(k_sym), recursion, evaluate=False),
             "Iterating e_{k+1} <= q e_k (SymPy rsolve of the equality case): ||h_t - h'_t|| <= q^t ||h_0 - h'_0||, "
             "for any input sequence, when q < 1."),
        Step(sp.Eq(ORIGIN, origin, evaluate=False),
             "Banach: q < 1 gives a unique fixed point h*(u); it is the origin only if T(0) = phi(u) = 0, "
             "i.e. phi(0) = 0 and u = 0 (sigmoid never: h* = (0.6138, 0.5214) for its example)."),
        Step(sp.Eq(GRAD, q ** (T_sym - K_sym), evaluate=False),
             "Each factor D_t W_h has norm <= L_phi ||W_h||_2 = q, so a contracting RNN has "
             "exponentially vanishing gradients (correction C15; the bound is <=). The condition is "
             "sufficient, not necessary."),
        Step(sp.Eq(q, result, evaluate=False), "The contraction factor."),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, steps=steps, result=result, result_label=q,
        symbols=dict(INFO.symbols), kernel_args=[*[s for s in W if isinstance(s, sp.Symbol)], L_phi],
        verifier=verify, context={"model": net},
        numeric_form=None if split is None else _Rewrite(norm, split[2]),
    )


@dataclass(frozen=True)
class _Rewrite:
    """A numeric form: the factor ``old`` of the result replaced by the equal ``new``.

    Hashable, so the kernel cache finds it.  A result that is not ``old``
    times something free of its symbols is returned as it is.
    """

    old: sp.Expr
    new: sp.Expr

    def __call__(self, result: sp.Expr) -> sp.Expr:
        rest = result / self.old   # L_phi: SymPy pulls sqrt(2) out of both alike
        if rest.free_symbols & self.old.free_symbols:
            return result
        return rest * self.new


def _two_by_two_norm(W: sp.Matrix, gram: sp.Matrix, largest: sp.Expr) -> tuple[sp.Expr, str, sp.Expr]:
    """``||W||_2`` of a 2 x 2 matrix without cancellation: (form, justification, float64 form).

    ``sqrt((T + sqrt(T^2 - 4 det^2))/2)`` subtracts nearly equal numbers when the
    two singular values are close (``W`` near a scaled rotation: NaN or a value
    above 1 for ``q`` just below 1), and its fourth powers overflow from
    entries near 1e77.  Split ``W`` into a part that commutes with rotations
    and one that anticommutes, ``[[al, -be], [be, al]] + [[ga, de], [de, -ga]]``
    (SymPy solves for ``al, be, ga, de``); then ``P = al^2 + be^2``,
    ``M = ga^2 + de^2`` and ``s = sqrt(P) + sqrt(M)``: SymPy checks that ``s^2``
    is a root of the characteristic polynomial of ``W^T W`` and that
    ``s^2 - T/2 = 2 sqrt(P M) >= 0``, so ``s^2`` is the larger root, the one
    the result takes (``T/2`` plus a positive multiple of a square root), and
    ``||W||_2 = s``.  Its float64 form evaluates
    ``2 sqrt(P) = hypot(a + d, c - b)`` and ``2 sqrt(M) = hypot(a - d, b + c)``:
    sums of two non-negative terms, each argument one rounding, and ``hypot``
    scales internally (no overflow or underflow of the squares).
    """
    al, be, ga, de = sp.symbols("alpha beta gamma delta", cls=sp.Dummy)
    parts = sp.Matrix([[al, -be], [be, al]]) + sp.Matrix([[ga, de], [de, -ga]])
    (sol,) = sp.solve(list(parts - W), [al, be, ga, de], dict=True)
    two = [sp.expand(2 * sol[x]) for x in (al, be, ga, de)]   # a + d, c - b, a - d, b + c
    P, M = two[0]**2 + two[1]**2, two[2]**2 + two[3]**2       # 4 (al^2 + be^2), 4 (ga^2 + de^2)
    form = (sp.sqrt(P) + sp.sqrt(M)) / 2
    lam = sp.Dummy("lambda")
    char = (gram - lam * sp.eye(2)).det()
    half_trace = gram.trace() / 2
    coeff, root = sp.expand(largest - half_trace).as_coeff_Mul()   # + c sqrt(discriminant), c > 0
    if not (sp.expand(char.subs(lam, form**2)) == 0 and sp.expand(char.subs(lam, largest)) == 0
            and sp.expand(form**2 - half_trace - sp.sqrt(P) * sp.sqrt(M) / 2) == 0
            and coeff > 0 and isinstance(root, sp.Pow) and root.exp == sp.Rational(1, 2)):
        raise AssertionError(f"||W||_2 = (sqrt(P) + sqrt(M))/2 failed to check for W = {W}")
    stable = (hypot(two[0], two[1]) + hypot(two[2], two[3])) / 2
    if stable.replace(hypot, lambda x, y: sp.sqrt(x**2 + y**2)) != form:   # pragma: no cover
        raise AssertionError(f"{stable} is not {form}")
    why = ("Without cancellation: W_h = [[al, -be], [be, al]] + [[ga, de], [de, -ga]] (solved by SymPy) gives "
           "||W_h||_2 = sqrt(al^2 + be^2) + sqrt(ga^2 + de^2); SymPy checks that its square is the larger root of "
           "det(W_h^T W_h - lambda I). The kernel evaluates it with hypot (scaled, no overflow).")
    return form, why, stable


def _model(derivation: Derivation) -> rs.RNN:
    """The model :func:`derive` worked on (kept in ``context["model"]``)."""
    net: rs.RNN = derivation.context["model"]
    return net


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Check ``||h_t - h'_t|| <= q^t ||h_0 - h'_0||`` on simulated trajectories."""
    net = _model(derivation)
    fixed = {s: v for s, v in derivation.parameters.items() if s in net.parameters}
    net = net.subs(fixed) if fixed else net
    free = [s for s in net.parameters if str(s).startswith("W_h")]
    others = [s for s in net.parameters if s not in free]
    lip = float(derivation.parameters.get(L_phi, net.activation.lipschitz))
    kernel = derivation.kernel
    args = [a for a in kernel.args if a != L_phi]
    floats = st.floats(-0.8, 0.8, allow_nan=False)

    def error(example: tuple[list[float], list[float], int]) -> float:
        values, rest, drive_seed = example
        concrete = net.subs({**dict(zip(free, values)), **dict(zip(others, rest))})
        by_symbol = dict(zip(free, values))
        call = [by_symbol[a] for a in args] + ([lip] if L_phi in kernel.args else [])
        q_value = float(kernel(*call)) if call else float(derivation.result)
        assume(0.05 < q_value < 0.97)
        rng = np.random.default_rng(drive_seed)
        h = rng.uniform(-0.6, 0.6, (24, concrete.n))
        gap0 = np.linalg.norm(h - h[0], axis=1)[1:]
        worst = 0.0
        for step in range(1, 40):
            x = rng.uniform(-0.3, 0.3, concrete.m)   # time-varying input, the same for all starts
            h = concrete.numeric_step(h, x)
            gap = np.linalg.norm(h - h[0], axis=1)[1:]
            bound = q_value ** step * gap0
            if bound.max() < 1e-9:   # below this, float rounding dominates the gaps
                break
            worst = max(worst, float(np.max((gap - 1e-13) / bound)))
        return max(0.0, worst - 1.0)

    examples = st.tuples(st.lists(floats, min_size=len(free), max_size=len(free)),
                         st.lists(floats, min_size=len(others), max_size=len(others)),
                         st.integers(0, 2**31))
    report = check_property("||h_t - h'_t|| <= q^t ||h_0 - h'_0|| on 24 simulated starts", examples,
                            error, tolerance=1e-9, max_examples=max_examples, seed=seed)
    return combine_reports(INFO.name, [report])


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw converging simulated trajectories and their gaps under the derived bound; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    net = _model(d)
    n = net.n
    rng = np.random.default_rng(3)
    W = rng.uniform(-1, 1, (n, n))
    W *= 0.8 / np.linalg.norm(W, 2)
    values = {**matrix_entries("W_h", W), "L_phi": float(net.activation.lipschitz)}
    rest = {str(s): float(rng.uniform(-0.5, 0.5)) for s in net.parameters if str(s) not in values}
    concrete = net.subs({k: v for k, v in {**values, **rest}.items() if k in {str(s) for s in net.parameters}})
    q_value = float(evaluate(kernel, values))   # not `q`: that is the factor's symbol here
    starts = np.stack([np.cos(np.linspace(0, 2 * np.pi, 25)), np.sin(np.linspace(0, 2 * np.pi, 25))], 1)
    h = np.concatenate([starts * 0.95, np.zeros((25, max(0, n - 2)))], 1)[:, :n]
    trajectory = [h]
    for _ in range(30):
        h = concrete.numeric_step(h, rng.uniform(-0.5, 0.5, concrete.m))
        trajectory.append(h)
    path = np.array(trajectory)
    left, right = fig.subplots(1, 2)
    for j in range(path.shape[1]):
        left.plot(path[:, j, 0], path[:, j, min(1, n - 1)], "-", lw=0.8, color="C0", alpha=0.7)
    left.plot(path[0, :, 0], path[0, :, min(1, n - 1)], "o", ms=3, color="C1", label="starts")
    left.plot(path[-1, :, 0], path[-1, :, min(1, n - 1)], "k*", ms=9, label="t = 30")
    left.set(xlabel=r"$h_1$", ylabel=r"$h_2$", title="25 starts, one input sequence", aspect="equal")
    left.legend(fontsize=8)
    gaps = np.linalg.norm(path - path[:, :1], axis=2)[:, 1:]
    t = np.arange(len(path))
    right.semilogy(t, gaps.max(axis=1), "C0-", lw=1.5, label=r"max $\|h_t - h'_t\|_2$")
    right.semilogy(t, q_value ** t * gaps[0].max(), "r--", lw=1.5,
                   label=rf"derived bound $q^t$, q = {q_value:.2f}")
    right.set(xlabel="t", ylabel="distance", title="the gaps shrink at least as fast as q^t")
    right.legend(fontsize=8)
    return (f"A tanh RNN with ||W_h||_2 = 0.8: trajectories from 25 starts under the same random input "
            f"converge (left); their distances stay below the derived bound q^t, q = ||W_h||_2 L_phi = {q_value:.2f}.")
