"""The fixed_points derivation: the saddle-node curve, the count and slope steps, verification, output."""

from __future__ import annotations

import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive

w, b = sp.Symbol("w", real=True), sp.Symbol("b", real=True)


def _same(a: sp.Expr, c: sp.Expr, symbol: sp.Symbol, points: list[float]) -> bool:
    return all(abs(complex(sp.N((a - c).subs(symbol, sp.Rational(str(p))), 30))) < 1e-25 for p in points)


# -- (1) symbolic identity with the textbook / errata form ------------------------------
def test_saddle_node_bias_equals_the_errata_form():
    textbook = sp.sqrt(w * (w - 1)) - sp.acosh(sp.sqrt(w))
    issue_form = sp.sqrt(w * (w - 1)) - sp.atanh(sp.sqrt(1 - 1 / w))
    result = derive("fixed_points").result
    assert _same(result, textbook, w, [1.01, 1.5, 2, 3.7, 10])
    assert _same(result, issue_form, w, [1.2, 2, 5])
    assert abs(float(result.subs(w, 2)) - 0.532839975354) < 1e-12


def test_fixed_point_count_and_slope_steps_are_in_the_derivation():
    d = derive("fixed_points")
    count = [s.statement.rhs for s in d.steps if isinstance(s.statement.rhs, sp.Piecewise)][0]
    assert {arg.expr for arg in count.args} == {3, 2, 1}
    h = sp.Symbol("h_star", real=True)
    slope = d.context["dhdb"]
    assert sp.simplify(slope - (1 - h**2) / (1 - w * (1 - h**2))) == 0


# -- (2) verify passes, also with substituted parameters --------------------------------
def test_verify_passes_against_simulation():
    report = derive("fixed_points").verify(max_examples=10)
    assert report.passed, report.message


def test_verify_honours_substituted_parameters():
    d = derive("fixed_points", w=3)
    assert d.parameters
    assert d.verify(max_examples=10).passed


# -- (3) planted errors are caught ---------------------------------------------------
def test_planted_error_is_reported_with_a_counterexample():
    d = derive("fixed_points")
    report = d.with_result(1.1 * d.result).verify(max_examples=10)
    assert report.passed is False and report.counterexample is not None


# -- (4) LaTeX compiles; (5) JSON has the DESIGN keys --------------------------------
def test_latex_compiles(tmp_path, require_pdflatex):
    assert compile_pdf(derive("fixed_points").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys():
    data = derive("fixed_points").as_dict()
    assert set(data) >= {"name", "title", "reference", "parameters", "symbols", "steps", "result",
                         "assumptions"}
    assert json.loads(json.dumps(data))["name"] == "fixed_points"


def test_result_symbols_are_the_design_names():
    assert {s.name for s in derive("fixed_points").result.free_symbols} == {"w"}


# -- derived, not typed in: a modified model changes the result as predicted ----------
def test_doubling_the_recurrent_weight_moves_the_fold_to_b_c_of_2w():
    base = derive("fixed_points").result
    doubled = derivation_module("fixed_points").derive(model=rs.RNN([[2 * w]], [[0]], [b], "tanh")).result
    assert _same(doubled, base.subs(w, 2 * w), w, [0.6, 1.0, 2.5])


def test_scale_option_is_the_same_as_a_doubled_model():
    scaled = derive("fixed_points", scale=2).result
    doubled = derivation_module("fixed_points").derive(model=rs.RNN([[2 * w]], [[0]], [b], "tanh")).result
    assert _same(scaled, doubled, w, [0.6, 1.0, 2.5])
    with pytest.raises(rs.InvalidArgumentError, match="scale"):
        derive("fixed_points", scale="1/2")
