"""Proofs about fixed points by interval arithmetic: the 1-D count and n-D enclosures.

Everything here is evaluated with :mod:`mpmath.iv` (outward rounding) on the
*float* weights and drive that :func:`~rnnsym.fixedpoints.search.find_fixed_points`
uses, through the interval extensions of :mod:`rnnsym.fixedpoints.intervals`;
computing roots at many digits is never taken as a proof.

:func:`count_roots_1d` -- all roots of ``g(h) = phi(w h + u) - h``:

1. every fixed point lies in ``X0``, the closure of ``phi``'s range narrowed
   by ``X <- X & phi(w X + u)``, then widened a little so that the sign of
   ``g`` at both ends is proven;
2. ``X0`` is split into intervals ``X``; each is *decided* when interval
   evaluation proves ``0 not in g(X)`` (natural form intersected with the
   mean-value form ``g(m) + g'(X)(X - m)``): no root; or ``g'(X)`` has one
   strict sign -- or one weak sign for an activation that is affine on no
   interval (tanh, sigmoid, softsign), since a function with ``g' <= 0`` that
   is constant on no interval is strictly decreasing: then ``X`` holds
   exactly one root if the proven signs of ``g`` at its ends differ and none
   otherwise (a split point where ``g`` evaluates to exactly ``[0, 0]`` is a
   root itself).  Undecided intervals are bisected (split points are the
   simplest dyadic numbers in their middle half, so exact roots such as 0 or
   1/2 are met exactly), at most :data:`MAX_DEPTH` times and
   :data:`MAX_BOXES` intervals in all; anything still undecided withdraws the
   count, with the reason;
3. each root's bracket is shrunk (sign bisection and interval Newton
   ``X & (m - g(m) / g'(X))``, at doubled precision where the sign of
   ``g(m)`` cannot be decided) to a relative radius of ``10**-(dps + 1)``;
   :class:`Enclosure` records the ends, the midpoint and the digits the
   radius guarantees;
4. :func:`verify_1d` checks the final list from scratch -- each enclosure
   (proven sign change and monotonicity on it, or an exact zero) and every
   gap between the enclosures and the ends of ``X0`` (proven free of zeros
   by the same bisection) -- so the proof is of the list as returned, not of
   the steps that built it; a failed check withdraws the count.

:func:`krawczyk` -- an n-D enclosure: ``K(X) = m - Y F(m) + (I - Y F'(X))(X - m)``
inside the interior of the box ``X`` proves that ``X`` holds exactly one
root of ``F(h) = phi(W h + u) - h`` (``F'(X)`` from the interval slopes of
``phi``), found by epsilon inflation and tightened by iterating ``K``.

>>> import rnnsym as rs
>>> count = count_roots_1d(rs.get_activation("tanh"), 2.0, 0.0, dps=20)
>>> [float(r.mid[0]) for r in count.roots], [r.digits >= 20 for r in count.roots]
([-0.9575040240772688, 0.0, 0.9575040240772688], [True, True, True])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
from mpmath import iv

from rnnsym.fixedpoints.intervals import (dphi, ends, interval, nowhere_affine, phi, precision,
                                          supports)

__all__ = ["Enclosure", "Count1D", "bits_for", "count_roots_1d", "verify_1d", "krawczyk", "MAX_DEPTH", "MAX_BOXES"]

#: Bisections of one interval, and intervals in all, before the 1-D count gives up.
MAX_DEPTH, MAX_BOXES = 120, 4000

#: Shrinking steps per root (each halves the bracket at least, or doubles the precision).
MAX_REFINE = 600


def bits_for(dps: int) -> int:
    """Working precision (bits) for results good to ``dps`` digits: 20 guard digits and 16 bits."""
    return int((dps + 20) * 3.33) + 16


@dataclass(frozen=True)
class Enclosure:
    """A box ``[lo, hi]`` (one pair per coordinate) proven to hold exactly one root; ``mid`` lies in it.

    ``digits`` is how many significant digits of ``mid`` the box guarantees:
    ``|mid_i - root_i| <= 10**-digits |root_i|`` in every coordinate (0 when
    a box straddles 0 without being the point 0).
    """

    lo: tuple
    hi: tuple
    mid: tuple
    digits: int

    @property
    def radius(self) -> float:
        """The largest half-width of the box (absolute), rounded up to a float."""
        with mpmath.workprec(64):
            return max(float(mpmath.fdiv(mpmath.fsub(b, a, exact=True), 2, rounding="u"))
                       for a, b in zip(self.lo, self.hi))

    def contains(self, point: Any) -> bool:
        return all(a <= mpmath.mpf(v) <= b for v, a, b in zip(point, self.lo, self.hi))


@dataclass(frozen=True)
class Count1D:
    """The proven roots of ``g(h) = phi(w h + u) - h`` in increasing order, or why there is no proof."""

    roots: tuple[Enclosure, ...] | None
    reason: str
    boxes: int
    bits: int


def _digits(lo: Any, hi: Any, dps: int) -> int:
    if lo == hi:
        return dps
    if lo <= 0 <= hi:
        return 0
    with mpmath.workprec(64):
        rel = (hi - lo) / (2 * min(abs(lo), abs(hi)))
        return int(max(0, min(dps, mpmath.floor(-mpmath.log10(rel)))))


def _midpoint(lo: Any, hi: Any) -> Any:
    return mpmath.ldexp(mpmath.fadd(lo, hi, exact=True), -1)


def _simple_point(a: Any, b: Any) -> Any:
    """The dyadic number with the fewest bits in the middle half of ``[a, b]`` (``a < b``)."""
    lo, hi = a + (b - a) / 4, b - (b - a) / 4
    if lo <= 0 <= hi:
        return mpmath.mpf(0)
    k = int(mpmath.ceil(-mpmath.log(hi - lo, 2))) + 1
    while True:
        m = mpmath.ceil(mpmath.ldexp(lo, k))
        if m <= mpmath.floor(mpmath.ldexp(hi, k)):
            return mpmath.ldexp(m, -k)
        k += 1  # pragma: no cover - the first k always fits


def _sign(x: Any) -> int | None:
    """+1, -1, 0 (exactly ``[0, 0]``), or None when the interval straddles 0."""
    lo, hi = ends(x)
    if lo > 0:
        return 1
    if hi < 0:
        return -1
    return 0 if lo == hi == 0 else None


#: The sign of ``g`` at a point is tried at 1, 2, 4, 8 and 16 times the working precision.
ESCALATION = (1, 2, 4, 8, 16)


def _point_sign(g: "_G", x: Any) -> int | None:
    """The sign of ``g(x)``, at the working precision or, where that leaves it undecided, a multiple of it."""
    bits = iv.prec
    for scale in ESCALATION:
        with precision(scale * bits):
            s = _sign(g.point(x))
        if s is not None:
            return s
    return None


def _classify(g: "_G", a: Any, b: Any) -> str:
    """``"empty"`` (``0 not in g([a, b])``), ``"monotone"`` (proven) or ``"undecided"``.

    A narrow interval (relative width below ``2**-32``) left undecided is
    tried again at the higher precisions of :data:`ESCALATION`: near a root
    of tiny slope the rounding of the working precision can exceed ``g'``.
    """
    bits = iv.prec
    narrow = b - a <= mpmath.ldexp(1 + max(abs(a), abs(b)), -32)
    for scale in ESCALATION if narrow else (1,):
        with precision(scale * bits):
            X = interval(a, b)
            D = g.slope(X)
            G = g.value(X, D)
            if ends(G)[0] > 0 or ends(G)[1] < 0:
                return "empty"
            if g.monotone(D):
                return "monotone"
    return "undecided"


class _G:
    """Interval evaluations of ``g(h) = phi(w h + u) - h`` and ``g'(h) = w phi'(w h + u) - 1``."""

    def __init__(self, act: Any, w: float, u: float) -> None:
        self.act, self.w, self.u = act, mpmath.mpf(w), mpmath.mpf(u)

    def pre(self, X: Any) -> Any:
        return iv.mpf(self.w) * X + iv.mpf(self.u)

    def point(self, x: Any) -> Any:
        return phi(self.act, self.pre(interval(x))) - interval(x)

    def slope(self, X: Any) -> Any:
        return iv.mpf(self.w) * dphi(self.act, self.pre(X)) - 1

    def value(self, X: Any, D: Any) -> Any:
        """``g(X)``: the natural form intersected with the mean-value form."""
        natural = phi(self.act, self.pre(X)) - X
        lo, hi = ends(X)
        m = _midpoint(lo, hi)
        mean = self.point(m) + D * (X - interval(m))
        return iv.mpf([max(ends(natural)[0], ends(mean)[0]), min(ends(natural)[1], ends(mean)[1])])

    def monotone(self, D: Any) -> bool:
        lo, hi = ends(D)
        return lo > 0 or hi < 0 or (nowhere_affine(self.act) and (lo >= 0 or hi <= 0))


def _narrowed(g: _G) -> tuple[Any, Any] | str:
    """An interval holding every fixed point: the range of ``phi``, then ``X <- X & phi(w X + u)`` 4 times."""
    rng = g.act.output_range
    if not (rng.inf.is_finite and rng.sup.is_finite):
        return f"the range {rng} of {g.act.name} is unbounded"
    X = interval(mpmath.mpf(str(rng.inf)), mpmath.mpf(str(rng.sup)))
    for _ in range(4):
        P = phi(g.act, g.pre(X))
        X = iv.mpf([max(ends(X)[0], ends(P)[0]), min(ends(X)[1], ends(P)[1])])
    return ends(X)


def _domain(g: _G, bits: int) -> tuple[Any, Any, int, int] | str:
    """:func:`_narrowed`, widened until the signs of ``g`` at its ends are proven."""
    found = _narrowed(g)
    if isinstance(found, str):
        return found
    lo, hi = found
    pad = mpmath.ldexp(1 + max(abs(lo), abs(hi)), -bits // 2)
    for _ in range(8):
        sa, sb = _sign(g.point(lo - pad)), _sign(g.point(hi + pad))
        if sa is not None and sb is not None:
            return lo - pad, hi + pad, sa, sb
        pad *= 2 ** 16
    return f"the sign of g at the ends of [{float(lo):.6g}, {float(hi):.6g}] is not decided at {bits} bits"


def _split(g: _G, a: Any, b: Any) -> tuple[Any, int] | None:
    first = _simple_point(a, b)
    for m in [first] + [a + (b - a) * k / 16 for k in (7, 9, 5, 11, 6, 10)]:
        s = _sign(g.point(m))
        if s is not None:
            return m, s
    return None


def _cut_at(g: Any, a: Any, b: Any, sa: int, x: Any) -> tuple[Any, Any, int | None]:
    """The bracket ``[a, b]`` cut at ``x`` by the sign of ``g`` there (``sa``: its sign at ``a``).

    Returns the new ends and that sign: 0 (``x`` is a root: both ends become
    ``x``), None (undecided: the bracket is kept), or +-1.
    """
    s = _point_sign(g, x)
    if s == 0:
        return x, x, 0
    if s is not None:
        a, b = (x, b) if s == sa else (a, x)
    return a, b, s


def _refine(g: _G, a: Any, b: Any, sa: int, dps: int, bits: int) -> Enclosure:
    """Shrink the bracket ``[a, b]`` (``g`` strictly monotone on it, ``sign g(a) = sa = -sign g(b)``).

    Bisection at simple dyadic points and interval-Newton candidates ``m -
    g(m) / g'(X)``; an end is moved only to a point where the sign of ``g``
    is proven (escalating the precision), so every bracket kept is one.
    """
    target = mpmath.mpf(10) ** -(dps + 1)
    with precision(bits), mpmath.workprec(32 * bits + 64):
        for _ in range(MAX_REFINE):
            if a == b or (not a <= 0 <= b and b - a <= 2 * target * min(abs(a), abs(b))):
                break
            width = b - a
            m = _simple_point(a, b)
            a, b, s = _cut_at(g, a, b, sa, m)
            if s == 0:
                break
            D = g.slope(interval(a, b))
            if ends(D)[0] > 0 or ends(D)[1] < 0:
                N = interval(m) - g.point(m) / D
                for end in ends(N):
                    if a < end < b:
                        a, b, se = _cut_at(g, a, b, sa, end)
                        if se == 0:
                            break
            if s is None and b - a > 0.8 * width:
                break  # the sign of g is undecided even at the highest precision: keep this bracket
    return Enclosure((a,), (b,), (_midpoint(a, b),), _digits(a, b, dps))


def count_roots_1d(act: Any, w: float, u: float, dps: int = 30) -> Count1D:
    """Prove the number of fixed points of ``h = phi(w h + u)`` and enclose each (see the module)."""
    bits = bits_for(dps)
    if not supports(act) or act.interval_form == "pieces":
        return Count1D(None, f"{act.name} has no smooth interval extension", 0, bits)
    g = _G(act, w, u)
    with precision(bits), mpmath.workprec(8 * bits + 64):
        found = _domain(g, bits)
        if isinstance(found, str):
            return Count1D(None, found, 0, bits)
        A, B, sA, sB = found
        points, brackets = [], []
        stack = [(A, B, sA, sB, 0)]
        boxes = 1
        while stack:
            a, b, sa, sb, depth = stack.pop()
            kind = _classify(g, a, b)
            if kind == "empty":
                continue
            if kind == "monotone":
                if sa * sb < 0:
                    brackets.append((a, b, sa))
                continue
            split = _split(g, a, b) if depth < MAX_DEPTH and boxes < MAX_BOXES else None
            if split is None:
                why = "the bisection limit" if depth >= MAX_DEPTH or boxes >= MAX_BOXES else "no split point"
                return Count1D(None, f"g is undecided on [{float(a):.17g}, {float(b):.17g}] "
                               f"({why}; {boxes} intervals at {bits} bits)", boxes, bits)
            m, sm = split
            if sm == 0:
                points.append(m)
            boxes += 1
            stack += [(m, b, sm, sb, depth + 1), (a, m, sa, sm, depth + 1)]
        roots = [Enclosure((m,), (m,), (m,), dps) for m in points]
        roots += [_refine(g, a, b, sa, dps, bits) for a, b, sa in brackets]
        roots.sort(key=lambda r: r.lo[0])
        failed = verify_1d(g, roots, A, B)
    if failed:
        return Count1D(None, f"the enclosures fail their check: {failed}", boxes, bits)
    return Count1D(tuple(roots), "", boxes, bits)


def _root_free(g: _G, a: Any, b: Any, sa: int, sb: int) -> bool:
    """Prove ``g`` has no zero in ``[a, b]`` other than an end where it is exactly 0 (bisecting)."""
    stack, boxes = [(a, b, sa, sb, 0)], 0
    while stack:
        a, b, sa, sb, depth = stack.pop()
        kind = _classify(g, a, b)
        if kind == "empty" or (kind == "monotone" and (sa * sb > 0 or (sa * sb == 0 and sa + sb != 0))):
            continue
        boxes += 1
        split = _split(g, a, b) if depth < MAX_DEPTH and boxes < MAX_BOXES else None
        if split is None or split[1] == 0:
            return False
        m, sm = split
        stack += [(m, b, sm, sb, depth + 1), (a, m, sa, sm, depth + 1)]
    return True


def verify_1d(g: _G, roots: list[Enclosure], A: Any, B: Any) -> str:
    """Check a claimed list of root enclosures in ``[A, B]`` from scratch; ``""`` if it is proven.

    ``[A, B]`` must hold the interval that every fixed point provably lies
    in (the range of ``phi`` narrowed by ``X <- X & phi(w X + u)``, recomputed
    here).  Each enclosure ``[a, b]`` must be a point where ``g`` is exactly ``[0, 0]``,
    or have proven opposite signs of ``g`` at its ends and ``g`` strictly
    monotone on it; the enclosures must be disjoint and inside ``[A, B]``,
    and every gap between them (and the ends) must be proven root-free.
    """
    inner = _narrowed(g)
    if isinstance(inner, str) or not (A <= inner[0] and inner[1] <= B):
        return f"[{float(A):.17g}, {float(B):.17g}] is not proven to hold every fixed point"
    roots = sorted(roots, key=lambda r: r.lo[0])
    signs = []
    for r in roots:
        a, b = r.lo[0], r.hi[0]
        sa, sb = _point_sign(g, a), _point_sign(g, b)
        if not a <= b:
            return f"the enclosure [{float(a):.17g}, {float(b):.17g}] is empty"
        if a == b:
            if sa != 0:
                return f"g({float(a):.17g}) is not exactly 0"
        elif sa is None or sb is None or sa * sb >= 0:
            return f"no proven sign change of g on [{float(a):.17g}, {float(b):.17g}]"
        elif _classify(g, a, b) != "monotone":
            return f"g is not proven monotone on [{float(a):.17g}, {float(b):.17g}]"
        if not (r.lo[0] <= r.mid[0] <= r.hi[0]):
            return f"the midpoint given lies outside [{float(a):.17g}, {float(b):.17g}]"
        signs.append((sa, sb))
    ends_ = [(A, _point_sign(g, A))] + [(x, s) for r, (sa, sb) in zip(roots, signs)
                                         for x, s in ((r.lo[0], sa), (r.hi[0], sb))] + [(B, _point_sign(g, B))]
    for (a, sa), (b, sb) in zip(ends_[::2], ends_[1::2]):
        if sa is None or sb is None or not a < b:
            return f"the gap [{float(a):.17g}, {float(b):.17g}] is empty or has an undecided end"
        if not _root_free(g, a, b, sa, sb):
            return f"g is not proven free of zeros on [{float(a):.17g}, {float(b):.17g}]"
    return ""


# -- n-D: the Krawczyk test ------------------------------------------------------------
def _iv_vector(values: Any) -> np.ndarray:
    return np.array([interval(mpmath.mpf(v)) for v in values], dtype=object)


def krawczyk(act: Any, W: np.ndarray, u: np.ndarray, x0: Any, dps: int = 30) -> Enclosure | None:
    """A box around ``x0`` proven to hold exactly one root of ``F(h) = phi(W h + u) - h``, or None.

    ``W`` and ``u`` are floats (taken exactly); ``x0`` an approximate root
    (mpf or float).  None when the test fails (a degenerate root, a kink of a
    piecewise-linear ``phi`` at the root, or ``x0`` too far from a root).
    """
    if not supports(act):
        return None
    n = len(u)
    bits = bits_for(dps)
    with precision(bits), mpmath.workprec(2 * bits):
        Wi = np.array([[interval(mpmath.mpf(float(v))) for v in row] for row in W], dtype=object)
        ui = _iv_vector(np.asarray(u, dtype=float))
        m = _iv_vector(x0)
        mid = [mpmath.mpf(v) for v in x0]
        eye = np.array([[interval(1 if i == j else 0) for j in range(n)] for i in range(n)], dtype=object)

        def F(X: np.ndarray) -> np.ndarray:
            return np.array([phi(act, z) for z in Wi.dot(X) + ui], dtype=object) - X

        def slopes(X: np.ndarray) -> np.ndarray:
            d = np.array([dphi(act, z) for z in Wi.dot(X) + ui], dtype=object)
            return d[:, None] * Wi - eye

        x_float = np.array([float(v) for v in mid])
        J = act.numpy_prime(W @ x_float + u)[:, None] * W - np.eye(n)
        try:
            Y = np.linalg.inv(J)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(Y)):
            return None
        Yi = np.array([[interval(mpmath.mpf(float(v))) for v in row] for row in Y], dtype=object)
        step = Yi.dot(F(m))
        r = max(max(abs(mpmath.mpf(s.a)), abs(mpmath.mpf(s.b))) for s in step) * 4
        r = max(r, mpmath.ldexp(1 + max(abs(v) for v in mid), -bits + 8))
        for _ in range(8):
            X = np.array([interval(v - r, v + r) for v in mid], dtype=object)
            K = m - step + (eye - Yi.dot(slopes(X))).dot(X - m)
            if all(ends(k)[0] > ends(x)[0] and ends(k)[1] < ends(x)[1] for k, x in zip(K, X)):
                break
            r *= 16
        else:
            return None
        for _ in range(4):  # tighten: K(X, c) holds the root whenever X does, for a centre c in X
            X = K
            # The mean-value form needs its centre inside X: the first box was centred on x0, but
            # K(X) can shrink away from x0 (a float root is ~1e-17 from the true one), so each
            # round re-centres on X's midpoint (taken exactly) and re-evaluates F there.
            centre = [_midpoint(*ends(x)) for x in X]
            c = _iv_vector(centre)
            K = c - Yi.dot(F(c)) + (eye - Yi.dot(slopes(X))).dot(X - c)
            K = np.array([interval(max(ends(k)[0], ends(x)[0]), min(ends(k)[1], ends(x)[1]))
                          for k, x in zip(K, X)], dtype=object)
        lo = tuple(ends(k)[0] for k in K)
        hi = tuple(ends(k)[1] for k in K)
    digits = min(_digits(a, b, dps) for a, b in zip(lo, hi))
    inside = all(a <= v <= b for v, a, b in zip(mid, lo, hi))
    return Enclosure(lo, hi, tuple(mid) if inside else tuple(_midpoint(a, b) for a, b in zip(lo, hi)), digits)
