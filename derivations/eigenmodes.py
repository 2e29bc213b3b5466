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

The result is checked against the simulated nonlinear step: 50-digit
central differences of ``y -> Q^{-1} phi(W_h Q y)``, with ``W_h = Q Lam Q^{-1}``
and ``phi`` drawn from all of rnnsym's activations (the coupling claims every
elementwise ``phi``), must equal the compiled coupling matrix at
``D = diag(phi'(W_h Q y))`` within a first-order rounding bound.

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

import math
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import register_symbol
from rnnsym.linear.modes import classify, modes
from rnnsym.model import matrix_symbols, vector_symbols
from rnnsym.registry import DerivationInfo
from rnnsym.symbols import LAM, TAU, Z
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="eigenmodes",
    title="Eigenmodes of the linear recurrence and their coupling by the nonlinearity",
    reference="3192175",
    section="Dynamics in the Eigenbasis",
    order=50,
    options={"n": int, "activation": str},
    max_n=3,  # symbolic Q: n = 2 took 1.1 s, n = 3 10.6 s (the accuracy table uses it), n = 4 over 20 s
    limit_hint="use rnnsym.linear.modes.modes() and coupling_strength() on float matrices.",
    symbols={
        "A": r"the recurrent matrix $A = Q \Lambda Q^{-1}$, entries $A[i,j]$",
        "lam": r"eigenvalues $\lambda[i]$ (the diagonal of $\Lambda$)",
        "Q": "right eigenvectors as columns, entries $Q[i,j]$",
        "Lam": "diagonal matrix of eigenvalues",
        "D": r"$\operatorname{diag}(\phi'(W_h h_{t-1}))$, entries $D[i,i]$",
        "y": "mode coordinates $y = Q^{-1} h$",
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
             r"The eigenvalues of a $2 \times 2$ $A$ are the roots of its characteristic polynomial ..."),
        Step(sp.Eq(LAM, sp.Tuple(*eigen), evaluate=False),
             "... found by SymPy."),
        Step(sp.Eq(Y_T, linear, evaluate=False),
             r"With $A = Q \Lambda Q^{-1}$ and $y = Q^{-1} h$, $y_t = Q^{-1} A Q y_{t-1} = \Lambda y_{t-1}$: "
             "each mode evolves alone, multiplied by its eigenvalue."),
        Step(sp.Eq(LEFT, Lam * register_symbol(sp.MatrixSymbol("Qinv", n, n), "Q^{-1}"), evaluate=False),
             r"SymPy checks $Q^{-1} A = \Lambda Q^{-1}$: the rows of $Q^{-1}$ are left eigenvectors, and "
             "the mode coordinate $(Q^{-1} h)_i$ is not an orthogonal projection onto $q_i$ unless $A$ "
             "is normal (correction C5)."),
        Step(sp.Eq(HALF, half_life, evaluate=False),
             r"A fading mode ($|\lambda| < 1$) halves after $\tau$ steps, where $|\lambda|^\tau = 1/2$."),
        Step(sp.Eq(J_T, J_t, evaluate=False),
             r"A Jordan block is not diagonalizable; SymPy's power $J^t$ has the term $t \lambda^{t-1}$."),
        Step(sp.Eq(sp.Symbol("h_t"), unit, evaluate=False),
             r"At $\lambda = 1$ the state $(0, 1)$ becomes $(t, 1)$: a Jordan block on the unit circle "
             "grows polynomially (marginal, not asymptotic, stability; correction C5)."),
        Step(sp.Eq(Y_T, y_next, evaluate=False),
             r"With the nonlinearity $h_t = \phi(A h_{t-1})$ the mode coordinates obey "
             r"$y_t = Q^{-1} \phi(Q \Lambda y_{t-1})$ ($Q$ maps modes to the standard basis; correction C6)."),
        Step(sp.Eq(COUPLING, coupling, evaluate=False),
             r"SymPy differentiates with respect to $y_{t-1}$; writing "
             r"$D = \operatorname{diag}(\phi'(Q \Lambda y_{t-1}))$ gives the coupling matrix $Q^{-1} D Q \Lambda$."),
        Step(sp.Eq(sp.Symbol("coupling_Q_eq_I"), diagonal_w, evaluate=False),
             "With $W$ diagonal ($Q = I$) it is diagonal: no coupling."),
        Step(sp.Eq(sp.Symbol("coupling_D_eq_dI"), scalar_d, evaluate=False),
             r"With $D = d I$ (for example tanh near the origin, $d = 1$) it is $d \Lambda$: no coupling. "
             "Otherwise it is generically full: every mode feeds every other."),
    ]
    register_symbol(sp.Symbol("coupling_Q_eq_I"), r"\left.\frac{\partial y_t}{\partial y_{t-1}}\right|_{Q = I}")
    register_symbol(sp.Symbol("coupling_D_eq_dI"), r"\left.\frac{\partial y_t}{\partial y_{t-1}}\right|_{D = d I}")
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps,
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
# The float64 kernel is compared with a DPS-digit reference: central differences (step FD_STEP:
# truncation FD_STEP^2 |g'''|/6 ~ 1e-36, rounding 10^-DPS / FD_STEP ~ 1e-32) of the model's own step
# compiled for mpmath.  Errors are in units of U times a sum of absolute values, so each tolerance
# is a count of roundings (first-order error bounds).
U = 2.0 ** -53
DPS, FD_STEP = 50, "1e-18"
FLOOR = 1e-30        # absolute error of the reference (10^-DPS / FD_STEP, times cond(Q) <= 1e3)
KINK_GAP = 1e-12     # kinked activations: pre-activations this far from a kink (>> FD_STEP |W Q|)


def _kinks(act: Any) -> list[float]:
    ends = [float(e) for p in (act.pieces or ()) for e in p[:2] if e.is_finite]
    return ends + ([0.0] if act.name == "softsign" else [])   # softsign: phi'' jumps at 0


def _abs_adjugate(Q: np.ndarray) -> tuple[np.ndarray, float]:
    """(|adj Q| with each cofactor a sum of |terms|, sum of the |terms| of det Q): n <= 3."""
    n = Q.shape[0]
    A = np.abs(Q)

    def perm(M: np.ndarray) -> float:   # the permanent: det with every sign +
        if M.shape[0] == 0:
            return 1.0
        return float(sum(M[0, j] * perm(np.delete(M[1:], j, axis=1)) for j in range(M.shape[0])))

    adj = np.array([[perm(np.delete(np.delete(A, j, 0), i, 1)) for j in range(n)] for i in range(n)])
    return adj, perm(A)


_MP_STEPS: dict[tuple, tuple[Any, Any]] = {}


def _mp_step(n: int, act: Any) -> tuple[Any, Any]:
    """The model's step h -> phi(W h) over (h, x, W_h, W_x, b), and phi', compiled for mpmath."""
    key = (n, act.name, str(act.params))
    if key not in _MP_STEPS:
        net = rs.RNN.symbolic(n=n, m=1, activation=act)
        _MP_STEPS[key] = (rs.compile(net.step(), [net.h_prev, net.x, *net.parameters], backend="mpmath", dps=DPS),
                          rs.compile(act.derivative_expr, [Z], backend="mpmath", dps=DPS))
    return _MP_STEPS[key]


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the coupling matrix with a high-precision Jacobian of the simulated nonlinear step."""
    ctx = derivation.context
    n: int = ctx["n"]
    Q_syms, lam_syms = list(ctx["Q"]), list(ctx["lam"])
    params = {k: v for k, v in derivation.parameters.items() if k in Q_syms + lam_syms}
    kernel = derivation.kernel
    D_syms = [ctx["D"][i, i] for i in range(n)]
    own = rs.get_activation(ctx["activation"])
    # The coupling Q^-1 D Q Lam claims every elementwise phi (D = diag(phi')): draw the activation.
    acts = st.one_of(st.just(own), rst.activations())
    eigenvalues = st.one_of(st.floats(-1.5, 1.5), rst.stable_coefficients())   # |lam| -> 1, and 0
    examples = st.tuples(st.one_of(rst.matrices(n, max_abs=1.5), rst.orthogonal_matrices(n)),
                         st.lists(eigenvalues, min_size=n, max_size=n), rst.states(n),
                         st.sampled_from([0.5, 10.0]), st.integers(1, 6), acts)

    def instantiate(ex: Any) -> tuple[np.ndarray, np.ndarray, dict]:
        by_symbol = {**dict(zip(Q_syms, map(float, np.ravel(ex[0])))), **dict(zip(lam_syms, map(float, ex[1])))}
        if params:   # substituted values, possibly expressions of the drawn ones
            exact = {s: sp.Float(v) for s, v in by_symbol.items() if s not in params}
            by_symbol.update({s: float(sp.sympify(v).xreplace(exact)) for s, v in params.items()})
        Q = np.array([by_symbol[s] for s in Q_syms]).reshape(n, n)
        # well conditioned, and det Q (in the compiled Q^-1) far from under- and overflow
        assume(np.linalg.cond(Q) < 1e3 and 1e-150 < abs(np.linalg.det(Q)) < 1e150)
        return Q, np.array([by_symbol[s] for s in lam_syms]), by_symbol

    def exact_map(Q: np.ndarray, lam: np.ndarray) -> tuple[Any, Any]:
        """Q and W = Q Lam Q^-1 at DPS digits (W exact to 10^-DPS: its Jacobian is Q^-1 D Q Lam)."""
        Qm = mpmath.matrix(Q.tolist())
        return Qm, Qm * mpmath.diag([mpmath.mpf(v) for v in lam]) * Qm ** -1

    def coupling_error(ex: Any) -> float:
        Q, lam, by_symbol = instantiate(ex)
        y0, act = np.asarray(ex[2]) * ex[3], ex[5]
        (step, prime), zero = _mp_step(n, act), np.zeros(1)
        with mpmath.workdps(DPS):
            Qm, Wm = exact_map(Q, lam)
            weights = [*Wm, *([0.0] * n), *([0.0] * n)]   # W_h, W_x = 0, b = 0

            def g(y: Any) -> Any:   # y_{t-1} -> y_t = Q^-1 phi(W Q y_{t-1}), the model's step
                h = step(np.array(list(Qm * mpmath.matrix(list(y))), dtype=object), zero, *weights)[:, 0]
                return np.array(list(mpmath.lu_solve(Qm, mpmath.matrix(list(h)))), dtype=object)

            y = np.array([mpmath.mpf(float(v)) for v in y0], dtype=object)
            pre = Wm * Qm * mpmath.matrix(list(y))
            assume(all(abs(float(z) - kink) > KINK_GAP for z in pre for kink in _kinks(act)))
            d = [float(prime(z)) for z in pre]
            eps = mpmath.mpf(FD_STEP)
            J = np.array([[float(v) for v in (g(y + e) - g(y - e)) / (2 * eps)]
                          for e in np.eye(n, dtype=object) * eps]).T
        by_symbol.update(zip(D_syms, d))
        K = np.asarray(kernel(*[by_symbol[s] for s in kernel.args]), dtype=float)
        if K.shape != J.shape:
            raise ValueError(f"the result has shape {K.shape}; the Jacobian has shape {J.shape}")
        # Rounding of the compiled entries (adj Q D Q Lam)_ij / det Q: the numerator sums n! terms of
        # n + 2 factors, |terms| summing to (|adj Q| |D| |Q| |Lam|)_ij: n + n! - 1 roundings, one more
        # for D and one for the division; det Q sums n! terms of n factors (perm |Q| in all):
        # n + n! - 2.  So |K - J| <= (n + n! + 1) U S (first order), S the sum of the two.
        adj, det_terms = _abs_adjugate(Q)
        det = abs(float(np.linalg.det(Q)))
        S = (adj * np.abs(d)) @ np.abs(Q) * np.abs(lam) / det + np.abs(J) * det_terms / det
        return float(np.max(np.abs(K - J) / (U * S + FLOOR * (1.0 + S.max()))))

    decoupled = rs.compile(ctx["decoupled"], list(ctx["lam"]))

    def linear_error(ex: Any) -> float:
        Q, lam, _ = instantiate(ex)
        y0, steps = np.asarray(ex[2], dtype=float), ex[4]
        with mpmath.workdps(DPS):   # the model's linear recurrence h = W h, at DPS digits
            Qm, Wm = exact_map(Q, lam)
            h = Qm * mpmath.matrix(y0.tolist())
            for _ in range(steps):
                h = Wm * h
            y = np.array([float(v) for v in mpmath.lu_solve(Qm, h)])
        Lam = np.asarray(decoupled(*lam), dtype=float)
        predicted = np.linalg.matrix_power(Lam, steps) @ y0
        # Lam^t y0 in float64 from the compiled Lam: at most t + 1 roundings of |lam|^t |y0|.
        scale = (steps + 1) * U * np.abs(lam) ** steps * np.abs(y0)
        return float(np.max(np.abs(y - predicted) / (scale + FLOOR * (1.0 + scale.max() / U))))

    def describe(ex: Any) -> str:
        return (f"{ex[5].name}: Q={np.asarray(ex[0]).tolist()}, lam={list(ex[1])}, "
                f"y={(np.asarray(ex[2]) * ex[3]).tolist()}, t={ex[4]}")

    coupling_ulps = n + math.factorial(n) + 2   # one more: second order, and rounding of S
    reports = [
        check_property(f"coupling matrix against the {DPS}-digit Jacobian of the simulated step "
                       r"(units of $u \, |\operatorname{adj} Q| \, |D| \, |Q| \, |\Lambda| / |\det Q|$)", examples, coupling_error,
                       tolerance=coupling_ulps, max_examples=max_examples, seed=seed, describe=describe),
        check_property(r"decoupled recurrence $y_t = \Lambda^t y_0$ against the simulated $h_t = A h_{t-1}$ "
                       r"(units of $(t + 1) u \, |\Lambda|^t \, |y_0|$)", examples, linear_error, tolerance=1.0,
                       max_examples=max_examples, seed=seed, describe=describe),
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
    fig.set_figheight(3.0)
    left, right = fig.subplots(1, 2)
    circle = np.linspace(0, 2 * np.pi, 200)
    left.plot(np.cos(circle), np.sin(circle), "k-", lw=0.8, label="unit circle")
    colors = {"fading": "C0", "persistent": "C2", "exploding": "C3", "polynomially growing": "C1"}
    for mode in decomposition.modes:
        lam = complex(mode.eigenvalue)
        left.plot(lam.real, lam.imag, "o", ms=6, color=colors.get(mode.kind, "k"), label=mode.kind)
    handles = dict(zip(*left.get_legend_handles_labels()[::-1]))
    left.legend(handles.values(), handles.keys(), loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2,
                columnspacing=0.8, handletextpad=0.3)
    left.set(xlabel=r"$\mathrm{Re}\,\lambda$", ylabel=r"$\mathrm{Im}\,\lambda$", title="eigenvalues of $A$",
             aspect="equal")
    h = np.ones(size)
    coordinates = []
    for _ in range(41):
        coordinates.append(np.abs(decomposition.coordinates(h)))
        h = A @ h
    ys = np.array(coordinates)
    drawn: list[complex] = []
    dashes = {"fading": iter(["-", "--", "-."]), "persistent": iter(["-", "--"]), "exploding": iter(["-", "--"])}
    for i, lam in enumerate(np.diag(decomposition.Lam)):   # column i of Q, eigenvalue Lam[i, i]
        lam = complex(lam)
        color = colors.get(classify(lam, True, 1e-6), "k")
        partner = any(abs(lam - other.conjugate()) < 1e-9 and abs(lam.imag) > 1e-9 for other in drawn)
        if partner:   # a conjugate pair has equal |coordinates|: its second member is marked on the first
            right.semilogy(ys[:, i], "x", color=color, ms=4, markevery=4, label=f"_{i}")
        else:
            style = next(dashes.get(classify(lam, True, 1e-6), iter(["-"])), ":")
            right.semilogy(ys[:, i], style, color=color, lw=1.2, label=rf"$|\lambda| = {abs(lam):.2f}$")
        drawn.append(lam)
    right.semilogy([], [], "kx", ms=4, label=r"its conjugate $\bar\lambda$")   # the key for the marks above
    right.set(xlabel="$t$", ylabel=r"$|(Q^{-1} h_t)_i|$", title="one mode, one geometric rate")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, columnspacing=0.8, handlelength=1.8)
    return (r"A linear RNN $h_t = A h_{t-1}$: eigenvalues inside the unit circle fade, on it persist, outside it "
            r"explode (left); in the eigenbasis each mode coordinate follows its own $|\lambda|^t$ (right).")
