"""The controllability derivation: ``[B, AB, ...]``, its rank drops, verification, output."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_info, derive
from tests.test_derivations._planted import assert_accepted, assert_rejected

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
    assert_rejected(d, wrong, 15)


# ------------------------------------------------------------------ output
def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("controllability").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys() -> None:
    data = derive("controllability").as_dict()
    assert set(data) >= KEYS and data["reference"] == derivation_info("controllability").reference
    json.loads(json.dumps(data))
    assert {"A", "lam"} <= set(data["symbols"])


# ------------------------------------------------------------------ planted errors
# Each entry builds a plausible wrong controllability matrix from the derivation's own symbols;
# verify() must reject every one and accept every EQUIVALENT form.
def _parts(d):
    sys = d.context["system"]
    return d.result, sp.Matrix(sys.A), sp.Matrix(sys.B)


hs = sp.Matrix.hstack

PLANTED = [
    ("A^T B for AB (transpose of A)", lambda R, A, B: hs(B, A.T * B)),
    ("blocks oldest first [AB, B]", lambda R, A, B: hs(A * B, B)),
    ("A^2 B for AB (power off by one)", lambda R, A, B: hs(B, A**2 * B)),
    ("powers 1..n [AB, A^2 B]", lambda R, A, B: hs(A * B, A**2 * B)),
    ("transposed", lambda R, A, B: R.T),
    ("sign of AB flipped", lambda R, A, B: hs(B, -A * B)),
    ("sign flipped", lambda R, A, B: -R),
    ("factor 2 on AB", lambda R, A, B: hs(B, 2 * A * B)),
    ("factor 1/2", lambda R, A, B: R / 2),
    ("+1%", lambda R, A, B: R * sp.Float(1.01)),
    ("-1% on AB", lambda R, A, B: hs(B, sp.Float(0.99) * A * B)),
    ("n + 1 columns [B, AB, A^2 B]", lambda R, A, B: hs(B, A * B, A**2 * B)),
    ("n - 1 columns [B]", lambda R, A, B: B),
    ("(A + I) B for AB (the summed response)", lambda R, A, B: hs(B, (A + sp.eye(2)) * B)),
    ("the Gramian C C^T for C", lambda R, A, B: R * R.T),
    ("diagonal of A only (right only for diagonal A)", lambda R, A, B: hs(B, sp.diag(A[0, 0], A[1, 1]) * B)),
    ("A[1,0] dropped (right only for triangular A)", lambda R, A, B: R.xreplace({A[1, 0]: 0})),
]

EQUIVALENT = [
    ("factored", lambda R, A, B: R.applyfunc(sp.factor)),
    ("(B^T A^T)^T", lambda R, A, B: hs(B, (B.T * A.T).T)),
    ("Jacobian of the unrolled state", lambda R, A, B: _unrolled_jacobian(A, B)),
]


def _unrolled_jacobian(A, B):
    x1, x2 = sp.symbols("x1 x2")
    h2 = A * (B * x1) + B * x2
    return h2.jacobian([x2, x1])


@pytest.fixture(scope="module")
def ctrb():
    return derive("controllability")


def test_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12 and len(EQUIVALENT) >= 2


@pytest.mark.parametrize("build", [b for _, b in PLANTED], ids=[i for i, _ in PLANTED])
def test_planted_error_is_rejected(ctrb, build) -> None:
    wrong = sp.ImmutableMatrix(build(*_parts(ctrb)))
    assert_rejected(ctrb, wrong)


@pytest.mark.parametrize("build", [b for _, b in EQUIVALENT], ids=[i for i, _ in EQUIVALENT])
def test_equivalent_form_is_accepted(ctrb, build) -> None:
    same = sp.ImmutableMatrix(build(*_parts(ctrb)))
    assert_accepted(ctrb, same)
