"""The eigenmodes derivation: the coupling ``Q^{-1} D Q Lam``, verification, output."""

from __future__ import annotations

import json

import sympy as sp

from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_info, derive
from rnnsym.symbols import LAM, TAU

KEYS = {"name", "title", "reference", "parameters", "symbols", "steps", "result", "assumptions"}


def sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def mat(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sym(f"{name}[{i},{j}]"))


# ------------------------------------------------------------------ identities
def test_eigenmodes_result_is_q_inverse_d_q_lambda() -> None:
    Q = mat("Q", 2, 2)
    lam = sp.diag(sym("lam[0]"), sym("lam[1]"))
    D = sp.diag(sym("D[0,0]"), sym("D[1,1]"))
    textbook = Q.inv() * D * Q * lam
    assert (derive("eigenmodes").result - textbook).applyfunc(sp.simplify) == sp.zeros(2, 2)


def test_eigenvalue_and_half_life_steps_use_the_packages_shared_symbols() -> None:
    statements = [s.statement for s in derive("eigenmodes").steps]
    half_life = [s for s in statements if str(s.lhs) == "half_life"][0]
    assert half_life.rhs.free_symbols == {LAM}
    assert sp.simplify(half_life.rhs - sp.log(2) / -sp.log(sp.Abs(LAM))) == 0
    assert any(s.lhs == LAM for s in statements)
    assert TAU.is_positive   # the half-life was solved for the shared, positive tau


# ------------------------------------------------------------------ modified models
def test_diagonal_w_or_scalar_d_removes_the_coupling() -> None:
    d = derive("eigenmodes", **{"Q[0,1]": 0, "Q[1,0]": 0, "Q[0,0]": 1, "Q[1,1]": 1})
    assert d.result.is_diagonal()
    d = derive("eigenmodes", **{"D[1,1]": "D[0,0]"})
    assert d.result.applyfunc(sp.simplify).is_diagonal()
    assert not derive("eigenmodes").result.is_diagonal()


# ------------------------------------------------------------------ verification
def test_result_matches_simulation() -> None:
    report = derive("eigenmodes").verify(max_examples=15)
    assert report.passed, report.message


def test_verification_honours_substituted_parameters() -> None:
    d = derive("eigenmodes", **{"lam[0]": "9/10", "Q[1,1]": "Q[0,0]"})
    assert d.verify(max_examples=10).passed


def test_verification_works_for_other_activations() -> None:
    assert derive("eigenmodes", activation="sigmoid").verify(max_examples=10).passed


def test_planted_error_is_caught() -> None:
    d = derive("eigenmodes")
    Q = mat("Q", 2, 2)
    lam = sp.diag(sym("lam[0]"), sym("lam[1]"))
    D = sp.diag(sym("D[0,0]"), sym("D[1,1]"))
    wrong = Q * D * Q.inv() * lam  # Q and Q^{-1} swapped (correction C6)
    report = d.with_result(wrong).verify(max_examples=15)
    assert not report.passed and report.counterexample is not None


# ------------------------------------------------------------------ output
def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("eigenmodes").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys() -> None:
    data = derive("eigenmodes").as_dict()
    assert set(data) >= KEYS and data["reference"] == derivation_info("eigenmodes").reference
    json.loads(json.dumps(data))
    assert {"A", "lam"} <= set(data["symbols"])
