"""The linear recurrence ``h_t = A h_{t-1} + B x_t`` with outputs ``y_t = C h_t``.

:class:`LinearRNN` is the linear-systems view of an RNN: the model itself,
or the linearisation of an :class:`~rnnsym.model.RNN` at a fixed point
(:func:`linearize`, ``A = D W_h``, ``B = D W_x`` with ``D = diag(phi')``).
There is no feedthrough term: in this chapter ``D`` is ``diag(phi')``.
Entries may be symbols, exact numbers or floats.  The controllability matrix
``[B, AB, ..., A^{n-1} B]`` and the observability matrix
``[C; CA; ...; CA^{n-1}]`` are built by SymPy; note that the observability
matrix is *stacked*, with no transpose (correction C8: the chapter's displayed
transpose is the controllability matrix of the dual pair ``(A^T, C^T)``).

:func:`as_system` is the one validator of ``(A, B, C)``: :class:`LinearRNN`,
the numeric routines (through :func:`numeric_system`), the filters of
:mod:`rnnsym.linear.filtering` and :mod:`rnnsym.backends.symengine` use it.
Ranks live in :mod:`rnnsym.linear.rank`; decisions, Gramians, steering and
reconstruction in :mod:`rnnsym.linear.controllability`; eigenmodes in
:mod:`rnnsym.linear.modes`.

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

import math
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import sympy as sp
from sympy.polys.matrices import DomainMatrix

from rnnsym.errors import InvalidArgumentError, ResourceLimitError, ShapeError
from rnnsym.latex import latex
from rnnsym._matrices import (as_float_array, as_int, as_limit, as_matrix, check_square, matrix_symbols, ordered_symbols,
                              require_model, resolve_values, vector_symbols)
from rnnsym.linear.modes import modes

if TYPE_CHECKING:  # pragma: no cover
    from rnnsym.model import RNN
    from rnnsym.linear.modes import ModeDecomposition

__all__ = ["LinearRNN", "as_system", "numeric_system", "linearize", "krylov_terms", "MAX_KRYLOV_TERMS"]


def as_system(A: Any, B: Any = None, C: Any = None, *, numeric: bool = False) -> tuple[Any, Any, Any]:
    """The one validator of ``(A, B, C)``: converted, finite, real, with matching shapes.

    ``A`` must be square and non-empty (``n x n``); ``B`` must have ``n``
    rows (a flat sequence is read as a column, one entry per state); ``C``
    must have ``n`` columns and defaults to the identity (the whole state is
    observed).  ``B=None`` stays ``None``, for routines that need only
    ``A`` and ``C``.  With ``numeric=False`` the matrices come back as SymPy
    immutable matrices (:func:`rnnsym._matrices.as_matrix`: numbers, arrays,
    SymPy expressions); with ``numeric=True`` as float64 arrays, without a
    detour through SymPy (symbolic entries are refused).  Every entry point
    of :mod:`rnnsym.linear` that takes ``(A, B, C)`` goes through here.

    Raises
    ------
    ShapeError
        ``A`` not square or empty, ``B`` without ``n`` rows, ``C`` without ``n`` columns.
    NonFiniteError, InvalidArgumentError
        NaN, infinite, complex or string entries (and symbolic ones with ``numeric=True``).

    >>> [M.shape for M in as_system([[1, 2], [3, 4]], [1, 0])]
    [(2, 2), (2, 1), (2, 2)]
    >>> as_system([[0.5]], [[1.0]], [[2.0]], numeric=True)[2]
    array([[2.]])
    >>> as_system([[1, 2]], [[1]], numeric=True)
    Traceback (most recent call last):
    ...
    rnnsym.errors.ShapeError: `A` must be square; got shape (1, 2). `A` maps the hidden state to itself.
    """
    convert = _float_matrix if numeric else as_matrix
    A = convert(A, "A")
    check_square(A.shape, "A", "`A` maps the hidden state to itself.")
    n = A.shape[0]
    if n == 0:
        raise ShapeError("`A` must have at least one row; got shape (0, 0).")
    if B is not None:
        B = convert(B, "B", vector=_is_flat(B))
        if B.shape[0] != n:
            hint = " Did you pass a row where a column was meant?" if B.shape[1] == n and n > 1 else ""
            raise ShapeError(
                f"`B` must have {n} row{'s' if n != 1 else ''} (one per state, as `A`); got shape "
                f"{tuple(B.shape)}.{hint}"
            )
    if C is None:
        C = np.eye(n) if numeric else sp.ImmutableMatrix(sp.eye(n))
    else:
        C = convert(C, "C")
        if C.shape[1] != n:
            raise ShapeError(
                f"`C` must have {n} column{'s' if n != 1 else ''} (one per state, as `A`); got shape "
                f"{tuple(C.shape)}."
            )
    return A, B, C


def _float_matrix(value: Any, name: str, *, vector: bool = False) -> np.ndarray:
    """``value`` as a 2-D float64 array: the package's numeric converter, shaped as ``as_matrix`` shapes."""
    if isinstance(value, str):
        raise InvalidArgumentError(f"`{name}` must be numbers or arrays; got the string {value[:40]!r}.")
    try:
        arr = as_float_array(value, name, allow_empty=True)
    except InvalidArgumentError as exc:
        if "symbolic" not in str(exc):
            raise
        raise InvalidArgumentError(
            f"`{name}` must hold real numbers for this numeric routine; symbolic entries need a "
            "LinearRNN (substitute values with LinearRNN.subs(), or use controllability_rank())."
        ) from None
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(-1, 1) if vector else arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ShapeError(f"`{name}` must be a matrix (2-D); got an array of shape {arr.shape}.")
    return arr


def numeric_system(system: "LinearRNN | tuple",
                   name: str = "system") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, B, C)`` as float64 arrays from a numeric :class:`LinearRNN` or a tuple ``(A, B[, C])``.

    The tuple is validated by :func:`as_system` (``numeric=True``); ``C``
    defaults to the identity.

    >>> [M.shape for M in numeric_system((np.eye(2), np.ones((2, 1))))]
    [(2, 2), (2, 1), (2, 2)]
    """
    if isinstance(system, LinearRNN):
        if not system.is_numeric:
            names = ", ".join(map(str, system.parameters[:6]))
            raise InvalidArgumentError(
                f"`{name}` has symbolic entries ({names}) but this routine is numeric; "
                "substitute values with LinearRNN.subs() or use controllability_rank()."
            )
        return system.numeric_matrices()
    if isinstance(system, tuple) and len(system) in (2, 3) and system[1] is not None:
        return as_system(*system, numeric=True)
    raise InvalidArgumentError(
        f"`{name}` must be a LinearRNN or a tuple (A, B[, C]) of arrays; got {type(system).__name__}."
    )


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
        ``A`` not square, ``B`` without ``n`` rows, ``C`` without ``n`` columns
        (the checks of :func:`as_system`).
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
        if B is None:
            raise InvalidArgumentError("`B` is required (shape (n, m)); got None.")
        A, B, C = as_system(A, B, C)
        n = A.rows
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
        n, m = as_int(n, "n", low=1), as_int(m, "m", low=1)
        C = None if p is None else matrix_symbols("C", as_int(p, "p", low=1), n)
        return cls(matrix_symbols("A", n, n), matrix_symbols("B", n, m), C)

    def subs(self, values: Mapping[Any, Any] | None = None, **by_name: Any) -> "LinearRNN":
        """A copy with parameters replaced (keys: symbols or their names).

        >>> LinearRNN.symbolic(1, 1).subs({"A[0,0]": 2}).A
        Matrix([[2]])
        """
        resolved = resolve_values(self.parameters, values, "system", by_name)
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

    def controllability_matrix(self, *, max_terms: int | None = None) -> sp.ImmutableMatrix:
        """``[B, AB, ..., A^{n-1} B]``, shape ``(n, n m)`` (correction C7), entries expanded.

        Symbolic entries are refused up front (:class:`~rnnsym.errors.ResourceLimitError`)
        when the expanded matrix would hold more than ``max_terms`` terms
        (default :data:`MAX_KRYLOV_TERMS`; see :func:`krylov_terms`).  A fully
        symbolic system passes up to ``n = 5`` (~3,900 terms); ``n = 6``
        (~56,000 terms) took over 20 s.  Numeric entries are not limited.
        Alternatives: :func:`rnnsym.linear.rank.krylov_matrix` on numbers,
        :func:`rnnsym.backends.symengine.controllability_matrix` (unexpanded).
        """
        _check_krylov(self.A, self.B, "controllability", max_terms)
        return sp.ImmutableMatrix(_krylov(self.A, self.B, self.n, right=False))

    def observability_matrix(self, *, max_terms: int | None = None) -> sp.ImmutableMatrix:
        """``[C; CA; ...; CA^{n-1}]`` stacked, shape ``(p n, n)``, no transpose (correction C8).

        Limited like :meth:`controllability_matrix` (``max_terms`` lifts it).
        """
        _check_krylov(self.A.T, self.C.T, "observability", max_terms)
        return sp.ImmutableMatrix(_krylov(self.A, self.C, self.n, right=True))

    def dual(self) -> "LinearRNN":
        """The dual system ``(A^T, C^T, B^T)``: controllability and observability swap.

        >>> sys = LinearRNN([[1, 2], [3, 4]], [[1], [0]], [[0, 1]])
        >>> sys.dual().controllability_matrix() == sys.observability_matrix().T
        True
        """
        return LinearRNN(self.A.T, self.C.T, self.B.T)

    def modes(self, tol: float | None = None, *, max_size: int | None = None,
              max_degree: int | None = None) -> "ModeDecomposition":
        """Eigenmodes of ``A`` (see :func:`rnnsym.linear.modes.modes`, also for its resource limits)."""
        return modes(self.A, tol=tol, max_size=max_size, max_degree=max_degree)

    # -- numerics -------------------------------------------------------------
    def simulate(self, xs: Any, h0: Any = None) -> np.ndarray:
        """Run ``h_t = A h_{t-1} + B x_t`` on inputs ``xs`` (T, m); returns (T+1, n).

        The first row is ``h0`` (default zeros); row ``t`` is ``h_t``, driven by
        ``xs[t-1]``.  Leading batch dimensions of ``h0`` broadcast.
        """
        A, B, _ = self.numeric_matrices()
        xs = as_float_array(xs, "xs", allow_empty=True, finite=False)
        if xs.ndim == 1 and self.m == 1:
            xs = xs[:, None]
        if xs.ndim != 2 or xs.shape[1] != self.m:
            raise ShapeError(f"`xs` must have shape (T, {self.m}); got shape {xs.shape}.")
        h = np.zeros(self.n) if h0 is None else as_float_array(h0, "h0", allow_empty=True, finite=False)
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
        states = as_float_array(states, "states", allow_empty=True, finite=False)
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


#: Default limit on the terms of a symbolic controllability or observability matrix.
MAX_KRYLOV_TERMS = 10_000


def _terms(e: sp.Expr) -> int:
    return 0 if e == 0 else len(sp.Add.make_args(e))


def _degree(e: sp.Expr, syms: list[sp.Symbol]) -> int:
    if not e.free_symbols:
        return 0
    if e.is_Symbol:
        return 1
    try:
        return int(sp.Poly(e, *syms).total_degree())
    except sp.PolynomialError:
        return 1


def krylov_terms(A: Any, B: Any) -> int:
    """An estimate of the terms of ``[B, AB, ..., A^{n-1}B]`` expanded (0 without symbols).

    Block ``k`` has at most as many terms per entry as weighted paths of
    length ``k`` through the nonzero entries of ``A`` (``T_k = T_A T_{k-1}``,
    counting the terms of each entry) and at most as many as there are
    monomials of its degree in the free symbols; the estimate sums the
    smaller of the two over the entries of every block.  Cheap: ``n``
    products of an ``n x n`` float matrix with ``n x m`` counts.

    >>> krylov_terms(LinearRNN.symbolic(5, 1).A, LinearRNN.symbolic(5, 1).B)
    3905
    >>> krylov_terms([[1, 2], [3, 4]], [[1], [1]])
    0
    """
    A, B = sp.Matrix(as_matrix(A, "A")), sp.Matrix(as_matrix(B, "B"))
    syms = sorted(A.free_symbols | B.free_symbols, key=str)
    if not syms:
        return 0
    TA = np.array([[_terms(e) for e in A.row(i)] for i in range(A.rows)], dtype=float)
    T = np.array([[_terms(e) for e in B.row(i)] for i in range(B.rows)], dtype=float)
    dA = max(_degree(e, syms) for e in A)
    dB = max(_degree(e, syms) for e in B)
    total = float(T.sum())
    for k in range(1, A.rows):
        degree = k * dA + dB
        monomials = float(math.comb(len(syms) + degree, degree)) if degree < 10**4 else math.inf
        T = np.minimum(TA @ T, monomials)
        total += float(T.sum())
        if total > 1e15:
            break
    return int(min(total, 1e15))


def _check_krylov(A: sp.MatrixBase, B: sp.MatrixBase, what: str, max_terms: int | None) -> None:
    limit = as_limit(max_terms, "max_terms", MAX_KRYLOV_TERMS)
    terms = krylov_terms(A, B)
    if terms > limit:
        syms = len(A.free_symbols | B.free_symbols)
        raise ResourceLimitError(
            f"`system` (n={A.rows}, {syms} free symbol{'s' if syms != 1 else ''}) gives a symbolic "
            f"{what} matrix of about {terms:,} terms (limit max_terms={limit:,}); substitute numbers "
            f"(LinearRNN.subs()) and use rnnsym.linear.rank.krylov_matrix() or "
            f"{what}_rank(..., exact=False), use "
            f"rnnsym.backends.symengine.controllability_matrix() (unexpanded), or pass max_terms={terms}."
        )


def _krylov(A: sp.MatrixBase, X: sp.MatrixBase, n: int, *, right: bool) -> sp.Matrix:
    """``[X, AX, ...]`` (``right=False``) or ``[X; XA; ...]`` (``right=True``), ``n`` blocks, expanded.

    Over a polynomial ring (integer or rational coefficients) SymPy's
    ``DomainMatrix`` multiplies sparse polynomials, several times faster than
    ``expand`` on expressions and with the same expanded result; other
    entries (floats, radicals, functions, fractions) use ``expand``.
    """
    try:
        dA, dX = DomainMatrix.from_Matrix(sp.Matrix(A)).unify(DomainMatrix.from_Matrix(sp.Matrix(X)))
        dom = dA.domain
        exact = dom.is_ZZ or dom.is_QQ or (dom.is_PolynomialRing and (dom.domain.is_ZZ or dom.domain.is_QQ))
    except (sp.PolynomialError, sp.CoercionFailed, ValueError, TypeError):  # pragma: no cover
        exact = False
    if exact:
        blocks = [dX]
        for _ in range(n - 1):
            blocks.append(blocks[-1] * dA if right else dA * blocks[-1])
        joined = DomainMatrix.vstack(*blocks) if right else DomainMatrix.hstack(*blocks)
        return joined.to_Matrix()
    out = [sp.Matrix(X)]
    for _ in range(n - 1):
        out.append((out[-1] * A if right else A * out[-1]).applyfunc(sp.expand))
    return sp.Matrix.vstack(*out) if right else sp.Matrix.hstack(*out)


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
    net = require_model(net)
    D = net.D(net.h_star if h_star is None else h_star, x)
    return LinearRNN(sp.ImmutableMatrix(D * net.W_h), sp.ImmutableMatrix(D * net.W_x))
