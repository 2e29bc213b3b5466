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
from rnnsym.symbols import Z
from rnnsym.verification import check_property, combine_reports

JACOBIAN = register_symbol(sp.Symbol("dh_t/dh_prev"), r"\frac{\partial h_t}{\partial h_{t-1}}")
DADH = register_symbol(sp.Symbol("da_t/dh_prev"), r"\frac{\partial a_t}{\partial h_{t-1}}")
A_T = register_symbol(sp.Symbol("a_t"), r"a_t")
H_T = register_symbol(sp.Symbol("h", real=True), r"h_t")
H_2 = register_symbol(sp.Symbol("h_2"), r"h_2")
D_T = register_symbol(sp.Symbol("D_t"), r"D_t")

INFO = DerivationInfo(
    name="recurrence",
    title="The recurrence relation and its Jacobian",
    reference="the recurrence relation",
    order=10,
    options={"n": int, "m": int, "activation": str},
    max_n=16,  # n = 16 took 1.5 s, n = 32 6.5 s, n = 64 over 20 s
    limit_hint="use rnnsym.gradients.trajectory_jacobians() for numeric Jacobians.",
    symbols={
        "W_h": "recurrent weights, entries W_h[i,j]",
        "W_x": "input weights, entries W_x[i,j]",
        "b": "bias, entries b[i]",
        "h_prev": "previous hidden state h_{t-1}, entries h_prev[i]",
        "x": "current input x_t, entries x[i]",
        "h": "new hidden state h_t",
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
             "The pre-activation a_t = W_h h_{t-1} + W_x x_t + b, written out entry by entry."),
        Step(sp.Eq(H_T, net.step(), evaluate=False),
             "One step applies the activation elementwise: h_t = phi(a_t)."),
        Step(sp.Eq(H_2, net.unroll(2)[-1], evaluate=False),
             "Unrolling two steps from h_0 nests the step inside itself."),
        Step(sp.Eq(DADH, dadh, evaluate=False),
             "SymPy differentiates the pre-activation with respect to h_{t-1}: it is W_h."),
        Step(sp.Eq(D_T, net.D(), evaluate=False),
             "The activation acts elementwise, so its derivative is the diagonal D_t = diag(phi'(a_t))."),
        Step(sp.Eq(JACOBIAN, sp.MatMul(D_T, DADH), evaluate=False),
             "Chain rule: dh_t/dh_{t-1} = D_t da_t/dh_{t-1} = D_t W_h."),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, steps=steps,
        result=net.jacobian(), result_label=JACOBIAN, symbols=dict(INFO.symbols),
        kernel_args=[net.h_prev, net.x, *net.parameters],
        verifier=verify, context={"model": net},
    )


def _model(derivation: Derivation) -> rs.RNN:
    """The symbolic model :func:`derive` built (kept in ``context["model"]``)."""
    net: rs.RNN = derivation.context["model"]
    return net


def _examples(n_values: int, n: int, m: int) -> st.SearchStrategy:
    floats = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False)
    return st.tuples(
        st.lists(floats, min_size=n_values, max_size=n_values),
        st.lists(floats, min_size=n, max_size=n),
        st.lists(floats, min_size=m, max_size=m),
    )


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the compiled Jacobian with finite differences of the model's step."""
    net = _model(derivation)
    fixed = {k: v for k, v in derivation.parameters.items() if k in net.parameters}
    net = net.subs(fixed) if fixed else net
    free = list(net.parameters)
    kernel = derivation.kernel
    args_free = [a for a in kernel.args if isinstance(a, sp.Symbol)]
    exact = rs.compile(derivation.result, kernel.args, backend="mpmath", dps=30)
    step_mp = rs.compile(net.step(), [net.h_prev, net.x, *free], backend="mpmath", dps=30)
    kinks = derivation.context.get("kinks", _kinks(net.activation))

    def instantiate(example: Any) -> tuple[rs.RNN, np.ndarray, np.ndarray, list[float]]:
        values, h, x = example
        concrete = net.subs(dict(zip(free, values))) if free else net
        pre = np.array(concrete.preactivation(h, x).tolist(), dtype=float)[:, 0]
        # A finite difference across a kink of phi is not a derivative.
        assume(all(np.min(np.abs(pre - k)) > 1e-3 for k in kinks) if kinks else True)
        return concrete, np.array(h), np.array(x), list(values)

    def kernel_args(h: np.ndarray, x: np.ndarray, values: list[float]) -> list[Any]:
        by_symbol = dict(zip(free, values))
        return [h, x] + [by_symbol[s] for s in args_free]

    def float_error(example: Any) -> float:
        concrete, h, x, values = instantiate(example)
        jac = kernel(*kernel_args(h, x, values))
        eps = 1e-6
        fd = np.empty((net.n, net.n))
        for j in range(net.n):
            e = np.zeros(net.n)
            e[j] = eps
            fd[:, j] = (concrete.numeric_step(h + e, x) - concrete.numeric_step(h - e, x)) / (2 * eps)
        return float(np.max(np.abs(jac - fd)) / max(1.0, np.max(np.abs(fd))))

    def mp_error(example: Any) -> float:
        _, h, x, values = instantiate(example)
        with mpmath.workdps(30):
            eps = mpmath.mpf("1e-10")
            args = kernel_args(h, x, values)
            jac = np.array(exact(*args), dtype=object)
            worst = mpmath.mpf(0)
            for j in range(net.n):
                e = np.zeros(net.n, dtype=object)
                e[:] = mpmath.mpf(0)
                e[j] = eps
                hp = np.array([mpmath.mpf(v) for v in h], dtype=object)
                up = step_mp(hp + e, x, *values)
                down = step_mp(hp - e, x, *values)
                for i in range(net.n):
                    fd = (up[i, 0] - down[i, 0]) / (2 * eps)
                    worst = max(worst, abs(jac[i, j] - fd))
            return float(worst)

    def precision_error(example: Any) -> float:
        _, h, x, values = instantiate(example)
        args = kernel_args(h, x, values)
        fast = kernel(*args)
        with mpmath.workdps(30):
            slow = np.array(exact(*args), dtype=object)
            scale = max(1.0, float(max(abs(v) for v in slow.flat)))
            return float(max(abs(mpmath.mpf(float(f)) - s) for f, s in zip(fast.flat, slow.flat))) / scale

    reports = [
        check_property("float64 finite differences of the simulated step", _examples(len(free), net.n, net.m),
                       float_error, tolerance=1e-6, max_examples=max_examples, seed=seed),
        check_property("30-digit finite differences of the symbolic step", _examples(len(free), net.n, net.m),
                       mp_error, tolerance=1e-15, max_examples=max(5, max_examples // 5), seed=seed),
        check_property("float64 kernel against 30-digit evaluation", _examples(len(free), net.n, net.m),
                       precision_error, tolerance=1e-14, max_examples=max(5, max_examples // 5), seed=seed),
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
    left.plot(differences, derived, "o", ms=3, alpha=0.7, label="entries along a trajectory")
    lim = [min(derived.min(), differences.min()), max(derived.max(), differences.max())]
    left.plot(lim, lim, "k-", lw=0.8, label="equality")
    left.set(xlabel="finite difference of the simulated step", ylabel=r"derived $D_t W_h$ entry",
             title=f"max |difference| = {np.max(np.abs(derived - differences)):.1e}")
    left.legend(fontsize=8)
    right.plot(states, lw=1)
    right.set(xlabel="t", ylabel=r"$h_t$ components", title="the simulated trajectory")
    return ("Left: every entry of the derived Jacobian D_t W_h against central finite differences of the "
            "model's simulated step, along the trajectory on the right (random weights and inputs).")
