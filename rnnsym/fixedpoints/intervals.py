"""Interval extensions of the built-in activations, with outward rounding (:mod:`mpmath.iv`).

:func:`phi` and :func:`dphi` enclose ``phi(Z)`` and ``phi'(Z)`` (for a
piecewise-linear ``phi``: the hull of the slopes of the pieces ``Z`` meets,
which encloses every difference quotient on ``Z``) for an interval ``Z``.
They read the activation's metadata (``Activation.interval_form`` and
``Activation.pieces``) and handle each activation's pieces explicitly:

* every built-in ``phi`` is nondecreasing, so ``phi(Z)`` is the hull of
  ``phi`` at the two ends of ``Z``, each evaluated on a point interval;
* ``tanh``, ``sigmoid`` and ``softsign`` have ``phi'`` even and decreasing
  in ``|z|``, so ``phi'(Z)`` is ``phi'`` at the largest and the smallest
  ``|z|`` of ``Z``;
* ``mpmath.iv`` has ``exp`` and ``expm1`` but no ``tanh``: ``tanh(x) =
  -expm1(-2x) / (2 + expm1(-2x))`` for ``x >= 0`` and ``-tanh(-x)`` below
  (no overflow, and ``tanh(0) = 0`` exactly), ``sigmoid(x) = 1 / (1 +
  exp(-x))``, ``sech(x)^2 = 4e / (1 + e)^2`` and ``sigmoid'(x) = e' / (1 +
  e')^2`` with ``e = exp(-2|x|)``, ``e' = exp(-|x|)``; beyond ``|x| >
  CLAMP`` the monotone value at ``CLAMP`` and the limit bound the result;
* ``softsign`` is ``x / (1 + x)`` for ``x >= 0`` and ``x / (1 - x)`` below,
  ``softsign'`` is ``1 / (1 + |x|)^2``;
* a piecewise-linear ``phi`` is ``slope * x + offset`` on the piece holding
  ``x`` (at a kink the adjacent pieces agree).

The precision is the caller's (:func:`precision`, bits); every operation
rounds outward, so the results are rigorous enclosures of the exact values
for the exact (float) arguments.

>>> from rnnsym.activations import get_activation
>>> with precision(100):
...     enclosure = phi(get_activation("tanh"), iv.mpf([0, 1]))
>>> ends(enclosure)[0] == 0 and abs(ends(enclosure)[1] - mpmath.tanh(1)) < 1e-25
True
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import mpmath
from mpmath import iv

__all__ = ["CLAMP", "supports", "nowhere_affine", "precision", "ends", "interval", "hull",
           "phi", "dphi", "phi_point"]

#: Beyond ``|x| > CLAMP`` the saturating forms are bounded by their value at ``CLAMP`` and their limit.
CLAMP = mpmath.mpf(2) ** 20

_SMOOTH = ("tanh", "sigmoid", "softsign")


def supports(act: Any) -> bool:
    """Whether :func:`phi` and :func:`dphi` know this activation (the built-ins do, custom ones do not)."""
    form = getattr(act, "interval_form", None)
    return form in _SMOOTH or (form == "pieces" and getattr(act, "pieces", None) is not None)


def nowhere_affine(act: Any) -> bool:
    """``phi`` is affine on no interval (analytic and not affine on each of its pieces)."""
    return getattr(act, "interval_form", None) in _SMOOTH


@contextmanager
def precision(bits: int) -> Iterator[None]:
    """Set ``mpmath.iv``'s working precision (bits) inside the block."""
    old = iv.prec
    iv.prec = int(bits)
    try:
        yield
    finally:
        iv.prec = old


def ends(x: Any) -> tuple[Any, Any]:
    """The ends of an interval as ``mpmath.mpf``, exactly (at least ``iv.prec`` bits, not rounded to ``mp.prec``)."""
    with mpmath.workprec(max(mpmath.mp.prec, iv.prec)):
        return mpmath.mpf(x.a), mpmath.mpf(x.b)


def interval(lo: Any, hi: Any = None) -> Any:
    """The interval ``[lo, hi]`` (a point interval when ``hi`` is None), rounded outward."""
    return iv.mpf([lo, lo if hi is None else hi])


def hull(*xs: Any) -> Any:
    """The smallest interval holding every interval in ``xs``."""
    return iv.mpf([min(ends(x)[0] for x in xs), max(ends(x)[1] for x in xs)])


# -- point evaluations (x an mpf; the result an interval) ------------------------------------
def _tanh(x: Any) -> Any:
    if x < 0:
        return -_tanh(-x)
    if x > CLAMP:
        return iv.mpf([_tanh(CLAMP).a, 1])
    e = iv.expm1(-2 * iv.mpf(x))
    return -e / (2 + e)


def _sech2(x: Any) -> Any:
    x = abs(x)
    if x > CLAMP:
        return iv.mpf([0, _sech2(CLAMP).b])
    e = iv.exp(-2 * iv.mpf(x))
    return 4 * e / (1 + e) ** 2


def _sigmoid(x: Any) -> Any:
    if abs(x) > CLAMP:
        return iv.mpf([_sigmoid(CLAMP).a, 1]) if x > 0 else iv.mpf([0, _sigmoid(-CLAMP).b])
    return 1 / (1 + iv.exp(-iv.mpf(x)))


def _dsigmoid(x: Any) -> Any:
    x = abs(x)
    if x > CLAMP:
        return iv.mpf([0, _dsigmoid(CLAMP).b])
    e = iv.exp(-iv.mpf(x))
    return e / (1 + e) ** 2


def _softsign(x: Any) -> Any:
    X = iv.mpf(x)
    return X / (1 + X) if x >= 0 else X / (1 - X)


def _dsoftsign(x: Any) -> Any:
    return 1 / (1 + iv.mpf(abs(x))) ** 2


_POINT = {"tanh": (_tanh, _sech2), "sigmoid": (_sigmoid, _dsigmoid), "softsign": (_softsign, _dsoftsign)}


def _linear_point(act: Any, x: Any) -> Any:
    for lo, hi, slope, offset in act.pieces:
        if (not lo.is_finite or x >= _mp(lo)) and (not hi.is_finite or x <= _mp(hi)):
            return _iv_number(slope) * iv.mpf(x) + _iv_number(offset)
    raise AssertionError("the pieces cover the real line")  # pragma: no cover


def _mp(value: Any) -> Any:
    return mpmath.mpf(value.p) / value.q if value.is_Rational else mpmath.mpf(str(value))


def _iv_number(value: Any) -> Any:
    """A SymPy number as an interval (a rational exactly, as ``p / q`` rounded outward)."""
    if value.is_Rational:
        return iv.mpf(int(value.p)) / int(value.q)
    return iv.mpf(str(value.evalf(mpmath.mp.dps + 20)))


def phi_point(act: Any, x: Any) -> Any:
    """An interval holding ``phi(x)`` for the number ``x``."""
    x = mpmath.mpf(x)
    if act.interval_form == "pieces":
        return _linear_point(act, x)
    return _POINT[act.interval_form][0](x)


def phi(act: Any, Z: Any) -> Any:
    """An interval holding ``phi(Z)`` (``phi`` is nondecreasing: the hull of its values at the ends)."""
    lo, hi = ends(Z)
    return iv.mpf([phi_point(act, lo).a, phi_point(act, hi).b])


def dphi(act: Any, Z: Any) -> Any:
    """An interval holding ``phi'`` on ``Z`` (piecewise-linear: every slope of a piece that ``Z`` meets)."""
    lo, hi = ends(Z)
    if act.interval_form == "pieces":
        slopes = [_iv_number(a) for p_lo, p_hi, a, _ in act.pieces
                  if (not p_hi.is_finite or _mp(p_hi) >= lo) and (not p_lo.is_finite or _mp(p_lo) <= hi)]
        return hull(*slopes)
    d = _POINT[act.interval_form][1]
    near = mpmath.mpf(0) if lo <= 0 <= hi else min(abs(lo), abs(hi))
    return iv.mpf([d(max(abs(lo), abs(hi))).a, d(near).b])
