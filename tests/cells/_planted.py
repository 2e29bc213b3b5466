"""Planted errors: cells that are wrong in one documented way, built as small subclasses.

Each must make a comparison with an independent computation fail
(``test_gated.py``: the hand-written PyTorch equations; ``test_jacobians.py``:
mpmath differences of the step).
"""

from __future__ import annotations

from typing import Any

from rnnsym.activations import get_activation
from rnnsym.cells import GRUCell, LSTMCell

SIGMOID, TANH = get_activation("sigmoid"), get_activation("tanh")


class SwappedUpdateGate(GRUCell):
    """Planted error: ``h' = z n + (1 - z) h`` (z taken as the gate that writes, not the one that keeps)."""

    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        (h,) = parts
        i_r, i_z, i_n = ops.split(ops.add(ops.lin(P["weight_ih"], x), P["bias_ih"]), 3)
        h_r, h_z, h_n = ops.split(ops.add(ops.lin(P["weight_hh"], h), P["bias_hh"]), 3)
        sig, tanh = SIGMOID, TANH
        r, z = ops.act(sig, ops.add(i_r, h_r)), ops.act(sig, ops.add(i_z, h_z))
        n = ops.act(tanh, ops.add(i_n, ops.mul(r, h_n)))
        return [ops.add(ops.mul(z, n), ops.mul(ops.one_minus(z), h))]


class SummedCandidateBiases(GRUCell):
    """Planted error: ``n = tanh(W_in x + r (W_hn h) + b_in + b_hn)`` (the nn.RNN bias rule applied to a GRU)."""

    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        (h,) = parts
        i_r, i_z, i_n = ops.split(ops.add(ops.lin(P["weight_ih"], x), P["bias_ih"]), 3)
        h_r, h_z, h_n = ops.split(ops.lin(P["weight_hh"], h), 3)
        b_hr, b_hz, b_hn = ops.split(P["bias_hh"], 3)
        sig, tanh = SIGMOID, TANH
        r, z = ops.act(sig, ops.add(i_r, h_r, b_hr)), ops.act(sig, ops.add(i_z, h_z, b_hz))
        n = ops.act(tanh, ops.add(i_n, ops.mul(r, h_n), b_hn))
        return [ops.add(ops.mul(ops.one_minus(z), n), ops.mul(z, h))]


class OldCellInOutput(LSTMCell):
    """Planted error: ``h' = o tanh(c)`` with the old cell state instead of ``c'``."""

    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        h, c = parts
        _, new_c = super()._equations(ops, parts, x, P)
        pre = ops.add(ops.lin(P["weight_ih"], x), P["bias_ih"], ops.lin(P["weight_hh"], h), P["bias_hh"])
        o = ops.act(SIGMOID, ops.split(pre, 4)[3])
        return [ops.mul(o, ops.act(TANH, c)), new_c]
