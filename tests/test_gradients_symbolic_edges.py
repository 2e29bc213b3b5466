"""The symbolic gradient objects at their edges, and the backward recursion against finite differences.

``OrderedProduct`` with zero and one factor, its order and printing; ``lag``
and the horizons at ``T = k`` and at their limits; ``RNN`` equality field by
field; the backward recursion ``g_k = W_h^T D_{k+1} g_{k+1} + dl_k/dh_k``
evaluated on a numeric network and compared with central differences of the
total loss through the network's own step.  Written from the survivors of a
mutation run (issue 14).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym import gradients as g
from rnnsym.gradients import MAX_SYMBOLIC_HORIZON, DiagonalFactor, OrderedProduct, gradient_product, lag


def test_an_empty_product_is_the_identity_of_the_factor_size() -> None:
    A = sp.MatrixSymbol("A", 3, 3)
    assert OrderedProduct(A, (g.t, 1, 0)).explicit() == sp.Identity(3)
    assert gradient_product(0) == sp.Identity(g.n_sym)


def test_one_factor_is_returned_as_itself_not_wrapped() -> None:
    A, B = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)
    one = OrderedProduct(sp.MatMul(A, B), (g.t, 4, 4)).explicit()
    assert one == sp.MatMul(A, B) and not isinstance(OrderedProduct(A, (g.t, 4, 4)).explicit(), sp.MatMul)
    assert OrderedProduct(A, (g.t, 4, 4)).explicit() == A


def test_factors_are_latest_left_and_reversed_for_the_transpose() -> None:
    p = gradient_product().xreplace({g.T: g.k + 3})
    times = [f.args[0].time for f in p.factors()]
    assert times == [g.k + 3, g.k + 2, g.k + 1]
    transposed = gradient_product().transpose().xreplace({g.T: g.k + 3})
    assert [f.args[1].time for f in transposed.factors()] == [g.k + 1, g.k + 2, g.k + 3]
    # written out: unevaluated, the factors' own products flattened in order
    explicit = p.explicit()
    assert isinstance(explicit, sp.MatMul) and len(explicit.args) == 6
    assert explicit.args[0] == DiagonalFactor(g.k + 3) and explicit.args[-1] == g.W_h


def test_a_negative_length_is_refused_saying_by_how_much() -> None:
    with pytest.raises(rs.InvalidArgumentError, match=r"`T - k` must be >= 0; got -1\."):
        OrderedProduct(sp.MatrixSymbol("A", 2, 2), (g.t, 3, 1)).factors()
    with pytest.raises(rs.InvalidArgumentError, match=r"got -2\."):
        OrderedProduct(sp.MatrixSymbol("A", 2, 2), (g.t, 3, 0)).factors()


def test_an_unknown_length_says_to_substitute_the_horizon() -> None:
    with pytest.raises(rs.InvalidArgumentError, match=r"substitute the horizon first \(e\.g\. `\.subs\(T, k \+ 3\)`\)"):
        gradient_product().factors()


def test_latex_shows_the_order_the_limits_and_the_term() -> None:
    assert rs.latex(gradient_product()) == r"\overleftarrow{\prod_{t=k + 1}^{T}} D_{t} W_{h}"
    assert rs.latex(gradient_product().transpose()) == r"\overrightarrow{\prod_{t=k + 1}^{T}} W_{h}^{T} D_{t}"
    assert sp.latex(DiagonalFactor(g.k + 2)) == "D_{k + 2}"


def test_lag_allows_t_equal_to_k_and_names_what_is_wrong() -> None:
    assert lag(4, 4) == 0 and lag(np.int64(7), 2) == 5
    with pytest.raises(rs.InvalidArgumentError, match=r"`T` must be >= `k`; got T=3, k=4"):
        lag(3, 4)
    with pytest.raises(rs.InvalidArgumentError, match="`T` must be an integer; got True"):
        lag(True, 0)
    with pytest.raises(rs.InvalidArgumentError, match="`k` must be an integer; got 1.0"):
        lag(2, 1.0)


def test_horizons_run_from_zero_to_their_limit_inclusive() -> None:
    assert gradient_product(1) == sp.MatMul(DiagonalFactor(g.k + 1), g.W_h)
    assert len(gradient_product(MAX_SYMBOLIC_HORIZON).args) == 2 * MAX_SYMBOLIC_HORIZON
    with pytest.raises(rs.ResourceLimitError, match=f"`horizon`={MAX_SYMBOLIC_HORIZON + 1}"):
        gradient_product(MAX_SYMBOLIC_HORIZON + 1)
    with pytest.raises(rs.InvalidArgumentError, match=r"`horizon` = T - k must be >= 0 \(T >= k\); got -1"):
        gradient_product(-1)
    with pytest.raises(rs.InvalidArgumentError, match=r"`horizon` must be an integer \(T - k\); got False"):
        gradient_product(False)


def test_diagonal_symbols_count_and_name_their_entries() -> None:
    Ds = g.diagonal_symbols(2, 3)
    assert len(Ds) == 3 and all(D.shape == (2, 2) and D[0, 1] == 0 for D in Ds)
    assert [D[1, 1].name for D in Ds] == ["D_1[1]", "D_2[1]", "D_3[1]"]
    assert sp.latex(Ds[2][0, 0]) == r"\left(D_{k+3}\right)_{0}"
    assert g.diagonal_symbols(2, 0) == []


@pytest.mark.parametrize("field", ["W_h", "W_x", "b", "activation"])
def test_rnn_equality_compares_every_field(field: str) -> None:
    base = dict(W_h=[[0.5, 0.1], [0.0, 0.4]], W_x=[[1.0], [0.0]], b=[0.0, 0.1], activation="tanh")
    changed = dict(base)
    changed[field] = {"W_h": [[0.5, 0.1], [0.0, 0.3]], "W_x": [[1.0], [2.0]], "b": [0.0, 0.2],
                      "activation": "relu"}[field]
    assert rs.RNN(**base) == rs.RNN(**base)
    assert rs.RNN(**base) != rs.RNN(**changed)
    assert rs.RNN(**base) != base


def test_backward_recursion_matches_finite_differences_of_the_loss() -> None:
    rng = np.random.default_rng(11)
    n, m, T = 3, 2, 5
    W, U, b = rng.normal(scale=0.8, size=(n, n)), rng.normal(size=(n, m)), rng.normal(scale=0.3, size=n)
    xs, targets = rng.normal(size=(T, m)), rng.normal(size=(T + 1, n))

    def states(h0: np.ndarray) -> list[np.ndarray]:
        hs = [h0]
        for x in xs:
            hs.append(np.tanh(W @ hs[-1] + U @ x + b))      # the step, written here
        return hs

    def loss_from(k: int, hk: np.ndarray) -> float:
        # L = sum_{t >= k} 1/2 |h_t - y_t|^2, the states after k recomputed from h_k
        hs, total = [hk], 0.5 * float(np.sum((hk - targets[k]) ** 2))
        for t in range(k, T):
            hs.append(np.tanh(W @ hs[-1] + U @ xs[t] + b))
            total += 0.5 * float(np.sum((hs[-1] - targets[t + 1]) ** 2))
        return total

    hs = states(rng.normal(size=n))
    eq = g.backward_recursion()
    symbols = {s.name: s for s in eq.rhs.atoms(sp.MatrixSymbol)}
    grad = hs[T] - targets[T]                                # g_T = dl_T/dh_T
    for k in range(T - 1, -1, -1):
        D = np.diag(1 - np.tanh(W @ hs[k] + U @ xs[k] + b) ** 2)   # D_{k+1} = diag(phi'(a_{k+1}))
        value = eq.rhs.xreplace({
            symbols["W_h"]: sp.ImmutableMatrix(W), DiagonalFactor(g.k + 1): sp.ImmutableMatrix(D),
            symbols["g_{k + 1}"]: sp.ImmutableMatrix(grad), symbols["dl_k/dh_k"]: sp.ImmutableMatrix(hs[k] - targets[k]),
        }).doit()
        grad = np.array(value.tolist(), dtype=float)[:, 0]
        h, fd = hs[k], np.zeros(n)
        for i in range(n):
            e = np.zeros(n)
            e[i] = 1e-6
            fd[i] = (loss_from(k, h + e) - loss_from(k, h - e)) / 2e-6
        np.testing.assert_allclose(grad, fd, rtol=1e-7, atol=1e-8)
    assert rs.latex(eq) == r"g_k = \frac{\partial \ell_k}{\partial h_k} + W_{h}^{T} D_{k + 1} g_{k+1}"
