"""Strategies for activations, inputs, states and whole RNNs.

Internal: import the public names from :mod:`rnnsym.strategies`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from rnnsym.activations import ACTIVATION_NAMES
from rnnsym.activations import get_activation
from rnnsym.model import RNN
from rnnsym.strategies._base import Array, Draw, SATURATION, _array, _as_strategy, _dim, _floats, _mix, _real
from rnnsym.strategies._scalars import dimensions, spectral_radii
from rnnsym.strategies._matrices import matrices, unstable_matrices

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
