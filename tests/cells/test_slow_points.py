"""Fixed and slow points of cells against brute force, mpmath and the certified RNN search."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import mpmath
import numpy as np
import pytest

import rnnsym as rs
from rnnsym.cells import GRUCell, LSTMCell, SimpleCell, find_slow_points
from rnnsym.cells.slow_points import rounding_ratio
from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.fixedpoints import find_fixed_points
from tests.cells._reference import lstm_step


def fold_bias(w: float) -> float:
    """The saddle-node bias of ``h -> tanh(w h + b)`` (left fold), typed in from the closed form."""
    return math.sqrt(w * (w - 1)) - math.atanh(math.sqrt(1 - 1 / w))


def grid_roots(w: float, b: float) -> list[float]:
    """Brute force: sign changes of ``tanh(w h + b) - h`` on a dense grid, each bracket refined by mpmath."""
    h = np.linspace(-1.5, 1.5, 2_000_001)
    g = np.tanh(w * h + b) - h
    idx = np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) <= 0)
    with mpmath.workdps(30):
        f = lambda t: mpmath.tanh(w * t + b) - t   # noqa: E731
        roots = [float(mpmath.findroot(f, (h[i], h[i + 1]), solver="anderson")) for i in idx]
    return sorted(set(round(r, 12) for r in roots))


def mp_slow_point(w: float, b: float, guess: float) -> tuple[float, float]:
    """The local minimum of ``q(h) = (tanh(w h + b) - h)**2 / 2`` near ``guess``: root of ``q'`` by mpmath."""
    with mpmath.workdps(30):
        q = lambda t: (mpmath.tanh(w * t + b) - t) ** 2 / 2   # noqa: E731
        h = mpmath.findroot(lambda t: mpmath.diff(q, t), guess)
        assert mpmath.diff(q, h, 2) > 0 and q(h) > 0   # a positive local minimum
        return float(h), float(q(h))


@pytest.mark.parametrize("w", [1.5, 2.0, 4.0])
@pytest.mark.parametrize("delta", [1e-3, 1e-2, 5e-2])
@pytest.mark.parametrize("sign", [1, -1])
def test_past_the_fold_one_fixed_point_and_one_slow_point_where_the_pair_vanished(w: float, delta: float,
                                                                               sign: int) -> None:
    b = sign * (fold_bias(w) + delta)
    cell = SimpleCell(rs.RNN([[w]], b=[b]))
    res = find_slow_points(cell, [0.0], starts=64, max_q=1e-2)   # delta = 0.05 leaves q ~ 1e-3 at the ghost
    assert [round(float(p.state[0]), 12) for p in res.fixed] == pytest.approx(grid_roots(w, b), abs=1e-13)
    assert all(p.fixed and p.rounding_ratio <= 1 and p.kind == "stable" for p in res.fixed)
    (slow,) = res.slow
    want_h, want_q = mp_slow_point(w, b, -sign * math.sqrt(1 - 1 / w))
    assert abs(slow.state[0] - want_h) <= 1e-8 and slow.q == pytest.approx(want_q, rel=1e-8)
    assert slow.q == pytest.approx(0.5 * (delta / w) ** 2, rel=1e-8)   # at the ghost G = (b - b_c) / w exactly
    assert not slow.fixed and slow.rounding_ratio > 1e6
    # the closed form of the ghost: where w sech^2(w h + b) = 1 on the side of the lost pair
    assert want_h == pytest.approx((-sign * math.atanh(math.sqrt(1 - 1 / w)) - b) / w, abs=1e-12)


@pytest.mark.parametrize("w", [1.5, 2.0, 4.0])
def test_before_the_fold_all_three_fixed_points_and_no_slow_point(w: float) -> None:
    b = fold_bias(w) - 1e-2
    cell = SimpleCell(rs.RNN([[w]], b=[b]))
    res = find_slow_points(cell, [0.0], states=np.linspace(-1, 1, 41)[:, None], starts=41)
    assert [round(float(p.state[0]), 12) for p in res.fixed] == pytest.approx(grid_roots(w, b), abs=1e-13)
    slopes = [w / math.cosh(w * float(p.state[0]) + b) ** 2 for p in res.fixed]
    assert [p.kind for p in res.fixed] == ["stable" if s < 1 else "unstable" for s in slopes]
    assert res.slow == ()


def test_a_state_off_the_fixed_point_by_1e_9_is_not_certified() -> None:
    """Planted error: the certificate is relative to rounding, so a near-miss of 1e-9 fails it."""
    cell = SimpleCell(rs.RNN([[2.0]], b=[0.3]))
    (p, *_) = find_slow_points(cell, [0.0], starts=8).fixed
    X = np.zeros(1)
    assert rounding_ratio(cell, p.state[None], X)[0] <= 1.0
    assert rounding_ratio(cell, p.state[None] + 1e-9, X)[0] > 1e3


@pytest.mark.parametrize("seed", range(4))
def test_simple_cells_find_what_the_certified_rnn_search_proves(seed: int) -> None:
    """Diagonal ``W_h``: find_fixed_points proves the complete list (decoupled 1-D counts)."""
    rng = np.random.default_rng(seed)
    net = rs.RNN(np.diag(rng.uniform(1.2, 3.0, 2)), b=rng.uniform(-0.3, 0.3, 2))
    proof = find_fixed_points(net)
    assert proof.complete
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 9), np.linspace(-1, 1, 9)), axis=-1).reshape(-1, 2)
    res = SimpleCell(net).slow_points([0.0], states=grid, starts=81)
    assert len(res.fixed) == len(proof) and res.slow == ()
    ours = sorted((tuple(np.round(p.state, 9)), p.kind) for p in res.fixed)
    proven = sorted((tuple(np.round(p.h, 9)), p.stability.kind) for p in proof)
    assert [k for _, k in ours] == [k for _, k in proven]
    assert np.abs(np.array([h for h, _ in ours]) - np.array([h for h, _ in proven])).max() <= 1e-14


def decoupled_gru(rng: np.random.Generator) -> tuple[GRUCell, list[list[float]]]:
    """A 2-unit GRU whose units do not interact (diagonal recurrent blocks), and each unit's 1-D fixed points."""
    n = 2
    W_hh = np.zeros((6, 2))
    for k in range(3):
        W_hh[2 * k:2 * k + 2] = np.diag(rng.uniform(-1, 4, n) if k == 2 else rng.uniform(-1, 1, n))
    b_ih, b_hh = rng.uniform(-0.5, 0.5, 6), rng.uniform(-0.5, 0.5, 6)
    cell = GRUCell(np.zeros((6, 1)), W_hh, b_ih, b_hh)
    roots = []
    for i in range(n):
        h = np.linspace(-1.2, 1.2, 400_001)
        r = 1 / (1 + np.exp(-(W_hh[i, i] * h + b_ih[i] + b_hh[i])))
        z = 1 / (1 + np.exp(-(W_hh[2 + i, i] * h + b_ih[2 + i] + b_hh[2 + i])))
        g = np.tanh(b_ih[4 + i] + r * (W_hh[4 + i, i] * h + b_hh[4 + i]))
        F = (1 - z) * g + z * h - h
        idx = np.flatnonzero(np.sign(F[:-1]) * np.sign(F[1:]) <= 0)
        roots.append(sorted(set(round(float(h[j]), 4) for j in idx)))
    return cell, roots


@pytest.mark.parametrize("seed", [0, 3, 5, 8])
def test_a_decoupled_gru_has_exactly_the_products_of_its_units_fixed_points(seed: int) -> None:
    cell, roots = decoupled_gru(np.random.default_rng(seed))
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 11), np.linspace(-1, 1, 11)), axis=-1).reshape(-1, 2)
    res = cell.slow_points([0.0], states=grid, starts=121)
    found = sorted(tuple(round(float(v), 4) for v in p.state) for p in res.fixed)
    want = sorted((a, b) for a in roots[0] for b in roots[1])
    assert len(found) == len(want) and np.abs(np.array(found) - np.array(want)).max() <= 2e-4
    for p in res.fixed:
        assert np.abs(cell.step(p.state, [0.0]) - p.state).max() <= 1e-15


def test_lstm_fixed_points_are_fixed_under_the_reference_equations() -> None:
    rng = np.random.default_rng(2)
    w = {"weight_ih": rng.normal(size=(16, 2)), "weight_hh": rng.normal(0, 1.5, (16, 4)),
         "bias_ih": rng.normal(size=16), "bias_hh": rng.normal(size=16)}
    cell = LSTMCell(w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
    x = np.array([0.3, -0.2])
    res = cell.slow_points(x, starts=64, noise=0.5)
    assert res.fixed
    for p in res.fixed:
        h, c = lstm_step(p.state[:4], p.state[4:], x, **w)
        assert np.abs(np.concatenate([h, c]) - p.state).max() <= 1e-14
        assert p.residual <= 1e-14 and p.q <= 1e-28


def test_results_are_frozen_and_say_what_they_hold() -> None:
    res = SimpleCell(rs.RNN([[2.0]], b=[fold_bias(2.0) + 1e-2])).slow_points([0.0], starts=16, seed=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.fixed = ()   # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.fixed[0].q = 0.0   # type: ignore[misc]
    assert res.states("all").shape == (2, 1) and res.points == res.fixed + res.slow
    assert res.initial_states.shape == res.end_states.shape == (16, 1) and res.end_q.shape == (16,)
    assert "1 fixed and 1 slow point(s) from 16 starts" in res.summary
    assert sum(p.count for p in res.points) + res.rejected == 16


def test_fixed_points_is_the_fixed_part_of_the_search() -> None:
    cell = SimpleCell(rs.RNN([[2.0]], b=[0.0]))
    pts = cell.fixed_points([0.0], states=np.linspace(-1, 1, 9)[:, None], starts=9)
    assert [round(float(p.state[0]), 6) for p in pts] == [-0.957504, 0.0, 0.957504]


@pytest.mark.parametrize("call, error, words", [
    (lambda c: c.slow_points(), InvalidArgumentError, ["`x` is missing", "np.zeros(1)"]),
    (lambda c: c.slow_points([0.0, 1.0]), ShapeError, ["`x` must have shape (..., 1)"]),
    (lambda c: c.slow_points([[0.0]]), InvalidArgumentError, ["one input of shape (1,)"]),
    (lambda c: c.slow_points([0.0], starts=0), InvalidArgumentError, ["`starts` must be an integer >= 1"]),
    (lambda c: c.slow_points([0.0], states=[[0.0, 1.0]]), ShapeError, ["`states` must have shape (..., 1)"]),
    (lambda c: c.slow_points([0.0], max_q=-1.0), InvalidArgumentError, ["`max_q` must be >= 0"]),
    (lambda c: c.slow_points([float("nan")]), rs.NonFiniteError, ["`x`"]),
    (lambda c: find_slow_points("cell", [0.0]), InvalidArgumentError, ["must be an rnnsym cell"]),
    (lambda c: GRUCell.symbolic(1, 1).slow_points([0.0]), InvalidArgumentError, ["symbolic parameters"]),
])
def test_bad_arguments_raise_one_line_errors(call: Any, error: type, words: list) -> None:
    cell = SimpleCell(rs.RNN([[2.0]], [[1.0]], [0.0]))
    with pytest.raises(error) as info:
        call(cell)
    assert "\n" not in str(info.value) and all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize("batch", [1, 3, 7])
def test_batches_of_starts_change_nothing_but_memory(monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    """Each start's Levenberg-Marquardt run is its own: in batches of 1, 3 or 7 starts (the limit on the
    batch's N x N matrices set to that many) every end point is the one the single batch reaches."""
    from rnnsym.cells import slow_points
    cell, _ = decoupled_gru(np.random.default_rng(9))   # three roots per unit: nine fixed points
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5)), axis=-1).reshape(-1, 2)
    whole = cell.slow_points([0.0], states=grid, starts=25)
    monkeypatch.setattr(slow_points, "LM_BATCH_FLOATS", batch * cell.state_size ** 2)
    parts = cell.slow_points([0.0], states=grid, starts=25)
    np.testing.assert_allclose(parts.end_states, whole.end_states, rtol=0, atol=1e-14)
    assert len(parts.fixed) == len(whole.fixed) == 9   # the products of the units' three roots each
    def points(res: Any) -> list[tuple[float, ...]]:
        return sorted((tuple(p.state) for p in res.fixed), key=lambda s: tuple(round(v, 9) for v in s))
    np.testing.assert_allclose(points(parts), points(whole), rtol=0, atol=1e-14)
