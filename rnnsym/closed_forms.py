"""Batched spectral radius, spectral norm and stability of 2x2 and 3x3 matrices.

For millions of small Jacobians ``J = diag(phi'(a)) W_h`` a closed form,
derived here by SymPy and compiled with common-subexpression elimination
into one fused loop (:func:`rnnsym.kernel.compile`, ``backend="fused"``),
is an order of magnitude faster than ``numpy.linalg.eigvals`` on the stacked
matrices.  Naive closed forms (through the determinant and the
discriminant) lose every digit near repeated eigenvalues; the forms here
avoid cancellation that the problem does not force:

* ``n = 2``: ``J = m I + K`` with ``m = tr J / 2``; the eigenvalues are
  ``m +- sqrt(disc)``, where SymPy reduces ``disc`` to
  ``((J00 - J11)/2)**2 + J01 J10`` by substituting the trace-free split.
  Real eigenvalues give ``rho = |m| + sqrt(disc)``, complex ones
  ``rho = sqrt(m**2 - disc)``: sums of like-signed terms only.
* ``n = 3``: the depressed cubic ``mu**3 + p mu + q`` of ``K = J - (tr J/3) I``
  with ``p = -tr(K**2)/2`` (SymPy checks the identity); three real roots
  from the trigonometric form, otherwise Cardano with ``u**3 + v**3 = -q``
  and ``u**3 - v**3 = -2 s sqrt(D)`` factored by SymPy so that neither the
  real root nor the imaginary part is a difference of nearly equal numbers.
* spectral norm ``n = 2``: ``J = [[e+f, g+h], [g-h, e-f]]`` turns
  ``tr(J^T J) +- 2 det J`` into sums of squares, so
  ``||J||_2 = sqrt(e**2 + h**2) + sqrt(f**2 + g**2)``; ``n = 3``: the largest
  root of the characteristic cubic of ``J^T J`` in trigonometric form.

Every matrix is scaled by a power of two near ``max |J_ij|`` (exact) before the closed form
runs, so saturated units (``phi' ~ 1e-60``) neither underflow nor overflow
(:func:`jacobian_spectral_radius`, which never forms ``J``, assumes ``1e-75 < |J_ij| < 1e75``).
Other sizes, and complex input, use LAPACK.  Near repeated eigenvalues the problem itself is
ill-conditioned; there the closed form is as accurate as ``numpy.linalg.eigvals``
(property-tested against mpmath in ``tests/test_closed_forms.py``).  Examples:

>>> import numpy as np
>>> from rnnsym.closed_forms import batched_spectral_radius, classify_batch
>>> J = np.array([[[0.5, 1.0], [0.0, -2.0]], [[0.0, -0.5], [0.5, 0.0]]])
>>> batched_spectral_radius(J).tolist()
[2.0, 0.5]
>>> classify_batch(J).tolist()  # codes into rnnsym.stability.KINDS
[2, 0]
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import Cbrt

from rnnsym.activations import Activation, Z, get_activation
from rnnsym.symbols import LAM as _LAM
from rnnsym.errors import InvalidArgumentError, NonFiniteError, ShapeError
from rnnsym.kernel import Kernel, compile as compile_kernel
from rnnsym._matrices import as_float_array, matrix_symbols, vector_symbols
from rnnsym.stability import classify_moduli, decide_undecided

__all__ = [
    "CLOSED_FORM_SIZES", "eigenvalue_moduli_expr", "spectral_radius_expr", "spectral_norm_expr",
    "batched_eigenvalue_moduli", "batched_spectral_radius", "batched_spectral_norm",
    "classify_batch", "jacobian_spectral_radius",
]

#: Matrix sizes with a closed form; others fall back to LAPACK.
CLOSED_FORM_SIZES: tuple[int, ...] = (1, 2, 3)

_MU = sp.Symbol("mu")


def _J(n: int) -> sp.ImmutableMatrix:
    return matrix_symbols("J", n, n)


def _check_size(n: Any) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n not in CLOSED_FORM_SIZES:
        raise InvalidArgumentError(f"`n` must be one of {CLOSED_FORM_SIZES}; got {n!r}.")
    return int(n)


def _depressed_cubic(K: sp.MatrixBase, k: tuple) -> tuple[sp.Expr, sp.Expr]:
    """``(p, q)`` of ``det(mu I - K) = mu**3 + p mu + q`` for trace-free ``K``.

    ``k`` are the diagonal symbols of ``K``; SymPy confirms that
    ``p = -tr(K**2)/2`` once ``k[2] = -k[0] - k[1]``, and that form (a sum of
    squares on the diagonal) is the one returned.
    """
    coeffs = sp.Poly((_MU * sp.eye(3) - K).det(), _MU).all_coeffs()
    p_char, q = coeffs[2], coeffs[3]
    p = -(K * K).trace() / 2
    trace_free = {k[2]: -k[0] - k[1]}
    assert sp.expand(p_char.subs(trace_free) - p.subs(trace_free)) == 0
    assert sp.expand(coeffs[1].subs(trace_free)) == 0
    return p, q


_L = sp.Symbol("L")
#: Roots closer than this (unit-scaled matrices) go to LAPACK instead of the polish.
_POLISH_FLOOR = 1e-4
#: Polished roots with a larger condition number go to LAPACK (random matrices: 99.9% below 15).
_KAPPA_MAX = 30.0
#: Complex pairs with |p'(mu)| below this times rho (nearly triple or nearly real double) go to LAPACK.
_PAIR_SLOPE = 0.01
#: Unit-scaled spectral radii above this are far above any root's error (<= eps**(1/3)).
_SMALL_RHO = 1e-4


@lru_cache(maxsize=None)
def rayleigh_polish_expr() -> sp.ImmutableMatrix:
    """A real eigenvalue estimate ``L`` of the 3x3 ``J`` refined by a two-sided Rayleigh quotient.

    Returns ``[refined L, kappa]``, ``kappa = |x| |y| / |y^T x|`` the
    eigenvalue's condition number estimated from the same vectors.

    The roots of the characteristic polynomial carry errors of order
    ``eps ||J||**2 / separation``; ``y^T J x / y^T x``, with ``x`` and ``y``
    the largest column and row of ``adj(J - L I)`` (right and left null
    vectors), has LAPACK's error ``eps ||J|| kappa(lambda)`` plus a
    second-order term.  Where it moves ``L`` by more than
    ``1e-6 max |J_ij|`` (a near-defective ``J``) ``L`` is kept.
    """
    J = sp.Matrix(_J(3))
    adj = (J - _L * sp.eye(3)).adjugate()
    cols = [sum(adj[i, j] ** 2 for i in range(3)) for j in range(3)]
    rows = [sum(adj[i, j] ** 2 for j in range(3)) for i in range(3)]

    def pick(norms: list, entry: Any) -> list:
        # select by 0/1 weights, not Piecewise: a Piecewise inside the final
        # condition would be folded into nested conditions by SymPy
        first = sp.Heaviside(norms[0] - sp.Max(norms[1], norms[2]), 1)
        second = sp.Heaviside(norms[1] - norms[2], 1)
        return [first * entry(0, k) + (1 - first) * (second * entry(1, k) + (1 - second) * entry(2, k))
                for k in range(3)]

    x = sp.Matrix(pick(cols, lambda j, i: adj[i, j]))
    y = sp.Matrix(pick(rows, lambda i, j: adj[i, j]))
    quotient = (y.T * (J * x))[0] / (y.T * x)[0]
    kappa = sp.sqrt((x.T * x)[0] * (y.T * y)[0]) / sp.Abs((y.T * x)[0])
    top = sp.Max(*[sp.Abs(e) for e in J])
    refined = sp.Piecewise((quotient, sp.Abs(quotient - _L) <= sp.Float(1e-6) * top), (_L, True))
    return sp.ImmutableMatrix([refined, kappa])


def _cubic_roots(m: sp.Expr, p: sp.Expr, q: sp.Expr) -> tuple[list[sp.Expr], list[sp.Expr]]:
    """``([a, b, c, f, g0, g1, g2], moduli)`` for the roots ``m + mu`` of ``mu**3 + p mu + q``.

    ``f = 0``: three real roots ``a, b, c``; ``f = 1``: the real root ``a``
    and the complex pair ``b +- i c``.  ``g_j``: root ``j``'s distance to the others.
    """
    D = (q / 2) ** 2 + (p / 3) ** 3
    # Three real roots (D < 0): mu_k = 2 r cos(phi - 2 pi k / 3), from cos(3 phi) = 4cos^3 - 3cos.
    r = sp.sqrt(-p / 3)
    c = sp.Max(-1, sp.Min(1, (-q / 2) / (r * r * r)))
    phi = sp.acos(c) / 3
    trig = [m + 2 * r * sp.cos(phi - 2 * sp.pi * j / 3) for j in range(3)] + [0]
    # One real root (D >= 0): u**3, v**3 are the roots of t**2 + q t - p**3/27 (u v = -p/3).
    u, v, w = sp.symbols("u v w")
    s = 2 * sp.Heaviside(q, 1) - 1  # sign(q), with +1 at q = 0
    plus, minus = sp.factor(u**3 + v**3), sp.factor(u**3 - v**3)  # (u+v)(...), (u-v)(...)
    sum_uv = (-q) / sp.cancel(plus / (u + v))           # u + v = (u^3 + v^3) / (u^2 - uv + v^2)
    diff_uv = (-2 * s * sp.sqrt(D)) / sp.cancel(minus / (u - v))
    cube = Cbrt(-q / 2 - s * sp.sqrt(D))
    uv = {u * v: -p / 3}
    sum_uv, diff_uv = (e.subs(uv).subs(u, cube).subs(v, -p / (3 * cube)) for e in (sum_uv, diff_uv))
    re, im = m - sum_uv / 2, sp.sqrt(3) * diff_uv / 2
    pair = sp.sqrt(re**2 + im**2)
    triple, one_real = sp.Eq(cube, 0), D >= 0
    roots = [sp.Piecewise((m if j < 3 else 0, triple), (cd, one_real), (tr, True))
             for j, (cd, tr) in enumerate(zip([m + sum_uv, re, sp.Abs(im), 1], trig))]
    moduli = [sp.Piecewise((sp.Abs(m), triple), (cd, one_real), (sp.Abs(tr), True))
              for cd, tr in zip([sp.Abs(m + sum_uv), pair, pair], trig[:3])]
    # each root's distance to the others (per branch: no Piecewise inside a condition)
    t = trig
    trig_gaps = [sp.Min(sp.Abs(t[0] - t[1]), sp.Abs(t[0] - t[2])), sp.Min(sp.Abs(t[0] - t[1]), sp.Abs(t[1] - t[2])),
                 sp.Min(sp.Abs(t[0] - t[2]), sp.Abs(t[1] - t[2]))]
    to_pair = sp.sqrt((m + sum_uv - re) ** 2 + im**2)
    cardano_gaps = [to_pair, sp.Min(to_pair, 2 * sp.Abs(im)), sp.Min(to_pair, 2 * sp.Abs(im))]
    gaps = [sp.Piecewise((0, triple), (cd, one_real), (tr, True)) for cd, tr in zip(cardano_gaps, trig_gaps)]
    return roots + gaps, moduli


def _unit_scale(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(J / 2**e, e)`` with ``max |J_ij| / 2**e`` in ``[1/2, 1)``: exact, so forms of degree
    1 scale back exactly (``np.ldexp(form, e)``) and neither ``J**6`` terms underflow nor overflow.

    ``e`` runs from -1073 (subnormal ``J``) to 1024, where ``2**e`` is no float: hence ``ldexp``.
    Scaling inside the SymPy forms would not survive CSE, which distributes
    powers over the quotient ``J_ij / 2**e`` and so underflows again.
    """
    flat = np.ascontiguousarray(arr).reshape(-1, arr.shape[-1] * arr.shape[-2])
    scaler = _numba_scaler()
    if scaler is not None:
        out, exponent = np.empty_like(flat), np.empty(flat.shape[0], dtype=np.int64)
        scaler(flat, out, exponent)
    else:  # NumPy: broadcasting over 3x3 inner blocks is slow, so repeat the exponents
        exponent = np.frexp(np.abs(flat).max(axis=-1))[1]
        out = np.ldexp(flat, np.repeat(-exponent, flat.shape[-1]).reshape(flat.shape))
    return out.reshape(arr.shape), exponent.reshape(arr.shape[:-2])


@lru_cache(maxsize=1)
def _numba_scaler() -> Any:
    try:
        import numba  # optional extra `fast`: imported only when the fused path runs
    except ImportError:
        return None

    @numba.njit(parallel=True)
    def scale_rows(flat: np.ndarray, out: np.ndarray, exponent: np.ndarray) -> None:  # pragma: no cover
        for i in numba.prange(flat.shape[0]):
            top = 0.0
            for k in range(flat.shape[1]):
                top = max(top, abs(flat[i, k]))
            e = math.frexp(top)[1]  # top = m 2**e, m in [1/2, 1); e = 0 for a zero matrix
            for k in range(flat.shape[1]):
                out[i, k] = math.ldexp(flat[i, k], -e)
            exponent[i] = e
    return scale_rows


@lru_cache(maxsize=None)
def eigenvalue_moduli_expr(n: int) -> sp.ImmutableMatrix:
    """Moduli of the eigenvalues of ``J`` (symbols ``J[i,j]``) as an ``(n, 1)`` matrix.

    >>> eigenvalue_moduli_expr(1)
    Matrix([[Abs(J[0,0])]])
    """
    n = _check_size(n)
    J = _J(n)
    if n == 1:
        return sp.ImmutableMatrix([sp.Abs(J[0, 0])])
    M, P, Q = sp.symbols("M P Q")  # mean eigenvalue and cubic coefficients, substituted last
    m = J.trace() / n
    if n == 2:
        f = sp.Symbol("f")  # J = M I + [[f, J01], [J10, -f]]: the trace-free split
        split = sp.Matrix([[M + f, J[0, 1]], [J[1, 0], M - f]])
        shifted = sp.expand((_LAM * sp.eye(2) - split).det().subs(_LAM, M + _MU))
        disc = -sp.Poly(shifted, _MU).all_coeffs()[-1]       # roots M +- sqrt(disc)
        real = sp.Abs(M) + sp.sqrt(disc)
        small = sp.Abs(sp.Abs(M) - sp.sqrt(disc))
        pair = sp.sqrt(M**2 - disc)
        moduli = [sp.Piecewise((real, disc >= 0), (pair, True)),
                  sp.Piecewise((small, disc >= 0), (pair, True))]
        values = {M: m, f: (J[0, 0] - J[1, 1]) / 2}
        with sp.evaluate(False):
            moduli = [e.xreplace(values).xreplace({M: m}) for e in moduli]
        return sp.ImmutableMatrix(moduli)
    return sp.ImmutableMatrix(_cubic_in_J()[1])


@lru_cache(maxsize=None)
def _cubic_in_J() -> tuple[list[sp.Expr], list[sp.Expr]]:
    """:func:`_cubic_roots` of the 3x3 ``J``, in the symbols ``J[i,j]``."""
    J = _J(3)
    M, P, Q = sp.symbols("M P Q")
    k = sp.symbols("k0:3")
    K = sp.Matrix(J)
    for i in range(3):
        K[i, i] = k[i]
    p, q = _depressed_cubic(K, k)
    roots, moduli = _cubic_roots(M, P, Q)
    with sp.evaluate(False):
        diag = {k[i]: J[i, i] - M for i in range(3)}
        values = {P: p.xreplace(diag), Q: q.xreplace(diag)}
        m = J.trace() / 3
        roots, moduli = ([e.xreplace(values).xreplace({M: m}) for e in group] for group in (roots, moduli))
    return roots, moduli


@lru_cache(maxsize=None)
def spectral_radius_expr(n: int) -> sp.Expr:
    """``rho(J) = max |lambda_i|`` of the symbols ``J[i,j]`` (first modulus is the largest for n = 2).

    >>> spectral_radius_expr(1)
    Abs(J[0,0])
    """
    moduli = list(eigenvalue_moduli_expr(_check_size(n)))
    return moduli[0] if len(moduli) <= 2 else sp.Max(*moduli, evaluate=False)


@lru_cache(maxsize=None)
def spectral_norm_expr(n: int) -> sp.Expr:
    """``||J||_2``, the largest singular value, of the symbols ``J[i,j]``.

    >>> spectral_norm_expr(1)
    Abs(J[0,0])
    """
    n = _check_size(n)
    J = _J(n)
    if n == 1:
        return sp.Abs(J[0, 0])
    if n == 2:
        e, f, g, h = sp.symbols("e f g h")
        split = sp.Matrix([[e + f, g + h], [g - h, e - f]])
        coords = sp.solve(list(split - J), [e, f, g, h], dict=True)[0]
        gram = split.T * split
        # (sigma_1 +- sigma_2)**2 = tr(G) +- 2|det J|: both sums of squares in e, f, g, h
        plus = sp.factor(sp.expand(gram.trace() + 2 * split.det()))
        minus = sp.factor(sp.expand(gram.trace() - 2 * split.det()))
        norm = (sp.sqrt(plus) + sp.sqrt(minus)) / 2
        with sp.evaluate(False):
            norm = norm.xreplace(coords)
        return norm
    G = sp.Matrix(J.T * J)
    M, P, Q = sp.symbols("M P Q")
    k = sp.symbols("k0:3")
    K = sp.Matrix(G)
    for i in range(3):
        K[i, i] = k[i]
    p, q = _depressed_cubic(K, k)
    r = sp.sqrt(-P / 3)  # G is symmetric: three real roots, the largest at phi = acos(c) / 3
    c = sp.Max(-1, sp.Min(1, (-Q / 2) / (r * r * r)))
    top = sp.Piecewise((M, sp.Eq(P, 0)), (M + 2 * r * sp.cos(sp.acos(c) / 3), True))
    with sp.evaluate(False):
        diag = {k[i]: G[i, i] - M for i in range(3)}
        top = top.xreplace({P: p.xreplace(diag), Q: q.xreplace(diag)}).xreplace({M: G.trace() / 3})
    return sp.sqrt(top)


@lru_cache(maxsize=None)
def _kernel(what: str, n: int, backend: str) -> Kernel:
    if what == "polish":
        return compile_kernel(rayleigh_polish_expr(), [_J(3), _L], backend=backend)
    if what == "roots":
        roots, moduli = _cubic_in_J()
        return compile_kernel(sp.ImmutableMatrix(roots + moduli), [_J(3)], backend=backend)
    expr = {"moduli": eigenvalue_moduli_expr, "radius": spectral_radius_expr,
            "norm": spectral_norm_expr}[what](n)
    return compile_kernel(expr, [_J(n)], backend=backend)


def _matrices(J: Any) -> np.ndarray:
    try:
        arr = np.asarray(J)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"`J` must be a numeric array (..., n, n); got {type(J).__name__}.") from None
    if arr.dtype.kind not in "biufc":
        raise InvalidArgumentError(f"`J` must be real or complex numbers; got dtype {arr.dtype}.")
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2] or arr.shape[-1] == 0:
        raise ShapeError(f"`J` must be a stack of square matrices (..., n, n); got shape {arr.shape}.")
    if not np.isfinite(arr).all():
        raise NonFiniteError("`J` must be finite; got NaN or infinite entries.")
    return arr if arr.dtype.kind in "fc" else arr.astype(float)


def _closed(arr: np.ndarray) -> bool:
    return arr.shape[-1] in CLOSED_FORM_SIZES and arr.dtype.kind == "f"


def batched_eigenvalue_moduli(J: Any, *, backend: str = "fused") -> np.ndarray:
    """``|lambda_i|`` of every matrix in a stack ``(..., n, n)``; returns ``(..., n)`` (unsorted).

    >>> batched_eigenvalue_moduli([[2.0, 0.0], [0.0, -0.5]]).tolist()
    [2.0, 0.5]
    """
    arr = _matrices(J)
    if not _closed(arr):
        return np.abs(np.linalg.eigvals(arr))
    if arr.shape[-1] == 1:  # |J_00|; the kernels would read a (..., 1, 1) stack as (..., 1) scalars
        return np.abs(arr[..., 0])
    if arr.shape[-1] == 3:
        return _moduli3(arr, backend)
    arr, exponent = _unit_scale(arr)
    return np.ldexp(_kernel("moduli", 2, backend)(arr)[..., 0], exponent[..., None])


@lru_cache(maxsize=1)
def _fused_moduli3() -> Any:
    """One numba pass per 3x3 matrix: unit scaling, closed-form roots, the polish, rescaling.

    The same steps as :func:`_unit_scale` and :func:`_polished_moduli`,
    calling the one-point functions of their compiled SymPy kernels, so no
    temporaries are made and only the few matrices that need it are polished.
    None where numba cannot compile the kernels.
    """
    roots, polish = _kernel("roots", 3, "fused"), _kernel("polish", 3, "fused")
    if roots.engine != "numba" or polish.engine != "numba":
        return None
    import numba  # optional extra `fast`: imported only when the fused path runs

    roots_point, polish_point = roots._fused.point, polish._fused.point
    floor = _POLISH_FLOOR

    @numba.njit(parallel=True, error_model="numpy")
    def moduli3(flat: np.ndarray, out: np.ndarray, radius_only: bool) -> None:  # pragma: no cover
        for i in numba.prange(flat.shape[0]):
            top = 0.0
            for k in range(9):
                top = max(top, abs(flat[i, k]))
            e = -math.frexp(top)[1]  # ldexp: a factor 2.0**e is inf for subnormal J, 2.0**-e for huge
            x0, x1, x2 = math.ldexp(flat[i, 0], e), math.ldexp(flat[i, 1], e), math.ldexp(flat[i, 2], e)
            x3, x4, x5 = math.ldexp(flat[i, 3], e), math.ldexp(flat[i, 4], e), math.ldexp(flat[i, 5], e)
            x6, x7, x8 = math.ldexp(flat[i, 6], e), math.ldexp(flat[i, 7], e), math.ldexp(flat[i, 8], e)
            v = roots_point(x0, x1, x2, x3, x4, x5, x6, x7, x8)
            m0, m1, m2 = float(v[7]), float(v[8]), float(v[9])
            top_m = max(m0, max(m1, m2))
            worth = 0.035 / max(top_m, 1e-300)
            pair = v[3] == 1
            lapack = False
            for j in range(3):  # the point's outputs may differ in type: index them literally
                gap = float(v[4]) if j == 0 else float(v[5]) if j == 1 else float(v[6])
                if gap >= worth:
                    continue
                modulus = m0 if j == 0 else m1 if j == 1 else m2
                if radius_only and modulus < 0.5 * top_m and top_m > _SMALL_RHO:
                    continue  # cannot be the largest: its accuracy does not matter
                root = float(v[0]) if j == 0 else float(v[1]) if j == 1 else float(v[2])
                if gap < floor:
                    lapack = True
                    continue
                if j and pair:  # complex: kept unless |p'(mu)| = 2|c| |a - b - ic| is small
                    a_, b_, c_ = float(v[0]), float(v[1]), float(v[2])
                    if 2 * c_ * math.sqrt((a_ - b_) ** 2 + c_ * c_) < _PAIR_SLOPE * top_m:
                        lapack = True
                    continue
                polished = polish_point(x0, x1, x2, x3, x4, x5, x6, x7, x8, root)
                new = polished[0]
                if not (abs(new - root) <= gap / 8 and polished[1] <= _KAPPA_MAX):
                    lapack = True
                elif j == 0:
                    m0 = abs(new)
                elif j == 1:
                    m1 = abs(new)
                else:
                    m2 = abs(new)
            out[i, 0], out[i, 1], out[i, 2] = math.ldexp(m0, -e), math.ldexp(m1, -e), math.ldexp(m2, -e)
            out[i, 3] = 1.0 if lapack else 0.0
    return moduli3


def _moduli3(arr: np.ndarray, backend: str, radius_only: bool = False) -> np.ndarray:
    """Moduli ``(..., 3)`` of unscaled real 3x3 matrices: the fused pass where it exists.

    ``radius_only``: only the largest modulus must be accurate (roots below
    half of it are neither polished nor handed to LAPACK).
    """
    fused = _fused_moduli3() if backend in ("fused", "numba") else None
    if fused is None:
        scaled, exponent = _unit_scale(arr)
        return np.ldexp(_polished_moduli(scaled, backend, radius_only), exponent[..., None])
    flat = np.ascontiguousarray(arr, dtype=np.float64).reshape(-1, 9)
    out = np.empty((flat.shape[0], 4))
    fused(flat, out, radius_only)
    hard = np.nonzero(out[:, 3])[0]
    if hard.size:
        out[hard, :3] = np.abs(np.linalg.eigvals(flat[hard].reshape(-1, 3, 3)))
    return out[:, :3].reshape(arr.shape[:-2] + (3,))


def _polished_moduli(arr: np.ndarray, backend: str, radius_only: bool = False) -> np.ndarray:
    """3x3 moduli of unit-scaled matrices: closed-form roots, polished or handed to LAPACK.

    A real root's error is about ``16 eps ||J||**2 / gap`` (``gap``: its
    distance to the others).  Where that could exceed ``1e-13 rho`` (a few
    percent of random matrices) and ``gap >= _POLISH_FLOOR``, one two-sided
    Rayleigh quotient (:func:`rayleigh_polish_expr`) brings it to LAPACK's
    accuracy (its second-order error ``(16 eps / gap)**2 / gap`` is below
    ``eps`` there).  Complex pairs are kept as computed unless the cubic's
    slope there, ``|p'(mu)|``, is below ``_PAIR_SLOPE rho`` (nearly triple
    roots, nearly real double roots).  Those, closer real roots, rejected
    polishes and ill-conditioned roots (``kappa > _KAPPA_MAX``: near-defective
    matrices, where the quotient's rounding ``eps kappa`` is amplified
    further than in LAPACK's QR) go to ``numpy.linalg.eigvals``: near repeated eigenvalues the
    result is LAPACK's own, never worse.  :func:`_fused_moduli3` runs the
    same steps in one numba pass.
    """
    batch, arr = arr.shape[:-2], arr.reshape(-1, 3, 3)
    out = _kernel("roots", 3, backend)(arr)[..., 0]  # a, b, c, flag, gaps (3), moduli (3)
    roots, pair, gaps, moduli = out[..., :3], out[..., 3] == 1, out[..., 4:7], out[..., 7:]
    # arr is unit-scaled (max |J_ij| in [1/2, 1)): the bounds below take max |J_ij| = 1
    top = moduli.max(axis=-1)
    worth = 0.035 / np.maximum(top, 1e-300)  # 16 eps |J|^2 / gap > 1e-13 rho
    kernel = _kernel("polish", 3, backend)
    lapack = np.zeros(len(arr), dtype=bool)
    for j in range(3):
        gap = gaps[..., j]
        close = gap < worth
        if radius_only:  # roots below half the largest cannot be the largest
            close &= ~((moduli[:, j] < 0.5 * top) & (top > _SMALL_RHO))
        refine = close & (gap >= _POLISH_FLOOR) & (~pair if j else True)
        lapack |= close & (gap < _POLISH_FLOOR)
        if j:
            a_, b_, c_ = roots[:, 0], roots[:, 1], roots[:, 2]
            slope = 2 * c_ * np.sqrt((a_ - b_) ** 2 + c_ * c_)  # |p'(mu)| at the complex root
            lapack |= close & pair & (slope < _PAIR_SLOPE * top)
        where = np.nonzero(refine)[0]
        if where.size:
            root = roots[where, j]
            new, kappa = kernel(arr[where], root)[..., 0].T
            # a sound correction is far smaller than the gap; ill-conditioned roots go to LAPACK
            sound = (np.abs(new - root) <= gap[where] / 8) & (kappa <= _KAPPA_MAX)
            moduli[where[sound], j] = np.abs(new[sound])
            lapack[where[~sound]] = True
    hard = np.nonzero(lapack)[0]
    if hard.size:
        moduli[hard] = np.abs(np.linalg.eigvals(arr[hard]))
    return moduli.reshape(batch + (3,))


def batched_spectral_radius(J: Any, *, backend: str = "fused") -> np.ndarray:
    """``rho(J)`` of every matrix in a stack ``(..., n, n)``; returns ``(...)``.

    ``backend`` is that of :func:`rnnsym.kernel.compile`: ``"fused"`` (numba
    where installed), ``"numba"`` or ``"numpy"``.  Sizes other than 1, 2, 3
    and complex input use ``numpy.linalg.eigvals``.

    >>> batched_spectral_radius([[[0.0, 1.0], [-1.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]]]).round(12).tolist()
    [1.0, 5.372281323269]
    """
    arr = _matrices(J)
    if not _closed(arr):
        return np.abs(np.linalg.eigvals(arr)).max(axis=-1)
    if arr.shape[-1] == 1:
        return np.abs(arr[..., 0, 0])
    if arr.shape[-1] == 3:
        return _moduli3(arr, backend, radius_only=True).max(axis=-1)
    arr, exponent = _unit_scale(arr)
    return np.ldexp(np.asarray(_kernel("radius", 2, backend)(arr)), exponent)


def batched_spectral_norm(J: Any, *, backend: str = "fused") -> np.ndarray:
    """``||J||_2`` of every matrix in a stack ``(..., n, n)``; returns ``(...)``.

    >>> float(batched_spectral_norm([[1.0, 1.0], [0.0, 1.0]]))  # the golden ratio
    1.618033988749895
    """
    arr = _matrices(J)
    if not _closed(arr):
        return np.linalg.norm(arr, ord=2, axis=(-2, -1))
    if arr.shape[-1] == 1:
        return np.abs(arr[..., 0, 0])
    arr, exponent = _unit_scale(arr)
    return np.ldexp(np.asarray(_kernel("norm", arr.shape[-1], backend)(arr)), exponent)


def classify_batch(J: Any, *, tol: float = 1e-9, backend: str = "fused", decide: bool = True) -> np.ndarray:
    """Stability codes (indices into :data:`rnnsym.stability.KINDS`) for a stack of Jacobians.

    Codes 0-2 (stable, unstable, saddle) from the closed-form moduli; a matrix with a modulus within
    ``tol`` of 1 is decided on its own by :func:`rnnsym.stability.classify_jacobian` (3 marginal:
    ``rho = 1`` exactly; 4 undecided, as all of them are with ``decide=False``).

    >>> classify_batch([[[0.5, 0.0], [0.0, 0.2]], [[1.0, 0.0], [0.0, 0.2]], [[1.0, 1e-30], [1e-30, 1.0]]]).tolist()
    [0, 3, 2]
    """
    arr = _matrices(J)
    codes = classify_moduli(batched_eigenvalue_moduli(arr, backend=backend), tol)
    return decide_undecided(arr, codes, tol) if decide else codes


@lru_cache(maxsize=None)
def _jacobian_kernel(n: int, activation: Activation, backend: str) -> Kernel:
    pre, W = vector_symbols("a", n), matrix_symbols("W_h", n, n)
    d = sp.symbols(f"d0:{n}")  # placeholders for phi'(a_i): substituted last, unexpanded
    J = _J(n)
    # sech -> 1/cosh on the small form now, not on the large tree inside compile()
    dphi = activation.derivative_expr.replace(sp.sech, lambda z: 1 / sp.cosh(z))
    form = spectral_radius_expr(n)  # built (and cached) with evaluation on: under evaluate(False) it recurses
    with sp.evaluate(False):
        rho = form.xreplace({J[i, j]: d[i] * W[i, j] for i in range(n) for j in range(n)})
        rho = rho.xreplace({d[i]: dphi.xreplace({Z: pre[i]}) for i in range(n)})
    return compile_kernel(rho, [pre, W], backend=backend)


def jacobian_spectral_radius(W_h: Any, preactivation: Any, activation: "str | Activation" = "tanh",
                             *, backend: str = "fused") -> np.ndarray:
    """``rho(diag(phi'(a)) W_h)`` for a batch of pre-activations ``a`` ``(..., n)``.

    One fused pass computes ``phi'`` and the closed form; ``W_h`` ``(n, n)``
    or ``(..., n, n)`` broadcasts.  ``n`` must be 1, 2 or 3.

    >>> jacobian_spectral_radius([[2.0, 0.0], [0.0, 0.5]], [[0.0, 0.0], [30.0, 0.0]]).tolist()
    [2.0, 0.5]
    """
    W = _matrices(W_h)
    n = W.shape[-1]
    if n not in CLOSED_FORM_SIZES or W.dtype.kind != "f":
        raise InvalidArgumentError(f"`W_h` must be real with n in {CLOSED_FORM_SIZES}; got shape {W.shape}.")
    a = as_float_array(preactivation, "preactivation", allow_empty=True)
    if a.ndim < 1 or a.shape[-1] != n:
        raise ShapeError(f"`preactivation` must have shape (..., {n}); got shape {a.shape}.")
    act = get_activation(activation)
    with np.errstate(all="ignore"):  # n = 1: the kernel would read (..., 1, 1) as (..., 1) scalars
        out = (np.abs(act.numpy_prime(a[..., 0]) * W[..., 0, 0]) if n == 1
               else np.array(_jacobian_kernel(n, act, backend)(a, W), dtype=float))
    # Where a unit is so saturated that phi' < 1e-100, products of n factors in the
    # closed form underflow (answers off by 3-6x or NaN were seen): those few
    # points are recomputed exactly enough in mpmath instead.
    with np.errstate(all="ignore"):
        tiny = np.min(np.abs(act.numpy_prime(a)), axis=-1) < SATURATED_DERIVATIVE
    redo = np.broadcast_to(tiny | ~np.isfinite(out), np.broadcast_shapes(out.shape, tiny.shape))
    if redo.any():
        out = np.array(np.broadcast_to(out, redo.shape))
        a_b = np.broadcast_to(a, redo.shape + (n,))
        W_b = np.broadcast_to(W, redo.shape + (n, n))
        for idx in map(tuple, np.argwhere(redo)):  # argwhere, unlike nonzero, takes 0-d arrays
            out[idx] = _saturated_radius(act, a_b[idx], W_b[idx])
    return out


#: Below this ``min |phi'(a_i)|`` :func:`jacobian_spectral_radius` leaves the closed form for mpmath.
SATURATED_DERIVATIVE = 1e-100


@lru_cache(maxsize=None)
def _mp_derivative(activation: Activation) -> Kernel:
    return compile_kernel(activation.derivative_expr, [Z], backend="mpmath")


def _saturated_radius(activation: Activation, a: np.ndarray, W: np.ndarray) -> float:
    """``rho(diag(phi'(a)) W)`` at 30 digits (exponents beyond float64 are no trouble there)."""
    with mpmath.workdps(30):
        d = [mpmath.mpf(_mp_derivative(activation)(mpmath.mpf(float(v)))) for v in a]
        J = mpmath.matrix([[d[i] * mpmath.mpf(float(W[i, j])) for j in range(len(d))] for i in range(len(d))])
        E = [J[0, 0]] if len(d) == 1 else mpmath.eig(J, left=False, right=False)  # eig(1x1) is (E, EL, ER)
        return float(max(abs(e) for e in E))
