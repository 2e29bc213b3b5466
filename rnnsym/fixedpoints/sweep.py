"""Fixed points over many bias values at once, and their branches.

:func:`sweep_fixed_points` solves ``h = phi(W_h h + u)``, ``u = b + W_x x``,
for every bias value of a sweep in one batched computation (loops run over
Newton iterations, chunks of values and repair rounds, never over starts or
values).  It works in pre-activation coordinates ``a = W_h h + u``, ``h =
phi(a)``, which have the same fixed points:

    G(a) = a - W_h phi(a) - u,        dG/da = I - W_h diag(phi'(a)).

``dG/da`` tends to ``I`` in saturation, where Newton in ``h`` stalls.

1. **Pattern starts** ``a = W_h s + u`` with each ``s_i`` at the low end, the
   middle or the high end of the activation's range (``3**n`` of them, or a
   sample): a saturated fixed point is one or two steps away.
2. **Newton inside cells** (:func:`rnnsym.fixedpoints.newton.damped_newton`,
   shared with :func:`~rnnsym.fixedpoints.search.find_fixed_points`): a step
   must lower ``|G|_inf`` and keep the sign of ``det dG/da``, so a start
   converges in its own cell of ``{det dG/da != 0}`` (in 1-D, its own
   monotone piece of ``G``) instead of jumping to a neighbouring fixed
   point; without this the unstable middle fixed points, whose Newton
   basins are thin, go missing in pairs.
3. **Index check**: for a bounded ``phi``, ``G`` is the identity plus a
   bounded map, of Brouwer degree 1, so the indices ``sign det dG/da`` of
   the fixed points sum to 1 (and their number is odd) away from the
   bifurcation sets.  A sum other than 1 means a fixed point is missing.
4. **Repair rounds** (continuation) for flagged values: Newton without the
   cell constraint from the neighbours' fixed points shifted by ``u - u'``
   (neighbours along the sweep: sorted order for one unit, a Z-order curve
   through the drives otherwise), from the value's own near-fold points
   pushed both ways along the least singular direction of ``dG/da`` (where
   a saddle-node partner lies) and from fresh Sobol starts, twice as many
   each round.  A value that gains points passes them on to neighbours with
   fewer; values still flagged are reported in ``suspect``.
5. **Acceptance** (:mod:`~rnnsym.fixedpoints._accept`, the tests of
   :mod:`~rnnsym.fixedpoints.nearroots`): an end point is a fixed point only
   if ``phi(W_h h + u) - h`` is zero to its rounding error (relative; an
   absolute ``|G| <= tol`` took 10,351 points around the one degenerate
   root of ``tanh`` with ``W_h = I``), near-roots around a degenerate root
   (``I - J`` singular) merge into it (``degenerate``; no index there, so
   ``suspect``), and for a piecewise-linear ``phi`` sets of fixed points of
   positive dimension are reported as ``continua``, never as samples.
   Kinds near the unit circle are decided point by point
   (:mod:`~rnnsym.fixedpoints._verdicts`): exactly at exact points, else
   ``"undecided"`` unless the point's error cannot matter.

The index sum catches a missing point, not a missing pair, so the result is
not *certified* complete: :func:`rnnsym.fixedpoints.search.find_fixed_points`
gives certificates for single values.

Examples
--------
>>> import numpy as np, rnnsym as rs
>>> sweep = sweep_fixed_points(rs.RNN([[2.0]]), np.linspace(-1, 1, 5))
>>> sweep.count.tolist(), sweep.index_sum.tolist()
([1, 3, 3, 3, 1], [1, 1, 1, 1, 1])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, NamedTuple

import numpy as np
import sympy as sp

from rnnsym.activations import Activation, Z
from rnnsym.closed_forms import batched_eigenvalue_moduli
from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.fixedpoints._accept import accept_roots, degenerate_points, split_continua
from rnnsym.fixedpoints.newton import constant_drive, damped_newton, merge_roots
from rnnsym.fixedpoints._verdicts import point_stability
from rnnsym.stability import KINDS, UNDECIDED, classify_moduli
from rnnsym._matrices import as_float_array, as_int, as_tolerance, require_model

__all__ = ["Branch", "FixedPointSweep", "sweep_fixed_points"]


# -- the system G(a) = a - W phi(a) - u -------------------------------------------
@lru_cache(maxsize=32)
def _derivative_in_phi(act: Activation) -> Callable[[np.ndarray], np.ndarray] | None:
    """``phi'`` as a polynomial ``p(phi)`` (``1 - t**2`` for tanh), or None.

    The candidate is fitted at three points and accepted only when SymPy
    proves ``phi'(z) - p(phi(z)) = 0`` (in ``y = exp(z)``); it saves a
    transcendental function per Newton step.
    """
    t, y = sp.Symbol("t", real=True), sp.Symbol("y", positive=True)
    zs = np.array([-0.7, 0.3, 1.1])
    try:
        coef = np.polyfit(act.numpy(zs), act.numpy_prime(zs), 2)[::-1]
        p = sum(sp.nsimplify(round(float(c), 10), rational=True) * t ** k for k, c in enumerate(coef))
        gap = (act.derivative_expr - p.subs(t, act.expr)).rewrite(sp.exp)
        if sp.cancel(gap.subs(sp.exp(Z), y).subs(Z, sp.log(y))) != 0:
            return None
    except (TypeError, ValueError, NotImplementedError, np.linalg.LinAlgError, sp.PolynomialError):
        return None
    c0, c1, c2 = (float(p.coeff(t, k)) for k in range(3))

    def poly(T: np.ndarray) -> np.ndarray:
        D = T * c2
        D += c1
        D *= T
        D += c0
        return D

    return poly


@dataclass(frozen=True)
class _System:
    """``G(a) = a - W phi(a) - u`` for one network, evaluated column-wise on ``(n, N)``."""

    W: np.ndarray
    act: Activation
    poly: Callable[[np.ndarray], np.ndarray] | None
    lo: float
    hi: float
    bounded: bool
    smax: float

    @property
    def n(self) -> int:
        return self.W.shape[0]

    def phi(self, A: np.ndarray) -> np.ndarray:
        return self.act.numpy_function(A)

    def times(self, T: np.ndarray) -> np.ndarray:
        """``W @ T`` for ``T`` ``(n, N)``; column sums for small ``n`` (BLAS threads cost more there)."""
        if self.n > 4:
            return self.W @ T
        out = self.W[:, :1] * T[0]
        for j in range(1, self.n):
            out += self.W[:, j:j + 1] * T[j]
        return out

    def dphi(self, T: np.ndarray, A: np.ndarray) -> np.ndarray:
        return self.poly(T) if self.poly is not None else self.act.numpy_derivative(A)

    def det(self, D: np.ndarray) -> np.ndarray:
        """``det(I - W diag(D))`` for ``D`` ``(n, N)``."""
        W = self.W
        if self.n == 1:
            return 1.0 - W[0, 0] * D[0]
        if self.n == 2:
            return (1.0 - W[0, 0] * D[0]) * (1.0 - W[1, 1] * D[1]) - W[0, 1] * W[1, 0] * D[0] * D[1]
        return np.linalg.det(np.eye(self.n) - W[None] * D.T[:, None, :])

    def evaluate(self, A: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(G, D)`` at the columns of ``A``: the residual and ``phi'(a)``, both ``(n, N)``."""
        T = self.phi(A)
        G = A - U
        G -= self.times(T)
        return G, self.dphi(T, A)

    def linearize(self, A: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(G, dG/da)`` for :func:`~rnnsym.fixedpoints.newton.damped_newton`: ``dG/da = I - W diag(D)``."""
        G, D = self.evaluate(A, U)
        J = np.multiply(-self.W[:, :, None], D[None])
        for i in range(self.n):
            J[i, i] += 1.0
        return G, J


def _system(net: Any, drive: float = 1.0) -> _System:
    """The system of ``net``; an unbounded range is cut at a box that scales with ``drive = max|u|``."""
    W = net.numeric_weights()[0]
    act = net.activation
    rng = act.output_range
    bounded = bool(rng.inf.is_finite and rng.sup.is_finite)
    reach = 4.0 * max(1.0, float(np.abs(W).sum(axis=1).max())) * max(1.0, drive)
    lo = float(rng.inf) if rng.inf.is_finite else -reach
    hi = float(rng.sup) if rng.sup.is_finite else reach
    smax = 2.0 * (1.0 + float(np.abs(W).sum(axis=1).max()) * max(abs(lo), abs(hi)))
    return _System(W, act, _derivative_in_phi(act), lo, hi, bounded, smax)


def _search(sys: _System, U: np.ndarray, starts: np.ndarray, o: "_Options",
            cells: bool) -> tuple[np.ndarray, np.ndarray]:
    """Roots ``(P, K, n)`` (NaN-padded) from ``starts`` ``(P, S, n)`` in ``a`` (NaN starts skipped),
    and their degenerate flags ``(P, K)``.

    :func:`~rnnsym.fixedpoints.newton.damped_newton` with the step capped
    at ``smax``; with ``cells`` each start stays in its cell of ``{det dG/da
    != 0}``.  A start is dropped after three refused steps in a row, or when
    its residual is not below ``2**-(k - m)`` after ``k > m`` iterations (it
    is chasing a fixed point that does not exist at this value): ``m = 2``
    with ``cells``, 12 without (repair, near folds, where Newton is slow).
    Then :func:`~rnnsym.fixedpoints.newton.merge_roots` per value, and
    :func:`~rnnsym.fixedpoints._accept.accept_roots` (relative residuals, degenerate clusters).
    """
    P, S, n = starts.shape
    per = max(1, o.chunk // max(S, 1))
    parts = []
    for first in range(0, P, per):
        A0 = starts[first:first + per]
        flat = A0.reshape(-1, n)
        Uc = np.broadcast_to(U[first:first + per, None, :], A0.shape).reshape(-1, n)
        use = np.flatnonzero(np.isfinite(flat).all(axis=-1))
        found = np.full(flat.shape, np.nan)
        res = damped_newton(sys.linearize, flat.take(use, axis=0).T, Uc.take(use, axis=0).T, tol=o.tol,
                            max_iter=o.max_iter, max_step=sys.smax, keep_sign=cells,
                            patience=2 if cells else 12)
        found[use] = np.where(res.converged, res.x, np.nan).T
        residual = np.full(len(flat), np.inf)
        residual[use] = np.where(res.converged, res.residual, np.inf)
        best = np.argsort(residual.reshape(A0.shape[:2]), axis=1, kind="stable")  # merge keeps the first
        parts.append(merge_roots(np.take_along_axis(found.reshape(A0.shape), best[..., None], axis=1),
                                 o.merge_tol))
    if not parts:
        return np.full((0, 1, n), np.nan), np.zeros((0, 1), dtype=bool)
    K = max(part.shape[1] for part in parts)
    return accept_roots(sys.act, sys.W, sys.linearize, U, np.concatenate([_widen(part, K) for part in parts]),
                        o.merge_tol, merged=True)


def _widen(roots: np.ndarray, K: int) -> np.ndarray:
    return np.pad(roots, ((0, 0), (0, K - roots.shape[1]), (0, 0)), constant_values=np.nan)


def _place(roots: np.ndarray, idx: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``roots`` with the rows ``idx`` replaced by ``new`` (both padded to a common width)."""
    K = max(roots.shape[1], new.shape[1])
    roots = _widen(roots, K)
    roots[idx] = _widen(new, K)
    return roots


# -- starts ----------------------------------------------------------------------
def _pattern_starts(sys: _System, count: int | None, seed: int) -> np.ndarray:
    """Points ``s`` ``(S, n)`` of the activation's range; the starts are ``W s + u``.

    All ``3**n`` patterns of (low end, middle, high end) when ``count``
    allows (default ``min(3**n, 81)``); otherwise the centre, corners (all, or
    a Sobol sample of them) and Sobol points of the range box.
    """
    n, levels = sys.n, np.array([sys.lo, (sys.lo + sys.hi) / 2, sys.hi])
    count = min(3 ** n, 81) if count is None else int(count)
    if count >= 3 ** n:
        return levels[np.array(list(itertools.product(range(3), repeat=n)))]
    from scipy.stats import qmc  # ~1 s to import: only when sampling
    sob = qmc.Sobol(n, scramble=True, seed=seed).random(1 << max(0, count - 1).bit_length())
    if 2 ** n <= (count - 1) // 2:
        corners = np.array(list(itertools.product((0, 2), repeat=n)))
    else:
        corners = 2 * np.rint(sob[: (count - 1) // 2]).astype(int)
    rest = sob[len(sob) - (count - 1 - len(corners)):] if count - 1 > len(corners) else sob[:0]
    return np.vstack([np.full((1, n), levels[1]), levels[corners].reshape(-1, n),
                      sys.lo + (sys.hi - sys.lo) * rest])


def _fresh(sys: _System, U: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``W s + u`` for ``count`` Sobol points ``s`` per value (a random shift per value)."""
    n = sys.n
    from scipy.stats import qmc  # ~1 s to import: only when sampling
    sob = qmc.Sobol(n, scramble=True, seed=seed).random(1 << max(0, count - 1).bit_length())[:count]
    shift = np.random.default_rng(seed).random((len(U), 1, n))
    s = sys.lo + (sys.hi - sys.lo) * ((sob[None] + shift) % 1.0)
    return s @ sys.W.T + U[:, None, :]


def _path_order(U: np.ndarray) -> np.ndarray:
    """An order of the values along a path: sorted in 1-D, a Z-order curve through ``U`` otherwise."""
    P, n = U.shape
    if n == 1:
        return np.argsort(U[:, 0], kind="stable")
    bits = max(1, min(20, 62 // n))
    span = np.ptp(U, axis=0)
    q = ((U - U.min(axis=0)) / np.where(span > 0, span, 1.0) * ((1 << bits) - 1)).astype(np.int64)
    code = np.zeros(P, dtype=np.int64)
    for bit in range(bits):
        for i in range(n):
            code |= ((q[:, i] >> bit) & 1) << (bit * n + i)
    return np.argsort(code, kind="stable")


def _neighbours(order: np.ndarray, k: int = 2) -> np.ndarray:
    """The ``2k`` values next to each one along ``order`` ``(P, 2k)``."""
    P = len(order)
    pos = np.empty(P, dtype=np.int64)
    pos[order] = np.arange(P)
    offsets = np.array([d for j in range(1, k + 1) for d in (-j, j)])
    return order[np.clip(pos[:, None] + offsets, 0, P - 1)]


def _repair_starts(sys: _System, U: np.ndarray, roots: np.ndarray, F: np.ndarray, nb: np.ndarray,
                   fresh: int, seed: int) -> np.ndarray:
    n = sys.n
    near = roots[nb[F]] + (U[F, None, None, :] - U[nb[F], None, :])          # (F, 2k, K, n)
    own = roots[F]                                                          # (F, K, n)
    safe = np.where(np.isfinite(own), own, 0.0)
    D = sys.dphi(sys.phi(safe), safe)
    J = np.eye(n) - sys.W[None, None] * D[..., None, :]
    _, sv, vt = np.linalg.svd(J)
    v = np.where((sv[..., -1:] < 0.5) & np.isfinite(own), vt[..., -1, :], np.nan)  # near a fold only
    scales = np.array([1e-3, 1e-2, 0.1, 0.5])
    pushed = own[:, :, None, :] + np.concatenate([scales, -scales])[None, None, :, None] * v[:, :, None, :]
    return np.concatenate([near.reshape(len(F), -1, n), pushed.reshape(len(F), -1, n),
                           _fresh(sys, U[F], fresh, seed)], axis=1)


# -- repair ------------------------------------------------------
class _Options(NamedTuple):
    tol: float
    merge_tol: float
    max_iter: int
    chunk: int
    rounds: int
    seed: int


def _repair(sys: _System, U: np.ndarray, roots: np.ndarray, flags: np.ndarray, nb: np.ndarray,
            o: _Options) -> tuple[np.ndarray, np.ndarray]:
    """Search again where the index sum is not 1 (and no point is degenerate), and next to values that
    gained points."""
    P = len(U)
    count, isum = _index_sum(sys, roots)
    degenerate = np.asarray(flags.any(axis=1))  # no index there: no check
    bad = ((isum != 1) & ~degenerate) if sys.bounded else (count == 0)
    todo = bad.copy()
    fresh = 2 * 3 ** min(sys.n, 4)
    for r in range(o.rounds):
        F = np.flatnonzero(todo)
        if not F.size:
            break
        new, _ = _search(sys, U[F], _repair_starts(sys, U, roots, F, nb, fresh, o.seed + 1 + r), o, cells=False)
        merged, merged_flags = accept_roots(sys.act, sys.W, sys.linearize, U[F],
                                            np.concatenate([roots[F], new], axis=1), o.merge_tol)
        roots = _place(roots, F, merged)
        flags = np.pad(flags, ((0, 0), (0, roots.shape[1] - flags.shape[1])))
        flags[F] = False
        flags[F, :merged_flags.shape[1]] = merged_flags
        before = count[F]
        count[F], isum[F] = _index_sum(sys, roots[F])
        degenerate[F] = merged_flags.any(axis=1)
        grown = np.zeros(P, dtype=bool)
        grown[F[count[F] > before]] = True
        bad = ((isum != 1) & ~degenerate) if sys.bounded else (count == 0)
        tried = np.zeros(P, dtype=bool)
        tried[F] = True
        todo = (bad & tried) | (grown[nb].any(axis=1) & (count[nb] > count[:, None]).any(axis=1))
        fresh *= 2
    return roots, flags


# -- analysis of the roots ---------------------------------------------------------
def _index_sum(sys: _System, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(count, sum of sign det(I - W D))`` per value."""
    ok = np.isfinite(roots[..., 0])
    p, k = np.nonzero(ok)
    a = roots[p, k].T
    sign = np.sign(sys.det(sys.dphi(sys.phi(a), a))).astype(np.int64)
    return ok.sum(axis=1), np.bincount(p, weights=sign, minlength=len(roots)).astype(np.int64)


def _moduli(sys: _System, D: np.ndarray) -> np.ndarray:
    """``|eigenvalues|`` ``(M, n)`` of ``J = diag(D) W`` for ``D`` ``(n, M)``.

    :func:`rnnsym.closed_forms.batched_eigenvalue_moduli`: closed forms
    accurate near repeated eigenvalues for ``n = 2, 3`` (the trace and
    determinant lose every digit of ``sqrt(disc)`` there), LAPACK above.
    One unit needs no eigenvalue solver: ``|w phi'(a)|`` is exact.
    """
    if sys.n == 1:
        return np.abs(sys.W[0, 0] * D.T)
    return batched_eigenvalue_moduli(D.T[:, :, None] * sys.W[None])


def _tabulate(sys: _System, roots: np.ndarray, flags: np.ndarray, U: np.ndarray) -> dict[str, Any]:
    """The sweep's arrays: the accepted points, sorted by ``h`` (first coordinate, then the next).

    Points of a continuum (piecewise-linear ``phi``) are dropped and the continua kept instead; kinds
    within 1e-9 of the unit circle, and those of degenerate points, are decided point by point
    (:func:`~rnnsym.fixedpoints._verdicts.point_stability`: exactly where the point is exact).
    """
    roots, continua = split_continua(sys.act, sys.W, U, roots, flags)
    if continua:
        flags = degenerate_points(sys.act, sys.W, U, roots)
    P, K, n = roots.shape
    p, k = np.nonzero(np.isfinite(roots[..., 0]))
    a = roots[p, k].T
    with np.errstate(all="ignore"):
        h = sys.phi(a)
        pre = sys.times(h)
        pre += U[p].T
        residual = np.abs(sys.phi(pre) - h).max(axis=0)  # each passed the relative test in accept_roots
        D = sys.act.numpy_derivative(a)  # not p(phi): full relative accuracy in saturation
        moduli = _moduli(sys, D)
        sign = np.sign(sys.det(D))
    kind = classify_moduli(moduli) if len(p) else np.zeros(0, dtype=np.int8)
    degenerate = flags[p, k]
    for j in np.flatnonzero((kind == UNDECIDED) | degenerate):  # near 1, or a point known only roughly
        stab = point_stability(sys.act, sys.W, U[p[j]], h[:, j], J=D[:, j, None] * sys.W)
        kind[j] = KINDS.index(stab.kind)
    key = np.full((min(n, 3), P, K), np.inf)
    key[:, p, k] = h[:3]
    order = np.broadcast_to(np.arange(K), (P, K))
    for i in reversed(range(len(key))):  # lexicographic: stable sorts from the last key
        ranked = np.take_along_axis(key[i], order, axis=1)
        order = np.take_along_axis(order, np.argsort(ranked, axis=1, kind="stable"), axis=1)
    rank = np.empty((P, K), dtype=np.int64)
    np.put_along_axis(rank, order, np.arange(K)[None, :], axis=1)
    slot = rank[p, k]
    count = np.bincount(p, minlength=P)
    width = max(1, int(count.max(initial=0)))

    def table(values: np.ndarray, fill: Any, dtype: Any) -> np.ndarray:
        out = np.full((P, width) + values.shape[1:], fill, dtype=dtype)
        out[p, slot] = values
        return out

    return {"h": table(h.T, np.nan, float), "count": count, "residual": table(residual, np.nan, float),
            "kind": table(kind, -1, np.int8), "rho": table(moduli.max(axis=-1), np.nan, float),
            "index_sum": np.bincount(p, weights=sign, minlength=P).astype(np.int64),
            "degenerate": table(degenerate, False, bool),
            "continua": tuple(continua.get(q, ()) for q in range(P))}


# -- the sweep --------------------------------------------------------------------
@dataclass(frozen=True)
class Branch:
    """One branch of fixed points over a run of consecutive sweep values."""

    index: np.ndarray
    b: np.ndarray
    h: np.ndarray
    kind: np.ndarray
    rho: np.ndarray


@dataclass(frozen=True)
class FixedPointSweep:
    """Fixed points for every bias value of a sweep.

    Attributes
    ----------
    b : (P, n) array
        The bias values.
    h : (P, K, n) array
        Fixed points per value, sorted by the first coordinate (then the
        next), NaN-padded.
    count : (P,) array
        Fixed points found per value.
    kind : (P, K) int array
        Codes into :data:`rnnsym.stability.KINDS` (-1 where there is no point).
        Within 1e-9 of the unit circle, and at degenerate points, each point is
        decided on its own: exactly where it is an exact root (``"marginal"`` is
        ``rho = 1`` exactly), else ``"undecided"`` unless ``rho - 1`` beats the
        point's error.
    rho : (P, K) array
        ``rho(J)`` at each point, ``J = D W_h``, from
        :func:`rnnsym.closed_forms.batched_eigenvalue_moduli` (accurate near
        repeated eigenvalues).
    residual : (P, K) array
        ``|phi(W_h h + u) - h|_inf`` at each point.
    index_sum : (P,) int array
        Sum of ``sign det(I - J)`` over the points found: 1 when none is
        missing (bounded ``phi``, away from bifurcations and degenerate points).
    suspect : (P,) bool array
        Values whose index sum is not 1 after the repair rounds, or with a
        degenerate point, where ``sign det`` is no index and the check says
        nothing (always False for an unbounded ``phi``: there is no check).
    degenerate : (P, K) bool array
        ``I - J`` is singular (to rounding) at the point: the near-roots
        around it were merged into it (:mod:`~rnnsym.fixedpoints._accept`).
    continua : tuple
        Per value, the :class:`~rnnsym.fixedpoints.continua.Continuum` sets of
        fixed points (piecewise-linear ``phi``); their points are not listed.
    """

    b: np.ndarray
    h: np.ndarray
    count: np.ndarray
    kind: np.ndarray
    rho: np.ndarray
    residual: np.ndarray | None = None
    index_sum: np.ndarray | None = None
    suspect: np.ndarray | None = None
    degenerate: np.ndarray | None = None
    continua: tuple = ()

    @property
    def kind_names(self) -> np.ndarray:
        return np.where(self.kind >= 0, np.array(KINDS)[np.maximum(self.kind, 0)], "")

    def branches(self, max_jump: float = np.inf) -> list[Branch]:
        """Split the sweep into branches followed by continuity.

        Meant for a path of bias values (consecutive values close).  A run
        ends where the number of fixed points changes or where a point moves
        by more than ``max_jump`` (infinity norm).  Within a run each branch
        follows the nearest point of the next value, so branches that cross
        in the first coordinate stay apart; where that matching is not
        one-to-one (a coarse sweep) the sorted order is kept.
        """
        P, K = self.kind.shape
        if P == 0:
            return []
        valid = np.arange(K)[None, :] < self.count[:, None]
        h = np.where(valid[..., None], self.h, np.inf)
        with np.errstate(invalid="ignore"):
            dist = np.abs(h[1:, :, None, :] - h[:-1, None, :, :]).max(axis=-1)  # (P-1, K now, K before)
        dist = np.where(np.isfinite(dist), dist, np.inf)
        match = np.argmin(dist, axis=-1)
        match = np.where(valid[1:], match, np.arange(K)[None, :])
        onto = (np.sort(match, axis=-1) == np.arange(K)).all(axis=-1)
        match[~onto] = np.arange(K)  # not one-to-one (a coarse sweep): keep the sorted order
        moved = np.take_along_axis(dist, match[..., None], axis=-1)[..., 0]
        cut = (np.diff(self.count) != 0) | ((moved > max_jump) & valid[1:]).any(axis=-1)
        start = np.maximum.accumulate(np.where(np.concatenate([[True], cut]), np.arange(P), 0))
        # label[p, k] = slot at the run's first value that slot k at value p continues
        label = np.vstack([np.arange(K)[None, :], match])
        label[start == np.arange(P)] = np.arange(K)
        d = 1
        while d < P:  # segmented prefix composition of the matchings (Hillis-Steele)
            p = np.arange(d, P)
            join = p - d >= start[p]
            composed = np.take_along_axis(label[p - d], label[p], axis=-1)
            label[p[join]] = composed[join]
            d *= 2
        slot = np.argsort(label, axis=-1, kind="stable")                      # inverse permutation
        firsts = np.flatnonzero(start == np.arange(P))
        out = []
        for first, stop in zip(firsts, np.append(firsts[1:], P)):
            idx = np.arange(first, stop)
            for j in range(int(self.count[first])):
                k = slot[idx, j]
                out.append(Branch(idx, self.b[idx], self.h[idx, k], self.kind[idx, k], self.rho[idx, k]))
        return out


def sweep_fixed_points(net: Any, b: Any, x: Any = None, *, starts: int | None = None, seed: int = 0,
                       tol: float = 1e-12, merge_tol: float = 1e-7, max_iter: int = 60,
                       chunk: int = 16_384, rounds: int = 6) -> FixedPointSweep:
    """All fixed points of a numeric RNN for many bias values at once.

    Parameters
    ----------
    net : RNN
        A numeric network; its own ``b`` is replaced by each value of ``b``.
    b : array_like, shape (P, n) (or (P,) for one unit)
        The bias values.
    x : array_like, shape (m,), optional
        A constant input, added to every bias through ``W_x``.
    starts : int, optional
        Pattern starts per value (default ``min(3**n, 81)``).
    tol : float
        Newton stops at ``|a - W_h phi(a) - u|_inf <= tol``; a point is then
        kept only if its residual in ``h`` is at its rounding level (end points
        short of that are continued first).
    merge_tol : float
        Solutions closer than this in ``a`` (infinity norm, relative beyond
        ``|a|_inf = 1``: :func:`~rnnsym.fixedpoints.newton.merge_roots`) are one.
    chunk : int
        Newton rows (values times starts) held at once; chunks are over
        values, never over starts.
    rounds : int
        Repair rounds for values whose index sum is not 1.

    Returns
    -------
    FixedPointSweep

    Examples
    --------
    >>> import numpy as np, rnnsym as rs
    >>> sweep = sweep_fixed_points(rs.RNN([[2.0]]), np.linspace(-1, 1, 5))
    >>> sweep.count.tolist()
    [1, 3, 3, 3, 1]
    >>> [br.kind.tolist() for br in sweep.branches()][1:4]
    [[0, 0, 0], [1, 1, 1], [0, 0, 0]]
    """
    net = require_model(net, numeric=True)
    x = None if x is None else as_float_array(x, "x", allow_empty=True, finite=False)
    bias = as_float_array(b, "b", allow_empty=True, finite=False)
    if bias.ndim == 1 and net.n == 1:
        bias = bias[:, None]
    if bias.ndim != 2 or bias.shape[1] != net.n:
        raise ShapeError(f"`b` must have shape (P, {net.n}); got shape {np.shape(b)}.")
    if not np.all(np.isfinite(bias)):
        raise InvalidArgumentError("`b` must be finite; got NaN or infinity among the sweep values.")
    starts = None if starts is None else as_int(starts, "starts", low=1)
    tol, merge_tol, seed = as_tolerance(tol), as_tolerance(merge_tol, "merge_tol"), as_int(seed, "seed", low=0)
    max_iter, chunk = as_int(max_iter, "max_iter", low=1), as_int(chunk, "chunk", low=1)
    rounds = as_int(rounds, "rounds", low=0)
    U = bias + (constant_drive(net, x) - net.numeric_weights()[2])
    sys = _system(net, float(np.abs(U).max(initial=0.0)))
    P, n = U.shape
    if P == 0:
        empty = np.zeros((0, 1, n))
        return FixedPointSweep(bias, empty, np.zeros(0, int), np.zeros((0, 1), np.int8), empty[..., 0],
                               empty[..., 0], np.zeros(0, np.int64), np.zeros(0, bool), np.zeros((0, 1), bool), ())
    o = _Options(tol, merge_tol, max_iter, chunk, rounds, seed)
    pattern = _pattern_starts(sys, starts, seed)
    roots, flags = _search(sys, U, (pattern @ sys.W.T)[None] + U[:, None, :], o, cells=True)
    roots, flags = _repair(sys, U, roots, flags, _neighbours(_path_order(U)), o)
    t = _tabulate(sys, roots, flags, U)
    degenerate = t["degenerate"].any(axis=1)
    suspect = ((t["index_sum"] != 1) | degenerate) if sys.bounded else np.zeros(P, dtype=bool)
    return FixedPointSweep(bias, t["h"], t["count"], t["kind"], t["rho"], t["residual"], t["index_sum"], suspect,
                           t["degenerate"], t["continua"])
