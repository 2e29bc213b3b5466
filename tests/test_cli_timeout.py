"""``--timeout``: a checked range, one clean line on expiry, and an alarm that never fires twice.

Regressions: ``nan``, ``inf``, ``1e308`` and ``1e-9`` gave tracebacks (``setitimer``
rejected the first three; the last fired before the ``try``), and a
``_Timeout`` turned by Hypothesis into ``FlakyStrategyDefinition`` escaped as
a traceback with exit status 1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from rnnsym import cli

ROOT = Path(__file__).resolve().parents[1]
GAVE_UP = "rnnsym: error: gave up after --timeout {} seconds"


@pytest.fixture(autouse=True)
def restore_sigalrm() -> Iterator[None]:
    """Leave SIGALRM and the interval timer as each test found them."""
    handler = signal.getsignal(signal.SIGALRM)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, handler)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e308", "1e-9", "0", "-1", "0.0005",
                                   "1e7", "abc", ""])
def test_bad_timeouts_are_a_one_line_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([f"--timeout={value}", "list"])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"rnnsym: error: argument --timeout: must be a finite number from 0.001 to 1e6 seconds; got {value!r}"
    )


@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "1e-9"])
def test_bad_timeouts_in_a_subprocess_exit_2_without_traceback(value: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "rnnsym.cli", "--timeout", value, "list"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "0.001 to 1e6" in proc.stderr and repr(value) in proc.stderr


@pytest.mark.parametrize("value", ["0.001", "1e6", "2.5"])
def test_the_range_ends_are_accepted(value: str) -> None:
    assert cli._build_parser().parse_args(["--timeout", value, "list"]).timeout == float(value)


def test_a_run_within_the_timeout_succeeds_and_leaves_no_timer(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--timeout", "1e6", "list"]) == 0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    os.kill(os.getpid(), signal.SIGALRM)  # a late alarm is ignored, not a _Timeout in later code
    time.sleep(0.01)


@pytest.mark.parametrize("seconds", ["0.05", "0.2", "0.5"])
def test_slow_verify_in_a_subprocess_gives_one_clean_line_and_exit_2(seconds: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "rnnsym.cli", "--timeout", seconds, "verify", "--examples", "100000"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.splitlines() == [GAVE_UP.format(seconds)], proc.stderr[-3000:]


def test_the_alarm_is_silent_while_its_timeout_unwinds_and_after_disarm() -> None:
    alarm = cli._Alarm(10.0)
    with pytest.raises(cli._Timeout):
        alarm._on_signal(signal.SIGALRM, None)
    assert alarm.fired
    alarm._on_signal(signal.SIGALRM, None)  # 50 ms later: the first one is still unwinding
    alarm.disarm()
    alarm.raised_at -= 3600.0  # even long after, a disarmed alarm never raises
    alarm._on_signal(signal.SIGALRM, None)


def _spin(args: object) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.005)
    return 0


def _swallow(args: object) -> int:
    try:
        _spin(args)
    except BaseException:  # noqa: BLE001 - a library that catches everything
        pass
    return 0


def _convert(args: object) -> int:
    try:
        _spin(args)
    except BaseException:  # noqa: BLE001 - as Hypothesis does: FlakyStrategyDefinition
        raise RuntimeError("Inconsistent data generation!") from None
    return 0


@pytest.mark.parametrize("command", [_spin, _swallow, _convert])
def test_a_timeout_is_reported_once_however_the_command_treats_it(
        command: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "_cmd_list", command)
    start = time.monotonic()
    assert cli.main(["--timeout", "0.05", "list"]) == 2
    assert time.monotonic() - start < 10
    assert capsys.readouterr().err.splitlines() == [GAVE_UP.format("0.05")]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
