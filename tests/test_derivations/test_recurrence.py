"""The recurrence derivation: derived, verified, and able to fail."""

from __future__ import annotations

import json

import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf


def test_result_is_D_t_times_W_h_entry_by_entry() -> None:
    d = rs.derive("recurrence")
    net = d.context["model"]
    a = net.preactivation()
    textbook = sp.Matrix(2, 2, lambda i, j: (1 - sp.tanh(a[i]) ** 2) * net.W_h[i, j])
    assert (d.result - textbook).applyfunc(lambda e: sp.simplify(e.rewrite(sp.exp))) == sp.zeros(2, 2)


def test_verification_against_simulation_passes() -> None:
    report = rs.derive("recurrence").verify(max_examples=30)
    assert report.passed, report.message
    assert report.examples >= 30 and report.worst_error < 1e-6


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
    assert all(set(s) == {"statement", "justification"} for s in data["steps"])
    rebuilt = sp.parse_expr(data["result"]["srepr"], local_dict={"sech": sp.sech})
    assert sp.Matrix(rebuilt) == rs.derive("recurrence").result


def test_standalone_latex_compiles(require_pdflatex: None, tmp_path) -> None:
    pdf = compile_pdf(rs.derive("recurrence").latex(standalone=True), tmp_path)
    assert pdf.exists() and pdf.stat().st_size > 1000
