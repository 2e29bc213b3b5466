"""The stability of a computed fixed point whose ``rho(J)`` is near 1: exact where the point is, honest where not.

:func:`rnnsym.stability.classify_jacobian` decides the numbers it is given.
At a fixed point those are ``J = diag(phi'(z)) W``, ``z = W h + u``, at a
*computed* ``h``; near the unit circle the verdict about that matrix is the
verdict about the fixed point only if ``J`` is known well enough:

* :func:`exact_jacobian` -- ``h`` is an exact root: with ``z`` in exact
  rational arithmetic (``W``, ``u`` and ``h`` are binary fractions), SymPy
  evaluates ``phi(z_i) - h_i`` to 0 (``tanh(0) = 0``, ``sigmoid(0) = 1/2``,
  ``relu`` of a rational...).  Then ``J`` is SymPy's exact ``phi'(z_i) W_ij``
  (None at a kink of a piecewise-linear ``phi``, where ``phi'`` jumps);
* :func:`jacobian_error` -- otherwise, an estimate of how far the entries of
  ``J`` at ``h`` are from those at the root: ``|dh| <= 4 sqrt(n) (|F| + rounding)
  / sigma_min(I - J)`` (the Newton correction, with ``F(h) = phi(z) - h`` and its
  rounding bound, :mod:`~rnnsym.fixedpoints.nearroots`), then ``|phi'(z_i +- dz_i)
  - phi'(z_i)| |W_ij|`` with ``dz = |W| |dh|``, plus the rounding of ``phi'``.
  A degenerate root (``sigma_min = 0``) gives an infinite error: undecided;
* :func:`float_stability` -- the float64 verdict where neither the rounding
  of ``J`` nor that error can move a modulus across 1;
* :func:`point_stability` -- that verdict, else the exact Jacobian's, else
  :func:`~rnnsym.stability.classify_jacobian` on the numbers at hand, kept
  only where that error could not change it (else ``"undecided"``).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp

from rnnsym.activations import Activation, Z
from rnnsym.fixedpoints.nearroots import ACCEPT
from rnnsym.kernel import compile as compile_kernel
from rnnsym.stability import KINDS, UNDECIDED, Stability, classify_jacobian, classify_moduli

__all__ = ["exact_jacobian", "jacobian_error", "float_stability", "point_stability"]

EPS = float(np.finfo(float).eps)


def _rational(v: Any) -> Fraction:
    if isinstance(v, mpmath.mpf):
        man, exp = v.man_exp
        return Fraction(int(man) << exp) if exp >= 0 else Fraction(int(man), 1 << -exp)
    return Fraction(float(v))


def exact_jacobian(act: Activation, W: np.ndarray, u: np.ndarray, h: Any) -> sp.Matrix | None:
    """SymPy's exact ``J = diag(phi'(z)) W`` where ``h`` (floats or mpf) is an exact fixed point; else None."""
    Wq = [[_rational(v) for v in row] for row in np.asarray(W, dtype=float)]
    hq = [_rational(v) for v in h]
    zq = [sum((w * x for w, x in zip(row, hq)), Fraction(0)) + _rational(b) for row, b in zip(Wq, u)]
    z = [sp.Rational(v.numerator, v.denominator) for v in zq]
    if act.pieces is not None and any(end.is_finite and end == zi for zi in z for piece in act.pieces
                                      for end in piece[:2]):
        return None  # at a kink: phi' is not defined there
    if any(act.expr.subs(Z, zi) - sp.Rational(x.numerator, x.denominator) != 0 for zi, x in zip(z, hq)):
        return None  # not 0 as SymPy evaluates it: not known to be exact
    slopes = [act.derivative_expr.subs(Z, zi) for zi in z]
    return sp.Matrix([[slopes[i] * sp.Rational(w.numerator, w.denominator) for w in row]
                      for i, row in enumerate(Wq)])


@lru_cache(maxsize=32)
def _mp(act: Activation, digits: int) -> tuple[Callable[[Any], Any], ...]:
    """``phi`` and ``phi'`` on one mpf at ``digits`` digits."""
    kernels = [compile_kernel(e, [Z], backend="mpmath", dps=digits) for e in (act.expr, act.derivative_expr)]
    return tuple(lambda x, k=k: mpmath.mpmathify(np.asarray(k(x)).item()) for k in kernels)


def _sigma_min(J: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        s = np.linalg.svd(np.eye(len(J)) - J, compute_uv=False)
    return float(s[-1]) if np.all(np.isfinite(s)) else 0.0


def jacobian_error(act: Activation, W: np.ndarray, u: np.ndarray, h: Any, digits: int | None = None) -> float:
    """An estimate of the largest error of the entries of ``J`` at ``h`` against ``J`` at the nearby root.

    ``digits``: ``h`` (mpf) and ``J`` at that many digits (mpmath); None: float64.
    """
    W, u = np.asarray(W, dtype=float), np.asarray(u, dtype=float)
    n = len(u)
    if digits is None:
        hf = np.asarray(h, dtype=float)
        with np.errstate(all="ignore"):
            z = W @ hf + u
            F, slope = act.numpy(z) - hf, act.numpy_prime(z)
            scale = np.abs(hf) + np.abs(act.numpy(z)) + np.abs(slope) * (np.abs(W) @ np.abs(hf) + np.abs(u))
            bound = np.abs(F) + ACCEPT * (n + 4) * EPS * scale
            dh = 0.0 if bound.max() == 0 else 4 * np.sqrt(n) * bound.max() / _sigma_min(slope[:, None] * W)
            if not np.isfinite(dh):
                return float("inf")
            dz = np.abs(W) @ np.full(n, dh)
            moved = np.maximum(np.abs(act.numpy_prime(z + dz) - slope), np.abs(act.numpy_prime(z - dz) - slope))
            error = (moved + 4 * EPS * np.abs(slope))[:, None] * np.abs(W)
        return float(error.max()) if np.all(np.isfinite(error)) else float("inf")
    phi, dphi = _mp(act, digits)
    with mpmath.workdps(digits):
        hm = [mpmath.mpf(v) for v in h]
        zm = [mpmath.fsum(mpmath.mpf(float(w)) * x for w, x in zip(row, hm)) + mpmath.mpf(float(b))
              for row, b in zip(W, u)]
        value, slopes = [phi(zi) for zi in zm], [dphi(zi) for zi in zm]
        rounding = mpmath.mpf(10) ** (5 - digits)
        bound = max(abs(value[i] - hm[i]) + rounding * (abs(hm[i]) + abs(value[i]) + abs(slopes[i]) * (
            mpmath.fsum(abs(float(w)) * abs(x) for w, x in zip(W[i], hm)) + abs(float(u[i])))) for i in range(n))
        sigma = _sigma_min(np.array([[float(slopes[i]) * W[i, j] for j in range(n)] for i in range(n)]))
        if sigma == 0 and bound != 0:
            return float("inf")
        dh = 0 if bound == 0 else 4 * mpmath.sqrt(n) * bound / sigma
        dz = [dh * float(np.abs(W[i]).sum()) for i in range(n)]
        shift = [max(abs(dphi(zm[i] + dz[i]) - slopes[i]), abs(dphi(zm[i] - dz[i]) - slopes[i]))
                 + rounding * abs(slopes[i]) for i in range(n)]
        return float(max(shift[i] * abs(float(W[i, j])) for i in range(n) for j in range(n)))


def _robust(rows: list, digits: int, error: float) -> bool:
    """No eigenvalue of ``rows`` can cross the unit circle when each entry moves by ``error``.

    Eigenvalues move by at most Bauer-Fike's ``kappa(V) ||E||`` or Elsner's
    ``(2 ||J|| + ||E||)**(1 - 1/n) ||E||**(1/n)`` (``||E||_2 <= n error``); the
    verdict stands when no modulus is that close to 1, or when moduli beyond
    that distance lie on both sides (a saddle stays one).
    """
    if not np.isfinite(error):
        return False
    n, delta = len(rows), len(rows) * error
    with mpmath.workdps(digits):
        mat = mpmath.matrix([[mpmath.mpmathify(v) for v in row] for row in rows])
        E, V = ([mat[0, 0]], mpmath.eye(1)) if n == 1 else mpmath.eig(mat, left=False, right=True)
        elsner = (2 * mpmath.mnorm(mat, "f") + delta) ** (1 - mpmath.mpf(1) / n) * mpmath.mpf(delta) ** (
            mpmath.mpf(1) / n)
        try:
            kappa = mpmath.mnorm(V, "f") * mpmath.mnorm(V ** -1, "f")
        except ZeroDivisionError:
            kappa = mpmath.inf
        reach = min(kappa * delta, elsner) + mpmath.mpf(10) ** (5 - digits) * max(1, mpmath.mnorm(mat, "f"))
        offsets = [abs(e) - 1 for e in E]
        return (any(o > reach for o in offsets) and any(o < -reach for o in offsets)) or all(
            abs(o) > reach for o in offsets)


def float_stability(act: Activation, W: np.ndarray, u: np.ndarray, h: Any, tol: float = 1e-9,
                    J: np.ndarray | None = None) -> Stability | None:
    """The float64 verdict at the float point ``h`` where neither the rounding of ``J`` nor the point's
    own error (:func:`jacobian_error`) can move a modulus across 1: each eigenvalue moves at most
    ``(8 n eps ||J||_F + n error) kappa_i`` (first order), and never beyond Elsner's bound; else None."""
    W, u, h = np.asarray(W, dtype=float), np.asarray(u, dtype=float), np.asarray(h, dtype=float)
    if J is None:
        J = act.numpy_prime(W @ h + u)[:, None] * W
    error = jacobian_error(act, W, u, h)
    if not np.isfinite(error):
        return None
    n, norm = len(J), float(np.linalg.norm(J))
    eigs, vecs = np.linalg.eig(J)
    with np.errstate(all="ignore"):
        try:
            kappa = np.linalg.norm(np.linalg.inv(vecs), axis=1) * np.linalg.norm(vecs, axis=0)
        except np.linalg.LinAlgError:
            kappa = np.full(n, np.inf)
        rounding = 8 * n * EPS * norm
        delta = n * error + rounding
        elsner = (2 * norm + delta) ** (1 - 1 / n) * delta ** (1 / n)
        reach = np.minimum(np.where(np.isfinite(kappa), (rounding + n * error) * kappa, np.inf), elsner)
    moduli = np.abs(eigs)
    code = int(classify_moduli(moduli[None], np.maximum(tol, reach)[None])[0])
    rho = float(moduli.max())
    return None if code == UNDECIDED else Stability(KINDS[code], rho, eigs, abs(rho - 1), True, "float64")


def point_stability(act: Activation, W: np.ndarray, u: np.ndarray, h: Any, tol: float = 1e-9,
                    J: np.ndarray | None = None, exact: Any = None, digits: int | None = None) -> Stability:
    """The stability of the fixed point computed as ``h`` (floats, or mpf at ``digits`` digits).

    ``J``: the float Jacobian at ``h`` (computed here if None); ``exact``: its
    entries at ``digits`` digits (mpf) for :func:`~rnnsym.stability.classify_jacobian`.
    A verdict that the error of those entries (:func:`jacobian_error`) could
    change is ``"undecided"``.
    """
    W, u = np.asarray(W, dtype=float), np.asarray(u, dtype=float)
    if J is None:
        J = act.numpy_prime(W @ np.asarray(h, dtype=float) + u)[:, None] * W
    first = float_stability(act, W, u, np.array([float(v) for v in h]), tol, J)
    if first is not None:
        return first
    symbolic = exact_jacobian(act, W, u, h)
    if symbolic is not None:
        return classify_jacobian(J, exact=symbolic, tol=tol)
    dps = digits or 30
    stab = classify_jacobian(J, exact=exact, tol=tol, dps=dps)
    error = jacobian_error(act, W, u, h, digits)
    if stab.kind != "undecided" and _robust(J.tolist() if exact is None else exact, 2 * dps, error):
        return stab
    return Stability("undecided", stab.spectral_radius, stab.eigenvalues, stab.margin, False,
                     f"{stab.precision}, at a point whose J is known to {error:.2g}")
