"""The report's plotting machinery, shared by the derivations' figures.

Each derivation draws its own figure: the module ``rnnsym.derivations.NAME``
defines ``figure(d, fig) -> str``, which draws on a matplotlib ``Figure``
what its section proves (its compiled result next to a simulation of the
model) and returns the one-sentence caption.  This module finds those
functions through the registry (:func:`figure_names`, :func:`render_figure`)
and holds the helpers they share (:func:`evaluate`, :func:`matrix_entries`).
matplotlib is the optional ``plot`` extra (``pip install rnnsym[plot]``): it
is imported only when a figure is drawn, through the object-oriented API
and the Agg canvas, so no global backend (a notebook's, say) is touched.

Examples
--------
>>> import tempfile, rnnsym as rs
>>> from rnnsym.report.figures import figure_names, plotting_available, render_figure
>>> "snr" in figure_names()
True
>>> if plotting_available():
...     figure = render_figure("half_life", rs.derive("half_life"), tempfile.mkdtemp())
...     assert figure.path.name == "half_life.png" and figure.pdf.stat().st_size > 0
...     assert figure.svg.read_text().count("<svg") == 1

Figures are drawn at their printed size: :data:`TEXT_WIDTH_IN` wide (the
PDF report's ``\textwidth``), text of at least :data:`MIN_FONT_PT` points,
and included without scaling, as PDF in ``report.pdf``, as inline SVG in
``report.html`` and as PNG (:data:`PNG_DPI`) in ``report.md``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import sympy as sp

from rnnsym.derivation import Derivation
from rnnsym.errors import InvalidArgumentError, UnknownNameError
from rnnsym.registry import derivation_module, derivation_names

__all__ = ["FIGURES", "FIGURE_HEIGHT_IN", "FigureFunction", "MIN_FONT_PT", "PNG_DPI", "PRINT_STYLE",
           "REFERENCE", "RenderedFigure", "TEXT_WIDTH_IN", "draw_figure", "evaluate", "figure_function", "figure_names",
           "matrix_entries", "plotting_available", "render_figure"]

#: A figure function draws on a matplotlib ``Figure`` and returns its caption.
FigureFunction = Callable[[Derivation, Any], str]


#: The printed width of every figure, in inches: the report's ``\textwidth`` (article class at
#: 11 pt: 360 TeX points = 4.981 in), rounded down so that an unscaled figure never overfills the line.
TEXT_WIDTH_IN = 4.98
#: The height of a figure unless its ``figure`` function sets another (``fig.set_figheight``).
FIGURE_HEIGHT_IN = 2.6
#: The smallest text in a printed figure, in points.
MIN_FONT_PT = 8.0
#: Resolution of ``figures/NAME.png`` (the Markdown report's copy): about 1000 pixels wide.
PNG_DPI = 200
#: The label of a reference mark (a zero line, a level of 1/2) that needs no legend entry; every other
#: line or collection is in its axes' legend or shares the colour and style of one that is.
REFERENCE = "_reference"
#: matplotlib settings every figure is drawn under: text at print size, thin lines for a 5 in figure.
PRINT_STYLE: Mapping[str, Any] = {
    "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "legend.title_fontsize": 8, "figure.titlesize": 9, "mathtext.fontset": "dejavusans",
    "axes.linewidth": 0.6, "lines.linewidth": 1.2, "lines.markersize": 4, "xtick.major.width": 0.6,
    "ytick.major.width": 0.6, "legend.handlelength": 1.6, "legend.borderpad": 0.3, "legend.labelspacing": 0.25,
    "legend.framealpha": 0.9, "svg.fonttype": "path", "figure.constrained_layout.h_pad": 0.03,
    "figure.constrained_layout.w_pad": 0.03}


@dataclass(frozen=True)
class RenderedFigure:
    """A figure written by :func:`render_figure`: ``path`` (the PNG), a PDF and an SVG beside it, its caption."""

    path: Path
    caption: str

    @property
    def pdf(self) -> Path:
        """The figure as PDF at its printed size, for ``report.pdf``."""
        return self.path.with_suffix(".pdf")

    @property
    def svg(self) -> Path:
        """The figure as SVG at its printed size, for ``report.html``."""
        return self.path.with_suffix(".svg")


def plotting_available() -> bool:
    """Whether matplotlib (the ``plot`` extra) is installed."""
    return importlib.util.find_spec("matplotlib") is not None


def figure_names() -> tuple[str, ...]:
    """The derivations that have a figure (whose module defines ``figure``), in chapter order."""
    return tuple(name for name in derivation_names() if callable(getattr(derivation_module(name), "figure", None)))


def figure_function(name: str) -> FigureFunction:
    """The ``figure`` function of derivation ``name``.

    Raises :class:`~rnnsym.errors.UnknownNameError` when ``name`` has none.
    """
    names = figure_names()
    if name not in names:
        raise UnknownNameError(f"derivation {name!r} has no figure; figures exist for {', '.join(names)}.")
    function: FigureFunction = derivation_module(name).figure
    return function


class _FigureIndex(Mapping[str, FigureFunction]):
    """A read-only view, name -> ``figure``, read from the derivation modules on each access."""

    def __getitem__(self, name: str) -> FigureFunction:
        if not isinstance(name, str) or name not in figure_names():
            raise KeyError(name)
        return figure_function(name)

    def __iter__(self) -> Iterator[str]:
        return iter(figure_names())

    def __len__(self) -> int:
        return len(figure_names())

    def __repr__(self) -> str:
        return f"FIGURES({', '.join(figure_names())})"


#: Read-only view of the figures, name -> the derivation module's ``figure`` (kept for
#: ``rnnsym.report.FIGURES``); a figure is defined in its derivation's module, not here.
FIGURES: Mapping[str, FigureFunction] = _FigureIndex()


def _rc(name: str) -> Any:
    """The matplotlib settings figure ``name`` is drawn and saved under (its SVG ids salted by its name)."""
    return {**PRINT_STYLE, "svg.hashsalt": name}


def draw_figure(name: str, derivation: Derivation) -> tuple[Any, str]:
    """Draw the figure of derivation ``name`` at its printed size; return the matplotlib ``Figure`` and caption.

    The figure is :data:`TEXT_WIDTH_IN` wide and drawn under :data:`PRINT_STYLE`
    on its own Agg canvas (no global backend is touched).  Raises
    :class:`~rnnsym.errors.UnknownNameError` when ``name`` has no figure,
    :class:`~rnnsym.errors.InvalidArgumentError` when ``derivation`` is not a
    :class:`~rnnsym.derivation.Derivation` and ``ImportError`` when
    matplotlib is not installed.
    """
    draw = figure_function(name)
    if not isinstance(derivation, Derivation):
        raise InvalidArgumentError(f"`derivation` must be a Derivation (from rnnsym.derive({name!r})); "
                                   f"got {type(derivation).__name__}.")
    # matplotlib is the optional `plot` extra: imported only when a figure is drawn
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # the optional `plot` extra, as above
    from matplotlib.figure import Figure  # the optional `plot` extra, as above

    with rc_context(_rc(name)):
        fig = Figure(figsize=(TEXT_WIDTH_IN, FIGURE_HEIGHT_IN), layout="constrained")
        FigureCanvasAgg(fig)
        caption = draw(derivation, fig)
        fig.set_figwidth(TEXT_WIDTH_IN)   # the width is the text width, whatever the function did
        fig.canvas.draw()   # lay out (and create the tick labels) under the print style
    return fig, caption


def render_figure(name: str, derivation: Derivation, directory: "str | Path") -> RenderedFigure:
    """Draw the figure of derivation ``name`` into ``directory/name.{png,pdf,svg}``.

    The PDF and SVG are vector files at the printed size (include them
    unscaled); the PNG is the same figure at :data:`PNG_DPI`.  Raises as
    :func:`draw_figure` does.
    """
    fig, caption = draw_figure(name, derivation)
    from matplotlib import rc_context  # the optional `plot` extra, as in draw_figure

    path = Path(directory) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    with rc_context(_rc(name)):
        fig.savefig(path, dpi=PNG_DPI)
        # dpi: of the rasterized parts (a mesh) of the vector files
        fig.savefig(path.with_suffix(".pdf"), dpi=PNG_DPI, metadata={"CreationDate": None})
        fig.savefig(path.with_suffix(".svg"), dpi=PNG_DPI, metadata={"Date": None})
    return RenderedFigure(path, caption)


# -- helpers shared by the figures -----------------------------------------------------
def _arg_name(arg: Any) -> str:
    """``W_h[0,1]`` for a symbol, ``h_prev`` for a matrix of ``h_prev[i]``."""
    if isinstance(arg, sp.Symbol):
        return arg.name
    return str(next(iter(arg))).split("[")[0]


def evaluate(kernel: Any, values: Mapping[str, Any], **options: Any) -> np.ndarray:
    """Call ``kernel`` with each of its arguments looked up by name in ``values``.

    A symbol argument is looked up by its name (``"W_h[0,1]"``), a matrix of
    symbols by the name of its entries (``"h_prev"`` for ``h_prev[i]``);
    ``options`` go to the kernel call (for example ``on_domain="nan"``).

    >>> import sympy as sp, rnnsym as rs
    >>> x, y = sp.symbols("x y")
    >>> float(evaluate(rs.compile(x - y, [x, y]), {"y": 1.0, "x": 3.0}))
    2.0
    """
    return np.asarray(kernel(*[values[_arg_name(a)] for a in kernel.args], **options))


def matrix_entries(prefix: str, matrix: Any) -> dict[str, float]:
    """The entries of ``matrix`` by their symbol names ``prefix[i,j]``, for :func:`evaluate`.

    >>> matrix_entries("A", [[1, 2]])
    {'A[0,0]': 1.0, 'A[0,1]': 2.0}
    """
    M = np.atleast_2d(np.asarray(matrix, dtype=float))
    return {f"{prefix}[{i},{j}]": float(M[i, j]) for i in range(M.shape[0]) for j in range(M.shape[1])}
