"""All fixed points of a concrete RNN under a constant input.

:func:`find_fixed_points` runs damped Newton
(:func:`rnnsym.fixedpoints.newton.damped_newton`, iterates kept in a box) on
the compiled residual ``F(h) = phi(W_h h + u) - h`` with its exact compiled
Jacobian ``D W_h - I`` from many starts at once (one batched array, no loop
over starts), merges duplicates closer than ``merge_tol``
(:func:`~rnnsym.fixedpoints.newton.merge_roots`), can polish each point to
``dps`` digits with :func:`mpmath.findroot`, and classifies it from the
eigenvalues of ``J = D W_h`` (:func:`rnnsym.stability.classify_jacobian`).

The result says ``complete=True`` only with a named certificate:

* ``"contraction"`` -- ``q = ||W_h||_2 L_phi < 1`` proves the fixed point is
  unique (correction C14);
* ``"exact 1-D count"`` -- for one unit, ``g(h) = phi(w h + u) - h`` is
  monotone between the solutions of ``w phi'(w h + u) = 1`` (solved by
  SymPy) and the kinks of ``phi``; the signs of ``g`` at those points,
  evaluated at ``dps`` digits, count its roots exactly, and each root missed
  by Newton (near a saddle-node two roots can be closer than the merge
  tolerance) is recovered from its bracket.

Otherwise ``complete`` is False and ``reason`` says why.  An empty list is
never returned silently: ``reason`` says so and a warning is issued.
:func:`~rnnsym.fixedpoints.sweep.sweep_fixed_points` solves for many
bias values at once and returns branches with their stability.

Examples
--------
>>> import rnnsym as rs
>>> from rnnsym.fixedpoints.search import find_fixed_points
>>> res = find_fixed_points(rs.RNN([[2.0]], b=[0.0]))
>>> len(res), res.complete, res.certificate
(3, True, 'exact 1-D count')
>>> [(round(float(p.h[0]), 6), p.stability.kind) for p in res]
[(-0.957504, 'stable'), (0.0, 'unstable'), (0.957504, 'stable')]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import mpmath
import numpy as np
import sympy as sp

from rnnsym.activations import Z
from rnnsym.errors import InvalidArgumentError, ResourceLimitError
from rnnsym.fixedpoints.newton import constant_drive, damped_newton, merge_roots
from rnnsym.kernel import Kernel, compile as compile_kernel
from rnnsym.model import MAX_JACOBIAN_N, RNN
from rnnsym.stability import Stability, classify_jacobian, contraction_factor

__all__ = ["FixedPoint", "FixedPointResult", "find_fixed_points", "residual_kernels"]


@dataclass(frozen=True)
class FixedPoint:
    """One fixed point: its state, residual, stability and (if polished) digits."""

    h: np.ndarray
    residual: float
    stability: Stability
    exact: tuple | None = None

    def __repr__(self) -> str:
        return f"FixedPoint(h={np.round(self.h, 10).tolist()}, {self.stability.kind})"


@dataclass(frozen=True)
class FixedPointResult:
    """The fixed points found, and whether the list is provably complete."""

    points: tuple[FixedPoint, ...]
    complete: bool
    certificate: str | None
    reason: str
    u: np.ndarray
    starts: int

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[FixedPoint]:
        return iter(self.points)

    def __getitem__(self, i: int) -> FixedPoint:
        return self.points[i]

    @property
    def states(self) -> np.ndarray:
        """The fixed points as an array ``(k, n)``."""
        return np.array([p.h for p in self.points]).reshape(len(self.points), self.u.shape[-1])

    @property
    def kinds(self) -> list[str]:
        return [p.stability.kind for p in self.points]


# -- kernels ------------------------------------------------------------------
def residual_kernels(net: Any, backend: str = "numpy", dps: int = 30) -> tuple[Kernel, Kernel, Any]:
    """Compiled ``F(h, u) = phi(W_h h + u) - h`` and ``dF/dh = D W_h - I``.

    Both are built by SymPy from the model's own step and Jacobian; returns
    ``(F, dF, h_symbols)``.  ``F`` gives ``(..., n, 1)``, ``dF`` ``(..., n, n)``.
    """
    return _kernels(net, backend, dps)


@lru_cache(maxsize=64)
def _kernels(net: Any, backend: str, dps: int) -> tuple[Kernel, Kernel, Any]:

    unit = RNN(net.W_h, sp.eye(net.n), sp.zeros(net.n, 1), net.activation)
    h, u = unit.h_star, unit.x
    F = unit.step(h, u) - h
    dF = unit.jacobian(h, u) - sp.eye(net.n)
    return (compile_kernel(F, [h, u], backend=backend, dps=dps),
            compile_kernel(dF, [h, u], backend=backend, dps=dps), (h, u))


#: Most ``starts * n**3`` (the flops of one batched Newton iteration) :func:`find_fixed_points` runs.
MAX_NEWTON_WORK = 2 ** 30

#: Above this ``n`` the Newton search uses NumPy closures of the same residual instead
#: of compiling SymPy's (the n x n symbolic Jacobian took 4.8 s to build and compile at
#: n = 16 and grows like n^3); the mpmath polish keeps the compiled kernels.
MAX_COMPILED_N = 8

#: Damped Newton (:func:`~rnnsym.fixedpoints.newton.damped_newton`): a step is tried at lengths
#: 1, 1/4, ..., 4**-6 before the start moves elsewhere in the box, at most three times.
NEWTON_REFUSALS, NEWTON_RESTARTS = 7, 3


class _DenseResidual:
    """``F(h, u) = phi(W_h h + u) - h`` or ``dF/dh = D W_h - I`` on floats, batched like a Kernel."""

    def __init__(self, net: Any, jacobian: bool) -> None:
        self.W = net.numeric_weights()[0]
        self.act = net.activation
        self.jacobian = jacobian

    def __call__(self, H: Any, U: Any) -> np.ndarray:
        H, U = np.asarray(H, dtype=float), np.asarray(U, dtype=float)
        pre = H @ self.W.T + U
        if self.jacobian:
            return self.act.numpy_prime(pre)[..., :, None] * self.W - np.eye(self.W.shape[0])
        return (self.act.numpy(pre) - H)[..., None]


def _numpy_kernels(net: Any, dps: int) -> tuple[Any, Any]:
    """``(F, dF)`` for the float search: compiled from SymPy up to :data:`MAX_COMPILED_N`."""
    if net.n <= MAX_COMPILED_N:
        F, dF, _ = _kernels(net, "numpy", dps)
        return F, dF
    return _DenseResidual(net, False), _DenseResidual(net, True)


def _box(net: Any, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = net.activation.output_range
    lo, hi = float(rng.inf), float(rng.sup)
    W_h = net.numeric_weights()[0]
    reach = 2.0 * (np.abs(u).max() + 1.0) * max(1.0, float(np.abs(W_h).sum(axis=1).max()))
    return np.full(net.n, max(lo, -reach)), np.full(net.n, min(hi, reach))


def _starts(net: Any, u: np.ndarray, lo: np.ndarray, hi: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Starts spread over the box; for a bounded ``phi``, ``phi`` of points spread
    over the pre-activation box ``|a_i| <= sum_j |W_ij| max|h| + |u_i|``, so that
    saturated fixed points (close to the ends of the range) are covered too."""
    n = net.n
    from scipy.stats import qmc  # ~1 s to import: only when sampling
    sobol = qmc.Sobol(n, scramble=True, seed=seed).random(1 << max(0, (count - 1).bit_length()))[:count]
    if net.activation.output_range.inf.is_finite and net.activation.output_range.sup.is_finite:
        W_h = net.numeric_weights()[0]
        reach = np.abs(W_h).sum(axis=1) * max(np.abs(lo).max(), np.abs(hi).max()) + np.abs(u)
        pts = net.activation.numpy(reach * (2 * sobol - 1))
    else:
        pts = lo + (hi - lo) * sobol
    mid = np.clip(np.zeros(n), lo, hi)
    return np.vstack([mid[None], pts])[:count]


# -- Newton on F(h) = phi(W_h h + u) - h ---------------------------------------------
def _linearize(F: Any, dF: Any) -> Any:
    """``(X, U) -> (F, dF/dh)`` on columns, as :func:`~rnnsym.fixedpoints.newton.damped_newton` asks."""

    def linearize(X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        H, Uh = X.T, U.T
        return F(H, Uh)[..., 0].T, dF(H, Uh).transpose(1, 2, 0)

    return linearize


def _restart(lo: np.ndarray, hi: np.ndarray) -> Any:
    """Where a start that stopped descending tries again: spread over the box, away from where it stuck."""
    mid, half = ((lo + hi) / 2)[:, None], ((hi - lo) / 2)[:, None]
    return lambda X: mid + half * np.sin(np.arange(X.shape[1])[None, :] * 7.3 + X * 13)


# -- the exact 1-D count ----------------------------------------------------------
def _kinks(act: Any) -> list[sp.Expr]:
    """Points ``z`` where ``phi`` or ``phi'`` changes formula (found from the forms)."""
    found: set[sp.Expr] = set()
    for form in (act.expr, act.derivative_expr):
        for atom in form.atoms(sp.Heaviside, sp.Abs, sp.Max, sp.Min, sp.Piecewise):
            exprs = [r.lhs - r.rhs for r in atom.atoms(sp.core.relational.Relational)]
            if isinstance(atom, (sp.Heaviside, sp.Abs)):
                exprs.append(atom.args[0])
            if isinstance(atom, (sp.Max, sp.Min)):
                exprs += [a - c for a in atom.args for c in atom.args if a != c]
            for e in exprs:
                found.update(s for s in sp.solve(e, Z) if s.is_real)
    return sorted(found, key=float)


def _mpf(value: sp.Expr, dps: int) -> Any:
    return mpmath.mpf(str(sp.N(value, dps + 10)))


def _exact_count_1d(net: Any, u: float, dps: int) -> tuple[list[tuple], str]:
    """Roots of ``g(h) = phi(w h + u) - h`` as ``("point", h)`` or ``("bracket", a, b)``.

    Returns ``([], reason)`` with ``reason`` non-empty when no certificate exists.
    """
    act = net.activation
    W, U = sp.Rational(float(net.numeric_weights()[0][0, 0])), sp.Rational(float(u))
    crit: list[sp.Expr] = []
    if W != 0:
        sol = sp.solveset(sp.Eq(W * act.derivative_expr, 1), Z, sp.S.Reals)
        if not isinstance(sol, sp.FiniteSet) and sol != sp.S.EmptySet:
            return [], f"w phi'(z) = 1 holds on {sol}, not at isolated points"
        crit = list(sol)
    h = sp.Symbol("h", real=True)
    g = act.expr.subs(Z, W * h + U) - h
    lo, hi = act.output_range.inf, act.output_range.sup
    breaks = sorted({(z - U) / W for z in crit + (_kinks(act) if W != 0 else [])}, key=float)
    points = [lo] + [p for p in breaks if lo < p < hi] + [hi]
    try:
        gk = compile_kernel(g, [h], backend="mpmath", dps=dps)
        dgk = compile_kernel(sp.diff(g, h), [h], backend="mpmath", dps=dps)
    except Exception as exc:  # noqa: BLE001 - reported as the reason
        return [], f"g cannot be evaluated at {dps} digits ({type(exc).__name__})"
    small = mpmath.mpf(10) ** (5 - dps)
    with mpmath.workdps(dps):
        signs, where = [], []
        for p in points:
            if p.is_finite:
                value = gk(_mpf(p, dps))
                signs.append(0 if abs(value) <= small else int(mpmath.sign(value)))
                where.append(_mpf(p, dps))
            else:
                finite = [v for v in points if v.is_finite] or [sp.Integer(0)]
                base, dist = (finite[-1], 1) if p > 0 else (finite[0], -1)
                s = sp.Symbol("s", positive=True)  # beyond the last kink: one smooth branch
                try:
                    limit = sp.limit(g.subs(h, base + dist * s), s, sp.oo)
                except (NotImplementedError, TypeError, ValueError):
                    return [], f"SymPy cannot take the limit of g(h) as h -> {p}"
                if limit == 0 or not limit.is_extended_real:
                    return [], f"g(h) -> {limit} as h -> {p}"
                signs.append(int(sp.sign(limit)))
                where.append(mpmath.inf if p > 0 else -mpmath.inf)
        for a, b in zip(where[:-1], where[1:]):  # g must be monotone on each piece
            if mpmath.isinf(a) or mpmath.isinf(b):
                base = b if mpmath.isinf(a) else a
                step = -1 if mpmath.isinf(a) else 1
                samples = [base + step * mpmath.mpf(2) ** k for k in range(-4, 12)]
            else:
                samples = [a + (b - a) * mpmath.mpf(j) / 17 for j in range(1, 17)]
            slopes = {int(mpmath.sign(v)) for v in (dgk(s) for s in samples) if abs(v) > small}
            if len(slopes) > 1:
                return [], "the critical points SymPy found are not confirmed by sampling g'"
        roots: list[tuple] = []
        for i, (s, p) in enumerate(zip(signs, where)):
            if s == 0:
                roots.append(("point", p))
            if i + 1 < len(signs) and s * signs[i + 1] < 0:
                roots.append(("bracket", p, where[i + 1]))
    return roots, ""


def _solve_bracket(gk: Any, a: Any, b: Any, dps: int) -> Any:
    with mpmath.workdps(dps):
        if mpmath.isinf(a) or mpmath.isinf(b):
            base, out = (b, -1) if mpmath.isinf(a) else (a, 1)
            far = base + out
            while mpmath.sign(gk(far)) == mpmath.sign(gk(base)):
                far = base + 2 * (far - base)
            a, b = sorted([base, far])
        return mpmath.findroot(lambda v: gk(v), (a, b), solver="anderson", verify=False)


# -- the search -----------------------------------------------------------------
def _polish(net: Any, h: np.ndarray, u: np.ndarray, dps: int) -> tuple | None:
    Fm, dFm, _ = _kernels(net, "mpmath", dps)
    u_mp = np.array([mpmath.mpf(float(v)) for v in u], dtype=object)
    n = net.n

    def f(*hs: Any) -> list:
        out = Fm(np.array(hs, dtype=object), u_mp)
        return [out[i, 0] for i in range(n)]

    def jac(*hs: Any) -> Any:
        return mpmath.matrix(dFm(np.array(hs, dtype=object), u_mp).tolist())

    with mpmath.workdps(dps):
        try:
            root = mpmath.findroot(f, [mpmath.mpf(float(v)) for v in h], J=jac)
        except (ValueError, ZeroDivisionError):
            return None
        root = [root] if n == 1 and not isinstance(root, mpmath.matrix) else list(root)
        if max(abs(v) for v in f(*root)) > mpmath.mpf(10) ** (5 - dps):
            return None
        return tuple(root)


def _stability(net: Any, h: np.ndarray, u: np.ndarray, exact: tuple | None, dps: int,
               tol: float) -> tuple[Stability, tuple | None]:
    dF = _numpy_kernels(net, dps)[1]
    J = dF(h, u) + np.eye(net.n)
    first = classify_jacobian(J, tol=tol)
    if (first.decided and first.margin > tol) or (exact is None and net.n > MAX_JACOBIAN_N):
        return first, exact  # too large for the symbolic mpmath kernels: the float64 verdict stands
    exact = exact or _polish(net, h, u, dps)
    if exact is None:
        return first, exact
    dFm = _kernels(net, "mpmath", dps)[1]
    with mpmath.workdps(dps):
        u_mp = np.array([mpmath.mpf(float(v)) for v in u], dtype=object)
        Jm = dFm(np.array(exact, dtype=object), u_mp)
        Jm = [[Jm[i, j] + (1 if i == j else 0) for j in range(net.n)] for i in range(net.n)]
    return classify_jacobian(J, exact=Jm, tol=tol, dps=dps), exact


def find_fixed_points(net: Any, x: Any = None, *, starts: int | None = None, seed: int = 0,
                      tol: float = 1e-12, merge_tol: float = 1e-7, polish: bool = False,
                      dps: int = 30, max_iter: int = 80) -> FixedPointResult:
    """All fixed points ``h* = phi(W_h h* + W_x x + b)`` of a numeric RNN.

    Parameters
    ----------
    net : RNN
        A numeric network.
    x : array_like, shape (m,), optional
        The constant input; required when ``W_x`` is nonzero.
    starts : int, optional
        Newton starts (default ``min(4096, max(64, 16 * 2**n))``, and at most
        ``MAX_NEWTON_WORK // n**3`` but at least 16): a scrambled Sobol set
        over the activation's range plus the centre and near-corners.  Each
        Newton iteration costs about ``starts * n**3`` flops; more than
        :data:`MAX_NEWTON_WORK` (4096 starts at n = 64 took 4.5 s; at n = 128
        over 60 s) raises :class:`~rnnsym.errors.ResourceLimitError`.
    tol, merge_tol : float
        Residual ``|F|_inf`` accepted as converged; distance (infinity norm,
        relative beyond ``|h|_inf = 1``) at which two solutions are the same
        fixed point.
    max_iter : int
        Newton evaluations per start (a refused damped step counts).
    polish : bool
        Refine every point to ``dps`` digits with :func:`mpmath.findroot`
        (points with ``rho(J)`` near 1 are always refined).  Both use the
        compiled symbolic residual, so only up to ``n = MAX_JACOBIAN_N``
        (32); above it ``polish=True`` raises
        :class:`~rnnsym.errors.ResourceLimitError` and near-marginal points
        keep their float64 classification.

    Returns
    -------
    FixedPointResult
        ``points`` sorted by the first coordinate, ``complete`` with
        ``certificate`` (``"contraction"`` or ``"exact 1-D count"``), and
        ``reason``.
    """
    if not net.is_numeric:
        raise InvalidArgumentError("`net` must be numeric; substitute values with RNN.subs() first.")
    u = constant_drive(net, x)
    n = net.n
    lo, hi = _box(net, u)
    count = (int(starts) if starts is not None
             else min(4096, max(64, 16 * 2 ** min(n, 12)), max(16, MAX_NEWTON_WORK // n ** 3)))
    if count < 1:
        raise InvalidArgumentError(f"`starts` must be a positive integer; got {starts!r}.")
    if polish and n > MAX_JACOBIAN_N:
        raise ResourceLimitError(
            f"`polish`=True needs the symbolic Jacobian of the n={n} residual (limit n <= "
            f"{MAX_JACOBIAN_N}); drop polish (the float64 points have residuals near 1e-12), or "
            "polish one point with mpmath.findroot on RNN.numeric_step."
        )
    if count * n ** 3 > MAX_NEWTON_WORK:
        raise ResourceLimitError(
            f"`starts`={count} Newton starts at n={n} need about {count * n ** 3:.2g} flops per iteration "
            f"(limit MAX_NEWTON_WORK={MAX_NEWTON_WORK:.2g}); pass starts={max(1, MAX_NEWTON_WORK // n ** 3)} "
            "or fewer, or use rnnsym.stability.contraction_factor() (q < 1 proves a unique fixed point) "
            "and RNN.simulate() from a few states."
        )
    F, dF = _numpy_kernels(net, dps)
    solved = damped_newton(_linearize(F, dF), _starts(net, u, lo, hi, count, seed).T, u[:, None], tol=tol,
                           max_iter=max_iter, refusals=NEWTON_REFUSALS, box=(lo, hi), restart=_restart(lo, hi),
                           restarts=NEWTON_RESTARTS)
    distinct = merge_roots(np.where(solved.residual <= tol, solved.x, np.nan).T, merge_tol)
    found: list[tuple[np.ndarray, tuple | None]] = [(h, None) for h in distinct if np.isfinite(h[0])]
    q = contraction_factor(net)
    certificate, complete = None, False
    if q < 1:
        certificate, complete = "contraction", True
        reason = f"q = ||W_h||_2 L_phi = {q:.6g} < 1 proves a unique fixed point (correction C14)"
        if len(found) != 1:  # iterate the contraction itself (Banach)
            h = np.zeros(n) if not found else found[0][0]
            for _ in range(10_000):
                h_next = F(h, u)[:, 0] + h
                if np.abs(h_next - h).max() <= tol:
                    break
                h = h_next
            found = [(h_next, None)]
    elif n == 1:
        roots, why = _exact_count_1d(net, float(u[0]), dps)
        if why:
            reason = f"multi-start Newton from {count} starts; no exact count ({why}), q = {q:.6g} >= 1"
        else:
            certificate, complete = "exact 1-D count", True
            gk = compile_kernel(F.expr[0, 0], [F.args[0][0], F.args[1][0]], backend="mpmath", dps=dps)
            g1 = lambda v: gk(v, mpmath.mpf(float(u[0])))  # noqa: E731
            newton = [h for h, _ in found]
            found, recovered = [], 0
            for root in roots:
                if root[0] == "point":
                    found.append((np.array([float(root[1])]), (root[1],)))
                    continue
                a, b = float(root[1]), float(root[2])
                inside = [h for h in newton if a < h[0] < b]
                if len(inside) == 1:
                    found.append((inside[0], None))
                else:
                    value = _solve_bracket(g1, root[1], root[2], dps)
                    found.append((np.array([float(value)]), (value,)))
                    recovered += 1
            reason = (f"g(h) = phi(w h + u) - h is monotone between the solutions of w phi'(w h + u) = 1"
                      f" and the kinks of phi; sign changes at {dps} digits count {len(roots)} root(s)"
                      + (f"; {recovered} recovered from brackets" if recovered else ""))
    else:
        reason = (f"multi-start Newton from {count} starts found {len(found)}; no certificate "
                  f"(q = ||W_h||_2 L_phi = {q:.6g} >= 1), so the list may be incomplete")
    points = []
    for h, exact in sorted(found, key=lambda item: tuple(item[0])):
        if polish and exact is None:
            exact = _polish(net, h, u, dps)
        stab, exact = _stability(net, h, u, exact, dps, 1e-9)
        resid = float(np.abs(F(h, u)).max())
        points.append(FixedPoint(np.asarray(h, dtype=float), resid, stab, exact))
    if not points and complete:
        reason = f"no fixed point exists: {reason}"
    elif not points:
        reason = f"no fixed point found from {count} starts; {reason}"
        warnings.warn(f"find_fixed_points: {reason}", RuntimeWarning, stacklevel=2)
    return FixedPointResult(tuple(points), complete, certificate, reason, u, count)
