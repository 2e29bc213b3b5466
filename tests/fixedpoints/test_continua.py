"""Claims about degenerate roots, relative residuals and continua of fixed points.

Expected sets are independent of the code under test: a brute-force grid
(every grid point checked against ``h = phi(W h + u)`` in float64, where
these examples are exact), a per-pattern NumPy enumeration, mpmath residuals,
or the closed form stated in the test.
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

import rnnsym as rs
from rnnsym.fixedpoints import find_fixed_points, search
from rnnsym.fixedpoints.nearroots import relative_residual

PHI = {"identity": lambda z: z, "relu": lambda z: np.maximum(z, 0.0),
       "leaky_relu": lambda z: np.where(z > 0, z, 0.1 * z), "hard_tanh": lambda z: np.clip(z, -1.0, 1.0)}


def net_of(name, W, b):
    act = rs.get_activation(name, slope="1/10") if name == "leaky_relu" else name
    return rs.RNN(np.asarray(W, dtype=float), b=b, activation=act)


def assert_grid_matches(res, name, W, b, values=(-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)):
    """Every grid point is fixed exactly when the result says it is (these grids are exact in float64)."""
    W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
    for g in itertools.product(values, repeat=len(b)):
        g = np.array(g)
        fixed = bool(np.array_equal(PHI[name](W @ g + b), g))
        listed = any(c.contains(g) for c in res.continua) or any(np.array_equal(p.h, g) for p in res)
        assert fixed == listed, (g, fixed)


# -- tanh with W = I: one degenerate, marginal fixed point -------------------------------------
@pytest.mark.parametrize("n", [2, 3, 8])
def test_tanh_with_identity_weights_has_the_single_marginal_fixed_point_zero(n):
    """Each unit solves tanh(h) = h, whose only root is 0 (tanh' = sech^2 < 1 off 0).  Old: 9, 106 and
    2,587 points, many "stable"."""
    res = find_fixed_points(rs.RNN(np.eye(n)))
    assert len(res) == 1 and not res.continua
    assert np.array_equal(res.states[0], np.zeros(n))
    assert res[0].stability.kind == "marginal" and res[0].stability.spectral_radius == 1.0
    assert not res.complete or res.certificate == "decoupled 1-D counts"


@pytest.mark.parametrize("n", [2, 3, 8])
def test_without_the_decoupled_proof_newton_merges_the_near_roots_into_one(n, monkeypatch):
    monkeypatch.setattr(search, "_decoupled", lambda *args: (None, "disabled by the test"))
    res = find_fixed_points(rs.RNN(np.eye(n)))
    assert not res.complete and "may be incomplete" in res.reason
    assert len(res) == 1 and np.abs(res.states[0]).max() <= 1e-7
    assert res[0].stability.kind == "marginal" and res[0].degenerate


@pytest.mark.parametrize("W", [[[1.0, 0.5], [0.0, 1.0]], [[1.0, 0.3, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]]])
def test_a_jordan_like_weight_has_one_degenerate_fixed_point(W):
    """Back substitution: the last unit solves tanh(h) = h (so h = 0), then each unit above does too.
    I - J = I - W is singular at 0.  Old: 61 points for the 2 x 2 case."""
    res = find_fixed_points(rs.RNN(W))
    assert len(res) == 1 and np.abs(res.states[0]).max() <= 1e-7 and res[0].degenerate
    assert res[0].stability.kind == "marginal" and not res.complete


def test_the_residual_test_is_relative_to_its_rounding_error():
    """tanh(1e-4) - 1e-4 = -3.3e-13 passed the old absolute test (<= 1e-12); its rounding level is
    about 24 eps * 3e-4 = 1.6e-18.  A true root passes."""
    act, W, u = rs.get_activation("tanh"), np.eye(2), np.zeros(2)
    with mpmath.workdps(30):
        f = float(abs(mpmath.tanh(mpmath.mpf(1e-4)) - mpmath.mpf(1e-4)))
    assert 1e-13 < f < 1e-12
    assert relative_residual(act, W, u, np.array([[1e-4, 0.0]]))[0] > 1e4
    with mpmath.workdps(40):
        r = float(mpmath.findroot(lambda h: mpmath.tanh(2 * h) - h, 0.95))
    assert relative_residual(act, np.array([[2.0]]), np.zeros(1), np.array([[r]]))[0] <= 1.0


# -- piecewise-linear: continua ------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("name, rows", [("identity", 0), ("relu", 1), ("leaky_relu", 1), ("hard_tanh", 2)])
def test_identity_weights_give_one_continuum_and_no_samples(name, rows, n):
    """identity: all of R^n; relu and leaky relu (slope 1/10: h = h / 10 forces h = 0 below 0): the
    orthant h >= 0; hard tanh: the box [-1, 1]^n."""
    res = find_fixed_points(net_of(name, np.eye(n), np.zeros(n)))
    assert res.complete and res.certificate == "piecewise-linear enumeration"
    assert len(res) == 0 and len(res.continua) == 1
    (c,) = res.continua
    assert c.dimension == n and np.allclose(c.basis.T @ c.basis, np.eye(n)) and c.A.shape == (rows * n, n)
    assert c.stability.kind == "marginal"
    assert_grid_matches(res, name, np.eye(n), np.zeros(n))


def test_a_line_of_fixed_points_inside_three_dimensions():
    """h = diag(1, 1/2, 1/5) h  <=>  h_2 = h_3 = 0: the line along e_1, with no inequalities."""
    W = np.diag([1.0, 0.5, 0.2])
    res = find_fixed_points(net_of("identity", W, np.zeros(3)))
    assert res.complete and len(res) == 0 and len(res.continua) == 1
    (c,) = res.continua
    assert c.dimension == 1 and c.A.shape == (0, 3) and np.allclose(np.abs(c.basis[:, 0]), [1, 0, 0])
    assert_grid_matches(res, "identity", W, np.zeros(3))


def test_two_half_lines_and_no_point_on_them():
    """relu, W = diag(1, 2), b = (0, -1/2): h_1 >= 0 is free, h_2 = relu(2 h_2 - 1/2) is 0 or 1/2."""
    W, b = np.diag([1.0, 2.0]), np.array([0.0, -0.5])
    res = find_fixed_points(net_of("relu", W, b))
    assert res.complete and len(res) == 0 and [c.dimension for c in res.continua] == [1, 1]
    assert sorted(float(c.point[1]) for c in res.continua) == [0.0, 0.5]
    assert_grid_matches(res, "relu", W, b, values=(-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 3.0))


def numpy_enumeration(W, b):
    """Hard tanh's fixed points by brute force: solve each of the 3^n linear systems, keep the consistent ones."""
    n = len(b)
    found = []
    for pattern in itertools.product((-1, 0, 1), repeat=n):
        D = np.diag([1.0 if p == 0 else 0.0 for p in pattern])
        c = np.array([float(p) for p in pattern])
        h = np.linalg.solve(np.eye(n) - D @ W, D @ b + c)
        z = W @ h + b
        inside = all((z[i] <= -1 + 1e-12) if p == -1 else (z[i] >= 1 - 1e-12) if p == 1
                     else (-1 - 1e-12 <= z[i] <= 1 + 1e-12) for i, p in enumerate(pattern))
        if inside and not any(np.allclose(h, f, atol=1e-12) for f in found):
            found.append(h)
    return sorted(found, key=tuple)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_isolated_hard_tanh_points_match_a_numpy_enumeration(seed):
    rng = np.random.default_rng(seed)
    W, b = 2.0 * rng.normal(size=(3, 3)), rng.normal(size=3)
    res = find_fixed_points(net_of("hard_tanh", W, b))
    expected = numpy_enumeration(W, b)
    assert res.complete and not res.continua and len(res) == len(expected) >= 1
    assert np.allclose(res.states, np.array(expected), atol=1e-12, rtol=0)
    for p in res:
        assert np.abs(np.clip(W @ p.h + b, -1, 1) - p.h).max() <= 1e-14


@pytest.mark.parametrize("name, n", [("relu", 10), ("hard_tanh", 7)])
def test_beyond_the_enumeration_newton_samples_become_one_continuum(name, n):
    res = find_fixed_points(net_of(name, np.eye(n), np.zeros(n)))
    assert not res.complete and "may be incomplete" in res.reason
    assert len(res) == 0 and len(res.continua) == 1 and res.continua[0].dimension == n
    rng = np.random.default_rng(3)
    for _ in range(50):
        g = rng.choice([-1.5, -0.5, 0.0, 0.5, 1.5], n)
        assert res.continua[0].contains(g) == bool(np.array_equal(PHI[name](g), g))
