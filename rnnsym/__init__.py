"""rnnsym: derive, compile, typeset and verify the mathematics of RNNs.

>>> import rnnsym as rs
>>> net = rs.RNN.symbolic(n=1, m=1)
>>> net.jacobian()
Matrix([[W_h[0,0]*sech(W_h[0,0]*h_prev[0] + W_x[0,0]*x[0] + b[0])**2]])
"""

from __future__ import annotations

# First of all, for the `rnnsym` command: SIGINT and SIGTERM are recorded from here on (the imports
# below take a second), and rnnsym.cli.main acts on them (exit 130 or 143, no traceback).
from rnnsym._signals import INTERRUPTS as _INTERRUPTS, command_line_process as _command_line_process

if _command_line_process():
    _INTERRUPTS.install()

import importlib
from typing import Any

from rnnsym.activations import ACTIVATION_NAMES, Activation, custom_activation, get_activation
from rnnsym.derivation import Derivation, Step
from rnnsym.grids import sweep
from rnnsym.errors import (DomainError, InvalidArgumentError, NonFiniteError, ParseError,
                     ResourceLimitError, RnnsymError, ShapeError, UnknownNameError,
                     UnsafeExpressionError)
from rnnsym.kernel import Kernel, compile
from rnnsym.latex import latex
from rnnsym.linear import LinearRNN, linearize
from rnnsym.model import RNN
from rnnsym.registry import derivation_names, derive
from rnnsym.verification import VerificationReport

from rnnsym._version import __version__ as __version__   # re-exported: rnnsym.__version__
from rnnsym import _moved

_moved.install()

__all__ = [
    "ACTIVATION_NAMES", "Activation", "custom_activation", "get_activation",
    "Derivation", "Step", "VerificationReport",
    "DomainError", "InvalidArgumentError", "NonFiniteError", "ParseError", "ResourceLimitError",
    "RnnsymError", "ShapeError", "UnknownNameError", "UnsafeExpressionError",
    "Kernel", "compile", "latex", "RNN", "LinearRNN", "linearize", "derivation_names", "derive",
    "sweep",
    # loaded on first use (see _LAZY):
    "strategies", "find_fixed_points", "sweep_fixed_points", "spectral_radius", "spectral_norm",
    "contraction_factor", "half_life", "classify_jacobian", "coupling_matrix",
    "minimum_energy_input", "reconstruct_initial_state", "gradient_norms", "lyapunov_spectrum",
    "transient_growth", "is_normal", "frequency_response", "snr_numeric", "build_report",
    "analyze_rnn", "simulate_batch", "batched_spectral_radius", "batched_spectral_norm",
    "batched_eigenvalue_moduli", "classify_batch", "jacobian_spectral_radius",
    "GRUCell", "LSTMCell", "LeakyCell", "SimpleCell", "custom_cell", "find_slow_points",
    "cell_gradient_norms", "cell_lyapunov_spectrum", "cell_point_analysis", "cell_contraction_certificate",
]

# Analyses live in their own modules; importing them all would slow `import rnnsym`
# (SciPy's statistics, SymPy derivations), so names resolve on first use.
_LAZY = {
    "strategies": ("strategies", None),
    "find_fixed_points": ("fixedpoints", "find_fixed_points"),
    "sweep_fixed_points": ("fixedpoints", "sweep_fixed_points"),
    "spectral_radius": ("stability", "spectral_radius"),
    "spectral_norm": ("stability", "spectral_norm"),
    "contraction_factor": ("stability", "contraction_factor"),
    "half_life": ("stability", "half_life"),
    "classify_jacobian": ("stability", "classify_jacobian"),
    "coupling_matrix": ("linear.modes", "coupling_matrix"),
    "minimum_energy_input": ("linear.controllability", "minimum_energy_input"),
    "reconstruct_initial_state": ("linear.controllability", "reconstruct_initial_state"),
    "gradient_norms": ("gradients", "gradient_norms"),
    "lyapunov_spectrum": ("gradients", "lyapunov_spectrum"),
    "transient_growth": ("linear.normality", "transient_growth"),
    "is_normal": ("linear.normality", "is_normal"),
    "frequency_response": ("linear.filtering", "frequency_response"),
    "snr_numeric": ("linear.filtering", "snr_numeric"),
    "build_report": ("report.build", "build_report"),
    "analyze_rnn": ("analyze", "analyze_rnn"),
    "simulate_batch": ("simulate", "simulate_batch"),
    "batched_spectral_radius": ("closed_forms", "batched_spectral_radius"),
    "batched_spectral_norm": ("closed_forms", "batched_spectral_norm"),
    "batched_eigenvalue_moduli": ("closed_forms", "batched_eigenvalue_moduli"),
    "classify_batch": ("closed_forms", "classify_batch"),
    "jacobian_spectral_radius": ("closed_forms", "jacobian_spectral_radius"),
    "GRUCell": ("cells", "GRUCell"),
    "LSTMCell": ("cells", "LSTMCell"),
    "LeakyCell": ("cells", "LeakyCell"),
    "SimpleCell": ("cells", "SimpleCell"),
    "custom_cell": ("cells", "custom_cell"),
    "find_slow_points": ("cells", "find_slow_points"),
    "cell_gradient_norms": ("cells", "cell_gradient_norms"),
    "cell_lyapunov_spectrum": ("cells", "cell_lyapunov_spectrum"),
    "cell_point_analysis": ("cells", "cell_point_analysis"),
    "cell_contraction_certificate": ("cells", "cell_contraction_certificate"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(f"rnnsym.{module_name}")
        return module if attr is None else getattr(module, attr)
    raise AttributeError(f"module 'rnnsym' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
