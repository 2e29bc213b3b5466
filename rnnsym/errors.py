"""The exception hierarchy of rnnsym.

Every error rnnsym raises on purpose derives from :class:`RnnsymError` and
from the built-in exception a caller would expect, so ``except ValueError``
keeps working.  Messages are one sentence naming the argument, what was
given and what was expected.

Examples
--------
>>> from rnnsym.errors import ShapeError, RnnsymError
>>> issubclass(ShapeError, ValueError) and issubclass(ShapeError, RnnsymError)
True
"""

from __future__ import annotations

__all__ = [
    "RnnsymError",
    "ShapeError",
    "DomainError",
    "UnsafeExpressionError",
    "ParseError",
    "InvalidArgumentError",
    "UnknownNameError",
    "NonFiniteError",
    "ResourceLimitError",
]


class RnnsymError(Exception):
    """Base class of every error rnnsym raises on purpose."""


class ShapeError(RnnsymError, ValueError):
    """An array or matrix has the wrong shape."""


class DomainError(RnnsymError, ValueError):
    """A value lies outside a result's assumptions (for example ``|a| >= 1``)."""


class UnsafeExpressionError(RnnsymError, ValueError):
    """A string contains something that is not plain arithmetic on known names."""


class ParseError(RnnsymError, ValueError):
    """A string is not well formed (for example ``--param`` without ``=``)."""


class InvalidArgumentError(RnnsymError, ValueError):
    """An argument has an invalid value or type."""


class UnknownNameError(RnnsymError, LookupError):
    """A name (activation, derivation, symbol) is not known."""

    def __str__(self) -> str:  # LookupError would quote the message like a key
        return str(self.args[0]) if self.args else ""


class NonFiniteError(RnnsymError, ValueError):
    """NaN or infinity was given where finite numbers are required."""


class ResourceLimitError(RnnsymError, RuntimeError):
    """A symbolic operation would take too long or use too much memory."""
