"""Benchmark: batched closed-form spectral radius vs numpy.linalg.eigvals, and its accuracy vs mpmath.

    python benchmarks/spectral_radius.py [--batch 1000000] [--repeats 5] [--sample 300]

Jacobians ``diag(1 - tanh(p)**2) W`` of a random tanh RNN (n = 2 and 3),
``p ~ N(0, 2)``.  Times rnnsym's closed form (fused backend, and the
Jacobian kernel that computes ``phi'`` inside) against LAPACK on the stacked
matrices, interleaved, medians of ``--repeats``.  Accuracy: against the exact
spectral radius of the same float64 matrices (mpmath, 40 digits) on a random
sample, split by the smallest eigenvalue separation.  Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import time

import mpmath
import numpy as np

from rnnsym.closed_forms import batched_spectral_radius, jacobian_spectral_radius


def exact(J: np.ndarray) -> tuple[float, float]:
    with mpmath.workdps(40):
        E = mpmath.eig(mpmath.matrix(J.tolist()), left=False, right=False)
        sep = min(float(abs(a - b)) for i, a in enumerate(E) for b in E[i + 1:])
        return float(max(abs(e) for e in E)), sep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10**6)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    for n in (2, 3):
        W = rng.normal(0, 1.2, (n, n))
        p = rng.normal(0, 2, (args.batch, n))
        J = (1 / np.cosh(p) ** 2)[..., :, None] * W
        batched_spectral_radius(J[:10])
        jacobian_spectral_radius(W, p[:10])  # compile outside the timings
        methods = {"numpy.linalg.eigvals": lambda: np.abs(np.linalg.eigvals(J)).max(-1),
                   "closed form (J given)": lambda: batched_spectral_radius(J),
                   "closed form from (W, p)": lambda: jacobian_spectral_radius(W, p)}
        times: dict[str, list[float]] = {k: [] for k in methods}
        for _ in range(args.repeats):
            for name, fn in methods.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        base = statistics.median(times["numpy.linalg.eigvals"])
        print(f"n = {n}: {args.batch:,} Jacobians, median of {args.repeats}")
        for name, ts in times.items():
            print(f"  {name:26s} {statistics.median(ts):8.4f} s   x{base / statistics.median(ts):6.1f} vs LAPACK")
        idx = rng.choice(args.batch, args.sample, replace=False)
        ours, lapack = batched_spectral_radius(J[idx]), np.abs(np.linalg.eigvals(J[idx])).max(-1)
        rows = [(exact(M), o, l) for M, o, l in zip(J[idx], ours, lapack)]
        err = np.array([abs(o - r) / r for (r, _), o, _ in rows])
        lerr = np.array([abs(l - r) / r for (r, _), _, l in rows])
        sep = np.array([s for (_, s), _, _ in rows])
        wide = sep > 1e-4
        print(f"  accuracy vs mpmath on {args.sample} samples: worst relative error {err.max():.1e} "
              f"(LAPACK {lerr.max():.1e}); where separation > 1e-4 ({wide.sum()}): "
              f"{err[wide].max() if wide.any() else 0:.1e}")
    hard_families(rng, args.sample // 2)


def hard_families(rng: np.random.Generator, count: int) -> None:
    """3x3 matrices built to be hard: the closed form against LAPACK, both against mpmath."""
    print(f"n = 3, hard families ({count} each): worst error, and worst error / max(LAPACK's error, eps)")
    for kind in ("near_repeated", "near_defective", "nearly_triple", "pair_near_real"):
        mats = []
        for _ in range(count):
            lam, d, other = rng.uniform(-1.5, 1.5), 10.0 ** rng.uniform(-10, -2), rng.uniform(-1.5, 1.5)
            D = {"near_repeated": np.diag([lam, lam + d, other]),
                 "near_defective": np.array([[lam, 1, 0], [d, lam, 0], [0, 0, other]]),
                 "nearly_triple": np.array([[lam, 1, 0], [0, lam, 1], [d, 0, lam]]),
                 "pair_near_real": np.array([[lam, d, 0], [-d, lam, 0], [0, 0, other / 3]])}[kind]
            S = rng.normal(size=(3, 3))
            mats.append(S @ D @ np.linalg.inv(S))
        J = np.array(mats)
        rho = np.array([exact(M)[0] for M in J])
        err = np.abs(batched_spectral_radius(J) - rho) / rho
        lerr = np.abs(np.abs(np.linalg.eigvals(J)).max(-1) - rho) / rho
        ratio = err / np.maximum(lerr, np.finfo(float).eps)
        print(f"  {kind:15s} closed form {err.max():.1e}  LAPACK {lerr.max():.1e}  worst ratio {ratio.max():5.2f}")


if __name__ == "__main__":
    main()
