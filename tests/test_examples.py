"""The scripts in ``examples/`` run from top to bottom (as CI runs them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_there_is_a_notebook_style_example() -> None:
    assert EXAMPLES, "examples/ holds no scripts"
    assert any("# %%" in path.read_text(encoding="utf-8") for path in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_script_runs_without_error(path: Path, tmp_path: Path) -> None:
    # A fresh interpreter (runpy, as `python path` would), in an empty directory,
    # so the example relies on nothing but the installed package.
    code = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"
    proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
