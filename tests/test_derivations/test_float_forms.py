"""Result kernels keep their digits where the closed form cancels ("edges" issue, items 8 and 9).

The expected values are computed independently with mpmath at 50 digits: the spectral norm by
``mpmath.svd_r``; the band-pass SNR from its definition, ``|H(e^{iw})|^2`` from
``C (I - A e^{-iw})^{-1} B`` and the noise variance from the Lyapunov equation solved as a linear
system, never from the derived formula.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from rnnsym.registry import derivation_module, derive

EPS = np.finfo(float).eps


# -- item 8: the contraction factor q = ||W_h||_2 L_phi ------------------------------------
def _spectral_norm(W: np.ndarray) -> float:
    with mpmath.workdps(50):
        return float(max(mpmath.svd_r(mpmath.matrix(W.tolist()), compute_uv=False)))


def _rotation(c: float, theta: float) -> np.ndarray:
    return c * np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])


HARD = {
    "c R(1.2), c = 0.99999999": _rotation(0.99999999, 1.2),
    "c R(0.3), c = 0.999999999": _rotation(0.999999999, 0.3),
    "entries near 1e77": np.array([[1e77, 2e77], [-3e77, 5e76]]),
    "entries near 1e150": np.array([[1.5e150, -2e150], [3e150, 7e149]]),
    "entries near 1e-160": np.array([[1e-160, -2e-160], [3e-160, 4e-161]]),
    "rotation 1e200": _rotation(1e200, 0.7),
    "rotation 1e-300": _rotation(1e-300, 2.0),
    "rank one": np.array([[1.0, 2.0], [2.0, 4.0]]),
    "zero": np.zeros((2, 2)),
}


@pytest.fixture(scope="module")
def contraction():
    return derive("contraction")


@pytest.mark.parametrize("name", list(HARD))
def test_contraction_kernel_matches_mpmath_svd_on_hard_cases(contraction, name: str) -> None:
    W = HARD[name]
    got = float(contraction.kernel(*W.ravel(), 1.0))
    expected = _spectral_norm(W)
    assert abs(got - expected) <= 10 * EPS * expected


def test_contraction_kernel_matches_mpmath_svd_on_random_matrices(contraction) -> None:
    rng = np.random.default_rng(20240611)
    Ws = rng.standard_normal((200, 2, 2)) * 10.0 ** rng.uniform(-150, 150, (200, 1, 1))
    got = contraction.kernel(Ws[:, 0, 0], Ws[:, 0, 1], Ws[:, 1, 0], Ws[:, 1, 1], 1.0)
    for W, value in zip(Ws, got):
        expected = _spectral_norm(W)
        assert abs(value - expected) <= 10 * EPS * expected


def test_contraction_decision_q_below_one_is_kept(contraction) -> None:
    W = HARD["c R(0.3), c = 0.999999999"]
    q = float(contraction.kernel(*W.ravel(), 1.0))
    assert q < 1 and abs(q - 0.999999999) <= 10 * EPS


def test_contraction_float_form_is_a_derivation_step(contraction) -> None:
    text = contraction.text()
    assert "hypot" not in text.split("Result:")[1]   # the result stays the derived closed form
    assert "kernel evaluates it with hypot" in text


# -- item 9: the two-state band-pass SNR ----------------------------------------------------
def _band_pass_snr(X: float, sigma: float, r: float, w0: float, w: float) -> float:
    """The SNR of h_t = r Rot(w0) h_{t-1} + e_1 (X cos(w t) + eps_t), y_t = e_1^T h_t, at 50 digits."""
    with mpmath.workdps(50):
        X, sigma, r, w0 = (mpmath.mpf(v) for v in (X, sigma, r, w0))
        edge = w in (0.0, math.pi)
        w = mpmath.pi if w == math.pi else mpmath.mpf(w)
        A = r * mpmath.matrix([[mpmath.cos(w0), -mpmath.sin(w0)], [mpmath.sin(w0), mpmath.cos(w0)]])
        H = ((mpmath.eye(2) - A * mpmath.exp(-1j * w)) ** -1 * mpmath.matrix([1, 0]))[0]
        # P = A P A^T + e_1 e_1^T, as (I - A (x) A) vec P = vec(e_1 e_1^T)
        K = mpmath.matrix(4, 4)
        for i, j, p, q in np.ndindex(2, 2, 2, 2):
            K[2 * i + j, 2 * p + q] = (1 if (i, j) == (p, q) else 0) - A[i, p] * A[j, q]
        P = mpmath.lu_solve(K, mpmath.matrix([1, 0, 0, 0]))
        power = X**2 * abs(H) ** 2 / (1 if edge else 2)   # cos^2 averages to 1/2 inside (0, pi)
        return float(power / (sigma**2 * P[0]))


@pytest.fixture(scope="module")
def band_kernel():
    return derivation_module("snr").band_pass_kernel(derive("snr"))


@pytest.mark.parametrize("X, sigma, r, w0, w", [
    (1.0, 1.0, 0.999999, 0.001, 0.001),      # the closed form gave -4503.6 (truth 499,999.62)
    (1.0, 1.0, 0.99999, 0.01, 0.01),         # relative error 7.5e-3 before
    (1.0, 1.0, 0.9999999, 1.0, 1.0),
    (1.0, 1.0, 0.999999, 0.001, 0.0),
    (1.0, 1.0, 0.999999, 3.14, math.pi),
    (1.0, 1.0, 0.999999, 2.0, 1.9999),
    (1.3, 0.7, 0.9, 1.0, 0.5),
    (1.0, 1.0, 0.5, 2.5, 0.0),
    (1.0, 1.0, 0.5, 2.5, math.pi),
    (2.9, 2.6, 0.99990694, 3.0777828, 3.0598622),   # omega + omega_0 near 2 pi
])
def test_band_pass_kernel_matches_the_definition_at_50_digits(band_kernel, X, sigma, r, w0, w) -> None:
    expected = _band_pass_snr(X, sigma, r, w0, w)
    assert float(band_kernel(X, sigma, r, w0, w)) == pytest.approx(expected, rel=50 * EPS)


def test_band_pass_kernel_at_the_reported_point_is_the_truth(band_kernel) -> None:
    assert float(band_kernel(1.0, 1.0, 0.999999, 0.001, 0.001)) == pytest.approx(499999.62498679926, rel=1e-14)


def test_band_pass_kernel_matches_the_definition_on_random_points(band_kernel) -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        X, sigma = rng.uniform(0.2, 3.0, 2)
        r = 1 - 10 ** rng.uniform(-7, 0)
        w0, w = rng.uniform(0, math.pi, 2)
        assert float(band_kernel(X, sigma, r, w0, w)) == pytest.approx(_band_pass_snr(X, sigma, r, w0, w),
                                                                       rel=50 * EPS)
