"""The report as Markdown (``report.md``): ``$$`` math, one table row per check, figures linked.

Check names, their messages and figure captions are prose with inline math
(:mod:`rnnsym.prose`): the math stays ``$...$``; in a table cell a ``|``
inside it is written ``\\vert`` (``\\|`` as ``\\Vert``), since GitHub's
tables split cells at every ``|``, even in math.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rnnsym.prose import math_segments, prose_markdown, prose_text, safe_inline_math

__all__ = ["format_number", "markdown_report", "outcome_text"]


def format_number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.2g}"


def outcome_text(section: Any) -> str:
    v = section.verification
    if section.error:
        return prose_text(v.message)
    return f"{v.examples} examples, worst error {format_number(v.worst_error)} (tolerance {format_number(v.tolerance)})"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_prose(text: str, cell: bool = False) -> str:
    """Prose with inline math on one Markdown line (in a table ``cell``: no ``|`` left in the math)."""
    if not cell:
        return prose_markdown(text).replace("\n", " ")
    parts = []
    for is_math, piece in math_segments(text):
        if is_math and safe_inline_math(piece):
            bars = re.sub(r"(?<!\\)\|", r"\\vert ", piece.replace("\\|", "\\Vert "))
            parts.append("$" + re.sub(r"(\\[vV]ert) (?![A-Za-z])", r"\1", bars) + "$")
        else:
            parts.append(_md_cell(prose_markdown(f"${piece}$" if is_math else piece)))
    return "".join(parts).replace("\n", " ")


def markdown_report(report: Any, examples: int, seed: int | None) -> str:
    """The report as Markdown with ``$$`` math (``report.md``)."""
    sections = report.sections
    passed = sum(s.passed for s in sections)
    out = ["# rnnsym report: the RNN chapter, derived and verified", "",
           f"Every result was derived by SymPy from the model and checked against numeric simulation "
           f"of the model ({examples} examples per check, seed {seed}). "
           f"**{passed} of {len(sections)} verifications passed.**", ""]
    if report.failed:
        out += [f"**Verification failed for: {', '.join(report.failed)}.**", ""]
    out += [report.pdf_note, ""]
    if report.figures_note:
        out += [report.figures_note, ""]
    out += ["| derivation | check | verdict | examples | worst error | tolerance |", "|---|---|---|---:|---:|---:|"]
    for s in sections:   # one row per check
        for c in (s.verification.checks or [s.verification]):
            ok = c.passed and s.error is None
            out.append(f"| `{s.name}` | {_md_prose(c.name, cell=True)} | {'pass' if ok else '**FAIL**'} | {c.examples} | "
                       f"{format_number(c.worst_error)} | {format_number(c.tolerance)} |")
    out.append("")
    chapter = None
    for s in sections:   # under the chapter's sections, as in report.pdf
        if s.record.get("section") and s.record["section"] != chapter:
            out += [f"# {s.record['section']}", ""]
        chapter = s.record.get("section")
        if s.error is None:
            out.append(s.markdown)
        else:
            out += [f"## {s.title}", "", f"**Derivation failed.** {s.error}", ""]
        v = s.verification
        out += [f"**Verification against simulation.** {'PASS' if s.passed else '**FAIL**'}: "
                f"{_md_cell(outcome_text(s))}", ""]
        for c in v.checks:
            out.append(f"- {'pass' if c.passed else '**FAIL**'}: {_md_prose(c.name)}: {_md_prose(c.message)}")
        out.append("")
        for figure in s.figures:
            alt = " ".join(prose_text(figure.caption).replace("[", "(").replace("]", ")").split())
            caption = "".join(prose_markdown(f"${piece}$") if is_math else
                              piece.replace("$", "\\$").replace("*", "\\*").replace("_", "\\_")
                              for is_math, piece in math_segments(figure.caption))
            out += [f"![{alt}]({figure.path.as_posix()})", "", f"*{' '.join(caption.split())}*", ""]
        for note in s.figure_errors:
            out += [f"**Figure.** {note}", ""]
    return "\n".join(out)
