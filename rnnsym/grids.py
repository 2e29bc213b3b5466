"""Evaluate a kernel over parameter grids larger than memory, in chunks or on a Dask cluster.

:func:`sweep` takes a :class:`~rnnsym.kernel.Kernel` (or a
:class:`~rnnsym.derivation.Derivation`, whose kernel it uses) and a grid:
one 1-D array of values per swept argument, in order.  The result has one
axis per grid entry.  The full grid is never built: each chunk of the
flattened index range is unravelled to per-axis indices, the kernel runs on
those values and writes into ``out`` (any array of the right shape, such as
a ``numpy.memmap`` on disk for results larger than memory).

``backend="dask"`` runs the same chunks as a Dask array
(``dask.array.map_blocks``) on the active scheduler, a local or a
distributed cluster (``distributed.Client``); the chunk function ships the
SymPy expression, not compiled code, and compiles it once per worker.
Install the ``dask`` extra.

Sizes are checked before anything is allocated: a result that ``sweep``
would allocate itself (no ``out=``, or Dask with ``compute=True``) and the
working memory of one chunk are each limited to ``max_bytes`` (default
:data:`MAX_SWEEP_BYTES`, 4 GiB); beyond that
:class:`~rnnsym.errors.ResourceLimitError` names the size and the way out
(``out=`` a ``numpy.memmap``, a smaller ``chunk=``, or a larger
``max_bytes``) instead of a ``MemoryError`` half-way.

Examples
--------
>>> import numpy as np, sympy as sp
>>> import rnnsym as rs
>>> from rnnsym.grids import sweep
>>> a, w = sp.symbols("a w", real=True)
>>> k = rs.compile(a * sp.cos(w), [a, w])
>>> sweep(k, {"a": [1.0, 2.0], "w": [0.0, np.pi]}, chunk=3).tolist()
[[1.0, -1.0], [2.0, -2.0]]
"""

from __future__ import annotations

import math
import sys
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

from rnnsym.errors import InvalidArgumentError, ResourceLimitError, ShapeError, UnknownNameError
from rnnsym.kernel import Kernel, compile as compile_kernel
from rnnsym._matrices import as_choice, as_float_array, as_int, as_mapping, check_out

__all__ = ["SWEEP_BACKENDS", "MAX_SWEEP_BYTES", "sweep"]

SWEEP_BACKENDS = ("numpy", "dask")
#: Default ``max_bytes`` of :func:`sweep`: the most memory it allocates for a result, and for one chunk.
MAX_SWEEP_BYTES = 4 * 2**30
#: Working float64 arrays per point of a chunk, besides one per argument and per result entry
#: (the flat index, and the temporaries of the kernel's NumPy evaluation).
_CHUNK_OVERHEAD = 4


class _Chunk:
    """Picklable chunk function: the kernel is recompiled (and cached) where it runs."""

    def __init__(self, kernel: Kernel, order: list[int], fixed: dict[int, Any],
                 axes: list[np.ndarray]) -> None:
        self.expr, self.args, self.backend = kernel.expr, kernel.args, kernel.backend
        self.cse, self.assumptions, self.dps = True, kernel.assumptions, kernel.dps
        self.order, self.fixed, self.axes = order, fixed, axes
        self._kernel: Kernel | None = kernel

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_kernel"] = None
        return state

    def kernel(self) -> Kernel:
        if self._kernel is None:
            self._kernel = compile_kernel(self.expr, self.args, backend=self.backend,
                                          assumptions=self.assumptions, on_domain="nan", dps=self.dps)
        return self._kernel

    def values(self, index: np.ndarray) -> np.ndarray:
        """Kernel values at flat grid indices ``index``."""
        shape = tuple(len(a) for a in self.axes)
        where = np.unravel_index(index, shape)
        values: list[Any] = [None] * len(self.args)
        for axis, position in enumerate(self.order):
            values[position] = self.axes[axis][where[axis]]
        for position, value in self.fixed.items():
            values[position] = value
        return np.asarray(self.kernel()(*values, on_domain="nan"))

    def block(self, index: np.ndarray) -> np.ndarray:
        return self.values(index)


def _target(kernel_or_derivation: Any) -> Kernel:
    if isinstance(kernel_or_derivation, Kernel):
        return kernel_or_derivation
    kernel = getattr(kernel_or_derivation, "kernel", None)
    if isinstance(kernel, Kernel):
        return kernel
    raise InvalidArgumentError(
        f"`kernel_or_derivation` must be a Kernel or a Derivation; got {type(kernel_or_derivation).__name__}."
    )


def _position(kernel: Kernel, key: Any) -> int:
    names = [str(a) for a in kernel.args]
    if isinstance(key, sp.Basic) and key in kernel.args:
        return kernel.args.index(key)
    if str(key) in names:
        return names.index(str(key))
    raise UnknownNameError(f"`{key}` is not an argument of the kernel; its arguments are {', '.join(names)}.")


def _progress_bar(total: int, enabled: bool) -> Callable[[int], None]:
    if not enabled:
        return lambda step: None
    try:
        from tqdm import tqdm  # optional: a progress bar only when tqdm is installed
    except ImportError:
        done = [0]

        def text(step: int) -> None:
            done[0] += step
            print(f"\rsweep: {done[0]:,}/{total:,} points ({100 * done[0] / max(total, 1):.0f}%)",
                  end="" if done[0] < total else "\n", file=sys.stderr)
        return text
    bar = tqdm(total=total, unit="pt", unit_scale=True, desc="sweep")

    def update(step: int) -> None:
        bar.update(step)
        if bar.n >= total:
            bar.close()
    return update


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.3g} GiB"


def _check_sizes(shape: tuple[int, ...], tail: tuple[int, ...], n_args: int, chunk: int,
                 max_bytes: int, allocates_result: bool) -> int:
    """The number of grid points, after refusing a result or a chunk larger than ``max_bytes``."""
    total = math.prod(shape)
    width = math.prod(tail)
    if total > np.iinfo(np.intp).max // max(width, 1):
        raise ResourceLimitError(
            f"the grid of shape {shape} has {total:.3g} points, more than NumPy can index; "
            "sweep fewer points per call."
        )
    result = total * width * 8
    if allocates_result and result > max_bytes:
        raise ResourceLimitError(
            f"the result of shape {shape + tail} needs {_gib(result)} of float64, more than "
            f"max_bytes={max_bytes} ({_gib(max_bytes)}); pass out= a numpy.memmap "
            "(numpy.lib.format.open_memmap), use backend='dask' with compute=False, or a larger max_bytes."
        )
    points = min(chunk, total)
    working = points * 8 * (n_args + width + _CHUNK_OVERHEAD)
    if working > max_bytes:
        raise ResourceLimitError(
            f"`chunk`={chunk} evaluates {points} points at once, about {_gib(working)} of working "
            f"memory, more than max_bytes={max_bytes} ({_gib(max_bytes)}); pass a smaller chunk=."
        )
    return total


def sweep(kernel_or_derivation: Any, grid: Mapping[Any, Any], *, fixed: Mapping[Any, Any] | None = None,
          chunk: int = 1 << 20, backend: str = "numpy", progress: bool = False,
          out: Any = None, compute: bool = True, max_bytes: int | None = None) -> Any:
    """Evaluate a kernel on the outer product of ``grid``'s axes, chunk by chunk.

    Parameters
    ----------
    kernel_or_derivation : Kernel or Derivation
    grid : mapping of argument (name or symbol) to a 1-D array
        The swept arguments; the result has one axis per entry, in order.
    fixed : mapping, optional
        Values for the remaining arguments (scalars or matrices).
    chunk : int
        Points per chunk (bounds memory; also the Dask chunk size).
    backend : {"numpy", "dask"}
    progress : bool
        Show a progress bar (tqdm when installed; the numpy backend).
    out : array, optional
        Where to write (for example a ``numpy.memmap``); numpy backend.
    compute : bool
        With ``backend="dask"``, return the computed NumPy array (default)
        or the lazy Dask array.
    max_bytes : int, optional
        The most memory ``sweep`` may allocate for the result (when it
        allocates it) and for one chunk (default :data:`MAX_SWEEP_BYTES`);
        beyond it :class:`~rnnsym.errors.ResourceLimitError`, before any work.

    Points outside the kernel's assumptions come back as NaN.  Grid and
    fixed values must be finite real numbers (strings are refused).

    Returns
    -------
    numpy.ndarray or dask.array.Array, shape ``tuple(len(axis) for axis in grid)``
    (plus the kernel's matrix shape for matrix results).
    """
    kernel = _target(kernel_or_derivation)
    backend, chunk = as_choice(backend, "backend", SWEEP_BACKENDS), as_int(chunk, "chunk", low=1)
    limit = MAX_SWEEP_BYTES if max_bytes is None else as_int(max_bytes, "max_bytes", low=1)
    grid, fixed = as_mapping(grid, "grid"), as_mapping(fixed, "fixed", optional=True)
    order, axes = [], []
    for key, values in grid.items():
        axis = as_float_array(values, f"grid[{str(key)!r}]", allow_empty=True)
        if axis.ndim != 1 or axis.size == 0:
            raise ShapeError(f"grid axis `{key}` must be a non-empty 1-D array; got shape {axis.shape}.")
        order.append(_position(kernel, key))
        axes.append(axis)
    fixed_pos = {_position(kernel, k): as_float_array(v, f"fixed[{str(k)!r}]")
                 for k, v in fixed.items()}
    missing = [str(a) for i, a in enumerate(kernel.args) if i not in order and i not in fixed_pos]
    if missing:
        raise InvalidArgumentError(f"arguments {', '.join(missing)} are neither in `grid` nor in `fixed`.")
    if len(set(order)) != len(order) or set(order) & set(fixed_pos):
        raise InvalidArgumentError("each kernel argument must appear once, in `grid` or in `fixed`.")
    chunker = _Chunk(kernel, order, fixed_pos, axes)
    shape = tuple(len(a) for a in axes)
    allocates = out is None if backend == "numpy" else bool(compute)
    total = _check_sizes(shape, kernel.shape, len(kernel.args), int(chunk), int(limit), allocates)
    if backend == "dask":
        return _dask_sweep(chunker, shape, total, int(chunk), kernel.shape, compute)
    out = np.empty(shape + kernel.shape) if out is None else check_out(out, "out", shape + kernel.shape)
    flat = out.reshape((total,) + kernel.shape)
    advance = _progress_bar(total, progress)
    for lo in range(0, total, int(chunk)):
        hi = min(lo + int(chunk), total)
        flat[lo:hi] = chunker.values(np.arange(lo, hi))
        advance(hi - lo)
    return out


def _dask_sweep(chunker: _Chunk, shape: tuple[int, ...], total: int, chunk: int,
                tail: tuple[int, ...], compute: bool) -> Any:
    try:
        import dask.array as da  # optional extra `dask`
    except ImportError:
        raise InvalidArgumentError(
            "`backend`='dask' needs the optional package dask; install it with `pip install rnnsym[dask]`."
        ) from None
    index = da.arange(total, chunks=chunk, dtype=np.int64)
    new_axis = list(range(1, 1 + len(tail))) or None
    values = da.map_blocks(chunker.block, index, dtype=float, new_axis=new_axis,
                           chunks=(index.chunks[0],) + tuple((s,) for s in tail),
                           meta=np.empty((0,) * (1 + len(tail))))
    values = values.reshape(shape + tail) if len(shape) > 1 else values
    return values.compute() if compute else values
