"""Non-finite and degenerate input to every public function: a one-line rnnsym error.

Each row calls a public function with one kind of bad input (NaN, infinity,
empty, wrong shape, complex where real is required, a string, a symbolic
model where numbers are needed) and expects an :class:`rnnsym.RnnsymError`
(also the matching built-in exception) whose message is one line.  A
coverage test checks that every public callable has a row.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs

NAN, INF = float("nan"), float("inf")
GOOD = rs.RNN([[0.5, 0.1], [0.0, 0.4]], [[1.0], [0.0]], [0.0, 0.0])
SYMBOLIC = rs.RNN.symbolic(2, 1)
x = sp.Symbol("x")

TABLE = [
    ("GRUCell", lambda: rs.GRUCell(np.ones((4, 1)), np.ones((3, 1)))),            # 4 rows: not 3n
    ("GRUCell", lambda: rs.GRUCell(np.ones((3, 1)), np.full((3, 1), NAN))),
    ("LSTMCell", lambda: rs.LSTMCell(np.ones((3, 1)), np.ones((3, 1)))),          # 3 rows: not 4n
    ("LeakyCell", lambda: rs.LeakyCell([[0.5]], alpha=1.5)),
    ("LeakyCell", lambda: rs.LeakyCell([[0.5]], alpha=0.0)),
    ("SimpleCell", lambda: rs.SimpleCell("tanh")),
    ("custom_cell", lambda: rs.custom_cell(["h +"], state=["h"])),
    ("custom_cell", lambda: rs.custom_cell(["h", "h"], state=["h"])),
    ("find_slow_points", lambda: rs.find_slow_points(rs.GRUCell(np.ones((3, 1)), np.ones((3, 1))), x=[0.0],
                                                     starts=0)),
    ("find_slow_points", lambda: rs.find_slow_points("GRU")),
    ("cell_gradient_norms", lambda: rs.cell_gradient_norms(rs.LeakyCell([[0.5]], [[1.0]], alpha=0.5), [[NAN]])),
    ("cell_gradient_norms", lambda: rs.cell_gradient_norms(rs.LeakyCell.symbolic(1, 1), [[0.0]])),
    ("cell_gradient_norms", lambda: rs.cell_gradient_norms(rs.LeakyCell([[0.5]], [[1.0]], alpha=0.5),
                                                           np.zeros((0, 1)))),
    ("cell_lyapunov_spectrum", lambda: rs.cell_lyapunov_spectrum(rs.LeakyCell([[0.5]], [[1.0]], alpha=0.5),
                                                                 np.zeros((3, 1)), discard=3)),
    ("cell_lyapunov_spectrum", lambda: rs.cell_lyapunov_spectrum(rs.LeakyCell([[0.5]], [[1.0]], alpha=0.5),
                                                                 np.zeros((3, 1)), k=2)),
    ("cell_point_analysis", lambda: rs.cell_point_analysis(rs.LeakyCell([[0.5]], [[1.0]], alpha=0.5), [0.0, 0.0])),
    ("cell_point_analysis", lambda: rs.cell_point_analysis(rs.LeakyCell([[0.5]], [[1.0]], alpha=0.5), [INF])),
    ("cell_contraction_certificate", lambda: rs.cell_contraction_certificate("leaky")),
    ("cell_contraction_certificate", lambda: rs.cell_contraction_certificate(
        rs.LeakyCell([[0.5]], [[1.0]], alpha=0.5), x=[0.0, 1.0])),
    ("get_activation", lambda: rs.get_activation(3)),
    ("get_activation", lambda: rs.get_activation("leaky_relu", slope=NAN)),
    ("custom_activation", lambda: rs.custom_activation("import os")),
    ("custom_activation", lambda: rs.custom_activation("")),
    ("custom_activation", lambda: rs.custom_activation("w + 1")),
    ("compile", lambda: rs.compile(object(), [x])),
    ("compile", lambda: rs.compile(x, ["x"])),
    ("Kernel", lambda: rs.compile(x**2, [x])(np.array(["a"]))),
    ("Kernel", lambda: rs.compile(x**2, [x])(1.0, 2.0)),
    ("latex", lambda: rs.latex(object())),
    ("RNN", lambda: rs.RNN([[NAN]])),
    ("RNN", lambda: rs.RNN([[INF, 0], [0, 1]])),
    ("RNN", lambda: rs.RNN([])),
    ("RNN", lambda: rs.RNN(np.zeros((0, 0)))),
    ("RNN", lambda: rs.RNN([[1 + 2j]])),
    ("RNN", lambda: rs.RNN([[1.0]], b=[NAN])),
    ("RNN", lambda: GOOD.simulate([[NAN], [1.0]])),
    ("RNN", lambda: GOOD.simulate("abc")),
    ("RNN", lambda: SYMBOLIC.simulate([[0.0]])),
    ("RNN", lambda: GOOD.step([1.0, 2.0, 3.0])),
    ("RNN", lambda: GOOD.subs({"nope": 1})),
    ("RNN", lambda: rs.RNN.symbolic(2.5)),
    ("LinearRNN", lambda: rs.LinearRNN([[1, 2]], [[1]])),
    ("LinearRNN", lambda: rs.LinearRNN([[NAN]], [[1]])),
    ("LinearRNN", lambda: rs.LinearRNN([[1.0]], [[1.0], [2.0]])),
    ("linearize", lambda: rs.linearize(GOOD, [0.0, 0.0, 0.0], [0.0])),
    ("derivation_names", None),
    ("derive", lambda: rs.derive(42)),
    ("derive", lambda: rs.derive("snr", a="2")),
    ("find_fixed_points", lambda: rs.find_fixed_points(SYMBOLIC)),
    ("find_fixed_points", lambda: rs.find_fixed_points(GOOD, [NAN])),
    ("sweep_fixed_points", lambda: rs.sweep_fixed_points(SYMBOLIC, np.zeros((3, 2)))),
    ("spectral_radius", lambda: rs.spectral_radius([[NAN]])),
    ("spectral_radius", lambda: rs.spectral_radius([[1, 2, 3]])),
    ("spectral_norm", lambda: rs.spectral_norm([[INF]])),
    ("contraction_factor", lambda: rs.contraction_factor([[1, 2]], "tanh")),
    ("half_life", lambda: rs.half_life(1.5)),
    ("half_life", lambda: rs.half_life(NAN)),
    ("classify_jacobian", lambda: rs.classify_jacobian([[NAN]])),
    ("LinearRNN", lambda: rs.LinearRNN([[1.0]], [[1.0]]).modes(tol=-1.0)),
    ("coupling_matrix", lambda: rs.coupling_matrix([[1, 2]], [[1]])),
    ("minimum_energy_input", lambda: rs.minimum_energy_input(
        (np.eye(2), np.array([[1.0], [0.0]])), [0, 0], [1, 1, 1])),
    ("minimum_energy_input", lambda: rs.minimum_energy_input(
        (np.eye(2), np.array([[1.0], [0.0]])), [0, 0], [NAN, 1])),
    ("reconstruct_initial_state", lambda: rs.reconstruct_initial_state(
        (np.eye(2), np.zeros((2, 1)), np.eye(2)), np.zeros((0, 2)))),
    ("gradient_norms", lambda: rs.gradient_norms(GOOD, np.zeros((0, 1)))),
    ("gradient_norms", lambda: rs.gradient_norms(SYMBOLIC, np.zeros((3, 1)))),
    ("lyapunov_spectrum", lambda: rs.lyapunov_spectrum(GOOD, [[NAN]] * 3)),
    ("transient_growth", lambda: rs.transient_growth([[NAN]])),
    ("is_normal", lambda: rs.is_normal([[1, 2, 3]])),
    ("frequency_response", lambda: rs.frequency_response([[1, 2]], [[1]])),
    ("snr_numeric", lambda: rs.snr_numeric([[2.0]], [1.0], [1.0], 1.0, 1.0, 0.5)),
    ("snr_numeric", lambda: rs.snr_numeric([[0.5]], [1.0], [1.0], 1.0, -1.0, 0.5)),
    ("build_report", lambda: rs.build_report(names=["nope"])),
    ("build_report", lambda: rs.build_report(names=[])),
    ("analyze_rnn", lambda: rs.analyze_rnn(SYMBOLIC)),
    ("sweep", lambda: rs.sweep(rs.compile(x**2, [x]), {"x": [NAN, 1.0]})),
    ("sweep", lambda: rs.sweep(rs.compile(x**2, [x]), {"y": [1.0]})),
    ("sweep", lambda: rs.sweep(rs.compile(x**2, [x]), {"x": []})),
    ("simulate_batch", lambda: rs.simulate_batch(GOOD, np.zeros((2, 3)))),
    ("simulate_batch", lambda: rs.simulate_batch(SYMBOLIC, np.zeros((2, 3, 1)))),
    ("simulate_batch", lambda: rs.simulate_batch(GOOD, np.full((2, 3, 1), NAN))),
    ("simulate_batch", lambda: rs.simulate_batch(GOOD, np.zeros((2, 3, 1)), h0=["a", "b"])),
    ("batched_spectral_radius", lambda: rs.batched_spectral_radius([[[NAN, 0], [0, 1]]])),
    ("batched_spectral_radius", lambda: rs.batched_spectral_radius(np.zeros((4, 2, 3)))),
    ("batched_spectral_norm", lambda: rs.batched_spectral_norm([[[INF]]])),
    ("batched_eigenvalue_moduli", lambda: rs.batched_eigenvalue_moduli("abc")),
    ("classify_batch", lambda: rs.classify_batch(np.zeros((0, 0)))),
    ("jacobian_spectral_radius", lambda: rs.jacobian_spectral_radius(np.eye(4), np.zeros(4))),
    ("jacobian_spectral_radius", lambda: rs.jacobian_spectral_radius(np.eye(2), [[NAN, 0.0]])),
]


@pytest.mark.parametrize("name, call", [row for row in TABLE if row[1] is not None],
                         ids=[f"{n}-{i}" for i, (n, c) in enumerate(TABLE) if c is not None])
def test_bad_input_raises_a_one_line_rnnsym_error(name, call) -> None:
    with pytest.raises(rs.RnnsymError) as info:
        call()
    assert isinstance(info.value, (ValueError, TypeError, LookupError, RuntimeError))
    message = str(info.value)
    assert message and "\n" not in message


def test_every_public_callable_has_a_row() -> None:
    covered = {name for name, _ in TABLE}
    skip = {"strategies"}  # a module of strategies: its arguments are checked in test_strategies.py
    public = {name for name in rs.__all__ if callable(getattr(rs, name)) and name not in skip
              and not (isinstance(getattr(rs, name), type) and issubclass(getattr(rs, name), Exception))}
    exempt = {"Activation", "Derivation", "Step", "VerificationReport"}  # built by rnnsym itself
    assert public - covered - exempt == set()


def test_empty_input_sequence_gives_just_the_initial_state() -> None:
    assert GOOD.simulate(np.zeros((0, 1)), h0=[1.0, 2.0]).tolist() == [[1.0, 2.0]]


def test_integer_arrays_work_like_floats() -> None:
    assert np.array_equal(GOOD.simulate(np.array([[1], [0]])), GOOD.simulate([[1.0], [0.0]]))
