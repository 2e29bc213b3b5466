"""Gradient products, their norms and bounds, Lyapunov exponents, normality (E11-E13, E15)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.gradients import (MAX_SYMBOLIC_HORIZON, DiagonalFactor, T, W_h, backpropagate,
                              backward_recursion, bound_factor, chain_product, gradient_norms,
                              gradient_product, jacobian_kernel, k, lag, lyapunov_spectrum,
                              norm_bound, product_log_norms, trajectory_jacobian_product,
                              trajectory_jacobians)
from rnnsym.linear.normality import (LAM, K, S, is_normal, jordan_peak_lag, jordan_power,
                              jordan_power_norm, jordan_transient_peak, normality_defect,
                              spectral_norm, spectral_radius, transient_growth)

# Twice differentiable: central differences lose their O(eps^2) accuracy where phi'' jumps
# (softsign at 0), so softsign is left to the kink-aware derivation verifiers.
SMOOTH = st.sampled_from(["tanh", "sigmoid", "identity"])


def simulated_map_fd(net: rs.RNN, h: np.ndarray, xs: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of h_k -> h_T, stepping with the model's own numeric_step."""

    def run(state: np.ndarray) -> np.ndarray:
        for x in xs:
            state = net.numeric_step(state, x)
        return state

    cols = []
    for j in range(net.n):
        e = np.zeros(net.n)
        e[j] = eps
        cols.append((run(h + e) - run(h - e)) / (2 * eps))
    return np.stack(cols, axis=1)


# -- the symbolic product ------------------------------------------------------
def test_product_puts_the_latest_factor_on_the_left() -> None:
    product = gradient_product(3)
    assert product.args == (DiagonalFactor(k + 3), W_h, DiagonalFactor(k + 2), W_h,
                            DiagonalFactor(k + 1), W_h)


def test_chapter_product_is_the_transpose_in_reverse_order() -> None:
    # E11: prod_{t=k+1}^{T} W_h^T D_t, read left to right, is (dh_T/dh_k)^T.
    chapter = sp.MatMul(W_h.T, DiagonalFactor(k + 1), W_h.T, DiagonalFactor(k + 2))
    assert gradient_product().transpose().xreplace({T: k + 2}).explicit() == chapter
    assert sp.MatMul(*gradient_product(2).T.args) == chapter


def test_unevaluated_product_has_symbolic_limits() -> None:
    product = gradient_product()
    assert product.free_symbols >= {T, k}
    assert r"\overleftarrow" in rs.latex(product)
    with pytest.raises(rs.InvalidArgumentError, match="no known length"):
        product.explicit()


def test_backward_recursion_is_the_transposed_chain_rule_step() -> None:
    eq = backward_recursion()
    product = [a for a in eq.rhs.args if isinstance(a, sp.MatMul)][0]
    assert product.args[:2] == (W_h.T, DiagonalFactor(k + 1))


@settings(max_examples=25, deadline=None)
@given(net=rst.rnns(n=2, m=1, activation=SMOOTH), h=rst.states(2),
       xs=rst.inputs(1, 3, max_abs=1.0))
def test_trajectory_product_matches_finite_differences_of_simulation(net, h, xs) -> None:
    product = np.array(trajectory_jacobian_product(net, h, xs).tolist(), dtype=float)
    fd = simulated_map_fd(net, h, xs)
    assert np.allclose(product, fd, rtol=1e-6, atol=1e-7)


@settings(max_examples=25, deadline=None)
@given(net=rst.rnns(n=2, m=1, activation=SMOOTH), h=rst.states(2),
       xs=rst.inputs(1, 3, max_abs=1.0))
def test_chain_of_D_W_factors_equals_the_trajectory_product(net, h, xs) -> None:
    states = net.simulate(xs, h)
    diagonals = [net.D(states[j], xs[j]) for j in range(len(xs))]
    assert np.allclose(np.array(chain_product(net.W_h, diagonals).tolist(), dtype=float),
                       np.array(trajectory_jacobian_product(net, h, xs).tolist(), dtype=float))


@settings(max_examples=30, deadline=None)
@given(w=rst.matrices(2), d1=rst.states(2), d2=rst.states(2), h=rst.states(2))
def test_chapter_order_is_caught_where_the_orders_differ(w, d1, d2, h) -> None:
    correct = np.diag(d2) @ w @ np.diag(d1) @ w
    chapter = w.T @ np.diag(d1) @ w.T @ np.diag(d2)
    assume(np.abs(correct - chapter).max() > 1e-3)
    net = rs.RNN(w, [[1.0], [0.5]], activation="tanh")
    xs = np.zeros((2, 1))
    states = net.simulate(xs, h)
    D = [np.diag(np.array(net.D(states[j], xs[j]).tolist(), dtype=float)) for j in range(2)]
    fd = simulated_map_fd(net, h, xs)
    good = np.diag(D[1]) @ w @ np.diag(D[0]) @ w
    bad = w.T @ np.diag(D[0]) @ w.T @ np.diag(D[1])
    assert np.allclose(good, fd, atol=1e-6)
    if np.abs(good - bad).max() > 1e-4:
        assert not np.allclose(bad, fd, atol=1e-6)


def test_a_merely_non_symmetric_W_can_hide_the_wrong_order() -> None:
    # W = [[1, 2], [1, 1]], D = diag(1, 2): D W = W^T D although W is not symmetric.
    w, d = sp.Matrix([[1, 2], [1, 1]]), sp.diag(1, 2)
    assert w != w.T and d * w == w.T * d
    assert chain_product(w, [[1, 2], [3, 1]]) != (w.T * sp.diag(1, 2) * w.T * sp.diag(3, 1))


# -- numerics along a trajectory --------------------------------------------------
def split_product_condition(jac: np.ndarray) -> np.ndarray:
    """``kappa_k = sum_j ||J_k..J_{j+1}|| ||J_j|| ||J_{j-1}..J_1|| / ||J_k..J_1||``.

    A relative perturbation ``eps`` of each factor (the backward error of a QR
    step, or of a matrix product) changes ``||J_k..J_1||`` by up to about
    ``eps kappa_k`` relative; ``kappa_k >= k``, and it is huge where the product
    nearly vanishes though its factors do not (a nearly nilpotent W_h).
    """
    steps, n = len(jac), jac.shape[1]
    prefix = [np.eye(n)]
    for J in jac:
        prefix.append(J @ prefix[-1])
    total = np.zeros(steps)
    for j in range(1, steps + 1):  # factor J_j, perturbed
        left = np.eye(n)
        for last in range(j, steps + 1):  # in the product J_last ... J_1
            if last > j:
                left = jac[last - 1] @ left
            total[last - 1] += (np.linalg.norm(left, 2) * np.linalg.norm(jac[j - 1], 2)
                                * np.linalg.norm(prefix[j - 1], 2))
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero product: masked by the caller
        return total / np.array([np.linalg.norm(p, 2) for p in prefix[1:]])


@settings(max_examples=20, deadline=None)
@given(net=rst.rnns(m=1, activation=SMOOTH), xs=rst.inputs(1, 40))  # n up to 8, saturated units
def test_qr_log_norms_match_the_direct_product(net, xs) -> None:
    _, jac = trajectory_jacobians(net, xs)
    direct, forward = np.eye(net.n), []
    for J in jac:
        direct = J @ direct
        forward.append(np.linalg.norm(direct, 2))
    with np.errstate(divide="ignore"):
        expected = np.log(np.array(forward))
    logs, _ = product_log_norms(jac)
    finite = (np.array(forward) > 1e-250) & (np.array(forward) < 1e250)  # the direct product under- or overflows beyond
    # Both are normwise backward stable, so they agree to 1e-9 plus the product's own
    # sensitivity, 100 n eps kappa_k (which is below 1e-10 unless the product nearly
    # cancels, e.g. W_h = e2 e1^T + 1e-38: ||W_h^2|| ~ 3e-38, below QR's resolution).
    slack = 100 * net.n * np.finfo(float).eps * split_product_condition(jac)
    with np.errstate(invalid="ignore"):  # -inf - -inf where the product underflowed: masked
        error = np.abs(logs - expected)
    assert np.all(error[finite] <= (1e-9 + 1e-9 * np.abs(expected) + slack)[finite])


def test_jacobian_kernel_batches_over_time_steps() -> None:
    net = rs.RNN([[0.3, -0.2], [0.4, 0.1]], [[1.0], [0.5]], [0.1, 0.0])
    hs, xs = np.random.default_rng(1).normal(size=(7, 2)), np.zeros((7, 1))
    batched = jacobian_kernel(net)(hs, xs)
    assert batched.shape == (7, 2, 2)
    assert np.allclose(batched[4], np.array(net.jacobian(hs[4], xs[4]).tolist(), dtype=float))


def test_long_horizon_norms_are_finite_and_grow_at_the_top_lyapunov_rate() -> None:
    rng = np.random.default_rng(7)
    net = rs.RNN(rng.normal(size=(3, 3)) * 0.9, rng.normal(size=(3, 1)), [0.1, 0.0, -0.1])
    xs = rng.normal(size=(10_000, 1))
    result = gradient_norms(net, xs)
    assert np.isfinite(result.log_norms).all()
    assert result.log_norms[-1] < -700  # exp() of it underflows; the log does not
    spectrum = lyapunov_spectrum(net, xs)
    assert abs(result.growth_rate() - spectrum[0]) < 2e-3
    assert abs(result.lyapunov[0] - spectrum[0]) < 2e-3


@settings(max_examples=10, deadline=None)
@given(w=rst.normal_matrices(3))
def test_linear_normal_network_has_log_norms_lag_times_log_rho(w) -> None:
    rho = spectral_radius(w)
    assume(rho > 0.05)
    net = rs.RNN(w, activation="identity")
    result = gradient_norms(net, np.zeros((2_000, 1)))
    # ||W^j||_2 = rho^j exactly for normal W; the QR estimate of the exponent
    # carries an O(1/T) transient from its (fixed, generic) starting frame.
    assert np.allclose(result.log_norms, result.lags * np.log(rho), rtol=1e-12, atol=1e-9)
    assert result.lyapunov[0] == pytest.approx(np.log(rho), abs=5e-3)


def test_ten_thousand_steps_of_a_normal_linear_network_give_exponent_log_rho() -> None:
    q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))
    w = q @ np.diag([0.95, -0.5, 0.2]) @ q.T
    result = gradient_norms(rs.RNN(w, activation="identity"), np.zeros((10_000, 1)))
    assert result.growth_rate() == pytest.approx(np.log(0.95), rel=1e-12)
    assert result.lyapunov[0] == pytest.approx(np.log(0.95), abs=1e-3)
    assert np.allclose(result.lyapunov, np.log([0.95, 0.5, 0.2]), atol=1e-3)


# -- bounds (E12, E13, E15) ----------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(net=rst.rnns(m=1, activation=SMOOTH), xs=rst.inputs(1, 30))
def test_gradient_norms_never_exceed_the_c_norm_bound(net, xs) -> None:
    result = gradient_norms(net, xs)
    assert np.all(result.log_norms <= result.lags * result.log_bound_factor + 1e-9)


@settings(max_examples=20, deadline=None)
@given(net=rst.rnns(m=1, activation=st.sampled_from(["tanh", "sigmoid", "softsign"]),
                    stable=True), xs=rst.inputs(1, 30))  # ||W_h||_2 >= 0.99 in half the draws
def test_contracting_network_has_gradients_below_q_to_the_lag(net, xs) -> None:
    q = float(net.activation.lipschitz) * spectral_norm(np.array(net.W_h.tolist(), dtype=float))
    assert q < 1
    assume(q > 1e-6)
    result = gradient_norms(net, xs)
    assert np.all(result.log_norms <= result.lags * np.log(q) + 1e-9)


def test_c_norm_above_one_does_not_force_explosion() -> None:
    net = rs.RNN([[0.5, 2.0], [0.0, 0.5]], activation="identity")
    assert bound_factor(net) > 2
    assert gradient_norms(net, np.zeros((200, 1))).log_norms[-1] < -100


def test_norm_bound_uses_the_exponent_T_minus_k() -> None:
    net = rs.RNN([[0.5]], activation="tanh")
    assert norm_bound(net, 10, 7) == pytest.approx(0.5**3)


# -- back-propagation -------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(net=rst.rnns(n=2, m=1, activation=SMOOTH), xs=rst.inputs(1, 5), h0=rst.states(2))
def test_backpropagated_gradient_matches_finite_differences_of_the_loss(net, xs, h0) -> None:
    states = net.simulate(xs, h0)
    grads = backpropagate(net, xs, states, h0)  # loss sum_t |h_t|^2 / 2 has dl_t/dh_t = h_t

    def loss(h: np.ndarray) -> float:
        return 0.5 * float(np.sum(net.simulate(xs, h) ** 2))

    eps = 1e-6
    fd = [(loss(h0 + eps * e) - loss(h0 - eps * e)) / (2 * eps) for e in np.eye(2)]
    assert np.allclose(grads[0], fd, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_gradient_matches_pytorch_autograd() -> None:  # pragma: no cover - needs torch
    import torch

    rng = np.random.default_rng(3)
    net = rs.RNN(rng.normal(size=(3, 3)), rng.normal(size=(3, 1)), rng.normal(size=3))
    xs, h0 = rng.normal(size=(6, 1)), rng.normal(size=3)
    W, U, b = (torch.tensor(a) for a in net.numeric_weights())
    h = torch.tensor(h0, requires_grad=True)
    state = h
    for x in torch.tensor(xs):
        state = torch.tanh(W @ state + U @ x + b)
    state.sum().backward()
    local = np.zeros((7, 3))
    local[-1] = 1.0
    assert np.allclose(backpropagate(net, xs, local, h0)[0], h.grad.numpy())


# -- normality and transient growth --------------------------------------------------------
def test_norm_equal_to_radius_does_not_imply_normality() -> None:
    W = [[0.9, 0, 0], [0, 0, 0.5], [0, 0, 0]]
    assert is_normal(W) is False
    assert spectral_norm(W) == pytest.approx(0.9, abs=1e-14)
    assert spectral_radius(W) == pytest.approx(0.9, abs=1e-14)
    assert not normality_defect([[sp.Rational(9, 10), 0, 0], [0, 0, sp.Rational(1, 2)], [0, 0, 0]]).is_zero_matrix


@settings(max_examples=20, deadline=None)
@given(w=rst.normal_matrices(3), power=st.integers(1, 6))
def test_normal_matrices_have_norm_of_powers_rho_to_the_k(w, power) -> None:
    assert is_normal(w, tol=1e-9)
    assert spectral_norm(np.linalg.matrix_power(w, power)) == pytest.approx(spectral_radius(w) ** power,
                                                                          rel=1e-9, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(w=rst.non_normal_matrices(3))
def test_non_normal_matrices_are_detected(w) -> None:
    assert is_normal(w, tol=1e-6) is False


def test_jordan_power_matches_the_textbook_form() -> None:
    textbook = sp.Matrix([[LAM**K, K * LAM ** (K - 1) * S], [0, LAM**K]])
    assert sp.simplify(jordan_power() - textbook).is_zero_matrix


def test_jordan_peak_lag_matches_the_closed_form() -> None:
    textbook = sp.sqrt(1 / sp.log(LAM) ** 2 - 4 * LAM**2 / S**2)
    derived = jordan_peak_lag()
    assert sp.simplify(sp.expand(derived**2 - textbook**2)) == 0
    for lam, s in [(0.9, 1.0), (0.5, 3.0), (0.99, 0.2)]:
        assert float(derived.subs({LAM: lam, S: s})) == pytest.approx(float(textbook.subs({LAM: lam, S: s})))


def test_jordan_example_peaks_at_nine_with_norm_3_9126() -> None:
    k_star, k_peak, peak = jordan_transient_peak(0.9, 1.0)
    assert round(k_star, 2) == 9.32 and k_peak == 9 and round(peak, 4) == 3.9126
    growth = transient_growth([[0.9, 1.0], [0.0, 0.9]])
    assert growth.exact and growth.k_peak == 9 and growth.peak == pytest.approx(peak, rel=1e-12)
    assert float(jordan_power_norm().subs({LAM: 0.9, S: 1, K: 9})) == pytest.approx(peak)


@settings(max_examples=40, deadline=None)
@given(lam=rst.stable_coefficients(max_abs=0.999).filter(lambda v: abs(v) >= 0.2),  # |lam| >= 0.99 in half
       s=st.floats(0.05, 5.0) | st.floats(-5.0, -0.05))
def test_closed_form_peak_matches_numeric_powers(lam, s) -> None:
    _, k_peak, peak = jordan_transient_peak(lam, s)
    growth = transient_growth([[lam, s], [0.0, lam]])
    assert growth.peak == pytest.approx(peak, rel=1e-9)
    assert growth.norms[k_peak] == pytest.approx(growth.peak, rel=1e-9)


# -- bad input ------------------------------------------------------------------------
def test_T_before_k_is_refused() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`T` must be >= `k`"):
        lag(2, 5)
    with pytest.raises(rs.InvalidArgumentError, match="T >= k"):
        gradient_product(-1)
    with pytest.raises(rs.InvalidArgumentError, match="T >= k"):
        norm_bound(rs.RNN([[0.5]]), 1, 3)


def test_too_long_symbolic_horizon_points_to_the_numeric_path() -> None:
    with pytest.raises(rs.ResourceLimitError, match="gradient_norms"):
        gradient_product(MAX_SYMBOLIC_HORIZON + 1)
    with pytest.raises(rs.ResourceLimitError, match="gradient_norms"):
        trajectory_jacobian_product(rs.RNN.symbolic(3), [0, 0, 0], [[0]] * 9)


def test_non_finite_states_and_inputs_are_refused() -> None:
    net = rs.RNN([[0.5]])
    with pytest.raises(rs.NonFiniteError, match="`h0`"):
        gradient_norms(net, [[0.0]], h0=[np.nan])
    with pytest.raises(rs.NonFiniteError, match="`xs`"):
        gradient_norms(net, [[np.inf]])
    with pytest.raises(rs.NonFiniteError, match="diverged"):
        gradient_norms(rs.RNN([[1e200]], [[1.0]], activation="identity"), [[1e200]] * 3)


def test_symbolic_network_needs_numbers_for_the_numeric_path() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="symbolic parameters"):
        jacobian_kernel(rs.RNN.symbolic(2))


def test_unbounded_growth_needs_k_max() -> None:
    with pytest.raises(rs.DomainError, match="k_max"):
        transient_growth([[1.0, 1.0], [0.0, 1.0]])
    assert transient_growth([[1.0, 1.0], [0.0, 1.0]], k_max=5).k_peak == 5
