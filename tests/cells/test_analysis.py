"""The analyses of any cell (rnnsym.cells.analysis) against independent computations.

* gradient norms: the product of Jacobians from central differences of the
  symbolic step in mpmath at 30 digits, along an mpmath trajectory, its norm
  by mpmath's SVD;
* Lyapunov exponents: the same product over thousands of steps in mpmath
  (no overflow), QR-factorised once, and its singular values;
* the one streamed QR behind a cell's and an RNN's exponents: a SimpleCell
  and its RNN against the frame moved and QR-factorised at every step in mpmath;
* the structural contraction factor: SymPy's ``J0``/``K`` against the
  textbook ``(1 - alpha) I`` and ``alpha W_h``, never below ``||J(s)||_2`` at
  sampled states, attained on a constructed cell; the interval certificate
  never below ``||J(s)||_inf`` in the box;
* the linearisation at a fixed point: its half-life and ``steps_to_half``
  against simulations of the cell's own step and of the linear system.

Planted errors (kept as tests): the product in the wrong order, the leaky
bound without its ``(1 - alpha)`` term.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.cells import (GRUCell, LeakyCell, LSTMCell, SimpleCell, cell_contraction_certificate,
                          cell_gradient_norms, cell_lyapunov_spectrum, cell_point_analysis, custom_cell)
from rnnsym.cells.analysis import FRAME_SEED
from rnnsym.gradients import lyapunov_exponents, product_log_norms

DPS = 30


def mi_cell(n: int = 2) -> Any:
    """A multiplicative-integration RNN (Wu et al., 2016) with one input, numeric parameters."""
    h = sp.symbols(f"h0:{n}", real=True)
    x = sp.Symbol("x", real=True)
    gen = np.random.default_rng(7)
    U = sp.Matrix(np.round(gen.normal(size=(n, n)), 3).tolist())
    W = sp.Matrix(np.round(gen.normal(size=n), 3).tolist())
    Uh, Wx = U * sp.Matrix(h), W * x
    return custom_cell([sp.tanh(sp.Float(0.8) * Wx[i] * Uh[i] + Uh[i] + sp.Float(0.3) * Wx[i]) for i in range(n)],
                       state=list(h), inputs=[x])


def make_cell(kind: str, seed: int = 0) -> Any:
    gen = np.random.default_rng(seed)
    if kind == "gru":
        return GRUCell(gen.normal(size=(6, 2)), gen.normal(size=(6, 2)) * 1.5, gen.normal(size=6), gen.normal(size=6))
    if kind == "lstm":
        return LSTMCell(gen.normal(size=(8, 2)), gen.normal(size=(8, 2)) * 1.5, gen.normal(size=8),
                        gen.normal(size=8))
    if kind == "leaky":
        return LeakyCell(gen.normal(size=(2, 2)) * 1.5, gen.normal(size=(2, 2)), gen.normal(size=2), alpha=0.3)
    if kind == "simple":
        return SimpleCell(rs.RNN(gen.normal(size=(2, 2)) * 1.5, gen.normal(size=(2, 2)), gen.normal(size=2)))
    return mi_cell()


# -- references in mpmath ------------------------------------------------------------------------
def mp_step_and_jacobian(cell: Any) -> tuple[Any, Any]:
    """The symbolic step in mpmath, and its Jacobian by central differences (h = 1e-12) at 30 digits."""
    f = sp.lambdify([list(cell.state_symbols), list(cell.input_symbols)], list(cell.symbolic_step()), "mpmath")

    def jacobian(s: list, x: list) -> mpmath.matrix:
        h = mpmath.mpf(10) ** -12
        J = mpmath.matrix(len(s), len(s))
        for j in range(len(s)):
            plus, minus = list(s), list(s)
            plus[j] += h
            minus[j] -= h
            for i, (a, b) in enumerate(zip(f(plus, x), f(minus, x))):
                J[i, j] = (a - b) / (2 * h)
        return J

    return f, jacobian


def mp_trajectory_jacobians(cell: Any, xs: np.ndarray, s0: np.ndarray) -> list[mpmath.matrix]:
    f, jacobian = mp_step_and_jacobian(cell)
    out = []
    with mpmath.workdps(DPS):
        s = [mpmath.mpf(float(v)) for v in s0]
        for x in xs:
            xm = [mpmath.mpf(float(v)) for v in x]
            out.append(jacobian(s, xm))
            s = list(f(s, xm))
    return out


def mp_log_norm(M: mpmath.matrix) -> float:
    return float(mpmath.log(max(mpmath.svd_r(M, compute_uv=False))))


def backward_products(jacs: list[mpmath.matrix]) -> list[mpmath.matrix]:
    """``J_T ... J_{T-lag+1}`` for ``lag = 1..T``."""
    out, P = [], mpmath.eye(jacs[0].rows)
    for J in reversed(jacs):
        P = P * J
        out.append(P)
    return out


# -- gradient norms --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["gru", "lstm", "leaky", "simple", "mi"])
def test_gradient_norms_match_the_mpmath_product_of_central_difference_jacobians(kind: str) -> None:
    cell = make_cell(kind)
    gen = np.random.default_rng(1)
    xs = gen.normal(size=(8, cell.m))
    s0 = gen.uniform(-0.8, 0.8, size=cell.state_size)
    g = cell_gradient_norms(cell, xs, s0)
    with mpmath.workdps(DPS):
        products = backward_products(mp_trajectory_jacobians(cell, xs, s0))
        reference = np.array([mp_log_norm(P) for P in products])
        assert np.max(np.abs(g.log_norms - reference)) <= 1e-8
        if kind == "lstm":
            n = cell.n
            for (a, b), logs in g.blocks.items():
                rows = slice(0, n) if a == "h" else slice(n, 2 * n)
                cols = slice(0, n) if b == "h" else slice(n, 2 * n)
                ref = [mp_log_norm(mpmath.matrix([[P[i, j] for j in range(cols.start, cols.stop)]
                                                  for i in range(rows.start, rows.stop)])) for P in products]
                assert np.max(np.abs(logs - np.array(ref))) <= 1e-8, (a, b)
    assert g.lags.tolist() == list(range(1, 9))
    assert set(g.blocks) == ({("h", "h"), ("h", "c"), ("c", "h"), ("c", "c")} if kind == "lstm" else set())


def test_planted_error_the_product_in_the_wrong_order_misses_the_reference() -> None:
    cell = make_cell("gru")
    gen = np.random.default_rng(1)
    xs, s0 = gen.normal(size=(8, 2)), gen.uniform(-0.8, 0.8, size=2)
    jac = cell.numeric_jacobian(cell.simulate(xs, s0)[:-1], xs)
    wrong, _ = product_log_norms(jac, backward=False)   # J_lag ... J_1: dh_lag/dh_0, not dh_T/dh_{T-lag}
    with mpmath.workdps(DPS):
        reference = np.array([mp_log_norm(P) for P in backward_products(mp_trajectory_jacobians(cell, xs, s0))])
    assert np.max(np.abs(wrong - reference)) > 1e-2


def test_the_lstm_forget_path_dominates_with_a_blocked_h() -> None:
    # zero recurrent and input weights: f = sigma(b_f) and h = o tanh(c) does not feed back,
    # so dc_T/dc_k = f^(T-k) exactly and dh_T/dc_k = o tanh'(c_T) f^(T-k-1)
    b = np.array([0.0, 1.5, 0.0, 0.0])
    cell = LSTMCell(np.zeros((4, 1)), np.zeros((4, 1)), b, np.zeros(4))
    g = cell_gradient_norms(cell, np.zeros((30, 1)), s0=[0.0, 0.7])
    f = 1 / (1 + np.exp(-1.5))
    assert np.allclose(g.blocks[("c", "c")], g.lags * np.log(f), rtol=0, atol=1e-12)
    assert np.all(g.blocks[("c", "h")] == -np.inf)


# -- Lyapunov exponents ----------------------------------------------------------------------------
def test_lyapunov_exponents_match_a_long_mpmath_product() -> None:
    # The product of 1500 Jacobians in mpmath (no overflow) gives the top exponent: from its first column
    # in the same starting frame exactly, from its top singular value up to O(1/T).  Its second direction
    # is e^(-1500) smaller, beyond 30 digits; the sum of the exponents is the mean log |det J_t| instead.
    cell = make_cell("gru", seed=3)
    gen = np.random.default_rng(2)
    T = 1500
    xs, s0 = gen.normal(size=(T, 2)), np.zeros(2)
    got = cell_lyapunov_spectrum(cell, xs, s0)
    states = cell.simulate(xs, s0)
    _, jacobian = mp_step_and_jacobian(cell)
    with mpmath.workdps(DPS):
        P, log_det = mpmath.eye(2), mpmath.mpf(0)
        for s, x in zip(states[:-1], xs):   # at the float trajectory's states
            J = jacobian([mpmath.mpf(float(v)) for v in s], [mpmath.mpf(float(v)) for v in x])
            P, log_det = J * P, log_det + mpmath.log(abs(mpmath.det(J)))
        frame = mpmath.matrix(np.linalg.qr(np.random.default_rng(FRAME_SEED).normal(size=(2, 2)))[0].tolist())
        top_same_frame = float(mpmath.log(mpmath.norm(P * frame[:, 0], 2))) / T
        top_singular = float(mpmath.log(max(mpmath.svd_r(P, compute_uv=False)))) / T
        total = float(log_det) / T
    assert abs(got[0] - top_same_frame) <= 1e-10
    assert abs(got[0] - top_singular) <= 5.0 / T   # the frame's alignment is O(1) in total, O(1/T) per step
    assert abs(got.sum() - total) <= 1e-10
    assert got[0] - got[1] > 0.5


def test_the_streamed_spectrum_agrees_with_the_qr_product_and_its_options() -> None:
    cell = make_cell("lstm", seed=4)
    xs = np.random.default_rng(5).normal(size=(600, 2))
    full = cell_lyapunov_spectrum(cell, xs)
    _, sums = product_log_norms(cell.numeric_jacobian(cell.simulate(xs)[:-1], xs))   # the same frame and order
    assert np.allclose(full, sums / 600, rtol=0, atol=1e-10)
    backward = cell_gradient_norms(cell, xs, blocks=False).lyapunov   # transposes in reverse: O(1/T) apart
    assert np.allclose(full, backward, rtol=0, atol=5 / 600)
    assert np.allclose(cell_lyapunov_spectrum(cell, xs, k=1), full[:1], rtol=0, atol=1e-10)
    later = cell.simulate(xs)[100]
    assert np.allclose(cell_lyapunov_spectrum(cell, xs, discard=100), cell_lyapunov_spectrum(cell, xs[100:], later),
                       rtol=0, atol=1e-12)


def test_a_simple_cell_and_its_rnn_give_the_spectrum_of_a_30_digit_qr_product() -> None:
    # SimpleCell(net) steps exactly as net, and both spectra come from the one streamed QR: the cell's
    # numeric Jacobians (in chunks), the RNN's D_t (W_h Q).  Reference: the trajectory, J_t = diag(1 - h_t^2) W_h
    # and the QR of each moved frame (mpmath.qr) at 30 digits, from the weights alone, in the same frame.
    gen = np.random.default_rng(8)
    n, T = 3, 200
    W_h, W_x, b = gen.normal(size=(n, n)) * 0.8, gen.normal(size=(n, 2)), gen.normal(size=n) * 0.3
    net = rs.RNN(W_h, W_x, b)   # tanh
    xs, h0 = gen.normal(size=(T, 2)), gen.uniform(-0.5, 0.5, size=n)
    with mpmath.workdps(DPS):
        W, U, c = (mpmath.matrix(M.tolist()) for M in (W_h, W_x, b[:, None]))
        h = mpmath.matrix(h0.tolist())
        Q = mpmath.matrix(np.linalg.qr(np.random.default_rng(FRAME_SEED).normal(size=(n, n)))[0].tolist())
        sums = [mpmath.mpf(0)] * n
        for x in xs:
            h = (W * h + U * mpmath.matrix(x.tolist()) + c).apply(mpmath.tanh)
            Q, R = mpmath.qr(mpmath.diag([1 - v ** 2 for v in h]) * W * Q)
            sums = [s + mpmath.log(abs(R[i, i])) for i, s in enumerate(sums)]
        columns = np.array([float(s / T) for s in sums])   # column i's mean log |R_ii|
    reference, top2 = np.sort(columns)[::-1], np.sort(columns[:2])[::-1]   # a k-frame is the first k columns
    assert reference[0] < 0 and reference[0] - reference[-1] > 0.1   # a contracting, spread-out spectrum
    for k, expected in ((None, reference), (2, top2)):
        rnn = lyapunov_exponents(net, xs, h0, k=k).exponents
        cell = cell_lyapunov_spectrum(SimpleCell(net), xs, h0, k=k)
        assert np.abs(rnn - expected).max() <= 1e-10, k
        assert np.abs(cell - expected).max() <= 1e-10, k


# -- contraction -------------------------------------------------------------------------------------
def test_sympy_derives_the_leaky_and_simple_offsets_and_gains_from_the_jacobian() -> None:
    leaky = LeakyCell.symbolic(2, 1)
    cert = cell_contraction_certificate(leaky)
    assert cert.method == "structure" and cert.factor is None
    assert (cert.offset - (1 - leaky.alpha) * sp.eye(2)).is_zero_matrix
    assert (cert.gain - leaky.alpha * leaky.net.W_h).applyfunc(sp.expand).is_zero_matrix
    assert cert.lipschitz == (1, 1)
    simple = cell_contraction_certificate(SimpleCell.symbolic(2, 1, "sigmoid"))
    assert simple.offset.is_zero_matrix and simple.gain == SimpleCell.symbolic(2, 1).net.W_h
    assert simple.lipschitz == (sp.Rational(1, 4),) * 2


def leaky_bound(W: np.ndarray, alpha: float, L: float) -> float:
    """The textbook (1 - alpha) + alpha L ||W_h||_2, typed in as the reference."""
    return (1 - alpha) + alpha * L * float(np.linalg.norm(W, 2))


@given(seed=st.integers(0, 2**32 - 1), alpha=st.floats(0.05, 1.0), scale=st.floats(0.1, 3.0),
       activation=st.sampled_from(["tanh", "sigmoid", "softsign", "relu"]))
def test_the_leaky_factor_is_the_textbook_one_and_bounds_the_jacobian_at_every_sampled_state(
        seed: int, alpha: float, scale: float, activation: str) -> None:
    gen = np.random.default_rng(seed)
    n = 3
    W = gen.normal(size=(n, n)) * scale
    cell = LeakyCell(W, gen.normal(size=(n, 1)), gen.normal(size=n), alpha=alpha, activation=activation)
    cert = cell_contraction_certificate(cell)
    L = float(cell.activation.lipschitz)
    assert cert.norm == "2" and np.isclose(cert.factor, leaky_bound(W, alpha, L), rtol=1e-12, atol=0)
    S = gen.normal(size=(400, n)) * gen.choice([0.1, 1.0, 10.0], size=(400, 1))
    X = gen.normal(size=(400, 1)) * 3
    sampled = np.linalg.norm(cell.numeric_jacobian(S, X), 2, axis=(1, 2))
    assert sampled.max() <= cert.factor


def test_the_leaky_factor_is_attained_and_the_planted_bound_without_one_minus_alpha_fails() -> None:
    alpha, w = 0.3, 0.8
    cell = LeakyCell(w * np.eye(2), np.ones((2, 1)), np.zeros(2), alpha=alpha)   # J(0) = (1 - a + a w) I
    cert = cell_contraction_certificate(cell, x=[0.0])
    attained = float(np.linalg.norm(cell.numeric_jacobian([0.0, 0.0], [0.0]), 2))
    assert cert.contracting and attained <= cert.factor <= attained * (1 + 1e-13)
    planted = alpha * 1.0 * np.linalg.norm(cell.net.numeric_weights()[0], 2)   # the (1 - alpha) term dropped
    assert attained > planted


def test_the_interval_certificate_of_a_gru_bounds_the_infinity_norm_over_its_box() -> None:
    gen = np.random.default_rng(11)
    for trial in range(6):
        n = 3
        scale = 0.2 if trial < 3 else 2.0
        b_ih = gen.normal(size=3 * n)
        b_ih[n:2 * n] -= 3.0 if trial < 3 else 0.0   # a small update gate z: the old state is mostly forgotten
        cell = GRUCell(gen.normal(size=(3 * n, 2)) * scale, gen.normal(size=(3 * n, n)) * scale, b_ih,
                       gen.normal(size=3 * n) * scale)
        x = gen.normal(size=2)
        cert = cell_contraction_certificate(cell, x=x)
        assert cert.method == "interval" and cert.norm == "inf"
        S = np.concatenate([gen.uniform(-1, 1, size=(2000, n)), np.array(np.meshgrid(*[[-1, 1]] * n)).reshape(n, -1).T])
        sampled = np.abs(cell.numeric_jacobian(S, x)).sum(axis=2).max()
        assert sampled <= cert.factor
        if trial < 3:
            assert cert.contracting
            points = cell.slow_points(x=x, starts=32)
            assert len(points.fixed) == 1 and points.fixed[0].kind == "stable"
            ends = cell.simulate(np.tile(x, (200, 1))[:, None, :], gen.uniform(-1, 1, size=(8, n)))[-1]
            assert np.max(np.abs(ends - points.fixed[0].state)) <= 1e-10


def test_cells_without_a_certificate_say_why() -> None:
    lstm = cell_contraction_certificate(make_cell("lstm"), x=[0.0, 0.0])
    assert lstm.factor is None and not lstm.contracting and "unbounded (c)" in lstm.reason
    assert "gated" in cell_contraction_certificate(make_cell("gru")).reason
    mi = mi_cell()
    assert "depends on the input" in cell_contraction_certificate(mi).reason
    at_input = cell_contraction_certificate(mi, x=[0.4])
    S = np.random.default_rng(0).normal(size=(500, 2)) * 2
    assert at_input.method == "structure"
    assert np.linalg.norm(mi.numeric_jacobian(S, [0.4]), 2, axis=(1, 2)).max() <= at_input.factor
    big = LeakyCell(np.eye(40) * 0.5, alpha=0.5)
    assert "max_size" in cell_contraction_certificate(big).reason
    assert cell_contraction_certificate(big, max_size=40).contracting


def test_gradient_norms_stay_under_the_certified_bound() -> None:
    cell = LeakyCell(np.array([[0.2, 0.9], [-0.7, 0.1]]), np.ones((2, 1)), np.zeros(2), alpha=0.6)
    g = cell_gradient_norms(cell, np.random.default_rng(3).normal(size=(60, 1)))
    assert np.isfinite(g.log_bound_factor) and g.log_bound_factor < 0
    assert np.all(g.log_norms <= g.lags * g.log_bound_factor + 1e-12)
    assert np.isnan(cell_gradient_norms(make_cell("gru"), np.zeros((3, 2))).log_bound_factor)


# -- the linearisation at a fixed point --------------------------------------------------------------
def test_the_half_life_matches_the_decay_of_the_cells_own_step() -> None:
    W = np.array([[1.2, 0.4], [0.4, 0.9]])   # symmetric: J = (1 - a) I + a D W has real eigenvalues
    cell = LeakyCell(W, np.ones((2, 1)), np.array([0.3, -0.2]), alpha=0.4)
    (point,) = [p for p in cell.fixed_points(x=[0.0]) if p.kind == "stable"][:1]
    a = cell_point_analysis(cell, point, x=[0.0])
    slow = a.modes.modes[0]
    assert a.kind == "stable" and a.residual <= 1e-14
    assert np.isclose(abs(slow.eigenvalue), max(abs(np.linalg.eigvals(a.linear.numeric_matrices()[0]))), rtol=1e-12)
    assert np.isclose(a.half_life, slow.half_life, rtol=1e-12)
    v = np.real(slow.right[0])
    eps = 1e-7
    t = int(round(3 * a.half_life))
    traj = cell.simulate(np.zeros((t, 1)), point.state + eps * v / np.linalg.norm(v))
    ratio = np.linalg.norm(traj[-1] - point.state) / eps
    assert np.isclose(ratio, 0.5 ** (t / a.half_life), rtol=1e-5)


def test_steps_to_half_and_transient_growth_match_the_simulated_linearisation() -> None:
    cell = GRUCell(*[np.random.default_rng(21).normal(size=s) for s in [(6, 1), (6, 2), (6,), (6,)]])
    point = cell.fixed_points(x=[0.5])[0]
    a = cell_point_analysis(cell, point, x=[0.5])
    assert a.kind == point.kind == "stable"
    K = a.steps_to_half
    steps = K + 300
    # A^k from the linear system's own simulation, started at each basis vector
    powers = np.stack([a.linear.simulate(np.zeros((steps, 1)), e) for e in np.eye(2)], axis=2)
    norms = np.linalg.norm(powers, 2, axis=(1, 2))
    assert norms[K - 1] > 0.5 and norms[K:].max() <= 0.5
    scanned = len(a.transient.norms)
    assert np.allclose(a.transient.norms, norms[:scanned], rtol=1e-9, atol=1e-15)
    assert a.transient.exact and a.transient.peak == pytest.approx(norms.max(), rel=1e-9)


def test_the_analysis_of_an_unstable_point_scans_and_does_not_certify() -> None:
    h = sp.symbols("h0 h1", real=True)
    Uh = sp.Matrix([[1, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]]) * sp.Matrix(h)   # eigenvalues 3/2, 1/2
    cell = custom_cell([sp.tanh(Uh[0]), sp.tanh(Uh[1])], state=list(h))
    a = cell_point_analysis(cell, [0.0, 0.0])
    assert a.kind == "saddle" and a.half_life == np.inf and a.steps_to_half is None
    assert [complex(m.eigenvalue).real for m in a.modes.modes] == pytest.approx([1.5, 0.5], abs=1e-12)
    assert not a.transient.exact and len(a.transient.norms) == 201
