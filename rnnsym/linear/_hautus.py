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

The systems of a stack that need more than their raw scores are scored
together (:class:`_Batch`): clusters, candidates, resolvent bounds and PBH
scores as stacks over all of them, grouped by the size of the small pair;
the only loops over systems are LAPACK calls (``dgees``, ``dgeev``,
``dtrsen``, ``dgehrd``) and the rare branches (widened cluster matching,
near candidates, refinement).  A system's scores do not depend on the
others in its stack.
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


def hautus(As: list[np.ndarray] | np.ndarray, Bs: list[np.ndarray] | np.ndarray, tol: float,
           pbh: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(scores, eigenvalues of A)`` of each pair; the scores are those of ``A`` and ``B`` scaled to unit 1-norm.

    ``As`` and ``Bs``: lists of float arrays, or float stacks ``(N, n, n)`` and ``(N, n, m)``.
    ``pbh=True`` gives every eigenvalue its PBH score (an SVD each) instead of its raw score.
    """
    if isinstance(As, np.ndarray) and isinstance(Bs, np.ndarray):
        step = max(1, CHUNK // max(As.shape[1] ** 2, 1))
        return [result for start in range(0, len(As), step)
                for result in _stack(As[start:start + step], Bs[start:start + step], tol, pbh)]
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
    rows = np.arange(N)[:, None]                             # X[rows, other]: the other column's entries
    G = VL.transpose(0, 2, 1)                                # packed left eigenvectors, as rows
    Gother = G[rows, other]
    sq = np.sum((G @ B) ** 2, axis=2)
    sq = sq + np.where(WI != 0, sq[rows, other], 0.0)        # |w^H B|^2 with w = re + i im
    bnorm = np.sqrt(np.sum(B[:, :, 0] ** 2, axis=1)) if m == 1 else np.linalg.norm(B, 2, axis=(1, 2))
    raw = np.sqrt(sq) / np.where(bnorm > 0, bnorm, 1.0)[:, None]
    d1 = np.einsum("kij,kij->kj", VL, VR)
    d2 = np.einsum("kij,kji->kj", VL, VR.transpose(0, 2, 1)[rows, other])
    sign = np.where(first, 1.0, -1.0)
    overlap = np.where(WI != 0, np.hypot(d1 + d1[rows, other], sign * (d2 - d2[rows, other])), np.abs(d1))
    R = G @ A
    re = R - WR[:, :, None] * G - WI[:, :, None] * Gother * sign[:, :, None]
    im = (-R[rows, other] - WI[:, :, None] * sign[:, :, None] * G
          + WR[:, :, None] * Gother) * (WI != 0)[:, :, None]
    residual = np.sqrt(np.sum(re ** 2, axis=2) + np.sum(im ** 2, axis=2))
    residual = np.where(second, residual[rows, other], residual)
    u = n * EPS * np.sqrt(np.sum(A * A, axis=(1, 2)))
    scale = np.maximum(1.0, np.abs(lam).max(axis=1))
    dist = np.abs(lam[:, :, None] - lam[:, None, :])
    dist[:, np.arange(n), np.arange(n)] = np.inf
    spread = 2 * EPS ** (1 / min(n, MAX_BLOCK)) * scale
    # the certificate: |[w^H (A - lam I), w^H B]| >= sigma_min([A - lam I, B]), over a lower bound of sigma_1
    colnorm2, diag = np.sum(A * A, axis=1), np.diagonal(A, axis1=1, axis2=2)
    bmax = np.sqrt(np.sum(B * B, axis=1).max(axis=1))
    top = colnorm2[:, None, :] - 2 * (lam.conj()[:, :, None] * diag[:, None, :]).real + np.abs(lam)[:, :, None] ** 2
    top = np.maximum(np.sqrt(np.maximum(top.max(axis=2), 0.0)), bmax[:, None])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        kappa = 1.0 / overlap                                 # dgeev's vectors have unit norm
        rho = _nan_inf(u[:, None] * kappa)
        reach = np.minimum(COALESCE * (rho[:, :, None] + rho[:, None, :]), spread[:, None, None])
        adjacent = dist <= np.maximum(1e-6 * scale[:, None, None], reach)
        error = u[:, None] * _nan_inf(kappa[:, None, :] / dist).sum(axis=2)
        cert = _nan_inf(np.sqrt(residual ** 2 + sq) / top)
    ok = (raw > 100 * tol) & (residual <= u[:, None])
    base = np.where(ok & (raw > TRUST * error), raw, np.where(cert <= tol, cert, np.nan))
    easy = ~adjacent.any(axis=(1, 2)) & ~np.isnan(base).any(axis=1)
    unit = lam * np.where(a > 0, a, 1.0)[:, None]  # the eigenvalues of A itself
    scores = np.where(bnorm[:, None] > 0, base, 0.0)
    hard = np.flatnonzero((bnorm > 0) & (~easy | pbh))
    if hard.size:  # together: no Python loop over eigenvalues, and none over systems but LAPACK calls
        batch = _Batch(A[hard], B[hard], lam[hard], raw[hard], kappa[hard], u[hard], scale[hard], tol,
                       (T[hard], Z[hard], TW[hard]), (colnorm2[hard], diag[hard], bmax[hard]), other[hard])
        scores[hard] = batch.scores(adjacent[hard], dist[hard], ok[hard], error[hard], cert[hard], pbh)
    return [(scores[k], unit[k]) for k in range(N)]


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


class _Batch:
    """The scores of the pairs (scaled, of one shape) that need more than their raw scores, together."""

    def __init__(self, A: np.ndarray, B: np.ndarray, lam: np.ndarray, raw: np.ndarray, kappa: np.ndarray,
                 u: np.ndarray, scale: np.ndarray, tol: float, schur: tuple[np.ndarray, np.ndarray, np.ndarray],
                 columns: tuple[np.ndarray, np.ndarray, np.ndarray], other: np.ndarray) -> None:
        self.A, self.B, self.lam, self.raw, self.kappa = A, B, lam, raw, kappa
        self.other = other  # the index of each eigenvalue's conjugate (itself where real)
        self.u, self.scale, self.tol = u, scale, tol
        self.T, self.Z, self.TW = schur  # A = Z T Z^T; TW: the eigenvalues in T's order
        self.colnorm2, self.diag, self.bmax = columns  # squared column norms and diagonal of A, max |B e_j|

    def colmax(self, s: np.ndarray, z: np.ndarray) -> np.ndarray:
        """The largest column norm of ``[A_s - z I, B_s]`` for each pair ``(s, z)`` (at most its ``sigma_1``)."""
        cols = self.colnorm2[s] - 2 * (np.conj(z)[:, None] * self.diag[s]).real + np.abs(z)[:, None] ** 2
        return np.maximum(np.sqrt(np.maximum(cols.max(axis=1), 0.0)), self.bmax[s])

    def scores(self, adjacent: np.ndarray, dist: np.ndarray, ok: np.ndarray, error: np.ndarray,
               cert: np.ndarray, pbh: bool) -> np.ndarray:
        """Raw scores where ``ok`` (above ``100 tol``, small residual) and far above ``error``; else better ones."""
        tol, lam = self.tol, self.lam
        labels = _components(adjacent)
        same = labels[:, :, None] == labels[:, None, :]
        member = same.sum(axis=2) > 1
        clustered = np.flatnonzero(member.any(axis=1))
        if clustered.size:
            single = ~member[clustered]
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                terms = _nan_inf(self.kappa[clustered][:, None, :] / dist[clustered])
                terms = np.where(single[:, None, :], terms, 0.0).sum(axis=2)
                # the singles whose trust hangs on the clusters' bound (the others fail without it)
                need = single & ok[clustered] & (self.raw[clustered] > TRUST * self.u[clustered, None] * terms)
                need |= need[np.arange(len(clustered))[:, None], self.other[clustered]]  # with the conjugates
                cscore, cz, small, bound = self._clusters(clustered, labels[clustered], member[clustered],
                                                          same[clustered], cert[clustered], need)
                error = error.copy()
                error[clustered] = np.where(single, self.u[clustered, None] * (terms + bound), np.inf)
        trusted = ok & ~member & (self.raw > TRUST * error)
        check = ~member & ~trusted & (cert > tol)
        scores = np.where(trusted, self.raw, cert)
        s, i = np.nonzero(check)
        if s.size:
            scores[s, i] = _pbh_ratios(self.A, self.B, lam[s, i], s)
        if clustered.size:
            scores[clustered] = np.where(member[clustered],
                                         cscore[np.arange(len(clustered))[:, None], labels[clustered]], scores[clustered])
        if pbh:
            s, i = np.nonzero(np.ones(lam.shape, bool))
            full = _pbh_ratios(self.A, self.B, lam[s, i], s).reshape(lam.shape)
            scores = np.where(member, np.minimum(full, scores), full)
        # the decision is still open: refine the real candidates near tol (ill-conditioned singles, clusters)
        open_ = scores.min(axis=1) > tol
        s, i = np.nonzero(check & open_[:, None] & (self.kappa > 1e3) & (scores <= 100 * tol))
        for k, j in zip(s, i):
            scores[k, j] = min(scores[k, j], self._refined(int(k), complex(lam[k, j]), float(scores[k, j]), None))
        if clustered.size:
            current = np.where(same[clustered], scores[clustered][:, None, :], np.inf).min(axis=2)
            root = member[clustered] & (labels[clustered] == np.arange(lam.shape[1]))
            for h, r in zip(*np.nonzero(root & open_[clustered][:, None] & (current <= 100 * tol))):
                k, index = clustered[h], labels[clustered[h]] == r
                scores[k, index] = np.minimum(scores[k, index],
                                              self._refined(int(k), complex(cz[h, r]), float(current[h, r]), small[h]))
        return scores

    # ------------------------------------------------------------ clusters
    def _clusters(self, systems: np.ndarray, labels: np.ndarray, member: np.ndarray, same: np.ndarray,
                  cert: np.ndarray, need: np.ndarray) -> tuple[np.ndarray, np.ndarray, list, np.ndarray]:
        """Each cluster's score and best candidate (at its root, the member of smallest index), each
        system's small pair ``(S, b)``, and ``bound`` at the single eigenvalues that ``need`` it (0 elsewhere).

        A system's clusters are moved to the bottom of its Schur form together (one ``dtrsen``): the
        small pair ``(S, b)`` they cut out scores the candidates of all of them.  ``bound`` is
        ``||sum_j P_j / (z - lam_j)||`` over the clusters' eigenvalues (``P_j`` the spectral
        projectors), their share of the first-order error of the others' left eigenvectors:
        ``||(z - A)^{-1} P|| <= ||P|| ||(z - S)^{-1}||`` (``P`` the clusters' spectral projector, its
        norm from ``dtrsen``; the resolvent exactly).
        """
        H, n = labels.shape
        lam, TW, scale = self.lam[systems], self.TW[systems], self.scale[systems]
        centre = np.where(same, lam[:, None, :], 0.0).sum(axis=2) / same.sum(axis=2)  # each one's cluster mean
        radius = np.where(same, np.abs(lam - centre)[:, None, :], 0.0).max(axis=2)
        lowcert = np.where(same, cert[:, None, :], np.inf).min(axis=2)
        root = member & (labels == np.arange(n))
        label = np.where(member, labels, -1)
        # the label of each eigenvalue of the Schur form (in its order), matched to lam's labels
        gap = np.abs(TW[:, :, None] - lam[:, None, :])
        assigned = label[np.arange(H)[:, None], gap.argmin(axis=2)]
        bins = np.arange(n)
        wrong = np.any((assigned[:, :, None] == bins).sum(axis=1) != (label[:, :, None] == bins).sum(axis=1), axis=1)
        for j in np.flatnonzero(wrong):
            rows, cols = linear_sum_assignment(gap[j])
            assigned[j] = label[j][cols[np.argsort(rows)]]
        inside = assigned >= 0
        total, count = np.where(member, lam, 0.0).sum(axis=1), member.sum(axis=1)
        small = []
        for h, k in enumerate(systems):
            pair = _trailing(self.T[k], self.Z[k], self.B[k], inside[h])
            if abs(pair[2].sum() - total[h]) > 1e-6 * scale[h] * count[h]:  # matched to the wrong eigenvalues: widen
                for c in np.flatnonzero(root[h]):
                    inside[h] |= np.abs(TW[h] - centre[h, c]) <= 1.5 * radius[h, c] + 1e-6 * scale[h]
                pair = _trailing(self.T[k], self.Z[k], self.B[k], inside[h])
            small.append(pair)
        cscore, cz, bound = np.full((H, n), np.inf), np.zeros((H, n), complex), np.zeros((H, n))
        sizes = np.array([len(pair[2]) for pair in small])
        for size in np.unique(sizes):
            group = np.flatnonzero(sizes == size)
            S = np.stack([small[j][0] for j in group])
            b = np.stack([small[j][1] for j in group])
            g, owner, z, ratio = self._candidates(systems[group], S, b, [small[j][2] for j in group],
                                                  labels[group], member[group], centre[group], radius[group])
            key = g * n + owner
            order = np.lexsort((np.arange(len(z)), ratio, key))
            first = order[np.r_[True, key[order][1:] != key[order][:-1]]]  # each cluster's first best candidate
            at, r = group[g[first]], owner[first]
            score = np.minimum(np.minimum(ratio[first], lowcert[at, r]), 1.0)
            doubtful = (self.tol < score) & (score < 100 * self.tol)
            if doubtful.any():
                score[doubtful] = np.minimum(score[doubtful], _pbh_ratios(self.A, self.B, z[first][doubtful],
                                                                          systems[at[doubtful]]))
            cscore[at, r], cz[at, r] = score, z[first]
            g, i = np.nonzero(need[group] & (lam[group].imag >= 0))  # the singles of these systems
            if g.size:
                condition = np.array([small[j][3] for j in group])
                bound[group[g], i] = _resolvent(S, g, lam[group[g], i]) / np.maximum(condition[g], 1e-300)
        # the singles below the real axis: the norm at conj(z), the conjugate of a single (S is real)
        at, i = np.nonzero(need & (lam.imag < 0))
        bound[at, i] = bound[at, self.other[systems][at, i]]
        return cscore, cz, [pair[:2] for pair in small], bound

    def _candidates(self, systems: np.ndarray, S: np.ndarray, b: np.ndarray, eig: list[np.ndarray],
                    labels: np.ndarray, member: np.ndarray, centre: np.ndarray,
                    radius: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(system in the group, owning cluster's root, z, PBH score of the small pair)`` of each candidate.

        The means and the part the staircase cuts off first; the eigenvalues (``sigma_min`` is
        1-Lipschitz in ``z``) only of clusters where one of them could score below ``tol``.
        """
        g, owner = np.nonzero(member & (labels == np.arange(labels.shape[1])))  # the means, roots in order
        z = centre[g, owner]
        means = len(z)
        parts = [(h, tail) for h, tail in enumerate(_staircase(S, b)) if tail.size]
        g, owner, z = self._append((g, owner, z), parts, systems, labels, member)
        top = self.colmax(systems[g], z)
        ratio = _sigma_min(S, b, g, z) / top
        best = np.full(labels.size, np.inf)
        np.minimum.at(best, g * labels.shape[1] + owner, ratio)
        wide = radius[g[:means], owner[:means]]
        near = ((ratio[:means] * top[:means] - wide) / (top[:means] + wide) <= self.tol) & \
            (best[g[:means] * labels.shape[1] + owner[:means]] > self.tol)
        if near.any():
            parts = []
            for h in np.unique(g[:means][near]):
                own = self._owner(systems[h], labels[h], member[h], eig[h])
                parts.append((h, eig[h][np.isin(own, owner[:means][near & (g[:means] == h)])]))
            added = self._append((g[:0], owner[:0], z[:0]), parts, systems, labels, member)
            ratio = np.append(ratio, _sigma_min(S, b, added[0], added[2]) / self.colmax(systems[added[0]], added[2]))
            g, owner, z = (np.append(old, new) for old, new in zip((g, owner, z), added))
        return g, owner, z, ratio

    def _owner(self, k: int, labels: np.ndarray, member: np.ndarray, z: np.ndarray) -> np.ndarray:
        """The cluster (root) of the member of system ``k`` nearest to each ``z``."""
        members = np.flatnonzero(member)
        return labels[members[np.argmin(np.abs(z[:, None] - self.lam[k, members][None, :]), axis=1)]]

    def _append(self, start: tuple, parts: list, systems: np.ndarray, labels: np.ndarray,
                member: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        g, owner, z = start
        if not parts:
            return g, owner, z
        at = np.repeat([h for h, _ in parts], [len(values) for _, values in parts])
        values = np.concatenate([values for _, values in parts])
        # the cluster (root) of the nearest member of each value's system
        gap = np.where(member[at], np.abs(values[:, None] - self.lam[systems[at]]), np.inf)
        return np.append(g, at), np.append(owner, labels[at, np.argmin(gap, axis=1)]), np.append(z, values)

    def _refined(self, k: int, z: complex, score: float, small: tuple | None) -> float:
        """The smallest PBH score of system ``k`` on the real line within ``REFINE scale`` of a real ``z``,
        where it can reach tol.

        ``sigma_min`` and the largest column norm move by at most ``|dz|``, so when
        ``(sigma(z) - r) / (colmax(z) + r) > tol`` nothing within ``r`` reaches ``tol``.
        """
        scale, A, B, at = float(self.scale[k]), self.A[k], self.B[k], np.array([k])
        if abs(z.imag) > 1e-12 * scale:
            return score
        centre, radius = z.real, REFINE * scale
        if small is None:
            def ratio(x: float) -> float:
                return float(_pbh_ratios(A, B, np.array([x]))[0])
            top = float(sla.svdvals(np.hstack([A - centre * np.eye(len(A)), B]))[0])
        else:
            S, b = small[0][None], small[1][None]

            def ratio(x: float) -> float:
                z = np.array([x], complex)
                return float(_sigma_min(S, b, np.zeros(1, int), z)[0] / self.colmax(at, z)[0])
            top = float(self.colmax(at, np.array([centre], complex))[0])
        if (score * top - radius) / (top + radius) > self.tol:
            return score
        found = minimize_scalar(ratio, bounds=(centre - radius, centre + radius), method="bounded",
                                options={"xatol": 1e-16 * scale, "maxiter": 80})
        return min(score, float(found.fun))


# ----------------------------------------------------------------- helpers
def _nan_inf(x: np.ndarray) -> np.ndarray:
    """``x`` with NaN (``0 * inf``, ``inf / inf``: no information) read as ``inf``."""
    return np.where(np.isnan(x), np.inf, x)


def _components(adjacent: np.ndarray) -> np.ndarray:
    """Connected-component labels (the smallest index in each) of a stack of symmetric adjacency matrices."""
    H, n, _ = adjacent.shape
    labels, rows = np.broadcast_to(np.arange(n), (H, n)).copy(), np.arange(H)[:, None]
    while True:
        new = np.minimum(labels, np.where(adjacent, labels[:, None, :], n).min(axis=2))
        new = new[rows, new]
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


def _resolvent(S: np.ndarray, g: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``||(z I - S_g)^{-1}||`` for each pair ``(g, z)`` of real ``S_g``: the Frobenius norm of the inverse
    (at least the 2-norm), or ``1 / sigma_min`` where ``z`` is an eigenvalue of ``S_g`` (``inf`` there).
    Real ``z`` in real arithmetic."""
    k = S.shape[1]
    out = np.empty(len(z))
    step = max(1, CHUNK // (k * k))
    for part in (np.flatnonzero(z.imag == 0), np.flatnonzero(z.imag != 0)):
        for start in range(0, len(part), step):
            p = part[start:start + step]
            shifts = z[p].real if z[p[0]].imag == 0 else z[p]
            M = -S[g[p]].astype(shifts.dtype)
            M[:, np.arange(k), np.arange(k)] += shifts[:, None]
            try:
                out[p] = _frobenius(np.linalg.inv(M))
            except np.linalg.LinAlgError:  # one at a time, so that a pair's bound never depends on the others
                for j, one in zip(p, M):
                    try:
                        out[j] = _frobenius(np.linalg.inv(one[None]))[0]
                    except np.linalg.LinAlgError:
                        with np.errstate(divide="ignore"):
                            out[j] = 1.0 / np.linalg.svd(one, compute_uv=False)[-1]
    return out


def _frobenius(X: np.ndarray) -> np.ndarray:
    """The Frobenius norm of each matrix of a real or complex stack."""
    flat = X.reshape(len(X), -1)
    if np.iscomplexobj(flat):
        flat = flat.view(float)
    return np.sqrt(np.einsum("ij,ij->i", flat, flat))


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


def _staircase(S: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """For each pair of a stack ``(S, b)``: the eigenvalues (and means) of the part cut off at the
    smallest subdiagonal of its controller-Hessenberg form, when that is below ``1e-6 ||S||_F``: the
    uncontrollable part (for ``m > 1`` the input direction of ``b``'s largest singular value stands
    for ``b``); empty where no part is nearly cut off."""
    G, k, m = b.shape
    tails = [np.zeros(0, complex)] * G
    if k < 2:
        return tails
    v = b[:, :, 0] if m == 1 else (b @ np.linalg.svd(b)[2][:, 0, :, None].conj())[:, :, 0]
    beta = np.linalg.norm(v, axis=1)
    head = np.where(v[:, 0] != 0, v[:, 0], 1.0)
    w = v.copy()
    w[:, 0] += beta * head / np.abs(head)
    ww = np.sum(w * w.conj(), axis=1).real
    H = np.eye(k) - 2 * w[:, :, None] * w.conj()[:, None, :] / np.where(ww > 0, ww, 1.0)[:, None, None]
    M = H @ S @ H.conj().transpose(0, 2, 1)
    gehrd = lapack.zgehrd if np.iscomplexobj(M) else lapack.dgehrd
    h = np.triu(np.stack([gehrd(one)[0] for one in M]), -1)
    sub = np.abs(np.diagonal(h, offset=-1, axis1=1, axis2=2))
    cut = np.argmin(sub, axis=1) + 1
    found = (sub[np.arange(G), cut - 1] <= 1e-6 * np.linalg.norm(h, axis=(1, 2))) & (beta > 0)
    found = np.flatnonzero(found)
    for size in np.unique(k - cut[found]):  # the tails of one size together
        at = found[k - cut[found] == size]
        values = np.linalg.eigvals(np.stack([h[j, k - size:, k - size:] for j in at]))
        if size > 1:
            values = np.concatenate([values, values.mean(axis=1, keepdims=True)], axis=1)
        for j, tail in zip(at, values):
            if size > 2:
                tail = np.concatenate([tail, _means(tail[:-1], np.inf)])
                tail = tail[np.sort(np.unique(tail, return_index=True)[1])]  # each value once, in order
            tails[j] = tail
    return tails


def _sigma_min(S: np.ndarray, b: np.ndarray, g: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``sigma_min([S_g - z I, b_g])`` for each pair ``(g, z)`` (in real arithmetic where ``z`` is real)."""
    k, m = b.shape[1:]
    z = np.asarray(z, dtype=complex)
    out = np.empty(len(z))
    real = z.imag == 0
    step = max(1, CHUNK // (k * (k + m)))
    for part in (np.flatnonzero(real), np.flatnonzero(~real)):
        for start in range(0, len(part), step):
            p = part[start:start + step]
            shifts = z[p].real if real[p[0]] else z[p]
            M = np.empty((len(p), k, k + m), dtype=np.result_type(S, b, shifts))
            M[:, :, :k] = S[g[p]]
            M[:, np.arange(k), np.arange(k)] -= shifts[:, None]
            M[:, :, k:] = b[g[p]]
            out[p] = np.linalg.svd(M, compute_uv=False)[:, -1]
    return out


def _pbh_ratios(A: np.ndarray, B: np.ndarray, z: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
    """``sigma_n / sigma_1`` of ``[A - z I, B]`` for each ``z``: one pair ``(A, B)``, or stacks of them and
    ``which`` (the pair of each ``z``).  Real ``z`` in real arithmetic, each complex pair once (the same
    singular values at ``conj(z)``), chunks of about 2^21 entries."""
    if which is None:
        A, B, which = A[None], B[None], np.zeros(np.size(z), int)
    n, m = B.shape[1:]
    z = np.atleast_1d(np.asarray(z, dtype=complex))
    key = np.where(z.imag < 0, z.conj(), z)
    rows, inverse = np.unique(np.stack([which, key.real, key.imag], axis=1), axis=0, return_inverse=True)
    pairs, unique = rows[:, 0].astype(int), rows[:, 1] + 1j * rows[:, 2]
    out = np.empty(len(unique))
    step = max(1, (1 << 21) // (n * (n + m)))
    for part in (np.flatnonzero(unique.imag == 0), np.flatnonzero(unique.imag != 0)):
        shifts = unique[part].real if part.size and np.all(unique[part].imag == 0) else unique[part]
        for start in range(0, len(part), step):
            chunk, at = shifts[start:start + step], pairs[part[start:start + step]]
            M = np.concatenate([A[at] - chunk[:, None, None] * np.eye(n), B[at]], axis=2)
            sv = np.linalg.svd(M, compute_uv=False)
            top = np.where(sv[:, 0] > 0, sv[:, 0], 1.0)
            out[part[start:start + step]] = np.where(sv[:, 0] > 0, sv[:, n - 1] / top, 0.0)
    return out[inverse.reshape(-1)]
