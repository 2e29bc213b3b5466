"""GRU and LSTM cells with PyTorch's exact equations, gate order and weight layout.

:class:`GRUCell` (gates r, z, n; ``weight_ih`` ``(3n, m)`` stacks ``W_ir;
W_iz; W_in``, ``weight_hh`` ``(3n, n)`` stacks ``W_hr; W_hz; W_hn``)::

    r  = sigma(W_ir x + b_ir + W_hr h + b_hr)
    z  = sigma(W_iz x + b_iz + W_hz h + b_hz)
    n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
    h' = (1 - z) * n + z * h

``z`` is the gate that keeps memory (``z -> 1``: ``h' -> h``), and ``b_hn``
sits inside the reset product: ``b_in`` and ``b_hn`` are not one bias
(unlike the ``nn.RNN`` rule, where only the sum of the two biases matters).

:class:`LSTMCell` (gates i, f, g, o; ``(4n, m)`` and ``(4n, n)``), state
``(h, c)``, ``h`` first::

    i = sigma(W_ii x + b_ii + W_hi h + b_hi)      f, o likewise
    g = tanh(W_ig x + b_ig + W_hg h + b_hg)
    c' = f * c + i * g
    h' = o * tanh(c')

Both take PyTorch's arrays directly (``GRUCell(weight_ih, weight_hh,
bias_ih, bias_hh)``, the attributes of ``nn.GRUCell``) or a state dict
(:meth:`GatedCell.from_state_dict`: ``weight_ih_l0``, ... of ``nn.GRU`` /
``nn.LSTM``, any layer and direction); numbers, arrays (a ``torch`` CPU
tensor converts itself) or SymPy matrices.

Examples
--------
>>> import numpy as np
>>> cell = GRUCell.symbolic(n=1, m=1)
>>> cell.symbolic_step()[0].has(cell.gate_weights("n")[3][0])   # b_hn inside the reset product
True
>>> W = np.zeros((3, 1)); b = np.array([0.0, 30.0, 0.0])    # z-bias 30: the unit keeps its state
>>> GRUCell(W, W, b, np.zeros(3)).step([0.7], [1.0]).round(9).tolist()
[0.7]
"""

from typing import Any, Mapping, NamedTuple, TypeVar

import numpy as np
import sympy as sp

from rnnsym.activations import get_activation
from rnnsym.cells._equation import EquationCell, parameter
from rnnsym.cells._ops import SymbolicOps
from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym._matrices import matrix_symbols, vector_symbols

__all__ = ["GatedCell", "GRUCell", "LSTMCell", "NamedVector"]

_SIGMOID = get_activation("sigmoid")
_TANH = get_activation("tanh")
_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
_Gated = TypeVar("_Gated", bound="GatedCell")


class NamedVector(NamedTuple):
    """One activation applied inside a step, named: ``symbols = activation(argument)`` (columns of ``n``).

    ``argument`` is written in the state, input and parameter symbols and the
    symbols of the named vectors computed before it (:meth:`GatedCell.named_step`).
    """

    name: str
    symbols: sp.ImmutableMatrix
    activation: Any
    argument: sp.ImmutableMatrix


class _NamingOps(SymbolicOps):
    """The symbolic reading with each activation application replaced by a column of named symbols."""

    def __init__(self, names: tuple[tuple[str, str, str], ...]) -> None:
        self.names = names
        self.found: list[NamedVector] = []

    def act(self, activation: Any, a: sp.MatrixBase) -> sp.ImmutableMatrix:
        name, base, tex = self.names[len(self.found)]
        syms = vector_symbols(base, a.rows, tex)
        self.found.append(NamedVector(name, syms, activation, sp.ImmutableMatrix(a)))
        return syms


class GatedCell(EquationCell):
    """What :class:`GRUCell` and :class:`LSTMCell` share: PyTorch's stacked weights and their reading."""

    #: The gate letters in PyTorch's stacking order.
    gates: str = ""
    #: The PyTorch module these weights come from.
    torch_name: str = ""
    #: Symbolic Jacobians of numeric GRUs took 2.5 s at n = 8, 15 s at 16 and 165 s at 32 (a loaded
    #: 2-core machine); numeric_jacobian() has no limit.
    max_symbolic_size: int = 16

    def __init__(self, weight_ih: Any, weight_hh: Any, bias_ih: Any = None, bias_hh: Any = None) -> None:
        self._setup((weight_ih, weight_hh, bias_ih, bias_hh), _KEYS)

    def _setup(self, values: tuple[Any, ...], names: tuple[str, ...]) -> None:
        G, gates = len(self.gates), ", ".join(self.gates)
        w_ih, w_hh = parameter(values[0], names[0]), parameter(values[1], names[1])
        rows, cols = w_ih.shape[0], w_hh.shape[1]
        other, G2 = ("LSTMCell", 4) if G == 3 else ("GRUCell", 3)
        hint = (f" These fit {other} ({G2}n rows)."
                if w_hh.shape[0] == rows == G2 * cols and cols else "")
        if rows == 0 or rows % G:
            raise ShapeError(f"`{names[0]}` must have {G}n rows (the gates {gates} stacked, n >= 1 rows each); "
                             f"got shape {tuple(w_ih.shape)}.{hint}")
        n = rows // G
        if tuple(w_hh.shape) != (G * n, n):
            raise ShapeError(f"`{names[1]}` must have shape ({G * n}, {n}) ({G}n x n: the recurrent weights of the "
                             f"gates {gates} stacked, n = {n} from `{names[0]}`); got shape {tuple(w_hh.shape)}.{hint}")
        biases = []
        for value, name in zip(values[2:], names[2:]):
            biases.append(parameter(value if value is not None else [0.0] * (G * n), name, rows=G * n,
                                    vector=True, hint=f"One bias per gate row ({gates}; n = {n} each)."))
        self._weights = {"weight_ih": w_ih, "weight_hh": w_hh, "bias_ih": biases[0], "bias_hh": biases[1]}
        h = vector_symbols("h_prev", n, "h_{{t-1,{i}}}")
        parts = [("h", h)] if G == 3 else [("h", h), ("c", vector_symbols("c_prev", n, "c_{{t-1,{i}}}"))]
        super().__init__(parts, vector_symbols("x", w_ih.shape[1], "x_{{t,{i}}}"), range(n))

    @classmethod
    def symbolic(cls: type[_Gated], n: int, m: int = 1, *, bias: bool = True) -> _Gated:
        """A cell whose weights are generated symbols ``W_i<gate>[i,j]``, ``W_h<gate>``, ``b_i<gate>``, ``b_h<gate>``.

        >>> GRUCell.symbolic(1, 1).parameters[:3]
        (W_ir[0,0], W_iz[0,0], W_in[0,0])
        """
        for label, value, low in (("n", n, 1), ("m", m, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidArgumentError(f"`{label}` must be an integer >= {low}; got {value!r:.40}.")
        if not isinstance(bias, (bool, np.bool_)):
            raise InvalidArgumentError(f"`bias` must be True or False; got {type(bias).__name__}.")
        w_ih = sp.Matrix.vstack(*[matrix_symbols(f"W_i{g}", n, m) for g in cls.gates])
        w_hh = sp.Matrix.vstack(*[matrix_symbols(f"W_h{g}", n, n) for g in cls.gates])
        if bias:
            b_ih = sp.Matrix.vstack(*[vector_symbols(f"b_i{g}", n) for g in cls.gates])
            b_hh = sp.Matrix.vstack(*[vector_symbols(f"b_h{g}", n) for g in cls.gates])
        else:
            b_ih = b_hh = sp.zeros(len(cls.gates) * n, 1)
        return cls(sp.ImmutableMatrix(w_ih), sp.ImmutableMatrix(w_hh), sp.ImmutableMatrix(b_ih),
                   sp.ImmutableMatrix(b_hh))

    @classmethod
    def from_state_dict(cls: type[_Gated], state_dict: Mapping[str, Any], *, layer: int = 0,
                        reverse: bool = False, prefix: str = "") -> _Gated:
        """The cell of one layer and direction of a PyTorch ``nn.GRU`` / ``nn.LSTM`` state dict.

        Reads ``{prefix}weight_ih_l{layer}[_reverse]``, ``weight_hh_...`` and,
        if present (both or neither), ``bias_ih_...``, ``bias_hh_...``; the
        keys of a single ``nn.GRUCell`` / ``nn.LSTMCell`` (``weight_ih``, ...)
        are read for layer 0 forward.  A mapping from ``numpy.load`` of an
        ``.npz`` works as it is.  Missing or partial keys raise
        :class:`~rnnsym.errors.InvalidArgumentError` naming what was found.

        >>> import numpy as np
        >>> sd = {"weight_ih_l0": np.ones((6, 1)), "weight_hh_l0": np.ones((6, 2))}
        >>> GRUCell.from_state_dict(sd)
        GRUCell(n=2, m=1, state_size=2)
        >>> GRUCell.from_state_dict(sd, layer=1)
        Traceback (most recent call last):
        ...
        rnnsym.errors.InvalidArgumentError: `state_dict` has no `weight_ih_l1` for layer 1 of an nn.GRU; found the keys weight_ih_l0, weight_hh_l0.
        """
        if not isinstance(state_dict, Mapping) and not hasattr(state_dict, "keys"):
            raise InvalidArgumentError(f"`state_dict` must be a mapping of names to arrays; got "
                                       f"{type(state_dict).__name__}.")
        if not isinstance(layer, int) or isinstance(layer, bool) or layer < 0:
            raise InvalidArgumentError(f"`layer` must be an integer >= 0; got {layer!r}.")
        if not isinstance(prefix, str):
            raise InvalidArgumentError(f"`prefix` must be a string; got {type(prefix).__name__}.")
        if not isinstance(reverse, (bool, np.bool_)):
            raise InvalidArgumentError(f"`reverse` must be True or False; got {type(reverse).__name__}.")
        keys = [str(k) for k in state_dict.keys()]
        suffix = f"_l{layer}" + ("_reverse" if reverse else "")
        names = tuple(f"{prefix}{k}{suffix}" for k in _KEYS)
        if names[0] not in keys and layer == 0 and not reverse and f"{prefix}weight_ih" in keys:
            names = tuple(f"{prefix}{k}" for k in _KEYS)   # nn.GRUCell / nn.LSTMCell
        found = ", ".join(keys[:12]) + (f", ... ({len(keys)} keys)" if len(keys) > 12 else "") or "none"
        where = f"layer {layer}{' (reverse)' if reverse else ''} of an {cls.torch_name}"
        for name in names[:2]:
            if name not in keys:
                raise InvalidArgumentError(f"`state_dict` has no `{name}` for {where}; found the keys {found}.")
        if cls.gates == "ifgo" and f"{prefix}weight_hr{suffix}" in keys:
            raise InvalidArgumentError(f"`state_dict` has `{prefix}weight_hr{suffix}`: an nn.LSTM with proj_size > 0, "
                                       "which LSTMCell does not support.")
        present = [name in keys for name in names[2:]]
        if present[0] != present[1]:
            have, lack = (names[2], names[3]) if present[0] else (names[3], names[2])
            raise InvalidArgumentError(f"`state_dict` has `{have}` but not `{lack}` for {where}; PyTorch stores both "
                                       "biases or neither (bias=False).")
        values = tuple(state_dict[name] if name in keys else None for name in names)
        cell = cls.__new__(cls)
        cell._setup(values, names)
        return cell

    def gate_weights(self, gate: str) -> tuple[Any, Any, Any, Any]:
        """``(W_i<gate>, W_h<gate>, b_i<gate>, b_h<gate>)``: one gate's rows of the stacked weights.

        >>> import numpy as np
        >>> cell = GRUCell(np.zeros((3, 1)), np.zeros((3, 1)), [1.0, 2.0, 3.0])
        >>> cell.gate_weights("z")[2].tolist()
        [2.0]
        """
        if not isinstance(gate, str) or len(gate) != 1 or gate not in self.gates:
            raise InvalidArgumentError(f"`gate` must be one of {', '.join(self.gates)}; got {gate!r}.")
        k, n = self.gates.index(gate), self.n
        rows = slice(k * n, (k + 1) * n)
        return tuple(w[rows, :] if isinstance(w, sp.MatrixBase) else w[rows]   # type: ignore[return-value]
                     for w in (self._weights[key] for key in _KEYS))

    #: ``(name, symbol name, LaTeX of entry i)`` of each activation application, in the order of the step.
    named_vectors: tuple[tuple[str, str, str], ...] = ()

    def named_step(self) -> tuple[sp.ImmutableMatrix, tuple[NamedVector, ...]]:
        """The step written in named gate vectors: ``(F, vectors)``.

        ``F`` is :meth:`symbolic_step` with every activation application
        replaced by the symbols of a :class:`NamedVector` (``f_t[i]`` for the
        LSTM's forget gate), in the order the step computes them; substituting
        each vector's ``activation(argument)`` back, last first, gives
        :meth:`symbolic_step`.  The chain rule through these vectors is the
        Jacobian in block form.

        >>> F, vectors = LSTMCell.symbolic(1, 1).named_step()
        >>> [v.name for v in vectors], F[1]
        (['i', 'f', 'g', 'o', 'tanh(c)'], c_prev[0]*f_t[0] + g_t[0]*i_t[0])
        >>> vectors[4].argument[0] == F[1]   # h_t = o_t tanh(c_t)
        True
        """
        if "named_step" not in self._cache:
            ops = _NamingOps(self.named_vectors)
            parts = [sp.ImmutableMatrix(self.state_symbols[sl.start:sl.stop, :]) for sl in self._slices()]
            F = ops.join(self._equations(ops, parts, self.input_symbols, self._symbolic_parameters()))
            self._cache["named_step"] = (F, tuple(ops.found))
        return self._cache["named_step"]

    def _xreplace(self, values: dict[sp.Symbol, sp.Expr]) -> "GatedCell":
        return type(self)(*[w.xreplace(values) if isinstance(w, sp.MatrixBase) else w
                            for w in (self._weights[key] for key in _KEYS)])

    @property
    def stacked_weights(self) -> tuple[Any, Any, Any, Any]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` as stored (float arrays or SymPy matrices)."""
        return tuple(self._weights[key] for key in _KEYS)  # type: ignore[return-value]


class GRUCell(GatedCell):
    """PyTorch's GRU cell (gates r, z, n); see the module docstring for the equations.

    Parameters
    ----------
    weight_ih : array_like or sympy.Matrix, shape (3n, m)
        ``W_ir; W_iz; W_in`` stacked.
    weight_hh : array_like or sympy.Matrix, shape (3n, n)
        ``W_hr; W_hz; W_hn`` stacked.
    bias_ih, bias_hh : array_like, shape (3n,), optional
        ``b_ir; b_iz; b_in`` and ``b_hr; b_hz; b_hn`` (default zeros).
    """

    kind = "gru"
    gates = "rzn"
    torch_name = "nn.GRU"
    named_vectors = tuple((g, f"{g}_t", f"{g}_{{{{t,{{i}}}}}}") for g in "rzn")

    @property
    def state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``h`` in ``[-1, 1]``: ``h' = (1 - z) n + z h`` blends ``n = tanh(...)`` and ``h``."""
        return np.full(self.n, -1.0), np.full(self.n, 1.0)

    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        (h,) = parts
        i_r, i_z, i_n = ops.split(ops.add(ops.lin(P["weight_ih"], x), P["bias_ih"]), 3)
        h_r, h_z, h_n = ops.split(ops.add(ops.lin(P["weight_hh"], h), P["bias_hh"]), 3)
        r = ops.act(_SIGMOID, ops.add(i_r, h_r))
        z = ops.act(_SIGMOID, ops.add(i_z, h_z))
        n = ops.act(_TANH, ops.add(i_n, ops.mul(r, h_n)))
        return [ops.add(ops.mul(ops.one_minus(z), n), ops.mul(z, h))]


class LSTMCell(GatedCell):
    """PyTorch's LSTM cell (gates i, f, g, o), state ``(h, c)``; see the module docstring.

    Parameters
    ----------
    weight_ih : array_like or sympy.Matrix, shape (4n, m)
        ``W_ii; W_if; W_ig; W_io`` stacked.
    weight_hh : array_like or sympy.Matrix, shape (4n, n)
        ``W_hi; W_hf; W_hg; W_ho`` stacked.
    bias_ih, bias_hh : array_like, shape (4n,), optional
        Default zeros (only their sum matters here, as in PyTorch's LSTM).
    """

    kind = "lstm"
    gates = "ifgo"
    torch_name = "nn.LSTM"
    named_vectors = (*((g, f"{g}_t", f"{g}_{{{{t,{{i}}}}}}") for g in "ifgo"),
                     ("tanh(c)", "tanh_c_t", r"\tanh(c_{{t,{i}}})"))

    @property
    def state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``h = o tanh(c)`` in ``[-1, 1]``; ``c`` unbounded (``c* = i g / (1 - f)``, bounded once ``h`` is)."""
        inf = np.full(self.n, np.inf)
        return np.concatenate([np.full(self.n, -1.0), -inf]), np.concatenate([np.full(self.n, 1.0), inf])

    def _equations(self, ops: Any, parts: list[Any], x: Any, P: dict[str, Any]) -> list[Any]:
        h, c = parts
        pre = ops.add(ops.lin(P["weight_ih"], x), P["bias_ih"], ops.lin(P["weight_hh"], h), P["bias_hh"])
        i, f, g, o = ops.split(pre, 4)
        i, f, g, o = ops.act(_SIGMOID, i), ops.act(_SIGMOID, f), ops.act(_TANH, g), ops.act(_SIGMOID, o)
        c_new = ops.add(ops.mul(f, c), ops.mul(i, g))
        return [ops.mul(o, ops.act(_TANH, c_new)), c_new]

