"""Spectral norm against spectral radius: normality and transient growth.

``rho(W) <= ||W||_2`` always, with equality for every normal matrix
(``W^T W = W W^T``).  The converse fails (correction C13):
``[[0.9, 0, 0], [0, 0, 0.5], [0, 0, 0]]`` is not normal yet
``||W||_2 = rho = 0.9``.  A non-normal ``W`` with ``rho < 1`` can still
amplify for a while: ``max_k ||W^k||_2`` (:func:`transient_growth`) exceeds
1.  For the Jordan-type matrix ``[[lam, s], [0, lam]]`` SymPy derives the
power, its norm and the lag of the peak in closed form
(:func:`jordan_power`, :func:`jordan_power_norm`, :func:`jordan_peak_lag`,
:func:`jordan_transient_peak`).

Examples
--------
>>> from rnnsym.linear.normality import is_normal, spectral_norm, spectral_radius, transient_growth
>>> W = [[0.9, 0, 0], [0, 0, 0.5], [0, 0, 0]]
>>> is_normal(W), round(spectral_norm(W), 12), round(spectral_radius(W), 12)
(False, 0.9, 0.9)
>>> g = transient_growth([[0.9, 1.0], [0.0, 0.9]])
>>> g.k_peak, round(g.peak, 4)
(9, 3.9126)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from scipy.linalg import eigh

from rnnsym.stability import spectral_norm, spectral_radius  # one implementation, re-exported
from rnnsym.symbols import LAM
from rnnsym.errors import DomainError, InvalidArgumentError, ResourceLimitError
from rnnsym._matrices import as_expr, as_float, as_int, as_limit, as_matrix, as_tolerance, check_square
from rnnsym.kernel import compile as compile_kernel

__all__ = [
    "normality_defect", "is_normal", "MAX_SIMPLIFY_OPS", "MAX_NORMALITY_SYMBOLS", "spectral_norm",
    "spectral_radius", "TransientGrowth",
    "transient_growth", "jordan_matrix", "jordan_power", "jordan_power_norm", "jordan_peak_lag",
    "jordan_transient_peak", "LAM", "S", "K",
]

#: The symbols of the Jordan-type example ``[[lam, s], [0, lam]]`` and the power ``k``.
# The Jordan-type example is derived for lam > 0 on this positive stand-in and
# returned in the shared (assumption-free) LAM, valid for lam > 0.
_LAM_POS = sp.Dummy("lam", positive=True)
S = sp.Symbol("s", positive=True)
K = sp.Symbol("k", positive=True)
_K_INT = sp.Symbol("k", integer=True, nonnegative=True)
_MU = sp.Symbol("mu", positive=True)


def _square(W: Any, name: str = "W") -> sp.ImmutableMatrix:
    mat = as_matrix(W, name)
    check_square(mat.shape, name)
    return mat


def _float_array(W: Any, name: str = "W") -> np.ndarray:
    if isinstance(W, np.ndarray) and W.dtype.kind in "fiu" and W.ndim == 2 and W.shape[0] == W.shape[1] > 0:
        return W.astype(float)  # a real square array needs no SymPy round trip (seconds for n in the hundreds)
    mat = _square(W, name)
    if mat.free_symbols:
        raise InvalidArgumentError(
            f"`{name}` has symbolic entries ({', '.join(sorted(map(str, mat.free_symbols))[:4])}); "
            "substitute numbers first."
        )
    return np.array(mat.tolist(), dtype=float)


def normality_defect(W: Any) -> sp.ImmutableMatrix:
    """``W^T W - W W^T`` (zero exactly when ``W`` is normal).

    >>> a, b = sp.symbols("a b", real=True)
    >>> normality_defect([[a, b], [0, a]])
    Matrix([
    [-b**2,    0],
    [    0, b**2]])
    """
    mat = _square(W)
    return sp.ImmutableMatrix(sp.expand(mat.T * mat - mat * mat.T))


#: Largest ``count_ops`` of a non-polynomial normality defect that :func:`is_normal`
#: simplifies (trigonometric entries: 219 operations took 2.4 s, 552 took 8.5 s, 1135 27 s).
MAX_SIMPLIFY_OPS = 300
#: Largest number of free symbols :func:`is_normal` expands ``W^T W - W W^T`` with
#: (fully symbolic: 144 symbols (12x12) took 2.7 s, 576 (24x24) over 15 s).
MAX_NORMALITY_SYMBOLS = 150


def is_normal(W: Any, *, tol: float = 1e-10, max_ops: int | None = None,
              max_symbols: int | None = None) -> bool | None:
    """Whether ``W^T W = W W^T``.

    Exact and symbolic entries are decided by SymPy (``None`` when that
    depends on the symbols' values); floats within ``tol * ||W||_F**2``.
    Polynomial entries need only the expanded defect; any other defect is
    simplified.  Refused up front (:class:`~rnnsym.errors.ResourceLimitError`)
    with more than ``max_symbols`` free symbols (default
    :data:`MAX_NORMALITY_SYMBOLS`) or, before simplifying, a defect of more
    than ``max_ops`` operations (default :data:`MAX_SIMPLIFY_OPS`).

    >>> is_normal([[0, -1], [1, 0]]), is_normal([[1, 1], [0, 1]])
    (True, False)
    >>> is_normal([[sp.Symbol("a"), sp.Symbol("b")], [0, 1]]) is None
    True
    """
    tol = as_tolerance(tol)
    if isinstance(W, np.ndarray) and W.dtype.kind == "f" and W.ndim == 2 and W.shape[0] == W.shape[1] > 0 \
            and np.isfinite(W).all():
        return _float_normal(W.astype(float), tol)  # the float test below, without SymPy (seconds at n = 1024)
    mat = _square(W)
    symbol_limit = as_limit(max_symbols, "max_symbols", MAX_NORMALITY_SYMBOLS)
    limit = as_limit(max_ops, "max_ops", MAX_SIMPLIFY_OPS)
    if any(entry.has(sp.Float) for entry in mat) and not mat.free_symbols:
        return _float_normal(np.array(mat.tolist(), dtype=float), tol)
    syms = sorted(mat.free_symbols, key=str)
    if len(syms) > symbol_limit:
        raise ResourceLimitError(
            f"`W` ({mat.rows}x{mat.cols}) has {len(syms)} free symbols, above the limit "
            f"max_symbols={symbol_limit} for an exact normality test; substitute numbers and pass "
            f"floats (is_normal(np.array(W, dtype=float))), or pass max_symbols={len(syms)} to try anyway."
        )
    defect = normality_defect(mat)  # expanded: a polynomial entry is zero only if it is 0
    if all(e.is_polynomial(*syms) for e in defect):
        return defect.is_zero_matrix
    ops = int(sp.count_ops(defect))
    if ops > limit:
        raise ResourceLimitError(
            f"`W` ({mat.rows}x{mat.cols}) has a normality defect W^T W - W W^T of {ops} operations, above "
            f"the limit max_ops={limit} for simplify(); substitute numbers and pass floats "
            f"(is_normal(np.array(W, dtype=float))), or pass max_ops={ops} to try anyway."
        )
    return sp.simplify(defect).is_zero_matrix


def _float_normal(arr: np.ndarray, tol: float) -> bool:
    defect = arr.T @ arr - arr @ arr.T
    return bool(np.linalg.norm(defect) <= tol * max(np.linalg.norm(arr) ** 2, 1e-300))


@dataclass(frozen=True)
class TransientGrowth:
    """``||W^k||_2`` for ``k = 0 .. len(norms) - 1`` and its maximum.

    Attributes
    ----------
    norms : ndarray
        ``||W^k||_2`` from ``k = 0`` (float64 powers).
    peak : float
        The largest of ``norms`` (at least ``||I|| = 1``).  When ``exact``
        it is ``max_k ||W^k||_2`` over *all* ``k >= 0``, to within
        ``error``; otherwise only a lower bound (to within ``error``) on it.
    k_peak : int
        The first ``k`` attaining ``peak``.
    exact : bool
        True when the peak is certified global: some scanned ``K >= 1`` has
        ``||W^K||_2 <= 1`` even after adding ``error``, so that every later
        power ``W^(qK+r)`` (``0 <= r < K``) has norm at most
        ``||W^K||^q ||W^r|| <= ||W^r||``, an earlier one.
    error : float
        A bound on the rounding error of every scanned norm: each ``norms[k]``
        is within ``error`` of the exact ``||W^k||_2`` of the float ``W``.
    """

    norms: np.ndarray
    peak: float
    k_peak: int
    exact: bool
    error: float = 0.0

    @property
    def certified(self) -> bool:
        """The same as :attr:`exact`: ``peak`` is the maximum over all ``k``."""
        return self.exact

    @property
    def message(self) -> str:
        """One line: the certified peak, or the honest lower bound.

        >>> transient_growth([[0.9, 1.0], [0.0, 0.9]]).message
        'max_k ||W^k||_2 = 3.91257 at k = 9 (certified)'
        >>> transient_growth([[0.999, 1.0], [0.0, 0.999]], k_max=200).message
        'max_k ||W^k||_2 >= 163.898 (at k = 200; k <= 200 scanned, not certified)'
        """
        if self.exact:
            return f"max_k ||W^k||_2 = {self.peak:.6g} at k = {self.k_peak} (certified)"
        return (f"max_k ||W^k||_2 >= {self.peak:.6g} (at k = {self.k_peak}; "
                f"k <= {len(self.norms) - 1} scanned, not certified)")


def transient_growth(W: Any, k_max: int | None = None, *, limit: int = 100_000) -> TransientGrowth:
    """``max_k ||W^k||_2`` and where it is attained, by repeated multiplication.

    Without ``k_max`` powers are formed until the peak is certified: the
    first ``K >= 1`` with ``||W^K||_2 <= 1`` (an upper bound, rounding
    included) bounds every later power by an earlier one,
    ``||W^(qK+r)|| <= ||W^K||^q ||W^r|| <= ||W^r||``, so the largest norm
    seen is the maximum over all ``k`` (``exact=True``).  This needs
    ``rho(W) < 1``.  ``limit`` caps the number of powers (a resource limit):
    past it the result is returned with ``exact=False`` and ``peak`` is only
    a lower bound ("at least", see :attr:`TransientGrowth.message`).
    With ``k_max`` exactly the powers ``k = 0 .. k_max`` are formed; the
    result is ``exact`` when a certificate falls inside that window.

    Rounding: a computed power carries the errors of the products before it,
    ``P_k - W^k = sum_j d_j W^(k-j)`` with ``||d_j||_F <= gamma_n ||P_(j-1)||_F ||W||_F``
    and ``||W^(k-j)||_2`` bounded by the largest upper bound so far (or, the
    product of absolute values ``|W|^k`` where that is smaller); the SVD adds
    ``4 n eps`` relatively.  Certificates use the norms plus this bound, so a
    certificate is not an artefact of rounding.

    >>> transient_growth([[0.5, 0.0], [0.0, 0.25]]).k_peak
    0
    >>> g = transient_growth([[0.999, 1.0], [0.0, 0.999]])
    >>> g.k_peak, round(g.peak, 3), g.exact
    (999, 368.064, True)
    >>> transient_growth([[1.1]])
    Traceback (most recent call last):
    ...
    rnnsym.errors.DomainError: `W` has spectral radius 1.1 >= 1, so ||W^k||_2 need not peak; pass `k_max` to scan k = 0..k_max.
    """
    arr = _float_array(W)
    if not np.isfinite(arr).all():
        raise InvalidArgumentError("`W` must be finite.")
    k_max = None if k_max is None else as_int(k_max, "k_max", low=0)
    limit = as_int(limit, "limit", low=1)
    rho = spectral_radius(arr) if k_max is None else 0.0  # (eigenvalues: seconds at n = 1024, needed only here)
    if k_max is None and rho >= 1:
        raise DomainError(
            f"`W` has spectral radius {rho:.6g} >= 1, so ||W^k||_2 need not peak; "
            "pass `k_max` to scan k = 0..k_max."
        )
    norms, error, certified = _scan_powers(arr, limit if k_max is None else int(k_max), stop=k_max is None)
    values = np.array(norms)
    k_peak = int(np.argmax(values))
    return TransientGrowth(values, float(values[k_peak]), k_peak, certified, error)


def _frobenius(M: np.ndarray) -> float:
    """``||M||_F`` scaled first, so entries near 1e200 do not overflow the sum of squares."""
    top = float(np.abs(M).max()) if M.size else 0.0
    if not 0.0 < top < math.inf:
        return top
    return top * float(np.linalg.norm(M / top))


#: Above this ``n`` a power's 2-norm is the root of the top eigenvalue of its Gram matrix (LAPACK
#: ``syevr``, one eigenvalue) instead of its first singular value: 10x faster at n = 256.
GRAM_NORM_N = 64


def _norm2(P: np.ndarray) -> tuple[float, float]:
    """``||P||_2`` and a bound on its relative rounding error.

    Up to :data:`GRAM_NORM_N` the SVD (``4 n eps``).  Above it ``sqrt(lambda_max(P^T P))``: forming
    ``P^T P`` errs by ``gamma_n || |P| ||_2^2 <= gamma_n n ||P||_2^2`` and the symmetric eigensolver by
    ``O(n eps) ||P||_2^2``, so the root is within ``(1.01 n^2 + 4 n) eps`` relatively.
    """
    n, eps = P.shape[0], float(np.finfo(float).eps)
    if n <= GRAM_NORM_N:
        return float(np.linalg.norm(P, 2)), 4 * n * eps
    top = float(np.abs(P).max())
    if not 0.0 < top < math.inf:
        return top, 4 * n * eps
    Q = P / top  # scaled, so the Gram matrix neither overflows nor underflows
    lam = eigh(Q.T @ Q, eigvals_only=True, subset_by_index=[n - 1, n - 1], driver="evr")[0]
    return top * math.sqrt(max(float(lam), 0.0)), (1.01 * n * n + 4 * n) * eps


def _scan_powers(arr: np.ndarray, steps: int, stop: bool) -> tuple[list[float], float, bool]:
    """``||W^k||_2`` for ``k <= steps`` (fewer when ``stop`` and certified), the error bound, certified."""
    n = arr.shape[0]
    eps = float(np.finfo(float).eps)
    gamma = 1.01 * n * eps  # one product's relative error, componentwise
    w_fro, absolute = _frobenius(arr), np.abs(arr)
    norms, power = [1.0], np.eye(n)
    abs_power: np.ndarray | None = np.eye(n)  # |W|^k, dropped once it overflows
    running_upper, drift, error, certified = 1.0, 0.0, 0.0, False
    for k in range(1, steps + 1):
        drift += gamma * _frobenius(power) * w_fro   # ||d_k||_F, before power moves on
        with np.errstate(over="ignore", invalid="ignore"):
            power = power @ arr
        if not np.isfinite(power).all():
            break   # the powers overflow floats: what was scanned is all there is (not certified)
        norm, relative = _norm2(power)
        # the normwise recursion (later powers' norms bounded by the largest upper bound so far),
        # or the componentwise bound gamma_{kn} || |W|^k ||_F: whichever is smaller
        componentwise = math.inf
        if abs_power is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                abs_power = abs_power @ absolute
                componentwise = 1.01 * k * gamma * _frobenius(abs_power)
            if not componentwise < 1e300:
                abs_power = None  # |W|^k overflowed: the normwise bound alone from here on
        rounding = min(drift * running_upper, componentwise)
        err_k = rounding + relative * norm
        error = max(error, err_k)
        running_upper = max(running_upper, norm + err_k)
        norms.append(norm)
        if norm + err_k <= 1.0:
            certified = True
            if stop:
                break
    return norms, error, certified


# -- the Jordan-type example, derived by SymPy --------------------------------
def jordan_matrix(lam: Any = LAM, s: Any = S) -> sp.ImmutableMatrix:
    """``[[lam, s], [0, lam]]``.

    >>> jordan_matrix()
    Matrix([
    [lam,   s],
    [  0, lam]])
    """
    lam, s = as_expr(lam, "lam"), as_expr(s, "s")
    return sp.ImmutableMatrix([[lam, s], [0, lam]])


@lru_cache(maxsize=None)
def jordan_power() -> sp.ImmutableMatrix:
    """``W^k`` for ``W = [[lam, s], [0, lam]]``, computed by SymPy's matrix power.

    >>> jordan_power()
    Matrix([
    [lam**k, k*lam**(k - 1)*s],
    [     0,           lam**k]])
    """
    return sp.ImmutableMatrix((sp.Matrix(jordan_matrix()) ** _K_INT).subs(_K_INT, K))


@lru_cache(maxsize=None)
def jordan_power_norm() -> sp.Expr:
    """``||W^k||_2``: the square root of the largest eigenvalue of ``(W^k)^T W^k``.

    Valid for ``lam, s > 0``; ``||W^k||_2`` depends only on ``|lam|`` and ``|s|``.

    >>> round(float(jordan_power_norm().subs({LAM: 0.9, S: 1, K: 9})), 4)
    3.9126
    """
    return _jordan_power_norm_positive().xreplace({_LAM_POS: LAM})


@lru_cache(maxsize=None)
def _jordan_power_norm_positive() -> sp.Expr:
    power = jordan_power().xreplace({LAM: _LAM_POS})
    gram = sp.simplify(power.T * power)
    roots = [sp.simplify(sp.sqrt(r)) for r in sp.Matrix(gram).eigenvals()]
    # Both roots are real; the larger one carries +sqrt(...): pick it at a sample point.
    sample = {_LAM_POS: sp.Rational(1, 2), S: 1, K: 3}
    return max(roots, key=lambda r: float(r.subs(sample)))


@lru_cache(maxsize=None)
def jordan_peak_lag() -> sp.Expr:
    """The stationary point ``k*`` of ``||W^k||_2`` for ``0 < lam < 1``, solved by SymPy.

    ``d/dk log ||W^k||_2 = 0`` is solved with ``lam = exp(-mu)``, ``mu > 0``.
    The norm is log-concave in ``k``, so ``k*`` is its maximiser when real.

    >>> round(float(jordan_peak_lag().subs({LAM: 0.9, S: 1})), 2)
    9.32
    """
    slope = sp.diff(sp.expand_log(sp.log(_jordan_power_norm_positive()), force=True), K)
    solutions = sp.solve(sp.simplify(slope.subs(_LAM_POS, sp.exp(-_MU))), K)
    if len(solutions) != 1:  # pragma: no cover - guards a change in SymPy's solver
        raise RuntimeError(f"expected one stationary point of ||W^k||_2; SymPy found {solutions}.")
    return sp.simplify(solutions[0].subs(_MU, -sp.log(_LAM_POS))).xreplace({_LAM_POS: LAM})


@lru_cache(maxsize=None)
def _compiled() -> tuple[Any, Any]:

    return (compile_kernel(jordan_power_norm(), [LAM, S, K]),
            compile_kernel(sp.expand(jordan_peak_lag() ** 2), [LAM, S]))


def jordan_transient_peak(lam: float, s: float) -> tuple[float | None, int, float]:
    """``(k*, k_peak, max_k ||W^k||_2)`` for ``W = [[lam, s], [0, lam]]``, ``|lam| < 1``.

    ``k*`` is the real stationary lag (``None`` when ``k*^2 < 0``: then the
    norm falls from ``k = 0``); the integer peak is ``floor(k*)`` or
    ``ceil(k*)`` because the norm is log-concave in ``k``.

    >>> k_star, k_peak, peak = jordan_transient_peak(0.9, 1.0)
    >>> round(k_star, 2), k_peak, round(peak, 4)
    (9.32, 9, 3.9126)
    """
    lam, s = abs(as_float(lam, "lam", finite=False)), abs(as_float(s, "s", finite=False))
    if not (math.isfinite(lam) and math.isfinite(s)):
        raise InvalidArgumentError(f"`lam` and `s` must be finite; got lam={lam}, s={s}.")
    if not 0 < lam < 1:
        raise DomainError(f"`lam`={lam} must satisfy 0 < |lam| < 1 for ||W^k||_2 to peak.")
    if s == 0:
        return None, 0, 1.0
    norm, k_squared = _compiled()
    ks2 = float(k_squared(lam, s))
    if ks2 <= 0:
        return None, 0, 1.0
    k_star = math.sqrt(ks2)
    candidates = {0, math.floor(k_star), math.ceil(k_star)}
    values = {kk: (1.0 if kk == 0 else float(norm(lam, s, float(kk)))) for kk in candidates}
    k_peak = max(sorted(values), key=lambda kk: values[kk])
    return k_star, int(k_peak), values[k_peak]
