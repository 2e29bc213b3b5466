"""Half-life of a gated unit from its forget (LSTM) or update (GRU) gate bias, and the chrono initialisation.

Worked solution.  With zero weights the gates are constants: SymPy's
Jacobian of the cell's own step reduces to ``dc_t/dc_{t-1} = sigma(b)`` (the
LSTM's forget gate, ``b = b_if + b_hf``) or ``dh_t/dh_{t-1} = sigma(b)`` (the
GRU's update gate ``z``, which keeps memory), so an impulse decays as
``sigma(b)^t`` and SymPy solves ``sigma(b)^t = 1/2``: ``t_1/2 = ln(1/2) /
ln sigma(b)``.  The chrono initialisation (Tallec and Ollivier, "Can recurrent
neural networks warp time?", 2018) draws ``b_f = ln u``, ``u ~ U(1, T_max - 1)``,
``b_i = -b_f``: SymPy substitutes it, giving ``t_1/2 = ln 2 / ln(1 + 1/u)`` and the
characteristic time ``1 / (1 - f) = 1 + u``, so half-lives from 1 step up to
``t_1/2(T_max - 1)`` (about ``T_max ln 2``).  ``verify`` simulates an impulse in
``c`` (LSTM) or ``h`` (GRU) with the cell's own numeric step, other biases drawn
(they must not matter), half-lives from 1/4 step to ``1e4`` steps.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("gated_half_life")
>>> d.result
-log(2)/(b - log(exp(b) + 1))
>>> d.verify(max_examples=5).passed
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st
from sympy.codegen.cfunctions import log1p

from rnnsym import strategies as rst
from rnnsym.cells import GRUCell, LSTMCell
from rnnsym.derivation import Derivation, Step
from rnnsym.kernel import compile as compile_kernel
from rnnsym._matrices import as_choice
from rnnsym.latex import register_symbol
from rnnsym.registry import DerivationInfo
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="gated_half_life",
    title="Half-life of a gated unit and the chrono initialisation",
    reference="beyond the chapter: Tallec and Ollivier (2018)",
    section="Beyond the Chapter",
    order=230,
    options={"cell": str},
    symbols={
        "b": "bias of the memory gate (LSTM: $b_{if} + b_{hf}$; GRU: $b_{iz} + b_{hz}$)",
        "t": "time step", "u": r"chrono draw, $u \sim U(1, T_{\max} - 1)$",
        "T_max": "longest memory the chrono initialisation aims at (steps)",
    },
)

b = sp.Symbol("b", real=True)
t = sp.Symbol("t", positive=True)
u = sp.Symbol("u", positive=True)
T_MAX = register_symbol(sp.Symbol("T_max", positive=True), r"T_{\max}")
DELTA = register_symbol(sp.Symbol("delta_t (gated)"), r"|\delta_t|")
DELTA0 = register_symbol(sp.Symbol("delta_0 (gated)", positive=True), r"|\delta_0|")
GATE = register_symbol(sp.Symbol("gate (memory)"), r"\frac{\partial m_t}{\partial m_{t-1}}")
T_HALF = register_symbol(sp.Symbol("t_half (gated)"), r"t_{1/2}")
T_CHAR = register_symbol(sp.Symbol("t_char"), r"\frac{1}{1 - \sigma(b)}")
B_F = register_symbol(sp.Symbol("b_f"), "b_f")
RANGE = register_symbol(sp.Symbol("chrono range"), r"\left(t_{1/2}(u = 1),\ t_{1/2}(u = T_{\max} - 1)\right)")
RATIO = register_symbol(sp.Symbol("lim t_half(T_max-1)/T_max"),
                        r"\lim_{T_{\max} \to \infty} t_{1/2}(T_{\max} - 1) / T_{\max}")

#: The memory gate and the part of the state it keeps, per cell.
_MEMORY = {"lstm": ("f", "c"), "gru": ("z", "h")}


def _zero_weight_cell(kind: str) -> Any:
    """A 1-unit cell with zero weights, the memory gate's bias ``b`` (in ``bias_ih``), other biases 0."""
    gates, (gate, _) = ("ifgo" if kind == "lstm" else "rzn"), _MEMORY[kind]
    bias = sp.Matrix([b if g == gate else 0 for g in gates])
    cls = LSTMCell if kind == "lstm" else GRUCell
    return cls(sp.zeros(len(gates), 1), sp.zeros(len(gates), 1), bias, sp.zeros(len(gates), 1))


def derive(cell: str = "lstm") -> Derivation:
    """Derive ``t_1/2(b)`` for the LSTM (``cell="lstm"``, forget gate) or the GRU (``"gru"``, update gate)."""
    as_choice(cell, "cell", tuple(_MEMORY))
    unit = _zero_weight_cell(cell)
    gate, part = _MEMORY[cell]
    factor = unit.jacobian_blocks()[(part, part)][0, 0]
    others = [key for key, block in unit.jacobian_blocks().items() if key[1] == part and key[0] != part]
    keep = sp.Dummy("f", positive=True)   # the gate value, in (0, 1): one real solution
    (t_half,) = sp.solve(sp.Eq(keep ** t * DELTA0, DELTA0 / 2), t)
    t_half = sp.simplify(t_half.subs(keep, factor))
    chrono = sp.simplify(t_half.subs(b, sp.log(u)))
    characteristic = sp.simplify(1 / (1 - factor.subs(b, sp.log(u))))
    shortest, longest = chrono.subs(u, 1), chrono.subs(u, T_MAX - 1)
    asymptote = sp.limit(longest / T_MAX, T_MAX, sp.oo)
    m = f"{part}_t"
    steps = [
        Step(sp.Eq(GATE, factor, evaluate=False),
             f"With zero weights the gates are constants; SymPy's Jacobian of the cell's step gives "
             f"$\\partial {m} / \\partial {part}_{{t-1}} = {gate}_t = \\sigma(b)$, $b$ the {gate}-gate's bias"
             + (" (the candidate $n_t$ no longer depends on $h_{t-1}$)." if cell == "gru" else
                f"; the other blocks of column ${part}$ are " + ", ".join(f"${a}$" for a, _ in others) + " only.")),
        Step(sp.Eq(DELTA, factor ** t * DELTA0, evaluate=False),
             f"So an impulse $\\delta_0$ in ${part}$ decays as $\\sigma(b)^t$, exactly (the step is affine in "
             f"${part}_{{t-1}}$)."),
        Step(sp.Eq(T_HALF, t_half, evaluate=False),
             r"SymPy solves $\sigma(b)^t |\delta_0| = |\delta_0| / 2$ for $t$: "
             r"$t_{1/2} = \ln(1/2) / \ln \sigma(b)$."),
        Step(sp.Eq(B_F, sp.log(u), evaluate=False),
             r"Chrono initialisation: $b_f = \ln u$ with $u \sim U(1, T_{\max} - 1)$, and $b_i = -b_f$ "
             "(the input gate's bias does not enter the decay)."),
        Step(sp.Eq(T_HALF, chrono, evaluate=False), r"SymPy substitutes $b = \ln u$ into $t_{1/2}$."),
        Step(sp.Eq(T_CHAR, characteristic, evaluate=False),
             r"The characteristic forgetting time $1 / (1 - \sigma(\ln u))$ is $1 + u$: it spans $[2, T_{\max}]$."),
        Step(sp.Eq(RANGE, sp.Tuple(shortest, longest), evaluate=False),
             r"The half-lives the chrono draw reaches: from $u = 1$ to $u = T_{\max} - 1$ ($t_{1/2}$ grows with "
             r"$u$)." ),
        Step(sp.Eq(RATIO, asymptote, evaluate=False),
             r"For long memories the longest half-life is $T_{\max} \ln 2$ to first order."),
        Step(sp.Eq(T_HALF, t_half, evaluate=False), "The half-life as a function of the memory gate's bias."),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps, result=t_half,
        result_label=T_HALF, symbols=dict(INFO.symbols), kernel_args=[b], verifier=verify,
        context={"cell": cell, "chrono": chrono, "range": (shortest, longest)},
        numeric_form=_stable,
    )


def _stable(expr: Any) -> Any:
    """``expr`` with ``ln(e^X + 1)`` as ``X + log1p(e^-X)`` and ``ln(u + 1) - ln u`` as ``log1p(1/u)``: no
    cancellation where the gate is near 1 (``b - ln(e^b + 1)`` loses every digit from ``b ~ 37``)."""
    expr = expr.replace(lambda e: isinstance(e, sp.log) and e.args[0].is_Add and len(e.args[0].args) == 2
                        and 1 in e.args[0].args and any(isinstance(a, sp.exp) for a in e.args[0].args),
                        lambda e: next(a.args[0] for a in e.args[0].args if isinstance(a, sp.exp))
                        + log1p(sp.exp(-next(a.args[0] for a in e.args[0].args if isinstance(a, sp.exp)))))
    return expr.subs(sp.log(u + 1), sp.log(u) + log1p(1 / u))


#: Unit roundoff of float64.
_U = 2.0 ** -53
#: Most steps simulated per example (the decay is measured after K = min(1.5 t_1/2, 400) steps).
_MAX_STEPS = 400


def _simulate_decay(kind: str, bias: float, others: np.ndarray, steps: int) -> tuple[float, float]:
    """``|delta_K| / |delta_0|`` of an impulse ``delta_0 = 1`` in the memory part after ``steps`` steps of
    the cell's own numeric step (zero weights, memory-gate bias ``bias``, other biases ``others``), and
    ``M`` = the largest ``|state| + 1`` along the two trajectories."""
    gates, (gate, part) = ("ifgo" if kind == "lstm" else "rzn"), _MEMORY[kind]
    b_ih = np.array(others, dtype=float)[: len(gates)].copy()
    b_ih[gates.index(gate)] = bias
    zeros = np.zeros((len(gates), 1))
    cell = (LSTMCell if kind == "lstm" else GRUCell)(zeros, zeros, b_ih, np.zeros(len(gates)))
    k = 1 if part == "c" else 0
    s0 = np.zeros((2, cell.state_size))
    s0[1, k] = 1.0
    path = cell.simulate(None, s0, steps=steps)
    return float(abs(path[-1, 1, k] - path[-1, 0, k])), float(np.max(np.abs(path)) + 1.0)


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Simulate an impulse with the cell's own step and compare its half-life with the result.

    After ``K`` steps the measured ratio is ``r = |delta_K|``; its half-life ``K ln 2 / ln(1/r)``.  Each
    step rounds each trajectory's memory entry by at most ``2 u M`` (a product and a sum), so ``r`` is off
    by at most ``4 K u M``, the measured half-life relatively by ``4 K u M / (r ln(1/r))``; the float
    kernel adds ``16 u`` (log1p, exp, log, a division).  Errors are divided by that bound (tolerance 1).
    The chrono check does the same for ``b = ln u``, ``u`` in ``[1, T_max - 1]``.
    """
    kind = derivation.context["cell"]
    kernel = derivation.kernel if b not in derivation.parameters else None
    fixed = derivation.parameters.get(b)
    chrono = rs_compile(_stable(derivation.context["chrono"]), [u])

    def measured(bias: float, others: np.ndarray) -> tuple[float, float]:
        f = 1.0 / (1.0 + math.exp(-bias))
        guess = math.log(0.5) / math.log(f) if 0 < f < 1 else 1.0
        K = int(min(_MAX_STEPS, max(2, math.ceil(1.5 * guess))))
        r, M = _simulate_decay(kind, bias, others, K)
        L = -math.log(r)
        return K * math.log(2) / L, 4 * K * _U * M / (r * L)

    def bias_error(example: tuple) -> float:
        bias, others = example
        if fixed is not None:
            bias = float(fixed)
        tau, rel = measured(bias, np.asarray(others))
        predicted = float(kernel(bias)) if kernel is not None else float(derivation.result)
        return abs(predicted - tau) / tau / (rel + 16 * _U)

    def chrono_error(example: tuple) -> float:
        t_max, fraction = example
        u_value = 1.0 + fraction * (t_max - 2.0)
        tau, rel = measured(math.log(u_value), np.array([-math.log(u_value), 0.0, 0.0, 0.0]))
        return abs(float(chrono(u_value)) - tau) / tau / (rel + 16 * _U)

    others = st.lists(st.floats(-4.0, 4.0, allow_nan=False), min_size=4, max_size=4)
    examples = st.tuples(rst.memory_biases(min_half_life=0.25, max_half_life=1e4), others)
    hard = [(0.0, [0.0] * 4), (9.5, [3.0, -3.0, 4.0, -4.0]), (-3.0, [0.0] * 4), (30.0, [1.0] * 4)]
    t_maxes = st.tuples(st.one_of(st.floats(2.0, 100.0), st.just(1e4)), st.floats(0.0, 1.0))
    reports = [
        check_property("half-life of an impulse simulated with the cell's own step (error / stated bound)",
                       examples, bias_error, tolerance=1.0, max_examples=max_examples, seed=seed, explicit=hard),
        check_property(r"chrono initialisation $b = \ln u$: simulated half-life equals $t_{1/2}(u)$ "
                       "(error / stated bound)",
                       t_maxes, chrono_error, tolerance=1.0, max_examples=max(5, max_examples // 3), seed=seed,
                       explicit=[(2.0, 0.0), (1e4, 1.0)]),
    ]
    return combine_reports(INFO.name, reports)


def rs_compile(expr: Any, args: list) -> Any:
    """``expr`` compiled over ``args`` (float64)."""
    return compile_kernel(expr, args)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw simulated impulses in LSTM units with chrono biases, halving at the derived half-life."""
    kernel = d.kernel
    fig.set_figheight(3.0)
    left, right = fig.subplots(1, 2)
    steps = 200
    for i, bias in enumerate((0.0, 2.0, 4.0)):
        gates = "ifgo"
        b_ih = np.zeros(4)
        b_ih[gates.index("f")] = bias
        zeros = np.zeros((4, 1))
        cell = LSTMCell(zeros, zeros, b_ih, np.zeros(4))
        s0 = np.array([[0.0, 0.0], [0.0, 1.0]])
        path = cell.simulate(None, s0, steps=steps)
        decay = np.abs(path[:, 1, 1] - path[:, 0, 1])
        tau = float(kernel(bias))
        left.semilogy(np.arange(steps + 1), np.where(decay >= 1e-3, decay, np.nan), color=f"C{i}", lw=1.5,
                      label=f"simulated, $b = {bias:g}$")   # drawn down to the bottom of the plot
        left.axvline(tau, color=f"C{i}", ls=":", lw=1.2, label=rf"derived $t_{{1/2}} = {tau:.1f}$")
    left.axhline(0.5, color="k", lw=0.8, label="_reference")   # a reference mark, no legend entry
    left.set(xlabel="$t$", ylabel=r"$|\delta c_t| / |\delta c_0|$", ylim=(1e-3, 1.5), xlim=(0, steps),
             title=r"impulses halve at the derived $t_{1/2}(b)$")
    handles, labels = left.get_legend_handles_labels()
    order = [*range(0, len(handles), 2), *range(1, len(handles), 2)]   # one row per bias: simulated, derived
    left.legend([handles[k] for k in order], [labels[k] for k in order], loc="upper center",
                bbox_to_anchor=(0.5, -0.22), ncol=2, columnspacing=0.6, handlelength=1.4)
    bs = np.linspace(-3.0, 10.0, 200)
    right.semilogy(bs, kernel(bs), lw=1.5, label=r"derived $t_{1/2}(b)$")
    for T_max in (10.0, 100.0, 1000.0):
        lo, hi = 0.0, math.log(T_max - 1)
        right.axvspan(lo, hi, alpha=0.12, color="C3",
                      label=r"chrono range, $T_{\max} = 10, 100, 1000$" if T_max == 10.0 else "_chrono")
    right.set(xlabel="forget-gate bias $b$", ylabel="half-life (steps)", title="chrono initialisation (shaded)")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return ("Left: an impulse in the cell state of an LSTM unit with zero weights, simulated, for forget-gate "
            "biases 0, 2 and 4; each halves at the derived half-life. Right: the derived half-life against the "
            r"bias, with the bias ranges the chrono initialisation draws for three $T_{\max}$.")
