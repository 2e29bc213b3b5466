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
* activations and their derivatives on an interval ``[lo, hi]`` come from
  :mod:`rnnsym.fixedpoints.intervals` (:mod:`mpmath.iv`, outward rounding;
  each end point one element at a time), rounded outward to floats.

:func:`krawczyk` proves that a box ``m +- t`` (infinity norm) holds exactly
one fixed point of ``F(., x)``: with ``G(s) = F(s, x) - s``, ``Y`` a float
approximation of ``G'(m)^{-1}`` and ``X = m +- t``, the Krawczyk operator
``K(X) = m - Y G(m) + (I - Y G'(X))(X - m)`` lies in ``m +- rho`` with
``rho = |Y G(m)| + |I - Y G'(X)| t``; ``rho < t`` in every coordinate puts
``K(X)`` in the interior of ``X``, which proves that ``G`` has exactly one
zero in ``X`` (Krawczyk 1969; Moore 1977; Rump, Acta Numerica 2010, Thm
13.3), and that zero lies in ``m +- rho`` as well.  A degenerate fixed
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

from dataclasses import dataclass
from functools import reduce
from typing import Any, NamedTuple, Sequence

import mpmath
import numpy as np

from rnnsym.fixedpoints.intervals import dphi, ends, interval, phi, precision, supports

__all__ = ["Box", "IntervalOps", "Certificate", "krawczyk"]

U = 2.0 ** -53
#: Added to every radius: covers every underflow (at most ``2**-1075`` each).
TINY = 2.0 ** -960
#: Working precision (bits) of the activation enclosures.
BITS = 80


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


def _activation(act: Any, a: Box, derivative: bool) -> tuple[Box, Box | None]:
    """``phi(A)`` and (if asked) ``phi'(A)``, each element through :mod:`mpmath.iv`."""
    with np.errstate(over="ignore", invalid="ignore"):
        lo = np.nextafter(a.c - a.r, -np.inf)
        hi = np.nextafter(a.c + a.r, np.inf)
    vlo, vhi = np.empty_like(lo), np.empty_like(hi)
    dlo, dhi = np.empty_like(lo), np.empty_like(hi)
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
    input.  None when the test fails every box ``m +- t`` it tries (``t``
    from four times the Newton step ``|Y G(m)|`` up, by factors of 16): a
    degenerate or ill-conditioned point, ``m`` too far from a fixed point,
    or a cell :func:`enclosable` refuses.  Once a box passes, larger ones
    (by factors of 1024, up to ``grow_to``) are tried, to prove the fixed
    point alone in a wider neighbourhood: ``unique_within`` is the largest
    that passed.
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
    found: Certificate | None = None
    for _ in range(tries):
        rho, contraction = _krawczyk_bound(cell, m, x, t, Y, newton, eye)
        if rho is not None and np.all(rho < t):
            if found is None:
                center = m.copy()
                center.setflags(write=False)
                found = Certificate(center, float(rho.max()), t)
            else:   # a larger box: still exactly one fixed point in it, the same one
                found = Certificate(found.center, found.radius, t)
            if found.unique_within >= grow_to:
                return found
            t *= 1024.0
            continue
        if found is not None or rho is None or not contraction < 1.0:   # a larger box only widens G'(X)
            return found
        t *= 16.0
    return found


def _krawczyk_bound(cell: Any, m: np.ndarray, x: np.ndarray, t: float, Y: np.ndarray, newton: np.ndarray,
                    eye: np.ndarray) -> tuple[np.ndarray | None, float]:
    """``rho >= |K(X) - m|`` on ``X = m +- t`` and ``max_i sum_j |I - Y G'(X)|_ij`` (None, inf if not finite)."""
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
    return rho, float(absM.sum(axis=1).max())
