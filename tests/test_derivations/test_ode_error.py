"""The ode_error derivation: Euler's global error, first order, verification, output."""

from __future__ import annotations

import functools
import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derive
from rnnsym.symbols import LAM
from tests.test_derivations._planted import assert_accepted, assert_rejected

KEYS = {"name", "title", "reference", "parameters", "symbols", "steps", "result", "assumptions"}


@pytest.fixture(scope="module")
def ode() -> rs.derivation.Derivation:
    return derive("ode_error")


def test_euler_error_equals_the_errata_form(ode) -> None:
    lam, dt, N = (ode.all_symbols[name] for name in ("lam", "dt", "N"))
    assert sp.simplify(ode.result - (sp.exp(lam * N * dt) - (1 + dt * lam) ** N)) == 0


def test_euler_error_is_first_order(ode) -> None:
    lam, t_N = ode.all_symbols["lam"], ode.all_symbols["t_N"]
    assert sp.simplify(ode.context["leading"] - lam**2 * t_N * sp.exp(lam * t_N) / 2) == 0


def test_lam_is_the_packages_shared_symbol_everywhere(ode) -> None:
    assert ode.all_symbols["lam"] == LAM   # same name and assumptions (none)
    assert ode.context["leading"].has(LAM)
    assert not any(step.statement.atoms(sp.Dummy) for step in ode.steps)   # the real dummy is gone
    assert not ode.result.atoms(sp.Dummy) and not ode.context["leading"].atoms(sp.Dummy)


def test_ode_error_verifies(ode) -> None:
    report = ode.verify(max_examples=20)
    assert report.passed, report.message


def test_verification_catches_an_off_by_one_error(ode) -> None:
    lam, dt, N = (ode.all_symbols[name] for name in ("lam", "dt", "N"))
    assert_rejected(ode, sp.exp(lam * N * dt) - (1 + dt * lam) ** (N + 1), 20)


def test_ode_error_honours_parameters() -> None:
    d = derive("ode_error", lam=-2)
    assert d.verify(max_examples=10).passed
    assert d.result.free_symbols == {d.all_symbols["dt"], d.all_symbols["N"]}


def test_euler_error_vanishes_for_lam_zero() -> None:
    assert derive("ode_error", lam=0).result == 0


# -- output ------------------------------------------------------------------------------
def test_json_has_the_design_keys() -> None:
    data = derive("ode_error").as_dict()
    assert KEYS <= set(data)
    json.dumps(data)


def test_latex_compiles(tmp_path, require_pdflatex) -> None:
    assert compile_pdf(derive("ode_error").latex(standalone=True), tmp_path).exists()


# -- planted errors: each plausible wrong e_N is rejected; equal forms are accepted ---------------
@functools.cache
def _derived() -> rs.derivation.Derivation:
    return derive("ode_error")


def _terms(d: rs.derivation.Derivation) -> tuple[sp.Expr, sp.Expr, dict[str, sp.Symbol]]:
    """``exp(lam N dt)`` and the Euler value ``(1 + dt lam)^N`` (``e_N`` is their difference)."""
    exact = next(t for t in d.result.args if t.has(sp.exp))
    return exact, exact - d.result, {name: d.all_symbols[name] for name in ("lam", "dt", "N", "t_N")}


def _replace_euler(d: rs.derivation.Derivation, build) -> sp.Expr:
    exact, euler, s = _terms(d)
    return exact - build(euler, s)


def _uncorrected_local_sum(d: rs.derivation.Derivation) -> sp.Expr:
    """The local errors summed without their propagation: ``N tau`` (= N e_1)."""
    return _terms(d)[2]["N"] * d.result.subs(_terms(d)[2]["N"], 1)


def _leading_only(d: rs.derivation.Derivation) -> sp.Expr:
    s = _terms(d)[2]
    return d.context["leading"].subs(s["t_N"], s["N"] * s["dt"]) * s["dt"]


PLANTED = [
    pytest.param(lambda d: -d.result, id="sign-flip"),
    pytest.param(lambda d: _replace_euler(d, lambda e, s: e.subs(s["N"], s["N"] + 1)), id="euler-N+1-steps"),
    pytest.param(lambda d: _replace_euler(d, lambda e, s: e.subs(s["N"], s["N"] - 1)), id="euler-N-1-steps"),
    pytest.param(lambda d: d.result.subs(_terms(d)[0], _terms(d)[0].subs(_terms(d)[2]["N"], _terms(d)[2]["N"] + 1)),
                 id="exact-at-t_N+1"),
    pytest.param(lambda d: 2 * d.result, id="factor-2"),
    pytest.param(lambda d: d.result / 2, id="factor-half"),
    pytest.param(lambda d: d.result * 1.01, id="plus-1pct"),
    pytest.param(lambda d: d.result * 0.99, id="minus-1pct"),
    pytest.param(lambda d: d.result + 0.01 * _terms(d)[0], id="exact-term-plus-1pct"),
    pytest.param(_uncorrected_local_sum, id="uncorrected-local-errors-summed-N-tau"),
    pytest.param(_leading_only, id="leading-order-right-only-as-dt-to-0"),
    pytest.param(lambda d: d.result.subs(_terms(d)[2]["lam"], sp.Abs(_terms(d)[2]["lam"])),
                 id="abs-lam-right-for-lam>0"),
    pytest.param(lambda d: _replace_euler(d, lambda e, s: sp.Abs(e.base) ** e.exp),
                 id="abs-base-right-for-lam-dt>-1"),
    pytest.param(lambda d: _replace_euler(d, lambda e, s: sp.exp(e.exp * sp.log(e.base))),
                 id="exp-log-form-nan-below-1"),
    pytest.param(lambda d: _replace_euler(d, lambda e, s: (2 - e.base) ** (-e.exp)), id="backward-euler"),
    pytest.param(lambda d: d.result.subs(_terms(d)[2]["dt"], _terms(d)[2]["dt"] / 2), id="half-step"),
    pytest.param(lambda d: d.result.subs(_terms(d)[2]["lam"], -1), id="right-only-at-lam-minus-1"),
]

EQUIVALENT = [
    pytest.param(lambda d: d.numeric_form(d.result), id="the-numeric-form"),
    pytest.param(lambda d: sp.exp(_terms(d)[2]["lam"] * _terms(d)[2]["dt"]) ** _terms(d)[2]["N"] - _terms(d)[1],
                 id="exp-to-the-N"),
    pytest.param(lambda d: _terms(d)[0] * (1 - (_terms(d)[1].base * sp.exp(-_terms(d)[2]["lam"] * _terms(d)[2]["dt"]))
                                           ** _terms(d)[2]["N"]), id="factored-exp"),
    pytest.param(lambda d: sp.powsimp(d.result, force=True), id="powsimp"),
]


def test_there_are_at_least_twelve_planted_errors() -> None:
    assert len(PLANTED) >= 12


@pytest.mark.parametrize("wrong", PLANTED)
def test_planted_error_is_rejected(wrong) -> None:
    d = _derived()
    expr = wrong(d)
    assert sp.simplify(expr - d.result) != 0   # really a different result
    assert_rejected(d, expr)


@pytest.mark.parametrize("same", EQUIVALENT)
def test_equivalent_form_is_accepted(same) -> None:
    d = _derived()
    assert_accepted(d, same(d))
