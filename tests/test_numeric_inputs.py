"""Hostile numeric input to the numeric entry points: an rnnsym error, never a silent NaN or inf.

Each test is a reproduction from the hostile-input issue: before the fix the
call returned NaN, ``inf`` or a wrong number without a word, or raised a
foreign exception (plain ``ValueError``, ``TypeError``, ``MemoryError``), or
ran for over a minute.  Numbers are compared with an independent truth
(mpmath), never bit for bit.
"""

from __future__ import annotations

from typing import Any, Callable

import mpmath
import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.simulate import simulate_batch
from rnnsym.stability import half_life, spectral_radius
from tests._watchdog import within

NAN, INF = float("nan"), float("inf")
GOOD = rs.RNN([[0.5, 0.1], [0.0, 0.4]], [[1.0], [0.0]], [0.0, 0.0])
x = sp.Symbol("x")


def _one_line(error: BaseException, *fragments: str) -> None:
    message = str(error)
    assert isinstance(error, rs.RnnsymError)
    assert message and "\n" not in message
    for fragment in fragments:
        assert fragment in message


# -- a NaN or infinite start ------------------------------------------------------------------
@pytest.mark.parametrize("h0", [[NAN, 0.0], [0.0, INF], [-INF, 1.0]])
def test_simulate_refuses_a_non_finite_start_naming_h0(h0: list) -> None:
    with pytest.raises(rs.NonFiniteError) as info:
        GOOD.simulate([[1.0]], h0=h0)
    _one_line(info.value, "`h0`")


@pytest.mark.parametrize("h", [[NAN, 0.0], [INF, 0.0]])
def test_numeric_step_refuses_a_non_finite_state_naming_h(h: list) -> None:
    with pytest.raises(rs.NonFiniteError) as info:
        GOOD.numeric_step(h)
    _one_line(info.value, "`h`")
    with pytest.raises(rs.NonFiniteError) as info:
        GOOD.numeric_step([0.0, 0.0], [NAN])
    _one_line(info.value, "`x`")


def test_simulate_refuses_strings_in_h0_with_an_rnnsym_error() -> None:
    with pytest.raises(rs.InvalidArgumentError) as info:
        GOOD.simulate([[1.0]], h0=["a", "b"])
    _one_line(info.value, "`h0`", "'a'")


def test_an_exact_weight_beyond_float64_is_refused_before_numeric_work() -> None:
    net = rs.RNN([[sp.Float("1e400")]])
    with pytest.raises(rs.NonFiniteError) as info:
        net.simulate([[0.0]])
    _one_line(info.value, "`W_h`", "float64")


# -- simulate_batch in float32 ------------------------------------------------------------------
BIG = rs.RNN([[0.5]], [[1e39]], [0.0], activation="identity")


@pytest.mark.parametrize("method", ["matmul", "auto"])
def test_simulate_batch_refuses_weights_float32_cannot_hold(method: str) -> None:
    with pytest.raises(rs.InvalidArgumentError) as info:
        simulate_batch(BIG, np.ones((1, 2, 1)), method=method)
    _one_line(info.value, "W_x", "float32", "float64")


def test_simulate_batch_refuses_inputs_and_start_float32_cannot_hold() -> None:
    with pytest.raises(rs.InvalidArgumentError) as info:
        simulate_batch(GOOD, np.full((1, 2, 1), 1e39))
    _one_line(info.value, "`xs`", "float32")
    with pytest.raises(rs.InvalidArgumentError) as info:
        simulate_batch(GOOD, np.zeros((1, 2, 1)), h0=[1e39, 0.0])
    _one_line(info.value, "`h0`", "float32")


def test_the_same_weights_in_float64_give_the_exact_trajectory() -> None:
    got = simulate_batch(BIG, np.ones((1, 2, 1)), dtype=np.float64, method="matmul")[0, :, 0]
    h, truth = mpmath.mpf(0), []
    for _ in range(2):  # h_t = 0.5 h_{t-1} + 1e39 * 1
        h = mpmath.mpf("0.5") * h + mpmath.mpf(1e39)
        truth.append(h)
    for value, exact in zip(got, truth):
        assert abs(mpmath.mpf(float(value)) - exact) <= 4 * mpmath.eps * abs(exact)


# -- half_life ------------------------------------------------------------------------------------
@pytest.mark.parametrize("rho", [-0.5, 0.0, -1e-300])
def test_half_life_of_a_non_positive_spectral_radius_is_a_domain_error(rho: float) -> None:
    with pytest.raises(rs.DomainError) as info:
        half_life(rho)
    _one_line(info.value, "`rho`", "rho > 0")


def test_half_life_marks_negative_rho_nan_only_when_asked_and_is_exact_inside() -> None:
    out = half_life([-0.5, 0.5, 0.9], on_domain="nan")
    assert np.isnan(out[0])
    for value, rho in zip(out[1:], ["0.5", "0.9"]):
        exact = mpmath.log(2) / -mpmath.log(mpmath.mpf(rho))
        assert abs(value - exact) <= 1e-14 * exact


@pytest.mark.parametrize("rho", [["0.5"], "0.5", b"0.5", None, [0.5, None], {0.5}])
def test_half_life_refuses_strings_and_non_numbers(rho: Any) -> None:
    with pytest.raises(rs.InvalidArgumentError) as info:
        half_life(rho)
    _one_line(info.value, "`rho`")


# -- kernels --------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "mpmath"])
@pytest.mark.parametrize("value", [None, "abc", ["1.0"], [1.0, None], object(), {"a": 1}])
def test_a_kernel_refuses_non_numbers_naming_its_argument(backend: str, value: Any) -> None:
    kernel = rs.compile(x**2, [x], backend=backend)
    with pytest.raises(rs.InvalidArgumentError) as info:
        kernel(value)
    _one_line(info.value, "`x`")


def test_a_kernel_still_evaluates_numbers_of_every_kind_exactly() -> None:
    kernel = rs.compile(x**2, [x], backend="mpmath", dps=40)
    with mpmath.workdps(40):
        third = mpmath.mpf(1) / 3
        for value in (sp.Rational(1, 3), third):
            assert abs(kernel(value) - third**2) <= mpmath.mpf(10) ** -38
    numeric = rs.compile(x**2, [x])
    assert numeric(np.array([1, 2], dtype=np.int8)).tolist() == pytest.approx([1.0, 4.0], rel=1e-15)
    assert numeric(1j) == pytest.approx(-1.0)  # complex arguments stay allowed in kernels


# -- shapes and sizes -----------------------------------------------------------------------------
@pytest.mark.parametrize("matrix", [np.zeros((0, 0)), [[]], np.zeros((3, 0, 0))])
def test_spectral_radius_of_an_empty_matrix_is_a_shape_error(matrix: Any) -> None:
    with pytest.raises(rs.ShapeError) as info:
        spectral_radius(matrix)
    _one_line(info.value, "`matrix`")


def test_spectral_radius_refuses_strings() -> None:
    with pytest.raises(rs.InvalidArgumentError) as info:
        spectral_radius([["0.5", "0"], ["0", "0.5"]])
    _one_line(info.value, "`matrix`")


def test_a_sweep_larger_than_memory_is_refused_up_front_naming_its_size() -> None:
    y = sp.Symbol("y")
    kernel = rs.compile(x * y, [x, y])
    axis = np.arange(1e5)
    with pytest.raises(rs.ResourceLimitError) as info:
        rs.sweep(kernel, {"x": axis, "y": axis})
    _one_line(info.value, "(100000, 100000)", "GiB", "out=")


def test_a_chunk_larger_than_memory_is_refused_naming_chunk(tmp_path) -> None:
    y = sp.Symbol("y")
    kernel = rs.compile(x * y, [x, y])
    out = np.lib.format.open_memmap(tmp_path / "big.npy", mode="w+", dtype=float, shape=(1000, 1000))
    with pytest.raises(rs.ResourceLimitError) as info:
        rs.sweep(kernel, {"x": np.arange(1e3), "y": np.arange(1e3)}, out=out, chunk=10**6, max_bytes=2**20)
    _one_line(info.value, "`chunk`=1000000", "chunk=")


def test_a_sweep_within_the_limit_still_runs_and_strings_are_refused() -> None:
    y = sp.Symbol("y")
    kernel = rs.compile(x * y, [x, y])
    assert rs.sweep(kernel, {"x": [1.0, 2.0]}, fixed={"y": 3}).tolist() == pytest.approx([3.0, 6.0])
    with pytest.raises(rs.InvalidArgumentError) as info:
        rs.sweep(kernel, {"x": ["1", "2"]}, fixed={"y": 3})
    _one_line(info.value, "grid['x']")


# -- custom activations ---------------------------------------------------------------------------
def _sup_abs_slope(f: Callable[[Any], Any], points: np.ndarray) -> float:
    """max |f'| over ``points`` by mpmath's numerical differentiation (independent of SymPy)."""
    with mpmath.workdps(30):
        return max(float(abs(mpmath.diff(f, mpmath.mpf(float(p))))) for p in points)


@pytest.mark.parametrize("text", ["sqrt(z)", "log(z)", "1/z", "z**(1/3)", "tan(z)", "atanh(z)"])
def test_an_activation_that_is_not_real_on_all_of_r_is_refused(text: str) -> None:
    with pytest.raises(rs.DomainError) as info:
        rs.custom_activation(text)
    _one_line(info.value, "`activation`", "not real")


def test_sqrt_abs_is_not_lipschitz_at_zero() -> None:
    act = rs.custom_activation("sqrt(abs(z))")
    assert act.lipschitz == sp.oo and not act.lipschitz_is_estimate
    # independent check: the slope grows without bound towards 0
    assert _sup_abs_slope(lambda t: mpmath.sqrt(abs(t)), np.array([1e-8])) > 1e3


def test_sin_of_z_squared_is_not_lipschitz_and_says_so() -> None:
    act = rs.custom_activation("sin(z**2)")  # before: 99.94, not marked as an estimate
    assert act.lipschitz == sp.oo
    peaks = np.sqrt(2 * np.pi * np.array([1e2, 1e4, 1e6]))  # |2 z cos(z^2)| = 2 z there
    assert _sup_abs_slope(lambda t: mpmath.sin(t**2), peaks) > 1e3


@pytest.mark.parametrize("text, f, where", [
    ("z/(1 + z**2)", lambda t: t / (1 + t**2), np.linspace(-5, 5, 2001)),
    ("exp(-z**2)", lambda t: mpmath.exp(-t**2), np.linspace(-3, 3, 2001)),
    ("z/(1 + abs(z))", lambda t: t / (1 + abs(t)), np.linspace(-1, 1, 2001)),
    ("sin(z)", mpmath.sin, np.linspace(-4, 4, 2001)),
])
def test_exact_lipschitz_constants_match_mpmath(text: str, f: Callable, where: np.ndarray) -> None:
    act = rs.custom_activation(text)
    assert not act.lipschitz_is_estimate
    sampled = _sup_abs_slope(f, where)
    assert sampled <= float(act.lipschitz) * (1 + 1e-12)
    assert sampled >= float(act.lipschitz) * (1 - 1e-5)


def test_a_non_monotone_activation_gets_its_true_output_range() -> None:
    act = rs.custom_activation("z/(1 + z**2)")  # before: the limits only, {0}
    with mpmath.workdps(30):
        top = max(mpmath.mpf(t) / (1 + mpmath.mpf(t) ** 2) for t in np.linspace(0, 3, 3001))
    assert float(act.output_range.sup) == pytest.approx(float(top), rel=1e-6)
    assert float(act.output_range.inf) == pytest.approx(-float(top), rel=1e-6)


def test_an_estimated_lipschitz_constant_says_it_is_an_estimate() -> None:
    act = rs.custom_activation("tanh(tanh(z))")  # sup at z = 0 is 1; SymPy cannot solve phi'' = 0
    assert act.lipschitz_is_estimate
    assert float(act.lipschitz) == pytest.approx(1.0, rel=1e-5)
    assert rs.get_activation("tanh").lipschitz_is_estimate is False


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    return within(seconds, call, "custom_activation still working after {seconds} s (unbounded it took over 60 s)")


@pytest.mark.parametrize("depth", [4, 8])  # 8: the parser's limit of nested calls
def test_nested_tanh_is_analysed_in_bounded_time(depth: int) -> None:
    text = "tanh(" * depth + "z" + ")" * depth
    act = _within(45.0, lambda: rs.custom_activation(text))
    inner = mpmath.mpf(1)
    for _ in range(depth - 1):
        inner = mpmath.tanh(inner)
    assert float(act.output_range.sup) == pytest.approx(float(inner), rel=1e-12)
    assert float(act.lipschitz) == pytest.approx(1.0, rel=1e-5)


def test_custom_activation_refuses_objects_instead_of_sympifying_them() -> None:
    for bad in (["z"], {"z": 1}, 3):
        with pytest.raises(rs.InvalidArgumentError) as info:
            rs.custom_activation(bad)
        _one_line(info.value, "`expr`")
