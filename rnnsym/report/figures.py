"""Figures for the report: one function per derivation, keyed by its name.

Each figure shows at a glance what its section proves, drawn from the
derivation's own compiled result next to a simulation of the model.
matplotlib is the optional ``plot`` extra (``pip install rnnsym[plot]``): it
is imported only when a figure is drawn, through the object-oriented API
and the Agg canvas, so no global backend (a notebook's, say) is touched.

Examples
--------
>>> import tempfile, rnnsym as rs
>>> from rnnsym.report.figures import figure_names, plotting_available, render_figure
>>> "snr" in figure_names()
True
>>> if plotting_available():
...     figure = render_figure("half_life", rs.derive("half_life"), tempfile.mkdtemp())
...     assert figure.path.name == "half_life.png" and figure.path.stat().st_size > 0
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import sympy as sp

from rnnsym.derivation import Derivation
from rnnsym.errors import UnknownNameError
from rnnsym.fixedpoints import sweep_fixed_points
from rnnsym.gradients import gradient_norms
from rnnsym.kernel import compile as compile_kernel
from rnnsym.linear.modes import classify
from rnnsym.linear.modes import modes
from rnnsym.linear.normality import transient_growth
from rnnsym.linear.system import LinearRNN

__all__ = ["FIGURES", "RenderedFigure", "figure_names", "plotting_available", "render_figure"]

#: A figure function draws on a matplotlib ``Figure`` and returns its caption.
FigureFunction = Callable[[Derivation, Any], str]
FIGURES: dict[str, FigureFunction] = {}


@dataclass(frozen=True)
class RenderedFigure:
    """A PNG written by :func:`render_figure` and its one-sentence caption."""

    path: Path
    caption: str


def plotting_available() -> bool:
    """Whether matplotlib (the ``plot`` extra) is installed."""
    return importlib.util.find_spec("matplotlib") is not None


def figure_names() -> tuple[str, ...]:
    """The derivations that have a figure."""
    return tuple(FIGURES)


def render_figure(name: str, derivation: Derivation, directory: "str | Path", *,
                  dpi: int = 110) -> RenderedFigure:
    """Draw the figure of derivation ``name`` into ``directory/name.png``.

    Raises :class:`~rnnsym.errors.UnknownNameError` when ``name`` has no
    figure and ``ImportError`` when matplotlib is not installed.
    """
    if name not in FIGURES:
        raise UnknownNameError(f"derivation {name!r} has no figure; figures exist for {', '.join(FIGURES)}.")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    caption = FIGURES[name](derivation, fig)
    path = Path(directory) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    return RenderedFigure(path, caption)


def _figure(name: str) -> Callable[[FigureFunction], FigureFunction]:
    def register(function: FigureFunction) -> FigureFunction:
        FIGURES[name] = function
        return function
    return register


# -- helpers ------------------------------------------------------------------------
def _arg_name(arg: Any) -> str:
    """``W_h[0,1]`` for a symbol, ``h_prev`` for a matrix of ``h_prev[i]``."""
    if isinstance(arg, sp.Symbol):
        return arg.name
    return str(next(iter(arg))).split("[")[0]


def _call(kernel: Any, values: dict[str, Any], **options: Any) -> np.ndarray:
    """Call a kernel with its arguments looked up by name."""
    return np.asarray(kernel(*[values[_arg_name(a)] for a in kernel.args], **options))


def _entries(prefix: str, M: Any) -> dict[str, float]:
    M = np.atleast_2d(np.asarray(M, dtype=float))
    return {f"{prefix}[{i},{j}]": float(M[i, j]) for i in range(M.shape[0]) for j in range(M.shape[1])}


def _symbol(derivation: Derivation, name: str) -> sp.Symbol:
    return derivation.all_symbols[name]


# -- one function per derivation ------------------------------------------------------
@_figure("recurrence")
def _recurrence(d: Derivation, fig: Any) -> str:
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    net = d.context["model"]
    fixed = {k: v for k, v in d.parameters.items() if k in net.parameters}
    net = net.subs(fixed) if fixed else net
    rng = np.random.default_rng(1)
    values = {str(s): float(rng.uniform(-1.2, 1.2)) for s in net.parameters}
    concrete = net.subs(values) if values else net
    xs = rng.uniform(-1, 1, (40, concrete.m))
    states = concrete.simulate(xs, h0=rng.uniform(-1, 1, concrete.n))
    entries, steps = [], []
    for h, x in zip(states[:-1], xs):
        entries.append(_call(kernel, {**values, "h_prev": h, "x": x}))
        fd = np.empty((concrete.n, concrete.n))
        for j in range(concrete.n):
            e = np.zeros(concrete.n)
            e[j] = 1e-6
            fd[:, j] = (concrete.numeric_step(h + e, x) - concrete.numeric_step(h - e, x)) / 2e-6
        steps.append(fd)
    derived, differences = np.ravel(entries), np.ravel(steps)
    left, right = fig.subplots(1, 2)
    left.plot(differences, derived, "o", ms=3, alpha=0.7, label="entries along a trajectory")
    lim = [min(derived.min(), differences.min()), max(derived.max(), differences.max())]
    left.plot(lim, lim, "k-", lw=0.8, label="equality")
    left.set(xlabel="finite difference of the simulated step", ylabel=r"derived $D_t W_h$ entry",
             title=f"max |difference| = {np.max(np.abs(derived - differences)):.1e}")
    left.legend(fontsize=8)
    right.plot(states, lw=1)
    right.set(xlabel="t", ylabel=r"$h_t$ components", title="the simulated trajectory")
    return ("Left: every entry of the derived Jacobian D_t W_h against central finite differences of the "
            "model's simulated step, along the trajectory on the right (random weights and inputs).")


@_figure("fixed_points")
def _fixed_points(d: Derivation, fig: Any) -> str:

    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    net, w, b = d.context["model"], _symbol(d, "w"), _symbol(d, "b")
    w0 = 2.0
    b_c = float(kernel(w0))
    left, right = fig.subplots(1, 2)
    biases = np.linspace(-1.5, 1.5, 601)
    sweep = sweep_fixed_points(net.subs({w: w0, b: 0}), biases)
    labelled: set[str] = set()
    for branch in sweep.branches():
        for kind in np.unique(branch.kind):
            stable = kind == 0
            label = "stable" if stable else "unstable"
            mask = branch.kind == kind
            left.plot(branch.b[mask, 0], branch.h[mask, 0], "-" if stable else "--",
                      color="C0" if stable else "C3", lw=2, label=None if label in labelled else label)
            labelled.add(label)
    for sign in (-1, 1):
        left.axvline(sign * b_c, color="k", ls=":", lw=1)
    left.text(b_c, 0.5, r" $b_c$", fontsize=10, transform=left.get_xaxis_transform())
    left.text(-b_c, 0.5, r"$-b_c$ ", ha="right", fontsize=10, transform=left.get_xaxis_transform())
    left.set(xlabel="b", ylabel=r"fixed points $h^*$", title=f"bifurcation diagram, w = {w0:g}")
    left.legend(fontsize=8)
    # Stability map: count sign changes of g(h) = step(h) - h on a grid, per (w, b).
    step = compile_kernel(net.step()[0], [net.h_prev[0], w, b])
    W, B = np.linspace(0.2, 3.0, 101), np.linspace(-1.5, 1.5, 121)
    H = np.linspace(-1.0, 1.0, 300)   # an even count: h = 0 is not a grid point
    g = step(H[None, None, :], W[:, None, None], B[None, :, None]) - H
    count = np.count_nonzero(np.diff(np.sign(g), axis=-1) != 0, axis=-1)
    mesh = right.pcolormesh(B, W, count, shading="auto", cmap="Blues", vmin=0, vmax=4)
    fig.colorbar(mesh, ax=right, label="fixed points", ticks=[1, 2, 3])
    ws = W[W > 1.0]
    curve = np.asarray(kernel(ws), dtype=float)
    right.plot(curve, ws, "r-", lw=1.5, label=r"derived $\pm b_c(w)$")
    right.plot(-curve, ws, "r-", lw=1.5)
    right.set(xlabel="b", ylabel="w", title="count of fixed points over (w, b)")
    right.legend(fontsize=8, loc="lower right")
    return ("Left: fixed points of h = tanh(w h + b) against the bias (w = 2); the stable branches fold into the "
            "unstable one at the derived bias +-b_c. Right: the number of fixed points over (w, b) counted "
            "numerically; the derived curve +-b_c(w) is its boundary (one fixed point for w <= 1).")


@_figure("snr")
def _snr(d: Derivation, fig: Any) -> str:
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    ax = fig.subplots(1, 1)
    omega = np.linspace(1e-3, np.pi - 1e-3, 400)
    for i, a in enumerate((-0.8, -0.4, 0.4, 0.8)):
        values = {"X": 1.0, "sigma": 1.0, "a": a}
        ax.semilogy(omega, _call(kernel, {**values, "omega": omega}), color=f"C{i}", lw=1.5, label=f"a = {a:g}")
        ends = [float(_call(kernel, {**values, "omega": w})) for w in (0.0, np.pi)]
        ax.plot([0.0, np.pi], ends, "o", color=f"C{i}", ms=6)
        ax.plot([omega[0], omega[-1]], [float(_call(kernel, {**values, "omega": w})) for w in (omega[0], omega[-1])],
                "o", mfc="white", color=f"C{i}", ms=6)
    ax.set(xlabel=r"$\omega$", ylabel=r"SNR ($X = \sigma = 1$)", xlim=(-0.1, np.pi + 0.1),
           title=r"derived SNR: filled dots at $\omega \in \{0, \pi\}$ are twice the open ones")
    ax.set_xticks([0, np.pi / 2, np.pi], ["0", r"$\pi/2$", r"$\pi$"])
    ax.legend(fontsize=8, ncol=2)
    return ("The derived SNR against the signal frequency for several poles a: low-pass for a > 0, high-pass "
            "for a < 0; at omega = 0 and pi (filled) it is twice the limit from inside (open), where the "
            "sinusoid's power does not average to half its peak.")


@_figure("half_life")
def _half_life(d: Derivation, fig: Any) -> str:
    import rnnsym as rs

    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    design, tau = d.context.get("w_design"), d.all_symbols.get("tau")
    ax = fig.subplots(1, 1)
    steps = np.arange(0, 61)
    for i, target in enumerate((3, 8, 20)):
        w_value = float(design.subs(tau, target)) if design is not None and tau is not None else 0.5 ** (1 / target)
        unit = rs.RNN([[w_value]], [[0.0]], [0.0], "tanh")
        delta = np.abs(unit.simulate(np.zeros((len(steps) - 1, 1)), h0=[1e-4])[:, 0]) / 1e-4
        rho = abs(float(unit.jacobian(h=[0.0], x=[0.0])[0, 0]))
        predicted = float(kernel(rho))
        ax.semilogy(steps, delta, color=f"C{i}", lw=1.5, label=rf"simulated, $\rho$ = {rho:.3f}")
        ax.axvline(predicted, color=f"C{i}", ls=":", lw=1.2)
        ax.plot([predicted], [0.5], "o", color=f"C{i}", ms=6)
    ax.axhline(0.5, color="k", lw=0.8)
    ax.set(xlabel="t", ylabel=r"$|\delta_t| / |\delta_0|$",
           title=r"perturbations halve at the derived $t_{1/2}(\rho)$ (dotted)", ylim=(1e-3, 1.5))
    ax.legend(fontsize=8)
    return ("A small perturbation of the tanh unit's fixed point h* = 0, simulated, for weights designed by the "
            "inverse problem for half-lives 3, 8 and 20; each curve crosses 1/2 at the derived t_1/2(rho).")


@_figure("sign_memory")
def _sign_memory(d: Derivation, fig: Any) -> str:
    import rnnsym as rs

    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    left, right = fig.subplots(1, 2)
    T = 400
    steps = np.arange(1, T + 1)
    for name in ("tanh", "relu", "leaky_relu", "sigmoid"):
        path = rs.RNN([[1]], [[1]], [0], name).simulate(np.array([[-1.0]] + [[0.0]] * (T - 1)))[1:, 0]
        kept = "keeps" if name in d.context.get("keeps", ()) else "loses"
        left.plot(steps, path, lw=1.5, label=f"{name} ({kept} the sign)")
    decay = d.context.get("decay")
    if decay is not None:
        law = compile_kernel(decay, [_symbol(d, "t")])
        left.plot(steps[5:], -np.asarray(law(steps[5:].astype(float))), "k:", lw=1.2, label=r"derived $-|h_t|$ law")
    left.axhline(0, color="k", lw=0.6)
    left.set(xscale="log", xlabel="t", ylabel=r"$h_t$", title=r"after the pulse $x_1 = -1$")
    left.legend(fontsize=7)
    pulses = np.linspace(-3, 3, 121)
    net = d.context["model"]
    right.plot(pulses, np.asarray(kernel(pulses), dtype=float), "-", lw=2, label=r"derived $h_2(x_1)$")
    simulated = [net.simulate([[p], [0.0]])[2, 0] for p in pulses[::6]]
    right.plot(pulses[::6], simulated, "ko", ms=4, label="simulated")
    right.axhline(0, color="k", lw=0.6)
    right.set(xlabel=r"$x_1$", ylabel=r"$h_2$", title="two steps of the model")
    right.legend(fontsize=8)
    return ("Left: the state after a negative pulse: tanh and leaky ReLU keep its sign (tanh decays like the "
            "derived law), ReLU erases it at once, sigmoid's output is positive. Right: the derived h_2(x_1) "
            "against the simulated model.")


@_figure("contraction")
def _contraction(d: Derivation, fig: Any) -> str:
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    net = d.context["model"]
    n = net.n
    rng = np.random.default_rng(3)
    W = rng.uniform(-1, 1, (n, n))
    W *= 0.8 / np.linalg.norm(W, 2)
    values = {**_entries("W_h", W), "L_phi": float(net.activation.lipschitz)}
    rest = {str(s): float(rng.uniform(-0.5, 0.5)) for s in net.parameters if str(s) not in values}
    concrete = net.subs({k: v for k, v in {**values, **rest}.items() if k in {str(s) for s in net.parameters}})
    q = float(_call(kernel, values))
    starts = np.stack([np.cos(np.linspace(0, 2 * np.pi, 25)), np.sin(np.linspace(0, 2 * np.pi, 25))], 1)
    h = np.concatenate([starts * 0.95, np.zeros((25, max(0, n - 2)))], 1)[:, :n]
    trajectory = [h]
    for _ in range(30):
        h = concrete.numeric_step(h, rng.uniform(-0.5, 0.5, concrete.m))
        trajectory.append(h)
    path = np.array(trajectory)
    left, right = fig.subplots(1, 2)
    for j in range(path.shape[1]):
        left.plot(path[:, j, 0], path[:, j, min(1, n - 1)], "-", lw=0.8, color="C0", alpha=0.7)
    left.plot(path[0, :, 0], path[0, :, min(1, n - 1)], "o", ms=3, color="C1", label="starts")
    left.plot(path[-1, :, 0], path[-1, :, min(1, n - 1)], "k*", ms=9, label="t = 30")
    left.set(xlabel=r"$h_1$", ylabel=r"$h_2$", title="25 starts, one input sequence", aspect="equal")
    left.legend(fontsize=8)
    gaps = np.linalg.norm(path - path[:, :1], axis=2)[:, 1:]
    t = np.arange(len(path))
    right.semilogy(t, gaps.max(axis=1), "C0-", lw=1.5, label=r"max $\|h_t - h'_t\|_2$")
    right.semilogy(t, q ** t * gaps[0].max(), "r--", lw=1.5, label=rf"derived bound $q^t$, q = {q:.2f}")
    right.set(xlabel="t", ylabel="distance", title="the gaps shrink at least as fast as q^t")
    right.legend(fontsize=8)
    return (f"A tanh RNN with ||W_h||_2 = 0.8: trajectories from 25 starts under the same random input "
            f"converge (left); their distances stay below the derived bound q^t, q = ||W_h||_2 L_phi = {q:.2f}.")


@_figure("eigenmodes")
def _eigenmodes(d: Derivation, fig: Any) -> str:

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


def _rank_curve(kernel: Any, fixed: dict[str, float], a_name: str, grid: np.ndarray) -> np.ndarray:
    out = []
    for a in grid:
        M = np.asarray(_call(kernel, {**fixed, a_name: float(a)}), dtype=float)
        out.append(np.linalg.svd(M, compute_uv=False).min())
    return np.array(out)


@_figure("controllability")
def _controllability(d: Derivation, fig: Any) -> str:
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    left, right = fig.subplots(1, 2)
    grid = np.linspace(-1.0, 1.5, 251)
    fixed = {**_entries("A", [[0.0, 0.0], [0.0, 0.5]]), **_entries("B", [[1.0], [1.0]])}
    left.plot(grid, _rank_curve(kernel, fixed, "A[0,0]", grid), lw=1.5)
    left.axvline(0.5, color="r", ls=":", lw=1)
    left.set(xlabel="a", ylabel=r"$\sigma_{\min}$ of $[B, AB]$",
             title=r"$A = \mathrm{diag}(a, \frac{1}{2})$, $B = (1, 1)^T$")
    A, B = np.array([[0.9, 0.0], [0.0, 0.5]]), np.array([[1.0], [1.0]])
    K = np.asarray(_call(kernel, {**_entries("A", A), **_entries("B", B)}), dtype=float)
    for angle in np.linspace(0, 2 * np.pi, 9)[:-1]:
        target = np.array([np.cos(angle), np.sin(angle)])
        u = np.linalg.pinv(K) @ target
        xs = u.reshape(2, 1)[::-1]
        reached = [np.zeros(2)]
        for x in xs:
            reached.append(A @ reached[-1] + B @ x)
        path = np.array(reached)
        right.plot(path[:, 0], path[:, 1], "o-", ms=3, lw=1)
        right.plot(*target, "k+", ms=10)
    right.set(xlabel=r"$h_1$", ylabel=r"$h_2$", aspect="equal",
              title="steering to 8 targets in n = 2 steps")
    return ("Left: the smallest singular value of the derived controllability matrix; it vanishes where the "
            "rank drops. Right: a controllable pair (a = 0.9) steered from 0 to eight targets (+) in two "
            "simulated steps by the least-norm inputs computed from the derived matrix.")


@_figure("observability")
def _observability(d: Derivation, fig: Any) -> str:

    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    def matrix(a: float) -> np.ndarray:
        A, C = np.array([[a, 0.0], [0.0, 0.5]]), np.array([[1.0, 1.0]])
        try:
            return np.asarray(_call(kernel, {**_entries("A", A), **_entries("C", C)}), dtype=float)
        except KeyError:   # a kernel over other names: the library's matrix instead
            return np.array(LinearRNN(A, np.zeros((2, 1)), C).observability_matrix().tolist(), dtype=float)

    left, right = fig.subplots(1, 2)
    grid = np.linspace(-1.0, 1.5, 251)
    left.plot(grid, [np.linalg.svd(matrix(a), compute_uv=False).min() for a in grid], lw=1.5)
    left.axvline(0.5, color="r", ls=":", lw=1)
    left.set(xlabel="a", ylabel=r"$\sigma_{\min}$ of $[C; CA]$",
             title=r"$A = \mathrm{diag}(a, \frac{1}{2})$, $C = (1, 1)$")
    for a, style in ((0.5, "-"), (0.9, "--")):
        O = matrix(a)
        null = np.linalg.svd(O)[2][-1]
        A, C = np.array([[a, 0.0], [0.0, 0.5]]), np.array([1.0, 1.0])
        for h0, label in ((np.array([1.0, 0.0]), "h_0"), (np.array([1.0, 0.0]) + null, "h_0 + v")):
            h, ys = h0, []
            for _ in range(12):
                ys.append(C @ h)
                h = A @ h
            right.plot(ys, style, marker="o", ms=3, lw=1, label=f"a = {a}: {label}")
    right.set(xlabel="t", ylabel=r"$y_t = C h_t$", title="outputs from two initial states")
    right.legend(fontsize=7)
    return ("Left: the smallest singular value of the observability matrix; it vanishes where the rank drops. "
            "Right: at a = 1/2 the initial states h_0 and h_0 + v (v in the null space) give identical outputs, "
            "so h_0 cannot be reconstructed; at a = 0.9 they differ.")


@_figure("gradient_norms")
def _gradient_norms(d: Derivation, fig: Any) -> str:
    import rnnsym as rs

    examples = {"normal": np.array([[0.9, 0.0], [0.0, 0.5]]), "non-normal": np.array([[0.9, 1.0], [0.0, 0.9]])}
    xs = np.random.default_rng(0).uniform(-0.1, 0.1, (60, 1))
    left, right = fig.subplots(1, 2)
    for i, (label, W) in enumerate(examples.items()):
        g = gradient_norms(rs.RNN(W, [[1.0], [1.0]], activation="tanh"), xs)
        left.semilogy(g.lags, g.norms, color=f"C{i}", lw=1.5, label=rf"{label} $W_h$")
        left.semilogy(g.lags, np.exp(g.lags * g.log_bound_factor), color=f"C{i}", ls="--", lw=1,
                      label=rf"bound $(c\|W_h\|_2)^{{T-k}}$")
        growth = transient_growth(W, k_max=60)
        right.semilogy(growth.norms, color=f"C{i}", lw=1.5, label=rf"$\|W^k\|_2$, {label}")
        right.plot([growth.k_peak], [growth.peak], "o", color=f"C{i}")
    rho = np.abs(np.linalg.eigvals(examples["normal"])).max()
    right.semilogy(np.arange(61), rho ** np.arange(61), "k:", lw=1, label=r"$\rho^k$, $\rho = 0.9$")
    left.set(xlabel="T - k", ylabel=r"$\|\partial h_T / \partial h_k\|_2$", title="gradient norms (tanh RNN)",
             ylim=(1e-4, 1e3))
    right.set(xlabel="k", title="transient growth before the decay")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    return ("Left: ||dh_T/dh_k||_2 along a simulated tanh trajectory for a normal and a non-normal W_h with the "
            "same spectral radius 0.9, and the bound (c||W_h||_2)^(T-k). Right: ||W^k||_2 of the non-normal "
            "matrix grows before it decays, although rho < 1; the normal one follows rho^k.")


@_figure("ode_error")
def _ode_error(d: Derivation, fig: Any) -> str:
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    ax = fig.subplots(1, 1)
    counts = np.unique(np.logspace(0.5, 4, 30).astype(int))
    for i, lam in enumerate((-2.0, -0.5, 1.0)):
        derived = np.abs(_call(kernel, {"lam": lam, "dt": 1.0 / counts, "N": counts.astype(float)}))
        y = np.ones(len(counts))   # forward Euler, run for every step size at once up to t = 1
        for k in range(int(counts.max())):
            y = np.where(k < counts, y + (1.0 / counts) * lam * y, y)
        ax.loglog(1.0 / counts, derived, color=f"C{i}", lw=1.5, label=rf"derived $|e_N|$, $\lambda$ = {lam:g}")
        ax.loglog(1.0 / counts[::3], np.abs(np.exp(lam) - y)[::3], "o", color=f"C{i}", ms=4)
    ax.loglog(1.0 / counts, 0.5 / counts, "k:", lw=1, label="slope 1")
    ax.set(xlabel=r"step $\Delta t$ ($N \Delta t = 1$)", ylabel=r"$|y(1) - y_N|$",
           title="Euler's global error at t = 1: derived (lines), simulated (dots)")
    ax.legend(fontsize=8)
    return ("Forward Euler for y' = lambda y up to t = 1: the derived global error e_N (lines) equals the error "
            "of an actual Euler run (dots) and shrinks in proportion to the step: first order.")
