"""Kernel accuracy in ULP against mpmath at 50 digits, in each kernel's hard regions.

Each row samples where a kernel is hard to evaluate (saturation, the cusp of
``b_c`` at ``w -> 1``, ``rho -> 1``, tiny steps of Euler's method, tiny and
huge magnitudes) and bounds the worst error in units in the last place.
Exact values below the smallest normal float (2.2e-308) are compared
absolutely: there ULP lose their meaning.  Run with ``-s`` to see the table.
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
TABLE: list[tuple[str, float]] = []


def worst_ulp(kernel: rs.Kernel, exact_expr, columns: list[np.ndarray], kappa=None) -> float:
    """Worst |fast - exact| / spacing(exact) over the sample (per unit of ``kappa``)."""
    kappa = np.ones(len(columns[0])) if kappa is None else kappa
    exact = rs.compile(exact_expr, kernel.args, backend="mpmath", dps=50)
    fast = np.asarray(kernel(*columns), dtype=float).reshape(len(columns[0]), -1)
    worst = 0.0
    for i in range(len(columns[0])):
        with mpmath.workdps(50):
            slow = exact(*[c[i] for c in columns])
            values = list(slow) if hasattr(slow, "__len__") else [slow]
            for f, e in zip(fast[i], values):
                e = mpmath.mpf(e)
                if abs(e) < TINY:
                    assert abs(f - float(e)) <= TINY, (f, e)
                    continue
                err = float(abs(mpmath.mpf(float(f)) - e) / np.spacing(abs(float(e))))
                worst = max(worst, err / kappa[i])
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
