"""The gated_half_life derivation: t_1/2(b) of a gated unit, the chrono initialisation, verification."""

from __future__ import annotations

import functools

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from tests.test_derivations._planted import assert_accepted, assert_rejected

b, u = sp.Symbol("b", real=True), sp.Symbol("u", positive=True)
SIGMA = 1 / (1 + sp.exp(-b))


@functools.cache
def _derived(cell: str = "lstm") -> rs.derivation.Derivation:
    return rs.derive("gated_half_life", cell=cell)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_half_life_is_ln_half_over_ln_sigma_of_the_bias(cell: str) -> None:
    d = _derived(cell)
    assert sp.simplify((d.result - sp.log(sp.Rational(1, 2)) / sp.log(SIGMA)).rewrite(sp.exp)) == 0
    assert d.result.free_symbols == {b}


def test_chrono_half_life_range_and_characteristic_time() -> None:
    d = _derived()
    assert sp.simplify(d.context["chrono"] - sp.log(2) / sp.log(1 + 1 / u)) == 0
    shortest, longest = d.context["range"]
    assert shortest == 1
    T = sp.Symbol("T_max", positive=True)
    assert abs(float(longest.subs(T, 1e4)) - (1e4 - 0.5) * float(sp.log(2))) < 1e-3
    assert "Eq(t_char, u + 1)" in d.text()


def test_kernel_keeps_its_digits_for_memories_far_beyond_a_float_step() -> None:
    k = _derived().kernel
    assert abs(float(k(40.0)) / (float(sp.log(2)) * float(sp.exp(40))) - 1) < 1e-12
    assert abs(float(k(0.0)) - 1.0) < 1e-15


def test_unknown_cell_is_refused() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`cell`"):
        rs.derive("gated_half_life", cell="rnn")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_verify_passes_against_the_cells_own_step(cell: str) -> None:
    report = _derived(cell).verify(max_examples=30)
    assert report.passed, report.message


def test_verify_honours_a_substituted_bias() -> None:
    d = rs.derive("gated_half_life", b="3")
    assert d.parameters and d.verify(max_examples=10).passed


def test_latex_compiles(require_pdflatex, tmp_path) -> None:
    assert compile_pdf(_derived().latex(standalone=True), tmp_path).exists()


PLANTED = [
    pytest.param(lambda r: -r, id="ln-2-for-ln-half-sign"),
    pytest.param(lambda r: r.subs(b, -b), id="one-minus-sigma"),
    pytest.param(lambda r: r + 1, id="off-by-one-exponent-t-plus-1"),
    pytest.param(lambda r: r - 1, id="off-by-one-exponent-t-minus-1"),
    pytest.param(lambda r: r / sp.log(2), id="e-folding-not-half-life"),
    pytest.param(lambda r: r * sp.log(10), id="log10-of-sigma"),
    pytest.param(lambda r: 2 * r, id="factor-2"),
    pytest.param(lambda r: r * (1 + sp.Float("1e-6")), id="plus-1e-6"),
    pytest.param(lambda r: sp.log(2) * (1 + sp.exp(b)), id="first-order-log-right-only-for-long-memories"),
    pytest.param(lambda r: 1 + 0 * b, id="constant-right-only-at-b-0"),
    pytest.param(lambda r: 1 / (1 - SIGMA), id="characteristic-time-not-half-life"),
    pytest.param(lambda r: r.subs(b, sp.exp(b)), id="chrono-u-for-b"),
    pytest.param(lambda r: r.subs(b, 2 * b), id="bias-counted-twice-b_ih-plus-b_hh"),
    pytest.param(lambda r: sp.log(2) / sp.log(1 + sp.exp(-b)) ** 2, id="squared-log"),
]

EQUIVALENT = [
    pytest.param(lambda r: sp.log(sp.Rational(1, 2)) / sp.log(SIGMA), id="ln-half-over-ln-sigma"),
    pytest.param(lambda r: -1 / sp.log(SIGMA, 2), id="log-base-2"),
    pytest.param(lambda r: sp.log(2) / sp.log(1 + sp.exp(-b)), id="log-one-plus-exp"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("wrong", PLANTED)
def test_planted_error_is_rejected(cell: str, wrong) -> None:
    d = _derived(cell)
    assert_rejected(d, wrong(d.result), 20)


@pytest.mark.parametrize("same", EQUIVALENT)
def test_equivalent_form_is_accepted(same) -> None:
    d = _derived()
    assert_accepted(d, same(d.result), 20)
