"""A cell from the user's own SymPy expressions (or whitelisted strings): :func:`custom_cell`.

One expression per state variable, ``s_t[i] = expressions[i](s_{t-1},
x_t, theta)``; every free symbol that is neither a state nor an input is
a parameter (substitute values with :meth:`~rnnsym.cells.base.Cell.subs`).
Text is read only by rnnsym's whitelist parser
(:func:`rnnsym._parse.parse_expression`), never by ``sympify``: it may use
the names of the state, the inputs and the declared ``parameters``.

The numeric step, its Jacobians and the rounding bound of the step (a
first-order running error bound, derived symbolically from the expression
tree: :func:`rounding_error`) are compiled kernels
(:func:`rnnsym.kernel.compile`) of the symbolic objects.

Examples
--------
A multiplicative-integration RNN unit (Wu et al., 2016) in one line:

>>> import sympy as sp
>>> h, x, a, w, u = sp.symbols("h x a w u", real=True)
>>> cell = custom_cell([sp.tanh(a * (w * h) * (u * x) + w * h + u * x)], state=[h], inputs=[x])
>>> cell.parameters
(a, u, w)
>>> cell.jacobian()     # tanh' as the library writes it: sech**2
Matrix([[(a*u*w*x + w)*sech(a*h*u*w*x + h*w + u*x)**2]])
>>> cell.subs(a=1, w=0.5, u=1).step([0.0], [1.0]).round(6).tolist()
[0.761594]
>>> custom_cell(["tanh(2*h + x)"], state=["h"], inputs=["x"]).symbolic_step()
Matrix([[tanh(2*h + x)]])
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import sympy as sp

from rnnsym.activations import get_activation
from rnnsym.cells._ops import applied, unwrap
from rnnsym.cells.base import Cell
from rnnsym.errors import InvalidArgumentError, NonFiniteError, ShapeError
from rnnsym.kernel import compile as compile_kernel
from rnnsym._matrices import as_expr

__all__ = ["CustomCell", "custom_cell", "rounding_error"]

_TANH = get_activation("tanh")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)*\])?\Z")   # as the parser's names


def rounding_error(expr: sp.Expr, memo: dict[sp.Basic, sp.Expr] | None = None) -> sp.Expr:
    """A first-order bound on the float64 rounding error of evaluating ``expr``, in units of ``eps``.

    Running error analysis on the tree (inputs exact): a sum of ``k``
    terms adds ``(k - 1) sum |a_i|``, a product of ``k`` factors ``(k - 1)
    |prod|`` and propagates each factor's error times the others' moduli, any
    other function ``f(a_1, ...)`` propagates ``|df/da_i| E(a_i)`` and adds
    two ulps ``2 |f|`` (library functions are good to a few ulps).

    >>> a, b = sp.symbols("a b", real=True)
    >>> rounding_error(a * b + a)
    Abs(a) + 2*Abs(a*b)
    >>> rounding_error(sp.exp(a + b))
    (Abs(a) + Abs(b))*exp(a + b) + 2*exp(a + b)
    """
    memo = {} if memo is None else memo
    if expr in memo:
        return memo[expr]
    out: sp.Expr
    if expr.is_Atom or not expr.args:
        out = sp.S.Zero
    elif expr.is_Add:
        out = (sp.Add(*[rounding_error(a, memo) for a in expr.args])
               + (len(expr.args) - 1) * sp.Add(*[sp.Abs(a) for a in expr.args]))
    elif expr.is_Mul:
        moduli = [sp.Abs(a) for a in expr.args]
        out = sp.Add(*[rounding_error(a, memo) * sp.Mul(*moduli[:i], *moduli[i + 1:])
                       for i, a in enumerate(expr.args)]) + (len(expr.args) - 1) * sp.Abs(expr)
    elif isinstance(expr, sp.Piecewise):
        out = sp.Piecewise(*[(rounding_error(e, memo), c) for e, c in expr.args])
    else:
        terms: list[sp.Expr] = [2 * sp.Abs(expr)]
        for i, a in enumerate(expr.args):
            inherited = rounding_error(a, memo) if isinstance(a, sp.Expr) else sp.S.Zero
            if inherited == 0:
                continue
            d = sp.Dummy("d", real=True)
            partial = sp.diff(expr.func(*[d if j == i else b for j, b in enumerate(expr.args)]), d)
            terms.append(sp.Abs(partial.subs(d, a)) * inherited)
        out = sp.Add(*terms)
    out = out.replace(sp.DiracDelta, lambda *args: sp.S.Zero)   # derivatives of steps: zero almost everywhere
    memo[expr] = out
    return out


def _symbols(values: Any, name: str) -> list[sp.Symbol]:
    """State or input names: SymPy symbols, or strings (made real symbols) like ``h`` or ``h[0]``."""
    if isinstance(values, sp.MatrixBase):
        values = list(values)
    if isinstance(values, (str, sp.Basic)) or not isinstance(values, (list, tuple)):
        raise InvalidArgumentError(f"`{name}` must be a list of SymPy symbols or names; got "
                                   f"{type(values).__name__} {str(values)[:40]!r}.")
    out = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            if not _NAME.match(v):
                raise InvalidArgumentError(f"`{name}[{i}]` must be a name like h or h[0]; got {v[:40]!r}.")
            v = sp.Symbol(v, real=True)
        if not isinstance(v, sp.Symbol):
            raise InvalidArgumentError(f"`{name}[{i}]` must be a SymPy Symbol or a name; got {type(v).__name__} "
                                       f"{str(v)[:40]!r}.")
        out.append(v)
    if len(set(out)) != len(out):
        raise InvalidArgumentError(f"`{name}` lists a symbol twice: {[str(s) for s in out]}.")
    return out


class CustomCell(Cell):
    """A cell ``s_t = F(s_{t-1}, x_t; theta)`` from SymPy expressions; build it with :func:`custom_cell`."""

    kind = "custom"

    def __init__(self, expressions: Any, state: Any, inputs: Any = (), *, parameters: Any = (),
                 output: Any = None) -> None:
        states, ins, params = _symbols(state, "state"), _symbols(inputs, "inputs"), _symbols(parameters, "parameters")
        if not states:
            raise ShapeError("`state` must name at least one state variable; got none.")
        clash = set(states) & set(ins) | (set(states) | set(ins)) & set(params)
        if clash:
            raise InvalidArgumentError(f"`state`, `inputs` and `parameters` must be disjoint; "
                                       f"{sorted(map(str, clash))} appear twice.")
        if isinstance(expressions, sp.MatrixBase):
            expressions = list(expressions)
        if isinstance(expressions, (str, sp.Basic)) or not isinstance(expressions, (list, tuple)):
            raise InvalidArgumentError(f"`expressions` must be a list (one expression per state variable); "
                                       f"got {type(expressions).__name__}.")
        if len(expressions) != len(states):
            raise ShapeError(f"`expressions` must have one entry per state variable ({len(states)}); "
                             f"got {len(expressions)}.")
        names = {str(s): s for s in (*states, *ins, *params)}
        exprs = [as_expr(e, f"expressions[{i}]", names=names, parse=True) for i, e in enumerate(expressions)]
        for i, e in enumerate(exprs):
            if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                raise NonFiniteError(f"`expressions[{i}]` must be finite; got {e}.")
        self.expressions = sp.ImmutableMatrix(len(exprs), 1, exprs)
        self._declared = params
        rows = self._output_rows(output, states)
        super().__init__([("s", sp.ImmutableMatrix(states))], sp.ImmutableMatrix(len(ins), 1, ins), rows)

    @staticmethod
    def _output_rows(output: Any, states: list[sp.Symbol]) -> list[int]:
        if output is None:
            return list(range(len(states)))
        if isinstance(output, (str, sp.Basic)) or not isinstance(output, (list, tuple)):
            raise InvalidArgumentError(f"`output` must be a list of state symbols, names or indices; got "
                                       f"{type(output).__name__}.")
        lookup = {**{s: i for i, s in enumerate(states)}, **{str(s): i for i, s in enumerate(states)}}
        rows = []
        for v in output:
            if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < len(states):
                rows.append(int(v))
            elif isinstance(v, (str, sp.Symbol)) and v in lookup:
                rows.append(lookup[v])
            else:
                raise InvalidArgumentError(f"`output` entry {v!r} is not a state variable; the state is "
                                           f"{[str(s) for s in states]}.")
        return rows

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        known = set(self.state_symbols) | set(self.input_symbols)
        free = {s for e in self.expressions for s in e.free_symbols} - known
        return tuple(sorted(free, key=str))

    def _raw_step(self) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(self.expressions.replace(sp.tanh, applied(_TANH)))

    def _xreplace(self, values: dict[sp.Symbol, sp.Expr]) -> "CustomCell":
        return CustomCell(self.expressions.xreplace(values), list(self.state_symbols), list(self.input_symbols),
                          output=list(self._output),
                          parameters=[s for s in self._declared if s not in values])

    # -- compiled kernels ----------------------------------------------------------------
    def _args(self) -> list[sp.ImmutableMatrix]:
        return [self.state_symbols, self.input_symbols] if self.m else [self.state_symbols]

    def _kernel(self, key: str) -> Any:
        if key not in self._cache:
            if key == "F":
                expr = self.symbolic_step()
            elif key == "A":
                expr = self.jacobian(max_size=self.state_size)
            elif key == "B":
                expr = self.input_jacobian(max_size=self.state_size)
            else:
                memo: dict[sp.Basic, sp.Expr] = {}
                expr = unwrap(sp.ImmutableMatrix([rounding_error(e, memo) for e in self._held_step()]))
            self._cache[key] = compile_kernel(expr, self._args())
        return self._cache[key]

    def _call(self, key: str, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        values = (S, X) if self.m else (S,)
        with np.errstate(all="ignore"):
            return np.asarray(self._kernel(key)(*values), dtype=float)

    def _evaluate(self, S: np.ndarray, X: np.ndarray) -> np.ndarray:
        return self._call("F", S, X)[..., 0]

    def _differentiate(self, S: np.ndarray, X: np.ndarray, wrt: str) -> tuple[np.ndarray, np.ndarray]:
        F = self._evaluate(S, X)
        if wrt == "input" and not self.m:
            return F, np.zeros(F.shape + (0,))
        J = self._call("A" if wrt == "state" else "B", S, X)
        batch = F.shape[:-1]
        return F, np.broadcast_to(J, batch + J.shape[-2:]).copy()

    def _bounded(self, S: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        F = self._evaluate(S, X)
        E = self._call("E", S, X)[..., 0]
        return F, np.broadcast_to(E, F.shape).copy()


def custom_cell(expressions: Sequence[Any] | sp.MatrixBase, state: Any, inputs: Any = (), *,
                parameters: Any = (), output: Any = None) -> CustomCell:
    """A :class:`CustomCell` from one expression per state variable.

    Parameters
    ----------
    expressions : list of sympy.Expr or str
        ``s_t[i]`` in terms of the state ``s_{t-1}`` (the symbols of
        ``state``), the inputs and parameters.  Strings go through the
        whitelist parser and may use the names in ``state``, ``inputs`` and
        ``parameters``.
    state : list of sympy.Symbol or str
        The state variables ``s_{t-1}`` (names become real symbols).
    inputs : list of sympy.Symbol or str, optional
        The inputs ``x_t`` (none: an autonomous cell).
    parameters : list of sympy.Symbol or str, optional
        Parameter names that strings may use (SymPy expressions may use any
        symbol: every free symbol that is not a state or an input is a parameter).
    output : list, optional
        The state variables (symbols, names or indices) that form the output
        ``h`` (the ``C`` of :meth:`~rnnsym.cells.base.Cell.linearize`); default all.

    Raises
    ------
    InvalidArgumentError, ShapeError, NonFiniteError
        Wrong containers or counts, repeated or clashing names, infinite expressions.
    UnsafeExpressionError, ParseError
        Text beyond the whitelist, or text that does not parse.

    Examples
    --------
    >>> cell = custom_cell(["h + k*(x - h)"], state=["h"], inputs=["x"], parameters=["k"])
    >>> cell.parameters, cell.subs(k=0.5).step([0.0], [1.0]).tolist()
    ((k,), [0.5])
    >>> custom_cell(["__import__('os')"], state=["h"])
    Traceback (most recent call last):
    ...
    rnnsym.errors.UnsafeExpressionError: `expressions[0]` value "__import__('os')" is not allowed: ...
    """
    return CustomCell(expressions, state, inputs, parameters=parameters, output=output)
