"""Batched closed forms at the edges: 1x1 stacks, huge (up to 1.7e308) and subnormal matrices.

Truth is mpmath at 40 digits on the same float64 matrices (``mpmath.eig``;
a 1x1 matrix is its own eigenvalue, since ``mpmath.eig`` of a 1x1 ignores
``left=False, right=False``).  Every backend path is checked: the fused
numba pass, the NumPy kernels, and NumPy without numba at all (the
scaler and the fused 3x3 pass replaced by their NumPy fallbacks).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import rnnsym as rs
import rnnsym.closed_forms as cf
from rnnsym.stability import KINDS, classify_jacobian

TINY = 5e-324  # the smallest subnormal: results rounded into the subnormals may be off by half of it


def truth(M: np.ndarray) -> tuple[list[float], float, float]:
    """(sorted moduli, spectral radius, spectral norm) of the float matrix ``M`` at 40 digits."""
    with mpmath.workdps(40):
        A = mpmath.matrix(M.tolist())
        E = [A[0, 0]] if A.rows == 1 else mpmath.eig(A, left=False, right=False)
        moduli = sorted(abs(e) for e in E)
        norm = max(mpmath.svd_r(A, compute_uv=False))
        return [float(m) for m in moduli], float(moduli[-1]), float(norm)


def _base(n: int) -> list[np.ndarray]:
    """Random and structured matrices with max |J_ij| = 1."""
    rng = np.random.default_rng(10 + n)
    mats = [rng.normal(size=(n, n)) for _ in range(3)]
    mats.append(np.diag(np.arange(1.0, n + 1) * (-1) ** np.arange(n)))  # separated real
    if n >= 2:  # a complex pair (rotation) and, for n = 3, a real third eigenvalue
        rot = np.eye(n)
        rot[:2, :2] = [[0.3, -0.8], [0.8, 0.3]]
        mats.append(rot)
    return [M / np.abs(M).max() for M in mats]


SCALES = [1.0, 1e300, 5e307, 1e-300, 1e-310, 1e-320]


def stack(n: int) -> np.ndarray:
    """Well-separated matrices at every scale, plus hand-made huge, subnormal and mixed ones."""
    mats = [M * s for M in _base(n) for s in SCALES]
    # as large as the answers allow (radius and norm below 1.7e308): entries up to 1.7e308 >= 2**1023
    mats += [M * (1.7e308 / max(1.0, float(np.linalg.norm(M, 2)))) for M in _base(n)]
    if n == 1:
        mats += [np.array([[v]]) for v in (0.5, -0.25, 1e308, -1.7e308, 1e-310, -TINY, 0.0)]
    else:
        mats.append(np.diag([1e308, 1e307, -1e306][:n]))
        mats.append(np.diag([1e-310, 5e-311, -2e-312][:n]))
        mixed = np.diag([1e308, 1e307, 1e306][:n])
        mixed[0, 1], mixed[1, 0] = 1e-310, 1e-300  # entries far below the largest: they underflow harmlessly
        mats.append(mixed)
        mats.append(np.zeros((n, n)))
    assert (np.abs(np.array(mats)).max(axis=(1, 2)) >= 2.0**1023).sum() >= 3
    return np.array(mats)


@pytest.fixture(params=["fused", "numpy", "numpy-without-numba"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "numpy-without-numba":
        monkeypatch.setattr(cf, "_numba_scaler", lambda: None)
        monkeypatch.setattr(cf, "_fused_moduli3", lambda: None)
        return "numpy"
    return request.param


def test_stack_of_1x1_matrices_is_one_value_per_matrix(backend: str) -> None:
    J = [[[0.5]], [[-0.25]]]
    assert rs.batched_spectral_radius(J, backend=backend).tolist() == [0.5, 0.25]
    assert rs.batched_spectral_norm(J, backend=backend).tolist() == [0.5, 0.25]
    assert rs.batched_eigenvalue_moduli(J, backend=backend).tolist() == [[0.5], [0.25]]
    assert rs.classify_batch(J, backend=backend).tolist() == [KINDS.index("stable")] * 2
    assert float(rs.batched_spectral_radius([[-3.0]], backend=backend)) == 3.0
    assert np.shape(rs.batched_spectral_radius([[-3.0]], backend=backend)) == ()


def test_huge_entries_give_the_radius_not_nan(backend: str) -> None:
    J = np.diag([1e308, 1e307])
    assert float(rs.batched_spectral_radius(J, backend=backend)) == 1e308
    assert float(rs.batched_spectral_norm(J, backend=backend)) == 1e308
    assert rs.classify_batch(J, backend=backend) == KINDS.index("unstable")


def test_subnormal_matrices_are_stable_not_marginal(backend: str) -> None:
    J = np.array([[1e-310, 0.0], [0.0, 5e-311]])
    assert float(rs.batched_spectral_radius(J, backend=backend)) == 1e-310
    assert rs.classify_batch(J, backend=backend) == KINDS.index("stable")
    assert classify_jacobian(J).kind == "stable"


def test_a_true_radius_beyond_float_max_is_inf_not_nan(backend: str) -> None:
    J = np.full((2, 2), 1e308)  # eigenvalues 2e308 and 0
    with np.errstate(over="ignore"):
        assert rs.batched_spectral_radius(J, backend=backend) == math.inf


@pytest.mark.parametrize("n", [1, 2, 3])
def test_radius_moduli_and_norm_match_mpmath_at_every_scale(n: int, backend: str) -> None:
    J = stack(n)
    rho = rs.batched_spectral_radius(J, backend=backend)
    norm = rs.batched_spectral_norm(J, backend=backend)
    moduli = np.sort(rs.batched_eigenvalue_moduli(J, backend=backend), axis=-1)
    assert rho.shape == norm.shape == (len(J),) and moduli.shape == (len(J), n)
    for i, M in enumerate(J):
        want_moduli, want_rho, want_norm = truth(M)
        slack = 1e-12 * want_rho + TINY  # eigenvalues here are separated: 1e-12 of rho, as claimed
        assert abs(rho[i] - want_rho) <= slack, (i, M, rho[i], want_rho)
        assert abs(norm[i] - want_norm) <= 1e-14 * want_norm + TINY, (i, M, norm[i], want_norm)
        assert np.all(np.abs(moduli[i] - want_moduli) <= slack), (i, M, moduli[i], want_moduli)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_classify_batch_agrees_with_classify_jacobian_everywhere(n: int, backend: str) -> None:
    J = stack(n)
    got = rs.classify_batch(J, backend=backend)
    want = [KINDS.index(classify_jacobian(M).kind) for M in J]
    assert got.tolist() == want


def test_jacobian_spectral_radius_of_1x1_stacks_and_of_an_overflowing_jacobian() -> None:
    assert rs.jacobian_spectral_radius([[[2.0]], [[3.0]], [[4.0]]], [[0.0], [0.0], [0.0]]).tolist() == [2.0, 3.0, 4.0]
    assert np.shape(rs.jacobian_spectral_radius([[2.0]], [0.0])) == ()
    with mpmath.workdps(40):  # saturated: sech(300)**2 * 2 is about 1.1e-260
        want = float(2 * mpmath.sech(300) ** 2)
    assert rs.jacobian_spectral_radius([[2.0]], [[0.0], [300.0]])[1] == pytest.approx(want, rel=1e-12)
    # one (unbatched) matrix whose closed form overflows: redone in mpmath, not a 0-d nonzero() error
    assert float(rs.jacobian_spectral_radius([[1e308, 0.0], [0.0, 1.0]], [0.0, 0.0])) == 1e308
