"""Signals: recorded by a handler, acted on where that is safe.

CPython cannot deliver an exception from a signal handler everywhere.
Raised while a garbage-collector callback (Hypothesis's), a weakref callback
(importlib's module locks, during any import) or a ``__del__`` method runs,
it is printed as "Exception ignored in ..." and dropped; raised in Python
code that C calls through an API that clears errors, it is dropped without
a word.  So an interrupt must never rest on the exception alone:

* :data:`INTERRUPTS` handles SIGINT and SIGTERM for ``rnnsym report``.  Its
  handler always records the signal first.  Inside
  :meth:`Interrupts.raising` (the work) it also raises :class:`Interrupted`
  for a prompt stop: not inside a gc callback, and a raise that CPython
  drops anyway is neither printed nor lost (both are delivered again, see
  below).  Inside :meth:`Interrupts.deferred` (the swap into place, the
  cleanup) it only records.  :meth:`Interrupts.check` raises for a recorded
  signal: the report builder calls it between derivations and just before
  the swap, so an interrupt whose exception was lost without a word still
  stops the report before it replaces the previous one.
* :func:`raising` is the single-purpose handler the ``--timeout`` alarm uses.
* :func:`spawning_quietly` and :func:`die_with_parent` are for worker
  processes: they ignore SIGINT (a terminal sends it to the whole process
  group; their parent stops them) and die with their parent, even a
  parent killed with SIGKILL.

A signal is delivered again by a helper thread, started beforehand with
every signal blocked: the handler (or ``sys.unraisablehook``, for a dropped
raise) only writes the signal number to a pipe, and 10 ms later the thread
sends the signal to the main thread (:func:`signal.pthread_kill`, which also
wakes it from a blocking call).  The handler cannot deliver it again itself
(CPython would run the handler again at once, recursively), nor start a
thread (it may run while the main thread holds threading's locks).
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Callable

__all__ = ["INTERRUPTS", "STOP_SIGNALS", "Interrupted", "Interrupts", "command_line_process", "die_with_parent",
           "in_gc_callback", "raising", "spawning_quietly"]

#: The signals that stop ``rnnsym report`` (and that its workers start with blocked).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_COMMAND_MODULES = ("rnnsym", "rnnsym.cli", "rnnsym.__main__")
_PR_SET_PDEATHSIG = 1   # <linux/prctl.h>


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM stopped the work; :attr:`exit_status` is the shell's 128 + signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def signame(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        return f"interrupted by {self.signame}"


def in_gc_callback(frame: FrameType | None) -> bool:
    """Whether ``frame`` (or a caller of it) is a function in ``gc.callbacks``."""
    codes = {getattr(cb, "__code__", None) for cb in gc.callbacks} - {None}
    while frame is not None and codes:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


class _Redelivery:
    """Delivers a signal again, a moment later, from a helper thread (see the module docstring)."""

    DELAY = 0.01

    def __init__(self) -> None:
        self._pipe: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._last: tuple[BaseException, int, Callable[[], None] | None] | None = None
        self._previous_hook: Callable[[Any], Any] | None = None

    def start(self) -> None:
        """Start the thread (once) and watch for dropped raises; call it outside signal handlers."""
        with self._lock:
            if self._pipe is None:
                read, write = os.pipe()
                os.set_blocking(write, False)
                self._pipe = (read, write)
                with _blocked(signal.valid_signals()):   # inherited: the thread never takes the main thread's signals
                    threading.Thread(target=self._run, args=(read,), name="rnnsym-signals", daemon=True).start()
            if sys.unraisablehook != self._unraisable:
                self._previous_hook, sys.unraisablehook = sys.unraisablehook, self._unraisable

    def request(self, signum: int) -> None:
        """From a signal handler: deliver ``signum`` again in a moment (never blocks)."""
        if self._pipe is not None:
            try:
                os.write(self._pipe[1], bytes([signum]))
            except OSError:   # the pipe is full: deliveries are pending anyway
                pass

    def raised(self, exc: BaseException, signum: int, dropped: Callable[[], None] | None = None) -> BaseException:
        """Note that a handler raises ``exc`` for ``signum``: should CPython drop it, deliver ``signum`` again."""
        self._last = (exc, signum, dropped)
        return exc

    def _unraisable(self, unraisable: Any) -> None:
        last = self._last
        if last is not None and unraisable.exc_value is last[0]:   # our raise, dropped: not printed, delivered again
            if last[2] is not None:
                last[2]()
            self.request(last[1])
            return
        (self._previous_hook or sys.__unraisablehook__)(unraisable)

    def _run(self, read: int) -> None:
        while True:
            numbers = set(os.read(read, 256))
            time.sleep(self.DELAY)   # the main thread leaves the gc callback or weakref callback meanwhile
            for signum in numbers:
                if _deliverable(signum) and hasattr(signal, "pthread_kill"):
                    signal.pthread_kill(threading.main_thread().ident or 0, signum)


_REDELIVERY = _Redelivery()


def raising(exc: Callable[[], BaseException]) -> Callable[[int, Any], None]:
    """A signal handler that raises ``exc()``; delivered again 10 ms later where CPython would drop it."""

    def handler(signum: int, frame: Any) -> None:
        if in_gc_callback(frame):
            _REDELIVERY.request(signum)
            return
        raise _REDELIVERY.raised(exc(), signum)

    _REDELIVERY.start()
    return handler


class Interrupts:
    """SIGINT and SIGTERM, recorded always, raised as :class:`Interrupted` only where asked.

    Use from the main thread::

        INTERRUPTS.install()
        try:
            with INTERRUPTS.raising():
                ...work, calling INTERRUPTS.check() at safe points...
                with INTERRUPTS.deferred():
                    INTERRUPTS.check()
                    ...what must not be interrupted...
                    INTERRUPTS.settle()   # done: from here on signals are only recorded
        finally:
            INTERRUPTS.uninstall()
    """

    #: A signal within this long of a raise is recorded, not raised again (the first one is
    #: unwinding; its cleanup must not be interrupted), unless CPython dropped that raise.
    RERAISE_AFTER = 0.5

    def __init__(self) -> None:
        self.received: int | None = None   # the first signal since install()
        self._installs = 0
        self._raising = 0
        self._deferred = 0
        self._settled = False
        self._raised_at = -float("inf")
        self._previous: dict[int, Any] = {}

    @property
    def installed(self) -> bool:
        return self._installs > 0

    def install(self) -> bool:
        """Handle SIGINT and SIGTERM from now on; False (and nothing done) outside the main thread.

        Nested calls count; a signal the process ignores (``nohup``, a background job) stays ignored.
        """
        if threading.current_thread() is not threading.main_thread():
            return False
        if self._installs == 0:
            self.received, self._raised_at, self._settled = None, -float("inf"), False
            _REDELIVERY.start()
            self._previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
            for sig, handler in self._previous.items():
                if handler is not signal.SIG_IGN:
                    signal.signal(sig, self._handle)
        self._installs += 1
        return True

    def uninstall(self) -> None:
        """Undo :meth:`install` (the last of nested calls restores the previous handlers)."""
        if self._installs == 0:
            return
        self._installs -= 1
        if self._installs:
            return
        for sig, handler in self._previous.items():
            if handler is not signal.SIG_IGN:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        self.received = None

    def ignore_from_now_on(self) -> None:
        """The outcome is decided: ignore SIGINT and SIGTERM until the process exits.

        For the command-line process only: while the interpreter finalizes, a Python
        handler no longer runs and the default action would kill the process, so a
        complete, successful report could end with the status of an interrupted one.
        """
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        self._installs, self._previous = 0, {}

    @contextmanager
    def raising(self) -> Iterator[None]:
        """Inside, the handler raises :class:`Interrupted` (the work, where a prompt stop is safe)."""
        self._raising += 1
        try:
            yield
        finally:
            self._raising -= 1
            self._settled = self._settled and self._raising > 0

    def settle(self) -> None:
        """The outcome is decided: until the outer :meth:`raising` block ends, signals are only recorded."""
        self._settled = True

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Inside, the handler only records (what must not be cut short); see :meth:`check`."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1

    def check(self) -> None:
        """Raise :class:`Interrupted` if a signal was recorded (call it at safe points)."""
        if self._installs and self.received is not None and not self._settled:
            raise Interrupted(self.received)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.received is None:
            self.received = signum
        if not self._raising or self._deferred or self._settled:
            return
        if in_gc_callback(frame):   # raised here it would be dropped: raise it once out of the callback
            _REDELIVERY.request(signum)
            return
        if time.monotonic() - self._raised_at < self.RERAISE_AFTER:
            return
        self._raised_at = time.monotonic()
        raise _REDELIVERY.raised(Interrupted(signum), signum, self._dropped)

    def _dropped(self) -> None:
        self._raised_at = -float("inf")   # the next delivery raises again


#: The process's one :class:`Interrupts` (signal handlers are per process).
INTERRUPTS = Interrupts()


def _deliverable(signum: int) -> bool:
    """Whether a Python handler still handles ``signum`` (for SIGINT and SIGTERM: :data:`INTERRUPTS`'s)."""
    handler = signal.getsignal(signum)
    if signum in STOP_SIGNALS:
        return bool(handler == INTERRUPTS._handle)
    return callable(handler)


def command_line_process() -> bool:
    """Whether this process is the ``rnnsym`` command (``rnnsym``, ``python -m rnnsym[.cli]``).

    True as early as while ``rnnsym/__init__.py`` is imported, where ``python -m`` has
    set ``sys.argv[0]`` to ``"-m"`` and the ``rnnsym`` script has not yet defined ``main``.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name in _COMMAND_MODULES:
        return True
    if getattr(getattr(main, "main", None), "__module__", None) == "rnnsym.cli":
        return True
    argv, orig = sys.argv[:1], list(getattr(sys, "orig_argv", []))
    if argv == ["-m"] and "-m" in orig[:-1]:   # `python -m NAME`, NAME still being imported
        return orig[orig.index("-m") + 1] in _COMMAND_MODULES
    script = getattr(main, "__file__", None)
    return bool(argv and script and os.path.basename(argv[0]) == "rnnsym" == os.path.basename(script))


@contextmanager
def spawning_quietly() -> Iterator[None]:
    """Processes and threads started inside begin with SIGINT and SIGTERM blocked.

    In the calling (main) thread the signals only wait: they arrive when the block ends.
    Main thread only (elsewhere it does nothing).  See :func:`die_with_parent`.
    """
    with _blocked(STOP_SIGNALS if threading.current_thread() is threading.main_thread() else ()):
        yield


@contextmanager
def _blocked(signals: Iterable[int]) -> Iterator[None]:
    """Block ``signals`` in this thread inside (where POSIX threads exist)."""
    signals = set(signals)
    if not signals or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def die_with_parent(parent: int) -> None:
    """In a worker started by :func:`spawning_quietly`: ignore SIGINT, and die with process ``parent``.

    On Linux the kernel kills the worker when its parent dies (``PR_SET_PDEATHSIG``),
    elsewhere a thread polls the parent's id every 0.2 s.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), name="rnnsym-watch-parent", daemon=True).start()
    if os.getppid() != parent:   # it died before the kernel was told
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)
