"""`analyze` at real sizes (issue 18, item 2): the same answers as before at small n, the limits that remain.

``tests/data/analyze_n12.npz`` is a 12-unit tanh network (``W_h ~ N(0, 1.5**2/12)``,
seed 5: two stable fixed points and three saddles, so the controllability
decision runs too) and ``analyze_n12_baseline.json`` is what ``rnnsym
analyze --steps 600 --format json`` printed for it at commit 1bad4df, before
the streamed Lyapunov exponents, the lazy SymPy model and the one-thread BLAS.
The comparison is the benchmark's own (``benchmarks/analyze_sizes.py``,
:func:`compare_reports`), loaded by path because ``benchmarks/`` is not a package.
No timings here: ``benchmarks/analyze_sizes.py`` prints them.
"""

from __future__ import annotations

import importlib.util
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest

import rnnsym as rs
# private names: the stage runner is stubbed to check the up-front limits without the work,
# and the progress line is tested on its own
from rnnsym import analyze as analyze_module
from rnnsym.analyze import analyze_rnn, load_weights
from rnnsym.errors import ResourceLimitError

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("analyze_sizes", Path(__file__).parents[1] / "benchmarks"
                                               / "analyze_sizes.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_analyze_gives_the_answers_of_the_version_before_at_12_units() -> None:
    old = json.loads((DATA / "analyze_n12_baseline.json").read_text())[0]
    new = json.loads(json.dumps(analyze_rnn(load_weights(DATA / "analyze_n12.npz", "tanh")[0].net, steps=600)))
    assert bench.compare_reports(old, new) == []
    kinds = [p["stability"] for p in new["fixed_points"]["points"]]
    assert kinds.count("stable") == 2 and new["controllability"]["controllable"] is True
    assert new["gradients"]["lyapunov_k"] == 12 and len(new["gradients"]["lyapunov_spectrum"]) == 12


def test_the_comparison_notices_a_changed_answer() -> None:
    old = json.loads((DATA / "analyze_n12_baseline.json").read_text())[0]
    for change in ({"spectral_radius": old["spectral_radius"] * (1 + 1e-6)},
                   {"fixed_points": {**old["fixed_points"], "points": old["fixed_points"]["points"][:-1]}},
                   {"gradients": {**old["gradients"], "lyapunov_spectrum":
                                  [v + 1e-5 for v in old["gradients"]["lyapunov_spectrum"]]}}):
        assert bench.compare_reports(old, {**old, **change}) != []


def test_the_lazy_model_is_never_built_by_analyze() -> None:
    net = load_weights(DATA / "analyze_n12.npz", "tanh")[0].net
    analyze_rnn(net, steps=200)
    assert net._symbolic is None  # private: the SymPy matrices were not needed
    rng = np.random.default_rng(0)
    W, Wx, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 2)), rng.standard_normal(4)
    lazy, eager = rs.RNN(W, Wx, b), rs.RNN(W.tolist(), Wx.tolist(), b.tolist())
    assert lazy == eager and hash(lazy) == hash(eager) and lazy.parameters == ()
    assert lazy.jacobian() == eager.jacobian() and lazy.b.shape == (4, 1)


def _reached(monkeypatch: pytest.MonkeyPatch) -> list:
    calls: list = []
    monkeypatch.setattr(analyze_module, "_analysis", lambda net, steps, seed, k, progress, starts: calls.append(
        (net.n, steps, k)) or {"stub": True})
    return calls


def test_1024_units_with_the_default_steps_are_no_longer_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _reached(monkeypatch)
    W = np.random.default_rng(0).standard_normal((1024, 1024)) / 32
    assert analyze_rnn(rs.RNN(W, np.ones((1024, 3))), seed=0) == {"stub": True}
    assert calls == [(1024, 2000, analyze_module.LYAPUNOV_TOP_ABOVE)]


def test_the_step_limits_that_remain(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _reached(monkeypatch)
    net = rs.RNN(0.1 * np.eye(4), np.ones((4, 2)))
    most = analyze_module.MAX_LYAPUNOV_WORK // analyze_module.LYAPUNOV_STEP_FLOOR
    analyze_rnn(net, steps=most)
    with pytest.raises(ResourceLimitError, match=f"steps={most} or fewer"):
        analyze_rnn(net, steps=most + 1)
    wide = rs.RNN(0.1 * np.eye(2), np.ones((2, 4096)))  # 4096 inputs: the inputs' memory is the limit
    with pytest.raises(ResourceLimitError, match=f"steps={analyze_module.MAX_INPUT_FLOATS // 4096} or fewer"):
        analyze_rnn(wide, steps=analyze_module.MAX_INPUT_FLOATS // 4096 + 1)
    assert calls == [(4, most, 4)]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_after_a_second_and_clears(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Terminal()
    monkeypatch.setattr(analyze_module.sys, "stderr", fake)
    progress = analyze_module._Progress("rnnsym analyze (n=9)")
    progress("fixed points")
    time.sleep(1.3)
    progress.close()
    text = fake.getvalue()
    assert "rnnsym analyze (n=9): fixed points (1 s)" in text and text.endswith("\r\033[K")


def test_no_progress_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    analyze_rnn(rs.RNN(0.5 * np.eye(3), np.ones((3, 1))), steps=100)
    assert capsys.readouterr().err == ""
