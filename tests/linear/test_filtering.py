"""The filter view's building blocks against independent computations.

``stable_form`` against 50-digit mpmath evaluation of the expression it
rewrites (equal everywhere, accurate in float64 where the original cancels);
``critical_cosines`` against a brute-force scan of the gain's derivative;
``parseval_noise_variance`` and ``geometric_noise_variance`` against the
impulse response summed at 50 digits; ``linear_system`` against the weights it
must read off.  Written from the survivors of a mutation run (issue 14).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.linear import filtering as flt
from rnnsym.linear.filtering import OMEGA, SIGMA, X, Z, a

SNR_LIKE = X**2 * (1 - a**2) / (2 * SIGMA**2 * (1 - 2 * a * sp.cos(OMEGA) + a**2))
POINTS = [(0.5, 1.0), (-0.5, 2.0), (1 - 1e-7, 1e-4), (-(1 - 1e-7), np.pi - 1e-4), (0.999, 1e-3),
          (0.0, 0.3), (-1e-9, 1e-6), (0.9, np.pi), (-0.9, 0.0)]


def _truth(expr: sp.Expr, values: dict) -> mpmath.mpf:
    with mpmath.workdps(50):
        f = sp.lambdify(list(values), expr, modules="mpmath")
        return f(*[mpmath.mpf(v) for v in values.values()])


def _float64(expr: sp.Expr, values: dict) -> float:
    f = sp.lambdify(list(values), expr, modules="numpy")
    return float(f(*[np.float64(v) for v in values.values()]))


@pytest.mark.parametrize("av, w", POINTS)
def test_stable_form_is_equal_and_accurate_in_float64(av: float, w: float) -> None:
    stable = flt.stable_form(SNR_LIKE)
    values = {a: av, OMEGA: w, X: 1.3, SIGMA: 0.7}
    truth = _truth(SNR_LIKE, values)
    assert abs(_truth(stable, values) - truth) <= mpmath.mpf(10) ** -40 * abs(truth)     # equal
    assert abs(_float64(stable, values) - float(truth)) <= 1e-13 * abs(float(truth))        # no cancellation


def test_the_original_form_cancels_where_the_stable_one_does_not() -> None:
    # the test above is not vacuous: at a -> 1, omega -> 0 the plain float64 evaluation is far off
    values = {a: 1 - 1e-7, OMEGA: 1e-4, X: 1.3, SIGMA: 0.7}
    truth = float(_truth(SNR_LIKE, values))
    assert abs(_float64(SNR_LIKE, values) - truth) > 1e-10 * abs(truth)
    assert abs(_float64(flt.stable_form(SNR_LIKE), values) - truth) <= 1e-13 * abs(truth)


def test_both_branches_of_the_half_angle_rewrite_are_sums_of_nonnegative_terms() -> None:
    form = flt.stable_form(1 - 2 * a * sp.cos(OMEGA) + a**2)
    assert isinstance(form, sp.Piecewise) and form.args[0][1] == (a >= 0)
    for (value, _), sign in zip(form.args, (1, -1)):
        # evaluated at a of the branch's sign, every term is >= 0
        for term in sp.Add.make_args(value):
            for av, w in [(0.3 * sign, 0.2), (0.99 * sign, 3.0), (1e-8 * sign, 1.0)]:
                assert float(term.subs({a: av, OMEGA: w})) >= 0


@pytest.mark.parametrize("av", [1 - 1e-12, -(1 - 1e-12), 0.25])
def test_polynomials_in_a_alone_are_factored(av: float) -> None:
    expr = 1 - a**2
    form = flt.stable_form(expr)
    truth = float(_truth(expr, {a: av}))
    assert abs(_float64(form, {a: av}) - truth) <= 1e-15 * abs(truth)


def test_amplitude_over_sigma_is_formed_before_squaring() -> None:
    form = flt.stable_form(X**2 / SIGMA**2 * (1 - a))
    values = {X: 1e200, SIGMA: 1e200, a: 0.5}                  # X**2 alone overflows float64
    assert _float64(form, values) == pytest.approx(0.5, rel=1e-15)
    assert not form.has(X**2)


def test_single_frequency_branches_get_the_frequency_substituted() -> None:
    gain = 1 / (1 - 2 * a * sp.cos(OMEGA) + a**2)
    expr = sp.Piecewise((X**2 * gain, sp.Eq(OMEGA, 0) | sp.Eq(OMEGA, sp.pi)), (X**2 * gain / 2, True))
    form = flt.stable_form(expr)
    branches = form.args
    assert [cond for _, cond in branches] == [sp.Eq(OMEGA, 0), sp.Eq(OMEGA, sp.pi), sp.true]
    assert not branches[0][0].has(OMEGA) and not branches[1][0].has(OMEGA)
    for (value, _), w in zip(branches[:2], (0, np.pi)):
        for av in (0.999999, -0.999999, 0.2):
            truth = _truth(X**2 * gain, {a: av, OMEGA: w, X: 2.0})
            assert abs(_float64(value, {a: av, X: 2.0}) - float(truth)) <= 1e-13 * abs(float(truth))
    assert sp.simplify(branches[2][0] - X**2 * gain / 2) == 0 or all(
        abs(_float64(branches[2][0], {a: av, OMEGA: w, X: 1.0}) - float(_truth(X**2 * gain / 2,
            {a: av, OMEGA: w, X: 1.0}))) <= 1e-13 * float(_truth(X**2 * gain / 2, {a: av, OMEGA: w, X: 1.0}))
        for av, w in [(0.5, 1.0), (-0.7, 2.5)])


def test_expressions_without_a_and_cosine_are_left_alone() -> None:
    expr = X**2 + sp.sin(OMEGA)
    assert flt.stable_form(expr) == expr


def _brute_force_critical_cosines(gain: sp.Expr) -> list[float]:
    with mpmath.workdps(30):
        d = sp.lambdify(OMEGA, sp.diff(gain, OMEGA), modules="mpmath")
        grid = [mpmath.pi * (k + 0.5) / 4000 for k in range(4000)]
        values = [d(w) for w in grid]
        found = []
        for (w0, v0), (w1, v1) in zip(zip(grid, values), zip(grid[1:], values[1:])):
            if v0 == 0 or v0 * v1 < 0:
                found.append(float(mpmath.cos(mpmath.findroot(d, (w0, w1), solver="anderson"))))
    return sorted(found)


@pytest.mark.parametrize("r, w0", [(0.9, 1.0), (0.7, 2.2), (0.95, 0.3)])
def test_critical_cosines_are_every_turning_point_of_the_gain_and_nothing_else(r: float, w0: float) -> None:
    A_, B_, C_ = flt.band_pass_filter(sp.nsimplify(r), sp.nsimplify(w0))
    gain = flt.power_gain(flt.transfer_function(A_, B_, C_))
    cosines = [complex(sp.N(c, 30)) for c in flt.critical_cosines(gain)]
    inside = sorted(c.real for c in cosines if abs(c.imag) < 1e-20 and -1 < c.real < 1)
    expected = _brute_force_critical_cosines(gain)
    assert len(inside) == len(expected) >= 1
    np.testing.assert_allclose(inside, expected, rtol=0, atol=1e-10)


def _mp(M) -> mpmath.matrix:
    return mpmath.matrix([[mpmath.mpf(str(sp.N(e, 60))) for e in row] for row in sp.Matrix(M).tolist()])


def _impulse_variance(A_, B_, C_, sigma) -> mpmath.mpf:
    """sigma^2 sum_k (C A^k B)^2 at 50 digits (exact entries read at 60), until the terms are negligible."""
    with mpmath.workdps(50):
        A_m, v, C_m = _mp(A_), _mp(B_), _mp(C_)
        sigma = mpmath.mpf(str(sp.N(sp.nsimplify(sigma), 60)))
        total = mpmath.mpf(0)
        for _ in range(20000):
            g = (C_m * v)[0]
            total += g * g
            v = A_m * v
            if mpmath.norm(v) < mpmath.mpf(10) ** -30:
                break
        return sigma**2 * total


@pytest.mark.parametrize("A_, B_, C_", [
    ([[sp.Rational(1, 2)]], [[1]], [[1]]),
    ([[sp.Rational(-9, 10)]], [[2]], [[1]]),
    ([[sp.Rational(1, 2), sp.Rational(1, 3)], [0, sp.Rational(-1, 4)]], [[0], [1]], [[1, 0]]),
    ([[0, 1], [sp.Rational(-1, 2), sp.Rational(1, 2)]], [[1], [1]], [[1, 1]]),
])
def test_parseval_variance_equals_the_summed_impulse_response(A_, B_, C_) -> None:
    H = flt.transfer_function(A_, B_, C_)
    poles = list(sp.Matrix(A_).eigenvals())
    _, variance = flt.parseval_noise_variance(H, poles, sigma=3)
    truth = _impulse_variance(A_, B_, C_, 3)
    with mpmath.workdps(50):
        assert abs(mpmath.mpf(str(sp.N(variance, 50))) - truth) <= mpmath.mpf(10) ** -25 * abs(truth)
    _, symbolic = flt.parseval_noise_variance(H, poles)
    assert sp.simplify(symbolic.subs(SIGMA, 3) - variance) == 0      # sigma squared, not sigma


def test_parseval_includes_the_pole_at_zero_only_when_the_integrand_has_one() -> None:
    # a finite impulse response g = (1, 1/2): H(z)H(1/z)/z has its only pole at z = 0
    integrand, variance = flt.parseval_noise_variance(1 + Z / 2, [], sigma=1)
    assert sp.denom(sp.together(integrand)).subs(Z, 0) == 0 and variance == sp.Rational(5, 4)
    # H = z/(z - 1/2): the integrand 2/((z - 1/2)(2 - z)) has no pole at 0
    integrand, variance = flt.parseval_noise_variance(Z / (Z - sp.Rational(1, 2)), [sp.Rational(1, 2)], sigma=1)
    assert sp.denom(sp.together(integrand)).subs(Z, 0) != 0 and variance == sp.Rational(4, 3)


def test_parseval_degree_limit_is_inclusive_and_named() -> None:
    H = 1 / ((1 - Z / 2) * (1 - Z / 3))
    flt.parseval_noise_variance(H, [sp.Rational(1, 2), sp.Rational(1, 3)], sigma=1, max_degree=2)
    with pytest.raises(rs.ResourceLimitError, match="degree 2 .*max_degree=1"):
        flt.parseval_noise_variance(H, [sp.Rational(1, 2), sp.Rational(1, 3)], sigma=1, max_degree=1)
    with pytest.raises(rs.InvalidArgumentError, match="`poles_inside`"):
        flt.parseval_noise_variance(H, "1/2")


@pytest.mark.parametrize("av", [0.5, -0.9, 0.999])
def test_geometric_variance_and_its_condition(av: float) -> None:
    k = sp.Symbol("k", integer=True, nonnegative=True)
    value, cond = flt.geometric_noise_variance(a**k, k)
    sigma = 1.7
    truth = _impulse_variance([[sp.nsimplify(av)]], [[1]], [[1]], sigma)
    got = value.subs({a: sp.nsimplify(av), SIGMA: sp.nsimplify(sigma)})
    assert abs(float(got) - float(truth)) <= 1e-13 * float(truth)
    assert bool(cond.subs(a, sp.nsimplify(av))) and not bool(cond.subs(a, sp.Rational(11, 10)))


def test_geometric_variance_without_a_condition() -> None:
    k = sp.Symbol("k", integer=True, nonnegative=True)
    assert flt.geometric_noise_variance(sp.Rational(1, 2)**k, k, 2) == (sp.Rational(16, 3), sp.true)


def test_linear_system_reads_off_the_weights() -> None:
    W = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"w{i}{j}"))
    U = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"u{i}{j}"))
    A_, B_ = flt.linear_system(rs.RNN(W, U, [0, 0], activation="identity"))
    assert A_ == W and B_ == U and A_.shape == (2, 2) and B_.shape == (2, 3)


@pytest.mark.parametrize("net, what", [
    (rs.RNN([[0.5]], [[1.0]], [0.0]), "activation 'tanh'"),
    (rs.RNN([[0.5]], [[1.0]], [0.2], activation="identity"), "bias [0.2"),
    (rs.RNN([[0.5]], [[1.0]], [0.0], activation="relu"), "activation 'relu'"),
])
def test_linear_system_refuses_nonlinear_models_saying_why(net: rs.RNN, what: str) -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`model` must be linear") as info:
        flt.linear_system(net)
    assert what in str(info.value)


def test_linear_system_refuses_what_is_not_a_model() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`model` must be an rnnsym RNN; got list"):
        flt.linear_system([[0.5]])


def _mp_snr(A_, B_, C_, X, sigma, omega, terms: int = 4000) -> mpmath.mpf:
    """The SNR from the impulse response g_k = C A^k B summed at 50 digits: H = sum g_k e^{-i w k},
    noise variance sigma^2 sum g_k^2, signal power X^2 |H|^2 (times 1/2 unless w in {0, pi})."""
    n = len(A_)
    with mpmath.workdps(50):
        A_m = _mp(A_)
        v, C_m = _mp(np.reshape(B_, (n, 1)).tolist()), _mp(np.reshape(C_, (1, n)).tolist())
        w = mpmath.mpf(omega)
        H, var = mpmath.mpc(0), mpmath.mpf(0)
        for k in range(terms):
            gk = (C_m * v)[0]
            H += gk * mpmath.expj(-w * k)
            var += gk * gk
            v = A_m * v
        share = 1 if omega in (0.0, float(np.pi)) else mpmath.mpf(1) / 2
        return mpmath.mpf(X) ** 2 * abs(H) ** 2 * share / (mpmath.mpf(sigma) ** 2 * var)


ROT = [[0.6, -0.5], [0.5, 0.6]]


@pytest.mark.parametrize("A_, B_, C_, X, sigma, omega", [
    ([[0.5]], [1.0], [1.0], 1.0, 1.0, 0.0),
    ([[0.5]], [1.0], [1.0], 3.0, 2.0, float(np.pi)),
    ([[-0.8]], [2.0], [0.5], 1.5, 0.3, 1.0),
    (ROT, [1.0, 0.0], [1.0, 0.0], 1.0, 1.0, 0.7),
    (ROT, [0.0, 1.0], [1.0, 1.0], 2.0, 0.5, 1e-9),      # inside the band: half power, not the w = 0 value
    (ROT, [1.0, 1.0], [0.0, 1.0], 1.0, 1.0, float(np.pi) - 1e-9),
])
def test_snr_numeric_equals_the_summed_impulse_response(A_, B_, C_, X, sigma, omega) -> None:
    truth = _mp_snr(A_, B_, C_, X, sigma, omega)
    got = flt.snr_numeric(A_, B_, C_, X=X, sigma=sigma, omega=omega)
    assert abs(got - float(truth)) <= 1e-12 * float(truth)


def test_noise_variance_numeric_scales_with_sigma_squared() -> None:
    one = flt.noise_variance_numeric(ROT, [1.0, 0.0], [1.0, 1.0], 1.0)
    with mpmath.workdps(50):
        A_m, v, C_m = _mp(ROT), _mp([[1.0], [0.0]]), _mp([[1.0, 1.0]])
        total = mpmath.mpf(0)
        for _ in range(4000):
            total += (C_m * v)[0] ** 2
            v = A_m * v
    assert abs(one - float(total)) <= 1e-13 * float(total)
    assert flt.noise_variance_numeric(ROT, [1.0, 0.0], [1.0, 1.0], 3.0) == pytest.approx(9 * one, rel=1e-14)


@pytest.mark.parametrize("call, error, message", [
    (lambda: flt.snr_numeric([[1.0]], [1.0], [1.0], X=1.0, sigma=1.0, omega=0.5), rs.DomainError,
     "`A` has spectral radius 1; expected < 1"),
    (lambda: flt.snr_numeric([[0.5, 0.0], [0.0, 1.2]], [1.0, 1.0], [1.0, 1.0], X=1.0, sigma=1.0, omega=0.5),
     rs.DomainError, "`A` has spectral radius 1.2"),
    (lambda: flt.snr_numeric([[0.5]], [1.0, 2.0], [1.0], X=1.0, sigma=1.0, omega=0.5), rs.ShapeError,
     "`B` must have 1 entries (one input); got shape (2,)"),
    (lambda: flt.snr_numeric([[0.5]], [1.0], [[1.0, 2.0]], X=1.0, sigma=1.0, omega=0.5), rs.ShapeError,
     "`C` must have 1 entries (one output); got shape (1, 2)"),
    (lambda: flt.snr_numeric([[0.5]], [1.0], [1.0], X=1.0, sigma=1.0, omega=-0.1), rs.DomainError,
     "`omega`=-0.1 must lie in [0, pi]"),
    (lambda: flt.snr_numeric([[0.5]], [1.0], [1.0], X=1.0, sigma=1.0, omega=3.2), rs.DomainError,
     "`omega`=3.2 must lie in [0, pi]"),
    (lambda: flt.snr_numeric([[0.5]], [1.0], [1.0], X=1.0, sigma=0.0, omega=0.5), rs.DomainError,
     "`sigma`=0.0 must be > 0"),
    (lambda: flt.noise_variance_numeric([[0.5]], [1.0], [1.0], -1.0), rs.DomainError, "`sigma`=-1.0 must be > 0"),
])
def test_numeric_filter_refusals_name_the_argument(call, error, message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value)


def test_the_band_edges_are_exactly_zero_and_pi() -> None:
    # at w = pi exactly the sinusoid does not average to half power; one ulp inside it does
    edge = flt.snr_numeric([[0.5]], [1.0], [1.0], X=1.0, sigma=1.0, omega=float(np.pi))
    inside = flt.snr_numeric([[0.5]], [1.0], [1.0], X=1.0, sigma=1.0, omega=float(np.nextafter(np.pi, 0)))
    assert edge == pytest.approx(2 * inside, rel=1e-12)


@pytest.mark.parametrize("w", [0.0, 0.4, 2.0, float(np.pi)])
def test_frequency_response_is_the_transfer_function_on_the_unit_circle(w: float) -> None:
    nu = sp.Symbol("nu", real=True)
    H = flt.frequency_response(ROT, [[1], [0]], [[1, 1]], omega=nu)
    assert H.free_symbols == {nu}
    got = complex(H.subs(nu, w))
    with mpmath.workdps(30):
        A_m = mpmath.matrix(ROT)
        M = mpmath.eye(2) - A_m * mpmath.expj(-w)                    # H = C (I - A e^{-iw})^{-1} B
        truth = (mpmath.matrix([[1, 1]]) * mpmath.lu_solve(M, mpmath.matrix([[1], [0]])))[0]
    assert abs(got - complex(truth)) <= 1e-13 * abs(complex(truth))
