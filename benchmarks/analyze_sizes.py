"""`rnnsym analyze` on random networks of 32 to 1024 units: time, peak memory, and the answers against a baseline.

The networks are ``W_h ~ N(0, 1.2**2 / n)``, ``W_x`` ``n x 3`` standard normal,
``b = 0`` (seed ``n``), written with ``numpy.savez``.  Each run is a fresh
``python -m rnnsym analyze FILE --format json`` subprocess with the caller's
environment (no BLAS thread variables are set here); its wall time and its
own peak resident set size (``os.wait4``'s ``ru_maxrss``) are recorded.
Wall time is the median of ``--repeats`` runs up to 128 units and one run
above.

``--baseline DIR`` runs the same command from another source tree (e.g. a
clean export of an earlier commit, with ``derivations/`` copied to
``rnnsym/derivations``) in the same session, interleaved with the current
tree, and prints the ratio baseline / current beside the absolute figures; a
baseline run that exceeds ``--cap`` seconds is stopped and shown as
``> cap``.  Up to 64 units the two JSON answers are compared
(:func:`compare_reports`: fixed points and their classification, spectral
radius and norm, normality, contraction, transient peak, Lyapunov exponents,
controllability); fields the current version adds are ignored.

``--cells N ...`` (default 256) also times a GRU and an LSTM layer of each
``N`` units in PyTorch's layout (:func:`write_cell`), one run each beside the
baseline, and prints the fixed points each found and from how many starts.

``--eig`` also times ``scipy.linalg.eig`` of a 128 x 128 matrix with
OpenBLAS's default threads and with one thread (threadpoolctl), interleaved,
median of 9.

Example (the figures of issue 18)::

    mkdir /tmp/base && git archive HEAD | tar -x -C /tmp/base
    cp -r /tmp/base/derivations /tmp/base/rnnsym/derivations
    python benchmarks/analyze_sizes.py --baseline /tmp/base --cap 300 --eig
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = (32, 64, 128, 256, 512, 1024)
#: Relative tolerance of the spectral radius, norm, contraction factor and transient peak; absolute
#: tolerance of the Lyapunov exponents (per step) and of the fixed points' coordinates.
RTOL, LYAPUNOV_ATOL, POINT_ATOL = 1e-9, 1e-6, 1e-7


def write_network(folder: Path, n: int) -> Path:
    """The seeded random network of ``n`` units as ``folder/net{n}.npz``."""
    rng = np.random.default_rng(n)
    path = folder / f"net{n}.npz"
    np.savez(path, W_h=rng.standard_normal((n, n)) * 1.2 / math.sqrt(n), W_x=rng.standard_normal((n, 3)),
             b=np.zeros(n))
    return path


def write_cell(folder: Path, kind: str, n: int) -> Path:
    """A seeded random ``nn.GRU`` or ``nn.LSTM`` layer of ``n`` units as PyTorch's state dict, ``folder/{kind}{n}.npz``."""
    rng = np.random.default_rng(n)
    rows, k = (3 if kind == "gru" else 4) * n, 1 / math.sqrt(n)
    path = folder / f"{kind}{n}.npz"
    np.savez(path, weight_ih_l0=rng.uniform(-k, k, (rows, 3)), weight_hh_l0=rng.standard_normal((rows, n)) * 2 * k,
             bias_ih_l0=rng.uniform(-k, k, rows), bias_hh_l0=rng.uniform(-k, k, rows))
    return path


def run_analyze(tree: Path, weights: Path, cap: float | None) -> tuple[float | None, float, Any]:
    """``(wall seconds or None past cap, peak RSS in MB, parsed JSON or None)`` of one analyze subprocess
    (``--activation tanh`` for a simple RNN; a GRU or LSTM file names its own)."""
    activation = [] if weights.name.startswith(("gru", "lstm")) else ["--activation", "tanh"]
    env = dict(os.environ, PYTHONPATH=str(tree))
    with tempfile.TemporaryDirectory() as cwd, open(Path(cwd) / "out.json", "w+") as out:
        start = time.perf_counter()  # cwd is empty: `-m` puts it first on sys.path, so `tree` is what runs
        proc = subprocess.Popen([sys.executable, "-m", "rnnsym", "analyze", str(weights), *activation,
                                 "--format", "json"], cwd=cwd, env=env, stdout=out, stderr=subprocess.PIPE)
        deadline = None if cap is None else start + cap
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return None, math.nan, None
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:  # e.g. a version that refuses the size: the message instead of answers
            return wall, usage.ru_maxrss / 1024, f"exit {proc.returncode}: {err.strip().splitlines()[-1][:120]}"
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, json.load(out)


def _close(a: float | None, b: float | None, rtol: float) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


def compare_reports(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Where two ``analyze_rnn`` results disagree (empty: the same answers, to the module's tolerances).

    Compared: the fixed points (number, coordinates, classification, ``rho``), completeness, spectral
    radius and norm, normality, the contraction factor, the transient peak and where it is, the
    Lyapunov exponents present in both (the new output may list only the top ``k``), and the
    controllability decision.  Fields only one side has are not compared.
    """
    diffs = []
    for key in ("spectral_radius", "spectral_norm"):
        if not _close(old[key], new[key], RTOL):
            diffs.append(f"{key}: {old[key]!r} vs {new[key]!r}")
    if old["normal"] != new["normal"]:
        diffs.append(f"normal: {old['normal']} vs {new['normal']}")
    if not _close(old["contraction"]["q"], new["contraction"]["q"], RTOL):
        diffs.append(f"contraction q: {old['contraction']['q']!r} vs {new['contraction']['q']!r}")
    fo, fn = old["fixed_points"], new["fixed_points"]
    if fo["complete"] != fn["complete"] or fo["certificate"] != fn["certificate"]:
        diffs.append(f"fixed points complete/certificate: {fo['complete']}/{fo['certificate']} vs "
                     f"{fn['complete']}/{fn['certificate']}")
    if len(fo["points"]) != len(fn["points"]):
        diffs.append(f"fixed points: {len(fo['points'])} vs {len(fn['points'])}")
    else:
        for i, (p, q) in enumerate(zip(fo["points"], fn["points"])):
            if p["stability"] != q["stability"] or not _close(p["spectral_radius"], q["spectral_radius"], 1e-7) \
                    or np.abs(np.subtract(p["h"], q["h"])).max() > POINT_ATOL:
                diffs.append(f"fixed point {i}: {p['stability']} rho={p['spectral_radius']:.9g} vs "
                             f"{q['stability']} rho={q['spectral_radius']:.9g}")
    go, gn = old["gradients"], new["gradients"]
    if not _close(go["bound_factor"], gn["bound_factor"], RTOL):
        diffs.append(f"bound_factor: {go['bound_factor']!r} vs {gn['bound_factor']!r}")
    for key in ("transient_peak_k", "transient_peak_certified", "transient_steps_scanned"):
        if go[key] != gn[key]:
            diffs.append(f"{key}: {go[key]!r} vs {gn[key]!r}")
    if not _close(go["transient_peak"], gn["transient_peak"], 1e-6):
        diffs.append(f"transient_peak: {go['transient_peak']!r} vs {gn['transient_peak']!r}")
    lo, ln = go["lyapunov_spectrum"], gn["lyapunov_spectrum"]
    worst = max((abs(a - b) for a, b in zip(lo, ln)), default=0.0)
    if worst > LYAPUNOV_ATOL or not ln:
        diffs.append(f"Lyapunov exponents differ by up to {worst:.3g} (tolerance {LYAPUNOV_ATOL:g})")
    co, cn = old["controllability"], new["controllability"]
    if bool(co) != bool(cn) or (co and (co["controllable"] != cn["controllable"]
                                        or co["dimension"] != cn["dimension"])):
        diffs.append(f"controllability: {co.get('controllable')} vs {cn.get('controllable')}")
    return diffs


def time_eig(repeats: int = 9) -> tuple[float, float]:
    """Median seconds of ``scipy.linalg.eig`` at n = 128 with default BLAS threads and with one, interleaved."""
    import scipy.linalg as sla
    from threadpoolctl import threadpool_limits

    A = np.random.default_rng(0).standard_normal((128, 128))
    default, single = [], []
    for _ in range(repeats):
        for out, limit in ((default, None), (single, 1)):
            with threadpool_limits(limits=limit, user_api="blas"):
                start = time.perf_counter()
                sla.eig(A)
                out.append(time.perf_counter() - start)
    return statistics.median(default), statistics.median(single)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=3, help="runs per size up to 128 units (median)")
    parser.add_argument("--baseline", type=Path, default=None, help="source tree of the version to compare with")
    parser.add_argument("--cap", type=float, default=300.0, help="seconds after which a baseline run is stopped")
    parser.add_argument("--cells", type=int, nargs="*", default=[256],
                        help="units of the GRU and LSTM layers to time (PyTorch layout; none: skip)")
    parser.add_argument("--eig", action="store_true", help="also time eig at n = 128, default vs one BLAS thread")
    args = parser.parse_args(argv)
    threads = {k: v for k, v in os.environ.items() if k.endswith("_NUM_THREADS")}
    print(f"# rnnsym analyze, random W_h ~ N(0, 1.2^2/n), W_x n x 3; {os.cpu_count()} CPUs; "
          f"thread variables: {threads or 'none'}; ratio = baseline / current (same run)")
    if args.eig:
        default, single = time_eig()
        print(f"# scipy.linalg.eig, n = 128, median of 9: default BLAS threads {1e3 * default:.1f} ms, "
              f"one thread {1e3 * single:.1f} ms (x{default / single:.1f})")
    print(f"{'n':>5} {'baseline s':>11} {'current s':>10} {'ratio':>7} {'base MB':>8} {'cur MB':>7}  answers")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            m = Measurement(write_network(Path(tmp), n), args.repeats if n <= 128 else 1, args)
            if m.base_json is None or isinstance(m.base_json, str):
                answers = "-" if args.baseline is None else f"baseline: {m.t_base}"
            else:
                diffs = compare_reports(m.base_json[0], m.cur_json[0]) if n <= 64 else None
                answers = ("same" if not diffs else "DIFFERENT: " + "; ".join(diffs)) if diffs is not None \
                    else "(not compared above 64 units)"
            g = m.cur_json[0]["gradients"]
            note = (f"; k={g.get('lyapunov_k')} exponents over {g.get('lyapunov_steps')} steps"
                    f"{' (converged)' if g.get('lyapunov_converged') else ''}; "
                    f"{len(m.cur_json[0]['fixed_points']['points'])} fixed point(s)")
            print(f"{n:>5} {m.row()}  {answers}{note}", flush=True)
        if args.cells:
            print("\n# GRU and LSTM layers (PyTorch layout): weight_hh ~ N(0, 2^2/n), weight_ih n x 3 and biases "
                  "U(-1/sqrt(n), 1/sqrt(n)), seed n; one run each")
            print(f"{'cell':>9} {'baseline s':>11} {'current s':>10} {'ratio':>7} {'base MB':>8} {'cur MB':>7}  "
                  "fixed points (baseline / current), starts")
        for n in args.cells:
            for kind in ("gru", "lstm"):
                m = Measurement(write_cell(Path(tmp), kind, n), 1, args)
                found = [_cell_summary(j) for j in (m.base_json, m.cur_json)]
                print(f"{kind.upper() + str(n):>9} {m.row()}  {found[0]} / {found[1]}", flush=True)


def _cell_summary(result: Any) -> str:
    if not isinstance(result, list):
        return "-"
    layer = result[0]
    return (f"{layer['fixed_points']['counts']} ({layer['fixed_points']['certified']} certified), "
            f"{layer['search']['starts']} starts")


class Measurement:
    """``analyze`` on ``weights`` ``runs`` times (current) interleaved with the baseline (if any)."""

    def __init__(self, weights: Path, runs: int, args: argparse.Namespace) -> None:
        cur: list[float] = []
        base: list[float] = []
        self.cur_mb: list[float] = []
        self.base_mb: list[float] = []
        self.cur_json: Any = None
        self.base_json: Any = None
        over = False
        for _ in range(runs):  # interleaved, so both see the same machine load
            wall, mb, self.cur_json = run_analyze(ROOT, weights, None)
            if isinstance(self.cur_json, str):
                raise RuntimeError(f"analyze {weights.name}: {self.cur_json}")
            cur.append(wall)
            self.cur_mb.append(mb)
            if args.baseline is not None and not over:
                wall, mb, self.base_json = run_analyze(args.baseline, weights, args.cap)
                over = wall is None or isinstance(self.base_json, str)
                if not over:
                    base.append(wall)
                    self.base_mb.append(mb)
        self.t_cur = statistics.median(cur)
        if args.baseline is None:
            self.t_base, self.ratio = "-", "-"
        elif over and isinstance(self.base_json, str):
            self.t_base, self.ratio = "refused", "-"
        elif over:
            self.t_base, self.ratio = f"> {args.cap:g}", f"> {args.cap / self.t_cur:.1f}"
            self.base_json = None
        else:
            self.t_base = f"{statistics.median(base):.2f}"
            self.ratio = f"{statistics.median(base) / self.t_cur:.2f}"

    def row(self) -> str:
        base_rss = f"{max(self.base_mb):.0f}" if self.base_mb else "-"
        return f"{self.t_base:>11} {self.t_cur:>10.2f} {self.ratio:>7} {base_rss:>8} {max(self.cur_mb):>7.0f}"


if __name__ == "__main__":
    main()
