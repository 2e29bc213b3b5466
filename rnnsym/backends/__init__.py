"""Engines behind :func:`rnnsym.compile` other than NumPy and mpmath.

* :mod:`~rnnsym.backends.gpu` -- ``"jax"`` and ``"cupy"`` (extras ``jax``, ``cupy``);
* :mod:`~rnnsym.backends.symengine` -- large symbolic objects with SymEngine
  (extra ``symbolic``).

Each imports its third-party engine only when first used.
"""
