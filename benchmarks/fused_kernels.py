"""Benchmark: the chapter's SNR formula, fused (numba) kernel vs hand-written NumPy vs lambdify.

    python benchmarks/fused_kernels.py [--n 10000000] [--repeats 5]

All methods run side by side on the same inputs, interleaved; medians of
``--repeats``.  Also reports the largest difference from the NumPy backend
(same expression) in ULP.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import sympy as sp

import rnnsym as rs

X, sigma, a, omega = sp.symbols("X sigma a omega", real=True)
SNR = X**2 * (1 - a**2) / (2 * sigma**2 * (1 - 2 * a * sp.cos(omega) + a**2))


def hand_written(X_, s, a_, w):
    return X_**2 * (1 - a_**2) / (2 * s**2 * (1 - 2 * a_ * np.cos(w) + a_**2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**7)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    data = (rng.uniform(0.1, 3, args.n), rng.uniform(0.1, 3, args.n),
            rng.uniform(-0.99, 0.99, args.n), rng.uniform(0, np.pi, args.n))
    fused = rs.compile(SNR, [X, sigma, a, omega], backend="fused")
    numpy = rs.compile(SNR, [X, sigma, a, omega], backend="numpy")
    methods = {"hand-written NumPy": hand_written, "rnnsym numpy (lambdify)": numpy,
               f"rnnsym fused ({fused.engine})": fused}
    ref = numpy(*data)  # the same expression, NumPy backend
    ulp = np.max(np.abs(fused(*data) - ref) / np.spacing(np.abs(ref)))
    times: dict[str, list[float]] = {k: [] for k in methods}
    for _ in range(args.repeats):
        for name, fn in methods.items():
            t = time.perf_counter()
            fn(*data)
            times[name].append(time.perf_counter() - t)
    base = statistics.median(times["hand-written NumPy"])
    print(f"SNR over {args.n:,} float64 points, median of {args.repeats}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:30s} {med:8.4f} s  {args.n * 40 / med / 1e9:6.2f} GB/s moved  x{base / med:5.2f} vs NumPy")
    print(f"fused / hand-written NumPy speed-up: {base / statistics.median(times[list(methods)[-1]]):.2f}x; "
          f"max difference from the NumPy backend {ulp:.0f} ULP")


if __name__ == "__main__":
    main()
