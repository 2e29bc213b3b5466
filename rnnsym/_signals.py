"""Turn a signal into an exception only where Python will not swallow it.

CPython ignores (and prints, as "Exception ignored in ...") an exception
raised by a signal handler while a garbage-collector callback runs, such as
Hypothesis's.  :func:`raising` builds a handler that raises ``exc`` in the
ordinary case and, inside a gc callback, sends the same signal again a
moment later instead, so the interrupt is neither lost nor printed as a
traceback.
"""

from __future__ import annotations

import gc
import os
import threading
from types import FrameType
from typing import Any, Callable

__all__ = ["raising", "in_gc_callback"]


def in_gc_callback(frame: FrameType | None) -> bool:
    """Whether ``frame`` (or a caller of it) is a function in ``gc.callbacks``."""
    codes = {getattr(cb, "__code__", None) for cb in gc.callbacks} - {None}
    while frame is not None and codes:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


def raising(exc: Callable[[], BaseException]) -> Callable[[int, Any], None]:
    """A signal handler that raises ``exc()``, retried after 20 ms inside a gc callback."""

    def handler(signum: int, frame: Any) -> None:
        if in_gc_callback(frame):
            threading.Timer(0.02, os.kill, (os.getpid(), signum)).start()
            return
        raise exc()

    return handler
