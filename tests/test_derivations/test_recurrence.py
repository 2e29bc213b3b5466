"""The recurrence derivation: derived, verified, and able to fail."""

from __future__ import annotations

import functools
import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from tests.test_derivations._planted import assert_accepted, assert_rejected


def test_result_is_D_t_times_W_h_entry_by_entry() -> None:
    d = rs.derive("recurrence")
    net = d.context["model"]
    a = net.preactivation()
    textbook = sp.Matrix(2, 2, lambda i, j: (1 - sp.tanh(a[i]) ** 2) * net.W_h[i, j])
    assert (d.result - textbook).applyfunc(lambda e: sp.simplify(e.rewrite(sp.exp))) == sp.zeros(2, 2)


def test_verification_against_simulation_passes() -> None:
    report = rs.derive("recurrence").verify(max_examples=30)
    assert report.passed, report.message
    # each error is divided by its stated bound (truncation + rounding): the worst must stay below 1
    assert report.examples >= 30 and report.worst_error < 1


def test_planted_error_W_h_instead_of_D_W_h_is_caught_with_a_counterexample() -> None:
    d = rs.derive("recurrence")
    report = d.with_result(d.context["model"].W_h).verify(max_examples=30)
    assert not report.passed
    assert report.counterexample is not None and "counterexample" in report.message


def test_planted_error_transposed_jacobian_is_caught() -> None:
    d = rs.derive("recurrence")
    assert not d.with_result(d.result.T).verify(max_examples=30).passed


def test_result_follows_the_model_not_a_typed_formula() -> None:
    identity = rs.derive("recurrence", n=1, activation="identity")
    assert identity.result == identity.context["model"].W_h
    relu = rs.derive("recurrence", n=1, activation="relu")
    assert relu.result[0, 0].has(sp.Heaviside)
    assert rs.derive("recurrence", n=3).result.shape == (3, 3)


def test_substituted_parameters_reach_steps_result_and_verification() -> None:
    d = rs.derive("recurrence", n=1, **{"W_h[0,0]": "1/2", "b[0]": "0"})
    names = {s.name for s in d.result.free_symbols}
    assert "W_h[0,0]" not in names and "b[0]" not in names
    assert d.as_dict()["parameters"] == {"W_h[0,0]": "1/2", "b[0]": "0"}
    assert d.verify(max_examples=15).passed


def test_json_has_the_stable_keys_and_round_trips_srepr() -> None:
    data = json.loads(rs.derive("recurrence").to_json())
    assert set(data) >= {"name", "title", "reference", "parameters", "symbols", "steps",
                         "result", "assumptions"}
    assert set(data["result"]) >= {"latex", "srepr", "free_symbols"}
    assert all(set(s) == {"statement", "display", "relation", "justification", "justification_text"}
               for s in data["steps"])
    rebuilt = sp.parse_expr(data["result"]["srepr"], local_dict={"sech": sp.sech})
    assert sp.Matrix(rebuilt) == rs.derive("recurrence").result


def test_standalone_latex_compiles(require_pdflatex: None, tmp_path) -> None:
    pdf = compile_pdf(rs.derive("recurrence").latex(standalone=True), tmp_path)
    assert pdf.exists() and pdf.stat().st_size > 1000


# -- planted errors: each plausible wrong Jacobian is rejected; equal forms are accepted -----
@functools.cache
def _derived(activation: str = "tanh") -> rs.derivation.Derivation:
    return rs.derive("recurrence", activation=activation)


def _parts(d: rs.derivation.Derivation) -> tuple[sp.Matrix, sp.Matrix, rs.RNN]:
    """``D_t`` and ``W_h`` of the derivation's model (the result is ``D_t W_h``)."""
    net = d.context["model"]
    return sp.Matrix(net.D()), sp.Matrix(net.W_h), net


def _sech_squared(d: rs.derivation.Derivation, replacement) -> sp.Matrix:
    """The result with every ``sech(a)**2`` replaced by ``replacement(a)``."""
    return d.result.replace(lambda e: e.is_Pow and e.exp == 2 and isinstance(e.base, sp.sech),
                            lambda e: replacement(e.base.args[0]))


def _at(d: rs.derivation.Derivation, names: str, value: float = 0) -> sp.Matrix:
    return d.result.subs({s: value for s in d.result.free_symbols if s.name.startswith(names)})


PLANTED = [
    pytest.param("tanh", lambda d: _parts(d)[1], id="W_h-without-D"),
    pytest.param("tanh", lambda d: d.result.T, id="transposed"),
    pytest.param("tanh", lambda d: _parts(d)[1] * _parts(d)[0], id="order-W_h-D"),
    pytest.param("tanh", lambda d: -d.result, id="sign-flip"),
    pytest.param("tanh", lambda d: 2 * d.result, id="factor-2"),
    pytest.param("tanh", lambda d: d.result / 2, id="factor-half"),
    pytest.param("tanh", lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param("tanh", lambda d: d.result * 0.99, id="minus-1pct"),
    pytest.param("tanh", lambda d: d.result * (1 + sp.Float("1e-9")), id="plus-1e-9"),
    pytest.param("tanh", lambda d: _sech_squared(d, sp.sech), id="sech-not-squared"),
    pytest.param("tanh", lambda d: _parts(d)[0] * d.result, id="D-squared"),
    # D_{t-1}: phi' at a_{t-1}, i.e. 1 - h_{t-1}^2 for tanh (t vs t-1)
    pytest.param("tanh", lambda d: sp.Matrix(2, 2, lambda i, j: d.result[i, j].subs(
        sp.sech(_parts(d)[2].preactivation()[i]) ** 2, 1 - _parts(d)[2].h_prev[i] ** 2)), id="D-at-t-1"),
    pytest.param("tanh", lambda d: _at(d, "b["), id="right-only-at-b-0"),
    pytest.param("tanh", lambda d: _at(d, "x["), id="right-only-at-x-0"),
    pytest.param("tanh", lambda d: d.result.multiply_elementwise(sp.eye(2)), id="right-only-for-diagonal-W_h"),
    pytest.param("sigmoid", lambda d: _derived("tanh").result, id="tanh-form-for-sigmoid"),
    pytest.param("softsign", lambda d: _derived("tanh").result, id="tanh-form-for-softsign"),
    pytest.param("relu", lambda d: _parts(d)[1], id="relu-right-only-where-active"),
]

EQUIVALENT = [
    pytest.param("tanh", lambda d: _sech_squared(d, lambda a: 1 - sp.tanh(a) ** 2), id="one-minus-tanh-squared"),
    pytest.param("tanh", lambda d: _sech_squared(d, lambda a: 1 / sp.cosh(a) ** 2), id="one-over-cosh-squared"),
    pytest.param("tanh", lambda d: d.result.applyfunc(sp.expand), id="expanded"),
    pytest.param("tanh", lambda d: (_parts(d)[1].T * _parts(d)[0]).T, id="transpose-of-W_h^T-D"),
    pytest.param("sigmoid", lambda d: d.result.applyfunc(lambda e: e.rewrite(sp.exp)), id="sigmoid-in-exp"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize(("activation", "wrong"), PLANTED)
def test_planted_error_is_rejected(activation: str, wrong) -> None:
    d = _derived(activation)
    assert_rejected(d, sp.ImmutableMatrix(wrong(d)))


@pytest.mark.parametrize(("activation", "same"), EQUIVALENT)
def test_equivalent_form_is_accepted(activation: str, same) -> None:
    d = _derived(activation)
    assert_accepted(d, sp.ImmutableMatrix(same(d)))
