"""Every page fits: no overfull line, no scaled display (issue 16, Done when).

``report.tex`` for all derivations and ``rnnsym derive NAME --format latex``
for each derivation are compiled with ``pdflatex``; the logs must hold no
``Overfull \\hbox`` over 1 pt, and the sources no ``\\resizebox``,
``\\scalebox`` or display set in a smaller size.  The report is built once
(one example per check: its layout does not depend on the count) and its
whole text, front matter, notation table and appendix included, is scanned
for ASCII math outside math mode.  The checks themselves are shown to fail
on a planted overlong display and a planted ``\\resizebox``.
"""

from __future__ import annotations

import html
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.cli import main
from rnnsym.latex import compile_pdf, register_symbol
from rnnsym.prose import prose_text
from rnnsym.registry import CHAPTER_SECTIONS, derivation_info
from rnnsym.report import build_report
from rnnsym.report.figures import plotting_available
from tests.test_derivations.test_prose import ascii_math

#: pdflatex's complaint about a line wider than the text, and by how much.
OVERFULL = re.compile(r"^Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)(.*)$", re.M)
#: What scales a formula: a box scaled to the line, or a smaller size inside a display.
SCALED = re.compile(r"\\(?:resizebox|scalebox|rnnsymfit)\b")
DISPLAY = re.compile(r"\\begin\{(equation\*?|align\*?|gather\*?|multline\*?)\}(.*?)\\end\{\1\}|\\\[(.*?)\\\]", re.S)
SMALLER = re.compile(r"\\(?:tiny|scriptsize|footnotesize|small|scriptstyle|scriptscriptstyle)\b")
TOLERANCE_PT = 1.0


def overfull(log: str) -> list[str]:
    """The overfull lines of a pdflatex log wider than the tolerance, with pdflatex's location."""
    return [f"{m.group(1)} pt{m.group(2)}" for m in OVERFULL.finditer(log) if float(m.group(1)) > TOLERANCE_PT]


def scaled(tex: str) -> list[str]:
    """Scaled boxes anywhere, and displays set in a smaller size."""
    found = [tex[max(0, m.start() - 30):m.end() + 30] for m in SCALED.finditer(tex)]
    for m in DISPLAY.finditer(tex):
        body = m.group(2) or m.group(3) or ""
        found += [body[:80] for _ in SMALLER.finditer(body)]
    return found


def _compile_log(tex: str, directory: Path, name: str) -> str:
    compile_pdf(tex, directory, name=name, timeout=300)
    return (directory / f"{name}.log").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def report_tex(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The report of every derivation (one example per check), not compiled by the report itself."""
    out = tmp_path_factory.mktemp("layout") / "report"
    build_report(out, examples=1, pdf=False, figures=plotting_available(), jobs=2, progress=False)
    return out, (out / "report.tex").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compiled(report_tex: tuple[Path, str]) -> tuple[str, str]:
    """``report.tex`` compiled by pdflatex (twice, for references): its log and its ``.aux`` file."""
    from rnnsym.latex import pdflatex_available
    if not pdflatex_available():
        pytest.skip("pdflatex is not installed")   # the tests that use this also require it (CI fails there)
    out, tex = report_tex
    log = _compile_log(tex, out, "layout")
    return log, (out / "layout.aux").read_text(encoding="utf-8", errors="replace")


def test_report_tex_has_no_overfull_line(compiled: tuple[str, str], require_pdflatex: None) -> None:
    log, _ = compiled
    assert not overfull(log), f"report.tex: overfull lines: {overfull(log)[:8]}"
    assert "There were undefined references" not in log and "multiply defined" not in log


def test_equation_and_figure_numbers_are_those_of_the_html_report(report_tex: tuple[Path, str],
                                                                  compiled: tuple[str, str],
                                                                  require_pdflatex: None) -> None:
    """``(section.step)``, ``(section.R)`` and ``Figure section.k``: what pdflatex resolved equals report.html."""
    out, _ = report_tex
    _, aux = compiled
    pdf = dict(re.findall(r"\\newlabel\{((?:eq|fig):[^}]+)\}\{\{\{?([^{}]*)\}", aux))   # a tag: {{{3.R}}...
    page = (out / "report.html").read_text(encoding="utf-8")
    html = {f"eq:{name}-{k}": number for name, k, number in
            re.findall(r'id="eq-([\w-]+)-(\w+)"><div class="body">.*?<div class="no">\(([^)]*)\)</div>', page)}
    html.update({f"fig:{name}-{k}": number for name, k, number in
                 re.findall(r'<figure id="fig-([\w-]+)-(\d+)">.*?<figcaption>Figure ([\d.]+)\. ', page, re.S)})
    equations = [key for key in html if key.startswith("eq:")]
    assert len(equations) > 100 and any(key.endswith("-R") for key in equations)
    assert {key: pdf.get(key) for key in html} == html


def test_report_tex_scales_no_display(report_tex: tuple[Path, str]) -> None:
    _, tex = report_tex
    assert not scaled(tex), scaled(tex)[:5]
    assert "\\begin{align}" in tex and "\\tag{\\thesection.R}" in tex   # long displays broken, numbered


#: What the report prints as given by the verifiers and the figure functions: check names and messages
#: (the summary table, each section's verification list) and figure captions.
DATA_TEXT = re.compile(r"\\begin\{longtable\}\{@\{\}p\{0\.45.*?\\end\{longtable\}|\\begin\{sloppypar\}.*?"
                       r"\\end\{sloppypar\}|\\caption\{.*?\}\\label", re.S)


def test_the_whole_report_has_no_ascii_math(report_tex: tuple[Path, str]) -> None:
    """Front matter, every section's prose, the notation table and the appendix: no ASCII math outside math and code."""
    _, tex = report_tex
    body = tex.split("\\begin{document}", 1)[1]
    assert "\\section*{Notation}" in body and "\\label{corr:C16}" in body
    found = ascii_math(DATA_TEXT.sub(" ", body))
    assert not found, f"ASCII math in report.tex: {found[:8]}"


def test_check_names_and_figure_captions_have_no_ascii_math(report_tex: tuple[Path, str]) -> None:
    """The verifiers' check names and messages and the figure functions' captions write their math as math."""
    _, tex = report_tex
    parts = [m.group(0) for m in DATA_TEXT.finditer(tex.split("\\begin{document}", 1)[1])]
    assert sum(p.startswith("\\caption") for p in parts) >= 10 and len(parts) > 20   # captions and lists scanned
    found = [ascii_math(p) for p in parts]
    assert not any(found), [f for f in found if f][:5]
    assert "$\\|h_t - h'_t\\| \\le q^t" in tex and "$t_{1/2}(\\rho)$" in tex   # a check name, a caption


def test_the_json_gives_check_names_and_captions_as_written_and_as_plain_text(report_tex: tuple[Path, str]) -> None:
    """``name``/``message``/``caption`` keep their inline math; ``*_text`` beside them is plain text (as a step's
    ``justification`` and ``justification_text``)."""
    out, _ = report_tex
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    checks = [c for entry in summary["derivations"] for c in entry["verification"]["checks"]]
    captions = [f for entry in summary["derivations"] for f in entry["figures"]]
    assert any("$" in c["name"] for c in checks) and (not captions or any("$" in f["caption"] for f in captions))
    for c in checks:
        assert c["name_text"] == prose_text(c["name"]) and "$" not in c["name_text"]
        assert c["message_text"] == prose_text(c["message"]) and "$" not in c["message_text"]
    for f in captions:
        assert f["caption_text"] == prose_text(f["caption"]) and "$" not in f["caption_text"]


SPAN = r'<span class="tex" data-display="1">(.*?)</span>'


def test_the_html_displays_have_the_lines_of_the_pdf(report_tex: tuple[Path, str]) -> None:
    """Each broken display of report.tex (an ``align``) is an ``aligned`` with the same lines in report.html, its
    "where" definitions in a display below it; no ``\\tag``, ``\\label`` or ``\\intertext`` reaches KaTeX."""
    out, tex = report_tex
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    sources = re.findall(r'<span class="tex" data-display="1">(.*?)</span>', page, re.S)
    assert sources and not any(re.search(r"\\(?:tag|label|notag|intertext)\b", s) for s in sources)
    broken = 0
    for m in re.finditer(r"\\begin\{align\}\n(.*?)\n\\end\{align\}", tex, re.S):
        label = re.search(r"\\label\{eq:([^}]*)\}", m.group(1))
        assert label is not None, m.group(1)[:80]
        rows = m.group(1).split(" \\\\\n")
        main = next((k for k, row in enumerate(rows) if row.startswith("\\intertext{where}")), len(rows))
        shown = re.search(rf'id="eq-{re.escape(label.group(1))}"><div class="body">{SPAN}</div><div class="no">'
                          rf'[^<]*</div></div>(?:<p class="where">where</p><div class="eq"><div class="body">{SPAN})?',
                          page, re.S)
        assert shown is not None, label.group(1)
        formula, where = shown.group(1), shown.group(2)
        assert formula.startswith("\\begin{aligned}") and formula.count(" \\\\\n") == main - 1, \
            (label.group(1), formula[:200])
        assert (main < len(rows)) == (where is not None), label.group(1)
        assert where is None or where.count(" \\\\\n") == len(rows) - main - 1, label.group(1)
        broken += 1
    assert broken >= 10, f"only {broken} broken displays"


def test_the_markdown_checks_table_has_six_cells_a_row(report_tex: tuple[Path, str]) -> None:
    """A check name's ``|A|^k`` or ``\\|W_h\\|_2`` does not split its table row (GitHub splits at every ``|``)."""
    out, _ = report_tex
    rows = [line for line in (out / "report.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    assert len(rows) > 20
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row
    assert any("\\vert" in row for row in rows) and any("\\Vert" in row for row in rows)


def test_the_json_names_the_chapter_section_beside_the_reference(report_tex: tuple[Path, str],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = report_tex
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for entry in summary["derivations"]:
        info = derivation_info(entry["name"])
        assert entry["section"] == info.section in CHAPTER_SECTIONS and entry["reference"] == info.reference
    assert main(["derive", "half_life", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["section"] == "Decoding the Dynamics: Fixed Points and Stability" and record["reference"]


def test_every_derive_latex_document_fits(tmp_path: Path, require_pdflatex: None,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    documents = {}
    for name in rs.derivation_names():
        assert main(["derive", name, "--format", "latex"]) == 0
        documents[name] = capsys.readouterr().out
    for name, tex in documents.items():
        assert not scaled(tex), (name, scaled(tex)[:3])

    def log_of(name: str) -> str:
        (tmp_path / name).mkdir()
        return _compile_log(documents[name], tmp_path / name, name)

    with ThreadPoolExecutor(2) as pool:
        logs = dict(zip(documents, pool.map(log_of, documents)))
    bad = {name: overfull(log) for name, log in logs.items() if overfull(log)}
    assert not bad, f"rnnsym derive NAME --format latex: overfull lines: {bad}"


# -- the checks can fail ---------------------------------------------------------------
def test_a_planted_overlong_display_is_caught(tmp_path: Path, require_pdflatex: None) -> None:
    """A symbol whose LaTeX is one unbreakable 500 pt word cannot be broken: the log check fails on it."""
    wide = register_symbol(sp.Symbol("planted_wide_symbol"), r"\mathrm{" + "W" * 45 + "}")
    d = rs.Derivation(name="planted", title="Planted", reference="none",
                      steps=[rs.Step(sp.Eq(sp.Symbol("y"), wide + 1), "An unbreakable display.")], result=wide)
    log = _compile_log(d.latex(standalone=True), tmp_path, "planted")
    assert overfull(log), "the planted 500 pt display was not reported overfull"


def test_a_planted_resizebox_is_caught() -> None:
    tex = rs.derive("half_life").latex(standalone=True)
    assert not scaled(tex)
    assert scaled(tex.replace("\\begin{equation}", "\\begin{equation}\\resizebox{\\linewidth}{!}{$x$}", 1))
    assert scaled(tex.replace("\\begin{equation}", "\\begin{equation}\\scriptstyle ", 1))
