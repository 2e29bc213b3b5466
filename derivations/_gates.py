"""Helpers of the gated-cell derivations (not a derivation): the chain rule through named gate vectors.

A gated cell's step is a short chain of named vectors (:meth:`rnnsym.cells.GatedCell.named_step`):
each is an activation of an argument written in the state, the input and the vectors before it.
:func:`block_form` applies the chain rule through that chain with SymPy, block by block of the
state, and writes every factor in vector notation: a diagonal Jacobian as
``diag(v)`` with ``v`` read off its entries (the same expression in every entry, checked),
a weight block by its name, a row-scaled weight block as ``diag(v) W``.  Each quantity is
kept twice: as it is displayed (non-commuting symbols, so products keep their order) and as
the matrix it stands for; substituting the named vectors back gives the expanded Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import latex, register_symbol
from rnnsym.model import vector_symbols
from rnnsym.verification import check_property, combine_reports


def shown(name: str, tex: str, commutative: bool = True) -> sp.Symbol:
    """A display symbol ``name`` printed as ``tex``."""
    return register_symbol(sp.Symbol(name, commutative=commutative), tex)


#: How the gates' activations are written.
ACT_TEX = {"sigmoid": r"\sigma", "tanh": r"\tanh"}


def _diag(content: Any) -> sp.Symbol:
    return shown(f"diag({sp.sstr(content)})", rf"\operatorname{{diag}}({latex(content)})", commutative=False)


@dataclass
class BlockForm:
    """The Jacobian of a gated cell through its named vectors.

    ``blocks[(p, q)]`` is ``(display, matrix)`` of ``dp_t/dq_{t-1}``; ``steps`` show the
    chain rule in vector notation; :meth:`expand` substitutes the named vectors back.
    """

    cell: Any
    steps: list[Step] = field(default_factory=list)
    blocks: dict[tuple[str, str], tuple[Any, sp.Matrix]] = field(default_factory=dict)
    labels: dict[tuple[str, str], sp.Symbol] = field(default_factory=dict)
    definitions: list[tuple[sp.ImmutableMatrix, sp.ImmutableMatrix]] = field(default_factory=list)

    def expand(self, matrix: Any) -> sp.ImmutableMatrix:
        """``matrix`` with every named vector and gate derivative replaced by its expression (last first)."""
        out = sp.ImmutableMatrix(matrix)
        for symbols, values in reversed(self.definitions):
            out = out.xreplace(dict(zip(symbols, values)))
        return out

    def full(self) -> sp.ImmutableMatrix:
        """The whole state Jacobian (blocks in the cell's state order), in named vectors."""
        names = [p for p, _ in self.cell.state_parts]
        return sp.ImmutableMatrix(sp.BlockMatrix([[self.blocks[(p, q)][1] for q in names] for p in names])
                                  .as_explicit())


class _Reader:
    """Reads matrices of a cell's step in vector notation (see the module docstring)."""

    def __init__(self, cell: Any, vectors: tuple, derivatives: list[sp.ImmutableMatrix]) -> None:
        n = cell.n
        self.columns: list[tuple[sp.ImmutableMatrix, sp.Symbol]] = []   # indexed column -> vector symbol
        for (name, k), sl in zip(cell.state_parts, _slices(cell)):
            self.columns.append((sp.ImmutableMatrix(cell.state_symbols[sl, :]), shown(f"{name}_(t-1)",
                                                                                       f"{name}_{{t-1}}")))
        for v, d in zip(vectors, derivatives):
            tex = _vector_tex(v.name)
            self.columns.append((v.symbols, shown(_vector_name(v.name), tex)))
            self.columns.append((d, shown(_vector_name(v.name) + "'", _prime(tex))))
        self.weights: list[tuple[sp.Matrix, sp.Symbol, sp.ImmutableMatrix | None]] = []
        for g in cell.gates:
            W_i, W_h, b_i, b_h = cell.gate_weights(g)
            for label, W, v in ((f"W_i{g}", W_i, cell.input_symbols), (f"W_h{g}", W_h, cell.state_symbols[:n, :])):
                self.weights.append((sp.Matrix(W), shown(label, f"W_{{{label[2:]}}}", commutative=False),
                                     sp.ImmutableMatrix(v)))
            for label, b in ((f"b_i{g}", b_i), (f"b_h{g}", b_h)):
                if isinstance(b, sp.MatrixBase) and b.free_symbols:
                    self.columns.append((sp.ImmutableMatrix(b), shown(label, f"b_{{{label[2:]}}}")))
        self.h_name = shown("h_(t-1)", "h_{t-1}")
        self.x_name = shown("x_t", "x_t")

    def entry(self, expr: sp.Expr, i: int) -> sp.Expr:
        """Entry ``i`` of an elementwise vector expression, in vector notation."""
        out = sp.expand(expr)
        for W, label, v in self.weights:
            if W.cols != v.rows or not W.cols:
                continue
            linear = sp.expand((W[i, :] * v)[0])
            if linear != 0 and not (sp.expand(out - linear).free_symbols & set(W[i, :].free_symbols)):
                vec = self.h_name if v == self.weights[1][2] else self.x_name
                out = sp.expand(out - linear) + shown(f"{label} {vec}", f"{latex(label)} {latex(vec)}")
        out = out.xreplace({col[i]: name for col, name in self.columns if col.rows > i})
        if any("[" in s.name for s in out.free_symbols):
            raise ValueError(f"entry {i} is not elementwise in named vectors: {out}")
        return out

    def vector(self, entries: list[sp.Expr]) -> sp.Expr:
        forms = [self.entry(e, i) for i, e in enumerate(entries)]
        if any(sp.expand(f - forms[0]) != 0 for f in forms[1:]):
            raise ValueError(f"not the same expression in every entry: {forms}")
        return sp.factor_terms(forms[0])

    def matrix(self, M: sp.Matrix) -> Any:
        """``M`` in vector notation: ``0``, ``diag(v)``, ``W``, ``diag(v) W`` (else ValueError)."""
        M = sp.Matrix(M)
        if M.is_zero_matrix:
            return sp.S.Zero
        for W, label, _ in self.weights:
            if W.shape != M.shape:
                continue
            if M == W:
                return label
            ratios = [[sp.cancel(M[i, j] / W[i, j]) for j in range(M.cols)] for i in range(M.rows)]
            if all(len(set(row)) == 1 and not (row[0].free_symbols & W.free_symbols) for row in ratios):
                return _diag(self.vector([row[0] for row in ratios])) * label
        if M.is_square and M.is_diagonal():
            content = self.vector([M[i, i] for i in range(M.rows)])
            return sp.S.One if content == 1 else _diag(content)
        raise ValueError(f"no vector form for {M}")


def _slices(cell: Any) -> list[slice]:
    out, start = [], 0
    for _, k in cell.state_parts:
        out.append(slice(start, start + k))
        start += k
    return out


def _vector_name(name: str) -> str:
    return "tanh(c_t)" if name == "tanh(c)" else f"{name}_t"


def _vector_tex(name: str) -> str:
    return r"\tanh(c_t)" if name == "tanh(c)" else f"{name}_t"


def _prime(tex: str) -> str:
    return r"\tanh'(c_t)" if tex.startswith(r"\tanh") else tex.replace("_t", "'_t")


def _partial(top: str, bottom: str) -> sp.Symbol:
    name = top.replace("\\tanh", "tanh")
    return shown(f"d{name}/d{bottom}", rf"\frac{{\partial {top}}}{{\partial {bottom}}}", commutative=False)


def _sum(terms: list[Any]) -> Any:
    terms = [t for t in terms if t != 0]
    return sp.Add(*terms) if terms else sp.S.Zero


def block_form(cell: Any) -> BlockForm:
    """The chain rule through ``cell``'s named vectors, block by block (see the module docstring)."""
    F, vectors = cell.named_step()
    n = cell.n
    derivatives = [vector_symbols(f"d{v.symbols[0].name.split('[')[0]}", n,
                                  _prime(_vector_tex(v.name)).replace("_t", "_{{t,{i}}}").replace("(c_t)", "(c_{{t,{i}}})"))
                   for v in vectors]
    reader = _Reader(cell, vectors, derivatives)
    parts = [(name, sp.ImmutableMatrix(cell.state_symbols[sl, :])) for (name, _), sl in zip(cell.state_parts,
                                                                                            _slices(cell))]
    outputs = {name: sp.ImmutableMatrix(F[sl, :]) for (name, _), sl in zip(cell.state_parts, _slices(cell))}
    form = BlockForm(cell)
    for v, d in zip(vectors, derivatives):
        form.definitions.append((v.symbols, v.argument.applyfunc(v.activation)))
        form.definitions.append((d, v.argument.applyfunc(v.activation.derivative)))
    total: dict[tuple[str, str], tuple[Any, sp.Matrix]] = {}   # (vector or output, part) -> (display, matrix)
    done: set[str] = set()

    def chain(expr: sp.ImmutableMatrix, earlier: list, q: str, q_syms: sp.ImmutableMatrix) -> tuple[Any, sp.Matrix]:
        """``d expr / d q_{t-1}``: the explicit part plus each earlier vector's contribution."""
        explicit = expr.jacobian(q_syms)
        shown_terms, value = [reader.matrix(explicit)], sp.Matrix(explicit)
        for u in earlier:
            if (u.name, q) not in total:
                continue
            inner = expr.jacobian(u.symbols)
            if inner.is_zero_matrix:
                continue
            label, matrix = total[(u.name, q)]
            shown_terms.append(reader.matrix(inner) * label)
            value += inner * matrix
        return _sum(shown_terms), value

    def emit_output(p: str, earlier: list) -> None:
        for q, q_syms in parts:
            display, value = chain(outputs[p], earlier, q, q_syms)
            label = _partial(f"{p}_t", f"{q}_{{t-1}}")
            form.blocks[(p, q)] = (display, value)
            form.labels[(p, q)] = label
            if value.is_zero_matrix:
                form.steps.append(Step(sp.Eq(label, 0, evaluate=False),
                                       f"No path leads from ${q}_{{t-1}}$ to ${p}_t$."))
                continue
            total[(p, q)] = (label, value)
            form.steps.append(Step(sp.Eq(label, display, evaluate=False),
                                   f"The chain rule for ${p}_t$: its own dependence on ${q}_{{t-1}}$ and that "
                                   "through each gate before it."))
        done.add(p)

    for k, (v, d) in enumerate(zip(vectors, derivatives)):
        for p in outputs:
            if p not in done and v.argument == outputs[p]:
                emit_output(p, list(vectors[:k]))
        named = next((p for p in done if v.argument == outputs[p]), None)   # tanh(c_t): its argument is c_t
        tex, act = _vector_tex(v.name), ACT_TEX.get(v.activation.name, v.activation.name)
        for q, q_syms in parts:
            if named is not None:
                if (named, q) not in total:
                    continue
                inner_shown, inner_value = total[(named, q)]
            else:
                inner_shown, inner_value = chain(v.argument, list(vectors[:k]), q, q_syms)
            if sp.Matrix(inner_value).is_zero_matrix:
                continue
            label = _partial(tex, f"{q}_{{t-1}}")
            total[(v.name, q)] = (label, sp.diag(*d) * inner_value)
            prime = shown(_vector_name(v.name) + "'", _prime(tex))
            form.steps.append(Step(sp.Eq(label, _diag(prime) * inner_shown, evaluate=False),
                                   f"${tex} = {act}(a)$ entry by entry, so its Jacobian is "
                                   f"$\\operatorname{{diag}}({_prime(tex)})$, ${_prime(tex)} = {act}'(a)$, times that "
                                   f"of its argument $a$."))
    for p in outputs:
        if p not in done:
            emit_output(p, list(vectors))
    return form


# ----------------------------------------------------------------------- verification
#: Unit roundoff of float64 and of mpmath at 30 digits; difference steps of the two checks (powers of two).
_U = 2.0 ** -53
_DPS = 30
_U_MP = 10.0 ** -_DPS
_EPS, _EPS_MP = 2.0 ** -17, 2.0 ** -40


def numeric_cell(cell: Any, weights: tuple) -> tuple[Any, list[float]]:
    """The numeric cell of drawn PyTorch-layout ``weights`` (entries already numbers in ``cell`` kept) and
    the values of ``cell.parameters`` in order."""
    arrays, values = [], {}
    for stacked, drawn in zip(cell.stacked_weights, weights):
        M = sp.Matrix(stacked)
        flat = np.asarray(drawn, dtype=float).reshape(M.shape)
        out = np.empty(M.shape)
        for (i, j), entry in np.ndenumerate(np.array(M.tolist(), dtype=object).reshape(M.shape)):
            if isinstance(entry, sp.Symbol):
                values[entry] = out[i, j] = flat[i, j]
            else:
                out[i, j] = float(entry)
        arrays.append(out[:, 0] if np.ndim(drawn) == 1 else out)
    return type(cell)(*arrays), [values[p] for p in cell.parameters]


def _row_sizes(weights: tuple, gates: int, n: int, s: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``S_i``: the largest, over gates, of ``sum |W_ih x| + sum |W_hh h| + |b_ih| + |b_hh|`` in row ``i``."""
    w_ih, w_hh, b_ih, b_hh = (np.asarray(w, dtype=float) for w in weights)
    sizes = np.abs(w_ih) @ np.abs(x) + np.abs(w_hh) @ np.abs(s[:n]) + np.abs(b_ih) + np.abs(b_hh)
    return sizes.reshape(gates, n).max(axis=0)


def verify_jacobian(derivation: Any, max_examples: int, seed: int | None, name: str) -> Any:
    """Compare the derived Jacobian with central differences of the cell's numeric step (float64) and of its
    symbolic step (30 digits), each error divided by its stated bound: the truncation, twice the Richardson
    estimate ``|D(2e) - D(e)| / 3`` from the 30-digit step, and the rounding of the two steps,
    ``8 (n + m + 12) u (1 + S_i)(1 + |c_i|)`` each (``S_i`` the largest absolute pre-activation sum of row
    ``i``), divided by ``e``; and the float64 kernel against its 30-digit value."""
    cell = derivation.context["cell"]
    fixed = {k: v for k, v in derivation.parameters.items() if k in set(cell.parameters)}
    cell = cell.subs(fixed) if fixed else cell
    G, n, m, N = len(cell.gates), cell.n, cell.m, cell.state_size
    kernel = derivation.kernel
    exact = rs.compile(derivation.result, kernel.args, backend="mpmath", dps=_DPS)
    step_mp = rs.compile(cell.symbolic_step(), [cell.state_symbols, cell.input_symbols, *cell.parameters],
                         backend="mpmath", dps=_DPS)
    k_terms = n + m + 2

    def setup(example: tuple) -> tuple:
        weights, s, x = example
        concrete, values = numeric_cell(cell, weights)
        s, x = np.asarray(s, dtype=float), np.asarray(x, dtype=float).reshape(m)
        S = np.tile(_row_sizes(concrete.stacked_weights, G, n, s, x), N // n)
        c = np.abs(s[n:]) if N > n else np.zeros(n)
        scale = (1.0 + S) * (1.0 + np.tile(c, N // n))
        with mpmath.workdps(_DPS):
            J = np.array(exact(s, x, *values), dtype=object).reshape(N, N)
        return concrete, values, s, x, scale, J

    def mp_differences(s: np.ndarray, x: np.ndarray, values: list, eps: float) -> tuple[np.ndarray, np.ndarray]:
        """Central differences of the 30-digit symbolic step with steps ``eps`` and ``2 eps`` (columns ``j``)."""
        out = []
        with mpmath.workdps(_DPS):
            base = [mpmath.mpf(float(v)) for v in s]
            for h in (mpmath.mpf(eps), 2 * mpmath.mpf(eps)):
                cols = []
                for j in range(N):
                    up, down = list(base), list(base)
                    up[j] += h
                    down[j] -= h
                    hi = np.array(step_mp(up, x, *values), dtype=object).ravel()
                    lo = np.array(step_mp(down, x, *values), dtype=object).ravel()
                    cols.append([(a - b) / (2 * h) for a, b in zip(hi, lo)])
                out.append(np.array(cols, dtype=object).T)
        return out[0], out[1]

    def truncation(d1: np.ndarray, d2: np.ndarray, eps: float) -> np.ndarray:
        # D(2e) - D(e) = 3 e^2 F'''/6 + O(e^4): twice the Richardson estimate, plus e^3 for the O(e^4) rest
        return np.array([[2 * float(abs(a - b)) / 3 + eps ** 3 for a, b in zip(r1, r2)] for r1, r2 in zip(d1, d2)])

    def float_error(example: tuple) -> float:
        concrete, values, s, x, scale, J = setup(example)
        d1, d2 = mp_differences(s, x, values, _EPS)
        fd = np.empty((N, N))
        for j in range(N):
            e = np.zeros(N)
            e[j] = _EPS
            fd[:, j] = (concrete.step(s + e, x) - concrete.step(s - e, x)) / (2 * _EPS)
        # each step rounds entry i by at most 8 (k + 10) u S_i' (k-term sums, gates, products; S_i' = (1 + S_i)(1 + |c_i|))
        rounding = 2 * 8 * (k_terms + 10) * _U * scale[:, None] / (2 * _EPS)
        bound = truncation(d1, d2, _EPS) + rounding
        diff = np.array([[float(abs(mpmath.mpf(float(f)) - g)) for f, g in zip(rf, rg)] for rf, rg in zip(fd, J)])
        return float(np.max(diff / bound))

    def mp_error(example: tuple) -> float:
        _, values, s, x, scale, J = setup(example)
        d1, d2 = mp_differences(s, x, values, _EPS_MP)
        bound = truncation(d1, d2, _EPS_MP) + 2 * 8 * (k_terms + 10) * _U_MP * scale[:, None] / (2 * _EPS_MP)
        diff = np.array([[float(abs(a - b)) for a, b in zip(ra, rb)] for ra, rb in zip(d1, J)])
        return float(np.max(diff / bound))

    def precision_error(example: tuple) -> float:
        _, values, s, x, scale, J = setup(example)
        fast = np.asarray(kernel(s, x, *[v for p, v in zip(cell.parameters, values) if p in set(kernel.args)]),
                          dtype=float).reshape(N, N)
        # entries are sums of at most 2 G products of gate values, their slopes and one weight; each of those
        # carries the gate's rounding, (k + 10) u S_i', so 16 G (k + 10) u S_i' max(1, |W|) bounds the sum
        big = max(1.0, max(float(np.max(np.abs(w))) if np.size(w) else 0.0 for w in example[0]))
        bound = 16 * G * (k_terms + 10) * _U * scale[:, None] * big ** 2 + _U * np.abs(fast)
        diff = np.array([[float(abs(mpmath.mpf(float(f)) - g)) for f, g in zip(rf, rg)] for rf, rg in zip(fast, J)])
        return float(np.max(diff / bound))

    parts = len(cell.state_parts)
    examples = st.tuples(rst.gated_weights(G, n, m), rst.cell_states(n, parts), st.lists(
        st.floats(-2.0, 2.0, allow_nan=False), min_size=m, max_size=m))
    hard = hard_examples(G, n, m, parts)
    few = max(5, max_examples // 3)
    reports = [
        check_property("float64 central differences of the cell's numeric step (error / stated bound)", examples,
                       float_error, tolerance=1.0, max_examples=max_examples, seed=seed, explicit=hard),
        check_property("30-digit central differences of the cell's symbolic step (error / stated bound)", examples,
                       mp_error, tolerance=1.0, max_examples=few, seed=seed, explicit=hard),
        check_property("float64 kernel against 30-digit evaluation (error / stated bound)", examples,
                       precision_error, tolerance=1.0, max_examples=few, seed=seed, explicit=hard),
    ]
    return combine_reports(name, reports)


def hard_examples(G: int, n: int, m: int, parts: int) -> list[tuple]:
    """Every gate saturated open or shut (biases +-20), a forget/update gate near 1 with the rest generic,
    zero weights, and the largest weights at zero pre-activation."""
    out = []
    rng = np.random.default_rng(7)
    for kind in ("open", "shut", "mixed", "keep", "zero", "large"):
        w_ih = rng.uniform(-1.5, 1.5, (G * n, m))
        w_hh = rng.uniform(-1.5, 1.5, (G * n, n))
        bias = rng.uniform(-1.0, 1.0, G * n)
        if kind in ("open", "shut"):
            bias[:] = 20.0 if kind == "open" else -20.0
        elif kind == "mixed":
            bias[:] = 20.0 * np.where(np.arange(G * n) % 2 == 0, 1.0, -1.0)
        elif kind == "keep":
            bias[n:2 * n] = 25.0   # LSTM f / GRU z: keeps memory
        elif kind == "zero":
            w_ih[:], w_hh[:], bias[:] = 0.0, 0.0, 0.0
        else:
            w_ih[:], w_hh[:], bias[:] = 1.5, -1.5, 0.0
        s = rng.uniform(-1.0, 1.0, n * parts)
        if parts == 2 and kind in ("open", "keep"):
            s[n:] = 15.0   # tanh(c) saturated as well
        out.append(((w_ih, w_hh, bias, np.zeros(G * n)), s, list(rng.uniform(-2, 2, m))))
    return out


# ----------------------------------------------------------------------- derivation and figure
def derive_jacobian(cell: Any, info: Any, verifier: Any, intro: str) -> Any:
    """The Jacobian derivation of a symbolic gated ``cell``: named step, chain rule in blocks, expanded form."""
    F, vectors = cell.named_step()
    form = block_form(cell)
    jacobian = cell.jacobian()
    expanded = form.expand(form.full())
    agrees = (expanded - jacobian).applyfunc(sp.expand).is_zero_matrix
    if not agrees:   # the chain rule through the named gates must give SymPy's own derivative of the step
        raise AssertionError(f"{info.name}: the block form does not expand to the Jacobian of the step")
    state = shown(f"s_t ({cell.kind})", "s_t")
    steps = [Step(sp.Eq(state, F, evaluate=False), intro)]
    for v in vectors:
        steps.append(Step(sp.Eq(v.symbols, v.argument.applyfunc(v.activation), evaluate=False),
                          f"The gate vector ${_vector_tex(v.name)}$ written out, entry by entry, as the cell's "
                          "step computes it."))
    steps += form.steps
    label = shown(f"ds_t/ds_(t-1) ({cell.kind})", r"\frac{\partial s_t}{\partial s_{t-1}}")
    if len(cell.state_parts) > 1:
        names = [p for p, _ in cell.state_parts]
        grid = sp.ImmutableMatrix([[0 if form.blocks[(p, q)][1].is_zero_matrix else form.labels[(p, q)]
                                    for q in names] for p in names])
        steps.append(Step(sp.Eq(label, grid, evaluate=False),
                          "The blocks in the cell's state order (" + ", ".join(f"${p}$" for p in names) + " first)."))
    steps.append(Step(sp.Eq(label, jacobian, evaluate=False),
                      "Expanded: the gates and their slopes substituted back.  The result is SymPy's own "
                      "derivative of the step (checked to agree with the chain rule above)."))
    return Derivation(
        name=info.name, title=info.title, reference=info.reference, section=info.section, steps=steps,
        result=jacobian,
        result_label=label, symbols=dict(info.symbols),
        kernel_args=[cell.state_symbols, cell.input_symbols, *cell.parameters],
        verifier=verifier, context={"cell": cell, "form": form},
    )


def jacobian_figure(d: Any, fig: Any) -> str:
    """Derived entries against central differences of the numeric step along a trajectory, and block norms."""
    cell = d.context["cell"]
    fixed = {k: v for k, v in d.parameters.items() if k in set(cell.parameters)}
    cell = cell.subs(fixed) if fixed else cell
    kernel = d.kernel
    rng = np.random.default_rng(3)
    G, n, m = len(cell.gates), cell.n, cell.m
    weights = (rng.uniform(-1.5, 1.5, (G * n, m)), rng.uniform(-1.5, 1.5, (G * n, n)),
               rng.uniform(-1, 1, G * n) + np.repeat([0.0, 3.0] + [0.0] * (G - 2), n), np.zeros(G * n))
    concrete, values = numeric_cell(cell, weights)
    xs = np.sin(np.arange(40)[:, None] * 0.35 + np.arange(m)) * 1.5
    states = concrete.simulate(xs, rng.uniform(-0.5, 0.5, cell.state_size))
    free = [v for p, v in zip(cell.parameters, values) if p in set(kernel.args)]
    derived, fds, norms = [], [], []
    for s, x in zip(states[:-1], xs):
        J = np.asarray(kernel(s, x, *free), dtype=float).reshape(cell.state_size, cell.state_size)
        fd = np.empty_like(J)
        for j in range(cell.state_size):
            e = np.zeros(cell.state_size)
            e[j] = 1e-6
            fd[:, j] = (concrete.step(s + e, x) - concrete.step(s - e, x)) / 2e-6
        derived.append(J.ravel())
        fds.append(fd.ravel())
        norms.append({key: np.linalg.norm(block, 2) for key, block in cell.blocks(J).items()})
    derived_all, fd_all = np.concatenate(derived), np.concatenate(fds)
    left, right = fig.subplots(1, 2)
    left.plot(fd_all, derived_all, "o", ms=3, alpha=0.7, label="Jacobian entries")
    lim = [min(fd_all.min(), derived_all.min()), max(fd_all.max(), derived_all.max())]
    left.plot(lim, lim, "k-", lw=0.8, label="equality")
    left.set(xlabel="central difference of the step", ylabel="derived Jacobian entry",
             title=f"largest difference {np.max(np.abs(derived_all - fd_all)):.1e}")
    left.legend(loc="upper left")
    for i, key in enumerate(norms[0]):
        p, q = key
        right.plot([row[key] for row in norms], color=f"C{i}", lw=1.5,
                   label=rf"$\|\partial {p}_t / \partial {q}_{{t-1}}\|_2$")
    right.set(xlabel="$t$", ylabel="spectral norm of the block", title="blocks along the trajectory")
    right.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), handlelength=1.2)
    return (f"Left: every entry of the derived {cell.kind.upper()} Jacobian against central differences of the "
            "cell's numeric step along a simulated trajectory (random weights, sinusoidal input); right: the "
            "norm of each block along it.")
