"""Claims about :mod:`rnnsym.linear.rank`: exact ranks with their drops, numeric ranks with their tolerance."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import sympy as sp

import rnnsym.linear.rank as rank

from rnnsym.linear.controllability import is_controllable
from rnnsym.linear.rank import controllability_rank, exact_rank, numeric_rank, observability_rank
from rnnsym.linear.system import LinearRNN

a, c = sp.symbols("a c", real=True)


# ------------------------------------------------------------------ exact ranks
def test_exact_rank_finds_a_equals_one_that_generic_rank_misses() -> None:
    # SymPy 1.14's StateSpace(diag(a, 1), [1, 1]^T, ...).is_controllable() says True.
    sys = LinearRNN(sp.diag(a, 1), [[1], [1]])
    rank = controllability_rank(sys)
    assert rank.rank == 2 and sp.Matrix([[1, a], [1, 1]]).rank() == 2
    assert [(d.solution, d.rank) for d in rank.drops] == [({a: 1}, 1)]
    assert is_controllable(LinearRNN([[1.0, 0.0], [0.0, 1.0]], [[1.0], [1.0]])).controllable is False


@pytest.mark.parametrize("n", [2, 3])
def test_scalar_times_identity_with_one_input_is_never_controllable(n: int) -> None:
    b = sp.Matrix(n, 1, sp.symbols(f"b0:{n}", real=True))
    rank = controllability_rank(LinearRNN(c * sp.eye(n), b))
    assert rank.rank == 1 < n
    assert any(d.rank == 0 for d in rank.drops)  # b = 0 reaches nothing


def test_exact_rank_of_symbolic_pair_drops_on_the_determinant_factors() -> None:
    A = sp.Matrix([[a, 1], [0, c]])
    rank = controllability_rank(LinearRNN(A, [[0], [1]]))
    assert rank.rank == 2 and rank.drops == ()  # [[0, 1], [1, c]] never singular
    rank = controllability_rank(LinearRNN(A, [[1], [0]]))
    assert rank.rank == 1  # e_1 is an eigenvector whatever a and c
    rank = controllability_rank(LinearRNN(A, [[1], [1]]))
    assert {tuple(d.solution.items()) for d in rank.drops} == {((a, c - 1),)}  # det [[1, a + 1], [1, c]] = c - a - 1


def test_observability_from_y1_loses_rank_for_singular_a() -> None:
    # correction C8: starting the outputs at y_1 gives O A, singular when A is.
    sys = LinearRNN([[0, 1], [0, 0]], [[0], [1]], C=[[1, 0]])
    O = sys.observability_matrix()
    assert observability_rank(sys).rank == 2
    assert exact_rank(O * sys.A).rank == 1


# ------------------------------------------------------------------ numeric ranks
def test_numeric_rank_states_its_tolerance_and_gap() -> None:
    r = numeric_rank(np.diag([1.0, 1e-3, 1e-17]))
    assert r.rank == 2 and r.tol == pytest.approx(3 * np.finfo(float).eps)
    assert r.gap == pytest.approx(1e14) and r.margin > 10
    assert numeric_rank(np.diag([1.0, 1e-3]), tol=1e-2).rank == 1


def test_the_old_reachability_path_still_finds_the_ranks_that_moved_here() -> None:
    old = importlib.import_module("rnnsym.reachability")
    for name in rank.__all__:
        with pytest.warns(DeprecationWarning, match=r"`rnnsym\.reachability` moved"):
            assert getattr(old, name) is getattr(rank, name)
