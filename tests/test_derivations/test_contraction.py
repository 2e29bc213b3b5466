"""The contraction derivation: ``q = ||W_h||_2 L_phi``, verification, output, modified models."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive
from tests.test_derivations._planted import assert_accepted, assert_rejected

L_phi = sp.Symbol("L_phi", positive=True)


# -- (1) symbolic identity with the textbook / errata form ------------------------------
def test_contraction_factor_equals_spectral_norm_times_lipschitz():
    d = derive("contraction")
    W = rs.RNN.symbolic(2, 1).W_h
    for values in ([0.5, 0.3, -0.2, 0.4], [0.9, 1.0, 0.0, 0.9], [-1.0, 2.0, 3.0, 0.5]):
        subs = dict(zip(W, values))
        expected = np.linalg.norm(np.array(values).reshape(2, 2), 2)
        assert float(d.result.subs(subs).subs(L_phi, 1)) == pytest.approx(expected, rel=1e-12)
    assert derive("contraction", n=1).result == L_phi * sp.Abs(sp.Symbol("W_h[0,0]", real=True))


# -- (2) verify passes, also with substituted parameters --------------------------------
def test_verify_passes_against_simulation():
    report = derive("contraction").verify(max_examples=10)
    assert report.passed, report.message


def test_verify_honours_substituted_parameters():
    d = derive("contraction", L_phi="1")
    assert d.parameters
    assert d.verify(max_examples=10).passed


# -- (3) planted errors are caught ---------------------------------------------------
def test_planted_error_is_reported_with_a_counterexample():
    d = derive("contraction")
    assert_rejected(d, d.result / 2, 10)


# -- (4) LaTeX compiles; (5) JSON has the DESIGN keys --------------------------------
def test_latex_compiles(tmp_path, require_pdflatex):
    assert compile_pdf(derive("contraction").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys():
    data = derive("contraction").as_dict()
    assert set(data) >= {"name", "title", "reference", "parameters", "symbols", "steps", "result",
                         "assumptions"}
    assert json.loads(json.dumps(data))["name"] == "contraction"


def test_result_symbols_are_the_design_names():
    assert "L_phi" in {s.name for s in derive("contraction").result.free_symbols}


# -- derived, not typed in: a modified model changes the result as predicted ----------
def test_doubling_w_h_doubles_the_contraction_factor():
    mod = derivation_module("contraction")
    net = rs.RNN.symbolic(2, 1)
    doubled = mod.derive(model=rs.RNN(2 * net.W_h, net.W_x, net.b)).result
    base = derive("contraction").result
    vals = dict(zip(net.W_h, [0.3, -0.4, 0.5, 0.1]))
    assert float(doubled.subs(vals).subs(L_phi, 1)) == pytest.approx(2 * float(base.subs(vals).subs(L_phi, 1)))


# -- planted errors: each plausible wrong contraction factor is rejected; equal forms are accepted --
@functools.cache
def _derived() -> rs.derivation.Derivation:
    return derive("contraction")


def _W(d: rs.derivation.Derivation) -> sp.Matrix:
    return sp.Matrix(d.context["model"].W_h)


def _gram_eigenvalues(d: rs.derivation.Derivation) -> list[sp.Expr]:
    """``sigma_1^2, sigma_2^2`` as SymPy gives them (the result is ``L_phi sqrt(sigma_1^2)``)."""
    largest = (d.result / L_phi) ** 2
    trace = (_W(d).T * _W(d)).trace()
    return [largest, sp.expand(trace - largest)]


def _norm(d: rs.derivation.Derivation) -> sp.Expr:
    return d.result / L_phi


def _radius(d: rs.derivation.Derivation) -> sp.Expr:
    """``rho(W_h) L_phi`` (the chapter's 'rho(J) < 1 is sufficient', correction C2)."""
    a, b, c, e = _W(d)
    disc = sp.sqrt((a - e) ** 2 + 4 * b * c)   # eigenvalues (a + e +- disc)/2, maybe complex
    return L_phi * sp.Max(sp.Abs((a + e + disc) / 2), sp.Abs((a + e - disc) / 2))


PLANTED = [
    pytest.param(lambda d: L_phi * sp.sqrt((_W(d).T * _W(d)).trace()), id="frobenius-norm"),
    pytest.param(_radius, id="spectral-radius-not-norm"),
    pytest.param(lambda d: L_phi * sp.Max(*[sum(sp.Abs(x) for x in _W(d).row(i)) for i in range(2)]),
                 id="infinity-norm"),
    pytest.param(lambda d: L_phi * sp.Max(*[sum(sp.Abs(x) for x in _W(d).col(j)) for j in range(2)]), id="one-norm"),
    pytest.param(lambda d: L_phi * sp.Max(*[sp.Abs(x) for x in _W(d)]), id="largest-entry"),
    pytest.param(lambda d: L_phi * sp.sqrt(_gram_eigenvalues(d)[1]), id="smallest-singular-value"),
    pytest.param(lambda d: L_phi * _norm(d) ** 2, id="norm-squared"),
    pytest.param(lambda d: L_phi * sp.sqrt(_norm(d)), id="sqrt-of-norm"),
    pytest.param(lambda d: _norm(d), id="no-L_phi-right-only-for-L-1"),
    pytest.param(lambda d: L_phi ** 2 * _norm(d), id="L_phi-squared"),
    pytest.param(lambda d: 2 * d.result, id="factor-2"),
    pytest.param(lambda d: d.result / 2, id="factor-half"),
    pytest.param(lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param(lambda d: d.result * 0.99, id="minus-1pct"),
    pytest.param(lambda d: d.result * (1 + sp.Float("1e-12")), id="plus-1e-12"),
    pytest.param(lambda d: d.result.subs(_W(d)[0, 1], 0), id="right-only-for-lower-triangular"),
    pytest.param(lambda d: L_phi * sp.Abs(_W(d).det()) / _norm(d), id="det-over-norm-is-sigma_2"),
    pytest.param(lambda d: L_phi * sp.Max(*[sp.Abs(ev) for ev in ((_W(d) + _W(d).T) / 2).eigenvals()]),
                 id="symmetric-part-right-only-for-symmetric-W"),
]

EQUIVALENT = [
    pytest.param(lambda d: d.numeric_form(d.result) if d.numeric_form else d.result, id="the-numeric-hypot-form"),
    pytest.param(lambda d: d.numeric_form(d.result).subs({_W(d)[0, 1]: _W(d)[1, 0], _W(d)[1, 0]: _W(d)[0, 1]},
                                                        simultaneous=True), id="norm-of-the-transpose"),
    pytest.param(lambda d: L_phi * d.steps[4].statement.rhs, id="split-sqrt-form"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize("wrong", PLANTED)
def test_planted_error_is_rejected(wrong) -> None:
    d = _derived()
    assert_rejected(d, wrong(d))


@pytest.mark.parametrize("same", EQUIVALENT)
def test_equivalent_form_is_accepted(same) -> None:
    d = _derived()
    assert_accepted(d, same(d))


def test_the_raw_closed_form_loses_digits_near_a_scaled_rotation() -> None:
    # sqrt((T + sqrt(T^2 - 4 det^2))/2) cancels when the singular values are close; the kernel compiles
    # the hypot form instead, and verify, which draws near-rotations, rejects the raw form's kernel
    d = _derived()
    assert not d.with_result(d.result).verify(max_examples=30).passed
