"""Batched forward simulation of ``h_t = phi(W_h h_{t-1} + W_x x_t + b)``.

:func:`simulate_batch` runs a batch of input sequences ``(B, T, m)`` through
a numeric :class:`~rnnsym.model.RNN` and returns the states ``(B, T, n)``
(``h_1 ... h_T``, the layout of ``torch.nn.RNN(batch_first=True)``), in
float32 or float64, writing into preallocated buffers (``out=`` reuses
yours).  Two methods:

* ``"matmul"`` -- the input projection ``x W_x^T + b`` for all steps as one
  matrix product written straight into the output, then per step one BLAS
  product, an in-place add and the activation in place;
* ``"fused"`` -- for tiny ``n``: the step is *derived* by SymPy from the
  model (:meth:`RNN.step` with the numeric weights substituted) and compiled
  by numba into a loop over the batch (in parallel) and time (in registers),
  so each sequence is read and written once.  Needs the ``fast`` extra.

``"auto"`` picks ``"fused"`` for ``n <= 4`` when numba is installed.

Representability.  With ``dtype=float32`` a weight, input or initial state
beyond the float32 range (``|v| > 3.4e38``) is refused with
:class:`~rnnsym.errors.InvalidArgumentError` naming it (it would become
``inf`` and the result NaN or ``inf`` without a word); pass
``dtype=numpy.float64`` for such values.  Values below the float32
resolution are rounded (tiny ones to 0) as float32 always does.

Examples
--------
>>> import numpy as np
>>> import rnnsym as rs
>>> from rnnsym.simulate import simulate_batch
>>> net = rs.RNN([[0.5]], [[1.0]], [0.0], activation="identity")
>>> simulate_batch(net, np.ones((2, 3, 1)), dtype=np.float64)[0, :, 0].tolist()
[1.0, 1.5, 1.75]
"""

from __future__ import annotations

import builtins
from functools import lru_cache
from typing import Any

import numpy as np

from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.kernel import compile as compile_kernel
from rnnsym.model import RNN
from rnnsym._matrices import as_choice, as_float_array, check_out, require_model

__all__ = ["METHODS", "simulate_batch", "step_kernel"]

METHODS = ("auto", "matmul", "fused")
_FUSED_MAX_N = 4


def _numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def step_kernel(net: RNN) -> Any:
    """The model's step ``phi(W_h h + W_x x + b)`` as a numba-compiled kernel of ``(h_prev, x)``.

    Derived by SymPy from :meth:`RNN.step`; the weights must be numeric.

    >>> import rnnsym as rs
    >>> k = step_kernel(rs.RNN([[0.5]], [[1.0]], [0.25], activation="relu"))  # doctest: +SKIP
    >>> k([[2.0]], [[-1.0]]).tolist()  # doctest: +SKIP
    [[0.25]]
    """
    require_model(net).numeric_weights()  # raises for symbolic weights
    return compile_kernel(net.step(), [net.h_prev, net.x], backend="numba")


@lru_cache(maxsize=32)
def _scan(net: RNN) -> Any:
    """A numba loop: batch in parallel, time inside, state in registers."""
    import numba  # optional extra `fast`: imported only when the fused path runs

    point = step_kernel(net)._fused.point
    n, m = net.n, net.m
    hs = [f"_h{i}" for i in range(n)]
    xs = [f"_f64(xs[b, t, {k}])" for k in range(m)]  # float32 inputs: compute in float64
    lines = ["def _scan(xs, h0, s0, out):",
             "    for b in numba.prange(xs.shape[0]):",
             *[f"        _h{i} = h0[b * s0, {i}]" for i in range(n)],
             "        for t in range(xs.shape[1]):",
             f"            v = _point({', '.join(hs + xs)})",
             *[f"            _h{i} = v[{i}]\n            out[b, t, {i}] = _h{i}" for i in range(n)]]
    namespace: dict[str, Any] = {"numba": numba, "_point": point, "_f64": np.float64}
    exec(builtins.compile("\n".join(lines) + "\n", "<rnnsym scan>", "exec"), namespace)
    return numba.njit(parallel=True, error_model="numpy")(namespace["_scan"])


def _representable(values: np.ndarray, name: str, dtype: np.dtype) -> np.ndarray:
    """``values`` (finite float64) cast to ``dtype``, refusing what would overflow to inf."""
    if dtype == np.float64 or values.size == 0:
        return np.asarray(values, dtype=dtype)
    largest = float(np.max(np.abs(values)))
    if largest > float(np.finfo(dtype).max):
        raise InvalidArgumentError(
            f"`{name}` has an entry of magnitude {largest:.3g}, beyond the {dtype} range "
            f"(largest {float(np.finfo(dtype).max):.3g}); pass dtype=numpy.float64."
        )
    return values.astype(dtype)


def _inputs(net: RNN, xs: Any, h0: Any, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(xs, np.ndarray) and xs.dtype == dtype and xs.dtype.kind == "f":
        raw = xs  # already the working dtype: no float64 copy (the finiteness check still runs)
        if not np.isfinite(xs).all():
            as_float_array(xs, "xs", allow_empty=True)  # raises the one-line NonFiniteError
    else:
        raw = as_float_array(xs, "xs", allow_empty=True)
    if raw.ndim != 3 or raw.shape[-1] != net.m:
        raise ShapeError(f"`xs` must have shape (B, T, {net.m}); got shape {raw.shape}.")
    xs = raw if raw.dtype == dtype else _representable(raw, "xs", dtype)
    B = xs.shape[0]
    h = np.zeros((1, net.n), dtype) if h0 is None else _representable(as_float_array(h0, "h0"), "h0", dtype)
    if h.ndim == 1:
        h = h[None, :]
    if h.ndim != 2 or h.shape[-1] != net.n or h.shape[0] not in (1, B):
        raise ShapeError(f"`h0` must have shape ({net.n},) or ({B}, {net.n}); got shape {np.shape(h0)}.")
    return xs, h


def _float_dtype(dtype: Any) -> np.dtype:
    """``numpy.float32`` or ``numpy.float64`` (as a type, dtype or name); anything else is refused."""
    try:
        found = np.dtype(dtype) if isinstance(dtype, (type, np.dtype, str)) else None
    except (TypeError, ValueError):
        found = None
    if found is None or found not in (np.float32, np.float64):
        raise InvalidArgumentError(f"`dtype` must be float32 or float64; got {str(dtype)[:40]!r}.")
    return found


def simulate_batch(net: RNN, xs: Any, h0: Any = None, *, dtype: Any = np.float32,
                   out: np.ndarray | None = None, method: str = "auto") -> np.ndarray:
    """States ``h_1 ... h_T`` for a batch of input sequences.

    Parameters
    ----------
    net : RNN
        A numeric RNN (weights without symbols).
    xs : array_like, shape (B, T, m)
        Inputs, batch first.
    h0 : array_like, shape (n,) or (B, n), optional
        Initial states (default zeros).
    dtype : {numpy.float32, numpy.float64}
        Precision of the matmul method and of the result (the fused method
        computes in float64 and stores in ``dtype``).  Weights, inputs or
        initial states beyond the range of ``dtype`` raise
        :class:`~rnnsym.errors.InvalidArgumentError` (no silent ``inf``).
    out : numpy.ndarray, shape (B, T, n), optional
        A C-contiguous buffer of ``dtype`` to write into (reused, returned).
    method : {"auto", "matmul", "fused"}

    Returns
    -------
    numpy.ndarray, shape (B, T, n)

    Examples
    --------
    >>> import rnnsym as rs
    >>> net = rs.RNN([[0.0, 1.0], [1.0, 0.0]], [[1.0], [0.0]], activation="identity")
    >>> simulate_batch(net, [[[1.0], [0.0], [0.0]]], method="matmul")[0].tolist()
    [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """
    dtype, method, net = _float_dtype(dtype), as_choice(method, "method", METHODS), require_model(net)
    W_h, W_x, b = (_representable(a, f"net.{name}", dtype)
                   for a, name in zip(net.numeric_weights(), ("W_h", "W_x", "b")))
    xs, h = _inputs(net, xs, h0, dtype)
    B, T = xs.shape[:2]
    shape = (B, T, net.n)
    out = np.empty(shape, dtype) if out is None else check_out(out, "out", shape, dtype)
    if method == "auto":
        method = "fused" if net.n <= _FUSED_MAX_N and _numba_available() else "matmul"
    if T == 0 or B == 0:
        return out
    if method == "fused":
        if not _numba_available():
            raise InvalidArgumentError(
                "`method`='fused' needs the optional package numba; install it with "
                "`pip install rnnsym[fast]` or use method='matmul'."
            )
        h64 = np.ascontiguousarray(h, dtype=np.float64)
        _scan(net)(np.ascontiguousarray(xs), h64, int(h64.shape[0] == B), out)
        return out
    np.matmul(xs, W_x.T, out=out)           # input projection for every step at once
    out += b
    phi = net.activation.numpy_function
    tmp = np.empty((B, net.n), dtype)
    prev = np.broadcast_to(h, (B, net.n))
    W_hT = np.ascontiguousarray(W_h.T)
    for t in range(T):
        row = out[:, t, :]
        np.matmul(prev, W_hT, out=tmp)
        row += tmp
        _activate(phi, row)
        prev = row
    return out


def _activate(phi: Any, row: np.ndarray) -> None:
    """``row = phi(row)`` in place where the activation is a NumPy ufunc."""
    if isinstance(phi, np.ufunc):
        phi(row, out=row)
    else:
        row[...] = phi(row)
