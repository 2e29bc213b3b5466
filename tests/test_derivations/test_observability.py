"""The observability derivation: ``[C; CA; ...]`` stacked, not transposed; verification, output."""

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
    assert_rejected(d, wrong, 15)


# ------------------------------------------------------------------ output
def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("observability").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys() -> None:
    data = derive("observability").as_dict()
    assert set(data) >= KEYS and data["reference"] == derivation_info("observability").reference
    json.loads(json.dumps(data))
    assert {"A", "lam"} <= set(data["symbols"])


# ------------------------------------------------------------------ planted errors
# Each entry builds a plausible wrong observability matrix from the derivation's own symbols;
# verify() must reject every one and accept every EQUIVALENT form.
def _parts(d):
    sys = d.context["system"]
    return d.result, sp.Matrix(sys.A), sp.Matrix(sys.C)


vs = sp.Matrix.vstack

PLANTED = [
    ("C8 the chapter's transpose", lambda R, A, C: R.T),
    ("C8 outputs from y_1: O A", lambda R, A, C: vs(C * A, C * A**2)),
    ("A^T for A: [C; C A^T]", lambda R, A, C: vs(C, C * A.T)),
    ("dual pair not transposed [C^T, A C^T]", lambda R, A, C: sp.Matrix.hstack(C.T, A * C.T)),
    ("rows in reverse order", lambda R, A, C: vs(C * A, C)),
    ("C A^2 for C A (power off by one)", lambda R, A, C: vs(C, C * A**2)),
    ("sign of C A flipped", lambda R, A, C: vs(C, -C * A)),
    ("factor 2", lambda R, A, C: 2 * R),
    ("factor 1/2 on C A", lambda R, A, C: vs(C, C * A / 2)),
    ("+1%", lambda R, A, C: R * sp.Float(1.01)),
    ("-1% on C A", lambda R, A, C: vs(C, sp.Float(0.99) * C * A)),
    ("n - 1 rows [C]", lambda R, A, C: C),
    ("n + 1 rows [C; CA; CA^2]", lambda R, A, C: vs(C, C * A, C * A**2)),
    ("differences of outputs [C; C(A - I)]", lambda R, A, C: vs(C, C * (A - sp.eye(2)))),
    ("diagonal of A only (right only for diagonal A)", lambda R, A, C: vs(C, C * sp.diag(A[0, 0], A[1, 1]))),
    ("A[0,1] dropped (right only for triangular A)", lambda R, A, C: R.xreplace({A[0, 1]: 0})),
]

EQUIVALENT = [
    ("factored", lambda R, A, C: R.applyfunc(sp.factor)),
    ("(A^T C^T)^T", lambda R, A, C: vs(C, (A.T * C.T).T)),
    ("Jacobian of the stacked outputs", lambda R, A, C: _stacked_jacobian(A, C)),
]


def _stacked_jacobian(A, C):
    h = sp.Matrix(sp.symbols("h0 h1"))
    return vs(C * h, C * (A * h)).jacobian(h)


@pytest.fixture(scope="module")
def obsv():
    return derive("observability")


def test_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12 and len(EQUIVALENT) >= 2


@pytest.mark.parametrize("build", [b for _, b in PLANTED], ids=[i for i, _ in PLANTED])
def test_planted_error_is_rejected(obsv, build) -> None:
    wrong = sp.ImmutableMatrix(build(*_parts(obsv)))
    assert_rejected(obsv, wrong)


@pytest.mark.parametrize("build", [b for _, b in EQUIVALENT], ids=[i for i, _ in EQUIVALENT])
def test_equivalent_form_is_accepted(obsv, build) -> None:
    same = sp.ImmutableMatrix(build(*_parts(obsv)))
    assert_accepted(obsv, same)
