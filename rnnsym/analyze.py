"""Analyse a trained RNN from its weights (``.npz`` or ``.safetensors`` exported from PyTorch).

:func:`load_weights` reads every recurrent layer and direction of a file
(:func:`rnnsym.exports.read_export`: PyTorch ``nn.RNN``, ``nn.GRU`` and
``nn.LSTM`` state dicts, multi-layer and bidirectional, or rnnsym's own
``W_h``, ``W_x``, ``b``; an ``nn.RNN``'s two biases add up to ``b``, and
its nonlinearity must be given).  :func:`analyze_layer` sends a simple RNN
layer to :func:`analyze_rnn` and a GRU or LSTM layer to
:func:`rnnsym.exports.analyze_cell` (fixed points proven by the Krawczyk
test, slow points, stability and half-lives).  :func:`analyze_rnn` answers a practitioner's questions for each
layer: is it stable (spectral radius and norm, the contraction certificate
``q = ||W_h||_2 L_phi``), where are its fixed points at zero input and are
they stable, will gradients explode (the bound factor ``c ||W_h||_2``, the
transient growth of a non-normal ``W_h`` and the top Lyapunov exponent
along a trajectory), and can its inputs steer it (the linearisation at the
first stable fixed point, :func:`~rnnsym.linear.system.linearize`, decided by
:func:`~rnnsym.linear.controllability.is_controllable`: the library's one
decision, never a rank of ``[B, AB, ...]``, whose columns shrink like
``rho^k`` so that a singular-value threshold undercounts for large ``n``).

Examples
--------
>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "rnn.npz")
>>> rng = np.random.default_rng(0)
>>> np.savez(path, weight_hh_l0=0.3 * rng.standard_normal((3, 3)),
...          weight_ih_l0=rng.standard_normal((3, 2)), bias_ih_l0=np.zeros(3),
...          bias_hh_l0=np.zeros(3))
>>> layers = load_weights(path, activation="tanh")    # an nn.RNN's nonlinearity is not in its state dict
>>> [(l.name, l.net.n, l.net.m) for l in layers]
[('layer 0', 3, 2)]
>>> report = analyze_rnn(layers[0].net)
>>> report["fixed_points"]["complete"], report["contraction"]["certified"]
(True, True)
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from rnnsym._json import json_ready
from rnnsym.errors import InvalidArgumentError, ResourceLimitError
from rnnsym.exports import MAX_UNITS, MAX_WEIGHT, Layer, analyze_cell, read_export
from rnnsym.model import RNN
from rnnsym._matrices import as_int, as_seed, require_model
from rnnsym.fixedpoints.search import find_fixed_points
from rnnsym.gradients import lyapunov_exponents
from rnnsym.linear.controllability import is_controllable, reachable_subspace
from rnnsym.linear.normality import is_normal
from rnnsym.linear.normality import TransientGrowth, transient_growth
from rnnsym.stability import half_life
from rnnsym.stability import spectral_norm
from rnnsym.stability import spectral_radius

__all__ = ["Layer", "load_weights", "analyze_layer", "analyze_rnn", "format_analysis", "json_ready",
           "MAX_UNITS", "MAX_WEIGHT"]

#: Most floats of driving inputs (``steps * m``) :func:`analyze_rnn` draws at once (1 GiB).
MAX_INPUT_FLOATS = 2**27
#: Most ``steps * max(n**2 k, 2**20)`` (the flops of the streamed Lyapunov exponents, at least a step's
#: Python overhead) :func:`analyze_rnn` runs: about 10 s, 4096 steps at 1024 units, 65536 at 64.
MAX_LYAPUNOV_WORK, LYAPUNOV_STEP_FLOOR = 2**36, 2**20
#: Lyapunov exponents :func:`analyze_rnn` estimates: all ``n`` up to this many units, the top ones above.
LYAPUNOV_TOP = 64
#: How many of the top Lyapunov exponents above :data:`LYAPUNOV_TOP` units (``k << n``: ``O(n^2 k)`` a step).
LYAPUNOV_TOP_ABOVE = 16
#: The trajectory stops early once the batch-means standard error of every exponent is at most this.
LYAPUNOV_TOL = 5e-3
#: Most powers of ``W_h`` :func:`analyze_rnn` forms to certify its transient peak.
MAX_TRANSIENT_STEPS = 100_000
#: ``steps * n**3`` budget of those powers (about 2 s on one core): at least 200 up to
#: :data:`FULL_SCAN_N` units; above, where 200 powers would take minutes, ``LARGE_TRANSIENT_WORK / n**3``
#: (about 5 s: 74 powers at 512 units, 9 at 1024), at least 2.
TRANSIENT_WORK, LARGE_TRANSIENT_WORK = 4e9, 1e10
FULL_SCAN_N = 256
#: Largest layer whose distance to uncontrollability :func:`analyze_rnn` estimates (``n`` + ~1000 SVDs).
MAX_DISTANCE_N = 256
#: BLAS threads :func:`analyze_rnn` and :func:`analyze_layer` run with (threadpoolctl): OpenBLAS's default of one per core made
#: n = 128 linear algebra 10-1000x slower on a busy 2-core machine, and the rounding depend on it.
BLAS_THREADS = 1


class _Progress:
    """The current stage and the seconds so far on stderr, once a run passes a second; only on a terminal."""

    def __init__(self, label: str) -> None:
        self.label, self.stage, self.start = label, "", time.monotonic()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._show, daemon=True) if sys.stderr.isatty() else None
        if self.thread is not None:
            self.thread.start()

    def _show(self) -> None:
        while not self.done.wait(1.0 if not self.stage else 0.5):
            sys.stderr.write(f"\r\033[K{self.label}: {self.stage} ({time.monotonic() - self.start:.0f} s)")
            sys.stderr.flush()

    def __call__(self, stage: str) -> None:
        self.stage = stage

    def close(self) -> None:
        self.done.set()
        if self.thread is not None:
            self.thread.join()
            if time.monotonic() - self.start >= 1.0:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()


def load_weights(path: str | Path, activation: str | None = None) -> list[Layer]:
    """Every recurrent layer and direction stored in an ``.npz`` or ``.safetensors`` file.

    Parameters
    ----------
    path : str or Path
        ``numpy.savez`` or safetensors of a PyTorch ``nn.RNN`` / ``nn.GRU`` /
        ``nn.LSTM`` state dict, or an ``.npz`` of ``W_h``, ``W_x``, ``b``.
        Pickled objects are refused, and every header and size is checked
        before data is read (:func:`rnnsym.exports.read_export`).  A
        bidirectional layer's ``*_reverse`` weights become a layer of their
        own.  Each :class:`~rnnsym.exports.Layer` holds ``net`` (a simple
        RNN) or ``cell`` (a GRU or LSTM cell).
    activation : str, optional
        The nonlinearity of ``nn.RNN`` layers, ``"tanh"`` or ``"relu"``:
        not stored in a state dict, so required for them.  rnnsym's ``W_h``
        layout takes any activation and defaults to tanh, as it always has.
    """
    return list(read_export(path, activation).layers)


def analyze_layer(layer: Layer, *, steps: int = 2000, seed: int = 0, starts: int | None = None) -> dict[str, Any]:
    """:func:`analyze_rnn` for a simple RNN layer, :func:`~rnnsym.exports.analyze_cell` for a GRU or LSTM
    (``starts``: the fixed-point search's starts, default each one's own)."""
    if not isinstance(layer, Layer):
        raise InvalidArgumentError(f"`layer` must be an rnnsym.exports.Layer; got {type(layer).__name__}.")
    if layer.cell is not None:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            return analyze_cell(layer.cell, steps=steps, seed=seed, starts=starts)
    assert layer.net is not None
    return analyze_rnn(layer.net, steps=steps, seed=seed, starts=starts)


def analyze_rnn(net: RNN, *, steps: int = 2000, seed: int = 0, starts: int | None = None) -> dict[str, Any]:
    """Stability, fixed points, gradients and reach of one numeric RNN.

    Returns a JSON-ready dict.  ``starts`` is the Newton starts of the
    fixed-point search (default :func:`~rnnsym.fixedpoints.find_fixed_points`'s).
    ``steps`` caps the trajectory for the
    Lyapunov exponents (driven by standard-normal inputs from ``seed``):
    the top ``k`` of them (all ``n`` up to :data:`LYAPUNOV_TOP` units,
    :data:`LYAPUNOV_TOP_ABOVE` above; ``"lyapunov_k"``) are streamed through
    QR steps of an ``n x k`` frame, and the trajectory stops once their
    batch-means standard error is at most :data:`LYAPUNOV_TOL`
    (``"lyapunov_converged"``, ``"lyapunov_steps"``).  ``steps * n**2 * k``
    above :data:`MAX_LYAPUNOV_WORK` or ``steps * m`` above
    :data:`MAX_INPUT_FLOATS` raises :class:`~rnnsym.errors.ResourceLimitError`.
    ``"controllability"`` is
    the decision of :func:`~rnnsym.linear.controllability.is_controllable` on
    the linearisation at the first stable fixed point (with its method,
    score ratio and tolerance, the estimated distance to uncontrollability,
    and the dimension reached: ``n`` exactly when controllable); for large
    ``n`` it costs up to about ``8 n`` singular-value decompositions of
    ``n x (n + m)`` matrices, and the distance about ``n + 1000`` more.
    ``"transient_peak"`` is ``max_k ||W_h^k||_2``, certified
    (``"transient_peak_certified"``) when ``rho(W_h) < 1`` and a certificate
    comes within the step cap (:data:`TRANSIENT_WORK` ``/ n^3`` powers,
    200 to 100 000 up to 256 units, 2 to 200 above); otherwise it is a
    lower bound over the powers scanned.  Linear algebra runs on
    :data:`BLAS_THREADS` BLAS thread(s).
    """

    net, steps, seed = require_model(net, numeric=True), as_int(steps, "steps", low=1), as_seed(seed)
    starts = None if starts is None else as_int(starts, "starts", low=1)
    k = net.n if net.n <= LYAPUNOV_TOP else LYAPUNOV_TOP_ABOVE
    per_step = max(net.n ** 2 * k, LYAPUNOV_STEP_FLOOR)
    for work, limit, what, most in (
            (steps * per_step, MAX_LYAPUNOV_WORK, f"of the top {k} Lyapunov exponents of a {net.n}-unit layer "
             "need about", MAX_LYAPUNOV_WORK // per_step),
            (steps * net.m, MAX_INPUT_FLOATS, f"of {net.m} inputs hold", MAX_INPUT_FLOATS // max(net.m, 1))):
        if work > limit:
            raise ResourceLimitError(
                f"`steps`={steps} steps {what} {work:.3g} (limit {limit:.3g}); pass steps={most} "
                "or fewer (the --steps option of `rnnsym analyze`).")
    progress = _Progress(f"rnnsym analyze (n={net.n})")
    try:
        with threadpool_limits(limits=BLAS_THREADS, user_api="blas"):
            return _analysis(net, steps, seed, k, progress, starts)
    finally:
        progress.close()


def _analysis(net: RNN, steps: int, seed: int, k: int, progress: Any, starts: int | None) -> dict[str, Any]:
    """:func:`analyze_rnn` after its checks; ``progress(stage)`` names each stage."""
    W_h, _, _ = net.numeric_weights()
    progress("spectral radius and norm")
    rho = spectral_radius(W_h)
    norm = spectral_norm(W_h)
    c = float(net.activation.lipschitz)
    q = norm * c  # contraction_factor and bound_factor: ||W_h||_2 times the Lipschitz constant
    zero = np.zeros(net.m)
    progress("fixed points")
    points = find_fixed_points(net, zero, starts=starts)
    fixed = []
    for p in points:
        entry = {"h": p.h.tolist(), "stability": p.stability.kind,
                 "spectral_radius": float(p.stability.spectral_radius)}
        if 0 < p.stability.spectral_radius < 1:
            entry["half_life"] = float(half_life(float(p.stability.spectral_radius)))
        fixed.append(entry)
    progress("transient growth")
    growth = _transient(W_h, rho)
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((steps, net.m))
    progress(f"top {k} Lyapunov exponents")
    lyap = lyapunov_exponents(net, xs, k=k, discard=min(100, steps // 10), tol=LYAPUNOV_TOL)
    reach: dict[str, Any] = {}
    stable = [p for p in points if p.stability.kind == "stable"]
    if stable:
        progress("controllability")
        reach = _reach(net, stable[0].h, zero)
    progress("normality")
    return {
        "n": net.n, "m": net.m, "activation": net.activation.name,
        "spectral_radius": rho, "spectral_norm": norm,
        "normal": bool(is_normal(W_h)),
        "contraction": {"q": q, "certified": q < 1,
                        "meaning": "unique fixed point attracting every trajectory at rate q^t"
                        if q < 1 else "no global contraction certificate (q >= 1)"},
        "fixed_points": {"input": "zero", "complete": points.complete,
                         "certificate": points.certificate, "reason": points.reason,
                         "starts": points.starts, "points": fixed},
        "gradients": {"bound_factor": q, "c": c,
                      "vanishing_certified": q < 1,
                      "transient_peak": float(growth.peak), "transient_peak_k": int(growth.k_peak),
                      "transient_peak_certified": bool(growth.exact),
                      "transient_steps_scanned": len(growth.norms) - 1,
                      "top_lyapunov_exponent": float(lyap.exponents[0]),
                      "lyapunov_spectrum": [float(v) for v in lyap.exponents],
                      "lyapunov_k": lyap.k, "lyapunov_steps": lyap.steps,
                      "lyapunov_converged": lyap.converged, "lyapunov_tolerance": LYAPUNOV_TOL,
                      "lyapunov_standard_error": lyap.standard_error},
        "controllability": reach,
    }


def _transient_steps(n: int) -> int:
    """How many powers of an ``n x n`` ``W_h`` :func:`analyze_rnn` may form (200 .. 100 000; 2 .. 200 above 256 units).

    >>> _transient_steps(2), _transient_steps(64), _transient_steps(256), _transient_steps(512), _transient_steps(1024)
    (100000, 15258, 238, 74, 9)
    """
    if n > FULL_SCAN_N:
        return max(2, min(200, int(LARGE_TRANSIENT_WORK / n ** 3)))
    return max(200, min(MAX_TRANSIENT_STEPS, int(TRANSIENT_WORK / max(n, 1) ** 3)))


def _transient(W_h: np.ndarray, rho: float) -> TransientGrowth:
    """``max_k ||W_h^k||_2``: certified when ``rho < 1`` and the certificate comes within the step cap.

    With ``rho >= 1`` the powers need not decay, so only ``k <= 200`` (fewer
    above 256 units) is scanned and the peak is reported as a lower bound.
    """
    n = W_h.shape[0]
    if rho < 1:
        return transient_growth(W_h, limit=_transient_steps(n))
    return transient_growth(W_h, k_max=min(200, _transient_steps(n)))


def _reach(net: RNN, h: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    """Controllability of the linearisation at ``(h, x)``, as decided by :func:`is_controllable`.

    ``dimension`` is ``n`` when the pair is controllable; otherwise the
    dimension of :func:`reachable_subspace` (a numeric rank, an estimate for
    large ``n``), at most ``n - 1`` so that it never contradicts the decision.
    ``score_ratio`` (also under its old key ``margin``) is the weakest Hautus
    score over the tolerance; ``distance`` estimates how small a perturbation
    of ``(A, B)`` makes the pair uncontrollable (:attr:`Decision.distance`,
    absolute; ``relative_distance`` divides by ``||[A, B]||_2``), ``None``
    above :data:`MAX_DISTANCE_N` units.  ``A = D W_h``, ``B = D W_x`` are
    formed in floats (:func:`~rnnsym.linear.system.linearize` builds them in
    SymPy, seconds at a few hundred units).
    """
    W_h, W_x, b = net.numeric_weights()
    slope = net.activation.numpy_prime(W_h @ h + W_x @ x + b)[:, None]
    lin = (slope * W_h, slope * W_x)
    decision = is_controllable(lin)
    dimension = net.n if decision.controllable else min(reachable_subspace(lin).shape[1], net.n - 1)
    distance = relative = None
    if net.n <= MAX_DISTANCE_N:
        distance = float(decision.distance)
        relative = distance / max(float(np.linalg.norm(np.hstack(lin), 2)), np.finfo(float).tiny)
    return {"at_fixed_point": h.tolist(), "controllable": decision.controllable, "dimension": int(dimension),
            "n": net.n, "method": decision.method, "score_ratio": decision.score_ratio,
            "margin": decision.score_ratio, "tolerance": decision.tol,
            "distance": distance, "relative_distance": relative,
            "least_reachable_eigenvalue": [decision.eigenvalue.real, decision.eigenvalue.imag]}


def _lyapunov_text(g: dict[str, Any], n: int) -> str:
    """Which exponents, over how many steps, and whether the horizon stopped because they had converged."""
    if "lyapunov_k" not in g:
        return ""
    which = "all" if g["lyapunov_k"] == n else f"top {g['lyapunov_k']} of"
    how = (f"converged: standard error {g['lyapunov_standard_error']:.2g} <= {g['lyapunov_tolerance']:g}"
           if g["lyapunov_converged"] else f"standard error {g['lyapunov_standard_error']:.2g}")
    return f" ({which} {n} exponents over {g['lyapunov_steps']} steps, {how})"


def _peak_text(g: dict[str, Any], rho: float) -> str:
    """The certified transient peak, or the honest lower bound with the reason."""
    if g.get("transient_peak_certified", False):
        return f"max_k ||W_h^k||_2 = {g['transient_peak']:.6g} at k = {g['transient_peak_k']} (certified)"
    why = "rho >= 1: the powers need not decay" if rho >= 1 else "step cap reached"
    return (f"max_k ||W_h^k||_2 >= {g['transient_peak']:.6g} (at k = {g['transient_peak_k']}; "
            f"k <= {g.get('transient_steps_scanned', '?')} scanned, not certified: {why})")


def _short(values: list[float], shown: int = 6) -> str:
    """The first ``shown`` entries, rounded, and how many there are in all."""
    head = ", ".join(f"{v:.4g}" for v in values[:shown])
    return f"[{head}, ... ({len(values)} entries)]" if len(values) > shown else f"[{head}]"


def _format_point(p: dict[str, Any]) -> str:
    state = "; ".join(f"{k} = {_short(v)}" for k, v in p["state"].items())
    cert = p.get("certificate")
    proof = (f"Krawczyk: within {cert['radius']:.1e}, alone within {cert['unique_within']:.1e}" if cert
             else f"not proven: {p.get('certificate_reason', 'a slow point')}" if "certificate" in p
             else f"slow, q = {p['q']:.3g}")
    line = f"    {p['stability']} (rho = {p['spectral_radius']:.4g}; {proof}): {state}"
    lin = p.get("linearization")
    if lin:
        modes = ", ".join(f"|lambda| = {m['modulus']:.4g}" + (f" (half-life {m['half_life']:.3g} steps)"
                                                               if m["half_life"] is not None else "")
                          for m in lin["slowest_modes"])
        line += f"\n      slowest modes: {modes}"
    return line


def _format_cell(name: str, report: dict[str, Any]) -> str:
    """A plain-text summary of :func:`~rnnsym.exports.analyze_cell`'s result."""
    fp, sp_ = report["fixed_points"], report["slow_points"]
    counts = ", ".join(f"{k} {v}" for k, v in sorted(fp["counts"].items())) or "none"
    lines = [f"{name}: {report['kind'].upper()}, n={report['n']}, m={report['m']}, state "
             f"({', '.join(report['state_parts'])}) of {report['state_size']} entries",
             f"  fixed points at zero input: {len(fp['points'])} ({counts}); {fp['certified']} proven by the "
             f"Krawczyk test; {fp['reason']}; from {report['search']['starts']} starts"
             + (" (the default for this size; --starts N for more)" if report["search"].get("starts_rule") != "given"
                else "")]
    lines += [_format_point(p) for p in fp["points"]]
    lines.append(f"  slow points (q <= {sp_['max_q']:g}): {len(sp_['points'])}")
    lines += [_format_point(p) for p in sp_["points"]]
    return "\n".join(lines)


def format_analysis(name: str, report: dict[str, Any]) -> str:
    """A plain-text summary of :func:`analyze_layer`'s result (:func:`analyze_rnn` or a cell's)."""
    if "state_parts" in report:
        return _format_cell(name, report)
    g, c, fp = report["gradients"], report["contraction"], report["fixed_points"]
    lines = [
        f"{name}: n={report['n']}, m={report['m']}, activation={report['activation']}",
        f"  spectral radius {report['spectral_radius']:.6g}, spectral norm "
        f"{report['spectral_norm']:.6g}, W_h {'normal' if report['normal'] else 'non-normal'}",
        f"  contraction q = {c['q']:.6g}: {c['meaning']}",
        f"  fixed points at zero input: {len(fp['points'])}"
        + (f" (complete: {fp['certificate']})" if fp["complete"] else f" (may be incomplete: {fp['reason']})"),
    ]
    for p in fp["points"]:
        extra = f", half-life {p['half_life']:.4g} steps" if "half_life" in p else ""
        lines.append(f"    h* = {np.round(p['h'], 6).tolist()}: {p['stability']} "
                     f"(rho = {p['spectral_radius']:.6g}{extra})")
    lines.append(f"  gradients: c||W_h||_2 = {g['bound_factor']:.6g}"
                 + (" < 1 certifies vanishing gradients" if g["vanishing_certified"]
                    else " >= 1: explosion possible, not certain")
                 + f"; top Lyapunov exponent {g['top_lyapunov_exponent']:.6g} per step{_lyapunov_text(g, report['n'])};"
                 f" {_peak_text(g, report['spectral_radius'])}")
    r = report["controllability"]
    if r:
        evidence = (f"{r['method']} test: weakest score {r['margin']:.3g} x the tolerance {r['tolerance']:.0e}"
                    f" at eigenvalue {complex(*r['least_reachable_eigenvalue']):.4g}")
        if r.get("distance") is not None:
            evidence += (f"; distance to uncontrollability {r['distance']:.3g}"
                         f" (relative {r['relative_distance']:.3g})")
        if r["controllable"]:
            lines.append(f"  controllable near h*: inputs reach the whole n={r['n']} state space ({evidence})")
        else:
            lines.append(f"  not controllable near h*: inputs reach a {r['dimension']}-dimensional subspace "
                         f"of the n={r['n']} state space ({evidence})")
    return "\n".join(lines)
