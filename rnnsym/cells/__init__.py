"""Recurrent cells beyond the simple RNN: one abstraction, built-in GRU / LSTM / leaky cells, your own.

* :mod:`~rnnsym.cells.base` -- :class:`Cell`, the recurrence ``s_t = F(s_{t-1}, x_t; theta)``
  whose state may be several vectors (an LSTM's ``(h, c)``): symbolic step and
  Jacobians (SymPy), numeric step, Jacobians and linearisation (NumPy);
* :mod:`~rnnsym.cells.simple` -- :class:`SimpleCell` (today's :class:`~rnnsym.model.RNN`)
  and :class:`LeakyCell`;
* :mod:`~rnnsym.cells.gated` -- :class:`GRUCell` and :class:`LSTMCell`, PyTorch's
  equations, gate order and weight layout (``from_state_dict``);
* :mod:`~rnnsym.cells.custom` -- :func:`custom_cell` from SymPy expressions or
  whitelisted text;
* :mod:`~rnnsym.cells.slow_points` -- :func:`find_slow_points`: fixed points
  (certified to rounding) and slow points, FixedPointFinder's method batched
  over starts;
* :mod:`~rnnsym.cells.analysis` -- the chapter's analyses for any cell:
  :func:`cell_gradient_norms`, :func:`cell_lyapunov_spectrum`,
  :func:`cell_point_analysis` (linearisation, modes, half-lives, transient
  growth, stability) and :func:`cell_contraction_certificate`.

The built-in cells write their equations once (:mod:`~rnnsym.cells._ops`):
the symbolic step, the numeric step, its forward-mode Jacobians and its
rounding bound are four readings of the same function.
"""

from rnnsym.cells.base import Cell as Cell
from rnnsym.cells.custom import CustomCell as CustomCell
from rnnsym.cells.custom import custom_cell as custom_cell
from rnnsym.cells.gated import GatedCell as GatedCell
from rnnsym.cells.gated import GRUCell as GRUCell
from rnnsym.cells.gated import LSTMCell as LSTMCell
from rnnsym.cells.simple import LeakyCell as LeakyCell
from rnnsym.cells.simple import SimpleCell as SimpleCell
from rnnsym.cells.slow_points import CellPoint as CellPoint
from rnnsym.cells.slow_points import SlowPointResult as SlowPointResult
from rnnsym.cells.slow_points import find_slow_points as find_slow_points
from rnnsym.cells.analysis import CellGradientNorms as CellGradientNorms
from rnnsym.cells.analysis import CellPointAnalysis as CellPointAnalysis
from rnnsym.cells.analysis import ContractionCertificate as ContractionCertificate
from rnnsym.cells.analysis import cell_contraction_certificate as cell_contraction_certificate
from rnnsym.cells.analysis import cell_gradient_norms as cell_gradient_norms
from rnnsym.cells.analysis import cell_lyapunov_spectrum as cell_lyapunov_spectrum
from rnnsym.cells.analysis import cell_point_analysis as cell_point_analysis

__all__ = ["Cell", "CustomCell", "custom_cell", "GatedCell", "GRUCell", "LSTMCell", "LeakyCell", "SimpleCell",
           "CellPoint", "SlowPointResult", "find_slow_points", "CellGradientNorms", "cell_gradient_norms",
           "cell_lyapunov_spectrum", "CellPointAnalysis", "cell_point_analysis", "ContractionCertificate",
           "cell_contraction_certificate"]
