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
(:func:`pre_activations`, and the ``saturate`` option of :func:`rnns`).

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

import math
from collections.abc import Sequence
from typing import Any, Callable, TypeVar, Union

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnnsym.errors import InvalidArgumentError
from rnnsym.activations import ACTIVATION_NAMES
from rnnsym.activations import get_activation
from rnnsym.model import RNN

__all__ = [
    "dimensions", "frequencies", "stable_coefficients", "spectral_radii", "pre_activations",
    "matrices", "matrices_with_spectral_radius", "stable_matrices", "unstable_matrices",
    "normal_matrices", "non_normal_matrices", "orthogonal_matrices", "jordan_block_matrices",
    "diagonalizable_matrices", "controllable_pairs", "uncontrollable_pairs", "observable_pairs",
    "unobservable_pairs", "activation_names", "activations", "inputs", "rnns", "states",
]

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
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


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


# --------------------------------------------------------- general matrices
def matrices(n: int, m: int | None = None, *, elements: st.SearchStrategy[float] | None = None,
             max_abs: float = 2.0) -> st.SearchStrategy[Array]:
    """Real ``n x m`` matrices (``m`` defaults to ``n``).

    Parameters
    ----------
    n, m : int
        Shape; ``m=None`` means square.
    elements : SearchStrategy of float, optional
        Entry strategy; defaults to finite floats in ``[-max_abs, max_abs]``.
    max_abs : float
        Bound on the entries when ``elements`` is not given.

    Examples
    --------
    >>> isinstance(matrices(2, 3), st.SearchStrategy)
    True
    """
    n = _dim("n", n)
    shape = (n, n if m is None else _dim("m", m))
    bound = _real("max_abs", max_abs)
    elements = _floats(-bound, bound) if elements is None else elements
    return hnp.arrays(np.float64, shape, elements=elements)


def matrices_with_spectral_radius(n: int, rho: FloatOrStrategy) -> st.SearchStrategy[Array]:
    """Square matrices whose spectral radius is ``rho`` to ~1e-12 relative.

    A random matrix ``M`` (entries in [-1, 1]) is scaled by ``rho / rho(M)``.
    If ``rho(M) < 0.01 ||M||_2`` (nearly nilpotent, or tiny) or the rescaled radius is
    not accurate (ill-conditioned eigenvalue), a symmetric ``Q diag(d) Q^T``
    with ``max|d| = rho`` is used instead.  So ``||W||_2 <= 100 rho`` and
    ``rho = 0`` gives the zero matrix.  The accuracy claim is for ``rho``
    zero or well inside the normal float range (``>= 1e-200``).

    Parameters
    ----------
    n : int
        Dimension.
    rho : float or SearchStrategy of float
        Target spectral radius (finite, ``>= 0``).

    Examples
    --------
    >>> isinstance(matrices_with_spectral_radius(3, st.floats(0, 2)), st.SearchStrategy)
    True
    """
    n = _dim("n", n)
    radii = rho if isinstance(rho, st.SearchStrategy) else st.just(_real("rho", rho))

    @st.composite
    def build(draw: Draw) -> Array:
        target = _real("rho", draw(radii))
        m = draw(_array((n, n)))
        r = _radius(m)
        if r >= max(0.01 * np.linalg.norm(m, 2), 1e-100):
            w = m * (target / r)
            if np.all(np.isfinite(w)) and abs(_radius(w) - target) <= 1e-13 * target:
                return w
        q, d = _orthogonal(draw, n), draw(_array(n))
        d[draw(st.integers(0, n - 1))] = draw(st.sampled_from([1.0, -1.0]))
        w = (q * (target * d)) @ q.T
        return (w + w.T) / 2  # exactly symmetric, so its eigenvalues are well conditioned

    return build()


def stable_matrices(n: int, *, max_rho: float = 0.999) -> st.SearchStrategy[Array]:
    """Square matrices with spectral radius in ``[0, max_rho]`` (radii below 1e-200 become 0).

    Radii come from :func:`spectral_radii`: with the default ``max_rho`` about
    half the draws have radius in ``[0.99, 0.999]`` and about one in six is
    the zero matrix.

    Examples
    --------
    >>> isinstance(stable_matrices(2), st.SearchStrategy)
    True
    """
    return matrices_with_spectral_radius(n, spectral_radii(0.0, _real("max_rho", max_rho)))


def unstable_matrices(n: int, *, min_rho: float = 1.05, max_rho: float = 3.0) -> st.SearchStrategy[Array]:
    """Square matrices with spectral radius in ``[min_rho, max_rho]``.

    Radii come from :func:`spectral_radii`, so ``min_rho`` (exactly and just
    above it) and ``max_rho`` are drawn on purpose.

    Examples
    --------
    >>> isinstance(unstable_matrices(2), st.SearchStrategy)
    True
    """
    lo, hi = _real("min_rho", min_rho, 1e-200), _real("max_rho", max_rho)
    if hi < lo:
        raise InvalidArgumentError(f"`max_rho` must be >= `min_rho` = {lo}; got {hi}.")
    return matrices_with_spectral_radius(n, spectral_radii(lo, hi))


# -------------------------------------------------------- structured matrices
def normal_matrices(n: int) -> st.SearchStrategy[Array]:
    """Normal matrices ``Q D Q^T``: ``D`` block diagonal with real eigenvalues in
    [-2, 2] and 2x2 blocks ``[[a, -b], [b, a]]`` (a, b in [-2, 2]), ``Q``
    orthogonal; ``W^T W = W W^T`` to ~1e-12 relative.

    Examples
    --------
    >>> isinstance(normal_matrices(3), st.SearchStrategy)
    True
    """
    n = _dim("n", n)

    @st.composite
    def build(draw: Draw) -> Array:
        d = np.diag(draw(_array(n, -2.0, 2.0)))
        for k in range(draw(st.integers(0, n // 2))):
            i = 2 * k
            a, b = d[i, i], draw(_floats(-2.0, 2.0))
            d[i:i + 2, i:i + 2] = [[a, -b], [b, a]]
        q = _orthogonal(draw, n)
        return q @ d @ q.T

    return build()


def non_normal_matrices(n: int) -> st.SearchStrategy[Array]:
    """Non-normal matrices ``Q U Q^T``: ``U`` upper triangular (entries in
    [-2, 2]) with one strictly-upper entry of magnitude >= 0.1, ``Q`` orthogonal.

    By Henrici's inequality ``||W^T W - W W^T||_F >= 0.01 / sqrt((n^3 - n)/12)``.

    Raises
    ------
    InvalidArgumentError
        (a ``ValueError``) if ``n < 2``: every 1x1 matrix is normal.

    Examples
    --------
    >>> non_normal_matrices(1)
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `n` must be an integer >= 2; got 1.
    """
    n = _dim("n", n, 2)

    @st.composite
    def build(draw: Draw) -> Array:
        u = np.triu(draw(_array((n, n), -2.0, 2.0)))
        i = draw(st.integers(0, n - 2))
        j = draw(st.integers(i + 1, n - 1))
        u[i, j] = draw(_floats(0.1, 2.0)) * draw(st.sampled_from([1.0, -1.0]))
        q = _orthogonal(draw, n)
        return q @ u @ q.T

    return build()


def orthogonal_matrices(n: int) -> st.SearchStrategy[Array]:
    """Orthogonal matrices (``Q^T Q = I`` to ~1e-15), determinant +1 or -1.

    Examples
    --------
    >>> isinstance(orthogonal_matrices(3), st.SearchStrategy)
    True
    """
    n = _dim("n", n)

    @st.composite
    def build(draw: Draw) -> Array:
        q = _orthogonal(draw, n)
        q[:, 0] *= draw(st.sampled_from([1.0, -1.0]))  # both determinant signs
        return q

    return build()


def jordan_block_matrices(n: int, *, eigenvalue: FloatOrStrategy | None = None,
                          similar: bool = False) -> st.SearchStrategy[Array]:
    """A single Jordan block ``lambda I + N`` (ones on the superdiagonal).

    ``lambda`` is drawn from [-1.5, 1.5] unless ``eigenvalue`` (a float or a
    strategy) is given.  With ``similar=True`` the block is transformed to
    ``T J T^-1`` with ``cond(T) <= 4``.

    Examples
    --------
    >>> isinstance(jordan_block_matrices(3, eigenvalue=0.5), st.SearchStrategy)
    True
    """
    n = _dim("n", n)
    lams = (_floats(-1.5, 1.5) if eigenvalue is None else eigenvalue
            if isinstance(eigenvalue, st.SearchStrategy) else st.just(_real("eigenvalue", eigenvalue, None)))

    @st.composite
    def build(draw: Draw) -> Array:
        j = draw(lams) * np.eye(n) + np.eye(n, k=1)
        if not similar:
            return j
        t, t_inv = _similarity(draw, n)
        return t @ j @ t_inv

    return build()


def diagonalizable_matrices(n: int, *, eigenvalues: Sequence[float] | None = None
                            ) -> st.SearchStrategy[Array]:
    """``V diag(lambda) V^-1`` with ``V = Q1 diag(s) Q2`` (s in [0.5, 2], so cond(V) <= 4).

    Drawn eigenvalues are real, lie in [-2, 2], are pairwise >= 0.05 apart
    and come in random order; pass ``eigenvalues`` (length ``n``) to fix them.

    Examples
    --------
    >>> isinstance(diagonalizable_matrices(2, eigenvalues=[0.5, -1.0]), st.SearchStrategy)
    True
    """
    n = _dim("n", n)
    if eigenvalues is not None:
        fixed = np.array([_real("eigenvalues", x, None) for x in eigenvalues])
        if fixed.shape != (n,):
            raise InvalidArgumentError(f"`eigenvalues` must have length n = {n}; got {len(fixed)}.")
    gap_max = max(0.05, 2.0 / max(n - 1, 1))

    @st.composite
    def build(draw: Draw) -> Array:
        if eigenvalues is None:
            steps = draw(_array(n - 1, 0.05, gap_max)) if n > 1 else np.zeros(0)
            start = draw(_floats(-2.0, max(-2.0, 2.0 - float(np.sum(steps)))))
            lam = (start + np.concatenate([[0.0], np.cumsum(steps)]))[draw(st.permutations(range(n)))]
        else:
            lam = fixed
        v, v_inv = _similarity(draw, n)
        return (v * lam) @ v_inv

    return build()


# ------------------------------------------------ controllability/observability
def _pairs(n: int, m: int, controllable: bool) -> st.SearchStrategy[Pair]:
    @st.composite
    def build(draw: Draw) -> Pair:
        # Controllable part in canonical form; uncontrollable pairs add a block
        # of dimension n - k that B cannot reach (Kalman decomposition form).
        k = n if controllable else draw(st.integers(0, n - 1))
        a, b = np.zeros((n, n)), np.zeros((n, m))
        if k:
            a[:k, :k] = _companion(draw, k)
            b[:k, :] = draw(_array((k, m)))
            b[:k, draw(st.integers(0, m - 1))] = np.eye(k)[-1]
        if k < n:
            a[:k, k:] = draw(_array((k, n - k)))
            a[k:, k:] = draw(_array((n - k, n - k)))
        t, t_inv = _similarity(draw, n)
        return t @ a @ t_inv, t @ b

    return build()


def controllable_pairs(n: int, m: int = 1) -> st.SearchStrategy[Pair]:
    """Pairs ``(A, B)``, shapes (n, n) and (n, m), with ``rank [B, AB, ...] = n``.

    Companion-form ``A`` (coefficients in [-1, 1]) with ``e_n`` among the
    columns of ``B``, then a similarity with ``cond(T) <= 4``.  For ``n <= 8``
    the controllability matrix has smallest/largest singular value > 1e-6.

    Examples
    --------
    >>> isinstance(controllable_pairs(3, 2), st.SearchStrategy)
    True
    """
    return _pairs(_dim("n", n), _dim("m", m), True)


def uncontrollable_pairs(n: int, m: int = 1) -> st.SearchStrategy[Pair]:
    """Pairs ``(A, B)`` with ``rank [B, AB, ...] < n`` (deficiency ~1e-15 relative).

    ``[[A11, A12], [0, A22]]`` with ``B = [[B1], [0]]`` (the controllable part
    may be empty, i.e. ``B = 0``), then a similarity with ``cond(T) <= 4``.

    Examples
    --------
    >>> isinstance(uncontrollable_pairs(3), st.SearchStrategy)
    True
    """
    return _pairs(_dim("n", n), _dim("m", m), False)


def _transposed(pairs: st.SearchStrategy[Pair]) -> st.SearchStrategy[Pair]:
    return pairs.map(lambda ab: (ab[0].T.copy(), ab[1].T.copy()))


def observable_pairs(n: int, p: int = 1) -> st.SearchStrategy[Pair]:
    """Pairs ``(A, C)``, shapes (n, n) and (p, n), with ``rank [C; CA; ...] = n``
    (the transpose of :func:`controllable_pairs`, by duality).

    Examples
    --------
    >>> isinstance(observable_pairs(3), st.SearchStrategy)
    True
    """
    return _transposed(controllable_pairs(n, p))


def unobservable_pairs(n: int, p: int = 1) -> st.SearchStrategy[Pair]:
    """Pairs ``(A, C)`` with ``rank [C; CA; ...] < n`` (dual of :func:`uncontrollable_pairs`).

    Examples
    --------
    >>> isinstance(unobservable_pairs(3), st.SearchStrategy)
    True
    """
    return _transposed(uncontrollable_pairs(n, p))


# ------------------------------------------------------------ RNN pieces
def activation_names() -> st.SearchStrategy[str]:
    """Names from ``rnnsym.activations.ACTIVATION_NAMES`` (imported when called).

    Examples
    --------
    >>> isinstance(activation_names(), st.SearchStrategy)
    True
    """

    return st.sampled_from(tuple(ACTIVATION_NAMES))


def activations() -> st.SearchStrategy[Any]:
    """Objects ``get_activation(name, **params)``; ``leaky_relu`` gets ``slope`` in [0.01, 0.5].

    Examples
    --------
    >>> isinstance(activations(), st.SearchStrategy)
    True
    """

    @st.composite
    def build(draw: Draw) -> Any:
        name = draw(activation_names())
        if name == "leaky_relu":
            return get_activation(name, slope=draw(_floats(0.01, 0.5)))
        return get_activation(name)

    return build()


def inputs(m: int, T: int | None = None, *, max_abs: float = 2.0) -> st.SearchStrategy[Array]:
    """Input sequences of shape ``(T, m)``, entries in ``[-max_abs, max_abs]``;
    ``T`` is drawn from [1, 20] when not given.

    Examples
    --------
    >>> isinstance(inputs(2, 5), st.SearchStrategy)
    True
    """
    m, bound = _dim("m", m), _real("max_abs", max_abs)
    steps = st.integers(1, 20) if T is None else st.just(_dim("T", T))
    return steps.flatmap(lambda t: _array((t, m), -bound, bound))


def states(n: int) -> st.SearchStrategy[Array]:
    """Hidden-state vectors of shape ``(n,)`` with entries in [-2, 2].

    Examples
    --------
    >>> isinstance(states(3), st.SearchStrategy)
    True
    """
    return _array(_dim("n", n), -2.0, 2.0)


#: ``rnns(stable=True)`` draws ``||W_h||_2 <= MAX_CONTRACTION``.
MAX_CONTRACTION = 0.999


def _rnn_weights(n: int | None, m: int | None, stable: bool | None, saturate: bool | None = False
                 ) -> st.SearchStrategy[tuple[Array, Array, Array]]:
    dims_n = dimensions(1, 8) if n is None else st.just(_dim("n", n))
    dims_m = st.integers(1, 3) if m is None else st.just(_dim("m", m))
    saturating = _mix((1, st.just(False)), (1, st.just(True))) if saturate is None else st.just(bool(saturate))
    norms = spectral_radii(0.0, MAX_CONTRACTION)  # the same edges, used for ||W_h||_2

    @st.composite
    def build(draw: Draw) -> tuple[Array, Array, Array]:
        # The discrete choices come first: Hypothesis fills the tail of early test
        # cases with simplest choices, which would otherwise starve the hard branches.
        nn, mm, sat = draw(dims_n), draw(dims_m), draw(saturating)
        c = draw(norms) if stable else 0.0
        if stable is None:
            w_h = draw(matrices(nn))
        elif stable:
            w_h = draw(_array((nn, nn)))
            norm = np.linalg.norm(w_h, 2)
            if norm > 1e-100:
                w_h = w_h * (c / norm)  # ||W_h||_2 = c (1 + eps) < 1
        else:
            w_h = draw(unstable_matrices(nn))
        w_x, b = draw(matrices(nn, mm)), draw(_array(nn, -2.0, 2.0))
        if sat:
            # |z_i| = |W_h[i] h + W_x[i] x + b_i| >= |b_i| - 2 (|W_h[i]|_1 + |W_x[i]|_1) >= 10
            # for every h and x with entries in [-2, 2].
            i = draw(st.integers(0, nn - 1))
            margin = 2.0 * (np.abs(w_h[i]).sum() + np.abs(w_x[i]).sum())
            b[i] = draw(st.sampled_from([1.0, -1.0])) * (SATURATION + margin + draw(_floats(0.0, 10.0)))
        return w_h, w_x, b

    return build()


def rnns(n: int | None = None, m: int | None = None, *, activation: Any = None,
         stable: bool | None = None, saturate: bool | None = None) -> st.SearchStrategy[Any]:
    """``rnnsym.model.RNN(W_h, W_x, b, activation)`` objects.

    Parameters
    ----------
    n, m : int, optional
        State and input sizes, drawn from :func:`dimensions` ``(1, 8)`` (so
        ``n = 8`` in about a third of the draws) and from [1, 3] when not given.
    activation : str, object or SearchStrategy, optional
        Passed to ``RNN``; drawn from :func:`activations` when not given.
    stable : bool, optional
        ``True``: contracting weights, ``||W_h||_2 <= 0.999`` (the norm drawn
        like :func:`spectral_radii`, so about half the draws have
        ``||W_h||_2 >= 0.99``).  ``False``: ``W_h`` from
        :func:`unstable_matrices`.  ``None``: entries in [-2, 2].
        ``W_x`` always has entries in [-2, 2].
    saturate : bool, optional
        ``True``: one unit ``i`` is saturated, ``|z_i| >= 10`` for every state
        and input with entries in ``[-2, 2]`` (its bias is
        ``+-(10 + 2 |W_h[i]|_1 + 2 |W_x[i]|_1 + e)``, ``e`` in [0, 10]).
        ``False``: ``b`` has entries in [-2, 2].  ``None`` (default): a
        saturated unit in about half the draws (a fifth or more in practice:
        Hypothesis fills the tail of its early test cases with simplest choices).

    Examples
    --------
    >>> isinstance(rnns(2, 1, activation="tanh", stable=True), st.SearchStrategy)
    True
    """
    acts = activations() if activation is None else _as_strategy(activation)
    weights = _rnn_weights(n, m, stable, saturate)

    @st.composite
    def build(draw: Draw) -> Any:

        w_h, w_x, b = draw(weights)
        return RNN(W_h=w_h, W_x=w_x, b=b, activation=draw(acts))

    return build()
