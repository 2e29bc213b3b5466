"""One symbol object per shared name: `lam`, `rho`, `tau`, `omega` and `z` compare equal everywhere."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import sympy as sp

import rnnsym
import rnnsym.derivations
from rnnsym import symbols

SHARED = {s.name: s for s in (symbols.LAM, symbols.RHO, symbols.TAU, symbols.OMEGA, symbols.Z)}


def _modules() -> list[str]:
    names = []
    for package in (rnnsym, rnnsym.derivations):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.split(".")[-1].startswith("__"):
                names.append(info.name)
    return sorted(names)


def _symbols_in(value: object, depth: int = 0) -> list[sp.Symbol]:
    if isinstance(value, sp.Symbol):
        return [value]
    if depth < 2 and isinstance(value, (tuple, list, set, frozenset)):
        return [s for v in value for s in _symbols_in(v, depth + 1)]
    if depth < 2 and isinstance(value, dict):
        return [s for v in [*value, *value.values()] for s in _symbols_in(v, depth + 1)]
    return []


def _impostors(namespace: dict) -> list[str]:
    return [f"{attr} is Symbol({sym.name!r}) with assumptions {sym.assumptions0}"
            for attr, value in namespace.items() for sym in _symbols_in(value)
            if sym.name in SHARED and not isinstance(sym, sp.Dummy) and sym is not SHARED[sym.name]]


@pytest.mark.parametrize("module_name", _modules())
def test_every_module_level_symbol_with_a_shared_name_is_the_shared_object(module_name: str) -> None:
    found = _impostors(vars(importlib.import_module(module_name)))
    assert not found, f"{module_name}: {found}; use the symbol from rnnsym.symbols"


@pytest.mark.parametrize("name", rnnsym.derivation_names())
def test_derivation_results_use_the_shared_symbols(name: str) -> None:
    d = rnnsym.derive(name)
    exprs = [d.result] + [s.statement for s in d.steps]
    for expr in exprs:
        for sym in getattr(expr, "free_symbols", ()):
            if sym.name in SHARED and not isinstance(sym, sp.Dummy):
                assert sym is SHARED[sym.name], f"{name}: {sym.name} has assumptions {sym.assumptions0}"


def test_the_check_catches_a_private_lam_even_inside_a_container() -> None:
    namespace = {"LAM": symbols.LAM, "table": {"eig": (sp.Symbol("lam", positive=True),)}}
    found = _impostors(namespace)
    assert len(found) == 1 and found[0].startswith("table is Symbol('lam')")
