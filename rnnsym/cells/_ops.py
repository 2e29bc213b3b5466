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

__all__ = ["Applied", "applied", "unwrap", "SymbolicOps", "NumericOps", "Dual", "TangentOps", "Bounded",
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


class Dual(NamedTuple):
    """A value ``v`` ``(..., k)`` with its derivative ``d`` ``(..., k, p)`` along ``p`` directions.

    ``seed = (offset, p)`` marks an input variable: ``d`` is the identity
    block at columns ``offset .. offset + k - 1`` (a broadcast view), which
    :meth:`TangentOps.lin` multiplies without a batched product.
    """

    v: np.ndarray
    d: np.ndarray
    seed: tuple[int, int] | None = None


class TangentOps:
    """Forward-mode differentiation: every value carries its Jacobian with respect to ``p`` seeds.

    Plain arrays are constants (their tangent is zero and never formed).
    """

    def __init__(self, p: int) -> None:
        self.p = p

    @staticmethod
    def seed(value: np.ndarray, offset: int, p: int) -> Dual:
        """``value`` ``(..., k)`` as the variables ``offset .. offset + k - 1`` of ``p``."""
        k = value.shape[-1]
        eye = np.zeros((k, p))
        eye[np.arange(k), offset + np.arange(k)] = 1.0
        return Dual(value, np.broadcast_to(eye, value.shape[:-1] + (k, p)), (offset, p))

    def lin(self, W: np.ndarray, a: Any) -> Any:
        if not isinstance(a, Dual):
            return a @ W.T
        if a.seed is not None:   # W times an identity block: W itself, placed at the seed's columns
            offset, p = a.seed
            block = np.zeros((W.shape[0], p))
            block[:, offset:offset + W.shape[1]] = W
            return Dual(a.v @ W.T, np.broadcast_to(block, a.v.shape[:-1] + block.shape))
        return Dual(a.v @ W.T, np.matmul(W, a.d))

    def add(self, *terms: Any) -> Any:
        value = reduce(np.add, [t.v if isinstance(t, Dual) else t for t in terms])
        tangents = [t.d for t in terms if isinstance(t, Dual)]
        return Dual(value, reduce(np.add, tangents)) if tangents else value

    def mul(self, a: Any, b: Any) -> Any:
        av, bv = (a.v if isinstance(a, Dual) else a), (b.v if isinstance(b, Dual) else b)
        tangents = []
        if isinstance(a, Dual):
            tangents.append(bv[..., None] * a.d)
        if isinstance(b, Dual):
            tangents.append(av[..., None] * b.d)
        return Dual(av * bv, reduce(np.add, tangents)) if tangents else av * bv

    def one_minus(self, a: Any) -> Any:
        return Dual(1.0 - a.v, -a.d) if isinstance(a, Dual) else 1.0 - a

    def scale(self, c: Any, a: Any) -> Any:
        c = float(c)
        return Dual(c * a.v, c * a.d) if isinstance(a, Dual) else c * a

    def act(self, activation: Any, a: Any) -> Any:
        if not isinstance(a, Dual):
            return activation.numpy_function(a)
        return Dual(activation.numpy_function(a.v), activation.numpy_derivative(a.v)[..., None] * a.d)

    def split(self, a: Any, k: int) -> list[Any]:
        if not isinstance(a, Dual):
            return np.split(a, k, axis=-1)
        return [Dual(v, d) for v, d in zip(np.split(a.v, k, axis=-1), np.split(a.d, k, axis=-2))]

    def join(self, parts: Sequence[Any]) -> Dual:
        values = _batch_broadcast([t.v if isinstance(t, Dual) else t for t in parts])
        batch = values[0].shape[:-1]
        tangents = [np.broadcast_to(t.d, batch + t.d.shape[-2:]) if isinstance(t, Dual)
                    else np.zeros(batch + (t.shape[-1], self.p)) for t in parts]
        return Dual(np.concatenate(values, axis=-1), np.concatenate(tangents, axis=-2))


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
