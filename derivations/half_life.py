"""Half-life of perturbations at a stable fixed point, and its inverse design.

Worked solution.  Linearise the model at its fixed point: ``delta_t = J
delta_{t-1}`` with ``J`` the model's own Jacobian, so along the slowest mode
``|delta_t| ~ rho^t |delta_0|``.  SymPy solves ``rho^t = 1/2`` for ``t``.
Inverting gives ``rho = 2^{-1/tau}``; for the 1-D tanh unit at ``h* = 0,
b = 0`` the model's Jacobian is ``w``, so ``w = 2^{-1/tau}``.  The result is
asymptotic only (correction C3): :func:`rnnsym.stability.steps_to_half` reports
when ``||J^k||_2`` really drops below one half.  ``verify`` simulates a small
perturbation with the model's own step and measures its late-time decay.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("half_life")
>>> d.result
-log(2)/log(rho)
>>> d.verify(max_examples=10).passed
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import register_symbol
from rnnsym.registry import DerivationInfo
from rnnsym.symbols import RHO, TAU
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="half_life",
    title="Half-life of perturbations and the inverse design",
    reference="3192099",
    order=30,
    symbols={
        "rho": "spectral radius of the Jacobian J at the fixed point",
        "tau": "target half-life (steps)",
        "w": "recurrent weight of the 1-D unit (inverse design)",
        "b": "bias of the 1-D unit",
        "h_star": "fixed point h^*",
    },
)

w = sp.Symbol("w", real=True)
b = sp.Symbol("b", real=True)
h_star = sp.Symbol("h_star", real=True)
t = sp.Symbol("t", positive=True)
delta0 = register_symbol(sp.Symbol("delta_0", positive=True), r"|\delta_0|")
DELTA_T = register_symbol(sp.Symbol("delta_t"), r"|\delta_t|")
T_HALF = register_symbol(sp.Symbol("t_half"), r"t_{1/2}")
J_SYM = register_symbol(sp.Symbol("J"), r"J")


def derive(model: Any = None) -> Derivation:
    """Derive ``t_{1/2}(rho)``; ``model`` replaces the design unit ``RNN([[w]], [[0]], [b])``."""
    net = model if model is not None else rs.RNN([[w]], [[0]], [b], "tanh")
    jac = net.jacobian(h=[h_star], x=[0])[0, 0]
    decay = sp.Eq(DELTA_T, RHO ** t * delta0, evaluate=False)
    (t_half,) = sp.solve(sp.Eq(RHO ** t * delta0, delta0 / 2), t)   # RHO is positive: one solution
    (rho_design,) = sp.solve(sp.Eq(t_half, TAU), RHO)
    fixed = net.fixed_point_equation(x=[0]).subs(net.h_star[0], h_star)
    # Design at h* = 0, b = 0: the fixed-point equation holds, J becomes w (times phi'(0)).
    at_origin = {h_star: 0, b: 0}
    holds = sp.simplify(fixed.lhs[0].subs(at_origin) - fixed.rhs[0].subs(at_origin)) == 0
    jac0 = sp.simplify(jac.subs(at_origin))
    w_design = [s for s in sp.solve(sp.Eq(jac0, rho_design), w) if s.is_positive is not False]
    steps = [
        Step(sp.Eq(J_SYM, jac, evaluate=False),
             "Linearising the model's step at h*: delta_t = J delta_{t-1} with J = D W_h (its Jacobian)."),
        Step(decay, "Along the slowest eigen-direction |delta_t| = rho^t |delta_0|, rho = rho(J); "
                    "for non-normal J only asymptotically (correction C3)."),
        Step(sp.Eq(T_HALF, t_half, evaluate=False),
             "SymPy solves rho^t |delta_0| = |delta_0| / 2 for t."),
        Step(sp.Eq(RHO, rho_design, evaluate=False),
             "Inverse problem: SymPy solves t_half(rho) = tau for rho (J = -rho also works; w > 0 is kept)."),
        Step(sp.Eq(fixed.lhs[0].subs(at_origin), fixed.rhs[0].subs(at_origin), evaluate=False),
             "With b = 0, h* = 0 is a fixed point of the model" + (" (checked)." if holds else ".")),
        Step(sp.Eq(J_SYM, jac0, evaluate=False), "The model's Jacobian at h* = 0, b = 0."),
        Step(sp.Eq(w, sp.FiniteSet(*w_design), evaluate=False),
             "SymPy solves J = 2^(-1/tau) for the weight: the design with half-life tau."),
        Step(sp.Eq(T_HALF, t_half, evaluate=False),
             "Half-life as a function of rho, defined for 0 < rho < 1."),
    ]
    # RHO is positive, so `RHO > 0` would evaluate to True: kept unevaluated, the kernel still
    # checks it and substituting rho <= 0 is still refused (as for rho >= 1).
    assumptions = [sp.StrictGreaterThan(RHO, 0, evaluate=False), RHO < 1]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, steps=steps, result=t_half,
        result_label=T_HALF, assumptions=assumptions, symbols=dict(INFO.symbols), kernel_args=[RHO],
        verifier=verify, context={"model": net, "w_design": w_design[0] if w_design else None},
    )


def _model(derivation: Derivation) -> rs.RNN:
    """The design unit :func:`derive` worked on (kept in ``context["model"]``)."""
    net: rs.RNN = derivation.context["model"]
    return net


def _weight_design(derivation: Derivation) -> sp.Expr | None:
    """The designed weight ``w(tau)``, or ``None`` where none is positive (``context["w_design"]``)."""
    design: sp.Expr | None = derivation.context["w_design"]
    return design


def _measured_half_life(net: rs.RNN, h_fixed: np.ndarray) -> float:
    """Half-life of a 1e-7 perturbation under the model's own step, from the
    number of steps it takes to shrink by 10^4 (or the steps run in 20000)."""
    h = h_fixed + 1e-7
    start = float(np.abs(h - h_fixed).max())
    norm, k = start, 0
    while norm > start * 1e-4 and k < 20_000:
        h = net.numeric_step(h)
        norm, k = float(np.abs(h - h_fixed).max()), k + 1
    return k * np.log(2) / np.log(start / norm)


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Simulate a perturbation at a stable fixed point and compare its half-life."""
    kernel = derivation.kernel if RHO not in derivation.parameters else None
    fixed_rho = derivation.parameters.get(RHO)
    net = _model(derivation)
    w_design = _weight_design(derivation)

    def unit_error(example: tuple[float, float]) -> float:
        w_value, b_value = example
        if fixed_rho is not None:   # build a unit whose slope at its fixed point is rho
            w_value, b_value = float(fixed_rho), 0.0
        unit = rs.RNN([[w_value]], [[0.0]], [b_value], "tanh")
        h = np.zeros(1)
        for _ in range(2000):
            h = unit.numeric_step(h)
        r = abs(float(unit.jacobian(h=h, x=[0])[0, 0]))
        assume(0.05 < r < 0.97)
        predicted = float(kernel(r)) if kernel is not None else float(derivation.result)
        measured = _measured_half_life(unit, h)
        return abs(measured - predicted) / predicted

    def design_error(tau_value: float) -> float:
        if w_design is None:
            return 1.0
        w_value = float(w_design.subs(TAU, tau_value))
        unit = net.subs({p: (w_value if p == w else 0.0) for p in net.parameters})
        measured = _measured_half_life(unit, np.zeros(1))
        return abs(measured - tau_value) / tau_value

    reports = [
        check_property("half-life of a simulated perturbation at the stable fixed point",
                       st.tuples(st.floats(-0.95, 0.95), st.floats(-1.0, 1.0)),
                       unit_error, tolerance=1e-3, max_examples=max_examples, seed=seed),
        check_property("designed unit w = w(tau): simulated half-life equals tau", st.floats(0.5, 20.0),
                       design_error, tolerance=1e-3, max_examples=max(5, max_examples // 4), seed=seed),
    ]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw simulated perturbations of designed units halving at the derived half-life; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    design = _weight_design(d)
    ax = fig.subplots(1, 1)
    steps = np.arange(0, 61)
    for i, target in enumerate((3, 8, 20)):
        w_value = float(design.subs(TAU, target)) if design is not None else 0.5 ** (1 / target)
        unit = rs.RNN([[w_value]], [[0.0]], [0.0], "tanh")
        delta = np.abs(unit.simulate(np.zeros((len(steps) - 1, 1)), h0=[1e-4])[:, 0]) / 1e-4
        rho = abs(float(unit.jacobian(h=[0.0], x=[0.0])[0, 0]))
        predicted = float(kernel(rho))
        ax.semilogy(steps, delta, color=f"C{i}", lw=1.5, label=rf"simulated, $\rho$ = {rho:.3f}")
        ax.axvline(predicted, color=f"C{i}", ls=":", lw=1.2)
        ax.plot([predicted], [0.5], "o", color=f"C{i}", ms=6)
    ax.axhline(0.5, color="k", lw=0.8)
    ax.set(xlabel="t", ylabel=r"$|\delta_t| / |\delta_0|$",
           title=r"perturbations halve at the derived $t_{1/2}(\rho)$ (dotted)", ylim=(1e-3, 1.5))
    ax.legend(fontsize=8)
    return ("A small perturbation of the tanh unit's fixed point h* = 0, simulated, for weights designed by the "
            "inverse problem for half-lives 3, 8 and 20; each curve crosses 1/2 at the derived t_1/2(rho).")
