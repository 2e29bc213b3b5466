"""What every cell shares: flat states and their parts, Jacobian blocks, simulation, the invariant box."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.cells import GRUCell, LeakyCell, LSTMCell, SimpleCell
from rnnsym.errors import InvalidArgumentError, ShapeError


def lstm(seed: int = 0, n: int = 2, m: int = 1, scale: float = 1.0) -> LSTMCell:
    rng = np.random.default_rng(seed)
    return LSTMCell(rng.normal(0, scale, (4 * n, m)), rng.normal(0, scale, (4 * n, n)), rng.normal(0, scale, 4 * n))


def test_split_and_join_are_inverse_and_keep_batches() -> None:
    cell = lstm()
    S = np.arange(24.0).reshape(2, 3, 4)
    parts = cell.split(S)
    assert list(parts) == ["h", "c"] and parts["c"].shape == (2, 3, 2)
    assert np.array_equal(cell.join(parts), S)
    assert cell.join({"h": [1.0, 2.0], "c": np.zeros((3, 2))}).shape == (3, 4)
    with pytest.raises(InvalidArgumentError, match=r"keys \['h', 'c'\]"):
        cell.join({"h": [1.0, 2.0]})
    with pytest.raises(ShapeError, match=r"`c` must have shape \(\.\.\., 2\)"):
        cell.join({"h": [1.0, 2.0], "c": [1.0]})


def test_numeric_jacobian_blocks_are_the_symbolic_blocks_evaluated() -> None:
    cell = lstm(1)
    s, x = np.array([0.3, -0.2, 1.5, -0.7]), np.array([0.4])
    numeric = cell.blocks(cell.numeric_jacobian(s, x))
    values = {**dict(zip(cell.state_symbols, s)), **dict(zip(cell.input_symbols, x))}
    for key, block in cell.jacobian_blocks().items():
        assert np.abs(numeric[key] - np.array(block.xreplace(values).evalf(), dtype=float)).max() <= 1e-15
    # dc_t/dc_{t-1} = diag(f_t): the forget gate, read off the cell's own weights
    W_if, W_hf, b_if, b_hf = cell.gate_weights("f")
    f = 1 / (1 + np.exp(-(W_if @ x + W_hf @ s[:2] + b_if + b_hf)))
    assert np.abs(numeric[("c", "c")] - np.diag(f)).max() <= 1e-15
    with pytest.raises(ShapeError, match=r"\(\.\.\., 4, 4\)"):
        cell.blocks(np.eye(3))


def test_simulate_runs_batches_and_input_free_steps() -> None:
    cell = lstm(2, m=2)
    xs = np.random.default_rng(0).normal(size=(5, 3, 2))
    traj = cell.simulate(xs)
    assert traj.shape == (6, 3, 4) and np.all(traj[0] == 0)
    assert np.array_equal(traj[3], cell.step(traj[2], xs[2]))
    assert cell.simulate(steps=4, s0=np.ones(4)).shape == (5, 4)
    with pytest.raises(InvalidArgumentError, match="`steps` must be an integer >= 0"):
        cell.simulate()
    with pytest.raises(ShapeError, match=r"`xs` must have shape \(T, \.\.\., 2\)"):
        cell.simulate(np.zeros((5, 3)))


@given(st.integers(0, 2**31), st.sampled_from([0.5, 3.0, 10.0]), st.sampled_from(["gru", "lstm", "leaky"]))
def test_the_state_bounds_hold_every_trajectory_that_starts_inside(seed: int, scale: float, kind: str) -> None:
    """The box the searches project onto is invariant: checked by simulation from its corners and inside."""
    rng = np.random.default_rng(seed)
    if kind == "gru":
        cell: Any = GRUCell(rng.normal(0, scale, (9, 2)), rng.normal(0, scale, (9, 3)), rng.normal(0, scale, 9))
    elif kind == "lstm":
        cell = lstm(seed, n=3, m=2, scale=scale)
    else:
        cell = LeakyCell(rng.normal(0, scale, (3, 3)), rng.normal(size=(3, 2)), alpha=0.3, activation="sigmoid")
    lo, hi = cell.state_bounds
    box_lo, box_hi = np.maximum(lo, -3.0), np.minimum(hi, 3.0)
    s0 = rng.uniform(box_lo, box_hi, (64, cell.state_size))
    s0[0], s0[1] = box_lo, box_hi
    traj = cell.simulate(rng.normal(0, 3.0, (30, 64, 2)), s0)
    assert np.all(traj >= lo) and np.all(traj <= hi)


def test_state_bounds_follow_the_activation_range() -> None:
    assert [b.tolist() for b in SimpleCell(rs.RNN([[1.0]], activation="relu")).state_bounds] == [[0.0], [np.inf]]
    assert [b.tolist() for b in lstm().state_bounds] == [[-1, -1, -np.inf, -np.inf], [1, 1, np.inf, np.inf]]


def test_repr_and_kind_name_the_cell() -> None:
    assert repr(lstm()) == "LSTMCell(n=2, m=1, state_size=4)" and lstm().kind == "lstm"
