"""Fixed points of a piecewise-linear RNN, activation pattern by pattern: isolated points and continua.

For identity, ReLU, leaky ReLU and hard tanh (``Activation.pieces``) each
unit's pre-activation ``z_i = (W h + u)_i`` lies in one of the closed pieces
``[lo, hi]`` of ``phi``, where ``phi(z) = s z + c``.  On a *pattern* (one
piece per unit) the fixed-point equation is linear,

    (I - D W) h = D u + c,    D = diag(s),

and its solutions count only inside the pattern's region ``lo <= W h + u <=
hi``, written ``A h <= b``.  Because ``phi`` is continuous, the fixed points
with pattern ``p`` are exactly ``S_p = Fix ∩ {W h + u in region p}``, and
the fixed-point set is the union of the ``S_p``.

:func:`pattern_sets` solves each pattern's system in exact rational
arithmetic (the float weights taken exactly): a nonsingular system gives one
point, kept when its region holds it (checked exactly); a singular,
consistent one gives an affine set ``p + N c`` whose intersection with the
region is found by linear programs (:func:`scipy.optimize.linprog`, float64):
whether it is empty, which inequalities hold with equality on all of it
(*pinned*), hence its dimension; a set of dimension 0 is a (degenerate)
point, solved exactly with the pinned rows.  :func:`enumerate_fixed_points`
runs every pattern (``k**n`` of them), so the list it returns is complete;
then a set ``S_p`` lies in ``S_q`` when on every unit where the patterns
differ the pieces are adjacent and ``S_p`` is pinned at their shared kink,
and a point lies in ``S_q`` when ``W h + u`` is in region ``q`` (exactly) --
so no sample of a continuum is listed as an isolated point, and only the
largest continua are kept.  Beyond the enumeration, :func:`sets_through`
solves only the patterns of given (Newton) points, the steepest piece first
at a kink, skipping every point a set found so far already holds.

>>> import numpy as np, rnnsym as rs
>>> res = enumerate_fixed_points(rs.get_activation("relu"), np.eye(2), np.zeros(2))
>>> res.points, [(c.dimension, c.A.tolist(), c.b.tolist()) for c in res.continua]
([], [(2, [[-1.0, 0.0], [0.0, -1.0]], [0.0, 0.0])])
"""


import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from scipy.optimize import linprog

from rnnsym.stability import Stability, classify_jacobian

__all__ = ["Continuum", "PatternPoint", "PatternSets", "pattern_count", "pattern_sets", "sets_through",
           "enumerate_fixed_points", "patterns_of", "LP_TOL"]

#: A slack above this (float64 linear programs) shows an inequality is not pinned.
LP_TOL = 1e-9


@dataclass(frozen=True)
class Continuum:
    """A set of fixed points of positive dimension: ``{point + basis c} ∩ {A h <= b}``.

    ``basis`` (``(n, dimension)``, orthonormal columns) spans the directions
    of its affine hull and ``point`` lies in it; ``A h <= b`` are the
    inequalities of its activation ``pattern`` (one piece index per unit,
    in the order of ``Activation.pieces``); with no rows the continuum is a
    whole affine subspace.  ``stability`` classifies ``J = D W`` on the
    pattern, which has the eigenvalue 1 along the continuum: at best
    marginal.
    """

    dimension: int
    point: np.ndarray
    basis: np.ndarray
    A: np.ndarray
    b: np.ndarray
    pattern: tuple[int, ...]
    stability: Stability
    pinned: frozenset = field(default=frozenset(), repr=False)

    @property
    def inequalities(self) -> tuple[np.ndarray, np.ndarray]:
        return self.A, self.b

    def contains(self, h: Any, tol: float = 1e-9) -> bool:
        """``h`` lies in the continuum, to ``tol`` relative to ``max(1, |h|)``."""
        h = np.asarray(h, dtype=float)
        scale = tol * max(1.0, float(np.abs(h).max(initial=0.0)))
        d = h - self.point
        off = d - self.basis @ (self.basis.T @ d)
        return bool(np.abs(off).max(initial=0.0) <= scale and np.all(self.A @ h <= self.b + scale))

    def __repr__(self) -> str:
        return (f"Continuum(dimension={self.dimension}, point={np.round(self.point, 10).tolist()}, "
                f"{len(self.b)} inequalities, {self.stability.kind})")


class PatternPoint(NamedTuple):
    """An isolated fixed point, exact (rationals), with its pattern and whether ``I - D W`` is singular there."""

    h: tuple[Fraction, ...]
    pattern: tuple[int, ...]
    degenerate: bool


class PatternSets(NamedTuple):
    points: list[PatternPoint]
    continua: list[Continuum]
    patterns: int


def _pieces(act: Any) -> list[tuple[Fraction | None, Fraction | None, Fraction, Fraction]]:
    """``(lo, hi, slope, offset)`` as rationals (None for an infinite end)."""
    def q(v: Any) -> Fraction:
        return Fraction(int(v.p), int(v.q))
    return [(q(lo) if lo.is_finite else None, q(hi) if hi.is_finite else None, q(s), q(c))
            for lo, hi, s, c in act.pieces]


def pattern_count(act: Any, n: int) -> int:
    return len(act.pieces) ** n


def _rref(M: list[list[Fraction]], cols: int) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form of ``M`` over its first ``cols`` columns (exact)."""
    M = [row[:] for row in M]
    pivots: list[int] = []
    r = 0
    for c in range(cols):
        p = next((i for i in range(r, len(M)) if M[i][c] != 0), None)
        if p is None:
            continue
        M[r], M[p] = M[p], M[r]
        inv = 1 / M[r][c]
        M[r] = [v * inv for v in M[r]]
        for i in range(len(M)):
            if i != r and M[i][c] != 0:
                f = M[i][c]
                M[i] = [a - f * b for a, b in zip(M[i], M[r])]
        pivots.append(c)
        r += 1
        if r == len(M):
            break
    return M, pivots


def _solve(M: list[list[Fraction]], rhs: list[Fraction], n: int
           ) -> tuple[list[Fraction], list[list[Fraction]]] | None:
    """All solutions of ``M x = rhs`` as ``(particular, null-space basis)``, or None if there is none."""
    R, pivots = _rref([row + [v] for row, v in zip(M, rhs)], n)
    if any(all(v == 0 for v in row[:n]) and row[n] != 0 for row in R):
        return None
    x = [Fraction(0)] * n
    for k, c in enumerate(pivots):
        x[c] = R[k][n]
    null = []
    for free in (c for c in range(n) if c not in pivots):
        v = [Fraction(0)] * n
        v[free] = Fraction(1)
        for k, c in enumerate(pivots):
            v[c] = -R[k][free]
        null.append(v)
    return x, null


def _dot(a: list[Fraction], b: list[Fraction]) -> Fraction:
    return sum((x * y for x, y in zip(a, b)), Fraction(0))


class _Problem:
    """The exact data: ``W``, ``u`` (as the rationals the floats are) and the pieces."""

    def __init__(self, act: Any, W: np.ndarray, u: np.ndarray) -> None:
        self.n = len(u)
        self.W = [[Fraction(float(v)) for v in row] for row in np.asarray(W, dtype=float)]
        self.u = [Fraction(float(v)) for v in np.asarray(u, dtype=float)]
        self.pieces = _pieces(act)
        self.Wf, self.uf = np.asarray(W, dtype=float), np.asarray(u, dtype=float)

    def region(self, pattern: tuple[int, ...]) -> list[tuple[list[Fraction], Fraction, int, str]]:
        """``(a, rhs, unit, side)`` per finite bound: ``a . h <= rhs``."""
        rows = []
        for i, k in enumerate(pattern):
            lo, hi = self.pieces[k][:2]
            if lo is not None:
                rows.append(([-v for v in self.W[i]], self.u[i] - lo, i, "lo"))
            if hi is not None:
                rows.append((self.W[i][:], hi - self.u[i], i, "hi"))
        return rows

    def in_region(self, h: list[Fraction], pattern: tuple[int, ...]) -> bool:
        return all(_dot(a, h) <= rhs for a, rhs, _, _ in self.region(pattern))

    def system(self, pattern: tuple[int, ...]) -> tuple[list[list[Fraction]], list[Fraction]]:
        s = [self.pieces[k][2] for k in pattern]
        c = [self.pieces[k][3] for k in pattern]
        M = [[(1 if i == j else 0) - s[i] * self.W[i][j] for j in range(self.n)] for i in range(self.n)]
        return M, [s[i] * self.u[i] + c[i] for i in range(self.n)]


def _pinned(G: np.ndarray, f: np.ndarray, rows: list[int]) -> tuple[set[int], np.ndarray | None] | None:
    """Rows of ``G c <= f`` that hold with equality on the whole polyhedron, and a point of it; None if empty.

    Repeatedly maximise the sum of slacks ``s_i <= 1`` of the undecided rows:
    a row with positive slack at the optimum is not pinned; if none has, all
    undecided rows are.
    """
    k = G.shape[1]
    undecided, point = list(rows), None
    while True:
        m = len(undecided)
        S = np.zeros((G.shape[0], m))
        S[undecided, np.arange(m)] = 1.0
        res = linprog(np.r_[np.zeros(k), -np.ones(m)], A_ub=np.hstack([G, S]), b_ub=f,
                      bounds=[(None, None)] * k + [(0.0, 1.0)] * m, method="highs")
        if res.status != 0:
            return None if point is None and res.status == 2 else (set(undecided), point)
        point = res.x[:k]
        slack = res.x[k:]
        free = [r for r, s in zip(undecided, slack) if s > LP_TOL]
        if not free:
            return set(undecided), point
        undecided = [r for r in undecided if r not in free]
        if not undecided:
            return set(), point


def _orthonormal(V: np.ndarray) -> np.ndarray:
    if V.shape[1] == 0:
        return V
    U, s, _ = np.linalg.svd(V, full_matrices=False)
    return U[:, : int(np.count_nonzero(s > 1e-12 * s.max()))]


def _pattern_set(P: _Problem, pattern: tuple[int, ...]) -> PatternPoint | Continuum | None:
    n = P.n
    M, rhs = P.system(pattern)
    sol = _solve(M, rhs, n)
    if sol is None:
        return None
    p, null = sol
    region = P.region(pattern)
    if not null:
        return PatternPoint(tuple(p), pattern, False) if P.in_region(p, pattern) else None
    G = [[_dot(a, v) for v in null] for a, _, _, _ in region]
    f = [rhs_i - _dot(a, p) for a, rhs_i, _, _ in region]
    pinned: set[int] = set()
    for r, (g, fr) in enumerate(zip(G, f)):
        if all(v == 0 for v in g):
            if fr < 0:
                return None
            if fr == 0:
                pinned.add(r)
    live = [r for r, g in enumerate(G) if any(v != 0 for v in g)]
    c0 = np.zeros(len(null))
    if live:
        found = _pinned(np.array(G, dtype=float), np.array(f, dtype=float), live)
        if found is None:
            return None
        more, point = found
        pinned |= more
        c0 = point if point is not None else c0
    eq = [G[r] for r in sorted(pinned)]
    homogeneous = _solve(eq, [Fraction(0)] * len(eq), len(null)) if eq else None
    inner = homogeneous[1] if homogeneous is not None else [
        [Fraction(int(i == j)) for j in range(len(null))] for i in range(len(null))]
    if not inner:  # dimension 0: the point solves the system and the pinned rows exactly
        rows = M + [region[r][0] for r in sorted(pinned)]
        vals = rhs + [region[r][1] for r in sorted(pinned)]
        exact = _solve(rows, vals, n)
        if exact is None or exact[1] or not P.in_region(exact[0], pattern):
            return None
        return PatternPoint(tuple(exact[0]), pattern, True)
    Nf = np.array(null, dtype=float).T
    directions = Nf @ np.array(inner, dtype=float).T
    base = np.array(p, dtype=float)
    point = base if P.in_region(p, pattern) else base + Nf @ c0
    A = np.array([a for a, _, _, _ in region], dtype=float).reshape(len(region), n) + 0.0
    b = np.array([v for _, v, _, _ in region], dtype=float)
    D = [P.pieces[k][2] for k in pattern]
    J = [[D[i] * P.W[i][j] for j in range(n)] for i in range(n)]
    # the Fractions themselves: products of two doubles need up to 106 bits, more than 30 digits hold
    stab = classify_jacobian(np.array(J, dtype=float), exact=J)
    return Continuum(len(inner), point, _orthonormal(directions), A, b, pattern, stab,
                     frozenset((region[r][2], region[r][3]) for r in pinned))


def _inside(P: _Problem, small: Continuum, big: Continuum) -> bool:
    """``S_small ⊆ S_big``: on every unit where the patterns differ, pinned at the shared kink."""
    for i, (k, q) in enumerate(zip(small.pattern, big.pattern)):
        if k != q and not ((q == k + 1 and (i, "hi") in small.pinned)
                           or (q == k - 1 and (i, "lo") in small.pinned)):
            return False
    return True


def _maximal(P: _Problem, points: dict, continua: list[Continuum], count: int) -> PatternSets:
    """Keep the continua no other one holds, and the points no continuum holds."""
    continua.sort(key=lambda c: -c.dimension)
    kept: list[Continuum] = []
    for c in continua:
        if not any(_inside(P, c, k) for k in kept):
            kept.append(c)
    isolated = [pt for pt in points.values() if not any(P.in_region(list(pt.h), c.pattern) for c in kept)]
    isolated.sort(key=lambda pt: pt.h)
    return PatternSets(isolated, kept, count)


def pattern_sets(act: Any, W: np.ndarray, u: np.ndarray, patterns: Any) -> PatternSets:
    """The fixed points with each of ``patterns``: exact isolated points and maximal continua."""
    P = _Problem(act, W, u)
    points: dict[tuple[Fraction, ...], PatternPoint] = {}
    continua: list[Continuum] = []
    count = 0
    for pattern in patterns:
        count += 1
        found = _pattern_set(P, tuple(pattern))
        if isinstance(found, Continuum):
            continua.append(found)
        elif found is not None and found.h not in points:
            points[found.h] = found
    return _maximal(P, points, continua, count)


def sets_through(act: Any, W: np.ndarray, u: np.ndarray, H: np.ndarray, tol: float = 1e-7,
                 max_patterns: int = 256) -> PatternSets:
    """The pattern sets through the float points ``H`` (rows): for a point no set found so far holds,
    its patterns (the steepest piece first at a kink) until one's set holds it; at most ``max_patterns``."""
    P = _Problem(act, W, u)
    points: dict[tuple[Fraction, ...], PatternPoint] = {}
    continua: list[Continuum] = []
    count = 0
    for h in np.asarray(H, dtype=float):
        near = [np.array([float(v) for v in pt.h]) for pt in points.values()]
        if any(c.contains(h, tol) for c in continua) or any(
                np.abs(x - h).max() <= tol * max(1.0, np.abs(h).max()) for x in near):
            continue
        for pattern in patterns_of(act, W, u, h):
            if count >= max_patterns:
                break
            count += 1
            found = _pattern_set(P, pattern)
            if isinstance(found, Continuum) and found.contains(h, tol):
                continua.append(found)
                break
            if isinstance(found, PatternPoint) and np.abs(np.array([float(v) for v in found.h]) - h).max() <= (
                    tol * max(1.0, np.abs(h).max())):
                points.setdefault(found.h, found)
                break
    return _maximal(P, points, continua, count)


def enumerate_fixed_points(act: Any, W: np.ndarray, u: np.ndarray) -> PatternSets:
    """Every fixed point of ``h = phi(W h + u)`` for a piecewise-linear ``phi``: all ``k**n`` patterns."""
    return pattern_sets(act, W, u, itertools.product(range(len(act.pieces)), repeat=len(u)))


def patterns_of(act: Any, W: np.ndarray, u: np.ndarray, h: np.ndarray, tol: float = 1e-9,
                limit: int = 16) -> list[tuple[int, ...]]:
    """The patterns whose closed regions hold the float point ``h`` (both sides of a kink within ``tol``;
    the steepest piece first, so that the first pattern is the one with the largest solution set)."""
    z = np.asarray(W, dtype=float) @ np.asarray(h, dtype=float) + np.asarray(u, dtype=float)
    ends = [(float(lo), float(hi), float(s)) for lo, hi, s, _ in act.pieces]
    choices = []
    for zi in z:
        slack = tol * max(1.0, abs(zi))
        near = [k for k, (lo, hi, _) in enumerate(ends) if lo - slack <= zi <= hi + slack]
        choices.append(sorted(near, key=lambda k: -abs(ends[k][2])))
    combos = itertools.islice(itertools.product(*choices), limit)
    return [tuple(c) for c in combos]
