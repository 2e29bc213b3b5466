"""Cells whose equations are written once and read four ways (:mod:`rnnsym.cells._ops`).

:class:`EquationCell` turns one method, ``_equations(ops, parts, x, P)``,
into the symbolic step (SymPy), the numeric step, the numeric Jacobians
(forward mode) and the rounding bound of the step.  ``P`` maps parameter
names to SymPy matrices (symbolic reading) or float arrays (numeric
readings; vectors 1-D).  :func:`parameter` is the converter of weight
arguments: SymPy objects stay SymPy (exact numbers and symbols kept),
everything else becomes a validated float64 array without a detour through
SymPy (a 256-unit LSTM's weights are not turned into 400 000 SymPy floats).

Examples
--------
>>> parameter([[1, 2]], "W", rows=1).tolist()
[[1.0, 2.0]]
>>> parameter([sp.Rational(1, 2)], "b", rows=1, vector=True)
Matrix([[1/2]])
>>> parameter([[1.0, float("nan")]], "W", rows=1)
Traceback (most recent call last):
...
rnnsym.errors.NonFiniteError: `W` must be finite; got nan at index (0, 1).
"""

from __future__ import annotations

import abc
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import sympy as sp

from rnnsym.cells._ops import BoundOps, NumericOps, SymbolicOps, TangentOps
from rnnsym.cells.base import Cell
from rnnsym.errors import ShapeError
from rnnsym._matrices import as_float_array, as_matrix, ordered_symbols

__all__ = ["EquationCell", "parameter", "numeric_parameters", "symbolic_parameters"]


def _has_sympy(value: Any) -> bool:
    if isinstance(value, (sp.Basic, sp.MatrixBase)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype == object and any(isinstance(v, sp.Basic) for v in value.flat)
    if isinstance(value, (list, tuple)):
        return any(_has_sympy(v) for v in value)
    return False


def parameter(value: Any, name: str, *, rows: int | None = None, cols: int | None = None,
              vector: bool = False, hint: str = "") -> Any:
    """A weight (``vector=False``, 2-D) or bias (``vector=True``) argument, shape-checked.

    SymPy input comes back as an immutable SymPy matrix (a bias as a
    column), anything else as a read-only float64 copy (a bias 1-D): a cell
    never changes after construction.
    """
    if _has_sympy(value):
        mat = as_matrix(value, name, vector=vector)
        shape: tuple[int, ...] = (mat.rows,) if vector and mat.cols == 1 else tuple(mat.shape)
        out: Any = mat
    else:
        arr = np.array(as_float_array(value, name, allow_empty=True))   # our own copy, read-only below
        if vector and arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        arr.setflags(write=False)
        shape, out = arr.shape, arr
    want: tuple[Any, ...] = (rows,) if vector else (rows, cols)
    if len(shape) != len(want) or any(w is not None and w != g for w, g in zip(want, shape)):
        shown = "(" + ", ".join("any" if w is None else str(w) for w in want) + ("," if vector else "") + ")"
        raise ShapeError(f"`{name}` must have shape {shown}; got shape {shape}." + (f" {hint}" if hint else ""))
    return out


def numeric_parameters(weights: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every weight as float64 (biases 1-D); symbolic entries raise (callers check ``is_numeric`` first)."""
    out = {}
    for key, w in weights.items():
        if isinstance(w, sp.MatrixBase):
            arr = as_float_array(w, key, allow_empty=True)
            out[key] = arr[:, 0] if arr.ndim == 2 and w.cols == 1 and key.startswith("b") else arr
        else:
            out[key] = w
    return out


def symbolic_parameters(weights: dict[str, Any]) -> dict[str, sp.ImmutableMatrix]:
    """Every weight as a SymPy matrix (biases as columns)."""
    out = {}
    for key, w in weights.items():
        if isinstance(w, sp.MatrixBase):
            out[key] = sp.ImmutableMatrix(w)
        elif w.ndim == 1:
            out[key] = sp.ImmutableMatrix(w.shape[0], 1, [sp.Float(float(v)) for v in w])
        else:
            out[key] = sp.ImmutableMatrix(w.shape[0], w.shape[1], [sp.Float(float(v)) for v in w.flat])
    return out


class EquationCell(Cell):
    """A cell defined by ``_equations(ops, parts, x, P) -> new parts`` (abstract).

    Subclasses set ``self._weights`` (name -> SymPy matrix or float array,
    bias names starting with ``b``) and may hold scalar parameters in
    ``self._scalars`` (name -> SymPy expression).
    """

    _weights: dict[str, Any]
    _scalars: Mapping[str, sp.Expr] = MappingProxyType({})

    @abc.abstractmethod
    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        """The new state parts from the old ones, the input and the parameters, in ``ops``."""

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        mats = [w for w in self._weights.values() if isinstance(w, sp.MatrixBase)]
        mats += [sp.ImmutableMatrix([v]) for v in self._scalars.values()]
        return ordered_symbols(*mats) if mats else ()

    def _symbolic_parameters(self) -> dict[str, Any]:
        if "symbolic_parameters" not in self._cache:
            self._cache["symbolic_parameters"] = {**symbolic_parameters(self._weights), **self._scalars}
        return self._cache["symbolic_parameters"]

    def _numeric_parameters(self) -> dict[str, Any]:
        if "numeric_parameters" not in self._cache:
            self._require_numeric()
            scalars = {k: float(v) for k, v in self._scalars.items()}
            self._cache["numeric_parameters"] = {**numeric_parameters(self._weights), **scalars}
        return self._cache["numeric_parameters"]

    def _slices(self) -> list[slice]:
        offsets = np.cumsum([0] + [k for _, k in self.state_parts])
        return [slice(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:])]

    def _raw_step(self) -> sp.ImmutableMatrix:
        ops = SymbolicOps()
        parts = [sp.ImmutableMatrix(self.state_symbols[sl.start:sl.stop, :]) for sl in self._slices()]
        return ops.join(self._equations(ops, parts, self.input_symbols, self._symbolic_parameters()))

    def _evaluate(self, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        ops = NumericOps()
        return ops.join(self._equations(ops, [S[..., sl] for sl in self._slices()], X, self._numeric_parameters()))

    def _differentiate(self, S: np.ndarray, X: np.ndarray, wrt: str) -> tuple[np.ndarray, np.ndarray]:
        batch = np.broadcast_shapes(S.shape[:-1], X.shape[:-1])
        S, X = np.broadcast_to(S, batch + S.shape[-1:]), np.broadcast_to(X, batch + X.shape[-1:])
        p = self.state_size if wrt == "state" else self.m
        ops = TangentOps(p)
        parts: list[Any] = [S[..., sl] for sl in self._slices()]
        x: Any = X
        if wrt == "state":
            parts = [TangentOps.seed(part, sl.start, p) for part, sl in zip(parts, self._slices())]
        else:
            x = TangentOps.seed(X, 0, p)
        out = ops.join(self._equations(ops, parts, x, self._numeric_parameters()))
        return out.v, out.d   # formed by TangentOps.join: a fresh array

    def _bounded(self, S: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ops = BoundOps()
        out = ops.join(self._equations(ops, [S[..., sl] for sl in self._slices()], X, self._numeric_parameters()))
        return out.v, out.e
