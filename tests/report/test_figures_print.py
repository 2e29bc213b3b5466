"""Every derivation's figure is fit for print: vector, at its printed size, readable and fully labelled.

For each figure (drawn by :func:`rnnsym.report.figures.render_figure`):

* the PDF and SVG files are exactly the printed size (the report's text
  width), so the report includes them unscaled and the point sizes below are
  the sizes on paper;
* every text (titles, axis labels, tick labels, legend entries, notes) is at
  least ``MIN_FONT_PT`` and lies inside the figure;
* every drawn family has a legend entry: each line or collection is either
  in its axes' legend or shares colour, line style and marker with a line
  that is (its family), or is marked as a reference mark (label
  ``_reference``: a zero line); no legend holds two identical entries;
* no data drawn lies outside the axes' view (a curve leaving the plot);
* no text shows a raw ``^`` or ``_`` outside mathtext ``$...$``.

:func:`test_each_rule_catches_a_planted_violation` plants one violation per
rule in a small figure and watches the checker report it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnnsym as rs
from rnnsym.latex import standalone_document
from rnnsym.report import figures as F

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.collections import Collection  # noqa: E402 - after the importorskip
from matplotlib.lines import Line2D  # noqa: E402

REFERENCE = F.REFERENCE
_MATH = re.compile(r"(?<!\\)\$.*?(?<!\\)\$")
_BOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")


# -- the checker ------------------------------------------------------------------------------------
def _drawn_texts(fig: Any) -> list[tuple[str, float, Any]]:
    """Each text the renderer draws (string, size in points, its ``Text`` artist): only what is on the page."""
    renderer = fig.canvas.get_renderer()
    seen: list[tuple[str, float, Any]] = []
    original = renderer.draw_text

    def record(gc: Any, x: float, y: float, s: str, prop: Any, angle: float, ismath: Any = False,
               mtext: Any = None) -> Any:
        seen.append((s, prop.get_size_in_points(), mtext))
        return original(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record
    try:
        fig.canvas.draw()
    finally:
        del renderer.draw_text
    return [(s, size, mtext) for s, size, mtext in seen if s.strip()]


def _style(artist: Any) -> tuple[Any, ...]:
    """Colour, line style, marker and whether the marker is filled: what tells a family apart."""
    from matplotlib.colors import to_rgba

    if isinstance(artist, Line2D):
        face = artist.get_markerfacecolor()
        filled = not (isinstance(face, str) and face.lower() in ("none", "white", "w")) and face != (1, 1, 1, 1)
        marker = artist.get_marker() if artist.get_marker() not in (None, "", " ", "none") else "None"
        rgba = to_rgba(artist.get_color())
        return (tuple(round(c, 3) for c in rgba[:3]), artist.get_linestyle(), marker, filled)
    colors = np.atleast_2d(artist.get_facecolor() if len(artist.get_facecolor()) else artist.get_edgecolor())
    return (tuple(np.round(colors[0, :3], 3)) if colors.size else None, "None", type(artist).__name__, True)


def _explained(style: tuple[Any, ...], keys: list[tuple[Any, ...]]) -> bool:
    """Whether a legend explains ``style``: an entry drawn the same, or one of its colour and a grey
    key for its line style and marker (``filled dots: ...``)."""
    grey = [k for k in keys if k[0] is not None and max(k[0]) - min(k[0]) < 1e-3]
    return style in keys or (any(k[0] == style[0] for k in keys) and any(k[1:] == style[1:] for k in grey))


def _data_artists(ax: Any) -> list[Any]:
    return [a for a in [*ax.lines, *ax.collections] if a.get_visible()
            and not (isinstance(a, Collection) and getattr(a, "colorbar", None) is not None)]


def _outside_view(ax: Any, line: Line2D) -> bool:
    """Whether a data line has finite points outside the axes' view (a curve leaving the plot)."""
    if line.get_transform() != ax.transData:
        return False   # axhline, axvline and the like: drawn in axes coordinates
    x, y = (np.asarray(v, dtype=float) for v in line.get_data())
    keep = np.isfinite(x) & np.isfinite(y)
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    slack_x, slack_y = 1e-9 * (abs(x0) + abs(x1) + 1), 1e-9 * (abs(y0) + abs(y1) + 1)
    return bool(np.any((x[keep] < x0 - slack_x) | (x[keep] > x1 + slack_x)
                       | (y[keep] < y0 - slack_y) | (y[keep] > y1 + slack_y)))


def problems(fig: Any) -> list[str]:
    """Every way ``fig`` falls short of print (empty when none)."""
    found = []
    for dpi in (F.PNG_DPI, 72):   # the layout is redone at each resolution: the PNG's and the vector files'
        fig.set_dpi(dpi)
        frame = fig.bbox
        for label, _, text in _drawn_texts(fig):
            box = text.get_window_extent() if text is not None else frame
            if box.x0 < frame.x0 - 1 or box.y0 < frame.y0 - 1 or box.x1 > frame.x1 + 1 or box.y1 > frame.y1 + 1:
                found.append(f"text {label!r} runs outside the figure at {dpi} dpi")
    for label, size, text in _drawn_texts(fig):
        if size < F.MIN_FONT_PT - 1e-9:
            found.append(f"text {label!r} is {size:g} pt")
        outside = _MATH.sub("", label) if label.count("$") % 2 == 0 else label
        if "^" in outside or "_" in outside:
            found.append(f"text {label!r} has a raw ^ or _ outside $...$")
    for legend in [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends):
        entries = [t.get_text() for t in legend.get_texts()]
        if len(entries) != len(set(entries)):
            found.append(f"a legend repeats an entry: {entries}")
    for ax in fig.axes:
        if hasattr(ax, "_colorbar"):
            continue
        legends = [ax.get_legend()] if ax.get_legend() is not None else []
        legends += fig.legends   # a figure's legend (below both panels) serves every panel
        entries = [t.get_text() for legend in legends for t in legend.get_texts()]
        keys = [_style(h) for legend in legends for h in legend.legend_handles]
        for artist in _data_artists(ax):
            label = artist.get_label()
            if label == REFERENCE:
                continue
            if label.startswith("_"):
                if not _explained(_style(artist), keys):
                    found.append(f"a {type(artist).__name__} in {ax.get_title()!r} belongs to no legend entry")
            elif label not in entries:
                found.append(f"{label!r} in {ax.get_title()!r} is not in the legend")
            if isinstance(artist, Line2D) and _outside_view(ax, artist):
                found.append(f"{label!r} in {ax.get_title()!r} leaves the plot")
    return found


def _page_size_pt(pdf: Path) -> tuple[float, float]:
    found = _BOX.findall(pdf.read_bytes())
    assert len(found) == 1, f"{pdf.name}: expected one page, found {len(found)} MediaBox entries"
    return float(found[0][0]), float(found[0][1])


# -- the derivations' figures -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, F.RenderedFigure]]:
    directory = tmp_path_factory.mktemp("figures")
    out = {}
    for name in F.figure_names():
        derivation = rs.derive(name)
        out[name] = (F.draw_figure(name, derivation)[0], F.render_figure(name, derivation, directory))
    return out


@pytest.mark.parametrize("name", F.figure_names())
def test_vector_files_are_the_printed_size(drawn: dict[str, Any], name: str) -> None:
    fig, rendered = drawn[name]
    width, height = F.TEXT_WIDTH_IN * 72, fig.get_figheight() * 72   # PDF and SVG points are 1/72 in
    assert _page_size_pt(rendered.pdf) == pytest.approx((width, height), abs=0.01)
    svg = rendered.svg.read_text(encoding="utf-8")
    sizes = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"', svg)
    assert sizes is not None and tuple(map(float, sizes.groups())) == pytest.approx((width, height), abs=0.01)
    assert 1.5 <= fig.get_figheight() <= 4.5, "a figure fits on a page beside its caption"
    assert rendered.path.suffix == ".png" and rendered.path.stat().st_size > 0


@pytest.mark.parametrize("name", F.figure_names())
def test_figure_is_readable_and_labelled(drawn: dict[str, Any], name: str) -> None:
    fig, _ = drawn[name]
    assert problems(fig) == []


def test_figure_width_is_the_report_text_width(tmp_path: Path) -> None:
    """The width figures are drawn at is the PDF report's ``\\linewidth`` (at most 1 pt narrower)."""
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    tex = standalone_document("\\typeout{RNNSYM-LINEWIDTH=\\the\\linewidth}x")
    (tmp_path / "width.tex").write_text(tex, encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "width.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    found = re.search(r"RNNSYM-LINEWIDTH=([\d.]+)pt", run.stdout)
    assert found is not None, run.stdout[-2000:]
    linewidth_in = float(found.group(1)) / 72.27   # TeX points
    assert linewidth_in - 1 / 72.27 <= F.TEXT_WIDTH_IN <= linewidth_in


def _planted(kind: str) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(dict(F.PRINT_STYLE)):
        fig = Figure(figsize=(F.TEXT_WIDTH_IN, F.FIGURE_HEIGHT_IN), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        t = np.linspace(0, 1, 20)
        ax.plot(t, t, label="$h_{t,0}$")
        ax.axhline(0, color="k", lw=0.5, label=REFERENCE)
        ax.set(xlabel="t", title="a small figure")
        if kind == "small text":
            ax.set_xlabel("t", fontsize=6)
        elif kind == "unlegended line":
            ax.plot(t, t ** 2, color="C5")
        elif kind == "unlisted label":
            ax.plot(t, t ** 2, color="C5", label="squares")
            ax.legend(handles=ax.lines[:1])
            return fig
        elif kind == "repeated entry":
            ax.plot(t, t ** 2, color="C5", label="$h_{t,0}$")
        elif kind == "raw caret":
            ax.set_title("shrinks like q^t")
        elif kind == "leaves the plot":
            ax.plot(t, 10 * t, color="C5", label="bound")
            ax.set_ylim(0, 1)
        ax.legend()
    return fig


@pytest.mark.parametrize("kind", ["small text", "unlegended line", "unlisted label", "repeated entry", "raw caret",
                                  "leaves the plot"])
def test_each_rule_catches_a_planted_violation(kind: str) -> None:
    assert problems(_planted("none")) == []
    assert len(problems(_planted(kind))) == 1, kind


def test_draw_figure_refuses_what_is_not_a_derivation() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`derivation` must be a Derivation"):
        F.draw_figure("snr", "snr")   # type: ignore[arg-type]


def test_the_pdf_report_includes_each_figure_unscaled(drawn: dict[str, Any]) -> None:
    from rnnsym.report.build import _graphic

    for _, rendered in drawn.values():
        line = _graphic(rendered)
        assert re.fullmatch(r"\\includegraphics\{[^}]+\.pdf\}", line.split("%")[0].strip()), line


def test_inline_svg_figures_keep_their_ids_apart(drawn: dict[str, Any]) -> None:
    """Two figures inlined in one page: every id is unique and every reference finds its own figure's id."""
    from rnnsym.report.html import _inline_svg

    page = "".join(_inline_svg(rendered.svg, f"fig-{name}-1", name) for name, (_, rendered) in drawn.items())
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert ids and len(ids) == len(set(ids))
    for name, (_, rendered) in drawn.items():
        svg = _inline_svg(rendered.svg, f"fig-{name}-1", name)
        refs = set(re.findall(r'(?:href="#|url\(#)([^")]+)', svg))
        assert refs and refs <= set(re.findall(r'\bid="([^"]+)"', svg)), name
        assert all(ref.startswith(f"fig-{name}-1-") for ref in refs)
    assert "<?xml" not in page and "<!DOCTYPE" not in page and "*{stroke" not in page
