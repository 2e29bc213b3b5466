"""Controllability and observability of a :class:`~rnnsym.linear.LinearRNN`.

Ranks come in two kinds.  :func:`exact_rank` handles symbolic or exact
entries: the generic rank, *and* the parameter values at which it drops,
found by factoring and solving the minors (SymPy's generic ``rank()`` and
``StateSpace.is_controllable()`` miss them: for ``A = diag(a, 1)``,
``B = [1, 1]^T`` both say "controllable" although the rank drops at
``a = 1``).  :func:`numeric_rank` counts singular values above a stated
tolerance and reports the gap around it.

For float systems :func:`is_controllable` decides with the Hautus
(PBH) test through left eigenvectors: ``(A, B)`` is uncontrollable exactly
when some left eigenvector ``w`` of ``A`` has ``w^H B = 0``.  It stays
reliable for large ``n``, where ``[B, AB, ..., A^{n-1}B]`` is too
ill-conditioned for its numeric rank to mean anything.  Clustered
eigenvalues, whose eigenvectors are ill-determined, fall back to
``sigma_min([lam I - A, B])``.  Observability is the dual
(:meth:`LinearRNN.dual`): ``(A, C)`` is observable iff ``(A^T, C^T)`` is
controllable.

Gramians, the reachable and unobservable subspaces, the minimum-energy
input sequence and the least-squares reconstruction of ``h_0`` are numeric.

Examples
--------
>>> import sympy as sp
>>> from rnnsym.linear import LinearRNN
>>> from rnnsym.linear.controllability import controllability_rank, is_controllable
>>> a = sp.Symbol("a", real=True)
>>> r = controllability_rank(LinearRNN(sp.diag(a, 1), [[1], [1]]))
>>> r.rank, [(d.solution, d.rank) for d in r.drops]
(2, [({a: 1}, 1)])
>>> is_controllable(LinearRNN([[0.5, 0.0], [0.0, 0.5]], [[1.0], [1.0]])).controllable
False
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any, Sequence

import mpmath
import numpy as np
import scipy.linalg as sla
import sympy as sp
from sympy.polys.matrices import DomainMatrix

from rnnsym.errors import DomainError, InvalidArgumentError, ResourceLimitError, ShapeError
from rnnsym.linear.system import LinearRNN
from rnnsym.errors import NonFiniteError

__all__ = [
    "RankDrop", "ExactRank", "NumericRank", "Decision",
    "exact_rank", "symbolic_rank_limit", "numeric_rank", "controllability_rank", "observability_rank",
    "krylov_matrix", "is_controllable", "is_observable", "pbh_test",
    "controllability_gramian", "observability_gramian",
    "reachable_subspace", "unobservable_subspace",
    "minimum_energy_input", "reconstruct_initial_state",
]

EPS = float(np.finfo(float).eps)
#: Default threshold of the Hautus scores (relative, between 0 and 1).
HAUTUS_TOL = 1e-8
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
    M = sp.Matrix(M)
    full = min(M.shape)
    r = _rank_at_random_points(M)
    if r == 0:
        return ExactRank(0, full, ())
    count = math.comb(M.rows, r) * math.comb(M.cols, r)
    if count > max_minors:
        raise ResourceLimitError(
            f"`M` of shape {M.shape} has {count} minors of size {r} (limit max_minors={max_minors}); "
            "use rnnsym.linear.controllability.numeric_rank() on numbers, or pass a larger max_minors."
        )
    nsyms = len(M.free_symbols)
    limit = symbolic_rank_limit(nsyms) if max_size is None else max_size
    if nsyms and r > limit:
        raise ResourceLimitError(
            f"`M` ({M.rows}x{M.cols}, {nsyms} free symbol{'s' if nsyms != 1 else ''}) needs exact "
            f"minors of size {r}, above the limit {limit} for {nsyms} symbol{'s' if nsyms != 1 else ''} "
            "(6 with one, 3 up to 9, 2 up to 12); substitute numbers and use "
            "rnnsym.linear.controllability.numeric_rank(), controllability_rank(system.subs(...), exact=False) "
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
    M = np.atleast_2d(np.asarray(M, dtype=float))
    s = sla.svdvals(M) if M.size else np.zeros(0)
    if tol is None:
        tol = max(M.shape) * EPS * (s[0] if s.size else 0.0)
    tol = float(tol)
    rank = int(np.sum(s > tol))
    kept = s[rank - 1] if rank else tol
    dropped = s[rank] if rank < s.size else tol
    tiny = np.finfo(float).tiny
    gap = float(kept / max(dropped, tiny))
    margin = min(kept / max(tol, tiny) if rank else math.inf,
                 tol / max(dropped, tiny) if rank < s.size else math.inf)
    return NumericRank(rank, s, tol, gap, float(margin))


def _numeric(system: Any, name: str = "system") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, B, C)`` as floats from a numeric LinearRNN or a tuple ``(A, B)`` / ``(A, B, C)``."""
    if isinstance(system, LinearRNN):
        if not system.is_numeric:
            names = ", ".join(map(str, system.parameters[:6]))
            raise InvalidArgumentError(
                f"`{name}` has symbolic entries ({names}) but this routine is numeric; "
                "substitute values with LinearRNN.subs() or use controllability_rank()."
            )
        return system.numeric_matrices()
    if isinstance(system, tuple) and len(system) in (2, 3):
        try:
            mats = [np.atleast_2d(np.asarray(m, dtype=float)) for m in system]
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                f"`{name}` must hold float arrays (A, B[, C]); symbolic entries need a LinearRNN "
                "and controllability_rank()."
            ) from None
        A, B = mats[0], mats[1]
        C = mats[2] if len(mats) == 3 else np.eye(A.shape[0])
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ShapeError(f"`A` must be square; got shape {A.shape}.")
        if B.ndim != 2 or B.shape[0] != A.shape[0]:
            raise ShapeError(f"`B` must have {A.shape[0]} rows (as `A`); got shape {B.shape}.")
        if C.ndim != 2 or C.shape[1] != A.shape[0]:
            raise ShapeError(f"`C` must have {A.shape[0]} columns (as `A`); got shape {C.shape}.")
        if not all(np.all(np.isfinite(m)) for m in (A, B, C)):

            raise NonFiniteError(f"`{name}` must have finite entries.")
        return A, B, C
    raise InvalidArgumentError(
        f"`{name}` must be a LinearRNN or a tuple (A, B[, C]) of arrays; got {type(system).__name__}."
    )


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
    if scale:
        A, B = _scaled(A, B)
    steps = A.shape[0] if steps is None else steps
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
    use_exact = exact if exact is not None else not any(e.has(sp.Float) for e in (*system.A, *system.B))
    if use_exact:
        return exact_rank(system.controllability_matrix(max_terms=max_terms), max_size=max_size)
    A, B, _ = _numeric(system)
    return numeric_rank(krylov_matrix(A, B, scale=True), tol)


def observability_rank(system: LinearRNN, *, exact: bool | None = None,
                       tol: float | None = None, max_size: int | None = None,
                       max_terms: int | None = None) -> "ExactRank | NumericRank":
    """Rank of ``[C; CA; ...; CA^{n-1}]`` (the dual of :func:`controllability_rank`).

    >>> observability_rank(LinearRNN([[0, 1], [0, 0]], [[0], [1]], C=[[1, 0]])).rank
    2
    """
    return controllability_rank(system.dual(), exact=exact, tol=tol, max_size=max_size,
                                max_terms=max_terms)


# ----------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Decision:
    """A yes/no controllability decision with its evidence.

    ``scores`` are relative (in [0, 1]) per eigenvalue; the pair is
    controllable when every score exceeds ``tol``.  ``margin`` is
    ``min(scores) / tol`` (above 1: controllable) and ``eigenvalue`` the
    one whose score is smallest.
    """

    controllable: bool
    margin: float
    tol: float
    method: str
    eigenvalue: complex
    scores: np.ndarray = field(repr=False)

    def __bool__(self) -> bool:
        return self.controllable


def _clusters(lam: np.ndarray, scale: float) -> np.ndarray:
    """Whether each eigenvalue lies within ``1e-6 * scale`` of another one."""
    if lam.size < 2:
        return np.zeros(lam.size, bool)
    d = np.abs(lam[:, None] - lam[None, :])
    np.fill_diagonal(d, np.inf)
    return np.min(d, axis=1) <= 1e-6 * scale


def _pbh_score(A: np.ndarray, B: np.ndarray, lam: complex) -> float:
    M = np.hstack([lam * np.eye(A.shape[0]) - A, B])
    s = sla.svdvals(M)
    return float(s[A.shape[0] - 1] / s[0]) if s[0] > 0 else 0.0


def _scaled(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.linalg.norm(A, 1) or 1.0
    b = np.linalg.norm(B, 1)
    return A / a, (B / b if b else B)


def pbh_test(system: "LinearRNN | tuple", tol: float = HAUTUS_TOL) -> Decision:
    """The PBH test ``rank [lam I - A, B] = n`` at every eigenvalue, by SVD.

    Each score is ``sigma_n / sigma_1`` of ``[lam I - A, B]`` (after scaling
    ``A`` and ``B`` to unit 1-norm).

    >>> pbh_test(LinearRNN([[1.0, 1.0], [0.0, 1.0]], [[0.0], [1.0]])).controllable
    True
    """
    A, B, _ = _numeric(system)
    A, B = _scaled(A, B)
    lam, vl, vr = sla.eig(A, left=True, right=True)
    scores = np.array([_pbh_score(A, B, v) for v in lam])
    _rescore_doubtful(A, B, lam, vl, vr, scores)
    return _decide(scores, lam, tol, "pbh")


def is_controllable(system: "LinearRNN | tuple", tol: float = HAUTUS_TOL) -> Decision:
    """Decide controllability of a float system by the left-eigenvector Hautus test.

    For an isolated eigenvalue with left eigenvector ``w`` the score is
    ``|w^H B| / (|w| |B|)``; clustered eigenvalues (within ``1e-6`` of each
    other, relative) use the PBH score ``sigma_n([lam I - A, B])``.  The
    pair is controllable when every score exceeds ``tol`` (default
    ``1e-8``, about ``sqrt(eps)``); :attr:`Decision.margin` says by how much.

    Examples
    --------
    >>> d = is_controllable(LinearRNN([[0.9, 1.0], [0.0, 0.5]], [[0.0], [1.0]]))
    >>> d.controllable, d.margin > 1e6
    (True, True)
    """
    A, B, _ = _numeric(system)
    return _hautus(A, B, tol)


def _hautus(A: np.ndarray, B: np.ndarray, tol: float) -> Decision:
    A, B = _scaled(A, B)
    if not np.any(B):
        return _decide(np.zeros(A.shape[0]), sla.eigvals(A), tol, "hautus")
    lam, vl, vr = sla.eig(A, left=True, right=True)
    scores = np.linalg.norm(vl.conj().T @ B, axis=1) / (np.linalg.norm(vl, axis=0)
                                                         * np.linalg.norm(B, 2))
    doubtful = _rescore_doubtful(A, B, lam, vl, vr, scores)
    # a low raw score at a simple eigenvalue is confirmed by PBH there (reliable for
    # simple eigenvalues): balancing a matrix with entries ~1e-95 can leave computed
    # left eigenvectors orthogonal to B although the pair is controllable
    for i in np.flatnonzero(~doubtful & (scores <= 100 * tol)):
        scores[i] = _pbh_score(A, B, lam[i])
    return _decide(scores, lam, tol, "hautus")


def _rescore_doubtful(A: np.ndarray, B: np.ndarray, lam: np.ndarray, vl: np.ndarray,
                      vr: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Rescore repeated and nearly defective eigenvalues in place; returns which were doubtful.

    A perturbed Jordan block of size k splits its eigenvalue by ``eps^(1/k)``,
    far more than any cluster tolerance, so neither its left eigenvectors nor
    its computed eigenvalues can be trusted; the *mean* of the group is
    accurate to ``eps`` (the trace is preserved).  Where an eigenvalue is
    clustered or its condition number ``1/|w^H v|`` exceeds 1e3, the score is
    the smallest PBH score over the group's eigenvalues and the means of its
    nearest members (``lam[i]`` and its k nearest neighbours, every k): the
    raw left-eigenvector score is not used there (a nearly defective pair's
    computed left eigenvectors can both be orthogonal to ``B``), and a
    group that also holds an unrelated eigenvalue still has the accurate
    mean of the Jordan block among its candidates.  An eigenvalue is also
    doubtful within ``2 eps^(1/min(n, 8))`` of another one: a perturbed Jordan block
    of size ``k <= 8`` spreads that far and can hide an uncontrollable
    eigenvalue among its members.
    """
    scale = max(1.0, float(np.max(np.abs(lam))))
    overlap = np.abs(np.sum(vl.conj() * vr, axis=0)) / (
        np.linalg.norm(vl, axis=0) * np.linalg.norm(vr, axis=0))
    spread = 2 * np.finfo(float).eps ** (1 / min(max(len(lam), 1), 8)) * scale  # blocks up to 8
    distance = np.abs(lam[:, None] - lam[None, :])
    np.fill_diagonal(distance, np.inf)
    near = distance.min(axis=1) <= spread if len(lam) > 1 else np.zeros(len(lam), bool)
    doubtful = _clusters(lam, scale) | (overlap < 1e-3) | near
    for i in np.flatnonzero(doubtful):
        group = lam[doubtful & (np.abs(lam - lam[i]) <= 0.05 * scale)]
        nearest = group[np.argsort(np.abs(group - lam[i]))]
        candidates = list(group) + [nearest[: k + 1].mean() for k in range(1, len(nearest))]
        best = min(candidates, key=lambda v: _pbh_score(A, B, v))
        scores[i] = min(_pbh_score(A, B, best), _refined_pbh(A, B, best, scale))
    return doubtful


def _refined_pbh(A: np.ndarray, B: np.ndarray, lam: complex, scale: float) -> float:
    """The smallest PBH score on the real line within ``1e-4 scale`` of a real candidate.

    An eigenvalue next to a nearly defective cluster can itself be computed
    ``1e-8`` off, and the PBH score at a point is about its distance to an
    uncontrollable eigenvalue: minimise over the neighbourhood (bounded
    Brent), which approximates the distance to uncontrollability there.
    Complex candidates are left as they are.
    """
    from scipy.optimize import minimize_scalar

    if abs(complex(lam).imag) > 1e-12 * scale:
        return _pbh_score(A, B, lam)
    centre, radius = float(complex(lam).real), 1e-4 * scale
    found = minimize_scalar(lambda x: _pbh_score(A, B, x), bounds=(centre - radius, centre + radius),
                            method="bounded", options={"xatol": 1e-16 * scale, "maxiter": 80})
    return float(found.fun)


def is_observable(system: "LinearRNN | tuple", tol: float = HAUTUS_TOL) -> Decision:
    """Decide observability: the controllability of the dual pair ``(A^T, C^T)``.

    >>> is_observable(LinearRNN([[0.0, 1.0], [0.0, 0.0]], [[0.0], [1.0]], C=[[0.0, 1.0]])).controllable
    False
    """
    A, _, C = _numeric(system)
    return _hautus(A.T, C.T, tol)


def _decide(scores: np.ndarray, lam: np.ndarray, tol: float, method: str) -> Decision:
    i = int(np.argmin(scores))
    return Decision(bool(scores[i] > tol), float(scores[i] / tol), tol, method,
                    complex(lam[i]), scores)


# ----------------------------------------------------------------- Gramians
def _gramian(A: np.ndarray, Q: np.ndarray, N: int | None, what: str) -> np.ndarray:
    if N is None:
        rho = float(np.max(np.abs(np.linalg.eigvals(A))))
        if rho >= 1:
            raise DomainError(
                f"the infinite {what} Gramian needs a stable `A` (spectral radius < 1); got "
                f"spectral radius {rho:.6g}. Give a finite horizon `N`."
            )
        return sla.solve_discrete_lyapunov(A, Q)
    _check_steps(N, 1, "N")
    W = np.zeros_like(Q)
    P = np.eye(A.shape[0])
    for _ in range(N):
        W += P @ Q @ P.T
        P = A @ P
    return W


def controllability_gramian(system: "LinearRNN | tuple", N: int | None = None) -> np.ndarray:
    """``W_N = sum_{k<N} A^k B B^T (A^T)^k``; ``N=None``: the infinite sum (stable ``A``).

    The infinite Gramian solves ``W = A W A^T + B B^T``
    (:func:`scipy.linalg.solve_discrete_lyapunov`).  Its smallest
    eigenvalue measures how hard the least reachable direction is to reach
    (correction C7).

    >>> controllability_gramian(LinearRNN([[0.5]], [[1.0]])).round(6).tolist()
    [[1.333333]]
    """
    A, B, _ = _numeric(system)
    return _gramian(A, B @ B.T, N, "controllability")


def observability_gramian(system: "LinearRNN | tuple", N: int | None = None) -> np.ndarray:
    """``sum_{k<N} (A^T)^k C^T C A^k``; ``N=None``: the infinite sum (stable ``A``).

    >>> observability_gramian(LinearRNN([[0.5]], [[1.0]]), N=2).tolist()
    [[1.25]]
    """
    A, _, C = _numeric(system)
    return _gramian(A.T, C.T @ C, N, "observability")


# ----------------------------------------------------------------- subspaces
def reachable_subspace(system: "LinearRNN | tuple", tol: float | None = None) -> np.ndarray:
    """Orthonormal basis (columns) of the range of ``[B, AB, ..., A^{n-1}B]``.

    >>> reachable_subspace(LinearRNN([[1.0, 0.0], [0.0, 2.0]], [[1.0], [0.0]])).round(12).tolist()
    [[1.0], [0.0]]
    """
    A, B, _ = _numeric(system)
    K = krylov_matrix(A, B, scale=True)
    U, _, _ = sla.svd(K, full_matrices=False)
    U = U[:, :numeric_rank(K, tol).rank]
    return U * np.where(U[np.argmax(np.abs(U), axis=0), range(U.shape[1])] < 0, -1.0, 1.0)


def unobservable_subspace(system: "LinearRNN | tuple", tol: float | None = None) -> np.ndarray:
    """Orthonormal basis (columns) of the null space of ``[C; CA; ...; CA^{n-1}]``.

    Initial states that differ by a vector in it give identical outputs.

    >>> unobservable_subspace(LinearRNN([[1.0, 0.0], [0.0, 2.0]], [[1.0], [1.0]], C=[[1.0, 0.0]])).round(12).tolist()
    [[0.0], [1.0]]
    """
    A, _, C = _numeric(system)
    O = krylov_matrix(A.T, C.T, scale=True).T
    _, _, Vt = sla.svd(O)
    V = Vt[numeric_rank(O, tol).rank:].T
    if V.size:
        V = V * np.where(V[np.argmax(np.abs(V), axis=0), range(V.shape[1])] < 0, -1.0, 1.0)
    return V


# ----------------------------------------------------------------- steering
def _check_steps(N: Any, low: int, name: str) -> int:
    if not isinstance(N, (int, np.integer)) or isinstance(N, bool) or N < low:
        raise InvalidArgumentError(f"`{name}` must be an integer >= {low}; got {N!r}.")
    return int(N)


def _vector(value: Any, n: int, name: str) -> np.ndarray:
    v = np.asarray(value, dtype=float).reshape(-1) if np.ndim(value) <= 2 else None
    if v is None or v.shape != (n,):
        raise ShapeError(f"`{name}` must have {n} entries (one per state); got shape {np.shape(value)}.")
    if not np.all(np.isfinite(v)):

        raise NonFiniteError(f"`{name}` must be finite; got {v.tolist()}.")
    return v


def minimum_energy_input(system: "LinearRNN | tuple", h0: Any, target: Any, N: int | None = None,
                         tol: float = 1e-9) -> np.ndarray:
    """The inputs ``x_1 ... x_N`` of least energy that steer ``h0`` to ``target``.

    ``h_N = A^N h_0 + R u`` with ``R = [A^{N-1}B, ..., AB, B]`` and
    ``u = (x_1, ..., x_N)``; the least-norm solution is
    ``u = R^T W_N^{-1} (target - A^N h_0)``, computed stably by least
    squares.  ``N >= n`` is required (correction C7: ``n`` steps always
    suffice for a controllable pair).  Returns an array (N, m) to feed to
    :meth:`LinearRNN.simulate`.

    Raises
    ------
    DomainError
        When ``target - A^N h0`` leaves the reachable subspace (relative
        residual above ``tol``).

    Examples
    --------
    >>> sys = LinearRNN([[1.0, 1.0], [0.0, 1.0]], [[0.0], [1.0]])
    >>> xs = minimum_energy_input(sys, [0, 0], [1, 0], N=2)
    >>> (sys.simulate(xs)[-1].round(12) + 0.0).tolist()
    [1.0, 0.0]
    """
    A, B, _ = _numeric(system)
    n, m = B.shape
    N = n if N is None else _check_steps(N, 1, "N")
    if N < n:
        raise InvalidArgumentError(
            f"`N` must be at least n={n} steps to reach an arbitrary target; got N={N}."
        )
    h0 = _vector(h0, n, "h0")
    target = _vector(target, n, "target")
    R = krylov_matrix(A, B, N)  # columns for x_N, x_{N-1}, ..., x_1
    free = np.linalg.matrix_power(A, N) @ h0
    d = target - free
    u, *_ = np.linalg.lstsq(R, d, rcond=None)
    residual = float(np.linalg.norm(R @ u - d) / max(np.linalg.norm(d), np.linalg.norm(target), 1.0))
    if residual > tol:
        raise DomainError(
            f"`target`={target.tolist()} is not reachable from `h0` in {N} steps: it leaves the "
            f"reachable subspace (relative residual {residual:.3g} > {tol:g})."
        )
    return u.reshape(N, m)[::-1].copy()


def reconstruct_initial_state(system: "LinearRNN | tuple", ys: Any, xs: Any = None, *,
                              tol: float | None = None, allow_unobservable: bool = False
                              ) -> np.ndarray:
    """``h_0`` from outputs ``y_0 ... y_{N-1}`` (rows of ``ys``) by least squares.

    ``y_t = C A^t h_0 + (forced response)``; inputs ``xs`` (rows ``x_1,
    x_2, ...``, at least ``N - 1`` of them) default to zero.  The outputs
    start at ``y_0`` (correction C8: starting at ``y_1`` the matrix becomes
    ``O A``, which loses rank when ``A`` is singular).

    Raises
    ------
    DomainError
        When ``[C; CA; ...; CA^{N-1}]`` has a null space (the unobservable
        directions) unless ``allow_unobservable=True``, which returns the
        minimum-norm answer (``h_0`` projected off that null space).

    Examples
    --------
    >>> sys = LinearRNN([[0.0, 1.0], [0.0, 0.0]], [[0.0], [1.0]], C=[[1.0, 0.0]])
    >>> ys = sys.observe(sys.simulate([[0.0]], h0=[2.0, 3.0]))
    >>> reconstruct_initial_state(sys, ys).round(12).tolist()
    [2.0, 3.0]
    """
    A, B, C = _numeric(system)
    (p, n), m = C.shape, B.shape[1]
    ys = np.asarray(ys, dtype=float)
    if ys.ndim == 1 and p == 1:
        ys = ys[:, None]
    if ys.ndim != 2 or ys.shape[1] != p or ys.shape[0] < 1:
        raise ShapeError(f"`ys` must have shape (N, {p}) with N >= 1; got shape {ys.shape}.")
    N = ys.shape[0]
    if xs is not None and N > 1:
        xs = np.asarray(xs, dtype=float)
        if xs.ndim == 1 and m == 1:
            xs = xs[:, None]
        if xs.ndim != 2 or xs.shape[1] != m or xs.shape[0] < N - 1:
            raise ShapeError(f"`xs` must have shape (T, {m}) with T >= {N - 1}; got shape {xs.shape}.")
        forced = np.zeros((N, n))
        for t in range(1, N):
            forced[t] = A @ forced[t - 1] + B @ xs[t - 1]
        ys = ys - forced @ C.T
    O = krylov_matrix(A.T, C.T, N).T
    rank = numeric_rank(O, tol)
    if rank.rank < n and not allow_unobservable:
        raise DomainError(
            f"`ys` ({N} outputs) determine `h0` only up to a {n - rank.rank}-dimensional "
            "unobservable subspace; pass allow_unobservable=True for the minimum-norm answer."
        )
    rcond = None if tol is None else tol / max(rank.singular_values[0], np.finfo(float).tiny)
    h0, *_ = np.linalg.lstsq(O, ys.reshape(-1), rcond=rcond)
    return h0
