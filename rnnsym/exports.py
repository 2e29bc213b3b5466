"""Trained networks from their exported weights: PyTorch ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM`` state dicts.

:func:`read_export` reads a ``numpy.savez`` file (through
:func:`rnnsym._npz.read_npz`, which never unpickles and checks every header
before reading data) or a ``.safetensors`` file (the optional ``weights``
extra; its size is checked before it is opened, and each tensor's dtype
and shape before it is read), and finds the recurrent layers in it by
their key names and shapes:

* PyTorch state dicts: ``[prefix.]weight_ih_l{k}[_reverse]``,
  ``weight_hh_l{k}[_reverse]``, ``bias_ih_...``, ``bias_hh_...``, one set per
  layer and direction, from a module alone or inside a model (several
  modules: one prefix each).  ``weight_hh`` of shape ``(G n, n)`` tells the
  module: ``G = 1`` ``nn.RNN``, ``3`` ``nn.GRU``, ``4`` ``nn.LSTM``.  Every
  layer and direction becomes a :class:`Layer` (nothing is dropped); layer
  ``k > 0`` reads the layer below, so its input size must be ``D n``
  (``D = 2`` when bidirectional), and a bidirectional module must store both
  directions of every layer;
* rnnsym's own simple RNN: ``W_h``, ``W_x``, ``b``.

An ``nn.RNN``'s nonlinearity (tanh or relu) is not in its state dict: it
must be given (``activation``; ``--activation`` on the command line), and
is refused otherwise.  rnnsym's ``W_h`` layout keeps its documented default,
tanh.  Keys that are not recurrent weights (a readout ``fc.weight``,
recorded data) are listed in :attr:`Export.ignored`, never silently
dropped; keys that look like recurrent weights but are none of these
names, and files with no recurrent layer, are refused with one line
naming what was found and what is supported.

:func:`analyze_cell` analyses one gated (or any) cell: its fixed points at
zero input, each proven by the Krawczyk test, and slow points
(:func:`~rnnsym.cells.slow_points.find_slow_points`), their
classification, and the linearisation at each stable point.

Examples
--------
>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "gru.npz")
>>> rng = np.random.default_rng(0)
>>> np.savez(path, weight_ih_l0=rng.standard_normal((6, 1)), weight_hh_l0=rng.standard_normal((6, 2)),
...          bias_ih_l0=np.zeros(6), bias_hh_l0=np.zeros(6), **{"fc.weight": np.ones((1, 2))})
>>> export = read_export(path)
>>> [(layer.name, layer.module, layer.cell) for layer in export.layers], export.ignored
([('layer 0', 'nn.GRU', GRUCell(n=2, m=1, state_size=2))], ('fc.weight',))
>>> np.savez(path, weight_ih_l0=np.ones((2, 1)), weight_hh_l0=np.eye(2))
>>> read_export(path)
Traceback (most recent call last):
...
rnnsym.errors.InvalidArgumentError: `WEIGHTS` 'gru.npz' holds an nn.RNN, whose nonlinearity is not stored in its state dict; pass --activation tanh or --activation relu (activation='tanh' or 'relu' in Python).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rnnsym._npz import MAX_BYTES, read_npz
from rnnsym.activations import get_activation
from rnnsym.cells import GRUCell, LSTMCell
from rnnsym.cells.base import Cell
from rnnsym.cells.slow_points import find_slow_points
from rnnsym.errors import DomainError, InvalidArgumentError, NonFiniteError, ResourceLimitError, ShapeError
from rnnsym.model import RNN
from rnnsym.stability import half_life
from rnnsym._matrices import as_choice, as_int

__all__ = ["Layer", "Export", "read_export", "analyze_cell", "MAX_UNITS", "MAX_WEIGHT"]

#: Largest layer (units, and inputs) `rnnsym analyze` reads.
MAX_UNITS = 1024
#: The default starts of :func:`analyze_cell` times the square of the state size, at most (2**24: the
#: search's matrices stay near 128 MB each, and a 256-unit LSTM's search near 10 s on one core).
STARTS_FLOATS = 2 ** 24
#: Largest weight magnitude `rnnsym analyze` reads (products of weights stay within floats).
MAX_WEIGHT = 1e100
#: Most numbers in one array (a 1024-unit LSTM's ``weight_hh`` is ``4096 x 1024``).
MAX_ELEMENTS = 4 * MAX_UNITS * MAX_UNITS
#: Slowest modes reported at each stable point.
SLOWEST_MODES = 3

_TORCH = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<param>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                    r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$")
_SINGLE = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<param>weight_ih|weight_hh|bias_ih|bias_hh)$")
#: A key that names a recurrent weight in some way: refused unless it parses as one of the above.
_SUSPECT = re.compile(r"(?:^|[._])(?:weight|bias)_(?:ih|hh|hr)")
_MODULES = {1: "nn.RNN", 3: "nn.GRU", 4: "nn.LSTM"}
_SUPPORTED = ("PyTorch nn.RNN, nn.GRU or nn.LSTM state dicts (weight_ih_l0, weight_hh_l0, bias_ih_l0, "
              "bias_hh_l0, ..._reverse, ..._l1, any module prefix) or rnnsym's W_h, W_x, b")
#: safetensors dtypes read (numpy has no bfloat16 or 8-bit floats).
_SAFE_DTYPES = {"F16": "float16", "F32": "float32", "F64": "float64", "I8": "int8", "I16": "int16",
                "I32": "int32", "I64": "int64", "U8": "uint8", "U16": "uint16", "U32": "uint32", "U64": "uint64"}


@dataclass(frozen=True)
class Layer:
    """One recurrent layer and direction read from a weights file.

    ``net`` (a simple RNN: rnnsym's layout or an ``nn.RNN`` layer) or
    ``cell`` (a :class:`~rnnsym.cells.GRUCell` or
    :class:`~rnnsym.cells.LSTMCell`) is set; ``module`` names the layout
    (``"nn.GRU"``, ...), ``keys`` the entries it was read from.
    """

    name: str
    net: RNN | None = None
    cell: Cell | None = None
    module: str = "rnnsym"
    layer: int = 0
    reverse: bool = False
    keys: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Export:
    """Every recurrent layer of a file (:attr:`layers`) and the keys that are not recurrent weights."""

    layers: tuple[Layer, ...]
    ignored: tuple[str, ...]


def _label(path: Path, argument: str) -> str:
    return f"`{argument}` {path.name!r}"


def _listing(keys: list[str], limit: int = 8) -> str:
    shown = ", ".join(k[:40] for k in keys[:limit])
    return (shown + (f", ... ({len(keys)} keys)" if len(keys) > limit else "")) or "none"


# -- reading files -----------------------------------------------------------------------------------------
def _is_safetensors(path: Path) -> bool:
    if path.suffix.lower() == ".safetensors":
        return True
    with path.open("rb") as f:
        head = f.read(9)
    if len(head) < 9 or head[8:9] != b"{":
        return False
    return 0 < int.from_bytes(head[:8], "little") <= path.stat().st_size - 8


def _read_safetensors(path: Path, argument: str, max_bytes: int) -> dict[str, np.ndarray]:
    label = _label(path, argument)
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidArgumentError(f"{label} holds {size} bytes; the limit is {max_bytes}.")
    try:
        from safetensors import safe_open   # optional extra `weights`
    except ImportError:
        raise InvalidArgumentError(f"{label} is a .safetensors file, which needs the optional package "
                                   "safetensors; install it with `pip install rnnsym[weights]`.") from None
    arrays: dict[str, np.ndarray] = {}
    try:
        with safe_open(str(path), framework="numpy") as f:
            keys = list(f.keys())
            for key in keys:
                where = f"{label} entry {key[:60]!r}"
                piece = f.get_slice(key)
                dtype, shape = str(piece.get_dtype()), tuple(int(s) for s in piece.get_shape())
                if dtype not in _SAFE_DTYPES:
                    raise InvalidArgumentError(f"{where} has dtype {dtype}; rnnsym reads "
                                               f"{', '.join(_SAFE_DTYPES)} (convert bfloat16 to float32 first).")
                if math.prod(shape) > MAX_ELEMENTS:
                    raise InvalidArgumentError(f"{where} claims shape {shape}: {math.prod(shape)} numbers, more "
                                               f"than the limit {MAX_ELEMENTS}.")
                arrays[key] = np.asarray(f.get_tensor(key))
    except InvalidArgumentError:
        raise
    except Exception as exc:   # the package's SafetensorError, and what a damaged file gives
        raise InvalidArgumentError(f"{label} is not a readable .safetensors file ({type(exc).__name__}: "
                                   f"{' '.join(str(exc).split())[:80]}).") from None
    return arrays


def read_arrays(path: str | Path, *, argument: str = "WEIGHTS") -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` or ``.safetensors`` file, every header and size checked before reading."""
    path = Path(path)
    if not path.is_file():
        raise InvalidArgumentError(f"`{argument}` {str(path)!r} is not a file; expected an .npz or "
                                   ".safetensors file.")
    if _is_safetensors(path):
        return _read_safetensors(path, argument, MAX_BYTES)
    return read_npz(path, argument=argument, max_elements=MAX_ELEMENTS)


def _checked(arrays: dict[str, np.ndarray], key: str, label: str) -> np.ndarray:
    """One entry as float64, finite and at most :data:`MAX_WEIGHT` in magnitude."""
    with np.errstate(over="ignore"):
        arr = np.asarray(arrays[key]).astype(float)
    if not np.all(np.isfinite(arr)):
        raise NonFiniteError(f"{label} entry `{key}` holds NaN or infinite values.")
    if arr.size and float(np.abs(arr).max()) > MAX_WEIGHT:
        raise DomainError(
            f"{label} entry `{key}` holds {float(np.abs(arr).max()):.3g}; `rnnsym analyze` reads "
            f"weights up to {MAX_WEIGHT:.0e} in magnitude (it multiplies weights and their powers, "
            "which would overflow floats).")
    return arr


# -- layouts --------------------------------------------------------------------------------------------
def _rnnsym_layer(arrays: dict[str, np.ndarray], label: str, activation: str | None) -> tuple[Layer, set[str]]:
    """rnnsym's own ``W_h``, ``W_x``, ``b`` (tanh unless told otherwise, as always)."""
    W_h = _checked(arrays, "W_h", label)
    if W_h.ndim != 2 or W_h.shape[0] != W_h.shape[1] or W_h.shape[0] == 0:
        raise ShapeError(f"{label} entry `W_h` must be a square n x n matrix with n >= 1; got shape {W_h.shape}.")
    n = W_h.shape[0]
    if n > MAX_UNITS:
        raise ResourceLimitError(f"{label} entry `W_h` has {n} units; `rnnsym analyze` takes at most {MAX_UNITS}.")
    W_x = _checked(arrays, "W_x", label) if "W_x" in arrays else None
    if W_x is not None and (W_x.ndim != 2 or W_x.shape[0] != n or W_x.shape[1] > MAX_UNITS):
        raise ShapeError(f"{label} entry `W_x` must be an n x m matrix with n = {n} and m <= {MAX_UNITS}; "
                         f"got shape {W_x.shape}.")
    b = _checked(arrays, "b", label) if "b" in arrays else np.zeros(n)
    if b.shape != (n,):
        raise ShapeError(f"{label} entry `b` must be a vector of length {n} (the rows of `W_h`); got shape {b.shape}.")
    used: set[str] = {k for k in ("W_h", "W_x", "b") if k in arrays}
    net = RNN(W_h, W_x, b, get_activation(activation or "tanh"))
    return Layer("layer 0", net=net, module="rnnsym", keys=tuple(sorted(used))), used


def _groups(keys: list[str], label: str) -> dict[str, dict[tuple[int, bool], dict[str, str]]]:
    """``prefix -> (layer, reverse) -> param -> key`` for every PyTorch recurrent key; others refused if suspect."""
    groups: dict[str, dict[tuple[int, bool], dict[str, str]]] = {}
    for key in keys:
        match = _TORCH.match(key) or _SINGLE.match(key)
        if match is None:
            if _SUSPECT.search(key):
                raise InvalidArgumentError(
                    f"{label} entry {key[:60]!r} looks like a recurrent weight but is none of PyTorch's names "
                    "(weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>, bias_hh_l<k>, with _reverse for the "
                    "second direction).")
            continue
        parts = match.groupdict()
        index = (int(parts.get("layer") or 0), bool(parts.get("reverse")))
        roles = groups.setdefault(parts["prefix"], {}).setdefault(index, {})
        if parts["param"] in roles:
            raise InvalidArgumentError(f"{label} holds both `{roles[parts['param']]}` and `{key}` for one layer; "
                                       "save one module's state dict per prefix.")
        roles[parts["param"]] = key
    return groups


def _module_layers(arrays: dict[str, np.ndarray], prefix: str, found: dict[tuple[int, bool], dict[str, str]],
                   label: str, activation: str | None, named: bool) -> list[Layer]:
    """Every layer and direction of one PyTorch module, its shapes checked against each other."""
    for index, roles in sorted(found.items()):
        if "weight_hr" in roles:
            raise InvalidArgumentError(f"{label} has `{roles['weight_hr']}`: an nn.LSTM with proj_size > 0, which "
                                       "rnnsym does not read.")
        if "weight_hh" not in roles:
            k = next(iter(roles.values()))
            suffix = "" if _SINGLE.match(k) else f"_l{index[0]}" + ("_reverse" if index[1] else "")
            raise InvalidArgumentError(f"{label} has no {prefix}weight_hh{suffix} (found {k}); every recurrent "
                                       "layer stores its weight_hh.")
    layer_ids = sorted({i for i, _ in found})
    if layer_ids != list(range(len(layer_ids))):
        missing = min(set(range(max(layer_ids) + 1)) - set(layer_ids))
        raise InvalidArgumentError(f"{label} has layers {layer_ids} of {prefix or 'the module'} but no layer "
                                   f"{missing} (keys {prefix}weight_hh_l{missing}...).")
    directions = 2 if any(rev for _, rev in found) else 1
    for i in layer_ids:
        for rev in (False, True)[:directions]:
            if (i, rev) not in found:
                have = found[(i, not rev)]["weight_hh"]
                lack = f"{prefix}weight_hh_l{i}" + ("_reverse" if rev else "")
                raise InvalidArgumentError(f"{label} has `{have}` but not `{lack}`: a bidirectional module stores "
                                           "both directions of every layer.")
    W0 = _checked(arrays, found[(0, False)]["weight_hh"], label)
    G = W0.shape[0] // W0.shape[1] if W0.ndim == 2 and W0.shape[1] and W0.shape[0] % W0.shape[1] == 0 else 0
    if G not in _MODULES:
        raise ShapeError(f"{label} entry `{found[(0, False)]['weight_hh']}` must be a (G n) x n matrix: square n x n "
                         f"(nn.RNN), 3n x n (nn.GRU) or 4n x n (nn.LSTM), n >= 1; got shape {W0.shape}.")
    n, module = W0.shape[1], _MODULES[G]
    if n > MAX_UNITS:
        raise ResourceLimitError(f"{label} entry `{found[(0, False)]['weight_hh']}` has {n} units; "
                                 f"`rnnsym analyze` takes at most {MAX_UNITS}.")
    width = None
    layers: list[Layer] = []
    simple: list[tuple[str, np.ndarray, np.ndarray | None, np.ndarray, dict[str, Any]]] = []
    for (i, rev), roles in sorted(found.items()):
        name = (f"{prefix[:-1]} " if named and prefix else "") + f"layer {i}" + (" (reverse direction)" if rev else "")
        W_hh = _checked(arrays, roles["weight_hh"], label)
        if W_hh.shape != (G * n, n):
            raise ShapeError(f"{label} entry `{roles['weight_hh']}` must have shape ({G * n}, {n}) like "
                             f"`{found[(0, False)]['weight_hh']}` ({module}, n = {n}); got shape {W_hh.shape}.")
        rows = "an n x m matrix with n" if G == 1 else f"a {G}n x m matrix with {G}n"
        want = width if i == 0 else directions * n
        if "weight_ih" in roles:
            W_ih = _checked(arrays, roles["weight_ih"], label)
            if W_ih.ndim != 2 or W_ih.shape[0] != G * n or W_ih.shape[1] > MAX_UNITS or (
                    want is not None and W_ih.shape[1] != want):
                below = (f" (layer {i} reads the {directions * n} outputs of layer {i - 1}"
                         + (", both directions" if directions == 2 else "") + ")" if i else "")
                m_text = f"m = {want}" if want is not None else f"m <= {MAX_UNITS}"
                raise ShapeError(f"{label} entry `{roles['weight_ih']}` must be {rows} = {G * n} and "
                                 f"{m_text}{below}; got shape {W_ih.shape}.")
            width = W_ih.shape[1] if i == 0 else width
        elif G > 1:
            lack = roles["weight_hh"].replace("weight_hh", "weight_ih")
            raise InvalidArgumentError(f"{label} has `{roles['weight_hh']}` but no `{lack}`; an {module} stores both.")
        else:
            W_ih = None   # an nn.RNN layer without inputs (m = 0), as rnnsym has always read it
        b_ih, b_hh = _biases(arrays, roles, G * n, label)
        keys = tuple(roles[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if k in roles)
        where = {"module": module, "layer": i, "reverse": rev, "keys": keys}
        if G == 1:   # built below, once every shape is checked and the activation is known
            simple.append((name, W_hh, W_ih, np.zeros(n) if b_ih is None or b_hh is None else b_ih + b_hh, where))
        else:
            cls = GRUCell if G == 3 else LSTMCell
            layers.append(Layer(name, cell=cls(W_ih, W_hh, b_ih, b_hh), **where))   # type: ignore[arg-type]
    if simple:
        if activation is None:
            raise InvalidArgumentError(
                f"{label} holds an nn.RNN, whose nonlinearity is not stored in its state dict; pass --activation "
                "tanh or --activation relu (activation='tanh' or 'relu' in Python).")
        act = get_activation(as_choice(activation, "activation", ("tanh", "relu")))
        layers = [Layer(name, net=RNN(W_hh, W_ih, b, act), **where)   # type: ignore[arg-type]
                  for name, W_hh, W_ih, b, where in simple]
    return layers


def _biases(arrays: dict[str, np.ndarray], roles: dict[str, str], rows: int,
            label: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(bias_ih, bias_hh)`` of one layer and direction, both or neither, each of length ``rows``."""
    have = [k for k in ("bias_ih", "bias_hh") if k in roles]
    if len(have) == 1:
        lack = "bias_hh" if have[0] == "bias_ih" else "bias_ih"
        raise InvalidArgumentError(f"{label} has `{roles[have[0]]}` but no {lack} of the same layer; PyTorch stores "
                                   "both biases or neither (bias=False).")
    if not have:
        return None, None
    out = []
    for role in ("bias_ih", "bias_hh"):
        vec = _checked(arrays, roles[role], label)
        if vec.shape != (rows,):
            raise ShapeError(f"{label} entry `{roles[role]}` must be a vector of length {rows} (the rows of "
                             f"`{roles['weight_hh']}`); got shape {vec.shape}.")
        out.append(vec)
    return out[0], out[1]


def read_export(path: str | Path, activation: str | None = None, *, argument: str = "WEIGHTS") -> Export:
    """Every recurrent layer and direction in a weights file (see the module docstring).

    Parameters
    ----------
    path : str or Path
        An ``.npz`` (``numpy.savez``) or ``.safetensors`` file.
    activation : str, optional
        The nonlinearity of ``nn.RNN`` layers (``"tanh"`` or ``"relu"``;
        required when the file holds one), or of rnnsym's ``W_h`` layout
        (any activation; default tanh).  Refused when no layer uses it.
    """
    path = Path(path)
    label = _label(path, argument)
    if activation is not None and not isinstance(activation, str):
        raise InvalidArgumentError(f"`activation` must be a string such as 'tanh'; got {type(activation).__name__}.")
    arrays = read_arrays(path, argument=argument)
    keys = list(arrays)
    groups = _groups(keys, label)
    if "W_h" in arrays:
        if groups:
            raise InvalidArgumentError(f"{label} mixes rnnsym's W_h with PyTorch keys ({_listing(keys)}); save "
                                       "one layout per file.")
        layer, used = _rnnsym_layer(arrays, label, activation)
        return Export((layer,), tuple(k for k in keys if k not in used))
    if not groups:
        raise InvalidArgumentError(f"{label} has no recurrent weights (keys: {_listing(keys)}); expected "
                                   f"{_SUPPORTED}.")
    layers: list[Layer] = []
    for prefix, found in sorted(groups.items()):
        layers += _module_layers(arrays, prefix, found, label, activation, named=len(groups) > 1)
    if activation is not None and all(layer.cell is not None for layer in layers):
        modules = ", ".join(sorted({layer.module for layer in layers}))
        raise InvalidArgumentError(f"`activation`={activation[:20]!r} applies to nn.RNN layers only; {label} holds "
                                   f"{modules}, whose activations are fixed (leave --activation out).")
    used = {k for layer in layers for k in layer.keys}
    return Export(tuple(layers), tuple(k for k in keys if k not in used))


# -- analysis of a cell ----------------------------------------------------------------------------------
def _finite(value: float, why: str) -> dict[str, Any] | float:
    return float(value) if math.isfinite(value) else {"value": None, "reason": why}


def _modes(eigenvalues: np.ndarray) -> list[dict[str, Any]]:
    """The :data:`SLOWEST_MODES` eigenvalues of largest modulus, with their half-lives (steps)."""
    order = np.argsort(-np.abs(eigenvalues), kind="stable")[:SLOWEST_MODES]
    out = []
    for lam in eigenvalues[order]:
        mod = float(abs(lam))
        entry: dict[str, Any] = {"eigenvalue": [float(lam.real), float(lam.imag)], "modulus": mod}
        if 0 < mod < 1:
            entry["half_life"] = float(half_life(mod))
        else:
            entry["half_life"] = None
            entry["half_life_reason"] = "modulus 0: gone in one step" if mod == 0 else "modulus >= 1: no decay"
        out.append(entry)
    return out


def _point_entry(cell: Cell, p: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "state": {k: v.tolist() for k, v in cell.split(p.state).items()},
        "stability": p.kind, "spectral_radius": float(p.stability.spectral_radius),
        "residual": float(p.residual), "q": float(p.q), "rounding_ratio": _finite(p.rounding_ratio, "G not finite"),
        "degenerate": bool(p.degenerate), "starts": int(p.count)}
    if p.fixed:
        if p.enclosure is not None:
            entry["certificate"] = {"method": "Krawczyk (interval arithmetic)", "radius": p.enclosure.radius,
                                    "unique_within": p.enclosure.unique_within,
                                    "meaning": "exactly one fixed point within unique_within of state "
                                               "(infinity norm), and it lies within radius of it"}
        else:
            entry["certificate"] = None
            entry["certificate_reason"] = p.enclosure_note
    if p.kind == "stable":
        entry["linearization"] = {"spectral_radius": float(p.stability.spectral_radius),
                                  "slowest_modes": _modes(np.asarray(p.stability.eigenvalues))}
    return entry


def default_starts(state_size: int) -> int:
    """The starts :func:`analyze_cell` uses by default: 256, fewer from a state of 256 numbers so that the
    search's ``starts x N x N`` matrices hold at most :data:`STARTS_FLOATS` floats (at least 16).

    >>> [default_starts(n) for n in (48, 256, 512, 1024, 2048)]
    [256, 256, 64, 16, 16]
    """
    return int(min(256, max(16, STARTS_FLOATS // state_size ** 2)))


def analyze_cell(cell: Cell, *, steps: int = 2000, seed: int = 0, starts: int | None = None) -> dict[str, Any]:
    """Fixed and slow points of a numeric cell at zero input, proven and classified; a JSON-ready dict.

    The starts of :func:`~rnnsym.cells.slow_points.find_slow_points` are
    states of the cell's own trajectories: half from random states in
    ``[-1, 1]`` run for a random 0 to 50 steps under zero input (as its
    default), half drawn from a trajectory of ``steps`` steps (at most
    10 000) driven by standard-normal inputs from ``seed``.  Each fixed point
    carries its Krawczyk certificate (or null and the reason), each stable
    point its linearisation's spectral radius and slowest modes with their
    half-lives.  The lists hold what the starts found, not a proof that
    there are no other points.  ``starts`` defaults to
    :func:`default_starts` of the state size (256 up to 256 numbers, 64 for
    a 256-unit LSTM, 16 from 1024); the JSON's ``search`` says how many were
    used and why.
    """
    if not isinstance(cell, Cell):
        raise InvalidArgumentError(f"`cell` must be an rnnsym cell (rnnsym.cells); got {type(cell).__name__}.")
    chosen = starts is None
    starts = default_starts(cell.state_size) if starts is None else starts
    steps, seed, starts = as_int(steps, "steps", low=1), as_int(seed, "seed", low=0), as_int(starts, "starts", low=2)
    x = np.zeros(cell.m)
    rng = np.random.default_rng(seed)
    half = starts // 2
    lo, hi = (np.clip(v, -1.0, 1.0) for v in cell.state_bounds)
    free = cell.simulate(np.zeros((50, half, cell.m)), rng.uniform(lo, hi, (half, cell.state_size)))
    free = free[rng.integers(0, 51, half), np.arange(half)]   # each trajectory at a random time
    driven = cell.simulate(rng.standard_normal((min(steps, 10_000), cell.m)))[1:]
    pool = np.concatenate([free, driven[rng.choice(len(driven), starts - half, replace=len(driven) < starts - half)]])
    found = find_slow_points(cell, x, states=pool, starts=starts, seed=seed)
    fixed, slow = found.fixed, found.slow
    counts: dict[str, int] = {}
    for p in fixed:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    return {
        "kind": cell.kind, "n": cell.n, "m": cell.m, "state_size": cell.state_size,
        "state_parts": [name for name, _ in cell.state_parts],
        "fixed_points": {"input": "zero", "points": [_point_entry(cell, p) for p in fixed], "counts": counts,
                         "certified": sum(1 for p in fixed if p.enclosure is not None),
                         "complete": False,
                         "reason": "the points the starts found (FixedPointFinder's method); not a proof that "
                                   "there are no others"},
        "slow_points": {"max_q": found.max_q, "points": [_point_entry(cell, p) for p in slow]},
        "search": {"starts": starts, "seed": seed, "driven_steps": len(driven), "rejected": found.rejected,
                   "starts_rule": (f"the default for a state of N = {cell.state_size} numbers: "
                                   "min(256, max(16, 2^24 / N^2))") if chosen else "given"},
    }
