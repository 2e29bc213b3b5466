"""The Hautus scores behind :func:`rnnsym.linear.controllability.is_controllable` (private).

One real Schur form per system (LAPACK ``dgees``), and the eigenvalues and
left and right eigenvectors of its quasi-triangular factor (``dgeev`` of
``T``, nearly free): together about the cost of one ``dgeev`` of ``A``.
Then, vectorised over the eigenvalues and over a stack of systems of one
shape (``A`` and ``B`` scaled to unit 1-norm):

- the raw score ``|w^H B| / (|w| ||B||_2)`` of every eigenvalue;
- a first-order bound ``e`` on how far a backward error ``u = n eps ||A||_F``
  can move it, ``u sum_j kappa_j / |lam_i - lam_j|`` over the other
  eigenvalues, with a cluster counted as a whole (``u ||P_C|| ||(lam_i -
  S_C)^{-1}||``, its spectral projector and Schur block) instead of through
  the meaningless condition numbers of its members;
- a certificate ``sqrt(|w^H (A - lam I)|^2 + |w^H B|^2)`` (``|w| = 1``): an
  upper bound of ``sigma_min([A - lam I, B])``, so one below ``tol`` (over a
  lower bound of ``sigma_1``) proves the PBH score below ``tol``;
- clusters: eigenvalues within ``1e-6`` (relative) of each other, or whose
  uncertainty discs ``u kappa`` overlap (ten radii), the discs capped at the
  spread ``2 eps^(1/min(n, 8))`` of a perturbed Jordan block of size
  ``<= 8`` (the largest allowed for).

A raw score is kept where it exceeds ``100 tol`` and ``100 e`` and its left
eigenvector's residual is at most ``u``; otherwise the certificate where it
is below ``tol``, else the PBH score (one SVD).  Most systems stop there.

A cluster is moved to the bottom of the Schur form (``dtrsen``): its rows of
``Z^T`` span its left invariant subspace and cut out a small pair ``(S, b)``,
uncontrollable exactly where the whole pair is at the cluster's eigenvalues,
whose PBH scores bound the whole pair's from above.  It is scored at the mean
of its eigenvalues (the accurate centre of a perturbed Jordan block), at the
eigenvalues and means of the part that the controller-Hessenberg staircase
of ``(S, b)`` cuts off at a tiny subdiagonal (an uncontrollable eigenvalue
hidden inside a perturbed Jordan block), by its members' certificates, and
at its eigenvalues where they could score below ``tol`` (``sigma_min`` is
1-Lipschitz in ``lam``); while no score is below
``tol``, a best real candidate within ``100 tol`` is refined on the real
line within ``1e-4 scale`` where that can reach ``tol``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack
from scipy.optimize import linear_sum_assignment, minimize_scalar

EPS = float(np.finfo(float).eps)
#: Largest Jordan block the clustering allows for (its spread is ``eps^(1/size)``).
MAX_BLOCK = 8
#: A raw score is kept when it exceeds this many times its first-order error bound.
TRUST = 100.0
#: Eigenvalues whose uncertainty discs ``u kappa`` come within this many radii form one cluster.
COALESCE = 10.0
#: Half-width (relative to the spectral scale) of the refinement around a real candidate.
REFINE = 1e-4
#: Entries (systems x n x n) processed at once.
CHUNK = 1 << 20


def hautus(As: list[np.ndarray], Bs: list[np.ndarray], tol: float,
           pbh: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(scores, eigenvalues of A)`` of each pair; the scores are those of ``A`` and ``B`` scaled to unit 1-norm.

    ``pbh=True`` gives every eigenvalue its PBH score (an SVD each) instead of its raw score.
    """
    out: list[Any] = [None] * len(As)
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (A, B) in enumerate(zip(As, Bs)):
        groups.setdefault((A.shape[0], B.shape[1]), []).append(k)
    for (n, _), index in groups.items():
        step = max(1, CHUNK // max(n * n, 1))
        for start in range(0, len(index), step):
            part = index[start:start + step]
            A = np.stack([As[k] for k in part]).astype(float)
            B = np.stack([Bs[k] for k in part]).astype(float)
            for k, result in zip(part, _stack(A, B, tol, pbh)):
                out[k] = result
    return out


def _stack(A: np.ndarray, B: np.ndarray, tol: float, pbh: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    N, n, m = B.shape
    a = np.abs(A).sum(axis=1).max(axis=1)
    b = np.abs(B).sum(axis=1).max(axis=1)
    A = A / np.where(a > 0, a, 1.0)[:, None, None]
    B = B / np.where(b > 0, b, 1.0)[:, None, None]
    WR, WI, VL, VR, T, Z, TW = _eig(A)
    lam = WR + 1j * WI
    # complex pairs are packed as (re, im) columns: index of the other column of the pair
    first, second = WI > 0, WI < 0
    other = np.arange(n) + first - second
    take = np.take_along_axis
    G = VL.transpose(0, 2, 1)                                # packed left eigenvectors, as rows
    Gother = take(G, other[:, :, None], axis=1)
    sq = np.sum((G @ B) ** 2, axis=2)
    sq = sq + np.where(WI != 0, take(sq, other, axis=1), 0.0)  # |w^H B|^2 with w = re + i im
    bnorm = np.linalg.norm(B[:, :, 0], axis=1) if m == 1 else np.linalg.norm(B, 2, axis=(1, 2))
    raw = np.sqrt(sq) / np.where(bnorm > 0, bnorm, 1.0)[:, None]
    d1 = np.einsum("kij,kij->kj", VL, VR)
    d2 = np.einsum("kij,kij->kj", VL, take(VR, other[:, None, :], axis=2))
    sign = np.where(first, 1.0, -1.0)
    overlap = np.where(WI != 0, np.hypot(d1 + take(d1, other, axis=1), sign * (d2 - take(d2, other, axis=1))),
                       np.abs(d1))
    R = G @ A
    re = R - WR[:, :, None] * G - WI[:, :, None] * Gother * sign[:, :, None]
    im = (-take(R, other[:, :, None], axis=1) - WI[:, :, None] * sign[:, :, None] * G
          + WR[:, :, None] * Gother) * (WI != 0)[:, :, None]
    residual = np.sqrt(np.sum(re ** 2, axis=2) + np.sum(im ** 2, axis=2))
    residual = np.where(second, take(residual, other, axis=1), residual)
    u = n * EPS * np.linalg.norm(A, axis=(1, 2))
    scale = np.maximum(1.0, np.abs(lam).max(axis=1))
    dist = np.abs(lam[:, :, None] - lam[:, None, :])
    dist[:, np.arange(n), np.arange(n)] = np.inf
    spread = 2 * EPS ** (1 / min(n, MAX_BLOCK)) * scale
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        kappa = 1.0 / overlap                                 # dgeev's vectors have unit norm
        rho = np.nan_to_num(u[:, None] * kappa, nan=np.inf)
        reach = np.minimum(COALESCE * (rho[:, :, None] + rho[:, None, :]), spread[:, None, None])
        adjacent = dist <= np.maximum(1e-6 * scale[:, None, None], reach)
        error = u[:, None] * np.nan_to_num(kappa[:, None, :] / dist, nan=np.inf).sum(axis=2)
    # the certificate: |[w^H (A - lam I), w^H B]| >= sigma_min([A - lam I, B]), over a lower bound of sigma_1
    colnorm2, diag = np.sum(A * A, axis=1), np.diagonal(A, axis1=1, axis2=2)
    bmax = np.sqrt(np.sum(B * B, axis=1).max(axis=1))
    top = colnorm2[:, None, :] - 2 * (lam.conj()[:, :, None] * diag[:, None, :]).real + np.abs(lam)[:, :, None] ** 2
    top = np.maximum(np.sqrt(np.maximum(top.max(axis=2), 0.0)), bmax[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        cert = np.nan_to_num(np.sqrt(residual ** 2 + sq) / top, nan=np.inf)
    ok = (raw > 100 * tol) & (residual <= u[:, None])
    base = np.where(ok & (raw > TRUST * error), raw, np.where(cert <= tol, cert, np.nan))
    easy = ~adjacent.any(axis=(1, 2)) & ~np.isnan(base).any(axis=1)
    results = []
    unit = lam * np.where(a > 0, a, 1.0)[:, None]  # the eigenvalues of A itself
    for k in range(N):
        if bnorm[k] == 0:
            results.append((np.zeros(n), unit[k]))
        elif easy[k] and not pbh:
            results.append((base[k], unit[k]))
        else:
            system = _System(A[k], B[k], lam[k], raw[k], kappa[k], u[k], scale[k], tol, (T[k], Z[k], TW[k]),
                             (colnorm2[k], diag[k], float(bmax[k])))
            results.append((system.scores(adjacent[k], dist[k], ok[k], error[k], cert[k], pbh), unit[k]))
    return results


def _eig(A: np.ndarray) -> tuple[np.ndarray, ...]:
    """Real Schur form ``A = Z T Z^T`` (``dgees``) of each matrix of the stack, then ``dgeev`` of ``T``
    (nearly free: ``T`` is already quasi-triangular): ``wr, wi``, the packed left and right
    eigenvectors of ``A`` (``Z`` times those of ``T``), ``T``, ``Z`` and the eigenvalues of ``T``
    in its own order."""
    N, n, _ = A.shape
    WR, WI, VL, VR = np.empty((N, n)), np.empty((N, n)), np.empty((N, n, n)), np.empty((N, n, n))
    T, Z, TW = np.empty((N, n, n)), np.empty((N, n, n)), np.empty((N, n), complex)
    for k in range(N):
        t, _, wr, wi, z, _, info = lapack.dgees(lambda x, y: None, A[k])
        if info == 0:
            WR[k], WI[k], VL[k], VR[k], info = lapack.dgeev(t, compute_vl=1, compute_vr=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"the eigenvalue computation did not converge (LAPACK info={info})")
        T[k], Z[k], TW[k] = t, z, wr + 1j * wi
    return WR, WI, Z @ VL, Z @ VR, T, Z, TW


class _System:
    """The scores of one pair (scaled) that needs more than its raw scores."""

    def __init__(self, A: np.ndarray, B: np.ndarray, lam: np.ndarray, raw: np.ndarray, kappa: np.ndarray,
                 u: float, scale: float, tol: float, schur: tuple[np.ndarray, np.ndarray, np.ndarray],
                 columns: tuple[np.ndarray, np.ndarray, float]) -> None:
        self.A, self.B, self.lam, self.raw, self.kappa = A, B, lam, raw, kappa
        self.u, self.scale, self.tol = u, scale, tol
        self.T, self.Z, self.TW = schur  # A = Z T Z^T; TW: the eigenvalues in T's order
        self.colnorm2, self.diag, self.bmax = columns  # squared column norms and diagonal of A, max |B e_j|

    def colmax(self, z: np.ndarray) -> np.ndarray:
        """The largest column norm of ``[A - z I, B]`` for each ``z`` (at most its ``sigma_1``)."""
        z = np.atleast_1d(z)
        cols = self.colnorm2[None, :] - 2 * (np.conj(z)[:, None] * self.diag[None, :]).real + \
            np.abs(z)[:, None] ** 2
        return np.maximum(np.sqrt(np.maximum(cols.max(axis=1), 0.0)), self.bmax)

    def scores(self, adjacent: np.ndarray, dist: np.ndarray, ok: np.ndarray, error: np.ndarray,
               cert: np.ndarray, pbh: bool) -> np.ndarray:
        """Raw scores where ``ok`` (above ``100 tol``, small residual) and far above ``error``; else better ones."""
        n, tol = len(self.lam), self.tol
        member = np.zeros(n, bool)
        found: list[tuple] = []
        if adjacent.any():
            labels = _components(adjacent)
            counts = np.bincount(labels, minlength=n)
            member = counts[labels] > 1
            found, bound = self._clusters([np.flatnonzero(labels == c) for c in np.flatnonzero(counts > 1)],
                                          cert)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                error = np.full(n, np.inf)
                single = ~member
                error[single] = self.u * (
                    np.nan_to_num(self.kappa[single] / dist[np.ix_(single, single)], nan=np.inf).sum(axis=1)
                    + bound(self.lam[single]))
        trusted = ok & ~member & (self.raw > TRUST * error)
        check = ~member & ~trusted & (cert > tol)
        scores = np.where(trusted, self.raw, cert)
        refine: list[tuple] = []
        if check.any():
            index = np.flatnonzero(check)
            scores[index] = _pbh_ratios(self.A, self.B, self.lam[index])
            refine += [(np.array([i]), complex(self.lam[i]), None) for i in index if self.kappa[i] > 1e3]
        for index, score, z, small in found:
            scores[index] = score
            refine.append((index, z, small))
        if pbh:
            full = _pbh_ratios(self.A, self.B, self.lam)
            scores = np.where(member, np.minimum(full, scores), full)
        if scores.min() > tol:  # the decision is still open: refine the real candidates near tol
            for index, z, small in refine:
                current = float(scores[index].min())
                if current <= 100 * tol:
                    scores[index] = np.minimum(scores[index], self._refined(z, current, small))
        return scores

    # ------------------------------------------------------------ clusters
    def _clusters(self, clusters: list[np.ndarray], cert: np.ndarray) -> tuple[list[tuple], Any]:
        """``(members, score, best candidate, small pair)`` of each cluster, and ``bound``.

        The clusters are moved to the bottom of the Schur form together (one ``dtrsen``): the
        small pair ``(S, b)`` they cut out scores the candidates of all of them.  ``bound(z)``
        bounds ``||sum_j P_j / (z - lam_j)||`` over the clusters' eigenvalues (``P_j`` the
        spectral projectors), their share of the first-order error of the others' left
        eigenvectors: ``||(z - A)^{-1} P|| <= ||P|| ||(z - S)^{-1}||`` (``P`` the clusters'
        spectral projector, its norm from ``dtrsen``; the resolvent exactly).
        """
        n = len(self.lam)
        label = np.full(n, -1)
        for c, index in enumerate(clusters):
            label[index] = c
        members = np.flatnonzero(label >= 0)
        centres = np.array([self.lam[index].mean() for index in clusters])
        inside = self._positions(label, len(clusters)) >= 0
        S, b, eig, condition = _trailing(self.T, self.Z, self.B, inside)
        if abs(eig.sum() - self.lam[members].sum()) > 1e-6 * self.scale * len(members):
            for index, centre in zip(clusters, centres):  # matched to the wrong eigenvalues: widen
                inside |= np.abs(self.TW - centre) <= 1.5 * np.abs(self.lam[index] - centre).max() + 1e-6 * self.scale
            S, b, eig, condition = _trailing(self.T, self.Z, self.B, inside)

        def owner(z: np.ndarray) -> np.ndarray:  # the cluster of the nearest member
            return label[members[np.argmin(np.abs(z[:, None] - self.lam[None, members]), axis=1)]]

        # the means and the cut-off part first; the eigenvalues (sigma_min is 1-Lipschitz in z)
        # only of clusters where one of them could score below tol
        tail = _staircase(S, b)
        candidates = np.concatenate([centres, tail])
        owners = np.concatenate([np.arange(len(clusters)), owner(tail)])
        top = self.colmax(candidates)
        ratio = _sigma_min(S, b, candidates) / top
        radius = np.array([np.abs(self.lam[index] - centre).max() for index, centre in zip(clusters, centres)])
        best = np.full(len(clusters), np.inf)
        np.minimum.at(best, owners, ratio)
        near = ((ratio[: len(clusters)] * top[: len(clusters)] - radius) / (top[: len(clusters)] + radius)
                <= self.tol) & (best > self.tol)
        if near.any():
            extra = eig[np.isin(owner(eig), np.flatnonzero(near))]
            candidates, owners = np.append(candidates, extra), np.append(owners, owner(extra))
            ratio = np.append(ratio, _sigma_min(S, b, extra) / self.colmax(extra))
        out = []
        for c, index in enumerate(clusters):
            mine = np.flatnonzero(owners == c)
            best = mine[np.argmin(ratio[mine])]
            z, score = complex(candidates[best]), min(float(ratio[best]), float(cert[index].min()), 1.0)
            if self.tol < score < 100 * self.tol:
                score = min(score, float(_pbh_ratios(self.A, self.B, np.array([z]))[0]))
            out.append((index, score, z, (S, b)))

        def bound(z: np.ndarray) -> np.ndarray:
            return _resolvent(S, z) / max(condition, 1e-300)
        return out, bound

    def _positions(self, label: np.ndarray, count: int) -> np.ndarray:
        """The label of each eigenvalue of the Schur form (in its order), matched to ``lam``'s labels."""
        gap = np.abs(self.TW[:, None] - self.lam[None, :])
        assigned = label[np.argmin(gap, axis=1)]
        if any(np.sum(assigned == c) != np.sum(label == c) for c in range(count)):
            rows, cols = linear_sum_assignment(gap)
            assigned = label[cols[np.argsort(rows)]]
        return assigned

    def _refined(self, z: complex, score: float, small: tuple | None) -> float:
        """The smallest PBH score on the real line within ``REFINE scale`` of a real ``z``, where it can reach tol.

        ``sigma_min`` and the largest column norm move by at most ``|dz|``, so when
        ``(sigma(z) - r) / (colmax(z) + r) > tol`` nothing within ``r`` reaches ``tol``.
        """
        if abs(z.imag) > 1e-12 * self.scale:
            return score
        centre, radius = z.real, REFINE * self.scale
        if small is None:
            def ratio(x: float) -> float:
                return float(_pbh_ratios(self.A, self.B, np.array([x]))[0])
            top = float(sla.svdvals(np.hstack([self.A - centre * np.eye(len(self.A)), self.B]))[0])
        else:
            S, b = small

            def ratio(x: float) -> float:
                return float(_sigma_min(S, b, np.array([x]))[0] / self.colmax(np.array([x]))[0])
            top = float(self.colmax(np.array([centre]))[0])
        if (score * top - radius) / (top + radius) > self.tol:
            return score
        found = minimize_scalar(ratio, bounds=(centre - radius, centre + radius), method="bounded",
                                options={"xatol": 1e-16 * self.scale, "maxiter": 80})
        return min(score, float(found.fun))


# ----------------------------------------------------------------- helpers
def _components(adjacent: np.ndarray) -> np.ndarray:
    """Connected-component labels (the smallest index in each) of a symmetric adjacency matrix."""
    n = adjacent.shape[0]
    labels = np.arange(n)
    while True:
        new = np.minimum(labels, np.where(adjacent, labels[None, :], n).min(axis=1))
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new


def _trailing(T: np.ndarray, Z: np.ndarray, B: np.ndarray, inside: np.ndarray) -> tuple:
    """The Schur block of the ``inside`` eigenvalues moved last: ``(S, Z2^T B, eig(S), 1/||P||)``."""
    n = T.shape[0]
    if inside.all():
        return T, Z.T @ B, np.linalg.eigvals(T), 1.0
    select = (~inside).astype(np.int32)
    ts, qs, wr, wi, leading, s, _, info = lapack.dtrsen(select, T, Z, job="E", lwork=max(1, n * n))
    if info != 0:  # the eigenvalues could not be swapped: keep the whole form
        return T, Z.T @ B, np.linalg.eigvals(T), 1.0
    k = n - int(leading)  # the reordering moves both eigenvalues of a complex pair
    return ts[-k:, -k:], qs[:, -k:].T @ B, (wr + 1j * wi)[-k:], float(s)


def _resolvent(S: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``||(z I - S)^{-1}||`` for each ``z``: the Frobenius norm of the inverse (at least the 2-norm),
    or ``1 / sigma_min`` where some ``z`` is an eigenvalue of ``S`` (``inf`` there)."""
    M = z[:, None, None] * np.eye(len(S)) - S[None]
    try:
        return np.sqrt(np.sum(np.abs(np.linalg.inv(M)) ** 2, axis=(1, 2)))
    except np.linalg.LinAlgError:
        with np.errstate(divide="ignore"):
            return 1.0 / np.linalg.svd(M, compute_uv=False)[:, -1]


def _means(lam: np.ndarray, within: float) -> np.ndarray:
    """Means of each eigenvalue and its nearest ``1 .. MAX_BLOCK - 1`` others (within ``within``)."""
    k = len(lam)
    if k < 3:
        return np.zeros(0, complex)
    d = np.abs(lam[:, None] - lam[None, :])
    order = np.argsort(d, axis=1, kind="stable")
    means = np.cumsum(lam[order], axis=1) / np.arange(1, k + 1)
    keep = (np.take_along_axis(d, order, axis=1) <= within) & (np.arange(k) >= 1) & (np.arange(k) < MAX_BLOCK)
    return means[keep]


def _staircase(S: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Eigenvalues (and means) of the part of ``(S, b)`` cut off at the smallest subdiagonal of its
    controller-Hessenberg form, when that is below ``1e-6 ||S||_F``: the uncontrollable part (for
    ``m > 1`` the input direction of ``b``'s largest singular value stands for ``b``)."""
    k, m = b.shape
    if k < 2:
        return np.zeros(0, complex)
    v = b[:, 0] if m == 1 else b @ np.linalg.svd(b)[2][0].conj()
    beta = float(np.linalg.norm(v))
    if beta == 0:
        return np.zeros(0, complex)
    w = v.copy()
    w[0] += beta * (v[0] / abs(v[0]) if v[0] != 0 else 1.0)
    H = np.eye(k) - 2 * np.outer(w, w.conj()) / np.vdot(w, w).real
    gehrd = lapack.zgehrd if np.iscomplexobj(S) or np.iscomplexobj(H) else lapack.dgehrd
    h = np.triu(gehrd(H @ S @ H.conj().T)[0], -1)
    sub = np.abs(np.diag(h, -1))
    cut = int(np.argmin(sub)) + 1
    if sub[cut - 1] > 1e-6 * np.linalg.norm(h):  # no part is nearly cut off
        return np.zeros(0, complex)
    tail = np.linalg.eigvals(h[cut:, cut:])
    return np.concatenate([tail, [tail.mean()], _means(tail, np.inf)])


def _sigma_min(S: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``sigma_min([S - z I, b])`` for each ``z`` (in real arithmetic where every ``z`` is real)."""
    k = S.shape[0]
    z = np.asarray(z, dtype=complex)
    shifts = z.real if np.all(z.imag == 0) else z
    M = np.empty((len(z), k, k + b.shape[1]), dtype=np.result_type(S, b, shifts))
    M[:, :, :k] = S
    M[:, np.arange(k), np.arange(k)] -= shifts[:, None]
    M[:, :, k:] = b
    return np.linalg.svd(M, compute_uv=False)[:, -1]


def _pbh_ratios(A: np.ndarray, B: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``sigma_n / sigma_1`` of ``[A - z I, B]`` for each ``z``: real ``z`` in real arithmetic, each
    complex pair once (the same singular values at ``conj(z)``), chunks of about 2^21 entries."""
    n = A.shape[0]
    z = np.atleast_1d(np.asarray(z, dtype=complex))
    key = np.where(z.imag < 0, z.conj(), z)
    unique, inverse = np.unique(key, return_inverse=True)
    out = np.empty(len(unique))
    for part in (np.flatnonzero(unique.imag == 0), np.flatnonzero(unique.imag != 0)):
        shifts = unique[part].real if part.size and np.all(unique[part].imag == 0) else unique[part]
        step = max(1, (1 << 21) // (n * (n + B.shape[1])))
        for start in range(0, len(part), step):
            chunk = shifts[start:start + step]
            M = np.concatenate([A[None] - chunk[:, None, None] * np.eye(n),
                                np.broadcast_to(B, (len(chunk),) + B.shape)], axis=2)
            sv = np.linalg.svd(M, compute_uv=False)
            top = np.where(sv[:, 0] > 0, sv[:, 0], 1.0)
            out[part[start:start + step]] = np.where(sv[:, 0] > 0, sv[:, n - 1] / top, 0.0)
    return out[inverse.reshape(-1)]
