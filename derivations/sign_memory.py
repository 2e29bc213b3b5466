"""Sign memory: tanh keeps the sign of a negative pulse, ReLU erases it.

Worked solution.  Unroll the 1-D network ``h_t = phi(h_{t-1} + x_t)`` from
``h_0 = 0`` with a pulse ``x_1`` and ``x_2 = 0``: SymPy gives ``h_2 =
tanh(tanh(x_1))``, and for ReLU with ``x_1 < 0`` it gives ``h_2 = 0``.  The
sign is kept for every ``t >= 1`` exactly when ``phi`` maps negatives to
negatives (decided by SymPy per activation); injectivity is a separate
property (correction C4), and ``ReLU(h_{t-1} - x_t)`` does store a negative
pulse.  The kept tanh value decays like ``sqrt(3/(2t))``, from the series
``tanh h = h - h^3/3`` and SymPy's solution of ``h' = -h^3/3``.

Examples
--------
>>> import rnnsym as rs
>>> rs.derive("sign_memory").result
tanh(tanh(x_1))
>>> rs.derive("sign_memory").verify(max_examples=10).passed
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.derivation import Derivation, Step
from rnnsym.kernel import compile as compile_kernel
from rnnsym.latex import register_symbol
from rnnsym.registry import DerivationInfo
from rnnsym.strategies import pre_activations
from rnnsym.symbols import Z
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="sign_memory",
    title="Sign memory of a negative pulse",
    reference="3192149",
    section="The Crucial Role of the Activation Function",
    order=40,
    options={"activation": str},
    symbols={"x_1": "the input pulse at $t = 1$ (negative in the claim)", "t": "time step"},
)

x_1 = sp.Symbol("x_1", real=True)
t = sp.Symbol("t", positive=True)
_x1_negative = sp.Symbol("x_1", negative=True)
H_1 = register_symbol(sp.Symbol("h_1"), r"h_1")
H_2 = register_symbol(sp.Symbol("h_2"), r"h_2")
H_2_RELU = register_symbol(sp.Symbol("h_2_relu"), r"h_2^{\mathrm{ReLU}}")
H_2_FLIP = register_symbol(sp.Symbol("h_2_flip"), r"h_2^{\mathrm{ReLU}(h - x)}")
H_ABS = register_symbol(sp.Symbol("abs_h_t"), r"|h_t|")
KEEPS = register_symbol(sp.Symbol("K_sign"), r"\mathcal{K}_{\mathrm{sign}}")
INJ = register_symbol(sp.Symbol("K_inj"), r"\mathcal{K}_{\mathrm{inj}}")
H_SERIES = register_symbol(sp.Symbol("h"), "h")   # the variable of tanh's series
ODE = register_symbol(sp.Symbol("h_of_t"), r"h(t)")
_NAMES = {name: register_symbol(sp.Symbol(f"act_{name}"), rf"\mathrm{{{name.replace('_', ' ')}}}")
          for name in rs.ACTIVATION_NAMES}

def keeps_sign(activation: rs.Activation) -> bool:
    """``phi(z) < 0`` for every ``z < 0``, decided by SymPy's ``solveset``."""
    negative = sp.solveset(activation.expr < 0, Z, sp.S.Reals)
    return bool(sp.Interval.open(-sp.oo, 0).is_subset(negative))


def injective(activation: rs.Activation) -> bool:
    """``phi' > 0`` except at isolated points (so ``phi`` is strictly increasing)."""
    try:
        flat = sp.solveset(activation.derivative_expr <= 0, Z, sp.S.Reals)
        return bool(flat.is_empty or isinstance(flat, sp.FiniteSet))
    except (NotImplementedError, TypeError, ValueError):
        grid = np.linspace(-20, 20, 40001)
        return bool(np.all(np.diff(activation.numpy(grid)) > 0))


def _started_at(ode: sp.Eq, h: sp.Expr) -> sp.Expr:
    """The solution of ``ode`` for ``h(t)`` with ``h(1) = h_1``: SymPy's ``dsolve`` for a negative and a
    positive ``h_1`` agree once divided by ``h_1``; written with one root (the radicand is >= 3 for t >= 1)."""
    forms = set()
    for sign in ({"negative": True}, {"positive": True}):
        start = sp.Symbol("h_1", **sign)
        solved = sp.dsolve(ode, h, ics={h.func(1): start}).rhs
        forms.add(sp.simplify(solved / start).xreplace({start: H_1}))
    (form,) = forms
    solution = sp.powdenest(H_1 * form, force=True)
    if sp.checkodesol(ode, sp.Eq(h, solution), h)[0] is not True:   # pragma: no cover
        raise AssertionError(f"{solution} does not solve {ode}")
    return solution


def _pulse_net(activation: Any, sign: int = 1) -> rs.RNN:
    return rs.RNN([[1]], [[sign]], [0], activation)


def derive(activation: str = "tanh", model: Any = None) -> Derivation:
    """Derive ``h_2(x_1)``; ``model`` replaces ``RNN([[1]], [[1]], [0], activation)``."""
    net = model if model is not None else _pulse_net(activation)
    h1, h2 = (s[0] for s in net.unroll(2, h0=[0], xs=[x_1, 0]))
    relu_h2 = _pulse_net("relu").unroll(2, h0=[0], xs=[_x1_negative, 0])[-1][0]
    flip_h2 = _pulse_net("relu", -1).unroll(2, h0=[0], xs=[_x1_negative, 0])[-1][0]
    acts = [rs.get_activation(n) for n in rs.ACTIVATION_NAMES]
    kept = [a.name for a in acts if keeps_sign(a)]
    inj = [a.name for a in acts if injective(a)]
    tanh = rs.get_activation("tanh")
    truncated = sp.series(tanh.expr, Z, 0, 5)   # z - z^3/3 + O(z^5)
    series = truncated.removeO()
    f = sp.Function("h")
    ode = sp.Eq(f(t).diff(t), (series - Z).subs(Z, f(t)))
    solutions = sp.dsolve(ode)
    positive = [s.rhs for s in solutions if sp.limit(s.rhs.subs("C1", 0), t, sp.oo) == 0
                and s.rhs.subs({"C1": 0, t: 1}).is_positive]
    amplitude = sp.simplify(sp.limit(positive[0].subs("C1", 0) * sp.sqrt(t), t, sp.oo))
    decay = sp.sqrt(sp.simplify(amplitude ** 2 / t))
    started = _started_at(ode, f(t))
    steps = [
        Step(sp.Eq(H_1, h1, evaluate=False), "Unrolling the model from $h_0 = 0$ with the pulse $x_1$."),
        Step(sp.Eq(H_2_RELU, relu_h2, evaluate=False),
             r"ReLU with $x_1 < 0$: SymPy evaluates $\max(0, x_1) = 0$, and $h_2 = \max(0, 0 + x_2) = 0$: "
             "the sign is erased."),
        Step(sp.Eq(KEEPS, sp.FiniteSet(*[_NAMES[n] for n in kept]), evaluate=False),
             r"$\phi(z) < 0$ for all $z < 0$ (SymPy solveset): then $h_1 < 0$ and $h_t = \phi(h_{t-1}) < 0$ "
             r"for every $t \ge 1$."),
        Step(sp.Eq(INJ, sp.FiniteSet(*[_NAMES[n] for n in inj]), evaluate=False),
             r"Strictly increasing ($\phi' > 0$ up to isolated points), a separate property (correction C4): "
             "sigmoid is injective but positive, leaky ReLU keeps the sign though it is not odd."),
        Step(sp.Eq(H_2_FLIP, flip_h2, evaluate=False),
             r"$\operatorname{ReLU}(h_{t-1} - x_t)$ stores the negative pulse as $-x_1 > 0$: the non-negative "
             "range is not the cause."),
        Step(sp.Eq(sp.tanh(H_SERIES), truncated.xreplace({Z: H_SERIES}), evaluate=False),
             r"With zero input tanh's unit weight makes $\rho = 1$ at $h = 0$; SymPy's series gives the slow "
             "cubic decay."),
        Step(sp.Eq(ODE, started, evaluate=False),
             r"Treating $h_t - h_{t-1} = -h^3/3$ as $dh/dt$, SymPy's dsolve from $h(1) = h_1$ (either sign of $h_1$)."),
        Step(sp.Eq(H_ABS, decay, evaluate=False),
             r"As $t \to \infty$ the kept value decays like $\sqrt{3/(2t)}$: the sign persists, the magnitude "
             "does not.", relation="≈"),
        Step(sp.Eq(H_2, h2, evaluate=False), r"Two steps of the model: $h_2 = \phi(\phi(x_1) + 0)$."),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps, result=h2, result_label=H_2,
        symbols=dict(INFO.symbols), kernel_args=[x_1], verifier=verify,
        context={"model": net, "keeps": kept, "injective": inj, "decay": decay},
    )


def _model(derivation: Derivation) -> rs.RNN:
    """The pulse network :func:`derive` unrolled (kept in ``context["model"]``)."""
    net: rs.RNN = derivation.context["model"]
    return net


def _keeps(derivation: Derivation) -> list[str]:
    """The activations that keep the sign of a negative pulse (kept in ``context["keeps"]``)."""
    kept: list[str] = derivation.context["keeps"]
    return kept


def _decay(derivation: Derivation) -> sp.Expr:
    """The derived decay law ``|h_t|`` of tanh in ``t`` (kept in ``context["decay"]``)."""
    law: sp.Expr = derivation.context["decay"]
    return law


#: Unit roundoff of float64.
_U = 2.0 ** -53
#: Steps of the decay check.
_T_DECAY = 10_000


def _pulses(*, negative: bool, tiniest: float) -> st.SearchStrategy[float]:
    """Pulses: generic (``|x_1| <= 4``), tiny (``|x_1|`` log-uniform in ``[10^tiniest, 1e-2]``) and
    saturating (``|x_1|`` in ``[10, 50]``, see :func:`rnnsym.strategies.pre_activations`);
    only negative ones when ``negative``."""
    tiny = st.floats(tiniest, -2.0).map(lambda e: 10.0 ** e)
    size = st.one_of(st.floats(0.0 if not negative else 0.05, 4.0, allow_subnormal=False), tiny,
                     st.floats(10.0, 50.0))
    if negative:
        return size.map(lambda v: -v)
    return st.one_of(size.flatmap(lambda v: st.sampled_from([v, -v])), pre_activations(max_abs=50.0))


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare ``h_2`` and the sign and decay claims with simulation of the model.

    ``h_2``: the kernel and the simulated model each apply ``phi`` twice (plus
    the additions of the step), every operation within one ulp and the
    composition's relative condition at most 1 for the activations here, so
    the two differ by at most ``16 u |h_2|`` (tolerance 1 on that ratio).  The
    decay law: ``1/h_{t+1}^2 - 1/h_t^2 = 2/3 + h_t^2/15 + O(h^4)`` with ``h_t^2
    <= 3/(2t)``, so the growth of ``1/h^2`` over ``[T/2, T]`` exceeds the law's
    ``2/3`` by a relative ``3 ln 2 / (10 T)`` at most, to ``O(1/T^2)``: tolerance
    ``1.5`` times that.
    """
    net = _model(derivation)
    fixed = derivation.parameters.get(x_1)
    kernel = derivation.kernel if fixed is None else None

    def h2_error(pulse: float) -> float:
        pulse = float(fixed) if fixed is not None else pulse
        simulated = net.simulate([[pulse], [0.0]])[2, 0]
        predicted = float(kernel(pulse)) if kernel is not None else float(derivation.result)
        if predicted == simulated:
            return 0.0
        return abs(simulated - predicted) / (16 * _U * abs(simulated) + 1e-300)

    def sign_error(example: tuple[str, float]) -> float:
        name, pulse = example
        runs = _pulse_net(name).simulate(np.array([[pulse]] + [[0.0]] * 40))[1:, 0]
        return float(bool(np.all(runs < 0)) != (name in _keeps(derivation)))

    law = _decay(derivation)
    growth = float(sp.diff(1 / law ** 2, t))

    def decay_error(pulse: float) -> float:
        # |h_t| ~ A/sqrt(t) means 1/h_t^2 grows like t/A^2; comparing the growth over
        # [T/2, T] removes the offset set by the pulse's size.
        T = _T_DECAY
        h = _pulse_net("tanh").simulate(np.array([[pulse]] + [[0.0]] * (T - 1)))[:, 0]
        measured = (h[T] ** -2 - h[T // 2] ** -2) / (T - T // 2)
        return abs(measured / growth - 1)

    hard = [0.0, -1e-300, 1e-300, -1e-8, -1.0, 1.0, -50.0, 50.0]
    # 40 steps of leaky ReLU shrink a pulse by 1e-80: from 1e-200 it stays a normal float
    negative = _pulses(negative=True, tiniest=-200.0)
    names = sorted(rs.ACTIVATION_NAMES)
    reports = [
        check_property(r"$h_2$ against the simulated model (error / $16 u \, |h_2|$)",
                       _pulses(negative=False, tiniest=-300.0), h2_error,
                       tolerance=1.0, max_examples=max_examples, seed=seed, explicit=hard),
        check_property("sign kept for 40 steps exactly for the derived activations",
                       st.tuples(st.sampled_from(names), negative), sign_error, tolerance=0.5,
                       max_examples=max(7, max_examples // 2), seed=seed,
                       explicit=[(name, p) for name in names for p in (-1e-200, -50.0)]),
        check_property(r"tanh decay $|h_t| \sim \sqrt{3 / (2t)}$ at $t = 10000$", st.floats(-4.0, -0.05), decay_error,
                       tolerance=1.5 * 3 * math.log(2) / (10 * _T_DECAY),
                       max_examples=max(2, max_examples // 10), seed=seed, explicit=[-4.0, -0.05]),
    ]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw the state after a negative pulse, and the derived ``h_2`` against simulation; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    fig.set_figheight(3.0)
    left, right = fig.subplots(1, 2)
    T = 400
    steps = np.arange(1, T + 1)
    names = {"tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid"}
    marks = {"tanh": "-", "relu": "--", "leaky_relu": "-", "sigmoid": "-"}
    for name, shown in names.items():   # symlog: leaky ReLU's -0.01^t stays visibly below ReLU's 0
        path = _pulse_net(name).simulate(np.array([[-1.0]] + [[0.0]] * (T - 1)))[1:, 0]
        kept = "keeps" if name in _keeps(d) else "loses"
        shown += r" ($-0.01^t$)" if name == "leaky_relu" else ""
        left.plot(steps, path, marks[name], lw=1.5, marker="v" if name == "leaky_relu" else None, ms=3,
                  label=f"{shown} ({kept} the sign)")
    law = compile_kernel(_decay(d), [t])
    left.plot(steps[5:], -np.asarray(law(steps[5:].astype(float))), "k:", lw=1.2, label=r"derived $-|h_t|$ law")
    left.axhline(0, color="k", lw=0.6, label="_reference")
    left.set_yscale("symlog", linthresh=1e-10, linscale=1.0)
    left.set(xscale="log", xlabel="$t$", ylabel=r"$h_t$ (symmetric log scale)", title=r"after the pulse $x_1 = -1$",
             yticks=[-1, -1e-4, -1e-8, 0, 1], yticklabels=["$-1$", "$-10^{-4}$", "$-10^{-8}$", "0", "1"],
             ylim=(-2, 3))
    fig.legend(*left.get_legend_handles_labels(), loc="outside lower center", ncol=2, columnspacing=1.0)
    pulses = np.linspace(-3, 3, 121)
    net = _model(d)
    right.plot(pulses, np.asarray(kernel(pulses), dtype=float), "-", lw=2, label=r"derived $h_2(x_1)$")
    simulated = [net.simulate([[p], [0.0]])[2, 0] for p in pulses[::6]]
    right.plot(pulses[::6], simulated, "ko", ms=4, label="simulated")
    right.axhline(0, color="k", lw=0.6, label="_reference")
    right.set(xlabel=r"$x_1$", ylabel=r"$h_2$", title="two steps of the model")
    right.legend(loc="center right")
    return ("Left: the state after a negative pulse: tanh and leaky ReLU keep its sign (tanh decays like the "
            r"derived law), ReLU erases it at once, sigmoid's output is positive. Right: the derived $h_2(x_1)$ "
            "against the simulated model.")
