"""Benchmark: deciding controllability, rnnsym against one eigendecomposition and ctrb + matrix_rank.

Every pair has a known answer by construction: a controllable pair ``(A0, B0)``
or a block-triangular one, ``A0 = [[A11, A12], [0, A22]]``, ``B0 = [B1; 0]``
(``A22`` unreachable: uncontrollable whatever rounding does), then hidden by
a random orthogonal similarity ``(Q A0 Q^T, Q B0)``; ``m = 1`` input.
Families of ``A0``:

- ``normal``: entries N(0, 1/n); uncontrollable: the last n/2 states unreachable.
- ``companion``: the companion matrix of a polynomial with a double root at
  0.3 (rounded, so nearly defective) and random coefficients in [-1, 1]
  otherwise, ``B0 = e_n``; uncontrollable: two such companion blocks of size
  n/2, the second unreachable.
- ``jordan``: Jordan blocks of sizes 7, 5, 3, 2 at 0.6, -0.6, 0.9, -0.9 (as
  many as fit), each reached through its last state, beside a random block
  with eigenvalues within 0.1 of 0 and a random input; uncontrollable: one
  more, unreachable eigenvalue 0.601, hidden inside the perturbed 7-fold
  cluster at 0.6 (which spreads over about ``eps^(1/7)``).

Columns: wrong decisions of rnnsym's ``is_controllable_batch`` (the
row's pairs stacked, as a user with many systems calls it) and of
``is_controllable`` called once per pair (on the first ``--single`` pairs),
the median time per decision of each and its ratio to one
``scipy.linalg.eig(A, left=True)`` per system, then python-control's
``ctrb`` + ``numpy.linalg.matrix_rank`` (default tolerance), where an
overflow, a NaN or a ``LinAlgError`` counts as a wrong decision.  The
methods run ``--repeats`` times interleaved (the order rotates); a ratio is
the median over repeats of the ratio within one repeat, so load that comes
and goes on a shared machine moves both sides alike.  ``--budget`` seconds
per row, method and repeat stops a method that is too slow (the row then
shows how many systems it decided).

BLAS runs single-threaded: ``threadpoolctl`` when installed, else
``OPENBLAS_NUM_THREADS=1`` and friends set before NumPy is imported
(override with ``OMP_NUM_THREADS``).  Benchmarks print figures; they assert
nothing.  Run:

    python benchmarks/controllability.py [--systems 300] [--repeats 3] [--sizes 8 32 64 128 256] [--single 50]
"""

from __future__ import annotations

import os

# Single-threaded BLAS: on a shared machine threaded BLAS makes timings noise.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import contextlib
import statistics
import time
import warnings
from typing import Any

import numpy as np
import scipy.linalg as sla

from rnnsym.linear import controllability as ctl

try:
    import control
except ImportError:  # pragma: no cover - optional
    control = None
try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - optional
    threadpool_limits = None

FAMILIES = ("normal", "companion", "jordan")
JORDAN = ((7, 0.6), (5, -0.6), (3, 0.9), (2, -0.9))
HIDDEN = 0.601


def _companion(coeffs: np.ndarray) -> np.ndarray:
    """Companion matrix (last row ``-coeffs``) of ``z^k + coeffs[k-1] z^(k-1) + ... + coeffs[0]``."""
    k = len(coeffs)
    C = np.diag(np.ones(k - 1), 1)
    C[-1] = -coeffs
    return C


def _near_defective_companion(k: int, rng: np.random.Generator) -> np.ndarray:
    if k < 3:
        return _companion(np.array([0.09, -0.6])[-k:] if k == 2 else np.array([-0.3]))
    q = np.r_[rng.uniform(-1, 1, k - 2)[::-1], 1.0]          # a random monic q, highest power last
    p = np.convolve(q[::-1], [1.0, -0.6, 0.09])[::-1]         # q(z) (z - 0.3)^2, lowest power first
    return _companion(p[:-1])


def _jordan(n: int, rng: np.random.Generator, room: int) -> tuple[np.ndarray, np.ndarray]:
    """Jordan blocks from :data:`JORDAN` (as many as fit in ``room``), then a random block near 0.

    The input reaches each Jordan block through its last state only (a random
    input vector would make a large block nearly uncontrollable: ``sigma_min``
    of ``[J_k(c) - lam I, b]`` vanishes like ``|lam - c|^k`` at the roots of a
    polynomial in ``lam - c`` with the entries of ``b`` as coefficients); the
    random block gets a random input.
    """
    blocks, inputs, used = [], [], 0
    for size, centre in JORDAN:
        if used + size <= room:
            blocks.append(centre * np.eye(size) + np.diag(np.ones(size - 1), 1))
            inputs.append(np.eye(size)[:, -1:])
            used += size
    if n - used:
        blocks.append(rng.normal(0.0, 0.2 / (2 * np.sqrt(n - used)), (n - used, n - used)))
        inputs.append(rng.normal(size=(n - used, 1)))
    return sla.block_diag(*blocks), np.vstack(inputs)


def pair(family: str, n: int, controllable: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One pair of the family, with the answer ``controllable`` by construction."""
    if controllable:
        if family == "normal":
            A0, B0 = rng.normal(0.0, 1 / np.sqrt(n), (n, n)), rng.normal(size=(n, 1))
        elif family == "companion":
            A0, B0 = _near_defective_companion(n, rng), np.eye(n)[:, -1:]
        else:
            A0, B0 = _jordan(n, rng, n - 1)
    else:
        k = n - 1 if family == "jordan" else n // 2          # reachable states
        if family == "normal":
            A11, A22 = rng.normal(0.0, 1 / np.sqrt(n), (k, k)), rng.normal(0.0, 1 / np.sqrt(n), (n - k, n - k))
            B1 = rng.normal(size=(k, 1))
        elif family == "companion":
            A11, A22 = _near_defective_companion(k, rng), _near_defective_companion(n - k, rng)
            B1 = np.eye(k)[:, -1:]
        else:
            (A11, B1), A22 = _jordan(k, rng, k - 1), np.array([[HIDDEN]])
        A0 = np.block([[A11, rng.normal(0.0, 1 / np.sqrt(n), (k, n - k))], [np.zeros((n - k, k)), A22]])
        B0 = np.vstack([B1, np.zeros((n - k, 1))])
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return Q @ A0 @ Q.T, Q @ B0


def ctrb_rank_decides(A: np.ndarray, B: np.ndarray) -> bool | None:
    """``rank ctrb(A, B) == n``; ``None`` (counted wrong) on an overflow, a NaN or a LinAlgError."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            K = control.ctrb(A, B)
            if not np.all(np.isfinite(K)):
                return None
            return int(np.linalg.matrix_rank(K)) == A.shape[0]
        except (np.linalg.LinAlgError, ValueError, OverflowError):
            return None


def ours(batch: list) -> list[bool]:
    """The batched API, as a user with many systems calls it (stacked arrays)."""
    As, Bs = np.stack([A for A, _ in batch]), np.stack([B for _, B in batch])
    return [d.controllable for d in ctl.is_controllable_batch(As, Bs)]


METHODS = {
    "batch": lambda A, B: None,  # the whole row at once, in chunks of CHUNK systems (see run())
    "single": lambda A, B: ctl.is_controllable((A, B)).controllable,
    "eig": lambda A, B: sla.eig(A, left=True),
    "ctrb": ctrb_rank_decides,
}
#: Systems per call of the batched API (so that --budget can stop it between calls).
CHUNK = 100


def run(method: str, batch: list, budget: float) -> tuple[list, float, int]:
    """Answers, seconds per decision and systems decided (fewer than the row when over budget)."""
    answers: list = []
    start = time.perf_counter()
    if method == "batch":
        for first in range(0, len(batch), CHUNK):
            answers += ours(batch[first:first + CHUNK])
            if time.perf_counter() - start > budget:
                break
    else:
        decide = METHODS[method]
        for A, B in batch:
            answers.append(decide(A, B))
            if time.perf_counter() - start > budget:
                break
    return answers, (time.perf_counter() - start) / max(len(answers), 1), len(answers)


def row(batch: list, controllable: bool, repeats: int, budget: float, single: int) -> dict:
    """Each method ``repeats`` times, interleaved (the order rotates): median times, median ratios to eig."""
    methods = ["batch", "single", "eig"] + (["ctrb"] if control is not None else [])
    times: dict[str, list[float]] = {m: [] for m in methods}
    wrong, done = {}, {}
    for r in range(repeats):
        for method in methods[r % len(methods):] + methods[:r % len(methods)]:
            systems = batch[:single] if method == "single" else batch
            answers, seconds, done[method] = run(method, systems, budget)
            times[method].append(seconds)
            if method != "eig":
                wrong[method] = sum(a is not controllable for a in answers)
    out: dict[str, Any] = {m: statistics.median(t) for m, t in times.items()}
    for m in ("batch", "single"):
        out[m + "/eig"] = statistics.median(t / e for t, e in zip(times[m], times["eig"]))
    out["wrong"], out["done"] = wrong, done
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=300, help="systems per row")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 32, 64, 128, 256])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--budget", type=float, default=600.0, help="seconds per row, method and repeat")
    parser.add_argument("--single", type=int, default=50,
                        help="systems of each row decided one at a time by is_controllable (the first ones)")
    args = parser.parse_args()
    limits = threadpool_limits(1) if threadpool_limits is not None else contextlib.nullcontext()
    pinned = "threadpoolctl" if threadpool_limits is not None else "OPENBLAS_NUM_THREADS=1 (no threadpoolctl)"
    columns = [("n", 3), ("family", 9), ("answer", 6), ("wrong", 7), ("batch ms", 8), ("batch/eig", 9),
               ("one ms", 7), ("one/eig", 7), ("eig ms", 7), ("ctrb wrong", 10), ("ctrb ms", 7)]
    print(f"{args.systems} systems per row ({args.single} of them also one at a time), median of "
          f"{args.repeats} interleaved repeats, BLAS pinned by {pinned}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("wrong: batch/one-at-a-time; batch: is_controllable_batch on stacked arrays; one: is_controllable "
          "per pair; eig: scipy.linalg.eig(A, left=True) per pair")
    print("| " + " | ".join(f"{name:>{width}}" for name, width in columns) + " |")
    print("|" + "|".join("-" * (width + 2) for _, width in columns) + "|")
    worst = 0.0
    with limits:
        for n in args.sizes:
            for f, family in enumerate(FAMILIES):
                if family not in args.families:
                    continue
                for controllable in (True, False):
                    rng = np.random.default_rng([n, f, int(controllable)])
                    batch = [pair(family, n, controllable, rng) for _ in range(args.systems)]
                    got = row(batch, controllable, args.repeats, args.budget, args.single)
                    wrong, done = got["wrong"], got["done"]

                    def count(method: str, total: int) -> str:
                        return f"{wrong[method]}" + (f" of {done[method]}" if done[method] < total else "")
                    worst = max(worst, got["batch/eig"])
                    cells = [f"{n}", family, "ctrl" if controllable else "unctrl",
                             f"{count('batch', len(batch))}/{count('single', min(args.single, len(batch)))}",
                             f"{got['batch'] * 1e3:.3f}", f"{got['batch/eig']:.2f}x", f"{got['single'] * 1e3:.3f}",
                             f"{got['single/eig']:.2f}x", f"{got['eig'] * 1e3:.3f}",
                             count("ctrb", len(batch)) if control is not None else "n/a",
                             f"{got['ctrb'] * 1e3:.3f}" if control is not None else "n/a"]
                    print("| " + " | ".join(f"{c:>{w}}" for c, (_, w) in zip(cells, columns)) + " |", flush=True)
    print(f"largest batch/eig ratio: {worst:.2f}x; load average now "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
