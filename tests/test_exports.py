"""`rnnsym analyze` on real PyTorch exports: the trained flip-flop networks of tests/data, and malformed files.

The networks were trained by ``scripts/train_flipflop.py`` (PyTorch, not needed
here); each ``.npz`` also holds input sequences and what PyTorch computed on
them, the reference the cells' NumPy steps must meet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import rnnsym as rs
from rnnsym import cli, exports
from rnnsym.cells import GRUCell
from rnnsym.exports import analyze_cell, read_export
from tests.cells._planted import SummedCandidateBiases

DATA = Path(__file__).parent / "data"
#: float32 PyTorch against the float64 NumPy step, 64 steps: measured 2.7e-7 (GRU h), 4.1e-7 (LSTM c).
FLOAT32 = 1e-5


def _recorded(name: str) -> dict[str, np.ndarray]:
    with np.load(DATA / name) as data:
        return {k: data[k] for k in data.files}


def _cli_json(capsys: pytest.CaptureFixture, *argv: str) -> list[dict]:
    code = cli.main(["analyze", *argv, "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON output"))


def _error(capsys: pytest.CaptureFixture, *argv: str) -> str:
    code = cli.main(["analyze", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnsym: error: "), err
    return lines[0]


# -- the committed files --------------------------------------------------------------------------------
def test_committed_files_are_small_and_hold_state_dicts_with_recordings() -> None:
    for name in ("flipflop_gru.npz", "flipflop_lstm.npz", "birnn2.npz", "flipflop_lstm.safetensors"):
        assert (DATA / name).stat().st_size < 200_000, name
    gru, birnn = _recorded("flipflop_gru.npz"), _recorded("birnn2.npz")
    assert {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"} <= set(gru)
    assert gru["weight_hh_l0"].dtype == np.float32 and gru["record.inputs"].shape[-1] == 3
    assert {f"weight_hh_l{i}{r}" for i in (0, 1) for r in ("", "_reverse")} <= set(birnn)


@pytest.mark.parametrize("name", ["flipflop_gru.npz", "flipflop_lstm.npz"])
def test_the_cells_numpy_step_meets_pytorchs_recorded_states(name: str) -> None:
    data = _recorded(name)
    (layer,) = read_export(DATA / name).layers
    cell = layer.cell
    S = cell.simulate(data["record.inputs"].transpose(1, 0, 2))[1:].transpose(1, 0, 2)   # (k, T, N)
    parts = cell.split(S)
    for part in parts:   # h, and an LSTM's c (PyTorch stepped one step at a time)
        ref = data[f"record.{part}"]
        assert np.abs(parts[part] - ref).max() <= FLOAT32 * max(1.0, float(np.abs(ref).max())), part
    out = parts["h"] @ data["readout.weight"].T.astype(float) + data["readout.bias"]
    assert np.abs(out - data["record.outputs"]).max() <= FLOAT32


def test_planted_summed_gru_biases_miss_pytorchs_states() -> None:
    data = _recorded("flipflop_gru.npz")
    wrong = SummedCandidateBiases(*GRUCell.from_state_dict(data).stacked_weights)
    S = wrong.simulate(data["record.inputs"].transpose(1, 0, 2))[1:].transpose(1, 0, 2)
    assert np.abs(S - data["record.h"]).max() > 100 * FLOAT32


def _birnn_outputs(layers: list, xs: np.ndarray, swap: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A two-layer bidirectional nn.RNN run layer by layer from its rnnsym layers; ``(outputs, h_n)``."""
    by = {(layer.layer, layer.reverse): layer.net for layer in layers}
    finals = []
    for i in (0, 1):
        forward = by[(i, False)].simulate(xs)[1:]
        backward = by[(i, True)].simulate(xs[::-1])[1:][::-1]   # the reverse direction reads time backwards
        finals += [forward[-1], backward[0]]
        xs = np.concatenate([backward, forward] if swap else [forward, backward], axis=-1)
    return xs, np.array(finals)


def test_bidirectional_two_layer_rnn_meets_pytorch_layer_by_layer() -> None:
    data = _recorded("birnn2.npz")
    layers = list(read_export(DATA / "birnn2.npz", "tanh").layers)
    assert [(l.layer, l.reverse, l.net.m) for l in layers] == [(0, False, 3), (0, True, 3), (1, False, 16),
                                                               (1, True, 16)]
    for k, xs in enumerate(data["record.inputs"]):
        out, h_n = _birnn_outputs(layers, xs.astype(float))
        assert np.abs(out - data["record.h"][k]).max() <= FLOAT32
        assert np.abs(h_n - data["record.h_n"][:, k]).max() <= FLOAT32
        wrong, _ = _birnn_outputs(layers, xs.astype(float), swap=True)   # planted: directions swapped
        assert np.abs(wrong - data["record.h"][k]).max() > 100 * FLOAT32


@pytest.mark.parametrize("name", ["flipflop_gru.npz", "flipflop_lstm.npz", "flipflop_lstm.safetensors"])
def test_analyze_finds_the_eight_memories_each_proven_and_the_saddles_between(name: str, capsys) -> None:
    (entry,) = _cli_json(capsys, str(DATA / name))
    fp = entry["fixed_points"]
    assert entry["layer"] == "layer 0" and entry["module"] == ("nn.GRU" if "gru" in name else "nn.LSTM")
    stable = [p for p in fp["points"] if p["stability"] == "stable"]
    assert len(stable) == 8 and fp["counts"]["saddle"] >= 12
    assert fp["certified"] == len(fp["points"])
    for p in fp["points"]:
        cert = p["certificate"]
        assert cert["radius"] <= 1e-12 and cert["unique_within"] > 100 * cert["radius"]
    for p in stable:
        assert p["spectral_radius"] < 1
        modes = p["linearization"]["slowest_modes"]
        assert modes[0]["modulus"] == pytest.approx(p["spectral_radius"], rel=1e-12)
        assert modes[0]["half_life"] == pytest.approx(np.log(2) / -np.log(modes[0]["modulus"]), rel=1e-9)
    # the 8 stable points are the 8 memories: the readout's signs there are the 8 patterns of 3 bits
    data = _recorded("flipflop_lstm.npz" if "lstm" in name else name)
    W, b = data["readout.weight"].astype(float), data["readout.bias"].astype(float)
    signs = {tuple(np.sign(W @ np.array(p["state"]["h"]) + b).astype(int)) for p in stable}
    assert signs == {(i, j, k) for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)}


def test_a_stable_point_is_the_memory_the_network_holds_after_a_pulse() -> None:
    """Independent of the search: run the GRU on real pulses, then zero input; it settles in the box."""
    data = _recorded("flipflop_gru.npz")
    (layer,) = read_export(DATA / "flipflop_gru.npz").layers
    report = analyze_cell(layer.cell, steps=500)
    stable = [p for p in report["fixed_points"]["points"] if p["stability"] == "stable"]
    xs = np.zeros((200, 3))
    xs[0] = data["record.inputs"][0, 0]   # the first pulses of a recorded trial
    h = layer.cell.simulate(xs)[-1]
    dist = [np.abs(h - np.array(p["state"]["h"])).max() for p in stable]
    assert min(dist) < 1e-9


def test_bidirectional_two_layer_rnn_reports_every_layer_and_direction(capsys) -> None:
    layers = _cli_json(capsys, str(DATA / "birnn2.npz"), "--activation", "tanh", "--steps", "300")
    assert [(l["layer"], l["module"], l["n"], l["m"]) for l in layers] == [
        ("layer 0", "nn.RNN", 8, 3), ("layer 0 (reverse direction)", "nn.RNN", 8, 3),
        ("layer 1", "nn.RNN", 8, 16), ("layer 1 (reverse direction)", "nn.RNN", 8, 16)]
    assert layers[3]["keys"] == ["weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse",
                                 "bias_hh_l1_reverse"]


def test_keys_that_are_not_recurrent_weights_are_named_not_dropped(tmp_path: Path, capsys) -> None:
    export = read_export(DATA / "flipflop_gru.npz")
    assert set(export.ignored) == {"readout.weight", "readout.bias", "record.inputs", "record.h",
                                   "record.outputs", "record.h_n"}
    assert read_export(DATA / "flipflop_lstm.safetensors").ignored == ()   # the state dict alone
    np.savez(tmp_path / "model.npz", **_gru(prefix="rnn."), **{"fc.weight": np.ones((1, 2))})
    assert cli.main(["analyze", str(tmp_path / "model.npz"), "--steps", "50"]) == 0
    captured = capsys.readouterr()
    assert "not analysed (not recurrent weights): fc.weight" in captured.err
    assert captured.out.startswith("layer 0 (nn.GRU): GRU, n=2, m=1")


def test_several_modules_are_each_analysed_under_their_prefix(tmp_path: Path) -> None:
    np.savez(tmp_path / "model.npz", **_gru(prefix="encoder."), **_gru(n=3, prefix="decoder.rnn."))
    export = read_export(tmp_path / "model.npz")
    assert [(layer.name, layer.cell.n) for layer in export.layers] == [("decoder.rnn layer 0", 3),
                                                                       ("encoder layer 0", 2)]


def test_cell_analysis_json_is_deterministic(tmp_path: Path, capsys) -> None:
    np.savez(tmp_path / "lstm.npz", **_lstm())
    first, second = (_cli_json(capsys, str(tmp_path / "lstm.npz"), "--steps", "100") for _ in range(2))
    assert first == second and first[0]["kind"] == "lstm"


def test_safetensors_and_npz_give_the_same_layer() -> None:
    a, = read_export(DATA / "flipflop_lstm.npz").layers
    b, = read_export(DATA / "flipflop_lstm.safetensors").layers
    for x, y in zip(a.cell.stacked_weights, b.cell.stacked_weights):
        assert np.array_equal(x, y)


def test_the_simple_rnn_layout_keeps_tanh_without_asking(tmp_path: Path) -> None:
    np.savez(tmp_path / "w.npz", W_h=np.array([[2.0]]), W_x=np.array([[1.0]]), b=np.zeros(1))
    (layer,) = read_export(tmp_path / "w.npz").layers
    assert layer.net.activation.name == "tanh" and layer.module == "rnnsym"


# -- malformed and hostile files ------------------------------------------------------------------------
def _gru(n: int = 2, m: int = 1, layers: int = 1, reverse: bool = False, prefix: str = "") -> dict:
    rng = np.random.default_rng(0)
    out = {}
    for i in range(layers):
        for r in ("", "_reverse") if reverse else ("",):
            width = m if i == 0 else (2 if reverse else 1) * n
            out.update({f"{prefix}weight_ih_l{i}{r}": rng.standard_normal((3 * n, width)),
                        f"{prefix}weight_hh_l{i}{r}": rng.standard_normal((3 * n, n)),
                        f"{prefix}bias_ih_l{i}{r}": rng.standard_normal(3 * n),
                        f"{prefix}bias_hh_l{i}{r}": rng.standard_normal(3 * n)})
    return out


def _lstm(n: int = 2, m: int = 1) -> dict:
    rng = np.random.default_rng(1)
    return {"weight_ih_l0": rng.standard_normal((4 * n, m)), "weight_hh_l0": 2 * rng.standard_normal((4 * n, n)),
            "bias_ih_l0": rng.standard_normal(4 * n), "bias_hh_l0": rng.standard_normal(4 * n)}


def _without(d: dict, *keys: str) -> dict:
    return {k: v for k, v in d.items() if k not in keys}


MALFORMED = {
    "unknown_keys_only": ({"fc.weight": np.ones((2, 2)), "fc.bias": np.ones(2)}, [], "has no recurrent weights"),
    "unknown_recurrent_name": ({**_gru(), "weight_hh_l0_extra": np.ones((6, 2))}, [], "none of PyTorch's names"),
    "wrong_gate_rows": ({**_gru(), "weight_hh_l0": np.ones((5, 2))}, [], "3n x n (nn.GRU)"),
    "wrong_bias_length": ({**_gru(), "bias_ih_l0": np.ones(5)}, [], "`bias_ih_l0` must be a vector of length 6"),
    "one_bias": (_without(_gru(), "bias_hh_l0"), [], "both biases or neither"),
    "gru_without_weight_ih": (_without(_gru(), "weight_ih_l0"), [], "no `weight_ih_l0`"),
    "nan_weight": ({**_gru(), "weight_hh_l0": np.full((6, 2), np.nan)}, [], "NaN"),
    "pickled_object": ({**_gru(), "fc.weight": np.array([object()], dtype=object)}, [], "must hold real numbers"),
    "missing_reverse_half": (_without(_gru(layers=2, reverse=True), "weight_ih_l1_reverse", "weight_hh_l1_reverse",
                                      "bias_ih_l1_reverse", "bias_hh_l1_reverse"), [], "both directions"),
    "missing_layer": ({**_gru(), **{k.replace("_l0", "_l2"): v for k, v in _gru().items()}}, [], "no layer 1"),
    "layer1_input_not_2n": ({**_gru(layers=2, reverse=True), "weight_ih_l1": np.ones((6, 2))}, [],
                            "reads the 4 outputs of layer 0"),
    "reverse_input_differs": ({**_gru(reverse=True), "weight_ih_l0_reverse": np.ones((6, 3))}, [], "m = 1"),
    "gru_with_relu": (_gru(), ["--activation", "relu"], "applies to nn.RNN layers only"),
    "rnn_without_activation": ({"weight_hh_l0": np.eye(2), "weight_ih_l0": np.ones((2, 1))}, [],
                               "pass --activation tanh or --activation relu"),
    "rnn_sigmoid": ({"weight_hh_l0": np.eye(2)}, ["--activation", "sigmoid"], "`activation`"),
    "lstm_proj_size": ({**{k: np.ones((8, 2)) for k in ("weight_ih_l0",)}, "weight_hh_l0": np.ones((8, 2)),
                        "weight_hr_l0": np.ones((2, 2))}, [], "proj_size"),
    "mixed_layouts": ({**_gru(), "W_h": np.eye(2)}, [], "mixes rnnsym's W_h"),
    "two_names_one_layer": ({**_gru(), "weight_hh": np.ones((6, 2))}, [], "holds both"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_export_gets_one_line_and_exit_2(case: str, tmp_path: Path, capsys) -> None:
    arrays, args, fragment = MALFORMED[case]
    path = tmp_path / f"{case}.npz"
    np.savez(path, **arrays)
    line = _error(capsys, str(path), *args)
    assert fragment in line, line


def _safetensors_bytes(header: dict, data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + data


@pytest.mark.parametrize("case, content, fragment", [
    ("damaged_header", b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all", "not a readable .safetensors"),
    ("offsets_past_the_end", _safetensors_bytes({"weight_hh_l0": {"dtype": "F64", "shape": [100000, 100000],
                                                                  "data_offsets": [0, 80000000000]}}, bytes(8)),
     "not a readable .safetensors"),
    ("bfloat16", _safetensors_bytes({"weight_hh_l0": {"dtype": "BF16", "shape": [6, 2], "data_offsets": [0, 24]}},
                                    bytes(24)), "convert bfloat16"),
    ("nan", _safetensors_bytes({"weight_hh_l0": {"dtype": "F64", "shape": [1, 1], "data_offsets": [0, 8]}},
                               np.array([np.nan]).tobytes()), "NaN"),
])
def test_a_malformed_safetensors_file_gets_one_line_and_exit_2(case, content, fragment, tmp_path, capsys) -> None:
    pytest.importorskip("safetensors")
    path = tmp_path / f"{case}.safetensors"
    path.write_bytes(content)
    assert fragment in _error(capsys, str(path), "--activation", "tanh")


def test_an_oversized_safetensors_file_is_refused_before_it_is_opened(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(exports, "MAX_BYTES", 1000)
    monkeypatch.setitem(sys.modules, "safetensors", None)   # opening it would fail differently
    path = tmp_path / "big.safetensors"
    path.write_bytes((DATA / "flipflop_lstm.safetensors").read_bytes())
    assert "the limit is 1000" in _error(capsys, str(path))


def test_safetensors_without_the_package_names_the_extra(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "safetensors", None)
    assert "pip install rnnsym[weights]" in _error(capsys, str(DATA / "flipflop_lstm.safetensors"))


def test_public_functions_refuse_strings() -> None:
    payload = "__import__('os').system('true')"
    with pytest.raises(rs.RnnsymError):
        analyze_cell(payload)
    with pytest.raises(rs.RnnsymError):
        read_export(DATA / "birnn2.npz", payload)
    with pytest.raises(rs.RnnsymError):
        read_export(DATA / "flipflop_gru.npz", [payload])
    with pytest.raises(rs.RnnsymError):
        analyze_cell(read_export(DATA / "flipflop_gru.npz").layers[0].cell, steps=payload)


def test_default_starts_shrink_with_the_state_and_the_report_says_so() -> None:
    """256 starts while their N x N matrices fit 2**24 floats, fewer above (at least 16), and the JSON says
    which rule chose them; a count that is given is used as given."""
    from rnnsym.exports import default_starts
    assert [default_starts(n) for n in (1, 256, 257, 512, 1024, 2048)] == [256, 256, 254, 64, 16, 16]
    cell = read_export(DATA / "flipflop_gru.npz").layers[0].cell
    chosen = analyze_cell(cell, steps=200)["search"]
    assert chosen["starts"] == 256 and chosen["starts_rule"].startswith(f"the default for a state of N = {cell.n}")
    given = analyze_cell(cell, steps=200, starts=8)["search"]
    assert (given["starts"], given["starts_rule"]) == (8, "given")


def test_starts_option_reaches_both_searches_and_too_many_are_refused_in_one_line(capsys, tmp_path: Path) -> None:
    """`--starts N` is the fixed-point search's starts for a GRU (search.starts, rule "given") and for a simple
    RNN (fixed_points.starts); a count the work limit forbids at 200 units is one line naming `starts`."""
    (gru,) = _cli_json(capsys, str(DATA / "flipflop_gru.npz"), "--steps", "200", "--starts", "8")
    assert (gru["search"]["starts"], gru["search"]["starts_rule"]) == (8, "given")
    (rnn,) = _cli_json(capsys, str(DATA / "analyze_n12.npz"), "--steps", "200", "--starts", "5")
    assert rnn["fixed_points"]["starts"] == 5
    for extra, said in (([], "from 256 starts (the default for this size"), (["--starts", "8"], "from 8 starts\n")):
        assert cli.main(["analyze", str(DATA / "flipflop_gru.npz"), "--steps", "200", *extra]) == 0
        assert said in capsys.readouterr().out
    rng = np.random.default_rng(0)
    big = tmp_path / "big.npz"
    np.savez(big, W_h=rng.standard_normal((200, 200)) / 10, W_x=rng.standard_normal((200, 1)), b=np.zeros(200))
    err = _error(capsys, str(big), "--starts", "100000")
    assert "`starts`=100000" in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
