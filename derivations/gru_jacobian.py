"""The GRU's state Jacobian, in block form and expanded.

Worked solution.  PyTorch's GRU computes the gates ``r_t``, ``z_t`` and the
candidate ``n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))``, then
``h_t = (1 - z_t) * n_t + z_t * h_{t-1}``.  SymPy applies the chain rule
through these named vectors (:meth:`rnnsym.cells.GRUCell.named_step`), so the
Jacobian reads ``diag(z_t) + diag(h_{t-1} - n_t) dz_t/dh_{t-1} + diag(1 - z_t)
dn_t/dh_{t-1}``: the update gate ``z_t`` keeps memory on the identity path;
substituting the gates back gives the expanded Jacobian, which is SymPy's own
derivative of the cell's step.  ``verify`` compares it with central
differences of the cell's numeric step (float64) and of its symbolic step
(30 digits) at drawn weights and states, saturated gates included.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("gru_jacobian")
>>> d.result.shape
(1, 1)
>>> d.verify(max_examples=5).passed
True
"""

from __future__ import annotations

from typing import Any

from rnnsym.cells import GRUCell
from rnnsym.derivation import Derivation
from rnnsym.derivations._gates import derive_jacobian, jacobian_figure, verify_jacobian
from rnnsym.registry import DerivationInfo

INFO = DerivationInfo(
    name="gru_jacobian",
    title="The GRU's state Jacobian in block form",
    reference="beyond the chapter: PyTorch's GRU cell",
    section="Beyond the Chapter",
    order=200,
    options={"n": int, "m": int},
    max_n=4,  # n = 4 took 1.1 s
    option_ranges={"m": (0, 4)},
    limit_hint="use rnnsym.cells.GRUCell(...).numeric_jacobian() for numeric Jacobians.",
    symbols={
        "h_prev": r"previous hidden state $h_{t-1}$, entries $h_{\mathrm{prev}}[i]$",
        "x": "input $x_t$, entries $x[i]$",
        "r_t": "reset gate", "z_t": "update gate (keeps memory as it nears 1)", "n_t": "candidate state",
        "W_ir, W_iz, W_in": "input weights of the gates, entries $W_{ir}[i,j]$, ...",
        "W_hr, W_hz, W_hn": "recurrent weights of the gates",
        "b_ir, b_iz, b_in, b_hr, b_hz, b_hn": "biases ($b_{hn}$ sits inside the reset product)",
    },
)


def derive(n: int = 1, m: int = 1) -> Derivation:
    """Derive the Jacobian of a symbolic ``n``-unit GRU with ``m`` inputs (``n`` limited to ``INFO.max_n``)."""
    return derive_jacobian(GRUCell.symbolic(n, m), INFO, verify,
                           "PyTorch's GRU step in its named gate vectors: $h_t = (1 - z_t) n_t + z_t h_{t-1}$ "
                           "entry by entry.")


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """The GRU cell's checks, :func:`rnnsym.derivations._gates.verify_jacobian` (the bounds are stated there)."""
    return verify_jacobian(derivation, max_examples, seed, INFO.name)


def figure(d: Derivation, fig: Any) -> str:
    """Draw the derived entries against central differences of the numeric step; return the caption."""
    return jacobian_figure(d, fig)
