"""Benchmark: build + compile large symbolic objects, plain SymPy path vs SymEngine path.

    python benchmarks/symbolic_scale.py [--n-jacobian 32] [--n-control 7] [--repeats 5] [--sympy-repeats 1]

(1) The fully symbolic tanh-RNN Jacobian (n = 32): ``RNN.jacobian()`` +
``rnnsym.compile`` (lambdify with CSE) against ``symengine_backend.rnn_jacobian``
+ SymEngine ``Lambdify`` with CSE (both its ``lambda`` and ``llvm`` backends).  (2) The fully symbolic controllability
matrix of ``LinearRNN.symbolic(7, 1)``: the SymPy path (expanded, as
``LinearRNN.controllability_matrix`` builds it, then ``rs.compile``; in a
worker stopped after ``--sympy-timeout`` seconds) against SymEngine
(unexpanded, shared blocks, ``Lambdify`` with CSE).  SymEngine results are
checked equal to the SymPy ones after conversion back (the Jacobian at
n = 32; the controllability matrix, expanded, at n = 3).
Medians of ``--repeats`` (SymPy: ``--sympy-repeats``, default 1 since one
run takes minutes; raise it to 5 for a full median).  Prints figures only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from typing import Callable

import rnnsym as rs
from rnnsym.backends import symengine as seb
from rnnsym.kernel import _CACHE
from rnnsym.linear.system import LinearRNN


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
    parser.add_argument("--sympy-timeout", type=float, default=300.0)
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
    with multiprocessing.Pool(1) as pool:  # the SymPy path may not finish: bound it
        job = pool.apply_async(_sympy_controllability, (args.n_control, args.sympy_repeats))
        try:
            sympy_t: float | None = job.get(timeout=args.sympy_timeout)
        except multiprocessing.TimeoutError:
            sympy_t = None
            pool.terminate()
    small = LinearRNN.symbolic(3, 1)
    same = seb.to_sympy(seb.controllability_matrix(small), small.parameters).applyfunc(
        lambda e: e.expand()) == small.controllability_matrix()
    for backend in ("lambda", "llvm"):
        se_t, _ = median_time(
            lambda: seb.compile(seb.controllability_matrix(system), sys_args, backend=backend), args.repeats)
        sympy_text = f"{sympy_t:.3f} s" if sympy_t is not None else f"> {args.sympy_timeout:.0f} s (stopped)"
        ratio = (sympy_t if sympy_t is not None else args.sympy_timeout) / se_t
        print(f"controllability matrix, n = {args.n_control}: SymPy build (expanded) + compile {sympy_text}, "
              f"SymEngine ({backend}, unexpanded, CSE) {se_t:.4f} s, ratio {'>' if sympy_t is None else ''}"
              f"{ratio:.0f}x; equal to the SymPy path after expansion (n = 3): {same}")


def _sympy_controllability(n: int, repeats: int) -> float:
    system = LinearRNN.symbolic(n, 1)
    return median_time(lambda: rs.compile(system.controllability_matrix(max_terms=10**15), [system.A, system.B]), repeats)[0]


if __name__ == "__main__":
    main()
