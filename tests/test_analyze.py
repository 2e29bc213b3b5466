"""`rnnsym analyze` on weights exported from PyTorch (or written with NumPy)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import rnnsym as rs
from rnnsym import cli
from rnnsym.analyze import analyze_rnn, load_weights


def torch_style_npz(path: Path, n: int = 3, m: int = 2, layers: int = 1, scale: float = 0.4) -> Path:
    rng = np.random.default_rng(1)
    arrays = {}
    for layer in range(layers):
        width = m if layer == 0 else n
        arrays[f"rnn.weight_ih_l{layer}"] = rng.standard_normal((n, width))
        arrays[f"rnn.weight_hh_l{layer}"] = scale * rng.standard_normal((n, n)) / np.sqrt(n)
        arrays[f"rnn.bias_ih_l{layer}"] = 0.1 * rng.standard_normal(n)
        arrays[f"rnn.bias_hh_l{layer}"] = 0.1 * rng.standard_normal(n)
    np.savez(path, **arrays)
    return path


def test_torch_names_map_to_the_recurrence_and_biases_add(tmp_path: Path) -> None:
    path = torch_style_npz(tmp_path / "w.npz")
    with np.load(path) as data:
        expected_b = data["rnn.bias_ih_l0"] + data["rnn.bias_hh_l0"]
        W_h = data["rnn.weight_hh_l0"]
    (layer,) = load_weights(path)
    net_W_h, _, b = layer.net.numeric_weights()
    np.testing.assert_allclose(net_W_h, W_h)
    np.testing.assert_allclose(b, expected_b)


def test_analysis_of_a_real_pytorch_rnn_matches_torch_forward(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.RNN(input_size=2, hidden_size=4, num_layers=2, nonlinearity="tanh",
                         batch_first=True)
    np.savez(tmp_path / "torch.npz",
             **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    layers = load_weights(tmp_path / "torch.npz")
    assert [l.net.n for l in layers] == [4, 4]
    xs = np.random.default_rng(0).standard_normal((6, 2))
    with torch.no_grad():
        out, _ = model(torch.tensor(xs[None], dtype=torch.float32))
    h = xs
    for layer in layers:  # stacked layers: each layer's states drive the next
        h = layer.net.simulate(h)[1:]
    np.testing.assert_allclose(h, out[0].numpy(), atol=1e-5)
    assert cli.main(["analyze", str(tmp_path / "torch.npz")]) == 0


def test_contracting_network_is_certified_with_one_stable_fixed_point(tmp_path: Path) -> None:
    (layer,) = load_weights(torch_style_npz(tmp_path / "w.npz", scale=0.3))
    report = analyze_rnn(layer.net, steps=300)
    assert report["contraction"]["certified"]
    assert report["fixed_points"]["complete"] and len(report["fixed_points"]["points"]) == 1
    assert report["fixed_points"]["points"][0]["stability"] == "stable"
    assert report["gradients"]["vanishing_certified"]
    assert report["gradients"]["top_lyapunov_exponent"] < 0


def test_bistable_unit_reports_three_fixed_points(tmp_path: Path) -> None:
    np.savez(tmp_path / "w.npz", W_h=np.array([[2.0]]), W_x=np.array([[1.0]]), b=np.array([0.0]))
    report = analyze_rnn(load_weights(tmp_path / "w.npz")[0].net, steps=300)
    kinds = [p["stability"] for p in report["fixed_points"]["points"]]
    assert kinds == ["stable", "unstable", "stable"]
    assert not report["contraction"]["certified"]


def test_cli_json_output_is_deterministic(tmp_path: Path, capsys) -> None:
    path = torch_style_npz(tmp_path / "w.npz", layers=2)
    outputs = []
    for _ in range(2):
        assert cli.main(["analyze", str(path), "--format", "json", "--steps", "200"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert [d["layer"] for d in json.loads(outputs[0])] == ["layer 0", "layer 1"]


@pytest.mark.parametrize("content, fragment", [
    (None, "is not a file"),
    (b"not a zip", "not a readable .npz"),
    ({"foo": np.zeros(2)}, "has no recurrent weights"),
    ({"W_h": np.array([[np.nan]])}, "NaN or infinite"),
    ({"W_h": np.ones((2, 3))}, "`W_h` must be square"),
    ({"W_h": np.array(["a"])}, "must hold real numbers"),
])
def test_bad_weight_files_get_one_line_errors(tmp_path: Path, content, fragment) -> None:
    path = tmp_path / "w.npz"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, dict):
        np.savez(path, **content)
    with pytest.raises(rs.RnnsymError) as info:
        load_weights(path)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.npz"
    np.savez(path, W_h=np.array([object()], dtype=object))
    with pytest.raises(rs.InvalidArgumentError, match="allow_pickle=False|without pickles"):
        load_weights(path)
