"""Which of a sweep's Newton end points are fixed points, and which of them are one.

:func:`~rnnsym.fixedpoints.sweep.sweep_fixed_points` solves ``G(a) = a - W
phi(a) - u`` in pre-activations for many drives ``u`` at once.  Its old
absolute test ``|G| <= tol`` accepted a cloud around a degenerate root:
``tanh`` with ``W = I`` and ``u = 0`` (only fixed point 0, ``J = I``) gave
10,351 points, because ``|a - tanh a| = |a|**3 / 3 <= 1e-12`` for every
``|a| <= 1.4e-4``.  The tests of :mod:`~rnnsym.fixedpoints.nearroots`
(written for :func:`~rnnsym.fixedpoints.search.find_fixed_points`), applied to
``h = phi(a)`` value by value:

* :func:`accept_roots` -- an end point is kept when ``F(h) = phi(W h + u) - h``
  is zero to its own rounding error (:func:`~rnnsym.fixedpoints.nearroots.relative_residual`);
  points that met the absolute tolerance only are first continued by Newton
  with ``tol = 0`` (near a degenerate root it converges linearly and stopped
  early).  For a smooth ``phi``, the near-roots around a degenerate root
  (``sigma_min(I - J)`` at rounding level) are merged into it
  (:func:`~rnnsym.fixedpoints.nearroots.cluster_degenerate`), each value on its own;
* :func:`degenerate_points` -- where ``I - J`` is singular to rounding: there
  ``sign det(I - J)`` is no index, so the index check cannot vouch for the value;
* :func:`split_continua` -- for a piecewise-linear ``phi`` a degenerate point
  may lie on a continuum of fixed points: the activation patterns through the
  value's points are solved exactly (:func:`~rnnsym.fixedpoints.continua.sets_through`);
  points a continuum holds are dropped and the continua returned instead.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from rnnsym.fixedpoints.continua import Continuum, sets_through
from rnnsym.fixedpoints.nearroots import ACCEPT, EPS, cluster_degenerate, is_degenerate, relative_residual
from rnnsym.fixedpoints.newton import damped_newton, merge_roots

__all__ = ["accept_roots", "degenerate_points", "split_continua", "MAX_CONTINUUM_PATTERNS"]

#: Most activation patterns solved exactly per value by :func:`split_continua`.
MAX_CONTINUUM_PATTERNS = 256


def _points(roots: np.ndarray) -> tuple[np.ndarray, ...]:
    return np.nonzero(np.isfinite(roots[..., 0]))


def accept_roots(act: Any, W: np.ndarray, linearize: Callable, U: np.ndarray, roots: np.ndarray,
                 merge_tol: float, merged: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The fixed points among ``roots`` ``(P, K, n)`` (pre-activations, NaN-padded) for the drives ``U``
    ``(P, n)``, and their :func:`degenerate_points` flags.

    Relative residuals, refinement, merging (each root represented by its
    candidate of smallest relative residual; skipped when ``merged`` roots all
    pass as they are) and, for a smooth ``phi``, degenerate clusters.
    """
    p, k = _points(roots)
    if not p.size:
        return roots, np.zeros(roots.shape[:2], dtype=bool)
    A = roots[p, k]
    ratio = relative_residual(act, W, U[p], act.numpy(A))
    late = np.flatnonzero(~(ratio <= 1.0))
    if late.size:  # met the absolute tol only: continue with tol = 0 until |G| stops decreasing
        res = damped_newton(linearize, A[late].T, U[p[late]].T, tol=0.0, step_tol=0.0, max_iter=200,
                            refusals=8, singular_det=0.0)
        A[late] = res.x.T
        ratio[late] = relative_residual(act, W, U[p[late]], act.numpy(A[late]))
    out = roots
    if not (merged and not late.size):
        out, score = np.full(roots.shape, np.nan), np.full(roots.shape[:2], np.inf)
        good = ratio <= 1.0
        out[p[good], k[good]], score[p[good], k[good]] = A[good], ratio[good]
        best = np.argsort(score, axis=1, kind="stable")  # merge_roots keeps the first: the smallest residual
        out = merge_roots(np.take_along_axis(out, best[..., None], axis=1), merge_tol)
    flags = degenerate_points(act, W, U, out)
    if act.pieces is not None:  # samples of a continuum are sorted out by split_continua
        return out, flags
    count = np.isfinite(out[..., 0]).sum(axis=1)
    for q in np.flatnonzero(flags.any(axis=1) & (count > 1)):
        a = out[q, :count[q]].copy()  # merge_roots packs the roots first
        kept, _ = cluster_degenerate(act, W, U[q], act.numpy(a))
        rows = [int(np.flatnonzero((act.numpy(a) == h).all(axis=1))[0]) for h in kept]
        out[q], flags[q] = np.nan, False
        out[q, :len(rows)] = a[rows]
        flags[q, :len(rows)] = degenerate_points(act, W, U[q:q + 1], out[q:q + 1, :len(rows)])[0]
    return out, flags


def degenerate_points(act: Any, W: np.ndarray, U: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """``(P, K)``: the point is a root where ``I - J`` is singular to rounding (False where there is none).

    :func:`~rnnsym.fixedpoints.nearroots.is_degenerate` (an SVD per point) runs only where
    ``|det(I - J)| / ||I - J||_F**(n - 1) <= sqrt(c eps) (1 + ||J||_F)``: the left side is at most
    ``sigma_min(I - J)`` and the right side at least the threshold, so no degenerate point is skipped.
    """
    p, k = _points(roots)
    flags = np.zeros(roots.shape[:2], dtype=bool)
    if not p.size:
        return flags
    H = act.numpy(roots[p, k])
    n = W.shape[0]
    with np.errstate(all="ignore"):
        J = act.numpy_prime(H @ W.T + U[p])[:, :, None] * W[None]
        M = np.eye(n)[None] - J
        frob = np.sqrt((M * M).sum(axis=(1, 2)))
        det = M[:, 0, 0] if n == 1 else (M[:, 0, 0] * M[:, 1, 1] - M[:, 0, 1] * M[:, 1, 0] if n == 2
                                         else np.linalg.det(M))
        lower = np.abs(det) / frob ** (n - 1)
        threshold = np.sqrt(ACCEPT * (n + 4) * EPS) * (1.0 + np.sqrt((J * J).sum(axis=(1, 2))))
        check = np.flatnonzero(~(lower > 2 * threshold))  # 2: room for the rounding of det
    if check.size:
        flags[p[check], k[check]] = is_degenerate(act, W, U[p[check]], H[check])
    return flags


def split_continua(act: Any, W: np.ndarray, U: np.ndarray, roots: np.ndarray, degenerate: np.ndarray
                   ) -> tuple[np.ndarray, dict[int, tuple[Continuum, ...]]]:
    """For a piecewise-linear ``phi``: ``roots`` less the points of continua, and the continua by value.

    Only values with a degenerate point can hold a continuum (a nonsingular
    pattern system has one solution); their patterns are solved exactly.
    """
    found: dict[int, tuple[Continuum, ...]] = {}
    if act.pieces is None:
        return roots, found
    roots = roots.copy()
    for q in np.flatnonzero(degenerate.any(axis=1)):
        live = np.flatnonzero(np.isfinite(roots[q, :, 0]))
        H = act.numpy(roots[q, live])
        sets = sets_through(act, W, U[q], H, max_patterns=MAX_CONTINUUM_PATTERNS)
        if not sets.continua:
            continue
        found[int(q)] = tuple(sets.continua)
        inside = np.array([any(c.contains(h, 1e-7) for c in sets.continua) for h in H])
        kept = roots[q, live[~inside]]
        roots[q] = np.nan
        roots[q, :len(kept)] = kept
    return roots, found
