"""The Krawczyk certificate of a cell's fixed point (rnnsym.cells._enclosure), checked against mpmath.

Claims: the certified box holds the fixed point that Newton's method finds
at 50 digits on PyTorch's equations typed in by hand (independent of the
cells' equations); the uniqueness box holds no second fixed point (the
1-D count of rnnsym.fixedpoints.certify proves where they all are); a point
off the fixed point gets a box that still holds it.  Planted errors: a
wrong cell, and a Krawczyk test that uses the Jacobian at the centre only.
"""

from __future__ import annotations

import math
from pathlib import Path

import mpmath
import numpy as np
import pytest

import rnnsym as rs
from rnnsym.cells import GRUCell, SimpleCell, custom_cell
from rnnsym.cells import _enclosure
from rnnsym.cells._enclosure import Box, enclosable, krawczyk
from rnnsym.fixedpoints.certify import count_roots_1d
from tests.cells._planted import SummedCandidateBiases

DATA = Path(__file__).parent.parent / "data"


def _mp_gru_residual(h: list, weights: tuple[np.ndarray, ...]) -> list:
    """``F(h, 0) - h`` of PyTorch's GRU equations at mpmath's precision (zero input)."""
    _, W_hh, b_ih, b_hh = weights
    n = W_hh.shape[1]
    sig = lambda z: 1 / (1 + mpmath.exp(-z))   # noqa: E731
    pre = [sum((mpmath.mpf(float(W_hh[i, j])) * h[j] for j in range(n)), mpmath.mpf(0)) for i in range(3 * n)]
    out = []
    for i in range(n):
        r = sig(mpmath.mpf(float(b_ih[i])) + pre[i] + mpmath.mpf(float(b_hh[i])))
        z = sig(mpmath.mpf(float(b_ih[n + i])) + pre[n + i] + mpmath.mpf(float(b_hh[n + i])))
        cand = mpmath.tanh(mpmath.mpf(float(b_ih[2 * n + i])) + r * (pre[2 * n + i] + mpmath.mpf(float(b_hh[2 * n + i]))))
        out.append((1 - z) * cand + z * h[i] - h[i])
    return out


def _mp_root(cell: GRUCell, start: np.ndarray, weights: tuple[np.ndarray, ...]) -> tuple[np.ndarray, list]:
    """Newton on the mpmath residual (float Jacobian of the true GRU as the fixed inverse), to 50 digits."""
    with mpmath.workdps(50):
        J = GRUCell(*weights).numeric_jacobian(start, np.zeros(3)) - np.eye(len(start))
        Y = np.linalg.inv(J)
        h = [mpmath.mpf(float(v)) for v in start]
        for _ in range(8):
            G = _mp_gru_residual(h, weights)
            h = [h[i] - sum(mpmath.mpf(float(Y[i, j])) * G[j] for j in range(len(h))) for i in range(len(h))]
        assert max(abs(g) for g in _mp_gru_residual(h, weights)) < mpmath.mpf(10) ** -40
        return np.array([float(v) for v in h]), h


def _holds(cert, mp_root: list) -> bool:
    """``|root - center|_inf <= radius``, compared exactly in mpmath."""
    with mpmath.workdps(50):
        return max(abs(r - mpmath.mpf(float(c))) for r, c in zip(mp_root, cert.center)) <= cert.radius


@pytest.fixture(scope="module")
def trained_gru() -> tuple[GRUCell, tuple]:
    with np.load(DATA / "flipflop_gru.npz") as data:
        cell = GRUCell.from_state_dict({k: data[k] for k in data.files})
    return cell, tuple(np.asarray(w, dtype=float) for w in cell.stacked_weights)


def test_each_stable_memory_box_holds_the_50_digit_fixed_point(trained_gru) -> None:
    cell, weights = trained_gru
    stable = [p for p in cell.slow_points(np.zeros(3), starts=64, seed=1).fixed if p.kind == "stable"]
    assert len(stable) >= 4
    for p in stable:
        cert = p.enclosure
        assert cert is not None and cert.radius <= 1e-12 and cert.unique_within >= 1e-4
        _, mp_root = _mp_root(cell, p.state, weights)
        assert _holds(cert, mp_root)


def test_planted_wrong_cell_certifies_a_box_that_misses_the_true_fixed_point(trained_gru) -> None:
    cell, weights = trained_gru
    wrong = SummedCandidateBiases(*weights)
    p = next(p for p in wrong.slow_points(np.zeros(3), starts=32, seed=1).fixed if p.kind == "stable")
    assert p.enclosure is not None   # the planted cell's own fixed point is proven ...
    true = cell.slow_points(np.zeros(3), starts=64, seed=1).states()
    nearest = true[np.abs(true - p.state).max(axis=1).argmin()]
    _, mp_root = _mp_root(cell, nearest, weights)
    assert not _holds(p.enclosure, mp_root)   # ... and it is not the GRU's


def test_a_box_around_a_point_off_the_fixed_point_still_holds_it(trained_gru) -> None:
    cell, weights = trained_gru
    p = next(p for p in cell.slow_points(np.zeros(3), starts=32, seed=1).fixed if p.kind == "stable")
    off = p.state + 1e-6
    cert = krawczyk(cell, off, np.zeros(3))
    _, mp_root = _mp_root(cell, p.state, weights)
    assert cert is not None and 1e-6 <= cert.radius < 1e-4 and _holds(cert, mp_root)


def _fold_unit(gap: float) -> tuple[SimpleCell, list[float]]:
    """``h -> tanh(2 h + b)`` with ``b`` ``gap`` below the fold: two fixed points close together, and a third."""
    b = math.sqrt(2) - math.atanh(math.sqrt(0.5)) - gap
    count = count_roots_1d(rs.get_activation("tanh"), 2.0, b, dps=30)
    assert count.roots is not None and len(count.roots) == 3
    return SimpleCell(rs.RNN([[2.0]], b=[b])), [float(r.mid[0]) for r in count.roots]


def _uniqueness(cell: SimpleCell, roots: list[float]) -> list[tuple[float, float]]:
    """For each root: how far it is proven alone, and how far the nearest other root is."""
    out = []
    for i, root in enumerate(roots):
        cert = krawczyk(cell, np.array([root]), np.zeros(cell.m), grow_to=10.0)
        assert cert is not None
        out.append((cert.unique_within, min(abs(root - other) for j, other in enumerate(roots) if j != i)))
    return out


@pytest.mark.parametrize("gap", [1e-2, 1e-4])
def test_the_uniqueness_box_never_holds_a_second_fixed_point(gap: float) -> None:
    for alone, nearest in _uniqueness(*_fold_unit(gap)):
        assert alone < nearest


def test_planted_jacobian_at_the_centre_only_claims_a_second_point_is_not_there(monkeypatch) -> None:
    cell, roots = _fold_unit(1e-4)
    real = _enclosure.evaluate

    def at_centre(cell, S, x, jacobian):   # the classic mistake: G'(m) for G'(X)
        return real(cell, Box(S.c, np.zeros_like(S.r)), x, jacobian) if jacobian else real(cell, S, x, jacobian)

    monkeypatch.setattr(_enclosure, "evaluate", at_centre)
    assert any(alone >= nearest for alone, nearest in _uniqueness(cell, roots))


def test_cells_without_interval_extensions_are_not_certified() -> None:
    import sympy as sp
    h, x = sp.symbols("h x", real=True)
    cell = custom_cell([sp.tanh(h / 2 + x)], state=[h], inputs=[x])
    assert "no interval extension" in enclosable(cell)
    (p,) = cell.slow_points([0.0], starts=8).fixed
    assert p.enclosure is None and "no interval extension" in p.enclosure_note


def _mp_phi(name: str, z: mpmath.mpf) -> tuple[mpmath.mpf, mpmath.mpf]:
    """``phi(z)`` and ``phi'(z)`` at mpmath's precision, written out independently of rnnsym."""
    if name == "tanh":
        return mpmath.tanh(z), 1 / mpmath.cosh(z) ** 2
    return 1 / (1 + mpmath.exp(-z)), 1 / (4 * mpmath.cosh(z / 2) ** 2)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_direct_activation_bounds_hold_the_60_digit_values_within_a_few_floats(name: str) -> None:
    """The direct route of the gated cells' certificates (_enclosure._bound, mpmath.libmp's directed rounding):
    on random and extreme intervals its four bounds hold phi and phi' at the ends, inside and at 0, and on a
    point they are at most four floats apart."""
    act = rs.get_activation(name)
    rng = np.random.default_rng(7)
    ends = np.concatenate([rng.normal(0, 4, 300), rng.normal(0, 1e-9, 40),
                           10.0 ** rng.uniform(-300, 3, 60) * rng.choice([-1.0, 1.0], 60),
                           [0.0, 5e-324, -5e-324, 36.0, -36.0, 745.5, -745.5, 2.0 ** 20, -(2.0 ** 21), 1e300]])
    pairs = [(float(x), float(x)) for x in ends] + [tuple(sorted((float(x), float(y))))
                                                    for x, y in zip(ends, rng.permutation(ends))]
    with mpmath.workdps(60):
        for lo, hi in pairs:
            a, b, c, d = _enclosure._bound(act, lo, hi, True)
            inside = [lo, hi, 0.5 * lo + 0.5 * hi] + ([0.0] if lo <= 0.0 <= hi else [])
            for z in inside:
                value, slope = _mp_phi(name, mpmath.mpf(z))
                assert a <= value <= b and c <= slope <= d, (lo, hi, z)
            if lo == hi:
                value, slope = _mp_phi(name, mpmath.mpf(lo))
                for low, high, exact in ((a, b, value), (c, d, slope)):
                    tol = 4 * math.ulp(float(exact)) + 1e-320
                    assert high - low <= tol, (lo, low, high)
