"""Build and compile large symbolic objects through SymEngine (optional extra ``symbolic``).

SymPy is the reference: every object here is the same expression that the
SymPy path builds (:meth:`RNN.jacobian`, :meth:`LinearRNN.controllability_matrix`),
checked equal in ``tests/test_symengine_backend.py``.  SymEngine (C++) builds
them orders of magnitude faster where SymPy is the bottleneck: the fully
symbolic Jacobian of a 32-unit RNN, the expanded controllability matrix of a
7-state system.  Expressions stay unexpanded where the SymPy path leaves them
unexpanded, and :func:`compile` uses SymEngine's ``Lambdify`` with CSE (LLVM
where SymEngine was built with it).  :func:`to_sympy` converts a result back,
restoring the original SymPy symbols (with their assumptions), for printing
and LaTeX.

Examples
--------
>>> import rnnsym as rs
>>> from rnnsym.backends import symengine as seb
>>> net = rs.RNN.symbolic(2, 1)
>>> J = seb.rnn_jacobian(net)                      # doctest: +SKIP
>>> seb.to_sympy(J, net.parameters + tuple(net.h_prev) + tuple(net.x)) == net.jacobian()  # doctest: +SKIP
True
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import sympy as sp

from rnnsym.symbols import Z
from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.linear.system import as_system

__all__ = ["available", "rnn_jacobian", "controllability_matrix", "to_sympy", "compile",
           "SymEngineKernel"]


def _symengine() -> Any:
    try:
        import symengine  # optional extra `symbolic`
    except ImportError:
        raise InvalidArgumentError(
            "this needs the optional package symengine; install it with `pip install rnnsym[symbolic]`."
        ) from None
    return symengine


def available() -> bool:
    """True when SymEngine is installed."""
    try:
        import symengine  # noqa: F401
    except ImportError:
        return False
    return True


def _matrix(se: Any, M: sp.MatrixBase) -> Any:
    return se.DenseMatrix(M.rows, M.cols, [se.sympify(e) for e in M])


def rnn_jacobian(net: Any) -> Any:
    """``dh_t/dh_{t-1} = diag(phi'(a_t)) da_t/dh_{t-1}`` of an RNN, built in SymEngine.

    The same chain rule as :meth:`rnnsym.model.RNN.jacobian` (``phi'`` in the
    activation's stored, numerically safe form); returns a SymEngine matrix.
    """
    se = _symengine()
    W_h, W_x, b = (_matrix(se, M) for M in (net.W_h, net.W_x, net.b))
    h, x = _matrix(se, net.h_prev), _matrix(se, net.x)
    pre = W_h * h + W_x * x + b
    dadh = pre.jacobian(h)
    z = se.sympify(Z)
    dphi = se.sympify(net.activation.derivative_expr)
    rows = [[dphi.subs({z: pre[i, 0]}) * dadh[i, j] for j in range(net.n)] for i in range(net.n)]
    return se.DenseMatrix(rows)


def controllability_matrix(A: Any, B: Any = None, *, expand: bool = False) -> Any:
    """``[B, AB, ..., A^{n-1} B]``, built in SymEngine.

    ``A`` is a :class:`~rnnsym.linear.LinearRNN` (``B`` omitted) or a square
    SymPy matrix with ``B`` (checked by :func:`rnnsym.linear.system.as_system`).
    Unexpanded by default (each block is ``A`` times the previous one,
    shared, so ``Lambdify`` with CSE compiles it fast; a fully symbolic
    7-state matrix expanded has ~10^5 terms per entry); ``expand=True``
    gives the form of
    :meth:`LinearRNN.controllability_matrix`.
    """
    se = _symengine()
    if B is None:
        A, B = A.A, A.B
    A, B, _ = as_system(A, B)
    Ase, block = _matrix(se, A), _matrix(se, B)
    blocks = [block]
    for _ in range(A.rows - 1):
        block = Ase * block
        if expand:
            block = block.expand()
        blocks.append(block)
    out = blocks[0]
    for block in blocks[1:]:
        out = out.row_join(block)
    return out


def to_sympy(obj: Any, symbols: Iterable[sp.Symbol] = ()) -> Any:
    """A SymEngine object as SymPy, with ``symbols`` (matched by name) restored.

    SymEngine symbols carry no assumptions; passing the original SymPy
    symbols gives back expressions equal to the SymPy path's.
    """
    names = {sp.Symbol(s.name): s for s in symbols}
    if not type(obj).__module__.startswith("symengine"):
        raise InvalidArgumentError(
            f"`obj` must be a SymEngine object; got {type(obj).__name__}. SymPy objects need no conversion.")
    if hasattr(obj, "nrows"):
        out = sp.ImmutableMatrix(obj.nrows(), obj.ncols(), [sp.sympify(e) for e in obj])
    else:
        out = sp.sympify(obj)
    return out.xreplace(names) if names else out


def _flat(args: Sequence[Any]) -> tuple[list[sp.Symbol], list[tuple[int, ...]]]:
    flat: list[sp.Symbol] = []
    shapes: list[tuple[int, ...]] = []
    for position, arg in enumerate(args):
        if isinstance(arg, sp.Symbol):
            flat.append(arg)
            shapes.append(())
        elif isinstance(arg, sp.MatrixBase) and all(isinstance(e, sp.Symbol) for e in arg):
            flat.extend(arg)
            shapes.append((arg.rows,) if arg.cols == 1 else (arg.rows, arg.cols))
        else:
            raise InvalidArgumentError(
                f"argument {position} of `args` must be a SymPy Symbol or a Matrix of Symbols; got {arg!r}."
            )
    return flat, shapes


class SymEngineKernel:
    """A SymEngine ``Lambdify`` with :class:`~rnnsym.kernel.Kernel`'s calling convention.

    Arguments are arrays whose trailing dimensions are each argument's shape;
    leading dimensions broadcast; matrix results come back ``(..., rows, cols)``.
    """

    def __init__(self, obj: Any, args: Sequence[Any], backend: str, cse: bool) -> None:
        se = _symengine()
        self.args = tuple(args)
        flat, self._shapes = _flat(self.args)
        self._matrix = hasattr(obj, "nrows") or isinstance(obj, sp.MatrixBase)
        exprs = obj if hasattr(obj, "nrows") else (
            _matrix(se, sp.ImmutableMatrix(obj)) if self._matrix else se.sympify(obj))
        self.shape: tuple[int, ...] = (exprs.nrows(), exprs.ncols()) if self._matrix else ()
        self.backend = backend
        self._fn = se.Lambdify([se.sympify(s) for s in flat], exprs, backend=backend, cse=cse)

    def __call__(self, *values: Any) -> Any:
        if len(values) != len(self.args):
            raise InvalidArgumentError(f"kernel takes {len(self.args)} argument(s); got {len(values)}.")
        columns: list[np.ndarray] = []
        batches: list[tuple[int, ...]] = []
        for arg, shape, value in zip(self.args, self._shapes, values):
            array = np.asarray(value, dtype=float)
            if array.ndim < len(shape) or array.shape[array.ndim - len(shape):] != shape:
                raise ShapeError(f"argument `{arg}` must have trailing shape {shape}; got shape {array.shape}.")
            batch = array.shape[: array.ndim - len(shape)]
            batches.append(batch)
            columns.append(array.reshape(batch + (-1,)))
        batch = np.broadcast_shapes(*batches)
        stacked = np.concatenate([np.broadcast_to(c, batch + (c.shape[-1],)) for c in columns], axis=-1)
        out = np.asarray(self._fn(np.ascontiguousarray(stacked)))
        return out.reshape(batch + self.shape) if self._matrix else out.reshape(batch)[()]


def compile(obj: Any, args: Sequence[Any], *, backend: str = "llvm", cse: bool = True) -> SymEngineKernel:
    """Compile a SymEngine or SymPy expression or matrix with SymEngine's ``Lambdify``.

    ``backend`` is ``"llvm"`` (SymEngine built with LLVM) or ``"lambda"``.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> compile(x * y + 1, [x, y], backend="lambda")([1.0, 2.0], 3.0).tolist()  # doctest: +SKIP
    [4.0, 7.0]
    """
    if backend not in ("llvm", "lambda"):
        raise InvalidArgumentError(f"`backend` must be 'llvm' or 'lambda'; got {backend!r}.")
    return SymEngineKernel(obj, args, backend, cse)
