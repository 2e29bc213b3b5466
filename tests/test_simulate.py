"""Batched simulation runs the model's recurrence: it matches RNN.simulate sequence by sequence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.simulate import simulate_batch


def reference(net: rs.RNN, xs: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    h0s = [None] * len(xs) if h0 is None else list(np.broadcast_to(h0, (len(xs), net.n)))
    return np.stack([net.simulate(x, h)[1:] for x, h in zip(xs, h0s)])


def random_net(seed: int, n: int, m: int, activation: str = "tanh") -> rs.RNN:
    rng = np.random.default_rng(seed)
    return rs.RNN(rng.normal(0, 1 / np.sqrt(n), (n, n)), rng.normal(size=(n, m)), rng.normal(size=n),
                  activation=activation)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), rst.dimensions(1, 8), st.integers(1, 3),
       st.sampled_from(["tanh", "relu", "sigmoid"]))
def test_matmul_simulation_matches_the_models_own_step(seed: int, n: int, m: int, act: str) -> None:
    net = random_net(seed, n, m, act)
    xs = np.random.default_rng(seed + 1).normal(size=(4, 6, m))
    got = simulate_batch(net, xs, dtype=np.float64, method="matmul")
    np.testing.assert_allclose(got, reference(net, xs), rtol=1e-13, atol=1e-14)


def test_float32_simulation_is_within_single_precision() -> None:
    net = random_net(0, 8, 3)
    xs = np.random.default_rng(1).normal(size=(16, 20, 3))
    np.testing.assert_allclose(simulate_batch(net, xs), reference(net, xs), atol=1e-5)


def test_out_buffer_is_reused_and_initial_states_broadcast() -> None:
    net = random_net(2, 3, 2)
    xs = np.random.default_rng(3).normal(size=(5, 4, 2))
    out = np.empty((5, 4, 3))
    h0 = np.random.default_rng(4).normal(size=(5, 3))
    assert simulate_batch(net, xs, h0, dtype=np.float64, out=out, method="matmul") is out
    np.testing.assert_allclose(out, reference(net, xs, h0), rtol=1e-13, atol=1e-14)
    with pytest.raises(ShapeError, match="`out`"):
        simulate_batch(net, xs, out=np.empty((5, 4, 2)))


@pytest.mark.parametrize("act", ["tanh", "relu", "identity"])
def test_fused_scan_for_tiny_n_matches_the_models_step(act: str) -> None:
    pytest.importorskip("numba")
    net = random_net(5, 2, 1, act)
    xs = np.random.default_rng(6).normal(size=(7, 9, 1))
    h0 = np.array([0.3, -0.2])
    got = simulate_batch(net, xs, h0, dtype=np.float64, method="fused")
    np.testing.assert_allclose(got, reference(net, xs, h0), rtol=1e-12, atol=1e-13)
    got32 = simulate_batch(net, xs.astype(np.float32), h0, method="fused")
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, reference(net, xs, h0), atol=1e-5)


def test_bad_arguments_are_one_line_errors() -> None:
    net = random_net(7, 2, 1)
    with pytest.raises(ShapeError, match="`xs`"):
        simulate_batch(net, np.ones((3, 4)))
    with pytest.raises(InvalidArgumentError, match="`method`"):
        simulate_batch(net, np.ones((1, 2, 1)), method="gpu")
    with pytest.raises(InvalidArgumentError, match="`dtype`"):
        simulate_batch(net, np.ones((1, 2, 1)), dtype=np.int32)
    with pytest.raises(InvalidArgumentError, match="symbolic"):
        simulate_batch(rs.RNN.symbolic(1, 1), np.ones((1, 2, 1)))
