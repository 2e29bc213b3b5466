"""Compile SymPy expressions into fast, broadcasting numeric kernels.

This is the only module that talks to :func:`sympy.lambdify`.  A
:class:`Kernel` keeps the expression it was compiled from, its argument
order and its generated source, so the symbolic object and the number
cruncher are one thing.

Arguments are SymPy symbols (one float array each) or matrices of symbols
(an array whose trailing dimensions are the matrix's shape: ``(..., n)`` for
a column vector of ``n`` symbols, ``(..., r, c)`` otherwise).  Leading
dimensions broadcast.  Scalar results come back with the broadcast batch
shape; matrix results as ``(..., rows, cols)``, constant and zero entries
broadcast too.

GPU backends ``"jax"`` and ``"cupy"`` live in :mod:`rnnsym.backends.gpu`.

Backends: ``"numpy"`` (lambdify, one temporary per operation), ``"mpmath"``
(point by point at ``dps`` digits), ``"numba"`` (a fused, multi-threaded loop
printed from the CSE'd expression and compiled by numba: one pass over the
data, no temporaries; install the ``fast`` extra) and ``"fused"`` (numba where
it is installed and can compile the expression, NumPy otherwise).  The
numba backend computes in float64 with the C math library and IEEE semantics
(no fast-math); integer powers ``x**n`` with ``|n| <= 4`` are multiplied
out by squaring.  Every backend is tested against the exact value (mpmath),
not against another float library: arithmetic and ``sqrt`` within one unit
roundoff per operation, integer powers within ``|n|``, library functions
within a few ULP plus their condition number (``tests/backends/test_fused.py``
states the bounds); which backend is closer differs by CPU, since NumPy's
SIMD kernels differ by instruction set.

Arguments are converted by :func:`rnnsym._matrices.as_float_array`: real or
complex numbers and arrays of them pass; strings (at any depth), bytes,
``None`` and other objects raise :class:`~rnnsym.errors.InvalidArgumentError`
naming the argument.  NaN and infinities propagate as IEEE arithmetic has
them (they are not refused here; the numeric entry points above the kernels
refuse them in their own arguments).

A kernel may carry *assumptions* (SymPy relations such as ``Abs(a) < 1``).
Outside them it never returns a number silently: ``on_domain="raise"``
(default) raises :class:`~rnnsym.errors.DomainError` naming the violated
condition, ``on_domain="nan"`` returns NaN there (for sweeps).

Examples
--------
>>> import sympy as sp
>>> from rnnsym.kernel import compile
>>> x, y = sp.symbols("x y")
>>> k = compile(x**2 + y, [x, y])
>>> k([1.0, 2.0], 10.0).tolist()
[11.0, 14.0]
>>> m = compile(sp.Matrix([[x, 0], [1, x * y]]), [x, y])
>>> m([1.0, 2.0], 3.0).shape
(2, 2, 2)
>>> m([1.0, 2.0], 3.0)[1].tolist()
[[2.0, 0.0], [1.0, 6.0]]
>>> compile(sp.sqrt(1 - x**2), [x], assumptions=[sp.Abs(x) <= 1])(2.0)
Traceback (most recent call last):
...
rnnsym.errors.DomainError: `x`=2.0 is outside the kernel's domain: Abs(x) <= 1 fails.
"""

from __future__ import annotations

import inspect
import keyword
import numbers
import threading
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

import mpmath
import numpy as np
import sympy as sp

from rnnsym.errors import DomainError, InvalidArgumentError, NonFiniteError, ShapeError
from rnnsym._matrices import as_choice, as_float_array, as_int
from rnnsym.backends.gpu import build
from rnnsym.backends.fused import fused_loop
from rnnsym.latex import latex

__all__ = ["Kernel", "compile", "BACKENDS"]

BACKENDS = ("numpy", "mpmath", "numba", "fused", "jax", "cupy")
_ON_DOMAIN = ("raise", "nan")

Arg = "sp.Symbol | sp.MatrixBase"

# Functions SymPy's printers name but NumPy and mpmath do not provide under that name:
# ``Cbrt`` (sympy.codegen.cfunctions) is the real cube root.
_NUMPY_EXTRAS = {"Cbrt": np.cbrt}
_MPMATH_EXTRAS = {"Cbrt": lambda x: mpmath.sign(x) * mpmath.cbrt(abs(x))}


def _numeric_form(expr: sp.Basic) -> sp.Basic:
    """Rewrite functions NumPy lacks into accurate equivalents."""
    return expr.replace(sp.sech, lambda a: 1 / sp.cosh(a)).replace(
        sp.csch, lambda a: 1 / sp.sinh(a)
    )


def _arg_symbols(arg: Any, position: int) -> tuple[tuple[sp.Symbol, ...], tuple[int, ...]]:
    if isinstance(arg, sp.Symbol):
        return (arg,), ()
    if isinstance(arg, sp.MatrixBase):
        entries = tuple(arg)
        if not all(isinstance(e, sp.Symbol) for e in entries):
            raise InvalidArgumentError(
                f"argument {position} of `args` must be a matrix of symbols; got {arg}."
            )
        shape = (arg.rows,) if arg.cols == 1 else (arg.rows, arg.cols)
        return entries, shape
    raise InvalidArgumentError(
        f"argument {position} of `args` must be a SymPy Symbol or a Matrix of Symbols; "
        f"got {type(arg).__name__} {arg!r}."
    )


class Kernel:
    """A compiled SymPy expression or matrix.

    Create kernels with :func:`compile`; the constructor is internal.

    Attributes
    ----------
    expr : sympy.Basic
        The expression or immutable matrix this kernel computes.
    args : tuple
        The argument order: symbols and matrices of symbols.
    source : str
        The generated Python source.
    backend : str
        The backend asked for (see :data:`BACKENDS`).
    engine : str
        What runs: ``"numpy"``, ``"mpmath"`` or ``"numba"`` (``"fused"``
        runs numba where it can, NumPy otherwise).
    assumptions : tuple
        Relations that must hold for the result to mean anything.
    """

    def __init__(self, expr: sp.Basic, args: tuple, backend: str, cse: bool,
                 assumptions: tuple, on_domain: str, dps: int) -> None:
        # the constructor is public too: the same checks as compile()
        expr, args, backend, cse, on_domain, dps = _options(expr, args, backend, cse, on_domain, dps)
        self.expr = expr
        self.args = args
        self.backend = backend
        assumptions = tuple(_assumption(c) for c in _items(assumptions, "assumptions", sets=True))
        self.assumptions = assumptions
        self.on_domain = on_domain
        self.dps = dps
        layout = [_arg_symbols(a, i) for i, a in enumerate(args)]
        self._arg_shapes = [shape for _, shape in layout]
        flat = [s for syms, _ in layout for s in syms]
        missing = expr.free_symbols - set(flat)
        if missing:
            listed = ", ".join(sorted(str(s) for s in missing))
            raise InvalidArgumentError(
                f"`args` must include every free symbol of the expression; missing {listed}."
            )
        self._matrix = isinstance(expr, sp.MatrixBase)
        self.shape: tuple[int, ...] = expr.shape if self._matrix else ()
        body: Any = list(_numeric_form(expr)) if self._matrix else _numeric_form(expr)
        modules = [_MPMATH_EXTRAS, "mpmath"] if backend == "mpmath" else [_NUMPY_EXTRAS, "scipy", "numpy"]
        # Names such as `W_h[0,1]` are not identifiers; rename them here without
        # re-evaluating the tree (lambdify's own dummify rebuilds and re-simplifies
        # it, which takes seconds on large closed forms).
        rename = {s: sp.Symbol(f"_{''.join(c if c.isalnum() else '_' for c in s.name)}_{k}")
                  for k, s in enumerate(flat) if not s.name.isidentifier() or keyword.iskeyword(s.name)}
        if rename:
            with sp.evaluate(False):
                body = [e.xreplace(rename) for e in body] if self._matrix else body.xreplace(rename)
        names = [rename.get(s, s) for s in flat]
        self._fn = sp.lambdify(names, body, modules=modules, cse=cse)
        self.source: str = inspect.getsource(self._fn)
        self.engine = "mpmath" if backend == "mpmath" else "numpy"
        self._fused: Any = None
        self._gpu: Any = None
        if backend in ("jax", "cupy"):

            self._gpu = build(backend, body, names, self._arg_shapes, self.shape, self._matrix,
                              cse, assumptions, flat)
            self.engine, self.source = backend, self._gpu.source
        if backend in ("numba", "fused"):
            self._fused = fused_loop(body if self._matrix else [body], layout, names, backend)
            if self._fused is not None:
                self.engine, self.source = "numba", self._fused.source
        self._checks = [
            (cond, sp.lambdify(flat, cond, modules=["numpy"])) for cond in assumptions
        ]
        self._flat = flat

    # -- calling ------------------------------------------------------------
    def __call__(self, *values: Any, on_domain: str | None = None) -> Any:
        """Evaluate on arrays that broadcast over leading dimensions."""
        mode = self.on_domain if on_domain is None else _check_on_domain(on_domain)
        if len(values) != len(self.args):
            raise InvalidArgumentError(
                f"kernel takes {len(self.args)} argument(s) "
                f"({', '.join(map(str, self.args))}); got {len(values)}."
            )
        if self._gpu is not None:  # device arrays in and out
            return self._gpu(values, mode)
        arrays = [_as_array(value, arg, self.backend, self.dps) for arg, value in zip(self.args, values)]
        flat, batch = self._split(arrays)
        mask = self._domain_mask(flat, batch, mode)
        if self.engine == "mpmath":
            out = self._call_mpmath(flat, batch)
        elif self.engine == "numba" and not any(np.iscomplexobj(v) for v in flat):
            out = self._call_fused(arrays, batch)
        else:
            # Piecewise compiles to numpy.select, which evaluates every branch:
            # warnings from branches that are not selected are noise.
            with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
                out = self._call_numpy(flat, batch)
        if mask is not None:
            out = np.array(out, dtype=np.result_type(out, float))
            if self._matrix:
                out[~mask] = np.nan
            else:
                out = np.where(mask, out, np.nan)
        if not self._matrix and out.shape == ():
            return out[()]
        return out

    def _split(self, arrays: Sequence[np.ndarray]) -> tuple[list[np.ndarray], tuple[int, ...]]:
        flat: list[np.ndarray] = []
        batches = []
        for arg, shape, array in zip(self.args, self._arg_shapes, arrays):
            if array.shape[array.ndim - len(shape):] != shape or array.ndim < len(shape):
                raise ShapeError(
                    f"argument `{arg}` must have trailing shape {shape}; got shape {array.shape}."
                )
            batch = array.shape[: array.ndim - len(shape)]
            batches.append(batch)
            if shape == ():
                flat.append(array)
            else:
                flat.extend(array[(Ellipsis,) + tuple(idx)] for idx in np.ndindex(*shape))
        try:
            batch = np.broadcast_shapes(*batches)
        except ValueError:
            raise ShapeError(
                f"batch dimensions {batches} of the arguments do not broadcast together."
            ) from None
        return flat, batch

    def _assemble(self, out: Any, batch: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        if not self._matrix:
            return np.array(np.broadcast_to(np.asarray(out, dtype=dtype), batch))
        entries = [np.broadcast_to(np.asarray(e, dtype=dtype), batch) for e in out]
        return np.stack(entries, axis=-1).reshape(batch + self.shape)

    def _call_numpy(self, flat: list[np.ndarray], batch: tuple[int, ...]) -> np.ndarray:
        return self._assemble(self._fn(*flat), batch)

    def _call_fused(self, arrays: Sequence[np.ndarray], batch: tuple[int, ...]) -> np.ndarray:
        size = int(np.prod(batch))
        blocks: list[Any] = []
        for shape, array in zip(self._arg_shapes, arrays):
            width = int(np.prod(shape))
            own = array.shape[: array.ndim - len(shape)]
            if int(np.prod(own)) == size and own == batch[len(batch) - len(own):]:
                blocks.append(np.ascontiguousarray(array.reshape(size, width)))
            elif int(np.prod(own)) == 1:   # one row for every point
                blocks.append(np.ascontiguousarray(array.reshape(1, width)))
            else:  # partial broadcasting: materialise
                full = np.broadcast_to(array, batch + shape).reshape(size, width)
                blocks.append(np.ascontiguousarray(full))
        out = np.empty((size, max(len(self._fused.outputs), 1)))
        self._fused(*blocks, out)
        if not self._matrix:
            return out[:, 0].reshape(batch)
        return out.reshape(batch + self.shape)

    def _call_mpmath(self, flat: list[np.ndarray], batch: tuple[int, ...]) -> np.ndarray:
        cols = [np.broadcast_to(a, batch) for a in flat]
        size = self.shape[0] * self.shape[1] if self._matrix else 1
        out = np.empty(batch + (size,), dtype=object)
        with mpmath.workdps(self.dps):
            for idx in np.ndindex(*batch):
                value = self._fn(*[mpmath.mpmathify(c[idx]) for c in cols])
                out[idx] = list(value) if self._matrix else [value]
        if self._matrix:
            return out.reshape(batch + self.shape)
        return out[..., 0]

    def _domain_mask(self, flat: list[np.ndarray], batch: tuple[int, ...],
                     mode: str) -> np.ndarray | None:
        if not self._checks:
            return None
        mask = np.ones(batch, dtype=bool)
        numeric = [np.asarray(a, dtype=complex if np.iscomplexobj(a) else float) for a in flat]
        for cond, check in self._checks:
            with np.errstate(invalid="ignore"):
                ok = np.broadcast_to(np.asarray(check(*numeric), dtype=bool), batch)
            if mode == "raise" and not ok.all():
                bad = tuple(int(i[0]) for i in np.nonzero(~ok)) if batch else ()
                where = ", ".join(
                    f"`{s}`={np.broadcast_to(a, batch)[bad].item()!r}"
                    for s, a in zip(self._flat, numeric) if s in cond.free_symbols
                )
                raise DomainError(f"{where} is outside the kernel's domain: {cond} fails.")
            mask &= ok
        return None if mode == "raise" else mask

    # -- presentation ---------------------------------------------------------
    def __repr__(self) -> str:
        args = ", ".join(map(str, self.args))
        return f"Kernel({args}) -> {self.expr}"

    def _repr_latex_(self) -> str:

        return f"$\\displaystyle {latex(self.expr)}$"


def _as_array(value: Any, arg: Any, backend: str, dps: int = 15) -> np.ndarray:
    """An argument as float64 (complex128 where complex) or, for mpmath, mpmath numbers."""
    if backend != "mpmath":
        return as_float_array(value, str(arg), allow_empty=True, complex_ok=True, finite=False)
    if value is None or isinstance(value, (str, bytes, bytearray)):
        as_float_array(value, str(arg))  # raises the converter's one-line error
    try:
        array = np.asarray(value, dtype=object)
    except (TypeError, ValueError):
        raise ShapeError(f"`{arg}` must be a rectangular array of numbers; got a ragged "
                         f"{type(value).__name__}.") from None
    out = np.empty(array.shape, dtype=object)
    with mpmath.workdps(dps + 10):  # SymPy numbers and Decimals are read at the kernel's precision
        for idx, entry in np.ndenumerate(array):
            out[idx] = _mp_number(entry, arg)
    return out


def _mp_number(entry: Any, arg: Any) -> Any:
    """One entry for the mpmath backend: numbers pass at the working precision, others are refused."""
    if isinstance(entry, (mpmath.mpf, mpmath.mpc)):
        return entry
    if isinstance(entry, (numbers.Number, Decimal, sp.Basic)):
        if isinstance(entry, sp.Basic) and not (isinstance(entry, sp.Expr) and entry.is_number):
            as_float_array([entry], str(arg))  # a symbol: the converter's one-line error
        try:
            return mpmath.mpmathify(str(entry) if isinstance(entry, Decimal) else entry)
        except (TypeError, ValueError):  # SymPy's zoo
            raise NonFiniteError(f"`{arg}` must be finite; got an entry {entry}.") from None
    # strings, None, containers, objects: the converter words the refusal
    checked = as_float_array(np.array([entry], dtype=object), str(arg), complex_ok=True, finite=False)
    return mpmath.mpmathify(checked[0].item())


def _assumption(condition: Any) -> sp.Basic:
    """A SymPy relation or truth value; strings and other objects are refused, never sympified."""
    if isinstance(condition, bool):
        return sp.true if condition else sp.false
    if isinstance(condition, sp.logic.boolalg.Boolean):  # relations, And/Or/Not, true/false
        return condition
    raise InvalidArgumentError(
        f"`assumptions` entries must be SymPy relations such as Abs(x) < 1; got "
        f"{type(condition).__name__} {condition!r:.40}."
    )


def _check_on_domain(on_domain: str) -> str:
    return as_choice(on_domain, "on_domain", _ON_DOMAIN)


def _items(values: Any, name: str, *, sets: bool = False) -> tuple:
    """A sequence argument (``args``; ``assumptions``, ``sets=True``: also a set) as a tuple; text is refused."""
    unordered = () if sets else (set, frozenset)
    if isinstance(values, (str, bytes, Mapping, *unordered)) or not isinstance(values, Iterable):
        raise InvalidArgumentError(
            f"`{name}` must be a list or tuple; got {type(values).__name__} {str(values)[:40]!r}.")
    return tuple(values)


def _options(expr: Any, args: Any, backend: Any, cse: Any, on_domain: Any, dps: Any) -> tuple:
    """``compile``'s arguments checked and normalised; strings are never sympified."""
    backend, on_domain = as_choice(backend, "backend", BACKENDS), _check_on_domain(on_domain)
    if not isinstance(cse, (bool, np.bool_)):
        raise InvalidArgumentError(f"`cse` must be True or False; got {type(cse).__name__} {str(cse)[:40]!r}.")
    # Never sympify user data: sympify evaluates strings as Python (with strict=True
    # still those nested in a dict or a set).
    if isinstance(expr, sp.MatrixBase):
        expr = sp.ImmutableMatrix(expr)
    elif isinstance(expr, (int, float, np.integer, np.floating)) and not isinstance(expr, (bool, np.bool_)):
        expr = sp.sympify(expr, strict=True)
    elif not isinstance(expr, sp.Basic):
        raise InvalidArgumentError(
            f"`expr` must be a SymPy expression or matrix; got {type(expr).__name__} {str(expr)[:40]!r}."
        )
    args = [args] if isinstance(args, (sp.Symbol, sp.MatrixBase)) else _items(args, "args")
    args = tuple(sp.ImmutableMatrix(a) if isinstance(a, sp.MatrixBase) else a for a in args)
    for i, a in enumerate(args):
        _arg_symbols(a, i)
    return expr, args, backend, bool(cse), on_domain, as_int(dps, "dps", low=1)


_CACHE: dict[tuple, Kernel] = {}
_LOCK = threading.Lock()


def compile(expr: Any, args: Iterable[Any], *, backend: str = "numpy", cse: bool = True,
            assumptions: Iterable[Any] = (), on_domain: str = "raise",
            dps: int = 30) -> Kernel:
    """Compile a SymPy expression or matrix into a :class:`Kernel`.

    Parameters
    ----------
    expr : sympy.Expr or sympy.Matrix
        What to compute.
    args : sequence of Symbol or Matrix of Symbols
        The argument order of the kernel.
    backend : {"numpy", "mpmath", "numba", "fused", "jax", "cupy"}
        ``"mpmath"`` evaluates point by point at ``dps`` decimal digits;
        ``"numba"`` fuses the whole expression into one multi-threaded loop
        (optional extra ``fast``; asking for it without numba installed is
        an :class:`~rnnsym.errors.InvalidArgumentError`); ``"fused"`` is
        numba where available, NumPy otherwise.  ``"jax"`` and ``"cupy"``
        run one fused pass on a GPU and return device arrays
        (:mod:`rnnsym.backends.gpu`; extras ``jax`` and ``cupy``).
    cse : bool
        Eliminate common subexpressions (default True).
    assumptions : sequence of sympy relations
        The domain; see ``on_domain``.
    on_domain : {"raise", "nan"}
        What to do at points outside the assumptions.

    Compiling the same expression with the same options again returns the
    cached kernel.

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a")
    >>> k = compile(sp.tanh(a), [a], backend="mpmath", dps=40)
    >>> import mpmath
    >>> mpmath.nstr(k(0.5), 20)
    '0.4621171572600097585'
    >>> compile(sp.tanh(a), [a], backend="mpmath", dps=40) is k
    True
    """
    expr, arg_tuple, backend, cse, on_domain, dps = _options(expr, args, backend, cse, on_domain, dps)
    assumptions = tuple(_assumption(c) for c in _items(assumptions, "assumptions", sets=True))
    key = (expr, arg_tuple, backend, cse, assumptions, on_domain, dps)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached
    kernel = Kernel(expr, arg_tuple, backend, cse, assumptions, on_domain, dps)
    with _LOCK:
        _CACHE[key] = kernel
    return kernel
