"""The controllability derivation: ``[B, AB, ...]``, its rank drops, verification, output."""

from __future__ import annotations

import json

import sympy as sp

from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_info, derive

KEYS = {"name", "title", "reference", "parameters", "symbols", "steps", "result", "assumptions"}


def sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def mat(name: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sym(f"{name}[{i},{j}]"))


# ------------------------------------------------------------------ identities
def test_controllability_result_is_b_ab_as_in_the_textbook() -> None:
    for n, m in [(2, 1), (2, 2)]:
        A, B = mat("A", n, n), mat("B", n, m)
        assert derive("controllability", n=n, m=m).result == sp.Matrix.hstack(B, (A * B).expand())


# ------------------------------------------------------------------ modified models
def test_scalar_identity_a_makes_the_controllability_matrix_singular() -> None:
    d = derive("controllability", **{"A[0,1]": 0, "A[1,0]": 0, "A[1,1]": "A[0,0]"})
    assert sp.simplify(d.result.det()) == 0  # correction C7: A = cI, one input
    assert d.verify(max_examples=10).passed


def test_exact_rank_step_finds_where_diag_a_1_loses_controllability() -> None:
    statements = [s.statement for s in derive("controllability").steps]
    assert sp.Eq(sym("a"), 1) in statements


# ------------------------------------------------------------------ verification
def test_result_matches_simulation() -> None:
    report = derive("controllability").verify(max_examples=15)
    assert report.passed, report.message


def test_verification_honours_substituted_parameters() -> None:
    d = derive("controllability", **{"A[0,0]": "1/2", "B[1,0]": 0})
    assert sym("A[0,0]") not in d.kernel.args and d.verify(max_examples=10).passed


def test_planted_error_is_caught() -> None:
    d = derive("controllability")
    A, B = mat("A", 2, 2), mat("B", 2, 1)
    wrong = sp.Matrix.hstack(B, (A.T * B).expand())
    report = d.with_result(wrong).verify(max_examples=15)
    assert not report.passed and report.counterexample is not None


# ------------------------------------------------------------------ output
def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("controllability").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys() -> None:
    data = derive("controllability").as_dict()
    assert set(data) >= KEYS and data["reference"] == derivation_info("controllability").reference
    json.loads(json.dumps(data))
    assert {"A", "lam"} <= set(data["symbols"])
