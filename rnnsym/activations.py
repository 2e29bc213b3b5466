"""Activation functions that carry their own calculus.

An :class:`Activation` holds the SymPy form ``phi(z)``, its derivative, its
Lipschitz constant ``sup |phi'|``, its output range, whether it is odd and
whether it preserves sign, and a NumPy implementation that agrees with the
SymPy form (property-tested in ``tests/test_activations.py``).

The derivative is stored in a numerically safe form (``sech(z)**2`` for
tanh, not SymPy's ``1 - tanh(z)**2``, which loses every digit from
``|z| >= 19``); the tests check that it equals ``sympy.diff`` of the form.

Where a derivative jumps (ReLU and leaky ReLU at 0, hard tanh at +-1) the
value at the kink is the one PyTorch's autograd uses: the derivative from the
left for ReLU and leaky ReLU (so ``ReLU'(0) = 0``), and 0 at the corners of
hard tanh.

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

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp
from scipy.special import expit

from rnnsym.symbols import Z
from rnnsym.errors import InvalidArgumentError, UnknownNameError
from rnnsym._parse import parse_expression
from rnnsym._parse import parse_function_of
from rnnsym.kernel import compile as compile_kernel
from sympy.calculus.util import maximum

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
        """``phi`` on floats, elementwise."""
        return self.numpy_function(np.asarray(x, dtype=float))

    def numpy_prime(self, x: Any) -> np.ndarray:
        """``phi'`` on floats, elementwise."""
        return self.numpy_derivative(np.asarray(x, dtype=float))

    def _latex_name(self) -> str:
        return _LATEX_NAMES.get(self.name, r"\phi")

    def __str__(self) -> str:
        return self.name


def _apply(form: sp.Expr, arg: Any) -> Any:
    if isinstance(arg, sp.MatrixBase):
        return arg.applyfunc(lambda entry: form.subs(Z, entry))
    return form.subs(Z, sp.sympify(arg))


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
        True, True, np.tanh, _sech_squared,
    )


def _sech_squared(x: np.ndarray) -> np.ndarray:
    """``sech(x)^2 = 4 e^{-2|x|} / (1 + e^{-2|x|})^2``: no overflow, full relative accuracy."""
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def _sigmoid() -> Activation:
    # sigma' = sigma (1 - sigma) = sech(z/2)^2 / 4: no cancellation, no overflow.
    return Activation(
        "sigmoid", 1 / (1 + sp.exp(-Z)), sp.sech(Z / 2) ** 2 / 4, sp.Rational(1, 4),
        sp.Interval(0, 1), False, False, expit, lambda x: expit(x) * expit(-x),
    )


def _relu() -> Activation:
    return Activation(
        "relu", sp.Max(0, Z), sp.Heaviside(Z, 0), sp.Integer(1), sp.Interval(0, sp.oo),
        False, False, lambda x: np.maximum(x, 0.0), lambda x: np.heaviside(x, 0.0),
    )


def _leaky_relu(slope: Any = sp.Rational(1, 100)) -> Activation:
    s = _check_slope(slope)
    s_float = float(s) if s.is_number else None
    if s_float is None:
        raise InvalidArgumentError(
            f"`slope` must be a number for a NumPy implementation; got {slope!r}. "
            "Substitute a value first."
        )
    expr = sp.Piecewise((Z, Z > 0), (s * Z, True))
    deriv = sp.Piecewise((1, Z > 0), (s, True))
    return Activation(
        "leaky_relu", expr, deriv, sp.Max(1, s), sp.Interval(-sp.oo, sp.oo),
        True if s == 1 else False, bool(s > 0),
        lambda x: np.where(x > 0, x, s_float * x),
        lambda x: np.where(x > 0, 1.0, s_float),
        params={"slope": s},
    )


def _check_slope(slope: Any) -> sp.Expr:
    try:
        if isinstance(slope, str):

            s = parse_expression(slope, argument="slope")
        elif isinstance(slope, float):
            s = sp.Rational(str(slope))
        else:
            s = sp.sympify(slope, strict=True)
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
    )


def _softsign() -> Activation:
    return Activation(
        "softsign", Z / (1 + sp.Abs(Z)), 1 / (1 + sp.Abs(Z)) ** 2, sp.Integer(1),
        sp.Interval(-1, 1), True, True,
        lambda x: x / (1.0 + np.abs(x)), lambda x: 1.0 / (1.0 + np.abs(x)) ** 2,
    )


def _identity() -> Activation:
    return Activation(
        "identity", Z, sp.Integer(1), sp.Integer(1), sp.Interval(-sp.oo, sp.oo), True, True,
        lambda x: np.array(x, dtype=float), lambda x: np.ones_like(x, dtype=float),
    )


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

    The derivative comes from ``sympy.diff``; the Lipschitz constant is the
    supremum of ``|phi'|`` found by SymPy where it can, otherwise estimated
    on a dense grid (and then only an estimate).  A string is parsed by a
    whitelist grammar, never by ``eval``.

    Examples
    --------
    >>> act = custom_activation("z/(1 + z**2)")
    >>> act.derivative_expr
    -2*z**2/(z**2 + 1)**2 + 1/(z**2 + 1)
    >>> act.odd, act.lipschitz
    (True, 1)
    """

    if isinstance(expr, str):
        var_name = variable if isinstance(variable, str) else variable.name
        var, form = parse_function_of(expr, var_name, argument="activation")
    else:
        var = sp.Symbol(variable, real=True) if isinstance(variable, str) else variable
        form = sp.sympify(expr)
        if not isinstance(form, sp.Expr) or not form.free_symbols <= {var}:
            raise InvalidArgumentError(
                f"`expr` must be an expression in `{var}` alone; got {expr!r}."
            )
    form = form.subs(var, Z)
    deriv = sp.diff(form, Z)
    odd = sp.simplify(form.subs(Z, -Z) + form) == 0
    lipschitz = _lipschitz(deriv)
    kernel = compile_kernel(form, [Z])
    dkernel = compile_kernel(deriv, [Z])
    grid = np.linspace(-50, 50, 20001)
    values = kernel(grid)
    sign_preserving = bool(np.all(np.sign(values) == np.sign(grid)))
    lo, hi = sp.limit(form, Z, -sp.oo), sp.limit(form, Z, sp.oo)
    rng = sp.Interval(sp.Min(lo, hi), sp.Max(lo, hi)) if lo.is_real and hi.is_real else sp.S.Reals
    return Activation(name, form, deriv, lipschitz, rng, bool(odd), sign_preserving,
                      kernel.__call__, dkernel.__call__)


def _lipschitz(deriv: sp.Expr) -> sp.Expr:

    try:
        sup = maximum(sp.Abs(deriv), Z, sp.S.Reals)
        if sup.is_number and sup.is_finite:
            return sp.nsimplify(sup)
    except (NotImplementedError, ValueError, TypeError):
        pass

    grid = np.linspace(-50, 50, 200001)
    return sp.Float(float(np.max(np.abs(compile_kernel(deriv, [Z])(grid)))), 6)
