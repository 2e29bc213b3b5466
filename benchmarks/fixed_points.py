"""Benchmark: batched fixed-point sweep vs scipy.optimize.fsolve per bias value.

A 2-D tanh RNN, ``--values`` random bias pairs (default 10^5).  rnnsym's
:func:`~rnnsym.fixed_points.sweep_fixed_points` runs one batched Newton over
all values and ``--starts`` starts; the baseline calls ``fsolve`` once per
value and start (``--fsolve-starts`` starts, the same residual tolerance),
on a random subset of ``--fsolve-values`` values (the full loop would take
minutes), and the ratio compares time per bias value.  Both count the
distinct fixed points found on that common subset.  Medians of ``--repeats``
runs.  Prints figures; asserts nothing.

    python benchmarks/fixed_points.py [--values 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy.optimize import fsolve

import rnnsym as rs
from rnnsym.fixed_points import sweep_fixed_points

W_H = np.array([[2.0, 0.3], [0.2, 2.0]])


def fsolve_sweep(bias: np.ndarray, starts: np.ndarray, tol: float) -> list[np.ndarray]:
    found = []
    for u in bias:
        roots: list[np.ndarray] = []
        for h0 in starts:
            h, _, ok, _ = fsolve(lambda h: np.tanh(W_H @ h + u) - h, h0, full_output=True, xtol=1e-13,
                                 fprime=lambda h: (1 / np.cosh(W_H @ h + u) ** 2)[:, None] * W_H - np.eye(2))
            if ok == 1 and np.abs(np.tanh(W_H @ h + u) - h).max() <= tol and \
                    all(np.abs(h - r).max() > 1e-7 for r in roots):
                roots.append(h)
        found.append(np.array(roots))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--fsolve-values", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=16)
    parser.add_argument("--fsolve-starts", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    bias = rng.uniform(-1.0, 1.0, (args.values, 2))
    subset = rng.choice(args.values, size=min(args.fsolve_values, args.values), replace=False)
    net = rs.RNN(W_H)
    tol = 1e-12
    corners = np.array([[0.0, 0.0], [0.9, 0.9], [-0.9, -0.9], [0.9, -0.9], [-0.9, 0.9]])
    fs_starts = corners[: args.fsolve_starts]

    sweep_fixed_points(net, bias[:100], starts=args.starts)     # compile kernels once
    ours, theirs = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        sweep = sweep_fixed_points(net, bias, starts=args.starts, tol=tol)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        found = fsolve_sweep(bias[subset], fs_starts, tol)
        theirs.append(time.perf_counter() - t0)
    per_ours = statistics.median(ours) / args.values
    per_theirs = statistics.median(theirs) / len(subset)
    h = sweep.h[subset]
    residual = np.nanmax(np.abs(np.tanh(np.einsum("ij,pkj->pki", W_H, h) + bias[subset][:, None]) - h))
    print(f"2-D tanh RNN, {args.values} bias values, medians of {args.repeats} runs")
    print(f"rnnsym batched sweep ({args.starts} starts): {statistics.median(ours):.3f} s total, "
          f"{per_ours * 1e6:.2f} us per value, worst residual on subset {residual:.1e}")
    print(f"fsolve per value ({args.fsolve_starts} starts, {len(subset)} values): "
          f"{statistics.median(theirs):.3f} s, {per_theirs * 1e6:.2f} us per value")
    print(f"ratio (fsolve / rnnsym, per value): {per_theirs / per_ours:.1f}x (target >= 50x)")
    print(f"fixed points found on the common subset: rnnsym {int(sweep.count[subset].sum())}, "
          f"fsolve {sum(len(f) for f in found)}")


if __name__ == "__main__":
    main()
