"""Claims about :mod:`rnnsym.linear.modes`: eigenmodes, their kinds and half-lives, and the coupling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnsym import strategies as rst
from rnnsym.linear.modes import classify, coupling_matrix, coupling_strength, coupling_versus_amplitude, modes
from rnnsym.linear.system import LinearRNN
from rnnsym.model import RNN
from rnnsym.stability import RHO, half_life, half_life_expr


SETTINGS = settings(max_examples=25, deadline=None)


def floats(lo: float = -1.0, hi: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def vectors(n: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(floats(), min_size=n, max_size=n).map(np.array)


# ------------------------------------------------------------------ eigenmodes
def test_jordan_block_on_the_unit_circle_grows_polynomially() -> None:
    # correction C5: [[1, 1], [0, 1]] maps (0, 1) to (t, 1).
    for A in ([[1, 1], [0, 1]], np.array([[1.0, 1.0], [0.0, 1.0]])):
        dec = modes(A)
        (mode,) = dec.modes
        assert not dec.diagonalizable and mode.kind == "polynomially growing"
        assert (mode.algebraic_multiplicity, mode.geometric_multiplicity, mode.jordan_blocks) == (2, 1, (2,))
    states = LinearRNN([[1.0, 1.0], [0.0, 1.0]], [[0.0], [0.0]]).simulate(np.zeros((6, 1)), [0.0, 1.0])
    assert np.allclose(states, [[t, 1.0] for t in range(7)])


def test_each_mode_kind_is_assigned_per_errata_e5() -> None:
    kinds = {m.eigenvalue: m.kind for m in modes(sp.diag(sp.Rational(1, 2), -1, 2)).modes}
    assert kinds == {sp.Rational(1, 2): "fading", -1: "persistent", 2: "exploding"}
    assert modes(np.array([[0.0, -1.0], [1.0, 0.0]])).kinds == ("persistent", "persistent")
    assert classify(sp.Symbol("z"), True) == "undetermined"
    dec = modes(sp.eye(3) / 2)
    assert [(m.algebraic_multiplicity, m.geometric_multiplicity) for m in dec.modes] == [(3, 3)]


@SETTINGS
@given(rst.diagonalizable_matrices(3), vectors(3), st.integers(1, 8))
def test_mode_coordinates_evolve_independently_in_simulation(A: np.ndarray, h0: np.ndarray,
                                                              T: int) -> None:
    dec = modes(A)
    assume_well_conditioned = np.linalg.cond(dec.Q) < 1e6
    if not assume_well_conditioned:
        return
    states = LinearRNN(A, np.zeros((3, 1))).simulate(np.zeros((T, 1)), h0)
    y0, yT = dec.coordinates(states[0]), dec.coordinates(states[-1])
    lam = np.diag(dec.Lam)
    assert np.allclose(yT, lam**T * y0, atol=1e-8 * (1 + np.abs(y0).max()))
    assert np.allclose(dec.evolve(h0, T), states[-1], atol=1e-8 * (1 + np.abs(states).max()))
    for mode in dec.modes:
        for w in mode.left:  # left eigenvectors: w A = lam w
            assert np.allclose(w @ A, mode.eigenvalue * w, atol=1e-8 * (1 + np.abs(w).max()))
        if mode.kind == "fading" and mode.eigenvalue != 0:
            assert abs(mode.eigenvalue) ** mode.half_life == pytest.approx(0.5)


def test_mode_coordinate_is_not_an_orthogonal_projection_for_non_normal_a() -> None:
    A = np.array([[0.9, 1.0], [0.0, 0.5]])
    dec = modes(A)
    h = np.array([0.0, 1.0])
    q = dec.Q[:, 0]
    projection = np.vdot(q, h) / np.vdot(q, q)
    assert not np.isclose(dec.coordinates(h)[0], projection)


# ------------------------------------------------------------------ coupling
def test_coupling_matrix_is_the_jacobian_of_the_simulated_step_in_mode_coordinates() -> None:
    W = np.array([[0.6, 0.5], [-0.3, 0.4]])  # complex eigenvalues
    net = RNN(W, activation="tanh")
    dec = modes(W)
    y = dec.coordinates(np.array([0.7, -0.2]))

    def step(y: np.ndarray) -> np.ndarray:  # y_t = Q^{-1} phi(W h_{t-1}), h_{t-1} = Q y_{t-1}
        return dec.coordinates(net.numeric_step((dec.Q @ y).real))

    M = coupling_matrix(W, net.activation.numpy_prime(W @ (dec.Q @ y).real))
    eps = 1e-6
    # complex coordinates of real states come in conjugate pairs: perturb along real h
    for v in np.eye(2):
        dy = dec.coordinates(v)
        assert np.allclose((step(y + eps * dy) - step(y - eps * dy)) / (2 * eps), M @ dy, atol=1e-7)


def test_coupling_vanishes_for_diagonal_w_or_d_proportional_to_identity() -> None:
    d0, d1 = sp.symbols("d0 d1", positive=True)
    assert coupling_matrix(sp.diag(sp.Rational(1, 2), 2), [d0, d1]).is_diagonal()
    W = sp.Matrix([[1, 2], [3, 4]]) / 5
    assert coupling_matrix(W, [d0, d0]).is_diagonal()
    assert not coupling_matrix(W, [d0, d1]).is_diagonal()


def test_tanh_coupling_grows_with_amplitude() -> None:
    c = coupling_versus_amplitude([[0.5, 0.4], [0.2, 0.6]], [0.0, 0.25, 0.5, 1.0, 2.0])
    assert c[0] < 1e-12 and np.all(np.diff(c) > 0)
    assert coupling_strength(np.diag([0.5, 0.9]), [3.0, -1.0]) < 1e-12


# ------------------------------------------------------------------ half-lives
def test_half_lives_come_from_the_one_derivation_in_stability() -> None:
    # numeric modes: rnnsym.stability.half_life at |lam| (the value the hand-typed formula gave, to rounding)
    A = np.array([[0.9, 0.3, 0.0], [-0.3, 0.9, 0.0], [0.0, 0.0, 0.5]])
    for mode in modes(A).modes:
        r = abs(mode.eigenvalue)
        assert mode.half_life == float(half_life(r))
        assert mode.half_life == pytest.approx(math.log(2) / -math.log(r), rel=1e-15)
    assert [m.half_life for m in modes(np.diag([0.0, 1.0, 2.0])).modes] == [0.0, math.inf, math.inf]
    # exact and symbolic modes: half_life_expr() at rho = |lam|, the same expressions as before
    z = sp.Symbol("z")
    half = {m.eigenvalue: m.half_life for m in modes(sp.diag(sp.Rational(1, 2), sp.Rational(1, 3), 0, 2)).modes}
    assert half == {sp.Rational(1, 2): 1, sp.Rational(1, 3): sp.log(2) / sp.log(3), 0: 0, 2: sp.oo}
    (mode,) = modes(sp.Matrix([[z]])).modes
    assert mode.kind == "undetermined" and mode.half_life == half_life_expr().subs(RHO, sp.Abs(z))
    assert mode.half_life == sp.log(2) / -sp.log(sp.Abs(z))
