"""Benchmark: the batched fixed-point sweep against scipy.optimize.fsolve per bias value.

A 2-D tanh RNN with two bistable, weakly coupled units (1 to 9 fixed points
per bias value) and ``--values`` random bias pairs (default 10^5).

* rnnsym: one call of :func:`rnnsym.fixedpoints.sweep.sweep_fixed_points` for all values.
* baseline: ``scipy.optimize.fsolve`` on ``tanh(W h + u) - h`` with its exact
  Jacobian, called once per value and start, (a) from the same nine starts
  the sweep uses (``h0 = tanh(W s + u)``, ``s`` in ``{-1, 0, 1}^2``) and (b) from
  the four starts of a plain multi-start search.  A root counts when
  ``|tanh(W h + u) - h|_inf <= 1e-12`` (the sweep's tolerance); roots closer
  than 1e-7 are merged.  The full loop would take minutes, so fsolve runs on
  ``--fsolve-values`` random values and its time per value is extrapolated.

Both are timed side by side, alternating, ``--repeats`` times; the figures
are medians of wall-clock time (CPU time in brackets).  The fixed points
each found on the common subset are compared with an independent count
(eliminate ``a_2`` and count the sign changes of one function of ``a_1``).
Prints figures; asserts nothing.

    python benchmarks/fixed_points.py [--values 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from typing import Callable

import numpy as np
from scipy.optimize import fsolve

import rnnsym as rs
from rnnsym.fixedpoints.sweep import sweep_fixed_points

W_H = np.array([[2.0, 0.3], [0.2, 2.0]])
TOL = 1e-12
SAME = np.array(list(itertools.product((-1.0, 0.0, 1.0), repeat=2)))      # the sweep's patterns s
PLAIN = np.array([[0.0, 0.0], [0.9, 0.9], [-0.9, -0.9], [0.9, -0.9]])     # h0 of a plain search


def fsolve_all(bias: np.ndarray, starts: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    eye = np.eye(2)
    found = []
    for u in bias:
        def f(h: np.ndarray) -> np.ndarray:
            return np.tanh(W_H @ h + u) - h

        def fprime(h: np.ndarray) -> np.ndarray:
            return (1 / np.cosh(W_H @ h + u) ** 2)[:, None] * W_H - eye

        roots: list[np.ndarray] = []
        for h0 in starts(u):
            h, _, ok, _ = fsolve(f, h0, fprime=fprime, full_output=True, xtol=1e-13)
            if ok == 1 and np.abs(f(h)).max() <= TOL and all(np.abs(h - r).max() > 1e-7 for r in roots):
                roots.append(h)
        found.append(np.array(roots).reshape(-1, 2))
    return found


def eliminated_count(u: np.ndarray, grid: int = 40_000) -> int:
    """Fixed points of ``a = W tanh(a) + u`` from sign changes in ``a_1`` after eliminating ``a_2``."""
    reach = abs(W_H[0, 0]) + abs(W_H[0, 1])
    a1 = np.linspace(u[0] - reach, u[0] + reach, grid)
    t2 = (a1 - W_H[0, 0] * np.tanh(a1) - u[0]) / W_H[0, 1]
    inside = np.abs(t2) < 1
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.arctanh(t2) - W_H[1, 0] * np.tanh(a1) - W_H[1, 1] * t2 - u[1]
    s = np.sign(g)
    return int(np.count_nonzero((s[1:] * s[:-1] < 0) & inside[1:] & inside[:-1]))


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--fsolve-values", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    bias = rng.uniform(-1.0, 1.0, (args.values, 2))
    subset = rng.choice(args.values, size=min(args.fsolve_values, args.values), replace=False)
    net = rs.RNN(W_H)
    runs = {
        "same": lambda u: np.tanh(SAME @ W_H.T + u),
        "plain": lambda u: PLAIN,
    }
    sweep_fixed_points(net, bias[:100])                                  # warm the caches once
    times: dict[str, list[tuple[float, float]]] = {"rnnsym": [], "same": [], "plain": []}
    found: dict[str, list[np.ndarray]] = {}
    for _ in range(args.repeats):                                         # alternate, side by side
        wall, cpu, sweep = timed(lambda: sweep_fixed_points(net, bias, tol=TOL))
        times["rnnsym"].append((wall, cpu))
        for name, starts in runs.items():
            wall, cpu, found[name] = timed(lambda: fsolve_all(bias[subset], starts))
            times[name].append((wall, cpu))

    def per_value(name: str, count: int) -> tuple[float, float]:
        wall = statistics.median(t[0] for t in times[name]) / count
        cpu = statistics.median(t[1] for t in times[name]) / count
        return wall, cpu

    ours = per_value("rnnsym", args.values)
    h = sweep.h[subset]
    residual = np.nanmax(np.abs(np.tanh(np.einsum("ij,pkj->pki", W_H, h) + bias[subset][:, None]) - h))
    reference = sum(eliminated_count(u) for u in bias[subset])
    print(f"2-D tanh RNN W_h = {W_H.tolist()}, {args.values} random bias pairs in [-1, 1]^2; "
          f"medians of {args.repeats} alternating runs, wall clock (CPU in brackets)")
    print(f"rnnsym sweep_fixed_points, all {args.values} values: "
          f"{statistics.median(t[0] for t in times['rnnsym']):.3f} s "
          f"({statistics.median(t[1] for t in times['rnnsym']):.3f} s CPU), "
          f"{ours[0] * 1e6:.2f} us ({ours[1] * 1e6:.2f} us) per value; worst residual on the subset "
          f"{residual:.1e}; suspect values {int(sweep.suspect.sum())}, even counts "
          f"{int(np.count_nonzero(sweep.count % 2 == 0))}")
    labels = {"same": "fsolve from the sweep's 9 starts", "plain": "fsolve from 4 plain starts"}
    for name, label in labels.items():
        theirs = per_value(name, len(subset))
        print(f"{label}, {len(subset)} random values (time per value extrapolated): "
              f"{theirs[0] * 1e6:.1f} us ({theirs[1] * 1e6:.1f} us) per value; ratio fsolve / rnnsym "
              f"{theirs[0] / ours[0]:.1f}x wall ({theirs[1] / ours[1]:.1f}x CPU); target >= 50x")
    print(f"fixed points on the common subset of {len(subset)} values: rnnsym "
          f"{int(sweep.count[subset].sum())}, fsolve 9 starts {sum(len(f) for f in found['same'])}, "
          f"fsolve 4 starts {sum(len(f) for f in found['plain'])}, independent count by elimination "
          f"{reference}")


if __name__ == "__main__":
    main()
