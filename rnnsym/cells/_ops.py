"""One set of cell equations, four readings: SymPy, NumPy values, forward-mode Jacobians, rounding bounds.

A built-in cell writes its equations once, as a function of an *ops* object
(``ops.lin(W, v)`` for ``W v``, ``ops.add``, ``ops.mul`` for ``⊙``,
``ops.one_minus``, ``ops.scale``, ``ops.act`` for an elementwise activation,
``ops.split`` for stacked gates).  Reading the same function with

* :class:`SymbolicOps` gives the SymPy step (the symbolic object), with
  each activation held as an :class:`Applied` function that SymPy
  differentiates by the activation's own derivative (:func:`unwrap` turns
  it into the plain expression);
* :class:`NumericOps` gives the NumPy step on batches ``(..., k)``;
* :class:`TangentOps` gives the step and its Jacobian by forward-mode
  differentiation (values ``(..., k)`` carry tangents ``(..., k, p)``;
  ``phi'`` is the activation's own derivative), so the numeric Jacobian is
  not a second formula typed in next to the first;
* :class:`BoundOps` gives the step and a first-order bound on its float64
  rounding error, in units of ``eps`` (Higham's running error analysis:
  ``k`` eps times ``|W||v|`` for a length-``k`` dot product, one rounding per
  sum, product and subtraction, two ulps per library function).

Examples
--------
>>> import numpy as np
>>> from rnnsym.activations import get_activation
>>> def equations(ops, h, W):
...     return ops.act(get_activation("tanh"), ops.lin(W, h))
>>> W = np.array([[0.5]])
>>> out = equations(TangentOps(1), TangentOps.seed(np.array([0.0]), 0, 1), W)
>>> out.v.tolist(), out.d.tolist()
([0.0], [[0.5]])
>>> held = equations(SymbolicOps(), sp.Matrix([sp.Symbol("h")]), sp.Matrix([[sp.Rational(1, 2)]]))
>>> unwrap(held), unwrap(held.diff(sp.Symbol("h")))
(Matrix([[tanh(h/2)]]), Matrix([[sech(h/2)**2/2]]))
"""

from __future__ import annotations

from functools import reduce
from typing import Any, NamedTuple, Sequence

import numpy as np
import sympy as sp

__all__ = ["Applied", "applied", "unwrap", "SymbolicOps", "NumericOps", "Block", "Dual", "TangentOps", "Bounded",
           "BoundOps"]


class Applied(sp.Function):
    """``phi(arg)`` held unevaluated, so that SymPy differentiates it with the activation's own derivative.

    SymPy would differentiate ``tanh`` to ``1 - tanh**2`` (every digit lost
    from ``|z| >= 19``) and the logistic ``1/(1 + exp(-z))`` to a quotient
    that overflows; the activation's ``derivative_expr`` (``sech(z)**2``,
    ``sech(z/2)**2/4``) is the package's one safe form.  :func:`unwrap`
    turns every held application into the activation's expression.
    """

    activation: Any = None

    @classmethod
    def eval(cls, arg: Any) -> None:
        return None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return self.activation.derivative(self.args[0])


_APPLIED: dict[tuple, type] = {}


def applied(activation: Any) -> type:
    """The :class:`Applied` subclass of one activation (one class per activation, cached)."""
    key = (activation.name, activation.expr, activation.derivative_expr)
    if key not in _APPLIED:
        _APPLIED[key] = type(f"phi_{activation.name}_{len(_APPLIED)}", (Applied,), {"activation": activation})
    return _APPLIED[key]


def unwrap(expr: Any) -> Any:
    """``expr`` with every held activation replaced by its SymPy form (matrices entry by entry)."""
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr.rows, expr.cols, [unwrap(e) for e in expr])
    return expr.replace(lambda e: isinstance(e, Applied), lambda e: e.activation(e.args[0]))


class SymbolicOps:
    """The equations on SymPy columns (weights are SymPy matrices)."""

    def lin(self, W: sp.MatrixBase, v: sp.MatrixBase) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(W * v)

    def add(self, *terms: sp.MatrixBase) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(reduce(lambda a, b: a + b, terms))

    def mul(self, a: sp.MatrixBase, b: sp.MatrixBase) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(a.multiply_elementwise(b))

    def one_minus(self, a: sp.MatrixBase) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(sp.ones(a.rows, 1) - a)

    def scale(self, c: Any, a: sp.MatrixBase) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(c * a)

    def act(self, activation: Any, a: sp.MatrixBase) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(a.applyfunc(applied(activation)))

    def split(self, v: sp.MatrixBase, k: int) -> list[sp.ImmutableMatrix]:
        rows = v.rows // k
        return [sp.ImmutableMatrix(v[i * rows:(i + 1) * rows, :]) for i in range(k)]

    def join(self, parts: Sequence[sp.MatrixBase]) -> sp.ImmutableMatrix:
        return sp.ImmutableMatrix(sp.Matrix.vstack(*parts))


class NumericOps:
    """The equations on float64 batches ``(..., k)`` (weights are arrays)."""

    def lin(self, W: np.ndarray, v: np.ndarray) -> np.ndarray:
        return v @ W.T

    def add(self, *terms: np.ndarray) -> np.ndarray:
        return reduce(np.add, terms)

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    def one_minus(self, a: np.ndarray) -> np.ndarray:
        return 1.0 - a

    def scale(self, c: Any, a: np.ndarray) -> np.ndarray:
        return float(c) * a

    def act(self, activation: Any, a: np.ndarray) -> np.ndarray:
        return activation.numpy_function(a)

    def split(self, v: np.ndarray, k: int) -> list[np.ndarray]:
        return np.split(v, k, axis=-1)

    def join(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(_batch_broadcast(parts), axis=-1)


class Block(NamedTuple):
    """Columns ``start .. start + width - 1`` of a tangent: ``diag(scale) @ base`` (rows ``k``).

    ``base`` ``(..., k, width)`` (often a weight matrix without batch
    dimensions), or None for the identity (a diagonal block, ``width = k``);
    ``scale`` ``(..., k)`` row factors, or None for ones.  Row scalings (``phi'``,
    ``⊙``) multiply ``scale`` and leave ``base`` alone, so a gate's tangent
    ``diag(sigma'(z)) W`` is never formed until it is summed with another.
    """

    start: int
    width: int
    scale: np.ndarray | None
    base: np.ndarray | None

    def scaled(self, s: Any) -> "Block":
        """``diag(s)`` times this block."""
        return self._replace(scale=s if self.scale is None else self.scale * s)

    def dense(self, k: int) -> np.ndarray:
        """The block as an array ``(..., k, width)`` (a fresh array unless it is a constant ``base``)."""
        base = np.eye(k) if self.base is None else self.base
        return base if self.scale is None else self.scale[..., None] * base


def _combine(blocks: Sequence[Block], k: int) -> tuple[Block, ...]:
    """A sum of blocks with the terms on the same columns and the same ``base`` (``is``; or both diagonal)
    made one, by adding their scales (nothing is formed)."""
    groups: dict[tuple[int, int, int], list[Block]] = {}
    for b in blocks:
        groups.setdefault((b.start, b.width, 0 if b.base is None else id(b.base)), []).append(b)
    out = []
    for same in groups.values():
        if len(same) == 1:
            out.append(same[0])
        else:
            scale = reduce(np.add, [np.ones(k) if b.scale is None else b.scale for b in same])
            out.append(same[0]._replace(scale=scale))
    return tuple(out)


class Dual(NamedTuple):
    """A value ``v`` ``(..., k)`` with its derivative along ``p`` directions: the sum of its :class:`Block` s.

    Blocks may share columns (terms of a sum, added when formed); columns
    outside every block are zero.  :attr:`d` forms the whole ``(..., k, p)`` array.
    """

    v: np.ndarray
    blocks: tuple[Block, ...]
    p: int

    @property
    def d(self) -> np.ndarray:
        """The derivative ``(..., k, p)`` (the array of a :meth:`TangentOps.join`, formed there; else a fresh one)."""
        k = self.v.shape[-1]
        (first, *rest) = self.blocks or (None,)
        if (first is not None and not rest and first.scale is None and first.base is not None
                and first.base.shape == self.v.shape + (self.p,)):
            return first.base
        out = np.zeros(_batch(self.v, self.blocks) + (k, self.p))
        _place(out, self.blocks, k)
        return out


def _batch(v: np.ndarray, blocks: Sequence[Block]) -> tuple[int, ...]:
    """The batch shape of a value ``v`` with its tangent blocks."""
    shapes = [v.shape[:-1]] + [b.scale.shape[:-1] for b in blocks if b.scale is not None]
    return np.broadcast_shapes(*shapes, *[b.base.shape[:-2] for b in blocks if b.base is not None])


def _place(out: np.ndarray, blocks: Sequence[Block], k: int) -> None:
    """Write the sum of ``blocks`` (``k`` rows) into ``out`` ``(..., k, p)``, which is zero on entry.

    The terms ``diag(s_t) W_t`` on the same columns with constant ``W_t`` (no
    batch dimensions: weights, the usual case) are summed by one batched
    product, row by row (``sum_t s_t[r] W_t[r, :]``); other dense terms are
    added one by one, diagonal blocks last.
    """
    batch = out.shape[:-2]
    by_columns: dict[tuple[int, int], list[Block]] = {}
    for b in blocks:
        if b.base is not None:
            by_columns.setdefault((b.start, b.width), []).append(b)
    for (start, width), group in by_columns.items():
        view = out[..., start:start + width]
        constant = [b for b in group if b.base.ndim == 2]   # type: ignore[union-attr]
        if len(constant) > 1:
            S = np.stack([np.broadcast_to(1.0 if b.scale is None else b.scale, batch + (k,)) for b in constant], -1)
            W = np.stack([b.base for b in constant], 0)   # type: ignore[misc]
            summed = np.matmul(S.reshape(-1, k, len(constant)).transpose(1, 0, 2), W.transpose(1, 0, 2))
            view += summed.transpose(1, 0, 2).reshape(batch + (k, width))
            group = [b for b in group if b.base.ndim != 2]   # type: ignore[union-attr]
        for b in group:
            view += b.dense(k)
    for b in blocks:
        if b.base is None:   # entries (r, start + r): a strided view (fancy indexing was 20 times slower)
            diagonal = np.lib.stride_tricks.as_strided(out[..., 0, b.start:], batch + (k,),
                                                       out.strides[:-2] + (out.strides[-2] + out.strides[-1],))
            diagonal += 1.0 if b.scale is None else b.scale


class TangentOps:
    """Forward-mode differentiation: every value carries its Jacobian with respect to ``p`` seeds.

    Plain arrays are constants (their tangent is zero and never formed).  A
    tangent is kept in column blocks (:class:`Block`): a seed is an identity
    block, ``W`` times it is ``W`` itself (no batch dimensions), an
    elementwise factor scales rows lazily, and only a sum of different
    blocks on the same columns is formed.  An LSTM's ``dc_t/dc_{t-1} =
    diag(f)`` stays a vector, its gates' ``dz/dh_{t-1}`` are
    ``diag(phi'(z)) W``, and the whole ``(..., N, N)`` array is formed once,
    by :meth:`join`.
    """

    def __init__(self, p: int) -> None:
        self.p = p

    @staticmethod
    def seed(value: np.ndarray, offset: int, p: int) -> Dual:
        """``value`` ``(..., k)`` as the variables ``offset .. offset + k - 1`` of ``p``."""
        return Dual(value, (Block(offset, value.shape[-1], None, None),), p)

    def lin(self, W: np.ndarray, a: Any) -> Any:
        if not isinstance(a, Dual):
            return a @ W.T
        blocks = []
        for b in a.blocks:
            Ws = W if b.scale is None else W * b.scale[..., None, :]   # W diag(scale)
            blocks.append(Block(b.start, b.width, None, Ws if b.base is None else np.matmul(Ws, b.base)))
        return Dual(a.v @ W.T, tuple(blocks), a.p)

    def add(self, *terms: Any) -> Any:
        value = reduce(np.add, [t.v if isinstance(t, Dual) else t for t in terms])
        duals = [t for t in terms if isinstance(t, Dual)]
        if not duals:
            return value
        if len(duals) == 1:
            return Dual(value, duals[0].blocks, duals[0].p)
        return Dual(value, _combine([b for t in duals for b in t.blocks], value.shape[-1]), self.p)

    def mul(self, a: Any, b: Any) -> Any:
        av, bv = (a.v if isinstance(a, Dual) else a), (b.v if isinstance(b, Dual) else b)
        value = av * bv
        if not isinstance(b, Dual):
            return Dual(value, tuple(t.scaled(bv) for t in a.blocks), a.p) if isinstance(a, Dual) else value
        if not isinstance(a, Dual):
            return Dual(value, tuple(t.scaled(av) for t in b.blocks), b.p)
        blocks = [t.scaled(bv) for t in a.blocks] + [t.scaled(av) for t in b.blocks]
        return Dual(value, _combine(blocks, value.shape[-1]), self.p)

    def one_minus(self, a: Any) -> Any:
        if not isinstance(a, Dual):
            return 1.0 - a
        return Dual(1.0 - a.v, tuple(t.scaled(np.full(a.v.shape[-1], -1.0)) for t in a.blocks), a.p)

    def scale(self, c: Any, a: Any) -> Any:
        c = float(c)
        if not isinstance(a, Dual):
            return c * a
        return Dual(c * a.v, tuple(t.scaled(np.full(a.v.shape[-1], c)) for t in a.blocks), a.p)

    def act(self, activation: Any, a: Any) -> Any:
        if not isinstance(a, Dual):
            return activation.numpy_function(a)
        slope = activation.numpy_derivative(a.v)
        return Dual(activation.numpy_function(a.v), tuple(t.scaled(slope) for t in a.blocks), a.p)

    def split(self, a: Any, k: int) -> list[Any]:
        if not isinstance(a, Dual):
            return np.split(a, k, axis=-1)
        rows = a.v.shape[-1] // k
        out = []
        for j, v in enumerate(np.split(a.v, k, axis=-1)):
            sl = slice(j * rows, (j + 1) * rows)
            blocks = []
            for b in a.blocks:
                scale = None if b.scale is None else b.scale[..., sl]
                if b.base is None:   # rows j*rows.. of a diagonal block: a diagonal block further right
                    blocks.append(Block(b.start + j * rows, rows, scale, None))
                else:
                    blocks.append(Block(b.start, b.width, scale, b.base[..., sl, :]))
            out.append(Dual(v, tuple(blocks), a.p))
        return out

    def join(self, parts: Sequence[Any]) -> Dual:
        """The parts stacked; the tangent formed here, once, as one dense block."""
        values = _batch_broadcast([t.v if isinstance(t, Dual) else t for t in parts])
        v = np.concatenate(values, axis=-1)
        duals = [t for t in parts if isinstance(t, Dual)]
        d = np.zeros(np.broadcast_shapes(v.shape[:-1], *[_batch(t.v, t.blocks) for t in duals])
                     + (v.shape[-1], self.p))
        row = 0
        for t, value in zip(parts, values):
            k = value.shape[-1]
            if isinstance(t, Dual):
                _place(d[..., row:row + k, :], t.blocks, k)
            row += k
        return Dual(v, (Block(0, self.p, None, d),), self.p)


class Bounded(NamedTuple):
    """A computed value ``v`` and a bound ``e`` on its rounding error, in units of ``eps``."""

    v: np.ndarray
    e: np.ndarray


def _batch_broadcast(arrays: Sequence[np.ndarray], core: int = 1) -> list[np.ndarray]:
    """Broadcast the batch dimensions (all but the last ``core``) of arrays whose core shapes differ."""
    batch = np.broadcast_shapes(*[a.shape[:a.ndim - core] for a in arrays])
    return [np.broadcast_to(a, batch + a.shape[a.ndim - core:]) for a in arrays]


def _bounded(a: Any) -> Bounded:
    return a if isinstance(a, Bounded) else Bounded(a, np.zeros_like(a))


class BoundOps:
    """Running error analysis (first order): each operation adds its own rounding to the inherited error."""

    def lin(self, W: np.ndarray, a: Any) -> Bounded:
        a = _bounded(a)
        absW = np.abs(W)
        return Bounded(a.v @ W.T, W.shape[1] * (np.abs(a.v) @ absW.T) + a.e @ absW.T)

    def add(self, *terms: Any) -> Bounded:
        ts = [_bounded(t) for t in terms]
        value = reduce(np.add, [t.v for t in ts])
        err = reduce(np.add, [t.e for t in ts]) + (len(ts) - 1) * reduce(np.add, [np.abs(t.v) for t in ts])
        return Bounded(value, err)

    def mul(self, a: Any, b: Any) -> Bounded:
        a, b = _bounded(a), _bounded(b)
        value = a.v * b.v
        return Bounded(value, np.abs(a.v) * b.e + np.abs(b.v) * a.e + np.abs(value))

    def one_minus(self, a: Any) -> Bounded:
        a = _bounded(a)
        value = 1.0 - a.v
        return Bounded(value, a.e + np.abs(value))

    def scale(self, c: Any, a: Any) -> Bounded:
        a, c = _bounded(a), float(c)
        value = c * a.v
        return Bounded(value, abs(c) * a.e + np.abs(value))

    def act(self, activation: Any, a: Any) -> Bounded:
        a = _bounded(a)
        value = activation.numpy_function(a.v)
        return Bounded(value, np.abs(activation.numpy_derivative(a.v)) * a.e + 2.0 * np.abs(value))

    def split(self, a: Any, k: int) -> list[Bounded]:
        a = _bounded(a)
        return [Bounded(v, e) for v, e in zip(np.split(a.v, k, axis=-1), np.split(a.e, k, axis=-1))]

    def join(self, parts: Sequence[Any]) -> Bounded:
        ts = [_bounded(t) for t in parts]
        return Bounded(np.concatenate(_batch_broadcast([t.v for t in ts]), axis=-1),
                       np.concatenate(_batch_broadcast([t.e for t in ts]), axis=-1))
