"""Hypothesis strategies for property-testing RNN formulas.

Every public name is a function returning a
:class:`hypothesis.strategies.SearchStrategy`.  Matrices are float64 NumPy
arrays built from drawn parameters (never by rejection), so the defining
property holds by construction and failing examples shrink toward simple
ones (zero entries, identity similarity transforms).  Dimensions are plain
ints; keep them small (``n <= 8``), which is where the numerical guarantees
quoted in the docstrings are checked.  In the per-function examples the
names are this module's and ``st`` is :mod:`hypothesis.strategies`.

Hard regions are drawn on purpose, not by luck: each strategy mixes a
generic branch with branches for the edge of its domain, so that a fixed
fraction of the draws (checked in ``tests/test_strategies.py``) lands there:
frequencies exactly ``0`` and ``pi`` and within ``1e-12 .. 1e-2`` of them
(:func:`frequencies`); spectral radii and coefficients with ``|a| >= 0.99``
(:func:`stable_coefficients`, :func:`stable_matrices`,
:func:`matrices_with_spectral_radius` given a strategy of radii from
:func:`spectral_radii`); dimension ``8`` (:func:`dimensions`, and
:func:`rnns` when ``n`` is not given); saturated units, ``|z| >= 10``
(:func:`pre_activations`, and the ``saturate`` option of :func:`rnns`); saturated gates of GRU and
LSTM cells (:func:`gated_weights`), saturated ``tanh(c)`` (:func:`cell_states`), memory gate
biases with half-lives near 1 and of ``1e4`` steps (:func:`memory_biases`).

Examples
--------
>>> import numpy as np
>>> from hypothesis import given, settings
>>> from rnnsym import strategies as st_
>>> @settings(max_examples=5, deadline=None, derandomize=True, database=None)
... @given(st_.stable_matrices(3))
... def check(w):
...     assert max(abs(np.linalg.eigvals(w))) < 1
>>> check()
"""

from __future__ import annotations

from rnnsym.strategies._scalars import dimensions as dimensions
from rnnsym.strategies._scalars import frequencies as frequencies
from rnnsym.strategies._scalars import stable_coefficients as stable_coefficients
from rnnsym.strategies._scalars import spectral_radii as spectral_radii
from rnnsym.strategies._scalars import pre_activations as pre_activations
from rnnsym.strategies._matrices import matrices as matrices
from rnnsym.strategies._matrices import matrices_with_spectral_radius as matrices_with_spectral_radius
from rnnsym.strategies._matrices import stable_matrices as stable_matrices
from rnnsym.strategies._matrices import unstable_matrices as unstable_matrices
from rnnsym.strategies._matrices import normal_matrices as normal_matrices
from rnnsym.strategies._matrices import non_normal_matrices as non_normal_matrices
from rnnsym.strategies._matrices import orthogonal_matrices as orthogonal_matrices
from rnnsym.strategies._matrices import jordan_block_matrices as jordan_block_matrices
from rnnsym.strategies._matrices import diagonalizable_matrices as diagonalizable_matrices
from rnnsym.strategies._matrices import controllable_pairs as controllable_pairs
from rnnsym.strategies._matrices import uncontrollable_pairs as uncontrollable_pairs
from rnnsym.strategies._matrices import observable_pairs as observable_pairs
from rnnsym.strategies._matrices import unobservable_pairs as unobservable_pairs
from rnnsym.strategies._networks import activation_names as activation_names
from rnnsym.strategies._networks import activations as activations
from rnnsym.strategies._networks import inputs as inputs
from rnnsym.strategies._networks import rnns as rnns
from rnnsym.strategies._networks import states as states
from rnnsym.strategies._gated import cell_states as cell_states
from rnnsym.strategies._gated import gated_weights as gated_weights
from rnnsym.strategies._gated import memory_biases as memory_biases
from rnnsym.strategies._base import SATURATION as SATURATION
from rnnsym.strategies._base import NEAR_ONE as NEAR_ONE

__all__ = [
    "dimensions", "frequencies", "stable_coefficients", "spectral_radii", "pre_activations",
    "matrices", "matrices_with_spectral_radius", "stable_matrices", "unstable_matrices",
    "normal_matrices", "non_normal_matrices", "orthogonal_matrices", "jordan_block_matrices",
    "diagonalizable_matrices", "controllable_pairs", "uncontrollable_pairs", "observable_pairs",
    "unobservable_pairs", "activation_names", "activations", "inputs", "rnns", "states",
    "gated_weights", "cell_states", "memory_biases",
]
