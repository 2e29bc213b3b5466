"""The half_life derivation: ``ln 2 / -ln rho``, the inverse design, verification, output."""

from __future__ import annotations

import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive
from rnnsym.stability import half_life_expr
from rnnsym.symbols import RHO, TAU

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
    report = d.with_result(sp.log(2) / (1 - RHO)).verify(max_examples=10)
    assert report.passed is False and report.counterexample is not None


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
