"""The one streamed QR behind every Lyapunov spectrum and every long Jacobian-product norm.

An orthonormal ``n x k`` frame ``Q_0`` is moved by ``J_1, J_2, ...`` and
re-orthonormalised after each step, ``J_j Q_{j-1} = Q_j R_j`` (LAPACK
``geqrf``/``orgqr``), so ``J_j ... J_1 Q_0 = Q_j R_j ... R_1``: the sums of
``log |diag R_j|`` over the steps, divided by their number, are the top ``k``
Lyapunov exponents, and (with ``k = n``) ``||J_j ... J_1||_2 =
||R_j ... R_1||_2``, kept rescaled so nothing overflows or underflows.
:func:`stream_qr` takes the Jacobians one at a time (stored, computed in
chunks, or applied to the frame by the caller's own step), so memory does not
grow with the number of steps unless the log-norms are asked for.  Its
callers: :func:`rnnsym.gradients.product_log_norms` and
:func:`rnnsym.gradients.lyapunov_exponents` (a simple RNN),
:func:`rnnsym.cells.analysis.cell_lyapunov_spectrum` and
:func:`rnnsym.cells.analysis.cell_gradient_norms` (any cell).

>>> J = np.array([[2.0, 1.0], [0.0, 0.5]])
>>> s = stream_qr([J] * 1000, generic_frame(2, 2), log_norms=True)
>>> np.round(s.exponents, 2).tolist(), s.steps, bool(np.isclose(s.log_norms[-1] / 1000, np.log(2), atol=1e-3))
([0.69, -0.69], 1000, True)
>>> top = stream_qr([J] * 10_000, generic_frame(2, 1), block=100, tol=1e-3, min_steps=500)
>>> top.steps, top.converged, bool(top.standard_error <= 1e-3)
(1500, True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Sized

import numpy as np
from scipy.linalg import get_lapack_funcs

__all__ = ["FRAME_SEED", "generic_frame", "QRStream", "stream_qr", "rescale", "scaled_log_norms"]

#: The seed of the fixed generic starting frame every streamed QR uses.
FRAME_SEED = 20240601

_GEQRF, _ORGQR = get_lapack_funcs(("geqrf", "orgqr"), (np.zeros((1, 1)),))


@lru_cache(maxsize=32)
def generic_frame(n: int, k: int) -> np.ndarray:
    """The first ``k`` columns of a fixed generic orthonormal ``n x n`` frame (read-only).

    A generic frame, not the identity: the identity can sit in an invariant subspace.
    """
    frame = np.linalg.qr(np.random.default_rng(FRAME_SEED).normal(size=(n, n))[:, :k])[0]
    frame.flags.writeable = False
    return frame


@dataclass(frozen=True)
class QRStream:
    """What :func:`stream_qr` accumulated.

    ``sums``: ``sum_j log |(R_j)_ii|``, decreasing; ``steps``: how many
    Jacobians were applied; ``standard_error``: the largest batch-means
    standard error of the ``k`` per-step means (NaN without ``block`` or under
    two blocks); ``converged``: the stream stopped because it fell to ``tol``;
    ``log_norms``: entry ``j - 1`` is ``log ||J_j ... J_1 Q_0||_2`` (None unless asked for).
    """

    sums: np.ndarray
    steps: int
    standard_error: float
    converged: bool
    log_norms: np.ndarray | None = None

    @property
    def exponents(self) -> np.ndarray:
        """``sums / steps``: the Lyapunov exponents per step, decreasing."""
        return self.sums / self.steps


def stream_qr(jacobians: Iterable[np.ndarray | Callable[[np.ndarray], np.ndarray]], frame: np.ndarray, *,
              tol: float | None = None, block: int | None = None, min_steps: int = 1,
              log_norms: bool = False) -> QRStream:
    """Move ``frame`` (``n x k``, orthonormal) by each Jacobian in turn and re-orthonormalise it (QR).

    Each item of ``jacobians`` is an ``(n, n)`` array ``J`` or a callable
    ``apply(Q) -> J Q`` (a caller that never forms ``J``, e.g. ``D (W Q)``).
    The iteration runs with floating-point warnings off; items may raise.
    With ``block``, the per-step growths are averaged over blocks of that
    many steps and their batch-means standard error tracked; with ``tol`` as
    well, the stream stops at the first block end after ``min_steps`` steps
    whose error is at most ``tol``.  ``log_norms=True`` keeps the rescaled
    ``R_j ... R_1`` of every step (``O(steps k^2)`` memory) and needs a sized
    ``jacobians`` (an array or a list).
    """
    q = np.asarray(frame, dtype=float)
    k = q.shape[1]
    total, part, steps, converged, se = np.zeros(k), np.zeros(k), 0, False, math.nan
    means: list[np.ndarray] = []
    if log_norms and not isinstance(jacobians, Sized):
        raise TypeError("stream_qr(log_norms=True) needs a sized `jacobians` (an array or a list).")
    count = len(jacobians) if log_norms and isinstance(jacobians, Sized) else 0
    upper, scale, kept, scales = np.eye(k), 0.0, np.empty((count, k, k)), np.empty(count)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for item in jacobians:
            moved = item(q) if callable(item) else item @ q
            packed, tau, _, _ = _GEQRF(moved)
            grow = np.log(np.abs(packed.diagonal()))
            q = _ORGQR(packed, tau)[0]
            steps += 1
            total += grow
            if log_norms:
                upper = np.triu(packed[:k]) @ upper
                scale = rescale(upper, scale)
                kept[steps - 1], scales[steps - 1] = upper, scale
            if block is not None:
                part += grow
                if steps % block == 0:
                    means, part = means + [part / block], np.zeros(k)
                    if len(means) > 1:
                        se = float((np.std(means, axis=0, ddof=1) / math.sqrt(len(means))).max())
                    if tol is not None and steps >= min_steps and se <= tol:
                        converged = True
                        break
    logs = scaled_log_norms(kept[:steps], scales[:steps]) if log_norms else None
    return QRStream(np.sort(total)[::-1], steps, se, converged, logs)


def rescale(matrix: np.ndarray, scale: float) -> float:
    """Divide ``matrix`` in place by its largest ``|entry|``; return ``scale`` plus that entry's log.

    ``-inf`` once the matrix is zero or the scale is already ``-inf`` (the matrix is then left as it is).
    """
    size = float(np.abs(matrix).max())
    if size > 0.0 and math.isfinite(scale):
        matrix /= size
        return scale + math.log(size)
    return -math.inf


def scaled_log_norms(kept: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """``log ||kept[j]||_2 + scales[j]`` for a stack of rescaled matrices; ``-inf`` where the scale is."""
    with np.errstate(divide="ignore"):
        norms = np.linalg.svd(kept, compute_uv=False)[:, 0] if kept.size else np.zeros(len(kept))
        logs = np.log(norms) + np.where(np.isfinite(scales), scales, 0.0)
    logs[~np.isfinite(scales)] = -np.inf
    return logs
