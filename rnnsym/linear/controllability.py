"""Controllability and observability of a float :class:`~rnnsym.linear.LinearRNN`.

:func:`is_controllable` decides with the Hautus (PBH) test through left
eigenvectors: ``(A, B)`` is uncontrollable exactly when some left
eigenvector ``w`` of ``A`` has ``w^H B = 0``.  It stays reliable for large
``n``, where ``[B, AB, ..., A^{n-1}B]`` is too ill-conditioned for its
numeric rank to mean anything.  Clustered eigenvalues, whose eigenvectors
are ill-determined, fall back to ``sigma_min([lam I - A, B])``.
Observability is the dual (:meth:`LinearRNN.dual`): ``(A, C)`` is
observable iff ``(A^T, C^T)`` is controllable.

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

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize_scalar

from rnnsym.errors import DomainError, InvalidArgumentError, NonFiniteError, ShapeError
from rnnsym.linear.system import LinearRNN, numeric_system
from rnnsym.linear.rank import krylov_matrix, numeric_rank
from rnnsym.linear.rank import _scaled  # private: the one unit-1-norm scaling, shared with krylov_matrix

__all__ = [
    "Decision", "is_controllable", "is_observable", "pbh_test",
    "controllability_gramian", "observability_gramian",
    "reachable_subspace", "unobservable_subspace",
    "minimum_energy_input", "reconstruct_initial_state",
]

#: Default threshold of the Hautus scores (relative, between 0 and 1).
HAUTUS_TOL = 1e-8
#: Largest Jordan block the rescoring of doubtful eigenvalues allows for (:func:`_rescore_doubtful`).
_MAX_BLOCK = 8


# ----------------------------------------------------------------- decisions
@dataclass(frozen=True)
class Decision:
    """A yes/no controllability decision with its evidence.

    ``scores`` are relative (in [0, 1]) per eigenvalue; the pair is
    controllable when every score exceeds ``tol``.  ``margin`` is
    ``min(scores) / tol`` (above 1: controllable) and ``eigenvalue`` the
    eigenvalue of ``A`` (not of the unit-norm ``A`` the scores are computed
    on) whose score is smallest.
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


def pbh_test(system: "LinearRNN | tuple", tol: float = HAUTUS_TOL) -> Decision:
    """The PBH test ``rank [lam I - A, B] = n`` at every eigenvalue, by SVD.

    Each score is ``sigma_n / sigma_1`` of ``[lam I - A, B]`` (after scaling
    ``A`` and ``B`` to unit 1-norm).

    >>> pbh_test(LinearRNN([[1.0, 1.0], [0.0, 1.0]], [[0.0], [1.0]])).controllable
    True
    """
    A, B, _ = numeric_system(system)
    unit = np.linalg.norm(A, 1) or 1.0
    A, B = _scaled(A, B)
    lam, vl, vr = sla.eig(A, left=True, right=True)
    scores = np.array([_pbh_score(A, B, v) for v in lam])
    _rescore_doubtful(A, B, lam, vl, vr, scores)
    return _decide(scores, lam * unit, tol, "pbh")


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
    A, B, _ = numeric_system(system)
    return _hautus(A, B, tol)


def _hautus(A: np.ndarray, B: np.ndarray, tol: float) -> Decision:
    unit = np.linalg.norm(A, 1) or 1.0  # the decision reports eigenvalues of A, not of A / |A|_1
    A, B = _scaled(A, B)
    if not np.any(B):
        return _decide(np.zeros(A.shape[0]), sla.eigvals(A) * unit, tol, "hautus")
    lam, vl, vr = sla.eig(A, left=True, right=True)
    scores = np.linalg.norm(vl.conj().T @ B, axis=1) / (np.linalg.norm(vl, axis=0)
                                                         * np.linalg.norm(B, 2))
    doubtful = _rescore_doubtful(A, B, lam, vl, vr, scores)
    # a low raw score at a simple eigenvalue is confirmed by PBH there (reliable for
    # simple eigenvalues): balancing a matrix with entries ~1e-95 can leave computed
    # left eigenvectors orthogonal to B although the pair is controllable
    for i in np.flatnonzero(~doubtful & (scores <= 100 * tol)):
        scores[i] = _pbh_score(A, B, lam[i])
    return _decide(scores, lam * unit, tol, "hautus")


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
    eigenvalue among its members.  Blocks are assumed no larger than
    :data:`_MAX_BLOCK` (8) throughout: the means are of ``lam[i]`` and its
    ``k <= 7`` nearest neighbours, so the work grows like ``n`` PBH scores
    per eigenvalue at most, not ``n`` times the group size; each candidate is
    scored once per call.
    """
    scale = max(1.0, float(np.max(np.abs(lam))))
    overlap = np.abs(np.sum(vl.conj() * vr, axis=0)) / (
        np.linalg.norm(vl, axis=0) * np.linalg.norm(vr, axis=0))
    spread = 2 * np.finfo(float).eps ** (1 / min(max(len(lam), 1), _MAX_BLOCK)) * scale
    distance = np.abs(lam[:, None] - lam[None, :])
    np.fill_diagonal(distance, np.inf)
    near = distance.min(axis=1) <= spread if len(lam) > 1 else np.zeros(len(lam), bool)
    doubtful = _clusters(lam, scale) | (overlap < 1e-3) | near
    score = lru_cache(maxsize=None)(lambda v: _pbh_score(A, B, v))  # candidates recur across the group
    refined = lru_cache(maxsize=None)(lambda v: _refined_pbh(A, B, v, scale))
    for i in np.flatnonzero(doubtful):
        group = lam[doubtful & (np.abs(lam - lam[i]) <= 0.05 * scale)]
        nearest = group[np.argsort(np.abs(group - lam[i]))]
        means = [nearest[: k + 1].mean() for k in range(1, min(len(nearest), _MAX_BLOCK))]
        best = min((complex(v) for v in [*group, *means]), key=score)
        scores[i] = min(score(best), refined(best))
    return doubtful


def _refined_pbh(A: np.ndarray, B: np.ndarray, lam: complex, scale: float) -> float:
    """The smallest PBH score on the real line within ``1e-4 scale`` of a real candidate.

    An eigenvalue next to a nearly defective cluster can itself be computed
    ``1e-8`` off, and the PBH score at a point is about its distance to an
    uncontrollable eigenvalue: minimise over the neighbourhood (bounded
    Brent), which approximates the distance to uncontrollability there.
    Complex candidates are left as they are.
    """
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
    A, _, C = numeric_system(system)
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
    A, B, _ = numeric_system(system)
    return _gramian(A, B @ B.T, N, "controllability")


def observability_gramian(system: "LinearRNN | tuple", N: int | None = None) -> np.ndarray:
    """``sum_{k<N} (A^T)^k C^T C A^k``; ``N=None``: the infinite sum (stable ``A``).

    >>> observability_gramian(LinearRNN([[0.5]], [[1.0]]), N=2).tolist()
    [[1.25]]
    """
    A, _, C = numeric_system(system)
    return _gramian(A.T, C.T @ C, N, "observability")


# ----------------------------------------------------------------- subspaces
def reachable_subspace(system: "LinearRNN | tuple", tol: float | None = None) -> np.ndarray:
    """Orthonormal basis (columns) of the range of ``[B, AB, ..., A^{n-1}B]``.

    >>> reachable_subspace(LinearRNN([[1.0, 0.0], [0.0, 2.0]], [[1.0], [0.0]])).round(12).tolist()
    [[1.0], [0.0]]
    """
    A, B, _ = numeric_system(system)
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
    A, B, C = numeric_system(system)
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
