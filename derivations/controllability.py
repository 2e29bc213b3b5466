"""Controllability: the matrix ``[B, AB, ..., A^{n-1}B]``, its rank, and steering.

Worked solution.  Unroll the linear recurrence ``h_t = A h_{t-1} + B x_t``
for ``n`` steps and let SymPy differentiate ``h_n`` with respect to the
inputs, newest first: the Jacobian *is* the controllability matrix.
Cayley-Hamilton (checked by SymPy) shows that more steps add no new
directions: every state reachable from ``h_0 = 0`` is reached within ``n``
steps, and from any ``h_0`` the states reachable in ``N >= n`` steps are
``A^N h_0`` plus the range of the matrix (correction C7).  From ``h_0 != 0``
an uncontrollable pair can reach a state only after more than ``n`` steps
(the free response ``A^N h_0`` moves with ``N``).  The rank is found
exactly, with the parameter values where it drops (for ``A = diag(a, 1)``,
``B = (1, 1)^T`` at ``a = 1``, which SymPy's generic rank misses); a single
input with ``A = cI`` is never controllable.

The result is checked against simulation: its columns must be the impulse
responses of the loop ``h = A @ h + B @ x`` run in exact rational arithmetic
(within the kernel's rounding bound), the states reached
from ``h_0`` in ``N >= n`` steps less ``A^N h_0`` must lie in its range (also
for a pair made uncontrollable), and the least-norm input computed from it
must steer the simulated system to its target.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("controllability", n=2, m=1)
>>> d.result
Matrix([
[B[0,0], A[0,0]*B[0,0] + A[0,1]*B[1,0]],
[B[1,0], A[1,0]*B[0,0] + A[1,1]*B[1,0]]])
>>> d.verify(max_examples=10).passed
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from rnnsym import strategies as rst
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import register_symbol
from rnnsym.linear.rank import exact_rank
from rnnsym.linear.system import LinearRNN
from rnnsym.model import vector_symbols
from rnnsym.registry import DerivationInfo
from rnnsym.report.figures import evaluate, matrix_entries
from rnnsym.symbols import LAM
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="controllability",
    title="Controllability: reaching every state through the inputs",
    reference="3192142",
    section="Controllability and Observability: The Reach and Sight of an RNN",
    order=60,
    options={"n": int, "m": int},
    max_n=3,  # fully symbolic: n = 3 took 1.8 s, n = 4 over 20 s (determinant, p(A), exact rank)
    option_ranges={"m": (1, 8)},  # n = 3, m = 6 took 2.1 s; m = 16 4.0 s; m = 32 11 s
    limit_hint=("use rnnsym.linear.controllability.controllability_rank(system, exact=False) or "
                "is_controllable() on numbers."),
    symbols={
        "A": "state transition, entries $A[i,j]$",
        "B": "input matrix, entries $B[i,j]$",
        "lam": "an eigenvalue of $A$ (PBH test)",
        "c": "the scalar in $A = cI$ (correction C7)",
        "a": r"the parameter of $A = \operatorname{diag}(a, 1)$, $B = (1, 1)^{\top}$",
    },
)

CTRB = register_symbol(sp.Symbol("Ctrb"), r"\mathcal{C}")
H_T = register_symbol(sp.Symbol("h_t"), r"h_t")
P_A = register_symbol(sp.Symbol("p(A)"), r"p(A)")
PBH = register_symbol(sp.Symbol("PBH"), r"\left[\lambda I - A,\ B\right]")
DET = register_symbol(sp.Symbol("det_C"), r"\det\mathcal{C}")
RANK_CI = register_symbol(sp.Symbol("rank_C_cI"), r"\operatorname{rank}\mathcal{C}_{cI}")
C_SCALAR = sp.Symbol("c", real=True)
A_SCALAR = sp.Symbol("a", real=True)

def derive(n: int = 2, m: int = 1) -> Derivation:
    """Derive ``[B, AB, ..., A^{n-1}B]`` for a symbolic ``n``-state, ``m``-input system.

    ``n`` is limited to ``INFO.max_n`` by :func:`rnnsym.registry.derive`.
    """
    sys = LinearRNN.symbolic(n, m)
    h = vector_symbols("h_0", n, "h_{{0,{i}}}")
    inputs = [vector_symbols(f"x_{k}", m, f"x_{{{{{k},{{i}}}}}}") for k in range(1, n + 1)]
    for x in inputs:
        h = sys.step(h, x)
    h_n = h.applyfunc(sp.expand)
    newest_first = sp.Matrix.vstack(*reversed(inputs))
    ctrb = sp.ImmutableMatrix(h_n.jacobian(newest_first))
    assert ctrb == sys.controllability_matrix()

    char = sp.factor(sp.det(LAM * sp.eye(n) - sys.A))
    coeffs = sp.Poly(char, LAM).all_coeffs()
    p_of_A = sp.zeros(n, n)
    for coeff in coeffs:  # Horner's rule on the characteristic polynomial
        p_of_A = p_of_A * sys.A + coeff * sp.eye(n)
    p_of_A = p_of_A.applyfunc(sp.expand)

    steps = [
        Step(sp.Eq(H_T, sys.step(), evaluate=False),
             "The linear recurrence $h_t = A h_{t-1} + B x_t$."),
        Step(sp.Eq(sp.Symbol(f"h_{n}"), h_n, evaluate=False),
             f"Unrolling {n} steps from $h_0$ with inputs $x_1, \\ldots, x_{{{n}}}$."),
        Step(sp.Eq(CTRB, ctrb, evaluate=False),
             f"Differentiating $h_{{{n}}}$ with respect to the inputs, newest first, gives "
             r"$[B, AB, \ldots, A^{n-1}B]$: the states reachable from $h_0$ are $A^n h_0$ plus its range."),
        Step(sp.Eq(sp.Function("p")(LAM), char, evaluate=False),
             r"The characteristic polynomial $p(\lambda) = \det(\lambda I - A)$."),
        Step(sp.Eq(P_A, p_of_A, evaluate=False),
             r"Cayley-Hamilton, checked by SymPy: $p(A) = 0$, so $A^n B$ lies in the span of "
             r"$B, \ldots, A^{n-1}B$ and more steps add no direction: a state reachable from $h_0 = 0$ "
             r"is reached within $n$ steps; from $h_0 \ne 0$ a target $h$ is reached in $N \ge n$ steps iff "
             r"$h - A^N h_0$ lies in the range of $\mathcal{C}$ (for an uncontrollable pair that can hold for "
             "some $N > n$ and fail for $N = n$; correction C7)."),
    ]
    steps += _rank_steps(sys, ctrb, n, m)
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps,
        result=ctrb, result_label=CTRB, symbols=dict(INFO.symbols),
        kernel_args=[*sys.A, *sys.B], verifier=verify, context={"system": sys},
    )


def _system(derivation: Derivation) -> LinearRNN:
    """The symbolic system :func:`derive` worked on (kept in ``context["system"]``)."""
    sys: LinearRNN = derivation.context["system"]
    return sys


def _rank_steps(sys: LinearRNN, ctrb: sp.Matrix, n: int, m: int) -> list[Step]:
    steps = []
    if m == 1:
        det = sp.factor(ctrb.det(method="berkowitz"))
        steps.append(Step(sp.Eq(DET, det, evaluate=False),
                          r"With one input $\mathcal{C}$ is square; the pair is controllable exactly where "
                          "this determinant is not zero."))
    drops = exact_rank(ctrb, depth=1).drops if n * m <= 2 else ()  # larger: unreadable branches
    for drop in drops[:4]:
        for cond in drop.conditions:
            steps.append(Step(cond, f"The rank drops to {drop.rank} where this holds "
                                    "(all maximal minors vanish)."))
    steps.append(Step(sp.Eq(PBH, sp.Matrix.hstack(LAM * sp.eye(n) - sys.A, sys.B), evaluate=False),
                      "PBH test: $(A, B)$ is controllable iff this matrix has rank $n$ at every "
                      r"eigenvalue $\lambda$ of $A$, i.e. no left eigenvector $w$ has $w B = 0$."))
    cI = LinearRNN(C_SCALAR * sp.eye(n), vector_symbols("b", n))
    c_rank = exact_rank(cI.controllability_matrix())
    steps.append(Step(sp.Eq(RANK_CI, c_rank.rank, evaluate=False),
                      "$A = cI$ with a single input: every $A^k b$ is parallel to $b$, so the rank is $1 "
                      "< n$ whatever $c$ and $b$ (never controllable, correction C7)."))
    example = LinearRNN(sp.diag(A_SCALAR, *([1] * (n - 1))), [[1]] * n) if n == 2 else None
    if example is not None:
        drops = exact_rank(example.controllability_matrix()).drops
        for drop in drops:
            for cond in (sp.Eq(k, v) for k, v in (drop.solution or {}).items()):
                steps.append(Step(cond,
                                  r"$A = \operatorname{diag}(a, 1)$, $B = (1, 1)^{\top}$: the exact test finds the "
                                  f"value where the rank drops to {drop.rank} (SymPy's generic rank, "
                                  "and the is-controllable property of its StateSpace, miss it)."))
    W = sp.zeros(n, n)
    P = sp.eye(n)
    for _ in range(n):
        W += P * sys.B * sys.B.T * P.T
        P = P * sys.A
    assert (W - ctrb * ctrb.T).applyfunc(sp.expand) == sp.zeros(n, n)
    Wsym, Csym = sp.MatrixSymbol("W_n", n, n), register_symbol(sp.MatrixSymbol("Ctrb", n, n * m), r"\mathcal{C}")
    steps.append(Step(sp.Eq(Wsym, Csym * Csym.T, evaluate=False),
                      r"The Gramian $\sum_{k<n} A^k B B^{\top} (A^{\top})^k$ equals $\mathcal{C} \mathcal{C}^{\top}$ "
                      "(checked by SymPy); its smallest eigenvalue measures how hard the least reachable direction "
                      r"is to reach, and $u = \mathcal{C}^{\top} W_n^{-1}(\text{target} - A^n h_0)$ is the least-energy "
                      "input."))
    return steps


# ----------------------------------------------------------------- verification
# Errors are in units of U times sums of absolute values (first-order rounding bounds), so each
# tolerance is a count of roundings; a backward-stable solver's error is scaled by its condition.
U = 2.0 ** -53
ETA = 2.0 ** -1074   # absolute rounding error of an operation that underflows: each rounding is within U |x| + ETA


def _values(fixed: dict, free: list, values: list[float]) -> dict:
    """Drawn values for the free symbols, and the given ones (possibly in terms of them)."""
    drawn = {s: float(v) for s, v in zip(free, values)}
    given = {k: float(sp.sympify(v).xreplace({s: sp.Float(x) for s, x in drawn.items()}))
             for k, v in fixed.items()}
    return {**drawn, **given}


def _simulate(A: np.ndarray, B: np.ndarray, h0: np.ndarray, xs: np.ndarray) -> np.ndarray:
    h = h0.copy()
    for x in xs:
        h = A @ h + B @ x
    return h


def _pairs(n: int, m: int) -> st.SearchStrategy:
    """(A, B): controllable and uncontrollable pairs, A with spectral radius within 1e-6 of 1, generic."""
    near_one = st.tuples(rst.matrices_with_spectral_radius(n, rst.spectral_radii(0.99, 1.0 - 1e-6)),
                         rst.matrices(n, m, max_abs=1.5))
    return st.one_of(rst.controllable_pairs(n, m), rst.uncontrollable_pairs(n, m), near_one,
                     st.tuples(rst.matrices(n, max_abs=1.5), rst.matrices(n, m, max_abs=1.5)))


def _norm(x: np.ndarray) -> float:
    """The 2-norm of a vector, without overflow of its square (inputs of size 1e169 steer B = 1e-169)."""
    top = float(np.max(np.abs(x), initial=0.0))
    return top * float(np.linalg.norm(x / top)) if 0.0 < top < np.inf else top


def _abs_powers(A: np.ndarray, B: np.ndarray, N: int) -> list[np.ndarray]:
    """|A|^k |B| for k < N: the sums of |terms| of the entries of A^k B."""
    out = [np.abs(B)]
    for _ in range(N - 1):
        out.append(np.abs(A) @ out[-1])
    return out


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the compiled matrix with impulse responses and steering of a simulated system."""
    sys = _system(derivation)
    n, m = sys.n, sys.m
    fixed = {k: v for k, v in derivation.parameters.items() if k in sys.parameters}
    free = [s for s in sys.parameters if s not in fixed]
    kernel = derivation.kernel
    # no subnormal weights: LAPACK's SVD (pinv) returns NaN on them (seed 17 of the 20-seed run)
    floats = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    examples = st.tuples(_pairs(n, m), st.lists(floats, min_size=2 * n + n * m, max_size=2 * n + n * m))
    entries = [(i, j) for i in range(n) for j in range(n)]

    def instantiate(ex: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        (A_, B_), _ = ex
        drawn = {**{sys.A[i, j]: A_[i, j] for i, j in entries},
                 **{sys.B[i, j]: B_[i, j] for i in range(n) for j in range(m)}}
        by_symbol = _values(fixed, free, [drawn[s] for s in free])
        A = np.array([by_symbol[sys.A[i, j]] for i, j in entries]).reshape(n, n)
        B = np.array([[by_symbol[sys.B[i, j]] for j in range(m)] for i in range(n)])
        K = np.asarray(kernel(*[by_symbol[s] for s in kernel.args]), dtype=float)
        if K.shape != (n, n * m):
            raise ValueError(f"the result has shape {K.shape}; [B, AB, ...] has shape {(n, n * m)}")
        return A, B, K

    # Column block k of the kernel sums n^k monomials of k + 1 factors: k + n^k - 1 roundings of
    # (|A|^k |B|)_ij, one more for second-order terms and the rounding of the bound itself.  The
    # simulation it is held to runs in exact rational arithmetic.
    kernel_ulps = max(k + n ** k - 1 for k in range(n)) + 1

    def impulse_error(ex: Any) -> float:
        A, B, K = instantiate(ex)
        A_q, B_q = ([[Fraction(v) for v in row] for row in M] for M in (A, B))
        worst = 0.0
        for k, scale in enumerate(_abs_powers(A, B, n)):   # a unit pulse at step n-k is seen k steps later
            for j in range(m):
                xs = np.array([[Fraction(int(t == n - 1 - k and i == j)) for i in range(m)] for t in range(n)],
                              dtype=object)
                column = _simulate(np.array(A_q, dtype=object), np.array(B_q, dtype=object),
                                   np.array([Fraction(0)] * n, dtype=object), xs)
                error = np.array([abs(Fraction(K[i, k * m + j]) - column[i]) for i in range(n)], dtype=float)
                with np.errstate(over="ignore"):   # a wrong result may be off by far more than U
                    worst = max(worst, float(np.max(error / (U * scale[:, j] + ETA))))
        return worst

    # The float64 simulation rounds k dot products of length n + m per step of a pulse's response.
    impulse_ulps = kernel_ulps + max(k * (n + m) for k in range(n))
    steering_ulps = impulse_ulps + (n + m + 3) * n

    def steering_error(ex: Any) -> float:
        A, B, K = instantiate(ex)
        extra = ex[1]
        h0, target, mix = np.array(extra[:n]), np.array(extra[n:2 * n]), np.array(extra[2 * n:])
        free_response = _simulate(A, B, h0, np.zeros((n, m)))
        s = np.linalg.svd(K, compute_uv=False)
        tol = max(K.shape) * np.finfo(float).eps * s[0] if s.size else 0.0   # numerical rank, as matrix_rank
        C_abs, aimed, dropped = np.hstack(_abs_powers(A, B, n)), 0.0, 0.0
        if np.sum(s > tol) < n:   # aim inside the reachable set of the true system
            target = _simulate(A, B, h0, mix.reshape(n, m))
            z = np.abs(mix.reshape(n, m)[::-1].ravel())   # block k of C meets x_{n-k}
            aimed = _norm(C_abs @ z)
            dropped = (float(s[s <= tol].max(initial=0.0)) + 2 * n * U * s[0]) * _norm(z)
        u = np.linalg.pinv(K, rcond=max(K.shape) * np.finfo(float).eps) @ (target - free_response)
        reached = _simulate(A, B, h0, u.reshape(n, m)[::-1])   # block k of u drives x_{n-k}
        # The pseudo-inverse solve is backward stable (residual <= ~2n U (||K||_2 ||u|| + ||target||));
        # the kernel's rounding is impulse_ulps U |C| (|C| = [|B|, |A||B|, ...]), the simulation's
        # (n + m + 1) n U (|A|^n |h0| + |C| |u|, and |C| |mix| for an aimed target): steering_ulps U
        # times the scale below.  An aimed target's part along the singular directions dropped as
        # rank-deficient is at most sigma_{r+1} ||mix|| (sigma_{r+1} itself within 2n U ||K||).
        # The error is in units of the sum.
        scale = (float(np.linalg.norm(K, 2) + np.linalg.norm(C_abs, 2)) * _norm(u)
                 + _norm(np.linalg.matrix_power(np.abs(A), n) @ np.abs(h0))
                 + _norm(target) + aimed)
        return _norm(reached - target) / (steering_ulps * (U * scale + n * ETA) + dropped)

    def reachable_error(ex: Any) -> float:
        """States reached in N = n, n+1, n+2 steps, less the free response, lie in the range of C.

        The claim of the Cayley-Hamilton step, on the simulation; checked on a pair made
        uncontrollable (B replaced by its projection on an invariant subspace of A) as well as
        on the drawn one.
        """
        A, B, _ = instantiate(ex)
        h0 = np.array(ex[1][:n])
        rng = np.random.default_rng(abs(hash(tuple(ex[1]))) % 2**32)
        worst = 0.0
        pairs = [(A, B)]
        if all(s in kernel.args for s in sys.B):   # B is not fixed by a parameter: vary it
            pairs.append(_uncontrollable(A, B))
        for A_, B_ in pairs:
            if not np.all(np.isfinite(B_)):
                continue
            C_ = np.asarray(kernel(*_entries(kernel.args, A_, B_, sys)), dtype=float)
            basis, s_r, s_next = _range_basis(C_)
            grow = 1.0 + float(np.sum(np.abs(np.poly(A_)[1:])))   # A^n B = -sum p_j A^j B
            C_abs = np.hstack(_abs_powers(A_, B_, n))
            for N in (n, n + 1, n + 2):
                xs = rng.uniform(-1, 1, (N, m))
                reached = _simulate(A_, B_, h0, xs)
                offset = reached - np.linalg.matrix_power(A_, N) @ h0
                outside = offset - basis @ (basis.T @ offset)
                # The simulated offset is within (n + m + 1) N U ||P|| (P = |A|^N |h0| + sum_k
                # |A|^k |B| |x_{N-k}|) plus N n U || |A|^N |h0| || for the power; the basis turns by at
                # most ||dC||_2 / sigma_r (Wedin), dC the kernel's rounding plus the SVD's backward
                # error, (impulse_ulps + 2n) U || |C| ||_2; directions dropped as rank-deficient carry
                # at most sigma_{r+1} ||x|| (1 + ||p||_1)^(N-n) (Cayley-Hamilton, p the characteristic
                # polynomial's coefficients).  The error is in units of the sum.
                powers = _abs_powers(A_, np.column_stack([B_, h0]), N + 1)
                free_abs = powers[N][:, -1]
                P = free_abs + sum(p[:, :m] @ np.abs(x) for p, x in zip(powers, xs[::-1]))
                sim = N * (U * ((n + m + 1) * _norm(P) + n * _norm(free_abs)) + (n + m + 1) * n * ETA)
                turn = (impulse_ulps + 2 * n) * U * float(np.linalg.norm(C_abs, 2)) / s_r if s_r else 0.0
                dropped = s_next * _norm(xs.ravel()) * grow ** (N - n)
                bound = sim + turn * _norm(offset) + dropped
                worst = max(worst, _norm(outside) / bound)
        return worst

    def describe(ex: Any) -> str:
        return f"A={np.asarray(ex[0][0]).tolist()}, B={np.asarray(ex[0][1]).tolist()}, extra={list(ex[1])}"

    reports = [
        check_property(r"columns are the impulse responses $A^k B$, simulated exactly (units of $u \, |A|^k \, |B|$)",
                       examples, impulse_error, tolerance=kernel_ulps, max_examples=max_examples, seed=seed,
                       describe=describe),
        check_property(r"states reached from $h_0$ in $N \ge n$ steps, less $A^N h_0$, lie in the range of "
                       r"$\mathcal{C}$ "
                       "(units of the rounding bound)", examples, reachable_error, tolerance=1.0,
                       max_examples=max_examples, seed=seed, describe=describe),
        check_property("least-norm input from the result steers the simulation to the target "
                       "(units of the rounding bound)", examples, steering_error, tolerance=1.0,
                       max_examples=max_examples, seed=seed, describe=describe),
    ]
    return combine_reports(INFO.name, reports)


def _range_basis(C: np.ndarray) -> tuple[np.ndarray, float, float]:
    """An orthonormal basis of the range of ``C`` (columns), from its SVD; the smallest kept and the
    largest dropped singular values."""
    U_, s, _ = np.linalg.svd(C)
    rank = int(np.sum(s > max(C.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)))
    return U_[:, :rank], float(s[rank - 1]) if rank else 0.0, float(s[rank]) if rank < s.size else 0.0


def _uncontrollable(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(A, B')``: ``B`` projected on the span of one real eigenvector of ``A`` (NaN if none is real)."""
    values, vectors = np.linalg.eig(A)
    real = [i for i, v in enumerate(values) if abs(v.imag) < 1e-12]
    if not real or A.shape[0] < 2:
        return A, np.full_like(B, np.nan)
    v = np.real(vectors[:, real[0]])
    v /= np.linalg.norm(v)
    return A, np.outer(v, v @ B)


def _entries(args: Any, A: np.ndarray, B: np.ndarray, sys: LinearRNN) -> list[float]:
    """Kernel arguments in order, read from numeric ``A`` and ``B`` (symbol ``A[i,j]`` -> ``A[i, j]``)."""
    where = {s: A[i, j] for (i, j), s in np.ndenumerate(np.array(sys.A, dtype=object))}
    where.update({s: B[i, j] for (i, j), s in np.ndenumerate(np.array(sys.B, dtype=object))})
    return [float(where[a]) for a in args]


# ----------------------------------------------------------------------- figure
def _rank_curve(kernel: Any, fixed: dict[str, float], a_name: str, grid: np.ndarray) -> np.ndarray:
    """The smallest singular value of the compiled matrix as ``a_name`` runs over ``grid``."""
    out = []
    for a in grid:
        M = np.asarray(evaluate(kernel, {**fixed, a_name: float(a)}), dtype=float)
        out.append(np.linalg.svd(M, compute_uv=False).min())
    return np.array(out)


def figure(d: Derivation, fig: Any) -> str:
    """Draw where the derived matrix loses rank, and steering by inputs computed from it; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    left, right = fig.subplots(1, 2)
    grid = np.linspace(-1.0, 1.5, 251)
    fixed = {**matrix_entries("A", [[0.0, 0.0], [0.0, 0.5]]), **matrix_entries("B", [[1.0], [1.0]])}
    left.plot(grid, _rank_curve(kernel, fixed, "A[0,0]", grid), lw=1.5, label="derived matrix")
    left.axvline(0.5, color="r", ls=":", lw=1, label="$a = 1/2$")
    left.set(xlabel="$a$", ylabel=r"$\sigma_{\min}$ of $[B, AB]$",
             title=r"$A = \mathrm{diag}(a, \frac{1}{2})$, $B = (1, 1)^T$")
    left.legend(loc="upper center")
    A, B = np.array([[0.9, 0.0], [0.0, 0.5]]), np.array([[1.0], [1.0]])
    K = np.asarray(evaluate(kernel, {**matrix_entries("A", A), **matrix_entries("B", B)}), dtype=float)
    for k, angle in enumerate(np.linspace(0, 2 * np.pi, 9)[:-1]):
        target = np.array([np.cos(angle), np.sin(angle)])
        u = np.linalg.pinv(K) @ target
        xs = u.reshape(2, 1)[::-1]
        reached = [np.zeros(2)]
        for x in xs:
            reached.append(A @ reached[-1] + B @ x)
        path = np.array(reached)
        right.plot(path[:, 0], path[:, 1], "-", color="C0", lw=0.8, label="_path" if k else "simulated path")
        right.plot(*path[1], "o", color="C0", mfc="white", ms=4, label="_step" if k else "after step 1")
        right.plot(*path[2], "o", color="C0", ms=4, label="_step" if k else "after step 2")
        right.plot(*target, "k+", ms=9, mew=1.2, label="_target" if k else "target")
    right.set(xlabel=r"$h_{t,0}$", ylabel=r"$h_{t,1}$", aspect="equal", title="8 targets, reached in 2 steps")
    right.legend(loc="upper left", handlelength=1.0)
    return ("Left: the smallest singular value of the derived controllability matrix; it vanishes where the "
            "rank drops. Right: a controllable pair ($a = 0.9$) steered from 0 to eight targets (+) in two "
            "simulated steps by the least-norm inputs computed from the derived matrix.")
