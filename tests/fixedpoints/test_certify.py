"""Claims about the proven 1-D count, the enclosures and the interval extensions behind them.

Every expected value is computed here independently: roots of the same float
equation by :func:`mpmath.findroot` at 60 digits, exact rationals, or a
brute-force sign count on a fine grid.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

import rnnsym as rs
from rnnsym.fixedpoints import certify, intervals
from rnnsym.fixedpoints import find_fixed_points

MP = {"tanh": mpmath.tanh, "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
      "softsign": lambda z: z / (1 + abs(z))}
NP = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)), "softsign": lambda z: z / (1 + np.abs(z))}


def root60(name: str, w: float, u: float, lo: float, hi: float):
    """The root of ``phi(w h + u) - h`` in the bracket ``[lo, hi]`` at 60 digits (the floats taken exactly)."""
    with mpmath.workdps(60):
        def g(h):
            return MP[name](mpmath.mpf(w) * h + mpmath.mpf(u)) - h
        a, b = mpmath.mpf(lo), mpmath.mpf(hi)
        assert g(a) * g(b) < 0, "the test's bracket must hold a sign change"
        return mpmath.findroot(g, (a, b), solver="anderson", tol=mpmath.mpf(10) ** -58)


def assert_enclosed(point, root) -> None:
    """The true root lies in the enclosure, ``exact`` is within the stated digits, ``h`` is the nearest float."""
    (lo, hi), = point.enclosure
    with mpmath.workdps(60):
        assert lo <= root <= hi
        assert abs(point.exact[0] - root) <= mpmath.mpf(10) ** -point.digits * abs(root)
    assert point.digits >= 28 and point.radius <= 1e-28 * abs(float(root))
    assert point.h[0] == float(root)


def test_unit_weight_just_above_one_has_three_roots_enclosed_at_thirty_digits():
    """Old: +-0.4877 with residual 3.5e-2 (an unchecked Anderson step), certified."""
    w = 1.000000001
    res = find_fixed_points(rs.RNN([[w]], b=[0.0]))
    assert res.complete and res.certificate == "exact 1-D count" and len(res) == 3
    guess = math.sqrt(3 * (w - 1))
    top = root60("tanh", w, 0.0, guess / 2, 2 * guess)
    bottom = root60("tanh", w, 0.0, -2 * guess, -guess / 2)
    assert_enclosed(res[0], bottom)
    assert_enclosed(res[2], top)
    assert res[1].enclosure == ((0, 0),) and res[1].h[0] == 0.0
    assert [p.stability.kind for p in res] == ["stable", "unstable", "stable"]


def test_softsign_above_unit_weight_has_its_two_outer_roots():
    """softsign(w h) = h, h != 0  <=>  |h| = (w - 1) / w exactly.  Old: only 0, certified."""
    w = 1.05
    res = find_fixed_points(rs.RNN([[w]], b=[0.0], activation="softsign"))
    assert res.complete and len(res) == 3
    exact = Fraction(w) - 1
    exact /= Fraction(w)
    with mpmath.workdps(60):
        r = mpmath.mpf(exact.numerator) / exact.denominator
        assert_enclosed(res[2], r)
        assert_enclosed(res[0], -r)


def test_identity_unit_solves_its_linear_equation_exactly():
    """h = w h + b  <=>  h = b / (1 - w) in exact rationals of the floats.  Old: NaN, certified."""
    w, b = 1.02, -0.5
    res = find_fixed_points(rs.RNN([[w]], b=[b], activation="identity"))
    expected = Fraction(b) / (1 - Fraction(w))
    assert res.complete and res.certificate == "piecewise-linear enumeration" and len(res) == 1
    assert res[0].h[0] == float(expected) and res[0].h[0] == pytest.approx(25.0)
    (lo, hi), = res[0].enclosure
    with mpmath.workdps(60):
        assert lo <= mpmath.mpf(expected.numerator) / expected.denominator <= hi


def test_softsign_count_agrees_with_the_quadratic_on_each_side():
    """Was not certified (SymPy's solveset missed the critical points).  For z = 2h - 1/2 < 0,
    z/(1 - z) = h gives 2h^2 + h/2 - 1/2 = 0; for z > 0 the quadratic has no real root."""
    res = find_fixed_points(rs.RNN([[2.0]], b=[-0.5], activation="softsign"))
    assert res.complete and res.certificate == "exact 1-D count" and len(res) == 1
    with mpmath.workdps(60):
        r = (-1 - mpmath.sqrt(17)) / 8
    assert_enclosed(res[0], r)


def test_polish_near_the_fold_sets_h_to_the_float_nearest_the_enclosed_root():
    """Old: exact was 2e-8 from the root and polish=True kept the unpolished h."""
    w = 2.0
    b = math.sqrt(w * (w - 1)) - math.acosh(math.sqrt(w)) - 1e-14   # two roots about 1e-7 apart
    res = find_fixed_points(rs.RNN([[w]], b=[b]), polish=True)
    assert res.complete and len(res) == 3
    assert res[0].h[0] < res[1].h[0] < res[0].h[0] + 2e-7 < -0.7     # the pair near the fold at -sqrt(1/2)
    for p, d in zip(res, (3e-8, 3e-8, 1e-3)):
        h = float(p.h[0])
        assert_enclosed(p, root60("tanh", w, b, h - d, h + d))


CASES = [("tanh", 3.0, 0.4), ("tanh", -2.5, 0.3), ("tanh", 0.7, -1.9), ("tanh", 5.0, -0.05),
         ("sigmoid", 6.0, -3.1), ("sigmoid", -4.0, 2.0), ("sigmoid", 9.0, -4.3),
         ("softsign", 3.0, 0.2), ("softsign", -6.0, 0.1), ("softsign", 4.0, -0.9)]


def brute_force_brackets(name: str, w: float, u: float) -> list[tuple[float, float]]:
    grid = np.linspace(-1.0001, 1.0001, 2_000_001)
    g = NP[name](w * grid + u) - grid
    k = np.flatnonzero(np.sign(g[1:]) * np.sign(g[:-1]) < 0)
    assert not np.any(g == 0)
    return [(grid[i], grid[i + 1]) for i in k]


@pytest.mark.parametrize("name, w, u", CASES)
def test_count_and_enclosures_match_a_brute_force_grid_and_mpmath(name, w, u):
    res = find_fixed_points(rs.RNN([[w]], b=[u], activation=name))
    brackets = brute_force_brackets(name, w, u)
    assert res.complete and len(res) == len(brackets)
    for p, (a, b) in zip(res, brackets):
        assert_enclosed(p, root60(name, w, u, a, b))


def test_triple_root_at_one_half_is_met_exactly():
    """sigma(4h - 2) - h: g(1/2) = 0, g'(1/2) = g''(1/2) = 0, and g' = sigma'(4h-2)*4 - 1 <= 0."""
    res = find_fixed_points(rs.RNN([[4.0]], b=[-2.0], activation="sigmoid"))
    assert res.complete and len(res) == 1
    assert res[0].enclosure == ((0.5, 0.5),) and res[0].stability.kind == "marginal"


def spoil(monkeypatch, change) -> None:
    original = certify._refine
    calls = []

    def refine(*args, **kwargs):
        enc = original(*args, **kwargs)
        calls.append(enc)
        return change(enc) if len(calls) == 2 else enc

    monkeypatch.setattr(certify, "_refine", refine)


@pytest.mark.parametrize("how", ["shift", "shrink-to-one-side"])
def test_a_spoiled_enclosure_withdraws_the_certificate(monkeypatch, how):
    def shift(enc):
        d = 4 * (enc.hi[0] - enc.lo[0]) + mpmath.mpf(10) ** -12
        return certify.Enclosure((enc.lo[0] + d,), (enc.hi[0] + d,), (enc.mid[0] + d,), enc.digits)

    def one_side(enc):   # a box that still holds no root: no sign change
        return certify.Enclosure((enc.lo[0],), (enc.lo[0],), (enc.lo[0],), enc.digits)

    spoil(monkeypatch, shift if how == "shift" else one_side)
    res = find_fixed_points(rs.RNN([[3.0]], b=[0.2]))
    assert not res.complete and res.certificate is None
    assert "fail their check" in res.reason and "may be incomplete" in res.reason
    assert len(res) == 3   # the Newton search still lists them, uncertified


def test_a_count_over_a_range_that_misses_a_root_is_withdrawn(monkeypatch):
    """tanh(3h + 0.2) = h has a root near 0.995; a builder that stops at h = 0.5 (where g > 0) finds two."""
    original = certify._domain

    def short(g, bits):
        A, _, sA, _ = original(g, bits)
        return A, mpmath.mpf(0.5), sA, 1

    monkeypatch.setattr(certify, "_domain", short)
    res = find_fixed_points(rs.RNN([[3.0]], b=[0.2]))
    assert not res.complete and "not proven to hold every fixed point" in res.reason and len(res) == 3


def test_krawczyk_encloses_each_polished_point_of_a_coupled_network():
    W, b = np.array([[2.0, 1.0], [-1.0, 2.5]]), np.array([0.1, -0.2])
    res = find_fixed_points(rs.RNN(W, b=b), polish=True)
    assert not res.complete and len(res) >= 1
    for p in res:
        with mpmath.workdps(60):
            root = mpmath.findroot(lambda x, y: [mpmath.tanh(mpmath.mpf(W[i, 0]) * x + mpmath.mpf(W[i, 1]) * y
                                                             + mpmath.mpf(b[i])) - (x, y)[i] for i in range(2)],
                                   [mpmath.mpf(float(v)) for v in p.h], tol=mpmath.mpf(10) ** -55)
        assert p.enclosure is not None and p.digits >= 25
        for i in range(2):
            lo, hi = p.enclosure[i]
            assert lo <= root[i] <= hi and p.h[i] == float(root[i])
            assert abs(p.exact[i] - root[i]) <= mpmath.mpf(10) ** -p.digits * abs(root[i])


def test_a_custom_activation_gets_no_interval_proof_and_says_why():
    act = rs.custom_activation("z/(1 + z**2)")
    res = find_fixed_points(rs.RNN([[3.0]], b=[0.1], activation=act))
    assert not res.complete and "no smooth interval extension" in res.reason


@pytest.mark.parametrize("name", sorted(MP))
def test_interval_extensions_enclose_phi_and_its_derivative(name):
    act = rs.get_activation(name)
    dmp = {"tanh": lambda z: mpmath.sech(z) ** 2, "sigmoid": lambda z: MP["sigmoid"](z) * MP["sigmoid"](-z),
           "softsign": lambda z: 1 / (1 + abs(z)) ** 2}[name]
    rng = np.random.default_rng(7)
    with intervals.precision(120), mpmath.workdps(60):
        for _ in range(150):
            a, b = np.sort(rng.normal(size=2) * rng.choice([1e-9, 1.0, 40.0, 1e7]))
            P = intervals.ends(intervals.phi(act, intervals.interval(a, b)))
            D = intervals.ends(intervals.dphi(act, intervals.interval(a, b)))
            for t in np.linspace(0, 1, 5):
                z = mpmath.mpf(a) + (mpmath.mpf(b) - mpmath.mpf(a)) * t
                assert P[0] <= MP[name](z) <= P[1] and D[0] <= dmp(z) <= D[1]
        at_zero = (0.5, 0.5) if name == "sigmoid" else (0, 0)
        assert intervals.ends(intervals.phi(act, intervals.interval(0))) == at_zero   # exact, no rounding


@pytest.mark.parametrize("name", ["identity", "relu", "leaky_relu", "hard_tanh"])
def test_piece_metadata_reproduces_the_activation(name):
    act = rs.get_activation(name)
    exact = {"identity": lambda z: z, "relu": lambda z: max(z, 0), "hard_tanh": lambda z: min(max(z, -1), 1),
             "leaky_relu": lambda z: z if z > 0 else z / 100}[name]
    for z in [Fraction(k, 7) for k in range(-30, 31)]:
        (piece,) = [p for p in act.pieces if (not p[0].is_finite or p[0] < z) and (not p[1].is_finite or z <= p[1])]
        assert Fraction(str(piece[2])) * z + Fraction(str(piece[3])) == exact(z)
