"""Benchmark: the chapter's SNR as an rnnsym kernel, hand-written NumPy, and SymPy per point.

Run ``python benchmarks/kernels.py`` (``--n`` points, default 10**7;
``--repeats``, default 7; ``--chunk`` points per call, default 10**6 so
memory stays bounded).  All methods are timed side by side in one run on
the same inputs; the figures are medians over the repeats.  SymPy's
``subs``/``evalf`` is timed on a small sample and extrapolated to ``--n``.
Benchmarks print figures; they assert nothing.

Rows:

* ``rnnsym kernel (chapter formula)`` -- ``rs.compile`` of the chapter's
  expression ``X²(1 − a²) / (2σ²(1 − 2a cos ω + a²))``, taken from the
  derived result (its ``0 < ω < π`` branch);
* ``hand-written NumPy`` -- the same formula typed in NumPy;
* ``rnnsym derivation kernel`` -- ``derive("snr").kernel``: the full
  Piecewise (factor 2 at ω ∈ {0, π}), cancellation-free form, domain checks;
* ``SymPy subs/evalf`` -- per point, extrapolated.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import numpy as np

import rnnsym as rs
from rnnsym.linear.filtering import OMEGA, SIGMA, X, a


def _inputs(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.1, 3.0, n), rng.uniform(0.1, 3.0, n),
            rng.uniform(-0.99, 0.99, n), rng.uniform(0.0, np.pi, n))


def hand_written(X_: np.ndarray, sigma: np.ndarray, a_: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """The chapter's SNR typed in NumPy (the baseline)."""
    return X_**2 * (1 - a_**2) / (2 * sigma**2 * (1 - 2 * a_ * np.cos(omega) + a_**2))


def _time_chunked(fn: Callable[..., np.ndarray], arrays: tuple[np.ndarray, ...], chunk: int,
                  out: np.ndarray) -> float:
    start = time.perf_counter()
    for lo in range(0, out.size, chunk):
        hi = min(lo + chunk, out.size)
        out[lo:hi] = fn(*(x[lo:hi] for x in arrays))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**7, help="points (default 10**7)")
    parser.add_argument("--repeats", type=int, default=7, help="repeats, median reported (>= 5)")
    parser.add_argument("--chunk", type=int, default=10**6, help="points per call (bounds memory)")
    parser.add_argument("--sympy-sample", type=int, default=200, help="points timed for SymPy subs/evalf")
    args = parser.parse_args(argv)
    if args.n < 1 or args.chunk < 1 or args.repeats < 1:
        parser.error("`--n`, `--chunk` and `--repeats` must be positive integers")

    derivation = rs.derive("snr")
    chapter = derivation.result.args[-1][0]  # the 0 < omega < pi branch, as derived
    order = [X, SIGMA, a, OMEGA]
    kernel = rs.compile(chapter, order)
    full = derivation.kernel
    arrays = _inputs(args.n)
    out = np.empty(args.n)

    reference = np.empty(args.n)
    _time_chunked(hand_written, arrays, args.chunk, reference)
    _time_chunked(kernel, arrays, args.chunk, out)
    agree = float(np.max(np.abs(out / reference - 1)))

    methods: dict[str, Callable[..., np.ndarray]] = {
        "rnnsym kernel (chapter formula)": kernel,
        "hand-written NumPy": hand_written,
        "rnnsym derivation kernel (Piecewise, stable, checked)": full,
    }
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeats):  # interleaved, so drift hits every method alike
        for name, fn in methods.items():
            times[name].append(_time_chunked(fn, arrays, args.chunk, out))
    medians = {name: statistics.median(ts) for name, ts in times.items()}

    sample = min(args.sympy_sample, args.n)
    start = time.perf_counter()
    for i in range(sample):
        chapter.subs({X: arrays[0][i], SIGMA: arrays[1][i], a: arrays[2][i], OMEGA: arrays[3][i]}).evalf()
    sympy_time = (time.perf_counter() - start) / sample * args.n

    base = medians["hand-written NumPy"]
    print(f"SNR over {args.n:,} points (chunks of {args.chunk:,}), median of {args.repeats} repeats")
    print(f"{'method':55s} {'seconds':>12s} {'ns/point':>10s} {'NumPy time / this':>18s}")
    for name, t in medians.items():
        print(f"{name:55s} {t:12.4f} {t / args.n * 1e9:10.2f} {base / t:18.3f}")
    print(f"{'SymPy subs/evalf per point (extrapolated from ' + str(sample) + ')':55s} "
          f"{sympy_time:12.1f} {sympy_time / args.n * 1e9:10.0f} {base / sympy_time:18.2e}")
    ratio = base / medians["rnnsym kernel (chapter formula)"]
    print(f"ratio (hand-written NumPy time / rnnsym kernel time) = {ratio:.3f} (target >= 1.0); "
          f"max relative difference {agree:.2e}")
    print(f"kernel source:\n{kernel.source}")


if __name__ == "__main__":
    main()
