"""Strategies for gated cells: PyTorch-layout weights with saturated gates, cell states, memory gate biases.

Internal: import the public names from :mod:`rnnsym.strategies`.  These draw
arrays, not cells (the cells sit above the strategies in the layers): build
``GRUCell(*weights)`` or ``LSTMCell(*weights)`` from a draw.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from rnnsym.errors import InvalidArgumentError
from rnnsym.strategies._base import SATURATION, Array, Draw, _array, _dim, _floats, _gaps, _mix, _real

#: Largest |state entry| of :func:`cell_states` draws (the saturation branch of ``c`` reaches it).
MAX_STATE = 2.0 * SATURATION


def gated_weights(gates: int, n: int, m: int, *, max_abs: float = 1.5
                  ) -> st.SearchStrategy[tuple[Array, Array, Array, Array]]:
    """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of a gated cell, PyTorch's layout: ``gates = 3`` (GRU) or 4 (LSTM).

    Weights have entries in ``[-max_abs, max_abs]``, shapes ``(gates n, m)``
    and ``(gates n, n)``.  The bias of each gate row (``bias_ih + bias_hh``;
    ``bias_hh`` in ``[-1, 1]``) is generic, in ``[-2, 2]``, in half the draws;
    a quarter saturate one row and a quarter every row: ``|bias| >= 10 +
    2 (|W_ih row|_1 + |W_hh row|_1)``, so that the gate's pre-activation has
    ``|a| >= 10`` (``SATURATION``) for every state and input with entries in
    ``[-2, 2]``, with either sign (a forget gate near 0 or near 1).

    Examples
    --------
    >>> isinstance(gated_weights(4, 2, 1), st.SearchStrategy)
    True
    """
    G, nn, mm = _dim("gates", gates, 3), _dim("n", n), _dim("m", m, 0)
    if G not in (3, 4):
        raise InvalidArgumentError(f"`gates` must be 3 (GRU) or 4 (LSTM); got {gates!r}.")
    bound = _real("max_abs", max_abs)
    mode = _mix((2, st.just("generic")), (1, st.just("one")), (1, st.just("all")))
    sign = st.sampled_from([1.0, -1.0])

    @st.composite
    def build(draw: Draw) -> tuple[Array, Array, Array, Array]:
        how = draw(mode)   # the discrete choice first, see rnnsym.strategies._networks
        w_ih = draw(_array((G * nn, mm), -bound, bound)) if mm else np.zeros((G * nn, 0))
        w_hh = draw(_array((G * nn, nn), -bound, bound))
        bias = draw(_array(G * nn, -2.0, 2.0))
        rows = {"generic": [], "one": [draw(st.integers(0, G * nn - 1))], "all": list(range(G * nn))}[how]
        for r in rows:
            margin = 2.0 * (np.abs(w_ih[r]).sum() + np.abs(w_hh[r]).sum())
            bias[r] = draw(sign) * (SATURATION + margin + draw(_floats(0.0, 10.0)))
        b_hh = draw(_array(G * nn, -1.0, 1.0))
        return w_ih, w_hh, bias - b_hh, b_hh

    return build()


def cell_states(n: int, parts: int = 1) -> st.SearchStrategy[Array]:
    """Flat cell states ``(parts n,)``: ``h`` entries in ``[-1, 1]``; an LSTM's ``c`` (``parts = 2``) in
    ``[-3, 3]`` in half the draws, saturating ``tanh(c)`` (``10 <= |c| <= 20``) in a quarter, and
    ``c = 0`` exactly in the rest.

    Examples
    --------
    >>> isinstance(cell_states(2, parts=2), st.SearchStrategy)
    True
    """
    nn, k = _dim("n", n), _dim("parts", parts)
    if k > 2:
        raise InvalidArgumentError(f"`parts` must be 1 (h) or 2 (h, c); got {parts!r}.")
    h = _array(nn, -1.0, 1.0)
    big = st.tuples(_array(nn, SATURATION, MAX_STATE), _array(nn, -1.0, 1.0)).map(
        lambda t: t[0] * np.where(t[1] < 0, -1.0, 1.0))
    c = _mix((2, _array(nn, -3.0, 3.0)), (1, big), (1, st.just(np.zeros(nn))))
    if k == 1:
        return h
    return st.tuples(h, c).map(lambda t: np.concatenate(t))


def _logit_of_half_life(tau: float) -> float:
    # b with sigmoid(b) = 2**(-1/tau): log(f) - log(1 - f), without cancellation for large tau
    x = math.log(2.0) / tau
    return -x - math.log(-math.expm1(-x))


def memory_biases(*, min_half_life: float = 0.25, max_half_life: float = 1e4) -> st.SearchStrategy[float]:
    """Gate biases ``b`` whose ``sigma(b)^t`` halves in ``tau`` steps, ``tau`` in ``[min, max]`` half-lives.

    ``tau`` is log-uniform in half the draws; ``tau`` within ``1e-6 .. 1e-1`` of 1 (``b`` near 0, the
    shortest memories a unit keeps for a step) in a sixth; exactly ``min`` or ``max`` (``b ~ 9.57``
    for ``1e4`` steps) in a third.

    Examples
    --------
    >>> isinstance(memory_biases(max_half_life=100.0), st.SearchStrategy)
    True
    """
    lo, hi = _real("min_half_life", min_half_life), _real("max_half_life", max_half_life)
    if not 0.0 < lo <= hi:
        raise InvalidArgumentError(f"`max_half_life` must be >= `min_half_life` = {lo} > 0; got {hi}.")
    log_uniform = _floats(math.log10(lo), math.log10(hi)).map(lambda u: 10.0 ** u)
    near_one = st.tuples(_gaps(-6.0, -1.0), st.sampled_from([1.0, -1.0])).map(lambda t: 1.0 + t[0] * t[1])
    near_one = near_one.filter(lambda tau: lo <= tau <= hi) if lo <= 1.0 <= hi else log_uniform
    taus = _mix((3, log_uniform), (1, near_one), (1, st.just(lo)), (1, st.just(hi)))
    return taus.map(_logit_of_half_life)
