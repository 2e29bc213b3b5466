"""Gradients through time: the Jacobian product, its order, its norm bound, transient growth.

Worked solution.  SymPy differentiates the ``T - k``-fold composition of the
model's step with an unspecified activation ``phi``; naming each ``phi'(a_t)``
it produces ``D_t`` shows that ``dh_T/dh_k = D_T W_h ... D_{k+1} W_h``, the
latest factor on the left.  The chapter's ``prod W_h^T D_t`` is the
transpose in the reverse order (correction C11).  Norms of the factors multiply
to the bound ``(c ||W_h||_2)**(T-k)`` (E12), which is ``q**(T-k)`` for a
contracting network (E15).  For ``W = [[lam, s], [0, lam]]`` SymPy derives
``W^k``, ``||W^k||_2`` and the lag of its peak; ``[[0.9, 0, 0], [0, 0, 0.5],
[0, 0, 0]]`` shows that ``||W||_2 = rho`` does not imply normality (E13).

The result is the written-out product for ``T - k = horizon`` (option,
default 3) in the entries ``W_h[i,j]`` and the diagonal entries
``D_j[i] = phi'(a_{k+j})_i``.  The verifier evaluates it at the ``D`` of a
simulated trajectory (activation drawn: the product claims every elementwise
``phi``) and compares it with 50-digit central differences of the simulated
``horizon``-step map; it checks the bound at ``k > 0``, and that it is attained
(normal ``W_h`` with ``D_t = c I``).

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("gradient_norms", horizon=1, n=1)
>>> d.result
Matrix([[D_1[0]*W_h[0,0]]])
>>> rs.derive("gradient_norms", horizon=2, n=1, activation="identity").result
Matrix([[W_h[0,0]**2]])
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.derivation import Derivation, Step
from rnnsym.gradients import (
    T,
    backward_recursion,
    chain_product,
    diagonal_symbols,
    gradient_norms,
    gradient_product,
    k,
    t,
)
from rnnsym.latex import latex, register_symbol
from rnnsym.linear.normality import (
    LAM,
    S,
    jordan_matrix,
    jordan_peak_lag,
    jordan_power,
    jordan_power_norm,
    jordan_transient_peak,
    normality_defect,
    transient_growth,
)
from rnnsym.model import vector_symbols
from rnnsym.registry import DerivationInfo
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="gradient_norms",
    title="Gradients through time: the Jacobian product and its norm",
    reference="3148004",
    section="The Achilles' Heel: Long-Term Dependency and Gradient Stability",
    order=100,
    options={"horizon": int, "n": int, "activation": str},
    max_n=4,  # n = 4 took 3.6 s, n = 6 11 s, n = 8 over 20 s (horizon 3)
    option_ranges={"horizon": (1, 6)},
    limit_hint="use rnnsym.gradients.gradient_norms() along a simulated trajectory.",
    symbols={
        "W_h": "recurrent weights, entries $W_h[i,j]$",
        "D_t": r"$\operatorname{diag}(\phi'(a_t))$; in the result $D_j[i]$ is entry $i$ of $D_{k+j}$",
        "T": "the later time", "k": "the earlier time ($T - k$ = horizon in the result)",
        "c": r"bound on $|\phi'|$ ($\sup |\phi'|$)", "q": r"contraction factor $L_\phi \|W_h\|_2$",
        "lam": r"eigenvalue of the Jordan-type example $[[\lambda, s], [0, \lambda]]$",
        "s": "coupling of the Jordan-type example",
    },
)

c = sp.Symbol("c", positive=True)
q = sp.Symbol("q", positive=True)
NORM_W = register_symbol(sp.Symbol("norm(W_h)", positive=True), r"\left\|W_h\right\|_2")
NORM_D = register_symbol(sp.Symbol("norm(D_t)", nonnegative=True), r"\left\|D_t\right\|_2")
NORM_G = register_symbol(sp.Symbol("norm(dh_T/dh_k)", nonnegative=True),
                         r"\left\|\frac{\partial h_T}{\partial h_k}\right\|_2")
J_T = register_symbol(sp.Symbol("dh_t/dh_prev"), r"\frac{\partial h_t}{\partial h_{t-1}}")
DADH = register_symbol(sp.Symbol("da_t/dh_prev"), r"\frac{\partial a_t}{\partial h_{t-1}}")
D_T = register_symbol(sp.Symbol("D_t"), "D_t")
#: ``W_h`` as displayed in the one-step chain rule; not the parameter ``W_h`` (a matrix), which it must not shadow.
W_H_SHOWN = register_symbol(sp.Symbol("W_h_shown"), "W_h")
G_TK = register_symbol(sp.Symbol("dh_T/dh_k"), r"\frac{\partial h_T}{\partial h_k}")
G_TK_T = register_symbol(sp.Symbol("(dh_T/dh_k)^T"), r"\left(\frac{\partial h_T}{\partial h_k}\right)^{\top}")
K_STAR = register_symbol(sp.Symbol("k_star"), "k^{*}")
POWER = register_symbol(sp.Symbol("W^k"), "W^{k}")
POWER_NORM = register_symbol(sp.Symbol("norm(W^k)"), r"\left\|W^{k}\right\|_2")
DEFECT = register_symbol(sp.Symbol("W^TW-WW^T"), r"W^{\top}W - WW^{\top}")
NORM_E13 = register_symbol(sp.Symbol("norm(W)"), r"\left\|W\right\|_2")
R_RATE = sp.Symbol("r", positive=True)
J_INT = sp.Symbol("k", integer=True, nonnegative=True)

def _rows(M: sp.Matrix) -> str:
    """``M`` as inline math, row by row: ``[[a, b], [c, d]]``."""
    return "[" + ", ".join("[" + ", ".join(latex(e) for e in row) + "]" for row in M.tolist()) + "]"


def _label(horizon: int) -> sp.Symbol:
    return register_symbol(sp.Symbol(f"dh_(k+{horizon})/dh_k"),
                           rf"\frac{{\partial h_{{k+{horizon}}}}}{{\partial h_k}}")


def _chain_rule_product(net: rs.RNN, horizon: int) -> tuple[sp.ImmutableMatrix, list]:
    """Differentiate ``horizon`` composed steps with an unspecified phi; name phi'(a) D."""
    phi = sp.Function("phi")
    h = vector_symbols("h_k", net.n, "h_{{k,{i}}}")
    state, points = h, {}
    diagonals = diagonal_symbols(net.n, horizon)
    for j in range(horizon):
        x = vector_symbols(f"x_k{j + 1}", net.m, f"x_{{{{k+{j + 1},{{i}}}}}}")
        pre = net.preactivation(state, x)
        for i in range(net.n):
            points[pre[i]] = diagonals[j][i, i]
        state = pre.applyfunc(phi)
    derived = state.jacobian(h)

    # Each phi'(a) appears as Subs(Derivative(phi(xi), xi), xi, a), or as
    # Derivative(phi(a), a) when a is a bare symbol: name it by its point a.
    mapping = {}
    for entry in derived:
        for sub in entry.atoms(sp.Subs):
            mapping[sub] = points[sub.point[0]]
        for der in entry.atoms(sp.Derivative):
            if der.variables[0] in points and der.expr == phi(der.variables[0]):
                mapping[der] = points[der.variables[0]]
    named = derived.xreplace(mapping)
    if any(entry.has(phi) for entry in named):  # pragma: no cover - guards SymPy's output form
        raise RuntimeError("an unnamed derivative of phi is left in the chain-rule product")
    return sp.ImmutableMatrix(sp.expand(named)), diagonals


def derive(horizon: int = 3, n: int = 2, activation: str = "tanh") -> Derivation:
    """Derive ``dh_T/dh_k`` for ``T - k = horizon``, its bound and the transient-growth example.

    ``n`` and ``horizon`` are limited (``INFO.max_n``, ``INFO.option_ranges``) by
    :func:`rnnsym.registry.derive`.
    """
    net = rs.RNN.symbolic(n=n, m=1, activation=activation)
    dadh = net.preactivation().jacobian(net.h_prev)
    if sp.expand(net.jacobian() - net.D() * dadh) != sp.zeros(n, n):  # pragma: no cover
        raise RuntimeError("the model's Jacobian does not factor as D_t da_t/dh_{t-1}")
    derived, diagonals = _chain_rule_product(net, horizon)
    if sp.expand(derived - chain_product(net.W_h, diagonals)) != sp.zeros(n, n):  # pragma: no cover
        raise RuntimeError("the chain rule did not produce the ordered product D_T W_h ... D_{k+1} W_h")
    prime = net.activation.derivative_expr
    result = derived
    if not prime.free_symbols:  # phi' constant (identity): every D_t is that constant times I
        result = sp.ImmutableMatrix(sp.expand(derived.xreplace(
            {d[i, i]: prime for d in diagonals for i in range(n)})))

    general = gradient_product()
    bound = sp.Product(c * NORM_W, (t, k + 1, T)).doit()
    vanishing = sp.limit(bound.subs(c * NORM_W, sp.exp(-R_RATE)), T, sp.oo)
    w_ex = sp.Matrix([[sp.Rational(1, 2), 2], [0, sp.Rational(1, 2)]])
    w_ex_power = (w_ex ** J_INT).applyfunc(sp.simplify)
    w_ex_limit = w_ex_power.applyfunc(lambda e: sp.limit(e, J_INT, sp.oo))
    k_star, k_peak, peak = jordan_transient_peak(0.9, 1.0)
    e13 = sp.Matrix([[sp.Rational(9, 10), 0, 0], [0, 0, sp.Rational(1, 2)], [0, 0, 0]])
    e13_rho = max(sp.Abs(v) for v in e13.eigenvals())
    counter_w = sp.Matrix([[0, 1], [0, 0]])
    jordan_k = {sp.Symbol("k", positive=True): k}

    steps = [
        Step(sp.Eq(DADH, dadh, evaluate=False),
             "SymPy differentiates the pre-activation $a_t = W_h h_{t-1} + W_x x_t + b$: it is $W_h$."),
        Step(sp.Eq(D_T, net.D(), evaluate=False),
             r"$\phi$ acts elementwise, so $\partial h_t / \partial a_t$ is the diagonal "
             r"$D_t = \operatorname{diag}(\phi'(a_t))$."),
        Step(sp.Eq(J_T, sp.MatMul(D_T, W_H_SHOWN), evaluate=False),
             r"Chain rule for one step: $\partial h_t / \partial h_{t-1} = D_t W_h$."),
        Step(sp.Eq(_label(horizon), gradient_product(horizon), evaluate=False),
             f"SymPy differentiates {horizon} composed steps with an unspecified $\\phi$; naming each "
             r"$\phi'(a_t)$ $D_t$, the factors come out with the latest on the left."),
        Step(sp.Eq(G_TK, general, evaluate=False),
             r"For any $T \ge k$: the ordered product, $t$ running from $T$ (left) down to $k+1$ (right)."),
        Step(sp.Eq(G_TK_T, general.transpose(), evaluate=False),
             r"Its transpose reverses the order: $W_h^{\top} D_{k+1} \cdots W_h^{\top} D_T$. This is the chapter's "
             r"product of $W_h^{\top} D_t$ (correction C11), the factor in "
             r"$\nabla_{h_k} L = (\partial h_T / \partial h_k)^{\top} \nabla_{h_T} L$; "
             "the chapter's displayed equality of the two is false as written."),
        Step(sp.Ne(chain_product(counter_w, [sp.eye(2)]), counter_w.T, evaluate=False),
             "A counterexample to the chapter's equality: $W_h = [[0, 1], [0, 0]]$, $D_{k+1} = I$, $T = k+1$."),
        Step(backward_recursion(),
             r"Back-propagation runs the transposed product backward in time: $g_k = \partial L / \partial h_k$."),
        Step(sp.Le(NORM_G, sp.Product(NORM_D * NORM_W, (t, k + 1, T)), evaluate=False),
             "The 2-norm is submultiplicative."),
        Step(sp.Le(NORM_G, bound, evaluate=False),
             r"$\|D_t\|_2 = \max_i |\phi'(a_t)_i| \le c = \sup |\phi'|$; SymPy evaluates the product: the "
             "exponent is $T - k$, not $T$ (correction C12)."),
        Step(sp.Eq(sp.Limit(bound.subs(c * NORM_W, sp.exp(-R_RATE)), T, sp.oo), vanishing, evaluate=False),
             r"With $c \|W_h\|_2 = e^{-r} < 1$ the bound tends to 0: vanishing gradients are certified."),
        Step(sp.Eq(sp.Limit(POWER, k, sp.oo), w_ex_limit, evaluate=False),
             r"$c \|W_h\|_2 > 1$ is only necessary for explosion: $W = [[1/2, 2], [0, 1/2]]$ (identity "
             rf"activation, $c = 1$) has $\|W\|_2 = {latex(sp.nsimplify(w_ex.norm(2)))} > 1$, yet "
             f"$W^k = {_rows(w_ex_power.xreplace({J_INT: k}))}$ tends to 0."),
        Step(sp.Eq(DEFECT, normality_defect(jordan_matrix()), evaluate=False),
             r"$W = [[\lambda, s], [0, \lambda]]$ is not normal when $s \ne 0$, so $\|W\|_2 > \rho(W) = |\lambda|$."),
        Step(sp.Eq(POWER, jordan_power().xreplace(jordan_k), evaluate=False),
             "SymPy's matrix power with a symbolic exponent."),
        Step(sp.Eq(POWER_NORM, jordan_power_norm().xreplace(jordan_k), evaluate=False),
             r"$\|W^k\|_2$ is the square root of the larger eigenvalue of $(W^k)^{\top} W^k$ ($\lambda, s > 0$; "
             r"the norm depends only on $|\lambda|$ and $|s|$)."),
        Step(sp.Eq(K_STAR, jordan_peak_lag(), evaluate=False),
             r"SymPy solves $\frac{d}{dk} \log \|W^k\|_2 = 0$ for $0 < \lambda < 1$; $\log \|W^k\|_2$ is concave "
             r"in $k$, so the integer peak is $\lfloor k^* \rfloor$ or $\lceil k^* \rceil$."),
        Step(sp.Eq(K_STAR, sp.Float(k_star, 6), evaluate=False),
             rf"For $\lambda = 0.9$, $s = 1$ (correction C12): the peak is at $k = {k_peak}$ with "
             rf"$\|W^{{{k_peak}}}\|_2 = {peak:.4f}$, although $\rho(W) = 0.9 < 1$.", relation="≈"),
        Step(sp.Eq(DEFECT, normality_defect(e13), evaluate=False),
             "Correction C13: $W = [[9/10, 0, 0], [0, 0, 1/2], [0, 0, 0]]$ is not normal, yet "
             rf"$\|W\|_2 = {latex(e13.norm(2))} = \rho(W) = {latex(e13_rho)}$: equality does not imply normality."),
        Step(sp.Le(NORM_G, bound.subs(c * NORM_W, q), evaluate=False),
             r"Correction C15: a globally contracting network, $q = L_\phi \|W_h\|_2 < 1$ ($L_\phi = c$), "
             "has gradients vanishing at least like $q^{T-k}$."),
        Step(sp.Eq(_label(horizon), gradient_product(horizon), evaluate=False),
             "The result writes this product out entry by entry; "
             + ("$(D_{k+j})_i$ is entry $i$ of $D_{k+j}$." if prime.free_symbols else
                rf"$\phi'$ is constant, every $D_t = {'' if prime == 1 else latex(prime) + ' '}I$.")),
    ]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps, result=result,
        result_label=_label(horizon), compact=gradient_product().xreplace({T: k + horizon}),
        symbols=dict(INFO.symbols),
        kernel_args=[*net.W_h, *[d[i, i] for d in diagonals for i in range(n)]],
        verifier=verify,
        context={"model": net, "horizon": horizon, "diagonals": diagonals, "bound": bound,
                 "norm_expr": jordan_power_norm(), "k_star": jordan_peak_lag()},
    )


# ----------------------------------------------------------------- verification
# The float64 kernel is compared with a DPS-digit reference: central differences of the model's own
# step compiled for mpmath, step FD_STEP (truncation FD_STEP^2 |g'''|/6 ~ 1e-36, rounding
# 10^-DPS / FD_STEP = 1e-32, both ~1e-16 U).  Errors are in units of U times a sum of absolute
# values, so each tolerance is a count of roundings (first-order error bounds).
U = 2.0 ** -53
DPS, FD_STEP = 50, "1e-18"
FLOOR = 1e-30         # absolute error of the reference Jacobian (10^-DPS / FD_STEP, times the steps)
KINK_GAP = 1e-12      # kinked activations: pre-activations this far from a kink (>> FD_STEP |W|)


_MP_MODELS: dict[tuple, tuple[Any, Any]] = {}


def _mp_model(n: int, act: Any) -> tuple[Any, Any]:
    """The model's step and phi'(a_t), compiled for mpmath, over (h, x, W_h, W_x, b)."""
    key = (n, act.name, str(act.params))
    if key not in _MP_MODELS:
        net = rs.RNN.symbolic(n=n, m=1, activation=act)
        args = [net.h_prev, net.x, *net.parameters]
        _MP_MODELS[key] = (rs.compile(net.step(), args, backend="mpmath", dps=DPS),
                           rs.compile(net.activation.derivative(net.preactivation()), args,
                                      backend="mpmath", dps=DPS))
    return _MP_MODELS[key]


def _kinks(act: Any) -> list[float]:
    ends = [float(e) for p in (act.pieces or ()) for e in p[:2] if e.is_finite]
    return ends + ([0.0] if act.name == "softsign" else [])   # softsign: phi'' jumps at 0


def _reference(net: rs.RNN, h: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dh_{k+H}/dh_k by DPS-digit central differences, phi'(a) rounded to float64, pre-activations)."""
    step, prime = _mp_model(net.n, net.activation)
    W_h, W_x, b = net.numeric_weights()
    args = [float(v) for v in (*W_h.ravel(), *W_x.ravel(), *b)]
    with mpmath.workdps(DPS):
        def run(state: Any) -> Any:
            for x in xs:
                state = step(state, x, *args)[:, 0]
            return state
        state, ds, pres = np.array([mpmath.mpf(v) for v in h], dtype=object), [], []
        for x in xs:
            ds.extend(prime(state, x, *args)[:, 0])
            pres.extend(W_h @ np.array([float(v) for v in state]) + W_x @ x + b)
            state = step(state, x, *args)[:, 0]
        eps, base = mpmath.mpf(FD_STEP), np.array([mpmath.mpf(v) for v in h], dtype=object)
        cols = []
        for j in range(net.n):
            e = np.array([mpmath.mpf(0)] * net.n, dtype=object)
            e[j] = eps
            cols.append([float(v) for v in (run(base + e) - run(base - e)) / (2 * eps)])
    return np.array(cols).T, np.array([float(v) for v in ds]), np.array(pres)


def _fixed_point(W: np.ndarray, act: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(h*, b)``: pre-activation z* at every unit with phi'(z*) = sup |phi'| = c (None if no such z*)."""
    z = next((z for z in (0.0, 1.0) if float(act.numpy_prime(z)) == float(act.lipschitz)), None)
    if z is None:
        return None
    h = np.full(W.shape[0], float(act.numpy(z)))
    return h, z - W @ h


def _weight_strategies(n: int) -> tuple[st.SearchStrategy, st.SearchStrategy]:
    """Recurrent weights (generic, unstable, normal, non-normal) and contraction factors q.

    q = c ||W_h||_2 is drawn with its edges: 0, and within 1e-6 of 1.  Built once per verify:
    building strategies per draw costs more than the draws.
    """
    kinds = [rst.matrices(n), rst.unstable_matrices(n)]
    if n > 1:
        kinds += [rst.normal_matrices(n), rst.non_normal_matrices(n)]
    return st.one_of(kinds), rst.spectral_radii(0.0, 1.0 - 1e-6)


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the product with a high-precision Jacobian of the simulated map; check the bound is sharp."""
    net: rs.RNN = derivation.context["model"]
    n, horizon, diagonals = net.n, derivation.context["horizon"], derivation.context["diagonals"]
    params = dict(derivation.parameters)
    w_symbols = list(net.W_h)
    d_symbols = [d[i, i] for d in diagonals for i in range(n)]
    kernel = derivation.kernel
    own = net.activation
    c_value = float(params.get(c, own.lipschitz))
    bound = derivation.context["bound"].subs({**params, c: c_value})
    # A result in the D_j holds for every elementwise phi: draw the activation.  With phi' constant
    # (identity) the derivation substituted it, and the result claims that activation only.
    acts = st.one_of(st.just(own), rst.activations()) if own.derivative_expr.free_symbols else st.just(own)

    def pinned(W: np.ndarray) -> np.ndarray:
        """``W`` with the substituted entries (possibly expressions of the drawn ones) put back."""
        if not any(s in params for s in w_symbols):
            return W
        drawn = {s: sp.Float(float(v)) for s, v in zip(w_symbols, W.ravel()) if s not in params}
        return np.array([float(sp.sympify(params[s]).xreplace(drawn)) if s in params else float(drawn[s])
                         for s in w_symbols]).reshape(n, n)

    weights, factors = _weight_strategies(n)
    columns, states, inputs = rst.matrices(n, 1), rst.states(n), rst.inputs(1, horizon)

    @st.composite
    def trajectories(draw: Any, act_strategy: Any = acts, contracting: bool = False) -> Any:
        act, W = draw(act_strategy), draw(weights)
        if contracting and np.linalg.norm(W, 2) > 0:   # scaled to c ||W_h||_2 = q < 1
            W = W * (draw(factors) / (float(act.lipschitz) * np.linalg.norm(W, 2)))
        W = pinned(W)
        W_x, h, xs = draw(columns), draw(states), draw(inputs)
        b = draw(states) * draw(st.sampled_from([1.0, 10.0]))   # x10: saturated units
        if draw(st.booleans()) and (fp := _fixed_point(W, act)) is not None:
            (h, b), xs = fp, np.zeros((horizon, 1))   # D_t = c I at every step: the bound's worst case
        return rs.RNN(W, W_x, b, act), h, xs, draw(st.integers(1, 6))

    normal = rst.normal_matrices(n)

    @st.composite
    def sharp(draw: Any) -> Any:
        W = draw(normal)
        q, norm = draw(factors), np.linalg.norm(W, 2)
        W = pinned(W * (q / (c_value * norm)) if norm > 0 and draw(st.booleans()) else W)
        fp = _fixed_point(W, own)
        assume(fp is not None and np.allclose(W.T @ W, W @ W.T, rtol=0, atol=1e-14 * (1 + np.abs(W).max() ** 2)))
        return rs.RNN(W, draw(columns), fp[1], own), fp[0], np.zeros((horizon, 1)), draw(st.integers(1, 6))

    def reference(ex: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        concrete, h, xs, _ = ex
        J, d, pres = _reference(concrete, h, xs)
        assume(all(abs(z - kink) > KINK_GAP for z in pres for kink in _kinks(concrete.activation)))
        return J, d, concrete.numeric_weights()[0]

    # Each entry of the expanded product sums n^(H-1) monomials of 2H factors (2H - 1 roundings, and
    # n^(H-1) - 1 for the sum); the H factors D_j are phi' rounded once: |K - J| <= product_ulps U S,
    # S = |D_H| |W| ... |D_1| |W| entrywise; one more for second order and the rounding of S.
    product_ulps = 3 * horizon - 1 + n ** (horizon - 1)

    def product_error(ex: Any) -> float:
        J, d, W = reference(ex)
        by_symbol = {**dict(zip(w_symbols, W.ravel())), **dict(zip(d_symbols, d))}
        K = np.asarray(kernel(*[by_symbol[s] for s in kernel.args]), dtype=float)
        if K.shape != J.shape:
            raise ValueError(f"the result has shape {K.shape}; the Jacobian has shape {J.shape}")
        S = np.eye(n)
        for j in range(horizon):
            S = np.abs(d[j * n:(j + 1) * n])[:, None] * (np.abs(W) @ S)
        return float(np.max(np.abs(K - J) / (U * S + FLOOR * (1.0 + S.max()))))

    # ||J||_2 from the SVD of the rounded J: relative error <= (n + 1) U; ||W||_2 likewise, raised to
    # the power H: H (n + 1) U, and H + 1 roundings for c and the power: BOUND_ULPS in units of U.
    bound_ulps = (horizon + 1) * (n + 1) + horizon + 1

    bound_fn = sp.lambdify([NORM_W, T, k, *w_symbols], bound, modules="mpmath")

    def bound_at(ex: Any) -> tuple[float, float]:
        J, _, W = reference(ex)
        limit = bound_fn(float(np.linalg.norm(W, 2)), ex[3] + horizon, ex[3], *map(float, W.ravel()))
        return float(np.linalg.norm(J, 2)), float(mpmath.re(limit))

    def bound_error(ex: Any) -> float:   # one-sided: ||dh_T/dh_k||_2 <= (c ||W_h||_2)^(T-k), k = k0 > 0
        norm, limit = bound_at(ex)
        return max(0.0, norm - limit) / (U * limit + FLOOR)

    def sharpness_error(ex: Any) -> float:   # two-sided: equality for normal W with D_t = c I
        norm, limit = bound_at(ex)
        return abs(norm - limit) / (U * limit + FLOOR)

    lam_fixed, s_fixed = params.get(LAM), params.get(S)
    norm_expr = derivation.context["norm_expr"].subs(params)
    k_star_sq = sp.expand(derivation.context["k_star"].subs(params) ** 2)

    def growth_error(example: Any) -> float:
        lam_v = float(lam_fixed) if lam_fixed is not None else example[0]
        s_v = float(s_fixed) if s_fixed is not None else example[1]
        free = {LAM: lam_v, S: s_v}
        norms, power = [1.0], np.eye(2)
        W = np.array([[lam_v, s_v], [0.0, lam_v]])
        while norms[-1] > 1.0 or len(norms) == 1:  # plain NumPy powers until ||W^K|| <= 1
            power = power @ W
            norms.append(float(np.linalg.norm(power, 2)))
        ks2 = float(k_star_sq.subs(free))
        candidates = [0] if ks2 <= 0 else sorted({0, int(np.floor(np.sqrt(ks2))), int(np.ceil(np.sqrt(ks2)))})
        closed = [1.0 if kk == 0 else float(norm_expr.subs({**free, sp.Symbol("k", positive=True): kk}))
                  for kk in candidates]
        # W^k has entries >= 0 (no cancellation): 2k roundings, the SVD 3 more; the closed form is
        # evaluated by SymPy at 15 digits (a few U): the error is at most (2K + 8) U, K the last power.
        return abs(max(closed) - max(norms)) / max(norms) / (U * (2 * len(norms) + 8))

    def describe(ex: Any) -> str:
        W_h, W_x, b = ex[0].numeric_weights()
        return (f"{ex[0].activation.name}: W_h={W_h.tolist()}, W_x={W_x.ravel().tolist()}, b={b.tolist()}, "
                f"h_k={np.asarray(ex[1]).tolist()}, x={np.asarray(ex[2]).ravel().tolist()}, k={ex[3]}")

    few = max(5, max_examples // 3)
    reports = [
        check_property(f"float64 product against the {DPS}-digit Jacobian of the simulated map "
                       r"(units of $u \, |D_H| \, |W| \cdots |D_1| \, |W|$)", trajectories(), product_error,
                       tolerance=product_ulps, max_examples=max_examples, seed=seed, describe=describe),
        check_property(r"$(c \|W_h\|_2)^{T-k}$ bounds the simulated Jacobian at $k > 0$ (units of $u$)",
                       trajectories(st.just(own)), bound_error, tolerance=bound_ulps,
                       max_examples=few, seed=seed, describe=describe),
        check_property(r"contracting networks, $q = c \|W_h\|_2$ up to $1 - 10^{-6}$: $q^{T-k}$ bounds the Jacobian",
                       trajectories(st.just(own), True), bound_error, tolerance=bound_ulps,
                       max_examples=few, seed=seed, describe=describe),
        check_property(r"the bound is attained: normal $W_h$, $D_t = c I$ (two-sided, units of $u$)",
                       sharp(), sharpness_error, tolerance=bound_ulps, max_examples=few, seed=seed,
                       describe=describe),
        check_property("closed-form transient peak against NumPy matrix powers (units of $(2K + 8) u$)",
                       st.tuples(st.floats(0.2, 0.97), st.floats(0.05, 5.0)), growth_error,
                       tolerance=1.0, max_examples=few, seed=seed),
    ]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw simulated gradient norms under their bound, and the transient growth of ``W^k``; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    examples = {"normal": np.array([[0.9, 0.0], [0.0, 0.5]]), "non-normal": np.array([[0.9, 1.0], [0.0, 0.9]])}
    xs = np.random.default_rng(0).uniform(-0.1, 0.1, (60, 1))
    left, right = fig.subplots(1, 2)
    top = 1e3   # the bound of the non-normal matrix grows past the plot: drawn up to its top
    for i, (label, W) in enumerate(examples.items()):
        g = gradient_norms(rs.RNN(W, [[1.0], [1.0]], activation="tanh"), xs)
        left.semilogy(g.lags, g.norms, color=f"C{i}", lw=1.5, label=rf"{label} $W_h$")
        bound = np.exp(g.lags * g.log_bound_factor)
        left.semilogy(g.lags, np.where(bound <= top, bound, np.nan), color=f"C{i}", ls="--", lw=1, label=f"_{i}")
        growth = transient_growth(W, k_max=60)
        right.semilogy(growth.norms, color=f"C{i}", lw=1.5, label=label)
        right.plot([growth.k_peak], [growth.peak], "o", color=f"C{i}", label=f"_{i}")
    left.semilogy([], [], "k--", lw=1, label=r"bound $(c\|W_h\|_2)^{T-k}$")   # the key for both bounds
    rho = np.abs(np.linalg.eigvals(examples["normal"])).max()
    right.semilogy(np.arange(61), rho ** np.arange(61), "k", ls="none", marker="o", mfc="none", ms=4, markevery=6,
                   label=rf"$\rho^k$, $\rho = {rho:g}$")
    right.plot([], [], "ko", label="peak")   # the key for the peaks
    left.set(xlabel="$T - k$", ylabel=r"$\|\partial h_T / \partial h_k\|_2$", title="gradient norms (tanh RNN)",
             ylim=(1e-4, top))
    right.set(xlabel="$k$", ylabel=r"$\|W_h^k\|_2$", title="growth before the decay")
    left.legend(loc="upper right")
    right.legend(loc="lower left")
    return (r"Left: $\|\partial h_T / \partial h_k\|_2$ along a simulated tanh trajectory for a normal and a "
            r"non-normal $W_h$ with the same spectral radius 0.9, and the bound $(c \|W_h\|_2)^{T-k}$. Right: "
            r"$\|W_h^k\|_2$ of the non-normal matrix grows before it decays, although $\rho < 1$; the normal one "
            r"follows $\rho^k$.")
