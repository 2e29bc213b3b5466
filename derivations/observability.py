"""Observability: the stacked matrix ``[C; CA; ...; CA^{n-1}]`` and reconstructing ``h_0``.

Worked solution.  With zero input the outputs are ``y_t = C h_t``; SymPy
runs the recurrence from a symbolic ``h_0`` and differentiates the stacked
outputs ``y_0, ..., y_{n-1}`` with respect to ``h_0``: the Jacobian is the
observability matrix, stacked with **no transpose** (correction C8; the
chapter's transpose is the controllability matrix of the dual pair
``(A^T, C^T)``, which SymPy confirms).  Outputs that start at ``y_1`` give
``O A`` instead, which loses rank for singular ``A``
(``A = [[0, 1], [0, 0]]``, ``C = [1, 0]``).  With one output the matrix is
square and ``h_0 = O^{-1} (y_0, ..., y_{n-1})``.

The result is checked against simulation: its columns are the outputs from
the unit initial states, simulated in exact rational arithmetic (within the
kernel's rounding bound), and least squares with it recovers ``h_0`` from
simulated outputs (within the solve's rounding bound).

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("observability")
>>> d.result
Matrix([
[                        C[0,0],                         C[0,1]],
[A[0,0]*C[0,0] + A[1,0]*C[0,1], A[0,1]*C[0,0] + A[1,1]*C[0,1]]])
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
    name="observability",
    title="Observability: seeing the hidden state through the outputs",
    reference="3192179",
    section="Controllability and Observability: The Reach and Sight of an RNN",
    order=70,
    options={"n": int, "p": int},
    max_n=3,  # fully symbolic: n = 3 took 1.7 s, n = 4 over 20 s
    option_ranges={"p": (1, 8)},  # n = 3, p = 6 took 1.6 s; p = 16 2.9 s; p = 32 4.5 s
    limit_hint=("use rnnsym.linear.controllability.observability_rank(system, exact=False) or "
                "is_observable() on numbers."),
    symbols={
        "A": "state transition, entries $A[i,j]$",
        "C": "output matrix, entries $C[i,j]$",
        "lam": "an eigenvalue of $A$ (PBH test)",
        "h_0": "initial state, entries $h_0[i]$",
        "y": "outputs $y_t = C h_t$, entries $y_t[i]$",
    },
)

OBSV = register_symbol(sp.Symbol("Obsv"), r"\mathcal{O}")
OBSV_A = register_symbol(sp.Symbol("Obsv_from_y1"), r"\frac{\partial (y_1, \dots, y_n)}{\partial h_0}")
DUAL = register_symbol(sp.Symbol("Ctrb_dual"), r"\mathcal{C}(A^{\top}, C^{\top})^{\top}")
DET = register_symbol(sp.Symbol("det_O"), r"\det\mathcal{O}")
RANK_O = register_symbol(sp.Symbol("rank_O"), r"\operatorname{rank}\mathcal{O}")
RANK_OA = register_symbol(sp.Symbol("rank_OA"), r"\operatorname{rank}\mathcal{O}A")
PBH = register_symbol(sp.Symbol("PBH_obs"), r"\begin{bmatrix}\lambda I - A \\ C\end{bmatrix}")

def derive(n: int = 2, p: int = 1) -> Derivation:
    """Derive ``[C; CA; ...; CA^{n-1}]`` for a symbolic ``n``-state, ``p``-output system.

    ``n`` is limited to ``INFO.max_n`` by :func:`rnnsym.registry.derive`.
    """
    sys = LinearRNN.symbolic(n, 1, p=p)
    h0 = vector_symbols("h_0", n, "h_{{0,{i}}}")
    zero = sp.zeros(1, 1)
    states = [h0]
    for _ in range(n):
        states.append(sys.step(states[-1], zero).applyfunc(sp.expand))
    outputs = [sys.output(h).applyfunc(sp.expand) for h in states]
    stacked = sp.Matrix.vstack(*outputs[:n])
    obsv = sp.ImmutableMatrix(stacked.jacobian(h0))
    assert obsv == sys.observability_matrix()
    from_y1 = sp.ImmutableMatrix(sp.Matrix.vstack(*outputs[1:n + 1]).jacobian(h0))
    assert (from_y1 - obsv * sys.A).applyfunc(sp.expand) == sp.zeros(p * n, n)
    dual = sys.dual().controllability_matrix()

    y_syms = [vector_symbols(f"y_{t}", p, f"y_{{{{{t},{{i}}}}}}") for t in range(n)]
    steps = [
        Step(sp.Eq(sp.Symbol(f"y_{n - 1}"), outputs[n - 1], evaluate=False),
             f"With zero input $h_t = A^t h_0$, so $y_t = C A^t h_0$; here $y_{{{n - 1}}}$."),
        Step(sp.Eq(OBSV, obsv, evaluate=False),
             f"Differentiating the stacked outputs $y_0, \\ldots, y_{{{n - 1}}}$ with respect to $h_0$ gives "
             r"$[C; CA; \ldots; CA^{n-1}]$, stacked with no transpose (correction C8)."),
        Step(sp.Eq(DUAL, dual.T, evaluate=False),
             r"Its transpose is the controllability matrix of the dual pair $(A^{\top}, C^{\top})$: same rank, "
             "so the Kalman test is unaffected by the chapter's transpose."),
        Step(sp.Eq(PBH, sp.Matrix.vstack(LAM * sp.eye(n) - sys.A, sys.C), evaluate=False),
             "PBH test: $(A, C)$ is observable iff this matrix has rank $n$ at every eigenvalue of $A$."),
    ]
    if p == 1:
        steps.append(Step(sp.Eq(DET, sp.factor(obsv.det(method="berkowitz")), evaluate=False),
                          r"With one output $\mathcal{O}$ is square; $h_0$ is determined by $y_0, \ldots, y_{n-1}$ "
                          "exactly where this determinant is not zero."))
        if n == 2:
            Y = sp.Matrix.vstack(*y_syms)
            h0_hat = obsv.LUsolve(Y).applyfunc(sp.factor)
            steps.append(Step(sp.Eq(sp.Symbol("h_0"), h0_hat, evaluate=False),
                              r"Solving $\mathcal{O} h_0 = (y_0, \ldots, y_{n-1})$ reconstructs the initial state "
                              "(least squares when there are more outputs than states)."))
    steps.append(Step(sp.Eq(OBSV_A, from_y1, evaluate=False),
                      r"Outputs that start at $y_1$ give $\mathcal{O} A$ instead (SymPy checks the product)."))
    nil = LinearRNN(_nilpotent(n), sp.zeros(n, 1), sp.Matrix([[1] + [0] * (n - 1)]))
    rank_o = exact_rank(nil.observability_matrix()).rank
    rank_oa = exact_rank(nil.observability_matrix() * nil.A).rank
    steps.append(Step(sp.Eq(RANK_O, rank_o, evaluate=False),
                      r"A nilpotent shift $A$ (ones above the diagonal) with $C = e_1^{\top}$ is observable "
                      r"from $y_0, \ldots, y_{n-1}$ ..."))
    steps.append(Step(sp.Eq(RANK_OA, rank_oa, evaluate=False),
                      r"... but not from $y_1, \ldots, y_n$: $\mathcal{O} A$ loses rank because $A$ is singular "
                      "(correction C8)."))
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps,
        result=obsv, result_label=OBSV, symbols=dict(INFO.symbols),
        kernel_args=[*sys.A, *sys.C], verifier=verify, context={"system": sys},
    )


def _system(derivation: Derivation) -> LinearRNN:
    """The symbolic system :func:`derive` worked on (kept in ``context["system"]``)."""
    sys: LinearRNN = derivation.context["system"]
    return sys


def _nilpotent(n: int) -> sp.Matrix:
    return sp.Matrix(n, n, lambda i, j: 1 if j == i + 1 else 0)


# ----------------------------------------------------------------- verification
# Errors are in units of U times sums of absolute values (first-order rounding bounds), so each
# tolerance is a count of roundings; a least-squares solve's error is scaled by its condition.
U = 2.0 ** -53
ETA = 2.0 ** -1074   # absolute rounding error of an operation that underflows: each rounding is within U |x| + ETA


def _values(fixed: dict, free: list, values: list[float]) -> dict:
    """Drawn values for the free symbols, and the given ones (possibly in terms of them)."""
    drawn = {s: float(v) for s, v in zip(free, values)}
    given = {k: float(sp.sympify(v).xreplace({s: sp.Float(x) for s, x in drawn.items()}))
             for k, v in fixed.items()}
    return {**drawn, **given}


def _outputs(A: np.ndarray, C: np.ndarray, h0: np.ndarray, T: int) -> np.ndarray:
    """``y_0 ... y_{T-1}`` of ``h = A @ h`` (zero input), stacked."""
    h, ys = h0.copy(), []
    for _ in range(T):
        ys.append(C @ h)
        h = A @ h
    return np.concatenate(ys)


def _pairs(n: int, p: int) -> st.SearchStrategy:
    """(A, C): observable and unobservable pairs, A with spectral radius within 1e-6 of 1, generic."""
    near_one = st.tuples(rst.matrices_with_spectral_radius(n, rst.spectral_radii(0.99, 1.0 - 1e-6)),
                         rst.matrices(p, n, max_abs=1.5))
    return st.one_of(rst.observable_pairs(n, p), rst.unobservable_pairs(n, p), near_one,
                     st.tuples(rst.matrices(n, max_abs=1.5), rst.matrices(p, n, max_abs=1.5)))


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the compiled matrix with simulated outputs and reconstruct ``h_0`` with it."""
    sys = _system(derivation)
    n, p = sys.n, sys.C.shape[0]
    fixed = {k: v for k, v in derivation.parameters.items() if k in sys.parameters}
    free = [s for s in sys.parameters if s not in fixed]
    kernel = derivation.kernel
    # no subnormal weights: LAPACK's SVD (pinv) returns NaN on them (seed 17 of the 20-seed run)
    floats = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    examples = st.tuples(_pairs(n, p), st.lists(floats, min_size=n, max_size=n))

    def instantiate(ex: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        (A_, C_), _ = ex
        drawn = {**{sys.A[i, j]: A_[i, j] for i in range(n) for j in range(n)},
                 **{sys.C[i, j]: C_[i, j] for i in range(p) for j in range(n)}}
        by_symbol = _values(fixed, free, [drawn.get(s, 0.0) for s in free])   # B: unused here
        A = np.array([[by_symbol[sys.A[i, j]] for j in range(n)] for i in range(n)])
        C = np.array([[by_symbol[sys.C[i, j]] for j in range(n)] for i in range(p)])
        K = np.asarray(kernel(*[by_symbol[s] for s in kernel.args]), dtype=float)
        if K.shape != (p * n, n):
            raise ValueError(f"the result has shape {K.shape}; [C; CA; ...] has shape {(p * n, n)}")
        return A, C, K

    def abs_obsv(A: np.ndarray, C: np.ndarray) -> np.ndarray:
        """[|C|; |C||A|; ...]: the sums of |terms| of the entries of C A^t."""
        rows = [np.abs(C)]
        for _ in range(n - 1):
            rows.append(rows[-1] @ np.abs(A))
        return np.vstack(rows)

    # Row block t of the kernel sums n^t monomials of t + 1 factors: t + n^t - 1 roundings of
    # (|C| |A|^t)_ij, one more for second-order terms and the rounding of the bound itself.  The
    # simulation it is held to runs in exact rational arithmetic.
    kernel_ulps = max(t + n ** t - 1 for t in range(n)) + 1

    def response_error(ex: Any) -> float:
        A, C, K = instantiate(ex)
        exact = [np.array([[Fraction(v) for v in row] for row in M], dtype=object) for M in (A, C)]
        simulated = np.column_stack([_outputs(*exact, np.array([Fraction(int(i == j)) for i in range(n)],
                                                                dtype=object), n) for j in range(n)])
        error = np.array([[abs(Fraction(k) - v) for k, v in zip(*rows)] for rows in zip(K, simulated)], dtype=float)
        with np.errstate(over="ignore"):   # a wrong result may be off by far more than U
            return float(np.max(error / (U * abs_obsv(A, C) + ETA)))

    # The float64 simulation y_t = C A^t h0 rounds t + 1 dot products of length n.
    response_ulps = kernel_ulps + max((t + 1) * n for t in range(n))

    def reconstruction_error(ex: Any) -> float:
        A, C, K = instantiate(ex)
        h0 = np.array(ex[1])
        ys = _outputs(A, C, h0, n)
        h0_hat, *_ = np.linalg.lstsq(K, ys, rcond=None)
        s = np.linalg.svd(K, compute_uv=False)
        cutoff = max(K.shape) * np.finfo(float).eps * s[0] if s.size else 0.0   # lstsq's rank cutoff
        # The kernel's and the simulation's rounding (response_ulps U |O|, |O| = [|C|; |C||A|; ...])
        # and the solver's backward error (2n U ||K||) perturb the consistent system O h0 = y: the
        # residual is within (response_ulps + 2n) U (|| |O| ||_2 (||h0|| + ||h0_hat||) + ||y||), and
        # h0_hat - h0 within that over sigma_min(K) when K has full column rank.
        scale = (response_ulps + 2 * n) * (U * (float(np.linalg.norm(abs_obsv(A, C), 2))
                                                * float(np.linalg.norm(h0) + np.linalg.norm(h0_hat))
                                                + float(np.linalg.norm(ys))) + n * ETA)
        if s.size and s[-1] > cutoff:
            return float(np.linalg.norm(h0_hat - h0)) / (scale / s[-1] + 1e-300)
        # where O is singular h_0 is known only off its null space: compare outputs there (the
        # directions dropped below the cutoff carry at most sigma_{r+1} ||h0||)
        dropped = float(s[s <= cutoff].max(initial=0.0)) * float(np.linalg.norm(h0))
        return float(np.linalg.norm(_outputs(A, C, h0_hat, n) - ys)) / (scale + dropped + 1e-300)

    def describe(ex: Any) -> str:
        return f"A={np.asarray(ex[0][0]).tolist()}, C={np.asarray(ex[0][1]).tolist()}, h_0={list(ex[1])}"

    reports = [
        check_property(r"columns are the outputs from unit initial states, simulated exactly (units of $u \, |C| \, |A|^t$)",
                       examples, response_error, tolerance=kernel_ulps, max_examples=max_examples,
                       seed=seed, describe=describe),
        check_property(r"least squares with the result recovers $h_0$ from simulated outputs "
                       "(units of the rounding bound)", examples, reconstruction_error, tolerance=1.0,
                       max_examples=max_examples, seed=seed, describe=describe),
    ]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw where the derived matrix loses rank, and outputs that cannot tell states apart; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access

    def matrix(a: float) -> np.ndarray:
        A, C = np.array([[a, 0.0], [0.0, 0.5]]), np.array([[1.0, 1.0]])
        try:
            return np.asarray(evaluate(kernel, {**matrix_entries("A", A), **matrix_entries("C", C)}), dtype=float)
        except KeyError:   # a kernel over other names: the library's matrix instead
            return np.array(LinearRNN(A, np.zeros((2, 1)), C).observability_matrix().tolist(), dtype=float)

    fig.set_figheight(2.9)
    left, right = fig.subplots(1, 2)
    grid = np.linspace(-1.0, 1.5, 251)
    left.plot(grid, [np.linalg.svd(matrix(a), compute_uv=False).min() for a in grid], lw=1.5, label="derived matrix")
    left.axvline(0.5, color="r", ls=":", lw=1, label="$a = 1/2$")
    left.set(xlabel="$a$", ylabel=r"$\sigma_{\min}$ of $[C; CA]$",
             title=r"$A = \mathrm{diag}(a, \frac{1}{2})$, $C = (1, 1)$")
    left.legend(loc="upper center")
    styles = {(0.5, "h_0"): ("C0", "-", "o", 3), (0.5, "h_0 + v"): ("C1", "none", "x", 6),
              (0.9, "h_0"): ("C2", "--", "o", 3), (0.9, "h_0 + v"): ("C3", "--", "x", 5)}
    for a in (0.5, 0.9):
        O = matrix(a)
        null = np.linalg.svd(O)[2][-1]
        A, C = np.array([[a, 0.0], [0.0, 0.5]]), np.array([1.0, 1.0])
        for h0, label in ((np.array([1.0, 0.0]), "h_0"), (np.array([1.0, 0.0]) + null, "h_0 + v")):
            h, ys = h0, []
            for _ in range(12):
                ys.append(C @ h)
                h = A @ h
            color, line, marker, size = styles[a, label]
            right.plot(ys, color=color, ls=line, marker=marker, ms=size, lw=1, label=f"$a = {a}$: ${label}$")
    right.set(xlabel="$t$", ylabel=r"$y_t = C h_t$", title="outputs from two initial states", xticks=range(0, 12, 2))
    right.legend(loc="upper center", bbox_to_anchor=(0.45, -0.2), ncol=2, columnspacing=0.6, handlelength=1.6)
    return ("Left: the smallest singular value of the observability matrix; it vanishes where the rank drops. "
            r"Right: at $a = 1/2$ the initial states $h_0$ and $h_0 + v$ ($v$ in the null space) give identical "
            r"outputs, so $h_0$ cannot be reconstructed; at $a = 0.9$ they differ.")
