"""rnnsym: derive, compile, typeset and verify the mathematics of RNNs."""

from .activations import ACTIVATION_NAMES, Activation, custom_activation, get_activation
from .errors import (DomainError, InvalidArgumentError, NonFiniteError, ParseError,
                     ResourceLimitError, RnnsymError, ShapeError, UnknownNameError,
                     UnsafeExpressionError)
from .kernel import Kernel, compile
from .latex import latex
from .model import RNN

__all__ = [
    "ACTIVATION_NAMES", "Activation", "custom_activation", "get_activation",
    "DomainError", "InvalidArgumentError", "NonFiniteError", "ParseError", "ResourceLimitError",
    "RnnsymError", "ShapeError", "UnknownNameError", "UnsafeExpressionError",
    "Kernel", "compile", "latex", "RNN",
]
