"""The shared option validators of :mod:`rnnsym._matrices` and the modules that use them.

Each validator accepts what the API documents and refuses everything else
(strings above all: they are never read as numbers) with a one-line
:class:`~rnnsym.errors.RnnsymError` that names the argument and echoes at
most about 40 characters of what was given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym._matrices import (as_choice, as_float, as_int, as_int_array, as_limit, as_mapping, as_matrix, as_path,
                              as_seed, as_str_list, as_tolerance, check_out, matrix_symbols, ordered_symbols,
                              require_model, vector_symbols)
from rnnsym.errors import InvalidArgumentError, NonFiniteError, RnnsymError, ShapeError

LONG = "__import__('os').system('echo this payload is much longer than forty characters')"


def _one_line(exc: pytest.ExceptionInfo, name: str) -> str:
    text = str(exc.value)
    assert "\n" not in text and f"`{name}`" in text, text
    assert LONG not in text, "the value given must be truncated"
    return text


# -- integers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3), sp.Integer(3)])
def test_as_int_accepts_integers_of_every_library(value) -> None:
    assert as_int(value, "n", low=1) == 3 and type(as_int(value, "n")) is int


@pytest.mark.parametrize("value", [True, np.bool_(True), 3.0, "3", LONG, [3], (3,), {"k": 3}, {3}, None,
                                   sp.Symbol("n")])
def test_as_int_refuses_everything_else(value) -> None:
    with pytest.raises(InvalidArgumentError) as exc:
        as_int(value, "n", low=1)
    assert "must be an integer >= 1" in _one_line(exc, "n")


def test_as_int_bounds() -> None:
    assert as_int(0, "k", low=0, high=4) == 0
    with pytest.raises(InvalidArgumentError, match=r"`k` must be an integer from 0 to 4; got 5\."):
        as_int(5, "k", low=0, high=4)
    with pytest.raises(InvalidArgumentError, match=r"<= 2"):
        as_int(3, "k", high=2)


def test_as_limit_is_a_default_or_an_integer_at_least_zero() -> None:
    assert as_limit(None, "max_size", 32) == 32
    assert as_limit(0, "max_size", 32) == 0
    for bad in (-1, 2.0, "32", [32]):
        with pytest.raises(InvalidArgumentError) as exc:
            as_limit(bad, "max_size", 32)
        _one_line(exc, "max_size")


def test_as_int_array_takes_integral_entries_in_range() -> None:
    assert as_int_array([0, 4.0, True], "codes", low=0, high=4).tolist() == [0, 4, 1]
    for bad in ([0.5], [5], [-1], ["0"], [[LONG]]):
        with pytest.raises(InvalidArgumentError) as exc:
            as_int_array(bad, "codes", low=0, high=4)
        _one_line(exc, "codes")


def test_as_seed_takes_numpy_seeds() -> None:
    rng = np.random.default_rng(0)
    assert as_seed(None) is None and as_seed(7) == 7 and as_seed(rng) is rng
    for bad in (-1, "7", 7.0, [7]):
        with pytest.raises(InvalidArgumentError) as exc:
            as_seed(bad)
        _one_line(exc, "seed")


# -- real numbers ---------------------------------------------------------------------------------
def test_as_float_reads_one_number_and_never_a_string() -> None:
    assert as_float(sp.Rational(1, 2), "lam") == 0.5
    with pytest.raises(ShapeError):
        as_float([0.5], "lam")
    for bad in ("0.5", LONG, {"k": 0.5}, None):
        with pytest.raises(InvalidArgumentError) as exc:
            as_float(bad, "lam")
        _one_line(exc, "lam")
    with pytest.raises(NonFiniteError):
        as_float(float("nan"), "lam")
    assert np.isinf(as_float(float("inf"), "lam", finite=False))


def test_as_tolerance_is_finite_and_not_negative() -> None:
    assert as_tolerance(0) == 0.0 and as_tolerance(np.float32(1e-3), "merge_tol") == pytest.approx(1e-3)
    with pytest.raises(InvalidArgumentError, match=r"`tol` must be a finite number >= 0; got -1\.0\."):
        as_tolerance(-1.0)
    with pytest.raises(InvalidArgumentError, match="> 0"):
        as_tolerance(0.0, positive=True)
    with pytest.raises(NonFiniteError):
        as_tolerance(float("inf"))
    with pytest.raises(InvalidArgumentError) as exc:
        as_tolerance(LONG)
    _one_line(exc, "tol")


# -- choices, mappings, names, paths --------------------------------------------------------------
@pytest.mark.parametrize("value", [LONG, ["numpy"], ("numpy",), {"numpy": 1}, np.array(["numpy"]), None, 1])
def test_as_choice_compares_only_strings(value) -> None:
    assert as_choice("nan", "on_domain", ("raise", "nan")) == "nan"
    with pytest.raises(InvalidArgumentError) as exc:
        as_choice(value, "backend", ("numpy", "mpmath"))
    assert "'numpy', 'mpmath'" in _one_line(exc, "backend")


def test_as_mapping_and_as_str_list() -> None:
    assert as_mapping(None, "values", optional=True) == {}
    for bad in (None, LONG, [("a", 1)]):
        with pytest.raises(InvalidArgumentError) as exc:
            as_mapping(bad, "values")
        _one_line(exc, "values")
    assert as_str_list(("a", "b"), "names") == ["a", "b"] == as_str_list(iter(["a", "b"]), "names")
    for bad in (LONG, [["a"]], [1], {"a": 1}, 3):
        with pytest.raises(InvalidArgumentError) as exc:
            as_str_list(bad, "names")
        _one_line(exc, "names")


def test_as_path_takes_text_paths_only(tmp_path: Path) -> None:
    assert as_path("report", "out") == Path("report") and as_path(tmp_path, "out") == tmp_path
    for bad in (b"report", [LONG], {"k": "v"}, None, "re\0port"):
        with pytest.raises(InvalidArgumentError) as exc:
            as_path(bad, "out")
        _one_line(exc, "out")


def test_check_out_wants_a_writeable_contiguous_array_of_the_shape() -> None:
    good = np.zeros((2, 3))
    assert check_out(good, "out", (2, 3)) is good
    with pytest.raises(InvalidArgumentError) as exc:
        check_out(LONG, "out", (2, 3))
    _one_line(exc, "out")
    read_only = np.zeros((2, 3))
    read_only.flags.writeable = False
    for bad, dtype in ((np.zeros((3, 2)), None), (np.zeros((3, 2)).T, None), (read_only, None),
                       (np.zeros((2, 3), np.float32), np.float64)):
        with pytest.raises(ShapeError) as exc:
            check_out(bad, "out", (2, 3), dtype)
        _one_line(exc, "out")


class _MyRNN(rs.RNN):
    pass


def test_require_model_knows_rnn_and_linear_rnn_without_importing_them() -> None:
    net = _MyRNN([[0.5]])
    assert require_model(net) is net and require_model(rs.RNN([[0.5]]), numeric=True)
    assert require_model(rs.LinearRNN([[0.5]], [[1.0]]), "system", kind="LinearRNN")
    with pytest.raises(InvalidArgumentError, match="must be numeric"):
        require_model(rs.RNN.symbolic(1), numeric=True)
    for bad in (LONG, [[0.5]], rs.LinearRNN([[0.5]], [[1.0]])):
        with pytest.raises(InvalidArgumentError) as exc:
            require_model(bad)
        _one_line(exc, "net")


# -- symbols and matrices -------------------------------------------------------------------------
def test_symbol_builders_check_sizes_and_templates() -> None:
    assert vector_symbols("v", np.int64(2)).shape == (2, 1) and matrix_symbols("M", 1, sp.Integer(2)).shape == (1, 2)
    for call, name in ((lambda: vector_symbols("v", "2"), "n"), (lambda: matrix_symbols("M", [1], 1), "rows"),
                       (lambda: matrix_symbols("M", 1, -1), "cols"), (lambda: vector_symbols("v", 1, ["t"]), "tex"),
                       (lambda: vector_symbols("v", 1, "{0}"), "tex"), (lambda: vector_symbols("v", 1, "{j}"), "tex"),
                       (lambda: as_matrix([[1]], "W", shape="11"), "shape"),
                       (lambda: as_matrix([[1]], "W", shape=(1, "1")), "shape"),
                       (lambda: ordered_symbols(sp.Matrix([[1]]), LONG), "matrices")):
        with pytest.raises(InvalidArgumentError) as exc:
            call()
        _one_line(exc, name)
    assert as_matrix([[1, 2]], "W", shape=[1, None]).shape == (1, 2)


def test_subs_takes_a_mapping_or_none() -> None:
    net = rs.RNN.symbolic(1, 1)
    assert net.subs(None, **{"b[0]": 0}).parameters == net.subs({"b[0]": 0}).parameters
    for model in (net, rs.LinearRNN.symbolic(1, 1)):
        with pytest.raises(InvalidArgumentError) as exc:
            model.subs([("b[0]", 0)])
        _one_line(exc, "values")


# -- the modules that use them --------------------------------------------------------------------
def test_activation_numpy_refuses_strings_instead_of_reading_them() -> None:
    tanh = rs.get_activation("tanh")
    for call in (tanh.numpy, tanh.numpy_prime):
        for bad in ("0.5", ["0.5"], np.array(["0.5"]), [[LONG]], {"k": 0.5}):
            with pytest.raises(InvalidArgumentError) as exc:
                call(bad)
            _one_line(exc, "x")
    x = np.array([0.0, np.nan, np.inf])
    assert np.allclose(tanh.numpy(x), np.tanh(x), equal_nan=True)
    assert tanh.numpy([]).shape == (0,) and tanh.numpy_prime(0).shape == ()


def test_compile_checks_every_option_before_the_cache() -> None:
    x = sp.Symbol("x")
    assert rs.compile(x + 1, (s for s in [x]), assumptions={x > 0})(1.0) == 2.0
    bad_calls = {"args": lambda: rs.compile(x, {x}), "cse": lambda: rs.compile(x, [x], cse="no"),
                 "dps": lambda: rs.compile(x, [x], dps=0), "backend": lambda: rs.compile(x, [x], backend=["numpy"]),
                 "assumptions": lambda: rs.compile(x, [x], assumptions=LONG),
                 "expr": lambda: rs.Kernel(LONG, (x,), "numpy", True, (), "raise", 30)}
    for name, call in bad_calls.items():
        with pytest.raises(RnnsymError) as exc:
            call()
        _one_line(exc, name)
    with pytest.raises(InvalidArgumentError, match="argument 0 of `args`"):
        rs.compile(x, [[x]])


def test_numeric_entry_points_refuse_hostile_options() -> None:
    net = rs.RNN([[0.5]], [[1.0]], [0.0])
    calls = {
        "max_size": lambda: net.jacobian(max_size="32"),
        "max_terms": lambda: rs.LinearRNN([[0.5]], [[1.0]]).controllability_matrix(max_terms=[1]),
        "states": lambda: rs.LinearRNN([[0.5]], [[1.0]]).observe(["0.1"]),
        "net": lambda: rs.linearize(LONG),
        "tol": lambda: rs.linear.is_normal([[0.5]], tol="1e-9"),
        "lam": lambda: rs.linear.jordan_transient_peak("0.5", 1.0),
        "amplitudes": lambda: rs.linear.coupling_versus_amplitude([[0.5]], "01"),
        "max_steps": lambda: rs.stability.steps_to_half([[0.5]], max_steps="9"),
        "codes": lambda: rs.stability.decide_undecided([[[0.5]]], [7]),
        "starts": lambda: rs.find_fixed_points(net, [0.0], starts=4.5),
        "merge_tol": lambda: rs.sweep_fixed_points(net, [[0.0]], [0.0], merge_tol=-1.0),
        "dtype": lambda: rs.simulate_batch(net, np.zeros((1, 1, 1)), dtype=LONG),
        "out": lambda: rs.simulate_batch(net, np.zeros((1, 1, 1)), out=[[[0.0]]]),
        "seed": lambda: rs.analyze_rnn(net, seed=-1),
    }
    for name, call in calls.items():
        with pytest.raises(RnnsymError) as exc:
            call()
        _one_line(exc, name)
