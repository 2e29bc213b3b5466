"""Which Newton end points are fixed points: residuals relative to rounding, and degenerate clusters.

An absolute test ``|F(h)| <= 1e-12`` accepts every ``h`` with ``|h|^3 / 3 <
1e-12`` for ``tanh`` with ``W = I`` (``F(h) = tanh(h) - h``), so thousands of
"fixed points" were reported around the single one, 0.  Here:

* :func:`relative_residual` -- ``max_i |F_i(h)| / (c eps s_i(h))`` with
  ``s_i = |h_i| + |phi(z_i)| + |phi'(z_i)| ((|W| |h|)_i + |u_i|)``,
  ``z = W h + u`` and ``c = ACCEPT * (n + 4)``.  Evaluating ``F_i`` in
  float64 rounds the ``n``-term dot product ``z_i`` by at most ``gamma_{n+1}
  ((|W||h|)_i + |u_i|)`` (Higham, Thm 3.5), which ``phi`` scales by
  ``|phi'(z_i)|``; ``phi`` itself is good to a few ulps of ``|phi(z_i)|``
  and the final subtraction adds one ulp of ``|phi(z_i)| + |h_i|``: the
  rounding error is at most about ``(n + 4) eps s_i``.  A ratio ``<= 1``
  means ``F(h) = 0`` up to ``ACCEPT`` times its own rounding error -- ``h``
  is an exact fixed point of a network whose weights, drive and ``phi``
  are perturbed by a few ulps -- and nothing coarser is accepted.  The scale
  has no absolute floor: near ``h = 0`` with ``u = 0`` the test stays
  relative (``tanh(h) - h = 0`` to rounding only for ``|h| <~ 1e-7``).
* :func:`refine` -- Newton continued from end points that met the absolute
  ``tol`` but not the relative test (near a degenerate root Newton converges
  linearly and stops early), until the residual stops decreasing.
* :func:`cluster_degenerate` -- a root is *degenerate* when ``I - J`` is
  singular there: ``sigma_min(I - J) <= sqrt(c eps) (1 + ||J||_2)`` (below
  that, the rounding-level neighbourhood ``{|F| <= c eps s}`` of a simple
  root is no longer small compared with its distance to the nearest
  critical point, so near-roots spread along the null direction).  Two
  accepted points, one of them degenerate, are the same root when ``F``
  stays at rounding level (ratio ``<= 1``) at 1/4, 1/2 and 3/4 of the
  segment joining them; each cluster is reported once, by its member with
  the smallest ratio.  Two roots are merged only if ``F`` stays at rounding
  level all along the segment between them, i.e. float64 cannot tell them
  apart from one degenerate root (between well-separated simple roots
  ``|F|`` rises to about ``sigma_min`` times their distance).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from rnnsym.fixedpoints.newton import damped_newton

__all__ = ["ACCEPT", "relative_residual", "refine", "smallest_singular_values", "is_degenerate",
           "cluster_degenerate"]

#: Headroom over the rounding-error bound ``(n + 4) eps s_i`` of a computed residual.
ACCEPT = 4.0

EPS = float(np.finfo(float).eps)


def _parts(act: Any, W: np.ndarray, u: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    H = np.atleast_2d(np.asarray(H, dtype=float))
    with np.errstate(all="ignore"):
        Z = H @ W.T + u
        P = act.numpy(Z)
        scale = np.abs(H) + np.abs(P) + np.abs(act.numpy_prime(Z)) * (np.abs(H) @ np.abs(W).T + np.abs(u))
    return P - H, scale


def relative_residual(act: Any, W: np.ndarray, u: np.ndarray, H: Any) -> np.ndarray:
    """``max_i |F_i(h)| / (c eps s_i(h))`` for each row ``h`` of ``H`` (``<= 1``: a fixed point)."""
    F, scale = _parts(act, W, u, H)
    bound = ACCEPT * (W.shape[0] + 4) * EPS * scale
    with np.errstate(all="ignore"):
        ratio = np.where(F == 0, 0.0, np.abs(F) / np.where(bound > 0, bound, np.inf))
        ratio = np.where(np.isfinite(F), ratio, np.inf)
    return ratio.max(axis=-1)


def refine(linearize: Callable, H: np.ndarray, u: np.ndarray, max_iter: int = 200) -> np.ndarray:
    """The one damped Newton continued from the rows of ``H`` until ``|F|_inf`` stops decreasing.

    ``tol = step_tol = 0`` and ``singular_det = 0``: every step solves ``(D W -
    I) s = -F`` as it is, however ill-conditioned (near a degenerate root that
    is what converges, linearly); a column stops after 8 refused steps in a row.
    """
    if not len(H):
        return H
    out = damped_newton(linearize, np.asarray(H, dtype=float).T, u[:, None], tol=0.0, step_tol=0.0,
                        max_iter=max_iter, refusals=8, singular_det=0.0)
    return out.x.T


def smallest_singular_values(act: Any, W: np.ndarray, u: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sigma_min(I - J)`` and ``||J||_2`` at each row of ``H`` (``J = diag(phi'(W h + u)) W``)."""
    n = W.shape[0]
    J = act.numpy_prime(H @ W.T + u)[:, :, None] * W[None]
    s_IJ = np.linalg.svd(np.eye(n)[None] - J, compute_uv=False)
    return s_IJ[:, -1], np.linalg.svd(J, compute_uv=False)[:, 0]


def is_degenerate(act: Any, W: np.ndarray, u: np.ndarray, H: np.ndarray) -> np.ndarray:
    """``sigma_min(I - J) <= sqrt(c eps) (1 + ||J||_2)`` at each row of ``H``: ``I - J`` is singular to rounding."""
    H = np.atleast_2d(np.asarray(H, dtype=float))
    if not len(H):
        return np.zeros(0, dtype=bool)
    sigma, norm = smallest_singular_values(act, W, u, H)
    return sigma <= np.sqrt(ACCEPT * (W.shape[0] + 4) * EPS) * (1.0 + norm)


def cluster_degenerate(act: Any, W: np.ndarray, u: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge accepted points clustered around a degenerate root; returns ``(points, degenerate)``."""
    K = H.shape[0]
    if K == 0:
        return H, np.zeros(0, dtype=bool)
    degenerate = is_degenerate(act, W, u, H)
    ratio = relative_residual(act, W, u, H)
    label = np.arange(K)
    for i in np.flatnonzero(degenerate):
        others = np.flatnonzero(label != label[i])
        if not others.size:
            continue
        ok = np.ones(others.size, dtype=bool)
        for t in (0.25, 0.5, 0.75):
            mid = (1 - t) * H[i][None] + t * H[others]
            ok &= relative_residual(act, W, u, mid) <= 1.0
        label[np.isin(label, label[others[ok]])] = label[i]
    roots = label
    keep, flags = [], []
    for r in np.unique(roots):
        members = np.flatnonzero(roots == r)
        best = members[np.lexsort((np.abs(H[members]).max(axis=1), ratio[members]))[0]]
        keep.append(best)
        flags.append(bool(degenerate[members].any()))
    order = np.argsort(keep)
    return H[np.array(keep)[order]], np.array(flags)[order]
