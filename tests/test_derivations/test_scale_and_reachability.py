"""fixed_points with `scale`, and the reachability claim of controllability ("edges" issue, item 10).

The fold of ``h = tanh(scale w h + b)`` is found here numerically (bisection on the count of
fixed points, counted by sign changes of g(h) = tanh(scale w h + b) - h on a fine grid); the
reachability claims are checked by brute-force simulation of ``h_t = A h_{t-1} + B x_t``.
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp

from rnnsym.cli import main
from rnnsym.errors import DomainError, InvalidArgumentError
from rnnsym.registry import derivation_module, derive

w = sp.Symbol("w", real=True)
H = np.linspace(-1 + 1e-9, 1 - 1e-9, 400001)


def _count(weight: float, bias: float) -> int:
    g = np.tanh(weight * H + bias) - H
    return int(np.count_nonzero(np.diff(np.sign(g)) != 0))


def _numeric_fold(weight: float) -> float:
    """The bias where three fixed points become one (0 if there are never three)."""
    if _count(weight, 0.0) < 3:
        return 0.0
    lo, hi = 0.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _count(weight, mid) >= 2 else (lo, mid)
    return lo


# -- fixed_points, scale -------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1, 2, 3])
def test_the_stated_domain_follows_the_scaled_model(scale: int) -> None:
    d = derive("fixed_points", scale=scale)
    assert d.assumptions == [w > sp.Rational(1, scale)]
    text = d.text()
    assert f"only for w > {sp.Rational(1, scale)}" in text
    if scale > 1:
        assert "w > 1." not in text and "w > 1:" not in text


@pytest.mark.parametrize("scale", [2, 3])
def test_the_fold_exists_exactly_on_the_stated_domain(scale: int) -> None:
    edge = 1 / scale
    assert _numeric_fold(scale * 0.97 * edge) == 0.0      # just below: one fixed point for every b
    assert _numeric_fold(scale * 1.03 * edge) > 0.0       # just above: a fold
    d = derive("fixed_points", scale=scale)
    for value in (1.2 * edge, 0.8, 2.0 * edge, 1.5):
        fold = _numeric_fold(scale * value)
        assert float(d.kernel(value)) == pytest.approx(fold, rel=1e-6, abs=1e-9)
    with pytest.raises(DomainError):
        d.subs({"w": sp.Rational(9, 10) * sp.Rational(1, scale)})


def test_the_scaled_kernel_matches_mpmath_near_its_own_cusp() -> None:
    d = derive("fixed_points", scale=2)
    for value in (0.5 + 1e-9, 0.5 + 1e-5, 0.55, 0.66, 0.7, 3.0):
        with mpmath.workdps(60):
            x = 2 * mpmath.mpf(value)   # b_c = sqrt(x (x - 1)) - acosh(sqrt(x)) with x = scale w
            expected = float(mpmath.sqrt(x * (x - 1)) - mpmath.acosh(mpmath.sqrt(x)))
        assert float(d.kernel(value)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("value", ["0", "-1"])
def test_non_positive_scale_is_refused(capsys, value: str) -> None:
    code = main(["derive", "fixed_points", "--param", f"scale={value}"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "`scale`" in err
    with pytest.raises(InvalidArgumentError, match="scale"):
        derive("fixed_points", scale=int(value))
    with pytest.raises(InvalidArgumentError, match="scale"):
        derivation_module("fixed_points").derive(scale=int(value))


def test_scaled_derivation_verifies_against_simulation() -> None:
    report = derive("fixed_points", scale=2).verify(max_examples=6)
    assert report.passed, report.message


# -- controllability: what is reachable, and within how many steps --------------------------
def _reached(A: np.ndarray, B: np.ndarray, h0: np.ndarray, xs: np.ndarray) -> np.ndarray:
    h = h0.copy()
    for x in xs:
        h = A @ h + B @ x
    return h


def test_the_cayley_hamilton_step_states_the_true_claim() -> None:
    d = derive("controllability")
    text = d.text()
    assert "any reachable state is reached in at most n steps" not in text
    assert "reachable from h_0 = 0 is reached within n steps" in text
    assert "h - A^N h_0 lies in the range of C" in text


def test_from_h0_an_uncontrollable_pair_reaches_a_state_only_after_n_steps() -> None:
    """A = diag(1, 1/2), B = e_1, h_0 = e_2: (0, 1/8) is reached at N = 3 > n = 2, not before."""
    A, B, h0 = np.diag([1.0, 0.5]), np.array([[1.0], [0.0]]), np.array([0.0, 1.0])
    target = np.array([0.0, 0.125])
    C = np.asarray(derive("controllability").kernel(*A.ravel(), *B.ravel()), dtype=float)
    basis = np.linalg.svd(C)[0][:, :np.linalg.matrix_rank(C)]
    grid = np.linspace(-2, 2, 9)
    for N in range(0, 4):
        # brute force: the second coordinate of every N-step state is 2^-N whatever the inputs
        states = [_reached(A, B, h0, np.array(xs).reshape(N, 1)) for xs in itertools.product(grid, repeat=N)]
        hits = any(np.allclose(s, target) for s in states)
        assert hits == (N == 3)
        if N >= 2:   # the corrected claim: reachable in N >= n steps iff target - A^N h0 is in range(C)
            offset = target - np.linalg.matrix_power(A, N) @ h0
            inside = np.allclose(basis @ (basis.T @ offset), offset)
            assert inside == (N == 3)
    # from h_0 = 0 every state reached in N > n steps is reached within n (range C_N = range C)
    for N in (3, 4, 5):
        rng = np.random.default_rng(N)
        state = _reached(A, B, np.zeros(2), rng.uniform(-1, 1, (N, 1)))
        u, *_ = np.linalg.lstsq(C, state, rcond=None)
        assert np.allclose(_reached(A, B, np.zeros(2), u.reshape(2, 1)[::-1]), state)


def test_verify_checks_the_reachable_set_from_h0() -> None:
    report = derive("controllability", n=3, m=1).verify(max_examples=10)
    assert report.passed, report.message
    assert "less $A^N h_0$, lie in the range of $\\mathcal{C}$" in report.message
