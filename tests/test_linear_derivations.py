"""The eigenmodes, controllability and observability derivations: identities, checks, output."""

from __future__ import annotations

import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derive

NAMES = ["eigenmodes", "controllability", "observability"]
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


def test_observability_result_is_stacked_not_transposed() -> None:
    A, C = mat("A", 2, 2), mat("C", 1, 2)
    result = derive("observability").result
    assert result == sp.Matrix.vstack(C, (C * A).expand())  # correction C8
    assert result != sp.Matrix.vstack(C, (C * A).expand()).T
    assert derive("observability", p=2).result.shape == (4, 2)


def test_eigenmodes_result_is_q_inverse_d_q_lambda() -> None:
    Q = mat("Q", 2, 2)
    lam = sp.diag(sym("lam[0]"), sym("lam[1]"))
    D = sp.diag(sym("D[0,0]"), sym("D[1,1]"))
    textbook = Q.inv() * D * Q * lam
    assert (derive("eigenmodes").result - textbook).applyfunc(sp.simplify) == sp.zeros(2, 2)


# ------------------------------------------------------------------ modified models
def test_scalar_identity_a_makes_the_controllability_matrix_singular() -> None:
    d = derive("controllability", **{"A[0,1]": 0, "A[1,0]": 0, "A[1,1]": "A[0,0]"})
    assert sp.simplify(d.result.det()) == 0  # correction C7: A = cI, one input
    assert d.verify(max_examples=10).passed


def test_exact_rank_step_finds_where_diag_a_1_loses_controllability() -> None:
    statements = [s.statement for s in derive("controllability").steps]
    assert sp.Eq(sym("a"), 1) in statements


def test_nilpotent_shift_is_observable_from_y0_but_not_from_y1() -> None:
    d = derive("observability", **{"A[0,0]": 0, "A[0,1]": 1, "A[1,0]": 0, "A[1,1]": 0,
                                   "C[0,0]": 1, "C[0,1]": 0})
    assert d.result == sp.eye(2)
    ranks = {str(s.statement.lhs): s.statement.rhs for s in d.steps
             if isinstance(s.statement, sp.Eq) and str(s.statement.lhs).startswith("rank_")}
    assert ranks == {"rank_O": 2, "rank_OA": 1}


def test_diagonal_w_or_scalar_d_removes_the_coupling() -> None:
    d = derive("eigenmodes", **{"Q[0,1]": 0, "Q[1,0]": 0, "Q[0,0]": 1, "Q[1,1]": 1})
    assert d.result.is_diagonal()
    d = derive("eigenmodes", **{"D[1,1]": "D[0,0]"})
    assert d.result.applyfunc(sp.simplify).is_diagonal()
    assert not derive("eigenmodes").result.is_diagonal()


# ------------------------------------------------------------------ verification
@pytest.mark.parametrize("name", NAMES)
def test_result_matches_simulation(name: str) -> None:
    report = derive(name).verify(max_examples=15)
    assert report.passed, report.message


def test_verification_honours_substituted_parameters() -> None:
    d = derive("controllability", **{"A[0,0]": "1/2", "B[1,0]": 0})
    assert sym("A[0,0]") not in d.kernel.args and d.verify(max_examples=10).passed
    d = derive("eigenmodes", **{"lam[0]": "9/10", "Q[1,1]": "Q[0,0]"})
    assert d.verify(max_examples=10).passed


def test_verification_works_for_other_activations_and_sizes() -> None:
    assert derive("eigenmodes", activation="sigmoid").verify(max_examples=10).passed
    assert derive("observability", n=3).verify(max_examples=5).passed


@pytest.mark.parametrize("name", NAMES)
def test_planted_error_is_caught(name: str) -> None:
    d = derive(name)
    if name == "controllability":
        A, B = mat("A", 2, 2), mat("B", 2, 1)
        wrong = sp.Matrix.hstack(B, (A.T * B).expand())
    elif name == "observability":
        wrong = d.result.T  # the chapter's transposed display (correction C8)
    else:
        Q = mat("Q", 2, 2)
        lam = sp.diag(sym("lam[0]"), sym("lam[1]"))
        D = sp.diag(sym("D[0,0]"), sym("D[1,1]"))
        wrong = Q * D * Q.inv() * lam  # Q and Q^{-1} swapped (correction C6)
    report = d.with_result(wrong).verify(max_examples=15)
    assert not report.passed and report.counterexample is not None


# ------------------------------------------------------------------ output
@pytest.mark.parametrize("name", NAMES)
def test_latex_compiles(name: str, tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive(name).latex(standalone=True), tmp_path).exists()


@pytest.mark.parametrize("name", NAMES)
def test_json_has_the_design_keys(name: str) -> None:
    data = derive(name).as_dict()
    assert set(data) >= KEYS and data["reference"] == rs.registry.derivation_module(name).REFERENCE
    json.loads(json.dumps(data))
    assert {"A", "lam"} <= set(data["symbols"])
