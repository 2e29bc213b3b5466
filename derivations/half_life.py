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

import math
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
from rnnsym.strategies import stable_coefficients
from rnnsym.symbols import RHO, TAU, Z
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="half_life",
    title="Half-life of perturbations and the inverse design",
    reference="3192099",
    section="Decoding the Dynamics: Fixed Points and Stability",
    order=30,
    symbols={
        "rho": "spectral radius of the Jacobian $J$ at the fixed point",
        "tau": "target half-life (steps)",
        "w": "recurrent weight of the 1-D unit (inverse design)",
        "b": "bias of the 1-D unit",
        "h_star": "fixed point $h^*$",
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
    pre_at_origin = net.preactivation(h=[h_star], x=[0])[0, 0].subs(at_origin)
    with sp.evaluate(False):   # shown as phi(0) = 0, not as the evaluated 0 = 0
        phi_at_origin = net.activation.expr.subs(Z, pre_at_origin)
    jac0 = sp.simplify(jac.subs(at_origin))
    w_design = [s for s in sp.solve(sp.Eq(jac0, rho_design), w) if s.is_positive is not False]
    steps = [
        Step(sp.Eq(J_SYM, jac, evaluate=False),
             r"Linearising the model's step at $h^*$: $\delta_t = J \delta_{t-1}$ with $J = D W_h$ (its Jacobian)."),
        Step(decay, r"Along the slowest eigen-direction $|\delta_t| = \rho^t |\delta_0|$, $\rho = \rho(J)$; "
                    "for non-normal $J$ only asymptotically (correction C3)."),
        Step(sp.Eq(T_HALF, t_half, evaluate=False),
             r"SymPy solves $\rho^t |\delta_0| = |\delta_0| / 2$ for $t$."),
        Step(sp.Eq(RHO, rho_design, evaluate=False),
             r"Inverse problem: SymPy solves $t_{1/2}(\rho) = \tau$ for $\rho$ ($J = -\rho$ also works; "
             "$w > 0$ is kept)."),
        Step(sp.Eq(phi_at_origin, fixed.lhs[0].subs(at_origin), evaluate=False),
             r"With $b = 0$, $h^* = 0$ is a fixed point of the model: $h^* = \phi(w h^* + b)$ reads $\phi(0) = 0$ "
             "(checked)." if holds else r"With $b = 0$, $h^* = 0$ is not a fixed point of the model: $\phi(0) \ne 0$.",
             relation=None if holds else "≠"),
        Step(sp.Eq(J_SYM, jac0, evaluate=False), "The model's Jacobian at $h^* = 0$, $b = 0$."),
        Step(sp.Eq(w, sp.FiniteSet(*w_design), evaluate=False),
             r"SymPy solves $J = 2^{-1/\tau}$ for the weight: the design with half-life $\tau$.", relation="∈"),
        Step(sp.Eq(T_HALF, t_half, evaluate=False),
             r"Half-life as a function of $\rho$, defined for $0 < \rho < 1$."),
    ]
    # RHO is positive, so `RHO > 0` would evaluate to True: kept unevaluated, the kernel still
    # checks it and substituting rho <= 0 is still refused (as for rho >= 1).
    assumptions = [sp.StrictGreaterThan(RHO, 0, evaluate=False), RHO < 1]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps, result=t_half,
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


#: Unit roundoff of float64; digits, its unit roundoff and the perturbation of the 80-digit simulation.
_U = 2.0 ** -53
_DPS = 80
_U_MP = 2.0 ** -mpmath.libmp.dps_to_prec(_DPS)
_DELTA0 = mpmath.mpf(10) ** -40


def _measured_half_life(step: Any, h_fixed: Any, params: tuple, rho: float) -> tuple[Any, int, Any]:
    """Half-life of a ``1e-40`` perturbation of the fixed point under the model's own step at
    80 digits: ``K ln 2 / ln(|delta_0| / |delta_K|)`` after ``K`` steps, ``K`` chosen so the
    perturbation shrinks by about ``e^-30``, at most 50 steps (near ``rho = 1`` the shrink is
    then ``50 |ln rho|``, still measured to 1e-30 relative at 80 digits).  Returns it, ``K``
    and the measured ``ln(|delta_0| / |delta_K|)``."""
    K = int(min(50, max(1, math.ceil(30.0 / -math.log(rho)))))
    with mpmath.workdps(_DPS):
        h = h_fixed + _DELTA0
        for _ in range(K):
            h = step([h], *params)[0, 0]
        shrink = mpmath.log(_DELTA0 / abs(h - h_fixed))
        return K * mpmath.log(2) / shrink, K, shrink


def _unit(rho: float, sign: float, h_fixed: float) -> tuple[Any, tuple]:
    """``(h*, (w, b))`` at 80 digits of the tanh unit with fixed point ``h*`` and Jacobian
    ``J = sign * rho`` there: ``w = J / (1 - h*^2)`` and ``b = atanh(h*) - w h*``."""
    with mpmath.workdps(_DPS):
        h = mpmath.mpf(h_fixed)
        w_value = sign * mpmath.mpf(rho) / (1 - h * h)
        return h, (w_value, mpmath.atanh(h) - w_value * h)


def _coefficients() -> st.SearchStrategy[float]:
    """Signed ``J`` with ``0 < |J| < 1``: half the draws have ``1 - |J|`` log-uniform in
    ``[1e-9, 1e-2]`` (see :func:`rnnsym.strategies.stable_coefficients`)."""
    return stable_coefficients(max_abs=1.0 - 1e-9)


def _fixed_points() -> st.SearchStrategy[float]:
    """``h*`` anywhere in ``(-1, 1)``, exactly 0, or saturated: ``1 - |h*|`` log-uniform in ``[1e-8, 1e-2]``."""
    saturated = st.tuples(st.floats(-8.0, -2.0), st.sampled_from([1.0, -1.0])).map(lambda t: t[1] * (1 - 10 ** t[0]))
    return st.one_of(st.floats(-0.99, 0.99), st.just(0.0), saturated)


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Simulate a perturbation at a stable fixed point and compare its half-life.

    The units are built at 80 digits with a prescribed fixed point ``h*`` and
    Jacobian ``J`` there (``rho = |J|`` exact), and stepped by the model's own
    step compiled at 80 digits, so the measured half-life is off only by the
    perturbation's nonlinear term: ``ln(delta_{t+1}/delta_t) = ln rho + c delta_t``
    with ``|c| = rho |h*| / (1 - h*^2)``, a relative error at most ``|c| delta_0 /
    |ln rho|`` (``delta_0 = 1e-40``), and by rounding, ``8 K u_80 (|h*| / |delta_K| + 1) /
    ln(delta_0 / delta_K)``.  The float kernel at an exact ``rho`` adds at most ``10 u`` relative
    (``log`` one ulp, the constant ``log 2``, a division; rewritten bases a few
    more).  Errors are divided by that stated bound (tolerance 1), two-sided
    and relative to the measured half-life, which is positive.
    """
    kernel = derivation.kernel if RHO not in derivation.parameters else None
    fixed_rho = derivation.parameters.get(RHO)
    net = _model(derivation)
    w_design = _weight_design(derivation)
    unit = rs.RNN([[w]], [[0]], [b], "tanh")
    step_unit = rs.compile(unit.step(), [unit.h_prev, w, b], backend="mpmath", dps=_DPS)
    free = list(net.parameters)
    step_design = rs.compile(net.step(), [net.h_prev, *free], backend="mpmath", dps=_DPS)
    design_mp = rs.compile(w_design, [TAU], backend="mpmath", dps=_DPS) if w_design is not None else None

    def unit_error(example: tuple[float, float]) -> float:
        coefficient, h_value = example
        rho, sign = abs(coefficient), (1.0 if coefficient >= 0 else -1.0)
        if fixed_rho is not None:   # a unit whose slope at its fixed point is the substituted rho
            rho = float(fixed_rho)
        assume(rho >= 1e-6)   # the half-life is below 0.05 steps there
        h_fixed, params = _unit(rho, sign, h_value)
        measured, K, shrink = _measured_half_life(step_unit, h_fixed, params, rho)
        predicted = float(kernel(rho)) if kernel is not None else float(derivation.result)
        c = rho * abs(h_value) / (1 - h_value * h_value)
        with mpmath.workdps(_DPS):
            last = mpmath.exp(-shrink) * _DELTA0   # |delta_K|
            # each step rounds h ~ h* + delta to u_80 (|h*| + |delta|): relative to delta_t >= delta_K
            rounding = 8 * _U_MP * (abs(h_value) / last + 1)
            error = abs(predicted - measured) / abs(measured)
            return float(error / (10 * _U + (c * _DELTA0 + rounding) * K / shrink))

    def design_error(tau_value: float) -> float:
        if design_mp is None:
            return math.inf
        with mpmath.workdps(_DPS):
            w_value = design_mp(mpmath.mpf(tau_value))
            values = tuple(w_value if p == w else mpmath.mpf(0) for p in free)
            rho = float(abs(w_value))
            measured, K, shrink = _measured_half_life(step_design, mpmath.mpf(0), values, rho)
            error = abs(measured - tau_value) / tau_value
            # w(tau) at 80 digits (u_80 / |ln rho| relative); tanh's cubic term changes each step's
            # factor by at most (w delta)^2 / 3; h = delta is rounded relatively (h* = 0): 8 u_80 a step
            return float(error / ((9 * _U_MP + _DELTA0 ** 2 / 3) * K / shrink))

    taus = st.one_of(st.floats(0.5, 50.0), st.floats(0.0, 9.0).map(lambda e: 10.0 ** e))
    hard_units = [(0.5, 0.0), (1 - 1e-6, 0.0), (-(1 - 1e-6), 1 - 1e-8), (1 - 1e-9, -0.5), (1e-3, -0.9),
                  (-(1 - 1e-6), 0.5), (0.97, 0.999)]
    reports = [
        check_property("half-life of a simulated perturbation at the stable fixed point (error / stated bound)",
                       st.tuples(_coefficients(), _fixed_points()), unit_error, tolerance=1.0,
                       max_examples=max_examples, seed=seed, explicit=hard_units),
        check_property(r"designed unit $w = w(\tau)$: simulated half-life equals $\tau$ (error / stated bound)", taus,
                       design_error, tolerance=1.0, max_examples=max(5, max_examples // 4), seed=seed,
                       explicit=[0.5, 1.0, 1e6, 1e9]),
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
    floor = 1e-3   # the bottom of the plot: each curve is drawn until it reaches it
    for i, target in enumerate((3, 8, 20)):
        w_value = float(design.subs(TAU, target)) if design is not None else 0.5 ** (1 / target)
        unit = rs.RNN([[w_value]], [[0.0]], [0.0], "tanh")
        delta = np.abs(unit.simulate(np.zeros((len(steps) - 1, 1)), h0=[1e-4])[:, 0]) / 1e-4
        rho = abs(float(unit.jacobian(h=[0.0], x=[0.0])[0, 0]))
        predicted = float(kernel(rho))
        ax.semilogy(steps, np.where(delta >= floor, delta, np.nan), color=f"C{i}", lw=1.5,
                    label=rf"simulated, $\rho = {rho:.3f}$")
        ax.axvline(predicted, color=f"C{i}", ls=":", lw=1.2, label=rf"derived $t_{{1/2}} = {predicted:.2f}$")
    ax.axhline(0.5, color="k", lw=0.6, label="_reference")   # a reference mark, no legend entry
    ax.text(60, 0.5, "1/2", ha="right", va="bottom")
    ax.set(xlabel="$t$", ylabel=r"$|\delta_t| / |\delta_0|$", xlim=(0, 60),
           title=r"perturbations halve at the derived half-life $t_{1/2}(\rho)$", ylim=(floor, 1.5))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ("A small perturbation of the tanh unit's fixed point $h^* = 0$, simulated, for weights designed by "
            r"the inverse problem for half-lives 3, 8 and 20; each curve crosses $1/2$ at the derived $t_{1/2}(\rho)$.")
