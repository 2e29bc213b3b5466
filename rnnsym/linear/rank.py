"""Ranks of matrices and of the Krylov matrices of a :class:`~rnnsym.linear.LinearRNN`.

Ranks come in two kinds.  :func:`exact_rank` handles symbolic or exact
entries: the generic rank, *and* the parameter values at which it drops,
found by factoring and solving the minors (SymPy's generic ``rank()`` and
``StateSpace.is_controllable()`` miss them: for ``A = diag(a, 1)``,
``B = [1, 1]^T`` both say "controllable" although the rank drops at
``a = 1``).  :func:`numeric_rank` counts singular values above a stated
tolerance and reports the gap around it.

:func:`controllability_rank` and :func:`observability_rank` apply them to
``[B, AB, ..., A^{n-1}B]`` and ``[C; CA; ...; CA^{n-1}]``;
:func:`distance_to_uncontrollability` estimates how far the PBH matrix
``[A - lam I, B]`` is from losing rank at any ``lam``.  For a float
system a rank is *not* a decision: for large ``n`` the Krylov matrix is far
too ill-conditioned for its numeric rank to mean anything (a controllable
48-state pair can show rank 24).  Decide with
:func:`rnnsym.linear.controllability.is_controllable` instead.

Examples
--------
>>> import sympy as sp
>>> from rnnsym.linear import LinearRNN
>>> from rnnsym.linear.rank import controllability_rank
>>> a = sp.Symbol("a", real=True)
>>> r = controllability_rank(LinearRNN(sp.diag(a, 1), [[1], [1]]))
>>> r.rank, [(d.solution, d.rank) for d in r.drops]
(2, [({a: 1}, 1)])
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import scipy.linalg as sla
import sympy as sp
from scipy.optimize import minimize_scalar
from sympy.polys.matrices import DomainMatrix

from rnnsym._matrices import as_float_array, as_int, as_matrix, as_tolerance, require_model
from rnnsym.errors import ResourceLimitError, ShapeError
from rnnsym.linear.system import LinearRNN, numeric_system

__all__ = [
    "RankDrop", "ExactRank", "NumericRank",
    "exact_rank", "symbolic_rank_limit", "numeric_rank", "krylov_matrix",
    "controllability_rank", "observability_rank", "distance_to_uncontrollability", "DISTANCE_CANDIDATES",
]

EPS = float(np.finfo(float).eps)
_MAX_MINORS = 4000


# ----------------------------------------------------------------- exact rank
@dataclass(frozen=True)
class RankDrop:
    """Where a rank drops: ``conditions`` hold (``solution`` solves them) and the rank is ``rank``."""

    conditions: tuple[Any, ...]
    solution: dict[sp.Symbol, sp.Expr] | None
    rank: int


@dataclass(frozen=True)
class ExactRank:
    """The generic rank of a symbolic matrix and the parameter values where it drops.

    ``minors`` are the nonzero ``rank x rank`` minors (factored); the rank is
    lower exactly where all of them vanish, which ``drops`` lists.
    """

    rank: int
    full: int
    minors: tuple[sp.Expr, ...]
    drops: tuple[RankDrop, ...] = ()

    @property
    def is_full(self) -> bool:
        """True when the generic rank is the largest possible."""
        return self.rank == self.full


@dataclass(frozen=True)
class NumericRank:
    """Rank counted as singular values ``> tol``; ``gap`` = (smallest kept) / (largest dropped).

    A missing side of the gap is replaced by ``tol``; ``margin`` is how far
    the nearest singular value lies from ``tol`` (a factor >= 1).
    """

    rank: int
    singular_values: np.ndarray
    tol: float
    gap: float
    margin: float


def exact_rank(M: Any, *, max_minors: int = _MAX_MINORS, depth: int = 3,
               max_size: int | None = None) -> ExactRank:
    """Generic rank of ``M`` and every parameter value at which it drops.

    The generic rank ``r`` is the exact rank at two random rational points
    (certified by a nonzero ``r x r`` minor).  The rank is below ``r``
    exactly where every ``r x r`` minor vanishes: each factor of their
    greatest common divisor gives one such set, the remaining common zeros
    are solved for, and the rank there is found again (its own drops too,
    ``depth`` levels deep; ``depth=1`` reports only the first level).

    Resource limits: the minors, their factors and the solved conditions
    grow explosively with the minor size ``r`` and the number ``s`` of free
    symbols, so a symbolic ``M`` is refused up front
    (:class:`~rnnsym.errors.ResourceLimitError`) when ``r`` exceeds
    :func:`symbolic_rank_limit` (6 with one symbol, 3 with up to 9, 2 with
    up to 12, 1 beyond; every limit sits below a case measured to take
    more than 5 s).  ``max_size=r`` lifts it.  Matrices without symbols
    (exact rationals) are not limited by size; more than ``max_minors``
    minors are refused either way.  For numbers use :func:`numeric_rank`
    or, for a system, ``controllability_rank(system.subs(...), exact=False)``
    and :func:`is_controllable`.

    Examples
    --------
    >>> import sympy as sp
    >>> c = sp.Symbol("c", real=True)
    >>> exact_rank(sp.Matrix([[1, c], [1, 1]])).drops[0].solution
    {c: 1}
    >>> exact_rank(sp.Matrix([[c, 0], [0, c]])).drops[0].rank
    0
    """
    max_minors = as_int(max_minors, "max_minors", low=1)
    depth = as_int(depth, "depth", low=1)
    M = sp.Matrix(as_matrix(M, "M"))
    full = min(M.shape)
    r = _rank_at_random_points(M)
    if r == 0:
        return ExactRank(0, full, ())
    count = math.comb(M.rows, r) * math.comb(M.cols, r)
    if count > max_minors:
        raise ResourceLimitError(
            f"`M` of shape {M.shape} has {count} minors of size {r} (limit max_minors={max_minors}); "
            "use rnnsym.linear.rank.numeric_rank() on numbers, or pass a larger max_minors."
        )
    nsyms = len(M.free_symbols)
    limit = symbolic_rank_limit(nsyms) if max_size is None else max_size
    if nsyms and r > limit:
        raise ResourceLimitError(
            f"`M` ({M.rows}x{M.cols}, {nsyms} free symbol{'s' if nsyms != 1 else ''}) needs exact "
            f"minors of size {r}, above the limit {limit} for {nsyms} symbol{'s' if nsyms != 1 else ''} "
            "(6 with one, 3 up to 9, 2 up to 12); substitute numbers and use "
            "rnnsym.linear.rank.numeric_rank(), controllability_rank(system.subs(...), exact=False) "
            f"or is_controllable(), or pass max_size={r} to try anyway."
        )
    minors = []
    for rows in itertools.combinations(range(M.rows), r):
        for cols in itertools.combinations(range(M.cols), r):
            det = _minor(M.extract(list(rows), list(cols)))
            if det != 0:
                minors.append(det)
    syms = sorted(M.free_symbols, key=str)
    drops: list[RankDrop] = []
    if syms and minors and depth > 0:
        for conditions, solution in _common_zeros([sp.numer(sp.together(m)) for m in minors], syms):
            if not solution:
                drops.append(RankDrop(conditions, None, r - 1))
                continue
            sub = M.subs(solution)
            # only the rank and the drops of ``sub`` are used: without symbols it has no
            # drops, so its minors (perhaps full of radicals, slow to expand) are not needed
            inner = (exact_rank(sub, max_minors=max_minors, depth=depth - 1, max_size=max_size)
                     if depth > 1 and sub.free_symbols
                     else ExactRank(_rank_at_random_points(_evaluated(M, solution, sub)), full, ()))
            if inner.rank >= r:
                continue  # a spurious solution (for example a zero of a denominator)
            drops.append(RankDrop(conditions, solution, inner.rank))
            for deeper in inner.drops:
                merged = {k: sp.simplify(v.subs(deeper.solution or {})) for k, v in solution.items()}
                merged.update(deeper.solution or {})
                if not any(v.has(sp.nan, sp.zoo) for v in merged.values()):
                    drops.append(RankDrop(conditions + deeper.conditions, merged, deeper.rank))
    unique = {tuple(sorted((str(k), str(v)) for k, v in (d.solution or {}).items())) or
              (str(d.conditions),): d for d in drops}
    return ExactRank(r, full, tuple(minors), tuple(unique.values()))


def symbolic_rank_limit(free_symbols: int) -> int:
    """The largest minor size :func:`exact_rank` attempts with ``free_symbols`` symbols.

    Measured (``exact_rank`` with its default ``depth=3``, one core): one
    symbol in an integer ``n x n`` Krylov matrix took 3.1 s at ``r = 6``,
    7.7 s at 8, over 15 s at 10; two symbols 1.8 s at ``r = 3``, over 15 s
    at 4; a fully symbolic 3x3 matrix (9 symbols) 2.5 s, 4x4 over 15 s; a
    3x4 one (12 symbols, ``r = 3``) over 15 s; a 2x6 one (12 symbols,
    ``r = 2``) 4.4 s and 2x10 (20 symbols) over 15 s.

    >>> [symbolic_rank_limit(s) for s in (0, 1, 2, 9, 12, 13)]
    [1000000, 6, 3, 3, 2, 1]
    """
    free_symbols = as_int(free_symbols, "free_symbols", low=0)
    if free_symbols <= 0:
        return 10**6
    if free_symbols == 1:
        return 6
    if free_symbols <= 9:
        return 3
    return 2 if free_symbols <= 12 else 1


def _minor(sub: sp.Matrix) -> sp.Expr:
    """``det(sub)``, cancelled and factored; over a polynomial ring or field when SymPy finds one.

    :class:`~sympy.polys.matrices.DomainMatrix` works on integers and sparse
    polynomials (much faster than Berkowitz on expressions); entries with
    radicals or functions fall back to Berkowitz.
    """
    try:
        dm = DomainMatrix.from_Matrix(sub)
    except (sp.PolynomialError, sp.CoercionFailed, ValueError, TypeError):  # pragma: no cover
        dm = None
    if dm is not None and not (dm.domain.is_EX or dm.domain.is_EXRAW):
        det = dm.domain.to_sympy(dm.det())
    else:
        det = sub.det(method="berkowitz")
    return sp.factor(sp.cancel(det))


def _evaluated(M: sp.Matrix, solution: dict, sub: sp.Matrix) -> sp.Matrix:
    """``M`` at ``solution``: ``sub`` itself unless the values are irrational numbers.

    Evaluating the entries of ``sub`` would evaluate every power of a root
    (``CRootOf`` of a quintic, nested radicals) again; the values are
    evaluated once to 80 digits instead (the rank test works at 60).
    """
    if sub.free_symbols or all(e.is_Rational for e in sub):
        return sub

    def approx(v: sp.Expr) -> sp.Expr:  # CRootOf's own evalf bisects for seconds; findroot does not
        return sp.N(v.xreplace({r: r.eval_approx(80) for r in v.atoms(sp.CRootOf)}), 80)

    return M.subs({k: approx(v) for k, v in solution.items()})


def _rank_at_random_points(M: sp.Matrix) -> int:
    syms = sorted(M.free_symbols, key=str)
    rng = random.Random(20240607)
    best, tried = 0, 0
    for _ in range(8):
        point = {s: sp.Rational(rng.randint(1, 10**6), rng.randint(1, 10**6)) * rng.choice((1, -1))
                 for s in syms}
        N = M.subs(point) if syms else M
        if any(e.has(sp.nan, sp.zoo, sp.oo, -sp.oo) for e in N):
            continue  # a pole of a rational entry
        if all(e.is_Rational for e in N):  # fraction-free Matrix.rank() swells its integers
            best = max(best, DomainMatrix.from_Matrix(N).to_field().rank())
        else:
            with mpmath.workdps(60):
                S = mpmath.svd(mpmath.matrix([[sp.N(e, 60)._to_mpmath(200) for e in row]
                                              for row in N.tolist()]), compute_uv=False)
                best = max(best, sum(1 for s in S if abs(s) > mpmath.mpf(10) ** -40))
        tried += 1
        if tried == 2 or not syms:
            break
    return best


def _easiest_symbol(f: sp.Expr, syms: list[sp.Symbol]) -> sp.Symbol:
    """The symbol of lowest degree in ``f`` (solving for it gives the simplest branches)."""
    def degree(s: sp.Symbol) -> int:
        try:
            return int(sp.degree(f, s))
        except (sp.PolynomialError, TypeError, ValueError):
            return 10**6
    return min((s for s in syms if f.has(s)), key=lambda s: (degree(s), str(s)))


def _common_zeros(polys: list[sp.Expr], syms: list[sp.Symbol]) -> list[tuple[tuple, dict | None]]:
    """Components of ``{all polys = 0}``: one per factor of their gcd, then the rest solved."""
    try:
        g = sp.gcd_list(polys) if len(polys) > 1 else polys[0]
    except (sp.PolynomialError, sp.GeneratorsNeeded, ValueError):
        g = sp.Integer(1)
    out: list[tuple[tuple, dict | None]] = []
    factors = [f for f, _ in sp.factor_list(g)[1]] if g.free_symbols else []
    for f in factors:
        eq = sp.Eq(f, 0)
        try:
            sols = sp.solve(f, _easiest_symbol(f, syms), dict=True, check=False, simplify=False)
        except NotImplementedError:
            sols = []
        out.extend(((eq,), s) for s in sols) if sols else out.append(((eq,), None))
    rest = [sp.cancel(p / g) for p in polys]
    rest = [p for p in rest if p.free_symbols or p == 0]
    if len(rest) == len(polys) or factors:
        if rest and all(p.free_symbols for p in rest):
            try:
                sols = sp.solve(rest, syms, dict=True)
            except NotImplementedError:
                sols = []
            for s in sols:
                out.append((tuple(sp.Eq(k, v) for k, v in s.items()), s))
    return out


# ----------------------------------------------------------------- numeric rank
def numeric_rank(M: Any, tol: float | None = None) -> NumericRank:
    """Rank of a float matrix: singular values above ``tol``.

    The default ``tol`` is ``max(M.shape) * eps * sigma_max`` (NumPy's and
    MATLAB's convention).

    >>> r = numeric_rank([[1.0, 0.0], [0.0, 1e-20]])
    >>> r.rank, r.gap > 1e10
    (1, True)
    """
    M = np.atleast_2d(as_float_array(M, "M", allow_empty=True))
    if M.ndim != 2:
        raise ShapeError(f"`M` must be a matrix; got shape {M.shape}.")
    s = sla.svdvals(M) if M.size else np.zeros(0)
    tol = max(M.shape) * EPS * (s[0] if s.size else 0.0) if tol is None else as_tolerance(tol)
    rank = int(np.sum(s > tol))
    kept = s[rank - 1] if rank else tol
    dropped = s[rank] if rank < s.size else tol
    tiny = np.finfo(float).tiny
    gap = float(kept / max(dropped, tiny))
    margin = min(kept / max(tol, tiny) if rank else math.inf,
                 tol / max(dropped, tiny) if rank < s.size else math.inf)
    return NumericRank(rank, s, tol, gap, float(margin))


#: How many eigenvalues (those with the smallest ``sigma_min([A - lam I, B])``) the distance search refines.
DISTANCE_CANDIDATES = 4


def distance_to_uncontrollability(system: "LinearRNN | tuple") -> float:
    """An estimate (an upper bound) of the distance of ``(A, B)`` to uncontrollability.

    Eising: the smallest ``||[dA, dB]||_2`` making the pair uncontrollable
    is ``min over complex lam of sigma_min([A - lam I, B])``; every value of
    ``sigma_min`` bounds it from above.  The minimiser lies where
    ``sigma_min(A - lam I)`` is at most that value (a pseudospectrum of
    ``A``: to first order a disk of radius ``kappa sigma`` around a simple
    eigenvalue of condition number ``kappa``).  So ``sigma_min`` is taken
    at every eigenvalue and minimised locally (bounded Brent along the real,
    then the imaginary direction, three rounds) within
    ``min((1 + kappa) sigma_min, ||[A, B]||_2)`` of the
    :data:`DISTANCE_CANDIDATES` eigenvalues where it is smallest: Eising's
    minimisation restricted to those neighbourhoods, exact when the
    minimiser lies in one of them, an overestimate otherwise.  Accurate to
    about ``eps ||[A, B]||_2`` (float64 SVDs).

    >>> round(distance_to_uncontrollability((np.diag([0.5, 0.4]), np.array([[1.0], [0.01]]))), 7)
    0.0009949
    """
    A, B, _ = numeric_system(system)
    n = A.shape[0]
    if not np.any(B):
        return 0.0
    real = not np.iscomplexobj(A) and not np.iscomplexobj(B)
    eye = np.eye(n)

    def sigma(z: complex) -> float:
        shift = z.real if real and z.imag == 0 else z
        return float(sla.svdvals(np.hstack([A - shift * eye, B]))[-1])

    lam, vl, vr = sla.eig(A, left=True, right=True)
    if real:
        lam = np.where(lam.imag < 0, lam.conj(), lam)  # sigma is the same at conjugates
    kappa = (np.linalg.norm(vl, axis=0) * np.linalg.norm(vr, axis=0)
             / np.maximum(np.abs(np.sum(vl.conj() * vr, axis=0)), np.finfo(float).tiny))
    values = np.array([sigma(complex(v)) for v in lam])
    best = float(values.min())
    wide = max(float(np.linalg.norm(np.hstack([A, B]), 2)), np.finfo(float).tiny)
    for i in np.argsort(values, kind="stable")[:DISTANCE_CANDIDATES]:
        radius = min(wide, (1 + kappa[i]) * values[i])
        if radius > 0:
            best = min(best, _local_minimum(sigma, complex(lam[i]), radius, wide))
    return best


def _local_minimum(sigma: Any, centre: complex, radius: float, scale: float) -> float:
    """The smallest ``sigma`` found by alternating bounded Brent searches around ``centre``."""
    point, best = centre, sigma(centre)
    for _ in range(3):
        for direction in (1.0, 1j):
            base = point
            found = minimize_scalar(lambda t, b=base, d=direction: sigma(b + d * t), bounds=(-radius, radius),
                                    method="bounded", options={"xatol": 1e-16 * scale, "maxiter": 80})
            if found.fun < best:
                point, best = base + direction * float(found.x), float(found.fun)
    return best


def _scaled(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A`` and ``B`` divided by their 1-norms (ranks and controllability are unchanged)."""
    a = np.linalg.norm(A, 1) or 1.0
    b = np.linalg.norm(B, 1)
    return A / a, (B / b if b else B)


def krylov_matrix(A: np.ndarray, B: np.ndarray, steps: int | None = None,
                  scale: bool = False) -> np.ndarray:
    """``[B, AB, ..., A^{steps-1} B]`` as floats (``steps`` defaults to ``n``).

    ``scale=True`` first divides ``A`` and ``B`` by their 1-norms, which
    leaves the rank unchanged and keeps the blocks from over- or
    underflowing.  (Normalising each column instead would blow rounding
    noise in a vanishing column up to a spurious direction.)

    >>> krylov_matrix(np.array([[2.0]]), np.array([[1.0]]), 3).tolist()
    [[1.0, 2.0, 4.0]]
    """
    A, B = as_float_array(A, "A"), as_float_array(B, "B")
    if A.ndim != 2 or B.ndim != 2 or A.shape[0] != A.shape[1] or B.shape[0] != A.shape[0]:
        raise ShapeError(f"`A` must be n x n and `B` n x m; got shapes {A.shape} and {B.shape}.")
    if scale:
        A, B = _scaled(A, B)
    steps = A.shape[0] if steps is None else as_int(steps, "steps", low=1)
    blocks = [B]
    for _ in range(steps - 1):
        blocks.append(A @ blocks[-1])
    return np.hstack(blocks)


def controllability_rank(system: LinearRNN, *, exact: bool | None = None,
                         tol: float | None = None, max_size: int | None = None,
                         max_terms: int | None = None) -> "ExactRank | NumericRank":
    """Rank of ``[B, AB, ..., A^{n-1}B]``: exact (with drops) unless the entries are floats.

    The exact path is refused up front (:class:`~rnnsym.errors.ResourceLimitError`)
    when the symbolic matrix or its minors would be too large: ``max_terms``
    lifts the limit of :meth:`LinearRNN.controllability_matrix`, ``max_size``
    that of :func:`exact_rank`.  With numbers, ``exact=False`` (or float
    entries) counts singular values instead.

    >>> controllability_rank(LinearRNN([[1, 0], [0, 1]], [[1], [1]])).rank
    1
    """
    system = require_model(system, "system", kind="LinearRNN")
    tol = None if tol is None else as_tolerance(tol)
    use_exact = exact if exact is not None else not any(e.has(sp.Float) for e in (*system.A, *system.B))
    if use_exact:
        return exact_rank(system.controllability_matrix(max_terms=max_terms), max_size=max_size)
    A, B, _ = numeric_system(system)
    return numeric_rank(krylov_matrix(A, B, scale=True), tol)


def observability_rank(system: LinearRNN, *, exact: bool | None = None,
                       tol: float | None = None, max_size: int | None = None,
                       max_terms: int | None = None) -> "ExactRank | NumericRank":
    """Rank of ``[C; CA; ...; CA^{n-1}]`` (the dual of :func:`controllability_rank`).

    >>> observability_rank(LinearRNN([[0, 1], [0, 0]], [[0], [1]], C=[[1, 0]])).rank
    2
    """
    return controllability_rank(require_model(system, "system", kind="LinearRNN").dual(), exact=exact, tol=tol,
                                max_size=max_size, max_terms=max_terms)
