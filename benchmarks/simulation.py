"""Benchmark: batched RNN simulation, rnnsym vs torch.nn.RNN (2 threads) vs a plain NumPy loop.

    python benchmarks/simulation.py [--repeats 5] [--small-batch 100000] [--small-steps 1000]

Case 1: n = 64, m = 16, B = 1024, T = 200, float32 -- rnnsym's matmul method
against ``torch.nn.RNN`` (CPU, ``torch.set_num_threads(2)``; install
``torch==2.13.0`` in the benchmark's environment: it is never a dependency of
rnnsym; skipped when absent) and a plain NumPy loop.  Case 2: n = 2, m = 1,
B = 1e5, T = 1000 -- the derived, fused elementwise scan against the matmul
loop.  Medians of ``--repeats``, interleaved.  Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import numpy as np

import rnnsym as rs
from rnnsym.simulate import simulate_batch


def plain_numpy(W_h, W_x, b, xs):
    h = np.zeros((xs.shape[0], W_h.shape[0]), xs.dtype)
    out = []
    for t in range(xs.shape[1]):
        h = np.tanh(h @ W_h.T + xs[:, t] @ W_x.T + b)
        out.append(h)
    return np.stack(out, axis=1)


def timed(methods: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in methods}
    for _ in range(repeats):
        for name, fn in methods.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--small-batch", type=int, default=100_000)
    parser.add_argument("--small-steps", type=int, default=1000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, m, B, T = 64, 16, 1024, 200
    net = rs.RNN(rng.normal(0, 1 / np.sqrt(n), (n, n)), rng.normal(0, 0.3, (n, m)), rng.normal(0, 0.1, n))
    W_h, W_x, b = (a.astype(np.float32) for a in net.numeric_weights())
    xs = rng.normal(size=(B, T, m)).astype(np.float32)
    out = np.empty((B, T, n), np.float32)
    methods: dict[str, Callable[[], object]] = {
        "rnnsym simulate_batch (matmul)": lambda: simulate_batch(net, xs, out=out, method="matmul"),
        "plain NumPy loop": lambda: plain_numpy(W_h, W_x, b, xs)}
    try:
        import torch

        torch.set_num_threads(2)
        rnn = torch.nn.RNN(m, n, batch_first=True)
        with torch.no_grad():
            rnn.weight_hh_l0.copy_(torch.from_numpy(W_h))
            rnn.weight_ih_l0.copy_(torch.from_numpy(W_x))
            rnn.bias_ih_l0.copy_(torch.from_numpy(b))
            rnn.bias_hh_l0.zero_()
        tx = torch.from_numpy(xs)

        def run_torch() -> object:
            with torch.no_grad():
                return rnn(tx)[0]
        methods["torch.nn.RNN (2 threads)"] = run_torch
        diff = float(np.abs(run_torch().numpy() - simulate_batch(net, xs, method="matmul")).max())
    except ImportError:
        diff = float("nan")
        print("torch is not installed: `pip install torch==2.13.0` to add the peer")
    med = timed(methods, args.repeats)
    print(f"n={n} m={m} B={B} T={T} float32, median of {args.repeats}")
    ours = med["rnnsym simulate_batch (matmul)"]
    for name, t in med.items():
        print(f"  {name:34s} {t:8.4f} s   this / rnnsym = {t / ours:5.2f}")
    print(f"  max |torch - rnnsym| = {diff:.1e}")

    n, m, B, T = 2, 1, args.small_batch, args.small_steps
    tiny = rs.RNN(rng.normal(0, 0.8, (n, n)), rng.normal(size=(n, m)), rng.normal(0, 0.1, n))
    xs = rng.normal(size=(B, T, m)).astype(np.float32)
    out = np.empty((B, T, n), np.float32)
    simulate_batch(tiny, xs[:2, :2], method="fused")  # compile outside the timings
    med = timed({"matmul loop": lambda: simulate_batch(tiny, xs, out=out, method="matmul"),
                 "fused derived scan": lambda: simulate_batch(tiny, xs, out=out, method="fused")}, args.repeats)
    print(f"n={n} m={m} B={B:,} T={T} float32, median of {args.repeats}")
    for name, t in med.items():
        print(f"  {name:34s} {t:8.4f} s")
    print(f"  fused / matmul speed-up: {med['matmul loop'] / med['fused derived scan']:.2f}x")


if __name__ == "__main__":
    main()
