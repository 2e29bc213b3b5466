"""Transient growth above ``GRAM_NORM_N`` units: ``||W^k||_2`` from the Gram matrix, within its stated error.

Reference: the largest singular value (LAPACK SVD) of the same float power.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnsym.linear.normality import is_normal, transient_growth
# private: the norm and its error bound are checked directly
from rnnsym.linear.normality import GRAM_NORM_N, _norm2


@pytest.mark.parametrize("n, scale", [(GRAM_NORM_N + 1, 1.0), (120, 1e-150), (150, 1e150)])
def test_gram_norm_is_the_largest_singular_value_within_its_bound(n: int, scale: float) -> None:
    P = np.random.default_rng(n).standard_normal((n, n)) * scale
    P[:, 0] *= 30.0
    norm, relative = _norm2(P)
    exact = np.linalg.svd(P, compute_uv=False)[0]
    assert relative < 1e-10 and abs(norm - exact) <= relative * exact


def test_transient_peak_above_the_threshold_matches_svd_norms() -> None:
    n = 70
    rng = np.random.default_rng(3)
    W = np.triu(rng.standard_normal((n, n)) * 0.3, 1) + 0.6 * np.eye(n)  # non-normal, rho = 0.6
    g = transient_growth(W, limit=2000)
    power, reference = np.eye(n), [1.0]
    for _ in range(len(g.norms) - 1):
        power = power @ W
        reference.append(np.linalg.norm(power, 2))
    assert g.exact and g.peak > 1.0
    assert np.all(np.abs(g.norms - reference) <= g.error + 1e-12 * np.asarray(reference))


def test_float_arrays_are_tested_for_normality_without_sympy() -> None:
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((200, 200)))[0]
    N = Q @ np.diag(rng.standard_normal(200)) @ Q.T
    assert is_normal(N) is True and is_normal(N + np.triu(np.ones((200, 200)), 1)) is False
    small = rng.standard_normal((3, 3))
    assert is_normal(small) == is_normal(small.tolist())
