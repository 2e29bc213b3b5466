"""The report's process pool: this process works from the light end of the queue, the workers from the heavy
end; every name is built once; a failed worker task becomes a failed section; the timing record orders the
queue and is data only (a record that is not a map of names to seconds is ignored, never trusted)."""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from rnnsym.report import history
from rnnsym.report.build import build_report
from rnnsym.report.workers import available_cores, expected_order, run_sections

NAMES = ["a", "b", "c", "d", "e", "f"]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RNNSYM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNSYM_NO_CACHE", raising=False)
    return tmp_path / "cache"


def _run(names: list[str], jobs: int = 2, task: Any = str.upper, **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    finished: list[str] = []
    results = run_sections(names, task, (), jobs, here=str.lower, done=lambda name, _: finished.append(name),
                           failed=lambda name, exc: f"failed: {type(exc).__name__}", running=lambda _: None,
                           **kwargs)
    return results, finished


def test_every_name_is_built_once_here_from_the_light_end_and_by_workers_from_the_heavy_end() -> None:
    seconds = {"a": 1.0, "b": 6.0, "c": 2.0, "d": 5.0, "e": 3.0, "f": 4.0}
    results, finished = _run(NAMES, seconds=seconds)
    order = expected_order(NAMES, seconds)
    assert order == ["b", "d", "f", "e", "c", "a"]
    assert sorted(finished) == NAMES and set(results) == set(NAMES)
    built_here = [n for n in order if results[n] == n]   # str.lower here, str.upper in a worker
    by_worker = [n for n in order if results[n] == n.upper()]
    assert len(built_here) + len(by_worker) == len(NAMES)
    assert by_worker == order[:len(by_worker)] and built_here == order[len(by_worker):]
    assert built_here, "this process built nothing: it must take the names no worker has started"
    mine = [n for n in finished if n in built_here]
    assert mine == built_here[::-1]   # lightest first, from the tail


def test_a_task_that_fails_in_a_worker_becomes_a_failed_result() -> None:
    names = ["7", "not a number", "9"]
    results, _ = _run(names, task=int)   # int("not a number") raises ValueError in a worker
    for name in names:
        assert results[name] in (name.lower(), int(name) if name.isdigit() else "failed: ValueError")


def _die_on_a(name: str) -> str:   # a worker task (imported by the spawned worker)
    if name == "a":
        os._exit(3)
    return name.upper()


def _slowly(name: str) -> str:
    time.sleep(0.2)
    return name.lower()


def test_after_a_worker_dies_its_name_fails_and_nothing_else_is_lost() -> None:
    names = [f"a{k}" if k else "a" for k in range(25)]   # "a" (the head) goes to the worker first
    finished: list[str] = []
    results = run_sections(names, _die_on_a, (), 2, here=_slowly, done=lambda name, _: finished.append(name),
                           failed=lambda name, exc: f"failed: {type(exc).__name__}", running=lambda _: None)
    assert sorted(finished) == sorted(names) and results["a"] == "failed: BrokenProcessPool"
    assert all(results[n] == n for n in names[1:])   # the pool broke: this process built the rest


def _without_rounding_level_numbers(value: Any, errors: list[float]) -> Any:
    """The summary with each check's worst error taken out (into ``errors``) and its printed form masked.

    A float64 kernel's error against its 30-digit value is rounding noise: the same
    arithmetic in another process (another BLAS thread count, another SIMD path) moves
    it by ulps, so the two reports must agree in everything else, bit for bit, and in
    every verdict, while those errors need only stay within their tolerances.
    """
    if isinstance(value, dict):
        if "worst_error" in value:
            errors.append(value["worst_error"])
        return {k: _without_rounding_level_numbers(v, errors) for k, v in value.items()
                if k not in ("seconds", "worst_error")}
    if isinstance(value, list):
        return [_without_rounding_level_numbers(v, errors) for v in value]
    if isinstance(value, str):
        return re.sub(r"worst error [-+0-9.e]+( |$)", r"worst error #\1", value)
    return value


def test_parallel_report_is_the_serial_report(tmp_path: Path) -> None:
    names = ["recurrence", "half_life", "controllability"]
    summaries, errors = [], []
    for jobs in (1, 3):
        out = tmp_path / f"jobs{jobs}"
        build_report(out, names, examples=2, pdf=False, figures=False, progress=False, jobs=jobs)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["passed"]
        errors.append([])
        summaries.append(_without_rounding_level_numbers(summary, errors[-1]))
    assert summaries[0] == summaries[1]                # same checks, examples, verdicts, text
    assert len(errors[0]) == len(errors[1]) > 0
    assert set(history.read_seconds()) == set(names)   # the parallel run recorded its sections' times


def test_available_cores_is_what_this_process_may_use() -> None:
    cores = available_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert cores == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("text", [
    "not json", "[1, 2]", '{"snr": "4.5"}', '{"snr": -1}', '{"snr": true}', '{"snr": NaN}', '{"snr": Infinity}',
    '{"snr": {"__class__": "os.system"}}', '{"1": 2.0, "snr": null}', "\udcff"])
def test_a_damaged_or_tampered_record_is_ignored_as_a_whole(text: str, _own_cache: Path) -> None:
    history.write_seconds({"recurrence": 1.5})
    assert history.read_seconds() == {"recurrence": 1.5}
    path = history.cache_path()
    assert path is not None and path.parent == _own_cache
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert history.read_seconds() == {}
    assert expected_order(["snr", "recurrence"], history.read_seconds()) == ["snr", "recurrence"]


def test_an_oversized_record_is_not_read(_own_cache: Path) -> None:
    record = {f"name{k}": float(k) for k in range(8000)}
    _own_cache.mkdir(parents=True)
    (_own_cache / "report-seconds.json").write_text(json.dumps(record), encoding="utf-8")
    assert history.read_seconds() == {}


def test_the_cache_can_be_turned_off_and_an_unwritable_one_is_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNSYM_NO_CACHE", "1")
    assert history.cache_path() is None
    history.write_seconds({"snr": 2.0})
    assert history.read_seconds() == {} and not (tmp_path / "cache").exists()
    monkeypatch.delenv("RNNSYM_NO_CACHE")
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("RNNSYM_CACHE_DIR", str(blocker / "below"))   # a file where a directory should be
    history.write_seconds({"snr": 2.0})   # no error: the times only order the work
    assert history.read_seconds() == {}


def test_the_cache_follows_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RNNSYM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert history.cache_path() is None   # not there yet
    history.write_seconds({"snr": 2.25, "bad": math.nan})
    assert history.cache_path() == tmp_path / "xdg" / "rnnsym" / "report-seconds.json"
    assert history.read_seconds() == {"snr": 2.25}
    assert (tmp_path / "xdg" / "rnnsym").stat().st_mode & 0o777 == 0o700
