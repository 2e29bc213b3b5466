"""`rnnsym analyze` on weights exported from PyTorch (or written with NumPy)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import rnnsym as rs
from rnnsym import cli
from rnnsym.analyze import analyze_rnn, format_analysis, load_weights
from rnnsym.linear.controllability import is_controllable
from rnnsym.linear.rank import krylov_matrix
from rnnsym.linear.system import linearize
from rnnsym.model import RNN
from tests.linear.test_controllability import jordan_block_beside_a_near_eigenvalue
from tests.linear.test_normality import SLOW_JORDAN, mp_powers


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
    (layer,) = load_weights(path, activation="tanh")
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
    layers = load_weights(tmp_path / "torch.npz", activation="tanh")
    assert [l.net.n for l in layers] == [4, 4]
    xs = np.random.default_rng(0).standard_normal((6, 2))
    with torch.no_grad():
        out, _ = model(torch.tensor(xs[None], dtype=torch.float32))
    h = xs
    for layer in layers:  # stacked layers: each layer's states drive the next
        h = layer.net.simulate(h)[1:]
    np.testing.assert_allclose(h, out[0].numpy(), atol=1e-5)
    assert cli.main(["analyze", str(tmp_path / "torch.npz"), "--activation", "tanh"]) == 0


def test_contracting_network_is_certified_with_one_stable_fixed_point(tmp_path: Path) -> None:
    (layer,) = load_weights(torch_style_npz(tmp_path / "w.npz", scale=0.3), activation="tanh")
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
        assert cli.main(["analyze", str(path), "--format", "json", "--steps", "200", "--activation", "tanh"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert [d["layer"] for d in json.loads(outputs[0])] == ["layer 0", "layer 1"]


@pytest.mark.parametrize("content, fragment", [
    (None, "is not a file"),
    (b"not a zip", "not a readable .npz"),
    ({"foo": np.zeros(2)}, "has no recurrent weights"),
    ({"W_h": np.array([[np.nan]])}, "NaN or infinite"),
    ({"W_h": np.ones((2, 3))}, "`W_h` must be a square"),
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
    with pytest.raises(rs.InvalidArgumentError, match="must hold real numbers; got dtype object"):
        load_weights(path)


# ------------------------------------------------------------------ reach
def fast_contracting_48_unit_layer() -> RNN:
    """tanh, W_h ~ N(0, 1.2^2/n) scaled to spectral radius 0.02, three inputs: 0 is a stable fixed point.

    Its linearisation there is ``(W_h, W_x)`` exactly (``tanh'(0) = 1``), a controllable pair whose
    Krylov blocks ``A^k B`` shrink like ``0.02^k``: a singular-value threshold on ``[B, AB, ...]``
    (what ``analyze`` used to apply) counts 24 of 48 dimensions.
    """
    n = 48
    rng = np.random.default_rng(0)
    W_h = rng.normal(0.0, 1.2 / np.sqrt(n), (n, n))
    W_h *= 0.02 / np.max(np.abs(np.linalg.eigvals(W_h)))
    return RNN(W_h, rng.normal(size=(n, 3)), np.zeros(n), activation="tanh")


def exact_krylov_rank_mod(A: np.ndarray, B: np.ndarray, p: int) -> int:
    """Rank over GF(p) of ``[B, AB, ..., A^(n-1) B]`` for the exact rationals of the float entries.

    The denominators are powers of 2, invertible mod ``p``: a minor nonzero mod ``p`` is nonzero
    over the rationals, so rank ``n`` here proves rank ``n`` (controllability) exactly.
    """
    n, m = B.shape

    def mod(x: float) -> int:
        q = Fraction(float(x))
        return q.numerator * pow(q.denominator, -1, p) % p

    Ap = [[mod(v) for v in row] for row in A]
    block = [[mod(v) for v in row] for row in B]
    rows = [list(r) for r in block]
    for _ in range(n - 1):
        block = [[sum(Ap[i][k] * block[k][j] for k in range(n)) % p for j in range(m)] for i in range(n)]
        rows = [r + b for r, b in zip(rows, block)]
    rank = 0
    for col in range(n * m):
        pivot = next((i for i in range(rank, n) if rows[i][col]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        inv = pow(rows[rank][col], -1, p)
        rows[rank] = [v * inv % p for v in rows[rank]]
        for i in range(n):
            if i != rank and rows[i][col]:
                f = rows[i][col]
                rows[i] = [(a - f * b) % p for a, b in zip(rows[i], rows[rank])]
        rank += 1
    return rank


def test_reach_is_the_library_decision_not_a_krylov_rank(tmp_path: Path, capsys) -> None:
    net = fast_contracting_48_unit_layer()
    lin = linearize(net, np.zeros(48), np.zeros(3))
    A, B, _ = lin.numeric_matrices()
    # the truth, in exact arithmetic: the Krylov matrix of the float entries has full rank
    assert exact_krylov_rank_mod(A, B, 2**61 - 1) == 48
    decision = is_controllable(lin)
    assert decision.controllable and decision.margin > 1e3
    # the rule analyze used to apply: singular values of the unscaled [B, AB, ...] above n eps sigma_1
    s = np.linalg.svd(krylov_matrix(A, B), compute_uv=False)
    assert np.sum(s > 48 * np.finfo(float).eps * s[0]) <= 30  # 24 here: half the state space missed
    report = analyze_rnn(net, steps=200)
    reach = report["controllability"]
    assert reach["controllable"] is decision.controllable is True
    assert (reach["dimension"], reach["n"], reach["margin"]) == (48, 48, decision.margin)
    np.savez(tmp_path / "w.npz", **dict(zip(("W_h", "W_x", "b"), net.numeric_weights())))
    assert cli.main(["analyze", str(tmp_path / "w.npz"), "--format", "json", "--steps", "200"]) == 0
    (layer,) = json.loads(capsys.readouterr().out)
    assert layer["controllability"]["controllable"] is True and layer["controllability"]["dimension"] == 48
    assert cli.main(["analyze", str(tmp_path / "w.npz"), "--steps", "200"]) == 0
    text = capsys.readouterr().out
    assert "controllable near h*: inputs reach the whole n=48 state space" in text
    assert "24-dimensional" not in text


def test_an_uncontrollable_layer_reports_a_smaller_reachable_dimension() -> None:
    # two units that do not talk to each other and the second gets no input: it is never reached
    net = RNN(np.diag([0.5, 0.3]), [[1.0], [0.0]], [0.0, 0.0], activation="tanh")
    report = analyze_rnn(net, steps=100)
    reach = report["controllability"]
    assert reach["controllable"] is is_controllable(linearize(net, [0.0, 0.0], [0.0])).controllable is False
    assert reach["dimension"] == 1 and reach["least_reachable_eigenvalue"] == pytest.approx([0.3, 0.0])
    assert "not controllable near h*: inputs reach a 1-dimensional subspace" in format_analysis("l", report)


# ------------------------------------------------------------------ transient peak
def test_transient_peak_is_certified_not_cut_off_at_200_steps(tmp_path: Path, capsys) -> None:
    # edges issue 6: analyze scanned k <= 200 and printed 163.9 at k = 200 as the peak
    ref = mp_powers(SLOW_JORDAN)
    k_true = max(range(len(ref)), key=lambda k: ref[k])
    np.savez(tmp_path / "w.npz", W_h=np.array(SLOW_JORDAN), W_x=np.array([[0.0], [1.0]]), b=np.zeros(2))
    report = analyze_rnn(load_weights(tmp_path / "w.npz")[0].net, steps=100)
    g = report["gradients"]
    assert g["transient_peak_certified"] is True and g["transient_peak_k"] == k_true == 999
    assert g["transient_peak"] == pytest.approx(float(ref[k_true]), rel=1e-12)
    assert cli.main(["analyze", str(tmp_path / "w.npz"), "--steps", "100"]) == 0
    assert "max_k ||W_h^k||_2 = 368.064 at k = 999 (certified)" in capsys.readouterr().out


def test_a_transient_peak_that_cannot_be_certified_is_called_a_lower_bound() -> None:
    # rho(W_h) > 1: the powers grow without bound, so the scan's maximum is only "at least"
    net = RNN([[1.001, 1.0], [0.0, 0.999]], [[0.0], [1.0]], [0.0, 0.0], activation="tanh")
    report = analyze_rnn(net, steps=100)
    assert report["gradients"]["transient_peak_certified"] is False
    text = format_analysis("l", report)
    assert "max_k ||W_h^k||_2 >= " in text and "not certified: rho >= 1" in text


def test_reach_reports_a_distance_to_uncontrollability_beside_the_score_ratio() -> None:
    # edges issue 10a: a 6-unit layer whose linearisation at 0 is 1e-10 from uncontrollable,
    # although its weakest Hautus score is 6.6e5 times the tolerance
    A, B = jordan_block_beside_a_near_eigenvalue()
    net = RNN(A, B, np.zeros(6), activation="tanh")
    report = analyze_rnn(net, steps=100)
    reach = report["controllability"]
    decision = is_controllable(linearize(net, np.zeros(6), np.zeros(1)))
    assert reach["controllable"] is True and reach["score_ratio"] == reach["margin"] == decision.score_ratio
    assert reach["distance"] == decision.distance < 1e-9
    assert reach["relative_distance"] == pytest.approx(decision.distance / np.linalg.norm(np.hstack([A, B]), 2))
    text = format_analysis("l", report)
    assert f"distance to uncontrollability {decision.distance:.3g}" in text
