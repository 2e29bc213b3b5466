"""The RNN model: shapes, symbolic objects, and agreement with simulation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import rnnsym as rs


def test_jacobian_by_chain_rule_equals_sympys_direct_jacobian() -> None:
    for act in ["tanh", "sigmoid", "softsign", "identity"]:
        net = rs.RNN.symbolic(2, 1, activation=act)
        direct = net.step().jacobian(net.h_prev)
        difference = (net.jacobian() - direct).applyfunc(
            lambda e: sp.simplify(e.rewrite(sp.exp)))
        assert difference == sp.zeros(2, 2), act


def test_jacobian_is_D_times_W_h() -> None:
    net = rs.RNN.symbolic(3, 2)
    assert net.jacobian() == net.D() * net.W_h


def test_scaling_W_h_scales_the_jacobian_as_predicted() -> None:
    net = rs.RNN.symbolic(2, 1, activation="identity")
    doubled = rs.RNN(2 * net.W_h, net.W_x, net.b, "identity")
    assert doubled.jacobian() == 2 * net.jacobian()


def test_leaky_slope_appears_in_the_jacobian() -> None:
    net = rs.RNN([[sp.Rational(3, 2)]], [[1]], [0], rs.get_activation("leaky_relu", slope="1/10"))
    assert net.jacobian(h=[-1], x=[0])[0, 0] == sp.Rational(3, 20)
    assert net.jacobian(h=[1], x=[0])[0, 0] == sp.Rational(3, 2)


def test_unroll_nests_the_step() -> None:
    net = rs.RNN.symbolic(1, 1)
    h1, h2 = net.unroll(2)
    assert h2 == net.step(h1, sp.Matrix([sp.Symbol("x_2[0]", real=True)]))


def test_fixed_point_equation_holds_at_a_simulated_fixed_point() -> None:
    net = rs.RNN([[0.5]], [[0.0]], [0.3])
    h = np.zeros(1)
    for _ in range(200):
        h = net.numeric_step(h)
    eq = net.fixed_point_equation()
    residual = (eq.lhs - eq.rhs).subs({net.h_star[0]: h[0], net.x[0]: 0})
    assert abs(float(residual[0])) < 1e-12


@given(st.lists(st.floats(-2, 2), min_size=4, max_size=4), st.floats(-2, 2), st.floats(-2, 2))
def test_symbolic_step_agrees_with_numeric_step(w: list[float], h0: float, x0: float) -> None:
    net = rs.RNN([[w[0], w[1]], [w[2], w[3]]], [[1.0], [0.5]], [0.1, -0.2])
    symbolic = np.array(net.step([h0, -h0], [x0]).tolist(), dtype=float)[:, 0]
    np.testing.assert_allclose(net.numeric_step(np.array([h0, -h0]), np.array([x0])), symbolic,
                               rtol=1e-13, atol=1e-15)


def test_subs_by_name_replaces_parameters() -> None:
    net = rs.RNN.symbolic(1, 1).subs({"W_h[0,0]": 2, "W_x[0,0]": 1, "b[0]": 0})
    assert net.is_numeric
    assert net.simulate([[1.0], [0.0]], h0=[0.0])[-1, 0] == pytest.approx(np.tanh(2 * np.tanh(1.0)))


def test_numeric_work_on_a_symbolic_model_says_what_to_do() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="substitute values"):
        rs.RNN.symbolic(1, 1).simulate([[0.0]])


def test_simulate_batches_over_leading_dimensions() -> None:
    net = rs.RNN([[0.5]], [[1.0]], [0.0])
    xs = np.ones((3, 4, 1))
    assert net.simulate(xs).shape == (4, 4, 1)


def test_repr_latex_prints_the_recurrence() -> None:
    assert rs.RNN([[1]], [[1]], [0])._repr_latex_().startswith("$h_t = \\tanh")


def test_unroll_refuses_huge_horizons() -> None:
    with pytest.raises(rs.ResourceLimitError, match="simulate"):
        rs.RNN.symbolic(1, 1).unroll(10_000)
