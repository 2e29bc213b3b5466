"""Activation functions that carry their own calculus.

An :class:`Activation` holds the SymPy form ``phi(z)``, its derivative, its Lipschitz constant
``sup |phi'|``, its output range, whether it is odd and whether it preserves sign, and a NumPy
implementation that agrees with the SymPy form (``tests/test_activations.py``).

The derivative is stored in a numerically safe form (``sech(z)**2`` for
tanh, not SymPy's ``1 - tanh(z)**2``, which loses every digit from
``|z| >= 19``); the tests check that it equals ``sympy.diff`` of the form.

Where a derivative jumps (ReLU and leaky ReLU at 0, hard tanh at +-1) the value at the kink is
PyTorch autograd's: from the left for ReLU and leaky ReLU (``ReLU'(0) = 0``), 0 at hard tanh's corners.

Examples
--------
>>> from rnnsym.activations import get_activation
>>> tanh = get_activation("tanh")
>>> tanh.expr, tanh.derivative_expr
(tanh(z), sech(z)**2)
>>> tanh.lipschitz, tanh.odd, tanh.sign_preserving
(1, True, True)
>>> relu = get_activation("relu")
>>> relu.derivative_expr, relu.derivative_at_zero
(Heaviside(z, 0), 0)
>>> get_activation("leaky_relu", slope=0.1).numpy([-1.0, 2.0]).tolist()
[-0.1, 2.0]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import mpmath
import numpy as np
import sympy as sp
from scipy.special import expit

from rnnsym.symbols import Z
from rnnsym.errors import DomainError, InvalidArgumentError, UnknownNameError
from rnnsym._parse import parse_expression
from rnnsym._parse import parse_function_of
from rnnsym.latex import latex
from rnnsym._matrices import as_expr, as_float_array
from rnnsym.kernel import compile as compile_kernel
from sympy.calculus.util import continuous_domain

__all__ = ["Activation", "ACTIVATION_NAMES", "get_activation", "custom_activation", "Z"]

#: The variable every activation is written in.

NumpyFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``phi`` with its SymPy form and calculus.

    Parameters
    ----------
    name : str
        Short ASCII name (``"tanh"``, ``"leaky_relu"``).
    expr : sympy.Expr
        ``phi(z)`` in the variable :data:`Z`.
    derivative_expr : sympy.Expr
        ``phi'(z)``, in a numerically safe form.
    lipschitz : sympy.Expr
        ``sup |phi'(z)|`` over the reals (the constant ``L_phi``).
    output_range : sympy.Interval
        The closure of ``phi``'s image.
    odd, sign_preserving : bool
        ``phi(-z) = -phi(z)``; ``sign(phi(z)) = sign(z)`` for every ``z``.
    numpy_function, numpy_derivative : callable
        Vectorised float implementations.
    derivative_at_zero : sympy.Expr
        The value used for ``phi'(0)`` (meaningful where ``phi`` has a kink).
    interval_form : str or None
        How an interval extension evaluates ``phi`` and ``phi'`` (used by
        :mod:`rnnsym.fixedpoints.intervals`): ``"tanh"``, ``"sigmoid"`` or
        ``"softsign"`` (``phi`` increasing, ``phi'`` even and decreasing in
        ``|z|``, ``phi`` affine on no interval), ``"pieces"`` (see
        ``pieces``); None for a custom activation.
    pieces : tuple or None
        For a piecewise-linear ``phi``: ``(z_lo, z_hi, slope, offset)`` per
        piece, in order, ``phi(z) = slope*z + offset`` on the closed
        ``[z_lo, z_hi]`` (adjacent pieces share their end); else None.
    lipschitz_is_estimate : bool
        True when ``lipschitz`` was estimated on grids, not found exactly
        (only a custom activation SymPy cannot analyse; see :func:`custom_activation`).
    """

    name: str
    expr: sp.Expr
    derivative_expr: sp.Expr
    lipschitz: sp.Expr
    output_range: sp.Set
    odd: bool
    sign_preserving: bool
    numpy_function: NumpyFunction = field(repr=False, compare=False)
    numpy_derivative: NumpyFunction = field(repr=False, compare=False)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)
    interval_form: str | None = field(default=None, compare=False)
    pieces: tuple[tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr], ...] | None = field(default=None, compare=False)
    lipschitz_is_estimate: bool = field(default=False, compare=False)

    @property
    def derivative_at_zero(self) -> sp.Expr:
        """``phi'(0)`` as this activation defines it."""
        return sp.sympify(self.derivative_expr.subs(Z, 0))

    def __call__(self, arg: Any) -> Any:
        """Apply ``phi`` symbolically, elementwise for matrices.

        >>> import sympy as sp
        >>> get_activation("tanh")(sp.Symbol("a"))
        tanh(a)
        """
        return _apply(self.expr, arg)

    def derivative(self, arg: Any) -> Any:
        """Apply ``phi'`` symbolically, elementwise for matrices.

        >>> import sympy as sp
        >>> get_activation("softsign").derivative(sp.Symbol("a"))
        (Abs(a) + 1)**(-2)
        """
        return _apply(self.derivative_expr, arg)

    def numpy(self, x: Any) -> np.ndarray:
        """``phi`` on floats, elementwise (strings are refused, never read as numbers)."""
        return self.numpy_function(_floats(x))

    def numpy_prime(self, x: Any) -> np.ndarray:
        """``phi'`` on floats, elementwise (strings are refused, never read as numbers)."""
        return self.numpy_derivative(_floats(x))

    def _latex_name(self) -> str:
        return _LATEX_NAMES.get(self.name, r"\phi")

    def __str__(self) -> str:
        return self.name

    def _repr_latex_(self) -> str:
        """``phi(z) = ...`` and its derivative, as a notebook shows them."""
        return (f"$\\displaystyle {self._latex_name()}(z) = {latex(self.expr)}, \\quad "
                f"{self._latex_name()}'(z) = {latex(self.derivative_expr)}$")


def _floats(x: Any) -> np.ndarray:
    """``x`` as float64 (NaN, infinities and empty arrays pass through); float arrays without a copy."""
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x
    return as_float_array(x, "x", allow_empty=True, finite=False)


def _apply(form: sp.Expr, arg: Any) -> Any:
    """``form`` at ``arg``: a number or SymPy expression, or each entry of a SymPy matrix.

    Nothing reaches ``sympify`` (it evaluates strings, also those nested in a
    tuple, dict or set): strings, containers and other objects are refused.
    """
    if isinstance(arg, sp.MatrixBase):
        return arg.applyfunc(lambda entry: form.subs(Z, entry))
    return form.subs(Z, as_expr(arg, "arg"))


_LATEX_NAMES = {
    "tanh": r"\tanh",
    "sigmoid": r"\sigma",
    "relu": r"\operatorname{ReLU}",
    "leaky_relu": r"\operatorname{LeakyReLU}",
    "hard_tanh": r"\operatorname{hardtanh}",
    "softsign": r"\operatorname{softsign}",
    "identity": r"\operatorname{id}",
}


def _tanh() -> Activation:
    return Activation(
        "tanh", sp.tanh(Z), sp.sech(Z) ** 2, sp.Integer(1), sp.Interval(-1, 1),
        True, True, np.tanh, _sech_squared, interval_form="tanh",
    )


def _sech_squared(x: np.ndarray) -> np.ndarray:
    """``sech(x)^2 = 4 e^{-2|x|} / (1 + e^{-2|x|})^2``: no overflow, full relative accuracy."""
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def _sigmoid() -> Activation:
    # sigma' = sigma (1 - sigma) = sech(z/2)^2 / 4: no cancellation, no overflow.
    return Activation(
        "sigmoid", 1 / (1 + sp.exp(-Z)), sp.sech(Z / 2) ** 2 / 4, sp.Rational(1, 4),
        sp.Interval(0, 1), False, False, expit, lambda x: expit(x) * expit(-x), interval_form="sigmoid",
    )


def _relu() -> Activation:
    return Activation(
        "relu", sp.Max(0, Z), sp.Heaviside(Z, 0), sp.Integer(1), sp.Interval(0, sp.oo),
        False, False, lambda x: np.maximum(x, 0.0), lambda x: np.heaviside(x, 0.0),
        interval_form="pieces", pieces=_linear_pieces((0, 0), (1, 0)),
    )


def _leaky_relu(slope: Any = sp.Rational(1, 100)) -> Activation:
    s = _check_slope(slope)          # a number in [0, 1]: symbols are refused there
    s_float = float(s)
    expr = sp.Piecewise((Z, Z > 0), (s * Z, True))
    deriv = sp.Piecewise((1, Z > 0), (s, True))
    return Activation(
        "leaky_relu", expr, deriv, sp.Max(1, s), sp.Interval(-sp.oo if s > 0 else 0, sp.oo),
        True if s == 1 else False, bool(s > 0),
        lambda x: np.where(x > 0, x, s_float * x),
        lambda x: np.where(x > 0, 1.0, s_float),
        params={"slope": s}, interval_form="pieces", pieces=_linear_pieces((s, 0), (1, 0)),
    )


def _check_slope(slope: Any) -> sp.Expr:
    try:
        if isinstance(slope, str):

            s = parse_expression(slope, argument="slope")
        elif isinstance(slope, float):
            s = sp.Rational(str(slope))
        else:  # numbers and SymPy expressions; never sympify (containers would be evaluated)
            s = as_expr(slope, "slope")
    except (sp.SympifyError, TypeError, ValueError):
        raise InvalidArgumentError(
            f"`slope` must be a real number in [0, 1]; got {slope!r}."
        ) from None
    if not (s.is_real and s.is_number and 0 <= s <= 1):
        raise InvalidArgumentError(f"`slope` must be a real number in [0, 1]; got {slope!r}.")
    return s


def _hard_tanh() -> Activation:
    expr = sp.Piecewise((-1, Z < -1), (Z, Z <= 1), (1, True))
    deriv = sp.Piecewise((1, (Z > -1) & (Z < 1)), (0, True))
    return Activation(
        "hard_tanh", expr, deriv, sp.Integer(1), sp.Interval(-1, 1), True, True,
        lambda x: np.clip(x, -1.0, 1.0), lambda x: ((x > -1) & (x < 1)).astype(float),
        interval_form="pieces", pieces=_linear_pieces((0, -1), (1, 0), (0, 1), kinks=(-1, 1)),
    )


def _softsign() -> Activation:
    return Activation(
        "softsign", Z / (1 + sp.Abs(Z)), 1 / (1 + sp.Abs(Z)) ** 2, sp.Integer(1),
        sp.Interval(-1, 1), True, True,
        lambda x: x / (1.0 + np.abs(x)), lambda x: 1.0 / (1.0 + np.abs(x)) ** 2,
        interval_form="softsign",
    )


def _identity() -> Activation:
    return Activation(
        "identity", Z, sp.Integer(1), sp.Integer(1), sp.Interval(-sp.oo, sp.oo), True, True,
        lambda x: np.array(x, dtype=float), lambda x: np.ones_like(x, dtype=float),
        interval_form="pieces", pieces=_linear_pieces((1, 0), kinks=()),
    )


def _linear_pieces(*forms: tuple[Any, Any], kinks: tuple = (0,)) -> tuple:
    """``(z_lo, z_hi, slope, offset)`` per piece from the ``(slope, offset)`` of each and the kinks between."""
    ends = [-sp.oo, *map(sp.sympify, kinks), sp.oo]
    return tuple((ends[k], ends[k + 1], sp.sympify(a), sp.sympify(c)) for k, (a, c) in enumerate(forms))


_FACTORIES: dict[str, Callable[..., Activation]] = {
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "hard_tanh": _hard_tanh,
    "softsign": _softsign,
    "identity": _identity,
}
_ALIASES = {"logistic": "sigmoid", "hardtanh": "hard_tanh", "linear": "identity",
            "leakyrelu": "leaky_relu"}

#: Names accepted by :func:`get_activation` (aliases: logistic, hardtanh, linear).
ACTIVATION_NAMES: tuple[str, ...] = tuple(_FACTORIES)


def get_activation(name: "str | Activation", **params: Any) -> Activation:
    """Look up a built-in activation by name.

    Parameters
    ----------
    name : str or Activation
        One of :data:`ACTIVATION_NAMES` or an alias; an :class:`Activation`
        is returned unchanged.
    **params
        ``slope`` for ``"leaky_relu"`` (default ``1/100``).

    Raises
    ------
    UnknownNameError
        For a name that is not an activation.

    Examples
    --------
    >>> get_activation("logistic").lipschitz
    1/4
    >>> get_activation("leaky_relu", slope="1/10").derivative_expr
    Piecewise((1, z > 0), (1/10, True))
    """
    if isinstance(name, Activation):
        if params:
            raise InvalidArgumentError(
                f"parameters {sorted(params)} given with an Activation object; "
                "pass them only with a name."
            )
        return name
    if not isinstance(name, str):
        raise InvalidArgumentError(
            f"`activation` must be a name or an Activation; got {type(name).__name__} {name!r}."
        )
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in _FACTORIES:
        raise UnknownNameError(
            f"`activation` {name!r} is not known; expected one of "
            f"{', '.join(ACTIVATION_NAMES)}, or use custom_activation()."
        )
    if params and key != "leaky_relu":
        raise InvalidArgumentError(
            f"`activation` {key!r} takes no parameters; got {sorted(params)}."
        )
    unknown = set(params) - {"slope"}
    if unknown:
        raise InvalidArgumentError(
            f"`leaky_relu` takes only `slope`; got {sorted(unknown)}."
        )
    return _FACTORIES[key](**params)


def custom_activation(expr: "sp.Expr | str", variable: "sp.Symbol | str" = "z",
                      *, name: str = "custom") -> Activation:
    """An activation from a user's own one-variable expression.

    A string is parsed by a whitelist grammar, never by ``eval``; any other
    ``expr`` must be a SymPy expression (never sympified).  ``phi`` must be
    real at every real ``z``: ``sqrt(z)``, ``log(z)`` or ``1/z`` raise
    :class:`~rnnsym.errors.DomainError` saying where they are not.

    ``phi'`` comes from ``sympy.diff``.  ``sup |phi'|`` (the Lipschitz
    constant) and the output range are exact where SymPy finds them (limits
    at ``+-oo``, kinks and singular points; values at critical points), else
    the range is R and the Lipschitz constant an estimate on grids up to
    ``|z| = 5000`` (``lipschitz_is_estimate``; ``oo`` where ``|phi'|`` grows
    with the grid, as ``2 z cos(z**2)``).  The SymPy work is bounded (see
    ``_EXACT_MAX_OPS`` and its neighbours; ``tanh`` nested four times took
    14 s of limits and 43 s of ``maximum`` unbounded).

    Examples
    --------
    >>> act = custom_activation("z/(1 + z**2)")
    >>> act.derivative_expr
    -2*z**2/(z**2 + 1)**2 + 1/(z**2 + 1)
    >>> act.odd, act.lipschitz, act.lipschitz_is_estimate, act.output_range
    (True, 1, False, Interval(-1/2, 1/2))
    """
    if not isinstance(variable, (str, sp.Symbol)):
        raise InvalidArgumentError(f"`variable` must be a name or a SymPy Symbol; got {type(variable).__name__}.")
    if isinstance(expr, str):
        var, form = parse_function_of(expr, variable if isinstance(variable, str) else variable.name,
                                      argument="activation")
    else:
        var = sp.Symbol(variable, real=True) if isinstance(variable, str) else variable
        if not isinstance(expr, sp.Expr) or not expr.free_symbols <= {var} or not expr.has(var):
            raise InvalidArgumentError(f"`expr` must be a SymPy expression in `{var}` alone (or a string); "
                                       f"got {type(expr).__name__} {str(expr)[:40]!r}.")
        form = expr
    form = form.subs(var, Z)
    budget = time.monotonic() + _EXACT_SECONDS
    kernel = compile_kernel(form, [Z])
    _require_real(form, kernel, budget)
    deriv = sp.diff(form, Z)
    lipschitz, estimate = _lipschitz(deriv, budget)
    sign_preserving = _sign_preserving_on_grid(form, kernel)
    ext = _extremes(form, budget, stop_at_infinity=False)
    return Activation(name, form, deriv, lipschitz, sp.Interval(*ext) if ext else sp.S.Reals,
                      _is_odd(form, kernel, budget), sign_preserving, kernel.__call__,
                      compile_kernel(deriv, [Z]).__call__, lipschitz_is_estimate=estimate)


#: Bounds of the exact calculus of a custom activation: most operations of an expression SymPy
#: solves or simplifies; deepest call nesting ``sympy.limit`` runs on (tanh three deep: 2 s); most
#: smooth pieces (between kinks and singular points); wall-clock seconds, checked between steps;
#: highest polynomial degree solved (root isolation of z**40/(1+z**42)'s critical points: minutes).
_EXACT_MAX_OPS, _LIMIT_MAX_DEPTH, _EXACT_MAX_PIECES, _EXACT_SECONDS, _MAX_DEGREE = 80, 2, 16, 5.0, 16
_KINKED = (sp.Abs, sp.sign, sp.Heaviside)
_SMOOTH = (sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.cot, sp.tanh, sp.coth, sp.sinh, sp.cosh,
           sp.sech, sp.csch, sp.atanh, sp.atan, sp.asinh, sp.erf, sp.DiracDelta)
_SYMPY_FAILS = (NotImplementedError, ValueError, TypeError, RecursionError)


def _depth(expr: sp.Basic) -> int:
    return max((_depth(a) for a in expr.args), default=0) + isinstance(expr, sp.Function)


def _cheap(expr: sp.Expr, budget: float) -> bool:
    return sp.count_ops(expr) <= _EXACT_MAX_OPS and time.monotonic() < budget


def _sign_preserving_on_grid(form: sp.Expr, kernel: Any) -> bool:
    """``sign(phi(z)) = sign(z)`` on ``[-50, 50]``; float zeros off 0 (``z exp(-z^2)`` underflows) re-read by mpmath."""
    grid = np.linspace(-50, 50, 20001)
    with np.errstate(all="ignore"):
        signs = np.sign(kernel(grid))
    again = np.flatnonzero((signs == 0) & (grid != 0))
    if again.size:
        exact = sp.lambdify(Z, form, modules="mpmath")
        with mpmath.workdps(30):
            for i in again:
                signs[i] = float(mpmath.sign(exact(mpmath.mpf(float(grid[i])))))
    return bool(np.all(signs == np.sign(grid)))


def _definite(value: Any) -> bool:
    """An extended real number (``+-oo`` included), not NaN, complex infinity or an oscillation."""
    return value in (sp.oo, -sp.oo) or (isinstance(value, sp.Expr) and value.is_extended_real is True
                                         and value.is_comparable and not value.has(sp.AccumBounds))


def _key(value: sp.Expr) -> float:
    return float(value) if value.is_infinite else float(sp.N(value, 30))


def _limit(expr: sp.Expr, point: sp.Expr, direction: str, budget: float) -> sp.Expr | None:
    """The one-sided limit of ``expr`` at ``point`` (at ``+-oo`` possibly finite bounds of an
    oscillation, ``AccumBounds``), or None where SymPy cannot tell cheaply."""
    def usable(value: Any, evaluated: bool) -> bool:  # an evaluated pole is no one-sided limit
        bounded = isinstance(value, sp.AccumBounds) and point.is_infinite and value.delta.is_finite
        return bounded or (_definite(value) and (point.is_infinite or value.is_finite or not evaluated))
    if not any(p.exp.has(Z) for p in expr.atoms(sp.Pow)):  # continuous functions: ``tanh(oo) = 1``
        value = expr.subs(Z, point)
        if usable(value, True):
            return value
    if not _cheap(expr, budget) or _depth(expr) > _LIMIT_MAX_DEPTH:
        return None
    try:
        value = sp.limit(expr, Z, point, direction)
    except _SYMPY_FAILS:
        return None
    return value if usable(value, False) else None


def _solutions(expr: sp.Expr, domain: sp.Set, budget: float) -> list[sp.Expr] | None:
    """Real zeros of ``expr`` in ``domain`` (a periodic family as one point in an integer ``n``),
    or None unless SymPy finds them all."""
    if not _solvable(expr, budget):
        return None
    try:
        zeros = sp.solveset(expr, Z, domain)
    except _SYMPY_FAILS:
        return None
    points: list[sp.Expr] = []
    for family in zeros.args if isinstance(zeros, sp.Union) else (zeros,):
        if isinstance(family, sp.FiniteSet) and len(family) <= _EXACT_MAX_PIECES:
            points += family.args
        elif isinstance(family, sp.ImageSet) and domain == sp.S.Reals and family.base_sets == (sp.S.Integers,):
            points.append(family.lamda.expr.subs(family.lamda.variables[0], sp.Symbol("n", integer=True)))
        elif family is not sp.S.EmptySet:
            return None
    return points


def _solvable(expr: sp.Expr, budget: float) -> bool:
    """Small enough for ``solveset``: few operations, polynomial degrees at most ``_MAX_DEGREE``."""
    if not _cheap(expr, budget):
        return False
    def degree(part: sp.Expr) -> int:  # of the distinct factors: (z**8 + 1)**3 counts 8
        bases = [f.base if f.is_Pow and f.exp.is_Integer and f.exp > 0 else f for f in sp.Mul.make_args(part)]
        return sum(sp.degree(b, Z) if b.is_polynomial(Z) else max(
            (abs(p.exp) for p in b.atoms(sp.Pow) if p.base.has(Z) and p.exp.is_Integer), default=0) for b in bases)
    return all(degree(part) <= _MAX_DEGREE for part in sp.fraction(sp.together(expr)))  # zeros, poles


def _sorted_points(points: Any) -> list[sp.Expr] | None:
    return sorted(points, key=_key) if all(p.is_comparable for p in points) else None


def _on_piece(expr: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    """``expr`` with ``Abs``, ``sign``, ``Heaviside`` resolved on ``(lo, hi)`` (their arguments keep a sign)."""
    sample = (hi - 1 if lo.is_infinite else lo + 1) if lo.is_infinite != hi.is_infinite else (
        0 if lo.is_infinite else (lo + hi) / 2)
    for _ in range(16):
        nodes = [n for n in expr.atoms(*_KINKED) if n.args[0].has(Z)]
        if not nodes:
            return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
        signs = {n: sp.sign(sp.N(n.args[0].subs(Z, sample), 30)) for n in nodes}
        if any(s not in (1, -1) for s in signs.values()):
            return None
        expr = expr.xreplace({n: {sp.Abs: s * n.args[0], sp.sign: s}.get(type(n), (s + 1) / 2)
                              for n, s in signs.items()})
    return None


def _extremes(f: sp.Expr, budget: float, *, stop_at_infinity: bool) -> tuple[sp.Expr, sp.Expr] | None:
    """Exact ``(inf, sup)`` of ``f`` over the reals (``+-oo`` included), or None where SymPy cannot tell."""
    f = f.rewrite(sp.Abs) if f.has(sp.Max, sp.Min) else f
    if not all(isinstance(g, _SMOOTH + _KINKED) for g in f.atoms(sp.Function)):
        return None  # Piecewise, floor, undefined functions: estimate
    kinks: list[sp.Expr] = []
    for node in f.atoms(*_KINKED):
        zeros = _solutions(node.args[0], sp.S.Reals, budget)
        if zeros is None or any(p.free_symbols for p in zeros):
            return None  # unknown, or infinitely many kinks (abs(sin(z)))
        kinks += zeros
    ends = _sorted_points(set(kinks))
    if ends is None:
        return None
    pieces = []
    for lo, hi in zip([-sp.oo, *ends], [*ends, sp.oo]):
        piece = _on_piece(f, lo, hi)
        if piece is None or not _solvable(piece, budget):
            return None
        try:
            bad = sp.Interval.open(lo, hi) - continuous_domain(piece, Z, sp.Interval.open(lo, hi))
        except _SYMPY_FAILS:
            return None
        cuts = _sorted_points(bad) if isinstance(bad, sp.FiniteSet) or bad is sp.S.EmptySet else None
        if cuts is None or time.monotonic() > budget:
            return None
        pieces += [(piece, a, b) for a, b in zip([lo, *cuts], [*cuts, hi])]
    if len(pieces) > _EXACT_MAX_PIECES:
        return None
    limits = [_limit(piece, end, side, budget) for piece, a, b in pieces for end, side in ((a, "+"), (b, "-"))]
    if any(v is None for v in limits):
        return None
    swings = [v for v in limits if isinstance(v, sp.AccumBounds)]  # oscillation at +-oo, within bounds
    values: list[sp.Expr] = [v for v in limits if v is not None and not isinstance(v, sp.AccumBounds)]
    if not (stop_at_infinity and any(v.is_infinite for v in values)):  # else the answer is settled
        for piece, a, b in pieces:
            slope = sp.diff(piece, Z)
            points = [] if slope == 0 else _solutions(slope, sp.Interval.open(a, b), budget)
            if points is None:
                return None
            values += [sp.simplify(v) if _cheap(v, budget) else v for v in (piece.subs(Z, p) for p in points)]
    if not values or not all(_definite(v) for v in values):
        return None
    lo, hi = min(values, key=_key), max(values, key=_key)
    # an oscillation's limsup lies within its bounds: settled when the critical values reach them
    return (lo, hi) if all(_key(lo) <= _key(b.min) and _key(b.max) <= _key(hi) for b in swings) else None


def _lipschitz(deriv: sp.Expr, budget: float) -> tuple[sp.Expr, bool]:
    """``(sup |phi'|, is_estimate)``: exact where :func:`_extremes` succeeds, else estimated on grids."""
    ext = _extremes(deriv, budget, stop_at_infinity=True)
    if ext is not None:
        return max((sp.Abs(v) for v in ext), key=_key), False
    kernel, maxima = compile_kernel(deriv, [Z]), []
    with np.errstate(all="ignore"):
        for radius in (50.0, 500.0, 5000.0):
            slopes = np.abs(np.asarray(kernel(np.linspace(-radius, radius, 200001)), dtype=float))
            maxima.append(float(np.nanmax(slopes)) if not np.isnan(slopes).all() else float("nan"))
    if not np.isfinite(maxima).all() or maxima[2] > 4 * maxima[1] > 16 * maxima[0]:
        return sp.oo, True  # infinite on the grid, or growing with it (2 z cos(z**2)): no bound
    return sp.Float(max(maxima), 6), True


def _is_odd(form: sp.Expr, kernel: Any, budget: float) -> bool:
    """``phi(-z) = -phi(z)``, True only where SymPy shows it (a numeric counterexample settles False)."""
    total = form.subs(Z, -Z) + form
    probe = np.array([0.3, 0.8, 1.7, 2.9, 4.1, 9.5])
    with np.errstate(all="ignore"):
        plus, minus = np.asarray(kernel(probe), dtype=float), np.asarray(kernel(-probe), dtype=float)
    if total == 0 or np.any(np.abs(plus + minus) > 1e-9 * (1 + np.abs(plus))):
        return total == 0
    return bool(_cheap(total, budget) and sp.simplify(total) == 0)


def _periodic(found: sp.Set) -> bool:
    """A non-empty family ``{f(n) : n integer}`` (or a union with one), such as the poles of tan."""
    parts = found.args if isinstance(found, sp.Union) else (found,)
    return any(isinstance(s, sp.ImageSet) and s.base_sets == (sp.S.Integers,) for s in parts)


def _require_real(form: sp.Expr, kernel: Any, budget: float) -> None:
    """Raise DomainError unless ``phi`` is real at every real ``z`` (symbolically where SymPy can)."""
    conditions = []  # where phi is not real: a power, log, atanh or tan outside its real domain
    for node in sp.preorder_traversal(form):
        if isinstance(node, sp.Pow) and node.base.has(Z) and not (node.exp.is_integer and node.exp >= 0):
            conditions.append(sp.Eq(node.base, 0) if node.exp.is_integer else node.base <= 0
                              if node.exp.is_negative or node.exp.has(Z) else node.base < 0)
        elif isinstance(node, sp.log):
            conditions.append(node.args[0] <= 0)
        elif isinstance(node, sp.atanh):
            conditions.append(sp.Abs(node.args[0]) >= 1)
        elif isinstance(node, sp.tan):
            conditions.append(sp.Eq(sp.cos(node.args[0]), 0))
    where: Any = None
    for bad in conditions:
        if bad == sp.true:
            where = sp.S.Reals
        elif bad != sp.false and _solvable(bad.lhs, budget):
            try:
                found = sp.solveset(bad, Z, sp.S.Reals)
            except _SYMPY_FAILS:
                continue
            where = found if found.is_empty is False or _periodic(found) else None
        if where is not None:
            break
    if where is None:  # what SymPy could not decide: look for NaN on a grid and confirm it exactly
        grid = np.linspace(-50, 50, 20001)
        with np.errstate(all="ignore"):
            values = np.asarray(kernel(grid))
        for z0 in grid[np.isnan(values) | np.iscomplex(values)][:3]:
            exact = sp.N(form.subs(Z, sp.Rational(str(z0))), 20)
            if not _definite(exact) or exact.is_infinite:
                where = f"z = {z0:g}"
                break
    if where is not None:
        raise DomainError(f"`activation` {form} is not real for every real z (not for {where}); an activation "
                          "is applied to every pre-activation: write it so, for example with abs(z).")
