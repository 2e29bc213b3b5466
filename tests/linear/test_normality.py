"""Claims about :func:`rnnsym.linear.normality.transient_growth`: the peak is certified or called a lower bound.

The references are mpmath powers of the float matrices (their entries are exact binary
fractions) at 30 digits, scanned until an exact power has norm below 1: then, by
submultiplicativity, no later power exceeds an earlier one and the scanned maximum is the
maximum over all k.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from rnnsym.linear.normality import transient_growth

SLOW_JORDAN = [[0.999, 1.0], [0.0, 0.999]]


def mp_norm2(M: mpmath.matrix) -> mpmath.mpf:
    """``||M||_2`` of a real matrix: the square root of the largest eigenvalue of ``M^T M``."""
    if M.rows == 2:  # closed form for 2x2: (F + sqrt(F^2 - 4 det^2)) / 2, F = ||M||_F^2
        F = sum(v**2 for v in M)
        det = M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
        return mpmath.sqrt((F + mpmath.sqrt(F**2 - 4 * det**2)) / 2)
    return max(mpmath.svd_r(M, compute_uv=False))


def mp_powers(W: list, stop_below_one: bool = True, k_max: int = 20_000) -> list[mpmath.mpf]:
    """``||W^k||_2`` for ``k = 0, 1, ...`` at 30 digits, until (and with) the first power of norm < 1."""
    with mpmath.workdps(30):
        Wm = mpmath.matrix(W)
        P, norms = mpmath.eye(Wm.rows), [mpmath.mpf(1)]
        for _ in range(k_max):
            P = P * Wm
            norms.append(mp_norm2(P))
            if stop_below_one and norms[-1] < 1:
                return norms
    if stop_below_one:
        raise AssertionError("the mpmath scan found no power of norm below 1")
    return norms


def test_slow_jordan_block_peaks_at_368_at_k_999_certified() -> None:
    # the edges issue: analyze scanned k <= 200 and reported 163.9 at k = 200 as the peak
    ref = mp_powers(SLOW_JORDAN)
    k_true = max(range(len(ref)), key=lambda k: ref[k])
    assert k_true == 999 and mpmath.nstr(ref[k_true], 6) == "368.064"
    growth = transient_growth(SLOW_JORDAN)
    assert growth.exact and growth.certified
    assert growth.k_peak == k_true
    assert growth.peak == pytest.approx(float(ref[k_true]), rel=1e-12)
    assert abs(growth.peak - float(ref[k_true])) <= growth.error < 1e-6
    assert growth.message == "max_k ||W^k||_2 = 368.064 at k = 999 (certified)"


def test_a_window_without_a_certificate_is_reported_as_a_lower_bound() -> None:
    ref = mp_powers(SLOW_JORDAN, stop_below_one=False, k_max=200)
    growth = transient_growth(SLOW_JORDAN, k_max=200)
    assert not growth.exact and growth.k_peak == 200
    assert growth.peak == pytest.approx(float(ref[200]), rel=1e-12)
    assert growth.message.startswith("max_k ||W^k||_2 >= 163.898 ") and "not certified" in growth.message
    # the step cap is a resource limit: past it the peak found so far is returned, flagged, not raised
    capped = transient_growth(SLOW_JORDAN, limit=500)
    assert not capped.exact and len(capped.norms) == 501 and capped.k_peak == 500
    # a window that contains the certificate is certified
    assert transient_growth(SLOW_JORDAN, k_max=10_000).exact


@pytest.mark.parametrize("W", [
    [[0.5, 3.0, -2.0], [0.0, -0.6, 4.0], [0.0, 0.0, 0.7]],          # mixed signs: |W|^k grows faster than W^k
    [[0.97, -4.0, 1.0], [0.0, -0.95, 3.0], [0.0, 0.0, 0.9]],        # peak 33.04 at k = 16, certified at 142
])
def test_certified_peaks_of_non_normal_3x3_matrices_match_mpmath(W: list) -> None:
    ref = mp_powers(W)
    k_true = max(range(len(ref)), key=lambda k: ref[k])
    growth = transient_growth(W)
    assert growth.exact and growth.k_peak == k_true
    assert growth.peak == pytest.approx(float(ref[k_true]), rel=1e-12)
    np.testing.assert_allclose(growth.norms, [float(v) for v in ref[: len(growth.norms)]], rtol=1e-11)
