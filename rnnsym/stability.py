"""Local stability at a fixed point, half-life of perturbations, contraction.

A fixed point ``h*`` of ``h -> phi(W_h h + u)`` is classified from the
eigenvalues of its Jacobian ``J = D W_h`` (``D = diag(phi'(W_h h* + u))``):

* ``"stable"``   -- ``rho(J) < 1``: small perturbations die out;
* ``"unstable"`` -- ``rho(J) > 1`` and no eigenvalue inside the unit circle;
* ``"saddle"``   -- eigenvalues on both sides of the unit circle;
* ``"marginal"`` -- ``rho(J) = 1`` exactly (correction C2: the linear test is
  inconclusive there; ``h <- tanh h`` still converges, but only like ``sqrt(3/(2t))``);
* ``"undecided"`` -- the precision spent could not tell ``rho(J) < 1``, ``= 1``
  and ``> 1`` apart (reported with its margin, never guessed).

Near the unit circle the numbers given decide (:func:`classify_jacobian`):
exact rational arithmetic for rational entries (a float is one), mpmath at
increasing precision otherwise.

The half-life ``ln 2 / (-ln rho)`` is *derived* here by SymPy (solve
``rho**t = 1/2`` for ``t``) and compiled with its domain ``0 < rho < 1`` as
kernel assumptions.  It is an asymptotic rate only (correction C3): for a
non-normal ``J`` use :func:`steps_to_half` as well.

Examples
--------
>>> from rnnsym.stability import half_life, spectral_radius, steps_to_half
>>> round(float(half_life(0.9)), 4)
6.5788
>>> J = [[0.9, 1.0], [0.0, 0.9]]
>>> spectral_radius(J), steps_to_half(J)
(0.9, 44)
>>> half_life(1.5)
Traceback (most recent call last):
...
rnnsym.errors.DomainError: `rho`=1.5 is outside the kernel's domain: rho < 1 fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from rnnsym.activations import Activation, Z, get_activation
from rnnsym.symbols import FIXED_POINT_KINDS, RHO, TAU
from rnnsym.errors import DomainError, InvalidArgumentError, ResourceLimitError, ShapeError
from rnnsym.kernel import Kernel, compile as compile_kernel
from rnnsym._matrices import as_float_array, as_int, as_int_array, as_scalar, as_tolerance, require_model

__all__ = [
    "RHO", "TAU", "KINDS", "Stability", "spectral_radius", "spectral_norm", "contraction_factor",
    "half_life_expr", "half_life", "half_life_kernel", "steps_to_half", "classify_moduli",
    "classify_jacobian", "float_verdict", "decide_undecided", "STABLE", "UNSTABLE", "SADDLE", "MARGINAL",
    "UNDECIDED", "EXACT_MAX_N", "MP_LEVELS", "activation_inverse", "require_in_range", "HalfLifeDesign",
    "design_unit", "design_half_life",
]

_T = sp.Symbol("t", positive=True)

#: Stability kinds, in the order of the integer codes used by sweeps.
KINDS = FIXED_POINT_KINDS
#: The codes: ``KINDS[code]`` is the kind.
STABLE, UNSTABLE, SADDLE, MARGINAL, UNDECIDED = (KINDS.index(k) for k in
                                                 ("stable", "unstable", "saddle", "marginal", "undecided"))
#: Largest ``n`` decided in exact rational arithmetic near the unit circle (about 0.5 s at 16).
EXACT_MAX_N = 16
#: Beyond it (or for irrational or complex entries): mpmath at ``dps`` times these digits.
MP_LEVELS = (1, 2, 4, 8)


def _float_matrix(value: Any, name: str) -> np.ndarray:
    """A finite numeric square matrix or stack ``(..., n, n)`` with ``n >= 1`` (complex where complex)."""
    arr = as_float_array(value, name, allow_empty=True, complex_ok=True)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ShapeError(f"`{name}` must be square (..., n, n); got shape {arr.shape}.")
    if arr.shape[-1] == 0:
        raise ShapeError(f"`{name}` must be at least 1x1; got shape {arr.shape}.")
    return arr.real if np.iscomplexobj(arr) and np.all(arr.imag == 0) else arr


def spectral_radius(matrix: Any) -> Any:
    """``max |lambda_i|`` of a numeric matrix; broadcasts over ``(..., n, n)``.

    >>> spectral_radius([[0.5, 1.0], [0.0, -2.0]])
    2.0
    """
    arr = _float_matrix(matrix, "matrix")
    out = np.max(np.abs(np.linalg.eigvals(arr)), axis=-1)
    return float(out) if out.ndim == 0 else out


def spectral_norm(matrix: Any) -> Any:
    """``||W||_2``: ``sqrt`` of the largest eigenvalue of ``W^T W``.

    Numeric input gives a float (through the SVD); a symbolic matrix gives
    a SymPy expression (eigenvalues by SymPy; sizes up to 2, or diagonal).

    >>> import sympy as sp
    >>> round(spectral_norm([[0.5, 2.0], [0.0, 0.5]]), 3)
    2.118
    >>> a, c = sp.symbols("a c", real=True)
    >>> spectral_norm(sp.Matrix([[a, 0], [0, c]]))
    Max(Abs(a), Abs(c))
    """
    if isinstance(matrix, sp.MatrixBase) and matrix.free_symbols:
        return _symbolic_spectral_norm(sp.Matrix(matrix))
    arr = _float_matrix(matrix, "matrix")
    out = np.linalg.norm(arr, ord=2, axis=(-2, -1)) if arr.ndim > 2 else np.linalg.norm(arr, 2)
    return float(out) if np.ndim(out) == 0 else out


def _symbolic_spectral_norm(W: sp.Matrix) -> sp.Expr:
    if W.rows != W.cols:
        raise ShapeError(f"`matrix` must be square; got shape {W.shape}.")
    if W.is_diagonal():
        return sp.Max(*[sp.Abs(d) for d in W.diagonal()])
    if W.rows > 2:

        raise ResourceLimitError(
            f"`matrix` is symbolic and {W.rows}x{W.rows} (limit 2x2, or diagonal): the largest "
            "eigenvalue of W^T W has no usable closed form beyond 2x2; substitute numbers and pass "
            "floats to spectral_norm() (numpy.linalg.norm(W, 2))."
        )
    gram = (W.T * W).applyfunc(sp.expand)
    eigs = list(gram.eigenvals())
    largest = eigs[0]
    if len(eigs) == 2:  # (T +- sqrt(T^2 - 4 det^2))/2: the larger carries +sqrt
        largest = eigs[1] if sp.expand(eigs[0] - eigs[1]).could_extract_minus_sign() else eigs[0]
    return sp.sqrt(sp.simplify(largest))


def contraction_factor(W_h: Any, activation: "str | Activation" = "tanh") -> Any:
    """The global contraction factor ``q = ||W_h||_2 L_phi`` (correction C14).

    ``W_h`` may also be an :class:`~rnnsym.model.RNN` (its activation is
    used).  ``q < 1`` proves a unique, globally attracting fixed point
    ``h*(u)``; it is sufficient, not necessary.

    >>> contraction_factor([[0.5, 0.3], [-0.2, 0.4]], "sigmoid") < 1
    True
    """
    if hasattr(W_h, "W_h") and hasattr(W_h, "activation"):  # an RNN (duck-typed: the model sits above)
        activation, W_h = W_h.activation, W_h.W_h
    lip = get_activation(activation).lipschitz
    norm = spectral_norm(W_h)
    if isinstance(norm, sp.Basic):
        return norm * lip
    return norm * float(lip)


@lru_cache(maxsize=None)
def half_life_expr() -> sp.Expr:
    """``t`` with ``rho**t = 1/2``, solved by SymPy.

    >>> half_life_expr()
    -log(2)/log(rho)
    """
    (solution,) = sp.solve(sp.Eq(RHO ** _T, sp.Rational(1, 2)), _T)
    return solution


def half_life_kernel() -> Kernel:
    """The compiled half-life, with domain ``0 < rho < 1`` as assumptions.

    ``rho > 0`` is kept unevaluated: ``RHO`` is a positive symbol, so SymPy
    would turn ``RHO > 0`` into ``True`` and the kernel would accept
    ``rho = -0.5`` (returning NaN) instead of raising.
    """
    positive = sp.StrictGreaterThan(RHO, 0, evaluate=False)
    return compile_kernel(half_life_expr(), [RHO], assumptions=[positive, RHO < 1])


def half_life(rho: Any, *, on_domain: str = "raise") -> Any:
    """Half-life ``ln 2 / (-ln rho)`` of perturbations decaying at rate ``rho``.

    Raises :class:`~rnnsym.errors.DomainError` outside ``0 < rho < 1``
    (``on_domain="nan"`` returns NaN there instead; a spectral radius is
    never negative), :class:`~rnnsym.errors.NonFiniteError` for NaN or
    infinite ``rho`` and :class:`~rnnsym.errors.InvalidArgumentError` for
    strings, ``None`` and other non-numbers.

    >>> half_life(-0.5)
    Traceback (most recent call last):
    ...
    rnnsym.errors.DomainError: `rho`=-0.5 is outside the kernel's domain: rho > 0 fails.
    """
    rho = as_float_array(rho, "rho", allow_empty=True)
    return half_life_kernel()(rho, on_domain=on_domain)


def steps_to_half(J: Any, *, max_steps: int = 100_000) -> int:
    """First ``K`` with ``||J^k||_2 <= 1/2`` for every ``k >= K`` (correction C3).

    For a non-normal ``J`` this can be far above the half-life: for
    ``[[0.9, 1], [0, 0.9]]`` the half-life is 6.58 but ``K = 44``.

    The answer is certified, not guessed from a scan window: writing
    ``k' = q k + r`` with ``0 <= r < k``, submultiplicativity gives
    ``||J^k'|| <= ||J^k||^q max_{r<k} ||J^r||``, so once some ``k`` has
    ``||J^k|| < 1`` every power beyond ``q* k`` is below ``1/2`` and only
    the powers before it are checked one by one.  (Norms are float64, each
    inflated by ``k n`` unit roundoffs against the rounding of the powers.)
    ``ResourceLimitError`` when no certificate is found within ``max_steps``.

    >>> steps_to_half([[0.5]])
    1
    >>> steps_to_half([[0.9, 1], [0, 0.9]])
    44
    """
    arr, max_steps = _float_matrix(J, "J"), as_int(max_steps, "max_steps", low=0)
    if arr.ndim != 2:
        raise ShapeError(f"`J` must be one (n, n) matrix; got shape {arr.shape}.")
    rho = spectral_radius(arr)
    if not rho < 1:
        raise DomainError(f"`J` has spectral radius {rho:.6g}; ||J^k|| never stays below 1/2 unless rho(J) < 1.")
    eps, n = float(np.finfo(float).eps), arr.shape[0]
    power, last_above, k = np.eye(n), 0, 0
    largest = 1.0          # max_{r < k} ||J^r||, upper bound
    horizon = math.inf     # every power from here on is certified <= 1/2
    while k + 1 < horizon:
        if k >= max_steps:
            raise ResourceLimitError(
                f"steps_to_half: no certificate within max_steps={max_steps} (rho(J) = {rho:.6g}); "
                "pass a larger max_steps.")
        k += 1
        power = power @ arr
        norm = float(np.linalg.norm(power, 2))
        upper = norm * (1 + 4 * k * n * eps) + np.finfo(float).tiny
        if norm > 0.5:
            last_above = k
        if upper < 1:
            target = 0.5 / max(largest, 1.0)   # need upper**q * largest <= 1/2
            q = 1 if upper <= target else math.ceil(math.log(target) / math.log(upper))
            horizon = min(horizon, q * k)
        largest = max(largest, upper)
    return last_above + 1


@dataclass(frozen=True)
class Stability:
    """How a fixed point responds to small perturbations.

    ``kind``: one of :data:`KINDS`; ``spectral_radius``: ``rho(J)`` (1.0 exactly when marginal);
    ``eigenvalues``: those of ``J`` (complex); ``margin``: ``|rho(J) - 1|`` at the precision that
    decided (0 when marginal); ``decided``: False only for ``"undecided"`` (``"marginal"`` is decided,
    ``rho(J) = 1`` exactly, though the linear test says nothing there, correction C2); ``precision``:
    ``"float64"``, ``"exact rational arithmetic"`` or ``"mpmath, N digits"``.
    """

    kind: str
    spectral_radius: float
    eigenvalues: np.ndarray
    margin: float
    decided: bool
    precision: str

    @property
    def message(self) -> str:
        if self.kind == "undecided":
            return (f"undecided: |rho(J) - 1| = {self.margin:.3g} is within the error at {self.precision}; "
                    "rho(J) < 1, = 1 or > 1 could not be told apart")
        if self.kind == "marginal":
            return f"marginal: rho(J) = 1 exactly ({self.precision}); the linear test is inconclusive (correction C2)"
        return f"{self.kind}: rho(J) = {self.spectral_radius:.6g} ({self.precision})"


def _codes(offset: np.ndarray, band: Any) -> np.ndarray:
    """Codes from ``|lambda_i| - 1`` ``(..., n)`` known to within ``band`` (0: exactly)."""
    band = np.broadcast_to(np.asarray(band, dtype=float), offset.shape)
    near = np.abs(offset) <= band
    inside, outside = ((offset < 0) & ~near).any(-1), ((offset > 0) & ~near).any(-1)
    unknown, on = (near & (band > 0)).any(-1), (near & (band == 0)).any(-1)
    code = np.where(outside, np.where(inside, SADDLE, np.where(unknown, UNDECIDED, UNSTABLE)),
                    np.where(unknown, UNDECIDED, np.where(on, MARGINAL, STABLE)))
    return code.astype(np.int8)


def classify_moduli(moduli: Any, tol: Any = 1e-9) -> np.ndarray:
    """Integer codes into :data:`KINDS` from eigenvalue moduli ``(..., n)`` known to within ``tol``.

    A modulus within ``tol`` (an array: per modulus) of 1 may lie on either
    side: ``UNDECIDED`` (4) unless the others decide (one above 1 and one
    below: saddle).  ``tol = 0`` takes them as exact: 1 is on the circle.

    >>> classify_moduli([[0.5, 0.2], [1.5, 0.2], [1.5, 2.0], [1.0, 0.3], [1.5, 1.0]]).tolist()
    [0, 2, 1, 4, 4]
    >>> classify_moduli([[1.0, 0.3], [1.5, 1.0]], tol=0).tolist()
    [3, 1]
    """
    m = as_float_array(moduli, "moduli", allow_empty=True)
    if m.ndim == 0:
        raise ShapeError(f"`moduli` must have shape (..., n); got a scalar {float(m)}.")
    band = as_float_array(tol, "tol", allow_empty=True)
    if np.any(band < 0):
        raise DomainError(f"`tol` must be >= 0; got {float(np.min(band))}.")
    return _codes(m - 1.0, band)


def decide_undecided(J: Any, codes: Any, tol: float = 1e-9) -> np.ndarray:
    """``codes`` of the stack ``J`` ``(..., n, n)``, each ``UNDECIDED`` one redone by :func:`classify_jacobian`.

    >>> decide_undecided([[[1.0, 1.0], [0.0, 1.0]]], [4]).tolist()
    [3]
    """
    arr = _float_matrix(J, "J")
    out = as_int_array(codes, "codes", low=0, high=len(KINDS) - 1).astype(np.int8)
    if out.shape != arr.shape[:-2]:
        raise ShapeError(f"`codes` must have shape {arr.shape[:-2]} (one per matrix); got {out.shape}.")
    for idx in map(tuple, np.argwhere(out == UNDECIDED)):
        out[idx] = KINDS.index(classify_jacobian(arr[idx], tol=tol).kind)
    return out


def _fraction(v: Any) -> Fraction | None:
    """``v`` as the exact rational it is (a float or mpf is a binary fraction); None if it is none."""
    if isinstance(v, (Fraction, int, np.integer)):
        return Fraction(int(v)) if isinstance(v, np.integer) else Fraction(v)
    if isinstance(v, (float, np.floating)):
        return Fraction(float(v)) if math.isfinite(v) else None
    if isinstance(v, mpmath.mpf) and mpmath.isfinite(v):
        man, exp = v.man_exp
        return Fraction(int(man) << exp) if exp >= 0 else Fraction(int(man), 1 << -exp)
    exact = isinstance(v, sp.Basic) and (v.is_Rational or v.is_Float) and v.is_finite
    return Fraction(int(sp.Rational(v).p), int(sp.Rational(v).q)) if exact else None


def _rational_rows(rows: list) -> list[list[Fraction]] | None:
    """``rows`` as fractions, a complex ``A + iB`` as ``[[A, -B], [B, A]]`` (eigenvalues ``lam`` and
    ``conj(lam)``: the same moduli); None where an entry is not (Gaussian) rational."""
    cplx = (complex, np.complexfloating, mpmath.mpc)
    re: list[list[Any]] = [[_fraction(v.real if isinstance(v, cplx) else v) for v in row] for row in rows]
    im: list[list[Any]] = [[_fraction(v.imag) if isinstance(v, cplx) else Fraction(0) for v in row] for row in rows]
    if any(f is None for part in (re, im) for row in part for f in row):
        return None
    if not any(f for row in im for f in row):
        return re
    return [a + [-f for f in b] for a, b in zip(re, im)] + [b + a for a, b in zip(re, im)]


_X = sp.Symbol("x")


def _exact_counts(rows: list[list[Fraction]]) -> tuple[int, int, int]:
    """Distinct eigenvalues ``(inside, on, outside)`` the unit circle of a rational matrix, exactly.

    ``lam = (1 + z) / (1 - z)`` takes the squarefree part ``s`` of the
    characteristic polynomial over QQ to ``q(z) = (1 - z)**d s((1 + z) / (1 - z))``,
    with the disc in ``Re z < 0`` and the circle on the imaginary axis (a
    root ``lam = -1``, sent to infinity, is split off first); SymPy counts
    the roots of ``q`` in the closed rectangles left and right of the axis
    up to the Cauchy bound (Sturm sequences: nothing is approximated).
    """
    n = len(rows)
    matrix = DomainMatrix([[QQ(v.numerator, v.denominator) for v in row] for row in rows], (n, n), QQ)
    s = sp.Poly(matrix.charpoly(), _X, domain=QQ).sqf_part()
    on = 0
    if s.eval(-1) == 0:
        on, s = 1, s.quo(sp.Poly(_X + 1, _X, domain=QQ))
    d = s.degree()
    if d <= 0:
        return 0, on, 0
    plus, minus = sp.Poly(1 + _X, _X, domain=QQ), sp.Poly(1 - _X, _X, domain=QQ)
    q = sum((c * plus ** k * minus ** (d - k) for k, c in enumerate(reversed(s.all_coeffs()))),
            sp.Poly(0, _X, domain=QQ))
    lead, *rest = q.all_coeffs()
    reach = sp.Integer(2) ** (int(1 + max((abs(c / lead) for c in rest), default=0)).bit_length() + 1)
    left = q.count_roots(-reach - reach * sp.I, reach * sp.I)
    right = q.count_roots(-reach * sp.I, reach + reach * sp.I)
    axis = left + right - d
    return left - axis, on + axis, right - axis


def _mp_number(v: Any, digits: int) -> Any:
    if (f := _fraction(v)) is not None:
        return mpmath.mpf(f.numerator) / f.denominator
    try:
        return mpmath.mpmathify(sp.N(v, digits + 5) if isinstance(v, sp.Basic) else v)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"`exact` must hold numbers; got {v!r}.") from None


def _mp_eig(rows: list, digits: int) -> tuple[list, list]:
    """Eigenvalues and their moduli at ``digits`` digits (mpmath's ``eig`` of a 1x1 is a tuple: not called)."""
    with mpmath.workdps(digits):
        mat = mpmath.matrix([[_mp_number(v, digits) for v in row] for row in rows])
        E = [mat[0, 0]] if mat.rows == 1 else list(mpmath.eig(mat, left=False, right=False))
        return E, [abs(e) for e in E]


def float_verdict(J: Any, tol: float = 1e-9) -> Stability | None:
    """The float64 verdict where every modulus is farther from 1 than ``tol`` and than its error bound
    ``8 n eps ||J||_F kappa_i`` (first order; ``kappa_i`` the eigenvalue's condition number, infinite
    where LAPACK's eigenvectors are singular); None otherwise.

    >>> float_verdict([[0.5]]).kind, float_verdict([[1.0]])
    ('stable', None)
    """
    arr, tol = _float_matrix(J, "J"), as_tolerance(tol)
    if arr.ndim != 2:
        raise ShapeError(f"`J` must be one (n, n) matrix; got shape {arr.shape}.")
    eigs, vecs = np.linalg.eig(arr)
    with np.errstate(all="ignore"):
        try:
            kappa = np.linalg.norm(np.linalg.inv(vecs), axis=1) * np.linalg.norm(vecs, axis=0)
        except np.linalg.LinAlgError:
            kappa = np.full(len(arr), np.inf)
        bound = 8 * len(arr) * np.finfo(float).eps * np.linalg.norm(arr) * kappa
        moduli = np.abs(eigs)
        code = int(_codes(moduli - 1.0, np.maximum(tol, np.where(np.isfinite(bound), bound, np.inf))))
    rho = float(moduli.max())
    return None if code == UNDECIDED else Stability(KINDS[code], rho, eigs, abs(rho - 1), True, "float64")


def classify_jacobian(J: Any, *, exact: Any = None, tol: float = 1e-9, dps: int = 30) -> Stability:
    """Classify a fixed point from its Jacobian ``J`` (float ``(n, n)``), exactly where the numbers allow.

    Far from the unit circle the float64 eigenvalues decide (:func:`float_verdict`).
    Otherwise the numbers given do: ``exact`` (a SymPy matrix or nested lists
    of SymPy numbers, ``mpmath.mpf``, fractions) or else the entries of ``J``
    (a float is an exact binary fraction).  Rational entries, ``n <=
    EXACT_MAX_N``: exact rational arithmetic (:func:`_exact_counts`), so
    ``rho(J) = 1`` is ``"marginal"`` and ``1 +- 1e-30`` is told apart; else
    mpmath at ``dps`` times :data:`MP_LEVELS` digits, each level checked
    against the one before.  What none of them decides is ``"undecided"``.

    >>> classify_jacobian([[2.0]]).kind, classify_jacobian([[1.0 + 1e-9]]).kind
    ('unstable', 'unstable')
    >>> s = classify_jacobian([[1.0, 1.0], [0.0, 1.0]])
    >>> s.kind, s.decided, s.precision
    ('marginal', True, 'exact rational arithmetic')
    """
    arr, dps = _float_matrix(J, "J"), as_int(dps, "dps", low=1)
    first = float_verdict(arr, tol)
    if first is not None:
        return first
    n = arr.shape[0]
    rows = exact.tolist() if isinstance(exact, sp.MatrixBase) else (arr.tolist() if exact is None else exact)
    if len(rows) != n or any(len(row) != n for row in rows):
        raise ShapeError(f"`exact` must be {n}x{n} like `J`; got rows of {[len(row) for row in rows]} entries.")
    fractions = _rational_rows(rows)
    if fractions is not None and len(fractions) <= EXACT_MAX_N:
        inside, on, outside = _exact_counts(fractions)
        code = (SADDLE if inside else UNSTABLE) if outside else (MARGINAL if on else STABLE)
        digits, precision = 2 * dps, "exact rational arithmetic"
        E, moduli = _mp_eig(rows, digits)
    else:
        code, E, moduli, digits = _escalate(rows, dps)
        precision = f"mpmath, {digits} digits"
    with mpmath.workdps(digits):
        margin = 0.0 if code == MARGINAL else float(abs(max(moduli) - 1))
    rho = 1.0 if code == MARGINAL else float(max(moduli))
    return Stability(KINDS[code], rho, np.array([complex(e) for e in E]), margin, code != UNDECIDED, precision)


def _escalate(rows: list, dps: int) -> tuple[int, list, list, int]:
    """mpmath at ``dps`` times :data:`MP_LEVELS` digits; within ``16 |change| + 10**(5 - digits)`` of 1: undecided."""
    previous, code = None, UNDECIDED
    for level in MP_LEVELS:
        digits = level * dps
        E, moduli = _mp_eig(rows, digits)
        moduli = sorted(moduli)
        if previous is not None:
            with mpmath.workdps(digits):
                change = max(abs(a - b) for a, b in zip(moduli, previous))
                band = float(16 * change + mpmath.mpf(10) ** (5 - digits) * max(1, moduli[-1]))
                code = int(_codes(np.array([float(m - 1) for m in moduli]), band))
            if code != UNDECIDED:
                break
        previous = moduli
    return code, E, moduli, digits


def require_in_range(activation: "str | Activation", h: Any, name: str = "h_star", *,
                     open_interval: bool = False) -> np.ndarray:
    """Check that every entry of ``h`` lies in the range of ``phi``.

    A fixed point satisfies ``h* = phi(...)``, so it lies in the closure of
    the range; ``open_interval=True`` excludes the ends (where ``phi``
    cannot be inverted).
    """
    arr, activation = np.atleast_1d(as_float_array(h, name)), get_activation(activation)
    rng = activation.output_range
    lo, hi = float(rng.inf), float(rng.sup)
    bad = (arr < lo) | (arr > hi)
    if open_interval:
        bad |= ((arr == lo) & np.isfinite(lo)) | ((arr == hi) & np.isfinite(hi))
    if bad.any():
        where = "the open interval" if open_interval else "the range"
        raise DomainError(
            f"`{name}`={arr.tolist()} lies outside {where} {rng} of {activation.name}; "
            f"a fixed point satisfies h* = phi(...), so it must lie in that range."
        )
    return arr


def activation_inverse(activation: "str | Activation", y: Any) -> sp.Expr:
    """The unique real ``z`` with ``phi(z) = y``, solved by SymPy.

    >>> import sympy as sp
    >>> activation_inverse("tanh", sp.Rational(1, 2))
    atanh(1/2)
    """
    act = get_activation(activation)
    y = as_scalar(y, "h_star")
    if y.is_number:
        require_in_range(act, float(y), "h_star", open_interval=True)
        sol = sp.solveset(sp.Eq(act.expr, y), Z, sp.S.Reals)
        if isinstance(sol, sp.FiniteSet) and len(sol) == 1:
            return next(iter(sol))
        raise DomainError(
            f"`h_star`={y} does not determine a unique pre-activation for {act.name} "
            f"(solutions {sol}); choose a point where phi is invertible."
        )
    sols = [s for s in sp.solve(sp.Eq(act.expr, y), Z) if not s.has(sp.nan, sp.Piecewise)]
    rng = act.output_range
    mid = (rng.inf + rng.sup) / 2 if rng.inf.is_finite and rng.sup.is_finite else sp.Rational(1, 2)
    real = [s for s in sols if sp.N(s.subs(y, mid)).is_real]
    if len(real) != 1:
        raise InvalidArgumentError(f"cannot invert {act.name} symbolically; substitute a number for `h_star`.")
    return sp.simplify(real[0])


@dataclass(frozen=True)
class HalfLifeDesign:
    """Weights that put a stable fixed point at ``h_star`` with half-life ``tau``.

    Attributes
    ----------
    model : RNN
        The designed network (``W_h`` scaled by ``scale``, ``b`` re-solved).
    scale : float
        The factor ``s`` applied to ``W_h`` (for the 1-D design, ``w`` itself).
    rho : float
        ``rho(J) = 2**(-1/tau)`` at ``h_star``.
    steps_to_half : int
        First ``K`` with ``||J^k||_2 <= 1/2`` for all ``k >= K`` (correction C3).
    """

    model: Any
    scale: float
    rho: float
    steps_to_half: int


def _rho_for(tau: Any) -> sp.Expr:
    """``rho`` with half-life ``tau``: SymPy inverts :func:`half_life_expr`."""
    (rho,) = sp.solve(sp.Eq(half_life_expr(), TAU), RHO)
    return rho.subs(TAU, tau)


def _check_tau(tau: Any) -> sp.Expr:
    value = as_scalar(tau, "tau")
    if value.is_number and not (value.is_real and value.is_finite and value > 0):
        raise DomainError(f"`tau`={tau} must be a finite half-life > 0 (in steps).")
    return value


def design_unit(tau: Any, h_star: Any, activation: "str | Activation" = "tanh") -> tuple[sp.Expr, sp.Expr]:
    """``(w, b)`` of a 1-D unit ``h = phi(w h + b)`` with fixed point ``h_star``
    and half-life ``tau``, in closed form.

    ``z* = phi^{-1}(h*)`` fixes the pre-activation; ``J = w phi'(z*)`` must be
    ``+-2**(-1/tau)``; the root with ``w > 0`` is returned, and ``b = z* - w h*``.

    >>> import sympy as sp
    >>> design_unit(1, 0)
    (1/2, 0)
    """
    act = get_activation(activation)
    tau = _check_tau(tau)
    z_star = activation_inverse(act, h_star)
    slope = act.derivative(z_star)
    if slope.is_number and slope == 0:
        raise DomainError(f"phi'(z*) = 0 at `h_star`={h_star}: no weight gives a finite half-life there.")
    w = sp.simplify(_rho_for(tau) / slope)
    return w, sp.simplify(z_star - w * as_scalar(h_star, "h_star"))


def design_half_life(net: Any, h_star: Any, tau: Any, x: Any = None) -> HalfLifeDesign:
    """Scale ``W_h`` by ``s`` and re-solve ``b`` so that ``h_star`` stays the
    fixed point and its half-life is ``tau`` (n dimensions).

    With ``z* = phi^{-1}(h*)`` held fixed, ``J(s) = D(z*) s W_h``, so
    ``rho(J)`` is proportional to ``s`` and ``s = 2**(-1/tau) / rho(D W_h)``.
    Scaling ``W_h`` with ``b`` held fixed instead moves ``h*`` and may never
    reach the target.

    >>> from rnnsym.model import RNN
    >>> d = design_half_life(RNN([[0.5, 0.2], [0.1, 0.4]]), [0.1, -0.2], 3.0)
    >>> round(d.rho, 6), round(float(half_life(d.rho)), 6)
    (0.793701, 3.0)
    """
    tau, net = _check_tau(tau), require_model(net, numeric=True)
    h = require_in_range(net.activation, h_star, open_interval=True)
    if h.shape != (net.n,):
        raise ShapeError(f"`h_star` must have {net.n} entries; got shape {h.shape}.")
    W_h, W_x, _ = net.numeric_weights()
    x_arr = np.zeros(net.m) if x is None else np.atleast_1d(as_float_array(x, "x"))
    if x_arr.shape != (net.m,):
        raise ShapeError(f"`x` must have {net.m} entries; got shape {x_arr.shape}.")
    drive = W_x @ x_arr
    z = np.array([float(activation_inverse(net.activation, sp.Float(v))) for v in h])
    D = np.diag(net.activation.numpy_prime(z))
    rho0 = spectral_radius(D @ W_h)
    if rho0 == 0:
        raise DomainError("rho(D W_h) = 0 at `h_star`: scaling W_h cannot produce a positive decay rate.")
    rho = float(_rho_for(tau))
    s = rho / rho0
    model = type(net)(s * W_h, net.W_x, z - s * W_h @ h - drive, net.activation)
    return HalfLifeDesign(model, s, rho, steps_to_half(s * D @ W_h))
