"""Fixed points and slow points of any cell: minimise ``q(s) = 1/2 ||F(s, x) - s||^2`` from many starts.

FixedPointFinder's method (Golub & Sussillo, 2018; Sussillo & Barak, 2013),
batched over the starts with NumPy:

1. *starts* -- states sampled along trajectories of the cell's own step
   (from random initial states under the constant input ``x``, or from
   the ``states`` the caller recorded, e.g. on real task inputs), with
   optional Gaussian ``noise``;
2. *minimise* ``q`` by Levenberg-Marquardt on the residual ``G(s) = F(s, x)
   - s`` (all starts at once: one ``(N, N)`` solve per start and
   iteration; gain-ratio damping, Nielsen's update).  A start stops at a
   root (``|G|_inf <= 1e-14 (1 + |s|_inf)``), at a stationary point of
   ``q`` (``||(J - I)^T G||_2 <= gtol (1 + ||J||_F) ||G||_2``, or no step
   lowers ``q`` any more: a minimum to rounding), or after ``max_iter``
   iterations.  Iterates stay in the cell's :attr:`~rnnsym.cells.base.Cell.state_bounds`
   (a GRU's ``[-1, 1]``; projected steps);
3. *polish* every end point with ``q <= max_q`` by the package's damped
   Newton (:func:`rnnsym.fixedpoints.newton.damped_newton`), continued
   until the residual stops decreasing;
4. *decide* -- a point is **fixed** when ``|G_i| <= ACCEPT eps E_i`` for
   every ``i``, with ``E`` the first-order bound on the float64 rounding
   error of computing ``G`` at that point (the cell's running error
   analysis: ``k eps |W||v|`` per length-``k`` dot product, and so on): ``G``
   is zero up to its own rounding error, relative to the problem's scale
   (``rounding_ratio <= 1``; the same test as
   :mod:`rnnsym.fixedpoints.nearroots`, with the same ``ACCEPT``).  A
   minimiser end point that is not fixed, is a stationary point of ``q``
   inside the box and has ``q <= max_q`` is **slow** (reported with its ``q``);
5. *deduplicate* (:func:`rnnsym.fixedpoints.newton.merge_roots`) and
   *classify* each point by the eigenvalues of its Jacobian
   (:func:`rnnsym.stability.classify_jacobian`: stable, unstable, saddle,
   marginal, undecided; fixed points up to ``EXACT_MAX_N`` = 16 state
   variables are decided exactly near the unit circle, other points by
   their float64 eigenvalues and error bounds).  ``degenerate``: ``I - J``
   is singular to rounding;
6. *prove* each fixed point (``enclose=True``, the default) by the Krawczyk
   test in rigorous interval arithmetic (:mod:`rnnsym.cells._enclosure`):
   a box around it holds exactly one fixed point, which lies within
   ``enclosure.radius`` of the reported state (about ``1e-14`` for the
   networks of ``tests/data``) and is the only one within
   ``enclosure.unique_within`` (up to ``1e-4``).  The rounding-ratio test
   of step 4 says the float residual is rounding; this says a true fixed
   point is there.

The list is what the starts found, not a proof of completeness (for the
simple RNN, :func:`rnnsym.fixedpoints.find_fixed_points` proves its lists
where it can).

Cost: one forward-mode Jacobian and one batched ``(N, N)`` solve per
iteration.  256 starts took 0.45 s for a 64-unit GRU with weights of
standard deviation ``1/sqrt(n)`` (one fixed point), 4.7 s at ``3/sqrt(n)``
(5 fixed and 6 slow points), 1.6 s and 5.6 s for 64-unit LSTMs (``N =
128``), on a loaded 2-core machine with ``OPENBLAS_NUM_THREADS=1``; with
OpenBLAS's default threads there, the many small solves ran 3 to 8 times slower.

Examples
--------
A tanh unit ``h -> tanh(2 h + b)`` with ``b`` just past the saddle-node
value ``b_c = sqrt(2) - artanh(sqrt(1/2))``: one fixed point, and a slow
point (a ghost) where the other two were:

>>> import math, rnnsym as rs
>>> from rnnsym.cells import SimpleCell
>>> b = math.sqrt(2) - math.atanh(math.sqrt(0.5)) + 1e-3
>>> res = SimpleCell(rs.RNN([[2.0]], b=[b])).slow_points(x=[0.0], starts=64)
>>> [(round(float(p.state[0]), 6), p.kind, p.rounding_ratio <= 1) for p in res.fixed]
[(0.986811, 'stable', True)]
>>> [(round(float(p.state[0]), 6), round(p.q, 12)) for p in res.slow]   # G = (b - b_c) / w there
[(-0.707607, 1.25e-07)]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnsym.cells._enclosure import Certificate, enclosable, krawczyk
from rnnsym.errors import InvalidArgumentError
from rnnsym.fixedpoints.nearroots import ACCEPT
from rnnsym.fixedpoints.newton import damped_newton, merge_roots
from rnnsym.stability import EXACT_MAX_N, Stability, classify_jacobian, float_verdict
from rnnsym._matrices import as_float_array

__all__ = ["CellPoint", "SlowPointResult", "find_slow_points", "rounding_ratio"]

EPS = float(np.finfo(float).eps)
#: An end point with ``|G|_inf`` at or below this (times ``1 + |s|_inf``) has reached a root.
ROOT_TOL = 1e-14


@dataclass(frozen=True)
class CellPoint:
    """A fixed or slow point of a cell under a constant input.

    ``state`` ``(state_size,)``; ``q = 1/2 ||F(s) - s||_2^2``;
    ``residual = ||F(s) - s||_inf``; ``rounding_ratio = max_i |G_i| / (ACCEPT
    eps E_i)`` (at most 1: ``F(s) = s`` to its own rounding error, the
    certificate of a fixed point); ``gradient = ||(J - I)^T G||_2``, the
    gradient of ``q``; ``fixed``; ``stability`` (the eigenvalues of ``J =
    dF/ds`` classified); ``degenerate`` (``I - J`` singular to rounding);
    ``count`` (how many starts ended here); ``enclosure`` (fixed points):
    the Krawczyk certificate (:func:`~rnnsym.cells._enclosure.krawczyk`):
    ``enclosure.radius``, a proven bound on ``|s* - state|_inf`` for the
    one fixed point ``s*`` that ``state`` approximates, and
    ``enclosure.unique_within``, the distance within which ``s*`` is the only
    fixed point; None where the test failed or was not run, with the reason
    in ``enclosure_note``.
    """

    state: np.ndarray
    q: float
    residual: float
    rounding_ratio: float
    gradient: float
    fixed: bool
    stability: Stability
    degenerate: bool
    count: int
    enclosure: Certificate | None = None
    enclosure_note: str = ""

    @property
    def kind(self) -> str:
        """The stability kind: stable, unstable, saddle, marginal or undecided."""
        return self.stability.kind

    def __repr__(self) -> str:
        what = "fixed" if self.fixed else f"slow, q={self.q:.3g}"
        return f"CellPoint(state={np.round(self.state, 8).tolist()}, {what}, {self.kind})"


@dataclass(frozen=True)
class SlowPointResult:
    """What :func:`find_slow_points` found.

    ``fixed`` (sorted by state) and ``slow`` (by ``q``) are the distinct
    points; ``x`` the constant input; ``initial_states`` ``(S, N)`` the starts,
    ``end_states`` ``(S, N)`` and ``end_q`` ``(S,)`` where the minimiser left
    them; ``max_q`` the threshold of a slow point; ``rejected`` the number of
    end points that led to neither a fixed nor a slow point (``q >
    max_q``, or not stationary and not polished to a fixed point);
    ``seconds`` the wall time; ``summary`` one line.
    """

    fixed: tuple[CellPoint, ...]
    slow: tuple[CellPoint, ...]
    x: np.ndarray
    initial_states: np.ndarray
    end_states: np.ndarray
    end_q: np.ndarray
    max_q: float
    rejected: int
    seconds: float
    summary: str

    @property
    def points(self) -> tuple[CellPoint, ...]:
        """Fixed points first, then slow points."""
        return self.fixed + self.slow

    def states(self, which: str = "fixed") -> np.ndarray:
        """The states ``(k, N)`` of the ``"fixed"``, ``"slow"`` or ``"all"`` points."""
        pts = {"fixed": self.fixed, "slow": self.slow, "all": self.points}.get(which)
        if pts is None:
            raise InvalidArgumentError(f"`which` must be 'fixed', 'slow' or 'all'; got {which!r}.")
        return np.array([p.state for p in pts]).reshape(len(pts), self.end_states.shape[-1])

    def __repr__(self) -> str:
        return f"SlowPointResult({self.summary})"


#: Floats in one batch of the Levenberg-Marquardt matrices ``(starts, N, N)``: 2**24 (128 MB) is all 256
#: starts of a 256-unit GRU at once, and 64 of a 256-unit LSTM (state 512) at a time.
LM_BATCH_FLOATS = 2 ** 24


def _check_count(value: Any, name: str, low: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise InvalidArgumentError(f"`{name}` must be an integer >= {low}; got {value!r}.")
    return int(value)


def _check_real(value: Any, name: str, low: float = 0.0) -> float:
    v = float(as_float_array(value, name, shape=()))
    if v < low:
        raise InvalidArgumentError(f"`{name}` must be >= {low}; got {v}.")
    return v


def _check_cell(cell: Any) -> None:
    """A numeric rnnsym cell (duck-typed: :mod:`rnnsym.cells.base` imports this module)."""
    for attr in ("state_size", "_differentiate", "_bounded", "_require_numeric", "state_bounds"):
        if not hasattr(cell, attr):
            raise InvalidArgumentError(f"`cell` must be an rnnsym cell (rnnsym.cells); got {type(cell).__name__}.")
    cell._require_numeric()


def rounding_ratio(cell: Any, S: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``max_i |G_i| / (ACCEPT eps E_i)`` for each row of ``S`` (``<= 1``: a fixed point, to rounding).

    ``E_i = e_i + |F_i| + |s_i|``: the cell's running error bound ``e`` of
    ``F`` and one rounding of the subtraction.  The one fixed-point decision
    of :func:`find_slow_points`.  ``S`` ``(..., state_size)``, ``X`` ``(m,)``.
    """
    _check_cell(cell)
    S, X = cell._state_array(S, "S"), cell._input_array(X, "X")
    with np.errstate(all="ignore"):
        F, err = cell._bounded(S, X)
        G = F - S
        bound = ACCEPT * EPS * (err + np.abs(F) + np.abs(S))
        ratio = np.where(G == 0, 0.0, np.abs(G) / np.where(bound > 0, bound, np.inf))
        ratio = np.where(np.isfinite(G), ratio, np.inf)
    return ratio.max(axis=-1)


def _starts(cell: Any, X: np.ndarray, states: Any, count: int, steps: int, noise: float,
            rng: np.random.Generator) -> np.ndarray:
    """``count`` states along trajectories of the cell's own step (or drawn from ``states``), plus noise."""
    N = cell.state_size
    if states is None:
        S = rng.uniform(-1.0, 1.0, (count, N))
        when = rng.integers(0, steps + 1, count)
        out = S.copy()
        with np.errstate(all="ignore"):
            for t in range(1, steps + 1):
                S = cell._evaluate(S, X)
                out[when == t] = S[when == t]
    else:
        pool = cell._state_array(states, "states").reshape(-1, N)
        out = pool[rng.choice(len(pool), size=count, replace=len(pool) < count)].copy()
    if noise:
        out += noise * rng.standard_normal(out.shape)
    lo, hi = cell.state_bounds
    return np.clip(out, lo, hi)


def _residual(cell: Any, S: np.ndarray, X: np.ndarray, jacobian: bool = True) -> tuple[np.ndarray, Any]:
    with np.errstate(all="ignore"):
        if not jacobian:
            return cell._evaluate(S, X) - S, None
        F, J = cell._differentiate(S, X, "state")
        if not J.flags.writeable or J.base is not None:   # _differentiate returns a fresh array: no copy then
            J = J.copy()
        _diagonal(J)[...] -= 1.0
        return F - S, J


def _diagonal(A: np.ndarray) -> np.ndarray:
    """The diagonals of the square matrices ``A`` ``(..., N, N)`` as a writeable view ``(..., N)`` (fancy
    indexing copies twice and was 20 times slower on 1024 48 x 48 Jacobians)."""
    return np.lib.stride_tricks.as_strided(A, A.shape[:-1], A.strides[:-2] + (A.strides[-2] + A.strides[-1],))


def _normal_equations(JG: np.ndarray, G: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``H = (J - I)^T (J - I)``, ``g = (J - I)^T G`` and ``tr(J - I)`` from ``JG = J - I``."""
    JT = JG.transpose(0, 2, 1)
    return np.matmul(JT, JG), np.matmul(JT, G[..., None])[..., 0], np.einsum("kii->k", JG)


def _levenberg_marquardt(cell: Any, S0: np.ndarray, X: np.ndarray, max_iter: int,
                         gtol: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``q`` from every row of ``S0``, in batches of starts whose ``N x N`` matrices hold at most
    :data:`LM_BATCH_FLOATS` floats (each start is independent of the others: the batches change nothing but
    the peak memory, about six such arrays); returns the end states and whether each is stationary."""
    M, N = S0.shape
    size = max(1, LM_BATCH_FLOATS // max(N * N, 1))
    if M <= size:
        return _lm_batch(cell, S0, X, max_iter, gtol)
    parts = [_lm_batch(cell, S0[i:i + size], X if X.ndim == 1 else X[i:i + size], max_iter, gtol)
             for i in range(0, M, size)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _lm_batch(cell: Any, S0: np.ndarray, X: np.ndarray, max_iter: int,
              gtol: float) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``q`` from every row of ``S0`` at once; returns the end states and whether each is stationary.

    Only ``H``, ``g`` and ``tr(J - I)`` are kept from each Jacobian; while every start is live the arrays are
    used whole (views, not copies).
    """
    S = S0.copy()
    M, N = S.shape
    lo, hi = cell.state_bounds
    G, JG = _residual(cell, S, X)
    H, g, trace = _normal_equations(JG, G)
    del JG
    q = 0.5 * np.einsum("ki,ki->k", G, G)
    mu = 1e-3 * np.maximum(np.einsum("kii->k", H) / N, 1e-12)
    nu = np.full(M, 2.0)
    live = np.isfinite(q)
    stationary = np.zeros(M, dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            k = np.flatnonzero(live)
            if not k.size:
                break
            at: Any = slice(None) if k.size == M else k   # all live: views instead of copies
            Hk = H[at]
            damped = H[k]   # a copy, damped in place
            _diagonal(damped)[...] += mu[k, None]
            delta = -np.linalg.solve(damped, g[at][..., None])[..., 0]
            del damped
            trial = np.clip(S[at] + delta, lo, hi)   # projected onto the cell's box
            delta = trial - S[at]
            Gt, _ = _residual(cell, trial, X if X.ndim == 1 else X[k], jacobian=False)
            qt = 0.5 * np.einsum("ki,ki->k", Gt, Gt)
            Hd = np.matmul(Hk, delta[..., None])[..., 0]   # the Gauss-Newton model's decrease, clipped step
            predicted = -np.einsum("ki,ki->k", delta, g[at] + 0.5 * Hd)
            rho = (q[k] - qt) / predicted
            ok = np.isfinite(qt) & (qt < q[k]) & (predicted > 0)
            bad = k[~ok]
            mu[bad] *= nu[bad]
            nu[bad] *= 2.0
            a = k[ok]
            if a.size:
                S[a] = trial[ok]
                Ga, Ja = _residual(cell, S[a], X if X.ndim == 1 else X[a])
                G[a], q[a] = Ga, qt[ok]
                H[a], g[a], trace[a] = _normal_equations(Ja, Ga)
                del Ja
                mu[a] *= np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho[ok] - 1.0) ** 3)
                nu[a] = 2.0
            scale = 1.0 + np.abs(S[at]).max(axis=-1)
            root = np.abs(G[at]).max(axis=-1) <= ROOT_TOL * scale
            gnorm = np.linalg.norm(g[at], axis=-1)
            traceH = np.einsum("kii->k", H[at])   # ||J||_F^2 = ||J - I||_F^2 + 2 tr(J - I) + N
            Jnorm = np.sqrt(np.maximum(traceH + 2.0 * trace[k] + N, 0.0))
            flat = gnorm <= gtol * (1.0 + Jnorm) * np.sqrt(2.0 * q[k])
            stuck = mu[k] > 1e30 * (1.0 + traceH)
            stationary[k[(flat | stuck) & ~root]] = True   # stuck: no step lowers q, a minimum to rounding
            live[k[root | flat | stuck]] = False
    return S, stationary


def _gradient(cell: Any, S: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``||(J - I)^T G||_2`` at each row of ``S``: the gradient of ``q`` (a merged cluster is represented by
    its most stationary member)."""
    if not len(S):
        return np.zeros(0)
    G, JG = _residual(cell, S, X)
    return np.linalg.norm(np.matmul(JG.transpose(0, 2, 1), G[..., None])[..., 0], axis=-1)


def _polish(cell: Any, S: np.ndarray, X: np.ndarray, max_iter: int = 60) -> np.ndarray:
    """The package's damped Newton on ``G(s) = F(s, x) - s``, continued until ``|G|_inf`` stops decreasing."""
    if not len(S):
        return S
    U = np.broadcast_to(X, (len(S), X.shape[-1])).T if X.shape[-1] else np.zeros((1, len(S)))
    m = X.shape[-1]

    def linearize(cols: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xc = u.T if m else np.zeros((cols.shape[1], 0))
        G, JG = _residual(cell, np.ascontiguousarray(cols.T), Xc)
        return G.T, np.moveaxis(JG, 0, -1)

    out = damped_newton(linearize, S.T, U, tol=0.0, step_tol=0.0, max_iter=max_iter, refusals=8,
                        box=cell.state_bounds)
    return out.x.T


def _polish_distinct(cell: Any, S: np.ndarray, X: np.ndarray, merge_tol: float) -> np.ndarray:
    """:func:`_polish` each row of ``S``, running Newton once per cluster of rows within ``1e-3 merge_tol``
    (most starts end at one of a few points) and giving every row its cluster's polished point."""
    if not len(S):
        return S
    reps = merge_roots(S, 1e-3 * merge_tol)
    reps = reps[np.isfinite(reps).all(axis=-1)]
    nearest = np.abs(S[:, None, :] - reps[None]).max(axis=-1).argmin(axis=1)
    return _polish(cell, reps, X)[nearest]


def _classify(J: np.ndarray, exact: bool) -> Stability:
    """The stability of ``J``: :func:`~rnnsym.stability.classify_jacobian` (exact near the unit circle) for a
    fixed point with ``N <= EXACT_MAX_N``; otherwise the float64 verdict, ``"undecided"`` where an eigenvalue
    lies within its error bound of the circle (a slow point's ``J`` is itself approximate, and mpmath
    eigenvalues of a 64 x 64 matrix at 240 digits took minutes)."""
    if exact and len(J) <= EXACT_MAX_N:
        return classify_jacobian(J)
    verdict = float_verdict(J)
    if verdict is not None:
        return verdict
    eigs = np.linalg.eigvals(J)
    rho = float(np.abs(eigs).max())
    return Stability("undecided", rho, eigs, abs(rho - 1.0), False, "float64")


def _enclose(cell: Any, s: np.ndarray, X: np.ndarray, fixed: bool, enclose: bool,
             degenerate: bool) -> tuple[Certificate | None, str]:
    """The Krawczyk certificate of a fixed point, or None with the reason."""
    if not fixed:
        return None, "a slow point: not a fixed point"
    if not enclose:
        return None, "not run (enclose=False)"
    if degenerate:
        return None, "I - J is singular to rounding (a degenerate point): no Krawczyk box can pass"
    why = enclosable(cell)
    if why:
        return None, why
    found = krawczyk(cell, s, X)
    return found, "" if found is not None else "the Krawczyk test failed (I - J near singular, or no box passed)"


def _point(cell: Any, s: np.ndarray, X: np.ndarray, fixed: bool, count: int, enclose: bool = False) -> CellPoint:
    G, JG = _residual(cell, s[None], X)
    J = JG[0] + np.eye(len(s))
    with np.errstate(all="ignore"):
        sv_IJ = np.linalg.svd(-JG[0], compute_uv=False)
        normJ = np.linalg.norm(J, 2)
    degenerate = bool(sv_IJ[-1] <= np.sqrt(ACCEPT * (len(s) + 4) * EPS) * (1.0 + normJ))
    state = s.copy()
    state.setflags(write=False)
    enclosure, note = _enclose(cell, state, X, fixed, enclose, degenerate)
    return CellPoint(state=state, q=float(0.5 * G[0] @ G[0]), residual=float(np.abs(G[0]).max()),
                     rounding_ratio=float(rounding_ratio(cell, s[None], X)[0]),
                     gradient=float(np.linalg.norm(JG[0].T @ G[0])), fixed=fixed,
                     stability=_classify(J, fixed), degenerate=degenerate, count=count,
                     enclosure=enclosure, enclosure_note=note)


def _distinct(points: np.ndarray, tol: float) -> np.ndarray:
    """Distinct rows of ``points``, merged within ``tol`` (:func:`~rnnsym.fixedpoints.newton.merge_roots`)."""
    if not len(points):
        return points
    distinct = merge_roots(points, tol)
    return distinct[np.isfinite(distinct).all(axis=-1)]


def _counts(members: np.ndarray, distinct: np.ndarray) -> np.ndarray:
    """How many rows of ``members`` lie nearest each row of ``distinct``."""
    if not len(members) or not len(distinct):
        return np.zeros(len(distinct), dtype=int)
    d = np.abs(members[:, None, :] - distinct[None]).max(axis=-1)
    return np.bincount(d.argmin(axis=1), minlength=len(distinct))


def _sort_out(cell: Any, X: np.ndarray, ends: np.ndarray, q_end: np.ndarray, stationary: np.ndarray,
              max_q: float, merge_tol: float, enclose: bool) -> tuple[list[CellPoint], list[CellPoint], int]:
    """Polish, certify, deduplicate and classify the end points: ``(fixed, slow, rejected)``."""
    small = np.flatnonzero(np.isfinite(q_end) & (q_end <= max_q))
    polished = _polish_distinct(cell, ends[small], X, merge_tol)
    certified = rounding_ratio(cell, polished, X) <= 1.0 if len(small) else np.zeros(0, dtype=bool)
    end_fixed = rounding_ratio(cell, ends[small], X) <= 1.0 if len(small) else np.zeros(0, dtype=bool)
    fixed_states = _distinct(polished[certified], merge_tol)
    lo, hi = cell.state_bounds
    inside = np.all((ends > lo) & (ends < hi), axis=-1)   # a minimum on a face of the box is the box's, not q's
    slow_idx = small[stationary[small] & ~end_fixed & inside[small]]
    if len(fixed_states) and len(slow_idx):   # a stationary end point on top of a fixed point is that point
        c = ends[slow_idx]
        near = np.abs(c[:, None, :] - fixed_states[None]).max(axis=-1) <= merge_tol * np.maximum(
            1.0, np.abs(c).max(axis=-1))[:, None]
        slow_idx = slow_idx[~near.any(axis=1)]
    slow_end = np.zeros(len(ends), dtype=bool)
    slow_end[slow_idx] = True
    candidates = ends[slow_idx]
    slow_states = _distinct(candidates[np.argsort(_gradient(cell, candidates, X))], merge_tol)
    to_fixed = certified & ~slow_end[small]   # each start counts once: where it ended, slow or polished fixed
    fixed = [_point(cell, s, X, True, int(k), enclose)
             for s, k in zip(fixed_states, _counts(polished[to_fixed], fixed_states))]
    slow = [_point(cell, s, X, False, int(k)) for s, k in zip(slow_states, _counts(candidates, slow_states))]
    rejected = len(ends) - int(np.count_nonzero(to_fixed)) - len(slow_idx)
    return sorted(fixed, key=lambda p: tuple(p.state)), sorted(slow, key=lambda p: p.q), rejected


def find_slow_points(cell: Any, x: Any = None, *, states: Any = None, starts: int = 256, seed: int = 0,
                     noise: float = 0.0, steps: int = 50, max_q: float = 1e-4, max_iter: int = 300,
                     gtol: float = 1e-9, merge_tol: float = 1e-6, enclose: bool = True) -> SlowPointResult:
    """Fixed points (certified to rounding) and slow points of a numeric cell under the constant input ``x``.

    Parameters
    ----------
    cell : Cell
        A numeric cell (:mod:`rnnsym.cells`).
    x : array_like, shape (m,)
        The constant input; required when the cell has inputs (``m > 0``).
    states : array_like, shape (..., state_size), optional
        Recorded states to draw the starts from (e.g. ``cell.simulate(xs)``
        on task inputs).  Default: trajectories of ``steps`` steps under
        ``x`` from initial states uniform in ``[-1, 1]``, each sampled at a
        random time.
    starts : int
        Number of starts (default 256).
    seed : int
        Seed of the starts and their noise.
    noise : float
        Standard deviation of Gaussian noise added to the starts.
    steps : int
        Length of the generated trajectories (without ``states``).
    max_q : float
        The largest ``q`` of a slow point (default ``1e-4``: a speed
        ``||F(s) - s||_2`` of at most ``sqrt(2e-4) ~ 0.014`` per step).
    max_iter : int
        Levenberg-Marquardt iterations per start.
    gtol : float
        Stationarity tolerance of ``q`` (see the module docstring).
    merge_tol : float
        Points within ``merge_tol * max(1, |s|_inf)`` (infinity norm) are one.
    enclose : bool
        Prove each fixed point by the Krawczyk test (:attr:`CellPoint.enclosure`;
        default True; about 3 ms per point for the 24-unit GRU of ``tests/data``).

    Returns
    -------
    SlowPointResult
    """
    _check_cell(cell)
    if x is None and cell.m:
        raise InvalidArgumentError(f"`x` is missing: fixed and slow points depend on the constant input x "
                                   f"(shape ({cell.m},)); pass x=... (np.zeros({cell.m}) for the zero input).")
    X = cell._input_array(x)
    if X.shape != (cell.m,):
        raise InvalidArgumentError(f"`x` must be one input of shape ({cell.m},); got shape {X.shape}.")
    count, steps = _check_count(starts, "starts", 1), _check_count(steps, "steps", 0)
    max_iter, seed = _check_count(max_iter, "max_iter", 1), _check_count(seed, "seed", 0)
    noise, max_q = _check_real(noise, "noise"), _check_real(max_q, "max_q")
    gtol, merge_tol = _check_real(gtol, "gtol"), _check_real(merge_tol, "merge_tol")
    if not isinstance(enclose, (bool, np.bool_)):
        raise InvalidArgumentError(f"`enclose` must be True or False; got {type(enclose).__name__}.")
    began = time.perf_counter()
    S0 = _starts(cell, X, states, count, steps, noise, np.random.default_rng(seed))
    ends, stationary = _levenberg_marquardt(cell, S0, X, max_iter, gtol)
    G_end, _ = _residual(cell, ends, X, jacobian=False)
    q_end = 0.5 * np.einsum("ki,ki->k", G_end, G_end)
    fixed, slow, rejected = _sort_out(cell, X, ends, q_end, stationary, max_q, merge_tol, bool(enclose))
    seconds = time.perf_counter() - began
    summary = (f"{len(fixed)} fixed and {len(slow)} slow point(s) from {count} starts in {seconds:.2f} s; "
               f"{rejected} end point(s) led to neither (q > max_q={max_q:g}, or not stationary)")
    return SlowPointResult(tuple(fixed), tuple(slow), X, S0, ends, q_end, max_q, rejected, seconds, summary)
