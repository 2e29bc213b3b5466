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
    """A numba ``prange`` loop over a flattened batch, printed from SymPy."""

    def __init__(self, fn: Any, source: str, outputs: list[str], point: Any) -> None:
        # `point`: the njit function of one point (flat scalar arguments -> tuple of outputs)
        self.fn, self.source, self.outputs, self.point = fn, source, outputs, point

    def __call__(self, *blocks: Any) -> None:
        self.fn(*blocks)


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
    # One point in a plain njit function; a small prange driver calls it, so
    # numba's parallel passes see a short loop body (compiles in seconds).
    count = sum(len(syms) for syms, _ in layout)
    point = [f"def _point({', '.join(f'_x{k}' for k in range(count))}):",
             *[line[4:] for line in body], f"    return ({', '.join(outputs)},)"]
    params: list[str] = []
    loads: list[str] = []
    for i, (syms, _) in enumerate(layout):  # argument i: block a{i}, row step s{i} (0 broadcasts)
        params += [f"a{i}", f"s{i}"]
        loads += [f"a{i}[i * s{i}, {j}]" for j in range(len(syms))]
    driver = [f"def _fused({', '.join(params + ['out'])}):",
              "    for i in numba.prange(out.shape[0]):",
              f"        values = _point({', '.join(loads)})",
              *[f"        out[i, {j}] = values[{j}]" for j in range(len(outputs))]]
    source = "\n".join(point + [""] + driver) + "\n"
    namespace: dict[str, Any] = {"math": math, "numpy": np, "numba": numba}
    exec(builtins.compile("\n".join(point) + "\n", "<rnnsym fused kernel>", "exec"), namespace)
    namespace["_point"] = numba.njit(error_model="numpy", fastmath=False)(namespace["_point"])
    exec(builtins.compile("\n".join(driver) + "\n", "<rnnsym fused driver>", "exec"), namespace)
    fn = numba.njit(parallel=True, error_model="numpy", fastmath=False)(namespace["_fused"])
    blocks: list[Any] = []
    for syms, _ in layout:
        blocks += [np.zeros((1, len(syms))), 1]
    try:  # compile now, for the argument types every call uses
        with np.errstate(all="ignore"):
            fn(*blocks, np.empty((1, len(outputs))))
    except numba.core.errors.NumbaError as exc:
        if backend == "numba":
            raise InvalidArgumentError(
                "`backend`='numba' cannot compile this expression "
                f"({str(exc).strip().splitlines()[0]}); use backend='numpy'."
            ) from None
        return None
    return FusedLoop(fn, source, outputs, namespace["_point"])
