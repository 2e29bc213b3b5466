"""Claims about :mod:`rnnsym.linear.system`: LinearRNN, the one (A, B, C) validator, linearize."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from rnnsym.backends import symengine
from rnnsym.errors import InvalidArgumentError, RnnsymError, ShapeError
from rnnsym.linear.controllability import controllability_gramian, is_controllable
from rnnsym.linear.filtering import lyapunov_noise_variance, transfer_function
from rnnsym.linear.rank import controllability_rank
from rnnsym.linear.system import LinearRNN, as_system, linearize, numeric_system
from rnnsym.model import RNN


# ------------------------------------------------------------------ the model
def test_bad_shapes_raise_one_line_shape_errors() -> None:
    cases = [(([[1, 2, 3]], [[1]]), "`A` must be square"),
             (([[1, 0], [0, 1]], [[1, 2]]), "`B` must have 2 rows"),
             (([[1, 0], [0, 1]], [[1], [1]], [[1, 0, 0]]), "`C` must have 2 columns")]
    for args, start in cases:
        with pytest.raises(ShapeError) as info:
            LinearRNN(*args)
        assert str(info.value).startswith(start) and "\n" not in str(info.value)


def test_controllability_matrix_is_b_then_ab() -> None:
    sys = LinearRNN.symbolic(2, 1)
    assert sys.controllability_matrix() == sp.Matrix.hstack(sys.B, sys.A * sys.B).applyfunc(sp.expand)
    assert sys.controllability_matrix().shape == (2, 2)
    assert LinearRNN.symbolic(3, 2).controllability_matrix().shape == (3, 6)


def test_observability_matrix_is_stacked_without_transpose() -> None:
    sys = LinearRNN.symbolic(2, 1, p=1)
    O = sys.observability_matrix()
    assert O.shape == (2, 2)
    assert O == sp.Matrix.vstack(sys.C, sys.C * sys.A).applyfunc(sp.expand)
    assert O.T == sys.dual().controllability_matrix()


def test_ctrb_and_obsv_agree_with_python_control() -> None:
    control = pytest.importorskip("control")
    rng = np.random.default_rng(7)
    for n, m, p in [(2, 1, 1), (3, 2, 1), (4, 1, 2), (5, 3, 3)]:
        A, B, C = rng.normal(size=(n, n)), rng.normal(size=(n, m)), rng.normal(size=(p, n))
        sys = LinearRNN(A, B, C)
        ours_c = np.array(sys.controllability_matrix().tolist(), dtype=float)
        ours_o = np.array(sys.observability_matrix().tolist(), dtype=float)
        assert np.allclose(ours_c, control.ctrb(A, B)) and np.allclose(ours_o, control.obsv(A, C))


def test_simulation_matches_the_variation_of_constants_formula() -> None:
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 3)) / 3, rng.normal(size=(3, 2))
    sys = LinearRNN(A, B)
    xs, h0 = rng.normal(size=(5, 2)), rng.normal(size=3)
    expected = np.linalg.matrix_power(A, 5) @ h0 + sum(
        np.linalg.matrix_power(A, 5 - k) @ B @ xs[k - 1] for k in range(1, 6))
    assert np.allclose(sys.simulate(xs, h0)[-1], expected)


def test_linearize_gives_d_w_h_and_matches_finite_differences_of_the_step() -> None:
    net = RNN([[0.5, -0.3], [0.2, 0.8]], [[1.0], [-0.5]], [0.1, -0.2], activation="tanh")
    h, x = np.array([0.3, -0.4]), np.array([0.7])
    lin = linearize(net, h, x)
    assert lin.A == net.D(h, x) * net.W_h and lin.B == net.D(h, x) * net.W_x
    A, B, _ = lin.numeric_matrices()
    eps = 1e-6
    fd_h = np.column_stack([(net.numeric_step(h + e, x) - net.numeric_step(h - e, x)) / (2 * eps)
                            for e in np.eye(2) * eps])
    fd_x = (net.numeric_step(h, x + eps) - net.numeric_step(h, x - eps)) / (2 * eps)
    assert np.allclose(A, fd_h, atol=1e-8) and np.allclose(B[:, 0], fd_x, atol=1e-8)


# ------------------------------------------------------------------ the one validator
ROOT = Path(__file__).resolve().parents[2]
#: Modules outside rnnsym.linear (and analyze, backends.symengine) that still word their own
#: "must be square"; they belong to other owners and are listed here until they call check_square.
NOT_YET_ON_CHECK_SQUARE = {"rnnsym/stability.py"}


def _square_messages(source: str) -> list[int]:
    """Lines of every ``ShapeError(...)`` whose literal message text contains "must be square"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "ShapeError":
            text = "".join(c.value for arg in node.args for c in ast.walk(arg)
                           if isinstance(c, ast.Constant) and isinstance(c.value, str))
            if "must be square" in text:
                found.append(node.lineno)
    return found


def test_one_square_validator() -> None:
    offenders = {}
    for path in sorted((ROOT / "rnnsym").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name != "rnnsym/_matrices.py" and (lines := _square_messages(path.read_text())):
            offenders[name] = lines
    assert set(offenders) <= NOT_YET_ON_CHECK_SQUARE, (
        f"only rnnsym._matrices.check_square words 'must be square'; found {offenders}")
    assert _square_messages((ROOT / "rnnsym" / "_matrices.py").read_text())  # the check itself
    planted = 'raise ShapeError(f"`A` must be square; got {A.shape}.")\nerr = errors.ShapeError("x must be " "square")'
    assert _square_messages(planted) == [1, 2]


BAD_SYSTEMS = [
    (([[1.0, 2.0, 3.0]], [[1.0]]), "`A` must be square; got shape (1, 3)."),
    ((np.eye(2), [[1.0, 2.0]]), "`B` must have 2 rows (one per state, as `A`); got shape (1, 2). Did you pass"),
    ((np.eye(2), np.ones((3, 1))), "`B` must have 2 rows (one per state, as `A`); got shape (3, 1)."),
    ((np.eye(2), np.ones((2, 1)), [[1.0, 0.0, 0.0]]), "`C` must have 2 columns (one per state, as `A`)"),
    ((np.zeros((0, 0)), np.zeros((0, 1))), "`A` must have at least one row"),
    (([[float("nan")]], [[1.0]]), "`A` must be finite"),
    (([[1.0]], [[float("inf")]]), "`B` must be finite"),
    (([[1.0]], [[1.0]], [[1j]]), "`C` must be real"),
    (("A", [[1.0]]), "`A` must be"),
]


@pytest.mark.parametrize("args, message", BAD_SYSTEMS)
def test_every_entry_point_validates_a_b_c_through_as_system(args: tuple, message: str) -> None:
    entry_points = [
        ("as_system", lambda: as_system(*args)),
        ("as_system numeric", lambda: as_system(*args, numeric=True)),
        ("LinearRNN", lambda: LinearRNN(*args)),
        ("is_controllable", lambda: is_controllable(args)),
        ("controllability_gramian", lambda: controllability_gramian(args, N=2)),
        ("controllability_rank", lambda: controllability_rank(LinearRNN(*args), exact=False)),
        ("transfer_function", lambda: transfer_function(*args)),
        ("lyapunov_noise_variance", lambda: lyapunov_noise_variance(*args)),
    ]
    if symengine.available() and len(args) == 2:
        entry_points.append(("symengine", lambda: symengine.controllability_matrix(*args)))
    errors = {}
    for name, call in entry_points:
        with pytest.raises(RnnsymError) as info:
            call()
        errors[name] = info.value
        assert str(info.value).startswith(message) and "\n" not in str(info.value), (name, str(info.value))
    assert len({type(e) for e in errors.values()}) == 1, {k: type(e).__name__ for k, e in errors.items()}


def test_numeric_and_symbolic_validation_read_values_alike() -> None:
    for args in [([[0.5]], [1.0]), ([[0.5, 0.0], [0.1, 0.2]], [1.0, 2.0]), (0.5, 1.0, 2.0),
                 (sp.Matrix([[0.5]]), sp.Matrix([[1.0]]), [[3.0]])]:
        symbolic = [np.array(M.tolist(), dtype=float) for M in as_system(*args)]
        numeric = as_system(*args, numeric=True)
        assert all(s.shape == m.shape and np.array_equal(s, m) for s, m in zip(symbolic, numeric))
    assert as_system([[1.0]])[1] is None and as_system([[1.0]], numeric=True)[2].tolist() == [[1.0]]
    assert is_controllable((np.eye(2) * [0.5, 0.25], [1.0, 1.0])).controllable  # flat B: a column


def test_the_symbolic_path_refuses_nothing_numeric_and_the_numeric_path_refuses_symbols() -> None:
    x = sp.Symbol("x")
    assert as_system([[x]], [[1]])[0] == sp.Matrix([[x]])
    with pytest.raises(InvalidArgumentError, match="real numbers"):
        as_system([[x]], [[1]], numeric=True)
    with pytest.raises(InvalidArgumentError, match="symbolic entries"):
        numeric_system(LinearRNN([[x]], [[1]]))
    with pytest.raises(InvalidArgumentError, match="a LinearRNN or a tuple"):
        numeric_system([np.eye(2), np.ones((2, 1))])
