"""The API reference builds from the docstrings without a warning, and the LICENSE matches pyproject."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_reference_builds_without_warnings(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_api_docs.py"), str(tmp_path / "api")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0 warning(s)" in done.stdout
    pages = {p.relative_to(tmp_path / "api").as_posix() for p in (tmp_path / "api").rglob("*.html")}
    # every public module has its page: the derivations, the analyses, the report, the CLI
    for page in ("rnnsym.html", "rnnsym/stability.html", "rnnsym/linear/controllability.html",
                 "rnnsym/fixedpoints/search.html", "rnnsym/derivations/snr.html", "rnnsym/report/build.html",
                 "rnnsym/cli.html"):
        assert page in pages, sorted(pages)
    html = (tmp_path / "api" / "rnnsym" / "stability.html").read_text()
    assert "classify_jacobian" in html and "half_life" in html


def test_license_file_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
