"""The exact value of an expression and a bound on a float evaluation's error, in mpmath.

Shared by the backend tests (``test_fused``, ``test_gpu``): each backend is
compared with the truth, never with another floating-point library.  The
bound is a first-order running error analysis of the expression (see the
docstrings of the test modules for the per-operation costs).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

EPS = sp.Rational(1, 2**52)
FN_ULP = 4  # C library, NumPy (SIMD or not), CUDA: per library function call
JAX_FN_ULP = 16  # XLA's own float64 approximations
TINY = mpmath.mpf(float(np.finfo(float).tiny))
HUGE = mpmath.mpf(float(np.finfo(float).max))
DPS = 50


def rounding_error(e: sp.Expr, fn: int) -> sp.Expr:
    """First-order bound on ``|computed - exact|`` of ``e`` from exact float inputs (module doc).

    Holds for any order of the terms of a sum or the factors of a product and
    for ``a / b`` computed as ``a * b**-1`` or as one division.
    """
    if e.is_Symbol:
        return sp.Integer(0)
    if e.is_Number or e.is_NumberSymbol:
        return sp.Integer(0) if e.is_Rational and sp.Rational(float(e)) == e else EPS * abs(e)
    if e.is_Add or e.is_Mul:
        errors = [rounding_error(t, fn) for t in e.args]
        if e.is_Add:
            carried = sp.Add(*errors)
            return carried + (len(e.args) - 1) * EPS * sp.Add(*map(sp.Abs, e.args))
        carried = sp.Add(*(err * sp.Mul(*(sp.Abs(f) for j, f in enumerate(e.args) if j != i))
                           for i, err in enumerate(errors)))
        return carried + (len(e.args) - 1) * EPS * sp.Abs(e)
    if e.is_Pow and e.exp.is_Number:
        base, n = e.args
        ops = 1 if n == sp.S.Half else 2 if n == -sp.S.Half else max(fn, abs(n)) if n.is_Integer else fn
        return sp.Abs(n * base ** (n - 1)) * rounding_error(base, fn) + ops * EPS * sp.Abs(e)
    if isinstance(e, sp.Function) and len(e.args) == 1:
        (arg,) = e.args
        s = sp.Dummy("s")
        slope = sp.diff(e.func(s), s).subs(s, arg)
        return (sp.Abs(slope) * rounding_error(arg, fn) + fn * EPS * sp.Abs(e)
                + EPS * sp.Abs(arg * slope))
    raise NotImplementedError(f"no rounding model for {e.func}")


@functools.lru_cache(maxsize=None)
def _exact_and_bound(exprs: tuple, symbols: tuple, fn: int):
    # The backends compute sech(z) as 1/cosh(z): bound that evaluation.
    as_computed = [e.replace(sp.sech, lambda z: 1 / sp.cosh(z)) for e in exprs]
    bounds = [rounding_error(e, fn) for e in as_computed]
    return sp.lambdify(symbols, list(exprs) + bounds, "mpmath")


def excess(got, exprs, symbols, columns, fn: int = FN_ULP) -> float:
    """Worst ``|got - exact| / (bound + TINY)`` over the points: <= 1 means within the stated bound.

    ``columns``: one float array per symbol (one entry per point); ``got``:
    shape ``(points, len(exprs))``, or ``(points,)`` for one expression.
    ``+-inf`` passes only where the exact value plus the bound passes the largest float.
    """
    exprs = tuple(exprs) if isinstance(exprs, (list, tuple)) else (exprs,)
    columns = [np.asarray(c, dtype=float) for c in columns]
    got = np.asarray(got, dtype=float).reshape(len(columns[0]), len(exprs))
    evaluate = _exact_and_bound(exprs, tuple(symbols), fn)
    worst = mpmath.mpf(0)
    with mpmath.workdps(DPS):
        for i in range(len(got)):
            values = evaluate(*[mpmath.mpf(float(c[i])) for c in columns])
            for g, exact, bound in zip(got[i], values[:len(exprs)], values[len(exprs):]):
                if np.isfinite(g):
                    worst = max(worst, abs(mpmath.mpf(float(g)) - exact) / (bound + TINY))
                elif not (np.isinf(g) and np.sign(g) == mpmath.sign(exact) and abs(exact) + bound > HUGE):
                    return float("inf")
    return float(worst)
