"""The gradient_norms derivation: the ordered Jacobian product, its bound, verification, output."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.gradients import T, gradient_norms, k
from rnnsym.latex import compile_pdf
from rnnsym.registry import derive
from tests.test_derivations._planted import assert_accepted, assert_rejected

KEYS = {"name", "title", "reference", "parameters", "symbols", "steps", "result", "assumptions"}


@pytest.fixture(scope="module")
def gradient() -> rs.derivation.Derivation:
    return derive("gradient_norms")


def textbook_product(d) -> sp.Matrix:
    W, (D1, D2, D3) = d.context["model"].W_h, d.context["diagonals"]
    return D3 * W * D2 * W * D1 * W


def test_product_equals_the_errata_order(gradient) -> None:
    assert sp.expand(gradient.result - textbook_product(gradient)) == sp.zeros(2, 2)


def test_chapter_order_is_not_the_product(gradient) -> None:
    W, (D1, D2, D3) = gradient.context["model"].W_h, gradient.context["diagonals"]
    chapter = W.T * D1 * W.T * D2 * W.T * D3
    assert sp.expand(gradient.result - chapter) != sp.zeros(2, 2)
    assert sp.expand(gradient.result.T - chapter) == sp.zeros(2, 2)


def test_bound_has_exponent_T_minus_k(gradient) -> None:
    c, norm = sp.Symbol("c", positive=True), sp.Symbol("norm(W_h)", positive=True)
    assert gradient.context["bound"] == (c * norm) ** (T - k)


def test_identity_activation_turns_the_product_into_a_power_of_W() -> None:
    d = derive("gradient_norms", horizon=3, activation="identity")
    W = d.context["model"].W_h
    assert sp.expand(d.result - W**3) == sp.zeros(2, 2)


def test_horizon_option_changes_the_number_of_factors() -> None:
    d = derive("gradient_norms", horizon=4, n=1)
    W = d.context["model"].W_h[0, 0]
    assert d.result[0, 0] == sp.Mul(W**4, *[s[0, 0] for s in d.context["diagonals"]])
    assert d.verify(max_examples=10).passed


def test_gradient_norms_verifies(gradient) -> None:
    report = gradient.verify(max_examples=20)
    assert report.passed, report.message


def test_verification_catches_the_chapter_order(gradient) -> None:
    W, (D1, D2, D3) = gradient.context["model"].W_h, gradient.context["diagonals"]
    chapter = sp.ImmutableMatrix(W.T * D1 * W.T * D2 * W.T * D3)
    assert_rejected(gradient, chapter, 20)


def test_verification_honours_substituted_weights(gradient) -> None:
    d = derive("gradient_norms", **{"W_h[0,1]": 0, "W_h[1,0]": 0})
    assert d.result[0, 1] == 0
    assert d.verify(max_examples=10).passed


def test_verification_honours_substituted_jordan_parameters() -> None:
    d = derive("gradient_norms", lam=sp.Rational(1, 2), s=3)
    assert d.verify(max_examples=10).passed


def test_too_long_horizon_is_refused_with_a_pointer_to_the_numeric_path() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="gradient_norms"):
        derive("gradient_norms", horizon=50)
    with pytest.raises(rs.InvalidArgumentError, match="horizon"):
        derive("gradient_norms", horizon=0)


# -- output ------------------------------------------------------------------------------
def test_json_has_the_design_keys() -> None:
    data = derive("gradient_norms").as_dict()
    assert KEYS <= set(data)
    json.dumps(data)


def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("gradient_norms").latex(standalone=True), tmp_path).exists()


# -- the numeric path the refusals point to (rnnsym.gradients.gradient_norms) ----------------
def test_long_horizon_gradient_norms_match_the_lyapunov_exponent() -> None:
    rng = np.random.default_rng(11)
    net = rs.RNN(rng.normal(size=(2, 2)) * 1.2, rng.normal(size=(2, 1)), [0.0, 0.1])
    result = gradient_norms(net, rng.normal(size=(10_000, 1)))
    assert np.isfinite(result.log_norms).all()
    assert result.growth_rate() == pytest.approx(result.lyapunov[0], abs=2e-3)


# -- planted errors --------------------------------------------------------------------------
# Wrong products built from the derivation's own symbols (W, and D_j = diag(phi'(a_{k+j}))), and
# wrong bounds planted in the context the verifier reads; verify() must reject every one and accept
# every EQUIVALENT form.
def _parts(d):
    W = d.context["model"].W_h
    D1, D2, D3 = d.context["diagonals"]
    return d.result, W, D1, D2, D3


def _all_d(d):
    return [D[i, i] for D in d.context["diagonals"] for i in range(D.rows)]


PLANTED = [
    ("C11 the chapter's W^T D_{k+1} ... W^T D_T", lambda R, W, D1, D2, D3: W.T * D1 * W.T * D2 * W.T * D3),
    ("W^T D_T ... W^T D_{k+1}", lambda R, W, D1, D2, D3: W.T * D3 * W.T * D2 * W.T * D1),
    ("earliest factor on the left", lambda R, W, D1, D2, D3: D1 * W * D2 * W * D3 * W),
    ("W before D: W D_T W D_{T-1} W D_{k+1}", lambda R, W, D1, D2, D3: W * D3 * W * D2 * W * D1),
    ("W^T for W", lambda R, W, D1, D2, D3: D3 * W.T * D2 * W.T * D1 * W.T),
    ("one factor short (T - k - 1)", lambda R, W, D1, D2, D3: D3 * W * D2 * W),
    ("one W too many (T - k + 1)", lambda R, W, D1, D2, D3: R * W),
    ("sign flipped", lambda R, W, D1, D2, D3: -R),
    ("factor 2", lambda R, W, D1, D2, D3: 2 * R),
    ("factor 1/2", lambda R, W, D1, D2, D3: R / 2),
    ("+1%", lambda R, W, D1, D2, D3: R * sp.Float(1.01)),
    ("-1%", lambda R, W, D1, D2, D3: R * sp.Float(0.99)),
    ("D squared (right only for relu and identity)", lambda R, W, D1, D2, D3: R.xreplace(
        {D[i, i]: D[i, i] ** 2 for D in (D1, D2, D3) for i in range(D.rows)})),
    ("W^3 (right only for the identity activation)", lambda R, W, D1, D2, D3: W**3),
    ("D_{k+1} at every step (right only at a fixed point)", lambda R, W, D1, D2, D3: D1 * W * D1 * W * D1 * W),
    ("units of D swapped (right only for D = dI)", lambda R, W, D1, D2, D3: R.xreplace(
        {D[i, i]: D[1 - i, 1 - i] for D in (D1, D2, D3) for i in range(2)})),
    ("W[0,1] dropped (right only for triangular W)", lambda R, W, D1, D2, D3: R.xreplace({W[0, 1]: 0})),
]

EQUIVALENT = [
    ("factored entries", lambda R, W, D1, D2, D3: R.applyfunc(sp.factor)),
    ("unexpanded product", lambda R, W, D1, D2, D3: D3 * (W * (D2 * (W * (D1 * W))))),
    ("transpose of the chapter's product", lambda R, W, D1, D2, D3: (W.T * D1 * W.T * D2 * W.T * D3).T),
]

c_, NORM = sp.Symbol("c", positive=True), sp.Symbol("norm(W_h)", positive=True)


def _frobenius(d):
    return sp.sqrt(sum(w**2 for w in d.context["model"].W_h))


def _radius(d):
    W = sp.Matrix(d.context["model"].W_h)
    return sp.Max(*[sp.Abs(v) for v in W.eigenvals()])


PLANTED_BOUNDS = [
    ("C12 exponent T for T - k", lambda d: (c_ * NORM) ** T),
    ("exponent T - k - 1", lambda d: (c_ * NORM) ** (T - k - 1)),
    ("exponent T - k + 1", lambda d: (c_ * NORM) ** (T - k + 1)),
    ("Frobenius norm for the spectral norm", lambda d: (c_ * _frobenius(d)) ** (T - k)),
    ("spectral radius for the spectral norm", lambda d: (c_ * _radius(d)) ** (T - k)),
    ("factor 2", lambda d: 2 * (c_ * NORM) ** (T - k)),
]


@pytest.fixture(scope="module")
def sigmoid_gradient() -> rs.derivation.Derivation:
    return derive("gradient_norms", activation="sigmoid")


def test_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12 and len(EQUIVALENT) >= 2 and len(PLANTED_BOUNDS) >= 6


@pytest.mark.parametrize("build", [b for _, b in PLANTED], ids=[i for i, _ in PLANTED])
def test_planted_error_is_rejected(gradient, build) -> None:
    wrong = sp.ImmutableMatrix(build(*_parts(gradient)))
    assert_rejected(gradient, wrong)


@pytest.mark.parametrize("build", [b for _, b in EQUIVALENT], ids=[i for i, _ in EQUIVALENT])
def test_equivalent_form_is_accepted(gradient, build) -> None:
    same = sp.ImmutableMatrix(build(*_parts(gradient)))
    assert_accepted(gradient, same)


def _with_bound(d, bound):
    return replace(d, context={**d.context, "bound": bound})


@pytest.mark.parametrize("build", [b for _, b in PLANTED_BOUNDS], ids=[i for i, _ in PLANTED_BOUNDS])
def test_planted_bound_is_rejected(gradient, build) -> None:
    report = _with_bound(gradient, build(gradient)).verify(max_examples=30, seed=0)
    assert not report.passed and report.counterexample is not None


@pytest.mark.parametrize("wrong", [NORM ** (T - k), (c_**2 * NORM) ** (T - k)], ids=["c = 1", "c^2 for c"])
def test_bound_right_only_for_tanh_is_rejected_for_sigmoid(gradient, sigmoid_gradient, wrong) -> None:
    assert _with_bound(gradient, wrong).verify(max_examples=30, seed=0).passed   # c = 1 = c^2 for tanh
    report = _with_bound(sigmoid_gradient, wrong).verify(max_examples=30, seed=0)
    assert not report.passed and report.counterexample is not None


def test_equivalent_bound_is_accepted(gradient) -> None:
    same = sp.Product(c_ * NORM, (sp.Symbol("t", integer=True), k + 1, T)).doit()
    assert _with_bound(gradient, sp.expand_power_base(same, force=True)).verify(max_examples=30, seed=0).passed
