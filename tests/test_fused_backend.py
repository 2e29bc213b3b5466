"""The fused (numba) kernel backend: same results as NumPy, one pass, clear errors.

Stated bound: arithmetic and square roots agree with the NumPy backend to
the last bit; integer powers ``x**n`` with ``|n| <= 4`` are multiplied out by
squaring (NumPy calls ``pow``) and agree within ``|n|`` ULP (``|n| - 1``
roundings and the division), larger ones call ``pow`` in both; each transcendental function value agrees to within
4 ULP (NumPy may use SIMD approximations, numba calls the C library).
"""

from __future__ import annotations

import sys

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


def ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want))


finite = st.floats(-50, 50, allow_nan=False, width=64)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, 64, elements=finite), arrays(np.float64, 64, elements=st.floats(0.1, 50)))
def test_arithmetic_matches_numpy_to_the_last_bit(u: np.ndarray, v: np.ndarray) -> None:
    expr = (x**2 - 2 * x * y) / (1 + y**2) + sp.sqrt(y) * x**-1 + x**11
    fused = rs.compile(expr, [x, y], backend="numba")
    numpy = rs.compile(expr, [x, y])
    with np.errstate(all="ignore"):
        assert np.array_equal(fused(u, v), numpy(u, v), equal_nan=True)


@pytest.mark.parametrize("n", [3, 4, -2, -3, -4])
def test_small_integer_powers_are_multiplied_out_within_n_ulp(n: int) -> None:
    u = np.random.default_rng(n % 7).uniform(0.01, 40, 10**4)
    kernel = rs.compile(x**n, [x], backend="numba")
    assert "pow" not in kernel.source and "**" + str(float(n)) not in kernel.source
    assert ulps(kernel(u), u ** float(n)).max() <= abs(n)


def test_chapter_snr_matches_numpy_within_4_ulp() -> None:
    rng = np.random.default_rng(0)
    args = (rng.uniform(0.1, 3, 10**5), rng.uniform(0.1, 3, 10**5),
            rng.uniform(-0.99, 0.99, 10**5), rng.uniform(0, np.pi, 10**5))
    got = rs.compile(SNR, [X, sigma, a, omega], backend="numba")(*args)
    want = rs.compile(SNR, [X, sigma, a, omega])(*args)
    assert ulps(got, want).max() <= 4


@pytest.mark.parametrize("fn", [sp.tanh, sp.exp, sp.log, sp.cos, sp.atan, lambda e: sp.sech(e) ** 2])
def test_each_transcendental_function_is_within_4_ulp_of_numpy(fn) -> None:
    u = np.random.default_rng(1).uniform(0.01, 20, 10**4)
    got = rs.compile(fn(x), [x], backend="numba")(u)
    want = rs.compile(fn(x), [x])(u)
    assert ulps(got, want).max() <= 4


def test_fused_kernel_broadcasts_and_returns_matrices_like_numpy() -> None:
    v = sp.Matrix(sp.symbols("v0:2", real=True))
    expr = sp.Matrix([[v[0] * w, 1], [sp.tanh(v[1]), v[0] + v[1]]])
    fused = rs.compile(expr, [v, w], backend="numba")
    numpy = rs.compile(expr, [v, w])
    V = np.random.default_rng(2).normal(size=(3, 1, 2))
    W = np.linspace(0, 1, 4)
    assert fused(V, W).shape == (3, 4, 2, 2)
    np.testing.assert_allclose(fused(V, W), numpy(V, W), rtol=1e-15, atol=0)
    assert fused(V[0, 0], 2.0).shape == (2, 2)


def test_piecewise_evaluates_only_the_selected_branch() -> None:
    expr = sp.Piecewise((sp.sqrt(x), x >= 0), (-x, True))
    u = np.array([-4.0, 0.0, 9.0])
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
