"""The ``"fused"`` / ``"numba"`` backend: one multi-threaded numba loop printed from SymPy.

:func:`fused_loop` prints the common-subexpression-eliminated expressions of
one point with :class:`~rnnsym.backends.printers.FusedPythonPrinter`, compiles
them with ``numba.njit`` and drives them with a ``prange`` loop over the
flattened batch.  :func:`rnnsym.compile` calls it for ``backend="fused"``
(NumPy where numba is missing or cannot compile) and ``backend="numba"``
(an error instead).
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np
import sympy as sp

from rnnsym.backends.printers import MULTIPLIED_POWER, FusedPythonPrinter
from rnnsym.errors import InvalidArgumentError

__all__ = ["FusedLoop", "fused_loop"]


class FusedLoop:
    """Numba ``prange`` loops over a flattened batch, printed from SymPy.

    One njit function computes one point; a small ``prange`` driver calls it
    for every row.  A driver is generated per broadcasting pattern (which
    arguments have a row per point, which one row for all), so each reads
    its blocks at fixed offsets ``a[i, j]`` or ``a[0, j]``: a runtime row
    stride (``a[i * s, j]``) kept numba from seeing contiguous access and
    cost about 30% against a hand-written loop.
    """

    def __init__(self, point: Any, source: str, outputs: list[str], widths: list[int], numba: Any) -> None:
        self.point, self.outputs, self.widths, self._numba = point, outputs, widths, numba
        self._drivers: dict[tuple[bool, ...], Any] = {}
        self.source = source + "\n" + self._driver_source(tuple(True for _ in widths))

    def _driver_source(self, rows: tuple[bool, ...]) -> str:
        params = [f"a{i}" for i in range(len(self.widths))]
        loads = [f"a{i}[{'i' if per_row else '0'}, {j}]"
                 for i, (width, per_row) in enumerate(zip(self.widths, rows)) for j in range(width)]
        return "\n".join([f"def _fused({', '.join(params + ['out'])}):",
                          "    for i in numba.prange(out.shape[0]):",
                          f"        values = _point({', '.join(loads)})",
                          *[f"        out[i, {j}] = values[{j}]" for j in range(len(self.outputs))]]) + "\n"

    def driver(self, rows: tuple[bool, ...]) -> Any:
        """The compiled driver for ``rows`` (True: the argument has a row per point)."""
        if rows not in self._drivers:
            namespace: dict[str, Any] = {"numba": self._numba, "_point": self.point}
            exec(builtins.compile(self._driver_source(rows), "<rnnsym fused driver>", "exec"), namespace)
            self._drivers[rows] = self._numba.njit(parallel=True, error_model="numpy",
                                                   fastmath=False)(namespace["_fused"])
        return self._drivers[rows]

    def __call__(self, *blocks: Any) -> None:
        """``blocks``: one 2-D array per argument (``size`` rows, or 1 to broadcast), then ``out``."""
        *inputs, out = blocks
        self.driver(tuple(b.shape[0] != 1 or out.shape[0] == 1 for b in inputs))(*inputs, out)


def fused_loop(exprs: list[sp.Basic], layout: list, flat: list, backend: str) -> Any:
    """Print ``exprs`` as one numba loop; None (NumPy fallback) where ``"fused"`` cannot."""
    try:
        import numba  # optional extra `fast`: imported only when the fused path runs
    except ImportError:
        if backend == "numba":
            raise InvalidArgumentError(
                "`backend`='numba' needs the optional package numba; "
                "install it with `pip install rnnsym[fast]` or use backend='fused'."
            ) from None
        return None

    names = {s: sp.Symbol(f"_x{k}") for k, s in enumerate(flat)}
    # Integer powers with |n| <= 4 stay integer: numba multiplies them out by
    # squaring (then 1/x^|n| for n < 0), several times faster than pow() and
    # within |n| ULP of it (|n| - 1 roundings, and the division); NumPy calls pow() for n outside {-1, 0, 1, 2}.
    # Larger integer powers print as float powers so both call pow().
    with sp.evaluate(False):  # re-evaluating a large tree costs minutes
        exprs = [sp.sympify(e).xreplace(names).replace(
            lambda p: p.is_Pow and p.exp.is_Integer and abs(p.exp) > MULTIPLIED_POWER,
            lambda p: sp.Pow(p.base, sp.Float(p.exp), evaluate=False)) for e in exprs]
    printer = FusedPythonPrinter()
    try:
        if any(e.has(sp.I) for e in exprs):
            raise TypeError("complex constants")
        steps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_t"))
        body = [f"        {printer.doprint(v)} = {printer.doprint(e)}" for v, e in steps]
        outputs = [printer.doprint(e) for e in reduced]
    except Exception as exc:  # the printer rejects functions plain Python lacks
        if backend == "numba":
            raise InvalidArgumentError(
                f"`backend`='numba' cannot compile this expression ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else exc}); use backend='numpy'."
            ) from None
        return None
    # One point in a plain njit function; small prange drivers call it (FusedLoop), so
    # numba's parallel passes see a short loop body (compiles in seconds).
    count = sum(len(syms) for syms, _ in layout)
    point = [f"def _point({', '.join(f'_x{k}' for k in range(count))}):",
             *[line[4:] for line in body], f"    return ({', '.join(outputs)},)"]
    namespace: dict[str, Any] = {"math": math, "numpy": np}
    exec(builtins.compile("\n".join(point) + "\n", "<rnnsym fused kernel>", "exec"), namespace)
    loop = FusedLoop(numba.njit(error_model="numpy", fastmath=False)(namespace["_point"]),
                     "\n".join(point) + "\n", outputs, [len(syms) for syms, _ in layout], numba)
    try:  # compile now, for the argument types every call uses
        with np.errstate(all="ignore"):
            loop(*[np.zeros((1, len(syms))) for syms, _ in layout], np.empty((1, len(outputs))))
    except numba.core.errors.NumbaError as exc:
        if backend == "numba":
            raise InvalidArgumentError(
                "`backend`='numba' cannot compile this expression "
                f"({str(exc).strip().splitlines()[0]}); use backend='numpy'."
            ) from None
        return None
    return loop
