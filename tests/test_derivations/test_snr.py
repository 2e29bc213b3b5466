"""Claims about the `snr` derivation and rnnsym.linear.filtering (chapter 3192150, corrections C9, C10).

The filtering-only tests (noise variances, bad inputs, the n-state forms) came along with the
derivation's; their home is tests/linear/ once that folder is free to edit.
"""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.errors import DomainError, ShapeError
from rnnsym.latex import compile_pdf
from rnnsym.linear import filtering as flt
from rnnsym.linear.filtering import ALPHA, OMEGA, OMEGA_0, SIGMA, A, R, X, a
from rnnsym.registry import derive
from tests.test_derivations._planted import assert_accepted, assert_rejected

# The textbook form, typed here only to compare against.
CHAPTER = X**2 / (2 * SIGMA**2) * (1 - a**2) / (1 - 2 * a * sp.cos(OMEGA) + a**2)


@pytest.fixture(scope="module")
def d():
    return derive("snr")


def test_snr_equals_chapter_formula_inside_the_band_and_twice_it_at_zero_and_pi(d):
    (special, cond), (generic, rest) = d.result.args
    assert rest == sp.true
    assert sp.simplify(generic - CHAPTER) == 0
    assert sp.simplify(special - 2 * CHAPTER) == 0
    assert cond == sp.Or(sp.Eq(OMEGA, 0), sp.Eq(OMEGA, sp.pi))
    assert (sp.Abs(a) < 1) in d.assumptions and sp.Ne(ALPHA, 0) in d.assumptions


def test_snr_kernel_doubles_the_chapter_value_exactly_at_zero_and_pi(d):
    k = d.kernel
    chapter = rs.compile(CHAPTER, [X, SIGMA, a, OMEGA])
    for w in (0.0, math.pi):
        assert k(1.3, 0.7, 0.4, w) == pytest.approx(2 * chapter(1.3, 0.7, 0.4, w), rel=1e-14)
    assert k(1.3, 0.7, 0.4, 1.0) == pytest.approx(chapter(1.3, 0.7, 0.4, 1.0), rel=1e-14)


def test_noise_variance_series_parseval_and_lyapunov_agree_with_quadrature():
    H = flt.transfer_function(a, ALPHA)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    series, _cond = flt.geometric_noise_variance(ALPHA * a**k, k)
    _, parseval = flt.parseval_noise_variance(H, [a])
    _, lyapunov = flt.lyapunov_noise_variance([[a]], [[ALPHA]])
    assert sp.simplify(series - parseval) == 0 and sp.simplify(series - lyapunov) == 0
    values = {a: sp.Rational(-7, 10), ALPHA: sp.Rational(3, 2), SIGMA: sp.Rational(1, 3)}
    gain = flt.power_gain(H).subs(values)
    f = sp.lambdify(OMEGA, gain, "mpmath")
    with mpmath.workdps(40):
        quad = mpmath.quad(f, [-mpmath.pi, 0, mpmath.pi]) / (2 * mpmath.pi) / 9
        assert abs(quad - mpmath.mpf(25) / 51) < 1e-30
    assert series.subs(values) == sp.Rational(25, 51)


def test_modified_model_noise_without_alpha_multiplies_snr_by_alpha_squared():
    base = rs.RNN([[ALPHA * A]], [[ALPHA, ALPHA]], [0], activation="identity")
    changed = rs.RNN([[ALPHA * A]], [[ALPHA, 1]], [0], activation="identity")
    snrs = []
    for net in (base, changed):
        A_, B_ = flt.linear_system(net)
        snrs.append(flt.snr_expression(A_, B_[:, 0], B_[:, 1]))
    for (v0, _), (v1, _) in zip(snrs[0].args, snrs[1].args):
        assert sp.simplify(v1 - ALPHA**2 * v0) == 0


def test_snr_matches_monte_carlo_simulation(d):
    report = d.verify(max_examples=16, seed=1)
    assert report.passed, report.message


def test_fixed_parameters_are_honoured_by_kernel_and_verify():
    d = derive("snr", a="3/5")
    assert [str(s) for s in d.kernel.args] == ["X", "sigma", "omega"]
    assert d.kernel(1.0, 1.0, 0.0) == pytest.approx(4.0)  # (1 + a)/(1 - a): twice the chapter's 2
    assert d.verify(max_examples=8).passed


@pytest.mark.parametrize("label, wrong", [
    ("no factor 2 at omega in {0, pi}", CHAPTER),
    ("1 + a^2 in place of 1 - a^2", CHAPTER.subs(1 - a**2, 1 + a**2)),
    ("sign of the cos term flipped", CHAPTER.subs(sp.cos(OMEGA), -sp.cos(OMEGA))),
])
def test_planted_errors_are_caught_with_a_counterexample(d, label, wrong):
    assert wrong != CHAPTER or label.startswith("no factor")
    report = d.with_result(wrong).verify(max_examples=20, seed=0)
    assert not report.passed, label
    assert report.counterexample is not None


def test_kernel_refuses_unstable_negative_sigma_and_out_of_range_omega(d):
    k = d.kernel
    for args, name in (((1.0, 1.0, 1.0, 0.5), "a"), ((1.0, 1.0, -1.5, 0.5), "a"),
                       ((1.0, -1.0, 0.5, 0.5), "sigma"), ((1.0, 1.0, 0.5, 4.0), "omega")):
        with pytest.raises(DomainError, match=f"`{name}`") as info:
            k(*args)
        assert "\n" not in str(info.value)
    a_sweep = np.linspace(-1.5, 1.5, 61)
    out = k(1.0, 1.0, a_sweep, np.array([[0.0], [1.0], [math.pi]]), on_domain="nan")
    assert np.all(np.isnan(out[:, np.abs(a_sweep) >= 1]))
    assert np.all(out[:, np.abs(a_sweep) < 1] > 0)


def test_bad_inputs_give_one_line_errors():
    with pytest.raises(ShapeError, match="`A` must be square"):
        flt.transfer_function([[1, 2, 3], [4, 5, 6]], [[1], [0]])
    with pytest.raises(ShapeError, match="`A` must be square"):
        flt.snr_numeric(np.ones((2, 3)), [1, 0], [1, 0], 1.0, 1.0, 0.5)
    with pytest.raises(DomainError, match="`sigma`"):
        flt.snr_numeric([[0.5]], [1], [1], 1.0, -1.0, 0.5)
    with pytest.raises(DomainError, match="`omega`"):
        flt.snr_numeric([[0.5]], [1], [1], 1.0, 1.0, -0.1)
    with pytest.raises(DomainError, match="spectral radius"):
        flt.snr_numeric([[1.2]], [1], [1], 1.0, 1.0, 0.5)
    with pytest.raises(DomainError, match="alpha"):
        derive("snr", alpha=0)
    with pytest.raises(DomainError, match="a"):
        derive("snr", a=2)


def _ulp_regions(rng: np.random.Generator, n: int) -> dict[str, tuple]:
    u = lambda lo, hi: rng.uniform(lo, hi, n)
    one = np.ones(n)
    return {
        "a -> 1, omega -> 0": (one, one, 1 - 10 ** u(-15, -1), 10 ** u(-10, 0)),
        "a -> -1, omega -> pi": (one, one, -1 + 10 ** u(-15, -1), np.pi - 10 ** u(-10, 0)),
        "omega -> 0": (one, one, u(-0.999, 0.999), 10 ** u(-12, -1)),
        "omega -> pi": (one, one, u(-0.999, 0.999), np.pi - 10 ** u(-12, -1)),
        "omega = 0, |a| -> 1": (one, one, np.sign(u(-1, 1)) * (1 - 10 ** u(-15, -1)), 0 * one),
        "omega = pi, |a| -> 1": (one, one, np.sign(u(-1, 1)) * (1 - 10 ** u(-15, -1)), np.pi * one),
        "tiny and huge X/sigma": (10 ** u(-150, 150), 10 ** u(-150, 150), u(-0.99, 0.99), u(0, np.pi)),
        "generic": (u(0.1, 10), u(0.1, 10), u(-1, 1), u(0, np.pi)),
    }


def test_kernel_is_within_8_ulp_of_a_50_digit_evaluation(d):
    (special, _), (generic, _) = d.result.args
    args = [X, SIGMA, a, OMEGA]
    refs = {name: rs.compile(expr, args, backend="mpmath", dps=50)
            for name, expr in (("special", special), ("generic", generic))}
    rng = np.random.default_rng(20240501)
    rows, worst = [], 0.0
    for region, (xs, ss, av, ws) in _ulp_regions(rng, 300).items():
        keep = (np.abs(av) < 1) & (np.abs(np.log10(xs / ss)) < 120)
        xs, ss, av, ws = xs[keep], ss[keep], av[keep], ws[keep]
        fast = d.kernel(xs, ss, av, ws)
        errs = []
        with mpmath.workdps(50):
            for x, s, v, w, f in zip(xs, ss, av, ws, fast):
                if w == 0.0 or w == np.pi:
                    ref = refs["special"](x, s, v, mpmath.pi if w == np.pi else 0)
                else:
                    ref = refs["generic"](x, s, v, w)
                errs.append(float(abs(mpmath.mpf(float(f)) - ref)) / np.spacing(abs(float(ref))))
        rows.append((region, len(errs), max(errs), float(np.median(errs))))
        worst = max(worst, max(errs))
    print("\nSNR kernel vs mpmath (50 digits), error in ULP")
    print(f"{'region':28s} {'points':>6s} {'max':>6s} {'median':>6s}")
    for region, count, mx, med in rows:
        print(f"{region:28s} {count:6d} {mx:6.2f} {med:6.2f}")
    assert worst <= 8, rows


@settings(max_examples=40, deadline=None)
@given(rst.stable_coefficients(), rst.frequencies(endpoints=False), rst.frequencies(endpoints=False))
def test_first_order_filter_is_monotone_and_bounded_inside_the_band(d, av, w1, w2):
    k = d.kernel
    lo, hi = sorted((w1, w2))
    s_lo, s_hi = k(1.0, 1.0, av, lo), k(1.0, 1.0, av, hi)
    if av > 0:
        assert s_lo >= s_hi * (1 - 1e-12)
    elif av < 0:
        assert s_lo <= s_hi * (1 + 1e-12)
    band = ((1 - abs(av)) / (1 + abs(av)) / 2, (1 + abs(av)) / (1 - abs(av)) / 2)
    for s in (s_lo, s_hi):
        assert band[0] * (1 - 1e-12) <= s <= band[1] * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(rst.stable_coefficients(), rst.frequencies())  # |a| >= 0.99, omega in {0, pi} and near them
def test_kernel_is_the_chapter_value_inside_the_band_and_twice_it_at_zero_and_pi(d, av, w):
    with mpmath.workdps(50):
        edge = w in (0.0, math.pi)
        omega = mpmath.pi if w == math.pi else mpmath.mpf(w)
        x, s, a_ = mpmath.mpf(1.3), mpmath.mpf(0.7), mpmath.mpf(av)
        chapter = x**2 / (2 * s**2) * (1 - a_**2) / (1 - 2 * a_ * mpmath.cos(omega) + a_**2)
        expected = float(2 * chapter if edge else chapter)
    assert d.kernel(1.3, 0.7, av, w) == pytest.approx(expected, rel=1e-12)


def test_band_pass_peak_from_the_denominator_is_the_textbook_resonator_peak(d):
    statements = {str(s.statement.lhs): s.statement.rhs for s in d.steps if isinstance(s.statement, sp.Eq)}
    peak = statements["cos_omega_p"]
    assert sp.simplify(peak - (1 + R**2) * sp.cos(OMEGA_0) / (2 * R)) == 0
    w = np.linspace(0, np.pi, 200001)
    for r, w0 in ((0.9, 1.0), (0.5, 1.0), (0.7, 2.0)):
        for output in ("e1", "e2"):
            A_, B_, C_ = (np.array(M.subs({R: r, OMEGA_0: w0}).tolist(), dtype=float)
                          for M in flt.band_pass_filter(output=output))
            H = [(C_ @ np.linalg.solve(np.eye(2) - A_ * np.exp(-1j * x), B_))[0, 0] for x in w[::50]]
            w_peak = w[::50][int(np.argmax(np.abs(H)))]
            c = float(peak.subs({R: r, OMEGA_0: w0}))
            if output == "e2":  # all-pole: the textbook formula is exact
                assert w_peak == pytest.approx(math.acos(c), abs=2e-3)
            else:  # B = e1, C = e1^T: a zero moves the peak; one derived root is it
                roots = [float(sp.re(sp.N(s.subs({R: r, OMEGA_0: w0})))) for s in statements["cos_omega_p_e1"]]
                assert min(abs(w_peak - math.acos(x)) for x in roots if abs(x) <= 1) < 2e-3


@pytest.mark.parametrize("seed", range(4))
def test_n_state_snr_numeric_matches_lyapunov_and_symbolic_forms(seed):
    rng = np.random.default_rng(seed)
    n = 2 + seed % 2
    A_ = rng.uniform(-1, 1, (n, n))
    A_ *= 0.8 / max(abs(np.linalg.eigvals(A_)))
    B_, C_ = rng.uniform(-1, 1, n), rng.uniform(-1, 1, n)
    exact = [sp.Matrix(M).applyfunc(sp.Rational) for M in (A_, B_.reshape(n, 1), C_.reshape(1, n))]
    A_, B_, C_ = (np.array(M.tolist(), dtype=float) for M in exact)
    _, var = flt.lyapunov_noise_variance(*exact, sigma=1)
    assert float(var) == pytest.approx(flt.noise_variance_numeric(A_, B_, C_, 1.0), rel=1e-10)
    expr = flt.snr_expression(exact[0], exact[1], C_=exact[2], amplitude=1, sigma=1)
    for w in (0.0, 0.7, 2.0, math.pi):
        value = float(expr.subs(OMEGA, sp.pi if w == math.pi else w))
        assert flt.snr_numeric(A_, B_, C_, 1.0, 1.0, w) == pytest.approx(value, rel=1e-10)


def test_latex_compiles(d, tmp_path, require_pdflatex):
    assert compile_pdf(d.latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys(d):
    data = json.loads(json.dumps(d.as_dict()))
    assert {"name", "title", "reference", "parameters", "symbols", "steps", "result",
            "assumptions"} <= set(data)
    assert data["name"] == "snr" and data["reference"] == "3192150"
    assert data["result"]["free_symbols"] == ["X", "a", "omega", "sigma"]


# ------------------------------------------------------------------ planted errors
# Each entry is a plausible wrong SNR built from the derived one (or the chapter's form); verify()
# must reject every one and accept every EQUIVALENT form.
ENDS = sp.Or(sp.Eq(OMEGA, 0), sp.Eq(OMEGA, sp.pi))


def _with_ends(generic, factor=2):
    return sp.Piecewise((factor * generic, ENDS), (generic, True))


PLANTED = [
    ("C9 no factor 2 at omega in {0, pi} (the chapter's form)", lambda R: CHAPTER),
    ("factor 2 at every omega", lambda R: 2 * CHAPTER),
    ("factor 2 at omega = 0 only, not at pi", lambda R: sp.Piecewise((2 * CHAPTER, sp.Eq(OMEGA, 0)), (CHAPTER, True))),
    ("1 + a^2 for 1 - a^2", lambda R: R.subs(1 - a**2, 1 + a**2)),
    ("sign of the cos term flipped", lambda R: R.subs(sp.cos(OMEGA), -sp.cos(OMEGA))),
    ("sigma for sigma^2 (right only at sigma = 1)", lambda R: R.subs(SIGMA, sp.sqrt(SIGMA))),
    ("X for X^2", lambda R: R.subs(X, sp.sqrt(X))),
    ("factor 1/2", lambda R: R / 2),
    ("+1%", lambda R: R * sp.Float(1.01)),
    ("-1%", lambda R: R * sp.Float(0.99)),
    ("noise variance sigma^2/(1 - a)^2 (right only at a = 0)",
     lambda R: _with_ends(X**2 * (1 - a)**2 / (2 * SIGMA**2 * (1 - 2 * a * sp.cos(OMEGA) + a**2)))),
    ("1 - |a| for 1 - a^2", lambda R: R.subs(1 - a**2, 1 - sp.Abs(a))),
    ("|a| for a (right only for a >= 0)", lambda R: R.subs(a, sp.Abs(a))),
    ("cos(2 omega) for cos(omega)", lambda R: _with_ends(CHAPTER.subs(sp.cos(OMEGA), sp.cos(2 * OMEGA)))),
    ("a fixed at 1/2 (right only at one parameter value)", lambda R: R.subs(a, sp.Rational(1, 2))),
    ("1 - a^2 + 1e-4 (right only away from |a| = 1)",
     lambda R: R.subs(1 - a**2, 1 - a**2 + sp.Float(1e-4))),
]

EQUIVALENT = [
    ("expanded", lambda R: sp.Piecewise(*[(sp.expand(v), c) for v, c in R.args])),
    ("half-angle denominator (1 - a)^2 + 4a sin^2(omega/2)",
     lambda R: R.subs(a**2 - 2 * a * sp.cos(OMEGA) + 1, (1 - a)**2 + 4 * a * sp.sin(OMEGA / 2)**2)),
    ("numerator factored (1 - a)(1 + a)", lambda R: R.subs(1 - a**2, (1 - a) * (1 + a))),
]


def test_at_least_twelve_planted_errors():
    assert len(PLANTED) >= 12 and len(EQUIVALENT) >= 2


@pytest.mark.parametrize("build", [b for _, b in PLANTED], ids=[i for i, _ in PLANTED])
def test_planted_error_is_rejected(d, build):
    wrong = build(d.result)
    assert wrong != d.result
    assert_rejected(d, wrong, 20)


@pytest.mark.parametrize("build", [b for _, b in EQUIVALENT], ids=[i for i, _ in EQUIVALENT])
def test_equivalent_form_is_accepted(d, build):
    same = build(d.result)
    assert same != d.result
    assert_accepted(d, same, 20)


# The band-pass float64 form is checked equal to the gain and the noise variance by SymPy (numerator and
# denominator each, every Piecewise branch): a wrong rewrite of either must stop the derivation.
@pytest.mark.parametrize("part", ["split", "variance"])
def test_a_wrong_float64_form_of_the_band_pass_snr_stops_the_derivation(monkeypatch, part):
    from rnnsym.registry import derivation_module
    snr = derivation_module("snr")
    if part == "split":   # sin(x + y) -> sin x cos y - cos x sin y: the sign of the second product flipped
        split = snr._split_sums

        def wrong(expr):
            second = sp.sin(OMEGA_0 / 2) * sp.cos(OMEGA / 2)
            return split(expr).xreplace({second: -second})
        monkeypatch.setattr(snr, "_split_sums", wrong)
    else:                 # the variance's float form off by a factor (1 + r^2)
        original = snr._stable_rational

        def wrong(expr, domain):
            form = original(expr, domain)
            return form * (1 + R**2) if expr.has(SIGMA) else form
        monkeypatch.setattr(snr, "_stable_rational", wrong)
    with pytest.raises(AssertionError, match="band-pass SNR differs"):
        snr._derive.__wrapped__()   # past the module's cache
