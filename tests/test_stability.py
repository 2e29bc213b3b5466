"""Claims about rnnsym.stability checked against independent computations (mpmath, exact bounds)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from rnnsym.errors import ResourceLimitError
from rnnsym.stability import steps_to_half


def _rotation_pair(r: float, theta: float, skew: float) -> tuple[np.ndarray, np.ndarray]:
    R = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    Q = np.array([[1.0, 1.0], [0.0, skew]])
    return r * Q @ R @ np.linalg.inv(Q), Q


def _truth(J: np.ndarray, r: float, Q: np.ndarray) -> int:
    """Last k with ||J^k||_2 > 1/2, plus one, by mpmath powers up to where r^k kappa(Q) <= 1/2 proves the rest."""
    kappa = np.linalg.cond(Q, 2) * (1 + 1e-6)
    stop = int(np.ceil(np.log(0.5 / kappa) / np.log(r))) + 1
    last = 0
    with mpmath.workdps(30):
        M = mpmath.matrix(J.tolist())
        P = mpmath.eye(2)
        for k in range(1, stop + 1):
            P = P * M
            if max(mpmath.svd_r(P, compute_uv=False)) > 0.5:
                last = k
    return last + 1


def test_steps_to_half_sees_a_late_rise_of_a_slowly_rotating_non_normal_matrix() -> None:
    """Regression: the scan stopped at 4k + 200 after the first crossing and answered 1000; truth 2270."""
    r = 0.49 ** (1 / 200)
    J, Q = _rotation_pair(r, 2 * np.pi / 200, 1e-3)
    assert np.linalg.norm(np.linalg.matrix_power(J, 1050), 2) > 40   # far above 1/2 after k = 1000
    assert steps_to_half(J) == _truth(J, r, Q) == 2270


@pytest.mark.parametrize("r, theta, skew", [(0.9, 0.3, 0.1), (0.97, 0.05, 1e-2), (0.5, 1.0, 1.0)])
def test_steps_to_half_matches_mpmath_powers(r: float, theta: float, skew: float) -> None:
    J, Q = _rotation_pair(r, theta, skew)
    assert steps_to_half(J) == _truth(J, r, Q)


def test_steps_to_half_refuses_when_it_cannot_certify_within_max_steps() -> None:
    J, _ = _rotation_pair(0.49 ** (1 / 200), 2 * np.pi / 200, 1e-3)
    with pytest.raises(ResourceLimitError, match="max_steps=500"):
        steps_to_half(J, max_steps=500)
