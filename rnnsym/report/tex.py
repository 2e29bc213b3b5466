"""The report as a LaTeX document (``report.tex``): numbered, cross-referenced, every display at full size.

The document follows the chapter: the derivations are grouped under the
chapter's sections (``INFO.section``, unnumbered part headings), each is a
numbered section ``sec:NAME`` whose displays are numbered ``(section.k)``
and ``(section.R)`` and labelled ``eq:NAME-k`` (the same numbers as
``report.html``), and its figures are numbered floats ``Figure section.k``
with captions, labelled ``fig:NAME-k``.  The front matter holds the
summary (one row per check, citing each section and its result), the
contents; the back matter a notation table (the symbols every derivation
declares, with the sections that use them) and the corrections as an
appendix, cited by number (``C5``) from the text.  Long displays are
broken by :mod:`rnnsym.typeset`; nothing is scaled.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import sympy as sp

from rnnsym.latex import escape_text, latex, standalone_document, symbol_latex
from rnnsym.prose import breakable_math, prose_latex
from rnnsym.report.appendix import appendix_latex, link_corrections
from rnnsym.report.markdown import format_number
from rnnsym.typeset import label_key

__all__ = ["TITLE", "notation_rows", "report_latex"]

TITLE = "rnnsym report: the RNN chapter, derived and verified"
_TEX_STATUS = {True: "pass", False: "\\textbf{FAIL}"}
_ENTRY = (re.compile(r"^\\left\((.*)\\right\)_\{[\d,]+\}$"), re.compile(r"^(.*)_\{\d+(?:,\d+)*\}$"),
          re.compile(r"^(.*)_\{(.*),\d+\}$"))


def _tex_number(value: float | None) -> str:
    text = format_number(value)
    if "e" not in text:
        return text if text == "n/a" else f"${text}$"
    mantissa, exponent = text.split("e")
    return f"${mantissa} \\times 10^{{{int(exponent)}}}$"


def _tex_text(text: str) -> str:
    """Escaped text that may break after commas (counterexamples are long)."""
    return escape_text(text).replace(",", ",\\allowbreak{}")


#: Inline math as :func:`prose_latex` writes it (text has its dollars escaped, math has none inside).
_PROSE_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$|\\\[.*?\\\]", re.S)


def _tex_prose(text: str) -> str:
    """Prose with inline math (a check's name or message) as LaTeX whose text may also break after commas."""
    tex, out, at = prose_latex(text), [], 0
    for m in _PROSE_MATH.finditer(tex):
        out += [tex[at:m.start()].replace(",", ",\\allowbreak{}"), m.group(0)]
        at = m.end()
    return "".join(out) + tex[at:].replace(",", ",\\allowbreak{}")


def _base_tex(entry_tex: str) -> str:
    """The LaTeX of a vector or matrix from that of one entry: ``h_{t-1,0}`` -> ``h_{t-1}``."""
    for k, pattern in enumerate(_ENTRY):
        match = pattern.match(entry_tex)
        if match:
            return f"{match.group(1)}_{{{match.group(2)}}}" if k == 2 else match.group(1)
    return entry_tex


def notation_rows(derivation: Any) -> list[tuple[str, str]]:
    """``(symbol LaTeX, description LaTeX)`` for each symbol ``derivation`` declares, printed as it prints them."""
    found = derivation.all_symbols

    def one(name: str) -> str:
        if name in found:
            return latex(found[name])
        entries = sorted(n for n in found if n.startswith(f"{name}["))
        return _base_tex(latex(found[entries[0]])) if entries else symbol_latex(sp.Symbol(name))

    # a key may name several symbols that share a description ("W_ir, W_iz, W_in")
    return [(", ".join(one(n.strip()) for n in key.split(",") if n.strip()), prose_latex(text))
            for key, text in derivation.symbols.items()]


def _verification(s: Any) -> str:
    v = s.verification
    head = _TEX_STATUS[s.passed]
    result = rf" of \eqref{{eq:{label_key(s.name)}-R}}" if s.error is None else ""
    out = ["\\begin{sloppypar}", f"\\textbf{{Verification{result} against simulation.}} {head}: "
           f"{v.examples} examples, worst error {_tex_number(v.worst_error)} "
           f"(tolerance {_tex_number(v.tolerance)})."]
    checks = v.checks or ([v] if s.error or not v.passed else [])
    if checks:
        out.append("\\begin{itemize}")
        out += [f"\\item {_TEX_STATUS[c.passed]} --- {_tex_prose(c.name)}: {_tex_prose(c.message)}" for c in checks]
        out.append("\\end{itemize}")
    out.append("\\end{sloppypar}")
    return "\n".join(out)


def _linked(fragment: str) -> str:
    """A derivation's LaTeX with its prose's correction numbers linked to the appendix."""
    return "\n".join(link_corrections(line) if line.startswith(("\\textbf{Step", "\\textbf{Assumptions")) else line
                     for line in fragment.split("\n"))


def _summary(sections: list[Any]) -> list[str]:
    lines = ["{\\small\\setlength{\\tabcolsep}{4pt}",   # one row per check, under its derivation
             "\\begin{longtable}{@{}p{0.45\\linewidth}lrrr@{}}", "\\hline",
             "check & verdict & examples & worst error & tolerance \\\\", "\\hline\\endhead"]
    for s in sections:
        key = label_key(s.name)
        where = f"Section~\\ref{{sec:{key}}}" + (f", result \\eqref{{eq:{key}-R}}" if s.error is None else "")
        lines.append(f"\\multicolumn{{5}}{{@{{}}l}}{{\\texttt{{{escape_text(s.name)}}} ({where})}} \\\\*")
        for c in (s.verification.checks or [s.verification]):
            name = f"\\raggedright\\hangindent=2em\\hangafter=1\\hspace*{{1em}}{_tex_prose(c.name)}"   # under s.name
            lines.append(f"{name} & {_TEX_STATUS[c.passed and s.error is None]} & {c.examples} & "
                         f"{_tex_number(c.worst_error)} & {_tex_number(c.tolerance)} \\tabularnewline")
    return lines + ["\\hline", "\\end{longtable}}"]


def _notation(sections: list[Any]) -> list[str]:
    used: dict[tuple[str, str], list[str]] = {}
    for s in sections:
        for row in getattr(s, "notation", []):
            refs = used.setdefault(row, [])
            if label_key(s.name) not in refs:
                refs.append(label_key(s.name))
    lines = ["\\clearpage", "\\section*{Notation}\\addcontentsline{toc}{section}{Notation}",
             "The symbols each derivation declares, as it prints them, and the sections that use them.",
             "\\begin{longtable}{@{}p{0.2\\linewidth}p{0.6\\linewidth}p{0.12\\linewidth}@{}}", "\\hline",
             "symbol & meaning & sections \\\\", "\\hline\\endhead"]
    for (tex, text), keys in used.items():
        where = ", ".join(f"\\ref{{sec:{k}}}" for k in keys)
        lines.append(f"${breakable_math(tex)}$ & {link_corrections(text)} & {where} \\\\")
    return lines + ["\\hline", "\\end{longtable}"]


def _figure(graphic: str, caption: str, label: str) -> list[str]:
    """A numbered figure (``Figure section.k``) with its caption and label, the graphic as given."""
    return ["\\begin{figure}[!htbp]\\centering", graphic,
            f"\\caption{{{prose_latex(caption)}}}\\label{{{label}}}", "\\end{figure}", ""]


#: A page of figures starts at its top (not centred), and no paragraph leaves one line alone at a page's
#: foot or head (a two-line contents entry is never split).
_LAYOUT = "\\makeatletter\\setlength{\\@fptop}{0pt}\\makeatother\\clubpenalty=10000 \\widowpenalty=10000"


def report_latex(sections: list[Any], examples: int, seed: int | None, figures_note: str,
                 graphic: Callable[[Any], str]) -> str:
    """The whole report as a standalone LaTeX document; ``graphic(figure)`` is the LaTeX that draws a figure."""
    passed = sum(s.passed for s in sections)
    lines = [_LAYOUT, "\\pagenumbering{roman}",   # front matter: its length cannot shift the sections' page numbers
             f"Every result below was derived by SymPy from the model and checked against numeric "
             f"simulation of the model ({examples} examples per check, seed {seed}). "
             f"{passed} of {len(sections)} verifications passed. Sections follow the chapter's sections; "
             "equations are numbered by section and step, (3.2) for step 2 of Section 3 and (3.R) for its "
             "result; the corrections to the chapter (C1 to C16) are in the appendix."]
    failed = [s.name for s in sections if not s.passed]
    if failed:
        lines.append(f"\\textbf{{Verification failed for: {escape_text(', '.join(failed))}.}}")
    if figures_note:
        lines.append(escape_text(figures_note))
    lines += ["", *_summary(sections), "\\tableofcontents", "", "\\clearpage", "\\pagenumbering{arabic}"]
    current = None
    for s in sections:
        key = label_key(s.name)
        lines.append("\\clearpage")
        chapter = s.record.get("section") or ""
        if chapter and chapter != current:
            lines.append(f"\\part*{{{escape_text(chapter)}}}\\addcontentsline{{toc}}{{part}}{{{escape_text(chapter)}}}")
        current = chapter
        if s.error is None:
            lines.append(_linked(s.latex))
        else:
            lines.append(f"\\section{{{escape_text(s.title)}}}\\label{{sec:{key}}}")
            lines.append(f"\\textbf{{Derivation failed.}} {_tex_text(s.error or '')}")
        lines.append(_verification(s))
        for k, figure in enumerate(s.figures, 1):
            lines += _figure(graphic(figure), figure.caption, f"fig:{key}-{k}")
        lines += [f"\\textbf{{Figure.}} {_tex_text(note)}" for note in s.figure_errors]
    lines += _notation(sections)
    lines += ["\\clearpage", "\\appendix", appendix_latex()]
    return standalone_document("\n".join(lines) + "\n", title=TITLE)
