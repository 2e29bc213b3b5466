"""The report: every derivation derived, verified, typeset and plotted.

:func:`build_report` runs each registered derivation with its built-in
defaults, verifies it against simulation, draws its figure and writes

* ``report.tex`` -- a standalone document (:mod:`rnnsym.report.tex`): one
  numbered section per derivation under the chapter's sections (steps and
  result as numbered, labelled displays, assumptions, verification outcome,
  numbered figures), a notation table and the corrections as an appendix,
  compiled to ``report.pdf`` when ``pdflatex`` is installed;
* ``report.md`` -- the same with ``$$`` math for Markdown viewers;
* ``report.html`` -- one self-contained page (math typeset by the vendored
  KaTeX, figures inline) that works offline and without TeX
  (:mod:`rnnsym.report.html`);
* ``figures/NAME.{pdf,svg,png}`` -- one figure per derivation (needs matplotlib,
  the ``plot`` extra; without it figures are skipped with a note);
* ``summary.json`` -- per derivation the keys of
  :meth:`Derivation.as_dict` plus ``verification`` with the keys of
  :meth:`VerificationReport.as_dict` and ``figures``; prose (a check's
  ``name`` and ``message``, a figure's ``caption``) is written with its
  inline math between ``$`` signs, with a plain-text twin beside it
  (``name_text``, ``message_text``, ``caption_text``), as a step's
  ``justification`` and ``justification_text``.

Writing is atomic: everything goes to a hidden sibling directory that
replaces ``out`` only once complete, so an interrupted or failed run leaves
the previous report as it was (an ``out`` that is or holds the current
directory, is a mount point or has a read-only parent holds the hidden
directory itself, and its report entries are swapped one by one).  A
failing verification is not a failed run: the report is written and says
which derivation failed, and :attr:`Report.exit_status` is 1.

Without ``force`` only what a report writes is removed: the files
``report.md``, ``report.html``, ``report.tex``, ``report.pdf``, ``report.log``,
``summary.json`` and a directory ``figures`` of ``NAME.{pdf,svg,png}`` files for
registered derivations.  Anything else, at any depth, is foreign: ``out``
is then refused before any work, and again just before the swap.
Interrupts (:mod:`rnnsym._signals`) act between derivations and just
before the swap, never during it.

Examples
--------
>>> import tempfile, pathlib
>>> from rnnsym.report import build_report
>>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
>>> report = build_report(out, ["recurrence"], examples=3, pdf=False, figures=False, progress=False)
>>> report.exit_status, sorted(p.name for p in out.iterdir())
(0, ['report.html', 'report.md', 'report.tex', 'summary.json'])
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, TextIO

from rnnsym._json import json_ready
from rnnsym.errors import InvalidArgumentError
from rnnsym._matrices import as_int, as_path, as_str_list
from rnnsym._signals import INTERRUPTS
from rnnsym.latex import LatexCompileError, compile_pdf, pdflatex_available
from rnnsym.prose import prose_text
from rnnsym.report.html import html_report
from rnnsym.report.markdown import markdown_report, outcome_text
from rnnsym.report.tex import notation_rows, report_latex
from rnnsym.report.cache import render_cached
from rnnsym.report.history import read_seconds, write_seconds
from rnnsym.report.workers import available_cores, run_sections
from rnnsym.registry import derivation_info, derivation_module, derivation_names, derive
from rnnsym.verification import VerificationReport
from rnnsym._version import __version__
from rnnsym.report import figures as _figures

if TYPE_CHECKING:
    from rnnsym.report.figures import RenderedFigure

__all__ = ["REPORT_EXAMPLES", "DEFAULT_OUT", "PDF_HINT", "Section", "Report", "Progress", "build_report",
           "build_section", "default_jobs"]

#: Examples per verification check in the default report (well under 60 s on 2 cores).
REPORT_EXAMPLES = 30
DEFAULT_OUT = "report"
PDF_HINT = "apt-get update && apt-get install -y --no-install-recommends texlive-latex-base"
#: The files a report writes at its top level; besides them only ``figures/NAME.{pdf,svg,png}``.
_FILES = frozenset({"report.tex", "report.pdf", "report.md", "report.html", "report.log", "summary.json"})
_FIGURES = "figures"
_INSIDE = ".rnnsym-report."   # prefix of the working directories made inside `out` (never foreign to this run)
_MOUNTINFO = Path("/proc/self/mountinfo")   # Linux: where `out` may be a mount point (escaped as \040)
_TEX_LEFTOVERS = ("report.aux", "report.log", "report.toc", "report.out")


@dataclass
class Section:
    """One derivation's part of the report, already rendered (so it pickles across processes)."""

    name: str
    title: str
    record: dict[str, Any]            # Derivation.as_dict(), or name/title/reference if derive() failed
    latex: str
    markdown: str
    verification: VerificationReport
    figures: "list[RenderedFigure]" = field(default_factory=list)   # paths relative to the report
    figure_errors: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    notation: list[tuple[str, str]] = field(default_factory=list)   # (symbol LaTeX, description LaTeX)

    @property
    def passed(self) -> bool:
        return self.error is None and self.verification.passed

    def as_dict(self) -> dict[str, Any]:
        """``Derivation.as_dict()`` keys plus ``verification``, ``figures`` and timing."""
        return {**self.record, "verification": self.verification.as_dict(),
                "figures": [{"path": f.path.as_posix(), "pdf": f.pdf.as_posix(), "svg": f.svg.as_posix(),
                             "caption": f.caption, "caption_text": prose_text(f.caption)} for f in self.figures],
                "figure_errors": list(self.figure_errors), "error": self.error,
                "seconds": round(self.seconds, 3)}


@dataclass
class Report:
    """What :func:`build_report` wrote."""

    directory: Path
    sections: list[Section]
    pdf: Path | None
    pdf_note: str
    figures_note: str
    pdf_failed: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        """Names of the derivations whose derivation or verification failed."""
        return [s.name for s in self.sections if not s.passed]

    @property
    def exit_status(self) -> int:
        """0 when every verification passed (and the PDF, if attempted, compiled), else 1."""
        return 1 if self.failed or self.pdf_failed else 0


class Progress:
    """Progress on ``stream``: one updating line on a terminal, plain lines otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.total, self.stream, self.finished = total, stream if stream is not None else sys.stderr, 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self._width = shutil.get_terminal_size((80, 20)).columns - 1

    def _line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + text[: self._width])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def running(self, what: str) -> None:
        """Say what is running now (on a terminal only)."""
        if self.tty:
            self._line(f"[{self.finished}/{self.total} done] {what}...")

    def done(self, section: Section) -> None:
        self.finished += 1
        status = "PASS" if section.passed else "FAIL"
        self._line(f"[{self.finished}/{self.total}] {status} {section.name}: {outcome_text(section)} "
                   f"({section.seconds:.1f} s)")

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


class _Silent(Progress):
    def _line(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def default_jobs() -> int:
    """Processes that build sections for the command line: one per core this process may use."""
    return available_cores()


def build_report(out: "str | Path" = DEFAULT_OUT, names: Iterable[str] | None = None, *,
                 examples: int = REPORT_EXAMPLES, seed: int | None = 0, pdf: bool | None = None,
                 figures: bool = True, jobs: int = 1, progress: "Progress | bool | None" = None,
                 force: bool = False) -> Report:
    """Derive, verify, typeset and plot ``names`` (default: all) into directory ``out``.

    ``pdf=None`` compiles ``report.pdf`` when ``pdflatex`` is installed and
    says so when it is not; ``True`` requires it; ``False`` skips it.
    ``jobs`` > 1 runs derivations in that many processes, this one and
    ``jobs - 1`` workers (the result is the same).  ``progress`` is a :class:`Progress`, ``False`` for none,
    or ``None`` for one on stderr.  ``force=True`` replaces an ``out`` that
    holds files the report did not write (still only once the new report is
    complete); without it such a directory is refused.
    """
    started = time.perf_counter()
    chosen = list(dict.fromkeys(derivation_names() if names is None else as_str_list(names, "names")))
    if not chosen:
        raise InvalidArgumentError("`names` must list at least one derivation; got none.")
    for name in chosen:
        derivation_module(name)  # unknown names fail here, before any work
    examples, jobs = as_int(examples, "examples", low=1), as_int(jobs, "jobs", low=1)
    seed = None if seed is None else as_int(seed, "seed")  # Hypothesis' seed: any integer
    if pdf and not pdflatex_available():
        raise InvalidArgumentError(f"`--pdf` needs pdflatex, which is not installed; install it with {PDF_HINT}, "
                                   "or pass --no-pdf.")
    out = as_path(out, "out")
    inside = _swap_inside(out)
    _check_replaceable(out, force, inside)

    plot = figures and _figures.plotting_available()
    figures_note = ("" if plot else "Figures skipped: matplotlib is not installed (pip install 'rnnsym[plot]')."
                    if figures else "Figures not requested.")
    show = progress if isinstance(progress, Progress) else _Silent(len(chosen)) if progress is False \
        else Progress(len(chosen))
    if not inside:
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_INSIDE if inside else f".{out.name}.", suffix=".tmp",
                                dir=out if inside else out.parent))
    try:
        run = _run_parallel if jobs > 1 and len(chosen) > 1 else _run_serial
        sections = run(chosen, examples, seed, tmp if plot else None, show, jobs)
        tex = _latex(sections, examples, seed, figures_note)
        (tmp / "report.tex").write_text(tex, encoding="utf-8")
        report = Report(out, sections, None, "", figures_note)
        _compile(report, tex, tmp, pdf, show)
        report.seconds = time.perf_counter() - started
        (tmp / "report.md").write_text(markdown_report(report, examples, seed), encoding="utf-8")
        (tmp / "report.html").write_text(html_report(report, examples, seed, tmp), encoding="utf-8")
        summary = _summary(report, examples, seed)
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        with INTERRUPTS.deferred():   # from the last check on, no interrupt cuts the swap or the cleanup short
            INTERRUPTS.check()
            (_swap_inside_out if inside else _swap_into_place)(tmp, out, force)
            INTERRUPTS.settle()   # the new report is in place: later signals are only recorded
    finally:
        with INTERRUPTS.deferred():
            shutil.rmtree(tmp, ignore_errors=True)
            with contextlib.suppress(OSError):   # stderr gone: the report is written (or kept) all the same
                show.close()
    return report


# -- the work -----------------------------------------------------------------------
def _run_serial(names: list[str], examples: int, seed: int | None, directory: Path | None,
                show: Progress, jobs: int) -> list[Section]:
    sections = []
    for name in names:
        INTERRUPTS.check()   # an interrupt whose exception was lost stops here
        section = build_section(name, examples, seed, directory, show)
        show.done(section)
        sections.append(section)
    return sections


def _run_parallel(names: list[str], examples: int, seed: int | None, directory: Path | None,
                  show: Progress, jobs: int) -> list[Section]:
    # This process builds sections too, from the light end of the queue (rnnsym.report.workers); the
    # seconds each took order the next run's queue, heaviest first (rnnsym.report.history).
    results = run_sections(
        names, build_section, (examples, seed, directory), jobs,
        here=lambda name: build_section(name, examples, seed, directory, show),
        done=lambda name, section: show.done(section),
        failed=lambda name, exc: _failed_section(name, _one_line(exc), 0.0),
        running=show.running, seconds=read_seconds())
    write_seconds({name: s.seconds for name, s in results.items() if s.error is None})
    return [results[name] for name in names]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"


def _failed_section(name: str, message: str, seconds: float) -> Section:
    info = derivation_info(name)
    shown = message.replace("$", "\\$")   # an exception's text, not inline math
    failed = VerificationReport(name, False, 0, math.nan, 0.0, message=f"not verified: {shown}")
    record = {"name": name, "title": info.title, "reference": info.reference, "section": info.section}
    return Section(name, info.title, record, "", "", failed, error=message, seconds=seconds)


def build_section(name: str, examples: int = REPORT_EXAMPLES, seed: int | None = 0,
                  directory: "Path | None" = None, show: Progress | None = None) -> Section:
    """Derive, verify, render and (into ``directory/figures``) plot one derivation.

    A failure to derive or verify is recorded in the section, not raised;
    so is a figure that cannot be drawn.
    """
    show = show if show is not None else _Silent(1)
    start = time.perf_counter()
    try:
        show.running(f"{name}: deriving")
        derivation = derive(name)
        show.running(f"{name}: verifying ({examples} examples per check)")
        verification = derivation.verify(max_examples=examples, seed=seed)
        section = Section(name, derivation.title, derivation.as_dict(), derivation.latex(),
                          derivation.markdown(), verification, notation=notation_rows(derivation))
    except Exception as exc:  # noqa: BLE001 - reported in the report, not raised
        return _failed_section(name, _one_line(exc), time.perf_counter() - start)
    if directory is not None:

        if name in _figures.figure_names():   # its derivation module defines `figure`
            show.running(f"{name}: plotting")
            try:
                drawn = render_cached(name, derivation, section.record, Path(directory) / "figures")   # or as stored
                section.figures.append(type(drawn)(drawn.path.relative_to(directory), drawn.caption))
            except Exception as exc:  # noqa: BLE001 - one broken figure must not sink the report
                section.figure_errors.append(f"figure not drawn: {_one_line(exc)}")
    section.seconds = time.perf_counter() - start
    return section


def _compile(report: Report, tex: str, tmp: Path, pdf: bool | None, show: Progress) -> None:
    if pdf is False:
        report.pdf_note = "report.pdf not requested (--no-pdf)."
        return
    if not pdflatex_available():
        report.pdf_note = f"report.pdf not built: pdflatex is not installed. For the PDF: {PDF_HINT}"
        return
    show.running("compiling report.pdf with pdflatex")
    try:
        compile_pdf(tex, tmp, name="report", timeout=120)
    except (LatexCompileError, OSError, ValueError) as exc:
        for leftover in _TEX_LEFTOVERS[:1] + _TEX_LEFTOVERS[2:]:   # keep report.log to read
            (tmp / leftover).unlink(missing_ok=True)
        report.pdf_failed = True
        report.pdf_note = f"report.pdf not built: {_one_line(exc)} (see report.log)"
        return
    for leftover in _TEX_LEFTOVERS:
        (tmp / leftover).unlink(missing_ok=True)
    report.pdf = report.directory / "report.pdf"
    report.pdf_note = "report.pdf compiled with pdflatex."


# -- atomic replacement -------------------------------------------------------------
def _swap_inside(out: Path) -> bool:
    """Whether ``out`` keeps its identity: it is (or holds) the current directory, is a mount point (bind
    mounts too, which :func:`os.path.ismount` misses) or has a read-only parent."""
    try:
        here, there = Path.cwd().resolve(), out.resolve()
        mounts = [line.split(" ")[4] for line in _MOUNTINFO.read_text().splitlines() if line.count(" ") > 4] \
            if _MOUNTINFO.exists() else []
    except OSError:
        return False
    mounted = str(there) in {re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field) for field in mounts}
    return there == here or there in here.parents or (out.is_dir() and not out.is_symlink() and (
        mounted or os.path.ismount(out) or not os.access(out.parent, os.W_OK | os.X_OK)))


def _plain(path: Path, directory: bool = False) -> bool:
    return not path.is_symlink() and (path.is_dir() if directory else path.is_file())


def _foreign(out: Path, ours: frozenset[str] = frozenset()) -> list[str]:
    """What in directory ``out`` no report wrote, at any depth (``ours``: this run's working directories)."""
    pngs = {f"{name}.{kind}" for name in derivation_names() for kind in ("png", "pdf", "svg")}
    found = []
    for path in sorted(out.iterdir()):
        if path.name in ours or (path.name in _FILES and _plain(path)):
            continue
        if path.name == _FIGURES and _plain(path, directory=True):
            found += [f"{_FIGURES}/{p.name}" + "/" * p.is_dir() for p in sorted(path.iterdir())
                      if not (p.name in pngs and _plain(p))]
        else:
            found.append(path.name + "/" * path.is_dir())
    return found


def _check_replaceable(out: Path, force: bool = False, inside: bool = False,
                       ours: frozenset[str] = frozenset()) -> None:
    """Refuse ``out`` if it is not a directory, holds foreign files (unless ``force``) or cannot be emptied."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise InvalidArgumentError(f"the output directory `{out}` is a file or a link; pass a directory "
                                   "with --out (it is replaced as a whole).")
    if not out.is_dir():
        return
    foreign = _foreign(out, ours)
    if foreign and not force:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise InvalidArgumentError(f"the output directory `{out}` holds files rnnsym report did not write "
                                   f"({', '.join(foreign[:5])}{more}); choose a new or empty directory with "
                                   "--out, or pass --force to replace it.")
    # Every directory whose entries are renamed or removed must be writable; checked before any work.
    tops = [out / n for n in sorted(_FILES | {_FIGURES}) if _plain(out / n, directory=True)] if inside else [out]
    folders = ([str(out)] if inside else []) + [folder for top in tops for folder, _, _ in os.walk(top)]
    blocked = next((folder for folder in folders if not os.access(folder, os.W_OK | os.X_OK)), None)
    if blocked is not None:
        inner = f" (`{blocked}` is not)" if Path(blocked) != out else ""
        raise InvalidArgumentError(f"the output directory `{out}` is not writable{inner}; make it writable "
                                   "or choose another with --out.")


def _swap_into_place(tmp: Path, out: Path, force: bool = False) -> None:
    """Make ``tmp`` the directory ``out``; the old ``out`` survives any failure here."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o777 & ~mask)
    _check_replaceable(out, force)   # again: files may have appeared while the report was made
    if not os.path.lexists(out):
        os.rename(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    try:
        os.rename(out, old / "previous")
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old / "previous", out)
            raise
    finally:
        if out.exists():   # the new report, or the previous one put back
            shutil.rmtree(old, ignore_errors=True)


def _swap_inside_out(tmp: Path, out: Path, force: bool = False) -> None:
    """Replace the report's entries in ``out`` by those of ``tmp`` (inside it); the old ones survive any failure."""
    old = Path(tempfile.mkdtemp(prefix=_INSIDE, suffix=".old", dir=out))
    undo: list[tuple[Path, Path]] = []
    try:
        _check_replaceable(out, force, True, frozenset({tmp.name, old.name}))
        moves = [(out / n, old / n) for n in sorted(_FILES | {_FIGURES}) if os.path.lexists(out / n)]
        for source, target in moves + [(p, out / p.name) for p in sorted(tmp.iterdir())]:
            os.rename(source, target)
            undo.append((target, source))
        undo.clear()   # complete: the previous entries in `old` go
    finally:
        while undo:   # a failure: put back what moved (if that fails too, `old` keeps the previous report)
            os.rename(*undo.pop())
        shutil.rmtree(old, ignore_errors=True)


# -- writers -------------------------------------------------------------------------
def _graphic(figure: "RenderedFigure") -> str:
    """The LaTeX that draws one figure in ``report.tex`` (inside its numbered, captioned figure environment)."""
    return f"\\includegraphics{{{figure.pdf.as_posix()}}}"   # unscaled: drawn at the text width, 8 pt text


def _latex(sections: list[Section], examples: int, seed: int | None, figures_note: str) -> str:
    return report_latex(sections, examples, seed, figures_note, _graphic)


def _summary(report: Report, examples: int, seed: int | None) -> dict[str, Any]:

    return json_ready({
        "generator": f"rnnsym {__version__} report",
        "examples": examples, "seed": seed,
        "passed": not report.failed,
        "failed": report.failed,
        "pdf": {"built": report.pdf is not None, "note": report.pdf_note},
        "figures_note": report.figures_note,
        "seconds": round(report.seconds, 2),
        "derivations": [s.as_dict() for s in report.sections],
    })
