"""Claims about the batched fixed-point sweep over many bias values."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.fixedpoints.search import find_fixed_points
from rnnsym.fixedpoints import sweep_fixed_points as reexported
from rnnsym.stability import KINDS, classify_jacobian
from rnnsym.fixedpoints.sweep import FixedPointSweep, sweep_fixed_points
# private: the Newton system G(a) and the phi' = p(phi) proof have no public face, and these
# tests check them against the model's symbolic forms
from rnnsym.fixedpoints.sweep import _derivative_in_phi, _system

W2 = np.array([[2.0, 0.3], [0.2, 2.0]])   # two bistable units, weakly coupled: 1 to 9 fixed points


def reduced_count(W: np.ndarray, u: np.ndarray, grid: int = 20_000) -> int:
    """Independent count for a 2-D tanh RNN: eliminate ``a_2`` and count sign changes in ``a_1``.

    With ``a = W tanh(a) + u``, the first row gives ``tanh(a_2)`` as a function of
    ``a_1``; the second row is then one equation in ``a_1``.
    """
    reach = abs(W[0, 0]) + abs(W[0, 1])
    a1 = np.linspace(u[0] - reach, u[0] + reach, grid)
    t2 = (a1 - W[0, 0] * np.tanh(a1) - u[0]) / W[0, 1]
    inside = np.abs(t2) < 1
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.arctanh(t2) - W[1, 0] * np.tanh(a1) - W[1, 1] * t2 - u[1]
    s = np.sign(f)
    return int(np.count_nonzero((s[1:] * s[:-1] < 0) & inside[1:] & inside[:-1]))


def model_jacobian(net: rs.RNN, h: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``J = D W_h`` at ``h`` from the model's own symbolic Jacobian, compiled."""
    unit = rs.RNN(net.W_h, sp.eye(net.n), sp.zeros(net.n, 1), net.activation)
    kernel = rs.compile(unit.jacobian(), [unit.h_prev, unit.x])
    return kernel(h, u)


@pytest.fixture(scope="module")
def grid_sweep():
    shift = np.array([np.sqrt(2) - 1.4, np.sqrt(3) - 1.7]) * 1e-2   # keep off the bifurcation sets
    g = np.linspace(-1.0, 1.0, 81)
    b = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2) + shift
    return b, sweep_fixed_points(rs.RNN(W2), b)


def test_sweep_is_importable_from_fixed_points_for_compatibility():
    assert reexported is sweep_fixed_points


def test_two_unit_tanh_sweep_finds_an_odd_count_with_index_sum_one_at_every_grid_value(grid_sweep):
    b, sweep = grid_sweep
    assert set(np.unique(sweep.count)) == {1, 3, 5, 7, 9}
    assert (sweep.count % 2 == 1).all() and (sweep.index_sum == 1).all() and not sweep.suspect.any()
    assert np.nanmax(sweep.residual) <= 1e-12


def test_two_unit_sweep_matches_an_independent_count_by_elimination(grid_sweep):
    b, sweep = grid_sweep
    sample = np.random.default_rng(3).choice(len(b), 300, replace=False)
    expected = [reduced_count(W2, u) for u in b[sample]]
    assert sweep.count[sample].tolist() == expected


def test_every_swept_point_is_fixed_under_the_model_step(grid_sweep):
    b, sweep = grid_sweep
    for p in np.random.default_rng(4).choice(len(b), 40, replace=False):
        net = rs.RNN(W2, b=b[p])
        for h in sweep.h[p, : sweep.count[p]]:
            assert np.abs(net.numeric_step(h) - h).max() <= 1e-12


@pytest.mark.parametrize("w", [2.0, 3.5])
def test_one_unit_sweep_agrees_with_the_certified_search(w):
    b = np.linspace(-2.0, 2.0, 4001)
    sweep = sweep_fixed_points(rs.RNN([[w]]), b)
    for p in np.random.default_rng(int(w)).choice(len(b), 12, replace=False):
        res = find_fixed_points(rs.RNN([[w]], b=[b[p]]))
        assert res.complete and sweep.count[p] == len(res)
        assert np.abs(sweep.h[p, : len(res), 0] - res.states[:, 0]).max() < 1e-10
        assert [KINDS[k] for k in sweep.kind[p, : len(res)]] == res.kinds


def test_two_unit_sweep_agrees_with_a_many_start_search_on_sampled_values():
    b = np.array([[0.19919608, 0.46944031], [-0.5, -0.06], [0.238, 0.247], [0.9, -0.9],
                  [0.0, 0.0], [0.575, 0.287], [-0.3, 0.71]])
    sweep = sweep_fixed_points(rs.RNN(W2), b)
    for p, u in enumerate(b):
        res = find_fixed_points(rs.RNN(W2, b=u), starts=1024)
        assert sweep.count[p] == len(res)
        assert np.abs(sweep.h[p, : len(res)] - res.states).max() < 1e-9
        assert [KINDS[k] for k in sweep.kind[p, : len(res)]] == res.kinds


def test_branches_carry_the_stability_of_the_model_jacobian():
    beta = np.linspace(-1.0, 1.0, 801)
    b = np.stack([beta, 0.5 * beta + 0.05], axis=1)
    net = rs.RNN(W2)
    sweep = sweep_fixed_points(net, b)
    branches = sweep.branches()
    assert sum(len(br.index) for br in branches) == int(sweep.count.sum())
    rng = np.random.default_rng(5)
    for br in branches:
        for i in rng.choice(len(br.index), min(3, len(br.index)), replace=False):
            J = model_jacobian(net, br.h[i], br.b[i])
            stab = classify_jacobian(J)
            assert KINDS[br.kind[i]] == stab.kind
            assert br.rho[i] == pytest.approx(stab.spectral_radius, rel=1e-9)


def test_branches_follow_continuity_where_points_cross_in_the_first_coordinate():
    t = np.linspace(-1.0, 1.0, 201)
    h = np.stack([np.stack([t, np.full_like(t, 0.5)], 1), np.stack([-t, np.full_like(t, -0.5)], 1)], 1)
    order = np.argsort(h[..., 0], axis=1)          # stored sorted by the first coordinate, as a sweep is
    h = np.take_along_axis(h, order[..., None], axis=1)
    kind = np.where(h[..., 1] > 0, 0, 1).astype(np.int8)
    sweep = FixedPointSweep(np.stack([t, t], 1), h, np.full(len(t), 2), kind, np.abs(h[..., 0]))
    first, second = sweep.branches()
    assert np.ptp(first.h[:, 1]) == 0 and np.ptp(second.h[:, 1]) == 0   # each keeps its identity
    assert len(set(first.kind.tolist())) == 1 and len(set(second.kind.tolist())) == 1
    assert len(sweep.branches(max_jump=0.005)) > 2                       # a jump cap splits runs


def test_the_index_check_flags_an_incomplete_list_and_the_repair_completes_it():
    b = np.array([[0.0], [0.3]])
    partial = sweep_fixed_points(rs.RNN([[2.0]]), b, starts=1, rounds=0)
    assert (partial.count == 1).all() and partial.suspect.all() and (partial.index_sum == -1).all()
    repaired = sweep_fixed_points(rs.RNN([[2.0]]), b, starts=1)
    assert (repaired.count == 3).all() and not repaired.suspect.any()


def test_relu_sweep_has_no_index_check_and_matches_the_certified_count():
    b = np.array([-1000.0, -0.7, -0.2, 0.3])          # far drives too: the start box scales with |u|
    sweep = sweep_fixed_points(rs.RNN([[2.0]], activation="relu"), b)
    assert not sweep.suspect.any()
    for p, value in enumerate(b):
        res = find_fixed_points(rs.RNN([[2.0]], b=[value], activation="relu"))
        assert res.complete and sweep.count[p] == len(res)
        assert np.allclose(sweep.h[p, : len(res), 0], res.states[:, 0], atol=1e-12)


def test_a_constant_input_enters_through_W_x():
    net = rs.RNN(W2, [[1.0], [-2.0]])
    b = np.array([[0.1, 0.2], [-0.4, 0.3]])
    with_x = sweep_fixed_points(net, b, x=[0.25])
    shifted = sweep_fixed_points(rs.RNN(W2), b + np.array([0.25, -0.5]))
    assert np.array_equal(with_x.count, shifted.count)
    assert np.allclose(with_x.h, shifted.h, equal_nan=True)


def test_newton_residual_and_jacobian_match_the_models_symbolic_forms():
    net = rs.RNN([[1.5, -0.4], [0.7, 2.2]], activation="sigmoid")
    a, u = sp.Matrix(sp.symbols("a0 a1")), sp.Matrix(sp.symbols("u0 u1"))
    unit = rs.RNN(net.W_h, sp.eye(2), sp.zeros(2, 1), net.activation)
    G = a - unit.preactivation(net.activation(a), u)
    G_k, J_k = rs.compile(G, [a, u]), rs.compile(G.jacobian(a), [a, u])
    A = np.random.default_rng(6).uniform(-4, 4, (50, 2))
    U = np.random.default_rng(7).uniform(-1, 1, (50, 2))
    sys = _system(net)
    G_num, D = sys.evaluate(A.T, U.T)
    assert np.allclose(G_num.T, G_k(A, U)[..., 0], atol=1e-14)
    assert np.allclose(np.eye(2) - sys.W * D.T[:, None, :], J_k(A, U), atol=1e-14)


def test_derivative_in_terms_of_phi_is_proved_not_guessed():
    z = np.linspace(-5, 5, 101)
    for name in ("tanh", "sigmoid"):
        act = rs.get_activation(name)
        assert np.allclose(_derivative_in_phi(act)(act.numpy(z)), act.numpy_prime(z), atol=1e-15)
    assert _derivative_in_phi(rs.get_activation("softsign")) is None


def test_bad_sweep_input_is_a_one_line_error():
    net = rs.RNN(W2)
    with pytest.raises(ShapeError, match="`b` must have shape"):
        sweep_fixed_points(net, np.zeros((3, 3)))
    with pytest.raises(InvalidArgumentError, match="`b` must be finite"):
        sweep_fixed_points(net, [[0.0, np.nan]])
    with pytest.raises(InvalidArgumentError, match="`starts`"):
        sweep_fixed_points(net, [[0.0, 0.0]], starts=0)
    with pytest.raises(InvalidArgumentError, match="numeric"):
        sweep_fixed_points(rs.RNN.symbolic(2), [[0.0, 0.0]])


def exact_rho(J: np.ndarray) -> tuple[mpmath.mpf, mpmath.mpf]:
    """``rho`` of the float matrix ``J`` at 50 digits, and its componentwise condition number.

    ``kappa = |y|^T |J| |x| / (|y^H x| |lambda|)`` for the eigenvalue of largest modulus
    (``x``, ``y`` its right and left eigenvectors): relative perturbations ``eps`` of the
    entries, which is what rounding ``J = diag(phi'(a)) W_h`` makes, move ``lambda`` by
    about ``eps kappa |lambda|`` at most.
    """
    n = len(J)
    with mpmath.workdps(50):
        E, EL, ER = mpmath.eig(mpmath.matrix(J.tolist()), left=True, right=True)
        k = max(range(n), key=lambda i: abs(E[i]))
        x, y = [ER[i, k] for i in range(n)], [EL[k, i] for i in range(n)]
        spread = sum(abs(y[i]) * abs(mpmath.mpf(J[i, j])) * abs(x[j]) for i in range(n) for j in range(n))
        return abs(E[k]), spread / (abs(sum(y[i] * x[i] for i in range(n))) * abs(E[k]))


NEAR_REPEATED = {  # J = W_h at the fixed points below; eigenvalues 0.5 +- d
    "jordan-1e-9": np.array([[0.5, 1.0], [1e-18, 0.5]]),             # near-Jordan block, kappa = 1
    "jordan-1e-6": np.array([[0.5, 1.0], [1e-12, 0.5]]),
    "split-1e-9": np.array([[0.501, 1.0], [1e-18 - 1e-6, 0.499]]),   # disc = 1e-6 - (1e-6 - 1e-18): kappa ~ 1e6
    "3x3-1e-9": np.array([[0.5, 1.0, 0.2], [1e-18, 0.5, 0.1], [0.0, 0.0, 0.1]]),   # the pair and 0.1
}


@pytest.mark.parametrize("name", sorted(NEAR_REPEATED))
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_spectral_radius_is_accurate_near_repeated_eigenvalues(name, activation):
    """With relu and every unit active (or tanh at a = 0) phi'(a) = 1 exactly, so the sweep's
    Jacobian is the float W_h itself and mpmath gives its exact spectral radius.  The naive
    (tr/2)^2 - det formula was 9e6 ulps off on jordan-1e-9."""
    W = NEAR_REPEATED[name]
    n = len(W)
    b = np.array([[0.3] * n, [1.0] * n]) if activation == "relu" else np.zeros((1, n))
    sweep = sweep_fixed_points(rs.RNN(W, activation=activation), b)
    h = sweep.h[:, 0]
    assert (sweep.count == 1).all() and (sweep.kind[:, 0] == KINDS.index("stable")).all()
    assert (h > 0).all() if activation == "relu" else (np.abs(h) < 1e-9).all()   # phi'(a) == 1.0
    rho, kappa = exact_rho(W)
    error = max(abs(mpmath.mpf(float(r)) - rho) for r in sweep.rho[:, 0])
    allowed = 4 * np.finfo(float).eps * kappa * rho
    assert error <= allowed, f"rho off by {float(error):.3g} = {float(error / allowed * 4):.3g} eps kappa rho"


# -- degenerate roots and continua ("edges" issue, B) --------------------------------------------
def textbook_b_c(w: float) -> float:
    """correction C1 typed in as the reference: sqrt(w(w-1)) - arccosh(sqrt(w))."""
    return float(mpmath.sqrt(w * (w - 1)) - mpmath.acosh(mpmath.sqrt(w)))


def tanh_root(w: float, u: float, start: float) -> float:
    """The root of tanh(w h + u) = h near ``start``, by mpmath at 40 digits."""
    with mpmath.workdps(40):
        return float(mpmath.findroot(lambda h: mpmath.tanh(w * h + u) - h, start))


@pytest.mark.parametrize("n", [2, 3])
def test_tanh_with_identity_weights_gives_the_one_marginal_point_zero_per_bias(n):
    """h_i = tanh(h_i) has the only root 0 (tanh' = sech^2 < 1 off 0), where J = I exactly.  Old: the
    absolute residual test accepted a cloud, 10,351 points for n = 2."""
    sweep = sweep_fixed_points(rs.RNN(np.eye(n)), np.zeros((3, n)))
    assert sweep.count.tolist() == [1, 1, 1]
    assert np.array_equal(sweep.h[:, 0], np.zeros((3, n)))
    assert [KINDS[k] for k in sweep.kind[:, 0]] == ["marginal"] * 3
    assert sweep.degenerate[:, 0].all() and sweep.suspect.all()        # no index at a degenerate root
    res = find_fixed_points(rs.RNN(np.eye(n)))                          # certified: interval arithmetic
    assert res.complete and len(res) == 1 and res.kinds == ["marginal"]


def test_tanh_with_identity_weights_and_a_bias_has_one_stable_point():
    u = np.array([0.3, -0.2])
    sweep = sweep_fixed_points(rs.RNN(np.eye(2)), u[None])
    want = [tanh_root(1.0, v, 0.5 * np.sign(v)) for v in u]
    assert sweep.count.tolist() == [1] and np.abs(sweep.h[0, 0] - want).max() < 1e-12
    assert KINDS[sweep.kind[0, 0]] == "stable" and not sweep.degenerate.any() and not sweep.suspect.any()


def test_a_jordan_like_weight_gives_one_marginal_point():
    """Back substitution: h_2 = tanh(h_2) forces h_2 = 0, then h_1 = tanh(h_1) too; J = W, rho = 1."""
    sweep = sweep_fixed_points(rs.RNN([[1.0, 0.5], [0.0, 1.0]]), np.zeros((1, 2)))
    assert sweep.count.tolist() == [1] and np.array_equal(sweep.h[0, 0], [0.0, 0.0])
    assert KINDS[sweep.kind[0, 0]] == "marginal"


def test_a_pitchfork_just_past_one_is_decided_not_marginal():
    """w = fl(1 + 1e-9) > 1 exactly: 0 is unstable (J = w), the two roots +-h (tanh(w h) = h) stable."""
    w = 1 + 1e-9
    sweep = sweep_fixed_points(rs.RNN([[w]]), [0.0])
    want = [tanh_root(w, 0.0, -1e-4), 0.0, tanh_root(w, 0.0, 1e-4)]
    assert sweep.count.tolist() == [3]
    assert np.abs(sweep.h[0, :, 0] - want).max() <= 1e-12
    assert [KINDS[k] for k in sweep.kind[0]] == ["stable", "unstable", "stable"]
    with mpmath.workdps(40):  # the outer roots: J = w sech^2(w h) < 1 by about 2e-9
        assert all(w * mpmath.sech(w * mpmath.mpf(h)) ** 2 < 1 for h in (want[0], want[2]))


@pytest.mark.parametrize("name, rows", [("identity", 0), ("relu", 1), ("leaky_relu", 1), ("hard_tanh", 2)])
def test_piecewise_linear_identity_weights_give_a_continuum_not_a_cloud(name, rows):
    """phi(h) = h on a whole region (identity: R^2; relu, leaky relu: h >= 0; hard tanh: [-1, 1]^2), so
    every start is a fixed point.  Old: 9 sampled points listed as isolated."""
    act = rs.get_activation(name, slope="1/10") if name == "leaky_relu" else name
    sweep = sweep_fixed_points(rs.RNN(np.eye(2), activation=act), np.zeros((2, 2)))
    assert sweep.count.tolist() == [0, 0]
    for found in sweep.continua:
        (c,) = found
        assert c.dimension == 2 and c.A.shape == (2 * rows, 2) and c.stability.kind == "marginal"
        for g in ([0.0, 0.0], [0.5, 0.25], [1.0, 1.0]):     # in every one of these regions
            assert c.contains(g) and np.array_equal(rs.get_activation(act).numpy(np.array(g)), g)


def test_a_near_fold_value_is_flagged_never_a_silent_wrong_count():
    """At b = fl(b_c) and one ulp below, the fold pair is closer than float64 can resolve: the sweep
    may merge or keep a near-root there, but flags it (degenerate, undecided, suspect), and every
    other point is a certified root."""
    b_c = textbook_b_c(2.0)
    b = np.array([b_c, np.nextafter(b_c, 0.0)])
    sweep = sweep_fixed_points(rs.RNN([[2.0]]), b)
    assert sweep.suspect.all()
    for p, value in enumerate(b):
        res = find_fixed_points(rs.RNN([[2.0]], b=[value]))
        assert res.complete
        for k in range(sweep.count[p]):
            if sweep.degenerate[p, k]:
                assert KINDS[sweep.kind[p, k]] == "undecided"
            else:
                assert np.abs(res.states[:, 0] - sweep.h[p, k, 0]).min() < 1e-12
