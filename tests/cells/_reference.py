"""PyTorch's documented GRU and LSTM equations, typed in by hand (NumPy), as the reference the cells meet.

From the ``torch.nn.GRUCell`` / ``torch.nn.LSTMCell`` documentation: the
stacked weights are cut into one block per gate here, and every gate is
written out on its own, so nothing is shared with ``rnnsym.cells``.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def gru_step(h: np.ndarray, x: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
             bias_ih: np.ndarray, bias_hh: np.ndarray) -> np.ndarray:
    """One ``nn.GRUCell`` step; ``h`` (n,), ``x`` (m,)."""
    n = weight_hh.shape[1]
    W_ir, W_iz, W_in = weight_ih[:n], weight_ih[n:2 * n], weight_ih[2 * n:]
    W_hr, W_hz, W_hn = weight_hh[:n], weight_hh[n:2 * n], weight_hh[2 * n:]
    b_ir, b_iz, b_in = bias_ih[:n], bias_ih[n:2 * n], bias_ih[2 * n:]
    b_hr, b_hz, b_hn = bias_hh[:n], bias_hh[n:2 * n], bias_hh[2 * n:]
    r = sigmoid(W_ir @ x + b_ir + W_hr @ h + b_hr)
    z = sigmoid(W_iz @ x + b_iz + W_hz @ h + b_hz)
    new = np.tanh(W_in @ x + b_in + r * (W_hn @ h + b_hn))
    return (1 - z) * new + z * h


def lstm_step(h: np.ndarray, c: np.ndarray, x: np.ndarray, weight_ih: np.ndarray, weight_hh: np.ndarray,
              bias_ih: np.ndarray, bias_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One ``nn.LSTMCell`` step; returns ``(h', c')``."""
    n = weight_hh.shape[1]
    blocks = [slice(k * n, (k + 1) * n) for k in range(4)]
    i, f, g, o = (weight_ih[s] @ x + bias_ih[s] + weight_hh[s] @ h + bias_hh[s] for s in blocks)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new
