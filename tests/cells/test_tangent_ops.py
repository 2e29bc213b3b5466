"""The forward-mode reading (:class:`rnnsym.cells._ops.TangentOps`) against SymPy's Jacobian of the symbolic reading.

The built-in cells use only a few of the block paths (a seed times a weight,
row scalings, sums of gate terms); these equations reach the others: a split
of a seeded (diagonal) state, products of two variables, a weight times a
tangent that is no longer a seed, and sums of blocks that overlap without
covering the same columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sympy as sp

from rnnsym.activations import get_activation
from rnnsym.cells._ops import SymbolicOps, TangentOps, unwrap

TANH = get_activation("tanh")


def equations(ops: Any, s: Any, x: Any, P: dict[str, Any]) -> Any:
    a, b = ops.split(s, 2)                                          # rows of an identity block
    u = ops.act(TANH, ops.add(ops.lin(P["W"], s), ops.lin(P["U"], x), P["b"]))
    v = ops.lin(P["V"], u)                                          # a weight times a scaled block
    y1 = ops.add(ops.mul(a, b), ops.scale(0.5, ops.one_minus(a)))   # two variables multiplied
    p1, p2 = ops.split(v, 2)
    y2 = ops.add(p1, a, ops.mul(p2, b), ops.mul(x, x))              # diagonal on part of a dense block
    w = ops.lin(P["V"], ops.join([y1, y2]))                         # a weight times a sum of overlapping blocks
    z = ops.lin(P["R"], y2)                                         # a weight times an unformed sum
    return ops.join([y1, ops.add(ops.mul(y2, ops.split(ops.act(TANH, w), 2)[0]), z)])


def weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"W": rng.normal(size=(4, 4)), "U": rng.normal(size=(4, 2)), "V": rng.normal(size=(4, 4)),
            "R": rng.normal(size=(2, 2)), "b": rng.normal(size=4)}


def sympy_jacobians(P: dict[str, np.ndarray]) -> tuple[Any, Any]:
    s = sp.Matrix(sp.symbols("s0:4", real=True))
    x = sp.Matrix(sp.symbols("x0:2", real=True))
    SP = {k: sp.Matrix(v.reshape(v.shape[0], -1).tolist()) for k, v in P.items()}
    held = equations(SymbolicOps(), s, x, SP)
    F = sp.lambdify([list(s), list(x)], unwrap(held), "numpy")
    Js = sp.lambdify([list(s), list(x)], unwrap(held.jacobian(s)), "numpy")
    Jx = sp.lambdify([list(s), list(x)], unwrap(held.jacobian(x)), "numpy")
    return F, (Js, Jx)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_mode_blocks_match_the_sympy_jacobian(seed: int) -> None:
    P = weights(seed)
    F, (Js, Jx) = sympy_jacobians(P)
    rng = np.random.default_rng(10 + seed)
    S, X = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    by_state = equations(TangentOps(4), TangentOps.seed(S, 0, 4), X, P)
    by_input = equations(TangentOps(2), S, TangentOps.seed(X, 0, 2), P)
    for i in range(len(S)):
        want_s = np.array(Js(S[i], X[i]), dtype=float)
        want_x = np.array(Jx(S[i], X[i]), dtype=float)
        np.testing.assert_allclose(by_state.v[i], np.array(F(S[i], X[i]), dtype=float).ravel(), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(by_state.d[i], want_s, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(by_input.d[i], want_x, rtol=1e-11, atol=1e-12)


def test_a_seed_broadcast_against_a_batch_of_inputs() -> None:
    """One state, many inputs: the tangent takes the batch shape of the values it meets."""
    P = weights(3)
    _, (Js, _) = sympy_jacobians(P)
    s, X = np.array([0.3, -0.2, 0.1, 0.4]), np.random.default_rng(4).normal(size=(3, 2))
    out = equations(TangentOps(4), TangentOps.seed(s, 0, 4), X, P)
    assert out.d.shape == (3, 4, 4)
    for i in range(3):
        np.testing.assert_allclose(out.d[i], np.array(Js(s, X[i]), dtype=float), rtol=1e-11, atol=1e-12)
