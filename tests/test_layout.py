"""The floor plan holds: one-way imports, module-level imports, small modules, one public face."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rnnsym

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "rnnsym").rglob("*.py"), *(ROOT / "derivations").glob("*.py")])
#: Optional (or slow to import) third-party packages that may be imported inside a function.
OPTIONAL = {"numba", "jax", "cupy", "symengine", "tqdm", "dask", "matplotlib", "scipy.stats", "safetensors"}
MAX_LINES = 620


def _late_imports(path: Path) -> list[tuple[int, str, str]]:
    """(line, module, source line) of every import below module level (outside TYPE_CHECKING)."""
    source = path.read_text()
    tree = ast.parse(source)
    guarded = [(n.lineno, n.end_lineno) for n in ast.walk(tree)
               if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)]
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset > 0:
            if any(a <= node.lineno <= b for a, b in guarded):
                continue
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else ["." * node.level + (node.module or "")])
            found += [(node.lineno, name, lines[node.lineno - 1]) for name in names]
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_function_level_imports_are_only_of_optional_third_party_packages(path: Path) -> None:
    lines = path.read_text().splitlines()
    for lineno, module, text in _late_imports(path):
        assert not module.startswith((".", "rnnsym", "derivations")), (
            f"{path.name}:{lineno} imports the sibling module {module!r} inside a function; "
            "import it at module level (the import contract keeps the layers one-way)")
        assert any(module == o or module.startswith(o + ".") for o in OPTIONAL), (
            f"{path.name}:{lineno} imports {module!r} inside a function; only optional packages "
            f"({', '.join(sorted(OPTIONAL))}) may be")
        assert "#" in text or lines[lineno - 2].strip().startswith("#"), (
            f"{path.name}:{lineno} imports {module!r} late without a one-line reason comment")


def test_the_function_level_import_check_catches_a_sibling_import(tmp_path: Path) -> None:
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from rnnsym.model import RNN  # late\n    return RNN\n")
    assert [m for _, m, _ in _late_imports(planted)] == ["rnnsym.model"]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_about_600_lines(path: Path) -> None:
    count = len(path.read_text().splitlines())
    assert count <= MAX_LINES, f"{path.relative_to(ROOT)} has {count} lines; split it by concept"


def test_import_contracts_hold() -> None:
    """`lint-imports` (import-linter, contracts in pyproject.toml): layers, no cycles, Hypothesis fenced."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("import-linter is required under CI=true (pip install -e '.[test]')")
        pytest.skip("import-linter is not installed")
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_public_api_is_the_top_level_all() -> None:
    names = rnnsym.__all__
    assert len(names) == len(set(names)), "duplicate names in rnnsym.__all__"
    for name in names:
        assert getattr(rnnsym, name) is not None, name
    assert set(names) <= set(dir(rnnsym)), "dir(rnnsym) must list the lazily loaded names too"


@pytest.mark.parametrize("package", ["rnnsym.linear", "rnnsym.fixedpoints", "rnnsym.report", "rnnsym.cells"])
def test_each_subpackage_re_exports_what_its_all_lists(package: str) -> None:
    module = __import__(package, fromlist=["__all__"])
    assert module.__all__ and all(hasattr(module, n) for n in module.__all__)


def test_python_dash_m_rnnsym_runs_the_command_line() -> None:
    result = subprocess.run([sys.executable, "-m", "rnnsym", "list"], capture_output=True, text=True,
                            cwd=ROOT.parent)
    assert result.returncode == 0 and "recurrence" in result.stdout, result.stderr
