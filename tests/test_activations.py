"""Activations: NumPy implementations agree with their SymPy forms."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.activations import Z

# Specifications, built inside each test (``indirect``): an activation built
# at import time would hide a broken constructor from a mutation-testing run.
ALL = [(name, {}) for name in rs.ACTIVATION_NAMES] + [("leaky_relu", {"slope": 0.2})]


def _spec_id(spec: tuple[str, dict]) -> str:
    return f"{spec[0]}{spec[1] or ''}"


@pytest.fixture(scope="module")
def act(request: pytest.FixtureRequest) -> rs.Activation:
    name, params = request.param
    return rs.get_activation(name, **params)


@pytest.mark.parametrize("act", ALL, ids=_spec_id, indirect=True)
@given(z=rst.pre_activations(max_abs=800.0))  # saturated |z| >= 10 in half the draws, kinks, exp overflow
@settings(max_examples=40)
def test_numpy_implementation_agrees_with_sympy_form(act: rs.Activation, z: float) -> None:
    exact = rs.compile(act.expr, [Z], backend="mpmath", dps=30)
    exact_d = rs.compile(act.derivative_expr, [Z], backend="mpmath", dps=30)
    assert act.numpy(z) == pytest.approx(float(exact(z)), rel=1e-14, abs=1e-300)
    assert act.numpy_prime(z) == pytest.approx(float(exact_d(z)), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("act", ALL, ids=_spec_id, indirect=True)
def test_stored_derivative_equals_sympy_diff_away_from_kinks(act: rs.Activation) -> None:
    diff = sp.diff(act.expr, Z)
    for z in [-3.3, -0.7, 0.4, 2.9, 0.999]:
        assert float(act.derivative_expr.subs(Z, z)) == pytest.approx(float(diff.subs(Z, z)), rel=1e-12)


@pytest.mark.parametrize("act", ALL, ids=_spec_id, indirect=True)
def test_lipschitz_constant_bounds_the_derivative_and_is_attained(act: rs.Activation) -> None:
    grid = np.linspace(-20, 20, 40001)
    slopes = np.abs(act.numpy_prime(grid))
    assert slopes.max() <= float(act.lipschitz) + 1e-12
    assert slopes.max() >= float(act.lipschitz) - 1e-6


@pytest.mark.parametrize("act", ALL, ids=_spec_id, indirect=True)
def test_outputs_lie_in_the_stated_range_and_oddness_holds(act: rs.Activation) -> None:
    grid = np.linspace(-50, 50, 10001)
    values = act.numpy(grid)
    lo, hi = act.output_range.inf, act.output_range.sup
    assert values.min() >= float(lo) - 1e-12 and values.max() <= float(hi) + 1e-12
    assert act.odd == bool(np.allclose(act.numpy(-grid), -values))
    nonzero = grid != 0
    assert act.sign_preserving == bool(np.all(np.sign(values[nonzero]) == np.sign(grid[nonzero])))


def test_relu_derivative_at_zero_is_zero_as_in_pytorch() -> None:
    relu = rs.get_activation("relu")
    assert relu.derivative_at_zero == 0
    assert relu.numpy_prime(0.0) == 0.0


def test_tanh_derivative_stays_accurate_where_one_minus_tanh_squared_fails() -> None:
    tanh = rs.get_activation("tanh")
    kernel = rs.compile(tanh.derivative_expr, [Z])
    naive = 1 - np.tanh(20.0) ** 2
    exact = 4 / (np.exp(20.0) + np.exp(-20.0)) ** 2
    assert naive == 0.0  # the textbook form underflows to nothing
    assert kernel(20.0) == pytest.approx(exact, rel=1e-14)


def test_custom_activation_from_text_carries_its_calculus() -> None:
    act = rs.custom_activation("z/(1 + abs(z))")
    assert act.odd and act.sign_preserving
    assert float(act.lipschitz) == pytest.approx(1.0, abs=1e-6)
    assert act.numpy(1.0) == pytest.approx(0.5)
    assert act.numpy_prime(1.0) == pytest.approx(0.25)


def test_custom_activation_rejects_code() -> None:
    with pytest.raises(rs.UnsafeExpressionError):
        rs.custom_activation("__import__('os').getcwd()")


def test_unknown_activation_names_the_choices() -> None:
    with pytest.raises(rs.UnknownNameError, match="expected one of tanh"):
        rs.get_activation("swish")


def test_leaky_relu_slope_is_validated() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="slope"):
        rs.get_activation("leaky_relu", slope=3)
