"""The eigenmodes derivation: the coupling ``Q^{-1} D Q Lam``, verification, output."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from rnnsym.latex import compile_pdf
from rnnsym.registry import derivation_info, derive
from rnnsym.symbols import LAM, TAU
from tests.test_derivations._planted import assert_accepted, assert_rejected

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
    half_life = next(s for s in statements if str(s.lhs) == "half_life")
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
    assert_rejected(d, wrong, 15)


# ------------------------------------------------------------------ output
def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("eigenmodes").latex(standalone=True), tmp_path).exists()


def test_json_has_the_design_keys() -> None:
    data = derive("eigenmodes").as_dict()
    assert set(data) >= KEYS and data["reference"] == derivation_info("eigenmodes").reference
    json.loads(json.dumps(data))
    assert {"A", "lam"} <= set(data["symbols"])


# ------------------------------------------------------------------ planted errors
# Each entry builds a plausible wrong coupling matrix from the derived one; verify() must reject
# every one and accept every EQUIVALENT form.  `m` holds the derivation's own symbols.
def _parts(d):
    Q, lam, D = d.context["Q"], d.context["lam"], d.context["D"]
    return Q, Q.inv(), sp.diag(*lam), D, lam


def _swap(expr, a, b):
    return expr.xreplace({a: b, b: a})


PLANTED = [
    ("C6 Q and Q^-1 swapped", lambda d, Q, Qi, L, D, lam: Q * D * Qi * L),
    ("transposed", lambda d, Q, Qi, L, D, lam: d.result.T),
    ("Lam on the left", lambda d, Q, Qi, L, D, lam: L * Qi * D * Q),
    ("Lam inside, D outside: Q^-1 Lam Q D", lambda d, Q, Qi, L, D, lam: Qi * L * Q * D),
    ("C5 Q^T for Q^-1 (right only for normal A)", lambda d, Q, Qi, L, D, lam: Q.T * D * Q * L),
    ("no coupling D Lam (right only for Q = I)", lambda d, Q, Qi, L, D, lam: D * L),
    ("linear Lam (right only for the identity activation)", lambda d, Q, Qi, L, D, lam: L),
    ("Lam squared (exponent off by one)", lambda d, Q, Qi, L, D, lam: Qi * D * Q * L**2),
    ("Lam missing", lambda d, Q, Qi, L, D, lam: Qi * D * Q),
    ("sign flipped", lambda d, Q, Qi, L, D, lam: -d.result),
    ("factor 2", lambda d, Q, Qi, L, D, lam: 2 * d.result),
    ("factor 1/2", lambda d, Q, Qi, L, D, lam: d.result / 2),
    ("+1%", lambda d, Q, Qi, L, D, lam: d.result * sp.Float(1.01)),
    ("-1%", lambda d, Q, Qi, L, D, lam: d.result * sp.Float(0.99)),
    ("D squared (right only for relu and identity, D in {0, 1})",
     lambda d, Q, Qi, L, D, lam: d.result.xreplace({D[i, i]: D[i, i] ** 2 for i in range(D.rows)})),
    ("D entries swapped (right only for D = dI)", lambda d, Q, Qi, L, D, lam: _swap(d.result, D[0, 0], D[1, 1])),
    ("eigenvalues swapped (right only for lam[0] = lam[1])",
     lambda d, Q, Qi, L, D, lam: _swap(d.result, lam[0], lam[1])),
    ("Q[0,1] dropped (right only for triangular Q)",
     lambda d, Q, Qi, L, D, lam: d.result.xreplace({Q[0, 1]: 0})),
]

EQUIVALENT = [
    ("expanded", lambda d, Q, Qi, L, D, lam: d.result.applyfunc(sp.expand)),
    ("simplified", lambda d, Q, Qi, L, D, lam: d.result.applyfunc(sp.simplify)),
    ("adjugate over determinant", lambda d, Q, Qi, L, D, lam: Q.adjugate() * D * Q * L / Q.det()),
    ("(Q^-1 D)(Q Lam), unsimplified", lambda d, Q, Qi, L, D, lam: (Qi * D) * (Q * L)),
]


@pytest.fixture(scope="module")
def eigen():
    return derive("eigenmodes")


def test_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12 and len(EQUIVALENT) >= 2


@pytest.mark.parametrize("build", [b for _, b in PLANTED], ids=[i for i, _ in PLANTED])
def test_planted_error_is_rejected(eigen, build) -> None:
    wrong = sp.ImmutableMatrix(build(eigen, *_parts(eigen)))
    assert_rejected(eigen, wrong)


@pytest.mark.parametrize("build", [b for _, b in EQUIVALENT], ids=[i for i, _ in EQUIVALENT])
def test_equivalent_form_is_accepted(eigen, build) -> None:
    same = sp.ImmutableMatrix(build(eigen, *_parts(eigen)))
    assert_accepted(eigen, same)
