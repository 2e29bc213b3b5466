"""Benchmark: rnnsym's slow-point search against FixedPointFinder on the trained flip-flop networks.

FixedPointFinder (Golub & Sussillo, JOSS 2018; github.com/mattgolub/fixed-point-finder)
is not on PyPI and is never a dependency: pass the path of a local copy.

    git clone https://github.com/mattgolub/fixed-point-finder /tmp/fff
    pip install torch==2.13.0          # the CPU wheel; FixedPointFinderTorch needs only torch and numpy
    python benchmarks/fixed_point_finder.py --fff /tmp/fff [--repeats 3] [--threads 1]

For each committed network (``tests/data/flipflop_gru.npz``,
``flipflop_lstm.npz``: 24 units, trained by ``scripts/train_flipflop.py``)
the state dict is loaded into ``torch.nn.GRU`` / ``nn.LSTM`` for
FixedPointFinderTorch and into rnnsym's ``GRUCell`` / ``LSTMCell``.  An LSTM
is handed to FixedPointFinder as one state vector ``(h, c)`` (a wrapper
module; FixedPointFinderTorch calls ``rnn(input, s0)`` and takes one tensor),
which is the state of rnnsym's ``LSTMCell`` in the same order, so both tools
search the same 48-dimensional map.

Settings are those of FixedPointFinder's ``examples/torch/run_FlipFlop.py``:
``N_INITS = 1024`` initial states drawn by its own ``sample_states`` from
state trajectories of the network on flip-flop inputs (its example: the
hidden states of 128 validation trials; here 128 trials from
``scripts/train_flipflop.py``'s generator, the training distribution,
64 steps, PyTorch's float32 states), with ``NOISE_SCALE = 0.5``;
``max_iters = 10000``, ``lr_init = 1.0``, ``outlier_distance_scale = 10.0``
and its defaults otherwise (``tol_q = 1e-12``, ``tol_dq = 1e-20``,
``tol_unique = 1e-3``, float32, zero input).  The example's
``verbose``/``super_verbose`` printing is off (it changes nothing else).
rnnsym's :func:`~rnnsym.cells.slow_points.find_slow_points` gets the same
array as ``states`` with ``starts = 1024`` (so every state once) and no
noise of its own, and its defaults otherwise (certificates included).

Printed per network: the points each tool reports (rnnsym: fixed, each with
its Krawczyk certificate, or slow; FixedPointFinder does not separate them:
its points are split by its own convergence test ``q < tol_q``), stable or
not by the eigenvalue moduli of the Jacobian (FixedPointFinder:
``is_stable``, the leading modulus below 1; rnnsym: the classification of
:func:`rnnsym.stability.classify_jacobian`), residuals ``|F(s) - s|_inf``
recomputed in float64 by the rnnsym cell at every point of both tools and
each tool's own ``q``, how many points lie outside the cell's state box
(a GRU's ``h`` and an LSTM's ``h`` stay in ``[-1, 1]``: a point outside is
never visited by the network), the matching (each FixedPointFinder point
to the nearest rnnsym point, infinity norm, matched within its
``tol_unique = 1e-3``), and wall time: the two run alternately in one
process, ``--repeats`` times (median), BLAS and torch limited to
``--threads`` threads alike (threadpoolctl, ``torch.set_num_threads``).
Asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from rnnsym.cells import GRUCell, LSTMCell
from rnnsym.cells.slow_points import SlowPointResult, find_slow_points

try:
    import torch
    from torch import nn
except ImportError:   # pragma: no cover - a benchmark peer
    sys.exit("this benchmark needs PyTorch: pip install torch==2.13.0")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
NETWORKS = {"gru": ("flipflop_gru.npz", GRUCell, nn.GRU), "lstm": ("flipflop_lstm.npz", LSTMCell, nn.LSTM)}
#: FixedPointFinder's examples/torch/run_FlipFlop.py
N_INITS, NOISE_SCALE, N_VALID = 1024, 0.5, 128
FPF_HPS = {"max_iters": 10000, "lr_init": 1.0, "outlier_distance_scale": 10.0}


def _train_script() -> Any:
    """``scripts/train_flipflop.py`` (not a package): its flip-flop input generator."""
    spec = importlib.util.spec_from_file_location("train_flipflop", ROOT / "scripts" / "train_flipflop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ConcatenatedLSTM(nn.Module):
    """An ``nn.LSTM`` on one state ``s = (h, c)`` (``(1, batch, 2n)``), the interface FixedPointFinderTorch calls:
    ``output, s_n = rnn(input, s0)``."""

    def __init__(self, lstm: nn.LSTM) -> None:
        super().__init__()
        self.lstm, self.batch_first, self.n = lstm, lstm.batch_first, lstm.hidden_size

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out, (h, c) = self.lstm(x, (s[..., :self.n].contiguous(), s[..., self.n:].contiguous()))
        return out, torch.cat([h, c], dim=-1)


def load(name: str) -> tuple[nn.Module, Any, nn.Module]:
    """``(module for FixedPointFinder, rnnsym cell, the plain torch module)`` of one committed network."""
    file, cell_class, torch_class = NETWORKS[name]
    with np.load(DATA / file) as data:
        arrays = {k: data[k] for k in data.files}
    weights = {k: torch.from_numpy(v) for k, v in arrays.items() if k.endswith("_l0")}
    n_in, n = weights["weight_ih_l0"].shape[1], weights["weight_hh_l0"].shape[1]
    module = torch_class(n_in, n, batch_first=True)
    module.load_state_dict(weights)
    for p in module.parameters():
        p.requires_grad_(False)
    wrapped = ConcatenatedLSTM(module) if torch_class is nn.LSTM else module
    return wrapped, cell_class.from_state_dict(arrays), module


def trajectories(module: nn.Module, inputs: np.ndarray) -> np.ndarray:
    """PyTorch's states ``(trials, T, state_size)`` (float32) on ``inputs``, from the zero state; an LSTM's
    ``(h, c)`` concatenated, stepped one step at a time."""
    x = torch.from_numpy(inputs)
    with torch.no_grad():
        if not isinstance(module, nn.LSTM):
            return module(x)[0].numpy()
        state, out = None, []
        for t in range(x.shape[1]):
            _, state = module(x[:, t:t + 1], state)
            out.append(torch.cat(state, dim=-1)[0].numpy())
    return np.stack(out, axis=1)


def run_fff(finder: Any, module: nn.Module, initial: np.ndarray, m: int) -> tuple[Any, float, float]:
    """FixedPointFinder's points, wall and CPU seconds of ``find_fixed_points`` (optimisation, deduplication,
    outlier removal, Jacobians and their eigenvalues)."""
    fpf = finder(module, verbose=False, super_verbose=False, **FPF_HPS)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")   # its scheduler converts a tensor that requires grad
        wall, cpu = time.perf_counter(), time.process_time()
        unique, _ = fpf.find_fixed_points(initial, np.zeros((1, m), dtype=np.float32))
        return unique, time.perf_counter() - wall, time.process_time() - cpu


def run_rnnsym(cell: Any, initial: np.ndarray) -> tuple[SlowPointResult, float, float]:
    """rnnsym's points, wall and CPU seconds of ``find_slow_points`` (minimisation, Newton polish,
    deduplication, classification, certificates)."""
    wall, cpu = time.perf_counter(), time.process_time()
    found = find_slow_points(cell, np.zeros(cell.m), states=initial.astype(float), starts=len(initial))
    return found, time.perf_counter() - wall, time.process_time() - cpu


def residuals(cell: Any, S: np.ndarray) -> np.ndarray:
    """``|F(s) - s|_inf`` in float64 at each row of ``S`` (zero input)."""
    S = np.asarray(S, dtype=float).reshape(-1, cell.state_size)
    return np.abs(cell.step(S, np.zeros(cell.m)) - S).max(axis=-1) if len(S) else np.zeros(0)


def outside(cell: Any, S: np.ndarray) -> int:
    lo, hi = cell.state_bounds
    return int(np.count_nonzero(np.any((S < lo) | (S > hi), axis=-1)))


def spread(values: np.ndarray) -> str:
    if not len(values):
        return "-"
    return f"{np.median(values):.1e} [{np.min(values):.1e}, {np.max(values):.1e}]"


def _median(times: list[tuple[float, float]], which: int) -> float:
    return statistics.median(t[which] for t in times)


def report(name: str, cell: Any, initial: np.ndarray, agree: float, fff: Any, ours: SlowPointResult,
           t_fff: list[tuple[float, float]], t_ours: list[tuple[float, float]], tol_q: float,
           tol_unique: float) -> None:
    P = ours.states("all")
    fixed = np.array([p.fixed for p in ours.points], dtype=bool)
    stable = np.array([p.kind == "stable" for p in ours.points], dtype=bool)
    certified = sum(p.enclosure is not None for p in ours.fixed)
    X = np.asarray(fff.xstar, dtype=float).reshape(-1, cell.state_size)
    f_stable = np.asarray(fff.is_stable, dtype=bool).reshape(-1)
    f_q = np.asarray(fff.qstar, dtype=float).reshape(-1)
    D = np.abs(X[:, None, :] - P[None]).max(axis=-1) if len(X) and len(P) else np.full((len(X), max(len(P), 1)), np.inf)
    nearest, dist = D.argmin(axis=1), D.min(axis=1)
    matched = dist <= tol_unique
    hits = np.bincount(nearest[matched], minlength=len(P))
    print(f"\n== {name.upper()}: {cell!r} ==")
    print(f"starts: {len(initial)} states sampled by FixedPointFinder.sample_states from {N_VALID} trajectories "
          f"on flip-flop inputs, noise_scale {NOISE_SCALE}; {outside(cell, initial)} lie outside the cell's state box "
          f"(rnnsym projects them onto it; FixedPointFinder starts there)")
    print(f"PyTorch's float32 steps and the rnnsym cell's float64 step agree to {agree:.1e} along those trajectories")
    rows = [
        ("points reported", f"{len(X)}", f"{len(P)}"),
        ("  fixed / slow", f"q < tol_q={tol_q:g}: {int(np.sum(f_q < tol_q))} / {int(np.sum(f_q >= tol_q))}",
         f"{int(fixed.sum())} fixed ({certified} certified) / {int((~fixed).sum())} slow"),
        ("  stable / not stable", f"{int(f_stable.sum())} / {int((~f_stable).sum())}",
         f"{int(stable.sum())} / {int((~stable).sum())}"),
        ("  outside the state box", f"{outside(cell, X)}", f"{outside(cell, P)}"),
        ("|F(s)-s|_inf, float64", spread(residuals(cell, X)), spread(residuals(cell, P))),
        ("own q (FFF float32)", spread(f_q), spread(np.array([p.q for p in ours.points]))),
        (f"matched (|d|_inf <= {tol_unique:g})", f"{int(matched.sum())} of {len(X)}",
         f"{int(np.count_nonzero(hits))} of {len(P)}"),
        ("found only by this tool", f"{int((~matched).sum())}", f"{int(np.sum(hits == 0))}"),
        (f"wall time, median of {len(t_fff)}", f"{_median(t_fff, 0):.2f} s", f"{_median(t_ours, 0):.2f} s"),
        (f"CPU time, median of {len(t_fff)}", f"{_median(t_fff, 1):.2f} s", f"{_median(t_ours, 1):.2f} s"),
    ]
    print(f"{'':30} {'FixedPointFinder':>34} {'rnnsym':>34}")
    for label, a, b in rows:
        print(f"{label:30} {a:>34} {b:>34}")
    print(f"each run, wall/CPU s: FixedPointFinder {', '.join(f'{w:.2f}/{c:.2f}' for w, c in t_fff)}; "
          f"rnnsym {', '.join(f'{w:.2f}/{c:.2f}' for w, c in t_ours)}")
    if len(X):
        print(f"distance from each FixedPointFinder point to the nearest rnnsym point: {spread(dist)}; "
              f"largest |s|_inf of its points: {np.abs(X).max():.2f}")
    print("rnnsym's points (distance to the nearest FixedPointFinder point; FFF points matched to it):")
    for i, p in enumerate(ours.points):
        near = f"{D[:, i].min():.1e}" if len(X) else "-"
        cert = f"radius {p.enclosure.radius:.0e}, alone within {p.enclosure.unique_within:.0e}" if p.enclosure else "-"
        print(f"  {i:2d} {'fixed' if p.fixed else 'slow':5} {p.kind:8} rho {p.stability.spectral_radius:.4f}  "
              f"|F-s| {p.residual:.1e}  q {p.q:.1e}  {cert:38}  nearest FFF {near}  matched {hits[i]}")
    fff_stable = np.flatnonzero(f_stable)
    found = [bool(matched[k] and stable[nearest[k]]) for k in fff_stable]
    agree_kind = [bool(f_stable[k] == stable[nearest[k]]) for k in np.flatnonzero(matched)]
    ratio, cpu_ratio = _median(t_fff, 0) / _median(t_ours, 0), _median(t_fff, 1) / _median(t_ours, 1)
    print(f"stable points of FixedPointFinder matched to a stable rnnsym point: {sum(found)} of {len(found)}; "
          f"matched pairs with the same stability: {sum(agree_kind)} of {len(agree_kind)}")
    print(f"time ratio FixedPointFinder / rnnsym: {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU")
    print(f"Done-when (rnnsym finds every stable point FixedPointFinder finds, faster): "
          f"{'holds' if all(found) and min(ratio, cpu_ratio) > 1 else 'does NOT hold'}"
          f"{' (vacuously for the points: FixedPointFinder reports no stable point)' if not found else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fff", required=True, type=Path,
                        help="a local copy of github.com/mattgolub/fixed-point-finder (holds FixedPointFinderTorch.py)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="threads for torch and for NumPy's BLAS alike")
    parser.add_argument("--networks", nargs="+", choices=sorted(NETWORKS), default=sorted(NETWORKS))
    args = parser.parse_args(argv)
    if not (args.fff / "FixedPointFinderTorch.py").is_file():
        parser.error(f"--fff {args.fff} holds no FixedPointFinderTorch.py; "
                     "git clone https://github.com/mattgolub/fixed-point-finder and pass its path")
    sys.path.insert(0, str(args.fff.resolve()))
    from FixedPointFinderTorch import FixedPointFinderTorch   # noqa: E402 - from the local copy

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, numpy {np.__version__}; {args.threads} thread(s) for torch and BLAS; "
          f"FixedPointFinder from {args.fff}; settings of its examples/torch/run_FlipFlop.py: n_inits {N_INITS}, "
          f"noise_scale {NOISE_SCALE}, {FPF_HPS}, float32")
    script = _train_script()
    for name in args.networks:
        module, cell, plain = load(name)
        inputs, _ = script.flipflop_data(np.random.RandomState(1), N_VALID)
        traj = trajectories(plain, inputs)
        S, Xs = traj[:, :-1].reshape(-1, cell.state_size), inputs[:, 1:].reshape(-1, cell.m)
        agree = float(np.abs(cell.step(S.astype(float), Xs.astype(float)) - traj[:, 1:].reshape(S.shape)).max())
        sampler = FixedPointFinderTorch(module, verbose=False, **FPF_HPS)
        initial = sampler.sample_states(traj, n_inits=N_INITS, noise_scale=NOISE_SCALE)
        t_fff: list[tuple[float, float]] = []
        t_ours: list[tuple[float, float]] = []
        with threadpool_limits(args.threads):
            for _ in range(args.repeats):   # alternating
                fff, *t = run_fff(FixedPointFinderTorch, module, initial, cell.m)
                t_fff.append((t[0], t[1]))
                ours, *t = run_rnnsym(cell, initial)
                t_ours.append((t[0], t[1]))
        report(name, cell, initial, agree, fff, ours, t_fff, t_ours, sampler.tol_q, sampler.tol_unique)
    return 0


if __name__ == "__main__":
    sys.exit(main())
