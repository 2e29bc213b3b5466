"""Build report sections in this process and in worker processes, one queue worked from both ends.

:func:`run_sections` runs ``task(name, *args)`` for every name and returns
name -> result.  With ``jobs`` processes it starts ``jobs - 1`` workers
(``spawn``: each starts clean and imports rnnsym once) and lets this process
work too, so a report on two cores pays for one extra import, not two.  The
names are queued heaviest first (by the seconds each took last time, where
known: :func:`expected_order`); each worker is handed the next name from the
head as it finishes one, this process takes the lightest from the tail,
until the queue is empty.  Which process builds a section
does not change it: every section is built from its own name, examples and
seed alone.

Workers ignore SIGINT (a terminal sends it to the whole process group; this
process stops them) and die with this process, even one killed with
SIGKILL (:func:`rnnsym._signals.die_with_parent`).  Interrupts
(:data:`rnnsym._signals.INTERRUPTS`) are checked between sections; an
interrupted or failed run ends its workers within 2 s.

Examples
--------
>>> available_cores() >= 1
True
>>> expected_order(["a", "b", "c"], {"c": 2.0, "b": 5.0})
['b', 'c', 'a']
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from rnnsym._signals import INTERRUPTS, die_with_parent, spawning_quietly

__all__ = ["available_cores", "expected_order", "run_sections"]


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):   # no affinity on this system (macOS, Windows)
        return max(1, os.cpu_count() or 1)


def expected_order(names: Iterable[str], seconds: Mapping[str, float]) -> list[str]:
    """``names`` heaviest first by ``seconds`` (a name without a time keeps its place, after those with one)."""
    names = list(names)
    known = sorted((n for n in names if n in seconds), key=lambda n: -seconds[n])
    return known + [n for n in names if n not in seconds]


def run_sections(names: list[str], task: Callable[..., Any], args: tuple[Any, ...], jobs: int, *,
                 here: Callable[[str], Any], done: Callable[[str, Any], None],
                 failed: Callable[[str, BaseException], Any], running: Callable[[str], None],
                 seconds: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Run ``task(name, *args)`` for each of ``names`` in ``jobs`` processes (this one included).

    ``task`` (a module-level function, it is pickled by reference) runs in
    the workers; ``here(name)`` builds a name in this process instead.
    ``done(name, result)`` is called as each finishes, ``failed(name, exc)``
    makes the result of a name whose worker task failed, ``running(text)``
    says what runs.  ``seconds`` (name -> seconds last time) orders the
    queue.  Each worker holds one name at a time: as it finishes one, the
    pool's thread hands it the next from the head of the queue, so neither
    end waits for a name the other has reserved.  Should the pool break (a
    worker killed), this process builds what is left.
    """
    order = expected_order(names, seconds or {})
    workers = max(1, min(jobs - 1, len(order) - 1))
    queue, lock = deque(order), threading.RLock()
    outstanding: dict[Future[Any], str] = {}
    results: dict[str, Any] = {}
    pool: ProcessPoolExecutor | None = None
    stopping = finished = False

    def record(name: str, result: Any) -> None:
        results[name] = result
        done(name, result)

    def hand_out(_: object = None) -> None:   # under `lock`, or as a worker's task ends (in the pool's thread)
        with lock:
            if stopping or not queue or pool is None:
                return
            name = queue.popleft()
            try:
                future = pool.submit(task, name, *args)
            except Exception:  # noqa: BLE001 - shut down or broken: this process builds it instead
                queue.appendleft(name)
                return
            outstanding[future] = name
        future.add_done_callback(hand_out)

    try:
        # the workers start (in submit) with SIGINT and SIGTERM blocked; die_with_parent unblocks them
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=die_with_parent, initargs=(os.getpid(),))
        with spawning_quietly():   # (the pool's resource tracker and thread start here too)
            for _ in range(workers):
                hand_out()
        running(f"running {len(order)} derivations in {workers + 1} processes")
        while len(results) < len(order):
            INTERRUPTS.check()   # an interrupt whose exception was lost stops here
            with lock:
                ended = [(f, outstanding.pop(f)) for f in list(outstanding) if f.done()]
                mine = queue.pop() if queue and not ended else None   # the lightest name nobody holds
                waiting = list(outstanding)
            for future, name in ended:
                _collect(future, name, record, failed)
            if mine is not None:
                record(mine, here(mine))
            elif not ended and waiting:
                wait(waiting, return_when=FIRST_COMPLETED)
            elif not ended:   # never: every name is queued, held by a worker or finished
                raise RuntimeError("rnnsym report lost track of "
                                   + ", ".join(n for n in order if n not in results))
            if len(results) < len(order):
                running("running " + ", ".join(n for n in order if n not in results))
        finished = True
    finally:
        with lock:
            stopping = True
        if pool is not None:
            with INTERRUPTS.deferred():
                _stop(pool, finished)
    INTERRUPTS.check()
    return results


def _collect(future: Future[Any], name: str, record: Callable[[str, Any], None],
             failed: Callable[[str, BaseException], Any]) -> None:
    try:
        result = future.result()
    except Exception as exc:  # noqa: BLE001 - a worker that died (memory, signal)
        result = failed(name, exc)
    record(name, result)


def _stop(pool: ProcessPoolExecutor, finished: bool) -> None:
    """Shut ``pool`` down; unfinished (interrupted, failed), end its workers first (within 2 s)."""
    processes = [] if finished else list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(2.0 / len(processes))
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=finished, cancel_futures=True)
