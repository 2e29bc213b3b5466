"""Fixed points of the 1-D tanh unit and the saddle-node curve ``b_c(w)``.

Worked solution.  Build the unit ``h_t = tanh(w h_{t-1} + b)`` as an
:class:`~rnnsym.model.RNN`, take its fixed-point equation and Jacobian from
the model, impose the fold (saddle-node) conditions ``g(h) = 0`` and
``g'(h) = 0`` for ``g(h) = tanh(w h + b) - h``, and let SymPy eliminate
``h`` (correction C1).  The number of critical points of ``g`` bounds the count
of fixed points; implicit differentiation gives ``dh*/db``.  ``verify``
measures the fold bias on the model's own simulated step (where its count of
fixed points drops from 3 to 1) and compares it two-sided, with its sign;
counts the attractors the simulated step reaches just inside and just
outside the curve, at both signs of ``b``; and differentiates 50-digit fixed
points of the step.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("fixed_points")
>>> round(float(d.kernel(2.0)), 12)
0.532839975354
>>> d.verify(max_examples=10).passed
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st
from scipy.optimize import brentq, minimize_scalar

import rnnsym as rs
from rnnsym.derivation import Derivation, Step
from rnnsym.errors import InvalidArgumentError
from rnnsym.fixedpoints import sweep_fixed_points
from rnnsym.kernel import compile as compile_kernel
from rnnsym.latex import latex, register_symbol
from rnnsym.registry import DerivationInfo
from rnnsym.symbols import FIXED_POINT_KINDS
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="fixed_points",
    title="Fixed points of the tanh unit and the saddle-node curve",
    reference="3192120",
    section="Decoding the Dynamics: Fixed Points and Stability",
    order=20,
    options={"scale": int},
    # scale <= 0: the unit tanh(scale w h + b) has its fold at w < 0 or none; the derivation's
    # branch choice (h* < 0 for b_c > 0) and domain are for a positive gain.
    option_ranges={"scale": (1, 10**6)},
    limit_hint=("the recurrent weight is scale*w; for a negative or zero gain use "
                "rnnsym.fixedpoints.sweep_fixed_points() on numbers."),
    symbols={
        "w": "recurrent weight of the 1-D unit",
        "b": "bias",
        "h_star": "fixed point $h^*$",
    },
)

w = sp.Symbol("w", real=True)
b = sp.Symbol("b", real=True)
h_star = sp.Symbol("h_star", real=True)
B_C = register_symbol(sp.Symbol("b_c"), r"b_c(w)")
G = register_symbol(sp.Symbol("g"), r"g(h^{*})")
DG = register_symbol(sp.Symbol("dg"), r"g'(h^{*})")
J_SYM = register_symbol(sp.Symbol("J"), r"J")
DHDB = register_symbol(sp.Symbol("dh_star/db"), r"\frac{d h^{*}}{d b}")
N_CRIT = register_symbol(sp.Symbol("N_crit"), r"\#\{h : g'(h) = 0\}")
N_FIX = register_symbol(sp.Symbol("N_fix"), r"N_{\mathrm{fix}}(w, b)")


def derive(scale: int = 1, model: Any = None) -> Derivation:
    """Derive ``b_c(w)``; ``model`` replaces the unit ``RNN([[scale*w]], [[0]], [b])``.

    ``scale`` must be a positive integer (:func:`rnnsym.registry.derive` also
    limits it by ``INFO.option_ranges``).
    """
    if model is None and not (isinstance(scale, int) and not isinstance(scale, bool) and scale >= 1):
        raise InvalidArgumentError(f"`scale` must be a positive integer; got {scale!r}.")
    net = model if model is not None else rs.RNN([[scale * w]], [[0]], [b], "tanh")
    hs = net.h_star[0]
    fixed = net.fixed_point_equation(x=[0]).subs(hs, h_star)
    g = fixed.rhs[0] - h_star
    jac = net.jacobian(h=[h_star], x=[0])[0, 0]
    pre = net.preactivation(h=[h_star], x=[0])[0, 0]
    identity = sp.Eq(sp.sech(pre) ** 2, 1 - sp.tanh(pre) ** 2, evaluate=False)
    if sp.simplify((identity.lhs - identity.rhs).rewrite(sp.exp)) != 0:
        raise AssertionError("sech^2 = 1 - tanh^2 failed to check")
    # On the fixed point tanh(pre) = h*, so the Jacobian becomes a polynomial in h*.
    jac_on_fp = jac.subs(sp.sech(pre) ** 2, 1 - sp.tanh(pre) ** 2).subs(sp.tanh(pre), h_star)
    crit = sp.solve(sp.Eq(jac_on_fp, 1), h_star)
    (bias_of_h,) = _real_solutions(sp.Eq(fixed.lhs[0], fixed.rhs[0]).subs(hs, h_star), b)
    negative = [c for c in crit if c.could_extract_minus_sign()]   # the branch with b_c > 0
    if not negative:
        raise InvalidArgumentError(
            f"the unit {sp.sstr(net.step()[0])} has no fold with h* < 0 (critical points {crit}); "
            "expected a positive recurrent gain."
        )
    fold_h = negative[0]
    b_c = sp.simplify(bias_of_h.subs(h_star, fold_h))
    # The fold exists where both critical points are real, distinct and inside (-1, 1), the range of
    # tanh (h* = tanh(...)): 0 < h*^2 < 1.  SymPy solves that for w: w > 1 for the unit, w > 1/scale scaled.
    square = sp.factor(sp.together(fold_h**2))
    region = sp.solveset(square > 0, w, sp.S.Reals).intersect(sp.solveset(square < 1, w, sp.S.Reals))
    if isinstance(region, sp.Interval) and region.sup == sp.oo and region.left_open:
        domain = sp.StrictGreaterThan(w, region.inf)
        fold_at = region.inf
    else:   # pragma: no cover - a model whose fold region is not a ray
        domain = region.as_relational(w)
        fold_at = region.inf if isinstance(region, sp.Interval) else sp.Integer(1)
    curvature = sp.diff(fixed.rhs[0], h_star, 2)
    n_crit = len(crit)
    count = sp.Piecewise((n_crit + 1, sp.Abs(b) < B_C), (n_crit, sp.Eq(sp.Abs(b), B_C)),
                         (n_crit - 1, True))
    dhdb = sp.simplify((-sp.diff(g, b) / sp.diff(g, h_star))
                       .subs(sp.sech(pre) ** 2, 1 - sp.tanh(pre) ** 2).subs(sp.tanh(pre), h_star))
    below = latex(sp.Le(w, fold_at))
    steps = [
        Step(sp.Eq(h_star, fixed.rhs[0], evaluate=False),
             f"Fixed-point equation of the model with constant input: $h^* = \\phi({latex(pre)})$."),
        Step(sp.Eq(J_SYM, jac, evaluate=False),
             f"Jacobian of the model's step at $h^*$: $J = D W_h = {latex(jac)}$."),
        Step(identity, r"Identity $\operatorname{sech}^2 = 1 - \tanh^2$ (checked by SymPy); on the fixed point "
                       f"$\\tanh({latex(pre)}) = h^*$."),
        Step(sp.Eq(J_SYM, jac_on_fp, evaluate=False),
             "So on the fixed-point set the Jacobian is a polynomial in $h^*$."),
        Step(sp.Eq(DG, jac - 1, evaluate=False),
             f"$g(h) = {latex(g.subs(h_star, sp.Symbol('h')))}$ has $g' = J - 1$; a saddle-node (fold) needs "
             "$g = 0$ and $g' = 0$, i.e. $J = 1$."),
        Step(sp.Eq(h_star, sp.FiniteSet(*crit), evaluate=False),
             "SymPy solves $J = 1$ on the fixed-point set: two critical points, real, distinct and inside $(-1, 1)$ "
             f"($0 < (h^*)^2 = {latex(square)} < 1$, solved by SymPy) only for ${latex(domain)}$.", relation="∈"),
        Step(sp.Eq(b, bias_of_h, evaluate=False),
             "SymPy solves the fixed-point equation for the bias that makes $h^*$ a fixed point."),
        Step(sp.Eq(N_CRIT, n_crit, evaluate=False),
             f"$g'' = {latex(curvature)}$ changes sign once, so $g$ has at most these critical points "
             "and at most one more fixed point than critical points."),
        Step(sp.Eq(N_FIX, count, evaluate=False),
             f"Count for ${latex(domain)}$: the extremes of $g$ straddle 0 inside $|b| < b_c$, touch 0 on the curve, "
             f"miss it outside; for ${below}$, $g$ is monotone and there is exactly one fixed point."),
        Step(sp.Eq(DHDB, dhdb, evaluate=False),
             "Implicit differentiation of $g(h^*, b) = 0$: $dh^*/db = -g_b / g_h$; it diverges where $J = 1$."),
        Step(sp.Eq(B_C, b_c, evaluate=False),
             f"Substituting the critical point $h^* = {latex(fold_h)}$ into $b(h^*)$ gives the fold bias."),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps, result=b_c,
        result_label=B_C, assumptions=[domain], symbols=dict(INFO.symbols), kernel_args=[w],
        verifier=verify,
        context={"model": net, "scale": scale, "dhdb": dhdb, "fold_at": fold_at,
                 "weight": net.W_h[0, 0]},
        numeric_form=_CuspForm(square),
    )


def _model(derivation: Derivation) -> rs.RNN:
    """The unit :func:`derive` worked on (kept in ``context["model"]``)."""
    net: rs.RNN = derivation.context["model"]
    return net


def _scale(derivation: Derivation) -> int:
    """The ``scale`` option :func:`derive` was given (kept in ``context["scale"]``)."""
    return int(derivation.context.get("scale", 1))


def _slope(derivation: Derivation) -> sp.Expr:
    """``dh*/db`` in ``w``, ``b`` and ``h_star`` (kept in ``context["dhdb"]``)."""
    dhdb: sp.Expr = derivation.context["dhdb"]
    return dhdb


@dataclass(frozen=True)
class _CuspForm:
    """An equal form of ``b_c(w)`` that keeps its digits near the cusp (``numeric_form``).

    ``square`` is ``s^2 = h*^2`` at the fold, ``(w - 1)/w`` for the unit and
    ``(scale w - 1)/(scale w)`` scaled; the cusp is at ``s = 0``.  With ``s``
    both terms of ``b_c`` vanish like ``s`` and their difference like ``s^3``:
    evaluated directly it loses every digit near the cusp.  Below ``s = 1/2``
    use the Taylor series in ``s`` that SymPy derives from ``b_c`` itself (all
    terms positive, no cancellation; truncated where the next term is below
    1e-19 relative), in Horner form in ``s^2``.
    """

    square: sp.Expr

    def __call__(self, b_c: sp.Expr) -> sp.Expr:
        s, t = sp.symbols("s t", positive=True)
        (w_of_s,) = sp.solve(sp.Eq(self.square, s**2), w)
        in_s = sp.simplify(b_c.subs(w, w_of_s))
        series = sp.expand(sp.series(in_s, s, 0, 64).removeO() / s**3).subs(s, sp.sqrt(t))
        edge = sp.simplify(w_of_s.subs(s, sp.Rational(1, 2)))   # s < 1/2: w < 4/3 for the unit
        return sp.Piecewise((self.square ** sp.Rational(3, 2) * sp.horner(series).subs(t, self.square), w < edge),
                            (b_c, True))


def _accurate_near_cusp(b_c: sp.Expr) -> sp.Expr:
    """:class:`_CuspForm` of the unscaled unit (``s^2 = (w - 1)/w``)."""
    return _CuspForm((w - 1) / w)(b_c)


def _real_solutions(eq: sp.Equality, symbol: sp.Symbol) -> list[sp.Expr]:
    """Real solutions from ``solveset`` (its ``Intersection`` with the reals unwrapped)."""
    sol = sp.solveset(eq, symbol, sp.S.Reals)
    if isinstance(sol, sp.Intersection):
        sol = next(a for a in sol.args if isinstance(a, sp.FiniteSet))
    return list(sol)


def _attractors(weight: float, biases: list[float], steps: int = 2500) -> list[int]:
    """Distinct limits of the simulated unit ``tanh(weight h + b)`` from 41 starts, for each bias
    (all simulated at once: the bias enters as the input of a unit with input weight 1)."""
    net = rs.RNN([[weight]], [[1.0]], [0.0], "tanh")
    h = np.tile(np.linspace(-1, 1, 41)[None, :, None], (len(biases), 1, 1))
    x = np.broadcast_to(np.asarray(biases, dtype=float)[:, None, None], h.shape)
    for _ in range(steps):
        h = net.numeric_step(h, x)
    ends = np.sort(h[:, :, 0], axis=1)
    return [int(1 + np.count_nonzero(np.diff(row) > 1e-3)) for row in ends]


#: Unit roundoff of float64; digits of the 50-digit slope check.
_U = 2.0 ** -53
_DPS = 50
_GRID = np.linspace(-1.0, 0.0, 4001)


def _lowest(unit: rs.RNN, bias: float) -> tuple[float, float]:
    """``min g`` over ``h`` in ``[-1, 0]`` and where, for ``g(h) = step(h) - h`` of the simulated
    ``unit`` (weight ``gain``, input weight 1) with the bias fed as its input: a grid, then Brent
    between the grid neighbours of the grid's minimum."""
    g = unit.numeric_step(_GRID[:, None], np.full((_GRID.size, 1), bias))[:, 0] - _GRID
    i = int(np.argmin(g))
    lo, hi = _GRID[max(i - 1, 0)], _GRID[min(i + 1, _GRID.size - 1)]
    found = minimize_scalar(lambda h: float(unit.numeric_step([h], [bias])[0]) - h, bounds=(lo, hi),
                            method="bounded", options={"xatol": 1e-15})
    return (float(found.fun), float(found.x)) if found.fun < g[i] else (float(g[i]), float(_GRID[i]))


def _measured_fold(unit: rs.RNN, gain: float) -> float:
    """The positive bias where the simulated unit's fixed-point count drops from 3 to 1.

    For ``b >= 0``, ``g(-1) > 0`` and ``g(0) = tanh(b) >= 0``, so the unit has two fixed points
    in ``[-1, 0]`` (three in all) exactly when ``min g < 0`` there; that minimum grows with ``b``
    and Brent's method finds the bias where it crosses 0, to a relative ``8u``."""
    return float(brentq(lambda bias: _lowest(unit, bias)[0], 0.0, gain + 1.0, xtol=1e-300, rtol=8 * _U))


def _gains(fold_at: float, top: float) -> st.SearchStrategy[float]:
    """Weights ``w``: generic in ``[1.01, top] fold_at`` and near the cusp, ``w / fold_at - 1``
    log-uniform in ``[1e-6, 1e-2]``."""
    near = st.floats(-6.0, -2.0).map(lambda e: fold_at * (1.0 + 10.0 ** e))
    return st.one_of(st.floats(1.01 * fold_at, top * fold_at), near)


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """The fold bias measured on the simulated unit; bistability inside it; ``dh*/db``.

    Errors are divided by their stated bound (tolerance 1).  ``b_c``: the
    measured fold (:func:`_measured_fold`) is off by the rounding of ``g``
    (3u) and of its located minimum (as much again) divided by ``dg_min/db =
    sech^2 = 1/gain`` at the fold, plus Brent's ``8u |b_c|``; the kernel adds
    ``8u |b_c| + 4u`` (absolute ``4u``: its two terms are below 1 and cancel at
    the cusp): ``8u gain + 16u |b_c| + 4u``, two-sided and signed.  ``dh*/db``:
    central differences of 50-digit fixed points of the model's step (steps
    ``1e-10 (1 - J)^2 / gain``, far inside the fold, where ``b`` is ``(1 -
    J)^2 / (2 gain)`` away) are exact to 1e-18; the float slope ``(1 - h^2) /
    (1 - J)`` is within ``8u (1 + 1/(1 - J))`` relative, plus the rounding of ``h*`` to float
    times the slope's condition in ``h``: ``u (2h^2/(1 - h^2) + 2 gain h^2/(1 - J))``.
    """
    fixed_w = derivation.parameters.get(w)
    kernel = derivation.kernel
    fold_at = float(derivation.context.get("fold_at", 1))
    weight = sp.sympify(derivation.context.get("weight", _scale(derivation) * w))
    slope = rs.compile(_slope(derivation), [w, b, h_star])
    probe = rs.RNN([[w]], [[1]], [0], "tanh")
    step_mp = rs.compile(probe.step(), [probe.h_prev, probe.x, w], backend="mpmath", dps=_DPS)

    def draw(top: float) -> st.SearchStrategy[float]:
        return st.just(float(fixed_w)) if fixed_w is not None else _gains(fold_at, top)

    def gain(w_value: float) -> float:
        """The model's recurrent weight at ``w`` (``scale * w`` for the scaled unit)."""
        return float(weight.xreplace({w: sp.Float(w_value)}))

    def predicted(w_value: float) -> float:
        return float(kernel(w_value)) if fixed_w is None else float(derivation.result)

    def unit(w_value: float) -> rs.RNN:
        return rs.RNN([[gain(w_value)]], [[1.0]], [0.0], "tanh")   # the bias comes in as the input

    def fold_error(w_value: float) -> float:
        measured = _measured_fold(unit(w_value), gain(w_value))
        bound = 8 * _U * gain(w_value) + 16 * _U * abs(measured) + 4 * _U
        return abs(predicted(w_value) - measured) / bound

    def count_error(w_value: float) -> float:
        b_c = predicted(w_value)
        counts = _attractors(gain(w_value), [0.99 * b_c, -0.99 * b_c, 1.01 * b_c, -1.01 * b_c])
        return float((counts[0] != 2) + (counts[1] != 2) + (counts[2] != 1) + (counts[3] != 1))

    def slope_error(example: tuple[float, float]) -> float:
        w_value, frac = example
        g_value, model = gain(w_value), unit(w_value)
        b_value = frac * predicted(w_value)
        with mpmath.workdps(_DPS):
            def upper(bias: Any) -> Any:
                # the upper branch, above the local maximum of g: bracketed in float (Brent),
                # then polished at 50 digits by the secant method from there
                top = -_lowest(model, -float(bias))[1]
                start = brentq(lambda h: float(model.numeric_step([h], [float(bias)])[0]) - h, top, 1.0,
                               xtol=1e-300, rtol=8 * _U)
                first = mpmath.mpf(start)
                return mpmath.findroot(lambda h: step_mp([h], [bias], g_value)[0, 0] - h,
                                       (first, first * (1 + mpmath.mpf(1e-12))))
            bias = mpmath.mpf(b_value)
            h = upper(bias)
            delta = mpmath.mpf(10) ** -20
            jac = (step_mp([h + delta], [bias], g_value)[0, 0] - step_mp([h - delta], [bias], g_value)[0, 0]) \
                / (2 * delta)
            eps = mpmath.mpf(1e-10) * (1 - jac) ** 2 / g_value
            fd = float((upper(bias + eps) - upper(bias - eps)) / (2 * eps))
            jac, h_value = float(jac), float(h)
        value = float(slope(w_value, b_value, h_value))
        condition = 2 * h_value ** 2 / (1 - h_value ** 2) + 2 * g_value * h_value ** 2 / (1 - jac)
        bound = _U * (8 + 8 / (1 - jac) + condition) * abs(fd)
        return abs(value - fd) / bound

    near_cusp = [fold_at * (1 + 1e-6), fold_at * (1 + 1e-3), 2.0 * fold_at, 10.0 * fold_at]
    reports = [
        check_property(r"$b_c$ against the fold measured on the simulated unit (error / stated bound)", draw(10.0),
                       fold_error, tolerance=1.0, max_examples=max_examples, seed=seed,
                       explicit=[] if fixed_w is not None else near_cusp),
        # simulated attractors converge slowly near the cusp (J -> 1 everywhere): w >= 1.1 fold_at here
        check_property(r"attractor count of the simulated unit at $\pm 0.99 b_c$ and $\pm 1.01 b_c$",
                       st.just(float(fixed_w)) if fixed_w is not None else st.floats(1.1 * fold_at, 4.0 * fold_at),
                       count_error, tolerance=0.5,
                       max_examples=max(3, max_examples // 10), seed=seed),
        check_property(r"$\partial h^* / \partial b$ against 50-digit differences of simulated fixed points "
                       "(error / stated bound)",
                       st.tuples(draw(10.0), st.floats(-0.99, 0.99)), slope_error, tolerance=1.0,
                       max_examples=max(3, max_examples // 5), seed=seed,
                       explicit=[] if fixed_w is not None else [(2.0 * fold_at, -0.99), (fold_at * 1.001, 0.5)]),
    ]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw the bifurcation diagram and the count of fixed points over ``(w, b)``; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    net = _model(d)
    w0 = 2.0
    b_c = float(kernel(w0))
    left, right = fig.subplots(1, 2)
    biases = np.linspace(-1.5, 1.5, 601)
    sweep = sweep_fixed_points(net.subs({w: w0, b: 0}), biases)
    labelled: set[str] = set()
    for branch in sweep.branches():
        for kind in np.unique(branch.kind):
            stable = kind == 0
            label = FIXED_POINT_KINDS[int(kind)] if kind >= 0 else "unclassified"
            mask = branch.kind == kind
            left.plot(branch.b[mask, 0], branch.h[mask, 0], "-" if stable else "--",
                      color="C0" if stable else "C3", lw=2, label=None if label in labelled else label)
            labelled.add(label)
    for sign in (-1, 1):
        left.axvline(sign * b_c, color="k", ls=":", lw=1, label=r"derived $\pm b_c$" if sign > 0 else "_b_c")
    left.text(b_c, 0.5, r" $b_c$", transform=left.get_xaxis_transform())
    left.text(-b_c, 0.5, r"$-b_c$ ", ha="right", transform=left.get_xaxis_transform())
    left.set(xlabel="$b$", ylabel=r"fixed points $h^*$", title=f"bifurcation diagram, $w = {w0:g}$",
             ylim=(-1.12, 2.0), yticks=[-1, -0.5, 0, 0.5, 1])
    left.legend(loc="upper left", handlelength=1.5)
    # Stability map: count sign changes of g(h) = step(h) - h on a grid, per (w, b).
    step = compile_kernel(net.step()[0], [net.h_prev[0], w, b])
    W, B = np.linspace(0.2, 3.0, 101), np.linspace(-1.5, 1.5, 121)
    H = np.linspace(-1.0, 1.0, 300)   # an even count: h = 0 is not a grid point
    g = step(H[None, None, :], W[:, None, None], B[None, :, None]) - H
    count = np.count_nonzero(np.diff(np.sign(g), axis=-1) != 0, axis=-1)
    mesh = right.pcolormesh(B, W, count, shading="auto", cmap="Blues", vmin=0, vmax=4,
                              rasterized=True)
    fig.colorbar(mesh, ax=right, label="fixed points", ticks=[1, 2, 3])
    fold_at = float(d.context.get("fold_at", 1))
    ws = W[W > fold_at]
    curve = np.asarray(kernel(ws), dtype=float)
    right.plot(curve, ws, "r-", lw=1.5, label=r"derived $\pm b_c(w)$")
    right.plot(-curve, ws, "r-", lw=1.5)
    right.set(xlabel="$b$", ylabel="$w$", title="fixed points over $(w, b)$")
    right.legend(loc="lower right")
    return (r"Left: fixed points of $h = \tanh(w h + b)$ against the bias ($w = 2$); the stable branches fold "
            r"into the unstable one at the derived bias $\pm b_c$. Right: the number of fixed points over $(w, b)$ "
            rf"counted numerically; the derived curve $\pm b_c(w)$ is its boundary (one fixed point for "
            rf"$w \le {fold_at:g}$).")
