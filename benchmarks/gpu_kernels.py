"""Benchmark: GPU backends (jax, cupy) against the device's own copy bandwidth.

    python benchmarks/gpu_kernels.py [--n 200000000] [--repeats 7]

The chapter's SNR formula over ``--n`` float64 points (4 inputs, 1 output:
40 bytes per point).  For each backend: a device-to-device copy of the same
number of bytes (the bandwidth ceiling), ``lambdify(..., "cupy")`` (one
temporary per operation) as the unfused peer, and rnnsym's kernel; medians
of ``--repeats`` after a warm-up, synchronised.  Prints the fraction of copy
bandwidth each reaches and the largest difference from the NumPy backend (in
ULP, on the first 10^6 points).  Backends whose package or device is missing
are reported and skipped.  Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

import numpy as np
import sympy as sp

import rnnsym as rs

X, sigma, a, omega = sp.symbols("X sigma a omega", real=True)
SNR = X**2 * (1 - a**2) / (2 * sigma**2 * (1 - 2 * a * sp.cos(omega) + a**2))
ARGS = [X, sigma, a, omega]


def median_time(fn: Callable[[], Any], sync: Callable[[Any], None], repeats: int) -> float:
    sync(fn())
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        sync(fn())
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def report(name: str, seconds: float, copy: float, nbytes: int) -> None:
    print(f"  {name:34s} {seconds * 1e3:9.2f} ms  {nbytes / seconds / 1e12:6.3f} TB/s  "
          f"{100 * copy / seconds:5.1f}% of copy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2 * 10**8)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    nbytes = args.n * 40
    host = [np.random.default_rng(k).uniform(lo, hi, 10**6)
            for k, (lo, hi) in enumerate([(0.1, 3), (0.1, 3), (-0.99, 0.99), (0, np.pi)])]
    reference = rs.compile(SNR, ARGS)(*host)
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no CUDA device")
    except Exception as exc:
        print(f"cupy: skipped ({type(exc).__name__}: {exc})")
    else:
        inputs = [cupy.random.uniform(lo, hi, args.n) for lo, hi in [(0.1, 3), (0.1, 3), (-0.99, 0.99), (0, np.pi)]]
        src = cupy.empty(args.n * 5)
        dst = cupy.empty_like(src)
        sync = lambda _: cupy.cuda.Device().synchronize()  # noqa: E731
        copy = median_time(lambda: cupy.copyto(dst, src), sync, args.repeats)
        plain = sp.lambdify(ARGS, SNR, "cupy")
        kernel = rs.compile(SNR, ARGS, backend="cupy")
        print(f"cupy: SNR over {args.n:,} float64 points, median of {args.repeats}")
        report("device-to-device copy (ceiling)", copy, copy, nbytes)
        report("lambdify(..., 'cupy') (unfused)", median_time(lambda: plain(*inputs), sync, args.repeats), copy, nbytes)
        report("rnnsym backend='cupy'", median_time(lambda: kernel(*inputs), sync, args.repeats), copy, nbytes)
        got = cupy.asnumpy(kernel(*[cupy.asarray(h) for h in host]))
        print(f"  max difference from the NumPy backend: {np.max(np.abs(got - reference) / np.spacing(np.abs(reference))):.0f} ULP")
    try:
        import jax
        import jax.numpy as jnp

        if jax.default_backend() == "cpu":
            raise RuntimeError("JAX sees no GPU")
    except Exception as exc:
        print(f"jax: skipped ({type(exc).__name__}: {exc})")
        return
    with jax.enable_x64(True):
        keys = jax.random.split(jax.random.PRNGKey(0), 4)
        inputs = [jax.random.uniform(k, (args.n,), dtype=jnp.float64) for k in keys]
        src = jnp.zeros(args.n * 5)
        copy_fn = jax.jit(lambda v: v + 0.0)  # one read, one write of the same bytes
        sync = lambda out: out.block_until_ready()  # noqa: E731
        copy = median_time(lambda: copy_fn(src), sync, args.repeats)
        kernel = rs.compile(SNR, ARGS, backend="jax")
        print(f"jax: SNR over {args.n:,} float64 points, median of {args.repeats}")
        report("device copy (ceiling)", copy, copy, nbytes)
        report("rnnsym backend='jax'", median_time(lambda: kernel(*inputs), sync, args.repeats), copy, nbytes)
        got = np.asarray(kernel(*host))
        print(f"  max difference from the NumPy backend: {np.max(np.abs(got - reference) / np.spacing(np.abs(reference))):.0f} ULP")


if __name__ == "__main__":
    main()
