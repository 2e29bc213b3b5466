"""Strategies for matrices (by spectrum, normality, Jordan structure) and (A, B) / (A, C) pairs.

Internal: import the public names from :mod:`rnnsym.strategies`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rnnsym.errors import InvalidArgumentError
from rnnsym.strategies._base import Array, Draw, FloatOrStrategy, Pair, _array, _companion, _dim, _floats, _orthogonal, _radius, _real, _similarity
from rnnsym.strategies._scalars import spectral_radii

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
