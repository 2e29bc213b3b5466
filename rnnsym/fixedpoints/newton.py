"""Shared numerics of the fixed-point searches: the constant drive ``u = W_x x + b``.

Both :mod:`rnnsym.fixedpoints.search` (one input, certified where it can
be) and :mod:`rnnsym.fixedpoints.sweep` (a path of biases) solve
``h = phi(W_h h + u)``; what they share lives here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnsym.errors import InvalidArgumentError, ShapeError

__all__ = ["constant_drive"]


def constant_drive(net: Any, x: Any) -> np.ndarray:
    W_h, W_x, b = net.numeric_weights()
    if x is None:
        if np.any(W_x != 0):
            raise InvalidArgumentError(
                f"`x` is missing: a fixed point needs the constant input x (shape ({net.m},)) because "
                "W_x is nonzero; pass x=... (u = W_x x + b)."
            )
        return b.copy()
    xa = np.atleast_1d(np.asarray(x, dtype=float))
    if xa.shape[-1] != net.m:
        raise ShapeError(f"`x` must have {net.m} entries; got shape {xa.shape}.")
    if not np.all(np.isfinite(xa)):
        raise InvalidArgumentError(f"`x` must be finite; got {xa.tolist()}.")
    return xa @ W_x.T + b
