"""Property tests for :mod:`rnnsym.strategies`: each strategy's defining property holds."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from rnnsym import strategies

SETTINGS = settings(max_examples=30, deadline=None)
dims = st.integers(1, 5)


def spectral_radius(w: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(w))))


def krylov(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[B, AB, ..., A^(n-1) B]``."""
    blocks = [b]
    for _ in range(a.shape[0] - 1):
        blocks.append(a @ blocks[-1])
    return np.hstack(blocks)


def numerical_rank(k: np.ndarray) -> int:
    s = np.linalg.svd(k, compute_uv=False)
    return int(np.linalg.matrix_rank(k, tol=1e-9 * s[0])) if s[0] > 0 else 0


def require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # written by someone else, possibly not yet
        pytest.skip(f"{module} is not importable yet: {exc}")


# ------------------------------------------------------------ general / radius
@SETTINGS
@given(st.data(), dims, dims)
def test_matrices_have_the_requested_shape_and_bounded_finite_entries(data, n, m):
    w = data.draw(strategies.matrices(n, m, max_abs=0.5))
    assert w.shape == (n, m) and w.dtype == np.float64
    assert np.all(np.isfinite(w)) and np.all(np.abs(w) <= 0.5)
    assert data.draw(strategies.matrices(n)).shape == (n, n)


@SETTINGS
@given(st.data(), dims, st.sampled_from([0.0, 1e-150, 0.3, 1.0, 7.5]))
def test_matrices_with_spectral_radius_hit_a_fixed_radius(data, n, rho):
    w = data.draw(strategies.matrices_with_spectral_radius(n, rho))
    assert abs(spectral_radius(w) - rho) <= 1e-12 * rho
    assert np.linalg.norm(w, 2) <= 100 * rho * (1 + 1e-12)


@SETTINGS
@given(st.data(), dims)
def test_matrices_with_spectral_radius_accept_a_strategy_of_radii(data, n):
    radii = st.floats(1e-3, 5.0)
    w = data.draw(strategies.matrices_with_spectral_radius(n, radii))
    assert 1e-3 * (1 - 1e-12) <= spectral_radius(w) <= 5.0 * (1 + 1e-12)


@SETTINGS
@given(st.data(), dims, st.floats(0.1, 0.99))
def test_stable_matrices_have_spectral_radius_at_most_max_rho(data, n, max_rho):
    w = data.draw(strategies.stable_matrices(n, max_rho=max_rho))
    assert spectral_radius(w) <= max_rho * (1 + 1e-12)


@SETTINGS
@given(st.data(), dims)
def test_unstable_matrices_have_spectral_radius_between_the_bounds(data, n):
    w = data.draw(strategies.unstable_matrices(n, min_rho=1.2, max_rho=2.0))
    assert 1.2 * (1 - 1e-12) <= spectral_radius(w) <= 2.0 * (1 + 1e-12)


# ------------------------------------------------------------------ structure
@SETTINGS
@given(st.data(), dims)
def test_normal_matrices_commute_with_their_transpose(data, n):
    w = data.draw(strategies.normal_matrices(n))
    residual = np.linalg.norm(w.T @ w - w @ w.T)
    assert residual <= 1e-12 * max(1.0, np.linalg.norm(w) ** 2)


@SETTINGS
@given(st.data(), st.integers(2, 5))
def test_non_normal_matrices_stay_away_from_normality(data, n):
    w = data.draw(strategies.non_normal_matrices(n))
    henrici = 0.01 / np.sqrt((n**3 - n) / 12)  # the documented lower bound
    assert np.linalg.norm(w.T @ w - w @ w.T) >= henrici * (1 - 1e-9)


def test_non_normal_matrices_refuse_dimension_one():
    with pytest.raises(ValueError, match="`n` must be an integer >= 2"):
        strategies.non_normal_matrices(1)


@SETTINGS
@given(st.data(), dims)
def test_orthogonal_matrices_are_orthogonal(data, n):
    q = data.draw(strategies.orthogonal_matrices(n))
    assert np.allclose(q.T @ q, np.eye(n), rtol=0, atol=1e-12)


def test_orthogonal_matrices_include_reflections_and_rotations():
    for sign in (1.0, -1.0):
        find(strategies.orthogonal_matrices(3),
             lambda q, s=sign: np.sign(np.linalg.det(q)) == s,
             settings=settings(database=None))


@SETTINGS
@given(st.data(), dims)
def test_jordan_block_matrices_are_eigenvalue_plus_superdiagonal_shift(data, n):
    w = data.draw(strategies.jordan_block_matrices(n))
    lam = w[0, 0]
    assert -1.5 <= lam <= 1.5
    np.testing.assert_array_equal(w - lam * np.eye(n), np.eye(n, k=1))


@SETTINGS
@given(st.data(), dims, st.floats(-3.0, 3.0))
def test_similar_jordan_blocks_have_one_eigenvalue_with_one_eigenvector(data, n, lam):
    w = data.draw(strategies.jordan_block_matrices(n, eigenvalue=lam, similar=True))
    nil = w - lam * np.eye(n)
    assert np.trace(w) == pytest.approx(n * lam, abs=1e-11 * n * (1 + abs(lam)))
    scale = max(1.0, np.linalg.norm(nil)) ** n
    assert np.linalg.norm(np.linalg.matrix_power(nil, n)) <= 1e-12 * scale
    s = np.linalg.svd(nil, compute_uv=False)
    assert s[-1] <= 1e-12 * max(1.0, s[0])  # rank n - 1: geometric multiplicity one
    assert n == 1 or s[-2] >= 1e-3 * s[0]


@SETTINGS
@given(st.data(), dims)
def test_diagonalizable_matrices_have_distinct_real_eigenvalues_and_good_eigenvectors(data, n):
    w = data.draw(strategies.diagonalizable_matrices(n))
    lam, vectors = np.linalg.eig(w)
    assert np.all(np.abs(lam.imag) <= 1e-12)
    lam = np.sort(lam.real)
    assert np.all(np.abs(lam) <= 2 + 1e-12)
    assert np.all(np.diff(lam) >= 0.05 - 1e-9)
    assert np.linalg.cond(vectors) <= 100


@SETTINGS
@given(st.data())
def test_diagonalizable_matrices_have_the_given_eigenvalues(data):
    given_lam = [2.0, -0.5, 0.0, 1e-3]
    w = data.draw(strategies.diagonalizable_matrices(4, eigenvalues=given_lam))
    lam = np.sort(np.linalg.eigvals(w).real)
    np.testing.assert_allclose(lam, np.sort(given_lam), rtol=0, atol=1e-12)


# ------------------------------------------------- controllability/observability
@SETTINGS
@given(st.data(), dims, st.integers(1, 3))
def test_controllable_pairs_have_a_full_rank_controllability_matrix(data, n, m):
    a, b = data.draw(strategies.controllable_pairs(n, m))
    assert a.shape == (n, n) and b.shape == (n, m)
    k = krylov(a, b)
    s = np.linalg.svd(k, compute_uv=False)
    assert numerical_rank(k) == n and s[n - 1] > 1e-6 * s[0]


@SETTINGS
@given(st.data(), dims, st.integers(1, 3))
def test_uncontrollable_pairs_have_a_rank_deficient_controllability_matrix(data, n, m):
    a, b = data.draw(strategies.uncontrollable_pairs(n, m))
    assert a.shape == (n, n) and b.shape == (n, m)
    k = krylov(a, b)
    s = np.linalg.svd(k, compute_uv=False)
    assert numerical_rank(k) < n and s[n - 1] <= 1e-12 * max(s[0], 1e-300)


@SETTINGS
@given(st.data(), dims, st.integers(1, 3))
def test_observable_pairs_have_a_full_rank_observability_matrix(data, n, p):
    a, c = data.draw(strategies.observable_pairs(n, p))
    assert a.shape == (n, n) and c.shape == (p, n)
    assert numerical_rank(krylov(a.T, c.T).T) == n


@SETTINGS
@given(st.data(), dims, st.integers(1, 3))
def test_unobservable_pairs_have_a_rank_deficient_observability_matrix(data, n, p):
    a, c = data.draw(strategies.unobservable_pairs(n, p))
    assert a.shape == (n, n) and c.shape == (p, n)
    assert numerical_rank(krylov(a.T, c.T).T) < n


# ------------------------------------------------------------------ sequences
@SETTINGS
@given(st.data(), st.integers(1, 3))
def test_inputs_are_time_by_feature_arrays(data, m):
    x = data.draw(strategies.inputs(m))
    assert x.ndim == 2 and 1 <= x.shape[0] <= 20 and x.shape[1] == m
    assert np.all(np.abs(x) <= 2.0)
    assert data.draw(strategies.inputs(m, 7, max_abs=0.1)).shape == (7, m)


@SETTINGS
@given(st.data(), dims)
def test_states_are_bounded_vectors(data, n):
    h = data.draw(strategies.states(n))
    assert h.shape == (n,) and np.all(np.abs(h) <= 2.0)


@SETTINGS
@given(st.data(), st.sampled_from([None, True, False]))
def test_rnn_weights_have_consistent_shapes_and_honour_stability(data, stable):
    w_h, w_x, b = data.draw(strategies._rnn_weights(None, None, stable))
    n, m = w_x.shape
    assert 1 <= n <= 4 and 1 <= m <= 3 and w_h.shape == (n, n) and b.shape == (n,)
    if stable:
        assert np.linalg.norm(w_h, 2) < 0.9
    elif stable is False:
        assert spectral_radius(w_h) >= 1.05 * (1 - 1e-12)


@pytest.mark.parametrize(
    "make",
    [lambda: strategies.matrices(0), lambda: strategies.stable_matrices(2.5),  # type: ignore[arg-type]
     lambda: strategies.states(True), lambda: strategies.inputs(2, 0),
     lambda: strategies.matrices_with_spectral_radius(2, -1.0),
     lambda: strategies.unstable_matrices(2, min_rho=2.0, max_rho=1.0),
     lambda: strategies.diagonalizable_matrices(2, eigenvalues=[1.0]),
     lambda: strategies.controllable_pairs(2, 0)],
)
def test_invalid_arguments_raise_value_error_when_the_strategy_is_built(make):
    with pytest.raises(ValueError, match="^`"):
        make()


def test_every_public_name_is_a_strategy_factory_listed_in_all():
    public = {name for name in vars(strategies) if not name.startswith("_")}
    factories = {name for name in public if callable(getattr(strategies, name))
                 and getattr(getattr(strategies, name), "__module__", "") == strategies.__name__}
    assert factories == set(strategies.__all__)


# ------------------------------------------------------ activations and models
@SETTINGS
@given(st.data())
def test_activation_names_come_from_the_registry(data):
    acts = require("rnnsym.activations")
    assert data.draw(strategies.activation_names()) in acts.ACTIVATION_NAMES


@SETTINGS
@given(st.data())
def test_activations_are_registered_activation_objects(data):
    acts = require("rnnsym.activations")
    phi = data.draw(strategies.activations())
    assert isinstance(phi, acts.Activation) and phi.name in acts.ACTIVATION_NAMES
    if phi.name == "leaky_relu":
        assert 0.01 <= float(phi.params["slope"]) <= 0.5


@SETTINGS
@given(st.data(), st.booleans())
def test_rnns_are_models_with_the_requested_sizes(data, stable):
    model = require("rnnsym.model")
    rnn = data.draw(strategies.rnns(3, 2, activation="tanh", stable=stable))
    assert isinstance(rnn, model.RNN) and (rnn.n, rnn.m) == (3, 2)
    w_h = np.array(rnn.W_h, dtype=float)
    assert w_h.shape == (3, 3) and np.array(rnn.W_x, dtype=float).shape == (3, 2)
    if stable:
        assert np.linalg.norm(w_h, 2) < 0.9


@SETTINGS
@given(st.data())
def test_rnns_draw_their_sizes_and_activation_when_not_given(data):
    model = require("rnnsym.model")
    acts = require("rnnsym.activations")
    rnn = data.draw(strategies.rnns())
    assert isinstance(rnn, model.RNN) and 1 <= rnn.n <= 4 and 1 <= rnn.m <= 3
    assert rnn.activation.name in acts.ACTIVATION_NAMES
