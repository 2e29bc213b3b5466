"""Claims about the fixed_points, half_life, sign_memory and contraction derivations."""

from __future__ import annotations

import json
import os

import pytest
import sympy as sp

import rnnsym as rs
import rnnsym.stability
from rnnsym.latex import compile_pdf, pdflatex_available
from rnnsym.registry import derivation_module, derive

NAMES = ["fixed_points", "half_life", "sign_memory", "contraction"]
w, b = sp.Symbol("w", real=True), sp.Symbol("b", real=True)
rho, tau = sp.Symbol("rho", real=True), sp.Symbol("tau", positive=True)
x_1 = sp.Symbol("x_1", real=True)
L_phi = sp.Symbol("L_phi", positive=True)


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


def test_half_life_equals_ln2_over_minus_ln_rho_and_design_is_two_to_minus_one_over_tau():
    d = derive("half_life")
    assert sp.simplify(d.result - sp.log(2) / (-sp.log(rho))) == 0
    assert sp.simplify(d.context["w_design"] - 2 ** (-1 / tau)) == 0
    assert sp.simplify(d.result.subs(rho, rnnsym.stability.RHO) - rnnsym.stability.half_life_expr()) == 0


def test_sign_memory_h2_is_tanh_tanh_and_relu_gives_zero():
    d = derive("sign_memory")
    assert d.result == sp.tanh(sp.tanh(x_1))
    relu_step = d.steps[1].statement
    assert relu_step.rhs == 0
    assert d.context["decay"].equals(sp.sqrt(sp.Rational(3, 2) / sp.Symbol("t", positive=True)))
    assert set(d.context["keeps"]) == {"tanh", "leaky_relu", "hard_tanh", "softsign", "identity"}
    assert "sigmoid" in d.context["injective"] and "relu" not in d.context["injective"]


def test_contraction_factor_equals_spectral_norm_times_lipschitz():
    d = derive("contraction")
    W = rs.RNN.symbolic(2, 1).W_h
    import numpy as np

    for values in ([0.5, 0.3, -0.2, 0.4], [0.9, 1.0, 0.0, 0.9], [-1.0, 2.0, 3.0, 0.5]):
        subs = dict(zip(W, values))
        expected = np.linalg.norm(np.array(values).reshape(2, 2), 2)
        assert float(d.result.subs(subs).subs(L_phi, 1)) == pytest.approx(expected, rel=1e-12)
    assert derive("contraction", n=1).result == L_phi * sp.Abs(sp.Symbol("W_h[0,0]", real=True))


# -- (2) verify passes, also with substituted parameters --------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_verify_passes_against_simulation(name):
    report = derive(name).verify(max_examples=10)
    assert report.passed, report.message


@pytest.mark.parametrize("name, params", [("fixed_points", {"w": 3}), ("half_life", {"rho": "1/2"}),
                                          ("sign_memory", {"x_1": -2}),
                                          ("contraction", {"L_phi": "1"})])
def test_verify_honours_substituted_parameters(name, params):
    d = derive(name, **params)
    assert d.parameters
    assert d.verify(max_examples=10).passed


# -- (3) planted errors are caught ---------------------------------------------------
@pytest.mark.parametrize("name, wrong", [
    ("fixed_points", lambda r: 1.1 * r),
    ("half_life", lambda r: sp.log(2) / (1 - rho)),
    ("sign_memory", lambda r: sp.tanh(x_1)),
    ("contraction", lambda r: r / 2),
])
def test_planted_error_is_reported_with_a_counterexample(name, wrong):
    d = derive(name)
    report = d.with_result(wrong(d.result)).verify(max_examples=10)
    assert report.passed is False and report.counterexample is not None


# -- (4) LaTeX compiles; (5) JSON has the DESIGN keys --------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_latex_compiles(name, tmp_path):
    if not pdflatex_available():
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is required in CI")
        pytest.skip("pdflatex not installed")
    assert compile_pdf(derive(name).latex(standalone=True), tmp_path).exists()


@pytest.mark.parametrize("name", NAMES)
def test_json_has_the_design_keys(name):
    data = derive(name).as_dict()
    assert set(data) >= {"name", "title", "reference", "parameters", "symbols", "steps", "result",
                         "assumptions"}
    assert json.loads(json.dumps(data))["name"] == name


def test_result_symbols_are_the_design_names():
    assert {s.name for s in derive("fixed_points").result.free_symbols} == {"w"}
    assert {s.name for s in derive("half_life").result.free_symbols} == {"rho"}
    assert {s.name for s in derive("sign_memory").result.free_symbols} == {"x_1"}
    assert "L_phi" in {s.name for s in derive("contraction").result.free_symbols}


# -- derived, not typed in: a modified model changes the result as predicted ----------
def test_doubling_the_recurrent_weight_moves_the_fold_to_b_c_of_2w():
    base = derive("fixed_points").result
    doubled = derivation_module("fixed_points").derive(model=rs.RNN([[2 * w]], [[0]], [b], "tanh")).result
    assert _same(doubled, base.subs(w, 2 * w), w, [0.6, 1.0, 2.5])


def test_doubling_the_weight_halves_the_designed_half_life_weight():
    mod = derivation_module("half_life")
    doubled = mod.derive(model=rs.RNN([[2 * w]], [[0]], [b], "tanh")).context["w_design"]
    assert sp.simplify(doubled - 2 ** (-1 / tau) / 2) == 0


def test_leaky_relu_slope_and_flipped_input_change_the_sign_memory_result():
    mod = derivation_module("sign_memory")
    leaky = mod.derive(model=rs.RNN([[1]], [[1]], [0], rs.get_activation("leaky_relu", slope="1/10")))
    assert leaky.result.subs(x_1, -3) == sp.Rational(-3, 100)
    flipped = mod.derive(model=rs.RNN([[1]], [[-1]], [0], "relu")).result
    assert flipped.subs(x_1, -3) == 3


def test_doubling_w_h_doubles_the_contraction_factor():
    mod = derivation_module("contraction")
    net = rs.RNN.symbolic(2, 1)
    doubled = mod.derive(model=rs.RNN(2 * net.W_h, net.W_x, net.b)).result
    base = derive("contraction").result
    vals = dict(zip(net.W_h, [0.3, -0.4, 0.5, 0.1]))
    assert float(doubled.subs(vals).subs(L_phi, 1)) == pytest.approx(2 * float(base.subs(vals).subs(L_phi, 1)))
