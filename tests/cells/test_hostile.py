"""Hostile text in any argument of the cells API is refused with an rnnsym error and never evaluated.

The same protocol as ``tests/test_hostile_strings.py`` (which covers the
top-level API): each argument, and the first entry inside a container
argument, is replaced by a payload that would create a file if it reached
``eval`` or ``sympify``, as a string and inside lists, tuples, dicts and sets.
"""

from __future__ import annotations

import inspect
import traceback
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.cells import (CellPoint, CustomCell, GRUCell, LeakyCell, LSTMCell, SimpleCell, SlowPointResult,
                          custom_cell, find_slow_points)
from rnnsym.cells.slow_points import rounding_ratio
from rnnsym.errors import RnnsymError
from tests._hostile import inner_path, replace_at

PAYLOAD = "__import__('pathlib').Path('CANARY').touch()"
PAYLOADS = {"str": PAYLOAD, "list": [PAYLOAD], "tuple": (PAYLOAD,), "dict-value": {"k": PAYLOAD},
            "dict-key": {PAYLOAD: 1}, "set": {PAYLOAD}, "list-list": [[PAYLOAD]]}


def _gru() -> GRUCell:
    return GRUCell(np.ones((3, 1)), np.ones((3, 1)) / 2)


def _lstm() -> LSTMCell:
    return LSTMCell(np.ones((4, 1)), np.ones((4, 1)) / 2)


def _sd() -> dict[str, np.ndarray]:
    return {"weight_ih_l0": np.ones((3, 1)), "weight_hh_l0": np.ones((3, 1))}


#: name -> (callable, valid keyword arguments naming every parameter)
SPECS: dict[str, tuple[Callable[[], Callable[..., Any]], dict[str, Any]]] = {
    "GRUCell": (lambda: GRUCell, dict(weight_ih=[[1.0]] * 3, weight_hh=[[0.5]] * 3, bias_ih=[0.0] * 3,
                                      bias_hh=[0.0] * 3)),
    "LSTMCell": (lambda: LSTMCell, dict(weight_ih=[[1.0]] * 4, weight_hh=[[0.5]] * 4, bias_ih=None, bias_hh=None)),
    "GRUCell.from_state_dict": (lambda: GRUCell.from_state_dict, dict(state_dict=_sd(), layer=0, reverse=False,
                                                                       prefix="")),
    "GRUCell.symbolic": (lambda: GRUCell.symbolic, dict(n=1, m=1, bias=True)),
    "SimpleCell": (lambda: SimpleCell, dict(net=rs.RNN([[0.5]], [[1.0]]))),
    "SimpleCell.symbolic": (lambda: SimpleCell.symbolic, dict(n=1, m=1, activation="tanh")),
    "LeakyCell": (lambda: LeakyCell, dict(W_h=[[0.5]], W_x=[[1.0]], b=[0.0], alpha=0.5, activation="tanh")),
    "LeakyCell.symbolic": (lambda: LeakyCell.symbolic, dict(n=1, m=1, activation="tanh")),
    "custom_cell": (lambda: custom_cell, dict(expressions=["tanh(h + x)"], state=["h"], inputs=["x"],
                                              parameters=["k"], output=["h"])),
    "CustomCell": (lambda: CustomCell, dict(expressions=["h/2"], state=["h"], inputs=[], parameters=[],
                                            output=None)),
    "find_slow_points": (lambda: find_slow_points, dict(cell=_gru(), x=[0.0], states=[[0.1]], starts=2, seed=0,
                                                        noise=0.0, steps=2, max_q=1e-4, max_iter=5, gtol=1e-9,
                                                        merge_tol=1e-6, enclose=True)),
    "rounding_ratio": (lambda: rounding_ratio, dict(cell=_gru(), S=[[0.1]], X=[0.0])),
    "Cell.step": (lambda: _lstm().step, dict(s=[0.1, 0.2], x=[0.0])),
    "Cell.simulate": (lambda: _lstm().simulate, dict(xs=[[0.0]], s0=[0.1, 0.2], steps=None)),
    "Cell.numeric_jacobian": (lambda: _lstm().numeric_jacobian, dict(s=[0.1, 0.2], x=[0.0], wrt="state")),
    "Cell.linearize": (lambda: _lstm().linearize, dict(s=[0.1, 0.2], x=[0.0])),
    "Cell.split": (lambda: _lstm().split, dict(s=[0.1, 0.2])),
    "Cell.join": (lambda: _lstm().join, dict(parts={"h": [0.1], "c": [0.2]})),
    "Cell.blocks": (lambda: _lstm().blocks, dict(matrix=[[1.0, 0.0], [0.0, 1.0]])),
    "Cell.subs": (lambda: GRUCell.symbolic(1, 1).subs, dict(values={"b_hz[0]": 1.0})),
    "Cell.jacobian": (lambda: _gru().jacobian, dict(max_size=None)),
    "Cell.input_jacobian": (lambda: _gru().input_jacobian, dict(max_size=None)),
    "Cell.jacobian_blocks": (lambda: _lstm().jacobian_blocks, dict(max_size=None)),
    "Cell.slow_points": (lambda: _gru().slow_points, dict(x=[0.0], starts=2, steps=1)),
    "Cell.fixed_points": (lambda: _gru().fixed_points, dict(x=[0.0], starts=2, steps=1)),
    "GatedCell.gate_weights": (lambda: _gru().gate_weights, dict(gate="z")),
}




CASES = [(name, param, path) for name, (_, kwargs) in SPECS.items() for param, value in kwargs.items()
         for path in ({(), inner_path(value)})]


def _acceptable(exc: BaseException | None, call: Any) -> bool:
    if exc is None or isinstance(exc, RnnsymError):
        return True
    frames = list(traceback.walk_tb(exc.__traceback__))
    return type(exc) is TypeError and len(frames) == 1 and frames[0][0].f_code is call.__code__


def test_every_spec_names_the_whole_signature() -> None:
    for name, (target, kwargs) in SPECS.items():
        params = [p.name for p in inspect.signature(target()).parameters.values() if p.kind is not p.VAR_KEYWORD]
        assert set(params) <= set(kwargs), (name, set(params) - set(kwargs))
        target()(**kwargs)   # the defaults are valid


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}:{c[1]}" + "".join(f"[{p!r}]" for p in c[2]))
def test_hostile_text_is_refused_and_never_evaluated(case: tuple, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    name, param, path = case
    target, kwargs = SPECS[name]
    for kind, payload in PAYLOADS.items():
        args = {**kwargs, param: replace_at(kwargs[param], path, payload)}

        def call() -> None:
            target()(**args)

        try:
            call()
            exc = None
        except Exception as error:  # noqa: BLE001 - classified below
            exc = error
        assert not (tmp_path / "CANARY").exists(), f"{name}:{param} ({kind}) evaluated the payload"
        assert not isinstance(exc, (NameError, SyntaxError, sp.SympifyError)), (name, param, kind, exc)
        assert _acceptable(exc, call), f"{name}:{param} ({kind}) raised {type(exc).__name__}: {exc}"
        assert exc is None or "\n" not in str(exc), (name, param, kind, str(exc))


def test_result_records_are_plain_data() -> None:
    assert CellPoint.__dataclass_params__.frozen and SlowPointResult.__dataclass_params__.frozen   # type: ignore
