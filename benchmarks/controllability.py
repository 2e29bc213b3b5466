"""Benchmark: deciding controllability of random systems, rnnsym against ctrb + matrix_rank.

For each size n and family of A (entries N(0, 1/n) or N(0, 1)), m = 1, it
draws systems of two kinds: controllable (random B, controllable almost
surely) and half-controllable (``[[A11, A12], [0, A22]]``, ``B = [B1; 0]``
with blocks of size n/2, hidden by a random orthogonal change of basis).
It reports the share of correct decisions and the median time per decision
(over ``--repeats`` runs of the whole batch) of

- rnnsym: ``rnnsym.linear.controllability.is_controllable`` (left-eigenvector Hautus
  test, PBH fallback on clustered eigenvalues, tolerance 1e-8), with the
  worst margin seen on each kind (margin > 1 means "controllable");
- python-control ``ctrb`` + ``numpy.linalg.matrix_rank`` (its default
  tolerance), when python-control is installed.

BLAS runs single-threaded (set ``OMP_NUM_THREADS`` to override).
Benchmarks print figures; they assert nothing.  Run:

    python benchmarks/controllability.py [--systems 300] [--repeats 5] [--sizes 8 32 64 128]
"""

from __future__ import annotations

import os

# Single-threaded BLAS: on a shared machine threaded BLAS makes timings noise.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from rnnsym.linear.controllability import is_controllable  # noqa: E402

try:
    import control
except ImportError:  # pragma: no cover - optional
    control = None


def systems(n: int, scale: float, half: bool, count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        A = rng.normal(0.0, scale, (n, n))
        B = rng.normal(size=(n, 1))
        if half:
            k = n // 2
            A[k:, :k] = 0.0
            B[k:] = 0.0
            Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
            A, B = Q @ A @ Q.T, Q @ B
        out.append((A, B))
    return out


def ctrb_rank_decides(A: np.ndarray, B: np.ndarray) -> bool:
    return int(np.linalg.matrix_rank(control.ctrb(A, B))) == A.shape[0]


def timed(decide, batch, repeats: int) -> tuple[list, float]:
    times, answers = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        answers = [decide(A, B) for A, B in batch]
        times.append(time.perf_counter() - start)
    return answers, statistics.median(times) / len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 32, 64, 128])
    args = parser.parse_args()
    header = (f"{'n':>4} {'family':>9} {'kind':>5} | {'rnnsym ok':>9} {'worst margin':>12} "
              f"{'ms/decision':>11} | {'ctrb ok':>7} {'ms/decision':>11} | {'time ratio':>10}")
    print(f"{args.systems} systems per row, median of {args.repeats} repeats")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        for family, scale in (("N(0,1/n)", 1 / np.sqrt(n)), ("N(0,1)", 1.0)):
            for half in (False, True):
                batch = systems(n, scale, half, args.systems, seed=n * 10 + int(half) + int(scale == 1.0) * 5)
                decisions, t_ours = timed(lambda A, B: is_controllable((A, B)), batch, args.repeats)
                ok = sum(d.controllable != half for d in decisions) / len(batch)
                margins = [d.margin for d in decisions]
                worst = min(margins) if not half else max(margins)
                line = (f"{n:>4} {family:>9} {'half' if half else 'full':>5} | {ok:>9.1%} "
                        f"{worst:>12.3g} {t_ours * 1e3:>11.3f} | ")
                if control is not None:
                    answers, t_ctrb = timed(ctrb_rank_decides, batch, args.repeats)
                    ok_c = sum(a != half for a in answers) / len(batch)
                    line += f"{ok_c:>7.1%} {t_ctrb * 1e3:>11.3f} | {t_ours / t_ctrb:>9.2f}x"
                else:
                    line += f"{'n/a':>7} {'n/a':>11} | {'n/a':>10}"
                print(line, flush=True)


if __name__ == "__main__":
    main()
