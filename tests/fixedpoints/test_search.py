"""Claims about the fixed-point search, sweeps and local stability."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.errors import DomainError, InvalidArgumentError, NonFiniteError
from rnnsym.fixedpoints import find_fixed_points, sweep_fixed_points
from rnnsym.stability import (classify_jacobian, contraction_factor, design_half_life, design_unit,
                              half_life, spectral_norm, spectral_radius, steps_to_half)


def textbook_b_c(w: float) -> float:
    """correction C1 typed in as the reference: sqrt(w(w-1)) - arccosh(sqrt(w))."""
    return math.sqrt(w * (w - 1)) - math.acosh(math.sqrt(w))


def test_tanh_unit_with_w_2_has_two_stable_and_one_unstable_fixed_point():
    res = find_fixed_points(rs.RNN([[2.0]], b=[0.0]))
    assert res.complete and res.certificate == "exact 1-D count"
    assert res.kinds == ["stable", "unstable", "stable"]
    assert res.states[1, 0] == 0.0 and res[1].stability.spectral_radius == pytest.approx(2.0)


@pytest.mark.parametrize("w", [1.1, 1.5, 2.0, 3.0, 6.0])
@pytest.mark.parametrize("frac", [0.0, 0.5, 0.999, 1 - 1e-7, 1 + 1e-7, 1.001, 1.5])
@pytest.mark.parametrize("sign", [1, -1])
def test_search_is_complete_and_counts_match_the_saddle_node_curve(w, frac, sign):
    b = sign * frac * textbook_b_c(w)
    res = find_fixed_points(rs.RNN([[w]], b=[b]), starts=64)
    assert res.complete and res.certificate == "exact 1-D count"
    assert len(res) == (3 if frac < 1 else 1)
    assert all(p.residual < 1e-12 for p in res)
    kinds = res.kinds
    assert kinds.count("stable") == (2 if frac < 1 else 1)


@pytest.mark.parametrize("w, b", [(1.0, 0.0), (1.0, 0.3), (0.5, -0.2), (-3.0, 0.4), (0.0, 0.7)])
def test_at_most_unit_weight_has_exactly_one_fixed_point(w, b):
    res = find_fixed_points(rs.RNN([[w]], b=[b]))
    assert res.complete and len(res) == 1


def test_cusp_fixed_point_is_marginal_and_says_the_test_is_inconclusive():
    """h = tanh(h): the root 0 is exact and J = sech(0)**2 = 1 exactly, so rho(J) = 1 is decided
    ("marginal"); what stays inconclusive is the linear test itself (correction C2)."""
    (point,) = find_fixed_points(rs.RNN([[1.0]], b=[0.0])).points
    assert point.stability.kind == "marginal" and point.stability.decided
    assert point.stability.spectral_radius == 1.0 and "inconclusive" in point.stability.message


def test_near_fold_roots_closer_than_merge_tol_are_recovered_from_brackets():
    b = textbook_b_c(2.0) - 1e-14
    res = find_fixed_points(rs.RNN([[2.0]], b=[b]))
    assert len(res) == 3 and res.complete
    assert res.states[1, 0] - res.states[0, 0] > 0


def test_sigmoid_contraction_certificate_gives_the_errata_fixed_point():
    net = rs.RNN([[0.5, 0.3], [-0.2, 0.4]], activation="sigmoid")
    res = find_fixed_points(net)
    assert res.complete and res.certificate == "contraction" and len(res) == 1
    assert res.states[0] == pytest.approx([0.6138, 0.5214], abs=1e-4)


def test_without_certificate_the_result_says_it_may_be_incomplete():
    res = find_fixed_points(rs.RNN([[2.0, 1.0], [-1.0, 2.5]], b=[0.1, -0.2]))
    assert not res.complete and res.certificate is None
    assert "may be incomplete" in res.reason and len(res) >= 1


def test_relu_unit_with_no_fixed_point_is_certified_empty_not_silent():
    res = find_fixed_points(rs.RNN([[2.0]], b=[0.5], activation="relu"))
    assert res.complete and len(res) == 0 and "no fixed point exists" in res.reason


def test_softsign_count_is_certified_where_sympy_missed_the_critical_points():
    """Was: not certified ("not confirmed by sampling").  Now proven by interval arithmetic; the one
    root solves 2h^2 + h/2 - 1/2 = 0 (the z = 2h - 1/2 < 0 piece): h = (-1 - sqrt(17)) / 8."""
    res = find_fixed_points(rs.RNN([[2.0]], b=[-0.5], activation="softsign"))
    assert res.complete and res.certificate == "exact 1-D count" and len(res) == 1
    assert res.states[0, 0] == pytest.approx((-1 - math.sqrt(17)) / 8, rel=1e-15)


def test_polishing_agrees_with_mpmath_to_thirty_digits():
    res = find_fixed_points(rs.RNN([[2.0]], b=[0.25]), polish=True)
    with mpmath.workdps(40):
        top = mpmath.findroot(lambda h: mpmath.tanh(2 * h + mpmath.mpf(0.25)) - h, 0.97)
        assert abs(res[-1].exact[0] - top) < mpmath.mpf(10) ** -28


@settings(max_examples=20, deadline=None)
@given(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_every_reported_fixed_point_is_fixed_under_the_model_step(b0, b1):
    net = rs.RNN([[1.5, 0.4], [-0.3, 1.2]], b=[b0, b1])
    for p in find_fixed_points(net, starts=64):
        assert np.abs(net.numeric_step(p.h) - p.h).max() < 1e-11


def test_sweep_over_many_biases_matches_the_exact_count_and_stability():
    w = 2.0
    b = np.linspace(-1.0, 1.0, 2001)
    sweep = sweep_fixed_points(rs.RNN([[w]]), b)
    expected = np.where(np.abs(b) < textbook_b_c(w), 3, 1)
    near = np.abs(np.abs(b) - textbook_b_c(w)) < 2e-3
    assert np.array_equal(sweep.count[~near], expected[~near])
    three = sweep.count == 3
    assert (sweep.kind[three][:, [0, 2]] == 0).all() and (sweep.kind[three][:, 1] == 1).all()
    branches = sweep.branches()
    assert [len(br.index) for br in branches[:1]] == [int(np.argmax(sweep.count == 3))]


def test_sweep_of_a_two_unit_network_runs_batched_with_bias_pairs():
    b = np.random.default_rng(1).uniform(-0.5, 0.5, (300, 2))
    sweep = sweep_fixed_points(rs.RNN([[0.5, 0.2], [0.1, 0.4]]), b)
    assert (sweep.count == 1).all() and (sweep.kind[:, 0] == 0).all()


def test_missing_constant_input_is_a_one_line_error():
    with pytest.raises(InvalidArgumentError, match="`x` is missing"):
        find_fixed_points(rs.RNN([[0.5]], [[1.0]], [0.0]))


def test_non_finite_weight_is_rejected():
    with pytest.raises(NonFiniteError):
        find_fixed_points(rs.RNN([[float("nan")]]))
    with pytest.raises(NonFiniteError):
        spectral_radius([[np.inf]])


def test_point_outside_activation_range_and_bad_half_life_targets_are_domain_errors():
    with pytest.raises(DomainError, match="h_star"):
        design_unit(2.0, 1.5)
    with pytest.raises(DomainError, match="tau"):
        design_unit(-1, 0.2)
    with pytest.raises(DomainError, match="rho"):
        half_life(1.2)
    with pytest.raises(DomainError, match="h_star"):
        design_half_life(rs.RNN([[0.5, 0.1], [0.0, 0.5]]), [0.2, -1.0], 3.0)


def test_errata_e2_e3_norm_radius_and_steps_to_half():
    J = [[0.9, 1.0], [0.0, 0.9]]
    assert spectral_radius(J) == pytest.approx(0.9)
    assert float(half_life(0.9)) == pytest.approx(6.58, abs=5e-3)
    assert steps_to_half(J) == 44
    assert spectral_norm([[0.5, 2.0], [0.0, 0.5]]) == pytest.approx(2.118, abs=1e-3)


def test_classification_near_the_unit_circle_is_decided_in_high_precision():
    with mpmath.workdps(30):
        below_one = mpmath.mpf(1) - mpmath.mpf(10) ** -20
    close = classify_jacobian([[1.0]], exact=[[below_one]])
    assert close.kind == "stable" and close.precision == "exact rational arithmetic"  # an mpf is a fraction
    assert classify_jacobian([[1.0]], exact=[[1]]).kind == "marginal"
    assert classify_jacobian([[0.5, 0.0], [0.0, 2.0]]).kind == "saddle"


def test_designed_network_has_the_requested_half_life_in_simulation():
    net = rs.RNN([[0.8, 0.3], [0.3, 0.6]], activation="tanh")  # D W_h has real eigenvalues
    design = design_half_life(net, [0.3, -0.1], 5.0)
    h_star = np.array([0.3, -0.1])
    assert np.abs(design.model.numeric_step(h_star) - h_star).max() < 1e-12
    h = h_star + 1e-6 * np.array([1.0, 1.0])
    norms = []
    for _ in range(80):
        h = design.model.numeric_step(h)
        norms.append(np.linalg.norm(h - h_star))
    rate = (norms[79] / norms[39]) ** (1 / 40)
    assert -math.log(2) / math.log(rate) == pytest.approx(5.0, rel=1e-3)
    assert contraction_factor(net) > 0


def test_one_dimensional_design_at_the_origin_is_two_to_minus_one_over_tau():
    w, b = design_unit(3, 0)
    assert float(w) == pytest.approx(2 ** (-1 / 3)) and b == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(half_life(float(w))) == pytest.approx(3.0)


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_an_odd_activation_at_zero_drive_reports_each_root_with_its_mirror_image(seed: int) -> None:
    """tanh is odd and u = 0, so -h* is a fixed point whenever h* is: from two Newton starts (few, as above
    64 units) 0 and both of a pair are listed (without the mirror images these seeds found 0 and one of the
    pair).  Checked with a hand-written step."""
    n = 72
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, n)) * 1.5 / math.sqrt(n)
    res = find_fixed_points(rs.RNN(W, np.zeros((n, 1)), np.zeros(n), "tanh"), [0.0], starts=2, seed=seed)
    H = np.array([p.h for p in res.points])
    assert len(H) == 3 and "mirror image" in res.reason
    for h in H:
        assert np.abs(np.tanh(W @ h) - h).max() <= 1e-12
        assert np.abs(H + h).max(axis=1).min() <= 1e-12   # -h is listed too
    # a drive breaks the symmetry: no mirror images then
    shifted = find_fixed_points(rs.RNN(W, np.zeros((n, 1)), np.full(n, 0.1), "tanh"), [0.0], starts=16, seed=seed)
    assert "mirror image" not in shifted.reason and len(shifted.points) >= 1
    for p in shifted.points:
        assert np.abs(np.tanh(W @ p.h + 0.1) - p.h).max() <= 1e-12
