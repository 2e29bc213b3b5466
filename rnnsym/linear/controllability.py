"""Controllability and observability of a float :class:`~rnnsym.linear.LinearRNN`.

:func:`is_controllable` decides with the Hautus (PBH) test through left
eigenvectors: ``(A, B)`` is uncontrollable exactly when some left
eigenvector ``w`` of ``A`` has ``w^H B = 0``.  It stays reliable for large
``n``, where ``[B, AB, ..., A^{n-1}B]`` is too ill-conditioned for its
numeric rank to mean anything, and costs ``O(n^3)``: about one
eigendecomposition per system (:mod:`rnnsym.linear._hautus`).  Clustered
eigenvalues, whose eigenvectors are ill-determined, and eigenvalues whose
score rounding could flip fall back to ``sigma_min([lam I - A, B])``.
:func:`is_controllable_batch` decides many pairs at once.  Observability is
the dual (:meth:`LinearRNN.dual`): ``(A, C)`` is observable iff
``(A^T, C^T)`` is controllable.

Gramians, the reachable and unobservable subspaces, the minimum-energy
input sequence and the least-squares reconstruction of ``h_0`` are numeric.
Exact and numeric ranks (with the parameter values where a symbolic rank
drops) live in :mod:`rnnsym.linear.rank`.  Every routine here takes a
numeric :class:`LinearRNN` or a tuple ``(A, B[, C])`` of arrays, validated by
:func:`rnnsym.linear.system.numeric_system`.

Examples
--------
>>> from rnnsym.linear import LinearRNN
>>> from rnnsym.linear.controllability import is_controllable
>>> is_controllable(LinearRNN([[0.5, 0.0], [0.0, 0.5]], [[1.0], [1.0]])).controllable
False
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import mpmath
import numpy as np
import scipy.linalg as sla

from rnnsym.errors import (
    DomainError,
    InvalidArgumentError,
    NonFiniteError,
    ResourceLimitError,
    ShapeError,
)
from rnnsym._matrices import as_float_array, as_tolerance
from rnnsym.linear._hautus import hautus
from rnnsym.linear.rank import (
    distance_to_uncontrollability,
    krylov_matrix,
    numeric_rank,
)
from rnnsym.linear.system import LinearRNN, numeric_system

__all__ = [
    "Decision",
    "controllability_gramian",
    "distance_to_uncontrollability",
    "is_controllable",
    "is_controllable_batch",
    "is_observable",
    "is_observable_batch",
    "minimum_energy_input",
    "observability_gramian",
    "pbh_test",
    "reachable_subspace",
    "reconstruct_initial_state",
    "unobservable_subspace",
]

#: Default threshold of the Hautus scores (relative, between 0 and 1).
HAUTUS_TOL = 1e-8


# ----------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Decision:
    """A yes/no controllability decision with its evidence.

    ``scores`` are relative (in [0, 1]) per eigenvalue, computed on ``A``
    and ``B`` scaled to unit 1-norm; the pair is controllable when every
    score exceeds ``tol``.  ``score_ratio`` is ``min(scores) / tol`` (above
    1: controllable): how far the decision is from flipping *at this
    tolerance*, not a distance to uncontrollability (a left-eigenvector score
    can be large while a tiny perturbation makes the pair uncontrollable;
    see :attr:`distance`).  ``margin`` is the same number under its old
    name, kept for compatibility.  ``eigenvalue`` is the eigenvalue of ``A``
    (not of the unit-norm ``A`` the scores are computed on) whose score is
    smallest.
    """

    controllable: bool
    score_ratio: float
    tol: float
    method: str
    eigenvalue: complex
    scores: np.ndarray = field(repr=False)
    pair: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def __bool__(self) -> bool:
        return self.controllable

    @property
    def margin(self) -> float:
        """``min(scores) / tol``, the old name of :attr:`score_ratio` (not a distance)."""
        return self.score_ratio

    @cached_property
    def distance(self) -> float:
        """An estimate of the distance to uncontrollability of the pair as given.

        ``min ||[dA, dB]||_2`` over the perturbations making ``(A + dA, B + dB)``
        uncontrollable, which is (Eising) ``min over complex lam of
        sigma_min([A - lam I, B])``, minimised around the eigenvalues of ``A``
        (:func:`distance_to_uncontrollability`): an upper bound, exact when
        the minimiser lies in the neighbourhoods searched.  Absolute (divide
        by ``||[A, B]||_2`` for a relative distance); about ``eps ||[A, B]||_2``
        for an uncontrollable pair.  Computed on first access.  For
        :func:`is_observable`: the distance of ``(A, C)`` to unobservability.
        """
        if self.pair is None:
            raise InvalidArgumentError("this Decision was made without its pair; call is_controllable() again.")
        return distance_to_uncontrollability(self.pair)


def pbh_test(system: LinearRNN | tuple, tol: float = HAUTUS_TOL) -> Decision:
    """The PBH test ``rank [lam I - A, B] = n`` at every eigenvalue, by SVD.

    Each score is ``sigma_n / sigma_1`` of ``[lam I - A, B]`` (after scaling
    ``A`` and ``B`` to unit 1-norm); clustered eigenvalues take the smaller
    of that and their cluster's score (see :func:`is_controllable`).

    >>> pbh_test(LinearRNN([[1.0, 1.0], [0.0, 1.0]], [[0.0], [1.0]])).controllable
    True
    """
    tol = as_tolerance(tol, positive=True)
    A, B, _ = numeric_system(system)
    (scores, lam), = hautus([A], [B], tol, pbh=True)
    return _decide(scores, lam, tol, "pbh", (A, B))


def is_controllable(system: LinearRNN | tuple, tol: float = HAUTUS_TOL) -> Decision:
    """Decide controllability of a float system by the left-eigenvector Hautus test.

    For an isolated eigenvalue with left eigenvector ``w`` the score is
    ``|w^H B| / (|w| |B|)``, kept when it exceeds ``100 tol`` and a hundred
    times its first-order rounding error; a lower or less certain one is
    replaced by the PBH score ``sigma_n([lam I - A, B]) / sigma_1`` (or an
    upper bound of it, from the residual of ``w``, when that bound is
    already below ``tol``).  Clustered eigenvalues (within ``1e-6`` of each
    other, relative, or within each other's rounding uncertainty, as the
    members of a perturbed Jordan block are) are scored on their Schur
    block: the PBH score at their mean, at the eigenvalues of the block's
    uncontrollable part (what its controller-Hessenberg staircase cuts off)
    and, where they could score below ``tol``, at the eigenvalues
    themselves.  One real Schur form and the eigenvectors of its triangular
    factor per system (about one ``scipy.linalg.eig(A, left=True)``), then
    vectorised scores: ``O(n^3)``.  Perturbed Jordan blocks are assumed no
    larger than 8.  The pair is controllable when every score exceeds
    ``tol`` (default ``1e-8``, about ``sqrt(eps)``); :attr:`Decision.score_ratio`
    says by how much at that tolerance, :attr:`Decision.distance` how small
    a perturbation of ``(A, B)`` makes the pair uncontrollable.

    Examples
    --------
    >>> d = is_controllable(LinearRNN([[0.9, 1.0], [0.0, 0.5]], [[0.0], [1.0]]))
    >>> d.controllable, d.score_ratio > 1e6, round(d.distance, 4)
    (True, True, 0.7488)
    """
    tol = as_tolerance(tol, positive=True)
    A, B, _ = numeric_system(system)
    return _hautus([A], [B], tol)[0]


def is_controllable_batch(As: Any, Bs: Any, tol: float = HAUTUS_TOL) -> list[Decision]:
    """:func:`is_controllable` of each pair ``(As[k], Bs[k])``, vectorised over pairs of one shape.

    ``As`` and ``Bs`` are sequences (or stacked arrays) of the same length;
    the decisions are those :func:`is_controllable` gives one by one.
    Stacks ``(N, n, n)`` and ``(N, n, m)`` (or lists of NumPy arrays of one
    shape each) of finite real numbers are checked and converted at once,
    which is what makes many small systems cheap; anything else is validated
    pair by pair.

    >>> A = [[[0.5, 0.0], [0.0, 0.5]], [[0.5, 0.0], [0.0, 0.25]]]
    >>> [d.controllable for d in is_controllable_batch(A, [[[1.0], [1.0]]] * 2)]
    [False, True]
    """
    tol = as_tolerance(tol, positive=True)
    stacks = _stacks(As, Bs, "Bs")
    if stacks is not None:
        return _hautus(*stacks, tol)
    pairs = [numeric_system((A, B), "pair") for A, B in _zipped(As, Bs, "Bs")]
    return _hautus([A for A, _, _ in pairs], [B for _, B, _ in pairs], tol)


def is_observable_batch(As: Any, Cs: Any, tol: float = HAUTUS_TOL) -> list[Decision]:
    """:func:`is_observable` of each pair ``(As[k], Cs[k])``: the duals ``(A^T, C^T)``, batched.

    >>> [d.controllable for d in is_observable_batch([[[0.0, 1.0], [0.0, 0.0]]] * 2, [[[1.0, 0.0]], [[0.0, 1.0]]])]
    [True, False]
    """
    tol = as_tolerance(tol, positive=True)
    stacks = _stacks(As, Cs, "Cs", rows=False)
    if stacks is not None:
        return _hautus(stacks[0].transpose(0, 2, 1), stacks[1].transpose(0, 2, 1), tol)
    systems = [numeric_system((A, np.zeros((np.shape(A)[0], 1)), C), "pair") for A, C in _zipped(As, Cs, "Cs")]
    return _hautus([A.T for A, _, _ in systems], [C.T for _, _, C in systems], tol)


def _zipped(As: Any, Xs: Any, name: str) -> list[tuple[Any, Any]]:
    if len(As) != len(Xs):
        raise ShapeError(f"`As` and `{name}` must have the same length; got {len(As)} and {len(Xs)}.")
    return list(zip(As, Xs))


def _stacks(As: Any, Xs: Any, name: str, rows: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """``As`` and ``Xs`` as float64 stacks (copies), validated at once, where both already are real
    finite arrays of one shape each: ``(N, n, n)`` and ``(N, n, m)`` (``rows``) or ``(N, p, n)``;
    ``None`` otherwise, and each pair is validated on its own (with its own error message)."""
    _zipped(As, Xs, name)
    stacks = []
    for X in (As, Xs):
        if isinstance(X, (list, tuple)) and X and all(type(x) is np.ndarray for x in X) \
                and len({x.shape for x in X}) == 1:
            X = np.stack(X)
        if not isinstance(X, np.ndarray) or X.ndim != 3 or X.dtype.kind not in "biuf" or 0 in X.shape:
            return None
        stacks.append(np.array(X, dtype=np.float64))
    A, X = stacks
    if A.shape[1] != A.shape[2] or X.shape[1 if rows else 2] != A.shape[1] or not np.isfinite(A).all() \
            or not np.isfinite(X).all():
        return None
    return A, X


def _hautus(As: Any, Bs: Any, tol: float) -> list[Decision]:
    # the scores are computed on A / |A|_1 and B / |B|_1; the eigenvalues reported are A's own
    return [_decide(scores, lam, tol, "hautus", (A, B)) for (scores, lam), A, B in zip(hautus(As, Bs, tol), As, Bs)]


def is_observable(system: LinearRNN | tuple, tol: float = HAUTUS_TOL) -> Decision:
    """Decide observability: the controllability of the dual pair ``(A^T, C^T)``.

    >>> is_observable(LinearRNN([[0.0, 1.0], [0.0, 0.0]], [[0.0], [1.0]], C=[[0.0, 1.0]])).controllable
    False
    """
    tol = as_tolerance(tol, positive=True)
    A, _, C = numeric_system(system)
    return _hautus([A.T], [C.T], tol)[0]


def _decide(scores: np.ndarray, lam: np.ndarray, tol: float, method: str,
            pair: tuple[np.ndarray, np.ndarray]) -> Decision:
    i = int(np.argmin(scores))
    return Decision(bool(scores[i] > tol), float(scores[i] / tol), tol, method,
                    complex(lam[i]), scores, pair)


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


def controllability_gramian(system: LinearRNN | tuple, N: int | None = None) -> np.ndarray:
    """``W_N = sum_{k<N} A^k B B^T (A^T)^k``; ``N=None``: the infinite sum (stable ``A``).

    The infinite Gramian solves ``W = A W A^T + B B^T``
    (:func:`scipy.linalg.solve_discrete_lyapunov`).  Its smallest
    eigenvalue measures how hard the least reachable direction is to reach
    (correction C7).

    >>> controllability_gramian(LinearRNN([[0.5]], [[1.0]])).round(6).tolist()
    [[1.333333]]
    """
    A, B, _ = numeric_system(system)
    return _gramian(A, B @ B.T, N, "controllability")


def observability_gramian(system: LinearRNN | tuple, N: int | None = None) -> np.ndarray:
    """``sum_{k<N} (A^T)^k C^T C A^k``; ``N=None``: the infinite sum (stable ``A``).

    >>> observability_gramian(LinearRNN([[0.5]], [[1.0]]), N=2).tolist()
    [[1.25]]
    """
    A, _, C = numeric_system(system)
    return _gramian(A.T, C.T @ C, N, "observability")


# ----------------------------------------------------------------- subspaces
def reachable_subspace(system: LinearRNN | tuple, tol: float | None = None) -> np.ndarray:
    """Orthonormal basis (columns) of the range of ``[B, AB, ..., A^{n-1}B]``.

    >>> reachable_subspace(LinearRNN([[1.0, 0.0], [0.0, 2.0]], [[1.0], [0.0]])).round(12).tolist()
    [[1.0], [0.0]]
    """
    tol = None if tol is None else as_tolerance(tol)
    A, B, _ = numeric_system(system)
    K = krylov_matrix(A, B, scale=True)
    U, _, _ = sla.svd(K, full_matrices=False)
    U = U[:, :numeric_rank(K, tol).rank]
    return U * np.where(U[np.argmax(np.abs(U), axis=0), range(U.shape[1])] < 0, -1.0, 1.0)


def unobservable_subspace(system: LinearRNN | tuple, tol: float | None = None) -> np.ndarray:
    """Orthonormal basis (columns) of the null space of ``[C; CA; ...; CA^{n-1}]``.

    Initial states that differ by a vector in it give identical outputs.

    >>> unobservable_subspace(LinearRNN([[1.0, 0.0], [0.0, 2.0]], [[1.0], [1.0]], C=[[1.0, 0.0]])).round(12).tolist()
    [[0.0], [1.0]]
    """
    tol = None if tol is None else as_tolerance(tol)
    A, _, C = numeric_system(system)
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
    v = as_float_array(value, name, allow_empty=True, finite=False).reshape(-1) if np.ndim(value) <= 2 else None
    if v is None or v.shape != (n,):
        raise ShapeError(f"`{name}` must have {n} entries (one per state); got shape {np.shape(value)}.")
    if not np.all(np.isfinite(v)):
        raise NonFiniteError(f"`{name}` must be finite; got {v.tolist()}.")
    return v


#: Largest state dimension for which :func:`minimum_energy_input` solves an ill-conditioned system in mpmath.
MAX_EXACT_STEER_N = 32
#: Largest ``n * n * N * m`` (the multiplications of one mpmath Krylov or Gramian product) of that solve.
MAX_EXACT_STEER_WORK = 2_000_000
#: Most digits that solve may use (it takes ``log10`` of the Gramian's condition number plus 40).
MAX_STEER_DIGITS = 400


def minimum_energy_input(system: LinearRNN | tuple, h0: Any, target: Any, N: int | None = None,
                         tol: float = 1e-9) -> np.ndarray:
    """The inputs ``x_1 ... x_N`` of least energy that steer ``h0`` to ``target``.

    ``h_N = A^N h_0 + R u`` with ``R = [A^{N-1}B, ..., AB, B]`` and
    ``u = (x_1, ..., x_N)``; the least-norm solution is
    ``u = R^T W_N^{-1} (target - A^N h_0)`` (``W_N = R R^T``, the Gramian).
    ``N >= n`` is required (correction C7: ``n`` steps always suffice for a
    controllable pair).  Returns an array (N, m) to feed to
    :meth:`LinearRNN.simulate`; its energy is ``np.sum(xs**2)``.

    First float64 least squares, accepted when its residual plus an estimate
    of the rounding of ``A^N h0`` and ``R u`` (``eps`` times the sizes of
    the terms summed) is within ``tol`` (relative to
    ``max(|d|, |target|, 1)``, ``d = target - A^N h0``).  Otherwise
    reachability is *decided*, not read off that residual: for a pair that
    :func:`is_controllable` calls controllable every target is reachable,
    and ``W_N y = d`` is solved in mpmath (``n <=`` :data:`MAX_EXACT_STEER_N`)
    at ``log10 cond(W_N) + 40`` digits; the input, rounded to float64 and
    simulated in mpmath from ``h0``, is returned when it lands within ``tol``
    (its entries can be huge: a float64 simulation may miss by ``eps``
    times the largest ``|A^k B x|``).  Beyond those sizes the float input is
    returned if its residual alone is within ``tol``.  For an uncontrollable
    pair the target must lie in :func:`reachable_subspace`.

    Raises
    ------
    DomainError
        When the target is not reachable (an uncontrollable pair, and ``d``
        leaves the reachable subspace by more than ``tol``), or when it is
        reachable but even the correctly rounded float64 input misses it by
        more than ``tol`` (the message gives the energy and ``cond(W_N)``).
    ResourceLimitError
        When a reachable target that float64 misses needs the mpmath solve
        beyond :data:`MAX_EXACT_STEER_N`, :data:`MAX_EXACT_STEER_WORK`
        (``n^2 N m``) or :data:`MAX_STEER_DIGITS`.

    Examples
    --------
    >>> sys = LinearRNN([[1.0, 1.0], [0.0, 1.0]], [[0.0], [1.0]])
    >>> xs = minimum_energy_input(sys, [0, 0], [1, 0], N=2)
    >>> (sys.simulate(xs)[-1].round(12) + 0.0).tolist()
    [1.0, 0.0]
    """
    tol = as_tolerance(tol, positive=True)
    A, B, _ = numeric_system(system)
    n, m = B.shape
    N = n if N is None else _check_steps(N, 1, "N")
    if N < n:
        raise InvalidArgumentError(
            f"`N` must be at least n={n} steps to reach an arbitrary target; got N={N}."
        )
    h0 = _vector(h0, n, "h0")
    target = _vector(target, n, "target")
    R = krylov_matrix(A, B, N)  # columns for x_N, x_{N-1}, ..., x_1
    free, largest = h0, float(np.linalg.norm(h0))
    for _ in range(N):
        free = A @ free
        largest = max(largest, float(np.linalg.norm(free)))
    d = target - free
    scale = max(float(np.linalg.norm(d)), float(np.linalg.norm(target)), 1.0)
    u, *_ = np.linalg.lstsq(R, d, rcond=None)
    # the rounding of A^N h0 and R u, estimated (sqrt of the terms, not the worst case) as eps
    # times the sizes of what is summed: cancellation between huge terms shows here
    with np.errstate(over="ignore", invalid="ignore"):
        sizes = float(np.linalg.norm(R, axis=0) @ np.abs(u)) + largest
    rounding = math.sqrt(N * (n + m) + n) * float(np.finfo(float).eps) * sizes
    residual = float(np.linalg.norm(R @ u - d))
    xs = u.reshape(N, m)[::-1].copy()
    if residual + rounding <= tol * scale:
        return xs
    decision = is_controllable((A, B))
    if decision.controllable:
        if n <= MAX_EXACT_STEER_N and n * n * N * m <= MAX_EXACT_STEER_WORK:
            return _exact_steering(A, B, h0, target, N, tol, scale)
        if residual <= tol * scale:
            return xs  # too large to check in mpmath: accepted on the float residual alone, as before
        raise ResourceLimitError(
            f"`target` is reachable (the pair is controllable) but float64 least squares misses it by "
            f"{residual / scale:.3g} (relative, ill-conditioned); n={n}, N={N}, m={m} exceed the mpmath "
            f"solve's limits n <= {MAX_EXACT_STEER_N}, n^2 N m <= {MAX_EXACT_STEER_WORK}."
        )
    V = reachable_subspace((A, B))
    outside = float(np.linalg.norm(d - V @ (V.T @ d))) / scale
    if outside > tol:
        raise DomainError(
            f"`target`={target.tolist()} is not reachable from `h0` in {N} steps: it leaves the "
            f"{V.shape[1]}-dimensional reachable subspace by {outside:.3g} (relative, > tol={tol:g}); "
            f"the pair is uncontrollable at eigenvalue {decision.eigenvalue:.6g}."
        )
    if residual > tol * scale:
        raise DomainError(
            f"`target` lies in the {V.shape[1]}-dimensional reachable subspace of an uncontrollable pair, "
            f"but float64 least squares reaches it only to {residual / scale:.3g} (relative, > tol={tol:g}); "
            "pass a larger tol or more steps N."
        )
    return u.reshape(N, m)[::-1].copy()


def _exact_steering(A: np.ndarray, B: np.ndarray, h0: np.ndarray, target: np.ndarray, N: int,
                    tol: float, scale: float) -> np.ndarray:
    """The minimum-energy input of a controllable pair by an mpmath solve, checked by simulation."""
    n, m = B.shape
    dps = 40
    while True:
        with mpmath.workdps(dps):
            Am, Bm = mpmath.matrix(A.tolist()), mpmath.matrix(B.tolist())
            blocks = [Bm]
            for _ in range(N - 1):
                blocks.append(Am * blocks[-1])      # A^j B drives x_{N-j}
            gram = mpmath.zeros(n, n)
            for block in blocks:
                gram += block * block.T
            state = mpmath.matrix(h0.tolist())
            for _ in range(N):
                state = Am * state
            d = mpmath.matrix(target.tolist()) - state
            try:
                inverse = mpmath.inverse(gram)
                cond = mpmath.norm(gram, 1) * mpmath.norm(inverse, 1)
            except ZeroDivisionError:  # singular at this precision
                cond = mpmath.mpf(10) ** (2 * dps)
            needed = int(mpmath.log10(cond)) + 40
            if needed > dps:
                if needed > MAX_STEER_DIGITS:
                    raise ResourceLimitError(
                        f"`target` is reachable (the pair is controllable) but its Gramian has condition "
                        f"number {mpmath.nstr(cond, 3)}, beyond the {MAX_STEER_DIGITS} digits of the mpmath solve."
                    )
                dps = needed
                continue
            y = mpmath.lu_solve(gram, d)
            xs = np.array([[float(v) for v in (block.T * y)] for block in reversed(blocks)]).reshape(N, m)
            energy = mpmath.fsum(v**2 for block in blocks for v in block.T * y)
            state = mpmath.matrix(h0.tolist())
            for x in xs:
                state = Am * state + Bm * mpmath.matrix(x.tolist())
            miss = float(mpmath.norm(state - mpmath.matrix(target.tolist()))) / scale
            break
    if miss > tol:
        raise DomainError(
            f"`target` is reachable (the pair is controllable) but its minimum-energy input (energy "
            f"{mpmath.nstr(energy, 3)}, Gramian condition number {mpmath.nstr(cond, 3)}) rounded to float64 "
            f"misses it by {miss:.3g} (relative, simulated exactly; > tol={tol:g}); pass tol >= {miss:.2g} "
            "to accept that input, or more steps N."
        )
    return xs


def reconstruct_initial_state(system: LinearRNN | tuple, ys: Any, xs: Any = None, *,
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
    tol = None if tol is None else as_tolerance(tol)
    A, B, C = numeric_system(system)
    (p, n), m = C.shape, B.shape[1]
    ys = as_float_array(ys, "ys", allow_empty=True, finite=False)
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
