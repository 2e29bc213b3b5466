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
  accuracy, with a factor of two of margin over what the libraries state:
  ``FN_ULP = 4`` for the C library (numba, the C body) and NumPy (glibc
  documents at most 2 ULP for these functions; NumPy validates its SIMD
  float64 loops to 1-2 ULP), ``JAX_FN_ULP = 16`` for XLA's own approximations
  (JAX documents its float64 tanh at 7 ULP on x86-64 CPUs).  The second term
  is the function's condition number ``|a f'(a) / f(a)|`` times ``eps``: a
  library may reduce the argument with a rounded constant (XLA computes
  ``cosh(x)`` from ``exp(x + log(1/2))``, off by up to ``|x| eps / 2``; JAX
  documents 496 ULP for float64 cosh on CPUs, measured 250 eps at x = 620);
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
``exact + B`` reaches past the largest float.  XLA flushes subnormal inputs
and outputs to zero (documented by JAX): at a subnormal input JAX may return
the value at zero instead.

The bound is not vacuous: ``test_the_bound_catches_a_kernel_wrong_by_1e_12``
plants a relative error of 1e-12 (about 4500 eps) and checks that it fails.
The fused backend multiplies out ``x**n`` for ``|n| <= 4``, so those powers
use only IEEE operations and are within ``|n| eps`` of the exact value.
"""

from __future__ import annotations

import importlib.util
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import rnnsym as rs
from rnnsym.errors import InvalidArgumentError
from tests.backends._rounding import DPS, FN_ULP, JAX_FN_ULP, excess

pytest.importorskip("numba")

x, y, w = sp.symbols("x y w", real=True)
X, sigma, a, omega = sp.symbols("X sigma a omega", real=True)
SNR = X**2 * (1 - a**2) / (2 * sigma**2 * (1 - 2 * a * sp.cos(omega) + a**2))

# --------------------------------------------------------------- the exact value and the bound
HAVE_JAX = importlib.util.find_spec("jax") is not None
BACKENDS = ["numpy", "numba", pytest.param("jax", marks=pytest.mark.skipif(not HAVE_JAX, reason="no JAX"))]


def fn_ulp(backend: str) -> int:
    return JAX_FN_ULP if backend == "jax" else FN_ULP


def run(backend: str, expr, symbols, *columns):
    with np.errstate(all="ignore"):
        return np.asarray(rs.compile(expr, symbols, backend=backend)(*columns))


# --------------------------------------------------------------- accuracy against mpmath
ARITHMETIC = (x**2 - 2 * x * y) / (1 + y**2) + sp.sqrt(y) * x**-1 + x**11
finite = st.floats(-50, 50, allow_nan=False, width=64)


EDGES = np.array([0.0, -0.0, 5e-324, -5e-324, 3e-309, -1e-308, 2.2250738585072014e-308, 1e-300, 1e-20, 50.0,
                  36.203125, -36.203125, -50.0, 2.0, 1.0, -1.0])  # 36.203125 meets y = 1


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, 64, elements=finite), arrays(np.float64, 64, elements=st.floats(0.1, 50)))
@example(u=np.resize(EDGES, 64), v=np.resize([1.0, 0.1, 50.0, 2.0, 0.5], 64))  # zeros, subnormals, the x**11 of CI
def test_arithmetic_is_within_the_rounding_bound_of_the_exact_value(backend: str, u: np.ndarray,
                                                                      v: np.ndarray) -> None:
    got = run(backend, ARITHMETIC, [x, y], u, v)
    # sqrt(y)/(+-0) is +-inf (IEEE 754, the zero's sign).  XLA on the CPU treats
    # subnormal inputs as zero (denormals-are-zero), so JAX may return that at them too.
    pole = u == 0
    flushed = (np.abs(u) < np.finfo(float).tiny) & ~pole & (backend == "jax")
    flushed &= np.isinf(got) & (np.sign(got) == np.sign(u))
    assert np.array_equal(got[pole], np.copysign(np.inf, u[pole]))
    rest = ~pole & ~flushed
    assert excess(got[rest], ARITHMETIC, [x, y], [u[rest], v[rest]], fn_ulp(backend)) <= 1


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
