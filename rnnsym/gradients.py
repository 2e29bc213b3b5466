"""Gradients through time: the Jacobian product, its norm, its Lyapunov exponents.

The chain rule through ``T - k`` steps of ``h_t = phi(a_t)`` gives

    dh_T/dh_k = D_T W_h D_{T-1} W_h ... D_{k+1} W_h,   D_t = diag(phi'(a_t)),

with the *latest* factor on the left.  (The chapter's displayed
``prod W_h^T D_t`` is the transpose of this product in the opposite order,
correction C11; it is what back-propagation multiplies by.)  This module gives
the product

* symbolically: unevaluated for a symbolic horizon (:func:`gradient_product`,
  an :class:`OrderedProduct`), written out for a small horizon
  (:func:`gradient_product` with an integer, :func:`chain_product`,
  :func:`trajectory_jacobian_product`), and the backward recursion of the
  gradients (:func:`backward_recursion`, :func:`backpropagate`);
* numerically along a trajectory of any length: the Jacobians come from a
  compiled kernel of ``RNN.jacobian()`` evaluated for all time steps at
  once, and :func:`product_log_norms` accumulates their product through QR
  re-orthonormalisation, so ``log ||dh_T/dh_k||_2`` and the Lyapunov
  spectrum stay finite for ``T = 10**4`` and beyond (:func:`gradient_norms`,
  :func:`lyapunov_spectrum`);
* bounded: ``||dh_T/dh_k||_2 <= (c ||W_h||_2)**(T-k)`` with
  ``c = sup|phi'|`` (correction C12; :func:`bound_factor`, :func:`norm_bound`).
  ``c ||W_h||_2 < 1`` certifies vanishing gradients; ``> 1`` is only
  necessary for explosion.

Examples
--------
>>> import numpy as np
>>> import rnnsym as rs
>>> from rnnsym.gradients import gradient_product, gradient_norms
>>> gradient_product(3)
D_{k + 3}*W_h*D_{k + 2}*W_h*D_{k + 1}*W_h
>>> net = rs.RNN([[0.5, 0], [0, 0.25]], activation="identity")
>>> g = gradient_norms(net, [[0.0]] * 10_000)
>>> bool(np.isclose(g.log_norms[-1] / 10_000, np.log(0.5), rtol=1e-12, atol=0))
True
>>> bool(np.isclose(g.lyapunov[0], np.log(0.5), atol=1e-3))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import sympy as sp

from rnnsym.errors import InvalidArgumentError, NonFiniteError, ResourceLimitError, ShapeError
from rnnsym.kernel import Kernel, compile as compile_kernel
from rnnsym._qr_stream import generic_frame, stream_qr
from rnnsym.latex import Symbol, register_symbol
from rnnsym._matrices import (as_expr, as_float_array, as_int, as_matrix, as_symbol, as_tolerance,
                              check_square)
from rnnsym.model import RNN

__all__ = [
    "DiagonalFactor", "OrderedProduct", "gradient_product", "diagonal_symbols", "chain_product",
    "trajectory_jacobian_product", "backward_recursion", "jacobian_kernel",
    "trajectory_jacobians", "product_log_norms", "lyapunov_spectrum", "lyapunov_exponents",
    "LyapunovEstimate", "GradientNorms",
    "gradient_norms", "backpropagate", "bound_factor", "norm_bound", "lag", "MAX_SYMBOLIC_HORIZON",
]

#: Longest horizon written out symbolically; longer ones take the numeric path.
MAX_SYMBOLIC_HORIZON = 12
#: Most monomials per entry of a written-out product with symbolic entries.
MAX_SYMBOLIC_TERMS = 4096

T = sp.Symbol("T", integer=True)
k = sp.Symbol("k", integer=True)
t = sp.Symbol("t", integer=True)
n_sym = sp.Symbol("n", integer=True, positive=True)
W_h = sp.MatrixSymbol("W_h", n_sym, n_sym)
register_symbol(sp.Symbol("W_h"), "W_h")


class DiagonalFactor(sp.MatrixExpr):
    """``D_t = diag(phi'(a_t))`` as a matrix expression indexed by a time ``t``.

    It is diagonal, hence its own transpose.

    >>> D = DiagonalFactor(k + 1)
    >>> D, D.T
    (D_{k + 1}, D_{k + 1})
    """

    def __new__(cls, time: Any, size: Any = n_sym) -> "DiagonalFactor":
        # numbers and SymPy expressions only: sympify would evaluate strings (also nested ones)
        return sp.Basic.__new__(cls, as_expr(time, "time"), as_expr(size, "size"))

    @property
    def time(self) -> sp.Expr:
        return self.args[0]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (self.args[1], self.args[1])

    def _eval_transpose(self) -> "DiagonalFactor":
        return self

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sp.Expr:
        return sp.KroneckerDelta(i, j) * sp.Indexed(sp.IndexedBase(f"d_{self.time}"), i)

    def _latex(self, printer: Any) -> str:
        return f"D_{{{printer._print(self.time)}}}"

    def _sympystr(self, printer: Any) -> str:
        return f"D_{{{printer._print(self.time)}}}"


class OrderedProduct(sp.Basic):
    """An unevaluated product of non-commuting matrix factors ``term(t)``.

    ``OrderedProduct(term, (t, lower, upper))`` is ``term(upper) ... term(lower)``
    (latest factor on the left); with ``later_left=False`` the order is
    reversed, as for the transpose.  :meth:`explicit` writes it out when
    ``upper - lower`` is a known integer.

    >>> p = gradient_product()
    >>> p.subs(T, k + 2).explicit()
    D_{k + 2}*W_h*D_{k + 1}*W_h
    >>> p.transpose().subs(T, k + 2).explicit()
    W_h.T*D_{k + 1}*W_h.T*D_{k + 2}
    """

    def __new__(cls, term: Any, limits: Sequence[Any], later_left: Any = True) -> "OrderedProduct":
        if not isinstance(term, sp.Basic):
            raise InvalidArgumentError(f"`term` must be a SymPy (matrix) expression; got {type(term).__name__}.")
        if not isinstance(limits, (tuple, list, sp.Tuple)) or len(limits) != 3:
            raise InvalidArgumentError(f"`limits` must be (variable, lower, upper); got {str(limits)[:60]!r}.")
        if not isinstance(later_left, (bool, np.bool_, sp.logic.boolalg.BooleanAtom)):
            raise InvalidArgumentError(f"`later_left` must be True or False; got {str(later_left)[:40]!r}.")
        var, lower, upper = as_symbol(limits[0], "limits[0]"), as_expr(limits[1], "limits[1]"), \
            as_expr(limits[2], "limits[2]")
        return sp.Basic.__new__(cls, term, sp.Tuple(var, lower, upper), sp.true if later_left else sp.false)

    term = property(lambda self: self.args[0])
    limits = property(lambda self: tuple(self.args[1]))
    later_left = property(lambda self: bool(self.args[2]))

    @property
    def free_symbols(self) -> set:
        var, lower, upper = self.limits
        return (self.term.free_symbols - {var}) | lower.free_symbols | upper.free_symbols

    def factors(self) -> list[sp.Basic]:
        """The factors, left to right; needs ``upper - lower`` to be an integer."""
        var, lower, upper = self.limits
        count = sp.simplify(upper - lower + 1)
        if not count.is_Integer:
            raise InvalidArgumentError(
                f"the product over `{var}` from {lower} to {upper} has no known length; "
                "substitute the horizon first (e.g. `.subs(T, k + 3)`)."
            )
        if count < 0:
            raise InvalidArgumentError(f"`T - k` must be >= 0; got {count}.")
        times = [upper - j for j in range(int(count))]
        if not self.later_left:
            times.reverse()
        return [self.term.xreplace({var: time}) for time in times]

    def explicit(self) -> sp.Basic:
        """The product written out as a ``MatMul`` (``Identity`` when empty)."""
        factors = self.factors()
        if not factors:
            return sp.Identity(self.term.shape[0])
        pieces = [a for f in factors for a in (f.args if isinstance(f, sp.MatMul) else (f,))]
        return sp.MatMul(*pieces, evaluate=False) if len(pieces) > 1 else pieces[0]

    def transpose(self) -> "OrderedProduct":
        """``(A_T ... A_{k+1})^T = A_{k+1}^T ... A_T^T``."""
        return OrderedProduct(self.term.T, self.limits, not self.later_left)

    def _latex(self, printer: Any) -> str:
        var, lower, upper = self.limits
        arrow = r"\overleftarrow" if self.later_left else r"\overrightarrow"
        return (f"{arrow}{{\\prod_{{{printer._print(var)}={printer._print(lower)}}}"
                f"^{{{printer._print(upper)}}}}} {printer._print(self.term)}")

    def _sympystr(self, printer: Any) -> str:
        var, lower, upper = self.limits
        order = "latest left" if self.later_left else "earliest left"
        return f"OrderedProduct({printer._print(self.term)}, ({var}, {lower}, {upper}), {order})"


def _horizon(value: Any, name: str = "horizon") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"`{name}` must be an integer (T - k); got {value!r}.")
    if value < 0:
        raise InvalidArgumentError(f"`{name}` = T - k must be >= 0 (T >= k); got {value}.")
    return int(value)


def lag(T_: int, k_: int) -> int:
    """``T - k`` for integer times, refusing ``T < k``.

    >>> lag(5, 2)
    3
    >>> lag(2, 5)
    Traceback (most recent call last):
    ...
    rnnsym.errors.InvalidArgumentError: `T` must be >= `k`; got T=2, k=5. dh_T/dh_k needs T >= k.
    """
    for name, value in (("T", T_), ("k", k_)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InvalidArgumentError(f"`{name}` must be an integer; got {value!r}.")
    if T_ < k_:
        raise InvalidArgumentError(f"`T` must be >= `k`; got T={T_}, k={k_}. dh_T/dh_k needs T >= k.")
    return int(T_ - k_)


def gradient_product(horizon: int | None = None) -> sp.Basic:
    """``dh_T/dh_k`` in matrix symbols: unevaluated, or written out for ``T = k + horizon``.

    >>> gradient_product()
    OrderedProduct(D_{t}*W_h, (t, k + 1, T), latest left)
    >>> gradient_product(0)
    I
    """
    product = OrderedProduct(sp.MatMul(DiagonalFactor(t), W_h), (t, k + 1, T))
    if horizon is None:
        return product
    _check_symbolic_horizon(_horizon(horizon), 1)
    return product.xreplace({T: k + horizon}).explicit()


def _check_symbolic_horizon(horizon: int, n: int) -> None:
    if horizon > MAX_SYMBOLIC_HORIZON or n ** max(horizon - 1, 0) > MAX_SYMBOLIC_TERMS:
        raise ResourceLimitError(
            f"`horizon`={horizon} is too long for a symbolic product of {n}x{n} factors "
            f"(limit {MAX_SYMBOLIC_HORIZON} and n**(horizon-1) <= {MAX_SYMBOLIC_TERMS}); "
            "use rnnsym.gradients.gradient_norms() for long horizons."
        )


def diagonal_symbols(n: int, horizon: int) -> list[sp.ImmutableMatrix]:
    """``D_{k+1}, ..., D_{k+horizon}`` as diagonal matrices of symbols ``D_j[i]``.

    ``D_j[i]`` is entry ``i`` of ``D_{k+j}`` (printed ``(D_{k+j})_i``).

    >>> diagonal_symbols(2, 1)[0]
    Matrix([
    [D_1[0],      0],
    [     0, D_1[1]]])
    """
    horizon = _horizon(horizon)
    n = _horizon(n, "n")
    out = []
    for j in range(1, horizon + 1):
        entries = [register_symbol(Symbol(f"D_{j}[{i}]", real=True), f"\\left(D_{{k+{j}}}\\right)_{{{i}}}")
                   for i in range(n)]
        out.append(sp.ImmutableMatrix(sp.diag(*entries)))
    return out


def chain_product(W: Any, diagonals: Sequence[Any]) -> sp.ImmutableMatrix:
    """``D_T W ... D_{k+1} W`` for ``diagonals = [D_{k+1}, ..., D_T]`` (oldest first).

    Each diagonal may be a square matrix or the column of its diagonal entries.

    >>> chain_product([[1, 2], [1, 1]], [[1, 2], [3, 4]])
    Matrix([
    [15, 18],
    [12, 16]])
    """
    W = as_matrix(W, "W")
    check_square(W.shape, "W")
    n = W.rows
    factors = []
    for j, d in enumerate(diagonals):
        d = as_matrix(d, f"diagonals[{j}]", vector=True)
        if d.shape == (n, 1):
            d = sp.diag(*d)
        if d.shape != (n, n):
            raise ShapeError(f"`diagonals[{j}]` must be ({n}, {n}) or ({n},); got shape {d.shape}.")
        factors.append(d)
    if any(not f.is_zero_matrix and f.free_symbols for f in factors) or W.free_symbols:
        _check_symbolic_horizon(len(factors), n)
    out = sp.eye(n)
    for d in factors:
        out = d * W * out
    return sp.ImmutableMatrix(out)


def trajectory_jacobian_product(net: RNN, h_k: Any, xs: Any) -> sp.ImmutableMatrix:
    """``dh_T/dh_k`` from ``RNN.jacobian`` at the successive states from ``h_k``.

    ``xs`` holds the inputs ``x_{k+1}, ..., x_T`` (one row each).

    >>> net = RNN([[2]], [[1]], activation="identity")
    >>> trajectory_jacobian_product(net, [1], [[0], [0], [0]])
    Matrix([[8]])
    """
    _require_net(net)
    if isinstance(xs, (str, bytes, dict, set, frozenset)):
        raise InvalidArgumentError(f"`xs` must be a sequence of inputs; got {type(xs).__name__}.")
    rows = [as_matrix(x, f"xs[{j}]", shape=(net.m, 1), vector=True) for j, x in enumerate(xs)]
    h = as_matrix(h_k, "h_k", shape=(net.n, 1), vector=True)
    if h.free_symbols or net.parameters:
        _check_symbolic_horizon(len(rows), net.n)
    product = sp.eye(net.n)
    for x in rows:
        product = net.jacobian(h, x) * product
        h = net.step(h, x)
    return sp.ImmutableMatrix(product)


def backward_recursion() -> sp.Equality:
    """``g_k = W_h^T D_{k+1} g_{k+1} + dl_k/dh_k``, the transpose of one chain-rule step.

    >>> backward_recursion()
    Eq(g_k, dl_k/dh_k + W_h.T*D_{k + 1}*g_{k + 1})
    """
    g_next = sp.MatrixSymbol("g_{k + 1}", n_sym, 1)
    local = sp.MatrixSymbol("dl_k/dh_k", n_sym, 1)
    step = sp.MatMul(DiagonalFactor(k + 1), W_h)
    rhs = sp.MatAdd(sp.MatMul(*step.T.args, g_next), local)
    return sp.Eq(sp.MatrixSymbol("g_k", n_sym, 1), rhs, evaluate=False)


for _name, _tex in (("g_{k + 1}", "g_{k+1}"), ("dl_k/dh_k", r"\frac{\partial \ell_k}{\partial h_k}"),
                    ("g_k", "g_k")):
    register_symbol(sp.MatrixSymbol(_name, n_sym, 1), _tex)


# -- numerics along a trajectory ---------------------------------------------
#: Above this ``n``, :func:`trajectory_jacobians` evaluates ``D_t W_h`` with NumPy
#: instead of compiling ``RNN.jacobian()`` (whose build and compile grow like n^3).
MAX_COMPILED_N = 8


def jacobian_kernel(net: RNN) -> Kernel:
    """The compiled ``RNN.jacobian()`` with arguments ``(h_prev, x)``; batches over time."""
    _require_net(net).numeric_weights()  # raises a clear error for symbolic weights
    return compile_kernel(net.jacobian(), [net.h_prev, net.x])


def _require_net(net: Any) -> RNN:
    if not isinstance(net, RNN):
        raise InvalidArgumentError(f"`net` must be an rnnsym RNN; got {type(net).__name__}.")
    return net


def _inputs(net: RNN, xs: Any) -> np.ndarray:
    xs = as_float_array(xs, "xs", finite=False, allow_empty=True)
    if xs.ndim == 1 and net.m == 1:
        xs = xs[:, None]
    if xs.ndim != 2 or xs.shape[1] != net.m or xs.shape[0] < 1:
        raise ShapeError(f"`xs` must have shape (T, {net.m}) with T >= 1; got shape {xs.shape}.")
    if not np.isfinite(xs).all():
        raise NonFiniteError(f"`xs` must be finite; got a non-finite entry at row {np.argwhere(~np.isfinite(xs))[0][0]}.")
    return xs


def trajectory_jacobians(net: RNN, xs: Any, h0: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """States ``(T+1, n)`` from ``RNN.simulate`` and Jacobians ``J_1..J_T`` as ``(T, n, n)``.

    >>> net = RNN([[0.5]], activation="identity")
    >>> states, jac = trajectory_jacobians(net, [[1.0], [0.0]])
    >>> jac.tolist()
    [[[0.5]], [[0.5]]]
    """
    xs = _inputs(_require_net(net), xs)
    if h0 is not None:
        h0 = as_float_array(h0, "h0", finite=False, allow_empty=True)
        if h0.shape != (net.n,):
            raise ShapeError(f"`h0` must have shape ({net.n},); got shape {h0.shape}.")
        if not np.isfinite(h0).all():
            raise NonFiniteError(f"`h0` must be finite; got {h0.tolist()}.")
    with np.errstate(over="ignore", invalid="ignore"):
        states = net.simulate(xs, h0)
    if not np.isfinite(states).all():
        bad = int(np.argwhere(~np.isfinite(states).all(axis=1))[0][0])
        raise NonFiniteError(
            f"the simulated state `h_{bad}` is not finite (the trajectory diverged); "
            "use a bounded activation or shorter inputs `xs`."
        )
    if net.n <= MAX_COMPILED_N:
        jac = jacobian_kernel(net)(states[:-1], xs)
    else:  # the same D W_h on floats: SymPy's n x n Jacobian took 19 s to build and compile at n = 32
        W_h, W_x, b = net.numeric_weights()
        with np.errstate(over="ignore", invalid="ignore"):
            pre = states[:-1] @ W_h.T + xs @ W_x.T + b
            jac = net.activation.numpy_prime(pre)[:, :, None] * W_h
    return states, np.asarray(jac, dtype=float)


def product_log_norms(jacobians: Any, *, backward: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``log ||J_j ... J_1||_2`` for every ``j``, and the Lyapunov sums, by QR.

    Forward (default): entry ``j-1`` is ``log ||J_j ... J_1||_2``.  With
    ``backward=True`` the product grows to the right, as in
    back-propagation from the last step: entry ``j-1`` is
    ``log ||J_T ... J_{T-j+1}||_2`` (the log-norm of ``dh_T/dh_{T-j}``).
    The second array holds ``sum log |R_ii|`` of the QR factors, sorted in
    decreasing order; divided by ``T`` it is the Lyapunov spectrum (both
    directions give it: ``J_T ... J_1`` and its transpose share their
    singular values).  The log-norms come from the same factors:
    ``||J_j ... J_1||_2 = ||R_j ... R_1||_2``, with the triangular product
    rescaled at every step so nothing overflows or underflows (the streamed
    QR of :func:`lyapunov_exponents` and of the cells' analyses, with the
    whole ``n x n`` frame).

    >>> J = np.array([[[2.0, 0.0], [0.0, 0.5]]] * 3)
    >>> logs, sums = product_log_norms(J)
    >>> np.round(np.exp(logs), 12).tolist(), abs(round(float(sums.sum()), 12))  # sum = log|det|
    ([2.0, 4.0, 8.0], 0.0)
    """
    jac = as_float_array(jacobians, "jacobians", finite=False, allow_empty=True)
    if jac.ndim != 3 or jac.shape[1] != jac.shape[2] or jac.shape[1] < 1:
        raise ShapeError(f"`jacobians` must have shape (T, n, n) with n >= 1; got shape {jac.shape}.")
    if not np.isfinite(jac).all():
        raise NonFiniteError("`jacobians` must be finite; got a non-finite entry.")
    if backward:
        jac = np.transpose(jac[::-1], (0, 2, 1))  # ||P|| = ||P^T||, and P^T grows on the left
    stream = stream_qr(jac, generic_frame(jac.shape[1], jac.shape[1]), log_norms=True)
    assert stream.log_norms is not None
    return stream.log_norms, stream.sums


def lyapunov_spectrum(net: RNN, xs: Any, h0: Any = None, *, discard: int = 0) -> np.ndarray:
    """Lyapunov exponents (per step, decreasing) along the trajectory driven by ``xs``.

    The first ``discard`` steps are skipped as a transient.  The whole
    spectrum of :func:`lyapunov_exponents` (``k = n``, every step).

    >>> net = RNN([[0.5, 0], [0, -0.25]], activation="identity")
    >>> np.round(lyapunov_spectrum(net, np.zeros((5000, 1))), 3).tolist()
    [-0.693, -1.386]
    """
    return lyapunov_exponents(net, xs, h0, k=_require_net(net).n, discard=discard).exponents


@dataclass(frozen=True)
class LyapunovEstimate:
    """The top ``k`` Lyapunov exponents of one trajectory (per step, decreasing), and how settled they are.

    ``steps``: the steps averaged (after the discarded ones); ``standard_error``:
    the largest batch-means standard error of the ``k`` exponents (blocks of
    ``block`` steps; NaN under two blocks); ``converged``: it fell to ``tol`` or
    below and the horizon was stopped there (False when ``tol`` is None or the
    inputs ran out first).
    """

    exponents: np.ndarray
    steps: int
    standard_error: float
    converged: bool
    k: int


def lyapunov_exponents(net: RNN, xs: Any, h0: Any = None, *, k: int | None = None, discard: int = 0,
                       tol: float | None = None, block: int = 100, min_steps: int = 500) -> LyapunovEstimate:
    """The top ``k`` Lyapunov exponents along the trajectory driven by ``xs``, streamed.

    Each step moves an orthonormal ``n x k`` frame by ``J_t = D_t W_h`` (as
    ``D_t (W_h Q)``) and re-orthonormalises it (QR, the streamed QR of
    :func:`product_log_norms`): ``O(n^2 k)`` work and ``O(n k)`` memory per
    step, no Jacobian stored.  The frame's columns are the first ``k`` of the
    fixed generic frame the full spectrum uses, so the ``k`` exponents are
    that spectrum's top ``k`` (``k`` defaults to ``n``).  With ``tol`` the
    horizon stops, after at least ``min_steps`` steps, at the first block
    whose batch-means standard error of every exponent is at most ``tol``.

    >>> net = RNN([[0.5, 0], [0, -0.25]], activation="identity")
    >>> est = lyapunov_exponents(net, np.zeros((5000, 1)), k=1, tol=1e-3)
    >>> np.round(est.exponents, 3).tolist(), est.steps, est.converged, bool(est.standard_error <= 1e-3)
    ([-0.694], 500, True, True)
    """
    xs, n = _inputs(_require_net(net), xs), net.n
    k = n if k is None else as_int(k, "k", low=1, high=n)
    if isinstance(discard, bool) or not isinstance(discard, (int, np.integer)) or not 0 <= discard < len(xs):
        raise InvalidArgumentError(f"`discard` must be in [0, {len(xs) - 1}]; got {discard}.")
    block, min_steps, tol = as_int(block, "block", low=1), as_int(min_steps, "min_steps", low=1), \
        None if tol is None else as_tolerance(tol)
    if (h := np.zeros(n) if h0 is None else as_float_array(h0, "h0")).shape != (n,):
        raise ShapeError(f"`h0` must have shape ({n},); got shape {h.shape}.")
    stream = stream_qr(_rnn_steps(net, xs, h, discard), generic_frame(n, k), tol=tol, block=block,
                       min_steps=min_steps)
    return LyapunovEstimate(stream.exponents, stream.steps, stream.standard_error, stream.converged, k)


def _rnn_steps(net: RNN, xs: np.ndarray, h: np.ndarray,
               discard: int) -> Iterator[Callable[[np.ndarray], np.ndarray]]:
    """``Q -> D_t (W_h Q)`` for each step after the first ``discard``, simulating as it goes (no ``J_t`` formed)."""
    (W_h, W_x, b), act = net.numeric_weights(), net.activation
    for t, x in enumerate(xs):
        pre = h @ W_h.T + b + x @ W_x.T
        h = act.numpy(pre)
        if not np.isfinite(h).all():
            raise NonFiniteError(f"the simulated state `h_{t + 1}` is not finite (the trajectory diverged); "
                                 "use a bounded activation or shorter inputs `xs`.")
        if t >= discard:
            def apply(q: np.ndarray, slope: np.ndarray = act.numpy_prime(pre)[:, None]) -> np.ndarray:
                return slope * (W_h @ q)
            yield apply


@dataclass(frozen=True)
class GradientNorms:
    """``log ||dh_T/dh_k||_2`` against the lag ``T - k`` along one trajectory.

    Attributes
    ----------
    lags : ndarray
        ``1, ..., T``.
    log_norms : ndarray
        ``log ||dh_T/dh_{T-lag}||_2`` (natural log; ``-inf`` if the product is 0).
    lyapunov : ndarray
        The Lyapunov spectrum of the same trajectory (per step, decreasing),
        from the QR factors of the same backward pass.
    log_bound_factor : float
        ``log(c ||W_h||_2)``: the E12 bound is ``lags * log_bound_factor``.
    """

    lags: np.ndarray
    log_norms: np.ndarray
    lyapunov: np.ndarray
    log_bound_factor: float

    @property
    def norms(self) -> np.ndarray:
        """``||dh_T/dh_k||_2`` (may underflow to 0 or overflow to inf; use ``log_norms``)."""
        with np.errstate(over="ignore", under="ignore"):
            return np.exp(self.log_norms)

    def growth_rate(self) -> float:
        """``log ||dh_T/dh_0||_2 / T``, which tends to the top Lyapunov exponent."""
        return float(self.log_norms[-1] / self.lags[-1])


def gradient_norms(net: RNN, xs: Any, h0: Any = None) -> GradientNorms:
    """The gradient norm ``||dh_T/dh_k||_2`` for every ``k``, with ``T = len(xs)``.

    >>> net = RNN([[0.9, 1.0], [0.0, 0.9]], activation="identity")
    >>> g = gradient_norms(net, np.zeros((20, 1)))
    >>> int(g.lags[np.argmax(g.log_norms)]), round(float(g.norms.max()), 4)
    (9, 3.9126)
    """
    _, jac = trajectory_jacobians(net, xs, h0)
    logs, sums = product_log_norms(jac, backward=True)
    with np.errstate(divide="ignore"):
        factor = float(np.log(bound_factor(net)))
    return GradientNorms(np.arange(1, len(jac) + 1), logs, sums / len(jac), factor)


def backpropagate(net: RNN, xs: Any, loss_gradients: Any, h0: Any = None) -> np.ndarray:
    """Gradients ``g_k = dL/dh_k`` of ``L = sum_t l_t(h_t)`` by ``g_k = J_{k+1}^T g_{k+1} + dl_k/dh_k``.

    ``loss_gradients`` is ``(T+1, n)``: row ``t`` holds ``dl_t/dh_t``.
    ``J_{k+1}^T = W_h^T D_{k+1}`` comes from the compiled Jacobian.

    >>> net = RNN([[0.5]], activation="identity")
    >>> backpropagate(net, [[0.0], [0.0]], [[0.0], [0.0], [1.0]]).tolist()
    [[0.25], [0.5], [1.0]]
    """
    _, jac = trajectory_jacobians(net, xs, h0)
    local = as_float_array(loss_gradients, "loss_gradients")
    if local.shape != (len(jac) + 1, net.n):
        raise ShapeError(f"`loss_gradients` must have shape ({len(jac) + 1}, {net.n}); got {local.shape}.")
    out = np.empty_like(local)
    out[-1] = local[-1]
    for j in range(len(jac) - 1, -1, -1):
        out[j] = jac[j].T @ out[j + 1] + local[j]
    return out


def bound_factor(net: RNN) -> float:
    """``c ||W_h||_2`` with ``c = sup|phi'|``: below 1 gradients provably vanish (E12).

    >>> bound_factor(RNN([[0.0, 2.0], [0.0, 0.0]], activation="sigmoid"))
    0.5
    """
    W, _, _ = _require_net(net).numeric_weights()
    return float(net.activation.lipschitz) * float(np.linalg.norm(W, 2))


def norm_bound(net: RNN, T_: int, k_: int) -> float:
    """``(c ||W_h||_2)**(T - k)``, the E12 bound on ``||dh_T/dh_k||_2``.

    >>> norm_bound(RNN([[0.5]]), 3, 1)
    0.25
    """
    return bound_factor(net) ** lag(T_, k_)
