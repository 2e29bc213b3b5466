"""``RNN.unroll``: names, values against an independent loop, and its limits at their edges.

Written from the survivors of a mutation run (issue 14): each test pins one
behaviour the docstring promises, at the boundary where a changed constant
or comparison would show.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.model import MAX_UNROLL_STEPS


def test_default_initial_state_and_inputs_are_named_symbols_with_latex_indices() -> None:
    net = rs.RNN([[2]], [[1]], [0], activation="identity")
    (h1, h2) = net.unroll(2)
    names = {s.name for s in h2.free_symbols}
    assert names == {"h_0[0]", "x_1[0]", "x_2[0]"}
    latex = {s.name: sp.latex(s) for s in h2.free_symbols}
    assert latex == {"h_0[0]": "h_{0,0}", "x_1[0]": "x_{1,0}", "x_2[0]": "x_{2,0}"}
    h0, x1, x2 = (sp.Symbol(n, real=True) for n in ("h_0[0]", "x_1[0]", "x_2[0]"))
    assert sp.expand(h2[0] - (4 * h0 + 2 * x1 + x2)) == 0
    assert sp.expand(h1[0] - (2 * h0 + x1)) == 0


def test_given_state_and_inputs_match_an_independent_tanh_loop() -> None:
    W_h = np.array([[0.5, -0.3], [0.2, 0.9]])
    W_x = np.array([[1.0], [-0.5]])
    b = np.array([0.1, -0.2])
    h0, xs = np.array([0.3, -0.7]), np.array([[0.4], [-1.1], [0.25]])
    states = rs.RNN(W_h, W_x, b).unroll(3, h0=h0, xs=xs)
    assert len(states) == 3
    h = h0.copy()
    for x, state in zip(xs, states):
        h = np.tanh(W_h @ h + W_x @ x + b)          # written here, not rnnsym's step
        np.testing.assert_allclose(np.array(state.tolist(), dtype=float)[:, 0], h, rtol=1e-14, atol=1e-15)


def test_given_initial_state_is_used_not_the_default_symbols() -> None:
    h1, = rs.RNN([[2]], [[1]], [0], activation="identity").unroll(1, h0=[3])
    assert h1[0].free_symbols == {sp.Symbol("x_1[0]", real=True)}
    assert h1[0].subs(sp.Symbol("x_1[0]", real=True), 0) == 6


def test_one_step_is_allowed_and_zero_steps_are_refused_naming_t() -> None:
    assert len(rs.RNN.symbolic(1, 1).unroll(1)) == 1
    with pytest.raises(rs.InvalidArgumentError, match="`T`"):
        rs.RNN.symbolic(1, 1).unroll(0)


def test_inputs_of_the_wrong_size_are_refused_naming_xs() -> None:
    with pytest.raises(rs.ShapeError, match="`xs` must hold 2 inputs of size 1"):
        rs.RNN([[0.5]], [[1.0]]).unroll(2, xs=[[1.0], [2.0], [3.0]])


def test_the_step_limit_is_inclusive() -> None:
    net = rs.RNN([[0.5]], [[1.0]], [0.0])          # floats: exempt from the term limit
    assert len(net.unroll(MAX_UNROLL_STEPS, h0=[0.1], xs=np.zeros((MAX_UNROLL_STEPS, 1)))) == MAX_UNROLL_STEPS
    with pytest.raises(rs.ResourceLimitError, match=f"`T`={MAX_UNROLL_STEPS + 1}"):
        net.unroll(MAX_UNROLL_STEPS + 1, h0=[0.1], xs=np.zeros((MAX_UNROLL_STEPS + 1, 1)))


@pytest.mark.parametrize("k", [2, 3])
def test_the_term_limit_counts_nonzero_weights_per_row_and_is_inclusive(k: int) -> None:
    # k nonzero weights per row: h_T nests about k**(T-1) terms.  The limit k**3
    # admits T = 4 and refuses T = 5.
    W = sp.Matrix(k, k, lambda i, j: sp.Symbol(f"w{i}{j}"))
    net = rs.RNN(W, sp.ones(k, 1), sp.zeros(k, 1), activation="identity")
    assert len(net.unroll(4, max_terms=k**3)) == 4
    with pytest.raises(rs.ResourceLimitError, match=f"{k}\\*\\*4 terms.*max_terms={k**3}"):
        net.unroll(5, max_terms=k**3)


def test_zero_weights_do_not_count_towards_the_term_limit() -> None:
    # a diagonal W_h (one nonzero per row) never multiplies terms: no term limit
    net = rs.RNN(sp.diag(sp.Symbol("a"), sp.Symbol("c")), sp.ones(2, 1), sp.zeros(2, 1), activation="identity")
    assert len(net.unroll(20, max_terms=1)) == 20


def test_a_nonzero_unit_weight_counts() -> None:
    # weights equal to 1 are nonzero: [[1, 1], [1, 1]] has two per row
    net = rs.RNN(sp.ones(2, 2), sp.ones(2, 1), sp.zeros(2, 1), activation="identity")
    with pytest.raises(rs.ResourceLimitError):
        net.unroll(4, max_terms=4)
    assert len(net.unroll(3, max_terms=4)) == 3


def test_all_float_models_are_exempt_from_the_term_limit_and_others_are_not() -> None:
    W = [[0.5, 0.1], [0.2, 0.3]]
    floats = rs.RNN(W, [[1.0], [1.0]], [0.0, 0.0])
    states = floats.unroll(12, h0=[0.0, 0.0], xs=np.ones((12, 1)), max_terms=1)
    assert len(states) == 12 and all(e.is_Float for e in states[-1])
    with pytest.raises(rs.ResourceLimitError, match="max_terms=1"):
        floats.unroll(12, max_terms=1)                     # symbolic h0 and inputs
    with pytest.raises(rs.ResourceLimitError, match="max_terms=1"):
        floats.unroll(12, h0=[sp.Symbol("u"), 0.0], xs=np.ones((12, 1)), max_terms=1)


def test_a_zero_term_limit_still_allows_one_step() -> None:
    # (T - 1) * log k = 0 is never above log(max(limit, 1)) = 0
    assert len(rs.RNN.symbolic(2, 1).unroll(1, max_terms=0)) == 1


def test_the_refusal_names_the_growth_and_the_alternatives() -> None:
    with pytest.raises(rs.ResourceLimitError) as info:
        rs.RNN.symbolic(2, 1).unroll(10, max_terms=100)
    message = str(info.value)
    assert "`T`=10" in message and "2 nonzero weights per row" in message and "2**9" in message
    assert "max_terms=100" in message and "RNN.simulate()" in message
    assert 2 ** 9 > 100 and math.log(2) * 9 > math.log(100)


def test_max_terms_must_be_a_nonnegative_integer_and_is_named() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`max_terms`"):
        rs.RNN.symbolic(1, 1).unroll(2, max_terms=-1)


def test_subs_keeps_the_bias_and_the_activation() -> None:
    net = rs.RNN.symbolic(1, 1, activation="relu").subs({"W_h[0,0]": 0.5, "W_x[0,0]": 1, "b[0]": -0.25})
    assert net.activation.name == "relu" and list(net.b) == [-0.25]
    assert net.simulate([[0.0]], h0=[1.0])[-1, 0] == pytest.approx(0.25, abs=0)


def test_subs_of_an_unknown_name_says_whose_parameters() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`nope` is not a parameter of this RNN; its parameters are"):
        rs.RNN.symbolic(1, 1).subs({"nope": 1})
