"""What `rnnsym report` may remove: only what a report writes, at any depth, unless --force.

A report writes report.md, report.tex, report.pdf, report.log, summary.json
and figures/NAME.png for registered derivations; anything else in the
output directory (at any depth, or a directory or link where a file
belongs) is foreign.  Every refusal comes before any work, with a one-line
message and exit status 2, and leaves nothing behind.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from rnnsym.cli import main
# Private names: the tests replace the builder's work and its swap to see when each happens.
from rnnsym.report import build as report_module

ONLY = ["--only", "recurrence", "--no-pdf", "--examples", "2", "--jobs", "1"]
REPORT_FILES = {"report.md", "report.html", "report.tex", "summary.json",
                *(f"figures/recurrence.{kind}" for kind in ("png", "pdf", "svg"))}


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _report(out: Path) -> dict[str, bytes]:
    assert main(["report", "--out", str(out), *ONLY]) == 0
    return _snapshot(out)


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a derivation starts: the refusal must come first."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the report started its work before refusing the output directory")

    monkeypatch.setattr(report_module, "build_section", refuse)


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], *needles: str) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    message = [line for line in err.splitlines() if not line.startswith("[")]   # not the progress lines
    assert len(message) == 1 and message[0].startswith("rnnsym: error: ") and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("plant", [
    pytest.param(lambda out: (out / "figures" / "mine.png").write_text("x"), id="file-in-figures"),
    pytest.param(lambda out: (out / "figures" / "recurrence.png.bak").write_text("x"), id="backup-in-figures"),
    pytest.param(lambda out: (out / "figures" / "no_such_result.png").write_text("x"), id="unknown-derivation"),
    pytest.param(lambda out: (out / "figures" / "snr.png").mkdir(), id="directory-named-like-a-figure"),
    pytest.param(lambda out: (out / "summary.json").mkdir(), id="directory-named-summary.json"),
    pytest.param(lambda out: (out / "report.pdf").symlink_to(out.parent / "thesis.pdf"), id="link-named-report.pdf"),
    pytest.param(lambda out: (out / ".notes").write_text("x"), id="hidden-file"),
])
def test_anything_a_report_does_not_write_is_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, plant: Any) -> None:
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (tmp_path / "thesis.pdf").write_text("precious")
    plant(out)
    before = _snapshot(out)
    monkeypatch.setattr(report_module, "build_section", lambda *a, **k: pytest.fail("work started"))
    _refused(capsys, ["report", "--out", str(out), *ONLY], "did not write", "--force")
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["out", "thesis.pdf"]


def test_the_message_names_the_foreign_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            no_work: None) -> None:
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "mine.png").write_text("x")
    (out / "summary.json").mkdir()
    _refused(capsys, ["report", "--out", str(out), *ONLY], "figures/mine.png", "summary.json/")


def test_force_replaces_a_directory_with_foreign_files_at_any_depth(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _report(out)
    (out / "figures" / "mine.png").write_text("x")
    assert main(["report", "--out", str(out), *ONLY, "--force"]) == 0
    assert set(_snapshot(out)) == REPORT_FILES


def test_a_previous_report_with_every_kind_of_report_file_is_replaced_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _report(out)
    for name in ("report.pdf", "report.log", "figures/snr.png", "figures/snr.pdf", "figures/snr.svg"):
        (out / name).write_text("from an earlier run")
    assert main(["report", "--out", str(out), *ONLY]) == 0
    assert set(_snapshot(out)) == REPORT_FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_files_that_appear_during_the_work_are_never_removed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    before = _report(out)
    real = report_module.build_section

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        (out / "figures" / "late.png").write_text("saved by the user while the report ran")
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module, "build_section", meanwhile)
    _refused(capsys, ["report", "--out", str(out), *ONLY], "figures/late.png")
    assert _snapshot(out) == {**before, "figures/late.png": b"saved by the user while the report ran"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- --out . -------------------------------------------------------------------------
def test_out_dot_writes_the_report_into_an_empty_current_directory(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["report", "--out", ".", *ONLY]) == 0
    assert set(_snapshot(here)) == REPORT_FILES
    assert sorted(p.name for p in here.iterdir()) == ["figures", "report.html", "report.md", "report.tex", "summary.json"]
    first = (here / "summary.json").read_bytes()
    assert main(["report", "--out", ".", *ONLY, "--seed", "1"]) == 0  # replaces its own report there
    assert set(_snapshot(here)) == REPORT_FILES and (here / "summary.json").read_bytes() != first
    assert main(["report", "--out", str(here), *ONLY]) == 0      # the same directory by its full path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]


def test_out_dot_with_foreign_files_is_refused_and_force_removes_only_report_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "mine.png").write_text("x")
    _refused(capsys, ["report", "--out", ".", *ONLY], "notes.txt", "figures/mine.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures", "notes.txt"]
    # --force replaces the report's own names (figures/ included) but never the rest of the directory
    assert main(["report", "--out", ".", *ONLY, "--force"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert set(_snapshot(tmp_path)) == REPORT_FILES | {"notes.txt"}


def test_a_failed_swap_inside_the_current_directory_puts_the_previous_report_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = _report(tmp_path)
    real = os.rename

    def full_disk(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        if Path(target).name == "summary.json" and Path(source).parent.name.endswith(".tmp"):
            raise OSError(28, "No space left on device", str(target))
        real(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "rename", full_disk)
    assert main(["report", "--out", ".", *ONLY]) == 2
    assert _snapshot(tmp_path) == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "figures", "report.html", "report.md", "report.tex", "summary.json"]


# -- read-only ---------------------------------------------------------------------
def test_a_read_only_output_directory_is_refused_before_any_work_and_nothing_is_left(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report"
    before = _report(out)
    monkeypatch.setattr(report_module, "build_section", lambda *a, **k: pytest.fail("work started"))
    if os.geteuid() == 0:   # root writes anywhere: make the permission check see what a user would
        real = os.access
        monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == out and mode & os.W_OK
                            else real(path, mode, **kw))
    out.chmod(0o555)
    try:
        _refused(capsys, ["report", "--out", str(out), *ONLY], "not writable", str(out))
    finally:
        out.chmod(0o755)
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_swap_that_fails_leaves_the_previous_report_and_no_old_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    before = _report(out)
    real = os.rename

    def denied(source: Any, target: Any, *args: Any, **kwargs: Any) -> None:
        if Path(source) == out:
            raise PermissionError(13, "Permission denied", str(source))
        real(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "rename", denied)
    assert main(["report", "--out", str(out), *ONLY]) == 2
    assert "Permission denied" in capsys.readouterr().err
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["report"]
