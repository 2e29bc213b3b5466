"""report.html: one self-contained page whose every formula typesets in a real headless browser.

The browser test runs Debian's Chromium (``apt-get install chromium``; as
root it needs ``--no-sandbox``).  Where it is missing the test is skipped,
except when ``RNNSYM_REQUIRE_BROWSER=1`` (CI sets it): then it fails.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rnnsym.report import build_report
from rnnsym.report.html import katex_assets

NAMES = ["half_life", "snr", "eigenmodes"]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report"
    build_report(out, NAMES, examples=3, pdf=False, progress=False)
    return out / "report.html"


class _Text(html.parser.HTMLParser):
    """What a reader sees: text outside script, style and KaTeX's MathML annotations."""

    HIDDEN = {"script", "style", "annotation", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.chunks, self.spans, self.typeset, self.errors = 0, [], 0, 0, 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "span" and "tex" in classes:
            self.spans += 1
            self.typeset += "typeset" in classes
            self.errors += "tex-error" in classes
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.chunks.append(data)


def test_the_page_is_self_contained(written: Path) -> None:
    page = written.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # nothing fetched from anywhere: fonts and figures are data URIs, scripts inline
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", page)
    assert not re.search(r"url\((?!data:|#)", page)   # url(#id): an inline figure's own clip path
    assert page.count('<svg role="img"') >= 2 and "font/woff2;base64," in page   # figures as inline SVG
    assert "*{stroke" not in page   # a figure's style rule for every element does not reach the page
    for name in NAMES:
        assert f'id="{name}"' in page
    assert 'id="eq-half_life-R"' in page and "(1.R)" in page
    assert 'id="corrections"' in page and all(f'id="C{k}"' in page for k in range(1, 17))   # the appendix


def test_katex_is_the_vendored_release_with_its_license() -> None:
    css, js = katex_assets()
    assert "0.16.47" in js and "fonts/" not in css
    import rnnsym.report
    assert (Path(rnnsym.report.__file__).parent / "katex" / "LICENSE").read_text().startswith("The MIT License")


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("RNNSYM_REQUIRE_BROWSER") == "1":
        pytest.fail("RNNSYM_REQUIRE_BROWSER=1 but chromium is not installed")
    return found


def _browser(*args: str) -> subprocess.CompletedProcess:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                           *args], capture_output=True, text=True, timeout=120, check=False)


def test_every_formula_typesets_in_headless_chromium(written: Path) -> None:
    page = written.read_text(encoding="utf-8")   # long displays broken as in report.pdf, with "where" lines
    assert "\\begin{aligned}" in page and '<p class="where">where</p>' in page
    done = _browser("--dump-dom", written.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    seen = _Text()
    seen.feed(done.stdout)
    assert seen.spans >= 30, f"only {seen.spans} formulas in the page"
    assert seen.typeset == seen.spans and seen.errors == 0, (seen.spans, seen.typeset, seen.errors)
    text = "".join(seen.chunks)
    for raw in ("$", "\\frac", "\\left", "\\begin", "\\mathrm", "\\operatorname", "\\displaystyle"):
        assert raw not in text, f"raw TeX {raw!r} in the rendered text"


def test_a_spoiled_formula_is_shown_as_source_not_dropped(tmp_path: Path, written: Path) -> None:
    page = written.read_text(encoding="utf-8").replace('data-display="1">', 'data-display="1">\\frac{', 1)
    spoiled = tmp_path / "spoiled.html"
    spoiled.write_text(page, encoding="utf-8")
    done = _browser("--dump-dom", spoiled.as_uri())
    seen = _Text()
    seen.feed(done.stdout)
    assert seen.errors == 1 and seen.typeset == seen.spans - 1


def test_the_screenshot_is_not_blank(tmp_path: Path, written: Path) -> None:
    shot = tmp_path / "shot.png"
    done = _browser("--window-size=1000,1400", f"--screenshot={shot}", written.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    image = pytest.importorskip("matplotlib.image").imread(shot)
    ink = (image[..., :3].mean(axis=-1) < 0.5).mean()
    assert 0.01 < ink < 0.5, f"{ink:.3%} of the pixels are dark"


def test_the_corrections_appendix_sets_its_formulas_as_math_as_report_pdf_does(written: Path) -> None:
    """The appendix's Unicode formulas are math spans (the same LaTeX as report.pdf's appendix), its code spans
    code, its lists lists and its displays display math; a derivation's name is code (`snr`)."""
    from rnnsym.report.appendix import appendix_latex

    page = written.read_text(encoding="utf-8")
    appendix = page[page.index('<h2 id="corrections">'):page.index("<script>", page.index('<h2 id="corrections">'))]
    spans = re.findall(r'<span class="tex" data-display="(\d)">', appendix)
    assert len(spans) > 400 and "1" in spans                                # inline and display math
    pdf = re.sub(r"\\addcontentsline\{toc\}\{subsection\}\{.*", "", appendix_latex())   # a title's math once
    assert len(spans) >= pdf.count("$") // 2                                # as many formulas as the PDF's
    assert "<code>snr</code>" in appendix and "<ul><li>" in appendix and "<b>Correction:</b>" in appendix
    assert "`" not in re.sub(r"<code>.*?</code>", "", appendix)             # no Markdown code marks left
    # a formula keeps the punctuation after it on its line (inside a nobr span, never bare after it)
    assert not re.search(r'data-display="0">[^<]*</span>[.,;:](?!</span>)', appendix)
