"""Kernels broadcast, cache, keep their source, and respect their domain."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rnnsym as rs

x, y = sp.symbols("x y", real=True)


def test_matrix_results_broadcast_constant_and_zero_entries() -> None:
    k = rs.compile(sp.Matrix([[x, 0], [2, x * y]]), [x, y])
    out = k(np.arange(6.0).reshape(2, 3), 1.0)
    assert out.shape == (2, 3, 2, 2)
    assert np.all(out[..., 0, 1] == 0) and np.all(out[..., 1, 0] == 2)
    assert out[1, 2].tolist() == [[5.0, 0.0], [2.0, 5.0]]


def test_constant_scalar_expression_broadcasts_to_the_batch() -> None:
    k = rs.compile(sp.Integer(3) + 0 * x, [x])
    assert k(np.zeros(4)).tolist() == [3.0, 3.0, 3.0, 3.0]


@given(hnp.arrays(float, hnp.array_shapes(max_dims=3, max_side=4),
                  elements=st.floats(-5, 5, allow_nan=False)))
def test_scalar_kernel_matches_numpy_elementwise(a: np.ndarray) -> None:
    k = rs.compile(sp.tanh(x) * x + 1, [x])
    np.testing.assert_allclose(k(a), np.tanh(a) * a + 1, rtol=1e-15, atol=0)
    assert k(a).shape == a.shape


def test_vector_arguments_take_trailing_dimensions() -> None:
    v = sp.Matrix(sp.symbols("v0:3", real=True))
    k = rs.compile(v.T * v, [v])
    out = k(np.ones((5, 3)))
    assert out.shape == (5, 1, 1) and np.all(out == 3.0)
    with pytest.raises(rs.ShapeError, match="trailing shape"):
        k(np.ones((5, 2)))


def test_compiling_twice_returns_the_cached_kernel() -> None:
    expr = sp.sin(x) ** 2 + sp.cos(y)
    assert rs.compile(expr, [x, y]) is rs.compile(expr, [x, y])


def test_kernel_keeps_expression_arguments_and_source() -> None:
    k = rs.compile(x**2 + y, [x, y])
    assert k.expr == x**2 + y and k.args == (x, y)
    assert "def _lambdifygenerated" in k.source


def test_mpmath_backend_gives_thirty_digits() -> None:
    import mpmath

    k = rs.compile(sp.exp(x) - 1, [x], backend="mpmath", dps=30)
    with mpmath.workdps(60):
        exact = mpmath.expm1(mpmath.mpf(1e-5))
    # float64 would keep 11 of those digits after cancelling against 1; 30 digits keep 25
    assert abs(k(1e-5) - exact) < mpmath.mpf("1e-29")


def test_domain_violation_raises_or_gives_nan() -> None:
    expr = 1 / (1 - x**2)
    strict = rs.compile(expr, [x], assumptions=[sp.Abs(x) < 1])
    with pytest.raises(rs.DomainError, match=r"Abs\(x\) < 1"):
        strict(np.array([0.5, 2.0]))
    sweep = rs.compile(expr, [x], assumptions=[sp.Abs(x) < 1], on_domain="nan")
    out = sweep(np.array([0.5, 2.0]))
    assert out[0] == pytest.approx(4 / 3) and np.isnan(out[1])


def test_missing_free_symbol_is_reported() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="missing y"):
        rs.compile(x + y, [x])


def test_wrong_number_of_arguments_is_reported() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="takes 2 argument"):
        rs.compile(x + y, [x, y])(1.0)


def test_integer_input_is_computed_in_floating_point() -> None:
    k = rs.compile(x / 2, [x])
    assert k(np.array([1, 3])).tolist() == [0.5, 1.5]
