"""The chapter's analyses for every cell: gradient norms, Lyapunov exponents, the linearisation at a point, contraction.

Each function takes any :class:`~rnnsym.cells.base.Cell` (built in or
:func:`~rnnsym.cells.custom.custom_cell`) and works numerically from the
cell's own step and Jacobians, reusing the simple RNN's machinery:

* :func:`cell_gradient_norms` -- ``log ||ds_T/ds_k||_2`` for every lag along
  a trajectory of the cell's own step: the Jacobians
  (:meth:`~rnnsym.cells.base.Cell.numeric_jacobian`) multiplied by
  :func:`rnnsym.gradients.product_log_norms` (QR, no overflow), and the
  blocks of the same product by part (an LSTM's ``dh_T/dh_k``,
  ``dc_T/dc_k``, ...; the whole state ``(h, c)`` is the one the full product
  acts on);
* :func:`cell_lyapunov_spectrum` -- the top ``k`` Lyapunov exponents,
  streamed (an ``N x k`` frame re-orthonormalised each step, from the same
  fixed generic frame as :func:`~rnnsym.gradients.product_log_norms`);
* :func:`cell_point_analysis` -- at a fixed (or slow) point, the
  linearisation :meth:`~rnnsym.cells.base.Cell.linearize` (a
  :class:`~rnnsym.linear.LinearRNN`: controllability, observability and
  Gramians from there) with its eigenmodes (:func:`rnnsym.linear.modes.modes`),
  stability (:func:`rnnsym.stability.classify_jacobian`), the half-life of
  its slowest mode (:func:`rnnsym.stability.half_life`) and the certified
  ``steps_to_half`` (:func:`rnnsym.stability.steps_to_half`), and the
  transient growth of ``||J^k||_2`` (:func:`rnnsym.linear.normality.transient_growth`);
* :func:`cell_contraction_certificate` -- a proven bound ``q`` on ``||J(s)||``
  over every state, or the reason there is none (:class:`ContractionCertificate`).

Which contraction certificates exist, and why
---------------------------------------------
*Structure* (simple, leaky and many custom cells; every input, every state,
2-norm): SymPy takes the cell's held step ``F(s) = G(s, phi_1(a_1(s)), ...)``
apart and derives ``J = J0 + sum_k phi_k'(a_k) g_k grad(a_k)^T``.  When
``J0 = dG/ds``, every ``g_k = dG/dy_k`` and every ``grad(a_k)`` are free of
the state (and of the input, unless ``x`` is given), and each activation
feeds one row, ``J = J0 + diag(phi') K`` with ``|phi_k'| <= L_k``, so
``||J||_2 <= ||J0||_2 + ||diag(L) K||_2 = q`` for every state (the
triangle inequality and ``||diag(t)||_2 <= 1`` for ``|t_i| <= 1``).  For
the leaky cell SymPy finds ``J0 = (1 - alpha) I`` and ``K = alpha W_h``:
``q = (1 - alpha) + alpha L ||W_h||_2``; for the simple RNN ``q = L
||W_h||_2`` (correction C14).  ``q < 1`` makes ``F(., x)`` a contraction of
``R^N`` for every input: one globally attracting fixed point, and
``||ds_T/ds_k||_2 <= q^(T-k)`` along every trajectory.

*Interval enclosure* (built-in cells with a bounded state box, e.g. the GRU
with ``h`` in ``[-1, 1]``; one constant input ``x``; infinity norm): the
Jacobian is enclosed over the whole box in rigorous interval arithmetic
(:mod:`rnnsym.cells._enclosure`: ``|sigma'| <= 1/4`` and ``|tanh'| <= 1``
sharpened to the ranges the gate pre-activations take there, every
rounding bounded), and ``q`` is the largest row sum of ``|J|``, rounded up.
The step keeps states in the box (:attr:`~rnnsym.cells.base.Cell.state_bounds`),
the box is convex, so ``q < 1`` proves one fixed point in the box,
attracting every trajectory that starts there.

*No certificate*: a gated cell without the structure and without a bounded
box (the LSTM's ``c``), a custom cell whose Jacobian depends on the state
other than through ``phi'`` (gates, products of activations), custom
activations whose Lipschitz constant is an estimate.  A maximum of
``||J(s)||`` over sampled states is never offered as one: it is not a proof.

Examples
--------
>>> import numpy as np
>>> from rnnsym.cells import LeakyCell, LSTMCell
>>> leaky = LeakyCell([[0.5, 0.0], [0.3, 0.5]], [[1.0], [0.0]], alpha=0.25)
>>> cert = cell_contraction_certificate(leaky)
>>> cert.offset, cert.gain
(Matrix([
[0.75,    0],
[   0, 0.75]]), Matrix([
[0.125,     0],
[0.075, 0.125]]))
>>> round(cert.factor, 6), cert.contracting
(0.918004, True)
>>> g = cell_gradient_norms(leaky, np.zeros((50, 1)), s0=[0.5, -0.5])
>>> bool(np.all(g.log_norms <= g.lags * g.log_bound_factor))
True
>>> print(cell_contraction_certificate(LSTMCell(np.ones((4, 1)), np.ones((4, 1))), x=[0.0]).reason)
no certificate: a gated cell (LSTMCell) multiplies activations by gates, so its Jacobian is not
J0 + diag(phi') K; and the state box is unbounded (c), so no interval bound over it
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np
import sympy as sp

from rnnsym.cells._enclosure import Box, enclosable, evaluate
from rnnsym.cells._ops import Applied
from rnnsym.cells.base import Cell
from rnnsym.cells.gated import GatedCell
from rnnsym.cells.slow_points import CellPoint
from rnnsym.errors import InvalidArgumentError, NonFiniteError, ResourceLimitError, ShapeError
from rnnsym.gradients import GradientNorms, product_log_norms
from rnnsym._qr_stream import FRAME_SEED as FRAME_SEED  # re-exported: the seed of the generic starting frame
from rnnsym._qr_stream import generic_frame, rescale, scaled_log_norms, stream_qr
from rnnsym.linear.modes import ModeDecomposition, modes
from rnnsym.linear.normality import TransientGrowth, transient_growth
from rnnsym.linear.system import LinearRNN
from rnnsym.stability import Stability, classify_jacobian, half_life, spectral_norm, steps_to_half
from rnnsym._matrices import as_float_array, as_int, as_limit

__all__ = ["CellGradientNorms", "cell_gradient_norms", "cell_lyapunov_spectrum", "CellPointAnalysis",
           "cell_point_analysis", "ContractionCertificate", "cell_contraction_certificate"]

EPS = float(np.finfo(float).eps)
#: Most powers of ``J`` :func:`cell_point_analysis` forms for its transient growth and steps to half.
MAX_POWERS = 100_000
#: Powers scanned (a lower bound, not certified) when ``rho(J) >= 1``.
UNSTABLE_POWERS = 200
#: The interval certificate cuts the state box into at most this many pieces (``k^N``, ``k <= MAX_SPLITS``).
MAX_BOXES = 256
MAX_SPLITS = 8


# -- arguments --------------------------------------------------------------------------------
def _numeric_cell(cell: Any) -> Cell:
    if not isinstance(cell, Cell):
        raise InvalidArgumentError(f"`cell` must be an rnnsym cell (rnnsym.cells.Cell); got {type(cell).__name__}.")
    cell._require_numeric()
    return cell


def _trajectory(cell: Cell, xs: Any, s0: Any) -> tuple[np.ndarray, np.ndarray]:
    """States ``(T + 1, N)`` of the cell's own step and the inputs ``(T, m)``, both finite, ``T >= 1``."""
    X = as_float_array(xs, "xs", allow_empty=True)
    if X.ndim == 1 and cell.m == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != cell.m or X.shape[0] < 1:
        raise ShapeError(f"`xs` must have shape (T, {cell.m}) with T >= 1 (one input per step); got shape {X.shape}.")
    S0 = np.zeros(cell.state_size) if s0 is None else cell._state_array(s0, "s0")
    if S0.shape != (cell.state_size,):
        raise ShapeError(f"`s0` must be one state ({cell.state_size},) ({cell._describe_state()}); "
                         f"got shape {S0.shape}.")
    states = cell.simulate(X, S0)
    if not np.isfinite(states).all():
        bad = int(np.argwhere(~np.isfinite(states).all(axis=1))[0][0])
        raise NonFiniteError(f"the simulated state `s_{bad}` is not finite (the trajectory diverged); "
                             "use shorter inputs `xs` or smaller weights.")
    return states, X


def _jacobians(cell: Cell, states: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``J_t = dF/ds`` at ``(s_{t-1}, x_t)`` for ``t = 1..T``, as ``(T, N, N)`` (the cell's own Jacobian)."""
    jac = np.asarray(cell.numeric_jacobian(states[:-1], X), dtype=float)
    if not np.isfinite(jac).all():
        raise NonFiniteError("a Jacobian along the trajectory is not finite; use smaller inputs `xs` or weights.")
    return jac


# -- gradient norms ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CellGradientNorms(GradientNorms):
    """``log ||ds_T/ds_k||_2`` against the lag ``T - k`` along one trajectory of a cell.

    The fields of :class:`~rnnsym.gradients.GradientNorms` (``lags``, ``log_norms``
    of the whole state's product, ``lyapunov``, ``log_bound_factor``: ``log q``
    of the cell's 2-norm contraction certificate, NaN where there is none, with
    the reason in ``bound_reason``), and ``blocks``: for a cell with several state
    parts, ``blocks[(a, b)][lag - 1] = log ||[ds_T/ds_{T-lag}]_{ab}||_2``, the
    block of the same product (``("c", "c")``: ``dc_T/dc_k``, every path through
    ``h`` included); ``-inf`` where a block is zero or below the float range
    relative to the largest block of its row.
    """

    blocks: Mapping[tuple[str, str], np.ndarray] = field(default_factory=dict)
    bound_reason: str = ""


def _block_log_norms(cell: Cell, jac: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """Backward products ``E_a^T J_T ... J_{T-lag+1}`` per row part ``a``, rescaled, cut into column blocks."""
    T = jac.shape[0]
    slices = [(name, sl) for (name, _), sl in zip(cell.state_parts, _part_slices(cell))]
    out: dict[tuple[str, str], np.ndarray] = {}
    for a, rows in slices:
        R = np.eye(cell.state_size)[rows]
        kept = np.empty((T,) + R.shape)
        scales = np.empty(T)
        scale = 0.0
        for lag in range(1, T + 1):
            R = R @ jac[T - lag]
            scale = rescale(R, scale)
            kept[lag - 1], scales[lag - 1] = R, scale
        for b, cols in slices:
            out[(a, b)] = scaled_log_norms(kept[:, :, cols], scales)
    return out


def _part_slices(cell: Cell) -> list[slice]:
    offsets = np.cumsum([0] + [k for _, k in cell.state_parts])
    return [slice(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:])]


def cell_gradient_norms(cell: Cell, xs: Any, s0: Any = None, *, blocks: bool = True) -> CellGradientNorms:
    """The gradient norm ``||ds_T/ds_k||_2`` for every ``k``, with ``T = len(xs)``, along the cell's own trajectory.

    ``ds_T/ds_k = J_T ... J_{k+1}`` with ``J_t = dF/ds`` at ``(s_{t-1}, x_t)``
    (latest factor on the left); ``log_norms[lag - 1]`` is the log-norm at
    ``k = T - lag``.  ``blocks=False`` skips the per-part blocks.

    >>> from rnnsym.cells import LSTMCell
    >>> cell = LSTMCell(np.zeros((4, 1)), np.zeros((4, 1)), [0, 2.0, 0, 0], [0, 0, 0, 0])   # f = sigma(2)
    >>> g = cell_gradient_norms(cell, np.zeros((10, 1)))
    >>> round(float(g.blocks[("c", "c")][-1] / 10), 6), round(float(np.log(1 / (1 + np.exp(-2.0)))), 6)
    (-0.126928, -0.126928)
    """
    cell = _numeric_cell(cell)
    if not isinstance(blocks, (bool, np.bool_)):
        raise InvalidArgumentError(f"`blocks` must be True or False; got {type(blocks).__name__} {blocks!r:.40}.")
    states, X = _trajectory(cell, xs, s0)
    jac = _jacobians(cell, states, X)
    logs, sums = product_log_norms(jac, backward=True)
    parts = _block_log_norms(cell, jac) if blocks and len(cell.state_parts) > 1 else {}
    cert = _global_certificate(cell)
    if cert.factor is not None and cert.norm == "2":
        with np.errstate(divide="ignore"):
            factor = float(np.log(cert.factor))
    else:
        factor = math.nan
    return CellGradientNorms(np.arange(1, len(jac) + 1), logs, sums / len(jac), factor, parts, cert.reason)


def _global_certificate(cell: Cell) -> "ContractionCertificate":
    """The every-input certificate when it is cheap to derive (within the symbolic size limit)."""
    if cell.state_size > cell.max_symbolic_size:
        return _none(f"not derived: state_size {cell.state_size} is above the symbolic limit "
                     f"{cell.max_symbolic_size} (call cell_contraction_certificate(cell, max_size=...))")
    if "contraction_certificate" not in cell._cache:   # a cell never changes: derived once
        cell._cache["contraction_certificate"] = cell_contraction_certificate(cell)
    return cell._cache["contraction_certificate"]


# -- Lyapunov exponents -----------------------------------------------------------------------
#: Steps whose Jacobians :func:`cell_lyapunov_spectrum` evaluates in one batch.
CHUNK = 256


def cell_lyapunov_spectrum(cell: Cell, xs: Any, s0: Any = None, *, discard: int = 0,
                           k: int | None = None) -> np.ndarray:
    """The top ``k`` Lyapunov exponents (per step, decreasing) along the trajectory driven by ``xs``.

    The first ``discard`` steps are a transient and skipped.  An ``N x k``
    frame (the first ``k`` columns of the fixed generic frame of
    :func:`~rnnsym.gradients.product_log_norms`) is moved by each ``J_t`` and
    re-orthonormalised (QR; the one streamed QR behind
    :func:`~rnnsym.gradients.lyapunov_exponents` too); the exponents are the
    averages of ``log |R_ii|``.
    Jacobians are evaluated :data:`CHUNK` steps at a time, so memory does not
    grow with ``T``.

    >>> from rnnsym.cells import LeakyCell
    >>> cell = LeakyCell([[0.0, 0.0], [0.0, 0.0]], alpha=0.5, activation="identity")   # J = I/2
    >>> np.round(cell_lyapunov_spectrum(cell, np.zeros((100, 1))), 12).tolist()
    [-0.69314718056, -0.69314718056]
    """
    cell = _numeric_cell(cell)
    N = cell.state_size
    k = N if k is None else as_int(k, "k", low=1, high=N)
    states, X = _trajectory(cell, xs, s0)
    T = len(X)
    discard = as_int(discard, "discard", low=0, high=T - 1)
    return stream_qr(_chunked_jacobians(cell, states, X, discard), generic_frame(N, k)).exponents


def _chunked_jacobians(cell: Cell, states: np.ndarray, X: np.ndarray, start: int) -> Iterator[np.ndarray]:
    """``J_t`` for ``t = start + 1..T``, evaluated :data:`CHUNK` steps at a time."""
    for first in range(start, len(X), CHUNK):
        last = min(first + CHUNK, len(X))
        yield from _jacobians(cell, states[first:last + 1], X[first:last])


# -- the linearisation at a point ---------------------------------------------------------------
@dataclass(frozen=True)
class CellPointAnalysis:
    """What the linearisation of a cell at one point says.

    ``state``, ``x``; ``residual = ||F(s, x) - s||_inf`` (0 at a fixed point: the
    rest is about small deviations from a fixed point, and only approximate at a
    slow one); ``linear``: :meth:`Cell.linearize <rnnsym.cells.base.Cell.linearize>`
    (``A = dF/ds``, ``B = dF/dx``, ``C`` picks ``h``); ``modes``: the eigenmodes
    of ``A``, slowest first (largest ``|lambda|``), each with its kind and
    half-life; ``stability``: :func:`~rnnsym.stability.classify_jacobian` of
    ``A``; ``half_life``: ``ln 2 / (-ln rho(A))``, the slowest mode's (``inf``
    unless ``rho < 1``, 0 when ``rho = 0``); ``steps_to_half``: the certified first
    ``K`` with ``||A^k||_2 <= 1/2`` for every ``k >= K`` (None unless ``rho < 1``);
    ``transient``: ``||A^k||_2`` and its peak (:class:`~rnnsym.linear.normality.TransientGrowth`;
    certified when ``rho < 1``, else ``k <= 200`` scanned).
    """

    state: np.ndarray
    x: np.ndarray
    residual: float
    linear: LinearRNN
    modes: ModeDecomposition
    stability: Stability
    half_life: float
    steps_to_half: int | None
    transient: TransientGrowth

    @property
    def kind(self) -> str:
        """The stability kind: stable, unstable, saddle, marginal or undecided."""
        return self.stability.kind


def cell_point_analysis(cell: Cell, s: Any, x: Any = None) -> CellPointAnalysis:
    """Linearise ``cell`` at the state ``s`` (a :class:`~rnnsym.cells.slow_points.CellPoint` or ``(N,)``) under
    the constant input ``x`` (default zero) and analyse the linear recurrence (:class:`CellPointAnalysis`).

    >>> from rnnsym.cells import GRUCell
    >>> W = np.zeros((3, 1)); b = np.array([0.0, 0.0, 0.5])   # h -> (tanh(0.5) + h) / 2
    >>> a = cell_point_analysis(GRUCell(W, W, b, np.zeros(3)), [np.tanh(0.5)])
    >>> a.kind, a.half_life, a.steps_to_half, a.transient.peak
    ('stable', 1.0, 1, 1.0)
    """
    cell = _numeric_cell(cell)
    state = s.state if isinstance(s, CellPoint) else s
    S = cell._state_array(state, "s")
    X = cell._input_array(x)
    if S.shape != (cell.state_size,) or X.shape != (cell.m,):
        raise ShapeError(f"`s` and `x` must be single points ({cell.state_size},) and ({cell.m},); "
                         f"got shapes {S.shape} and {X.shape}.")
    residual = float(np.max(np.abs(cell.step(S, X) - S)))
    linear = cell.linearize(S, X)
    A = linear.numeric_matrices()[0]
    if not np.isfinite(A).all():
        raise NonFiniteError("the Jacobian at `s` is not finite.")
    decomposition = modes(A)
    order = sorted(range(len(decomposition.modes)), key=lambda i: -abs(complex(decomposition.modes[i].eigenvalue)))
    decomposition = ModeDecomposition(decomposition.A, tuple(decomposition.modes[i] for i in order),
                                      decomposition.diagonalizable, decomposition.Q, decomposition.Q_inv,
                                      decomposition.Lam)
    stability = classify_jacobian(A)
    rho = float(np.max(np.abs(np.linalg.eigvals(A))))
    if rho < 1:
        life = 0.0 if rho == 0 else float(half_life(rho))
        try:
            K: int | None = steps_to_half(A, max_steps=MAX_POWERS)
        except ResourceLimitError:
            K = None
        growth = transient_growth(A, limit=MAX_POWERS)
    else:
        life, K = math.inf, None
        growth = transient_growth(A, k_max=UNSTABLE_POWERS)
    return CellPointAnalysis(S, X, residual, linear, decomposition, stability, life, K, growth)


# -- contraction ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ContractionCertificate:
    """A proven bound ``factor`` on ``||J(s)||`` (the ``norm``) over a ``region``, or the ``reason`` there is none.

    ``method``: ``"structure"`` (``J = J0 + diag(phi') K``: ``offset`` ``J0``,
    ``gain`` ``K``, ``lipschitz`` the ``L_k`` per row; ``expression`` the bound in
    SymPy where the cell is symbolic and the norms have closed forms) or
    ``"interval"`` (the Jacobian enclosed over the state box); ``""`` without a
    certificate.  ``factor`` is None where no bound was derived (or the
    parameters are symbolic).  :attr:`contracting`: ``factor < 1``, a proof that
    ``F(., x)`` contracts ``region``.
    """

    factor: float | None
    norm: str
    region: str
    method: str
    reason: str
    offset: sp.ImmutableMatrix | None = None
    gain: sp.ImmutableMatrix | None = None
    lipschitz: tuple[sp.Expr, ...] = ()
    expression: sp.Expr | None = None

    @property
    def contracting(self) -> bool:
        """True when the certified bound is below 1."""
        return self.factor is not None and self.factor < 1

    @property
    def message(self) -> str:
        if self.factor is None:
            return self.reason
        verdict = "contracting" if self.contracting else "not proven contracting"
        return f"||J||_{self.norm} <= {self.factor:.6g} over {self.region} ({self.method}; {verdict})"


def _none(reason: str) -> ContractionCertificate:
    return ContractionCertificate(None, "", "", "", reason if reason.startswith(("no certificate", "not derived"))
                                  else f"no certificate: {reason}")


def cell_contraction_certificate(cell: Cell, x: Any = None, *, max_size: int | None = None) -> ContractionCertificate:
    """A contraction certificate for ``cell`` (see the module: which exist and why), or the reason there is none.

    ``x=None``: for every input (only the structural certificate can hold
    for all inputs); an input ``x`` ``(m,)``: for that constant input (the
    structure with ``x`` substituted, else the interval enclosure over the
    state box).  The symbolic derivation is refused above ``max_size``
    state variables (default the cell's :attr:`~rnnsym.cells.base.Cell.max_symbolic_size`).

    >>> from rnnsym.cells import LeakyCell, SimpleCell, custom_cell
    >>> import rnnsym as rs, sympy as sp
    >>> cert = cell_contraction_certificate(LeakyCell.symbolic(1, 1))
    >>> cert.offset, cert.gain, cert.expression
    (Matrix([[1 - alpha]]), Matrix([[W_h[0,0]*alpha]]), alpha*Abs(W_h[0,0]) + Abs(alpha - 1))
    >>> simple = cell_contraction_certificate(SimpleCell(rs.RNN([[0.5, 0.0], [0.0, -0.25]])))
    >>> simple.factor >= 0.5, round(simple.factor, 12), simple.norm   # L ||W_h||_2, rounded up
    (True, 0.5, '2')
    >>> h, u = sp.symbols("h u", real=True)
    >>> cell_contraction_certificate(custom_cell([sp.tanh(h * u) * h], state=[h], inputs=[u])).reason
    "no certificate: J0 = dG/ds (the Jacobian with every phi' set to 0) depends on the value of an activation"
    """
    if not isinstance(cell, Cell):
        raise InvalidArgumentError(f"`cell` must be an rnnsym cell (rnnsym.cells.Cell); got {type(cell).__name__}.")
    limit = as_limit(max_size, "max_size", cell.max_symbolic_size)
    X = None if x is None else cell._input_array(x)
    if X is not None and X.shape != (cell.m,):
        raise ShapeError(f"`x` must be one input ({cell.m},); got shape {X.shape}.")
    if isinstance(cell, GatedCell):
        structure = _none(f"a gated cell ({type(cell).__name__}) multiplies activations by gates, so its "
                          "Jacobian is not J0 + diag(phi') K")
    elif cell.state_size > limit:
        structure = _none(f"not derived: state_size {cell.state_size} is above max_size={limit} for the "
                          f"symbolic derivation; pass max_size={cell.state_size} to try anyway")
    else:
        structure = _structure(cell, X)
    if structure.method or X is None:
        return structure
    box = _interval(cell, X)
    if box.method:
        return box
    return _none(f"{structure.reason.removeprefix('no certificate: ')}; and "
                 f"{box.reason.removeprefix('no certificate: ')}")


def _structure(cell: Cell, X: np.ndarray | None) -> ContractionCertificate:
    """``J = J0 + diag(phi') K`` derived by SymPy from the held step, and ``q = ||J0|| + ||diag(L) K||``."""
    held = cell._held_step()
    S = list(cell.state_symbols)
    if X is not None and cell.m:
        held = held.xreplace(dict(zip(cell.input_symbols, [sp.Float(float(v)) for v in X])))
    atoms = sorted(held.atoms(Applied), key=sp.default_sort_key)
    ys = [sp.Dummy(f"y{k}") for k in range(len(atoms))]
    G = held.xreplace(dict(zip(atoms, ys)))
    args = sp.Matrix([a.args[0] for a in atoms])
    if args.atoms(Applied):
        return _none("an activation's argument holds another activation (a gate), so phi' does not factor out")
    inputs = set(cell.input_symbols)
    varying = set(S) | set(ys) | inputs
    J0 = sp.ImmutableMatrix(G.jacobian(S))
    gy = G.jacobian(ys) if ys else sp.zeros(cell.state_size, 0)
    grad = args.jacobian(S) if ys else sp.zeros(0, cell.state_size)
    for what, mat in (("J0 = dG/ds (the Jacobian with every phi' set to 0)", J0),
                      ("dG/dy (the factor of an activation)", gy), ("an activation's argument", grad)):
        free = mat.free_symbols & varying
        if free & set(S) and what.startswith("an activation"):
            return _none(f"{what} is not affine in the state")
        if free & set(S):
            return _none(f"{what} depends on the state")
        if free & set(ys):
            return _none(f"{what} depends on the value of an activation")
        if free:
            return _none(f"{what} depends on the input; pass `x` for a certificate at one input")
    rows: dict[int, int] = {}
    for k in range(len(ys)):
        used = [i for i in range(cell.state_size) if gy[i, k] != 0]
        if len(used) > 1 or (used and used[0] in rows):
            return _none("an activation feeds several rows, or a row holds several activations")
        if used:
            rows[used[0]] = k
    K = sp.zeros(cell.state_size, cell.state_size)
    L = [sp.Integer(0)] * cell.state_size
    for i, k in rows.items():
        act = atoms[k].activation
        if getattr(act, "lipschitz_is_estimate", False) or not act.lipschitz.is_finite:
            return _none(f"the activation {act.name} has no proven finite Lipschitz constant")
        K[i, :] = gy[i, k] * grad[k, :]
        L[i] = act.lipschitz
    K = sp.ImmutableMatrix(K.applyfunc(sp.expand))
    region = "every state and every input" if X is None else f"every state, the input x = {X.tolist()}"
    scaled = sp.diag(*L) * K
    if J0.free_symbols or K.free_symbols:
        expression = None
        try:
            expression = sp.simplify(spectral_norm(J0) + spectral_norm(sp.ImmutableMatrix(scaled)))
        except ResourceLimitError:
            pass
        return ContractionCertificate(None, "2", region, "structure",
                                      "symbolic parameters: ||J||_2 <= ||J0||_2 + ||diag(L) K||_2 (offset J0, "
                                      "gain K); substitute numbers for the factor", J0, K, tuple(L), expression)
    N = cell.state_size
    norms = [float(np.linalg.norm(np.array(M.tolist(), dtype=float), 2)) for M in (J0, scaled)]
    # rounding: each entry of J0 and diag(L) K carries a few float roundings, each SVD 4 N eps
    factor = (norms[0] + norms[1]) * (1 + 16 * N * EPS) + 2.0 ** -960
    return ContractionCertificate(factor, "2", region, "structure",
                                  f"J = J0 + diag(phi') K with |phi'| <= L, so ||J||_2 <= ||J0||_2 + ||diag(L) K||_2 "
                                  f"for {region}", J0, K, tuple(L))


def _interval(cell: Cell, X: np.ndarray) -> ContractionCertificate:
    """``max_i sum_j |J_ij|`` over the state box, from the rigorous interval enclosure of the Jacobian."""
    why = enclosable(cell)
    if why:
        return _none(why)
    lo, hi = cell.state_bounds
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        return _none("the state box is unbounded (" + ", ".join(
            name for (name, _), sl in zip(cell.state_parts, _part_slices(cell))
            if not (np.isfinite(lo[sl]).all() and np.isfinite(hi[sl]).all())) + "), so no interval bound over it")
    N = cell.state_size
    k = max(1, min(MAX_SPLITS, int(math.floor(MAX_BOXES ** (1 / N) + 1e-9))))
    width = (hi - lo) / k
    factor = 0.0
    for corner in np.ndindex(*(k,) * N):   # the box cut into k^N pieces: one interval evaluation each
        low = lo + width * np.array(corner)
        centre = low + width / 2   # the radius covers the rounding of the cuts: the pieces cover the box
        radius = width / 2 * (1 + 4 * EPS) + 4 * EPS * np.maximum(np.abs(lo), np.abs(hi))
        enclosure = evaluate(cell, Box(centre, radius), X, True).d
        assert enclosure is not None
        upper = np.abs(enclosure.c) + enclosure.r
        factor = max(factor, float(np.max(upper.sum(axis=1))) * (1.0 + 2.0 * (N + 2) * 2.0 ** -53) + 2.0 ** -960)
    box = f"the state box [{lo.min():g}, {hi.max():g}]^{N} under the input x = {X.tolist()}"
    return ContractionCertificate(factor, "inf", box, "interval",
                                  "the Jacobian enclosed over the box in interval arithmetic; the step keeps the "
                                  "box, which is convex")
