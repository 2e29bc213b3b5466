"""A fifth reading of the cell equations: rigorous interval enclosures, and the Krawczyk test on them.

:class:`IntervalOps` reads a cell's ``_equations`` (:mod:`rnnsym.cells._ops`)
in midpoint-radius interval arithmetic (Rump's ``<c, r>``: every ``x``
with ``|x - c| <= r``), with forward-mode derivatives, so one evaluation
on a box ``X`` encloses ``F(X)`` and the Jacobian ``F'(X)`` over ``X``.
Rigour, on float64 numbers in round-to-nearest:

* the weights are floats, taken exactly; each midpoint is computed in
  float64 and its rounding error is added to the radius (``gamma_k |W||c|``
  for a length-``k`` dot product, ``gamma_k = k u / (1 - k u)``, whatever the
  order of summation; one ``u`` per sum, product and difference);
* every radius is an expression of nonnegative terms computed in
  round-to-nearest, multiplied by ``1 + 2 (k + 2) u`` for ``k`` roundings
  and increased by ``2**-960`` (every possible underflow), so it bounds
  the exact value;
* activations and their derivatives on an interval ``[lo, hi]``: every
  built-in activation is nondecreasing and its derivative even and
  decreasing in ``|z|``, so each is enclosed by bounds at two points (the
  ends; the largest and smallest ``|z|``).  For ``tanh`` and ``sigmoid``
  (the gated cells') each bound is computed by :func:`_bound` in
  :mod:`mpmath.libmp`'s directed rounding at ``DIRECT_BITS`` bits, every operation
  rounded toward the side it bounds (the formulas are monotone in the
  ``exp`` they hold, below), then rounded to a float in that direction and
  moved one float further out; the other activations go through
  :mod:`rnnsym.fixedpoints.intervals` (:mod:`mpmath.iv`, outward rounding),
  which the tests use as the reference for both.  The direct route is about
  20 times faster than the interval objects, and the activations were 95%
  of a certificate's time.

:func:`krawczyk` proves that a box ``m +- t`` (infinity norm) holds exactly
one fixed point of ``F(., x)``: with ``G(s) = F(s, x) - s``, ``Y`` a float
approximation of ``G'(m)^{-1}`` and ``X = m +- t``, the Krawczyk operator
``K(X) = m - Y G(m) + (I - Y G'(X))(X - m)`` lies in ``m +- rho`` with
``rho = |Y G(m)| + |I - Y G'(X)| t``; ``rho < t`` in every coordinate puts
``K(X)`` in the interior of ``X``, which proves that ``G`` has exactly one
zero in ``X`` (Krawczyk 1969; Moore 1977; Rump, Acta Numerica 2010, Thm
13.3), and that zero lies in ``m +- rho`` as well, and within
``|Y G(m)|_inf / (1 - kappa)`` of ``m``, ``kappa`` the largest row sum of
``|I - Y G'(X)|`` (below 1 when the box passes; tighter than ``rho`` on a
wide box, so one wide box proves a tight radius).  A degenerate fixed
point (``I - J`` singular) cannot pass; nor a cell without interval
extensions (a custom cell, a custom activation).

Examples
--------
>>> import numpy as np
>>> from rnnsym.cells import GRUCell
>>> W = np.zeros((3, 1)); b = np.array([0.0, 0.0, 0.5])   # h -> (tanh(0.5) + h) / 2: h* = tanh(0.5)
>>> box = krawczyk(GRUCell(W, W, b, np.zeros(3)), np.array([np.tanh(0.5)]), np.zeros(1))
>>> bool(box.radius < 1e-14), bool(box.unique_within >= 1e-4)
(True, True)
>>> bool(abs(box.center[0] - 0.4621171572600097585) <= box.radius)   # tanh(1/2) = 0.46211715726000975850...
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import reduce
from typing import Any, NamedTuple, Sequence

import mpmath
import numpy as np
from mpmath import libmp

from rnnsym.fixedpoints.intervals import CLAMP, dphi, ends, interval, phi, precision, supports

__all__ = ["Box", "IntervalOps", "Certificate", "krawczyk"]

U = 2.0 ** -53
#: Added to every radius: covers every underflow (at most ``2**-1075`` each).
TINY = 2.0 ** -960
#: Working precision (bits) of the activation enclosures through mpmath.iv.
BITS = 80
#: Working precision (bits) of the direct route (:func:`_bound`; directed rounding, so any precision is
#: rigorous: 64 bits leave the float bounds within two floats of the value, at half the time of 80).
DIRECT_BITS = 64


def _up(x: np.ndarray, ops: int) -> np.ndarray:
    """An upper bound of the exact value of a nonnegative expression computed with ``ops`` roundings."""
    return x * (1.0 + 2.0 * (ops + 2) * U) + TINY


class Box(NamedTuple):
    """Midpoint-radius intervals: every ``x`` with ``|x - c| <= r`` (arrays of one shape)."""

    c: np.ndarray
    r: np.ndarray

    @classmethod
    def point(cls, c: np.ndarray) -> "Box":
        c = np.asarray(c, dtype=float)
        return cls(c, np.zeros_like(c))


def _box(a: Any) -> Box:
    return a if isinstance(a, Box) else Box.point(a)


def _sum(terms: Sequence[Box]) -> Box:
    c = reduce(np.add, [t.c for t in terms])
    k = len(terms)
    size = reduce(np.add, [np.abs(t.c) for t in terms])
    return Box(c, _up(reduce(np.add, [t.r for t in terms]) + (k * U) * size, 3 * k + 2))


def _product(a: Box, b: Box) -> Box:
    c = a.c * b.c
    return Box(c, _up(np.abs(a.c) * b.r + a.r * np.abs(b.c) + a.r * b.r + 2 * U * np.abs(c), 8))


def _matmul(W: np.ndarray, a: Box) -> Box:
    """``W a`` for an exact float matrix ``W`` and a vector ``(k,)`` or matrix ``(k, p)`` of intervals."""
    k = W.shape[1]
    absW = np.abs(W)
    g = 1.01 * (k + 1) * U
    return Box(W @ a.c, _up(absW @ (a.r + g * np.abs(a.c)), k + 4))


def _outward(lo: Any, hi: Any) -> tuple[float, float]:
    """Floats ``a <= lo`` and ``b >= hi`` for mpmath numbers ``lo <= hi``."""
    a, b = float(lo), float(hi)
    if a > lo:
        a = float(np.nextafter(a, -np.inf))
    if b < hi:
        b = float(np.nextafter(b, np.inf))
    return a, b


def _from_ends(lo: np.ndarray, hi: np.ndarray) -> Box:
    c = 0.5 * lo + 0.5 * hi
    return Box(c, _up(np.maximum(hi - c, c - lo), 2))


DOWN, UP = libmp.round_floor, libmp.round_ceiling
_OTHER = {DOWN: UP, UP: DOWN}
_ONE, _TWO = libmp.fone, libmp.from_int(2)
_CLAMP = float(CLAMP)


def _float(v: Any, rnd: str, low: float, high: float) -> float:
    """The raw mpf ``v`` as a float bound on the side ``rnd``, kept in ``[low, high]`` (the function's range).

    ``to_float`` rounds in the direction ``rnd`` except in the subnormal
    range (to nearest there): one more float outward covers both.
    """
    f = libmp.to_float(v, rnd=rnd)
    f = math.nextafter(f, -math.inf) if rnd == DOWN else math.nextafter(f, math.inf)
    return min(max(f, low), high)


def _tanh_bound(x: float, rnd: str) -> float:
    """A bound on ``tanh(x)`` from below (``rnd = DOWN``) or above (``UP``) for the float ``x``.

    ``tanh(x) = 1 - 2 / (exp(2x) + 1)`` (``x >= 0``; odd below), increasing
    in ``exp(2x)``; extra bits for small ``x``, where the difference cancels.
    """
    if x < 0:
        return -_tanh_bound(-x, _OTHER[rnd])
    if x > _CLAMP:   # tanh(CLAMP) <= tanh(x) <= 1
        if rnd == UP:
            return 1.0
        x = _CLAMP
    bits = DIRECT_BITS + max(0, -math.frexp(x)[1])
    e = libmp.mpf_exp(libmp.from_float(2.0 * x), bits, rnd)
    q = libmp.mpf_div(_TWO, libmp.mpf_add(e, _ONE, bits, rnd), bits, _OTHER[rnd])
    return _float(libmp.mpf_sub(_ONE, q, bits, rnd), rnd, -1.0, 1.0)


def _sigmoid_bound(x: float, rnd: str) -> float:
    """A bound on ``sigmoid(x) = 1 / (1 + exp(-x))`` (decreasing in ``exp(-x)``) on the side ``rnd``."""
    if x > _CLAMP or x < -_CLAMP:   # sigmoid(CLAMP) <= sigmoid(x) <= 1, or 0 <= sigmoid(x) <= sigmoid(-CLAMP)
        if (rnd == UP) == (x > 0):
            return 1.0 if x > 0 else 0.0
        x = math.copysign(_CLAMP, x)
    e = libmp.mpf_exp(libmp.from_float(-x), DIRECT_BITS, _OTHER[rnd])
    d = libmp.mpf_add(e, _ONE, DIRECT_BITS, _OTHER[rnd])
    return _float(libmp.mpf_div(_ONE, d, DIRECT_BITS, rnd), rnd, 0.0, 1.0)


def _bell_bound(a: float, rnd: str, k: float, shift: int, top: float) -> float:
    """A bound on ``2**shift e / (1 + e)**2`` with ``e = exp(-k a)``, ``a >= 0``: increasing in ``e`` on ``[0, 1]``,
    so decreasing in ``a``.  ``k = 2, shift = 2``: ``sech(a)^2``; ``k = 1, shift = 0``: ``sigmoid'(a)``."""
    if a > _CLAMP:   # 0 <= value <= its value at CLAMP
        if rnd == DOWN:
            return 0.0
        a = _CLAMP
    e = libmp.mpf_exp(libmp.from_float(-k * a), DIRECT_BITS, rnd)
    d = libmp.mpf_add(e, _ONE, DIRECT_BITS, _OTHER[rnd])
    d2 = libmp.mpf_mul(d, d, DIRECT_BITS, _OTHER[rnd])
    value = libmp.mpf_div(libmp.mpf_shift(e, shift), d2, DIRECT_BITS, rnd)
    return _float(value, rnd, 0.0, top)


#: ``interval_form``: (value bound, slope bound at ``|z|``), for :func:`_bound`.
_DIRECT = {
    "tanh": (_tanh_bound, lambda a, rnd: _bell_bound(a, rnd, 2.0, 2, 1.0)),
    "sigmoid": (_sigmoid_bound, lambda a, rnd: _bell_bound(a, rnd, 1.0, 0, 0.25)),
}


def _bound(act: Any, lo: float, hi: float, derivative: bool) -> tuple[float, float, float, float]:
    """Float bounds ``(phi_lo, phi_hi, dphi_lo, dphi_hi)`` of ``phi`` and ``phi'`` on ``[lo, hi]`` for ``tanh`` or
    ``sigmoid`` (nondecreasing; ``phi'`` even and decreasing in ``|z|``); NaN bounds for a NaN end."""
    if lo != lo or hi != hi:
        return (math.nan,) * 4
    value, slope = _DIRECT[act.interval_form]
    if not derivative:
        return value(lo, DOWN), value(hi, UP), math.nan, math.nan
    near = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
    return value(lo, DOWN), value(hi, UP), slope(max(abs(lo), abs(hi)), DOWN), slope(near, UP)


def _activation(act: Any, a: Box, derivative: bool) -> tuple[Box, Box | None]:
    """``phi(A)`` and (if asked) ``phi'(A)``, element by element (see the module docstring)."""
    with np.errstate(over="ignore", invalid="ignore"):
        lo = np.nextafter(a.c - a.r, -np.inf)
        hi = np.nextafter(a.c + a.r, np.inf)
    vlo, vhi = np.empty_like(lo), np.empty_like(hi)
    dlo, dhi = np.empty_like(lo), np.empty_like(hi)
    if getattr(act, "interval_form", None) in _DIRECT:
        found = np.array([_bound(act, x, y, derivative) for x, y in zip(lo.ravel().tolist(), hi.ravel().tolist())],
                         dtype=float).reshape(lo.shape + (4,))
        vlo, vhi, dlo, dhi = np.moveaxis(found, -1, 0)
        return _from_ends(vlo, vhi), (_from_ends(dlo, dhi) if derivative else None)
    with precision(BITS), mpmath.workprec(BITS):
        for i, (x, y) in enumerate(zip(lo.flat, hi.flat)):
            Z = interval(mpmath.mpf(float(x)), mpmath.mpf(float(y)))
            vlo.flat[i], vhi.flat[i] = _outward(*ends(phi(act, Z)))
            if derivative:
                dlo.flat[i], dhi.flat[i] = _outward(*ends(dphi(act, Z)))
    return _from_ends(vlo, vhi), (_from_ends(dlo, dhi) if derivative else None)


class IDual(NamedTuple):
    """An interval value ``v`` ``(k,)`` and, for a variable, its derivative enclosure ``d`` ``(k, p)``."""

    v: Box
    d: Box | None
    seed: tuple[int, int] | None = None


def _parts(a: Any) -> IDual:
    return a if isinstance(a, IDual) else IDual(_box(a), None)


class IntervalOps:
    """The cell equations in midpoint-radius interval arithmetic, with derivatives (see the module)."""

    def __init__(self, p: int) -> None:
        self.p = p

    @staticmethod
    def seed(value: Box, offset: int, p: int) -> IDual:
        k = value.c.shape[-1]
        eye = np.zeros((k, p))
        eye[np.arange(k), offset + np.arange(k)] = 1.0
        return IDual(value, Box.point(eye), (offset, p))

    def lin(self, W: np.ndarray, a: Any) -> IDual:
        a = _parts(a)
        if a.d is None:
            return IDual(_matmul(W, a.v), None)
        if a.seed is not None:   # W times an identity block: W itself, exactly
            offset, p = a.seed
            block = np.zeros((W.shape[0], p))
            block[:, offset:offset + W.shape[1]] = W
            return IDual(_matmul(W, a.v), Box.point(block))
        return IDual(_matmul(W, a.v), _matmul(W, a.d))

    def add(self, *terms: Any) -> IDual:
        ts = [_parts(t) for t in terms]
        tangents = [t.d for t in ts if t.d is not None]
        return IDual(_sum([t.v for t in ts]), _sum(tangents) if tangents else None)

    def mul(self, a: Any, b: Any) -> IDual:
        a, b = _parts(a), _parts(b)
        tangents = []
        if a.d is not None:
            tangents.append(_product(Box(b.v.c[:, None], b.v.r[:, None]), a.d))
        if b.d is not None:
            tangents.append(_product(Box(a.v.c[:, None], a.v.r[:, None]), b.d))
        return IDual(_product(a.v, b.v), _sum(tangents) if tangents else None)

    def one_minus(self, a: Any) -> IDual:
        a = _parts(a)
        c = 1.0 - a.v.c
        v = Box(c, _up(a.v.r + 2 * U * np.abs(c), 3))
        return IDual(v, Box(-a.d.c, a.d.r) if a.d is not None else None)

    def scale(self, s: Any, a: Any) -> IDual:
        a = _parts(a)
        s = Box.point(np.array(float(s)))
        return IDual(_product(s, a.v), _product(s, a.d) if a.d is not None else None)

    def act(self, activation: Any, a: Any) -> IDual:
        a = _parts(a)
        value, slope = _activation(activation, a.v, a.d is not None)
        if a.d is None or slope is None:
            return IDual(value, None)
        return IDual(value, _product(Box(slope.c[:, None], slope.r[:, None]), a.d))

    def split(self, a: Any, k: int) -> list[IDual]:
        a = _parts(a)
        rows = a.v.c.shape[0] // k
        out = []
        for i in range(k):
            sl = slice(i * rows, (i + 1) * rows)
            d = Box(a.d.c[sl], a.d.r[sl]) if a.d is not None else None
            out.append(IDual(Box(a.v.c[sl], a.v.r[sl]), d))
        return out

    def join(self, parts: Sequence[Any]) -> IDual:
        ps = [_parts(t) for t in parts]
        v = Box(np.concatenate([t.v.c for t in ps]), np.concatenate([t.v.r for t in ps]))
        if all(t.d is None for t in ps):
            return IDual(v, None)
        ds = [t.d if t.d is not None else Box.point(np.zeros((t.v.c.shape[0], self.p))) for t in ps]
        return IDual(v, Box(np.concatenate([d.c for d in ds]), np.concatenate([d.r for d in ds])))


def _activations(cell: Any) -> list[Any]:
    """The activation of a simple or leaky cell (a gated cell's sigmoid and tanh have interval extensions)."""
    own = getattr(cell, "activation", None)
    return [own] if own is not None else []


def enclosable(cell: Any) -> str:
    """``""`` when :func:`krawczyk` can work on ``cell``, else the reason it cannot."""
    if not hasattr(cell, "_equations") or not hasattr(cell, "_numeric_parameters"):
        return f"a {type(cell).__name__} has no interval extension (only the built-in cells have)"
    for act in _activations(cell):
        if not supports(act):
            return f"the activation {act.name} has no interval extension"
    return ""


def evaluate(cell: Any, S: Box, x: np.ndarray, jacobian: bool) -> IDual:
    """``F(S, x)`` enclosed over the box ``S`` (and ``F'(S)`` when ``jacobian``)."""
    N = cell.state_size
    ops = IntervalOps(N)
    parts: list[Any] = []
    for sl in cell._slices():
        part = Box(S.c[sl], S.r[sl])
        parts.append(IntervalOps.seed(part, sl.start, N) if jacobian else IDual(part, None))
    return ops.join(cell._equations(ops, parts, np.asarray(x, dtype=float), cell._numeric_parameters()))


@dataclass(frozen=True)
class Certificate:
    """What :func:`krawczyk` proved: exactly one fixed point within ``unique_within`` of ``center``
    (infinity norm), and it lies within ``radius`` of ``center``."""

    center: np.ndarray
    radius: float
    unique_within: float


def krawczyk(cell: Any, m: np.ndarray, x: np.ndarray, tries: int = 12,
             grow_to: float = 1e-4) -> Certificate | None:
    """A box around ``m`` proven to hold exactly one fixed point of ``cell`` under ``x``, or None.

    ``m`` a float state (an approximate fixed point), ``x`` the constant
    input.  The box ``m +- grow_to`` is tried first; when it passes, that
    one test proves the fixed point there and alone in it, and the
    contraction ``kappa = max_i sum_j |I - Y G'(X)|_ij < 1`` found on it
    bounds its distance from ``m`` by ``|Y G(m)|_inf / (1 - kappa)``
    (``s* - m = -Y G(m) + (I - Y G^)(s* - m)`` with ``G^`` the mean of ``G'``
    on the segment from ``m`` to ``s*``, inside ``G'(X)``), the ``radius``.
    Otherwise boxes from four times the Newton step ``|Y G(m)|`` up, by
    factors of 16 (at most ``tries`` boxes), until one passes (its ``rho``
    bounds the distance as well), then up to three boxes between that one
    and ``grow_to`` (geometric bisection): ``unique_within`` is the largest
    that passed (a box that passes holds exactly one fixed point, so the
    same one as the smaller boxes).  None when no box passes: a degenerate
    or ill-conditioned point, ``m`` too far from a fixed point, or a cell
    :func:`enclosable` refuses.
    """
    if enclosable(cell):
        return None
    m = np.asarray(m, dtype=float)
    N = m.shape[0]
    Fm = evaluate(cell, Box.point(m), x, jacobian=False).v
    cg = Fm.c - m
    rg = _up(Fm.r + 2 * U * np.abs(cg), 3)
    _, J = cell._differentiate(m[None], np.asarray(x, dtype=float)[None], "state")
    try:
        with np.errstate(all="ignore"):
            Y = np.linalg.inv(J[0] - np.eye(N))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(Y)) or not np.all(np.isfinite(cg)) or not np.all(np.isfinite(rg)):
        return None
    g = 1.01 * (N + 1) * U
    newton = _up(np.abs(Y @ cg) + _up(np.abs(Y) @ (rg + g * np.abs(cg)), N + 4), 2)   # >= |Y G(m)|
    t = max(4.0 * float(newton.max()), 2.0 ** -44 * (1.0 + float(np.abs(m).max())))
    eye = np.eye(N)
    center = m.copy()
    center.setflags(write=False)
    bad = math.inf
    if grow_to > t:   # the wide box first: when it passes, it proves all three at once
        rho, contraction = _krawczyk_bound(cell, m, x, grow_to, Y, newton, eye)
        if rho is not None and np.all(rho < grow_to):
            return Certificate(center, _radius(rho, contraction, newton), grow_to)
        bad = grow_to
    for _ in range(tries):   # the smallest box that passes: the fixed point is there, within its rho
        rho, contraction = _krawczyk_bound(cell, m, x, t, Y, newton, eye)
        if rho is not None and np.all(rho < t):
            break
        if rho is None or not contraction < 1.0:   # a larger box only widens G'(X)
            return None
        t *= 16.0
    else:
        return None
    radius, good = _radius(rho, contraction, newton), t
    for _ in range(3):   # the largest box that passes, below grow_to: the fixed point is alone in it
        trial = math.sqrt(good * bad)
        if not good < trial < bad:
            break
        rho, _ = _krawczyk_bound(cell, m, x, trial, Y, newton, eye)
        if rho is not None and np.all(rho < trial):
            good = trial
        else:
            bad = trial
    return Certificate(center, radius, good)


def _radius(rho: np.ndarray, contraction: float, newton: np.ndarray) -> float:
    """The smaller of two bounds on ``|s* - m|_inf`` from a box that passed: ``max rho`` and
    ``|Y G(m)|_inf / (1 - kappa)`` (``contraction`` an upper bound of ``kappa``, below 1 there), rounded up."""
    radius = float(rho.max())
    low = (1.0 - contraction) * (1.0 - 4 * U)   # <= 1 - kappa, whatever the rounding
    if low > 0:
        radius = min(radius, float(_up(np.array(float(newton.max()) / low), 1)))
    return radius


def _krawczyk_bound(cell: Any, m: np.ndarray, x: np.ndarray, t: float, Y: np.ndarray, newton: np.ndarray,
                    eye: np.ndarray) -> tuple[np.ndarray | None, float]:
    """``rho >= |K(X) - m|`` on ``X = m +- t`` and an upper bound of ``max_i sum_j |I - Y G'(X)|_ij`` (None, inf if
    not finite)."""
    N = len(m)
    g = 1.01 * (N + 1) * U
    D = evaluate(cell, Box(m, np.full(N, t)), x, jacobian=True).d
    assert D is not None
    Gc = D.c - eye
    Gr = _up(D.r + 2 * U * np.abs(Gc), 3)
    with np.errstate(all="ignore"):
        Mc = eye - Y @ Gc
        Mr = _up(np.abs(Y) @ (Gr + g * np.abs(Gc)) + 2 * U * np.abs(Mc), N + 6)
        absM = _up(np.abs(Mc) + Mr, 2)
        rho = _up(newton + absM.sum(axis=1) * t, N + 4)
    if not np.all(np.isfinite(rho)):
        return None, np.inf
    return rho, float(_up(absM.sum(axis=1), N).max())
