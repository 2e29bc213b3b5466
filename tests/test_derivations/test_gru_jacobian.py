"""The gru_jacobian derivation: block form, expanded Jacobian, verification against the cell's steps."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.cells import GRUCell
from rnnsym.latex import compile_pdf
from tests.test_derivations._planted import assert_accepted, assert_rejected


@functools.cache
def _derived(n: int = 1) -> rs.derivation.Derivation:
    return rs.derive("gru_jacobian", n=n)


def _v(name: str, i: int = 0) -> sp.Symbol:
    return sp.Symbol(f"{name}[{i}]", real=True)


def _sigma(a):
    return 1 / (1 + sp.exp(-a))


# -- (1) symbolic identity with the hand-written GRU Jacobian (PyTorch's equations) ----------------
def test_result_equals_the_hand_written_gru_jacobian_at_random_points() -> None:
    d = _derived()
    cell = d.context["cell"]
    P = {s.name: s for s in cell.parameters}
    h, x = _v("h_prev"), _v("x")
    r = _sigma(P["W_ir[0,0]"] * x + P["b_ir[0]"] + P["W_hr[0,0]"] * h + P["b_hr[0]"])
    z = _sigma(P["W_iz[0,0]"] * x + P["b_iz[0]"] + P["W_hz[0,0]"] * h + P["b_hz[0]"])
    n = sp.tanh(P["W_in[0,0]"] * x + P["b_in[0]"] + r * (P["W_hn[0,0]"] * h + P["b_hn[0]"]))
    hand = sp.diff((1 - z) * n + z * h, h)   # z keeps memory; b_hn inside the reset product
    args = [h, x, *cell.parameters]
    got, ref = (sp.lambdify(args, e, "mpmath") for e in (d.result[0, 0], hand))
    rng = np.random.default_rng(0)
    for _ in range(10):
        point = rng.uniform(-2, 2, len(args))
        assert abs(got(*point) - ref(*point)) <= 1e-12 * (1 + abs(ref(*point)))


def test_the_block_form_names_the_update_gate_path() -> None:
    text = _derived(2).text()
    assert "Eq(dh_t/dh_{t-1}, diag(1 - z_t)*dn_t/dh_{t-1} + diag(h_(t-1) - n_t)*dz_t/dh_{t-1} + diag(z_t))" in text
    assert "diag(W_hn h_(t-1) + b_hn)*dr_t/dh_{t-1}" in text
    assert _derived(2).result.shape == (2, 2)


def test_result_follows_the_cell_not_a_typed_formula() -> None:
    assert rs.derive("gru_jacobian", n=1, m=0).result == GRUCell.symbolic(1, 0).jacobian()


# -- (2) verify passes -----------------------------------------------------------------------
def test_verify_passes_against_the_cells_steps() -> None:
    report = _derived().verify(max_examples=30)
    assert report.passed, report.message
    assert report.worst_error < 1 and len(report.checks) == 3


def test_verify_passes_at_n_2_and_with_a_substituted_bias() -> None:
    assert _derived(2).verify(max_examples=10).passed
    d = rs.derive("gru_jacobian", **{"b_hz[0]": "-3"})
    assert d.parameters and d.verify(max_examples=10).passed


def test_latex_compiles(require_pdflatex, tmp_path) -> None:
    assert compile_pdf(_derived().latex(standalone=True), tmp_path).exists()


# -- (3) planted errors are rejected, equal forms accepted ------------------------------------
def _named(d, changes) -> sp.Matrix:
    """The block form with named vectors changed, expanded: a Jacobian built with one wrong piece."""
    form = d.context["form"]
    return form.expand(form.full().xreplace(changes))


def _other_convention(d) -> sp.Matrix:
    """``h_t = z n + (1 - z) h`` (the convention of other papers, not PyTorch's): ``z -> 1 - z``."""
    n = d.context["cell"].n
    changes = {}
    for i in range(n):
        changes[_v("z_t", i)] = 1 - _v("z_t", i)
        changes[_v("dz_t", i)] = -_v("dz_t", i)
    return _named(d, changes)


def _swap(d, a: str, b: str) -> sp.Matrix:
    P = {s.name: s for s in d.result.free_symbols}
    swap = {}
    for s in P:
        if a in s and s.replace(a, b) in P:
            swap[P[s]], swap[P[s.replace(a, b)]] = P[s.replace(a, b)], P[s]
    return d.result.xreplace(swap)


def _at(d, prefix: str) -> sp.Matrix:
    return d.result.subs({s: 0 for s in d.result.free_symbols if s.name.startswith(prefix)})


PLANTED = [
    pytest.param(1, _other_convention, id="z-for-one-minus-z-convention"),
    pytest.param(2, lambda d: d.result.T, id="transposed"),
    pytest.param(1, lambda d: d.result - d.context["form"].expand(sp.Matrix([[_v("z_t")]])),
                 id="missing-diag-z-identity-path"),
    pytest.param(1, lambda d: _named(d, {_v("dz_t"): 0}), id="missing-update-gate-slope"),
    pytest.param(1, lambda d: _named(d, {_v("dr_t"): 0}), id="missing-reset-path"),
    pytest.param(1, lambda d: _named(d, {_v("dn_t"): 1}), id="candidate-slope-dropped"),
    pytest.param(1, lambda d: _named(d, {_v("dz_t"): _v("z_t")}), id="sigma-for-sigma-prime"),
    pytest.param(1, lambda d: _named(d, {_v("r_t"): 1}), id="reset-gate-taken-as-1"),
    pytest.param(1, lambda d: -d.result, id="sign-flip"),
    pytest.param(1, lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param(1, lambda d: d.result * (1 + sp.Float("1e-9")), id="plus-1e-9"),
    pytest.param(1, lambda d: _swap(d, "r[", "z["), id="gate-order-r-z-swapped"),
    pytest.param(1, lambda d: _swap(d, "W_hn", "W_in"), id="W_hn-for-W_in"),
    pytest.param(1, lambda d: _at(d, "b_hn"), id="right-only-at-b_hn-0"),
    pytest.param(1, lambda d: _at(d, "x["), id="right-only-at-x-0"),
]

EQUIVALENT = [
    pytest.param(lambda d: d.result.applyfunc(sp.expand), id="expanded"),
    pytest.param(lambda d: d.context["form"].expand(d.context["form"].full()), id="block-form-substituted"),
    pytest.param(lambda d: d.result.applyfunc(lambda e: e.rewrite(sp.exp)), id="in-exp"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize(("n", "wrong"), PLANTED)
def test_planted_error_is_rejected(n: int, wrong) -> None:
    d = _derived(n)
    assert_rejected(d, sp.ImmutableMatrix(wrong(d)), 20)


@pytest.mark.parametrize("same", EQUIVALENT)
def test_equivalent_form_is_accepted(same) -> None:
    d = _derived()
    assert_accepted(d, sp.ImmutableMatrix(same(d)), 20)
