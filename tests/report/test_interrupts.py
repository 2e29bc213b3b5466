"""An interrupt that CPython drops or a library swallows still stops `rnnsym report` before the swap.

These run the command in this process and deliver SIGTERM through
``_thread.interrupt_main``, which runs the Python-level handler as a real
SIGTERM would, and does nothing where no Python handler is installed (so a
broken test cannot kill pytest).  Real signals at random moments are in
``test_signal_trials.py``.
"""

from __future__ import annotations

import _thread
import gc
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from rnnsym.cli import main
# Private names: the tests replace the builder's work and its swap to interrupt them at chosen points.
from rnnsym.report import build as report_module
from rnnsym._signals import INTERRUPTS, Interrupted, raising

ARGV = ["--only", "recurrence", "--no-pdf", "--examples", "2", "--jobs", "1"]


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _sigterm_now() -> None:
    """Deliver SIGTERM to this process's Python handler, then give it bytecode boundaries to run at."""
    _thread.interrupt_main(signal.SIGTERM)
    for _ in range(10_000):
        pass


class _RaisesInDel:
    def __del__(self) -> None:
        _sigterm_now()


def _swallowed() -> None:
    try:
        _sigterm_now()
    except BaseException:  # noqa: BLE001 - a library that swallows everything, as some do
        pass


def _in_gc_callback() -> None:
    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            _sigterm_now()

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)
    for _ in range(10_000):   # the handler raises here, once out of the callback
        pass


def _in_del() -> None:
    _RaisesInDel()   # dropped at once: __del__ runs, and CPython prints what it raises as "Exception ignored"
    for _ in range(10_000):
        pass


@pytest.mark.parametrize("where", [_swallowed, _in_gc_callback, _in_del], ids=["swallowed", "gc-callback", "__del__"])
def test_a_lost_interrupt_still_keeps_the_previous_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], where: Any) -> None:
    out = tmp_path / "report"
    assert main(["report", "--out", str(out), *ARGV]) == 0
    before = _snapshot(out)
    real = report_module.build_section

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        where()
        return real(*args, **kwargs)

    monkeypatch.setattr(report_module, "build_section", interrupted)
    capsys.readouterr()
    assert main(["report", "--out", str(out), *ARGV]) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "interrupted by SIGTERM" in err and "Exception ignored" not in err and "Traceback" not in err
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL   # restored: pytest can be stopped again


def test_an_interrupt_during_the_swap_is_recorded_and_the_new_report_completes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert main(["report", "--out", str(out), *ARGV]) == 0
    before = _snapshot(out)
    real = report_module._swap_into_place

    def swap(*args: Any, **kwargs: Any) -> None:
        _sigterm_now()                   # deferred: recorded, not raised
        real(*args, **kwargs)
        _sigterm_now()

    monkeypatch.setattr(report_module, "_swap_into_place", swap)
    capsys.readouterr()
    assert main(["report", "--out", str(out), *ARGV, "--seed", "1"]) == 0  # another seed: a summary that must differ
    err = capsys.readouterr().err
    assert "SIGTERM arrived after the new report was in place" in err
    after = _snapshot(out)
    assert set(after) == set(before) and after["summary.json"] != before["summary.json"]


def test_an_interrupt_just_before_the_swap_keeps_the_previous_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    assert main(["report", "--out", str(out), *ARGV]) == 0
    before = _snapshot(out)
    real = report_module._summary

    def summary(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        _swallowed()                     # the last thing before the swap, and lost
        return result

    monkeypatch.setattr(report_module, "_summary", summary)
    assert main(["report", "--out", str(out), *ARGV]) == 128 + signal.SIGTERM
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_outside_the_command_nothing_is_recorded_or_raised() -> None:
    INTERRUPTS.check()                   # not installed: a no-op
    assert not INTERRUPTS.installed
    assert INTERRUPTS.install()
    try:
        _sigterm_now()                   # installed, outside raising(): recorded only
        assert INTERRUPTS.received == signal.SIGTERM
        with pytest.raises(Interrupted) as caught:
            INTERRUPTS.check()
        assert caught.value.exit_status == 143 and caught.value.signame == "SIGTERM"
        with pytest.raises(Interrupted), INTERRUPTS.raising():
            _sigterm_now()
    finally:
        INTERRUPTS.uninstall()
    assert INTERRUPTS.received is None and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_the_timeout_handler_raises_only_outside_gc_callbacks() -> None:
    class Alarm(BaseException):
        pass

    previous = signal.signal(signal.SIGUSR1, raising(Alarm))
    seen: list[str] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            signal.raise_signal(signal.SIGUSR1)   # the handler runs here, inside the callback
            seen.append("callback finished")

    try:
        gc.callbacks.append(callback)
        with pytest.raises(Alarm):
            gc.collect()
            time.sleep(5)                         # delivered again 10 ms later, waking the sleep
    finally:
        gc.callbacks.remove(callback)
        signal.signal(signal.SIGUSR1, previous)
    assert seen == ["callback finished"]
