"""The recurrence relation: one step, unrolling, and the Jacobian ``D_t W_h``.

Worked solution.  Build the model symbolically, let SymPy differentiate
the pre-activation, apply the chain rule with the activation's own
derivative, and check the result against finite differences of the model's
own simulated step (float64) and of its symbolic step at 30 digits.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("recurrence", n=1, activation="identity")
>>> d.result
Matrix([[W_h[0,0]]])
>>> d.verify(max_examples=10).passed
True
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import register_symbol
from rnnsym.registry import DerivationInfo
from rnnsym.report.figures import evaluate
from rnnsym.strategies import pre_activations
from rnnsym.symbols import Z
from rnnsym.verification import check_property, combine_reports

JACOBIAN = register_symbol(sp.Symbol("dh_t/dh_prev"), r"\frac{\partial h_t}{\partial h_{t-1}}")
DADH = register_symbol(sp.Symbol("da_t/dh_prev"), r"\frac{\partial a_t}{\partial h_{t-1}}")
A_T = register_symbol(sp.Symbol("a_t"), r"a_t")
H_T = register_symbol(sp.Symbol("h", real=True), r"h_t")
H_2 = register_symbol(sp.Symbol("h_2"), r"h_2")
D_T = register_symbol(sp.Symbol("D_t"), r"D_t")
W_H = register_symbol(sp.Symbol("W_h_matrix"), r"W_h")   # W_h itself, in the compact Jacobian D_t W_h

INFO = DerivationInfo(
    name="recurrence",
    title="The recurrence relation and its Jacobian",
    reference="the recurrence relation",
    section="The Recurrence Relation: The Engine of Memory",
    order=10,
    options={"n": int, "m": int, "activation": str},
    max_n=16,  # n = 16 took 1.5 s, n = 32 6.5 s, n = 64 over 20 s
    option_ranges={"m": (0, 64)},  # inputs (0: autonomous): n = 16, m = 64 took 3.7 s; m = 256 9.4 s
    limit_hint="use rnnsym.gradients.trajectory_jacobians() for numeric Jacobians.",
    symbols={
        "W_h": "recurrent weights, entries $W_h[i,j]$",
        "W_x": "input weights, entries $W_x[i,j]$",
        "b": "bias, entries $b[i]$",
        "h_prev": r"previous hidden state $h_{t-1}$, entries $h_{\mathrm{prev}}[i]$",
        "x": "current input $x_t$, entries $x[i]$",
        "h": "new hidden state $h_t$",
    },
)


def derive(n: int = 2, m: int = 1, activation: str = "tanh") -> Derivation:
    """Derive step, unrolling and Jacobian for a symbolic ``n``-unit RNN.

    ``n`` is limited to ``INFO.max_n`` by :func:`rnnsym.registry.derive`.
    """
    net = rs.RNN.symbolic(n=n, m=m, activation=activation)
    pre = net.preactivation()
    dadh = pre.jacobian(net.h_prev)
    steps = [
        Step(sp.Eq(A_T, pre, evaluate=False),
             "The pre-activation $a_t = W_h h_{t-1} + W_x x_t + b$, written out entry by entry."),
        Step(sp.Eq(H_T, net.step(), evaluate=False),
             r"One step applies the activation elementwise: $h_t = \phi(a_t)$."),
        Step(sp.Eq(H_2, net.unroll(2)[-1], evaluate=False),
             "Unrolling two steps from $h_0$ nests the step inside itself."),
        Step(sp.Eq(DADH, dadh, evaluate=False),
             "SymPy differentiates the pre-activation with respect to $h_{t-1}$: it is $W_h$."),
        Step(sp.Eq(D_T, net.D(), evaluate=False),
             r"The activation acts elementwise, so its derivative is the diagonal "
             r"$D_t = \operatorname{diag}(\phi'(a_t))$."),
        Step(sp.Eq(JACOBIAN, sp.Eq(sp.MatMul(D_T, DADH), sp.MatMul(D_T, W_H), evaluate=False), evaluate=False),
             r"Chain rule: $\partial h_t / \partial h_{t-1} = D_t \, \partial a_t / \partial h_{t-1} = D_t W_h$."),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps,
        result=net.jacobian(), result_label=JACOBIAN, compact=sp.MatMul(D_T, W_H), symbols=dict(INFO.symbols),
        kernel_args=[net.h_prev, net.x, *net.parameters],
        verifier=verify, context={"model": net},
    )


def _model(derivation: Derivation) -> rs.RNN:
    """The symbolic model :func:`derive` built (kept in ``context["model"]``)."""
    net: rs.RNN = derivation.context["model"]
    return net


#: Unit roundoff of float64 and of mpmath at 30 digits (103 bits).
_U = 2.0 ** -53
_U_MP = 2.0 ** -103
#: Central-difference steps of the float64 and the 30-digit checks.
_EPS, _EPS_MP = 1e-6, 1e-10


def _examples(symbols: list[sp.Symbol], n: int, m: int) -> st.SearchStrategy:
    """Weights in [-1.5, 1.5]; biases from :func:`rnnsym.strategies.pre_activations`, so that
    half the draws saturate a unit (``|b| >= 10``) and one in eight sits on a kink."""
    floats = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False)
    biases = pre_activations(max_abs=30.0)
    return st.tuples(
        st.tuples(*[biases if s.name.startswith("b[") else floats for s in symbols]).map(list),
        st.lists(floats, min_size=n, max_size=n),
        st.lists(floats, min_size=m, max_size=m),
    )


def _hard_points(symbols: list[sp.Symbol], n: int, m: int) -> list[tuple[list[float], list[float], list[float]]]:
    """Explicit examples: pre-activations 0 with the largest weights (where tanh's third
    derivative peaks), both units saturated (b = 20, -30), one saturated and one not, all zero."""
    def point(w: float, bias: list[float], h: list[float], x: float) -> tuple[list[float], list[float], list[float]]:
        values = [bias[int(s.name[2:-1]) % len(bias)] if s.name.startswith("b[") else w for s in symbols]
        return values, [h[i % len(h)] for i in range(n)], [x] * m
    return [point(1.5, [0.0], [0.5, -0.5], 0.0) if n % 2 == 0 else point(1.5, [-0.75], [0.5], 0.0),
            point(1.5, [20.0, -30.0], [1.5, -1.5], 1.5), point(-1.0, [15.0, 0.3], [0.7, 0.2], -0.4),
            point(0.0, [0.0], [0.0], 0.0), point(1.5, [-1.5], [1.5], 1.5)]


def _derivatives(activation: rs.Activation) -> tuple[Any, Any, Any]:
    """``phi'``, ``phi''`` and ``phi'''`` as float kernels (Dirac terms at kinks dropped:
    the examples keep away from kinks)."""
    first = activation.derivative_expr
    second = sp.diff(first, Z).replace(sp.DiracDelta, lambda *a: 0)
    third = sp.diff(second, Z).replace(sp.DiracDelta, lambda *a: 0)
    return tuple(rs.compile(e, [Z]) for e in (first, second, third))


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the compiled Jacobian with finite differences of the model's step.

    Each error is divided by its stated bound at that example (so the
    tolerance is 1): a central difference of step ``eps`` is off by at most
    ``eps^2/6 |phi'''(a_i)| |W_ij|^3`` (truncation) plus the rounding of the two
    steps divided by ``eps``; a pre-activation ``a_i`` is summed from
    ``k = n + m + 2`` terms, with rounding at most ``k u S_i``, ``S_i =
    sum_j |W_ij h_j| + sum_l |W_x,il x_l| + |b_i|``, and the activation adds
    ``2u |phi|``.  The float kernel's own error is at most ``|W_ij| (|phi''(a_i)|
    k u S_i + 8u L_phi)`` (``sech`` 2u, its reciprocal u, the square and the
    product: 8u; absolute in the scale ``L_phi`` of ``phi'``, where ``1 - tanh^2`` is
    as good as ``sech^2``).
    """
    net = _model(derivation)
    fixed = {k: v for k, v in derivation.parameters.items() if k in net.parameters}
    net = net.subs(fixed) if fixed else net
    free = list(net.parameters)
    kernel = derivation.kernel
    args_free = [a for a in kernel.args if isinstance(a, sp.Symbol)]
    exact = rs.compile(derivation.result, kernel.args, backend="mpmath", dps=30)
    step_mp = rs.compile(net.step(), [net.h_prev, net.x, *free], backend="mpmath", dps=30)
    kinks = derivation.context.get("kinks", _kinks(net.activation))
    d1, d2, d3 = _derivatives(net.activation)
    lipschitz = float(net.activation.lipschitz) if net.activation.lipschitz.is_finite else 1.0
    k_terms = net.n + net.m + 2

    def instantiate(example: Any) -> tuple[rs.RNN, np.ndarray, np.ndarray, list[float], np.ndarray]:
        values, h, x = example
        concrete = net.subs(dict(zip(free, values))) if free else net
        W, Wx, bias = concrete.numeric_weights()
        h, x = np.array(h, dtype=float), np.array(x, dtype=float)
        pre = W @ h + Wx @ x + bias
        # A finite difference across a kink of phi is not a derivative.
        assume(all(np.min(np.abs(pre - k)) > 1e-3 for k in kinks) if kinks else True)
        return concrete, h, x, list(values), pre

    def sizes(concrete: rs.RNN, h: np.ndarray, x: np.ndarray, pre: np.ndarray) -> tuple[np.ndarray, ...]:
        """``|W_ij|``, ``S_i`` and ``|phi'|, |phi''|, |phi'''|`` at ``a_i`` (as (n, 1) columns)."""
        W, Wx, bias = concrete.numeric_weights()
        S = (np.abs(W) @ np.abs(h) + np.abs(Wx) @ np.abs(x) + np.abs(bias))[:, None]
        return (np.abs(W), S, *(np.abs(np.asarray(f(pre), dtype=float)).reshape(-1, 1) for f in (d1, d2, d3)))

    def kernel_args(h: np.ndarray, x: np.ndarray, values: list[float]) -> list[Any]:
        by_symbol = dict(zip(free, values))
        return [h, x] + [by_symbol[s] for s in args_free]

    def float_error(example: Any) -> float:
        concrete, h, x, values, pre = instantiate(example)
        jac = np.asarray(kernel(*kernel_args(h, x, values)), dtype=float)
        fd = np.empty((net.n, net.n))
        for j in range(net.n):
            e = np.zeros(net.n)
            e[j] = _EPS
            fd[:, j] = (concrete.numeric_step(h + e, x) - concrete.numeric_step(h - e, x)) / (2 * _EPS)
        W, S, p1, p2, p3 = sizes(concrete, h, x, pre)
        trunc = _EPS ** 2 / 6 * p3 * W ** 3
        steps = (p1 * (k_terms * _U * S + _U * W * np.abs(h)[None, :]) + 2 * _U) / _EPS
        own = W * (p2 * k_terms * _U * S + 8 * _U * lipschitz) + _U * np.abs(fd)
        return float(np.max(np.abs(jac - fd) / (trunc + steps + own)))

    def mp_error(example: Any) -> float:
        concrete, h, x, values, pre = instantiate(example)
        W, S, p1, _, p3 = sizes(concrete, h, x, pre)
        with mpmath.workdps(30):
            eps = mpmath.mpf(_EPS_MP)
            args = kernel_args(h, x, values)
            jac = np.array(exact(*args), dtype=object)
            worst = 0.0
            for j in range(net.n):
                e = np.zeros(net.n, dtype=object)
                e[:] = mpmath.mpf(0)
                e[j] = eps
                hp = np.array([mpmath.mpf(v) for v in h], dtype=object)
                up = step_mp(hp + e, x, *values)
                down = step_mp(hp - e, x, *values)
                for i in range(net.n):
                    fd = (up[i, 0] - down[i, 0]) / (2 * eps)
                    bound = (_EPS_MP ** 2 / 6 * p3[i, 0] * W[i, j] ** 3
                             + (k_terms * _U_MP * (1 + S[i, 0]) * p1[i, 0] + 4 * _U_MP) / _EPS_MP)
                    worst = max(worst, float(abs(jac[i, j] - fd)) / bound)
            return worst

    def precision_error(example: Any) -> float:
        concrete, h, x, values, pre = instantiate(example)
        W, S, _, p2, _ = sizes(concrete, h, x, pre)
        args = kernel_args(h, x, values)
        fast = np.asarray(kernel(*args), dtype=float).reshape(net.n, net.n)
        bound = W * (p2 * k_terms * _U * S + 8 * _U * lipschitz) + _U * np.abs(fast)
        with mpmath.workdps(30):
            slow = np.array(exact(*args), dtype=object).reshape(net.n, net.n)
            diff = np.array([[float(abs(mpmath.mpf(float(f)) - s)) for f, s in zip(row_f, row_s)]
                             for row_f, row_s in zip(fast, slow)])
        return float(np.max(diff / np.maximum(bound, 1e-300)))

    examples = _examples(free, net.n, net.m)
    hard = _hard_points(free, net.n, net.m)
    few = max(5, max_examples // 5)
    reports = [
        check_property("float64 finite differences of the simulated step (error / stated bound)", examples,
                       float_error, tolerance=1.0, max_examples=max_examples, seed=seed, explicit=hard),
        check_property("30-digit finite differences of the symbolic step (error / stated bound)", examples,
                       mp_error, tolerance=1.0, max_examples=few, seed=seed, explicit=hard),
        check_property("float64 kernel against 30-digit evaluation (error / stated bound)", examples,
                       precision_error, tolerance=1.0, max_examples=few, seed=seed, explicit=hard),
    ]
    return combine_reports(INFO.name, reports)


def _kinks(activation: rs.Activation) -> list[float]:
    """Points where the activation's derivative jumps (found from its form)."""
    points: set[float] = set()
    for piece in activation.derivative_expr.atoms(sp.Heaviside, sp.Piecewise, sp.Abs):
        for rel in piece.atoms(sp.core.relational.Relational):
            for sol in sp.solve(sp.Eq(rel.lhs, rel.rhs), Z):
                points.add(float(sol))
        if isinstance(piece, (sp.Heaviside, sp.Abs)):
            for sol in sp.solve(piece.args[0], Z):
                points.add(float(sol))
    return sorted(points)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw the derived Jacobian against finite differences of the simulated step; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    net = _model(d)
    fixed = {k: v for k, v in d.parameters.items() if k in net.parameters}
    net = net.subs(fixed) if fixed else net
    rng = np.random.default_rng(1)
    values = {str(s): float(rng.uniform(-1.2, 1.2)) for s in net.parameters}
    concrete = net.subs(values) if values else net
    xs = rng.uniform(-1, 1, (40, concrete.m))
    states = concrete.simulate(xs, h0=rng.uniform(-1, 1, concrete.n))
    entries, steps = [], []
    for h, x in zip(states[:-1], xs):
        entries.append(evaluate(kernel, {**values, "h_prev": h, "x": x}))
        fd = np.empty((concrete.n, concrete.n))
        for j in range(concrete.n):
            e = np.zeros(concrete.n)
            e[j] = 1e-6
            fd[:, j] = (concrete.numeric_step(h + e, x) - concrete.numeric_step(h - e, x)) / 2e-6
        steps.append(fd)
    derived, differences = np.ravel(entries), np.ravel(steps)
    left, right = fig.subplots(1, 2)
    left.plot(differences, derived, "o", ms=3, alpha=0.7, label="Jacobian entries")
    lim = [min(derived.min(), differences.min()), max(derived.max(), differences.max())]
    left.plot(lim, lim, "k-", lw=0.8, label="equality")
    left.set(xlabel="finite difference of the step", ylabel=r"derived $D_t W_h$ entry",
             title=f"largest difference {np.max(np.abs(derived - differences)):.1e}")
    left.legend(loc="lower right")
    for i in range(concrete.n):
        right.plot(states[:, i], lw=1, label=f"$h_{{t,{i}}}$")
    right.set(xlabel="$t$", ylabel="state", title="the simulated trajectory")
    right.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), handlelength=1.2)
    return (r"Left: every entry of the derived Jacobian $D_t W_h$ against central finite differences of the "
            "model's simulated step, along the trajectory on the right (random weights and inputs).")
