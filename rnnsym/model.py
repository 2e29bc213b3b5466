"""The simple recurrent network ``h_t = phi(W_h h_{t-1} + W_x x_t + b)``.

:class:`RNN` holds its weights as SymPy matrices (symbols, exact numbers or
floats, mixed freely) and validates their shapes at construction.  Every
object of the theory (pre-activation, step, unrolling, Jacobian,
fixed-point equation) is built by SymPy from these weights; the numeric
simulation (:meth:`RNN.simulate`) runs the model's own NumPy step.

Naming.  Symbol names are ASCII keys that scripts and ``--param`` use:
matrix entries are ``W_h[i,j]``, vector entries ``b[i]``, ``h_prev[i]``
(printed ``h_{t-1,i}``), ``x[i]`` (printed ``x_{t,i}``), indices from 0
as in NumPy.  Argument order is always state, input, parameters.

Examples
--------
>>> import rnnsym as rs
>>> net = rs.RNN.symbolic(n=2, m=1)
>>> net.W_h
Matrix([
[W_h[0,0], W_h[0,1]],
[W_h[1,0], W_h[1,1]]])
>>> net.jacobian()[0, 1]
W_h[0,1]*sech(W_h[0,0]*h_prev[0] + W_h[0,1]*h_prev[1] + W_x[0,0]*x[0] + b[0])**2
>>> net2 = rs.RNN([[0.5, 0], [0, 0.5]], [[1], [0]], [0, 0], activation="relu")
>>> net2.simulate([[1.0], [0.0]]).tolist()
[[0.0, 0.0], [1.0, 0.0], [0.5, 0.0]]
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Mapping

import numpy as np
import sympy as sp

from rnnsym.activations import Activation, get_activation
from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.latex import latex
from rnnsym._matrices import (as_float_array, as_int, as_limit, as_matrix, check_square, matrix_symbols, ordered_symbols,
                              resolve_values, vector_symbols)
from rnnsym.errors import ResourceLimitError
from rnnsym.linear.system import linearize

__all__ = ["RNN", "vector_symbols", "matrix_symbols", "as_matrix", "ordered_symbols",
           "MAX_JACOBIAN_N", "MAX_UNROLL_TERMS", "MAX_UNROLL_STEPS"]

#: Largest ``n`` of a symbolic :meth:`RNN.jacobian`.
MAX_JACOBIAN_N = 32
#: Most terms (estimated ``k**(T-1)``) of a symbolic :meth:`RNN.unroll`.
MAX_UNROLL_TERMS = 4096
#: Most steps of :meth:`RNN.unroll` (nesting depth).
MAX_UNROLL_STEPS = 50


def _lazy(W_h: Any, W_x: Any, b: Any, net: "RNN", activation: "str | Activation") -> bool:
    """Set ``net`` up from float arrays without SymPy matrices (built on first use); False if it does not apply.

    Only finite float ``ndarray`` weights of consistent shapes (``W_h`` square,
    ``W_x`` ``(n, m)``, ``b`` ``(n,)`` or ``(n, 1)``) take this path: a
    1024-unit layer's SymPy matrices take seconds and hundreds of MB that
    numeric work never reads.  Everything else, errors included, goes through
    :func:`as_matrix`.
    """
    def floats(v: Any, ndims: tuple[int, ...]) -> bool:
        return v is None or (isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.ndim in ndims)

    if not (floats(W_h, (2,)) and floats(W_x, (2,)) and floats(b, (1, 2))):
        return False
    n = W_h.shape[0]
    if n == 0 or W_h.shape != (n, n) or (W_x is not None and W_x.shape[0] != n) or (
            b is not None and b.shape not in ((n,), (n, 1))):
        return False
    arrays = (np.array(W_h, dtype=float), np.zeros((n, 1)) if W_x is None else np.array(W_x, dtype=float),
              np.zeros(n) if b is None else np.array(b, dtype=float).reshape(n))
    if not all(np.isfinite(a).all() for a in arrays):
        return False
    net._numeric_cache, net._symbolic = arrays, None
    net._finish(activation, n, arrays[1].shape[1])
    return True


class RNN:
    """The recurrence ``h_t = phi(W_h h_{t-1} + W_x x_t + b)``.

    Parameters
    ----------
    W_h : array_like or sympy.Matrix, shape (n, n)
        Recurrent weights.
    W_x : array_like or sympy.Matrix, shape (n, m), optional
        Input weights (default: zeros of shape (n, 1)).
    b : array_like, shape (n,), optional
        Bias (default: zeros).
    activation : str or Activation
        Elementwise ``phi`` (default ``"tanh"``).

    Raises
    ------
    ShapeError
        When shapes disagree (``W_h`` not square, ``W_x`` or ``b`` with the
        wrong number of rows).
    NonFiniteError
        For NaN or infinite weights.
    """

    _symbolic: "tuple[sp.ImmutableMatrix, sp.ImmutableMatrix, sp.ImmutableMatrix] | None"
    _numeric_cache: "tuple[np.ndarray, np.ndarray, np.ndarray]"

    def __init__(self, W_h: Any, W_x: Any = None, b: Any = None,
                 activation: "str | Activation" = "tanh") -> None:
        if _lazy(W_h, W_x, b, self, activation):
            return
        W_h = as_matrix(W_h, "W_h")
        check_square(W_h.shape, "W_h", "`W_h` maps the hidden state to itself.")
        n = W_h.rows
        if n == 0:
            raise ShapeError("`W_h` must have at least one row; got shape (0, 0).")
        W_x = sp.zeros(n, 1) if W_x is None else as_matrix(W_x, "W_x", vector=False)
        if W_x.rows != n:
            if W_x.cols == n and W_x.rows == 1 and n > 1:
                hint = " Did you pass a row where a column was meant?"
            else:
                hint = ""
            raise ShapeError(
                f"`W_x` must have {n} rows (one per hidden unit, as `W_h`); got shape {W_x.shape}.{hint}"
            )
        b = sp.zeros(n, 1) if b is None else as_matrix(b, "b", vector=True)
        if b.shape != (n, 1):
            raise ShapeError(f"`b` must have {n} entries (as `W_h` has {n} rows); got shape {b.shape}.")
        self._symbolic = (sp.ImmutableMatrix(W_h), sp.ImmutableMatrix(W_x), sp.ImmutableMatrix(b))
        self._finish(activation, n, W_x.cols)

    def _finish(self, activation: "str | Activation", n: int, m: int) -> None:
        self.activation: Activation = get_activation(activation)
        self.n: int = n
        self.m: int = m

    # -- the weights as SymPy matrices (built on first use for float arrays) ---
    def _weights(self) -> tuple[sp.ImmutableMatrix, sp.ImmutableMatrix, sp.ImmutableMatrix]:
        if self._symbolic is None:  # the same Float entries as_matrix gives the arrays
            W_h, W_x, b = self._numeric_cache
            self._symbolic = (as_matrix(W_h, "W_h"), as_matrix(W_x, "W_x"), as_matrix(b[:, None], "b"))
        return self._symbolic

    @property
    def W_h(self) -> sp.ImmutableMatrix:
        """Recurrent weights ``(n, n)``."""
        return self._weights()[0]

    @property
    def W_x(self) -> sp.ImmutableMatrix:
        """Input weights ``(n, m)``."""
        return self._weights()[1]

    @property
    def b(self) -> sp.ImmutableMatrix:
        """Bias ``(n, 1)``."""
        return self._weights()[2]

    @cached_property
    def h_prev(self) -> sp.ImmutableMatrix:
        """The symbols ``h_{t-1}`` (``h_prev[i]``)."""
        return vector_symbols("h_prev", self.n, "h_{{t-1,{i}}}")

    @cached_property
    def x(self) -> sp.ImmutableMatrix:
        """The symbols ``x_t`` (``x[i]``)."""
        return vector_symbols("x", self.m, "x_{{t,{i}}}")

    @cached_property
    def h_star(self) -> sp.ImmutableMatrix:
        """The symbols ``h*`` (``h_star[i]``)."""
        return vector_symbols("h_star", self.n, "h^{{*}}_{{{i}}}")

    # -- construction ---------------------------------------------------------
    @classmethod
    def symbolic(cls, n: int, m: int = 1, activation: "str | Activation" = "tanh",
                 *, bias: bool = True) -> "RNN":
        """An RNN whose every weight is a generated real symbol.

        >>> RNN.symbolic(1, 1).parameters
        (W_h[0,0], W_x[0,0], b[0])
        """
        n, m = as_int(n, "n", low=1), as_int(m, "m", low=0)
        b = vector_symbols("b", n) if bias else sp.zeros(n, 1)
        return cls(matrix_symbols("W_h", n, n), matrix_symbols("W_x", n, m), b, activation)

    def subs(self, values: Mapping[Any, Any] | None = None, **by_name: Any) -> "RNN":
        """A copy with parameters replaced (keys: symbols or their names).

        >>> net = RNN.symbolic(1, 1)
        >>> net.subs({"W_h[0,0]": 2, "b[0]": 0}).preactivation()
        Matrix([[W_x[0,0]*x[0] + 2*h_prev[0]]])
        """
        resolved = resolve_values(self.parameters, values, "RNN", by_name)
        return RNN(self.W_h.subs(resolved), self.W_x.subs(resolved), self.b.subs(resolved),
                   self.activation)

    # -- properties -----------------------------------------------------------
    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """The free symbols of the weights, in a stable order."""
        if self._symbolic is None:  # built from float arrays: no symbols
            return ()
        return ordered_symbols(self.W_h, self.W_x, self.b)

    @property
    def is_numeric(self) -> bool:
        """True when every weight is a number."""
        return not self.parameters

    # -- symbolic objects -----------------------------------------------------
    def _state(self, h: Any) -> sp.ImmutableMatrix:
        return self.h_prev if h is None else as_matrix(h, "h", shape=(self.n, 1), vector=True)

    def _input(self, x: Any) -> sp.ImmutableMatrix:
        return self.x if x is None else as_matrix(x, "x", shape=(self.m, 1), vector=True)

    def preactivation(self, h: Any = None, x: Any = None) -> sp.ImmutableMatrix:
        """``a_t = W_h h + W_x x + b`` (defaults: the symbols ``h_{t-1}``, ``x_t``)."""
        return sp.ImmutableMatrix(self.W_h * self._state(h) + self.W_x * self._input(x) + self.b)

    def step(self, h: Any = None, x: Any = None) -> sp.ImmutableMatrix:
        """``h_t = phi(a_t)`` as a SymPy column."""
        return sp.ImmutableMatrix(self.activation(self.preactivation(h, x)))

    def D(self, h: Any = None, x: Any = None) -> sp.ImmutableMatrix:
        """``D_t = diag(phi'(a_t))``."""
        return sp.ImmutableMatrix(sp.diag(*self.activation.derivative(self.preactivation(h, x))))

    def jacobian(self, h: Any = None, x: Any = None, *, max_size: int | None = None) -> sp.ImmutableMatrix:
        """``dh_t/dh_{t-1}``, by the chain rule ``diag(phi'(a_t)) * da_t/dh_{t-1}``.

        ``da_t/dh_{t-1}`` is computed by SymPy from the pre-activation, so a
        changed model changes the result.  Its ``n**2`` entries each hold a
        sum of ``n + m + 1`` terms: ``n`` above ``max_size`` (default
        :data:`MAX_JACOBIAN_N` = 32; fully symbolic n = 32 took 2.8 s,
        n = 64 13 s) raises :class:`~rnnsym.errors.ResourceLimitError`.
        """
        limit = as_limit(max_size, "max_size", MAX_JACOBIAN_N)
        if self.n > limit:
            raise ResourceLimitError(
                f"`n`={self.n} is too large for a symbolic Jacobian (limit {limit}); use "
                "rnnsym.gradients.trajectory_jacobians() for numeric Jacobians along a trajectory, "
                f"rnnsym.backends.symengine.rnn_jacobian(), or pass max_size={self.n} to try anyway."
            )
        pre = self.preactivation(self.h_prev, x)
        dadh = pre.jacobian(self.h_prev)
        if h is None:
            return sp.ImmutableMatrix(self.D(self.h_prev, x) * dadh)
        # D at h directly (the same expressions as substituting into D(h_prev), and
        # without subs(), which took 9 of the 11 s at n = 16)
        state = self._state(h)
        return sp.ImmutableMatrix(self.D(state, x) * dadh.xreplace(dict(zip(self.h_prev, state))))

    def unroll(self, T: int, h0: Any = None, xs: Any = None, *,
               max_terms: int | None = None) -> list[sp.ImmutableMatrix]:
        """The states ``h_1, ..., h_T`` as nested SymPy expressions.

        ``h0`` defaults to symbols ``h_0[i]``, ``xs`` to symbols ``x_t[i]``.

        Each step copies every state entry into each of the ``k`` nonzero
        weights of a row of ``W_h``, so ``h_T`` grows like ``k**(T-1)``
        terms: above ``max_terms`` (default :data:`MAX_UNROLL_TERMS` = 4096;
        ``n = 2`` took 0.3 s at ``T = 10`` and 6.9 s at 15, ``n = 3`` 4.9 s at
        ``T = 10``), and for ``T > 50`` in any case (one unit nests ``T`` deep:
        ``T = 50`` took 2.8 s, ``T = 100`` hit Python's recursion limit after 7 s),
        :class:`~rnnsym.errors.ResourceLimitError` is raised before any work.
        Only all-float weights, ``h0`` and ``xs`` (whose states are floats)
        are exempt from the term limit.

        >>> net = RNN([[2]], [[1]], [0], activation="identity")
        >>> net.unroll(2)[-1]
        Matrix([[4*h_0[0] + 2*x_1[0] + x_2[0]]])
        """
        T = as_int(T, "T", low=1)
        limit = as_limit(max_terms, "max_terms", MAX_UNROLL_TERMS)
        if T > MAX_UNROLL_STEPS:
            raise ResourceLimitError(
                f"`T`={T} is too many steps to unroll symbolically (limit {MAX_UNROLL_STEPS}: "
                "the nesting depth); use RNN.simulate() for long numeric trajectories."
            )
        h = vector_symbols("h_0", self.n, "h_{{0,{i}}}") if h0 is None else self._state(h0)
        if xs is None:
            inputs = [vector_symbols(f"x_{t}", self.m, f"x_{{{{{t},{{i}}}}}}") for t in range(1, T + 1)]
        else:
            arr = np.asarray(xs, dtype=object).reshape(T, self.m) if np.size(xs) == T * self.m else None
            if arr is None:
                raise ShapeError(f"`xs` must hold {T} inputs of size {self.m}; got shape {np.shape(xs)}.")
            inputs = [as_matrix(row, "xs", shape=(self.m, 1), vector=True) for row in arr]
        k = max(sum(1 for e in self.W_h.row(i) if e != 0) for i in range(self.n))
        entries = [*self.W_h, *self.W_x, *self.b, *h, *(e for x in inputs for e in x)]
        floats = all(e.is_Float or e == 0 for e in entries)
        if k > 1 and not floats and (T - 1) * math.log(k) > math.log(max(limit, 1)):
            raise ResourceLimitError(
                f"`T`={T} steps with {k} nonzero weights per row of W_h nest about {k}**{T - 1} terms "
                f"in h_T (limit max_terms={limit}); use RNN.simulate() for numeric trajectories, "
                "rnnsym.gradients.trajectory_jacobian_product() for Jacobians, or pass a larger max_terms."
            )
        states = []
        for x in inputs:
            h = self.step(h, x)
            states.append(h)
        return states

    def fixed_point_equation(self, x: Any = None) -> sp.Equality:
        """``h* = phi(W_h h* + u)`` with ``u = W_x x + b`` (unevaluated)."""
        return sp.Eq(self.h_star, self.step(self.h_star, x), evaluate=False)

    def linearize(self, h_star: Any = None, x: Any = None) -> Any:
        """The linear RNN ``A = D W_h``, ``B = D W_x`` at ``(h_star, x)``.

        See :func:`rnnsym.linear.linearize`.
        """

        return linearize(self, h_star, x)

    # -- numerics -------------------------------------------------------------
    def numeric_weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W_h, W_x, b)`` as float64 arrays; raises if any entry is symbolic."""
        cached = getattr(self, "_numeric_cache", None)
        if cached is None:
            if not self.is_numeric:
                names = ", ".join(map(str, self.parameters[:6]))
                raise InvalidArgumentError(
                    f"this RNN has symbolic parameters ({names}); substitute values with "
                    "RNN.subs() before numeric work."
                )
            # as_float_array refuses an exact weight beyond the float64 range (such as
            # sympy.Float("1e400")), which would otherwise turn into inf here
            cached = tuple(as_float_array(m, name, allow_empty=True)
                           for m, name in ((self.W_h, "W_h"), (self.W_x, "W_x"), (self.b, "b")))
            cached = (cached[0], cached[1], cached[2][:, 0])
            self._numeric_cache = cached
        return cached

    def numeric_step(self, h: Any, x: Any = None) -> np.ndarray:
        """One step on floats; ``h`` (..., n) and ``x`` (..., m) broadcast.

        ``h`` and ``x`` must be finite real numbers (strings, ``None``, NaN and
        infinities raise rnnsym errors naming the argument).
        """
        self.numeric_weights()  # symbolic weights: refuse before looking at the inputs
        h = self._numeric_vector(h, "h", self.n, "n")
        x = None if x is None else self._numeric_vector(x, "x", self.m, "m")
        return self._step(h, x)

    def _numeric_vector(self, value: Any, name: str, size: int, label: str) -> np.ndarray:
        arr = as_float_array(value, name)
        if arr.ndim == 0 or arr.shape[-1] != size:
            raise ShapeError(f"`{name}` must have shape (..., {size}) ({label} = {size}); got shape {arr.shape}.")
        return arr

    def _step(self, h: np.ndarray, x: np.ndarray | None) -> np.ndarray:
        """One step on validated float arrays (the trajectory may overflow: IEEE, not checked)."""
        W_h, W_x, b = self.numeric_weights()
        pre = h @ W_h.T + b
        if x is not None:
            pre = pre + x @ W_x.T
        return self.activation.numpy(pre)

    def simulate(self, xs: Any, h0: Any = None) -> np.ndarray:
        """Run the recurrence on inputs ``xs`` (T, m) from ``h0``; returns (T+1, n).

        The first row is ``h0`` (default zeros).  ``xs`` and ``h0`` must be
        finite real numbers: strings, ``None``, NaN and infinities raise
        rnnsym errors naming the argument.  States that overflow along the
        way follow IEEE arithmetic (an exploding network gives ``inf``, with
        NumPy's overflow warning).
        """
        self.numeric_weights()  # symbolic weights: refuse before looking at the inputs
        xs = as_float_array(xs, "xs", allow_empty=True)
        if xs.ndim == 1 and self.m == 1:
            xs = xs[:, None]
        if xs.ndim < 2 or xs.shape[-1] != self.m:
            raise ShapeError(f"`xs` must have shape (T, {self.m}); got shape {xs.shape}.")
        h = np.zeros(xs.shape[1:-1] + (self.n,)) if h0 is None else as_float_array(h0, "h0")
        if h.ndim == 0 or h.shape[-1] != self.n:
            raise ShapeError(f"`h0` must have {self.n} entries; got shape {h.shape}.")
        out = [h]
        for x in xs:
            h = self._step(h, x)
            out.append(h)
        return np.stack(out)

    # -- presentation ---------------------------------------------------------
    def __repr__(self) -> str:
        return f"RNN(n={self.n}, m={self.m}, activation={self.activation.name!r})"

    def _repr_latex_(self) -> str:
        name = self.activation._latex_name()
        return (f"$h_t = {name}\\left({latex(self.W_h)} h_{{t-1}} + {latex(self.W_x)} x_t"
                f" + {latex(self.b)}\\right)$")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RNN) and self.W_h == other.W_h and self.W_x == other.W_x
                and self.b == other.b and self.activation == other.activation)

    def __hash__(self) -> int:
        return hash((self.W_h, self.W_x, self.b, self.activation.name))

