"""Matrices and symbols as every module receives them: one converter, one set of validators.

Values that cross the public API are turned into SymPy matrices by
:func:`as_matrix` (numbers, arrays and SymPy objects pass; strings are
refused), and shapes are checked by :func:`check_square` and
:func:`check_shape`, so every module words the same error the same way.

>>> as_matrix([[1, 2], [3, 4]], "W_h")
Matrix([
[1, 2],
[3, 4]])
>>> check_square((2, 3), "W_h", "`W_h` maps the hidden state to itself.")
Traceback (most recent call last):
...
rnnsym.errors.ShapeError: `W_h` must be square; got shape (2, 3). `W_h` maps the hidden state to itself.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import sympy as sp

from rnnsym.errors import InvalidArgumentError, NonFiniteError, ShapeError
from rnnsym.latex import register_symbol

__all__ = ["vector_symbols", "matrix_symbols", "as_matrix", "ordered_symbols", "resolve_values",
           "check_square"]


def check_square(shape: tuple[int, ...], name: str, hint: str = "", *, stacked: bool = False) -> None:
    """Raise :class:`~rnnsym.errors.ShapeError` unless ``shape`` is ``(n, n)``.

    The one square-matrix check of the package.  ``stacked=True`` accepts a
    stack ``(..., n, n)``; ``hint`` is a sentence on what the matrix does.

    >>> check_square((3, 3), "A")
    >>> check_square((4, 2, 2), "J", stacked=True)
    """
    shape = tuple(shape)
    ok = len(shape) >= 2 and shape[-1] == shape[-2] if stacked else len(shape) == 2 and shape[0] == shape[1]
    if not ok:
        want = " (..., n, n)" if stacked else ""
        raise ShapeError(f"`{name}` must be square{want}; got shape {shape}." + (f" {hint}" if hint else ""))


def vector_symbols(name: str, n: int, tex: str | None = None) -> sp.ImmutableMatrix:
    """A column of real symbols ``name[0] ... name[n-1]``.

    ``tex`` is a template for the LaTeX of entry ``i`` such as
    ``"h_{{t-1,{i}}}"``.

    >>> vector_symbols("b", 2).T
    Matrix([[b[0], b[1]]])
    """
    syms = [sp.Symbol(f"{name}[{i}]", real=True) for i in range(n)]
    if tex is not None:
        for i, s in enumerate(syms):
            register_symbol(s, tex.format(i=i))
    return sp.ImmutableMatrix(n, 1, syms)


def matrix_symbols(name: str, rows: int, cols: int) -> sp.ImmutableMatrix:
    """A matrix of real symbols ``name[i,j]``.

    >>> matrix_symbols("A", 1, 2)
    Matrix([[A[0,0], A[0,1]]])
    """
    return sp.ImmutableMatrix(
        rows, cols, [sp.Symbol(f"{name}[{i},{j}]", real=True) for i in range(rows) for j in range(cols)]
    )


def as_matrix(value: Any, name: str, *, shape: tuple[int | None, int | None] | None = None,
              vector: bool = False) -> sp.ImmutableMatrix:
    """Convert lists, arrays, SymPy matrices or scalars into an immutable matrix.

    Validates finiteness and, where given, the shape; ``vector=True``
    accepts a flat sequence as a column.
    """
    if isinstance(value, str):
        raise InvalidArgumentError(
            f"`{name}` must be numbers, SymPy expressions or arrays; got the string {value[:40]!r}. "
            "Parse text with rnnsym's parser or build symbols with RNN.symbolic()."
        )
    try:
        if isinstance(value, sp.MatrixBase):
            mat = sp.ImmutableMatrix(value)
        else:
            arr = np.asarray(value, dtype=object)
            if arr.ndim == 0:
                arr = arr.reshape(1, 1)
            elif arr.ndim == 1:
                arr = arr.reshape(-1, 1) if vector else arr.reshape(1, -1)
            if arr.ndim != 2:
                raise ShapeError(f"`{name}` must be a matrix (2-D); got an array of shape {arr.shape}.")
            mat = sp.ImmutableMatrix(arr.shape[0], arr.shape[1], [_entry(v, name) for v in arr.flat])
    except (TypeError, ValueError, sp.SympifyError) as exc:
        if isinstance(exc, (ShapeError, NonFiniteError, InvalidArgumentError)):
            raise
        raise InvalidArgumentError(
            f"`{name}` must be a matrix of numbers or SymPy expressions; got {type(value).__name__}."
        ) from None
    if vector and mat.rows == 1 and mat.cols != 1:
        mat = mat.T
    for entry in mat:
        if entry.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise NonFiniteError(f"`{name}` must be finite; got an entry {entry}.")
        if entry.is_number and entry.is_real is False:
            raise InvalidArgumentError(f"`{name}` must be real; got an entry {entry}.")
    if shape is not None:
        rows, cols = shape
        if (rows is not None and mat.rows != rows) or (cols is not None and mat.cols != cols):
            want = tuple("any" if s is None else s for s in shape)
            raise ShapeError(f"`{name}` must have shape {want}; got shape {mat.shape}.")
    return mat


def ordered_symbols(*matrices: sp.MatrixBase) -> tuple[sp.Symbol, ...]:
    """Free symbols of ``matrices`` in reading order (entry by entry, then by name).

    >>> ordered_symbols(matrix_symbols("A", 1, 2), vector_symbols("b", 1))
    (A[0,0], A[0,1], b[0])
    """
    seen: dict[sp.Symbol, None] = {}
    for mat in matrices:
        for entry in mat:
            for s in sorted(entry.free_symbols, key=str):
                seen.setdefault(s, None)
    return tuple(seen)


def resolve_values(parameters: tuple[sp.Symbol, ...], mapping: Mapping[Any, Any],
                   owner: str) -> dict[sp.Symbol, sp.Expr]:
    """Map keys (symbols or their names) to validated values, for ``subs``."""
    lookup = {str(s): s for s in parameters}
    resolved = {}
    for key, value in mapping.items():
        sym = lookup.get(key) if isinstance(key, str) else key
        if sym is None or sym not in parameters:
            raise InvalidArgumentError(
                f"`{key}` is not a parameter of this {owner}; its parameters are "
                f"{', '.join(lookup) or 'none (it is numeric)'}."
            )
        resolved[sym] = _entry(value, str(key))
    return resolved


def _entry(value: Any, name: str) -> sp.Expr:
    if isinstance(value, str):
        raise InvalidArgumentError(f"`{name}` has a string entry {value[:40]!r}; expected numbers.")
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            raise NonFiniteError(f"`{name}` must be finite; got an entry {float(value)}.")
        return sp.Float(float(value))
    if isinstance(value, (complex, np.complexfloating)):
        raise InvalidArgumentError(f"`{name}` must be real; got the complex entry {value}.")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return sp.Integer(int(value))
    out = sp.sympify(value, strict=True)
    if not isinstance(out, sp.Expr):
        raise InvalidArgumentError(f"`{name}` has an entry {value!r} that is not an expression.")
    return out
