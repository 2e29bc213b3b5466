"""User-defined cells: SymPy or whitelisted text in, every cell method out; and the rounding bounds hold."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnsym.cells import CustomCell, GRUCell, LSTMCell, custom_cell
from rnnsym.errors import (InvalidArgumentError, NonFiniteError, ParseError, ShapeError,
                           UnsafeExpressionError)


def gru(seed: int, n: int = 2, m: int = 1) -> GRUCell:
    rng = np.random.default_rng(seed)
    return GRUCell(rng.normal(size=(3 * n, m)), rng.normal(size=(3 * n, n)), rng.normal(size=3 * n),
                   rng.normal(size=3 * n))


def test_a_custom_cell_written_from_a_grus_equations_steps_and_differentiates_as_the_gru() -> None:
    """Two routes to the same numbers: compiled SymPy kernels (custom) and the equations read by NumPy (GRU)."""
    cell = gru(0)
    twin = custom_cell(cell.symbolic_step(), state=list(cell.state_symbols), inputs=list(cell.input_symbols))
    rng = np.random.default_rng(1)
    S, X = 2 * rng.normal(size=(50, 2)), rng.normal(size=(50, 1))
    assert np.abs(twin.step(S, X) - cell.step(S, X)).max() <= 1e-14
    assert np.abs(twin.numeric_jacobian(S, X) - cell.numeric_jacobian(S, X)).max() <= 1e-14
    assert np.abs(twin.numeric_jacobian(S, X, wrt="input") - cell.numeric_jacobian(S, X, wrt="input")).max() <= 1e-14


def test_the_multiplicative_integration_rnn_gets_its_jacobian_and_fixed_points_in_a_few_lines() -> None:
    h, x, a, w, u = sp.symbols("h x a w u", real=True)
    cell = custom_cell([sp.tanh(a * w * h * u * x + w * h + u * x)], state=[h], inputs=[x])
    z = a * w * h * u * x + w * h + u * x
    assert sp.simplify((cell.jacobian()[0] - (a * w * u * x + w) * (1 - sp.tanh(z) ** 2)).rewrite(sp.exp)) == 0
    num = cell.subs(a=1, w=2, u=1)
    visited = num.simulate(np.zeros((3, 1)), np.linspace(-1, 1, 21)[:, None])   # 3 steps from 21 states
    res = num.slow_points([0.0], states=visited, starts=32)
    assert sorted(np.round(res.states()[:, 0], 6).tolist()) == [-0.957504, 0.0, 0.957504]
    assert [p.kind for p in res.fixed] == ["stable", "unstable", "stable"]


def test_text_goes_through_the_whitelist_parser_with_the_declared_names() -> None:
    cell = custom_cell(["(1 - k)*h + k*tanh(w*h + x)"], state=["h"], inputs=["x"], parameters=["k", "w"])
    k, w = sp.symbols("k w", real=True)
    assert set(cell.parameters) == {k, w}
    num = cell.subs(k=0.5, w=0.0)
    assert num.step([1.0], [0.0]).tolist() == [0.5]
    with pytest.raises(UnsafeExpressionError, match="unknown name 'q'"):
        custom_cell(["h + q"], state=["h"])
    with pytest.raises(UnsafeExpressionError, match="is not allowed"):
        custom_cell(["().__class__"], state=["h"])
    with pytest.raises(ParseError):
        custom_cell(["h +"], state=["h"])


def test_an_autonomous_cell_has_no_inputs_and_still_linearises() -> None:
    cell = custom_cell(["y", "-x + (1 - x**2)*y/10"], state=["x", "y"])   # a discrete van der Pol-like map
    assert cell.m == 0 and cell.simulate(steps=3, s0=[1.0, 0.0]).shape == (4, 2)
    sys = cell.linearize([0.0, 0.0])
    assert sys.numeric_matrices()[0].tolist() == [[0.0, 1.0], [-1.0, 0.1]] and sys.B.shape == (2, 0)
    assert cell.fixed_points(starts=16)[0].state.tolist() == [0.0, 0.0]


def test_the_output_map_picks_the_named_state_variables() -> None:
    cell = custom_cell(["h + c", "c/2"], state=["h", "c"], output=["c"])
    assert cell.n == 1 and cell.output_matrix.tolist() == [[0, 1]]
    assert cell.linearize([0, 0]).C.tolist() == [[0, 1]]


@pytest.mark.parametrize("kwargs, error, words", [
    ({"expressions": ["h"], "state": ["h", "h"]}, InvalidArgumentError, ["twice"]),
    ({"expressions": ["h"], "state": ["h"], "inputs": ["h"]}, InvalidArgumentError, ["disjoint"]),
    ({"expressions": ["h", "h"], "state": ["h"]}, ShapeError, ["one entry per state variable (1)", "got 2"]),
    ({"expressions": "h", "state": ["h"]}, InvalidArgumentError, ["must be a list"]),
    ({"expressions": ["h"], "state": "h"}, InvalidArgumentError, ["`state` must be a list"]),
    ({"expressions": ["h"], "state": ["2h"]}, InvalidArgumentError, ["`state[0]` must be a name"]),
    ({"expressions": [sp.oo], "state": ["h"]}, NonFiniteError, ["expressions[0]"]),
    ({"expressions": [["h"]], "state": ["h"]}, InvalidArgumentError, ["expressions[0]"]),
    ({"expressions": ["h"], "state": ["h"], "output": ["c"]}, InvalidArgumentError, ["not a state variable"]),
    ({"expressions": [], "state": []}, ShapeError, ["at least one"]),
])
def test_bad_custom_cells_raise_one_line_errors(kwargs: dict, error: type, words: list) -> None:
    with pytest.raises(error) as info:
        custom_cell(**kwargs)
    assert "\n" not in str(info.value) and all(w in str(info.value) for w in words), str(info.value)


def test_substitution_keeps_a_custom_cell_custom_and_refuses_unknown_names() -> None:
    h, k = sp.symbols("h k", real=True)
    cell = custom_cell([k * h], state=[h])
    assert isinstance(cell.subs(k=2), CustomCell) and cell.subs(k=2).step([1.0]).tolist() == [2.0]
    with pytest.raises(InvalidArgumentError, match="`q` is not a parameter"):
        cell.subs(q=1)


# -- the rounding bounds the fixed-point certificate stands on ---------------------------------------------
EPS = float(np.finfo(float).eps)


def exact_step(cell: Any, s: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The symbolic step at the float inputs, by mpmath at 40 digits, rounded once."""
    f = sp.lambdify([list(cell.state_symbols), list(cell.input_symbols)], list(cell.symbolic_step()), "mpmath")
    with mpmath.workdps(40):
        return np.array([float(v) for v in f([mpmath.mpf(float(v)) for v in s], [mpmath.mpf(float(v)) for v in x])])


@settings(max_examples=15)
@given(st.sampled_from(["gru", "lstm", "custom"]), st.integers(0, 2**31), st.sampled_from([0.5, 2.0, 6.0]))
def test_the_rounding_bound_bounds_the_actual_float64_error_of_the_step(kind: str, seed: int, scale: float) -> None:
    """``|fl(F) - F| <= eps E`` with ``E`` the running error bound (``_bounded`` is private: the claim it
    carries is what makes ``rounding_ratio <= 1`` a certificate)."""
    rng = np.random.default_rng(seed)
    if kind == "gru":
        cell: Any = gru(seed, n=3, m=2)
    elif kind == "lstm":
        cell = LSTMCell(rng.normal(0, scale, (12, 2)), rng.normal(0, scale, (12, 3)), rng.normal(size=12))
    else:
        h, c, x, y = sp.symbols("h c x y", real=True)
        cell = custom_cell([sp.tanh(1.5 * h * x - c + 0.1) * c, c + sp.exp(-h ** 2) * y], state=[h, c], inputs=[x, y])
    s, x = scale * rng.normal(size=cell.state_size), rng.normal(size=cell.m)
    F, E = cell._bounded(s, x)
    err = np.abs(F - exact_step(cell, s, x))
    assert np.all(err <= EPS * E + 1e-300), (err, EPS * E)
    assert np.all(E <= 1e3 * (1 + np.abs(F)) * (1 + scale) ** 3)   # and it is not vacuous
