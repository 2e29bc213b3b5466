"""Cell Jacobians against finite differences: the symbolic ones in mpmath at 30 digits, the numeric ones in floats.

The symbolic Jacobian is compared with central differences of the symbolic
*step* evaluated by mpmath (not with a kernel compiled from the Jacobian);
the forward-mode numeric Jacobians and the linearisation are compared with
the symbolic Jacobian and with float central differences of ``step``.
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnsym.cells import GRUCell, LeakyCell, LSTMCell, SimpleCell, custom_cell
import rnnsym as rs
from tests.cells._planted import SwappedUpdateGate

DPS = 30


def numeric_cell(kind: str, seed: int, n: int = 2, m: int = 2, exact: bool = False) -> Any:
    """A numeric cell; ``exact=True`` gives it rational weights (SymPy's Float arithmetic on float weights
    rounds the Jacobian's coefficients to 53 bits, a 1e-17 difference that is not the Jacobian's)."""
    gen = np.random.default_rng(seed)

    class Rational:
        def normal(self, size: Any) -> Any:
            values = np.round(gen.normal(size=size) * 1000).astype(int)
            return sp.Matrix(np.vectorize(lambda v: sp.Rational(int(v), 1000), otypes=[object])(values)) \
                if values.ndim == 2 else [sp.Rational(int(v), 1000) for v in values]

    rng: Any = Rational() if exact else gen
    if kind in ("gru", "lstm"):
        G, cls = (3, GRUCell) if kind == "gru" else (4, LSTMCell)
        return cls(rng.normal(size=(G * n, m)), rng.normal(size=(G * n, n)), rng.normal(size=G * n),
                   rng.normal(size=G * n))
    if kind == "leaky":
        return LeakyCell(rng.normal(size=(n, n)), rng.normal(size=(n, m)), rng.normal(size=n),
                         alpha=sp.Rational(3, 10), activation="softsign")
    if kind == "simple":
        return SimpleCell(rs.RNN(rng.normal(size=(n, n)), rng.normal(size=(n, m)), rng.normal(size=n),
                                 activation="sigmoid"))
    h, c, x, y = sp.symbols("h c x y", real=True)
    a, b, d = (sp.Rational(13, 10), sp.Rational(7, 10), sp.Rational(1, 4)) if exact else (1.3, 0.7, 0.25)
    return custom_cell([sp.tanh(a * h * x - b * c + d), c + sp.sin(h) * y / 2], state=[h, c], inputs=[x, y])


def mp_central_differences(cell: Any, s: np.ndarray, x: np.ndarray, wrt: str) -> mpmath.matrix:
    """``dF/ds`` (or ``dF/dx``) by central differences of the symbolic step, evaluated in mpmath at 30 digits."""
    step = sp.lambdify([list(cell.state_symbols), list(cell.input_symbols)], list(cell.symbolic_step()), "mpmath")
    with mpmath.workdps(DPS):
        S, X = [mpmath.mpf(float(v)) for v in s], [mpmath.mpf(float(v)) for v in x]
        base = S if wrt == "state" else X
        h = mpmath.mpf(10) ** -10
        cols = []
        for j in range(len(base)):
            plus, minus = list(base), list(base)
            plus[j] += h
            minus[j] -= h
            args_p, args_m = ((plus, X), (minus, X)) if wrt == "state" else ((S, plus), (S, minus))
            cols.append([(a - b) / (2 * h) for a, b in zip(step(*args_p), step(*args_m))])
        return mpmath.matrix([[cols[j][i] for j in range(len(base))] for i in range(len(cols[0]))])


def mp_symbolic(cell: Any, matrix: sp.MatrixBase, s: np.ndarray, x: np.ndarray) -> mpmath.matrix:
    f = sp.lambdify([list(cell.state_symbols), list(cell.input_symbols)], matrix.tolist(), "mpmath")
    with mpmath.workdps(DPS):
        return mpmath.matrix(f([mpmath.mpf(float(v)) for v in s], [mpmath.mpf(float(v)) for v in x]))


@pytest.mark.parametrize("kind", ["gru", "lstm", "leaky", "simple", "custom"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_symbolic_jacobians_match_mpmath_central_differences_of_the_symbolic_step(kind: str, seed: int) -> None:
    cell = numeric_cell(kind, seed, exact=True)
    rng = np.random.default_rng(100 + seed)
    s, x = rng.normal(size=cell.state_size), rng.normal(size=cell.m)
    for wrt, matrix in (("state", cell.jacobian()), ("input", cell.input_jacobian())):
        with mpmath.workdps(DPS):
            err = mpmath.mnorm(mp_symbolic(cell, matrix, s, x) - mp_central_differences(cell, s, x, wrt), 1)
        assert err <= 1e-19, (kind, wrt, err)


def test_the_finite_difference_comparison_catches_a_jacobian_of_the_wrong_cell() -> None:
    """Planted error: the GRU's Jacobian against differences of a GRU whose update gate is swapped."""
    right = numeric_cell("gru", 0, exact=True)
    wrong = SwappedUpdateGate(*right.stacked_weights)
    rng = np.random.default_rng(100)
    s, x = rng.normal(size=2), rng.normal(size=2)
    with mpmath.workdps(DPS):
        err = mpmath.mnorm(mp_symbolic(right, right.jacobian(), s, x) - mp_central_differences(wrong, s, x, "state"), 1)
    assert err > 1e-2


def test_the_lstm_cell_state_block_is_the_forget_gate_and_the_h_to_h_block_vanishes_without_a_path() -> None:
    cell = LSTMCell.symbolic(2, 1)
    blocks = cell.jacobian_blocks()
    f = sp.Matrix([1 / (1 + sp.exp(-(cell.gate_weights("f")[0] * cell.input_symbols
                                     + cell.gate_weights("f")[1] * cell.state_symbols[:2, :]
                                     + cell.gate_weights("f")[2] + cell.gate_weights("f")[3])[i]))
                   for i in range(2)])
    assert sp.simplify(blocks[("c", "c")] - sp.diag(*f)) == sp.zeros(2, 2)
    assert set(blocks) == {("h", "h"), ("h", "c"), ("c", "h"), ("c", "c")}


@pytest.mark.parametrize("kind", ["gru", "lstm", "leaky", "simple", "custom"])
def test_numeric_jacobians_match_the_symbolic_ones_at_float_points(kind: str) -> None:
    cell = numeric_cell(kind, 5)
    rng = np.random.default_rng(7)
    S, X = rng.normal(size=(4, cell.state_size)), rng.normal(size=(4, cell.m))
    J, B = cell.numeric_jacobian(S, X), cell.numeric_jacobian(S, X, wrt="input")
    for i in range(4):
        values = {**dict(zip(cell.state_symbols, S[i])), **dict(zip(cell.input_symbols, X[i]))}
        want_J = np.array(cell.jacobian().xreplace(values).evalf(20), dtype=float)
        want_B = np.array(cell.input_jacobian().xreplace(values).evalf(20), dtype=float)
        assert np.abs(J[i] - want_J).max() <= 1e-14 and np.abs(B[i] - want_B).max() <= 1e-14


@settings(max_examples=20)
@given(st.sampled_from(["gru", "lstm", "leaky", "simple", "custom"]), st.integers(0, 2**31),
       st.sampled_from([0.3, 1.0, 3.0]))
def test_linearisation_matches_float_central_differences_of_the_step(kind: str, seed: int, scale: float) -> None:
    cell = numeric_cell(kind, seed, n=3, m=2)
    rng = np.random.default_rng(seed + 1)
    s, x = scale * rng.normal(size=cell.state_size), rng.normal(size=cell.m)
    A, B, C = cell.linearize(s, x).numeric_matrices()
    h = 1e-6
    A_fd = np.stack([(cell.step(s + h * e, x) - cell.step(s - h * e, x)) / (2 * h) for e in np.eye(len(s))], axis=1)
    B_fd = np.stack([(cell.step(s, x + h * e) - cell.step(s, x - h * e)) / (2 * h) for e in np.eye(len(x))], axis=1)
    assert np.abs(A - A_fd).max() <= 1e-8 * (1 + scale) ** 3
    assert np.abs(B - B_fd).max() <= 1e-8 * (1 + scale) ** 3
    assert np.array_equal(C, np.eye(cell.state_size)[: cell.n])


def test_symbolic_linearisation_substitutes_the_point() -> None:
    cell = GRUCell.symbolic(1, 1)
    sys = cell.linearize([0], [0])
    assert sys.A == cell.jacobian().xreplace({cell.state_symbols[0]: 0, cell.input_symbols[0]: 0})
    assert cell.linearize().A == cell.jacobian()


def test_the_numeric_jacobian_is_refused_above_no_size_but_the_symbolic_one_is() -> None:
    rng = np.random.default_rng(0)
    cell = GRUCell(rng.normal(size=(60, 2)), rng.normal(size=(60, 20)))
    assert cell.numeric_jacobian(np.zeros(20), np.zeros(2)).shape == (20, 20)
    with pytest.raises(rs.ResourceLimitError, match=r"`state_size`=20 is too large .*limit 16.*numeric_jacobian"):
        cell.jacobian()
