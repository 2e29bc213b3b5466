"""The lstm_jacobian derivation: block form, expanded Jacobian, verification against the cell's steps."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.cells import LSTMCell
from rnnsym.latex import compile_pdf
from tests.test_derivations._planted import assert_accepted, assert_rejected


@functools.cache
def _derived(n: int = 1) -> rs.derivation.Derivation:
    return rs.derive("lstm_jacobian", n=n)


def _v(name: str, n: int = 1) -> list[sp.Symbol]:
    return [sp.Symbol(f"{name}[{i}]", real=True) for i in range(n)]


def _sigma(a):
    return 1 / (1 + sp.exp(-a))


# -- (1) symbolic identity with the hand-written LSTM Jacobian -------------------------------
def test_blocks_equal_the_hand_written_lstm_jacobian_at_random_points() -> None:
    d = _derived()
    cell = d.context["cell"]
    P = {s.name: s for s in cell.parameters}
    h, c, x = sp.Symbol("h_prev[0]", real=True), sp.Symbol("c_prev[0]", real=True), sp.Symbol("x[0]", real=True)
    a = {g: P[f"W_i{g}[0,0]"] * x + P[f"b_i{g}[0]"] + P[f"W_h{g}[0,0]"] * h + P[f"b_h{g}[0]"] for g in "ifgo"}
    i, f, g, o = _sigma(a["i"]), _sigma(a["f"]), sp.tanh(a["g"]), _sigma(a["o"])
    c_t = f * c + i * g
    ch = c * sp.diff(f, h) + g * sp.diff(i, h) + i * sp.diff(g, h)
    hand = {("c", "c"): f, ("c", "h"): ch, ("h", "c"): o * (1 - sp.tanh(c_t) ** 2) * f,
            ("h", "h"): sp.tanh(c_t) * sp.diff(o, h) + o * (1 - sp.tanh(c_t) ** 2) * ch}
    blocks = cell.blocks(d.result)
    args = [h, c, x, *cell.parameters]
    rng = np.random.default_rng(0)
    for key, expected in hand.items():
        got = sp.lambdify(args, blocks[key][0, 0], "mpmath")
        ref = sp.lambdify(args, expected, "mpmath")
        for _ in range(5):
            point = rng.uniform(-2, 2, len(args))
            assert abs(got(*point) - ref(*point)) <= 1e-12 * (1 + abs(ref(*point))), key


def test_the_cell_state_block_is_diag_f_and_the_block_form_names_the_gates() -> None:
    d = _derived(2)
    cell = d.context["cell"]
    f = sp.Matrix([[sp.Symbol(f"f_t[{i}]", real=True) for i in range(2)]]).T
    F, vectors = cell.named_step()
    form = d.context["form"]
    assert form.blocks[("c", "c")][1] == sp.diag(*f)
    assert form.expand(form.blocks[("c", "c")][1]) == cell.blocks(d.result)[("c", "c")]
    text = d.text()
    assert "Eq(dc_t/dc_{t-1}, diag(f_t))" in text
    assert "diag(c_(t-1))*df_t/dh_{t-1}" in text
    assert d.result.shape == (4, 4) and [v.name for v in vectors] == ["i", "f", "g", "o", "tanh(c)"]


def test_result_follows_the_cell_not_a_typed_formula() -> None:
    assert rs.derive("lstm_jacobian", n=2, m=0).result.shape == (4, 4)
    assert rs.derive("lstm_jacobian", n=1, m=0).result == LSTMCell.symbolic(1, 0).jacobian()


# -- (2) verify passes, with substituted parameters too --------------------------------------
def test_verify_passes_against_the_cells_steps() -> None:
    report = _derived().verify(max_examples=30)
    assert report.passed, report.message
    assert report.worst_error < 1 and len(report.checks) == 3


def test_verify_passes_at_n_2_and_with_a_substituted_bias() -> None:
    assert _derived(2).verify(max_examples=10).passed
    d = rs.derive("lstm_jacobian", **{"b_hf[0]": "5"})
    assert d.parameters and d.verify(max_examples=10).passed


def test_latex_compiles(require_pdflatex, tmp_path) -> None:
    assert compile_pdf(_derived().latex(standalone=True), tmp_path).exists()


# -- (3) planted errors are rejected, equal forms accepted ----------------------------------
def _named(d, changes) -> sp.Matrix:
    """The block form with named vectors changed, expanded: a Jacobian built with one wrong piece."""
    form = d.context["form"]
    return form.expand(form.full().xreplace(changes))


def _swap(d, a: str, b: str) -> sp.Matrix:
    P = {s.name: s for s in d.result.free_symbols}
    swap = {}
    for s in P:
        if a in s:
            other = s.replace(a, b)
            if other in P:
                swap[P[s]], swap[P[other]] = P[other], P[s]
    return d.result.xreplace(swap)


def _block(d, key, value) -> sp.Matrix:
    cell = d.context["cell"]
    M = sp.Matrix(d.result)
    rows = {"h": 0, "c": cell.n}
    r, c = rows[key[0]], rows[key[1]]
    M[r:r + cell.n, c:c + cell.n] = value
    return M


def _at(d, prefix: str) -> sp.Matrix:
    return d.result.subs({s: 0 for s in d.result.free_symbols if s.name.startswith(prefix)})


PLANTED = [
    pytest.param(1, lambda d: d.result.T, id="transposed-blocks-h-c-swapped"),
    pytest.param(2, lambda d: _block(d, ("c", "h"), d.context["cell"].blocks(d.result)[("c", "h")].T),
                 id="dc-dh-block-transposed"),
    pytest.param(1, lambda d: _block(d, ("c", "c"), sp.eye(1)), id="missing-diag-f-identity-cell-path"),
    pytest.param(1, lambda d: _block(d, ("c", "c"), sp.zeros(1)), id="no-cell-path"),
    pytest.param(1, lambda d: _block(d, ("c", "c"), sp.eye(1) - d.context["cell"].blocks(d.result)[("c", "c")]),
                 id="one-minus-f"),
    pytest.param(1, lambda d: _named(d, {_v("df_t")[0]: 0}), id="missing-c-prev-df-term"),
    pytest.param(1, lambda d: _named(d, {_v("dtanh_c_t")[0]: 1}), id="tanh-prime-dropped"),
    pytest.param(1, lambda d: _named(d, {_v("dtanh_c_t")[0]: _v("tanh_c_t")[0]}), id="tanh-for-tanh-prime"),
    pytest.param(1, lambda d: _named(d, {_v("do_t")[0]: 0}), id="missing-output-gate-term"),
    pytest.param(1, lambda d: _named(d, {_v("o_t")[0]: 1}), id="output-gate-taken-as-1"),
    pytest.param(1, lambda d: _named(d, {_v("di_t")[0]: _v("i_t")[0]}), id="sigma-for-sigma-prime"),
    pytest.param(1, lambda d: -d.result, id="sign-flip"),
    pytest.param(1, lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param(1, lambda d: d.result * (1 + sp.Float("1e-9")), id="plus-1e-9"),
    pytest.param(1, lambda d: _swap(d, "f[", "i["), id="gate-order-i-f-swapped"),
    pytest.param(1, lambda d: _swap(d, "W_hf", "W_if"), id="W_hf-for-W_if"),
    pytest.param(1, lambda d: _at(d, "x["), id="right-only-at-x-0"),
    pytest.param(1, lambda d: _at(d, "b_"), id="right-only-at-zero-biases"),
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
