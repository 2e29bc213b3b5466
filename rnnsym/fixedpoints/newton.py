"""What the fixed-point searches share: the drive, the one batched damped Newton, the one merge.

Both :mod:`rnnsym.fixedpoints.search` (one input, certified where it can
be) and :mod:`rnnsym.fixedpoints.sweep` (a path of biases) solve
``h = phi(W_h h + u)`` from many starts at once:

* :func:`constant_drive` -- ``u = W_x x + b``;
* :func:`damped_newton` -- Newton on every column of a batch at once, with
  the options each search needs (a box for the iterates, a cap on the step,
  steps confined to a cell of ``{det J != 0}``, restarts, a patience rule);
* :func:`merge_roots` -- the distinct solutions among the converged starts.

Examples
--------
>>> import numpy as np
>>> def linearize(X, U):  # G(x) = x**2 - u, batched over columns
...     return X * X - U, (2 * X)[None]
>>> res = damped_newton(linearize, np.array([[1.0, -3.0, 2.0]]), np.array([[2.0]]), tol=1e-14, max_iter=50)
>>> res.x.round(12).tolist(), res.converged.tolist()
([[1.414213562373, -1.414213562373, 1.414213562373]], [True, True, True])
>>> merge_roots(res.x.T, 1e-9).round(12).tolist()
[[1.414213562373], [-1.414213562373]]
"""


from typing import Any, Callable, NamedTuple

import numpy as np
from scipy.linalg import get_lapack_funcs

from rnnsym.errors import InvalidArgumentError, ShapeError

__all__ = ["constant_drive", "NewtonResult", "damped_newton", "merge_roots"]


def constant_drive(net: Any, x: Any) -> np.ndarray:
    W_h, W_x, b = net.numeric_weights()
    if x is None:
        if np.any(W_x != 0):
            raise InvalidArgumentError(
                f"`x` is missing: a fixed point needs the constant input x (shape ({net.m},)) because "
                "W_x is nonzero; pass x=... (u = W_x x + b)."
            )
        return b.copy()
    xa = np.atleast_1d(np.asarray(x, dtype=float))
    if xa.shape[-1] != net.m:
        raise ShapeError(f"`x` must have {net.m} entries; got shape {xa.shape}.")
    if not np.all(np.isfinite(xa)):
        raise InvalidArgumentError(f"`x` must be finite; got {xa.tolist()}.")
    return xa @ W_x.T + b


# -- the one batched damped Newton ------------------------------------------------
#: ``|det J|`` at or below this counts as singular: the step is taken with ``J + 1e-7 I``.
SINGULAR_DET = 1e-14


class NewtonResult(NamedTuple):
    """What :func:`damped_newton` returns (columns are points, as in its input)."""

    #: ``(n, N)`` the last accepted iterate of each column (polished where converged).
    x: np.ndarray
    #: ``(N,)`` ``|G|_inf`` at ``x`` (NaN for a start where ``G`` is not finite).
    residual: np.ndarray
    #: ``(N,)`` whether the column met ``|G|_inf <= tol`` or ``|step|_inf <= step_tol``.
    converged: np.ndarray


def _rowmax(X: np.ndarray) -> np.ndarray:
    """``X.max(axis=0)`` for ``(n, M)``; NumPy reduces a short leading axis slowly, so pairwise."""
    out = X[0].copy()
    for row in X[1:]:
        np.maximum(out, row, out=out)
    return out


#: Above this ``n`` each Jacobian is factored once (LAPACK ``getrf``) for both its determinant and the
#: step, in a Python loop; below it NumPy's batched ``det`` and ``solve`` (two factorisations, no loop)
#: are faster.
LU_LOOP_N = 64


def _lu_steps(J: np.ndarray, G: np.ndarray, singular_det: float) -> tuple[np.ndarray, np.ndarray]:
    """``-J^{-1} G`` and ``det J`` of every column from one LU factorisation each (``J`` ``(n, n, M)``)."""
    n, M = G.shape
    getrf, getrs = get_lapack_funcs(("getrf", "getrs"), (J,))
    S, det = np.empty((n, M)), np.empty(M)
    for j in range(M):
        lu, piv, info = getrf(J[:, :, j])
        diagonal = lu.diagonal()
        swaps = np.count_nonzero(piv != np.arange(n))
        with np.errstate(over="ignore", under="ignore"):
            det[j] = (-1.0) ** swaps * float(np.prod(diagonal))
        shift = 1e-7 if abs(det[j]) <= singular_det or info != 0 else 0.0
        if shift:
            lu, piv, info = getrf(J[:, :, j] + shift * np.eye(n))
        if info == 0:
            S[:, j] = getrs(lu, piv, -G[:, j])[0]
        else:  # exactly singular even when shifted: the least-squares step, as the batched path takes
            S[:, j] = -np.linalg.pinv(J[:, :, j] + shift * np.eye(n)) @ G[:, j]
    return S, det


def _solve_step(J: np.ndarray, G: np.ndarray, max_step: float | None,
                singular_det: float = SINGULAR_DET) -> tuple[np.ndarray, np.ndarray]:
    """The Newton step ``-J^{-1} G`` of every column and ``det J``; only :func:`damped_newton` calls it.

    ``J`` is ``(n, n, M)``, ``G`` ``(n, M)``.  Cramer's rule for ``n <= 2``,
    LAPACK above.  Where ``|det J| <= singular_det`` the step is taken with
    ``J + 1e-7 I`` (the determinant returned is the unshifted one, whose
    sign the cell rule reads).  Each component is clipped to ``max_step``.
    """
    n = G.shape[0]
    if n <= 2:
        if n == 1:
            det = J[0, 0].copy()
            a = np.where(np.abs(det) <= singular_det, det + 1e-7, det)
            S = -G / a
        else:
            a, b, c, d = J[0, 0], J[0, 1], J[1, 0], J[1, 1]
            det = a * d - b * c
            singular = np.abs(det) <= singular_det
            shifted = det
            if singular.any():
                a, d = np.where(singular, a + 1e-7, a), np.where(singular, d + 1e-7, d)
                shifted = a * d - b * c
            S = np.empty_like(G)
            inv = 1.0 / np.where(shifted == 0, 1.0, shifted)
            np.multiply(b * G[1] - d * G[0], inv, out=S[0])
            np.multiply(c * G[0] - a * G[1], inv, out=S[1])
            lost = np.flatnonzero(shifted == 0)
            if lost.size:   # exactly singular even when shifted: the least-squares step, as for n >= 3
                Jk = np.stack([np.stack([a[lost], b[lost]]), np.stack([c[lost], d[lost]])]).transpose(2, 0, 1)
                S[:, lost] = -(np.linalg.pinv(Jk) @ G[:, lost].T[..., None])[..., 0].T
    elif n > LU_LOOP_N:
        S, det = _lu_steps(J, G, singular_det)
    else:
        Jm = np.moveaxis(J, -1, 0).copy()  # (M, n, n), C order; a copy, so the shift never reaches the caller's J
        det = np.linalg.det(Jm)
        singular = np.abs(det) <= singular_det
        if singular.any():
            Jm[singular] += 1e-7 * np.eye(n)
        rhs = -np.ascontiguousarray(G.T)[..., None]
        try:
            S = np.linalg.solve(Jm, rhs)[..., 0].T
        except np.linalg.LinAlgError:
            S = (np.linalg.pinv(Jm) @ rhs)[..., 0].T
        S = np.ascontiguousarray(S)
    if max_step is not None:
        np.clip(S, -max_step, max_step, out=S)
    return S, det


def damped_newton(linearize: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
                  X0: Any, U: Any, *, tol: float, max_iter: int, step_tol: float = 1e-7,
                  refusals: int = 3, max_step: float | None = None,
                  box: tuple[Any, Any] | None = None, keep_sign: bool = False, patience: int | None = None,
                  restart: Callable[[np.ndarray], np.ndarray] | None = None,
                  restarts: int = 0, singular_det: float = SINGULAR_DET) -> NewtonResult:
    """Damped Newton on ``G(x, u) = 0`` for every column of ``X0`` at once.

    Parameters
    ----------
    linearize : callable
        ``linearize(X, U) -> (G, J)``: the residual ``(n, M)`` and its
        Jacobian ``dG/dx`` ``(n, n, M)`` at the columns of ``X`` (``U`` holds
        each column's parameters, ``(k, M)``).  Columns are points: small
        ``n`` is evaluated coordinate by coordinate on contiguous rows.
    X0, U : array_like, ``(n, N)`` and ``(k, N)`` (or ``(k, 1)``, broadcast)
        The starts and their parameters.
    tol, step_tol : float
        A column has converged once ``|G|_inf <= tol`` or its Newton step is
        at most ``step_tol`` (infinity norm).  Then one more full step is
        taken (quadratic convergence puts it at rounding level) and kept
        unless it raises the residual above ``max(tol, |G|_inf)``.
    max_iter : int
        Steps tried per column, each one evaluation of ``linearize`` (a
        refused step counts), after the evaluation at the start and before
        the polishing step.
    refusals : int
        A step must lower ``|G|_inf``; a refused one is retried at a quarter
        of its length in the next iteration.  After ``refusals`` refusals in
        a row the column is dropped (or restarted).
    max_step : float, optional
        Clip each component of the Newton step to ``[-max_step, max_step]``.
    box : (lo, hi), optional
        Keep the iterates in the box (each ``(n,)``), by clipping.
    keep_sign : bool
        A step must also keep the sign of ``det J``, so that each start
        converges inside its own cell of ``{det J != 0}`` (in 1-D: its own
        monotone piece of ``G``) instead of jumping to a neighbouring root.
    patience : int, optional
        Drop a column whose residual is not below ``2**-(k - patience)``
        after ``k > patience`` iterations (it is chasing a root that does
        not exist).
    restart, restarts : callable and int
        A dropped column starts again from ``restart(X)`` (its iterates
        ``(n, m)`` -> new starts ``(n, m)``), at most ``restarts`` times.
    singular_det : float
        ``|det J|`` at or below this counts as singular and the step is
        taken with ``J + 1e-7 I`` (default :data:`SINGULAR_DET`); 0 solves
        every nonsingular ``J`` as it is, however ill-conditioned, which is
        what converges (linearly) to a degenerate root.

    Returns
    -------
    NewtonResult
        ``x`` ``(n, N)``, ``residual`` ``(N,)`` and ``converged`` ``(N,)``.
        A column that did not converge keeps its last accepted iterate.
    """
    X = np.array(X0, dtype=float, ndmin=2)
    n, N = X.shape
    U = np.ascontiguousarray(np.broadcast_to(np.asarray(U, dtype=float), (np.shape(U)[0], N)))
    lo = hi = None
    if box is not None:
        lo, hi = (np.asarray(v, dtype=float).reshape(n, 1) for v in box)
        np.clip(X, lo, hi, out=X)
    U0 = U
    out_x, out_s = X.copy(), np.zeros((n, N))
    out_r, conv = np.full(N, np.nan), np.zeros(N, dtype=bool)
    idx = np.arange(N)

    def move(X: np.ndarray, step: np.ndarray) -> np.ndarray:
        X = X + step
        return X if box is None else np.clip(X, lo, hi, out=X)

    def evaluate(X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        G, J = linearize(X, U)
        S, det = _solve_step(J, G, max_step, singular_det)
        return _rowmax(np.abs(G)), S, det

    def settle(k: np.ndarray, idx: np.ndarray, X: np.ndarray, nrm: np.ndarray, S: np.ndarray,
               converged: bool) -> None:
        """Record the live columns ``k`` (input columns ``idx[k]``), and the polishing step of converged ones."""
        out_x[:, idx[k]], out_r[idx[k]], conv[idx[k]] = X.take(k, axis=1), nrm[k], converged
        if converged:
            out_s[:, idx[k]] = S.take(k, axis=1)

    with np.errstate(all="ignore"):
        nrm, S, det = evaluate(X, U)
        out_r[:] = np.where(np.isfinite(nrm), nrm, np.nan)  # NaN for a start where G is not finite
        sign = np.sign(det)
        lam = np.ones(N)  # 4**-(refusals in a row): exact powers of two
        dropped = 0.25 ** refusals
        restarted = np.zeros(N, dtype=np.int64)
        live = np.isfinite(nrm)
        for it in range(max_iter):
            Xn = move(X, lam * S)
            nn, Sn, detn = evaluate(Xn, U)
            ok = nn < nrm
            if keep_sign:
                ok &= detn * sign > 0
            X = np.where(ok, Xn, X)
            S = np.where(ok, Sn, S)
            nrm = np.where(ok, nn, nrm)
            lam = np.where(ok, 1.0, 0.25 * lam)
            done = live & ((nrm <= tol) | (_rowmax(np.abs(S)) <= step_tol))
            if done.any():
                settle(np.flatnonzero(done), idx, X, nrm, S, True)
                live &= ~done
            stuck = live & (lam <= dropped)
            if restart is not None and stuck.any():
                k = np.flatnonzero(stuck & (restarted < restarts))
                if k.size:
                    Xk = np.array(restart(X.take(k, axis=1)), dtype=float).reshape(n, k.size)
                    X[:, k] = Xk if box is None else np.clip(Xk, lo, hi)
                    nrm[k], S[:, k], dk = evaluate(X[:, k], U[:, k])
                    sign[k], lam[k] = np.sign(dk), 1.0
                    restarted[k] += 1
                    stuck[k] = False
            if patience is not None and it > patience:
                stuck |= live & ~(nrm < 0.5 ** (it - patience))
            if stuck.any():
                settle(np.flatnonzero(stuck), idx, X, nrm, S, False)
                live &= ~stuck
            alive = np.count_nonzero(live)
            if not alive:
                break
            if alive < 0.7 * live.size:  # compact the arrays to the live columns
                k = np.flatnonzero(live)
                idx, X, S, U = idx[k], X.take(k, axis=1), S.take(k, axis=1), U.take(k, axis=1)
                nrm, sign, lam, restarted = nrm[k], sign[k], lam[k], restarted[k]
                live = np.ones(alive, dtype=bool)
        k = np.flatnonzero(live)
        if k.size:  # out of iterations
            settle(k, idx, X, nrm, S, False)
        k = np.flatnonzero(conv)
        if k.size:  # the polishing step, kept unless it raises the residual above max(tol, |G|)
            Xp = move(out_x.take(k, axis=1), out_s.take(k, axis=1))
            rp = _rowmax(np.abs(linearize(Xp, U0.take(k, axis=1))[0]))
            better = rp <= np.maximum(out_r[k], tol)
            out_x[:, k[better]], out_r[k[better]] = Xp[:, better], rp[better]
    return NewtonResult(out_x, out_r, conv)


# -- the one merge -------------------------------------------------------------------
#: Elements of the largest temporary array :func:`merge_roots` forms.
MERGE_BLOCK = 1 << 22


def _close(A: np.ndarray, B: np.ndarray, sa: np.ndarray, sb: np.ndarray, tol: float) -> np.ndarray:
    """``|A - B|_inf <= tol max(sa, sb)`` for coordinate-major ``A``, ``B`` ``(n, ...)`` (False at NaN).

    The maximum is taken coordinate by coordinate: NumPy reduces a short last axis slowly.
    """
    d = np.abs(A[0] - B[0])
    for a, b in zip(A[1:], B[1:]):
        np.maximum(d, np.abs(a - b), out=d)
    return d <= tol * np.maximum(sa, sb)


def merge_roots(X: Any, tol: float) -> np.ndarray:
    """The distinct roots among candidates ``(..., S, n)``: ``(..., K, n)``, NaN-padded.

    Candidates with a NaN coordinate are skipped.  Two points ``x``, ``y``
    are one root when ``|x - y|_inf <= tol * max(1, |x|_inf, |y|_inf)``:
    absolute inside the unit box, relative beyond it, so the copies of a
    root at ``1e8`` (which agree only to rounding, ``~1e-8``) merge as
    those of a root at ``0.5`` do.  The candidates are taken in order and
    each one not within that distance of a root kept so far is kept (as a
    new root, in order of first occurrence), so the kept roots are pairwise
    farther apart than ``tol`` and every candidate lies within ``tol`` of
    one of them.  Every batch index (leading axes) is merged on its own;
    ``K`` is the largest count (at least 1).

    >>> merge_roots([[0.0], [1e-9], [0.5], [np.nan], [0.5 + 2e-7]], 1e-7).ravel().tolist()
    [0.0, 0.5, 0.5000002]
    """
    X = np.asarray(X, dtype=float)
    if X.ndim < 2:
        raise ShapeError(f"`X` must have shape (..., S, n); got shape {X.shape}.")
    lead, (S, n) = X.shape[:-2], X.shape[-2:]
    C = np.moveaxis(X.reshape(-1, S, n), -1, 0).copy()              # (n, P, S): contiguous per coordinate
    P = C.shape[1]
    valid = np.isfinite(C).all(axis=0)
    scale = np.ones((P, S))
    for c in C:
        np.maximum(scale, np.abs(np.where(valid, c, 0.0)), out=scale)
    roots = np.full((n, P, S), np.nan)
    rscale = np.ones((P, S))
    count = np.zeros(P, dtype=np.int64)
    start = 0
    with np.errstate(invalid="ignore"):
        while start < S:
            K = int(count.max(initial=0))
            stop = start + int(np.clip(MERGE_BLOCK // max(1, P * n * max(K, 1)), 1, S - start))
            B, sB = C[:, :, start:stop], scale[:, start:stop]
            alive = valid[:, start:stop].copy()
            if K:  # settle the block against the roots kept so far
                alive &= ~_close(B[..., None], roots[:, :, None, :K], sB[..., None], rscale[:, None, :K],
                                 tol).any(axis=-1)
            for t in np.flatnonzero(alive.any(axis=0)):  # then in order within the block
                keep = alive[:, t]
                new = np.flatnonzero(keep)
                if not new.size:
                    continue
                roots[:, new, count[new]], rscale[new, count[new]] = B[:, new, t], sB[new, t]
                count[new] += 1
                if t + 1 < B.shape[-1]:
                    alive[:, t + 1:] &= ~(_close(B[:, :, t + 1:], B[:, :, t, None], sB[:, t + 1:], sB[:, t, None], tol)
                                          & keep[:, None])
            start = stop
    K = max(1, int(count.max(initial=0)))
    return np.moveaxis(roots[:, :, :K], 0, -1).reshape(*lead, K, n)
