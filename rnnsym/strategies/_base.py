"""Shared helpers of the strategies: argument checks, mixing of branches, small linear algebra.

Internal: import the public names from :mod:`rnnsym.strategies`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, TypeVar, Union

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnnsym.errors import InvalidArgumentError


#: Where a unit counts as saturated: ``|z| >= SATURATION`` (tanh'(10) ~ 8e-9, sigmoid'(10) ~ 5e-5).
SATURATION = 10.0
#: Where a coefficient or spectral radius counts as near the unit circle.
NEAR_ONE = 0.99

Array = np.ndarray
Draw = Callable[[st.SearchStrategy[Any]], Any]
_T = TypeVar("_T")
FloatOrStrategy = Union[float, st.SearchStrategy[float]]
Pair = tuple[Array, Array]


# ----------------------------------------------------------------- helpers
def _dim(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidArgumentError(f"`{name}` must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _real(name: str, value: object, minimum: float | None = 0.0) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x) or (minimum is not None and x < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise InvalidArgumentError(f"`{name}` must be a finite real number{bound}; got {value!r}.")
    return x


def _as_strategy(value: _T | st.SearchStrategy[_T]) -> st.SearchStrategy[_T]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    # no subnormals: a matrix of them has lost the structure a strategy promises (rank, observability)
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _mix(*branches: tuple[int, st.SearchStrategy[_T]]) -> st.SearchStrategy[_T]:
    # A weighted choice of branch: a branch of weight w is picked for about
    # w / sum(weights) of the draws (the reach tests check the fractions).  The
    # index comes from sampled_from, which Hypothesis draws uniformly (st.one_of
    # and st.integers favour some branches and boundary values, so their
    # fractions drift); it shrinks toward the first, generic, branch.
    index = st.sampled_from([k for k, (weight, _) in enumerate(branches) for _ in range(weight)])
    choices = [strategy for _, strategy in branches]

    @st.composite
    def build(draw: Draw) -> _T:
        return draw(choices[draw(index)])

    return build()


def _gaps(lo: float, hi: float) -> st.SearchStrategy[float]:
    # 10**u with u uniform in [lo, hi]: gaps to an edge on a log scale.
    return _floats(lo, hi).map(lambda u: 10.0 ** u)


def _below(hi: float) -> st.SearchStrategy[float]:
    # Values just below hi > 0.  For NEAR_ONE < hi < 1 they are 1 - gap with the
    # gap log-uniform in [1 - hi, 0.01], i.e. they fill [0.99, hi] toward the unit
    # circle; otherwise hi (1 - gap) with the gap log-uniform in [1e-12, 1e-2].
    if NEAR_ONE < hi < 1.0:
        return _gaps(max(math.log10(1.0 - hi), -15.0), -2.0).map(lambda g: min(1.0 - g, hi))
    return _gaps(-12.0, -2.0).map(lambda g: hi * (1.0 - g))


def _array(shape: int | tuple[int, ...], lo: float = -1.0, hi: float = 1.0) -> st.SearchStrategy[Array]:
    return hnp.arrays(np.float64, shape, elements=_floats(lo, hi))


def _radius(w: Array) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(w)))) if w.size else 0.0


def _orthogonal(draw: Draw, n: int) -> Array:
    # Householder QR gives an orthogonal Q even for a singular draw; flipping
    # columns so that diag(R) >= 0 makes the factorisation unique.
    q, r = np.linalg.qr(draw(_array((n, n))))
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


def _similarity(draw: Draw, n: int) -> tuple[Array, Array]:
    # T = Q1 diag(s) Q2 with s in [0.5, 2]: cond(T) <= 4, inverse formed exactly.
    q1, q2 = _orthogonal(draw, n), _orthogonal(draw, n)
    s = draw(_array(n, 0.5, 2.0))
    return (q1 * s) @ q2, (q2.T / s) @ q1.T


def _companion(draw: Draw, n: int) -> Array:
    # Controllable canonical form: ones above the diagonal, -coefficients in
    # the last row.  With b = e_n the inverse of [b, Ab, ...] is a Hankel matrix
    # of the coefficients (entries <= 1), so its smallest singular value >= 1/n.
    a = np.eye(n, k=1)
    a[-1, :] = -draw(_array(n))
    return a
