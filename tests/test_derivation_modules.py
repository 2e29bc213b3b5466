"""Every registered derivation follows the contract of the registry."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rnnsym as rs
from rnnsym.registry import derivation_module

DERIVATIONS = Path(__file__).resolve().parents[1] / "derivations"


@pytest.mark.parametrize("name", rs.derivation_names())
def test_module_file_is_named_after_its_derivation(name: str) -> None:
    module = derivation_module(name)
    assert Path(module.__file__).stem == name
    assert module.TITLE and module.REFERENCE


@pytest.mark.parametrize("path", sorted(DERIVATIONS.glob("[!_]*.py")), ids=lambda p: p.stem)
def test_derivations_never_parse_formulas_from_text(path: Path) -> None:
    """Results are built from the model, never typed in as strings to parse."""
    tree = ast.parse(path.read_text())
    banned = {"sympify", "parse_expr", "S", "eval", "exec", "parse_expression"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in banned and any(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                      for a in node.args):
                pytest.fail(f"{path.name}:{node.lineno} builds an expression from a string")


@pytest.mark.parametrize("name", rs.derivation_names())
def test_every_derivation_renders_in_every_format(name: str) -> None:
    d = rs.derive(name)
    assert d.steps and d.latex() and d.markdown() and d.text()
    assert d.as_dict()["name"] == name


def test_unknown_derivation_names_the_choices() -> None:
    with pytest.raises(rs.UnknownNameError, match="expected one of recurrence"):
        rs.derive("recurence")
