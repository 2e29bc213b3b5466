"""The fused (numba) kernel backend: accurate against the exact value, one pass, clear errors.

Every backend here (NumPy, the fused numba loop and, where JAX is
installed, JAX on its default device) is compared with the *exact* value,
computed by mpmath at 50 digits from the same SymPy expression, never with
another floating-point library: NumPy's SIMD loops, the C library and XLA
differ by CPU and version, so no two of them agree bit for bit everywhere.

Stated bound, per point: ``|computed - exact| <= B + TINY``, where ``B`` is a
first-order running error bound of the expression at that point, evaluated
in mpmath (:func:`rounding_error`; Higham, *Accuracy and Stability of
Numerical Algorithms*, sec. 3.3).  In units of ``eps = 2**-52`` (one ULP of
a number in [1, 2); ``eps * |t|`` is at least one ULP of ``t``):

* ``+ - * /`` and ``sqrt`` are correctly rounded on every IEEE 754 machine
  (error ``<= eps/2`` relative); each counts ``1 eps`` of its result, which
  absorbs second-order terms and any fused multiply-add;
* a sum of ``n`` terms, added in any order, costs ``(n - 1) eps sum |terms|``:
  where terms cancel, the bound is in units of the sum of their magnitudes,
  not of the result;
* a library function ``f(a)`` (exp, log, cos, atan, tanh, cosh, pow) costs
  ``FN_ULP eps |f(a)| + eps |a f'(a)|``.  The first term is the library's
  accuracy: 4 for the C library and NumPy (glibc documents at most 2 ULP
  for these functions, NumPy's SIMD float64 loops and CUDA at most 4),
  ``JAX_FN_ULP = 8`` for XLA's own approximations (no documented bound; its
  float64 tanh was measured at 3.5 eps near x = 20).  The second term is the
  function's condition number ``|a f'(a) / f(a)|`` times ``eps``: a library
  may reduce the argument with a rounded constant (XLA computes ``cosh(x)``
  from ``exp(x + log(1/2))``, measured at 0.5 |x| eps, 250 eps at x = 620);
* an integer power ``x**n`` costs ``max(FN_ULP, |n|) eps``: ``pow``, or
  ``|n| - 1`` multiplications and a division where it is multiplied out;
* errors of arguments propagate through each operation by its derivative.

So a single transcendental function of a float ``x`` is within
``FN_ULP + cond(f, x)`` eps of the exact value (a few ULP where ``f`` is well
conditioned), and ``sech(x)**2``, computed as ``cosh(x)**-2``, within
``2 (FN_ULP + |x tanh x|) + FN_ULP = 3 FN_ULP + |x d/dx log sech(x)**2|`` eps:
the condition number of the composition, not a flat 4 ULP.  ``TINY`` (the
smallest normal float) is an absolute floor: below it results lose relative
accuracy (``sech(x)**2`` underflows for large ``x``; the fused loop's
``1/cosh(x)**2`` is 0 once ``cosh(x)**2`` overflows, where the exact value
is below ``1/DBL_MAX < TINY``).  A result of ``+-inf`` passes only where
``exact + B`` reaches past the largest float.

The bound is not vacuous: ``test_the_bound_catches_a_kernel_wrong_by_1e_12``
plants a relative error of 1e-12 (about 4500 eps) and checks that it fails.
The fused backend multiplies out ``x**n`` for ``|n| <= 4``, so those powers
use only IEEE operations and are within ``|n| eps`` of the exact value.
"""

from __future__ import annotations

import functools
import importlib.util
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import rnnsym as rs
from rnnsym.errors import InvalidArgumentError

pytest.importorskip("numba")

x, y, w = sp.symbols("x y w", real=True)
X, sigma, a, omega = sp.symbols("X sigma a omega", real=True)
SNR = X**2 * (1 - a**2) / (2 * sigma**2 * (1 - 2 * a * sp.cos(omega) + a**2))

# --------------------------------------------------------------- the exact value and the bound
EPS = sp.Rational(1, 2**52)
FN_ULP = 4  # C library, NumPy (SIMD or not), CUDA: per library function call
JAX_FN_ULP = 8  # XLA's own float64 approximations
TINY = mpmath.mpf(float(np.finfo(float).tiny))
HUGE = mpmath.mpf(float(np.finfo(float).max))
DPS = 50

HAVE_JAX = importlib.util.find_spec("jax") is not None
BACKENDS = ["numpy", "numba", pytest.param("jax", marks=pytest.mark.skipif(not HAVE_JAX, reason="no JAX"))]


def fn_ulp(backend: str) -> int:
    return JAX_FN_ULP if backend == "jax" else FN_ULP


def rounding_error(e: sp.Expr, fn: int) -> sp.Expr:
    """First-order bound on ``|computed - exact|`` of ``e`` from exact float inputs (see the module doc).

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
    one value per point and expression, shape ``(points, len(exprs))`` (or
    ``(points,)`` for one expression).
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


def run(backend: str, expr, symbols, *columns):
    with np.errstate(all="ignore"):
        return np.asarray(rs.compile(expr, symbols, backend=backend)(*columns))


# --------------------------------------------------------------- accuracy against mpmath
ARITHMETIC = (x**2 - 2 * x * y) / (1 + y**2) + sp.sqrt(y) * x**-1 + x**11
finite = st.floats(-50, 50, allow_nan=False, width=64)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, 64, elements=finite), arrays(np.float64, 64, elements=st.floats(0.1, 50)))
def test_arithmetic_is_within_the_rounding_bound_of_the_exact_value(backend: str, u: np.ndarray,
                                                                      v: np.ndarray) -> None:
    got = run(backend, ARITHMETIC, [x, y], u, v)
    pole = u == 0  # sqrt(y)/(+-0): the IEEE result is +-inf, of the zero's sign
    assert np.array_equal(got[pole], np.copysign(np.inf, u[pole]))
    assert excess(got[~pole], ARITHMETIC, [x, y], [u[~pole], v[~pole]], fn_ulp(backend)) <= 1


@pytest.mark.parametrize("n", [3, 4, -2, -3, -4])
def test_small_integer_powers_are_multiplied_out_within_n_eps(n: int) -> None:
    u = np.random.default_rng(n % 7).uniform(0.01, 40, 2000)
    kernel = rs.compile(x**n, [x], backend="numba")
    assert "pow" not in kernel.source and "**" + str(float(n)) not in kernel.source
    # |n| - 1 multiplications and (n < 0) a division, each correctly rounded: <= |n| eps/2 relative
    got = kernel(u)
    with mpmath.workdps(DPS):
        worst = max(abs(mpmath.mpf(float(g)) / mpmath.mpf(float(t)) ** n - 1) for g, t in zip(got, u))
    assert worst <= abs(n) * 2.0**-52


def snr_inputs(size: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.uniform(0.1, 3, size), rng.uniform(0.1, 3, size),
            rng.uniform(-0.99, 0.99, size), rng.uniform(0, np.pi, size)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_chapter_snr_is_within_the_rounding_bound(backend: str) -> None:
    # 1 - 2 a cos(omega) + a**2 cancels as a -> +-1: the bound is per unit of the sum of |terms|
    cols = snr_inputs(600)
    got = run(backend, SNR, [X, sigma, a, omega], *cols)
    assert excess(got, SNR, [X, sigma, a, omega], cols, fn_ulp(backend)) <= 1


TRANSCENDENTAL = [sp.tanh, sp.exp, sp.log, sp.cos, sp.atan, lambda e: sp.sech(e) ** 2]
FN_IDS = ["tanh", "exp", "log", "cos", "atan", "sech**2"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fn", TRANSCENDENTAL, ids=FN_IDS)
def test_each_transcendental_function_is_within_a_few_ulp_of_the_exact_value(fn, backend: str) -> None:
    # (0, 20] as before, and a tail to 400 where sech(x)**2 underflows and cosh(x)**2 overflows
    rng = np.random.default_rng(1)
    u = np.concatenate([rng.uniform(0.01, 20, 600), rng.uniform(20, 400, 150)])
    got = run(backend, fn(x), [x], u)
    assert excess(got, fn(x), [x], [u], fn_ulp(backend)) <= 1


PLANTED = {
    "arithmetic": (ARITHMETIC, [x, y], lambda rng: [rng.uniform(-3, 3, 200), rng.uniform(0.1, 3, 200)]),
    "sech**2": (sp.sech(x) ** 2, [x], lambda rng: [rng.uniform(0.01, 20, 200)]),
    "snr": (SNR, [X, sigma, a, omega], lambda rng: snr_inputs(200)),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", PLANTED)
def test_the_bound_catches_a_kernel_wrong_by_1e_12(case: str, backend: str) -> None:
    # the planted error: a kernel compiled from a relatively 1e-12 wrong expression must fail
    expr, symbols, draw = PLANTED[case]
    cols = draw(np.random.default_rng(3))
    fn = fn_ulp(backend)
    assert excess(run(backend, expr, symbols, *cols), expr, symbols, cols, fn) <= 1
    wrong = sp.Mul(1 + sp.Float("1e-12", 30), expr, evaluate=False)
    assert excess(run(backend, wrong, symbols, *cols), expr, symbols, cols, fn) > 1


# --------------------------------------------------------------- behaviour
def test_fused_kernel_broadcasts_and_returns_matrices_like_numpy() -> None:
    v = sp.Matrix(sp.symbols("v0:2", real=True))
    expr = sp.Matrix([[v[0] * w, 1], [sp.tanh(v[1]), v[0] + v[1]]])
    fused = rs.compile(expr, [v, w], backend="numba")
    numpy = rs.compile(expr, [v, w])
    V = np.random.default_rng(2).normal(size=(3, 1, 2))
    W = np.linspace(0, 1, 4)
    assert fused(V, W).shape == numpy(V, W).shape == (3, 4, 2, 2)
    cols = [np.broadcast_to(V[..., 0], (3, 4)).ravel(), np.broadcast_to(V[..., 1], (3, 4)).ravel(),
            np.broadcast_to(W, (3, 4)).ravel()]
    for got in (fused(V, W), numpy(V, W)):
        assert excess(got.reshape(12, 4), list(expr), [v[0], v[1], w], cols) <= 1
    assert fused(V[0, 0], 2.0).shape == (2, 2)
    assert excess(fused(V[0, 0], 2.0).reshape(1, 4), list(expr), [v[0], v[1], w],
                  [V[0, 0, :1], V[0, 0, 1:], [2.0]]) <= 1


def test_piecewise_evaluates_only_the_selected_branch() -> None:
    expr = sp.Piecewise((sp.sqrt(x), x >= 0), (-x, True))
    u = np.array([-4.0, 0.0, 9.0])
    # exact in IEEE arithmetic: negation, and sqrt of a perfect square
    assert rs.compile(expr, [x], backend="numba")(u).tolist() == [4.0, 0.0, 3.0]


def test_fused_backend_keeps_domain_checks() -> None:
    k = rs.compile(sp.sqrt(1 - x**2), [x], backend="fused", assumptions=[sp.Abs(x) <= 1])
    with pytest.raises(rs.DomainError):
        k(2.0)
    assert np.isnan(k([0.0, 2.0], on_domain="nan")[1])


def test_fused_falls_back_to_numpy_for_functions_numba_lacks() -> None:
    k = rs.compile(sp.besselj(0, x), [x], backend="fused")
    assert k.engine == "numpy" and abs(k(0.0) - 1.0) < 1e-15
    with pytest.raises(InvalidArgumentError, match="cannot compile"):
        rs.compile(sp.besselj(1, x), [x], backend="numba")


def test_fused_kernel_source_is_the_printed_loop() -> None:
    k = rs.compile(x * sp.cos(y), [x, y], backend="numba")
    assert k.engine == "numba" and "numba.prange" in k.source and "math.cos" in k.source


def test_complex_input_runs_through_numpy() -> None:
    k = rs.compile(x**2 + 1, [x], backend="fused")
    assert k(1j) == 0


def test_asking_for_numba_without_it_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(InvalidArgumentError, match=r"pip install rnnsym\[fast\]"):
        rs.compile(x + 2 * y, [x, y], backend="numba")
    assert rs.compile(x + 3 * y, [x, y], backend="fused").engine == "numpy"
