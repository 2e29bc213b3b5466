"""Helpers of the forget_gate_path derivation (not a derivation): results written over a trajectory's window.

A bound along a trajectory is written with the gates at each step as indexed
symbols, ``f[s, j]`` (unit ``j`` at step ``s``), inside products and sums over
``s = k + 1 .. T``.  :func:`evaluate` evaluates such an expression on a
simulated window: each product or sum from the gate values (products in
logarithms), the rest with mpmath at increasing precision until two agree, so
that products of 100 forget gates near ``1e-9`` (``1e-900``) neither underflow
nor lose the digits a closed form cancels.  :func:`cell_state_norm` is the
2-norm of the ``(c, c)`` block of a product of ``(h, c)`` Jacobians, each row
kept with its own scale.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from rnnsym.gradients import T, k
from rnnsym.kernel import compile as compile_kernel

#: The step index of products and sums along a window.
S = sp.Symbol("s", integer=True)
#: The gates along a trajectory, ``gate[s, j]``: the value at step ``s`` of unit ``j``.
GATES = {g: sp.IndexedBase(g, real=True) for g in "ifgo"}


def windowed(expr: Any) -> tuple[Any, list[tuple]]:
    """``expr`` with each product or sum over ``s`` and each gate entry ``gate[s, j]`` left over replaced by
    a placeholder ``_window0, _window1, ...``: ``(expr, [(placeholder, kind, term, lower, upper)])``.

    ``kind`` is ``"prod"``, ``"sum"`` or ``"entry"`` (``term`` the gate entry, ``lower`` its step).
    """
    items: list[tuple] = []
    loops = sorted(expr.atoms(sp.Product, sp.Sum), key=sp.default_sort_key)
    mapping = {}
    for loop in loops:
        (var, lo, hi), = loop.limits
        ph = sp.Symbol(f"_window{len(items)}")
        items.append((ph, "prod" if isinstance(loop, sp.Product) else "sum", loop.function.xreplace({var: S}),
                      lo.xreplace({var: S}), hi))
        mapping[loop] = ph
    out = expr.xreplace(mapping)
    for entry in sorted(out.atoms(sp.Indexed), key=sp.default_sort_key):
        ph = sp.Symbol(f"_window{len(items)}")
        items.append((ph, "entry", entry, entry.indices[0], None))
        out = out.xreplace({entry: ph})
    return out, items


def _entries(term: Any) -> tuple[Any, list[tuple[str, int]]]:
    """A loop's term with each ``gate[s, j]`` as a plain symbol, and the ``(gate, j)`` they stand for."""
    found = sorted(term.atoms(sp.Indexed), key=sp.default_sort_key)
    keys = []
    for entry in found:
        base, (step, unit) = str(entry.base), entry.indices
        if base not in GATES or step != S or not unit.is_Integer:
            raise ValueError(f"cannot evaluate {entry} along a trajectory (expected gate[s, j])")
        keys.append((base, int(unit)))
    plain = term.xreplace({e: sp.Symbol(f"{b}_{j}") for e, (b, j) in zip(found, keys)})
    if plain.free_symbols - {sp.Symbol(f"{b}_{j}") for b, j in keys}:
        raise ValueError(f"the term {term} depends on more than the gates at step s")
    return plain, keys


@functools.lru_cache(maxsize=128)
def _plan(expr: Any, symbols: tuple, dps: int) -> tuple[Any, list[tuple], list[Any]]:
    replaced, items = windowed(expr)
    args = [item[0] for item in items]
    unknown = replaced.free_symbols - set(args) - set(symbols)
    if unknown:
        raise ValueError(f"the result has symbols no trajectory gives: {sorted(map(str, unknown))}")
    kernel = compile_kernel(replaced, [*args, *symbols], backend="mpmath", dps=dps)
    terms: list[Any] = []
    for _, kind, term, _, _ in items:
        if kind == "entry":
            terms.append(None)
            continue
        plain, keys = _entries(term)
        terms.append((compile_kernel(plain, [sp.Symbol(f"{b}_{j}") for b, j in keys]), keys))
    return kernel, items, terms


def _step(expr: Any, T_: int, k_: int) -> int:
    value = sp.Integer(0) + expr.subs({T: T_, k: k_})
    if not value.is_Integer:
        raise ValueError(f"the step {expr} is not an integer at T = {T_}, k = {k_}")
    return int(value)


def evaluate(expr: Any, window: dict, symbols: tuple, dps: int = 30) -> tuple[Any, Any]:
    """``expr`` on a trajectory's ``window`` (``window[sym]`` for each of ``symbols``, which include ``T`` and
    ``k``, and ``window["gates"][g]``, the gate ``g`` at steps ``0..T`` by rows), as an mpmath number, and a
    bound on its evaluation error.

    Products over ``s`` are summed in logarithms (no underflow at ``1e-900``); the rest is evaluated with
    mpmath at ``dps`` digits, then at twice as many, ... until two agree to 20 digits (at most 1920).
    """
    _, items, terms = _plan(expr, symbols, dps)
    gates, T_, k_ = window["gates"], window[T], window[k]
    values = []
    for (ph, kind, term, lo, hi), compiled in zip(items, terms):
        if kind == "entry":
            s_ = _step(lo, T_, k_)
            if not 1 <= s_ <= T_:
                raise ValueError(f"{term} is outside the simulated steps 1..{T_}")
            values.append(mpmath.mpf(float(gates[str(term.base)][s_, int(term.indices[1])])))
            continue
        a, b = _step(lo, T_, k_), _step(hi, T_, k_)
        if a <= b and not (1 <= a and b <= T_):
            raise ValueError(f"the {kind} over s = {a}..{b} leaves the simulated steps 1..{T_}")
        kernel, keys = compiled
        v = np.broadcast_to(np.asarray(kernel(*[gates[g][a:b + 1, j] for g, j in keys]) if a <= b else
                                       np.zeros(0), dtype=float), (max(b - a + 1, 0),))
        if kind == "sum":
            values.append(mpmath.mpf(math.fsum(v)))
        else:
            sign = -1 if np.count_nonzero(v < 0) % 2 else 1
            values.append(0 if np.any(v == 0) else sign * mpmath.exp(mpmath.mpf(math.fsum(np.log(np.abs(v))))))
    rest = [window[sym] for sym in symbols]
    # A window product as small as 1e-553 beside cancelling terms of size f_max^(T-k) ~ 1e-436 is absorbed
    # at 30 and at 60 digits alike, and two zeros "agree": start with as many more digits as the smallest
    # product has below 1, so no term is lost to another before the comparison.
    smallest = min((abs(v) for v in values if v != 0), default=mpmath.mpf(1))
    if smallest < 1:
        dps += int(-mpmath.log10(smallest)) + 1
    previous = None
    while True:
        kernel = _plan(expr, symbols, dps)[0]
        with mpmath.workdps(dps):
            value = kernel(*values, *rest)
        if previous is not None and (abs(value - previous) <= mpmath.mpf(10) ** -20 * abs(value) or dps >= 1920):
            return value, abs(value - previous) + mpmath.mpf(10) ** (10 - dps) * abs(value)
        previous, dps = value, 2 * dps




def cell_state_norm(jacobians: np.ndarray, n: int) -> Any:
    """``||[J_T ... J_{k+1}]_cc||_2`` as an mpmath number, each row of the product kept with its own
    logarithmic scale: no row underflows beside a larger one (``1e-900`` next to ``1``)."""
    scale = np.concatenate([np.full(n, -np.inf), np.zeros(n)])
    P = np.eye(2 * n)[:, n:]
    with np.errstate(divide="ignore", invalid="ignore"):
        for J in jacobians:
            weight = np.log(np.abs(J)) + scale[None, :]
            top = weight.max(axis=1)
            K = np.where(np.isfinite(top)[:, None], np.sign(J) * np.exp(weight - top[:, None]), 0.0)
            P = np.nan_to_num(K, nan=0.0) @ P
            rows = np.max(np.abs(P), axis=1)
            scale = np.where(rows > 0, top + np.log(np.where(rows > 0, rows, 1.0)), -np.inf)
            P = np.where(rows[:, None] > 0, P / np.where(rows > 0, rows, 1.0)[:, None], 0.0)
    c_scale = scale[n:]
    if not np.isfinite(c_scale).any():
        return mpmath.mpf(0)
    top = float(np.max(c_scale))
    block = np.exp(c_scale - top)[:, None] * P[n:, :]
    return mpmath.mpf(float(np.linalg.norm(block, 2))) * mpmath.exp(top)
