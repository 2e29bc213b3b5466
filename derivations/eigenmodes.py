"""Eigenmodes: decoupling in the eigenbasis, and the coupling ``Q^{-1} D Q Lam``.

Worked solution.  For ``A = Q Lam Q^{-1}`` SymPy shows that the mode
coordinates ``y = Q^{-1} h`` obey ``y_t = Lam y_{t-1}`` and that the rows of
``Q^{-1}`` are left eigenvectors (correction C5: the mode coordinate is not an
orthogonal projection unless ``A`` is normal).  A Jordan block with
``|lam| = 1`` grows polynomially: SymPy's ``J^t`` maps ``(0, 1)`` to
``(t, 1)`` at ``lam = 1``.  The half-life ``ln 2 / (-ln |lam|)`` solves
``|lam|^tau = 1/2``.  With the nonlinearity, ``y_t = Q^{-1} phi(Q Lam
y_{t-1})``; its Jacobian, computed by SymPy with ``phi`` an undetermined
function and ``phi'`` renamed ``D``, is the coupling matrix
``Q^{-1} D Q Lam`` (correction C6), diagonal when ``Q = I`` or ``D = dI``.

The result is checked against the simulated nonlinear step: finite
differences of ``y -> Q^{-1} phi(W_h Q y)``, with ``W_h = Q Lam Q^{-1}``
and ``phi`` the chosen activation, must equal the compiled coupling matrix
at ``D = diag(phi'(W_h Q y))``.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("eigenmodes", n=1)
>>> d.result
Matrix([[D[0,0]*lam[0]]])
>>> d.verify(max_examples=10).passed
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import register_symbol
from rnnsym.linear.modes import classify, modes
from rnnsym.model import matrix_symbols, vector_symbols
from rnnsym.registry import DerivationInfo
from rnnsym.symbols import LAM, TAU
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="eigenmodes",
    title="Eigenmodes of the linear recurrence and their coupling by the nonlinearity",
    reference="3192175",
    order=50,
    options={"n": int, "activation": str},
    max_n=3,  # symbolic Q: n = 2 took 1.1 s, n = 3 10.6 s (the accuracy table uses it), n = 4 over 20 s
    limit_hint="use rnnsym.linear.modes.modes() and coupling_strength() on float matrices.",
    symbols={
        "A": "the recurrent matrix A = Q Lam Q^{-1}, entries A[i,j]",
        "lam": "eigenvalues lam[i] (the diagonal of Lam)",
        "Q": "right eigenvectors as columns, entries Q[i,j]",
        "Lam": "diagonal matrix of eigenvalues",
        "D": "diag(phi'(W_h h_{t-1})), entries D[i,i]",
        "y": "mode coordinates y = Q^{-1} h",
        "t": "time step",
        "tau": "half-life in steps",
    },
)

COUPLING = register_symbol(sp.Symbol("dy_t/dy_prev"), r"\frac{\partial y_t}{\partial y_{t-1}}")
Y_T = register_symbol(sp.Symbol("y_t"), r"y_t")
PHI = sp.Function("phi")
R = sp.Symbol("r", positive=True)
T = sp.Symbol("t", integer=True, nonnegative=True)
J_T = register_symbol(sp.Symbol("J^t"), r"J^{t}")
LEFT = register_symbol(sp.Symbol("Qinv_A"), r"Q^{-1} A")
CHAR = register_symbol(sp.Symbol("char_A"), r"\det(\lambda I - A)")
HALF = register_symbol(sp.Symbol("half_life"), r"\tau_{1/2}")

def derive(n: int = 2, activation: str = "tanh") -> Derivation:
    """Derive the decoupled recurrence and the coupling matrix for ``n`` modes.

    ``n`` is limited to ``INFO.max_n`` by :func:`rnnsym.registry.derive`.
    """
    rs.get_activation(activation)  # validate the name early
    Q = sp.Matrix(matrix_symbols("Q", n, n))
    lam = vector_symbols("lam", n)
    Lam = sp.diag(*lam)
    Dm = sp.diag(*[register_symbol(sp.Symbol(f"D[{i},{i}]", real=True), f"D_{{{i}{i}}}")
                   for i in range(n)])
    Q_inv = Q.inv(method="LU").applyfunc(sp.factor)
    A = Q * Lam * Q_inv
    y_prev = vector_symbols("y_prev", n, "y_{{t-1,{i}}}")

    linear = (Q_inv * A * Q).applyfunc(sp.simplify) * y_prev
    left = (Q_inv * A - Lam * Q_inv).applyfunc(sp.simplify)
    assert left == sp.zeros(n, n)

    a_sym = matrix_symbols("A", 2, 2)
    char = sp.det(LAM * sp.eye(2) - a_sym)
    eigen = sp.solve(char, LAM)

    J = sp.Matrix([[LAM, 1], [0, LAM]])
    J_t = (J**T).applyfunc(sp.simplify)
    unit = (J_t.subs(LAM, 1) * sp.Matrix([0, 1])).applyfunc(sp.simplify)
    half_life = sp.solve(sp.Eq(R**TAU, sp.Rational(1, 2)), TAU)[0].subs(R, sp.Abs(LAM))

    pre = Q * Lam * y_prev
    y_next = Q_inv * pre.applyfunc(PHI)
    jac = y_next.jacobian(y_prev)
    coupling = _rename_derivatives(jac, pre, Dm).applyfunc(sp.factor)
    assert not coupling.has(y_prev[0])
    diagonal_w = coupling.subs(dict(zip(Q, sp.eye(n)))).applyfunc(sp.simplify)
    d = sp.Symbol("d", positive=True)
    scalar_d = coupling.subs({Dm[i, i]: d for i in range(n)}).applyfunc(sp.simplify)

    steps = [
        Step(sp.Eq(CHAR, sp.factor(char), evaluate=False),
             "The eigenvalues of a 2x2 A are the roots of its characteristic polynomial ..."),
        Step(sp.Eq(LAM, sp.Tuple(*eigen), evaluate=False),
             "... found by SymPy."),
        Step(sp.Eq(Y_T, linear, evaluate=False),
             "With A = Q Lam Q^{-1} and y = Q^{-1} h, y_t = Q^{-1} A Q y_{t-1} = Lam y_{t-1}: "
             "each mode evolves alone, multiplied by its eigenvalue."),
        Step(sp.Eq(LEFT, Lam * sp.MatrixSymbol("Qinv", n, n), evaluate=False),
             "SymPy checks Q^{-1} A = Lam Q^{-1}: the rows of Q^{-1} are left eigenvectors, and "
             "the mode coordinate (Q^{-1} h)_i is not an orthogonal projection onto q_i unless A "
             "is normal (correction C5)."),
        Step(sp.Eq(HALF, half_life, evaluate=False),
             "A fading mode (|lambda| < 1) halves after tau steps, where |lambda|^tau = 1/2."),
        Step(sp.Eq(J_T, J_t, evaluate=False),
             "A Jordan block is not diagonalizable; SymPy's power J^t has the term t lambda^(t-1)."),
        Step(sp.Eq(sp.Symbol("h_t"), unit, evaluate=False),
             "At lambda = 1 the state (0, 1) becomes (t, 1): a Jordan block on the unit circle "
             "grows polynomially (marginal, not asymptotic, stability; correction C5)."),
        Step(sp.Eq(Y_T, y_next, evaluate=False),
             "With the nonlinearity h_t = phi(A h_{t-1}) the mode coordinates obey "
             "y_t = Q^{-1} phi(Q Lam y_{t-1}) (Q maps modes to the standard basis; correction C6)."),
        Step(sp.Eq(COUPLING, coupling, evaluate=False),
             "SymPy differentiates with respect to y_{t-1}; writing D = diag(phi'(Q Lam y_{t-1})) "
             "gives the coupling matrix Q^{-1} D Q Lam."),
        Step(sp.Eq(sp.Symbol("coupling_Q_eq_I"), diagonal_w, evaluate=False),
             "With W diagonal (Q = I) it is diagonal: no coupling."),
        Step(sp.Eq(sp.Symbol("coupling_D_eq_dI"), scalar_d, evaluate=False),
             "With D = d I (for example tanh near the origin, d = 1) it is d Lam: no coupling. "
             "Otherwise it is generically full: every mode feeds every other."),
    ]
    register_symbol(sp.Symbol("coupling_Q_eq_I"), r"\left.\frac{\partial y_t}{\partial y_{t-1}}\right|_{Q = I}")
    register_symbol(sp.Symbol("coupling_D_eq_dI"), r"\left.\frac{\partial y_t}{\partial y_{t-1}}\right|_{D = d I}")
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, steps=steps,
        result=sp.ImmutableMatrix(coupling), result_label=COUPLING, symbols=dict(INFO.symbols),
        kernel_args=[*Q, *lam, *[Dm[i, i] for i in range(n)]], verifier=verify,
        context={"n": n, "Q": Q, "lam": lam, "D": Dm, "activation": activation,
                 "decoupled": sp.ImmutableMatrix(Lam)},
    )


def _rename_derivatives(jac: sp.Matrix, pre: sp.Matrix, Dm: sp.Matrix) -> sp.Matrix:
    """Replace ``phi'`` evaluated at the pre-activation ``i`` by ``D[i,i]``."""
    def swap(expr: sp.Expr) -> sp.Expr:
        for sub in expr.atoms(sp.Subs):
            point = sub.point[0]
            index = [i for i in range(pre.rows) if sp.expand(pre[i] - point) == 0]
            expr = expr.xreplace({sub: Dm[index[0], index[0]]})
        for der in expr.atoms(sp.Derivative):  # n = 1: phi'(lam y) may stay a Derivative
            arg = der.expr.args[0]
            index = [i for i in range(pre.rows) if sp.expand(pre[i] - arg) == 0]
            if index:
                expr = expr.xreplace({der: Dm[index[0], index[0]]})
        return expr
    return jac.applyfunc(swap)


# ----------------------------------------------------------------- verification
def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the coupling matrix with finite differences of the simulated nonlinear step."""
    ctx = derivation.context
    n: int = ctx["n"]
    symbols = [*ctx["Q"], *ctx["lam"]]
    fixed = {k: v for k, v in derivation.parameters.items() if k in symbols}
    free = [s for s in symbols if s not in fixed]
    kernel = derivation.kernel
    act = rs.get_activation(ctx["activation"])
    floats = st.floats(-1.5, 1.5, allow_nan=False, allow_infinity=False)
    examples = st.tuples(st.lists(floats, min_size=len(free), max_size=len(free)),
                         st.lists(st.floats(-1, 1), min_size=n, max_size=n),
                         st.integers(1, 6))
    D_syms = [ctx["D"][i, i] for i in range(n)]

    def instantiate(values: list[float]) -> tuple[np.ndarray, np.ndarray, dict]:
        drawn = {s: float(v) for s, v in zip(free, values)}
        by_symbol = {**drawn, **{k: float(sp.sympify(v).xreplace({s: sp.Float(x) for s, x in drawn.items()}))
                                 for k, v in fixed.items()}}
        Q = np.array([by_symbol[s] for s in ctx["Q"]]).reshape(n, n)
        lam = np.array([by_symbol[s] for s in ctx["lam"]])
        assume(np.linalg.cond(Q) < 1e3)
        return Q, lam, by_symbol

    def coupling_error(example: Any) -> float:
        values, y, _ = example
        Q, lam, by_symbol = instantiate(values)
        W = Q @ np.diag(lam) @ np.linalg.inv(Q)
        net = rs.RNN(W, activation=act)
        y = np.array(y)
        pre = W @ Q @ y
        assume(np.all(np.abs(pre) > 1e-3) if act.name in ("relu", "leaky_relu", "hard_tanh") else True)
        step = lambda v: np.linalg.solve(Q, net.numeric_step(Q @ v))  # noqa: E731
        eps = 1e-6
        fd = np.column_stack([(step(y + e) - step(y - e)) / (2 * eps) for e in np.eye(n) * eps])
        by_symbol.update(zip(D_syms, act.numpy_prime(pre)))
        M = np.asarray(kernel(*[by_symbol[s] for s in kernel.args]), dtype=float)
        return float(np.max(np.abs(M - fd))) / max(1.0, float(np.max(np.abs(fd))))

    decoupled = rs.compile(ctx["decoupled"], list(ctx["lam"]))

    def linear_error(example: Any) -> float:
        values, y0, steps = example
        Q, lam, _ = instantiate(values)
        W = Q @ np.diag(lam) @ np.linalg.inv(Q)
        h = Q @ np.array(y0)
        for _ in range(steps):  # the model's own linear recurrence h = W h
            h = W @ h
        Lam = np.asarray(decoupled(*lam), dtype=float)
        predicted = np.linalg.matrix_power(Lam, steps) @ np.array(y0)
        return float(np.max(np.abs(np.linalg.solve(Q, h) - predicted))) / (1.0 + float(np.max(np.abs(predicted))))

    reports = [
        check_property("coupling matrix against finite differences of the simulated step",
                       examples, coupling_error, tolerance=1e-6, max_examples=max_examples, seed=seed),
        check_property("decoupled recurrence y_t = Lam^t y_0 against simulation of h = A h",
                       examples, linear_error, tolerance=1e-8, max_examples=max_examples, seed=seed),
    ]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw eigenvalues against the unit circle and the mode coordinates of a simulation; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    def rot(r: float, theta: float) -> np.ndarray:
        return r * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])

    blocks = [rot(0.7, 0.9), rot(1.0, 2.2), np.array([[1.04]]), np.array([[-0.5]])]
    size = sum(len(b) for b in blocks)
    A, at = np.zeros((size, size)), 0
    for block in blocks:
        A[at:at + len(block), at:at + len(block)] = block
        at += len(block)
    Q = np.linalg.qr(np.random.default_rng(0).normal(size=(size, size)))[0]
    A = Q @ A @ Q.T
    decomposition = modes(A)
    left, right = fig.subplots(1, 2)
    circle = np.linspace(0, 2 * np.pi, 200)
    left.plot(np.cos(circle), np.sin(circle), "k-", lw=0.8)
    colors = {"fading": "C0", "persistent": "C2", "exploding": "C3", "polynomially growing": "C1"}
    for mode in decomposition.modes:
        lam = complex(mode.eigenvalue)
        left.plot(lam.real, lam.imag, "o", ms=8, color=colors.get(mode.kind, "k"), label=mode.kind)
    handles = dict(zip(*left.get_legend_handles_labels()[::-1]))
    left.legend(handles.values(), handles.keys(), fontsize=8)
    left.set(xlabel="Re", ylabel="Im", title="eigenvalues and the unit circle", aspect="equal")
    h = np.ones(size)
    coordinates = []
    for _ in range(60):
        coordinates.append(np.abs(decomposition.coordinates(h)))
        h = A @ h
    ys = np.array(coordinates)
    for i, lam in enumerate(np.diag(decomposition.Lam)):   # column i of Q, eigenvalue Lam[i, i]
        right.semilogy(ys[:, i], color=colors.get(classify(complex(lam), True, 1e-6), "k"), lw=1.2)
    right.set(xlabel="t", ylabel=r"$|(Q^{-1} h_t)_i|$", title="mode coordinates evolve independently")
    return ("A linear RNN h_t = A h_{t-1}: eigenvalues inside the unit circle fade, on it persist, outside it "
            "explode (left); in the eigenbasis each mode coordinate follows its own |lambda|^t (right).")
