"""Kernel accuracy in ULP against mpmath at 50 digits, in each kernel's hard regions.

Each row samples where a kernel is hard to evaluate (saturation, the cusp of
``b_c`` at ``w -> 1``, ``rho -> 1``, tiny steps of Euler's method, tiny and
huge magnitudes) and bounds the worst error in units in the last place.
Exact values below the smallest normal float (2.2e-308) are compared
absolutely: there ULP lose their meaning.  Matrix-valued results (eigenmodes,
controllability, observability, gradient_norms) are measured entry by entry per
unit of a condition number of the entry (see ``condition``).  Run with ``-s``
to see the table.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.activations import Z

TINY = np.finfo(float).tiny
BOUND = 8.0
# Matrix entries that are sums of many terms (61 terms of degree 4 in A^3 B at
# n = 4; 32 terms of degree 12 in a 6-step gradient product at n = 2) carry 40 to
# 63 roundings against about 10 for the other rows: their errors add up like a
# random walk, about sqrt(63 / 10) = 2.5 times larger (the worst case is one
# ULP per rounding and unit of kappa).  Their stated bound is twice BOUND: over
# several thousand points per row, with other seeds, the worst seen was 9.2 ULP
# per unit of kappa (n = 4, at kappa = 1) and 6.1 (6 steps).
LONG_SUM_BOUND = 2 * BOUND
TABLE: list[tuple[str, float]] = []


def worst_ulp(kernel: rs.Kernel, exact_expr, columns: list[np.ndarray], kappa=None) -> float:
    """Worst |fast - exact| / spacing(exact) over the sample (per unit of ``kappa``).

    ``kappa`` has one value per sample point, or one per point and matrix entry
    (shape ``(points, entries)``, entries in row-major order).
    """
    size = len(columns[0])
    kappa = np.ones(size) if kappa is None else kappa
    kappa = np.asarray(kappa, dtype=float).reshape(size, -1)
    exact = rs.compile(exact_expr, kernel.args, backend="mpmath", dps=50)
    fast = np.asarray(kernel(*columns), dtype=float).reshape(size, -1)
    worst = 0.0
    for i in range(size):
        with mpmath.workdps(50):
            slow = exact(*[c[i] for c in columns])
            values = list(np.ravel(slow)) if hasattr(slow, "__len__") else [slow]
            for j, (f, e) in enumerate(zip(fast[i], values)):
                e = mpmath.mpf(e)
                if abs(e) < TINY:
                    assert abs(f - float(e)) <= TINY, (f, e)
                    continue
                err = float(abs(mpmath.mpf(float(f)) - e) / np.spacing(abs(float(e))))
                worst = max(worst, err / kappa[i, j % kappa.shape[1]])
    return worst


def record(name: str, ulp: float, bound: float = BOUND) -> None:
    TABLE.append((name, ulp))
    print(f"\n  ULP  {name:<58} worst {ulp:8.2f}  (bound {bound:g})")
    assert ulp <= bound, f"{name}: {ulp:.2f} ULP > {bound}"


ACTIVATIONS = [rs.get_activation(n) for n in rs.ACTIVATION_NAMES] + [
    rs.get_activation("leaky_relu", slope="1/10")]
Z_SAMPLE = np.concatenate([-np.logspace(-300, 2.85, 300), [0.0], np.logspace(-300, 2.85, 300),
                           np.linspace(-40, 40, 161)])


@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: a.name)
def test_activation_and_derivative_kernels_are_accurate(act: rs.Activation) -> None:
    for label, expr in (("phi", act.expr), ("phi'", act.derivative_expr)):
        kernel = rs.compile(expr, [Z])
        record(f"{act.name} {label} over |z| in [1e-300, 700]", worst_ulp(kernel, expr, [Z_SAMPLE]))


def test_numpy_derivatives_of_activations_are_accurate() -> None:
    for act in ACTIVATIONS:
        kernel = rs.compile(act.derivative_expr, [Z])  # reference path: the kernel checked above
        np.testing.assert_allclose(act.numpy_prime(Z_SAMPLE), kernel(Z_SAMPLE), rtol=4e-15, atol=TINY)


def test_saddle_node_bias_keeps_its_digits_at_the_cusp() -> None:
    d = rs.derive("fixed_points")
    ws = np.concatenate([1 + np.logspace(-15, -0.5, 400), np.linspace(1.2, 1.5, 200),
                         np.logspace(0.2, 12, 200)])
    record("fixed_points b_c(w), w -> 1 and w -> oo", worst_ulp(d.kernel, d.result, [ws]))


def test_half_life_near_rho_one_and_zero() -> None:
    d = rs.derive("half_life")
    rho = np.concatenate([1 - np.logspace(-15, -1, 300), np.logspace(-300, -1, 200)])
    record("half_life t(rho), rho -> 1 and rho -> 0", worst_ulp(d.kernel, d.result, [rho]))


def test_sign_memory_tiny_and_huge_pulses() -> None:
    d = rs.derive("sign_memory")
    x = -np.concatenate([np.logspace(-300, 2.5, 400)])
    record("sign_memory h_2(x_1), |x_1| in [1e-300, 300]", worst_ulp(d.kernel, d.result, [x]))


def test_euler_global_error_for_tiny_steps_within_its_conditioning() -> None:
    """Stated reason for the scaled bound: ``lam * dt`` is a rounded product, and
    ``exp(lam N dt)`` turns its relative error into ``|lam N dt|`` times as much;
    errors are measured per unit of ``kappa = 1 + |lam N dt|``. The direct form
    ``exp(lam N dt) - (1 + dt lam)^N`` keeps no correct digit at dt = 1e-9 (1e17 ULP)."""
    d = rs.derive("ode_error")
    rng = np.random.default_rng(0)
    lam = rng.uniform(-3, 3, 300)
    dt = 10 ** rng.uniform(-9, -0.3, 300)
    n = rng.integers(1, 10**5, 300).astype(float)
    keep = lam * dt > -1
    cols = [lam[keep], dt[keep], n[keep]]
    kappa = 1 + np.abs(cols[0] * cols[1] * cols[2])
    record("ode_error e_N(lam, dt, N), dt in [1e-9, 0.5], per unit of kappa",
           worst_ulp(d.kernel, d.result, cols, kappa))


def test_contraction_factor_closed_form() -> None:
    d = rs.derive("contraction")
    rng = np.random.default_rng(1)
    cols = [rng.standard_normal(200) * 10 ** rng.uniform(-5, 5, 200) for _ in range(4)]
    cols.append(np.ones(200))
    record("contraction q(W_h, L_phi), entries in [1e-5, 1e5]", worst_ulp(d.kernel, d.result, cols))


def test_recurrence_jacobian_in_saturation_within_its_conditioning() -> None:
    """Stated reason for the scaled bound: the pre-activation ``a`` is a rounded sum,
    off by up to ``eps * sum|terms|``, and ``sech^2`` turns that into a relative
    error ``2 |tanh a|`` times larger; so the error is measured in ULP per unit of
    that condition number ``kappa = 1 + 2 sum|terms|`` (no kernel can beat it)."""
    d = rs.derive("recurrence", n=1)
    rng = np.random.default_rng(2)
    size = 300
    h, x = rng.uniform(-1, 1, (size, 1)), rng.uniform(-1, 1, (size, 1))
    params = [rng.uniform(-1, 1, size) * 10 ** rng.uniform(-3, 2.5, size) for _ in range(3)]
    kernel = d.kernel
    exact = rs.compile(d.result, kernel.args, backend="mpmath", dps=50)
    fast = kernel(h, x, *params)[:, 0, 0]
    worst = 0.0
    for i in range(size):
        w_h, w_x, b = (p[i] for p in params)
        kappa = 1 + 2 * (abs(w_h * h[i, 0]) + abs(w_x * x[i, 0]) + abs(b))
        e = mpmath.mpf(exact(h[i], x[i], *[p[i] for p in params])[0, 0])
        if abs(e) < TINY:
            assert abs(fast[i]) <= TINY
            continue
        ulp = float(abs(mpmath.mpf(fast[i]) - e) / np.spacing(abs(float(e))))
        worst = max(worst, ulp / kappa)
    record("recurrence D_t W_h in saturation, ULP per unit of kappa", worst)


# ------------------------------------------------------------ matrix-valued results
# The results of eigenmodes, controllability, observability and gradient_norms
# are matrices whose entries are sums of products of the inputs (or quotients
# of such sums).  A sum of terms that cancel loses relative accuracy however it
# is added up: each rounding in computing the terms and adding them costs up to
# ``eps * sum|terms|``, so relative to the sum the error grows by
# ``sum|terms| / |sum|``.  Each matrix row is therefore measured in ULP per unit
# of that condition number, derived entry by entry from the expression the
# kernel evaluates (``condition`` below) and evaluated at 50 digits.


def _is_input(term: sp.Expr) -> bool:
    """An input or its negation: a float the kernel receives exactly."""
    return term.is_Atom or (term.is_Mul and len(term.args) == 2 and -1 in term.args
                            and any(a.is_Symbol for a in term.args))


def condition(expr: sp.Expr) -> sp.Expr:
    """The condition number of evaluating ``expr`` as written, as a SymPy expression.

    Relative errors of factors add up in products and quotients (an integer
    power ``x**k`` multiplies that of ``x`` by ``|k|``); a sum amplifies the
    errors of its terms and of its own additions by ``sum|t| (1 + kappa_t) / |sum|``.
    Inputs are exact (``kappa = 0``), and the difference of two inputs is
    one correctly rounded operation (``kappa = 1``: ``D0 - D1`` keeps all its
    digits, however close ``D0`` and ``D1`` are).  For an entry that is a sum of
    products of inputs this is ``sum|terms| / |sum|``.
    """
    if expr.is_Atom:
        return sp.Integer(0)
    if expr.is_Add:
        if len(expr.args) == 2 and all(_is_input(t) for t in expr.args):
            return sp.Integer(1)
        return sp.Add(*[sp.Abs(t) * (1 + condition(t)) for t in expr.args]) / sp.Abs(expr)
    if expr.is_Mul:
        return sp.Add(*[condition(f) for f in expr.args])
    if expr.is_Pow and expr.exp.is_Integer:
        return abs(expr.exp) * condition(expr.base)
    raise NotImplementedError(f"no condition number for {expr.func.__name__}")  # pragma: no cover


def entry_kappa(kernel: rs.Kernel, columns: list[np.ndarray]) -> np.ndarray:
    """``max(1, condition(entry))`` at 50 digits, shape ``(points, entries)``."""
    kappa = rs.compile(kernel.expr.applyfunc(condition), kernel.args, backend="mpmath", dps=50)
    values = np.asarray(kappa(*columns), dtype=float).reshape(len(columns[0]), -1)
    return np.maximum(1.0, values)


def matrix_row(name: str, kernel: rs.Kernel, exact_expr, columns: list[np.ndarray],
               bound: float = BOUND) -> float:
    """Record the worst error of a matrix kernel per unit of each entry's ``kappa``."""
    kappa = entry_kappa(kernel, columns)
    ulp = worst_ulp(kernel, exact_expr, columns, kappa)
    record(f"{name}, per unit of kappa (max {kappa.max():.0e})", ulp, bound)
    return ulp


def _log_uniform(rng: np.random.Generator, low: float, high: float, size) -> np.ndarray:
    return 10 ** rng.uniform(low, high, size)


def _signs(rng: np.random.Generator, size) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size)


def _pick(rng: np.random.Generator, size: int, *options: np.ndarray) -> np.ndarray:
    """Per sample point, one of the ``options`` (arrays with leading dimension ``size``)."""
    which = rng.integers(0, len(options), size)
    out = options[0].copy()
    for k, option in enumerate(options[1:], 1):
        out[which == k] = option[which == k]
    return out


def _orthogonal(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((size, n, n)))
    return q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]


def _hard_matrices(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Matrices with eigenvalues near the unit circle, near-repeated, and generic.

    * ``(1 - delta) O`` with ``O`` orthogonal: every ``|eigenvalue| -> 1``
      (``delta`` down to 1e-15);
    * ``S (lam I + eps N) S^-1`` with ``N`` strictly upper triangular: a
      near-defective matrix, eigenvalues ``lam`` repeated up to ``eps`` (down
      to 1e-12), ``|lam| -> 1``;
    * ``S (delta I + N) S^-1``: nearly nilpotent (``delta`` down to 1e-12), so
      that the entries of its powers cancel almost completely;
    * generic Gaussian matrices, and ones that are nearly the identity.
    """
    eye = np.eye(n)
    unit = (1 - _log_uniform(rng, -15, -1, (size, 1, 1))) * _orthogonal(rng, size, n)
    lam = _signs(rng, (size, 1, 1)) * (1 - _log_uniform(rng, -15, -1, (size, 1, 1)))
    upper = np.triu(rng.standard_normal((size, n, n)), 1)
    s = rng.standard_normal((size, n, n)) + 2 * eye
    s_inv = np.linalg.inv(s)
    defective = s @ (lam * eye + upper * _log_uniform(rng, -12, 0, (size, 1, 1))) @ s_inv
    nilpotent = s @ (_log_uniform(rng, -12, -1, (size, 1, 1)) * eye + upper) @ s_inv
    near_eye = eye + _log_uniform(rng, -12, -1, (size, 1, 1)) * rng.standard_normal((size, n, n))
    return _pick(rng, size, unit, defective, nilpotent, rng.standard_normal((size, n, n)), near_eye)


def _near_orthogonal_rows(rng: np.random.Generator, a: np.ndarray, rows: int) -> np.ndarray:
    """``rows x n`` rows nearly orthogonal to column 0 of ``a``: ``(C A)[:, 0]`` cancels."""
    size, n = a.shape[:2]
    c = rng.standard_normal((size, rows, n))
    col = a[:, :, 0][:, None, :]
    c -= (np.sum(c * col, axis=2, keepdims=True) / np.sum(col * col, axis=2, keepdims=True)) * col
    return c + _log_uniform(rng, -14, -2, (size, 1, 1)) * rng.standard_normal((size, rows, n))


def _linear_columns(rng: np.random.Generator, size: int, n: int, k: int, output: bool) -> list:
    """``A`` and the input matrix ``B`` (``n x k``), or the output matrix ``C`` (``k x n``).

    Half the ``B`` (``C``) are nearly orthogonal to a row (column) of ``A``, so
    that entries of ``A B`` (``C A``) cancel.  ``A`` and ``B`` (``C``) are scaled
    by ``10**[-50, 50]`` each, the range in which every term of ``A^{n-1} B``
    stays a normal float for ``n <= 4``.
    """
    a = _hard_matrices(rng, size, n)
    other = _near_orthogonal_rows(rng, a if output else a.transpose(0, 2, 1), k)
    other = _pick(rng, size, other, rng.standard_normal((size, k, n)))
    other = other if output else other.transpose(0, 2, 1)
    a = a * _log_uniform(rng, -50, 50, (size, 1, 1))
    other = other * _log_uniform(rng, -50, 50, (size, 1, 1))
    return [*a.reshape(size, -1).T, *other.reshape(size, -1).T]


def _tanh_slopes(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """``phi'`` of tanh units, ``sech^2(z)``: mixed per unit between the linear regime
    (``1 - 1e-16 .. 1 - 0.1``, and exactly 1), saturation (``z`` in [5, 30]: down to
    3.5e-26) and generic ``z``; in a quarter of the points all slopes are equal to
    within ``1e-15 .. 1e-3`` (units in the same regime)."""
    linear = 1 - _log_uniform(rng, -16, -1, (size, n))
    linear[rng.random((size, n)) < 0.1] = 1.0
    saturated = 1 / np.cosh(rng.uniform(5, 30, (size, n))) ** 2
    generic = 1 / np.cosh(rng.uniform(-3, 3, (size, n))) ** 2
    which = rng.integers(0, 3, (size, n))
    d = np.choose(which, [linear, saturated, generic])
    close = rng.random(size) < 0.25
    d[close, 1:] = d[close, :1] * (1 - _log_uniform(rng, -15, -3, (close.sum(), n - 1)))
    return d


def _eigenmode_columns(rng: np.random.Generator, size: int, n: int) -> list:
    """``Q`` (eigenvectors), ``lam`` and the slopes ``D`` of the coupling ``Q^-1 D Q Lam``.

    ``Q``: generic; nearly parallel columns (a non-normal ``A`` with nearly
    repeated eigenvalues: ``cond(Q)`` up to about 1e12); nearly diagonal and
    orthogonal (``A`` nearly normal); each column scaled by ``10**[-20, 20]``
    (eigenvectors have no fixed length; the kernel forms ``det Q``, so it returns
    NaN once ``|Q|**n`` leaves the float range, at entries near ``1e110`` for
    ``n = 3``, although ``Q -> c Q`` leaves the coupling unchanged).  ``lam``: ``|lam| -> 1`` (to 1e-15),
    nearly repeated (to 1e-15 relative), tiny (``10**[-30, 0]``) and generic.
    """
    generic = rng.standard_normal((size, n, n))
    parallel = generic.copy()
    nudge = _log_uniform(rng, -12, -2, (size, 1)) * rng.standard_normal((size, n))
    parallel[:, :, 1] = parallel[:, :, 0] + nudge
    near_eye = np.eye(n) + _log_uniform(rng, -12, -1, (size, 1, 1)) * generic
    q = _pick(rng, size, generic, parallel, near_eye, _orthogonal(rng, size, n))
    q = q * _log_uniform(rng, -20, 20, (size, 1, n))
    unit = _signs(rng, (size, n)) * (1 - _log_uniform(rng, -15, -1, (size, n)))
    repeated = unit.copy()
    split = _signs(rng, (size, n - 1)) * _log_uniform(rng, -15, -3, (size, n - 1))
    repeated[:, 1:] = repeated[:, :1] * (1 + split)
    tiny = _signs(rng, (size, n)) * _log_uniform(rng, -30, 0, (size, n))
    lam = _pick(rng, size, unit, repeated, tiny, rng.uniform(-1, 1, (size, n)))
    return [*q.reshape(size, -1).T, *lam.T, *_tanh_slopes(rng, size, n).T]


@pytest.mark.parametrize("n", [2, 3])
def test_eigenmode_coupling_within_its_conditioning(n: int) -> None:
    """Stated reason for the scaled bound: each entry of ``Q^-1 D Q Lam`` is
    ``lam_j N_ij / det Q`` with ``N_ij`` and ``det Q`` sums of products of
    the inputs.  ``det Q`` cancels as the eigenvectors become parallel (nearly
    repeated eigenvalues of a non-normal ``A``) and ``N_ij`` as well, so the
    error is measured per unit of ``kappa = sum|N terms| / |N| + sum|det terms| /
    |det Q|`` (``condition``; for ``n = 2`` SymPy factors ``N_ij`` of the
    off-diagonal entries into ``(D_0 - D_1) Q Q``, which keeps its digits).

    For ``n = 3`` the off-diagonal ``N_ij`` stay sums such as ``D_0 Q Q Q -
    D_1 Q Q Q + ...`` that cancel as the slopes become equal, so ``kappa`` grows
    like ``|D| / |D_i - D_j|``; that is also the entry's own condition number for
    relative changes of the ``D`` (the kernel keeps within 2 ULP of it)."""
    d = rs.derive("eigenmodes", n=n)
    cols = _eigenmode_columns(np.random.default_rng(10 + n), 200, n)
    matrix_row(f"eigenmodes Q^-1 D Q Lam, n={n}", d.kernel, d.result, cols)


LINEAR_SIZES = [(2, 1), (3, 2), (4, 1)]


def _linear_kernel(name: str, n: int, k: int) -> tuple[rs.Kernel, object]:
    """The derivation's kernel; for ``n = 4`` the same compiled matrix without the steps.

    ``derive`` asserts that its result is ``LinearRNN.controllability_matrix()``
    (``observability_matrix()``) and compiles it over ``[*A, *B]`` (``[*A, *C]``);
    at ``n = 4`` its exact rank analysis of the steps takes minutes, so the row
    compiles that matrix directly.
    """
    if n <= 3:
        d = rs.derive(name, n=n, **{"m" if name == "controllability" else "p": k})
        return d.kernel, d.result
    from rnnsym.linear.system import LinearRNN

    if name == "controllability":
        system = LinearRNN.symbolic(n, k)
        result, args = system.controllability_matrix(), [*system.A, *system.B]
    else:
        system = LinearRNN.symbolic(n, 1, p=k)
        result, args = system.observability_matrix(), [*system.A, *system.C]
    return rs.compile(result, args), result


@pytest.mark.parametrize("name", ["controllability", "observability"])
@pytest.mark.parametrize("n, k", LINEAR_SIZES)
def test_controllability_and_observability_within_their_conditioning(name: str, n: int,
                                                                     k: int) -> None:
    """Stated reason for the scaled bound: each entry of ``A^j B`` (``C A^j``) is a
    sum of products of entries, which cancel (``B`` nearly orthogonal to a row of
    ``A``, rotations, ``A`` near ``I``); rounding the terms and their sum costs up to
    ``eps sum|terms|``, so the error is measured per unit of ``kappa = sum|terms| /
    |sum|``, the entry of ``|A|^j |B|`` over that of ``|A^j B|`` (Higham's
    condition number of a matrix product).  At ``n = 4`` the bound is
    ``LONG_SUM_BOUND`` (stated there: 61-term sums)."""
    kernel, result = _linear_kernel(name, n, k)
    cols = _linear_columns(np.random.default_rng(20 + 3 * n + k), 150, n, k,
                           output=name == "observability")
    what = "[B, AB, ..]" if name == "controllability" else "[C; CA; ..]"
    matrix_row(f"{name} {what}, n={n}, {'m' if name == 'controllability' else 'p'}={k}",
               kernel, result, cols, BOUND if n <= 3 else LONG_SUM_BOUND)


def _gradient_columns(rng: np.random.Generator, size: int, n: int, horizon: int) -> list:
    """``W_h`` (see ``_hard_matrices``, scaled by ``10**[-8, 8]``: the range in which
    every term stays a normal float) and the slopes ``D_1 .. D_horizon`` of tanh
    units (``_tanh_slopes``); in a tenth of the points every unit is deep in
    saturation (``phi' < 1e-150``), where the product underflows to zero."""
    w = _hard_matrices(rng, size, n) * _log_uniform(rng, -8, 8, (size, 1, 1))
    d = np.stack([_tanh_slopes(rng, size, n) for _ in range(horizon)], axis=1)
    dead = rng.random(size) < 0.1
    d[dead] = 1 / np.cosh(rng.uniform(175, 350, (dead.sum(), horizon, n))) ** 2
    return [*w.reshape(size, -1).T, *d.reshape(size, -1).T]


@pytest.mark.parametrize("horizon, n", [(6, 2), (3, 3)])
def test_gradient_product_within_its_conditioning(horizon: int, n: int) -> None:
    """Stated reason for the scaled bound: ``D_T W_h ... D_1 W_h`` is expanded into
    sums of products of the entries (one term per path through the units), which
    cancel for mixed-sign ``W_h``; its error is measured per unit of ``kappa =
    sum|terms| / |sum|``, the entry of ``|D_T| |W_h| ... |D_1| |W_h|`` over that of
    the product (no algorithm that forms the product from rounded partial sums
    can beat it).  At ``horizon = 6`` (``MAX_HORIZON``) the bound is
    ``LONG_SUM_BOUND`` (stated there: 32-term sums of degree 12)."""
    d = rs.derive("gradient_norms", horizon=horizon, n=n)
    cols = _gradient_columns(np.random.default_rng(30 + horizon + n), 200, n, horizon)
    matrix_row(f"gradient_norms dh_T/dh_k, T-k={horizon}, n={n}, saturated units",
               d.kernel, d.result, cols, BOUND if horizon <= 3 else LONG_SUM_BOUND)
