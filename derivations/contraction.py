"""Global contraction: ``q = ||W_h||_2 L_phi < 1`` and its consequences.

Worked solution.  For the map ``T(h) = phi(W_h h + u)`` the Lipschitz bound
of ``phi`` and the operator norm give ``||T(h) - T(h')|| <= q ||h - h'||``
with ``q = ||W_h||_2 L_phi``; SymPy computes ``||W_h||_2`` as the square root
of the largest eigenvalue of ``W_h^T W_h``.  Iterating the bound (SymPy's
``rsolve``) gives ``||h_t - h'_t|| <= q^t ||h_0 - h'_0||`` for any input
sequence; Banach's theorem gives a unique fixed point ``h*(u)``, which is
the origin only when ``phi(0) = 0`` and ``u = 0`` (correction C14).  The same
bound makes gradients vanish: ``||dh_T/dh_k|| <= q^{T-k}`` (correction C15).
``verify`` runs the model's own step from many starts (the bound holds) and
measures its stretch along the top singular vector where ``|phi'| = L_phi``
(the bound is attained: two-sided), for every activation with that ``L_phi``.

Examples
--------
>>> import rnnsym as rs
>>> rs.derive("contraction", n=1).result
L_phi*Abs(W_h[0,0])
>>> rs.derive("contraction", n=1).verify(max_examples=10).passed
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import mpmath
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
from rnnsym.strategies import pre_activations
from rnnsym.symbols import Z
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="contraction",
    title="Global contraction and the unique fixed point",
    reference="3192136",
    section="The Achilles' Heel: Long-Term Dependency and Gradient Stability",
    order=90,
    options={"n": int, "activation": str},
    max_n=2,  # the eigenvalues of a symbolic n x n Gram matrix: n = 2 took 0.6 s, n = 3 over 20 s
    limit_hint="use rnnsym.stability.contraction_factor() on numbers.",
    symbols={
        "W_h": "recurrent weights, entries $W_h[i,j]$",
        "L_phi": r"Lipschitz constant $\sup|\phi'|$ of the activation",
        "q": r"contraction factor $\|W_h\|_2 L_\phi$",
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
             r"$\phi$ is $L_\phi$-Lipschitz elementwise, and $\|W_h v\|_2 \le \|W_h\|_2 \|v\|_2$ "
             r"(this bound is an inequality: $\le$).", relation="≤"),
        Step(sp.Eq(GRAM, gram, evaluate=False), "The spectral norm comes from the Gram matrix."),
        Step(sp.Eq(EIG, sp.FiniteSet(*eigs), evaluate=False), r"SymPy's eigenvalues of $W_h^{\top} W_h$."),
        Step(sp.Eq(NORM, norm, evaluate=False), r"$\|W_h\|_2$ is the square root of the largest one."),
        *([] if split is None else [Step(sp.Eq(NORM, split[0], evaluate=False), split[1])]),
        Step(sp.Eq(L_phi, net.activation.lipschitz, evaluate=False),
             f"For {net.activation.name.replace('_', ' ')}, " r"$L_\phi = \sup|\phi'|$ (carried by the activation)."),
        Step(sp.Eq(e(k_sym), recursion, evaluate=False),
             r"Iterating $e_{k+1} \le q e_k$ (SymPy rsolve of the equality case): "
             r"$\|h_t - h'_t\| \le q^t \|h_0 - h'_0\|$, for any input sequence, when $q < 1$."),
        Step(sp.Eq(ORIGIN, origin, evaluate=False),
             r"Banach: $q < 1$ gives a unique fixed point $h^*(u)$; it is the origin only if $T(0) = \phi(u) = 0$, "
             r"i.e. $\phi(0) = 0$ and $u = 0$ (sigmoid never: $h^* = (0.6138, 0.5214)$ for its example)."),
        Step(sp.Eq(GRAD, q ** (T_sym - K_sym), evaluate=False),
             r"Each factor $D_t W_h$ has norm $\le L_\phi \|W_h\|_2 = q$, so a contracting RNN has "
             r"exponentially vanishing gradients (correction C15; the bound is $\le$). The condition is "
             "sufficient, not necessary.", relation="≤"),
        Step(sp.Eq(q, result, evaluate=False), "The contraction factor."),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps, result=result, result_label=q,
        compact=L_phi * NORM,
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
    why = (r"Without cancellation: $W_h = [[\alpha, -\beta], [\beta, \alpha]] + [[\gamma, \delta], [\delta, -\gamma]]$ "
           r"(solved by SymPy) gives $\|W_h\|_2 = \sqrt{\alpha^2 + \beta^2} + \sqrt{\gamma^2 + \delta^2}$; SymPy checks "
           r"that its square is the larger root of $\det(W_h^{\top} W_h - \lambda I)$. The kernel evaluates it with "
           "hypot (scaled, no overflow).")
    return form, why, stable


def _model(derivation: Derivation) -> rs.RNN:
    """The model :func:`derive` worked on (kept in ``context["model"]``)."""
    net: rs.RNN = derivation.context["model"]
    return net


#: Unit roundoff of float64; digits of the attainment check.
_U = 2.0 ** -53
_DPS = 60


def _attaining_point(activation: rs.Activation) -> float | None:
    """A pre-activation where ``|phi'| = L_phi`` (0 for tanh, 1/2 for ReLU), or None."""
    for z in (0, sp.Rational(1, 2), -sp.Rational(1, 2)):
        slope = activation.derivative_expr.subs(Z, z)
        if slope.is_number and sp.Abs(slope) == activation.lipschitz:
            return float(z)
    return None


def _weights(n: int, entries: list[float], kind: str, target: float) -> np.ndarray:
    """``W`` (n x n) of the drawn ``kind`` scaled to ``||W||_2 = target`` (by NumPy's SVD):
    generic, a scaled rotation plus ``1e-12`` (equal singular values: the closed form's hard case),
    rank one (``sigma_2 = 0``)."""
    W = np.array(entries, dtype=float).reshape(n, n)
    if kind == "rotation" and n == 2:
        angle = float(np.arctan2(W[0, 1], W[0, 0]))
        W = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) + 1e-12 * W
    elif kind == "rank one":
        W = np.outer(W[:, 0], W[0, :])
    norm = np.linalg.norm(W, 2)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = W * (target / norm) if norm > 0 else W
    assume(np.isfinite(scaled).all())   # a rank-one W of norm ~1e-284 scaled to 1e100 overflows: not a W
    return scaled


def _examples(n: int, n_other: int, names: list[str], *, contracting: bool) -> st.SearchStrategy:
    """(activation, W entries, kind, target ``q``, other parameters, input seed).  ``q``: generic in
    ``[0.05, 0.97]``, within ``1e-9 .. 1e-2`` of 1 (below it), or, where ``contracting`` is False,
    in ``[1, 5]`` and at the scales ``10^(+-100)``."""
    entries = st.lists(st.floats(-1, 1, allow_subnormal=False), min_size=n * n, max_size=n * n)
    near = st.floats(-9.0, -2.0).map(lambda e: 1.0 - 10.0 ** e)
    targets = [st.floats(0.05, 0.97), near]
    if not contracting:
        targets += [st.floats(1.0, 5.0), st.sampled_from([1e-100, 1e100])]
    others = st.lists(st.one_of(st.floats(-0.8, 0.8), pre_activations(max_abs=20.0)),
                      min_size=n_other, max_size=n_other)
    return st.tuples(st.sampled_from(names), entries, st.sampled_from(["generic", "rotation", "rank one"]),
                     st.one_of(*targets), others, st.integers(0, 2**31))


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Check that ``q`` bounds the contraction of simulated trajectories and is attained.

    The activation is drawn (the result holds for any Lipschitz ``phi``; a
    substituted ``L_phi`` keeps the activations with that constant).  Errors
    are divided by their stated bound (tolerance 1).  Bound: ``||h_t - h'_t||``
    may exceed ``q^t ||h_0 - h'_0||`` only by rounding, each step at most
    ``r = 4u (1 + L S)`` per entry (``S`` the largest ``sum_j |W_ij h_j| + |u_i|``),
    contracted afterwards: ``2 sqrt(n) r min(t, 1/(1 - q))``; the float ``q``
    is within ``8u`` relative (``q^t`` within ``8ut``).  Attained: at 60 digits,
    the model's step at the pre-activation ``z*`` where ``|phi'| = L_phi``,
    along the top right singular vector ``v`` (NumPy's SVD), stretches
    ``+-delta v`` by ``L_phi ||W v|| / ||v|| = q (1 - O(u^2))``, up to
    ``O(delta sigma_1 |phi''/phi'|) = 1e-30`` (softsign's ``phi''`` jumps at 0, so the
    symmetric difference cancels only the even terms of smooth ``phi``) and the
    rounding ``1e-60 / 1e-30``: two-sided within ``8u`` relative.
    """
    net = _model(derivation)
    fixed = {s: v for s, v in derivation.parameters.items() if s in net.parameters}
    net = net.subs(fixed) if fixed else net
    free = [s for s in net.parameters if str(s).startswith("W_h")]
    others = [s for s in net.parameters if s not in free]
    scaled = len(free) == net.n * net.n   # no W_h entry substituted: W is drawn and scaled
    fixed_lip = derivation.parameters.get(L_phi)
    acts = {name: rs.get_activation(name) for name in rs.ACTIVATION_NAMES}
    names = [name for name, a in acts.items() if a.lipschitz.is_finite
             and (fixed_lip is None or sp.nsimplify(a.lipschitz) == sp.nsimplify(fixed_lip))]
    names = names or [net.activation.name]
    acts[net.activation.name] = net.activation
    kernel = derivation.kernel
    args = [a for a in kernel.args if a != L_phi]
    nets = {name: rs.RNN(net.W_h, net.W_x, net.b, acts[name]) for name in names}
    steps: dict[str, Any] = {}   # the 60-digit steps, compiled on first use

    def setup(example: tuple) -> tuple[rs.Activation, np.ndarray, list[float], float]:
        name, entries, kind, target, _, _ = example
        act = acts[name]
        lip = float(act.lipschitz)
        if scaled:
            values = list(_weights(net.n, entries, kind, target / lip).ravel())
        else:   # some entries substituted: the others drawn in [-0.8, 0.8]
            values = [0.8 * e for e in entries[:len(free)]]
        by_symbol = dict(zip(free, values))
        call = [by_symbol[a] for a in args] + ([lip] if L_phi in kernel.args else [])
        q_value = float(kernel(*call)) if call else float(derivation.result)
        W = np.array(sp.Matrix(net.W_h).xreplace(dict(zip(free, map(sp.Float, values)))), dtype=float)
        return act, W, values, q_value

    def bound_error(example: tuple) -> float:
        name, rest, drive_seed = example[0], example[4], example[5]
        act, _, values, q_value = setup(example)
        concrete = nets[name].subs({**dict(zip(free, values)), **dict(zip(others, rest))})
        W_num, W_x, bias = concrete.numeric_weights()
        true_q = float(np.linalg.norm(W_num, 2)) * float(act.lipschitz)
        assume(true_q < 1)
        rng = np.random.default_rng(drive_seed)
        h = rng.uniform(-0.6, 0.6, (24, concrete.n))
        gap0 = np.linalg.norm(h - h[0], axis=1)[1:]
        worst = 0.0
        for step in range(1, 40):
            x = rng.uniform(-0.3, 0.3, concrete.m)   # time-varying input, the same for all starts
            S = float(np.max(np.abs(h) @ np.abs(W_num).T + np.abs(W_x) @ np.abs(x) + np.abs(bias)))
            h = concrete.numeric_step(h, x)
            gap = np.linalg.norm(h - h[0], axis=1)[1:]
            allowed = q_value ** step * gap0 * (1 + 8 * _U * step)
            r = 4 * _U * (1 + float(act.lipschitz) * S)
            slack = 2 * np.sqrt(concrete.n) * r * min(step, 1 / (1 - true_q)) + _U * gap
            worst = max(worst, float(np.max(np.maximum(gap - allowed, 0) / slack)))
        return worst

    def attained_error(example: tuple) -> float:
        name = example[0]
        act, W, values, q_value = setup(example)
        z_star = _attaining_point(act)
        assume(z_star is not None)
        concrete = nets[name]
        if name not in steps:
            steps[name] = rs.compile(concrete.step(), [concrete.h_prev, concrete.x, *concrete.parameters],
                                     backend="mpmath", dps=_DPS)
        step = steps[name]
        _, sigma, vt = np.linalg.svd(W)
        if sigma[0] == 0:
            return 0.0 if q_value == 0 else math.inf
        by_symbol = {**dict(zip(free, values)), **fixed}
        params = [by_symbol[s] if s in by_symbol else (z_star if str(s).startswith("b[") else 0.0)
                  for s in concrete.parameters]
        with mpmath.workdps(_DPS):
            v = np.array([mpmath.mpf(float(c)) for c in vt[0]], dtype=object)
            delta = mpmath.mpf(10) ** -30 / mpmath.mpf(float(sigma[0]))
            x0 = [0.0] * concrete.m
            up, down = step(delta * v, x0, *params)[:, 0], step(-delta * v, x0, *params)[:, 0]
            stretch = mpmath.sqrt(sum((a - c) ** 2 for a, c in zip(up, down))) \
                / (2 * delta * mpmath.sqrt(sum(c * c for c in v)))
            return float(abs(q_value - stretch) / (8 * _U * stretch))

    n_other = len(others)
    hard = [(names[0], [0.6, 0.8, -0.8, 0.6], "rotation", 1 - 1e-9, [0.0] * n_other, 0),
            (names[0], [0.3, -0.4, 0.5, 0.1], "rank one", 1 - 1e-6, [0.0] * n_other, 1),
            (names[0], [0.9, 1.0, 0.0, 0.9], "generic", 0.97, [0.0] * n_other, 2)] \
        if scaled and net.n == 2 else []
    reports = [
        check_property(r"$\|h_t - h'_t\| \le q^t \|h_0 - h'_0\|$ on 24 simulated starts (excess / stated bound)",
                       _examples(net.n, n_other, names, contracting=True), bound_error, tolerance=1.0,
                       max_examples=max_examples, seed=seed, explicit=hard),
        check_property(r"$q$ attained: the step's stretch along the top singular vector at $\phi' = L_\phi$ "
                       "(error / stated bound)", _examples(net.n, n_other, names, contracting=False),
                       attained_error, tolerance=1.0, max_examples=max(10, max_examples // 2), seed=seed,
                       explicit=hard + [(name, [0.5, 0.3, -0.2, 0.4], "generic", 1e100, [0.0] * n_other, 0)
                                        for name in names if scaled and net.n == 2]),
    ]
    return combine_reports(INFO.name, reports)


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
    fig.set_figheight(2.7)
    left, right = fig.subplots(1, 2, width_ratios=[1.15, 1])
    for j in range(path.shape[1]):
        left.plot(path[:, j, 0], path[:, j, min(1, n - 1)], "-", lw=0.6, color="C0",
                  label="paths" if j == 0 else "_path")
    left.plot(path[0, :, 0], path[0, :, min(1, n - 1)], "o", ms=3, color="C1", label="starts")
    left.plot(path[-1, :, 0], path[-1, :, min(1, n - 1)], "k*", ms=8, label="$t = 30$")
    left.set(xlabel=r"$h_{t,0}$", ylabel=r"$h_{t,1}$", title="25 starts, one input", xlim=(-1.1, 1.1),
             ylim=(-1.1, 1.75), xticks=[-1, 0, 1], yticks=[-1, 0, 1])
    left.legend(loc="upper center", ncol=3, handlelength=1.0, columnspacing=0.8, handletextpad=0.4)
    gaps = np.linalg.norm(path - path[:, :1], axis=2)[:, 1:]
    t = np.arange(len(path))
    right.semilogy(t, gaps.max(axis=1), "C0-", lw=1.5, label="simulated, largest gap")
    right.semilogy(t, q_value ** t * gaps[0].max(), "r--", lw=1.5,
                   label=rf"derived bound, $q = {q_value:.2f}$")
    right.set(xlabel="$t$", ylabel=r"$\max\, \|h_t - h'_t\|_2$", title=r"gaps shrink at least like $q^t$")
    right.legend(loc="lower left")
    return (r"A tanh RNN with $\|W_h\|_2 = 0.8$: trajectories from 25 starts under the same random input "
            rf"converge (left); their distances stay below the derived bound $q^t$, "
            rf"$q = \|W_h\|_2 L_\phi = {q_value:.2f}$.")
