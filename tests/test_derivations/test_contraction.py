"""The contraction derivation: ``q = ||W_h||_2 L_phi``, verification, output, modified models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_module, derive

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
    report = d.with_result(d.result / 2).verify(max_examples=10)
    assert report.passed is False and report.counterexample is not None


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
