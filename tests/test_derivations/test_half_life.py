"""The half_life derivation: ``ln 2 / -ln rho``, the inverse design, verification, output."""

from __future__ import annotations

import json

import pytest
import sympy as sp
from sympy.codegen.cfunctions import log1p

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive
from rnnsym.stability import half_life_expr
from rnnsym.symbols import RHO, TAU
from tests.test_derivations._planted import assert_accepted, assert_rejected

w, b = sp.Symbol("w", real=True), sp.Symbol("b", real=True)


# -- (1) symbolic identity with the textbook / errata form ------------------------------
def test_half_life_equals_ln2_over_minus_ln_rho_and_design_is_two_to_minus_one_over_tau():
    d = derive("half_life")
    assert sp.simplify(d.result - sp.log(2) / (-sp.log(RHO))) == 0
    assert sp.simplify(d.context["w_design"] - 2 ** (-1 / TAU)) == 0
    assert sp.simplify(d.result - half_life_expr()) == 0


def test_result_is_in_the_packages_shared_rho_and_tau():
    d = derive("half_life")
    assert d.result.free_symbols == {RHO}
    assert d.context["w_design"].free_symbols == {TAU}


def test_rho_outside_zero_one_is_refused_by_the_derivation_and_its_kernel():
    with pytest.raises(rs.DomainError, match="rho"):
        derive("half_life", rho="-1/2")
    with pytest.raises(rs.DomainError, match="rho"):
        derive("half_life", rho="3/2")
    with pytest.raises(rs.DomainError):
        derive("half_life").kernel(-0.5)


# -- (2) verify passes, also with substituted parameters --------------------------------
def test_verify_passes_against_simulation():
    report = derive("half_life").verify(max_examples=10)
    assert report.passed, report.message


def test_verify_honours_substituted_parameters():
    d = derive("half_life", rho="1/2")
    assert d.parameters
    assert d.verify(max_examples=10).passed


# -- (3) planted errors are caught ---------------------------------------------------
def test_planted_error_is_reported_with_a_counterexample():
    d = derive("half_life")
    assert_rejected(d, sp.log(2) / (1 - RHO), 10)


# -- (4) LaTeX compiles; (5) JSON has the DESIGN keys --------------------------------
def test_latex_compiles(tmp_path, require_pdflatex):
    assert compile_pdf(derive("half_life").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys():
    data = derive("half_life").as_dict()
    assert set(data) >= {"name", "title", "reference", "parameters", "symbols", "steps", "result",
                         "assumptions"}
    assert json.loads(json.dumps(data))["name"] == "half_life"


def test_result_symbols_are_the_design_names():
    assert {s.name for s in derive("half_life").result.free_symbols} == {"rho"}


# -- derived, not typed in: a modified model changes the result as predicted ----------
def test_doubling_the_weight_halves_the_designed_half_life_weight():
    mod = derivation_module("half_life")
    doubled = mod.derive(model=rs.RNN([[2 * w]], [[0]], [b], "tanh")).context["w_design"]
    assert sp.simplify(doubled - 2 ** (-1 / TAU) / 2) == 0


# -- planted errors: each plausible wrong half-life is rejected; equal forms are accepted ------
@pytest.fixture(scope="module")
def half_life() -> rs.derivation.Derivation:
    return derive("half_life")


PLANTED = [
    pytest.param(lambda d: -d.result, id="sign-flip-negative"),
    pytest.param(lambda d: d.result.subs(sp.log(RHO), sp.log(RHO, 10)), id="log10-of-rho-with-ln2"),
    pytest.param(lambda d: d.result.subs(sp.log(2), 1), id="e-folding-time-not-half-life"),
    pytest.param(lambda d: 2 * d.result, id="factor-2"),
    pytest.param(lambda d: d.result / 2, id="factor-half"),
    pytest.param(lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param(lambda d: d.result * 0.99, id="minus-1pct"),
    pytest.param(lambda d: d.result * (1 + sp.Float("1e-9")), id="plus-1e-9"),
    pytest.param(lambda d: d.result + 1, id="off-by-one-step-t-1"),
    pytest.param(lambda d: d.result - 1, id="off-by-one-step-t+1"),
    pytest.param(lambda d: d.result.subs(RHO, RHO ** 2), id="rho-squared"),
    pytest.param(lambda d: d.result.subs(RHO, sp.sqrt(RHO)), id="sqrt-rho"),
    pytest.param(lambda d: d.result.subs(sp.log(RHO), RHO - 1), id="first-order-log-right-only-near-1"),
    pytest.param(lambda d: d.result.subs(RHO, 1 - RHO), id="one-minus-rho-right-only-at-half"),
    pytest.param(lambda d: d.result.subs(RHO, sp.Rational(1, 2)) + 0 * RHO, id="constant-right-only-at-half"),
    pytest.param(lambda d: d.context["w_design"].subs(TAU, RHO), id="design-formula-for-half-life"),
]

EQUIVALENT = [
    pytest.param(lambda d: -1 / sp.log(RHO, 2), id="log-base-2"),
    pytest.param(lambda d: d.result.subs({sp.log(2): sp.log(2, 10), sp.log(RHO): sp.log(RHO, 10)}),
                 id="log10-throughout"),
    pytest.param(lambda d: sp.log(sp.Rational(1, 2)) / sp.log(RHO), id="log-one-half"),
    pytest.param(lambda d: d.result.subs(sp.log(RHO), log1p(RHO - 1)), id="log1p"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize("wrong", PLANTED)
def test_planted_error_is_rejected(half_life, wrong) -> None:
    assert_rejected(half_life, wrong(half_life))


@pytest.mark.parametrize("same", EQUIVALENT)
def test_equivalent_form_is_accepted(half_life, same) -> None:
    assert_accepted(half_life, same(half_life))
