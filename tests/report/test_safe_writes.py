"""Interrupting a report never loses the previous one; foreign files need --force."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnsym import cli


def make_good_report(out: Path) -> dict[str, bytes]:
    assert cli.main(["report", "--out", str(out), "--only", "half_life", "--no-pdf",
                     "--examples", "5", "--jobs", "1"]) == 0
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_run_keeps_the_previous_report_and_leaves_no_partial_files(tmp_path, sig) -> None:
    out = tmp_path / "report"
    before = make_good_report(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnsym.cli", "report", "--out", str(out), "--no-pdf",
         "--examples", "200", "--jobs", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A background job inherits SIGINT as ignored (as CI runs us); restore the default
        # so the child's Python installs its KeyboardInterrupt handler, as in a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the new run has made its working directory
        if any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
            break
        time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the report never started writing")
    time.sleep(1.0)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err
    after = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_directory_with_foreign_files_is_refused_unless_forced(tmp_path, capsys) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    argv = ["report", "--out", str(out), "--only", "half_life", "--no-pdf", "--examples", "5"]
    assert cli.main(argv) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "thesis.tex").read_text() == "precious"
    assert cli.main(argv + ["--force"]) == 0
    assert (out / "summary.json").exists() and not (out / "thesis.tex").exists()
