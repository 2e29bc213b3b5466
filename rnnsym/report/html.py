"""The report as one self-contained HTML page: math typeset by a vendored KaTeX, figures inline.

``report.html`` works offline and without TeX: KaTeX 0.16 (MIT, shipped as
package data in ``rnnsym/report/katex/``) is inlined with its fonts as data
URIs, and every figure is inline SVG (vector, drawn at its printed size; its
ids prefixed per figure), so the one file can be mailed or archived.  Each formula is the same LaTeX the PDF report
compiles, written as the text of a ``<span class="tex">`` (HTML-escaped) and
typeset when the page loads; where KaTeX cannot typeset one, its source
stays visible in a red frame instead of vanishing.  KaTeX runs with
``trust: false`` (no ``\\href``, ``\\url`` or HTML from the TeX) and a
macro-expansion limit.

A display is shown with the lines of ``report.pdf``: the ``equation`` or
``align`` that :mod:`rnnsym.typeset` made for the LaTeX report (a long
formula broken at its sums and products, a wide matrix entry by entry) is
set as KaTeX's ``aligned``, and its "where" definitions below it; the
number stands beside it, not in a ``\\tag``.  Check names, their messages
and figure captions are prose with inline math, as the steps' text.

Derivations are grouped under the chapter's sections, as in ``report.pdf``.
Equations are numbered per section, ``(section.step)`` and ``(section.R)``
for the result, with HTML anchors ``eq-NAME-K`` (NAME the derivation), so
they can be cited by link; figures are numbered ``Figure section.k``.
"""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from rnnsym.corrections import corrections
from rnnsym.prose import math_segments, prose_text, reference_text, safe_inline_math
from rnnsym.report.appendix import LABELS, blocks, display_rows, inline_parts

__all__ = ["html_report", "katex_assets", "prose_html"]

_FONT_URL = re.compile(r"src:url\(fonts/([A-Za-z0-9_-]+)\.woff2\)[^;}]*")
#: A numbered display of a derivation's LaTeX (:meth:`Derivation.latex`), and the number in its label.
_DISPLAY = re.compile(r"\\begin\{(equation|align)\}\n(.*?)\n\\end\{\1\}", re.S)
_LABEL = re.compile(r"\\label\{eq:[^{}]*-(\w+)\}")
_NUMBERING = re.compile(r"\s*\\(?:tag|label)\{[^{}]*\}|\s*\\notag\b")
_WHERE = "\\intertext{where}\n"


@cache
def katex_assets() -> tuple[str, str]:
    """KaTeX's CSS (fonts inlined as woff2 data URIs) and its JavaScript, from the package data."""
    root = resources.files("rnnsym.report") / "katex"
    css = (root / "katex.min.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        data = (root / "fonts" / f"{match.group(1)}.woff2").read_bytes()
        return f"src:url(data:font/woff2;base64,{base64.b64encode(data).decode()}) format(\"woff2\")"

    css = _FONT_URL.sub(inline, css)
    js = (root / "katex.min.js").read_text(encoding="utf-8")
    return css, js


_STYLE = """
body { font: 11pt/1.5 Georgia, 'Times New Roman', serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
       color: #111; }
h1 { font-size: 1.6em; } h1.part { font-size: 1.4em; margin-top: 2.4em; } h2 { font-size: 1.3em; margin-top: 2.2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.eq { display: flex; align-items: center; margin: 0.6em 0; }
.eq .body { flex: 1; overflow-x: auto; } .eq .no { margin-left: 1em; color: #555; white-space: nowrap; }
.fail { color: #b00; font-weight: bold; } .pass { color: #060; }
.tex-error { border: 1px solid #b00; padding: 0 0.3em; font-family: monospace; }
figure { margin: 1.2em 0; text-align: center; } figure img, figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.92em; color: #333; }
.ref { color: #555; font-style: italic; } p.where { margin: 0.2em 0; } .nobr { white-space: nowrap; }
"""

_SCRIPT = """
for (const el of document.querySelectorAll('span.tex')) {
  const source = el.textContent;
  try {
    katex.render(source, el, {displayMode: el.dataset.display === '1', throwOnError: true, trust: false,
                              maxExpand: 1000, strict: 'ignore', output: 'htmlAndMathml'});
    el.classList.add('typeset');
  } catch (err) {
    el.classList.add('tex-error'); el.title = String(err);
  }
}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _tex(source: str, display: bool = False) -> str:
    return f'<span class="tex" data-display="{int(display)}">{_e(source)}</span>'


def prose_html(text: str) -> str:
    """A step's prose: text escaped, whitelisted inline math typeset, other math shown as code (a formula and the
    brackets and punctuation around it kept on one line)."""
    return _inline_html((True, _tex(piece) if safe_inline_math(piece) else f"<code>{_e(piece)}</code>")
                        if is_math else (False, piece) for is_math, piece in math_segments(text, numbers=True))


def _inline_html(parts: Iterable[tuple[bool, str]]) -> str:
    """Text pieces (``False``, escaped here) and shown formulas or code (``True``, HTML), joined so that a
    formula keeps an opening bracket before it and the punctuation after it on its line."""
    out: list[str] = []
    for shown, piece in parts:
        if shown:
            if out and out[-1].endswith("("):
                out[-1], piece = out[-1][:-1], f'<span class="nobr">({piece}</span>'
            out.append(piece)
        elif out and piece[:1] in (",", ".", ";", ":", ")"):
            out[-1] = f'<span class="nobr">{out[-1]}{_e(piece[0])}</span>'
            out.append(_e(piece[1:]))
        else:
            out.append(_e(piece))
    return "".join(out)


def _appendix_inline(text: str) -> str:
    """A correction's text: its formulas typeset as in report.pdf, code as code, its label in bold."""
    out = _inline_html((kind != "text", _tex(piece) if kind == "math" else f"<code>{_e(piece)}</code>")
                       if kind != "text" else (False, piece) for kind, piece in inline_parts(text))
    label = next((lab for lab in LABELS if out.startswith(_e(lab))), None)
    return out if label is None else f"<b>{_e(label)}</b>{out[len(_e(label)):]}"


def _appendix_block(kind: str, content: Any) -> str:
    if kind == "display":
        return "".join(_tex(tex, display=True) if what == "math" else f"<pre><code>{_e(tex)}</code></pre>"
                       for what, tex in display_rows(content))
    if kind == "items":
        return "<ul>" + "".join(f"<li>{_appendix_inline(item)}</li>" for item in content) + "</ul>"
    return f"<p>{_appendix_inline(content)}</p>"


def _aligned(rows: list[str]) -> str:
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}" if rows else ""


def _displays(tex: str) -> dict[str, tuple[str, str]]:
    r"""The numbered displays of a derivation's LaTeX, by their number in the section (``"2"``, ``"R"``), as
    KaTeX display math with the same lines: the formula, and the definitions it names after "where" (or ``""``).

    >>> tex = "\\begin{align}\ny & = a \\tag{R}\\label{eq:f-R} \\\\\n& \\quad {} + b \\notag\n\\end{align}"
    >>> print(_displays(tex)["R"][0])
    \begin{aligned}
    y & = a \\
    & \quad {} + b
    \end{aligned}
    """
    found = {}
    for m in _DISPLAY.finditer(tex):
        label = _LABEL.search(m.group(2))
        if label is None:
            continue
        rows = [_NUMBERING.sub("", row).strip() for row in m.group(2).split(" \\\\\n")]
        if m.group(1) == "equation":
            found[label.group(1)] = (rows[0], "")
            continue
        cut = next((k for k, row in enumerate(rows) if row.startswith(_WHERE)), len(rows))
        where = [rows[cut][len(_WHERE):], *rows[cut + 1:]] if cut < len(rows) else []
        found[label.group(1)] = (_aligned(rows[:cut]), _aligned(where))
    return found


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _image(path: Path) -> str:
    kind = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}.get(path.suffix, "image/png")
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


_SVG_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)   # XML declaration, DOCTYPE, comments
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_SVG_ID = re.compile(r'(\bid="|\bhref="#|url\(#)([^")]+)')
_SVG_STAR = re.compile(r'<style type="text/css">\*\{([^}<]*)\}</style>')   # matplotlib's rule for every element


def _inline_svg(path: Path, prefix: str, caption: str) -> str:
    """A figure's SVG as inline markup: its ids (glyphs, clip paths) prefixed so that figures do not share
    them, and its ``*{...}`` style rule (which would reach the whole page) moved onto its root to inherit."""
    svg = _SVG_METADATA.sub("", _SVG_PROLOGUE.sub("", path.read_text(encoding="utf-8"), count=1))
    svg = _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    star = _SVG_STAR.search(svg)
    svg = _SVG_STAR.sub("", svg)
    style = f' style="{_e(star.group(1))}"' if star else ""
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_e(caption)}"{style} ', 1).strip()


def _graphic(path: Path, prefix: str, caption: str) -> str:
    """A figure: its SVG inline where there is one (vector, at the printed size), else its PNG as a data URI."""
    if path.with_suffix(".svg").is_file():
        return _inline_svg(path.with_suffix(".svg"), prefix, caption)
    return f'<img src="{_image(path)}" alt="{_e(caption)}">'


def _equation(name: str, number: str, source: str, where: str = "") -> str:
    """A numbered display; ``where``: the definitions of the names it uses, below it, unnumbered."""
    out = (f'<div class="eq" id="eq-{_e(name)}-{_e(number.split(".")[-1])}">'
           f'<div class="body">{_tex(source, True)}</div><div class="no">({_e(number)})</div></div>')
    if where:
        out += f'<p class="where">where</p><div class="eq"><div class="body">{_tex(where, True)}</div></div>'
    return out


def _section(index: int, s: Any, directory: Path) -> list[str]:
    record = s.record
    out = [f'<h2 id="{_e(s.name)}">{index}. {_e(s.title)}</h2>']
    if record.get("reference"):
        where = f'Chapter section: {_e(record["section"])} ' if record.get("section") else "Chapter "
        out.append(f'<p class="ref">{where}({_e(reference_text(record["reference"]))}); derivation '
                   f'<code>{_e(s.name)}</code>.</p>')
    if s.error is not None:
        out.append(f'<p class="fail">Derivation failed: {_e(s.error)}</p>')
    broken = _displays(s.latex)   # the lines of report.pdf
    for k, step in enumerate(record.get("steps", []), 1):
        out.append(f"<p><b>Step {k}.</b> {prose_html(step['justification'])}</p>")
        one_line = step.get("display", step["statement"]["latex"])
        out.append(_equation(s.name, f"{index}.{k}", *broken.get(str(k), (one_line, ""))))
    if "result" in record:
        out.append("<p><b>Result.</b></p>")
        shown = record.get("relation", record["result"])
        out.append(_equation(s.name, f"{index}.R", *broken.get("R", (shown.get("display") or shown["latex"], ""))))
    if record.get("assumptions"):
        out.append("<p><b>Assumptions.</b> " + ", ".join(_tex(a["latex"]) for a in record["assumptions"]) + ".</p>")
    v = s.verification
    verdict = '<span class="pass">PASS</span>' if s.passed else '<span class="fail">FAIL</span>'
    out.append(f"<p><b>Verification against simulation.</b> {verdict}</p><ul>")
    for c in (v.checks or [v]):
        mark = "pass" if c.passed else '<span class="fail">FAIL</span>'
        out.append(f"<li>{mark}: {prose_html(c.name)}: {prose_html(c.message)}</li>")
    out.append("</ul>")
    for k, figure in enumerate(s.figures, 1):
        path = directory / figure.path
        if path.is_file():
            graphic = _graphic(path, f"fig-{s.name}-{k}", prose_text(figure.caption))
            out.append(f'<figure id="fig-{_e(s.name)}-{k}">{graphic}'
                       f"<figcaption>Figure {index}.{k}. {prose_html(figure.caption)}</figcaption></figure>")
    for note in s.figure_errors:
        out.append(f"<p><b>Figure.</b> {_e(note)}</p>")
    return out


def html_report(report: Any, examples: int, seed: int | None, directory: Path) -> str:
    """The whole report as one HTML page (figures read from ``directory``, where the report is written)."""
    css, js = katex_assets()
    sections = report.sections
    passed = sum(s.passed for s in sections)
    body = ["<h1>rnnsym report: the RNN chapter, derived and verified</h1>",
            f"<p>Every result was derived by SymPy from the model and checked against numeric simulation "
            f"of the model ({examples} examples per check, seed {_e(seed)}). "
            f"<b>{passed} of {len(sections)} verifications passed.</b></p>"]
    if report.failed:
        body.append(f'<p class="fail">Verification failed for: {_e(", ".join(report.failed))}.</p>')
    body.append("<h2>Checks</h2><table><tr><th>derivation</th><th>check</th><th>verdict</th>"
                "<th>examples</th><th>worst error</th><th>tolerance</th></tr>")
    for s in sections:   # one row per check
        for c in (s.verification.checks or [s.verification]):
            verdict = "pass" if c.passed and s.error is None else '<span class="fail">FAIL</span>'
            body.append(f'<tr><td><a href="#{_e(s.name)}">{_e(s.name)}</a></td><td>{prose_html(c.name)}</td>'
                        f'<td>{verdict}</td><td class="num">{c.examples}</td>'
                        f'<td class="num">{_number(c.worst_error)}</td><td class="num">{_number(c.tolerance)}</td></tr>')
    body.append("</table>")
    chapter = None
    for index, s in enumerate(sections, 1):   # under the chapter's sections, as in report.pdf
        if s.record.get("section") and s.record["section"] != chapter:
            body.append(f'<h1 class="part">{_e(s.record["section"])}</h1>')
        chapter = s.record.get("section")
        body += _section(index, s, directory)
    body.append('<h2 id="corrections">Appendix: rnnsym corrections</h2><p>Where the chapter is wrong or leaves '
                'out a condition, rnnsym implements the corrected statement below; the derivations cite them by '
                'number ("correction C3").</p>')
    for key, text in corrections().items():
        title, _, rest = text.partition("\n")
        body.append(f'<h3 id="{_e(key)}">{_e(key)}. {_appendix_inline(title.strip())}</h3>')
        body += [_appendix_block(kind, content) for kind, content in blocks(rest)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>rnnsym report</title>"
            f"<style>{css}</style><style>{_STYLE}</style></head><body>\n"
            + "\n".join(body)
            + f"\n<script>{js}</script><script>{_SCRIPT}</script>\n</body></html>\n")
