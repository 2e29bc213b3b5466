"""The ``rnnsym`` command line (the only module that parses argv).

Commands mirror the Python API::

    rnnsym list
    rnnsym derive NAME [--param k=v]... [--format text|latex|markdown|json]
    rnnsym verify [NAME...] [--examples N] [--seed S] [--format text|json]
    rnnsym analyze WEIGHTS.npz|WEIGHTS.safetensors [--activation tanh|relu] [--starts N] [--format text|json]

Exit status: 0 on success, 1 when a verification fails, 2 on bad input
(with a one-line message on stderr and no traceback).

``--timeout SECONDS`` (before the command) gives up with exit status 2 after
that many seconds.  It must be a finite number from 0.001 (1 ms) to 1e6
(about 11.6 days); anything else (``nan``, ``inf``, ``1e308``, ``1e-9``, ``0``)
is a usage error, exit status 2, naming the value and this range.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import signal
import sys
import time
from typing import Any, Sequence

from rnnsym._version import __version__
from rnnsym.errors import ParseError, RnnsymError
from rnnsym._signals import raising
from rnnsym._signals import INTERRUPTS
from rnnsym.analyze import analyze_layer
from rnnsym.analyze import format_analysis
from rnnsym.analyze import json_ready
from rnnsym.exports import read_export
from rnnsym import registry
from rnnsym.verification import keep_hypothesis_files_out_of_the_working_directory
from rnnsym.report.command import add_report_command

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Timeout(BaseException):
    """Raised by the --timeout alarm; a BaseException so no `except Exception` swallows it."""


#: The accepted ``--timeout`` range in seconds (see the module docstring).
_TIMEOUT_MIN, _TIMEOUT_MAX, _TIMEOUT_RANGE = 0.001, 1e6, "from 0.001 to 1e6 seconds"
#: After raising, the alarm stays silent this long, so the first _Timeout's unwinding is not
#: interrupted; a _Timeout that CPython dropped, or that a library caught, is raised again.
_RERAISE_AFTER = 0.25


def _timeout_seconds(text: str) -> float:
    """The ``type`` of ``--timeout``: a finite number of seconds in ``[_TIMEOUT_MIN, _TIMEOUT_MAX]``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not _TIMEOUT_MIN <= value <= _TIMEOUT_MAX:  # false for NaN as well
        raise argparse.ArgumentTypeError(
            f"must be a finite number {_TIMEOUT_RANGE}; got {text[:40]!r}"
        )
    return value


def _integer(low: int, high: int) -> Any:
    """An argparse ``type``: an integer in ``[low, high]``, one-line error otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text) if len(text) <= 40 else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be an integer from {low} to {high}; got {text[:40]!r}")
        return value
    return parse


#: Seeds NumPy and Hypothesis both take.
_SEEDS = _integer(0, 2**32 - 1)


class _Alarm:
    """The ``--timeout`` alarm: raises :class:`_Timeout`, and never into its own cleanup.

    The timer repeats every 50 ms until disarmed, because CPython drops an
    exception raised by a signal handler while it compiles a module's source
    (a fresh checkout's first import).  Once it has raised, the handler is
    silent for ``_RERAISE_AFTER`` seconds, and for good after :meth:`disarm`,
    so the unwinding and the message are never interrupted by a second one.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.disarmed = False
        self.raised_at = -math.inf
        self._raise = raising(self._timeout)  # defers the raise out of gc callbacks

    @property
    def fired(self) -> bool:
        """Whether the alarm has raised :class:`_Timeout` (caught, swallowed or dropped since)."""
        return self.raised_at > -math.inf

    def _timeout(self) -> _Timeout:
        self.raised_at = time.monotonic()
        return _Timeout()

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.disarmed or time.monotonic() - self.raised_at < _RERAISE_AFTER:
            return
        self._raise(signum, frame)

    def arm(self) -> None:
        signal.signal(signal.SIGALRM, self._on_signal)
        signal.setitimer(signal.ITIMER_REAL, self.seconds, 0.05)

    def disarm(self) -> None:
        """Stop the alarm; idempotent.  The handler stays installed, silent, for late signals."""
        self.disarmed = True  # first: from here on the handler returns without raising
        signal.setitimer(signal.ITIMER_REAL, 0)


_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)*\])?$")


def _parse_params(items: Sequence[str]) -> dict[str, str]:
    """Split ``NAME=VALUE`` items; values are parsed later by the whitelist grammar."""
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key) or not value.strip():
            raise ParseError(
                f"`--param` expects NAME=VALUE (for example a=3/5 or W_h[0,1]=1/2); got {item[:60]!r}."
            )
        params[key] = value.strip()
    return params


def _cmd_list(args: argparse.Namespace) -> int:

    infos = [registry.derivation_info(name) for name in registry.derivation_names()]
    rows = [(info.name, info.title, info.reference) for info in infos]
    if args.format == "json":
        print(json.dumps([{"name": n, "title": t, "reference": r} for n, t, r in rows], indent=2))
    else:
        width = max(len(n) for n, _, _ in rows)
        for name, title, _ in rows:
            print(f"{name:<{width}}  {title}")
    return EXIT_OK


def _cmd_derive(args: argparse.Namespace) -> int:

    derivation = registry.derive(args.name, **_parse_params(args.param))
    if args.format == "json":
        print(json.dumps(derivation.as_dict(), indent=2))
    elif args.format == "latex":
        print(derivation.latex(standalone=not args.fragment), end="")
    elif args.format == "markdown":
        print(derivation.markdown())
    else:
        print(derivation.text())
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:

    names = args.names or list(registry.derivation_names())
    for name in names:  # fail fast on unknown names, before any work
        if name not in registry.derivation_names():
            registry.derive(name)
    reports = []
    for name in names:
        report = registry.derive(name).verify(max_examples=args.examples, seed=args.seed)
        reports.append(report)
        if args.format == "text":
            print(report, flush=True)
    if args.format == "json":
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    failed = [r.name for r in reports if not r.passed]
    if failed:
        print(f"rnnsym: verification failed for {', '.join(failed)}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _cmd_analyze(args: argparse.Namespace) -> int:

    export = read_export(args.weights, args.activation)
    if export.ignored:   # nothing dropped silently: say what was not analysed
        print(f"rnnsym: note: not analysed (not recurrent weights): {', '.join(export.ignored)}", file=sys.stderr)
    results = [(layer, analyze_layer(layer, steps=args.steps, seed=args.seed, starts=args.starts))
               for layer in export.layers]
    if args.format == "json":
        ready = []
        for layer, res in results:   # JSON has no NaN or Infinity: null, and a list of where
            found: list[str] = []
            ready.append({"layer": layer.name, "module": layer.module, "keys": list(layer.keys),
                          **json_ready(res, found=found)})
            if found:
                ready[-1]["not_finite"] = found
        print(json.dumps(ready, indent=2, allow_nan=False))
    else:
        print("\n".join(format_analysis(f"{layer.name} ({layer.module})", res) for layer, res in results))
    return EXIT_OK


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rnnsym",
        description="Derive, compile, typeset and verify the mathematics of RNNs.",
    )
    parser.add_argument("--version", action="version", version=f"rnnsym {__version__}")
    parser.add_argument("--timeout", type=_timeout_seconds, default=None, metavar="SECONDS",
                        help=f"give up (exit 2) after this many seconds ({_TIMEOUT_RANGE})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the derivations")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=_cmd_list)

    p = sub.add_parser("derive", help="print one derivation")
    p.add_argument("name", help="derivation name (see `rnnsym list`)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="substitute a value for a symbol, or set an option such as n=3 "
                        "(numbers, fractions, pi, E, + - * / ** and the derivation's names)")
    p.add_argument("--format", choices=["text", "latex", "markdown", "json"], default="text")
    p.add_argument("--fragment", action="store_true",
                   help="with --format latex: print a section, not a standalone document")
    p.set_defaults(run=_cmd_derive)

    p = sub.add_parser("verify", help="check derivations against simulation")
    p.add_argument("names", nargs="*", metavar="NAME", help="derivations (default: all)")
    p.add_argument("--examples", type=_integer(1, 10**6), default=100, help="examples per check (default 100)")
    p.add_argument("--seed", type=_SEEDS, default=0, help="random seed (default 0)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=_cmd_verify)

    p = sub.add_parser("analyze", help="analyse a trained RNN, GRU or LSTM from its exported weights")
    p.add_argument("weights", metavar="WEIGHTS",
                   help="numpy.savez or safetensors of a PyTorch nn.RNN / nn.GRU / nn.LSTM state_dict "
                        "(any layers, bidirectional), or an .npz of W_h, W_x, b")
    p.add_argument("--activation", default=None,
                   help="the nonlinearity of nn.RNN layers, tanh or relu (required for them: a state dict "
                        "does not store it); for W_h, W_x, b any activation (default tanh)")
    p.add_argument("--steps", type=_integer(1, 10**7), default=2000,
                   help="trajectory length for the Lyapunov exponent (default 2000)")
    p.add_argument("--seed", type=_SEEDS, default=0, help="seed of the driving inputs (default 0)")
    p.add_argument("--starts", type=_integer(2, 10**5), default=None,
                   help="starts of the fixed-point search (default: by size; the JSON says how many)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(run=_cmd_analyze)


    add_report_command(sub)
    return parser


def _gave_up(alarm: "_Alarm | None") -> int:
    if alarm is not None:
        alarm.disarm()  # first: nothing may interrupt the message
        print(f"rnnsym: error: gave up after --timeout {alarm.seconds:g} seconds", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    # Hypothesis keeps a cache directory; keep it out of the user's working directory.
    keep_hypothesis_files_out_of_the_working_directory()
    alarm = _Alarm(args.timeout) if args.timeout is not None else None
    try:
        try:
            if alarm is not None:
                alarm.arm()
            with INTERRUPTS.raising():   # the command's work: SIGINT/SIGTERM stop it (rnnsym/__init__.py)
                INTERRUPTS.check()       # one that arrived while rnnsym was imported
                status = int(args.run(args))
        finally:  # disarmed before any handler below prints (again there: a raise may skip this)
            if alarm is not None:
                alarm.disarm()
        if alarm is not None and alarm.fired:
            raise _Timeout()  # the command caught the alarm's _Timeout and went on
        return status
    except RnnsymError as exc:
        if alarm is not None and alarm.fired:  # raised while the _Timeout unwound: a timeout
            return _gave_up(alarm)
        print(f"rnnsym: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except _Timeout:
        return _gave_up(alarm)
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"rnnsym: interrupted by {signal.Signals(signum).name}", file=sys.stderr)
        return 128 + signum
    except BrokenPipeError:
        return EXIT_OK
    except Exception:
        if alarm is not None and alarm.fired:  # an error the _Timeout caused (in Hypothesis's engine,
            return _gave_up(alarm)             # FlakyStrategyDefinition): still a timeout
        raise
    finally:
        if alarm is not None:
            alarm.disarm()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
