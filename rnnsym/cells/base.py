"""The cell abstraction: a recurrence ``s_t = F(s_{t-1}, x_t; theta)`` whose state may be several vectors.

A :class:`Cell` is built symbolically with SymPy (state symbols, input
symbols, parameters as symbols or numbers) and stepped numerically with
NumPy.  Its state is one flat vector of ``state_size`` entries, the parts in
a fixed order (an LSTM's ``(h, c)``: ``h`` first); :meth:`Cell.split` and
:meth:`Cell.join` convert between the flat vector and its parts, and
:meth:`Cell.blocks` cuts a state Jacobian into its blocks
(``d(h, c)/d(h, c)``).  ``n`` is the number of hidden units (the size of the
output, the part ``h``), ``m`` the input size.  Argument order is always
state, input, parameters.

What each cell provides:

* symbolic -- :meth:`Cell.symbolic_step`, :meth:`Cell.jacobian` (the full
  state Jacobian ``ds_t/ds_{t-1}``), :meth:`Cell.input_jacobian`,
  :meth:`Cell.jacobian_blocks`, :meth:`Cell.linearize` (to
  :class:`~rnnsym.linear.LinearRNN`, ``A`` the state Jacobian, ``B`` the
  input Jacobian, ``C`` the output map that picks ``h``);
* numeric -- :meth:`Cell.step`, :meth:`Cell.simulate`,
  :meth:`Cell.numeric_jacobian`, and the searches :meth:`Cell.slow_points`
  and :meth:`Cell.fixed_points` (:mod:`rnnsym.cells.slow_points`).

Numeric arguments go through :func:`rnnsym._matrices.as_float_array`
(strings, ``None`` inside arrays, NaN and infinities raise rnnsym errors
naming the argument); ``x=None`` is the zero input in numeric work and the
input symbols in symbolic work.

Examples
--------
>>> import numpy as np
>>> from rnnsym.cells import LSTMCell
>>> cell = LSTMCell.symbolic(n=1, m=1)
>>> cell.state_parts, cell.state_size, cell.n, cell.m
((('h', 1), ('c', 1)), 2, 1, 1)
>>> cell.jacobian_blocks()[("c", "c")]   # dc_t/dc_{t-1} = diag(f_t)
Matrix([[1/(exp(-W_hf[0,0]*h_prev[0] - W_if[0,0]*x[0] - b_hf[0] - b_if[0]) + 1)]])
>>> num = cell.subs({s: 0.5 for s in cell.parameters})
>>> num.split(num.step([0.0, 0.0], [1.0]))["c"].round(6).tolist()   # sigma(1.5) tanh(1.5)
[0.740026]
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np
import sympy as sp

from rnnsym.cells._ops import unwrap
from rnnsym.cells.slow_points import find_slow_points
from rnnsym.errors import InvalidArgumentError, ResourceLimitError, ShapeError
from rnnsym.linear.system import LinearRNN
from rnnsym.model import MAX_JACOBIAN_N
from rnnsym._matrices import as_choice, as_float_array, as_matrix, resolve_values

if TYPE_CHECKING:  # pragma: no cover
    from rnnsym.cells.slow_points import CellPoint, SlowPointResult

__all__ = ["Cell"]


def _is_symbolic(value: Any) -> bool:
    """Whether ``value`` holds SymPy objects with free symbols (then it is read symbolically)."""
    if isinstance(value, sp.MatrixBase):
        return bool(value.free_symbols)
    if isinstance(value, sp.Basic):
        return bool(value.free_symbols)
    if isinstance(value, (list, tuple)):
        return any(_is_symbolic(v) for v in value)
    return False


class Cell(abc.ABC):
    """A recurrent cell ``s_t = F(s_{t-1}, x_t; theta)`` (abstract).

    Subclasses pass their state parts (names with their columns of symbols),
    input symbols and output rows to ``__init__`` and implement
    :meth:`_raw_step`, :attr:`parameters`, :meth:`_xreplace` and the
    numeric hooks :meth:`_evaluate`, :meth:`_differentiate`, :meth:`_bounded`
    (on validated float arrays ``S`` ``(..., state_size)`` and ``X`` ``(..., m)``).
    """

    #: A short name of the kind of cell (``"gru"``, ``"lstm"``, ...).
    kind: str = "cell"
    #: Largest ``state_size`` of a symbolic Jacobian by default (gated cells: 16, see :class:`GatedCell
    #: <rnnsym.cells.gated.GatedCell>`).
    max_symbolic_size: int = MAX_JACOBIAN_N

    def __init__(self, parts: Sequence[tuple[str, sp.ImmutableMatrix]], inputs: sp.ImmutableMatrix,
                 output: Sequence[int]) -> None:
        self.state_parts: tuple[tuple[str, int], ...] = tuple((name, syms.rows) for name, syms in parts)
        #: The column of state symbols ``s_{t-1}`` (parts stacked in order).
        self.state_symbols: sp.ImmutableMatrix = sp.ImmutableMatrix(sp.Matrix.vstack(*[s for _, s in parts]))
        #: The column of input symbols ``x_t``.
        self.input_symbols: sp.ImmutableMatrix = sp.ImmutableMatrix(inputs)
        self.state_size: int = self.state_symbols.rows
        self.m: int = self.input_symbols.rows
        self._output = tuple(int(i) for i in output)
        self.n: int = len(self._output)
        self._cache: dict[str, Any] = {}

    # -- what subclasses implement -------------------------------------------------------
    @abc.abstractmethod
    def _raw_step(self) -> sp.ImmutableMatrix:
        """``F(s_{t-1}, x_t)`` as a column in :attr:`state_symbols` and :attr:`input_symbols`, activations
        held as :class:`~rnnsym.cells._ops.Applied` (differentiated by their own derivatives)."""

    @property
    @abc.abstractmethod
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """The free symbols of the parameters, in a stable order."""

    @abc.abstractmethod
    def _xreplace(self, values: dict[sp.Symbol, sp.Expr]) -> "Cell":
        """A copy with parameter symbols replaced (validated values)."""

    @abc.abstractmethod
    def _evaluate(self, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        """``F(S, X)`` ``(..., state_size)``."""

    @abc.abstractmethod
    def _differentiate(self, S: np.ndarray, X: np.ndarray, wrt: str) -> tuple[np.ndarray, np.ndarray]:
        """``F`` and ``dF/ds`` ``(..., N, N)`` (``wrt="state"``) or ``dF/dx`` ``(..., N, m)`` (``"input"``)."""

    @abc.abstractmethod
    def _bounded(self, S: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``F`` and a bound on its float64 rounding error in units of ``eps`` (both ``(..., N)``)."""

    # -- properties ------------------------------------------------------------------------
    @property
    def is_numeric(self) -> bool:
        """True when every parameter is a number."""
        if "is_numeric" not in self._cache:
            self._cache["is_numeric"] = not self.parameters
        return self._cache["is_numeric"]

    @property
    def state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)`` ``(state_size,)``: a closed box that holds every fixed point and that the step keeps
        states in (``-inf``/``inf`` where there is no bound).  The searches keep their iterates in it.

        A GRU's ``h`` lies in ``[-1, 1]`` (a convex combination of ``tanh`` and the old ``h``); without a
        box, a minimiser of ``||F(s) - s||`` follows a saturated update gate to ``|h| ~ 40``, where
        ``F(s) = s`` holds in float64 although no fixed point is there.
        """
        return np.full(self.state_size, -np.inf), np.full(self.state_size, np.inf)

    @property
    def output_matrix(self) -> sp.ImmutableMatrix:
        """``C`` ``(n, state_size)``: the rows of the state that form the output (``h``)."""
        C = sp.zeros(self.n, self.state_size)
        for row, col in enumerate(self._output):
            C[row, col] = 1
        return sp.ImmutableMatrix(C)

    def _describe_state(self) -> str:
        if len(self.state_parts) == 1:
            return f"the state {self.state_parts[0][0]}, {self.state_size} entries"
        names = ", ".join(name for name, _ in self.state_parts)
        sizes = " + ".join(str(k) for _, k in self.state_parts)
        return f"the state ({names}) stacked: {sizes} entries, {self.state_parts[0][0]} first"

    def subs(self, values: Mapping[Any, Any] | None = None, **by_name: Any) -> "Cell":
        """A copy with parameters replaced (keys: symbols or their names).

        >>> from rnnsym.cells import GRUCell
        >>> GRUCell.symbolic(1, 1).subs({"b_hz[0]": 2}).parameters[-1]
        b_hn[0]
        """
        resolved = resolve_values(self.parameters, values, type(self).__name__, by_name)
        return self._xreplace(resolved)

    # -- symbolic objects ------------------------------------------------------------------
    def _held_step(self) -> sp.ImmutableMatrix:
        if "raw" not in self._cache:
            self._cache["raw"] = self._raw_step()
        return self._cache["raw"]

    def symbolic_step(self) -> sp.ImmutableMatrix:
        """``s_t = F(s_{t-1}, x_t)`` as a SymPy column (parts stacked as :attr:`state_symbols`)."""
        if "step" not in self._cache:
            self._cache["step"] = unwrap(self._held_step())
        return self._cache["step"]

    def _check_size(self, max_size: int | None, what: str) -> None:
        if max_size is not None and (not isinstance(max_size, (int, np.integer)) or isinstance(max_size, bool)
                                     or max_size < 1):
            raise InvalidArgumentError(f"`max_size` must be an integer >= 1 or None; got {max_size!r:.40}.")
        limit = self.max_symbolic_size if max_size is None else int(max_size)
        if self.state_size > limit:
            raise ResourceLimitError(
                f"`state_size`={self.state_size} is too large for a symbolic {what} (limit {limit}); use "
                "numeric_jacobian(), or linearize(s, x) with numbers for both, or pass "
                f"max_size={self.state_size} to try anyway."
            )

    def jacobian(self, *, max_size: int | None = None) -> sp.ImmutableMatrix:
        """The full state Jacobian ``ds_t/ds_{t-1}`` ``(state_size, state_size)``, by SymPy.

        A ``state_size`` above ``max_size`` (default :attr:`max_symbolic_size`)
        raises :class:`~rnnsym.errors.ResourceLimitError` before any work.
        """
        self._check_size(max_size, "Jacobian")
        if "jacobian" not in self._cache:
            self._cache["jacobian"] = unwrap(self._held_step().jacobian(self.state_symbols))
        return self._cache["jacobian"]

    def input_jacobian(self, *, max_size: int | None = None) -> sp.ImmutableMatrix:
        """``ds_t/dx_t`` ``(state_size, m)``, by SymPy (same size limit as :meth:`jacobian`)."""
        self._check_size(max_size, "input Jacobian")
        if "input_jacobian" not in self._cache:
            self._cache["input_jacobian"] = (unwrap(self._held_step().jacobian(self.input_symbols)) if self.m
                                             else sp.ImmutableMatrix(sp.zeros(self.state_size, 0)))
        return self._cache["input_jacobian"]

    def blocks(self, matrix: Any) -> dict[tuple[str, str], Any]:
        """Cut a state Jacobian (SymPy ``(N, N)`` or array ``(..., N, N)``) into its blocks by part.

        ``blocks(J)[("h", "c")]`` is ``dh_t/dc_{t-1}``.
        """
        N = self.state_size
        if not isinstance(matrix, sp.MatrixBase):
            matrix = as_float_array(matrix, "matrix")
        shape = matrix.shape
        if tuple(shape[-2:]) != (N, N):
            raise ShapeError(f"`matrix` must have shape (..., {N}, {N}) ({self._describe_state()}); "
                             f"got shape {tuple(shape)}.")
        offsets = np.cumsum([0] + [k for _, k in self.state_parts])
        out = {}
        for (a, _), ra, rb in zip(self.state_parts, offsets[:-1], offsets[1:]):
            for (b, _), ca, cb in zip(self.state_parts, offsets[:-1], offsets[1:]):
                if isinstance(matrix, sp.MatrixBase):
                    out[(a, b)] = sp.ImmutableMatrix(matrix[int(ra):int(rb), int(ca):int(cb)])
                else:
                    out[(a, b)] = matrix[..., ra:rb, ca:cb]
        return out

    def jacobian_blocks(self, *, max_size: int | None = None) -> dict[tuple[str, str], sp.ImmutableMatrix]:
        """:meth:`jacobian` cut into blocks: ``{("h", "c"): dh_t/dc_{t-1}, ...}``."""
        return self.blocks(self.jacobian(max_size=max_size))

    # -- numeric arguments ---------------------------------------------------------------
    def _require_numeric(self) -> None:
        if not self.is_numeric:
            names = ", ".join(map(str, self.parameters[:6]))
            raise InvalidArgumentError(
                f"this {type(self).__name__} has symbolic parameters ({names}); substitute values with "
                f"{type(self).__name__}.subs() before numeric work."
            )

    def _state_array(self, s: Any, name: str = "s") -> np.ndarray:
        arr = as_float_array(s, name)
        if arr.ndim == 0 or arr.shape[-1] != self.state_size:
            raise ShapeError(f"`{name}` must have shape (..., {self.state_size}) ({self._describe_state()}); "
                             f"got shape {arr.shape}.")
        return arr

    def _input_array(self, x: Any, name: str = "x") -> np.ndarray:
        if x is None:
            return np.zeros(self.m)
        arr = as_float_array(x, name, allow_empty=True)
        if arr.ndim == 0 or arr.shape[-1] != self.m:
            raise ShapeError(f"`{name}` must have shape (..., {self.m}) (m = {self.m} inputs); got shape {arr.shape}.")
        return arr

    # -- numerics ----------------------------------------------------------------------------
    def step(self, s: Any, x: Any = None) -> np.ndarray:
        """One numeric step ``F(s, x)``; ``s`` ``(..., state_size)`` and ``x`` ``(..., m)`` broadcast.

        ``x=None`` is the zero input.
        """
        self._require_numeric()
        S, X = self._state_array(s), self._input_array(x)
        with np.errstate(over="ignore"):
            return self._evaluate(S, X)

    def simulate(self, xs: Any = None, s0: Any = None, *, steps: int | None = None) -> np.ndarray:
        """Run the cell on inputs ``xs`` ``(T, ..., m)`` from ``s0``; returns ``(T + 1, ..., state_size)``.

        The first row is ``s0`` (default zeros).  ``xs=None`` runs ``steps``
        steps of zero input.  A cell with ``m = 1`` also takes ``xs`` of shape ``(T,)``.
        """
        self._require_numeric()
        if xs is None:
            if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
                raise InvalidArgumentError(f"`steps` must be an integer >= 0 when `xs` is None; got {steps!r}.")
            X = np.zeros((int(steps), self.m))
        else:
            X = as_float_array(xs, "xs", allow_empty=True)
            if X.ndim == 1 and self.m == 1:
                X = X[:, None]
            if X.ndim < 2 or X.shape[-1] != self.m:
                raise ShapeError(f"`xs` must have shape (T, ..., {self.m}); got shape {X.shape}.")
        S = np.zeros(X.shape[1:-1] + (self.state_size,)) if s0 is None else self._state_array(s0, "s0")
        out = [S]
        with np.errstate(over="ignore"):
            for x in X:
                S = self._evaluate(S, x)
                out.append(S)
        return np.stack(np.broadcast_arrays(*out))

    def numeric_jacobian(self, s: Any, x: Any = None, *, wrt: str = "state") -> np.ndarray:
        """``dF/ds`` ``(..., N, N)`` (or ``dF/dx`` ``(..., N, m)`` with ``wrt="input"``) at ``(s, x)``.

        Computed by forward-mode differentiation of the cell's own numeric
        step (or by the compiled symbolic Jacobian for a custom cell).
        """
        as_choice(wrt, "wrt", ("state", "input"))
        self._require_numeric()
        S, X = self._state_array(s), self._input_array(x)
        with np.errstate(over="ignore"):
            return self._differentiate(S, X, wrt)[1]

    def linearize(self, s: Any = None, x: Any = None) -> LinearRNN:
        """The linear RNN of small deviations at ``(s, x)``: ``A = dF/ds``, ``B = dF/dx``, ``C`` picks ``h``.

        Numbers for ``s`` (``(state_size,)``) and ``x`` (``(m,)``) on a
        numeric cell: the numeric Jacobians (any size).  Otherwise the
        symbolic Jacobians (:meth:`jacobian`, size-limited), with ``s`` and
        ``x`` substituted where given (``None`` keeps the symbols).
        """
        C = self.output_matrix
        numeric = self.is_numeric and s is not None and (x is not None or self.m == 0)
        if numeric and not _is_symbolic(s) and not _is_symbolic(x):
            S = self._state_array(s)
            X = self._input_array(x)
            if S.ndim != 1 or X.ndim != 1:
                raise ShapeError(f"`s` and `x` must be single points ({self.state_size},) and ({self.m},); "
                                 f"got shapes {S.shape} and {X.shape}.")
            with np.errstate(over="ignore"):
                A = self._differentiate(S, X, "state")[1]
                B = self._differentiate(S, X, "input")[1]
            return LinearRNN(A, B.reshape(self.state_size, self.m), C)
        mapping: dict[sp.Symbol, sp.Expr] = {}
        if s is not None:
            mapping.update(zip(self.state_symbols, as_matrix(s, "s", shape=(self.state_size, 1), vector=True)))
        if x is not None and self.m:
            mapping.update(zip(self.input_symbols, as_matrix(x, "x", shape=(self.m, 1), vector=True)))
        A, B = self.jacobian(), self.input_jacobian()
        return LinearRNN(A.xreplace(mapping), B.xreplace(mapping), C)

    # -- parts -------------------------------------------------------------------------------
    def split(self, s: Any) -> dict[str, np.ndarray]:
        """The parts of states ``s`` ``(..., state_size)``: ``{"h": (..., n), "c": (..., n)}``."""
        S = self._state_array(s)
        offsets = np.cumsum([0] + [k for _, k in self.state_parts])
        return {name: S[..., a:b] for (name, _), a, b in zip(self.state_parts, offsets[:-1], offsets[1:])}

    def join(self, parts: Mapping[str, Any]) -> np.ndarray:
        """The flat state from its parts (the inverse of :meth:`split`; every part is required)."""
        names = [name for name, _ in self.state_parts]
        if not isinstance(parts, Mapping) or set(parts) != set(names):
            got = sorted(map(repr, parts))[:8] if isinstance(parts, Mapping) else type(parts).__name__
            raise InvalidArgumentError(f"`parts` must be a mapping with the keys {names}; got {got}.")
        arrays = []
        for name, k in self.state_parts:
            arr = as_float_array(parts[name], name)
            if arr.ndim == 0 or arr.shape[-1] != k:
                raise ShapeError(f"`{name}` must have shape (..., {k}); got shape {arr.shape}.")
            arrays.append(arr)
        batch = np.broadcast_shapes(*[a.shape[:-1] for a in arrays])
        return np.concatenate([np.broadcast_to(a, batch + a.shape[-1:]) for a in arrays], axis=-1)

    # -- searches ------------------------------------------------------------------------------
    def slow_points(self, x: Any = None, **options: Any) -> "SlowPointResult":
        """Fixed and slow points under the constant input ``x``: :func:`~rnnsym.cells.slow_points.find_slow_points`."""
        return find_slow_points(self, x, **options)

    def fixed_points(self, x: Any = None, **options: Any) -> "tuple[CellPoint, ...]":
        """The fixed points :meth:`slow_points` certifies (each with its residual certificate)."""
        return self.slow_points(x, **options).fixed

    # -- presentation -----------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, m={self.m}, state_size={self.state_size})"

