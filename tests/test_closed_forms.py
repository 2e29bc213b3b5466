"""Closed-form batched spectral radius and norm against mpmath on the same float64 matrices.

Claims: relative error <= 1e-12 wherever the eigenvalues are separated by
more than 1e-4 times the spectral radius (for matrices with well-conditioned eigenvectors: random,
saturated tanh units, near-repeated but diagonalisable); the spectral norm
within a few ULP everywhere; classification agrees with LAPACK's.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.closed_forms import (batched_eigenvalue_moduli, batched_spectral_norm,
                                 batched_spectral_radius, classify_batch, eigenvalue_moduli_expr,
                                 jacobian_spectral_radius, spectral_norm_expr)
from rnnsym.errors import NonFiniteError, ShapeError
from rnnsym.stability import classify_moduli


def exact(J: np.ndarray) -> tuple[float, float, float]:
    """(rho, smallest eigenvalue separation, ||J||_2) of the float matrix, at 40 digits."""
    # Eigenvalues from the exact characteristic polynomial of the float entries: its
    # square-free part has simple roots, which are isolated exactly and refined (mpmath.eig on a
    # defective matrix, e.g. a nilpotent one, is off by eps**(1/multiplicity)).
    lam = sp.Symbol("lam")
    poly = sp.Matrix([[sp.Rational(v) for v in row] for row in J.tolist()]).charpoly(lam)
    simple = sp.Poly(poly.as_expr(), lam).sqf_part()
    # exact root isolation (CRootOf) refined to 40 digits: nroots failed to converge on a cluster
    # 2e-18 wide (seed 17 of the 20-seed sweep)
    E = [complex(r.evalf(40)) for r in simple.all_roots()] if simple.degree() > 0 else [0j]
    repeated = simple.degree() < poly.degree()
    sep = 0.0 if repeated else min(abs(a - b) for i, a in enumerate(E) for b in E[i + 1:])
    with mpmath.workdps(40):
        norm = float(max(mpmath.svd_r(mpmath.matrix(J.tolist()), compute_uv=False)))
    return float(max(abs(e) for e in E)), sep, norm


entries = st.floats(-3, 3, allow_nan=False).map(lambda v: round(v, 6))


@st.composite
def jacobians(draw: st.DrawFn, n: int) -> np.ndarray:
    """Random, saturated-tanh, and near-repeated (diagonalisable) matrices."""
    kind = draw(st.sampled_from(["random", "saturated", "close"]))
    W = np.array(draw(st.lists(entries, min_size=n * n, max_size=n * n))).reshape(n, n)
    if kind == "saturated":
        pre = np.array(draw(st.lists(st.floats(-40, 40), min_size=n, max_size=n)))
        return (1 / np.cosh(pre) ** 2)[:, None] * W
    if kind == "close":
        assume(abs(np.linalg.det(W)) > 0.1)
        lam = [draw(st.floats(-1.5, 1.5))] * n
        lam[1] += 10.0 ** draw(st.floats(-6, -2))
        if n == 3:
            lam[2] = draw(st.floats(-1.5, 1.5))
        return W @ np.diag(lam) @ np.linalg.inv(W)
    return W


@pytest.mark.parametrize("n", [2, 3])
def test_spectral_radius_is_exact_to_1e_12_where_eigenvalues_are_separated(n: int) -> None:
    @settings(max_examples=40, deadline=None)
    @given(jacobians(n))
    def check(J: np.ndarray) -> None:
        rho, sep, _ = exact(J)
        assume(rho > 1e-300)
        got = float(batched_spectral_radius(J))
        lapack = float(np.abs(np.linalg.eigvals(J)).max())
        error, lapack_error = abs(got - rho) / rho, abs(lapack - rho) / rho
        if sep > 1e-4 * rho:  # separated relative to the eigenvalues' size: the claim is scale-free
            assert error <= 1e-12
        else:  # ill-conditioned: the problem's own sensitivity, as LAPACK sees it
            assert error <= max(8 * lapack_error, 1e-15)
    check()


@pytest.mark.parametrize("n", [2, 3])
def test_spectral_norm_matches_mpmath_within_a_few_ulp(n: int) -> None:
    @settings(max_examples=30, deadline=None)
    @given(jacobians(n))
    def check(J: np.ndarray) -> None:
        norm = exact(J)[2]
        assume(norm > 1e-300)
        assert abs(float(batched_spectral_norm(J)) - norm) <= 8 * np.finfo(float).eps * norm
    check()


def test_near_repeated_eigenvalues_are_no_worse_than_lapack_for_2x2() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        Q = rng.normal(size=(2, 2))
        J = Q @ np.diag([0.7, 0.7 + 10.0 ** rng.uniform(-9, -4)]) @ np.linalg.inv(Q)
        rho = exact(J)[0]
        lapack = abs(np.abs(np.linalg.eigvals(J)).max() - rho) / rho
        assert abs(batched_spectral_radius(J) - rho) / rho <= max(4 * lapack, 1e-15)


def _hard_3x3(kind: str, rng: np.random.Generator) -> np.ndarray:
    """Near-repeated, near-defective (Jordan-like), nearly triple, nearly real complex pair."""
    lam, d, other = rng.uniform(-1.5, 1.5), 10.0 ** rng.uniform(-10, -2), rng.uniform(-1.5, 1.5)
    D = {"near_repeated": np.diag([lam, lam + d, other]),
         "near_defective": np.array([[lam, 1, 0], [d, lam, 0], [0, 0, other]]),
         "nearly_triple": np.array([[lam, 1, 0], [0, lam, 1], [d, 0, lam]]),
         "pair_near_real": np.array([[lam, d, 0], [-d, lam, 0], [0, 0, other / 3]])}[kind]
    S = rng.normal(size=(3, 3))
    return S @ D @ np.linalg.inv(S)


@pytest.mark.parametrize("kind", ["near_repeated", "near_defective", "nearly_triple", "pair_near_real"])
def test_hard_3x3_matrices_are_no_worse_than_lapack(kind: str) -> None:
    # polished roots need kappa <= 30 and a gap >= 1e-4, otherwise LAPACK decides:
    # planting _KAPPA_MAX = inf made near_defective 28x worse than LAPACK; without
    # the LAPACK hand-over near_repeated was 2.6e8x worse (3.9e-8 vs 6.2e-13)
    rng = np.random.default_rng(len(kind))
    J = np.array([_hard_3x3(kind, rng) for _ in range(150 if kind == "near_defective" else 50)])
    got, lapack = batched_spectral_radius(J), np.abs(np.linalg.eigvals(J)).max(-1)
    rho = np.array([exact(M)[0] for M in J])
    error, lapack_error = np.abs(got - rho) / rho, np.abs(lapack - rho) / rho
    assert np.all(error <= np.maximum(8 * lapack_error, 4 * np.finfo(float).eps)), \
        np.max(error / np.maximum(lapack_error, 1e-16))


def test_classification_agrees_with_lapack_on_random_batches() -> None:
    J = np.random.default_rng(1).normal(0, 0.8, (20000, 3, 3))
    assert np.array_equal(classify_batch(J), classify_moduli(np.abs(np.linalg.eigvals(J))))
    J2 = J[:, :2, :2]
    assert np.array_equal(classify_batch(J2), classify_moduli(np.abs(np.linalg.eigvals(J2))))


def test_all_eigenvalue_moduli_match_lapack() -> None:
    J = np.random.default_rng(2).normal(size=(1000, 3, 3))
    got = np.sort(batched_eigenvalue_moduli(J), axis=-1)
    want = np.sort(np.abs(np.linalg.eigvals(J)), axis=-1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_numpy_and_fused_backends_agree() -> None:
    J = np.random.default_rng(3).normal(size=(500, 3, 3))
    np.testing.assert_allclose(batched_spectral_radius(J, backend="numpy"),
                               batched_spectral_radius(J), rtol=1e-14)


def test_extreme_scales_neither_underflow_nor_overflow() -> None:
    J = np.array([[0.3, -0.9], [0.8, 0.1]])
    rho = float(batched_spectral_radius(J))
    for scale in (1e-200, 1e200):
        assert float(batched_spectral_radius(J * scale)) == pytest.approx(rho * scale, rel=1e-14)
    assert float(batched_spectral_radius(np.zeros((3, 3)))) == 0.0


def test_larger_and_complex_matrices_fall_back_to_lapack() -> None:
    J = np.random.default_rng(4).normal(size=(7, 5, 5))
    np.testing.assert_allclose(batched_spectral_radius(J), np.abs(np.linalg.eigvals(J)).max(-1))
    np.testing.assert_allclose(batched_spectral_norm(J), np.linalg.norm(J, 2, axis=(-2, -1)))
    assert batched_spectral_radius(np.array([[1j, 0], [0, 0.5]])) == pytest.approx(1.0)


def test_jacobian_radius_equals_radius_of_the_formed_jacobian() -> None:
    rng = np.random.default_rng(5)
    W = rng.normal(size=(3, 3))
    pre = rng.normal(0, 5, (200, 3))
    J = (1 / np.cosh(pre) ** 2)[..., :, None] * W
    np.testing.assert_allclose(jacobian_spectral_radius(W, pre), np.abs(np.linalg.eigvals(J)).max(-1),
                               rtol=1e-9)


def test_closed_forms_are_derived_from_the_characteristic_polynomial() -> None:
    J = sp.Matrix(2, 2, sp.symbols("a b c d", positive=True))
    # the moduli expression, evaluated on a matrix with known eigenvalues 2 and 1/2
    values = dict(zip(sorted(eigenvalue_moduli_expr(2).free_symbols, key=str), [1.25, 0.75, 0.75, 1.25]))
    moduli = sorted(float(m) for m in eigenvalue_moduli_expr(2).subs(values))
    assert moduli == pytest.approx([0.5, 2.0])
    assert float(spectral_norm_expr(2).subs(values)) == pytest.approx(2.0)
    assert J.shape == (2, 2)


def test_bad_input_is_a_one_line_error() -> None:
    with pytest.raises(ShapeError, match="`J`"):
        batched_spectral_radius(np.ones((2, 3)))
    with pytest.raises(NonFiniteError, match="`J`"):
        batched_spectral_radius([[np.nan, 0.0], [0.0, 1.0]])


def test_jacobian_spectral_radius_works_in_a_fresh_process() -> None:
    """Regression: building the closed form inside evaluate(False) recursed without a warm cache."""
    import subprocess
    import sys

    code = ("import rnnsym as rs; print(rs.jacobian_spectral_radius([[2., 0], [0, .5]], "
            "[[0, 0], [30., 0]]).tolist(), rs.jacobian_spectral_radius([[3., .6, 0], [0, 3, .9], "
            "[.3, 0, 3]], [0., 0., 0.]).round(12).tolist())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("]")[0] == "[2.0, 0.5"


@pytest.mark.parametrize("n", [2, 3])
def test_saturated_units_give_the_mpmath_radius_never_nan(n: int) -> None:
    """Every unit saturated (phi' down to 1e-174 and below): the closed form underflows; mpmath decides."""
    import mpmath

    rng = np.random.default_rng(n)
    W = 3 * rng.normal(size=(n, n))
    a = rng.choice([-1, 1], size=(40, n)) * rng.uniform(30, 420, size=(40, n))
    got = rs.jacobian_spectral_radius(W, a)
    with mpmath.workdps(40):
        want = []
        for row in a:
            d = [mpmath.sech(mpmath.mpf(v)) ** 2 for v in row]
            J = mpmath.matrix([[d[i] * W[i, j] for j in range(n)] for i in range(n)])
            want.append(float(max(abs(e) for e in mpmath.eig(J, left=False, right=False))))
    want = np.array(want)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
