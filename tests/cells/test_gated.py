"""GRU and LSTM cells meet PyTorch's documented equations, layout and gate order; planted errors are caught."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnsym.cells import GRUCell, LSTMCell
from rnnsym.errors import InvalidArgumentError, NonFiniteError, ShapeError
from tests.cells._planted import OldCellInOutput, SummedCandidateBiases, SwappedUpdateGate
from tests.cells._reference import gru_step, lstm_step


@st.composite
def gated_problems(draw: Any, gates: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Weights (PyTorch names), a state (h, or h and c stacked) and an input, over a range of scales."""
    n, m = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    scale = draw(st.sampled_from([0.1, 1.0, 4.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weights = {"weight_ih": rng.normal(0, scale, (gates * n, m)), "weight_hh": rng.normal(0, scale, (gates * n, n)),
               "bias_ih": rng.normal(0, scale, gates * n), "bias_hh": rng.normal(0, scale, gates * n)}
    state = rng.normal(0, 1.5, (2 if gates == 4 else 1) * n)
    return weights, state, rng.normal(0, 2.0, m)


def gru_error(cell_class: type, weights: dict[str, np.ndarray], h: np.ndarray, x: np.ndarray) -> float:
    """``max |cell.step - reference|`` for one GRU step."""
    cell = cell_class(weights["weight_ih"], weights["weight_hh"], weights["bias_ih"], weights["bias_hh"])
    return float(np.abs(cell.step(h, x) - gru_step(h, x, **weights)).max())


def lstm_error(cell_class: type, weights: dict[str, np.ndarray], s: np.ndarray, x: np.ndarray) -> float:
    cell = cell_class(weights["weight_ih"], weights["weight_hh"], weights["bias_ih"], weights["bias_hh"])
    n = cell.n
    h_new, c_new = lstm_step(s[:n], s[n:], x, **weights)
    return float(np.abs(cell.step(s, x) - np.concatenate([h_new, c_new])).max())


@given(gated_problems(3))
def test_gru_step_matches_pytorchs_documented_equations(problem: Any) -> None:
    assert gru_error(GRUCell, *problem) <= 1e-14


@given(gated_problems(4))
def test_lstm_step_matches_pytorchs_documented_equations(problem: Any) -> None:
    assert lstm_error(LSTMCell, *problem) <= 1e-14


def test_a_batch_of_states_steps_like_each_state_alone() -> None:
    rng = np.random.default_rng(3)
    w = {"weight_ih": rng.normal(size=(12, 2)), "weight_hh": rng.normal(size=(12, 3)),
         "bias_ih": rng.normal(size=12), "bias_hh": rng.normal(size=12)}
    cell = LSTMCell(w["weight_ih"], w["weight_hh"], w["bias_ih"], w["bias_hh"])
    S, X = rng.normal(size=(5, 4, 6)), rng.normal(size=(4, 2))
    batched = cell.step(S, X)
    assert batched.shape == (5, 4, 6)
    one = np.array([[np.concatenate(lstm_step(S[i, j, :3], S[i, j, 3:], X[j], **w)) for j in range(4)]
                    for i in range(5)])
    assert np.abs(batched - one).max() <= 1e-14


def test_gru_and_lstm_match_torch_modules_where_torch_is_installed() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for module, cls in ((torch.nn.GRUCell(3, 4).double(), GRUCell), (torch.nn.LSTMCell(3, 4).double(), LSTMCell)):
        sd = {k: v.detach().numpy() for k, v in module.state_dict().items()}
        cell = cls.from_state_dict(sd)
        x, h, c = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64), \
            torch.randn(6, 4, dtype=torch.float64)
        if cls is GRUCell:
            want = module(x, h).detach().numpy()
            got = cell.step(h.numpy(), x.numpy())
        else:
            want = np.concatenate([t.detach().numpy() for t in module(x, (h, c))], axis=-1)
            got = cell.step(np.concatenate([h.numpy(), c.numpy()], axis=-1), x.numpy())
        assert np.abs(got - want).max() <= 1e-12


# -- planted errors: each wrong cell differs from the reference by far more than rounding ------------------
PLANTED_DRAW = 11


def _draw(gates: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(PLANTED_DRAW)
    n, m = 4, 2
    w = {"weight_ih": rng.normal(size=(gates * n, m)), "weight_hh": rng.normal(size=(gates * n, n)),
         "bias_ih": rng.normal(size=gates * n), "bias_hh": rng.normal(size=gates * n)}
    return w, rng.normal(size=n * (2 if gates == 4 else 1)), rng.normal(size=m)


@pytest.mark.parametrize("planted", [SwappedUpdateGate, SummedCandidateBiases])
def test_the_reference_comparison_catches_each_planted_gru_error(planted: type) -> None:
    problem = _draw(3)
    assert gru_error(GRUCell, *problem) <= 1e-14
    assert gru_error(planted, *problem) > 1e-3


def test_the_reference_comparison_catches_c_instead_of_c_new_in_the_lstm_output() -> None:
    problem = _draw(4)
    assert lstm_error(LSTMCell, *problem) <= 1e-14
    assert lstm_error(OldCellInOutput, *problem) > 1e-3


def test_summing_the_candidate_biases_is_invisible_only_when_the_reset_gate_is_open() -> None:
    """With ``r = 1`` (reset bias +60) ``r (W_hn h + b_hn) = W_hn h + b_hn``: the planted error hides there,
    which is why the comparison draws generic weights."""
    w, h, x = _draw(3)
    w = {**w, "bias_hh": w["bias_hh"].copy()}
    w["bias_hh"][:4] = 60.0
    assert gru_error(SummedCandidateBiases, w, h, x) <= 1e-14


# -- the update gate keeps memory ------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [10.0, 20.0, 40.0])
def test_a_large_update_gate_bias_keeps_the_state_and_the_jacobian_tends_to_the_identity(bias: float) -> None:
    w, h, x = _draw(3)
    b = w["bias_hh"].copy()
    b[4:8] = bias   # b_hz: z = sigma(... + bias) -> 1
    cell = GRUCell(w["weight_ih"], w["weight_hh"], w["bias_ih"], b)
    z_bound = np.exp(-(bias - 12.0))   # 1 - z <= exp(-(bias - |rest of the pre-activation|))
    assert np.abs(cell.step(h, x) - h).max() <= 3 * z_bound
    J = cell.numeric_jacobian(h, x)
    assert np.abs(J - np.eye(4)).max() <= 30 * z_bound
    assert np.abs(cell.linearize(h, x).numeric_matrices()[1]).max() <= 30 * z_bound


# -- construction from PyTorch state dicts -------------------------------------------------------------
def _state_dict(layers: int, n: int, m: int, gates: int, bidirectional: bool, bias: bool = True,
                seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sd = {}
    for layer in range(layers):
        width = m if layer == 0 else n * (2 if bidirectional else 1)
        for suffix in ("", "_reverse") if bidirectional else ("",):
            sd[f"weight_ih_l{layer}{suffix}"] = rng.normal(size=(gates * n, width))
            sd[f"weight_hh_l{layer}{suffix}"] = rng.normal(size=(gates * n, n))
            if bias:
                sd[f"bias_ih_l{layer}{suffix}"] = rng.normal(size=gates * n)
                sd[f"bias_hh_l{layer}{suffix}"] = rng.normal(size=gates * n)
    return sd


@pytest.mark.parametrize("layer, reverse", [(0, False), (0, True), (1, False), (1, True)])
def test_every_layer_and_direction_of_a_bidirectional_two_layer_gru_is_read(layer: int, reverse: bool) -> None:
    sd = _state_dict(2, 3, 2, 3, True)
    cell = GRUCell.from_state_dict(sd, layer=layer, reverse=reverse)
    key = f"_l{layer}" + ("_reverse" if reverse else "")
    assert (cell.n, cell.m) == (3, 2 if layer == 0 else 6)
    w = {k: sd[k + key] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    rng = np.random.default_rng(1)
    h, x = rng.normal(size=3), rng.normal(size=cell.m)
    assert np.abs(cell.step(h, x) - gru_step(h, x, **w)).max() <= 1e-14


def test_state_dicts_from_npz_files_with_a_prefix_and_without_biases_are_read(tmp_path: Any) -> None:
    sd = {f"lstm.{k}": v for k, v in _state_dict(1, 2, 3, 4, False, bias=False).items()}
    np.savez(tmp_path / "w.npz", **sd)
    with np.load(tmp_path / "w.npz") as data:
        cell = LSTMCell.from_state_dict(data, prefix="lstm.")
    assert cell.state_parts == (("h", 2), ("c", 2)) and cell.m == 3
    assert np.all(cell.stacked_weights[2] == 0) and np.all(cell.stacked_weights[3] == 0)


def test_the_keys_of_a_single_gru_cell_module_are_read() -> None:
    sd = {k[:-3]: v for k, v in _state_dict(1, 2, 1, 3, False).items()}   # weight_ih, ... (nn.GRUCell)
    assert GRUCell.from_state_dict(sd).n == 2


def test_gate_weights_are_the_documented_blocks() -> None:
    sd = _state_dict(1, 2, 1, 3, False)
    cell = GRUCell.from_state_dict(sd)
    W_iz, _, _, b_hz = cell.gate_weights("z")
    assert np.array_equal(W_iz, sd["weight_ih_l0"][2:4]) and np.array_equal(b_hz, sd["bias_hh_l0"][2:4])
    assert np.array_equal(cell.gate_weights("n")[1], sd["weight_hh_l0"][4:6])


# -- bad input: one-line rnnsym errors naming the argument ---------------------------------------------------
def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text.endswith(".")
    return text


@pytest.mark.parametrize("kwargs, error, words", [
    ({"layer": 2}, InvalidArgumentError, ["weight_ih_l2", "layer 2", "found the keys", "weight_ih_l0"]),
    ({"reverse": True}, InvalidArgumentError, ["weight_ih_l0_reverse", "(reverse)"]),
])
def test_missing_state_dict_keys_name_what_was_wanted_and_found(kwargs: dict, error: type, words: list) -> None:
    with pytest.raises(error) as info:
        GRUCell.from_state_dict(_state_dict(1, 2, 1, 3, False), **kwargs)
    assert all(w in _one_line(info.value) for w in words)


def test_a_state_dict_with_one_bias_or_a_projection_is_refused() -> None:
    sd = _state_dict(1, 2, 1, 4, False)
    del sd["bias_hh_l0"]
    with pytest.raises(InvalidArgumentError, match="has `bias_ih_l0` but not `bias_hh_l0`"):
        LSTMCell.from_state_dict(sd)
    sd = {**_state_dict(1, 2, 1, 4, False), "weight_hr_l0": np.ones((1, 2))}
    with pytest.raises(InvalidArgumentError, match="proj_size"):
        LSTMCell.from_state_dict(sd)
    with pytest.raises(InvalidArgumentError, match="mapping"):
        GRUCell.from_state_dict([1, 2])


def test_lstm_weights_read_as_a_gru_say_so() -> None:
    sd = _state_dict(1, 3, 2, 4, False)   # 12 rows: 3n with n = 4 would need weight_hh (12, 4)
    with pytest.raises(ShapeError) as info:
        GRUCell.from_state_dict(sd)
    text = _one_line(info.value)
    assert "`weight_hh_l0` must have shape (12, 4)" in text and "got shape (12, 3)" in text and "LSTMCell" in text


@pytest.mark.parametrize("args, error, words", [
    ((np.ones((5, 2)), np.ones((5, 1))), ShapeError, ["`weight_ih`", "3n rows", "(5, 2)"]),
    ((np.ones((6, 2)), np.ones((6, 3))), ShapeError, ["`weight_hh`", "(6, 2)", "(6, 3)"]),
    ((np.ones((6, 2)), np.ones((6, 2)), np.ones(5)), ShapeError, ["`bias_ih`", "(6,)", "(5,)"]),
    ((np.ones((6, 2)), np.full((6, 2), np.nan)), NonFiniteError, ["`weight_hh`", "nan"]),
    ((np.ones((6, 2)), [["a", "b"]] * 6), InvalidArgumentError, ["`weight_hh`", "string"]),
    ((np.ones((6, 2)), np.ones((6, 2)), None, np.array([np.inf] * 6)), NonFiniteError, ["`bias_hh`", "inf"]),
])
def test_bad_weights_raise_one_line_errors_naming_the_argument(args: tuple, error: type, words: list) -> None:
    with pytest.raises(error) as info:
        GRUCell(*args)
    assert all(w in _one_line(info.value) for w in words), str(info.value)


def test_an_lstm_state_without_its_cell_part_is_refused_with_the_layout() -> None:
    cell = LSTMCell(np.ones((8, 1)), np.ones((8, 2)))
    with pytest.raises(ShapeError) as info:
        cell.step([0.0, 0.0], [1.0])
    assert "(h, c) stacked: 2 + 2 entries, h first" in _one_line(info.value)
    with pytest.raises(ShapeError, match=r"`x` must have shape \(\.\.\., 1\)"):
        cell.step(np.zeros(4), [1.0, 2.0])


def test_a_symbolic_cell_refuses_numeric_work_and_says_how_to_substitute() -> None:
    with pytest.raises(InvalidArgumentError, match=r"symbolic parameters .*GRUCell.subs\(\)"):
        GRUCell.symbolic(1, 1).step([0.0], [0.0])


def test_a_cell_keeps_its_own_read_only_copy_of_the_weights() -> None:
    W = np.ones((3, 1))
    cell = GRUCell(W, W / 2)
    before = cell.step([0.5], [1.0])
    W[:] = 5.0
    assert np.array_equal(cell.step([0.5], [1.0]), before)
    with pytest.raises(ValueError, match="read-only"):
        cell.stacked_weights[0][0, 0] = 2.0
