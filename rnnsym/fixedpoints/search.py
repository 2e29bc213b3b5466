"""All fixed points of a concrete RNN under a constant input.

:func:`find_fixed_points` answers with a proof where it has one:

* ``"piecewise-linear enumeration"`` -- identity, ReLU, leaky ReLU, hard
  tanh (up to :data:`MAX_PATTERN_WORK`): every activation pattern's linear
  system solved in exact rational arithmetic
  (:mod:`~rnnsym.fixedpoints.continua`); isolated points are exact, and
  sets of fixed points of positive dimension are reported as
  :class:`~rnnsym.fixedpoints.continua.Continuum` (``result.continua``),
  never as samples;
* ``"exact 1-D count"`` (one unit) and ``"decoupled 1-D counts"`` (diagonal
  ``W_h``: the units are independent) -- tanh, sigmoid, softsign: interval
  arithmetic with outward rounding proves the number of roots of ``g(h) =
  phi(w h + u) - h`` and encloses each (:mod:`~rnnsym.fixedpoints.certify`);
* ``"contraction"`` -- ``q = ||W_h||_2 L_phi < 1`` proves the fixed point is
  unique (correction C14).

Otherwise damped Newton (:func:`rnnsym.fixedpoints.newton.damped_newton`,
iterates kept in a box) runs on ``F(h) = phi(W_h h + u) - h`` from many
starts at once; an end point is a fixed point only if ``F`` is zero to its
own rounding error, a relative test (:mod:`~rnnsym.fixedpoints.nearroots`),
points closer than ``merge_tol`` merge
(:func:`~rnnsym.fixedpoints.newton.merge_roots`), and clusters of near-roots
around a degenerate root (``I - J`` singular) merge into that root
(``FixedPoint.degenerate``).  Such a list has ``complete=False`` and
``reason`` says why.  Each point is classified from the eigenvalues of ``J =
D W_h`` (:func:`rnnsym.stability.classify_jacobian`).

A certified point carries ``enclosure`` -- one ``(lo, hi)`` per coordinate,
proven to hold exactly one fixed point -- its ``radius``, ``exact`` (a point
of the enclosure, at high precision) with the ``digits`` the enclosure
guarantees, and ``h``, the float nearest ``exact``.  ``polish=True`` refines
the other points with :func:`mpmath.findroot` and, up to
:data:`MAX_KRAWCZYK_N` units, encloses them by the Krawczyk test; ``h`` is
then the polished value.  An empty list is never returned silently:
``reason`` says so and a warning is issued.
:func:`~rnnsym.fixedpoints.sweep.sweep_fixed_points` solves for many bias
values at once and returns branches with their stability.

Examples
--------
>>> import rnnsym as rs
>>> from rnnsym.fixedpoints.search import find_fixed_points
>>> res = find_fixed_points(rs.RNN([[2.0]], b=[0.0]))
>>> len(res), res.complete, res.certificate
(3, True, 'exact 1-D count')
>>> [(round(float(p.h[0]), 6), p.stability.kind, p.radius < 1e-30) for p in res]
[(-0.957504, 'stable', True), (0.0, 'unstable', True), (0.957504, 'stable', True)]
>>> res = find_fixed_points(rs.RNN([[1.0, 0.0], [0.0, 1.0]], activation="relu"))
>>> len(res), [(c.dimension, c.A.tolist()) for c in res.continua]
(0, [(2, [[-1.0, 0.0], [0.0, -1.0]])])
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

import mpmath
import numpy as np
import sympy as sp

from rnnsym.errors import InvalidArgumentError, ResourceLimitError
from rnnsym.fixedpoints._verdicts import float_stability, point_stability
from rnnsym.fixedpoints.certify import Enclosure, bits_for, count_roots_1d, krawczyk
from rnnsym.fixedpoints.continua import Continuum, enumerate_fixed_points, pattern_count, sets_through
from rnnsym.fixedpoints.intervals import ends, interval, precision, supports
from rnnsym.fixedpoints.nearroots import cluster_degenerate, is_degenerate, refine, relative_residual
from rnnsym.fixedpoints.newton import constant_drive, damped_newton, merge_roots
from rnnsym.kernel import BACKENDS, Kernel, compile as compile_kernel
from rnnsym._matrices import as_choice, as_float_array, as_int, as_seed, as_tolerance, require_model
from rnnsym.model import MAX_JACOBIAN_N, RNN
from rnnsym.stability import Stability, contraction_factor

__all__ = ["FixedPoint", "FixedPointResult", "Continuum", "find_fixed_points", "residual_kernels"]


@dataclass(frozen=True)
class FixedPoint:
    """One fixed point: its state, residual, stability and (if certified or polished) digits.

    ``enclosure`` (one ``(lo, hi)`` pair of ``mpmath.mpf`` per coordinate)
    is proven to hold exactly this fixed point, and ``exact`` lies in it,
    good to ``digits`` significant digits; ``h`` is then the float nearest
    ``exact``.  Without a proof ``enclosure`` and ``digits`` are None, and
    ``exact`` (if set) is :func:`mpmath.findroot`'s value, with no guarantee.
    ``degenerate``: ``I - J`` is singular here (a cluster of near-roots was
    merged into this one).
    """

    h: np.ndarray
    residual: float
    stability: Stability
    exact: tuple | None = None
    enclosure: tuple | None = None
    digits: int | None = None
    degenerate: bool = False

    @property
    def radius(self) -> float | None:
        """The largest half-width of ``enclosure`` (None without one)."""
        if self.enclosure is None:
            return None
        return Enclosure(tuple(a for a, _ in self.enclosure), tuple(b for _, b in self.enclosure),
                         (), 0).radius

    def __repr__(self) -> str:
        return f"FixedPoint(h={np.round(self.h, 10).tolist()}, {self.stability.kind})"


@dataclass(frozen=True)
class FixedPointResult:
    """The fixed points found, and whether the list is provably complete.

    ``points`` are the isolated fixed points; ``continua`` the sets of fixed
    points of positive dimension (piecewise-linear activations), never
    listed as points.  ``starts`` is the number of Newton starts run (0 when
    a certificate made the search unnecessary).
    """

    points: tuple[FixedPoint, ...]
    complete: bool
    certificate: str | None
    reason: str
    u: np.ndarray
    starts: int
    continua: tuple[Continuum, ...] = ()

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
    return _kernels(require_model(net), as_choice(backend, "backend", BACKENDS), as_int(dps, "dps", low=1))


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

#: Default starts above 64 units: about ``LARGE_NEWTON_WORK / n**3`` (64 at n = 128, 8 at n = 256), at least
#: :data:`MIN_STARTS` (the centre and one more point), so one batched iteration stays O(n^3).
LARGE_NEWTON_WORK, MIN_STARTS = 2 ** 27, 2


def default_starts(n: int) -> int:
    """Newton starts :func:`find_fixed_points` runs on ``n`` units unless told.

    >>> [default_starts(n) for n in (1, 8, 64, 128, 256, 1024)]
    [64, 4096, 4096, 64, 8, 2]
    """
    if n <= 64:
        return min(4096, max(64, 16 * 2 ** min(n, 12)), max(16, MAX_NEWTON_WORK // n ** 3))
    return max(MIN_STARTS, LARGE_NEWTON_WORK // n ** 3)


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
    act, W = net.activation, net.numeric_weights()[0]
    first = float_stability(act, W, u, h, tol, J)  # robust to J's rounding and to the point's error
    if first is not None:
        return first, exact
    if net.n > MAX_EXACT_STABILITY_N:  # exact rationals and mpmath would take minutes: not certified
        eigs = np.linalg.eigvals(J)
        rho = float(np.abs(eigs).max())
        return Stability("undecided", rho, eigs, abs(rho - 1), False,
                         f"float64; an eigenvalue lies within its error bound of the unit circle, and no exact "
                         f"check runs above n = {MAX_EXACT_STABILITY_N}"), exact
    if net.n > MAX_JACOBIAN_N:  # no symbolic mpmath kernels: the float point decides, with its error
        return point_stability(act, W, u, h, tol, J), exact
    exact = exact or _polish(net, h, u, dps)
    if exact is None:
        return point_stability(act, W, u, h, tol, J), exact
    dFm = _kernels(net, "mpmath", dps)[1]
    with mpmath.workdps(dps):
        u_mp = np.array([mpmath.mpf(float(v)) for v in u], dtype=object)
        Jm = dFm(np.array(exact, dtype=object), u_mp)
        Jm = [[Jm[i, j] + (1 if i == j else 0) for j in range(net.n)] for i in range(net.n)]
    return point_stability(act, W, u, exact, tol, J, exact=Jm, digits=dps), exact


#: Above this ``n`` a point whose float64 stability verdict is not robust is ``"undecided"``: the exact
#: rational Jacobian and mpmath eigenvalues (``n**2`` rationals, ``O(n**3)`` multiprecision) are out of budget.
MAX_EXACT_STABILITY_N = 64


# -- certificates ----------------------------------------------------------------------
#: Most ``patterns * n**3`` (exact rational work) for the piecewise-linear enumeration: about 1 s.
MAX_PATTERN_WORK = 2 ** 18

#: Most points a product of per-unit 1-D counts (diagonal ``W_h``) may have.
MAX_DECOUPLED = 4096

#: Largest ``n`` whose polished points get a Krawczyk enclosure (``n**3`` interval products).
MAX_KRAWCZYK_N = 8


def _exact_enclosure(h: tuple, dps: int) -> Enclosure:
    """Rationals enclosed at the working precision (outward rounding)."""
    with precision(bits_for(dps)):
        boxes = [ends(interval(int(v.numerator)) / int(v.denominator)) for v in h]
        lo, hi = tuple(x[0] for x in boxes), tuple(x[1] for x in boxes)
    with mpmath.workprec(8 * (dps + 40)):
        mid = tuple(mpmath.mpf(int(v.numerator)) / int(v.denominator) for v in h)
    return Enclosure(lo, hi, mid, dps)


def _decoupled(act: Any, W: np.ndarray, u: np.ndarray, dps: int) -> tuple[list[Enclosure] | None, str]:
    """Fixed points of ``h_i = phi(w_ii h_i + u_i)`` (diagonal ``W``): the product of proven 1-D counts."""
    per_unit, boxes = [], 0
    for i in range(len(u)):
        count = count_roots_1d(act, float(W[i, i]), float(u[i]), dps)
        if count.roots is None:
            return None, (f"no proof for unit {i}: {count.reason}" if len(u) > 1 else count.reason)
        per_unit.append(count.roots)
        boxes += count.boxes
    total = int(np.prod([len(r) for r in per_unit]))
    if total > MAX_DECOUPLED:
        return None, f"the {total} fixed points of the decoupled units exceed MAX_DECOUPLED={MAX_DECOUPLED}"
    points = [Enclosure(tuple(r.lo[0] for r in combo), tuple(r.hi[0] for r in combo),
                        tuple(r.mid[0] for r in combo), min(r.digits for r in combo))
              for combo in itertools.product(*per_unit)]
    radius = max((e.radius for e in points), default=0.0)
    why = (f"interval arithmetic (mpmath.iv, outward rounding, {count.bits} bits) splits the range into "
           f"{boxes} interval(s) on each of which g(h) = phi(w h + u) - h provably has no zero or is strictly "
           f"monotone with proven end signs: {total} root(s), each enclosed (largest radius {radius:.3g})")
    return points, why


# -- multi-start Newton ----------------------------------------------------------------------
def _multistart(net: Any, u: np.ndarray, count: int, seed: int, tol: float, merge_tol: float, max_iter: int,
                dps: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Accepted, merged Newton end points ``(K, n)``, their degenerate flags, and a note."""
    n, act, W = net.n, net.activation, net.numeric_weights()[0]
    lo, hi = _box(net, u)
    F, dF = _numpy_kernels(net, dps)
    lin = _linearize(F, dF)
    solved = damped_newton(lin, _starts(net, u, lo, hi, count, seed).T, u[:, None], tol=tol,
                           max_iter=max_iter, refusals=NEWTON_REFUSALS, box=(lo, hi), restart=_restart(lo, hi),
                           restarts=NEWTON_RESTARTS)
    X = solved.x.T[solved.residual <= tol]
    mirrored = bool(act.odd and not np.any(u))
    if mirrored:   # phi odd and u = 0: F(-h) = -F(h), so -h is a root with h (checked below like the others)
        X = np.vstack([X, -X])
    ratio = relative_residual(act, W, u, X)
    late = X[ratio > 1.0]
    if len(late):  # met the absolute tol only: continue (linear convergence near a degenerate root)
        late = merge_roots(refine(lin, late, u), 0.01 * merge_tol)
        late = late[np.isfinite(late[:, 0])]
        X = np.vstack([X[ratio <= 1.0], late])
    good = X[relative_residual(act, W, u, X) <= 1.0]
    rejected = len(X) - len(good)
    distinct = merge_roots(good, merge_tol) if len(good) else good.reshape(0, n)
    distinct = distinct[np.isfinite(distinct[:, 0])] if len(distinct) else distinct
    if getattr(act, "pieces", None) is not None:  # samples of a continuum: the pattern sets sort them out
        merged, flags = distinct, np.zeros(len(distinct), dtype=bool)
    else:
        merged, flags = cluster_degenerate(act, W, u, distinct)
    note = ("; each root's mirror image -h added (phi odd and u = 0)" if mirrored else "") + (
        f"; {rejected} end point(s) with |F| <= tol rejected (residual above its rounding level)" if rejected
        else "") + (f"; {len(distinct) - len(merged)} near-root(s) merged into degenerate root(s)"
                        if len(merged) < len(distinct) else "")
    return merged, flags, note


# -- the points -------------------------------------------------------------------------------
def _make_point(net: Any, u: np.ndarray, h: np.ndarray, dps: int, polish: bool, enc: Enclosure | None = None,
                degenerate: bool = False) -> FixedPoint:
    act, W = net.activation, net.numeric_weights()[0]
    exact = enc.mid if enc is not None else None
    if exact is None and polish:
        exact = _polish(net, h, u, dps)
    at = np.array([float(v) for v in exact]) if exact is not None else np.asarray(h, dtype=float)
    stab, exact = _stability(net, at, u, exact, dps, 1e-9)
    if exact is not None and enc is None and net.n <= MAX_KRAWCZYK_N and supports(act):
        enc = krawczyk(act, W, u, exact, dps)
        exact = enc.mid if enc is not None else exact
    h = np.array([float(v) for v in exact]) if exact is not None else np.asarray(h, dtype=float)
    F = _numpy_kernels(net, dps)[0]
    resid = float(np.abs(F(h, u)).max())
    box = tuple(zip(enc.lo, enc.hi)) if enc is not None else None
    degenerate = bool(degenerate or is_degenerate(act, W, u, h[None])[0])
    return FixedPoint(h, resid, stab, exact, box, enc.digits if enc is not None else None, degenerate)


def _result(points: list[FixedPoint], complete: bool, certificate: str | None, reason: str, u: np.ndarray,
            starts: int, continua: tuple = ()) -> FixedPointResult:
    points.sort(key=lambda p: tuple(p.h))
    if not points and not continua and complete:
        reason = f"no fixed point exists: {reason}"
    elif not points and not continua:
        reason = f"no fixed point found from {starts} starts; {reason}"
        warnings.warn(f"find_fixed_points: {reason}", RuntimeWarning, stacklevel=3)
    return FixedPointResult(tuple(points), complete, certificate, reason, u, starts, tuple(continua))


def find_fixed_points(net: Any, x: Any = None, *, starts: int | None = None, seed: int = 0,
                      tol: float = 1e-12, merge_tol: float = 1e-7, polish: bool = False,
                      dps: int = 30, max_iter: int = 80) -> FixedPointResult:
    """All fixed points ``h* = phi(W_h h* + W_x x + b)`` of a numeric RNN.

    Parameters
    ----------
    net : RNN
        A numeric network (its weights are taken as the floats
        ``net.numeric_weights()`` gives; every proof is about those).
    x : array_like, shape (m,), optional
        The constant input; required when ``W_x`` is nonzero.
    starts : int, optional
        Newton starts when no certificate applies (default ``min(4096,
        max(64, 16 * 2**n))``, and at most ``MAX_NEWTON_WORK // n**3`` but
        at least 16): a scrambled Sobol set over the activation's range plus
        the centre.  Each Newton iteration costs about ``starts * n**3``
        flops; more than :data:`MAX_NEWTON_WORK` (4096 starts at n = 64 took
        4.5 s; at n = 128 over 60 s) raises
        :class:`~rnnsym.errors.ResourceLimitError`.
    tol, merge_tol : float
        Newton stops at ``|F|_inf <= tol``; an end point is then accepted
        only if ``F`` is zero to its rounding error (relative, see
        :mod:`~rnnsym.fixedpoints.nearroots`).  ``merge_tol``: distance
        (infinity norm, relative beyond ``|h|_inf = 1``) at which two
        solutions are the same fixed point.
    max_iter : int
        Newton evaluations per start (a refused damped step counts).
    polish : bool
        Refine every uncertified point to ``dps`` digits with
        :func:`mpmath.findroot` and enclose it by the Krawczyk test (up to
        ``n = MAX_KRAWCZYK_N``); ``h`` becomes the polished value (points
        with ``rho(J)`` near 1 are always refined).  Only up to ``n =
        MAX_JACOBIAN_N`` (32); above it ``polish=True`` raises
        :class:`~rnnsym.errors.ResourceLimitError`.
    dps : int
        Digits of ``exact``: certified enclosures are shrunk to a relative
        radius ``10**-(dps + 1)`` where the precision allows (``digits``
        says what they reached).

    Returns
    -------
    FixedPointResult
        ``points`` sorted by the first coordinate, ``continua``, ``complete``
        with ``certificate`` (``"piecewise-linear enumeration"``, ``"exact
        1-D count"``, ``"decoupled 1-D counts"`` or ``"contraction"``), and
        ``reason``.
    """
    net = require_model(net, numeric=True)
    x = None if x is None else as_float_array(x, "x", allow_empty=True, finite=False)
    tol, merge_tol, dps = as_tolerance(tol), as_tolerance(merge_tol, "merge_tol"), as_int(dps, "dps", low=1)
    max_iter, seed = as_int(max_iter, "max_iter", low=1), as_seed(seed)
    u = constant_drive(net, x)
    n, act = net.n, net.activation
    W = net.numeric_weights()[0]
    count = as_int(starts, "starts", low=1) if starts is not None else default_starts(n)
    if polish and n > MAX_JACOBIAN_N:
        raise ResourceLimitError(
            f"`polish`=True needs the symbolic Jacobian of the n={n} residual (limit n <= "
            f"{MAX_JACOBIAN_N}); drop polish (the float64 points have residuals near 1e-12), or "
            "polish one point with mpmath.findroot on RNN.numeric_step."
        )
    most = max(default_starts(n), MAX_NEWTON_WORK // n ** 3)
    if count > most:
        raise ResourceLimitError(
            f"`starts`={count} Newton starts at n={n} need about {count * n ** 3:.2g} flops per iteration "
            f"(limit MAX_NEWTON_WORK={MAX_NEWTON_WORK:.2g}); pass starts={most} "
            "or fewer, or use rnnsym.stability.contraction_factor() (q < 1 proves a unique fixed point) "
            "and RNN.simulate() from a few states."
        )
    if not np.all(np.isfinite(u)):
        raise InvalidArgumentError(f"the drive u = W_x x + b must be finite; got {u.tolist()}.")
    pieces = getattr(act, "pieces", None)
    if pieces is not None and pattern_count(act, n) * n ** 3 <= MAX_PATTERN_WORK:
        sets = enumerate_fixed_points(act, W, u)
        points = [_make_point(net, u, np.array([float(v) for v in p.h]), dps, polish,
                              _exact_enclosure(p.h, dps), p.degenerate) for p in sets.points]
        reason = (f"all {sets.patterns} activation patterns solved in exact rational arithmetic: "
                  f"{len(points)} isolated point(s), {len(sets.continua)} continuum(a)"
                  + (" (dimensions from float64 linear programs)" if sets.continua else ""))
        return _result(points, True, "piecewise-linear enumeration", reason, u, 0, tuple(sets.continua))
    why = ""
    diagonal = np.count_nonzero(W - np.diag(np.diag(W))) == 0
    if diagonal and not supports(act):
        why = f"{act.name} has no smooth interval extension (the built-in tanh, sigmoid and softsign have)"
    elif supports(act) and pieces is None and diagonal:
        boxes, why = _decoupled(act, W, u, dps)
        if boxes is not None:
            points = [_make_point(net, u, np.array([float(v) for v in e.mid]), dps, polish, e) for e in boxes]
            return _result(points, True, "exact 1-D count" if n == 1 else "decoupled 1-D counts", why, u, 0)
    found, flags, note = _multistart(net, u, count, seed, tol, merge_tol, max_iter, dps)
    q = contraction_factor(W, act)  # the float weights: the SymPy matrices need not be built
    continua: tuple = ()
    if q < 1:
        reason = f"q = ||W_h||_2 L_phi = {q:.6g} < 1 proves a unique fixed point (correction C14)"
        if len(found) != 1:  # iterate the contraction itself (Banach)
            F = _numpy_kernels(net, dps)[0]
            h = np.zeros(n) if not len(found) else found[0]
            for _ in range(10_000):
                h_next = F(h, u)[:, 0] + h
                if np.abs(h_next - h).max() <= tol:
                    break
                h = h_next
            found, flags = h_next[None], np.zeros(1, dtype=bool)
        points = [_make_point(net, u, h, dps, polish, None, f) for h, f in zip(found, flags)]
        return _result(points, True, "contraction", reason, u, count)
    if pieces is not None:
        continua, exact_points, left, note_pl = _pattern_continua(net, u, found)
        note += note_pl
        points = [_make_point(net, u, np.array([float(v) for v in p.h]), dps, polish,
                              _exact_enclosure(p.h, dps), p.degenerate) for p in exact_points]
        points += [_make_point(net, u, h, dps, polish) for h in left]
    else:
        points = [_make_point(net, u, h, dps, polish, None, f) for h, f in zip(found, flags)]
    reason = (f"multi-start Newton from {count} starts found {len(points)} isolated point(s){note}; no certificate "
              f"({why + '; ' if why else ''}q = ||W_h||_2 L_phi = {q:.6g} >= 1), so the list may be incomplete")
    return _result(points, False, None, reason, u, count, continua)


#: Most activation patterns solved exactly for the points Newton found (beyond the enumeration).
MAX_FOUND_PATTERNS = 256


def _pattern_continua(net: Any, u: np.ndarray, found: np.ndarray) -> tuple[tuple, list, list, str]:
    """Continua through Newton's points, and the exact values of the isolated ones (piecewise-linear)."""
    act, W = net.activation, net.numeric_weights()[0]
    sets = sets_through(act, W, u, found, max_patterns=MAX_FOUND_PATTERNS)
    exact = [np.array([float(v) for v in p.h]) for p in sets.points]
    left = [h for h in found if not any(c.contains(h, 1e-7) for c in sets.continua)
            and not any(np.abs(x - h).max() <= 1e-7 * max(1.0, np.abs(h).max()) for x in exact)]
    note = (f"; {sets.patterns} activation pattern(s) through these points solved exactly: "
            f"{len(sets.points)} exact point(s), {len(sets.continua)} continuum(a)"
            + (f", {len(left)} point(s) in no pattern's set kept as found" if left else ""))
    return tuple(sets.continua), sets.points, left, note
