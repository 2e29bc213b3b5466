"""Benchmark: build + compile large symbolic objects, plain SymPy path vs SymEngine path.

    python benchmarks/symbolic_scale.py [--n-jacobian 32] [--n-control 7] [--repeats 5] [--sympy-repeats 1]

(1) The fully symbolic tanh-RNN Jacobian (n = 32): ``RNN.jacobian()`` +
``rnnsym.compile`` (lambdify with CSE) against ``symengine_backend.rnn_jacobian``
+ SymEngine ``Lambdify`` with CSE (both its ``lambda`` and ``llvm`` backends).  (2) The fully symbolic controllability
matrix of ``LinearRNN.symbolic(7, 1)``, expanded, then compiled, both ways.
Each SymEngine result is checked equal to the SymPy one (converted back).
Medians of ``--repeats`` (SymPy: ``--sympy-repeats``, default 1 since one
run takes minutes; raise it to 5 for a full median).  Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import rnnsym as rs
from rnnsym import symengine_backend as seb
from rnnsym.kernel import _CACHE
from rnnsym.linear import LinearRNN


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        _CACHE.clear()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-jacobian", type=int, default=32)
    parser.add_argument("--n-control", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sympy-repeats", type=int, default=1)
    args = parser.parse_args()

    net = rs.RNN.symbolic(args.n_jacobian, 1)
    net_args = [net.W_h, net.W_x, net.b, net.h_prev, net.x]
    sympy_t, (J, _) = median_time(lambda: (net.jacobian(), rs.compile(net.jacobian(), net_args)),
                                  args.sympy_repeats)
    for backend in ("lambda", "llvm"):
        se_t, (Jse, _) = median_time(
            lambda: (seb.rnn_jacobian(net), seb.compile(seb.rnn_jacobian(net), net_args, backend=backend)),
            args.repeats)
        same = seb.to_sympy(Jse, net.parameters + tuple(net.h_prev) + tuple(net.x)) == J
        print(f"tanh-RNN Jacobian, n = {args.n_jacobian}: SymPy build+compile {sympy_t:.3f} s, "
              f"SymEngine ({backend}) {se_t:.4f} s, ratio {sympy_t / se_t:.1f}x, equal: {same}")

    system = LinearRNN.symbolic(args.n_control, 1)
    sys_args = [system.A, system.B]
    sympy_t, (C, _) = median_time(
        lambda: (system.controllability_matrix(), rs.compile(system.controllability_matrix(), sys_args)),
        args.sympy_repeats)
    for backend in ("lambda", "llvm"):
        se_t, (Cse, _) = median_time(
            lambda: (seb.controllability_matrix(system),
                     seb.compile(seb.controllability_matrix(system), sys_args, backend=backend)), args.repeats)
        same = seb.to_sympy(Cse, system.parameters) == C
        print(f"controllability matrix, n = {args.n_control}: SymPy build+compile {sympy_t:.3f} s, "
              f"SymEngine ({backend}) {se_t:.4f} s, ratio {sympy_t / se_t:.1f}x, equal: {same}")


if __name__ == "__main__":
    main()
