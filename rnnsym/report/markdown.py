"""The report as Markdown (``report.md``): ``$$`` math, one table row per derivation, figures linked."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["format_number", "markdown_report", "outcome_text"]


def format_number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.2g}"


def outcome_text(section: Any) -> str:
    v = section.verification
    if section.error:
        return v.message
    return f"{v.examples} examples, worst error {format_number(v.worst_error)} (tolerance {format_number(v.tolerance)})"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
            out.append(f"| `{s.name}` | {_md_cell(c.name)} | {'pass' if ok else '**FAIL**'} | {c.examples} | "
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
            out.append(f"- {'pass' if c.passed else '**FAIL**'}: {_md_cell(c.name)}: {_md_cell(c.message)}")
        out.append("")
        for figure in s.figures:
            caption = _md_cell(figure.caption).replace("*", "\\*").replace("_", "\\_")
            out += [f"![{caption}]({figure.path.as_posix()})", "", f"*{caption}*", ""]
        for note in s.figure_errors:
            out += [f"**Figure.** {note}", ""]
    return "\n".join(out)
