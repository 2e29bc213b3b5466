"""The simple and leaky cells: the RNN unchanged, and a leak that reduces to it at alpha = 1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.cells import LeakyCell, SimpleCell
from rnnsym.errors import DomainError, InvalidArgumentError


@st.composite
def numeric_rnns(draw: Any) -> tuple[rs.RNN, np.ndarray, np.ndarray]:
    n, m = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    act = draw(st.sampled_from(["tanh", "sigmoid", "relu", "softsign", "identity"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    net = rs.RNN(rng.normal(0, 1.5, (n, n)), rng.normal(size=(n, m)), rng.normal(size=n), activation=act)
    return net, rng.normal(size=(3, n)), rng.normal(size=(3, m))


def test_the_simple_cell_has_the_rnns_own_symbolic_step_and_jacobian() -> None:
    net = rs.RNN.symbolic(2, 1)
    cell = SimpleCell(net)
    assert cell.symbolic_step() == net.step()
    assert cell.jacobian() == net.jacobian()
    assert cell.net is net and cell.parameters == net.parameters


@given(numeric_rnns())
def test_the_simple_cell_steps_and_linearises_as_the_rnn(problem: Any) -> None:
    net, H, X = problem
    cell = SimpleCell(net)
    assert np.array_equal(cell.step(H, X), net.numeric_step(H, X))
    A, B, C = cell.linearize(H[0], X[0]).numeric_matrices()
    A_net, B_net, _ = rs.linearize(net, H[0].tolist(), X[0].tolist()).numeric_matrices()
    assert np.abs(A - A_net).max() <= 1e-14 and np.abs(B - B_net).max() <= 1e-14
    assert np.array_equal(C, np.eye(net.n))


@given(numeric_rnns())
def test_a_leaky_cell_with_alpha_one_is_the_simple_rnn(problem: Any) -> None:
    net, H, X = problem
    leaky = LeakyCell(net.W_h, net.W_x, net.b, alpha=1, activation=net.activation)
    assert np.array_equal(leaky.step(H, X), net.numeric_step(H, X))
    assert np.array_equal(leaky.simulate(X, H[0]), net.simulate(X, H[0]))
    assert np.array_equal(leaky.numeric_jacobian(H, X), SimpleCell(net).numeric_jacobian(H, X))


def test_a_leaky_cell_with_alpha_one_has_the_rnns_symbolic_step_and_jacobian() -> None:
    net = rs.RNN.symbolic(2, 1)
    leaky = LeakyCell(net.W_h, net.W_x, net.b, alpha=1)
    assert leaky.symbolic_step() == net.step() and leaky.jacobian() == net.jacobian()


def test_the_leaky_jacobian_is_the_textbook_blend() -> None:
    """``J = (1 - alpha) I + alpha D W_h`` for symbolic alpha, from the RNN's own ``D`` and ``W_h``."""
    net = rs.RNN.symbolic(2, 1)
    cell = LeakyCell.symbolic(2, 1)
    alpha = cell.alpha
    want = (1 - alpha) * sp.eye(2) + alpha * net.D() * net.W_h
    assert sp.simplify(cell.jacobian() - want) == sp.zeros(2, 2)


def test_leaky_cells_relax_towards_the_drive_at_rate_alpha() -> None:
    cell = LeakyCell([[0.0]], [[1.0]], alpha=sp.Rational(1, 10), activation="identity")
    traj = cell.simulate(np.ones((40, 1)))[:, 0]
    assert np.allclose(traj, 1 - 0.9 ** np.arange(41), atol=1e-15)


@pytest.mark.parametrize("alpha", [0, -0.5, 1.01])
def test_alpha_outside_the_unit_interval_is_refused(alpha: float) -> None:
    with pytest.raises(DomainError, match="0 < alpha <= 1"):
        LeakyCell([[1.0]], alpha=alpha)


def test_a_simple_cell_needs_an_rnn() -> None:
    with pytest.raises(InvalidArgumentError, match="must be an rnnsym.RNN; got list"):
        SimpleCell([[1.0]])


def test_substituting_alpha_gives_a_numeric_leaky_cell() -> None:
    cell = LeakyCell.symbolic(1, 1, activation="identity")
    num = cell.subs({"alpha": 0.5, "W_h[0,0]": 0, "W_x[0,0]": 1, "b[0]": 0})
    assert num.is_numeric and num.step([2.0], [4.0]).tolist() == [3.0]
