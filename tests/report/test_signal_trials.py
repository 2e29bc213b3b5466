"""SIGINT, SIGTERM and SIGKILL at random moments of `python -m rnnsym.cli report`.

Each trial starts the command on an output directory that holds a complete
report, sends one signal at a random moment from the start of the process
to a little past its usual end, and checks the one rule: either the previous
report survives byte for byte and the exit status is 128 + the signal number
(130, 143), or the new report is in place, complete (its files, a
summary.json that parses and lists the derivations) and the status is 0;
stderr never holds a traceback or "Exception ignored".  With ``--jobs 2``
the signal goes to the whole process group (as a terminal's Ctrl-C does),
and no worker or resource tracker outlives the command; after SIGKILL of
the parent alone they are gone within a few seconds, and no child ever
has SIGINT neither blocked nor ignored (its imports would print a
KeyboardInterrupt traceback).

``RNNSYM_SIGNAL_TRIALS`` sets the number of SIGINT/SIGTERM trials (default
10, under a minute; 100 for the full check); ``RNNSYM_SIGNAL_SEED`` the seed.
The tally is printed (``pytest -s``).

``rnnsym/__init__.py`` installs the handler before anything else it imports
(a signal then recorded is acted on when ``rnnsym.cli.main`` starts), so only
the interpreter's own start-up (tens of milliseconds) is left to its own
handling: SIGTERM ends the process at once (status -15; nothing was written),
and SIGINT prints the interpreter's KeyboardInterrupt.  Those trials are
tallied as "before rnnsym's handler" and held to the report rule only.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

TRIALS = int(os.environ.get("RNNSYM_SIGNAL_TRIALS", "10"))
SEED = int(os.environ.get("RNNSYM_SIGNAL_SEED", str(random.SystemRandom().randrange(10**6))))
NAMES = ["recurrence", "half_life"]
FILES = {"report.md", "report.html", "report.tex", "summary.json",
         *(f"figures/{name}.{kind}" for name in NAMES for kind in ("png", "pdf", "svg"))}


def _command(out: Path, jobs: int, seed: int = 0) -> list[str]:
    return [sys.executable, "-m", "rnnsym.cli", "report", "--out", str(out), "--only", *NAMES, "--no-pdf",
            "--jobs", str(jobs), "--seed", str(seed)]


def _start(out: Path, jobs: int, seed: int = 0, **kwargs: object) -> subprocess.Popen[str]:
    # A background job inherits SIGINT as ignored (as CI runs us); restore the default so the
    # child's Python installs its KeyboardInterrupt handler, as in a terminal.
    return subprocess.Popen(_command(out, jobs, seed), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kwargs)


def _snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        return {}
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _complete(files: dict[str, bytes]) -> bool:
    if set(files) != FILES:
        return False
    summary = json.loads(files["summary.json"])
    return [d["name"] for d in summary["derivations"]] == NAMES and summary["passed"] is True


def _status_bits(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def _handler_installed(pid: int) -> bool:
    """Whether rnnsym handles (or, once done, ignores) SIGTERM in ``pid``: nothing else in it does."""
    bit = 1 << (signal.SIGTERM - 1)
    return bool((_status_bits(pid, "SigCgt") | _status_bits(pid, "SigIgn")) & bit)


def _sigint_blocked_or_ignored(pid: int) -> bool:
    if not Path(f"/proc/{pid}").exists():
        return True
    return bool((_status_bits(pid, "SigBlk") | _status_bits(pid, "SigIgn")) & (1 << (signal.SIGINT - 1)))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"   # a zombie is dead (no init reaps it in some containers)


def _survivors(pids: list[int], within: float) -> list[int]:
    deadline = time.monotonic() + within
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture(scope="module")
def seconds(tmp_path_factory: pytest.TempPathFactory) -> float:
    """How long an uninterrupted run takes here (it also warms the caches)."""
    out = tmp_path_factory.mktemp("timing") / "report"
    started = time.monotonic()
    proc = _start(out, 1)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and _complete(_snapshot(out)), err
    return time.monotonic() - started


def test_sigint_and_sigterm_at_random_moments(tmp_path: Path, seconds: float) -> None:
    rng = random.Random(SEED)
    out = tmp_path / "report"
    proc = _start(out, 1)
    assert proc.wait(timeout=300) == 0
    tally: Counter[str] = Counter()
    for trial in range(TRIALS):
        sig = rng.choice([signal.SIGINT, signal.SIGTERM])
        jobs = 2 if trial % 5 == 4 else 1
        delay = rng.uniform(0.0, 1.25 * seconds * (1.5 if jobs == 2 else 1.0))
        before = _snapshot(out)
        # a seed per trial: a completed new report differs from the previous one by content
        proc = _start(out, jobs, trial + 1, start_new_session=True)
        time.sleep(delay)
        installed = _handler_installed(proc.pid)
        family = [proc.pid, *_children(proc.pid)]
        sent = proc.poll() is None
        if sent:
            os.killpg(proc.pid, sig) if jobs == 2 else proc.send_signal(sig)
        _, err = proc.communicate(timeout=300)
        after, status = _snapshot(out), proc.returncode
        where = f"trial {trial} (seed {SEED}): {sig.name} after {delay:.2f} s, --jobs {jobs}, exit {status}"
        left = _survivors(family[1:], within=5.0)
        _kill_all(left)
        assert not left, f"{where}: processes outlived the command: {left}"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report"], f"{where}: left {list(tmp_path.iterdir())}"
        if not installed and status in (-sig, 128 + sig) and after == before:
            if sig == signal.SIGINT:   # the interpreter's KeyboardInterrupt, from an import
                assert "Traceback" not in err or err.rstrip().endswith("KeyboardInterrupt"), f"{where}:\n{err}"
            printed = " with the import's traceback" if "Traceback" in err else ""
            tally[f"{sig.name} before rnnsym's handler: previous report kept, exit {status}{printed}"] += 1
            continue
        assert "Traceback" not in err and "Exception ignored" not in err, f"{where}:\n{err}"
        if status == 128 + sig:
            assert after == before, f"{where}: exit {status} but the previous report changed"
            assert "rnnsym: interrupted" in err, f"{where}:\n{err}"
            tally[f"{sig.name}: previous report kept, exit {status}"] += 1
        else:
            assert status == 0, f"{where}:\n{err}"
            assert _complete(after) and after != before, f"{where}: exit 0 but the new report is not complete"
            late = "arrived after the new report was in place" in err
            tally[f"{sig.name}: new report complete, exit 0" + (", said the signal came late" if late else "")
                  if sent else "finished before the signal: new report complete, exit 0"] += 1
    print(f"\n{TRIALS} trials, seed {SEED}, an uninterrupted run takes {seconds:.1f} s:")
    for outcome, count in sorted(tally.items()):
        print(f"  {count:4d}  {outcome}")


@pytest.mark.parametrize("trial", range(max(2, TRIALS // 10)))
def test_workers_and_resource_tracker_die_with_a_killed_parent(tmp_path: Path, seconds: float, trial: int) -> None:
    rng = random.Random(f"{SEED}-{trial}")
    out = tmp_path / "report"
    proc = _start(out, 2)
    deadline = time.monotonic() + 120
    exposed: set[int] = set()   # children that a Ctrl-C (SIGINT to the group) would interrupt: none may be
    while len(_children(proc.pid)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        exposed |= {pid for pid in _children(proc.pid) if not _sigint_blocked_or_ignored(pid)}
        time.sleep(0.01)   # two workers and the resource tracker
    until = time.monotonic() + rng.uniform(0.0, 0.5 * seconds)
    while time.monotonic() < until:
        exposed |= {pid for pid in _children(proc.pid) if not _sigint_blocked_or_ignored(pid)}
        time.sleep(0.01)
    family = _children(proc.pid)
    proc.kill()
    proc.communicate(timeout=60)
    left = _survivors(family, within=10.0)
    _kill_all(left)
    assert len(family) == 3 or proc.returncode == 0, f"expected two workers and a resource tracker: {family}"
    assert not left, f"processes outlived their parent (killed with SIGKILL): {left}"
    assert not exposed, f"children that would print a KeyboardInterrupt on Ctrl-C: {sorted(exposed)}"
    files = _snapshot(out)
    assert files == {} or _complete(files)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_rnnsym_is_imported_stops_it_without_a_traceback(tmp_path: Path, sig: int) -> None:
    """rnnsym/__init__.py installs the handler first; the imports after it take most of a second."""
    proc = _start(tmp_path / "report", 1)
    deadline = time.monotonic() + 60
    while not _handler_installed(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    assert _handler_installed(proc.pid)
    modules = Path(f"/proc/{proc.pid}/maps").read_text()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert "numpy" not in modules, "the signal came after the imports: this test would prove nothing"
    assert "Traceback" not in err and proc.returncode == 128 + sig, err
    assert err.strip() == f"rnnsym: interrupted by {signal.Signals(sig).name}", err
    assert not (tmp_path / "report").exists() and list(tmp_path.iterdir()) == []
