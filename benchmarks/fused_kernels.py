"""Benchmark: generated fused (numba) kernels vs the loops a person writes by hand.

    python benchmarks/fused_kernels.py [--n 10000000] [--repeats 9]

Three kernels, each timed side by side on the same inputs, interleaved,
median of ``--repeats``:

* the chapter's SNR formula (4 scalar inputs);
* the closed-form spectral radius of the 2x2 Jacobian ``diag(1 - tanh(a)^2) W``
  (the kernel :func:`rnnsym.closed_forms.jacobian_spectral_radius` runs);
* one entry of the tanh gradient product ``prod_t diag(1 - tanh(a_t)^2) W``
  over 3 steps of a 2-unit network (SymPy builds the product from the model).

Peers: hand-written NumPy and a hand-written ``@njit(parallel=True)``
``prange`` loop (output allocated inside, no fastmath), compiled once
before timing.  Goal (issue 18): every fused kernel at least 0.95x the
hand-written prange loop.  The largest relative difference between the two
is printed as a sanity check (they evaluate the same mathematics by
different formulas).  Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

import numba
import numpy as np
import sympy as sp

import rnnsym as rs
from rnnsym.activations import Z, get_activation
from rnnsym.closed_forms import _jacobian_kernel

X, sigma, a, omega = sp.symbols("X sigma a omega", real=True)
SNR = X**2 * (1 - a**2) / (2 * sigma**2 * (1 - 2 * a * sp.cos(omega) + a**2))


def snr_numpy(X_: np.ndarray, s: np.ndarray, a_: np.ndarray, w: np.ndarray) -> np.ndarray:
    return X_**2 * (1 - a_**2) / (2 * s**2 * (1 - 2 * a_ * np.cos(w) + a_**2))


@numba.njit(parallel=True, fastmath=False, error_model="numpy")
def snr_prange(X_, s, a_, w):  # type: ignore[no-untyped-def]
    out = np.empty(X_.shape[0])
    for i in numba.prange(X_.shape[0]):
        out[i] = X_[i] ** 2 * (1 - a_[i] ** 2) / (2 * s[i] ** 2 * (1 - 2 * a_[i] * np.cos(w[i]) + a_[i] ** 2))
    return out


def rho_numpy(pre: np.ndarray, W: np.ndarray) -> np.ndarray:
    d = 1 - np.tanh(pre) ** 2
    j00, j01, j10, j11 = d[:, 0] * W[0, 0], d[:, 0] * W[0, 1], d[:, 1] * W[1, 0], d[:, 1] * W[1, 1]
    half, det = (j00 + j11) / 2, j00 * j11 - j01 * j10
    disc = half**2 - det
    root = np.sqrt(np.abs(disc))
    return np.where(disc >= 0, np.abs(half) + root, np.sqrt(np.abs(det)))


@numba.njit(parallel=True, fastmath=False, error_model="numpy")
def rho_prange(pre, W):  # type: ignore[no-untyped-def]
    out = np.empty(pre.shape[0])
    for i in numba.prange(pre.shape[0]):
        d0 = 1 - np.tanh(pre[i, 0]) ** 2
        d1 = 1 - np.tanh(pre[i, 1]) ** 2
        j00, j01, j10, j11 = d0 * W[0, 0], d0 * W[0, 1], d1 * W[1, 0], d1 * W[1, 1]
        half, det = (j00 + j11) / 2, j00 * j11 - j01 * j10
        disc = half * half - det
        out[i] = abs(half) + np.sqrt(disc) if disc >= 0 else np.sqrt(abs(det))
    return out


def product_entry() -> tuple[sp.Expr, list[sp.Symbol], sp.Matrix]:
    """Entry (0, 0) of ``J_3 J_2 J_1`` with ``J_t = diag(phi'(a_t)) W``, built by SymPy from the model."""
    W = sp.Matrix(2, 2, sp.symbols("w0:4", real=True))
    steps = [sp.symbols(f"a{t}_0:2", real=True) for t in range(3)]
    act = get_activation("tanh")
    product = sp.eye(2)
    for pre in steps:
        D = sp.diag(*[act.derivative_expr.subs(Z, p) for p in pre])
        product = D * W * product
    return product[0, 0], [p for pre in steps for p in pre], W


def product_numpy(pre: np.ndarray, W: np.ndarray) -> np.ndarray:
    d = 1 - np.tanh(pre) ** 2          # (N, 6): a_t,i at column 2t + i
    P00, P01, P10, P11 = np.ones(len(pre)), np.zeros(len(pre)), np.zeros(len(pre)), np.ones(len(pre))
    for t in range(3):
        j00, j01 = d[:, 2 * t] * W[0, 0], d[:, 2 * t] * W[0, 1]
        j10, j11 = d[:, 2 * t + 1] * W[1, 0], d[:, 2 * t + 1] * W[1, 1]
        P00, P01, P10, P11 = j00 * P00 + j01 * P10, j00 * P01 + j01 * P11, j10 * P00 + j11 * P10, j10 * P01 + j11 * P11
    return P00


@numba.njit(parallel=True, fastmath=False, error_model="numpy")
def product_prange(pre, W):  # type: ignore[no-untyped-def]
    out = np.empty(pre.shape[0])
    for i in numba.prange(pre.shape[0]):
        p00, p01, p10, p11 = 1.0, 0.0, 0.0, 1.0
        for t in range(3):
            d0 = 1 - np.tanh(pre[i, 2 * t]) ** 2
            d1 = 1 - np.tanh(pre[i, 2 * t + 1]) ** 2
            j00, j01, j10, j11 = d0 * W[0, 0], d0 * W[0, 1], d1 * W[1, 0], d1 * W[1, 1]
            p00, p01, p10, p11 = j00 * p00 + j01 * p10, j00 * p01 + j01 * p11, j10 * p00 + j11 * p10, j10 * p01 + j11 * p11
        out[i] = p00
    return out


def cases(n: int) -> dict[str, dict[str, Callable[[], Any]]]:
    rng = np.random.default_rng(0)
    snr_data = (rng.uniform(0.1, 3, n), rng.uniform(0.1, 3, n), rng.uniform(-0.99, 0.99, n), rng.uniform(0, np.pi, n))
    snr_fused = rs.compile(SNR, [X, sigma, a, omega], backend="fused")
    W2 = np.array([[0.9, -1.3], [0.7, 0.4]])
    pre2 = rng.normal(0, 2, (n, 2))
    rho_fused = _jacobian_kernel(2, get_activation("tanh"), "fused")
    entry, syms, Wsym = product_entry()
    pre6 = rng.normal(0, 1, (n, 6))
    entry_fused = rs.compile(entry.subs(dict(zip(Wsym, W2.ravel()))), [sp.Matrix(syms)], backend="fused")
    return {
        "SNR (4 scalars)": {
            "hand-written NumPy": lambda: snr_numpy(*snr_data),
            "hand-written prange": lambda: snr_prange(*snr_data),
            "rnnsym fused": lambda: snr_fused(*snr_data)},
        "2x2 Jacobian spectral radius": {
            "hand-written NumPy": lambda: rho_numpy(pre2, W2),
            "hand-written prange": lambda: rho_prange(pre2, W2),
            "rnnsym fused": lambda: rho_fused(pre2, W2)},
        "tanh gradient product entry (T=3)": {
            "hand-written NumPy": lambda: product_numpy(pre6, W2),
            "hand-written prange": lambda: product_prange(pre6, W2),
            "rnnsym fused": lambda: entry_fused(pre6)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**7)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print(f"{args.n:,} float64 points per kernel, interleaved, median of {args.repeats}; numba threads "
          f"{numba.get_num_threads()}")
    for name, methods in cases(args.n).items():
        results = {k: np.asarray(fn(), dtype=float) for k, fn in methods.items()}   # compiles, warms
        ref = results["hand-written prange"]
        diff = float(np.max(np.abs(results["rnnsym fused"] - ref) / np.maximum(np.abs(ref), 1e-300)))
        times: dict[str, list[float]] = {k: [] for k in methods}
        for _ in range(args.repeats):
            for k, fn in methods.items():
                t = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\n{name}")
        for k, m in med.items():
            print(f"  {k:22s} {m:8.4f} s   x{med['hand-written prange'] / m:5.2f} of the prange loop")
        print(f"  fused / prange speed: {med['hand-written prange'] / med['rnnsym fused']:.2f}x "
              f"(goal >= 0.95); largest relative difference {diff:.1e}")


if __name__ == "__main__":
    main()
