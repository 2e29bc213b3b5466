"""Strategies for scalars: dimensions, frequencies, coefficients, spectral radii, pre-activations.

Internal: import the public names from :mod:`rnnsym.strategies`.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from rnnsym.errors import InvalidArgumentError
from rnnsym.strategies._base import SATURATION, _below, _dim, _floats, _gaps, _mix, _real

# ------------------------------------------------------ scalars and sizes
def dimensions(min_n: int = 1, max_n: int = 8) -> st.SearchStrategy[int]:
    """Dimensions in ``[min_n, max_n]``; ``max_n`` in about a third of the draws.

    Examples
    --------
    >>> isinstance(dimensions(2, 8), st.SearchStrategy)
    True
    """
    lo, hi = _dim("min_n", min_n), _dim("max_n", max_n)
    if hi < lo:
        raise InvalidArgumentError(f"`max_n` must be >= `min_n` = {lo}; got {hi}.")
    return _mix((2, st.integers(lo, hi)), (1, st.just(hi)))


def frequencies(*, endpoints: bool = True) -> st.SearchStrategy[float]:
    """Angular frequencies ``omega`` in ``[0, pi]`` (``pi`` is ``math.pi``).

    A third of the draws are anywhere in the interval, a third within
    ``1e-12 .. 1e-2`` of ``0`` or of ``pi``, and a third exactly ``0`` or
    ``pi``.  ``endpoints=False`` leaves out the exact endpoints (half the draws
    are then near them), for results that hold on the open interval only.

    Examples
    --------
    >>> isinstance(frequencies(endpoints=False), st.SearchStrategy)
    True
    """
    inside = st.floats(0.0, math.pi, exclude_min=True, exclude_max=True)
    near_zero = _gaps(-12.0, -2.0)
    near_pi = near_zero.map(lambda g: math.pi - g)
    if not endpoints:
        return _mix((2, inside), (1, near_zero), (1, near_pi))
    return _mix((2, _floats(0.0, math.pi)), (1, near_zero), (1, near_pi),
                (1, st.just(0.0)), (1, st.just(math.pi)))


def stable_coefficients(*, max_abs: float = 1.0 - 1e-6) -> st.SearchStrategy[float]:
    """Real coefficients ``a`` with ``|a| <= max_abs`` (``max_abs < 1``): the scalar
    recurrence ``h <- a h`` is stable.

    Half the draws have ``|a| >= 0.99`` when ``max_abs > 0.99`` (``1 - |a|``
    log-uniform in ``[1 - max_abs, 0.01]``, plus ``|a| = max_abs`` exactly),
    otherwise ``|a|`` within a relative ``1e-2`` of ``max_abs``; both signs;
    ``a = 0`` exactly in about one draw in ten.

    Examples
    --------
    >>> isinstance(stable_coefficients(max_abs=0.999), st.SearchStrategy)
    True
    >>> stable_coefficients(max_abs=1.0)
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `max_abs` must be a finite real number in [0, 1); got 1.0.
    """
    hi = _real("max_abs", max_abs)
    if hi >= 1.0:
        raise InvalidArgumentError(f"`max_abs` must be a finite real number in [0, 1); got {max_abs!r}.")
    if hi == 0.0:
        return st.just(0.0)
    sign = st.sampled_from([1.0, -1.0])
    edge = st.tuples(_below(hi), sign).map(lambda t: t[0] * t[1])
    exact = sign.map(lambda s: s * hi)
    return _mix((4, _floats(-hi, hi)), (4, edge), (1, exact), (1, st.just(0.0)))


def spectral_radii(lo: float = 0.0, hi: float = 1.0 - 1e-3) -> st.SearchStrategy[float]:
    """Radii in ``[lo, hi]`` for :func:`matrices_with_spectral_radius`.

    Weights: generic 2, just below ``hi`` 2 (in ``[0.99, hi]`` when
    ``hi > 0.99``, see :func:`stable_coefficients`), ``hi`` exactly 1, ``lo``
    exactly 1 and, when ``lo >= 1``, just above ``lo`` (``lo (1 + gap)``, gap
    log-uniform in ``[1e-12, 1e-2]``, capped at ``hi``) 1.  Radii below 1e-200
    become 0.

    Examples
    --------
    >>> isinstance(spectral_radii(1.05, 3.0), st.SearchStrategy)
    True
    """
    lo, hi = _real("lo", lo), _real("hi", hi)
    if hi < lo:
        raise InvalidArgumentError(f"`hi` must be >= `lo` = {lo}; got {hi}.")
    branches: list[tuple[int, st.SearchStrategy[float]]] = [(2, _floats(lo, hi))]
    if hi > 0:
        branches += [(2, _below(hi).map(lambda r: max(r, lo))), (1, st.just(hi))]
    branches.append((1, st.just(lo)))
    if lo >= 1.0:
        branches.append((1, _gaps(-12.0, -2.0).map(lambda g: min(lo * (1.0 + g), hi))))
    return _mix(*branches).map(lambda r: r if r >= 1e-200 else 0.0)


def pre_activations(*, max_abs: float = 50.0) -> st.SearchStrategy[float]:
    """Pre-activations ``z`` in ``[-max_abs, max_abs]``.

    Half the draws are saturated, ``|z| >= 10`` (``SATURATION``; needs
    ``max_abs >= 10``), a quarter in ``[-3, 3]`` and one in eight on a kink
    (``0``, ``+-1``).

    Examples
    --------
    >>> isinstance(pre_activations(), st.SearchStrategy)
    True
    """
    hi = _real("max_abs", max_abs)
    small = _floats(-min(hi, 3.0), min(hi, 3.0))
    kinks = st.sampled_from([z for z in (0.0, 1.0, -1.0) if abs(z) <= hi])
    if hi < SATURATION:
        return _mix((3, _floats(-hi, hi)), (2, small), (1, kinks))
    sign = st.sampled_from([1.0, -1.0])
    saturated = st.tuples(_floats(SATURATION, hi), sign).map(lambda t: t[0] * t[1])
    return _mix((2, small), (1, _floats(-hi, hi)), (1, kinks), (4, saturated))
