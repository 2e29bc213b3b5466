"""The sign_memory derivation: ``tanh(tanh(x_1))``, ReLU's zero, the decay law, verification, output."""

from __future__ import annotations

import functools
import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive
from tests.test_derivations._planted import assert_accepted, assert_rejected

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
    assert_rejected(d, sp.tanh(x_1), 10)


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


# -- planted errors: each plausible wrong h_2 is rejected; equal forms are accepted ----------------
@functools.cache
def _derived(activation: str = "tanh") -> rs.derivation.Derivation:
    return derive("sign_memory", activation=activation)


def _case(activation: str, build) -> tuple[rs.derivation.Derivation, sp.Expr]:
    d = _derived(activation)
    return d, build(d)


def _inner(d: rs.derivation.Derivation) -> sp.Expr:
    """``h_1 = phi(x_1)``: the argument of the outer ``phi`` in ``h_2 = phi(h_1)``."""
    return d.result.args[0]


PLANTED = [
    pytest.param("tanh", lambda d: _inner(d), id="one-step-h_1-for-h_2"),
    pytest.param("tanh", lambda d: d.result.subs(x_1, sp.tanh(x_1)), id="three-steps-h_3"),
    pytest.param("tanh", lambda d: -d.result, id="sign-flip"),
    pytest.param("tanh", lambda d: 2 * d.result, id="factor-2"),
    pytest.param("tanh", lambda d: d.result / 2, id="factor-half"),
    pytest.param("tanh", lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param("tanh", lambda d: d.result * 0.99, id="minus-1pct"),
    pytest.param("tanh", lambda d: d.result * (1 + sp.Float("1e-14")), id="plus-1e-14"),
    pytest.param("tanh", lambda d: d.result.subs(_inner(d), _inner(d) ** 2), id="inner-squared"),
    pytest.param("tanh", lambda d: 0 * d.result, id="relu-claim-zero-for-tanh"),
    pytest.param("tanh", lambda d: sp.series(d.result, x_1, 0, 2).removeO(), id="linearised-right-near-0"),
    pytest.param("tanh", lambda d: sp.series(d.result, x_1, 0, 4).removeO(), id="cubic-series-right-near-0"),
    pytest.param("tanh", lambda d: d.result.subs(_inner(d), _inner(d) + x_1), id="input-held-at-t-2"),
    pytest.param("tanh", lambda d: d.result.replace(sp.tanh, lambda a: 1 / (1 + sp.exp(-a))), id="sigmoid-for-tanh"),
    pytest.param("tanh", lambda d: -d.context["decay"].subs(sp.Symbol("t", positive=True), 2) + 0 * x_1,
                 id="asymptotic-law-at-t-2"),
    pytest.param("softsign", lambda d: _derived("tanh").result, id="tanh-form-for-softsign"),
    pytest.param("hard_tanh", lambda d: _derived("tanh").result, id="tanh-form-for-hard-tanh"),
    pytest.param("relu", lambda d: 0 * d.result, id="relu-zero-right-only-for-negative-pulses"),
]

EQUIVALENT = [
    pytest.param("tanh", lambda d: d.result.replace(sp.tanh, lambda a: sp.sinh(a) / sp.cosh(a)), id="sinh-over-cosh"),
    pytest.param("tanh", lambda d: -d.result.subs(x_1, -x_1), id="odd-symmetry"),
    pytest.param("softsign", lambda d: sp.simplify(d.result), id="softsign-simplified"),
    pytest.param("relu", lambda d: (x_1 + sp.Abs(x_1)) / 2, id="relu-as-abs"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize(("activation", "wrong"), PLANTED)
def test_planted_error_is_rejected(activation: str, wrong) -> None:
    d, expr = _case(activation, wrong)
    assert_rejected(d, expr)


@pytest.mark.parametrize(("activation", "same"), EQUIVALENT)
def test_equivalent_form_is_accepted(activation: str, same) -> None:
    d, expr = _case(activation, same)
    assert_accepted(d, expr)
