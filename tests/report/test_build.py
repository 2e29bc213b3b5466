"""`rnnsym report`: its files and schema, LaTeX that compiles, atomic writing, exit status.

The report runs here with a reduced profile (`--only recurrence snr`, 3
examples per check) to stay within the test suite's time budget.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

import rnnsym as rs
import rnnsym.report.command  # noqa: F401 - registers `rnnsym report` with the CLI
from rnnsym.report import figures as figures_module
from rnnsym.report import build as report_module
from rnnsym.cli import main
from rnnsym.registry import derivation_module
from rnnsym.report.build import Progress, Section, build_report
from rnnsym.verification import VerificationReport

EXAMPLES = "3"
QUICK: dict[str, Any] = dict(examples=2, pdf=False, figures=False, progress=False)


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    out = tmp_path_factory.mktemp("reduced") / "report"
    status = main(["report", "--out", str(out), "--only", "recurrence", "snr", "--examples", EXAMPLES,
                   "--jobs", "2"])
    return out, status


def test_report_writes_tex_markdown_figures_and_summary(built: tuple[Path, int]) -> None:
    out, status = built
    assert status == 0
    for name in ("report.tex", "report.md", "report.html", "summary.json", "figures/recurrence.png", "figures/snr.png",
                 "figures/snr.pdf", "figures/snr.svg"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "$$" in markdown and "![" in markdown and "(figures/snr.png)" in markdown
    assert rs.derive("recurrence").title in markdown
    tex = (out / "report.tex").read_text(encoding="utf-8")
    assert tex.startswith("\\documentclass") and "\\includegraphics{figures/snr.pdf}" in tex   # unscaled


def test_summary_json_uses_the_derivation_and_verification_keys(built: tuple[Path, int]) -> None:
    out, _ = built
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["passed"] is True and summary["failed"] == []
    assert [d["name"] for d in summary["derivations"]] == ["recurrence", "snr"]
    derivation = rs.derive("recurrence")
    verification_keys = set(VerificationReport("x", True, 1, 0.0, 1.0).as_dict())
    for entry in summary["derivations"]:
        assert set(derivation.as_dict()) <= set(entry)
        assert set(entry["verification"]) == verification_keys
        assert entry["verification"]["passed"] is True and entry["verification"]["examples"] > 0
        assert entry["result"]["latex"] and entry["figures"][0]["path"].startswith("figures/")
    recurrence = summary["derivations"][0]
    assert sp.sympify(recurrence["result"]["srepr"]) == derivation.result   # srepr round-trips


def test_report_tex_compiles_to_pdf(built: tuple[Path, int], require_pdflatex: None) -> None:
    out, _ = built
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["pdf"]["built"] is True
    assert not list(out.glob("report.aux")) and not list(out.glob("report.log"))


def test_default_output_directory_is_report_in_the_current_directory(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--only", "recurrence", "--examples", "2", "--no-pdf", "--jobs", "1"]) == 0
    assert (tmp_path / "report" / "summary.json").is_file()
    assert (tmp_path / "report" / "figures" / "recurrence.png").is_file()


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failure_mid_write_leaves_the_previous_report_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               failure: BaseException) -> None:
    out = tmp_path / "report"
    build_report(out, ["recurrence"], **QUICK)
    before = _snapshot(out)

    def broken_writer(*args: object, **kwargs: object) -> str:
        raise failure

    monkeypatch.setattr(report_module, "markdown_report", broken_writer)
    with pytest.raises(type(failure)):
        build_report(out, ["recurrence"], **QUICK)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]   # no half-written sibling left behind


def test_a_broken_figure_is_reported_and_the_report_still_written(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_figure(derivation: object, fig: object) -> str:
        raise ValueError("no axes today")

    monkeypatch.setattr(derivation_module("recurrence"), "figure", broken_figure)
    report = build_report(tmp_path / "report", ["recurrence"], examples=2, pdf=False, progress=False)
    assert report.exit_status == 0
    assert "figure not drawn: ValueError: no axes today" in (tmp_path / "report" / "report.md").read_text()
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["derivations"][0]["figure_errors"] == ["figure not drawn: ValueError: no axes today"]


def test_exit_status_is_nonzero_and_the_report_names_the_failed_verification(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    real = rs.derive

    def planted(name: str, **params: object) -> rs.Derivation:
        derivation = real(name, **params)
        return derivation.with_result(2 * derivation.result)

    monkeypatch.setattr(report_module, "derive", planted)
    out = tmp_path / "report"
    assert main(["report", "--out", str(out), "--only", "recurrence", "--examples", EXAMPLES, "--no-pdf",
                 "--jobs", "1"]) == 1
    assert "verification failed for recurrence" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["passed"] is False and summary["failed"] == ["recurrence"]
    entry = summary["derivations"][0]["verification"]
    assert entry["passed"] is False and entry["counterexample"]
    assert "Verification failed for: recurrence" in (out / "report.md").read_text()
    assert "Verification failed for: recurrence" in (out / "report.tex").read_text()


def test_a_derivation_that_raises_is_a_failed_section_not_a_crash(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str, **params: object) -> rs.Derivation:
        raise ArithmeticError("SymPy gave up")

    monkeypatch.setattr(report_module, "derive", broken)
    report = build_report(tmp_path / "report", ["recurrence"], **QUICK)
    assert report.exit_status == 1 and report.failed == ["recurrence"]
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["derivations"][0]["error"] == "ArithmeticError: SymPy gave up"
    assert summary["derivations"][0]["verification"]["worst_error"] is None


def test_refuses_to_replace_a_directory_it_did_not_write(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["report", "--out", str(tmp_path), "--only", "recurrence", "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_unknown_derivation_name_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--out", str(tmp_path / "r"), "--only", "no_such_result"]) == 2
    assert "no_such_result" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_without_matplotlib_figures_are_skipped_with_a_note(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(figures_module, "plotting_available", lambda: False)
    report = build_report(tmp_path / "report", ["recurrence"], examples=2, pdf=False, progress=False)
    assert report.exit_status == 0 and not (tmp_path / "report" / "figures").exists()
    assert "matplotlib is not installed" in (tmp_path / "report" / "report.md").read_text()


def test_without_pdflatex_the_report_says_how_to_get_the_pdf(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_module, "pdflatex_available", lambda: False)
    report = build_report(tmp_path / "report", ["recurrence"], examples=2, figures=False, progress=False)
    assert report.exit_status == 0 and report.pdf is None
    assert "texlive-latex-base" in (tmp_path / "report" / "report.md").read_text()
    assert main(["report", "--out", str(tmp_path / "other"), "--only", "recurrence", "--pdf"]) == 2


def test_progress_is_plain_lines_off_a_terminal_and_one_line_on_it(tmp_path: Path) -> None:
    plain = io.StringIO()
    build_report(tmp_path / "report", ["recurrence"], examples=2, pdf=False, figures=False,
                 progress=Progress(1, stream=plain, tty=False))
    assert plain.getvalue().startswith("[1/1] PASS recurrence: ") and "\r" not in plain.getvalue()

    terminal = io.StringIO()
    progress = Progress(2, stream=terminal, tty=True)
    check = VerificationReport("recurrence", True, 5, 1e-12, 1e-6, message="ok")
    for name in ("recurrence", "snr"):
        progress.running(f"{name}: verifying")
        progress.done(Section(name, name, {"name": name}, "", "", check))
    progress.close()
    assert "\n" not in terminal.getvalue() and terminal.getvalue().count("\r\x1b[K") == 5


def test_json_never_holds_nan_or_infinity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """summary.json goes through the one sanitiser: a verification whose worst error is NaN or infinite
    is written as null, and the file is strict JSON."""
    cleaned = report_module.json_ready({"a": [math.nan, 1.0, {"b": math.inf}]})
    assert json.loads(json.dumps(cleaned, allow_nan=False)) == {"a": [None, 1.0, {"b": None}]}
    original = report_module.build_section

    def spoiled(*args, **kwargs):
        section = original(*args, **kwargs)
        section.verification = dataclasses.replace(section.verification, worst_error=math.inf)
        return section
    monkeypatch.setattr(report_module, "build_section", spoiled)
    build_report(tmp_path / "out", ["half_life"], examples=3, pdf=False, progress=False, jobs=1)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(), parse_constant=lambda c: 1 / 0)
    assert summary["derivations"][0]["verification"]["worst_error"] is None


def test_every_registered_derivation_has_a_figure() -> None:
    assert set(rs.derivation_names()) <= set(figures_module.figure_names())


def test_figures_are_found_in_their_derivation_modules() -> None:
    for name in figures_module.figure_names():
        module = derivation_module(name)
        assert figures_module.figure_function(name) is module.figure
        assert module.figure.__doc__ and module.figure.__module__ == f"rnnsym.derivations.{name}"
    assert dict(figures_module.FIGURES) == {n: derivation_module(n).figure for n in figures_module.figure_names()}
    with pytest.raises(rs.UnknownNameError, match="has no figure"):
        figures_module.render_figure("no_such_result", rs.derive("recurrence"), ".")


def test_a_derivation_without_figure_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(derivation_module("snr"), "figure")
    assert "snr" not in figures_module.figure_names() and "snr" not in figures_module.FIGURES
    with pytest.raises(rs.UnknownNameError, match="'snr' has no figure"):
        figures_module.figure_function("snr")
