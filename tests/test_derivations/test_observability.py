"""The observability derivation: ``[C; CA; ...]`` stacked, not transposed; verification, output."""

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
def test_observability_result_is_stacked_not_transposed() -> None:
    A, C = mat("A", 2, 2), mat("C", 1, 2)
    result = derive("observability").result
    assert result == sp.Matrix.vstack(C, (C * A).expand())  # correction C8
    assert result != sp.Matrix.vstack(C, (C * A).expand()).T
    assert derive("observability", p=2).result.shape == (4, 2)


# ------------------------------------------------------------------ modified models
def test_nilpotent_shift_is_observable_from_y0_but_not_from_y1() -> None:
    d = derive("observability", **{"A[0,0]": 0, "A[0,1]": 1, "A[1,0]": 0, "A[1,1]": 0,
                                   "C[0,0]": 1, "C[0,1]": 0})
    assert d.result == sp.eye(2)
    ranks = {str(s.statement.lhs): s.statement.rhs for s in d.steps
             if isinstance(s.statement, sp.Eq) and str(s.statement.lhs).startswith("rank_")}
    assert ranks == {"rank_O": 2, "rank_OA": 1}


# ------------------------------------------------------------------ verification
def test_result_matches_simulation() -> None:
    report = derive("observability").verify(max_examples=15)
    assert report.passed, report.message


def test_verification_works_for_other_sizes() -> None:
    assert derive("observability", n=3).verify(max_examples=5).passed


def test_planted_error_is_caught() -> None:
    d = derive("observability")
    wrong = d.result.T  # the chapter's transposed display (correction C8)
    report = d.with_result(wrong).verify(max_examples=15)
    assert not report.passed and report.counterexample is not None


# ------------------------------------------------------------------ output
def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("observability").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys() -> None:
    data = derive("observability").as_dict()
    assert set(data) >= KEYS and data["reference"] == derivation_info("observability").reference
    json.loads(json.dumps(data))
    assert {"A", "lam"} <= set(data["symbols"])
