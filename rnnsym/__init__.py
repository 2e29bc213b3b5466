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
from .errors import (DomainError, InvalidArgumentError, NonFiniteError, ParseError,
                     ResourceLimitError, RnnsymError, ShapeError, UnknownNameError,
                     UnsafeExpressionError)
from .kernel import Kernel, compile
from .latex import latex
from .model import RNN
from .registry import derivation_names, derive
from .verification import VerificationReport

__version__ = "0.1.0"

__all__ = [
    "ACTIVATION_NAMES", "Activation", "custom_activation", "get_activation",
    "Derivation", "Step", "VerificationReport",
    "DomainError", "InvalidArgumentError", "NonFiniteError", "ParseError", "ResourceLimitError",
    "RnnsymError", "ShapeError", "UnknownNameError", "UnsafeExpressionError",
    "Kernel", "compile", "latex", "RNN", "derivation_names", "derive", "strategies",
]


def __getattr__(name: str) -> Any:
    # `rnnsym.strategies` imports Hypothesis's strategy machinery: load it on first use.
    if name == "strategies":
        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module 'rnnsym' has no attribute {name!r}")
