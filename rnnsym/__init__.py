"""rnnsym: derive, compile, typeset and verify the mathematics of RNNs.

>>> import rnnsym as rs
>>> net = rs.RNN.symbolic(n=1, m=1)
>>> net.jacobian()
Matrix([[W_h[0,0]*sech(W_h[0,0]*h_prev[0] + W_x[0,0]*x[0] + b[0])**2]])
"""

from __future__ import annotations

import importlib
from typing import Any

from .activations import ACTIVATION_NAMES, Activation, custom_activation, get_activation
from .derivation import Derivation, Step
from .grids import sweep
from .errors import (DomainError, InvalidArgumentError, NonFiniteError, ParseError,
                     ResourceLimitError, RnnsymError, ShapeError, UnknownNameError,
                     UnsafeExpressionError)
from .kernel import Kernel, compile
from .latex import latex
from .linear import LinearRNN, linearize
from .model import RNN
from .registry import derivation_names, derive
from .verification import VerificationReport

__version__ = "0.1.0"

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
]

# Analyses live in their own modules; importing them all would slow `import rnnsym`
# (SciPy's statistics, SymPy derivations), so names resolve on first use.
_LAZY = {
    "strategies": ("strategies", None),
    "find_fixed_points": ("fixed_points", "find_fixed_points"),
    "sweep_fixed_points": ("fixed_points", "sweep_fixed_points"),
    "spectral_radius": ("stability", "spectral_radius"),
    "spectral_norm": ("stability", "spectral_norm"),
    "contraction_factor": ("stability", "contraction_factor"),
    "half_life": ("stability", "half_life"),
    "classify_jacobian": ("stability", "classify_jacobian"),
    "coupling_matrix": ("modes", "coupling_matrix"),
    "minimum_energy_input": ("reachability", "minimum_energy_input"),
    "reconstruct_initial_state": ("reachability", "reconstruct_initial_state"),
    "gradient_norms": ("gradients", "gradient_norms"),
    "lyapunov_spectrum": ("gradients", "lyapunov_spectrum"),
    "transient_growth": ("normality", "transient_growth"),
    "is_normal": ("normality", "is_normal"),
    "frequency_response": ("filtering", "frequency_response"),
    "snr_numeric": ("filtering", "snr_numeric"),
    "build_report": ("report", "build_report"),
    "analyze_rnn": ("analyze", "analyze_rnn"),
    "simulate_batch": ("simulate", "simulate_batch"),
    "batched_spectral_radius": ("closed_forms", "batched_spectral_radius"),
    "batched_spectral_norm": ("closed_forms", "batched_spectral_norm"),
    "batched_eigenvalue_moduli": ("closed_forms", "batched_eigenvalue_moduli"),
    "classify_batch": ("closed_forms", "classify_batch"),
    "jacobian_spectral_radius": ("closed_forms", "jacobian_spectral_radius"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        module = importlib.import_module(f".{module_name}", __name__)
        return module if attr is None else getattr(module, attr)
    raise AttributeError(f"module 'rnnsym' has no attribute {name!r}")
