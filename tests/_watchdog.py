"""A watchdog for tests of refusals: a call that hangs fails the test instead of blocking the suite."""

from __future__ import annotations

import signal
from typing import Any, Callable

import pytest


class _TookTooLong(Exception):
    pass


def within(seconds: float, call: Callable[[], Any], message: str) -> Any:
    """``call()``, failing the test with ``message`` (``{seconds}`` filled in) if it runs past ``seconds``."""
    def alarm(signum: int, frame: Any) -> None:
        raise _TookTooLong

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return call()
    except _TookTooLong:
        pytest.fail(message.format(seconds=seconds))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
