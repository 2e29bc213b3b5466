"""Eigenmodes of a linear recurrence, and how a nonlinearity couples them.

For ``h_t = A h_{t-1}`` with ``A = Q Lam Q^{-1}`` the mode coordinates
``y = Q^{-1} h`` evolve independently, ``y_t = Lam y_{t-1}``.  The
coordinate of mode ``i`` is ``(Q^{-1} h)_i``, the product of ``h`` with the
*left* eigenvector (row ``i`` of ``Q^{-1}``); it is an orthogonal projection
onto ``q_i`` only when ``A`` is normal (correction C5).  Each mode is

- *fading* when ``|lam| < 1`` (its half-life is ``ln 2 / (-ln |lam|)`` steps, from
  :func:`rnnsym.stability.half_life`, the one derivation of it),
- *persistent* when ``|lam| = 1`` and ``lam`` is semisimple,
- *polynomially growing* when ``|lam| = 1`` inside a Jordan block
  (``[[1, 1], [0, 1]]`` maps ``(0, 1)`` to ``(t, 1)``: marginal, not
  asymptotic, stability),
- *exploding* when ``|lam| > 1``.

The nonlinear recurrence ``h_t = phi(W_h h_{t-1})`` reads
``y_t = Q^{-1} phi(Q Lam y_{t-1})`` in mode coordinates, whose Jacobian is
the coupling matrix ``Q^{-1} D Q Lam`` with ``D = diag(phi'(W_h h_{t-1}))``
(correction C6: ``Q`` maps mode coordinates to the standard basis).  It is
diagonal when ``W_h`` is diagonal or ``D`` is a multiple of ``I``.

Examples
--------
>>> from rnnsym.linear.modes import modes
>>> [(m.eigenvalue, m.kind) for m in modes([[1, 1], [0, 1]]).modes]
[(1, 'polynomially growing')]
>>> d = modes([[0.5, 0.0], [0.0, -1.0]])
>>> [(m.kind, m.half_life) for m in d.modes]
[('fading', 1.0), ('persistent', inf)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import scipy.linalg as sla
import sympy as sp
from sympy.polys.matrices import DomainMatrix

from rnnsym.errors import DomainError, InvalidArgumentError, ResourceLimitError, ShapeError
from rnnsym._matrices import as_float_array, as_limit, as_matrix, as_tolerance, check_square
from rnnsym.activations import get_activation
from rnnsym.stability import RHO, half_life, half_life_expr

__all__ = ["Mode", "ModeDecomposition", "modes", "classify", "coupling_matrix",
           "coupling_strength", "coupling_versus_amplitude", "MAX_SYMBOLIC_MODES",
           "MAX_ROOT_DEGREE", "MAX_SYMBOLIC_COUPLING"]

KINDS = ("fading", "persistent", "polynomially growing", "exploding", "undetermined")

#: Largest ``n`` of a matrix with free symbols whose exact modes are attempted
#: (a triangular symbolic 4x4 took 1.9 s, 5x5 12 s; a diagonal 8x8 3.1 s, 10x10 over 15 s).
MAX_SYMBOLIC_MODES = 4
#: Largest degree of an irreducible factor of the characteristic polynomial whose
#: roots are written out (a rational 3x3 with ``x^3 - x - 1``, a random integer 4x4,
#: a fully symbolic 3x3 each took over 15 s; a fully symbolic 2x2 1.2 s).
MAX_ROOT_DEGREE = 2
#: Largest ``n`` of a symbolic :func:`coupling_matrix` (a triangular symbolic 3x3 took
#: 1.0 s, 4x4 over 20 s in ``simplify``).
MAX_SYMBOLIC_COUPLING = 3


@dataclass(frozen=True)
class Mode:
    """One eigenvalue of ``A`` with its multiplicities, eigenvectors and kind.

    ``right`` are column eigenvectors (``A q = lam q``), ``left`` row
    eigenvectors (``w A = lam w``) spanning the eigenspaces; for a
    diagonalizable ``A`` the ``left`` vectors are the rows of ``Q^{-1}``.
    ``jordan_blocks`` lists the sizes of its Jordan blocks.
    """

    eigenvalue: Any
    algebraic_multiplicity: int
    geometric_multiplicity: int
    right: tuple[Any, ...]
    left: tuple[Any, ...]
    jordan_blocks: tuple[int, ...]
    kind: str
    half_life: Any

    @property
    def semisimple(self) -> bool:
        """True when the algebraic and geometric multiplicities agree."""
        return self.algebraic_multiplicity == self.geometric_multiplicity


@dataclass(frozen=True)
class ModeDecomposition:
    """``A = Q Lam Q^{-1}`` (``Lam`` diagonal, or the Jordan form ``J`` when defective).

    Symbolic or exact ``A`` give SymPy matrices, float ``A`` NumPy arrays.
    """

    A: Any
    modes: tuple[Mode, ...]
    diagonalizable: bool
    Q: Any
    Q_inv: Any
    Lam: Any

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kind of each mode, in the order of :attr:`modes`."""
        return tuple(m.kind for m in self.modes)

    def coordinates(self, h: Any) -> Any:
        """Mode coordinates ``Q^{-1} h`` (rows of ``Q^{-1}`` are left eigenvectors)."""
        if isinstance(self.Q_inv, np.ndarray):
            return np.asarray(h, dtype=complex) @ self.Q_inv.T
        return self.Q_inv * as_matrix(h, "h", shape=(self.Q_inv.cols, 1), vector=True)

    def evolve(self, h0: Any, t: int) -> Any:
        """``h_t = Q Lam^t Q^{-1} h_0``, computed in mode coordinates."""
        if isinstance(self.Q, np.ndarray):
            y = np.linalg.matrix_power(self.Lam, t) @ self.coordinates(h0)
            return (self.Q @ y).real if np.isrealobj(self.A) else self.Q @ y
        return (self.Q * self.Lam**t * self.coordinates(h0)).applyfunc(sp.simplify)


def classify(eigenvalue: Any, semisimple: bool, tol: float = 0.0) -> str:
    """The kind of a mode (see the module docstring); ``'undetermined'`` for unknown ``|lam|``.

    >>> classify(sp.Rational(1, 2), True), classify(1, False), classify(-2, True)
    ('fading', 'polynomially growing', 'exploding')
    """
    if isinstance(eigenvalue, sp.Basic):
        gap = sp.simplify(sp.Abs(eigenvalue) - 1)
        below, zero, above = gap.is_negative, gap.is_zero, gap.is_positive
    else:
        gap = abs(complex(eigenvalue)) - 1.0
        below, zero, above = gap < -tol, abs(gap) <= tol, gap > tol
    if below:
        return "fading"
    if above:
        return "exploding"
    if zero:
        return "persistent" if semisimple else "polynomially growing"
    return "undetermined"


def _half_life(eigenvalue: Any, kind: str) -> Any:
    """The half-life of :mod:`rnnsym.stability` at ``rho = |lam|``; 0 at ``lam = 0``, infinite unless fading."""
    if isinstance(eigenvalue, sp.Basic):
        if eigenvalue == 0:
            return sp.Integer(0)
        fading = kind in ("fading", "undetermined")
        return half_life_expr().subs(RHO, sp.Abs(eigenvalue)) if fading else sp.oo
    r = abs(complex(eigenvalue))
    if r == 0:
        return 0.0
    return float(half_life(r)) if kind == "fading" else math.inf


def _jordan_sizes(J: Any, lam: Any, exact: bool, tol: float) -> tuple[int, ...]:
    n = J.shape[0]
    sizes, i = [], 0
    while i < n:
        j = i
        while j + 1 < n and (J[j, j + 1] != 0 if exact else abs(J[j, j + 1]) > 0.5):
            j += 1
        same = (sp.simplify(J[i, i] - lam) == 0) if exact else abs(J[i, i] - lam) <= tol
        if same:
            sizes.append(j - i + 1)
        i = j + 1
    return tuple(sorted(sizes, reverse=True))


def modes(A: Any, tol: float | None = None, *, max_size: int | None = None,
          max_degree: int | None = None) -> ModeDecomposition:
    """Eigenmodes of ``A``: multiplicities, left and right eigenvectors, kinds, half-lives.

    Symbolic or exact entries use SymPy (``eigenvects``, ``jordan_form``);
    float entries use :func:`scipy.linalg.eig`, grouping eigenvalues within
    ``tol`` (default ``1e-6`` relative to ``max(1, |A|)``) and taking the
    geometric multiplicity from the numeric rank of ``A - lam I``.  The
    Jordan form of a defective float matrix is computed exactly from its
    rational approximation.

    Resource limits (:class:`~rnnsym.errors.ResourceLimitError`, raised
    before any eigenvector is computed): with free symbols ``n`` may be at
    most ``max_size`` (default :data:`MAX_SYMBOLIC_MODES` = 4), and the
    characteristic polynomial (of an exact ``A``, or of the rational
    approximation of a defective float ``A``) may have no irreducible factor
    of degree above ``max_degree`` (default :data:`MAX_ROOT_DEGREE` = 2:
    cubic and quartic formulas, and ``CRootOf``, make the eigenvectors too
    large to simplify).  Pass larger values to try anyway; for numbers pass
    floats (``modes(np.array(A, dtype=float))``).

    Examples
    --------
    >>> import sympy as sp
    >>> d = modes(sp.Matrix([[2, 1], [1, 2]]) / 4)
    >>> [(m.eigenvalue, m.kind) for m in d.modes], d.Q_inv * d.A * d.Q == d.Lam
    ([(1/4, 'fading'), (3/4, 'fading')], True)
    >>> modes([[1, 1], [0, 1]]).Lam
    Matrix([
    [1, 1],
    [0, 1]])
    """
    tol = None if tol is None else as_tolerance(tol, positive=True)
    size_limit = as_limit(max_size, "max_size", MAX_SYMBOLIC_MODES)
    degree_limit = as_limit(max_degree, "max_degree", MAX_ROOT_DEGREE)
    numeric = isinstance(A, np.ndarray) and A.dtype.kind in "fc"
    if not numeric:
        mat = as_matrix(A, "A")
        numeric = any(e.has(sp.Float) for e in mat) and not mat.free_symbols
        if numeric:
            A = np.array(mat.tolist(), dtype=float)
    if numeric:
        return _numeric_modes(np.asarray(A), tol, degree_limit)
    check_square(mat.shape, "A")
    syms = len(mat.free_symbols)
    if syms and mat.rows > size_limit:
        raise ResourceLimitError(
            f"`A` is {mat.rows}x{mat.rows} with {syms} free symbol{'s' if syms != 1 else ''}: exact "
            f"eigenmodes with symbols are limited to n <= {size_limit}; substitute numbers and pass "
            f"floats (modes(np.array(A, dtype=float))), or pass max_size={mat.rows} to try anyway."
        )
    _check_root_degree(sp.Matrix(mat), degree_limit,
                       "substitute numbers and pass floats (modes(np.array(A, dtype=float)))")
    return _exact_modes(sp.Matrix(mat))


def _charpoly_degrees(M: sp.Matrix) -> list[int]:
    """Degrees of the irreducible factors of ``det(lam I - M)`` over the rationals.

    Free symbols (and functions of them) are first replaced by random
    rationals: a factor of the generic polynomial of degree ``d`` gives
    factors of degree at most ``d``, so a factor above the limit here is one
    in general too; factoring the multivariate polynomial itself took from
    0.3 s to 10 s for the same symbolic 3x3 (SymPy's factoring draws random
    evaluation points).
    """
    lam = sp.Dummy("lam")
    if M.free_symbols:
        funcs = {f: sp.Dummy() for f in M.atoms(sp.Function) if f.free_symbols}
        M0 = M.xreplace(funcs) if funcs else M
        syms = sorted(M0.free_symbols, key=str)
        rng = np.random.default_rng(20240607)
        for _ in range(8):
            point = {v: sp.Rational(int(rng.integers(1, 10**6)), int(rng.integers(1, 10**6)))
                     for v in syms}
            sample = M0.xreplace(point)
            if not any(e.has(sp.nan, sp.zoo, sp.oo, -sp.oo) for e in sample):
                M = sample
                break
    try:
        dm = DomainMatrix.from_Matrix(M)
        exact = not (dm.domain.is_EX or dm.domain.is_EXRAW)
    except (sp.PolynomialError, sp.CoercionFailed, ValueError, TypeError):  # pragma: no cover
        exact = False
    if exact:
        poly = sp.Add(*[dm.domain.to_sympy(c) * lam ** (M.rows - k) for k, c in enumerate(dm.charpoly())])
    else:
        poly = M.charpoly(lam).as_expr()
    try:
        factors = sp.factor_list(poly, lam)[1]
    except (sp.PolynomialError, NotImplementedError):  # pragma: no cover
        return [M.rows]
    return [int(sp.degree(f, lam)) for f, _ in factors if f.has(lam)]


def _check_root_degree(M: sp.Matrix, limit: int, alternative: str) -> None:
    if M.rows <= limit:
        return
    worst = max(_charpoly_degrees(M), default=1)
    if worst > limit:
        raise ResourceLimitError(
            f"`A` ({M.rows}x{M.rows}) has an irreducible factor of degree {worst} in its characteristic "
            f"polynomial, above the limit max_degree={limit} (exact roots of degree 3 and up are too "
            f"large to use); {alternative}, or pass max_degree={worst} to try anyway."
        )


def _exact_modes(A: sp.Matrix) -> ModeDecomposition:
    right = A.eigenvects(simplify=True)
    left = {sp.simplify(lam): vecs for lam, _, vecs in A.T.eigenvects(simplify=True)}
    diagonalizable = sum(len(vecs) for _, _, vecs in right) == A.rows
    if diagonalizable:
        Q = sp.Matrix.hstack(*[v for _, mult, vecs in right for v in vecs])
        Lam = sp.diag(*[lam for lam, mult, vecs in right for _ in vecs])
    else:
        Q, Lam = A.jordan_form()
    Q_inv = Q.inv().applyfunc(sp.simplify)
    out = []
    for lam, alg, vecs in right:
        geo = len(vecs)
        kind = classify(lam, alg == geo)
        lefts = left.get(sp.simplify(lam), [])
        if diagonalizable:  # rows of Q^{-1}: left eigenvectors normalised so that w q = 1
            idx = [i for i in range(A.rows) if sp.simplify(Lam[i, i] - lam) == 0]
            lefts = [Q_inv[i, :] for i in idx]
        else:
            lefts = [sp.ImmutableMatrix(w.T) for w in lefts]
        out.append(Mode(lam, int(alg), geo, tuple(sp.ImmutableMatrix(v) for v in vecs),
                        tuple(sp.ImmutableMatrix(w) for w in lefts),
                        _jordan_sizes(Lam, lam, True, 0.0), kind, _half_life(lam, kind)))
    return ModeDecomposition(sp.ImmutableMatrix(A), tuple(out), diagonalizable,
                             sp.ImmutableMatrix(Q), sp.ImmutableMatrix(Q_inv), sp.ImmutableMatrix(Lam))


def _numeric_modes(A: np.ndarray, tol: float | None,
                   degree_limit: int = MAX_ROOT_DEGREE) -> ModeDecomposition:
    check_square(A.shape, "A")
    if not np.all(np.isfinite(A)):
        raise InvalidArgumentError("`A` must have finite entries.")
    n = A.shape[0]
    scale = max(1.0, float(np.linalg.norm(A, 2)))
    tol = 1e-6 * scale if tol is None else float(tol) * scale
    lam, vl, vr = sla.eig(A, left=True, right=True)
    groups: list[list[int]] = []
    for i in np.argsort(-np.abs(lam), kind="stable")[::-1]:
        for g in groups:
            if abs(lam[g[0]] - lam[i]) <= tol:
                g.append(int(i))
                break
        else:
            groups.append([int(i)])
    out, geos = [], []
    for g in groups:
        centre = complex(np.mean(lam[g]))
        centre = centre.real if abs(centre.imag) <= tol else centre
        s = sla.svdvals(A - centre * np.eye(n))
        geo = max(1, int(np.sum(s <= 1e-8 * scale * max(1, len(g)))))
        geos.append(min(geo, len(g)))
    diagonalizable = sum(geos) == n
    if diagonalizable:
        Q, Lam = vr, np.diag(lam)
        Q_inv = np.linalg.inv(vr)
    else:
        exact = sp.Matrix(A.tolist()).applyfunc(lambda v: sp.nsimplify(v, rational=True))
        _check_root_degree(exact, degree_limit,
                           "pass a smaller `tol` to treat the clustered eigenvalues as distinct "
                           "(numeric eigenvectors), or use scipy.linalg.schur(A)")
        P, J = exact.jordan_form()
        Q = np.array(P.evalf().tolist(), dtype=complex)
        Lam = np.array(J.evalf().tolist(), dtype=complex)
        Q_inv = np.linalg.inv(Q)
    for g, geo in zip(groups, geos):
        centre = complex(np.mean(lam[g]))
        value: Any = centre.real if abs(centre.imag) <= tol else centre
        kind = classify(value, geo == len(g), tol)
        if diagonalizable:
            lefts = tuple(Q_inv[i] for i in g)
        else:
            lefts = tuple(vl[:, i].conj() / np.linalg.norm(vl[:, i]) for i in g[:geo])
        blocks = _jordan_sizes(Lam, value, False, max(tol, 1e-6)) if not diagonalizable else (1,) * len(g)
        out.append(Mode(value, len(g), geo, tuple(vr[:, i] for i in g[:geo]), lefts, blocks,
                        kind, _half_life(value, kind)))
    return ModeDecomposition(A, tuple(out), diagonalizable, Q, Q_inv, Lam)


# ------------------------------------------------------------------ coupling
def coupling_matrix(W_h: Any, D: Any, *, max_size: int | None = None,
                    max_degree: int | None = None) -> Any:
    """``Q^{-1} D Q Lam``: the Jacobian of the mode coordinates under ``h_t = phi(W_h h_{t-1})``.

    ``D`` is ``diag(phi'(W_h h_{t-1}))`` (a matrix, or its diagonal as a
    sequence).  Float input gives a complex NumPy array, exact or symbolic
    input a SymPy matrix.

    Raises
    ------
    DomainError
        When ``W_h`` is not diagonalizable (its mode coordinates are not defined).

    Examples
    --------
    >>> import sympy as sp
    >>> d0, d1 = sp.symbols("d0 d1")
    >>> coupling_matrix([[1, 0], [0, 2]], [d0, d1])
    Matrix([
    [d0,    0],
    [ 0, 2*d1]])
    """
    W = W_h if isinstance(W_h, np.ndarray) else as_matrix(W_h, "W_h")
    symbolic = (not isinstance(W, np.ndarray) and bool(W.free_symbols)) or (
        isinstance(D, sp.Basic) and bool(D.free_symbols)) or (
        not isinstance(D, (np.ndarray, sp.Basic)) and any(isinstance(d, sp.Basic) and d.free_symbols
                                                          for d in np.ravel(np.asarray(D, dtype=object))))
    limit = as_limit(max_size, "max_size", MAX_SYMBOLIC_COUPLING)
    if symbolic and W.shape[0] > limit:
        raise ResourceLimitError(
            f"`W_h` is {W.shape[0]}x{W.shape[0]} and the coupling matrix is symbolic: simplifying "
            f"Q^-1 D Q Lam is limited to n <= {limit}; use coupling_strength() or pass floats "
            f"(coupling_matrix(np.array(W_h, dtype=float), d)), or pass max_size={W.shape[0]} to try anyway."
        )
    dec = modes(W_h, max_size=max_size, max_degree=max_degree)  # limits: see modes()
    if not dec.diagonalizable:
        raise DomainError("`W_h` must be diagonalizable for mode coordinates; it has a Jordan block.")
    if isinstance(dec.Q, np.ndarray):
        Dm = as_float_array(D, "D")
        Dm = np.diag(Dm) if Dm.ndim == 1 else Dm
        if Dm.shape != dec.Q.shape:
            raise ShapeError(f"`D` must be {dec.Q.shape[0]}x{dec.Q.shape[0]}; got shape {Dm.shape}.")
        return dec.Q_inv @ Dm @ dec.Q @ dec.Lam
    if isinstance(D, sp.MatrixBase):
        Dm = sp.Matrix(D)
    else:
        Dm = sp.diag(*as_matrix(D, "D", vector=True))
    if Dm.shape != dec.Q.shape:
        raise ShapeError(f"`D` must be {dec.Q.shape[0]}x{dec.Q.shape[0]}; got shape {Dm.shape}.")
    return sp.ImmutableMatrix((dec.Q_inv * Dm * dec.Q * dec.Lam).applyfunc(sp.simplify))


def _float_square(W_h: Any, name: str) -> np.ndarray:
    W = as_float_array(W_h, name)
    check_square(W.shape, name)
    return W


def coupling_strength(W_h: Any, h: Any, activation: Any = "tanh") -> float:
    """Off-diagonal share ``|offdiag M|_F / |M|_F`` of the coupling matrix at state ``h``.

    ``M = Q^{-1} D Q Lam`` with ``D = diag(phi'(W_h h))``.  Zero means the
    modes stay decoupled at ``h``.

    >>> round(coupling_strength([[0.5, 0.4], [0.1, 0.8]], [0.0, 0.0]), 12)
    0.0
    >>> round(coupling_strength([[0.5, 0.4], [0.1, 0.8]], [1.0, -1.0]), 3)
    0.251
    """

    W = _float_square(W_h, "W_h")
    act = get_activation(activation)
    d = act.numpy_prime(W @ as_float_array(h, "h", shape=(W.shape[0],)))
    M = coupling_matrix(W, d)
    total = float(np.linalg.norm(M))
    off = float(np.linalg.norm(M - np.diag(np.diag(M))))
    return off / total if total else 0.0


def coupling_versus_amplitude(W_h: Any, amplitudes: Sequence[float], activation: Any = "tanh",
                              direction: Any = None) -> np.ndarray:
    """:func:`coupling_strength` at ``h = amplitude * u`` for each amplitude.

    ``u`` defaults to the (real part of the) eigenvector of the
    slowest-decaying mode, normalised.  For tanh the coupling is zero at
    amplitude 0 (``D = I``) and grows as the units saturate, unless
    ``|W_h u|`` has equal entries (then ``D`` stays a multiple of ``I``).

    >>> c = coupling_versus_amplitude([[0.5, 0.4], [0.2, 0.6]], [0.0, 0.5, 2.0])
    >>> bool(c[0] < 1e-12 < c[1] < c[2])
    True
    """
    W = _float_square(W_h, "W_h")
    n = W.shape[0]
    amps = as_float_array(list(amplitudes) if isinstance(amplitudes, Iterator) else amplitudes, "amplitudes",
                          shape=(None,), allow_empty=True)
    if direction is None:
        lam, vr = np.linalg.eig(W)
        u = vr[:, int(np.argmax(np.abs(lam)))].real
    else:
        u = as_float_array(direction, "direction")
    if u.shape != (n,):
        raise ShapeError(f"`direction` must have {n} entries; got shape {u.shape}.")
    norm = float(np.linalg.norm(u))
    if norm == 0:
        raise InvalidArgumentError("`direction` must be a nonzero vector; got zeros.")
    u = u / norm
    return np.array([coupling_strength(W, float(a) * u, activation) for a in amps])
