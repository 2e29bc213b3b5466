"""Fixed points ``h* = phi(W_h h* + W_x x + b)``: one input, or a path of biases.

* :mod:`~rnnsym.fixedpoints.newton` -- what both searches share;
* :mod:`~rnnsym.fixedpoints.search` -- :func:`find_fixed_points` for one
  input, certified complete where it can be;
* :mod:`~rnnsym.fixedpoints.sweep` -- :func:`sweep_fixed_points` over many
  biases, warm-started branch by branch;
* :mod:`~rnnsym.fixedpoints.certify` (with
  :mod:`~rnnsym.fixedpoints.intervals`) -- proofs by interval arithmetic:
  the 1-D count and enclosures;
* :mod:`~rnnsym.fixedpoints.continua` -- piecewise-linear networks pattern
  by pattern, and their :class:`Continuum` sets of fixed points;
* :mod:`~rnnsym.fixedpoints.nearroots` -- which Newton end points are fixed
  points (relative residuals, degenerate clusters).
"""

from rnnsym.fixedpoints.continua import Continuum as Continuum
from rnnsym.fixedpoints.search import FixedPoint as FixedPoint
from rnnsym.fixedpoints.search import FixedPointResult as FixedPointResult
from rnnsym.fixedpoints.search import find_fixed_points as find_fixed_points
from rnnsym.fixedpoints.search import residual_kernels as residual_kernels
from rnnsym.fixedpoints.sweep import Branch as Branch
from rnnsym.fixedpoints.sweep import FixedPointSweep as FixedPointSweep
from rnnsym.fixedpoints.sweep import sweep_fixed_points as sweep_fixed_points

__all__ = ["Continuum", "FixedPoint", "FixedPointResult", "find_fixed_points", "residual_kernels",
           "Branch", "FixedPointSweep", "sweep_fixed_points"]
