"""The Newton step above ``LU_LOOP_N`` units: one LU per Jacobian gives the step and the determinant.

Reference: NumPy's batched ``det`` and ``solve`` (two factorisations), the path below the threshold,
and for the step the residual ``J s + G`` itself.
"""

from __future__ import annotations

import numpy as np
import pytest

# private: the two paths of the one Newton step are compared directly
from rnnsym.fixedpoints import newton


@pytest.mark.parametrize("n, seed", [(65, 0), (90, 1)])
def test_one_lu_gives_the_batched_step_and_determinant(n: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((n, n, 5)) / np.sqrt(n) - np.eye(n)[:, :, None]
    J[:, :, 2] = 0.0  # singular: both paths step with J + 1e-7 I (least squares if that is singular too)
    G = rng.standard_normal((n, 5))
    S_lu, det_lu = newton._solve_step(J.copy(), G, None)
    monkeypatch.setattr(newton, "LU_LOOP_N", 10 ** 9)
    S_np, det_np = newton._solve_step(J.copy(), G, None)
    assert np.abs(S_lu - S_np).max() <= 1e-9 * np.abs(S_np).max()
    assert np.all(np.abs(det_lu - det_np) <= 1e-12 * np.abs(det_np)) and det_lu[2] == 0.0
    for j in (0, 1, 3, 4):
        assert np.abs(J[:, :, j] @ S_lu[:, j] + G[:, j]).max() <= 1e-10 * (1 + np.abs(G[:, j]).max())


def test_the_newton_search_finds_the_same_points_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    import rnnsym as rs
    from rnnsym.fixedpoints.search import find_fixed_points

    rng = np.random.default_rng(5)
    net = rs.RNN(rng.standard_normal((12, 12)) * 1.5 / np.sqrt(12), b=np.zeros(12))
    monkeypatch.setattr(newton, "LU_LOOP_N", 4)
    loop = find_fixed_points(net, starts=256)
    monkeypatch.setattr(newton, "LU_LOOP_N", 64)
    batched = find_fixed_points(net, starts=256)
    assert loop.kinds == batched.kinds and np.abs(loop.states - batched.states).max() <= 1e-9
