"""The LSTM's state Jacobian: the 2n x 2n Jacobian of ``(h, c)``, its four blocks, and expanded.

Worked solution.  PyTorch's LSTM computes the gates ``i_t, f_t, g_t, o_t``,
then ``c_t = f_t * c_{t-1} + i_t * g_t`` and ``h_t = o_t * tanh(c_t)``.
SymPy applies the chain rule through these named vectors
(:meth:`rnnsym.cells.LSTMCell.named_step`): ``dc_t/dc_{t-1} = diag(f_t)``
(the gates read ``h_{t-1}`` only), ``dc_t/dh_{t-1} = diag(c_{t-1}) df_t/dh_{t-1}
+ diag(g_t) di_t/dh_{t-1} + diag(i_t) dg_t/dh_{t-1}``, and ``h_t`` adds
``diag(o_t) diag(tanh'(c_t))`` in front and the output gate's own term.
Substituting the gates back gives the expanded Jacobian, SymPy's own
derivative of the cell's step.  ``verify`` compares it with central
differences of the cell's numeric step (float64) and of its symbolic step (30
digits) at drawn weights and states, saturated gates and ``tanh(c)`` included.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("lstm_jacobian")
>>> d.result.shape
(2, 2)
>>> d.context["cell"].blocks(d.result)[("c", "c")]   # diag(f_t)
Matrix([[1/(exp(-W_hf[0,0]*h_prev[0] - W_if[0,0]*x[0] - b_hf[0] - b_if[0]) + 1)]])
>>> d.verify(max_examples=5).passed
True
"""

from __future__ import annotations

from typing import Any

from rnnsym.cells import LSTMCell
from rnnsym.derivation import Derivation
from rnnsym.derivations._gates import derive_jacobian, jacobian_figure, verify_jacobian
from rnnsym.registry import DerivationInfo

INFO = DerivationInfo(
    name="lstm_jacobian",
    title="The LSTM's state Jacobian in block form",
    reference="beyond the chapter: PyTorch's LSTM cell",
    section="Beyond the Chapter",
    order=210,
    options={"n": int, "m": int},
    max_n=4,  # n = 4 (an 8 x 8 Jacobian) took 1.4 s
    option_ranges={"m": (0, 4)},
    limit_hint="use rnnsym.cells.LSTMCell(...).numeric_jacobian() for numeric Jacobians.",
    symbols={
        "h_prev": r"previous hidden state $h_{t-1}$, entries $h_{\mathrm{prev}}[i]$",
        "c_prev": r"previous cell state $c_{t-1}$, entries $c_{\mathrm{prev}}[i]$",
        "x": "input $x_t$, entries $x[i]$",
        "i_t": "input gate", "f_t": "forget gate (keeps memory as it nears 1)", "g_t": "candidate cell input",
        "o_t": "output gate",
        "W_ii, W_if, W_ig, W_io": "input weights of the gates, entries $W_{ii}[i,j]$, ...",
        "W_hi, W_hf, W_hg, W_ho": "recurrent weights of the gates",
        "b_ii, b_if, b_ig, b_io, b_hi, b_hf, b_hg, b_ho": "biases (only the sum of each pair matters)",
    },
)


def derive(n: int = 1, m: int = 1) -> Derivation:
    """Derive the Jacobian of a symbolic ``n``-unit LSTM with ``m`` inputs (``n`` limited to ``INFO.max_n``)."""
    return derive_jacobian(LSTMCell.symbolic(n, m), INFO, verify,
                           "PyTorch's LSTM step in its named gate vectors: $h_t = o_t \\tanh(c_t)$ with "
                           "$c_t = f_t c_{t-1} + i_t g_t$, entry by entry; the state is $(h, c)$, $h$ first.")


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """The LSTM cell's checks, :func:`rnnsym.derivations._gates.verify_jacobian` (the bounds are stated there)."""
    return verify_jacobian(derivation, max_examples, seed, INFO.name)


def figure(d: Derivation, fig: Any) -> str:
    """Draw the derived entries against central differences of the numeric step; return the caption."""
    return jacobian_figure(d, fig)
