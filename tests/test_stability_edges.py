"""``steps_to_half`` and ``spectral_radius`` at their boundaries, against exact arithmetic.

For a diagonal ``J`` with rational entries ``||J^k||_2 = max |d_i|^k`` exactly,
so the answer is found with Fractions; ties (``||J^K|| = 1/2`` exactly), the
radius-1 boundary, batches and the ``max_steps`` limit are each pinned.
Written from the survivors of a mutation run (issue 14).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

import rnnsym as rs
from rnnsym.stability import spectral_radius, steps_to_half


def _exact_steps(diagonal: list[Fraction]) -> int:
    """First K with max|d|^k <= 1/2 for all k >= K (monotone for max|d| < 1)."""
    top, k = max(abs(d) for d in diagonal), 1
    while top**k > Fraction(1, 2):
        k += 1
    return k


@pytest.mark.parametrize("diagonal", [
    [Fraction(1, 2)],                                  # ||J|| = 1/2 exactly: K = 1 (<= 1/2, a tie)
    [Fraction(-1, 2)],
    [Fraction(1, 2)] * 3,
    [Fraction(1, 4), Fraction(1, 2)],
    [Fraction(9, 10), Fraction(1, 2)],                 # 0.9^6 > 1/2 >= 0.9^7
    [Fraction(7, 10), Fraction(7, 10)],                # Frobenius would say 3, the 2-norm says 2
    [Fraction(-99, 100), Fraction(1, 10)],
    [Fraction(0), Fraction(0)],
])
def test_steps_to_half_of_diagonal_matrices_is_exact(diagonal: list[Fraction]) -> None:
    J = np.diag([float(d) for d in diagonal])
    assert steps_to_half(J) == _exact_steps(diagonal)


@pytest.mark.parametrize("J", [[[1.0]], [[-1.0]], [[0.0, 1.0], [-1.0, 0.0]], [[1.5]], [[0.5, 0.0], [0.0, 1.0]]])
def test_radius_one_or_more_is_refused_naming_j(J) -> None:
    with pytest.raises(rs.DomainError, match="`J` has spectral radius"):
        steps_to_half(J)


def test_just_below_radius_one_is_answered() -> None:
    d = Fraction(999, 1000)
    assert steps_to_half([[float(d)]]) == _exact_steps([d]) == 693


def test_max_steps_is_inclusive() -> None:
    assert steps_to_half([[0.5]], max_steps=1) == 1
    with pytest.raises(rs.ResourceLimitError, match="max_steps=0"):
        steps_to_half([[0.5]], max_steps=0)
    # ||J|| = 0.9 < 1 certifies every power from ceil(log(1/2)/log(0.9)) = 7 on, so the powers
    # 1..6 are all it needs to look at
    assert steps_to_half([[0.9]], max_steps=6) == 7
    with pytest.raises(rs.ResourceLimitError, match="max_steps=5"):
        steps_to_half([[0.9]], max_steps=5)


def test_a_batch_is_refused_naming_the_shape() -> None:
    with pytest.raises(rs.ShapeError, match=r"`J` must be one \(n, n\) matrix; got shape \(2, 2, 2\)"):
        steps_to_half(np.zeros((2, 2, 2)))


def _mp_radius(M: np.ndarray) -> float:
    with mpmath.workdps(40):
        values = mpmath.eig(mpmath.matrix(M.tolist()), left=False, right=False)
        return float(max(abs(v) for v in values))


def test_spectral_radius_of_a_batch_is_one_per_matrix() -> None:
    rng = np.random.default_rng(3)
    stack = rng.normal(size=(4, 3, 3))
    stack[1] *= 1e-3
    radii = spectral_radius(stack)
    assert isinstance(radii, np.ndarray) and radii.shape == (4,)
    for M, r in zip(stack, radii):
        assert abs(r - _mp_radius(M)) <= 1e-13 * _mp_radius(M)


def test_spectral_radius_of_one_matrix_is_a_float() -> None:
    r = spectral_radius([[0.0, 2.0], [-2.0, 0.0]])
    assert type(r) is float and abs(r - 2.0) <= 2e-15


def test_spectral_radius_names_its_argument() -> None:
    with pytest.raises(rs.RnnsymError, match="`matrix`"):
        spectral_radius([[1.0, 2.0]])
