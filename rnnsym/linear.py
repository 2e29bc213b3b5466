"""The linear recurrence ``h_t = A h_{t-1} + B x_t`` with outputs ``y_t = C h_t``.

:class:`LinearRNN` is the linear-systems view of an RNN: the model itself,
or the linearisation of an :class:`~rnnsym.model.RNN` at a fixed point
(:func:`linearize`, ``A = D W_h``, ``B = D W_x`` with ``D = diag(phi')``).
There is no feedthrough term: in this chapter ``D`` is ``diag(phi')``.
Entries may be symbols, exact numbers or floats.  The controllability matrix
``[B, AB, ..., A^{n-1} B]`` and the observability matrix
``[C; CA; ...; CA^{n-1}]`` are built by SymPy; note that the observability
matrix is *stacked*, with no transpose (ERRATA E8: the chapter's displayed
transpose is the controllability matrix of the dual pair ``(A^T, C^T)``).

Ranks, Gramians, steering and reconstruction live in
:mod:`rnnsym.reachability`, eigenmodes in :mod:`rnnsym.modes`.

Examples
--------
>>> import sympy as sp
>>> from rnnsym.linear import LinearRNN
>>> a = sp.Symbol("a", real=True)
>>> sys = LinearRNN(sp.diag(a, 1), [[1], [1]])
>>> sys.controllability_matrix()
Matrix([
[1, a],
[1, 1]])
>>> LinearRNN([[0, 1], [0, 0]], [[0], [1]], C=[[1, 0]]).observability_matrix()
Matrix([
[1, 0],
[0, 1]])
>>> LinearRNN([[0.5]], [[1.0]]).simulate([[1.0], [0.0]]).tolist()
[[0.0], [1.0], [0.5]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import sympy as sp

from .errors import InvalidArgumentError, ShapeError
from .latex import latex
from .model import as_matrix, matrix_symbols, ordered_symbols, resolve_values, vector_symbols

if TYPE_CHECKING:  # pragma: no cover
    from .model import RNN
    from .modes import ModeDecomposition

__all__ = ["LinearRNN", "linearize"]


class LinearRNN:
    """The linear recurrence ``h_t = A h_{t-1} + B x_t``, ``y_t = C h_t``.

    Parameters
    ----------
    A : array_like or sympy.Matrix, shape (n, n)
        State transition (for a linearised RNN, ``D W_h``).
    B : array_like or sympy.Matrix, shape (n, m)
        Input matrix (for a linearised RNN, ``D W_x``).
    C : array_like or sympy.Matrix, shape (p, n), optional
        Output matrix; defaults to the identity (the whole state is observed).

    Raises
    ------
    ShapeError
        ``A`` not square, ``B`` without ``n`` rows, ``C`` without ``n`` columns.
    NonFiniteError, InvalidArgumentError
        NaN, infinite, complex or string entries.

    Examples
    --------
    >>> sys = LinearRNN.symbolic(2, 1)
    >>> sys.A
    Matrix([
    [A[0,0], A[0,1]],
    [A[1,0], A[1,1]]])
    >>> sys.step()[0]
    A[0,0]*h_prev[0] + A[0,1]*h_prev[1] + B[0,0]*x[0]
    >>> LinearRNN([[1, 2, 3]], [[1]])
    Traceback (most recent call last):
    ...
    rnnsym.errors.ShapeError: `A` must be square; got shape (1, 3). `A` maps the hidden state to itself.
    """

    def __init__(self, A: Any, B: Any, C: Any = None) -> None:
        A = as_matrix(A, "A")
        if A.rows != A.cols:
            raise ShapeError(
                f"`A` must be square; got shape {A.shape}. `A` maps the hidden state to itself."
            )
        n = A.rows
        if n == 0:
            raise ShapeError("`A` must have at least one row; got shape (0, 0).")
        B = as_matrix(B, "B", vector=_is_flat(B))
        if B.rows != n:
            hint = " Did you pass a row where a column was meant?" if B.cols == n and n > 1 else ""
            raise ShapeError(
                f"`B` must have {n} row{'s' if n != 1 else ''} (one per state, as `A`); got shape {B.shape}.{hint}"
            )
        C = sp.eye(n) if C is None else as_matrix(C, "C")
        if C.cols != n:
            raise ShapeError(
                f"`C` must have {n} column{'s' if n != 1 else ''} (one per state, as `A`); got shape {C.shape}."
            )
        self.A: sp.ImmutableMatrix = sp.ImmutableMatrix(A)
        self.B: sp.ImmutableMatrix = sp.ImmutableMatrix(B)
        self.C: sp.ImmutableMatrix = sp.ImmutableMatrix(C)
        self.n: int = n
        self.m: int = B.cols
        self.p: int = C.rows
        self.h_prev = vector_symbols("h_prev", n, "h_{{t-1,{i}}}")
        self.x = vector_symbols("x", self.m, "x_{{t,{i}}}")

    # -- construction ---------------------------------------------------------
    @classmethod
    def symbolic(cls, n: int, m: int = 1, p: int | None = None) -> "LinearRNN":
        """A system whose entries are generated real symbols ``A[i,j]``, ``B[i,j]``, ``C[i,j]``.

        ``p=None`` keeps ``C`` the identity.

        >>> LinearRNN.symbolic(1, 1, p=1).parameters
        (A[0,0], B[0,0], C[0,0])
        """
        for label, value, low in (("n", n, 1), ("m", m, 1), ("p", 1 if p is None else p, 1)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise InvalidArgumentError(f"`{label}` must be an integer >= {low}; got {value!r}.")
        C = None if p is None else matrix_symbols("C", p, n)
        return cls(matrix_symbols("A", n, n), matrix_symbols("B", n, m), C)

    def subs(self, values: Mapping[Any, Any] | None = None, **by_name: Any) -> "LinearRNN":
        """A copy with parameters replaced (keys: symbols or their names).

        >>> LinearRNN.symbolic(1, 1).subs({"A[0,0]": 2}).A
        Matrix([[2]])
        """
        resolved = resolve_values(self.parameters, {**(values or {}), **by_name}, "system")
        return LinearRNN(self.A.xreplace(resolved), self.B.xreplace(resolved),
                         self.C.xreplace(resolved))

    # -- properties -----------------------------------------------------------
    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """The free symbols of ``A``, ``B`` and ``C``, in a stable order."""
        return ordered_symbols(self.A, self.B, self.C)

    @property
    def is_numeric(self) -> bool:
        """True when every entry is a number."""
        return not self.parameters

    def numeric_matrices(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(A, B, C)`` as float64 arrays; raises if any entry is symbolic.

        >>> LinearRNN([[1]], [[2]]).numeric_matrices()[1].tolist()
        [[2.0]]
        """
        if not self.is_numeric:
            names = ", ".join(map(str, self.parameters[:6]))
            raise InvalidArgumentError(
                f"this system has symbolic entries ({names}); substitute values with "
                "LinearRNN.subs() before numeric work."
            )
        cached = getattr(self, "_numeric_cache", None)
        if cached is None:
            cached = tuple(np.array(m.tolist(), dtype=float) for m in (self.A, self.B, self.C))
            self._numeric_cache = cached
        return cached

    # -- symbolic objects -----------------------------------------------------
    def step(self, h: Any = None, x: Any = None) -> sp.ImmutableMatrix:
        """``A h + B x`` as a SymPy column (defaults: the symbols ``h_{t-1}``, ``x_t``)."""
        h = self.h_prev if h is None else as_matrix(h, "h", shape=(self.n, 1), vector=True)
        x = self.x if x is None else as_matrix(x, "x", shape=(self.m, 1), vector=True)
        return sp.ImmutableMatrix(self.A * h + self.B * x)

    def output(self, h: Any = None) -> sp.ImmutableMatrix:
        """``y = C h`` as a SymPy column (default ``h``: the symbols ``h_{t-1}``)."""
        h = self.h_prev if h is None else as_matrix(h, "h", shape=(self.n, 1), vector=True)
        return sp.ImmutableMatrix(self.C * h)

    def controllability_matrix(self) -> sp.ImmutableMatrix:
        """``[B, AB, ..., A^{n-1} B]``, shape ``(n, n m)`` (ERRATA R2)."""
        blocks = [self.B]
        for _ in range(self.n - 1):
            blocks.append(sp.ImmutableMatrix((self.A * blocks[-1]).applyfunc(sp.expand)))
        return sp.ImmutableMatrix(sp.Matrix.hstack(*blocks))

    def observability_matrix(self) -> sp.ImmutableMatrix:
        """``[C; CA; ...; CA^{n-1}]`` stacked, shape ``(p n, n)``, no transpose (ERRATA E8)."""
        blocks = [self.C]
        for _ in range(self.n - 1):
            blocks.append(sp.ImmutableMatrix((blocks[-1] * self.A).applyfunc(sp.expand)))
        return sp.ImmutableMatrix(sp.Matrix.vstack(*blocks))

    def dual(self) -> "LinearRNN":
        """The dual system ``(A^T, C^T, B^T)``: controllability and observability swap.

        >>> sys = LinearRNN([[1, 2], [3, 4]], [[1], [0]], [[0, 1]])
        >>> sys.dual().controllability_matrix() == sys.observability_matrix().T
        True
        """
        return LinearRNN(self.A.T, self.C.T, self.B.T)

    def modes(self, tol: float | None = None) -> "ModeDecomposition":
        """Eigenmodes of ``A`` (see :func:`rnnsym.modes.modes`)."""
        from .modes import modes

        return modes(self.A, tol=tol)

    # -- numerics -------------------------------------------------------------
    def simulate(self, xs: Any, h0: Any = None) -> np.ndarray:
        """Run ``h_t = A h_{t-1} + B x_t`` on inputs ``xs`` (T, m); returns (T+1, n).

        The first row is ``h0`` (default zeros); row ``t`` is ``h_t``, driven by
        ``xs[t-1]``.  Leading batch dimensions of ``h0`` broadcast.
        """
        A, B, _ = self.numeric_matrices()
        xs = np.asarray(xs, dtype=float)
        if xs.ndim == 1 and self.m == 1:
            xs = xs[:, None]
        if xs.ndim != 2 or xs.shape[1] != self.m:
            raise ShapeError(f"`xs` must have shape (T, {self.m}); got shape {xs.shape}.")
        h = np.zeros(self.n) if h0 is None else np.asarray(h0, dtype=float)
        if h.shape[-1:] != (self.n,):
            raise ShapeError(f"`h0` must have {self.n} entries; got shape {h.shape}.")
        out = [h]
        for x in xs:
            h = h @ A.T + B @ x
            out.append(h)
        return np.stack(out)

    def observe(self, states: Any) -> np.ndarray:
        """Outputs ``y_t = C h_t`` for states of shape (..., n); returns (..., p).

        >>> LinearRNN([[1, 0], [0, 1]], [[1], [0]], C=[[1, 1]]).observe([[1.0, 2.0]]).tolist()
        [[3.0]]
        """
        _, _, C = self.numeric_matrices()
        states = np.asarray(states, dtype=float)
        if states.shape[-1:] != (self.n,):
            raise ShapeError(f"`states` must have trailing size {self.n}; got shape {states.shape}.")
        return states @ C.T

    # -- presentation ---------------------------------------------------------
    def __repr__(self) -> str:
        return f"LinearRNN(n={self.n}, m={self.m}, p={self.p})"

    def _repr_latex_(self) -> str:
        out = f"h_t = {latex(self.A)} h_{{t-1}} + {latex(self.B)} x_t"
        if self.C != sp.eye(self.n):
            out += f",\\quad y_t = {latex(self.C)} h_t"
        return f"${out}$"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, LinearRNN) and self.A == other.A and self.B == other.B
                and self.C == other.C)

    def __hash__(self) -> int:
        return hash((self.A, self.B, self.C))


def _is_flat(value: Any) -> bool:
    """Whether ``value`` is a 1-D sequence (read as a column, one entry per state)."""
    if isinstance(value, (sp.MatrixBase, str)):
        return False
    try:
        return np.ndim(np.asarray(value, dtype=object)) == 1
    except (ValueError, TypeError):
        return False


def linearize(net: "RNN", h_star: Any = None, x: Any = None) -> LinearRNN:
    """The linearisation of ``net`` at ``(h_star, x)``: ``A = D W_h``, ``B = D W_x``.

    ``D = diag(phi'(W_h h* + W_x x + b))``.  ``h_star`` defaults to the
    symbols ``h_star[i]``, ``x`` to the symbols ``x[i]``.  (At a fixed point
    ``h*`` of the input ``x`` the deviations obey
    ``dh_t = A dh_{t-1} + B dx_t`` to first order.)

    Examples
    --------
    >>> from rnnsym.model import RNN
    >>> net = RNN([[2]], [[1]], [0], activation="tanh")
    >>> linearize(net, [0], [0]).A
    Matrix([[2]])
    >>> linearize(RNN([[1, 0], [0, 1]], [[1], [1]], activation="relu"), [1, -1], [0]).B
    Matrix([
    [1],
    [0]])
    """
    h = net.h_star if h_star is None else h_star
    D = net.D(h, x)
    return LinearRNN(sp.ImmutableMatrix(D * net.W_h), sp.ImmutableMatrix(D * net.W_x))
