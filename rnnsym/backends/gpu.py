"""GPU kernel backends: ``compile(..., backend="jax")`` and ``backend="cupy"``.

Both fuse the whole expression into one pass over the data, which is what
reaches the device's memory bandwidth (one temporary per operation, as
``lambdify(..., "cupy")`` makes, reaches a fraction of it):

* ``"jax"``: :func:`sympy.lambdify` with the ``jax`` module, wrapped in
  :func:`jax.jit` together with the broadcasting and (for matrices) the
  stacking of entries, so XLA fuses everything.  Traced and run inside
  ``jax.enable_x64(True)``: float64 in, float64 out, without changing the
  caller's JAX configuration.  Runs on JAX's default device (a GPU where
  JAX has one, the CPU otherwise).
* ``"cupy"``: one :class:`cupy.ElementwiseKernel` whose body is the CSE'd
  expression printed as C (SymPy's C99 printer; CUDA's math library has the
  same function names), see :func:`elementwise_source`.  Matrix results are
  written straight into strided views of one ``(..., rows, cols)`` output.

Results stay on the device (``jax.Array`` or ``cupy.ndarray``), with the
shapes of the NumPy backend.  Inputs may be NumPy arrays, device arrays or
numbers.  A kernel's assumptions are checked on the device, with the same
``on_domain`` rules as the NumPy backend.

The printed C body is tested on every machine with a C compiler (the same
source, compiled by ``cc`` in a loop, against the exact value from mpmath), and the JAX
path on JAX's CPU backend; on a GPU machine the tests run on the device.

Examples
--------
>>> import sympy as sp
>>> x, y = sp.symbols("x y")
>>> source = elementwise_source([x**2 * sp.cos(y) + sp.cos(y)], [x, y])
>>> print(source.operation)
double _t0 = cos(y);
out0 = _t0*(x*x) + _t0;
>>> source.in_params, source.out_params
('float64 x, float64 y', 'float64 out0')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import sympy as sp

from rnnsym.backends.printers import ElementwiseCPrinter
from rnnsym.errors import DomainError, InvalidArgumentError, ShapeError
import inspect

__all__ = ["GPU_BACKENDS", "ElementwiseSource", "elementwise_source", "build"]

GPU_BACKENDS = ("jax", "cupy")
_C_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class ElementwiseSource:
    """The parts of a :class:`cupy.ElementwiseKernel`: parameters and the C body."""

    in_params: str
    out_params: str
    operation: str


def elementwise_source(exprs: Sequence[sp.Basic], names: Sequence[sp.Symbol]) -> ElementwiseSource:
    """Print ``exprs`` (one output each) of the scalar inputs ``names`` as an elementwise C body.

    Common subexpressions become ``double`` locals ``_t0, _t1, ...``; outputs
    are ``out0, out1, ...``.  Raises :class:`InvalidArgumentError` for
    functions C lacks (the printer is strict) and for complex constants.
    """

    printer = ElementwiseCPrinter()
    # C keywords and the kernel's own names cannot be parameters: rename those
    taken = printer.reserved_words | {"i", "_ind", "out"}
    rename = {s: sp.Symbol(f"in{k}_") for k, s in enumerate(names)
              if s.name in taken or s.name.startswith(("_t", "out")) or not _C_NAME.fullmatch(s.name)}
    if rename:
        with sp.evaluate(False):
            exprs = [sp.sympify(e).xreplace(rename) for e in exprs]
        names = [rename.get(s, s) for s in names]
    if any(sp.sympify(e).has(sp.I) for e in exprs):
        raise InvalidArgumentError("backend 'cupy' computes in float64: the expression has complex constants.")
    try:
        steps, reduced = sp.cse(list(exprs), symbols=sp.numbered_symbols("_t"))
        body = [f"double {printer.doprint(v)} = {printer.doprint(e)};" for v, e in steps]
        body += [f"out{k} = {printer.doprint(e)};" for k, e in enumerate(reduced)]
    except Exception as exc:  # the C printer refuses what C has no name for
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgumentError(f"backend 'cupy' cannot print this expression as C ({first}).") from None
    return ElementwiseSource(
        in_params=", ".join(f"float64 {s}" for s in names),
        out_params=", ".join(f"float64 out{k}" for k in range(len(reduced))),
        operation="\n".join(body),
    )


def _module(backend: str) -> Any:
    try:
        if backend == "jax":
            import jax  # optional extra `jax`
            import jax.numpy as jnp  # optional extra `jax`

            return jax, jnp
        import cupy  # optional extra `cupy`

        return cupy, cupy
    except ImportError:
        extra = {"jax": "jax (pip install 'jax[cuda12]' for a GPU, or 'jax' for the CPU)",
                 "cupy": "cupy and a CUDA GPU (pip install cupy-cuda12x)"}[backend]
        raise InvalidArgumentError(
            f"`backend`={backend!r} needs the optional package {extra}; use backend='fused' on the CPU."
        ) from None


class GpuProgram:
    """The compiled device program of one :class:`~rnnsym.kernel.Kernel`."""

    def __init__(self, backend: str, body: Any, names: list[sp.Symbol], arg_shapes: list[tuple],
                 shape: tuple[int, ...], matrix: bool, cse: bool,
                 assumptions: tuple, flat: list[sp.Symbol]) -> None:
        self.backend, self.arg_shapes, self.shape, self.matrix = backend, arg_shapes, shape, matrix
        self.lib, self.xp = _module(backend)
        exprs = list(body) if matrix else [body]
        self._checks = [(cond, self._lambdify(flat, cond, cse=False)) for cond in assumptions]
        self.flat = flat
        if backend == "jax":
            fn = sp.lambdify(names, exprs, modules="jax", cse=cse)
            self.source = _source(fn)
            jnp, out_shape = self.xp, shape

            def run(*columns: Any) -> Any:
                batch = jnp.broadcast_shapes(*[jnp.shape(c) for c in columns])
                entries = [jnp.broadcast_to(jnp.asarray(e, dtype=jnp.float64), batch) for e in fn(*columns)]
                if not matrix:
                    return entries[0]
                return jnp.stack(entries, axis=-1).reshape(batch + out_shape)

            self._run = self.lib.jit(run)
        else:
            src = elementwise_source(exprs, names)
            self.source = src.operation
            self._elementwise = self.lib.ElementwiseKernel(
                src.in_params, src.out_params, src.operation, "rnnsym_kernel")

    def _lambdify(self, symbols: list[sp.Symbol], expr: sp.Basic, cse: bool) -> Any:
        return sp.lambdify(symbols, expr, modules="jax" if self.backend == "jax" else "cupy", cse=cse)

    def _columns(self, values: Sequence[Any]) -> tuple[list[Any], tuple[int, ...]]:
        xp = self.xp
        columns: list[Any] = []
        batches = []
        for position, (shape, value) in enumerate(zip(self.arg_shapes, values)):
            try:
                array = xp.asarray(value, dtype=xp.float64)
            except (TypeError, ValueError):
                raise InvalidArgumentError(
                    f"argument {position} must be real numbers; got {type(value).__name__}."
                ) from None
            if array.ndim < len(shape) or tuple(array.shape[array.ndim - len(shape):]) != shape:
                raise ShapeError(
                    f"argument {position} must have trailing shape {shape}; got shape {tuple(array.shape)}."
                )
            batches.append(tuple(array.shape[: array.ndim - len(shape)]))
            if shape == ():
                columns.append(array)
            else:
                columns.extend(array[(Ellipsis,) + tuple(idx)] for idx in np.ndindex(*shape))
        try:
            batch = tuple(np.broadcast_shapes(*batches))
        except ValueError:
            raise ShapeError(f"batch dimensions {batches} of the arguments do not broadcast together.") from None
        return columns, batch

    def __call__(self, values: Sequence[Any], mode: str) -> Any:
        if self.backend == "jax":
            with self.lib.enable_x64(True):
                columns, batch = self._columns(values)
                out = self._run(*columns)
                return self._apply_domain(out, columns, batch, mode)
        columns, batch = self._columns(values)
        out = self.xp.empty(batch + self.shape, dtype=self.xp.float64)
        if self.matrix:
            targets = [out[(Ellipsis,) + tuple(idx)] for idx in np.ndindex(*self.shape)]
        else:
            targets = [out]
        self._elementwise(*columns, *targets)
        return self._apply_domain(out, columns, batch, mode)

    def _apply_domain(self, out: Any, columns: list[Any], batch: tuple[int, ...], mode: str) -> Any:
        if not self._checks:
            return out
        xp = self.xp
        mask = xp.ones(batch, dtype=bool)
        for cond, check in self._checks:
            ok = xp.broadcast_to(xp.asarray(check(*columns), dtype=bool), batch)
            if mode == "raise" and not bool(ok.all()):
                bad = tuple(int(i[0]) for i in np.nonzero(~np.asarray(_host(ok))))
                where = ", ".join(
                    f"`{s}`={np.broadcast_to(np.asarray(_host(c)), batch)[bad].item()!r}"
                    for s, c in zip(self.flat, columns) if s in cond.free_symbols)
                raise DomainError(f"{where} is outside the kernel's domain: {cond} fails.")
            mask = mask & ok
        if mode == "raise":
            return out
        if self.matrix:
            mask = mask.reshape(batch + (1,) * len(self.shape))
        return xp.where(mask, out, xp.nan)


def _host(array: Any) -> Any:
    return array.get() if hasattr(array, "get") and not isinstance(array, np.ndarray) else array


def _source(fn: Any) -> str:

    return inspect.getsource(fn)


def build(backend: str, body: Any, names: list[sp.Symbol], arg_shapes: list[tuple],
          shape: tuple[int, ...], matrix: bool, cse: bool, assumptions: tuple,
          flat: list[sp.Symbol]) -> GpuProgram:
    """The device program for :class:`~rnnsym.kernel.Kernel` (internal)."""
    return GpuProgram(backend, body, names, arg_shapes, shape, matrix, cse, assumptions, flat)
