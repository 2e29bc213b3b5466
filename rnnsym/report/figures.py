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
...     assert figure.path.name == "half_life.png" and figure.path.stat().st_size > 0
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
from rnnsym.errors import UnknownNameError
from rnnsym.registry import derivation_module, derivation_names

__all__ = ["FIGURES", "FigureFunction", "RenderedFigure", "evaluate", "figure_function", "figure_names",
           "matrix_entries", "plotting_available", "render_figure"]

#: A figure function draws on a matplotlib ``Figure`` and returns its caption.
FigureFunction = Callable[[Derivation, Any], str]


@dataclass(frozen=True)
class RenderedFigure:
    """A PNG written by :func:`render_figure` and its one-sentence caption."""

    path: Path
    caption: str


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


def render_figure(name: str, derivation: Derivation, directory: "str | Path", *,
                  dpi: int = 110) -> RenderedFigure:
    """Draw the figure of derivation ``name`` into ``directory/name.png``.

    Raises :class:`~rnnsym.errors.UnknownNameError` when ``name`` has no
    figure and ``ImportError`` when matplotlib is not installed.
    """
    draw = figure_function(name)
    # matplotlib is the optional `plot` extra: imported only when a figure is drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # the optional `plot` extra, as above

    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    caption = draw(derivation, fig)
    path = Path(directory) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
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
