"""The sign_memory derivation: ``tanh(tanh(x_1))``, ReLU's zero, the decay law, verification, output."""

from __future__ import annotations

import json

import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive

x_1 = sp.Symbol("x_1", real=True)


# -- (1) symbolic identity with the textbook / errata form ------------------------------
def test_sign_memory_h2_is_tanh_tanh_and_relu_gives_zero():
    d = derive("sign_memory")
    assert d.result == sp.tanh(sp.tanh(x_1))
    relu_step = d.steps[1].statement
    assert relu_step.rhs == 0
    assert d.context["decay"].equals(sp.sqrt(sp.Rational(3, 2) / sp.Symbol("t", positive=True)))
    assert set(d.context["keeps"]) == {"tanh", "leaky_relu", "hard_tanh", "softsign", "identity"}
    assert "sigmoid" in d.context["injective"] and "relu" not in d.context["injective"]


# -- (2) verify passes, also with substituted parameters --------------------------------
def test_verify_passes_against_simulation():
    report = derive("sign_memory").verify(max_examples=10)
    assert report.passed, report.message


def test_verify_honours_substituted_parameters():
    d = derive("sign_memory", x_1=-2)
    assert d.parameters
    assert d.verify(max_examples=10).passed


# -- (3) planted errors are caught ---------------------------------------------------
def test_planted_error_is_reported_with_a_counterexample():
    d = derive("sign_memory")
    report = d.with_result(sp.tanh(x_1)).verify(max_examples=10)
    assert report.passed is False and report.counterexample is not None


# -- (4) LaTeX compiles; (5) JSON has the DESIGN keys --------------------------------
def test_latex_compiles(tmp_path, require_pdflatex):
    assert compile_pdf(derive("sign_memory").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys():
    data = derive("sign_memory").as_dict()
    assert set(data) >= {"name", "title", "reference", "parameters", "symbols", "steps", "result",
                         "assumptions"}
    assert json.loads(json.dumps(data))["name"] == "sign_memory"


def test_result_symbols_are_the_design_names():
    assert {s.name for s in derive("sign_memory").result.free_symbols} == {"x_1"}


# -- derived, not typed in: a modified model changes the result as predicted ----------
def test_leaky_relu_slope_and_flipped_input_change_the_sign_memory_result():
    mod = derivation_module("sign_memory")
    leaky = mod.derive(model=rs.RNN([[1]], [[1]], [0], rs.get_activation("leaky_relu", slope="1/10")))
    assert leaky.result.subs(x_1, -3) == sp.Rational(-3, 100)
    flipped = mod.derive(model=rs.RNN([[1]], [[-1]], [0], "relu")).result
    assert flipped.subs(x_1, -3) == 3
