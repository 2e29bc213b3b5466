"""Claims about rnnsym.stability checked against independent computations (mpmath, exact bounds,
exact rational arithmetic on the float entries)."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp

from rnnsym.closed_forms import classify_batch
from rnnsym.errors import ResourceLimitError
from rnnsym.stability import KINDS, classify_jacobian, classify_moduli, steps_to_half
from rnnsym.symbols import FIXED_POINT_KINDS


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


# -- classify_jacobian decides the numbers it is given ("edges" issue, A) -------------------------
def kind_from_moduli_squared(squares: list[Fraction]) -> str:
    """The kind from exact |lambda|^2 values (definition: stable rho < 1, marginal rho = 1, ...)."""
    if any(q > 1 for q in squares):
        return "saddle" if any(q < 1 for q in squares) else "unstable"
    return "marginal" if any(q == 1 for q in squares) else "stable"


def test_the_vocabulary_appends_undecided_and_keeps_the_old_codes() -> None:
    assert KINDS is FIXED_POINT_KINDS
    assert KINDS[:4] == ("stable", "unstable", "saddle", "marginal") and KINDS[4] == "undecided"


def test_one_plus_1e9_is_unstable_and_decided() -> None:
    """Old: 'marginal', decided=False (fl(1 + 1e-9) - 1 = 1.00000008e-9 is above tol, but the float
    band test and the escalation test disagreed on it)."""
    assert Fraction(1 + 1e-9) > 1                                   # the number given, exactly
    s = classify_jacobian([[1 + 1e-9]])
    assert (s.kind, s.decided) == ("unstable", True)


def test_one_minus_1e17_is_the_float_one_so_marginal_and_decided() -> None:
    assert Fraction(1 - 1e-17) == 1                                 # 1 - 1e-17 rounds to 1.0
    s = classify_jacobian([[1 - 1e-17]])
    assert (s.kind, s.decided, s.spectral_radius, s.margin) == ("marginal", True, 1.0, 0.0)
    assert "inconclusive" in s.message


@pytest.mark.parametrize("theta", [0.0, 0.1, 0.2448, 0.2931, 0.5345, 0.8724, 1.4517])
def test_a_float_rotation_is_classified_by_its_exact_modulus(theta: float) -> None:
    """|c + i s|^2 = c^2 + s^2 with the float entries taken exactly: rarely 1 (only at s = 0)."""
    c, s = np.cos(theta), np.sin(theta)
    want = kind_from_moduli_squared([Fraction(c) ** 2 + Fraction(s) ** 2])
    got = classify_jacobian([[c, -s], [s, c]])
    assert got.kind == want and got.decided
    if theta == 0.0:
        assert want == "marginal"


def test_the_exact_quarter_turn_and_jordan_blocks_are_marginal() -> None:
    assert classify_jacobian([[0.0, -1.0], [1.0, 0.0]]).kind == "marginal"       # lambda = +-i
    assert classify_jacobian([[1.0, 1.0], [0.0, 1.0]]).kind == "marginal"        # (lambda - 1)^2
    # S J3 S^-1 with J3 the 3x3 Jordan block at 1 and S unimodular: integer entries, float eig spreads
    # the triple eigenvalue by ~eps^(1/3); the exact characteristic polynomial is (lambda - 1)^3
    S = sp.Matrix([[1, 2, 0], [0, 1, 3], [1, 2, 1]])
    assert S.det() in (1, -1)
    M = S * sp.Matrix([[1, 1, 0], [0, 1, 1], [0, 0, 1]]) * S.inv()
    assert sp.factor(M.charpoly().as_expr()) == (sp.Symbol("lambda") - 1) ** 3
    floats = np.array(M.tolist(), dtype=float)
    assert np.abs(np.abs(np.linalg.eigvals(floats)) - 1).max() > 1e-9        # LAPACK cannot tell
    s = classify_jacobian(floats)
    assert (s.kind, s.decided, s.precision) == ("marginal", True, "exact rational arithmetic")


def test_spectral_radii_within_1e30_of_one_are_told_apart() -> None:
    e = 2.0 ** -52
    # [[0, 1 + e], [-(1 - e), 0]]: lambda = +-i sqrt(1 - e^2), |lambda|^2 = 1 - 2^-104
    J = [[0.0, 1 + e], [-(1 - e), 0.0]]
    assert Fraction(1 + e) * Fraction(1 - e) == 1 - Fraction(1, 2 ** 104)
    with mpmath.workdps(60):
        rho = max(abs(v) for v in mpmath.eig(mpmath.matrix(J), left=False, right=False))
        assert 0 < 1 - rho < 1e-30
    assert classify_jacobian(J).kind == "stable"
    # [[1, d], [d, 1]]: lambda = 1 +- d with d = fl(1e-30): one inside, one outside
    assert classify_jacobian([[1.0, 1e-30], [1e-30, 1.0]]).kind == "saddle"
    over = classify_jacobian([[1.0]], exact=[[sp.Rational(10 ** 30 + 1, 10 ** 30)]])
    assert over.kind == "unstable" and over.decided


def test_what_no_precision_decides_is_undecided_not_marginal() -> None:
    """cos(1)^2 + sin(1)^2 is 1, but only as SymPy numbers that are not rational: mpmath at up to 240
    digits sees 1 +- 1e-240 and cannot tell the side."""
    s = classify_jacobian([[1.0]], exact=[[sp.cos(1) ** 2 + sp.sin(1) ** 2]])
    assert (s.kind, s.decided) == ("undecided", False) and s.message.startswith("undecided")
    near = classify_jacobian([[1.0]], exact=[[sp.cos(1) ** 2 + sp.sin(1) ** 2 - sp.Rational(1, 10 ** 40)]])
    assert near.kind == "stable" and near.precision.startswith("mpmath")


FACTORS = {  # monic factors with their exact |root|^2
    "x-1": ([-1, 1], [1]), "x+1": ([1, 1], [1]), "x^2+1": ([1, 0, 1], [1, 1]),
    "x^2+x+1": ([1, 1, 1], [1, 1]), "x-1/2": ([Fraction(-1, 2), 1], [Fraction(1, 4)]),
    "x+1/4": ([Fraction(1, 4), 1], [Fraction(1, 16)]), "x-2": ([-2, 1], [4]), "x+3": ([3, 1], [9]),
    "x^2+1/2": ([Fraction(1, 2), 0, 1], [Fraction(1, 2)] * 2), "x^2+2": ([2, 0, 1], [2, 2]),
    "x^2-2x+2": ([2, -2, 1], [2, 2]), "x^2-x+1": ([1, -1, 1], [1, 1]),
}


@pytest.mark.parametrize("seed", range(24))
def test_exact_decisions_match_polynomials_built_from_known_factors(seed: int) -> None:
    """A companion matrix of a product of factors with known root moduli, hidden by a unimodular
    similarity (dyadic entries: the floats are exact).  Truth: the factor list."""
    rng = np.random.default_rng(seed)
    names = list(rng.choice(sorted(FACTORS), size=int(rng.integers(1, 4)), replace=True))
    poly = sp.Poly(1, sp.Symbol("x"))
    squares: list[Fraction] = []
    for name in names:
        coeffs, sq = FACTORS[name]
        poly *= sp.Poly([sp.Rational(c.numerator, c.denominator) if isinstance(c, Fraction) else c
                         for c in reversed(coeffs)], sp.Symbol("x"))
        squares += sq
    c = poly.all_coeffs()[::-1]  # monic, lowest degree first
    n = len(c) - 1
    C = sp.zeros(n, n)
    for i in range(1, n):
        C[i, i - 1] = 1
    for i in range(n):
        C[i, n - 1] = -c[i]
    S = sp.eye(n)
    for _ in range(2):  # unimodular: elementary row additions
        i, j = rng.choice(n, 2, replace=False) if n > 1 else (0, 0)
        if i != j:
            S[i, :] += int(rng.integers(-2, 3)) * S[j, :]
    M = S * C * S.inv()
    floats = np.array(M.tolist(), dtype=float)
    assert all(Fraction(float(v)) == Fraction(int(sp.Rational(v).p), int(sp.Rational(v).q)) for v in M)
    assert classify_jacobian(floats).kind == kind_from_moduli_squared(squares), (names, M)


def test_moduli_in_the_tolerance_band_are_undecided_and_exact_ones_marginal() -> None:
    assert classify_moduli([[1.0, 0.3], [1.0 + 1e-12, 0.5], [2.0, 0.5], [2.0, 1.0]]).tolist() == [4, 4, 2, 4]
    assert classify_moduli([[1.0, 0.3], [2.0, 1.0]], tol=0).tolist() == [3, 1]


def test_classify_batch_decides_near_the_circle_matrix_by_matrix() -> None:
    J = np.array([[[1 + 1e-9, 0.0], [0.0, 0.99]], [[1.0, 1e-30], [1e-30, 1.0]], [[1.0, 1.0], [0.0, 1.0]],
                  [[0.5, 0.0], [0.0, 0.2]]])
    want = [KINDS.index(k) for k in ("saddle", "saddle", "marginal", "stable")]   # moduli: by construction
    assert classify_batch(J).tolist() == want
    assert classify_batch(J, decide=False).tolist() == [2, 4, 4, 0]
