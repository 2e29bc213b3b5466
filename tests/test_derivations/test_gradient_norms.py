"""The gradient_norms derivation: the ordered Jacobian product, its bound, verification, output."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.gradients import T, gradient_norms, k
from rnnsym.latex import compile_pdf
from rnnsym.registry import derive

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
    report = gradient.with_result(chapter).verify(max_examples=20)
    assert not report.passed and report.counterexample is not None


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
