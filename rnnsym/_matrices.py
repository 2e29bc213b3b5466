"""Matrices and symbols as every module receives them: one converter, one set of validators.

Values that cross the public API are turned into SymPy matrices by
:func:`as_matrix` (numbers, arrays and SymPy objects pass; strings are
refused), numeric input into float64 arrays by :func:`as_float_array`, and
shapes are checked by :func:`check_square` and :func:`check_shape`, so every
module words the same error the same way.  Options have one validator each
(:func:`as_int`, :func:`as_limit`, :func:`as_seed`, :func:`as_float`,
:func:`as_tolerance`, :func:`as_choice`, :func:`as_mapping`, :func:`as_path`,
:func:`check_out`, :func:`require_model`, ...).

Neither converter hands user data to ``sympify``: ``sympify`` evaluates
strings as Python, even with ``strict=True`` for strings nested in a dict
or a set.  An entry is a number (Python, NumPy, ``fractions``, ``decimal``,
``mpmath``) or a SymPy object; anything else (strings, bytes, ``None``,
containers, arbitrary objects) is refused with
:class:`~rnnsym.errors.InvalidArgumentError`.

>>> as_matrix([[1, 2], [3, 4]], "W_h")
Matrix([
[1, 2],
[3, 4]])
>>> as_float_array([[1, 2]], "W_h").dtype
dtype('float64')
>>> as_float_array([["1", "2"]], "W_h")
Traceback (most recent call last):
...
rnnsym.errors.InvalidArgumentError: `W_h` has a string entry '1'; expected real numbers (strings are never converted).
>>> check_square((2, 3), "W_h", "`W_h` maps the hidden state to itself.")
Traceback (most recent call last):
...
rnnsym.errors.ShapeError: `W_h` must be square; got shape (2, 3). `W_h` maps the hidden state to itself.
"""

from __future__ import annotations

import numbers
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp

from rnnsym.errors import InvalidArgumentError, NonFiniteError, ShapeError
from rnnsym._parse import parse_expression
from rnnsym.latex import Symbol, register_symbol

__all__ = ["vector_symbols", "matrix_symbols", "as_matrix", "as_float_array", "as_scalar", "ordered_symbols",
           "resolve_values", "check_square", "as_int", "as_limit", "as_int_array", "as_seed", "as_float", "as_tolerance",
           "as_choice", "as_mapping", "as_str_list", "as_path", "check_out", "require_model"]


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
    syms = [Symbol(f"{name}[{i}]", real=True) for i in range(as_int(n, "n", low=0))]
    if tex is not None:
        try:
            labels = [tex.format(i=i) for i in range(len(syms))] if isinstance(tex, str) else None
        except (IndexError, KeyError, ValueError, AttributeError):
            labels = None
        if labels is None:
            raise InvalidArgumentError(f"`tex` must be a LaTeX format string whose only field is {{i}}, or None; "
                                       f"got {_describe(tex)}.")
        for s, label in zip(syms, labels):
            register_symbol(s, label)
    return sp.ImmutableMatrix(len(syms), 1, syms)


def matrix_symbols(name: str, rows: int, cols: int) -> sp.ImmutableMatrix:
    """A matrix of real symbols ``name[i,j]``.

    >>> matrix_symbols("A", 1, 2)
    Matrix([[A[0,0], A[0,1]]])
    """
    rows, cols = as_int(rows, "rows", low=0), as_int(cols, "cols", low=0)
    return sp.ImmutableMatrix(
        rows, cols, [Symbol(f"{name}[{i},{j}]", real=True) for i in range(rows) for j in range(cols)]
    )


def as_matrix(value: Any, name: str, *, shape: tuple[int | None, int | None] | None = None,
              vector: bool = False) -> sp.ImmutableMatrix:
    """Convert lists, arrays, SymPy matrices or scalars into an immutable matrix.

    Validates finiteness and, where given, the shape; ``vector=True``
    accepts a flat sequence as a column.
    """
    if shape is not None:
        if not isinstance(shape, (tuple, list)) or len(shape) != 2:
            raise InvalidArgumentError(f"`shape` must be a pair (rows, cols) of integers or None; got {_echo(shape)}.")
        shape = (None if shape[0] is None else as_int(shape[0], "shape", low=0),
                 None if shape[1] is None else as_int(shape[1], "shape", low=0))
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
        if not isinstance(mat, sp.MatrixBase):
            raise InvalidArgumentError(f"`matrices` must be SymPy matrices; got {type(mat).__name__} {_echo(mat)}.")
        for entry in mat:
            for s in sorted(entry.free_symbols, key=str):
                seen.setdefault(s, None)
    return tuple(seen)


def resolve_values(parameters: tuple[sp.Symbol, ...], values: Any, owner: str,
                   by_name: Mapping[str, Any] | None = None) -> dict[sp.Symbol, sp.Expr]:
    """Map keys (symbols or their names) to validated values, for ``subs(values, **by_name)``."""
    lookup = {str(s): s for s in parameters}
    resolved = {}
    for key, value in {**as_mapping(values, "values", optional=True), **(by_name or {})}.items():
        sym = lookup.get(key) if isinstance(key, str) else key
        if sym is None or sym not in parameters:
            raise InvalidArgumentError(
                f"`{key}` is not a parameter of this {owner}; its parameters are "
                f"{', '.join(lookup) or 'none (it is numeric)'}."
            )
        resolved[sym] = _entry(value, str(key))
    return resolved


def as_scalar(value: Any, name: str) -> sp.Expr:
    """One number or SymPy expression, converted without ``sympify`` (see :func:`as_matrix`).

    >>> as_scalar(0.5, "tau")
    0.500000000000000
    >>> as_scalar("1/2", "tau")
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `tau` has a string entry '1/2'; expected numbers.
    """
    out = _entry(value, name)
    if out.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise NonFiniteError(f"`{name}` must be finite; got {out}.")
    return out


def _entry(value: Any, name: str) -> sp.Expr:
    """One matrix entry as a SymPy expression; never calls ``sympify`` on user data.

    Numbers (Python, NumPy scalars, ``Fraction``, ``Decimal``, ``mpmath``) and
    SymPy expressions pass; strings, bytes, ``None``, booleans, containers
    (lists, dicts, sets) and other objects raise InvalidArgumentError.
    """
    if isinstance(value, (str, bytes, bytearray, np.str_, np.bytes_)):
        raise InvalidArgumentError(f"`{name}` has a string entry {_echo(value)}; expected numbers.")
    if isinstance(value, sp.Basic):
        if not isinstance(value, sp.Expr):
            raise InvalidArgumentError(f"`{name}` has an entry {_echo(value)} that is not an expression.")
        return value
    if isinstance(value, (bool, np.bool_)):
        raise InvalidArgumentError(f"`{name}` has a boolean entry {value}; expected numbers.")
    if isinstance(value, (float, np.floating, Decimal, mpmath.mpf)):
        if not (value.is_finite() if isinstance(value, Decimal) else mpmath.isfinite(value)):
            raise NonFiniteError(f"`{name}` must be finite; got an entry {value}.")
        if isinstance(value, (float, np.floating)):
            return sp.Float(float(value))
        return sp.Float(str(value) if isinstance(value, Decimal) else value)
    if isinstance(value, (complex, np.complexfloating, mpmath.mpc)):
        raise InvalidArgumentError(f"`{name}` must be real; got the complex entry {value}.")
    if isinstance(value, (int, np.integer)):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Rational):  # fractions.Fraction
        return sp.Rational(int(value.numerator), int(value.denominator))
    raise InvalidArgumentError(
        f"`{name}` has an entry of type {type(value).__name__}; expected numbers or SymPy expressions."
    )


def _echo(value: Any, limit: int = 40) -> str:
    """A short ``repr`` of user data for a one-line message."""
    text = repr(value)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return text.replace("\n", " ")


_REFUSED_KINDS = {"U": "strings", "S": "bytes", "V": "structured records", "M": "dates",
                  "m": "time differences"}


def as_float_array(value: Any, name: str, *, shape: tuple[int | None, ...] | None = None,
                   allow_empty: bool = False, complex_ok: bool = False,
                   finite: bool = True) -> np.ndarray:
    """Numeric input as a float64 array (complex128 where ``complex_ok`` and complex).

    The one converter of numeric entry points.  Accepted: numbers, NumPy
    arrays of booleans, integers or floats, nested lists and tuples of them,
    SymPy numbers and numeric SymPy matrices, ``Fraction``, ``Decimal`` and
    ``mpmath`` numbers.  Refused with one-line errors naming ``name``:

    * strings and bytes at any depth, ``None``, dicts, sets and other
      objects, symbolic SymPy entries (:class:`~rnnsym.errors.InvalidArgumentError`);
    * complex entries unless ``complex_ok`` (InvalidArgumentError);
    * NaN and infinities, also finite values beyond the float64 range, unless
      ``finite=False`` (:class:`~rnnsym.errors.NonFiniteError`);
    * ragged nesting, an empty array unless ``allow_empty``, and a shape other
      than ``shape`` (a tuple of sizes, ``None`` for any size; it fixes the
      number of dimensions) (:class:`~rnnsym.errors.ShapeError`).

    >>> as_float_array((1, 2.5), "x").tolist()
    [1.0, 2.5]
    >>> as_float_array([[1, None]], "W")
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `W` has an entry None; expected real numbers.
    >>> as_float_array([float("nan")], "h0")
    Traceback (most recent call last):
    ...
    rnnsym.errors.NonFiniteError: `h0` must be finite; got nan at index (0,).
    """
    numbers_ = "numbers" if complex_ok else "real numbers"
    if value is None:
        raise InvalidArgumentError(f"`{name}` must be {numbers_}; got None.")
    if isinstance(value, (str, bytes, bytearray)):
        raise InvalidArgumentError(
            f"`{name}` must be {numbers_}; got the {'string' if isinstance(value, str) else 'bytes'} "
            f"{_echo(value)} (strings are never converted)."
        )
    if isinstance(value, sp.MatrixBase):
        value = value.tolist()
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise ShapeError(
            f"`{name}` must be a rectangular array of {numbers_}; got a ragged or unreadable "
            f"{type(value).__name__}."
        ) from None
    kind = arr.dtype.kind
    if kind in _REFUSED_KINDS:
        if kind in "US":
            first = _first_string(value)
            if first is None:
                first = arr.flat[0].item() if arr.size else ""
            raise InvalidArgumentError(
                f"`{name}` has a string entry {_echo(first)}; expected {numbers_} (strings are never converted)."
            )
        raise InvalidArgumentError(f"`{name}` must be {numbers_}; got {_REFUSED_KINDS[kind]} (dtype {arr.dtype}).")
    if kind == "O":
        arr = _object_to_numbers(arr, name, complex_ok)
        kind = arr.dtype.kind
    if kind == "c":
        if not complex_ok:
            bad = arr[arr.imag != 0]
            if bad.size:
                raise InvalidArgumentError(f"`{name}` must be real; got the complex entry {bad[0]}.")
            arr = arr.real
        else:
            arr = np.asarray(arr, dtype=np.complex128)
    if kind != "c" or not complex_ok:
        with np.errstate(over="ignore"):
            out = np.asarray(arr, dtype=np.float64)
    else:
        out = arr
    if finite and out.size and not np.isfinite(out).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(np.atleast_1d(out)))[0][: out.ndim])
        given, where = arr[index], f" at index {index}" if out.ndim else ""
        if np.isfinite(given):
            raise NonFiniteError(f"`{name}` has an entry {given!s}{where} beyond the float64 range.")
        raise NonFiniteError(f"`{name}` must be finite; got {given}{where}.")
    if not allow_empty and out.size == 0:
        raise ShapeError(f"`{name}` must not be empty; got shape {out.shape}.")
    if shape is not None:
        want = tuple(shape)
        if out.ndim != len(want) or any(w is not None and w != g for w, g in zip(want, out.shape)):
            shown = "(" + ", ".join("any" if w is None else str(w) for w in want) + ("," if len(want) == 1 else "") + ")"
            raise ShapeError(f"`{name}` must have shape {shown}; got shape {out.shape}.")
    return out


def _first_string(value: Any, depth: int = 0) -> Any:
    """The first ``str`` or ``bytes`` inside nested lists and tuples (for the message), else None."""
    if isinstance(value, (str, bytes, bytearray)):
        return value
    if isinstance(value, (list, tuple)) and depth < 64:
        for item in value:
            found = _first_string(item, depth + 1)
            if found is not None:
                return found
    return None


def _object_to_numbers(arr: np.ndarray, name: str, complex_ok: bool) -> np.ndarray:
    """An object array (lists mixing types, SymPy or mpmath numbers) as float or complex numbers."""
    values = [_number(v, name, complex_ok) for v in arr.flat]
    dtype = np.complex128 if any(isinstance(v, complex) for v in values) else np.float64
    return np.array(values, dtype=dtype).reshape(arr.shape)


def _number(value: Any, name: str, complex_ok: bool) -> float | complex:
    if isinstance(value, (str, bytes, bytearray)):
        raise InvalidArgumentError(
            f"`{name}` has a string entry {_echo(value)}; expected real numbers (strings are never converted)."
        )
    try:
        if isinstance(value, sp.Basic):
            if not (isinstance(value, sp.Expr) and value.is_number):
                raise InvalidArgumentError(
                    f"`{name}` has a symbolic entry {_echo(value)}; substitute numbers first."
                )
            if value.is_extended_real is False:
                if value.is_finite is False:  # zoo, I*oo
                    raise NonFiniteError(f"`{name}` must be finite; got an entry {_echo(value)}.")
                return _complex(complex(value), name, complex_ok)
            return _in_range(float(value), value.is_finite, value, name)
        if isinstance(value, (bool, np.bool_, numbers.Real, Decimal, mpmath.mpf)):
            if isinstance(value, Decimal):
                finite = value.is_finite()
            elif isinstance(value, (float, np.floating, mpmath.mpf)):
                finite = mpmath.isfinite(value)
            else:  # booleans, integers, fractions
                finite = True
            return _in_range(float(value), finite, value, name)
        if isinstance(value, (numbers.Complex, mpmath.mpc)):
            return _complex(complex(value), name, complex_ok)
    except OverflowError:  # an integer or Fraction beyond the float64 range
        return _in_range(float("inf"), True, value, name)
    except TypeError:  # SymPy's zoo and other numbers without a float value
        raise NonFiniteError(f"`{name}` must be finite; got an entry {_echo(value)}.") from None
    raise InvalidArgumentError(f"`{name}` has an entry {_echo(value)}; expected real numbers.")


def _in_range(converted: float, finite: Any, value: Any, name: str) -> float:
    """``converted``, unless a finite ``value`` became infinite (beyond the float64 range)."""
    if finite and not np.isfinite(converted):
        raise NonFiniteError(f"`{name}` has an entry {_echo(value)} beyond the float64 range.")
    return converted


def _complex(value: complex, name: str, complex_ok: bool) -> float | complex:
    if value.imag == 0:
        return value.real
    if not complex_ok:
        raise InvalidArgumentError(f"`{name}` must be real; got the complex entry {value}.")
    return value


def as_expr(value: Any, name: str, *, names: Mapping[str, sp.Basic] | None = None,
            parse: bool = False) -> sp.Expr:
    """One symbolic scalar, converted without ``sympify``: the converter of expression arguments.

    Numbers (as :func:`as_matrix` takes them) and SymPy expressions pass.  A
    string is parsed by rnnsym's whitelist grammar (:func:`rnnsym._parse.parse_expression`,
    the names it may use in ``names``) where ``parse`` (the API documents text
    there, as for derivation parameters), else refused; containers, matrices,
    booleans and other objects are refused, all with
    :class:`~rnnsym.errors.InvalidArgumentError` (parse failures with
    :class:`~rnnsym.errors.ParseError` or :class:`~rnnsym.errors.UnsafeExpressionError`).
    Infinities pass (``sigma = oo`` is a value); use :func:`as_scalar` for finite numbers.

    >>> as_expr(0.5, "r"), as_expr(sp.Symbol("r"), "r")
    (0.500000000000000, r)
    >>> as_expr("1/2", "r", parse=True)
    1/2
    >>> as_expr(("1/2",), "r")
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `r` must be a number or a SymPy expression; got tuple ('1/2',).
    """
    if isinstance(value, str) and parse:
        return parse_expression(value, names, argument=name)
    if isinstance(value, (str, bytes, bytearray, np.str_, np.bytes_)):
        raise InvalidArgumentError(
            f"`{name}` must be a number or a SymPy expression; got the string {_echo(value)} "
            "(strings are never converted here)."
        )
    if isinstance(value, (sp.MatrixBase, np.ndarray, list, tuple, dict, set, frozenset, Mapping)):
        raise InvalidArgumentError(
            f"`{name}` must be a number or a SymPy expression; got {type(value).__name__} {_echo(value)}."
        )
    return _entry(value, name)


def as_symbol(value: Any, name: str) -> sp.Symbol:
    """A SymPy ``Symbol`` (or ``Dummy``) argument such as the variable ``z`` of a transfer function.

    Anything else, strings included, raises :class:`~rnnsym.errors.InvalidArgumentError`.

    >>> as_symbol(sp.Symbol("z"), "z")
    z
    >>> as_symbol("z", "z")
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `z` must be a SymPy Symbol; got str 'z'.
    """
    if not isinstance(value, sp.Symbol):
        raise InvalidArgumentError(f"`{name}` must be a SymPy Symbol; got {type(value).__name__} {_echo(value)}.")
    return value


# -- scalar options -------------------------------------------------------------------------------
def _describe(value: Any) -> str:
    """``type value`` for a one-line message (the value truncated)."""
    return f"{type(value).__name__} {_echo(value)}"


def _bounds(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    return f" >= {low}" if low is not None else f" <= {high}" if high is not None else ""


def as_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """An integer option (Python, NumPy or SymPy integer; never a bool, float or string) in ``[low, high]``.

    >>> as_int(3, "n", low=1)
    3
    >>> as_int("3", "n", low=1)
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `n` must be an integer >= 1; got str '3'.
    """
    wanted = _bounds(low, high)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(f"`{name}` must be an integer{wanted}; got {_describe(value)}.")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidArgumentError(f"`{name}` must be an integer{wanted}; got {number}.")
    return number


def as_limit(value: Any, name: str, default: int) -> int:
    """A resource limit such as ``max_size``: ``None`` for ``default``, else an integer >= 0."""
    if value is None:
        return default
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise InvalidArgumentError(f"`{name}` must be an integer >= 0 or None; got {_describe(value)}.")
    return int(value)


def as_int_array(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> np.ndarray:
    """An array of integers (int64; entries as :func:`as_float_array` reads them, each integral) in ``[low, high]``."""
    arr = as_float_array(value, name, allow_empty=True)
    bad = arr != np.round(arr)
    if low is not None:
        bad |= arr < low
    if high is not None:
        bad |= arr > high
    if bad.any():
        raise InvalidArgumentError(f"`{name}` must hold integers{_bounds(low, high)}; got {arr[bad].flat[0]:g}.")
    return arr.astype(np.int64)


def as_seed(value: Any, name: str = "seed") -> Any:
    """A NumPy random seed: ``None``, an integer >= 0, or a ``Generator``, ``BitGenerator`` or ``SeedSequence``."""
    if value is None or isinstance(value, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return value
    return as_int(value, name, low=0)


def as_float(value: Any, name: str, *, finite: bool = True) -> float:
    """One real number as a float (read as :func:`as_float_array` reads it; strings are refused).

    >>> as_float(0.5, "lam")
    0.5
    >>> as_float([0.5], "lam")
    Traceback (most recent call last):
    ...
    rnnsym.errors.ShapeError: `lam` must be one real number; got an array of shape (1,).
    """
    arr = as_float_array(value, name, allow_empty=True, finite=finite)
    if arr.ndim != 0:
        raise ShapeError(f"`{name}` must be one real number; got an array of shape {arr.shape}.")
    return float(arr)


def as_tolerance(value: Any, name: str = "tol", *, positive: bool = False) -> float:
    """A tolerance: one finite real number >= 0 (> 0 where ``positive``), as a float."""
    tol = as_float(value, name)
    if tol < 0 or (positive and tol == 0):
        raise InvalidArgumentError(f"`{name}` must be a finite number {'> 0' if positive else '>= 0'}; got {tol!r}.")
    return tol


def as_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """One of the strings ``choices`` (compared as text; other objects are refused)."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidArgumentError(
            f"`{name}` must be one of {', '.join(map(repr, choices))}; got {_echo(value)}.")
    return value


def as_mapping(value: Any, name: str, *, optional: bool = False) -> Mapping[Any, Any]:
    """A mapping argument such as ``values`` of ``subs``; ``None`` is ``{}`` where ``optional``."""
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            f"`{name}` must be a mapping (a dict) of names or symbols to values; got {_describe(value)}.")
    return value


def as_str_list(value: Any, name: str) -> list[str]:
    """Strings (such as derivation names) from a list, tuple or other iterable; a bare string is refused."""
    listed = list(value) if isinstance(value, Iterable) and not isinstance(value, (str, bytes, Mapping)) else None
    if listed is None or not all(isinstance(v, str) for v in listed):
        raise InvalidArgumentError(f"`{name}` must be a list of strings; got {_describe(value)}.")
    return listed


def as_path(value: Any, name: str) -> Path:
    """A file system path: a ``str`` or ``os.PathLike`` (never bytes, containers or other objects)."""
    if not isinstance(value, (str, os.PathLike)):
        raise InvalidArgumentError(f"`{name}` must be a path (str or pathlib.Path); got {_describe(value)}.")
    path = os.fspath(value)
    if not isinstance(path, str) or "\0" in path:
        raise InvalidArgumentError(f"`{name}` must be a text path without NUL characters; got {_echo(path)}.")
    return Path(path)


def check_out(out: Any, name: str, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
    """A caller's output buffer: a writeable C-contiguous NumPy array (``numpy.memmap`` too) of ``shape``.

    ``dtype`` (if given) must match as well: results are written in place, so
    a copy (a reshaped non-contiguous array) or a silent cast would lose them.
    """
    if not isinstance(out, np.ndarray):
        raise InvalidArgumentError(f"`{name}` must be a NumPy array (or numpy.memmap) of shape {tuple(shape)}; "
                                   f"got {_describe(out)}.")
    flaws = [f for f, bad in ((", not C-contiguous", not out.flags.c_contiguous),
                              (", read-only", not out.flags.writeable)) if bad]
    if flaws or tuple(out.shape) != tuple(shape) or (dtype is not None and out.dtype != dtype):
        kind = "" if dtype is None else f"{np.dtype(dtype)} "
        raise ShapeError(f"`{name}` must be a writeable C-contiguous {kind}array of shape {tuple(shape)}; "
                         f"got {out.dtype} {out.shape}{''.join(flaws)}.")
    return out


#: The classes :func:`require_model` knows, by qualified name (this leaf module imports neither).
_MODEL_CLASSES = {"RNN": "rnnsym.model.RNN", "LinearRNN": "rnnsym.linear.system.LinearRNN"}


def require_model(value: Any, name: str = "net", *, kind: str = "RNN", numeric: bool = False) -> Any:
    """``value`` itself if it is an rnnsym ``RNN`` (``kind="LinearRNN"``: a ``LinearRNN``), subclasses too.

    ``numeric=True`` also requires weights without symbols.  Recognised by
    qualified class name, as this module sits below :mod:`rnnsym.model`.

    >>> require_model("tanh")
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `net` must be an rnnsym RNN; got str 'tanh'.
    """
    wanted = _MODEL_CLASSES[kind]
    if not any(f"{c.__module__}.{c.__qualname__}" == wanted for c in type(value).__mro__):
        raise InvalidArgumentError(f"`{name}` must be an rnnsym {kind}; got {_describe(value)}.")
    if numeric and not value.is_numeric:
        raise InvalidArgumentError(f"`{name}` must be numeric; substitute values with {kind}.subs() first.")
    return value
