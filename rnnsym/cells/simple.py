"""The simple RNN as a cell, and the leaky (discretised continuous-time) RNN.

* :class:`SimpleCell` wraps today's :class:`~rnnsym.model.RNN` unchanged:
  ``h_t = phi(W_h h_{t-1} + W_x x_t + b)``, its symbolic step the RNN's own
  (:meth:`RNN.step <rnnsym.model.RNN.step>` gives the same expression);
* :class:`LeakyCell` -- ``h_t = (1 - alpha) h_{t-1} + alpha phi(W_h h_{t-1} +
  W_x x_t + b)`` with ``0 < alpha <= 1`` (forward Euler with step ``alpha =
  dt / tau`` of ``tau dh/dt = -h + phi(W_h h + W_x x + b)``); ``alpha = 1``
  is the simple RNN.

Both validate their weights as :class:`~rnnsym.model.RNN` does (they hold
one, as ``cell.net``).

Examples
--------
>>> import sympy as sp
>>> from rnnsym.cells import LeakyCell, SimpleCell
>>> cell = LeakyCell([[2]], [[1]], [0], alpha=sp.Rational(1, 4))
>>> cell.symbolic_step()
Matrix([[3*h_prev[0]/4 + tanh(2*h_prev[0] + x[0])/4]])
>>> cell.jacobian()
Matrix([[sech(2*h_prev[0] + x[0])**2/2 + 3/4]])
>>> SimpleCell.symbolic(1, 1).symbolic_step()
Matrix([[tanh(W_h[0,0]*h_prev[0] + W_x[0,0]*x[0] + b[0])]])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from rnnsym.activations import Activation
from rnnsym.cells._equation import EquationCell
from rnnsym.errors import DomainError, InvalidArgumentError
from rnnsym.model import RNN
from rnnsym._matrices import as_scalar

__all__ = ["SimpleCell", "LeakyCell"]


class SimpleCell(EquationCell):
    """The simple RNN ``h_t = phi(W_h h_{t-1} + W_x x_t + b)`` as a :class:`~rnnsym.cells.base.Cell`.

    Parameters
    ----------
    net : RNN
        The network (kept as ``cell.net``, unchanged).

    Examples
    --------
    >>> import rnnsym as rs
    >>> cell = SimpleCell(rs.RNN([[0.5]], [[1.0]], [0.0], activation="identity"))
    >>> cell.step([2.0], [1.0]).tolist(), cell.numeric_jacobian([2.0], [1.0]).tolist()
    ([2.0], [[0.5]])
    """

    kind = "simple"

    def __init__(self, net: RNN) -> None:
        if not isinstance(net, RNN):
            raise InvalidArgumentError(f"`net` must be an rnnsym.RNN; got {type(net).__name__}.")
        self.net = net
        self.activation: Activation = net.activation
        self._weights = {"W_h": net.W_h, "W_x": net.W_x, "b": net.b}
        super().__init__([("h", net.h_prev)], net.x, range(net.n))

    @classmethod
    def symbolic(cls, n: int, m: int = 1, activation: "str | Activation" = "tanh") -> "SimpleCell":
        """A simple cell whose weights are generated symbols (:meth:`RNN.symbolic <rnnsym.model.RNN.symbolic>`)."""
        return cls(RNN.symbolic(n, m, activation))

    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        (h,) = parts
        # the RNN's own order of summation (W_h h + b) + W_x x, so the numbers agree to the last bit
        return [ops.act(self.activation, ops.add(ops.lin(P["W_h"], h), P["b"], ops.lin(P["W_x"], x)))]

    @property
    def state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The closure of the activation's range (``[-1, 1]`` for tanh)."""
        return _range_bounds(self.activation, self.n)

    def _xreplace(self, values: dict[sp.Symbol, sp.Expr]) -> "SimpleCell":
        return SimpleCell(self.net.subs(values))


def _range_bounds(activation: Activation, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The closure of ``phi``'s range, for every unit: the step maps into it, and a convex blend with a state
    already in it stays there."""
    lo, hi = activation.output_range.inf, activation.output_range.sup
    as_float = lambda v: float(v) if v.is_finite else (np.inf if v > 0 else -np.inf)   # noqa: E731
    return np.full(n, as_float(lo)), np.full(n, as_float(hi))


def _check_alpha(alpha: Any) -> sp.Expr:
    a = as_scalar(alpha, "alpha")
    if a.is_number and not (0 < a <= 1):
        raise DomainError(f"`alpha` must satisfy 0 < alpha <= 1 (alpha = dt/tau); got {a}.")
    return a


class LeakyCell(EquationCell):
    """The leaky RNN ``h_t = (1 - alpha) h_{t-1} + alpha phi(W_h h_{t-1} + W_x x_t + b)``.

    Parameters
    ----------
    W_h, W_x, b, activation
        As for :class:`~rnnsym.model.RNN` (validated by it; ``cell.net``).
    alpha : number or SymPy expression
        The leak ``0 < alpha <= 1`` (keyword only); ``alpha = 1`` is the simple RNN.

    Examples
    --------
    >>> cell = LeakyCell([[0.0]], [[1.0]], alpha=0.5, activation="identity")
    >>> cell.simulate([[1.0], [0.0], [0.0]]).ravel().tolist()
    [0.0, 0.5, 0.25, 0.125]
    >>> LeakyCell([[1.0]], alpha=1.5)
    Traceback (most recent call last):
    ...
    rnnsym.errors.DomainError: `alpha` must satisfy 0 < alpha <= 1 (alpha = dt/tau); got 1.50000000000000.
    """

    kind = "leaky"

    def __init__(self, W_h: Any, W_x: Any = None, b: Any = None, *, alpha: Any,
                 activation: "str | Activation" = "tanh") -> None:
        self.alpha: sp.Expr = _check_alpha(alpha)
        self.net = RNN(W_h, W_x, b, activation)
        self.activation: Activation = self.net.activation
        self._weights = {"W_h": self.net.W_h, "W_x": self.net.W_x, "b": self.net.b}
        self._scalars = {"alpha": self.alpha}
        super().__init__([("h", self.net.h_prev)], self.net.x, range(self.net.n))

    @classmethod
    def symbolic(cls, n: int, m: int = 1, activation: "str | Activation" = "tanh") -> "LeakyCell":
        """A leaky cell with generated weight symbols and the symbol ``alpha``.

        >>> LeakyCell.symbolic(1, 1).parameters
        (W_h[0,0], W_x[0,0], b[0], alpha)
        """
        net = RNN.symbolic(n, m, activation)
        return cls(net.W_h, net.W_x, net.b, alpha=sp.Symbol("alpha", positive=True), activation=net.activation)

    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        (h,) = parts
        drive = ops.act(self.activation, ops.add(ops.lin(P["W_h"], h), P["b"], ops.lin(P["W_x"], x)))
        return [ops.add(ops.scale(1 - P["alpha"], h), ops.scale(P["alpha"], drive))]

    @property
    def state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """The closure of the activation's range: ``h_t`` blends ``h_{t-1}`` and ``phi(...)``, both in it."""
        return _range_bounds(self.activation, self.n)

    def _xreplace(self, values: dict[sp.Symbol, sp.Expr]) -> "LeakyCell":
        net = self.net
        return LeakyCell(net.W_h.xreplace(values), net.W_x.xreplace(values), net.b.xreplace(values),
                         alpha=self.alpha.xreplace(values), activation=self.activation)
