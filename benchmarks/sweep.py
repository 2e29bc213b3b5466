"""Benchmark: a 10^8-point stability map, chunked NumPy sweep vs Dask (local cluster).

    python benchmarks/sweep.py [--side 10000] [--repeats 5] [--chunk 4194304] [--workers 2]

The spectral radius of ``J = [[j00, 0.6], [-0.7, j11]]`` over a ``side x side``
grid of ``(j00, j11)`` (the closed form of ``rnnsym.closed_forms``, fused
backend), written into a float32 ``numpy.memmap`` in a temporary folder by
the NumPy backend, and computed by ``backend="dask"`` on a
``distributed.LocalCluster`` (results reduced to the fraction of stable
points, so nothing of size 10^8 travels back).  Medians of ``--repeats``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

import rnnsym as rs
from rnnsym.closed_forms import _J, spectral_radius_expr
from rnnsym.grids import sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=1 << 22)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    J = _J(2)
    kernel = rs.compile(spectral_radius_expr(2), list(J), backend="fused")
    grid = {str(J[0, 0]): np.linspace(-2, 2, args.side), str(J[1, 1]): np.linspace(-2, 2, args.side)}
    fixed = {str(J[0, 1]): 0.6, str(J[1, 0]): -0.7}
    points = args.side**2
    with tempfile.TemporaryDirectory() as folder:
        out = np.lib.format.open_memmap(f"{folder}/map.npy", mode="w+", dtype=np.float32,
                                        shape=(args.side, args.side))
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            sweep(kernel, grid, fixed=fixed, chunk=args.chunk, out=out)
            times.append(time.perf_counter() - t)
        stable_numpy = float((out < 1).mean())
        numpy_t = statistics.median(times)
    print(f"{points:,}-point stability map, chunk {args.chunk:,}, median of {args.repeats}")
    print(f"  numpy backend (memmap out)   {numpy_t:8.3f} s  {points / numpy_t / 1e6:7.1f} Mpoints/s "
          f"stable fraction {stable_numpy:.4f}")
    try:
        import distributed
    except ImportError:
        print("  dask/distributed not installed: `pip install rnnsym[dask]`")
        return
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            lazy = sweep(kernel, grid, fixed=fixed, chunk=args.chunk, backend="dask", compute=False)
            stable = float((lazy < 1).mean().compute())
            times.append(time.perf_counter() - t)
        dask_t = statistics.median(times)
    print(f"  dask backend ({args.workers} workers)       {dask_t:8.3f} s  {points / dask_t / 1e6:7.1f} Mpoints/s "
          f"stable fraction {stable:.4f}  (numpy time / dask time = {numpy_t / dask_t:.2f})")


if __name__ == "__main__":
    main()
