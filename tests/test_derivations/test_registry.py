"""Every registered derivation follows the contract of the registry, and the registry checks it."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import sys
import subprocess
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.symbols import RHO
import rnnsym.derivations
from rnnsym import registry
from rnnsym.registry import (DerivationInfo, DerivationModuleError, derivation_info, derivation_module,
                             derivation_options, discover, validate_module)

DERIVATIONS = Path(rnnsym.derivations.__path__[0])
SOURCES = sorted(DERIVATIONS.glob("[!_]*.py"))
REGISTRY = Path(registry.__file__)
FIGURES = Path(importlib.import_module("rnnsym.report.figures").__file__)
LIMITED = [name for name in rs.derivation_names() if derivation_info(name).max_n is not None]


@pytest.mark.parametrize("name", rs.derivation_names())
def test_module_file_is_named_after_its_derivation(name: str) -> None:
    module = derivation_module(name)
    assert Path(module.__file__).stem == name
    assert module.__name__ == f"rnnsym.derivations.{name}"
    assert module.INFO.title and module.INFO.reference
    assert module.INFO is derivation_info(name) and module.INFO.name == name


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
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


# -- the metadata: typed, frozen, checked once ---------------------------------------------
def test_names_follow_the_unique_chapter_order() -> None:
    orders = [derivation_info(name).order for name in rs.derivation_names()]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    assert rs.derivation_names()[0] == "recurrence"


def test_info_is_frozen_and_its_mappings_read_only() -> None:
    info = derivation_info("recurrence")
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.max_n = 100  # type: ignore[misc]
    with pytest.raises(TypeError):
        info.options["n"] = str  # type: ignore[index]
    assert derivation_options("recurrence") == {"n": int, "m": int, "activation": str}


def test_derivations_show_their_info_symbols() -> None:
    for name in rs.derivation_names():
        assert rs.derive(name).symbols == dict(derivation_info(name).symbols)


def _module(name: str = "fake", **attributes: Any) -> ModuleType:
    module = ModuleType(f"somewhere.{name}")
    module.__dict__.update(attributes)
    return module


def _derive(n: int = 2, activation: str = "tanh") -> rs.Derivation:
    raise AssertionError("not called by the checks")


GOOD = dict(name="fake", title="A fake", reference="none", order=1, options={"n": int, "activation": str},
            max_n=3, limit_hint="use numbers.", section="The Recurrence Relation: The Engine of Memory")


@pytest.mark.parametrize("change, problem", [
    ({"name": "other"}, "`INFO.name` is 'other' but the module is named 'fake'"),
    ({"title": ""}, "must not be empty"),
    ({"order": True}, "`INFO.order` must be an integer"),
    ({"order": 1.5}, "`INFO.order` must be an integer"),
    ({"max_n": 0}, "`INFO.max_n` must be a positive integer or None"),
    ({"max_n": "3"}, "`INFO.max_n` must be a positive integer or None"),
    ({"options": {"n": list}}, "`INFO.options` must map option names to one of int, str, bool, float"),
    ({"options": {"m": int}}, "`derive` takes no option m"),
    ({"options": {"activation": str}}, "a limit is set on `n`, which is not an integer option"),
    ({"limit_hint": ""}, "names no alternative"),
    ({"max_n": 1}, "the default `n`=2 of `derive` lies outside its limit"),
    ({"option_ranges": {"activation": (1, 2)}}, "a limit is set on `activation`"),
    ({"symbols": {"x": 1}}, "`INFO.symbols` must map symbol names to descriptions"),
    ({"reference": None}, "`INFO.reference` must be a string"),
    ({"section": ""}, "`INFO.section` must be one of the chapter's sections"),
    ({"section": "Recurrence"}, "got 'Recurrence'"),
])
def test_a_broken_info_is_refused_naming_the_module(change: dict, problem: str) -> None:
    assert validate_module(_module(INFO=DerivationInfo(**GOOD), derive=_derive)).name == "fake"
    with pytest.raises(DerivationModuleError) as info:
        validate_module(_module(INFO=DerivationInfo(**{**GOOD, **change}), derive=_derive))
    message = str(info.value)
    assert message.startswith("derivation module somewhere.fake: ") and problem in message, message
    assert "\n" not in message and isinstance(info.value, TypeError)


@pytest.mark.parametrize("attributes, problem", [
    ({"derive": _derive}, "`INFO` must be a rnnsym.registry.DerivationInfo; got NoneType"),
    ({"INFO": dict(GOOD), "derive": _derive}, "got dict"),
    ({"INFO": DerivationInfo(**GOOD)}, "`derive` must be a function"),
    ({"INFO": DerivationInfo(**GOOD), "derive": _derive, "figure": "plot me"}, "`figure` must be a function"),
])
def test_a_module_without_the_contract_is_refused(attributes: dict, problem: str) -> None:
    with pytest.raises(DerivationModuleError, match="somewhere.fake") as info:
        validate_module(_module(**attributes))
    assert problem in str(info.value)


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, modules: dict[str, str]) -> str:
    package = f"fake_derivations_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    for name, source in modules.items():
        (tmp_path / package / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    for key in [k for k in sys.modules if k.startswith(package)]:
        monkeypatch.delitem(sys.modules, key)
    return package


FAKE = """
from rnnsym.registry import DerivationInfo

INFO = DerivationInfo(name={name!r}, title="A fake", reference="none", order={order},
                      section="Beyond the Chapter")


def derive():
    raise AssertionError("not called")
"""


def test_discovery_finds_public_modules_in_chapter_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(tmp_path, monkeypatch, {"late": FAKE.format(name="late", order=2),
                                               "early": FAKE.format(name="early", order=1),
                                               "_helpers": "VALUE = 1\n"})
    assert list(discover(package)) == ["early", "late"]


def test_discovery_refuses_a_shared_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(tmp_path, monkeypatch, {"one": FAKE.format(name="one", order=5),
                                               "two": FAKE.format(name="two", order=5)})
    with pytest.raises(DerivationModuleError, match=rf"{package}\.two: `INFO.order` 5 is already used by "
                                                    rf"{package}\.one"):
        discover(package)


def test_discovery_refuses_a_public_module_that_is_no_derivation(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    package = _package(tmp_path, monkeypatch, {"helpers": "VALUE = 1\n"})
    with pytest.raises(DerivationModuleError, match=rf"{package}\.helpers: `INFO` must be"):
        discover(package)


# -- limits: enforced once, by the registry ------------------------------------------------
@pytest.mark.parametrize("name", LIMITED)
def test_the_registry_refuses_n_over_max_n_before_the_module_runs(name: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    info = derivation_info(name)

    def not_called(**options: Any) -> rs.Derivation:
        raise AssertionError("the module's derive ran past the limit")

    monkeypatch.setattr(derivation_module(name), "derive", not_called)
    with pytest.raises(rs.ResourceLimitError) as refused:
        rs.derive(name, n=info.max_n + 1)
    assert str(refused.value) == (f"`n`={info.max_n + 1} is too large for the symbolic {name} derivation "
                                  f"(limit {info.max_n}); {info.limit_hint}")
    with pytest.raises(rs.ResourceLimitError):
        rs.derive(name, n=str(info.max_n + 1))   # as `--param n=...` gives it


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_modules_do_not_repeat_the_registrys_limit_checks(path: Path) -> None:
    source = path.read_text()
    assert "ResourceLimitError" not in source and "MAX_N" not in source, path.name


def test_option_ranges_are_enforced_with_the_numeric_alternative() -> None:
    info = derivation_info("gradient_norms")
    assert info.option_ranges == {"horizon": (1, 6)}
    for horizon in (0, 7):
        with pytest.raises(rs.InvalidArgumentError) as refused:
            rs.derive("gradient_norms", horizon=horizon)
        assert str(refused.value) == (f"`horizon` must be an integer in [1, 6] for the symbolic gradient_norms "
                                      f"derivation; got {horizon}; {info.limit_hint}")


# -- imports (the general rules are tests/test_layout.py's and import-linter's) ------------
def _imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))]


def _names(node: ast.ImportFrom | ast.Import) -> list[str]:
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]


@pytest.mark.parametrize("path", [*SOURCES, REGISTRY, FIGURES], ids=lambda p: p.stem)
def test_imports_are_absolute_and_matplotlib_only_inside_functions(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in _imports(path):
        assert not (isinstance(node, ast.ImportFrom) and node.level), f"{path.name}:{node.lineno} is relative"
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert not any(name.split(".")[0] == "matplotlib" for node in top for name in _names(node)), (
        f"{path.name} imports matplotlib (the optional `plot` extra) at import time")


def test_the_registry_never_imports_a_derivation_statically() -> None:
    for node in _imports(REGISTRY):
        assert not any(n.startswith("rnnsym.derivations") or n.split(".")[0] == "derivations"
                       for n in _names(node))


# -- sizes bounded after each substitution (issue 15, item 2) ---------------------------------
def _capped(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter under a 2 GB address-space cap."""
    prelude = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
    return subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("params, words", [
    (["rho=(tau+1)**(10**300)", "tau=1"], "exponent"),                 # symbolic base, huge exponent
    (["rho=(tau+1)**10000", "tau=1"], "3.01e+03 digits"),             # sized only once tau is a number
    (["tau=1", "rho=(tau+1)**10000"], "3.01e+03 digits"),             # in either order
    (["rho=exp(tau)", "tau=10**4"], "exp() is limited"),
    (["rho=tau", "tau=rho"], "cycle"),
    (["tau=-1/2"], "positive"),                                         # the symbol's own assumption
])
def test_substituted_sizes_are_bounded_in_a_memory_cap(params: list[str], words: str) -> None:
    argv = [a for p in params for a in ("--param", p)]
    done = _capped(f"import sys; from rnnsym.cli import main; sys.exit(main({['derive', 'half_life'] + argv!r}))")
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stderr.startswith("rnnsym: error:") and words in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_value_using_another_substituted_symbol_gets_its_value() -> None:
    d = rs.derive("half_life", rho="(tau+1)**2/4", tau="1/3")
    assert d.parameters[RHO] == sp.Rational(4, 9)
    assert sp.simplify(d.result + sp.log(2) / sp.log(sp.Rational(4, 9))) == 0


@pytest.mark.parametrize("argv, words", [
    (["recurrence", "--param", "n=2", "--param", "m=100000"], "`m` must be an integer in [0, 64]"),
    (["controllability", "--param", "n=3", "--param", "m=2000"], "`m` must be an integer in [1, 8]"),
    (["observability", "--param", "n=3", "--param", "p=2000"], "`p` must be an integer in [1, 8]"),
    (["fixed_points", "--param", "scale=0"], "`scale` must be an integer in [1, 1000000]"),
    (["fixed_points", "--param", "scale=-1"], "`scale` must be an integer in [1, 1000000]"),
])
def test_option_limits_are_refused_at_once_in_one_line(argv: list[str], words: str) -> None:
    """Issue 15, item 8: each refusal within seconds, naming the limit and the numeric alternative."""
    done = _capped(f"import sys; from rnnsym.cli import main; sys.exit(main({['derive', *argv]!r}))")
    assert done.returncode == 2 and words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "use rnnsym." in done.stderr
