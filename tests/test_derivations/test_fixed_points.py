"""The fixed_points derivation: the saddle-node curve, the count and slope steps, verification, output."""

from __future__ import annotations

import functools
import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive
from tests.test_derivations._planted import assert_accepted, assert_rejected

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
    count = next(s.statement.rhs for s in d.steps if isinstance(s.statement.rhs, sp.Piecewise))
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
    assert_rejected(d, 1.1 * d.result, 10)


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


# -- planted errors: each plausible wrong fold bias is rejected; equal forms are accepted ----------
@functools.cache
def _derived(scale: int = 1) -> rs.derivation.Derivation:
    return derive("fixed_points", scale=scale)


def _case(scale: int, build) -> tuple[rs.derivation.Derivation, sp.Expr]:
    d = _derived(scale)
    return d, build(d)


def _fold_h(d: rs.derivation.Derivation) -> sp.Expr:
    """``|h*|`` at the fold, ``sqrt((w - 1)/w)`` (the atanh's argument in ``b_c``)."""
    return next(iter(d.result.atoms(sp.atanh))).args[0]


def _first(d: rs.derivation.Derivation) -> sp.Expr:
    """The algebraic term ``w sqrt((w - 1)/w)`` of ``b_c`` (the other is ``-atanh(...)``)."""
    return d.result + next(iter(d.result.atoms(sp.atanh)))


PLANTED = [
    pytest.param(1, lambda d: -d.result, id="sign-flip"),
    pytest.param(1, lambda d: 2 * d.result, id="factor-2"),
    pytest.param(1, lambda d: d.result / 2, id="factor-half"),
    pytest.param(1, lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param(1, lambda d: d.result * 0.99, id="minus-1pct"),
    pytest.param(1, lambda d: d.result * (1 + sp.Float("1e-9")), id="plus-1e-9"),
    pytest.param(1, lambda d: 1.03 * d.result, id="plus-3pct-the-old-bracket"),
    pytest.param(1, lambda d: _first(d), id="algebraic-term-only"),
    pytest.param(1, lambda d: _first(d) - d.result, id="atanh-term-only"),
    pytest.param(1, lambda d: 2 * _first(d) - d.result, id="sum-not-difference"),
    pytest.param(1, lambda d: d.result.subs(w, w + 1), id="w-off-by-one"),
    pytest.param(1, lambda d: d.result.subs(sp.atanh(_fold_h(d)), sp.atanh(_fold_h(d) ** 2)), id="atanh-of-h-squared"),
    pytest.param(1, lambda d: d.result.subs(_first(d), _first(d) ** 2), id="algebraic-term-squared"),
    pytest.param(1, lambda d: d.result.subs(w, 2) + 0 * w, id="right-only-at-w-2"),
    pytest.param(1, lambda d: sp.series(d.result, w, 1, 2).removeO(), id="cusp-term-right-only-near-w-1"),
    pytest.param(1, lambda d: -_fold_h(d), id="fold-position-for-fold-bias"),
    pytest.param(1, lambda d: d.result.subs(w, 2 * w), id="doubled-unit-for-unit"),
    pytest.param(2, lambda d: _derived(1).result, id="unscaled-fold-for-scale-2"),
]

EQUIVALENT = [
    # the errata's sqrt(w(w-1)) - acosh(sqrt(w)) with acosh x = log(x + sqrt(x^2 - 1)) written out: acosh
    # itself loses digits next to 1 (acosh' = 1/sqrt(x^2 - 1)), so its float kernel is 75 times over the
    # stated bound at the cusp w = 1 + 1e-6, and verify rejects that kernel
    pytest.param(1, lambda d: sp.sqrt(w * (w - 1)) - sp.log(sp.sqrt(w) + sp.sqrt(w - 1)),
                 id="errata-form-acosh-as-log"),
    pytest.param(1, lambda d: d.result.rewrite(sp.log), id="atanh-as-logs"),
    pytest.param(1, lambda d: d.numeric_form(d.result), id="the-numeric-cusp-form"),
    pytest.param(2, lambda d: _derived(1).result.subs(w, 2 * w), id="scale-2-as-doubled-weight"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize(("scale", "wrong"), PLANTED)
def test_planted_error_is_rejected(scale: int, wrong) -> None:
    d, expr = _case(scale, wrong)
    assert_rejected(d, expr)


@pytest.mark.parametrize(("scale", "same"), EQUIVALENT)
def test_equivalent_form_is_accepted(scale: int, same) -> None:
    d, expr = _case(scale, same)
    assert_accepted(d, expr)
