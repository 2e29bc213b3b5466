"""The ode_error derivation: Euler's global error, first order, verification, output."""

from __future__ import annotations

import json

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf
from rnnsym.registry import derive
from rnnsym.symbols import LAM

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
    report = ode.with_result(sp.exp(lam * N * dt) - (1 + dt * lam) ** (N + 1)).verify(max_examples=20)
    assert not report.passed and report.counterexample is not None


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
