"""Analyse a trained RNN from its weights (``.npz`` exported from PyTorch).

:func:`load_weights` reads an ``.npz`` file without pickles and accepts
either PyTorch ``nn.RNN`` state-dict names (``weight_hh_l0``,
``weight_ih_l0``, ``bias_ih_l0``, ``bias_hh_l0``, one set per layer; the
two biases add up to ``b``) or rnnsym's own names (``W_h``, ``W_x``,
``b``).  :func:`analyze_rnn` answers a practitioner's questions for each
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
>>> layers = load_weights(path)
>>> [(l.name, l.net.n, l.net.m) for l in layers]
[('layer 0', 3, 2)]
>>> report = analyze_rnn(layers[0].net)
>>> report["fixed_points"]["complete"], report["contraction"]["certified"]
(True, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnsym._npz import read_npz
from rnnsym.activations import get_activation
from rnnsym.errors import (DomainError, InvalidArgumentError, NonFiniteError, ResourceLimitError,
                           ShapeError)
from rnnsym.model import RNN
from rnnsym._matrices import as_int, as_seed, require_model
from rnnsym.fixedpoints.search import find_fixed_points
from rnnsym.gradients import bound_factor
from rnnsym.gradients import lyapunov_spectrum
from rnnsym.linear.controllability import is_controllable, reachable_subspace
from rnnsym.linear.normality import is_normal
from rnnsym.linear.system import linearize
from rnnsym.linear.normality import TransientGrowth, transient_growth
from rnnsym.stability import contraction_factor
from rnnsym.stability import half_life
from rnnsym.stability import spectral_norm
from rnnsym.stability import spectral_radius

__all__ = ["Layer", "load_weights", "analyze_rnn", "format_analysis", "json_ready"]

_TORCH_KEY = re.compile(r"^(?:.*\.)?(weight_hh|weight_ih|bias_ih|bias_hh)_l(\d+)(_reverse)?$")
_TORCH_ROLES = {"weight_hh": "W_h", "weight_ih": "W_x", "bias_ih": "b", "bias_hh": "b2"}
#: Largest layer (units, and inputs) `rnnsym analyze` reads.
MAX_UNITS = 1024
#: Largest weight magnitude `rnnsym analyze` reads (products of weights stay within floats).
MAX_WEIGHT = 1e100
#: Most floats in the stack of trajectory Jacobians (``steps * n**2``) :func:`analyze_rnn` holds.
MAX_JACOBIAN_FLOATS = 2**27
#: Most powers of ``W_h`` :func:`analyze_rnn` forms to certify its transient peak.
MAX_TRANSIENT_STEPS = 100_000
#: ``steps * n**3`` budget of those powers (one SVD each: about 2 s on one core); never fewer than 200 steps.
TRANSIENT_WORK = 4e9
#: Largest layer whose distance to uncontrollability :func:`analyze_rnn` estimates (``n`` + ~1000 SVDs).
MAX_DISTANCE_N = 256


@dataclass(frozen=True)
class Layer:
    """One recurrent layer read from a weights file."""

    name: str
    net: RNN


def _array(arr: np.ndarray, key: str, path: Path) -> np.ndarray:
    with np.errstate(over="ignore"):
        arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(f"`{path.name}` entry `{key}` holds NaN or infinite values.")
    if arr.size and float(np.abs(arr).max()) > MAX_WEIGHT:
        raise DomainError(
            f"`{path.name}` entry `{key}` holds {float(np.abs(arr).max()):.3g}; `rnnsym analyze` reads "
            f"weights up to {MAX_WEIGHT:.0e} in magnitude (it multiplies weights and their powers, "
            "which would overflow floats).")
    return arr


def json_ready(obj: Any, where: str = "", found: list[str] | None = None) -> Any:
    """``obj`` with every NaN or infinite float replaced by ``None`` (JSON has neither).

    ``found`` collects where they were.

    >>> found = []
    >>> json_ready({"a": [1.0, float("inf")], "b": float("nan")}, found=found), found
    ({'a': [1.0, None], 'b': None}, ['a[1]: inf', 'b: nan'])
    """
    found = [] if found is None else found
    if isinstance(obj, dict):
        return {k: json_ready(v, f"{where}.{k}" if where else str(k), found) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v, f"{where}[{i}]", found) for i, v in enumerate(obj)]
    if isinstance(obj, float) and not np.isfinite(obj):
        found.append(f"{where}: {obj}")
        return None
    return obj


def _shaped(arrays: dict[str, np.ndarray], keys: dict[str, str],
            path: Path) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """``W_h`` (n x n), ``W_x`` (n x m) and ``b`` (n) of one layer, shapes checked before anything is built.

    ``keys`` maps each role (``W_h``, ``W_x``, ``b``, and for PyTorch ``b2``,
    the second bias) to its entry in the file.
    """
    def entry(role: str) -> np.ndarray | None:
        return _array(arrays[keys[role]], keys[role], path) if role in keys else None

    W_h = entry("W_h")
    assert W_h is not None
    if W_h.ndim != 2 or W_h.shape[0] != W_h.shape[1] or W_h.shape[0] == 0:
        raise ShapeError(f"`{path.name}` entry `{keys['W_h']}` must be a square n x n matrix with n >= 1; "
                         f"got shape {W_h.shape}.")
    n = W_h.shape[0]
    if n > MAX_UNITS:
        raise ResourceLimitError(f"`{path.name}` entry `{keys['W_h']}` has {n} units; `rnnsym analyze` "
                                 f"takes at most {MAX_UNITS}.")
    W_x = entry("W_x")
    if W_x is not None and (W_x.ndim != 2 or W_x.shape[0] != n or W_x.shape[1] > MAX_UNITS):
        raise ShapeError(f"`{path.name}` entry `{keys['W_x']}` must be an n x m matrix with n = {n} "
                         f"and m <= {MAX_UNITS}; got shape {W_x.shape}.")
    b = np.zeros(n)
    for role in ("b", "b2"):
        part = entry(role)
        if part is not None:
            if part.shape != (n,):
                raise ShapeError(f"`{path.name}` entry `{keys[role]}` must be a vector of length {n} "
                                 f"(the rows of `{keys['W_h']}`); got shape {part.shape}.")
            b = b + part
    if not np.all(np.isfinite(b)):
        raise NonFiniteError(f"`{path.name}`: the biases overflow when added.")
    return W_h, W_x, b


def load_weights(path: str | Path, activation: str = "tanh") -> list[Layer]:
    """Read the recurrent layers stored in an ``.npz`` file.

    Parameters
    ----------
    path : str or Path
        An ``.npz`` file (``numpy.savez`` of a PyTorch ``state_dict``, or of
        ``W_h``, ``W_x``, ``b``).  Pickled objects are refused, and the file
        is read by :func:`rnnsym._npz.read_npz`, which checks every header
        and size before reading data.  A bidirectional layer's
        ``*_reverse`` weights become a layer of their own.
    activation : str
        The layer's nonlinearity (PyTorch ``nn.RNN`` uses ``"tanh"`` or
        ``"relu"``; it is not stored among the weights).
    """
    path = Path(path)
    act = get_activation(activation)
    arrays = read_npz(path, argument="WEIGHTS", max_elements=MAX_UNITS * MAX_UNITS)
    if "W_h" in arrays:
        roles: dict[str, str] = {"W_h": "W_h", **{r: r for r in ("W_x", "b") if r in arrays}}
        W_h, W_x, b = _shaped(arrays, roles, path)
        return [Layer("layer 0", RNN(W_h, W_x, b, act))]
    layers: dict[tuple[int, str], dict[str, str]] = {}
    for key in arrays:
        match = _TORCH_KEY.match(key)
        if match:
            part, index, reverse = match.groups()
            layers.setdefault((int(index), reverse or ""), {})[_TORCH_ROLES[part]] = key
    if not layers:
        shown = ", ".join(k[:40] for k in list(arrays)[:8]) or "none"
        raise InvalidArgumentError(
            f"`WEIGHTS` {path.name!r} has no recurrent weights (keys: {shown}); expected PyTorch "
            "nn.RNN names such as weight_hh_l0, or W_h, W_x, b."
        )
    out = []
    for (index, reverse), roles in sorted(layers.items()):
        if "W_h" not in roles:
            raise InvalidArgumentError(f"`WEIGHTS` {path.name!r} has no weight_hh_l{index}{reverse}.")
        name = f"layer {index}" + (" (reverse direction)" if reverse else "")
        W_h, W_x, b = _shaped(arrays, roles, path)
        out.append(Layer(name, RNN(W_h, W_x, b, act)))
    return out


def analyze_rnn(net: RNN, *, steps: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Stability, fixed points, gradients and reach of one numeric RNN.

    Returns a JSON-ready dict.  ``steps`` sets the trajectory length for
    the Lyapunov exponent (driven by standard-normal inputs from ``seed``);
    its ``steps`` Jacobians of ``n x n`` floats are held at once, so
    ``steps * n**2`` above :data:`MAX_JACOBIAN_FLOATS` (1 GiB) raises
    :class:`~rnnsym.errors.ResourceLimitError`.  ``"controllability"`` is
    the decision of :func:`~rnnsym.linear.controllability.is_controllable` on
    the linearisation at the first stable fixed point (with its method,
    score ratio and tolerance, the estimated distance to uncontrollability,
    and the dimension reached: ``n`` exactly when controllable); for large
    ``n`` it costs up to about ``8 n`` singular-value decompositions of
    ``n x (n + m)`` matrices, and the distance about ``n + 1000`` more.
    ``"transient_peak"`` is ``max_k ||W_h^k||_2``, certified
    (``"transient_peak_certified"``) when ``rho(W_h) < 1`` and a certificate
    comes within the step cap (at most ``4e9 / n^3`` powers, 200 to
    100 000); otherwise it is a lower bound over the powers scanned.
    """

    net, steps, seed = require_model(net, numeric=True), as_int(steps, "steps", low=1), as_seed(seed)
    if steps * net.n ** 2 > MAX_JACOBIAN_FLOATS:
        raise ResourceLimitError(
            f"`steps`={steps} Jacobians of a {net.n}-unit layer hold {steps * net.n ** 2:.3g} floats "
            f"(limit {MAX_JACOBIAN_FLOATS:.3g}, 1 GiB); pass steps={MAX_JACOBIAN_FLOATS // net.n ** 2} "
            "or fewer (the --steps option of `rnnsym analyze`)."
        )
    W_h, _, _ = net.numeric_weights()
    rho = spectral_radius(W_h)
    norm = spectral_norm(W_h)
    q = float(contraction_factor(W_h, net.activation))
    zero = np.zeros(net.m)
    points = find_fixed_points(net, zero)
    fixed = []
    for p in points:
        entry = {"h": p.h.tolist(), "stability": p.stability.kind,
                 "spectral_radius": float(p.stability.spectral_radius)}
        if 0 < p.stability.spectral_radius < 1:
            entry["half_life"] = float(half_life(float(p.stability.spectral_radius)))
        fixed.append(entry)
    growth = _transient(W_h, rho)
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((steps, net.m))
    lyap = lyapunov_spectrum(net, xs, discard=min(100, steps // 10))
    reach: dict[str, Any] = {}
    stable = [p for p in points if p.stability.kind == "stable"]
    if stable:
        reach = _reach(net, stable[0].h, zero)
    c = float(net.activation.lipschitz)
    return {
        "n": net.n, "m": net.m, "activation": net.activation.name,
        "spectral_radius": rho, "spectral_norm": norm,
        "normal": bool(is_normal(W_h)),
        "contraction": {"q": q, "certified": q < 1,
                        "meaning": "unique fixed point attracting every trajectory at rate q^t"
                        if q < 1 else "no global contraction certificate (q >= 1)"},
        "fixed_points": {"input": "zero", "complete": points.complete,
                         "certificate": points.certificate, "reason": points.reason,
                         "points": fixed},
        "gradients": {"bound_factor": float(bound_factor(net)), "c": c,
                      "vanishing_certified": float(bound_factor(net)) < 1,
                      "transient_peak": float(growth.peak), "transient_peak_k": int(growth.k_peak),
                      "transient_peak_certified": bool(growth.exact),
                      "transient_steps_scanned": len(growth.norms) - 1,
                      "top_lyapunov_exponent": float(lyap[0]),
                      "lyapunov_spectrum": [float(v) for v in lyap]},
        "controllability": reach,
    }


def _transient_steps(n: int) -> int:
    """How many powers of an ``n x n`` ``W_h`` :func:`analyze_rnn` may form (200 .. 100 000).

    >>> _transient_steps(2), _transient_steps(64), _transient_steps(512)
    (100000, 15258, 200)
    """
    return max(200, min(MAX_TRANSIENT_STEPS, int(TRANSIENT_WORK / max(n, 1) ** 3)))


def _transient(W_h: np.ndarray, rho: float) -> TransientGrowth:
    """``max_k ||W_h^k||_2``: certified when ``rho < 1`` and the certificate comes within the step cap.

    With ``rho >= 1`` the powers need not decay, so only ``k <= 200`` is
    scanned and the peak is reported as a lower bound.
    """
    if rho < 1:
        return transient_growth(W_h, limit=_transient_steps(W_h.shape[0]))
    return transient_growth(W_h, k_max=200)


def _reach(net: RNN, h: np.ndarray, x: np.ndarray) -> dict[str, Any]:
    """Controllability of the linearisation at ``(h, x)``, as decided by :func:`is_controllable`.

    ``dimension`` is ``n`` when the pair is controllable; otherwise the
    dimension of :func:`reachable_subspace` (a numeric rank, an estimate for
    large ``n``), at most ``n - 1`` so that it never contradicts the decision.
    ``score_ratio`` (also under its old key ``margin``) is the weakest Hautus
    score over the tolerance; ``distance`` estimates how small a perturbation
    of ``(A, B)`` makes the pair uncontrollable (:attr:`Decision.distance`,
    absolute; ``relative_distance`` divides by ``||[A, B]||_2``), ``None``
    above :data:`MAX_DISTANCE_N` units.
    """
    lin = linearize(net, h, x)
    decision = is_controllable(lin)
    dimension = net.n if decision.controllable else min(reachable_subspace(lin).shape[1], net.n - 1)
    distance = relative = None
    if net.n <= MAX_DISTANCE_N:
        A, B, _ = lin.numeric_matrices()
        distance = float(decision.distance)
        relative = distance / max(float(np.linalg.norm(np.hstack([A, B]), 2)), np.finfo(float).tiny)
    return {"at_fixed_point": h.tolist(), "controllable": decision.controllable, "dimension": int(dimension),
            "n": net.n, "method": decision.method, "score_ratio": decision.score_ratio,
            "margin": decision.score_ratio, "tolerance": decision.tol,
            "distance": distance, "relative_distance": relative,
            "least_reachable_eigenvalue": [decision.eigenvalue.real, decision.eigenvalue.imag]}


def _peak_text(g: dict[str, Any], rho: float) -> str:
    """The certified transient peak, or the honest lower bound with the reason."""
    if g.get("transient_peak_certified", False):
        return f"max_k ||W_h^k||_2 = {g['transient_peak']:.6g} at k = {g['transient_peak_k']} (certified)"
    why = "rho >= 1: the powers need not decay" if rho >= 1 else "step cap reached"
    return (f"max_k ||W_h^k||_2 >= {g['transient_peak']:.6g} (at k = {g['transient_peak_k']}; "
            f"k <= {g.get('transient_steps_scanned', '?')} scanned, not certified: {why})")


def format_analysis(name: str, report: dict[str, Any]) -> str:
    """A plain-text summary of :func:`analyze_rnn`'s result."""
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
                 + f"; top Lyapunov exponent {g['top_lyapunov_exponent']:.6g} per step;"
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
