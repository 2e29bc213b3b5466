"""The streamed top-k Lyapunov exponents (:func:`rnnsym.gradients.lyapunov_exponents`).

References: the QR of the stored Jacobian product (:func:`product_log_norms`
over :func:`trajectory_jacobians`, the path ``analyze`` used before), and the
identity ``sum_i lambda_i = mean_t log |det J_t|`` (the QR factors' diagonals
multiply to ``|det J_t|`` at every step), computed here from ``log |d_i|`` and
``log |det W_h|`` alone.
"""

from __future__ import annotations

import numpy as np
import pytest

import rnnsym as rs
from rnnsym.errors import InvalidArgumentError
from rnnsym.gradients import lyapunov_exponents, product_log_norms, trajectory_jacobians


def _net(n: int, seed: int, gain: float = 1.3) -> rs.RNN:
    rng = np.random.default_rng(seed)
    return rs.RNN(rng.standard_normal((n, n)) * gain / np.sqrt(n), rng.standard_normal((n, 2)),
                  0.1 * rng.standard_normal(n))


@pytest.mark.parametrize("n, seed", [(3, 0), (7, 1), (12, 2)])
def test_streamed_exponents_equal_the_qr_of_the_stored_product(n: int, seed: int) -> None:
    net = _net(n, seed)
    xs = np.random.default_rng(seed + 10).standard_normal((400, 2))
    est = lyapunov_exponents(net, xs, discard=40)
    _, jac = trajectory_jacobians(net, xs)
    _, sums = product_log_norms(jac[40:])
    assert est.steps == 360 and est.k == n and not est.converged
    assert np.abs(est.exponents - sums / 360).max() <= 1e-9


@pytest.mark.parametrize("n, seed", [(5, 3), (9, 4)])
def test_sum_of_all_exponents_is_the_mean_log_determinant(n: int, seed: int) -> None:
    net = _net(n, seed)
    xs = np.random.default_rng(seed).standard_normal((300, 2))
    est = lyapunov_exponents(net, xs)
    W_h, W_x, b = net.numeric_weights()
    states = net.simulate(xs)
    slopes = 1.0 - np.tanh(states[:-1] @ W_h.T + xs @ W_x.T + b) ** 2
    log_det = np.log(slopes).sum(axis=1).mean() + np.linalg.slogdet(W_h)[1]
    assert abs(est.exponents.sum() - log_det) <= 1e-9 * max(1.0, abs(log_det))


@pytest.mark.parametrize("k", [1, 3, 6])
def test_top_k_are_the_top_of_the_full_spectrum(k: int) -> None:
    net = _net(14, 5)
    xs = np.random.default_rng(6).standard_normal((500, 2))
    full = lyapunov_exponents(net, xs, discard=50).exponents
    top = lyapunov_exponents(net, xs, k=k, discard=50)
    assert top.k == k and top.exponents.shape == (k,)
    assert np.abs(top.exponents - full[:k]).max() <= 1e-9


def test_the_horizon_stops_once_converged_and_says_so() -> None:
    net = rs.RNN([[0.5, 0.0], [0.0, -0.25]], activation="identity")
    xs = np.zeros((20_000, 1))
    est = lyapunov_exponents(net, xs, k=2, tol=1e-3, block=100, min_steps=500)
    assert est.converged and est.steps < 20_000 and est.steps % 100 == 0 and est.standard_error <= 1e-3
    assert np.abs(est.exponents - np.log([0.5, 0.25])).max() <= 5e-3
    full = lyapunov_exponents(net, xs, k=2)
    assert not full.converged and full.steps == 20_000
    assert np.abs(full.exponents - np.log([0.5, 0.25])).max() <= 1e-3


def test_bad_k_and_discard_are_refused() -> None:
    net = _net(3, 0)
    with pytest.raises(InvalidArgumentError, match="`k`"):
        lyapunov_exponents(net, np.zeros((10, 2)), k=4)
    with pytest.raises(InvalidArgumentError, match="`discard`"):
        lyapunov_exponents(net, np.zeros((10, 2)), discard=10)
