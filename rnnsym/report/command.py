"""The ``rnnsym report`` sub-command.

:mod:`rnnsym.cli` adds it to its parser with :func:`add_report_command`::

    rnnsym report [--out DIR] [--only NAME...] [--pdf | --no-pdf] [--examples N] [--seed S] [--jobs N]

Exit status: 0 when every verification passed, 1 when one failed (the report
is still written and says which) or the PDF did not compile, 2 on bad input
(checked before any work: a DIR holding files a report does not write, a DIR
that is not writable), and 128 + the signal number -- 130 for SIGINT, 143
for SIGTERM -- when an interrupt stopped the run: DIR is then exactly as it
was.  A signal that arrives once the new report is in place changes nothing:
the run ends with the new report's status (and says so on stderr).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser(prog="rnnsym")
>>> add_report_command(parser.add_subparsers())
>>> args = parser.parse_args(["report", "--only", "snr", "--no-pdf"])
>>> args.only, args.pdf, args.out, args.examples
(['snr'], False, 'report', 30)
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from rnnsym._signals import INTERRUPTS, command_line_process
from rnnsym.report.build import DEFAULT_OUT
from rnnsym.report.build import REPORT_EXAMPLES
from rnnsym.report.build import Report
from rnnsym.report.build import build_report
from rnnsym.report.build import default_jobs


__all__ = ["add_report_command"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _cmd_report(args: argparse.Namespace) -> int:

    # From here on SIGINT and SIGTERM are recorded and stop the work at a safe point (rnnsym._signals);
    # build_report raising means DIR was left as it was, returning means the new report is in place.
    handled = INTERRUPTS.install()
    try:
        try:
            with INTERRUPTS.raising():
                report = build_report(args.out, args.only, examples=args.examples, seed=args.seed,
                                      pdf=args.pdf, jobs=args.jobs, force=args.force)
        except BaseException as exc:
            signum = INTERRUPTS.received
            if signum is not None and not isinstance(exc, SystemExit):   # whatever escaped, the signal caused it
                print(f"rnnsym: interrupted by {signal.Signals(signum).name}; {args.out} is as it was",
                      file=sys.stderr)
                return 128 + signum
            if not isinstance(exc, OSError):
                raise
            where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            print(f"rnnsym: error: cannot write the report{where}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        late = INTERRUPTS.received
        _print_summary(args, report)
        if late is not None:
            print(f"rnnsym: {signal.Signals(late).name} arrived after the new report was in place; "
                  "it is complete", file=sys.stderr)
        return report.exit_status
    finally:
        if handled and command_line_process():
            INTERRUPTS.ignore_from_now_on()   # the outcome is decided; see Interrupts.ignore_from_now_on
        elif handled:
            INTERRUPTS.uninstall()


def _print_summary(args: argparse.Namespace, report: Report) -> None:
    files = ["report.html", "report.md", "report.tex"] + (["report.pdf"] if report.pdf else []) + ["summary.json"]
    count = sum(len(s.figures) for s in report.sections)
    if count:
        files.append(f"figures/ ({count} figures as PDF, SVG and PNG)")
    passed = len(report.sections) - len(report.failed)
    print(f"rnnsym report: {passed} of {len(report.sections)} verifications passed; wrote "
          f"{', '.join(files)} to {report.directory}/ in {report.seconds:.1f} s")
    if report.pdf is None and args.pdf is not False:
        print(report.pdf_note)
    if report.figures_note:
        print(report.figures_note)
    if report.failed:
        print(f"rnnsym: verification failed for {', '.join(report.failed)} "
              f"(see {report.directory / 'report.md'})", file=sys.stderr)


def add_report_command(subparsers: Any) -> None:
    """Add ``report`` to the ``rnnsym`` sub-commands."""

    p = subparsers.add_parser(
        "report", help="derive, verify, typeset and plot every result into a report",
        description="Run every derivation with its defaults, verify it against simulation, and write "
                    "report.tex (and report.pdf when pdflatex is installed), report.html, report.md, figures/*.png "
                    "and summary.json into DIR. An existing DIR is replaced only when the new report "
                    "is complete, and only if it holds nothing but report files (checked before any "
                    "work). DIR may be the current directory (--out .). Interrupted (SIGINT, SIGTERM) "
                    "before the new report is in place, it leaves DIR as it was and exits with 130 or 143.")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                   help=f"output directory (default: {DEFAULT_OUT})")
    p.add_argument("--force", action="store_true",
                   help="replace DIR even if it holds files rnnsym did not write (where DIR is or holds the "
                        "current directory, only the report's own names in it are replaced)")
    p.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help="only these derivations (see `rnnsym list`)")
    p.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=None,
                   help="compile report.pdf with pdflatex (default: when pdflatex is installed)")
    p.add_argument("--examples", type=int, default=REPORT_EXAMPLES, metavar="N",
                   help=f"examples per verification check (default {REPORT_EXAMPLES})")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                   help=f"processes that build derivations: this one and N-1 workers (default {default_jobs()}: "
                        "one per available core); the report is the same for every N")
    p.set_defaults(run=_cmd_report)

