"""The converters of user input: numbers pass, everything else is refused without being evaluated.

:func:`rnnsym._matrices.as_float_array` is the one converter of numeric
input; :func:`rnnsym._matrices.as_matrix` (through its entry converter)
builds SymPy matrices.  Neither may hand a string or a container to
``sympify``, which evaluates strings as Python (with ``strict=True`` still
those nested in a dict or a set).  The canary tests plant a string that
would create a file and check, through every public entry point that takes
matrices, expressions or assumptions, that no file appears and an rnnsym
error is raised.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import mpmath
import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
# private on purpose: the converter is the internal contract these tests pin down
from rnnsym._matrices import as_float_array, as_matrix
from rnnsym.stability import design_unit

PAYLOAD = "__import__('pathlib').Path('CANARY').touch()"
x = sp.Symbol("x")


def _containers(payload: str) -> list[Any]:
    return [payload, [payload], (payload,), {"k": payload}, {payload}, [[{"k": payload}]],
            ({"k": [payload]},), [{payload}]]


CONTAINER_IDS = ["str", "list", "tuple", "dict", "set", "list-list-dict", "tuple-dict-list", "list-set"]

ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    "RNN": lambda c: rs.RNN([[c]]),
    "RNN-W_x": lambda c: rs.RNN([[0.5]], [[c]]),
    "LinearRNN": lambda c: rs.LinearRNN([[c]], [[1]]),
    "RNN.subs": lambda c: rs.RNN.symbolic(1, 1).subs({"b[0]": c}),
    "RNN.step-h": lambda c: rs.RNN([[0.5]]).step(h=[c]),
    "RNN.step-x": lambda c: rs.RNN([[0.5]]).step(x=[c]),
    "compile-assumptions": lambda c: rs.compile(x**2, [x], assumptions=[c]),
    "compile-expr": lambda c: rs.compile(c, [x]),
    "custom_activation": lambda c: rs.custom_activation(c),
    "design_unit": lambda c: design_unit(c, 0.0),
}


@pytest.mark.parametrize("container", _containers(PAYLOAD), ids=CONTAINER_IDS)
@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_a_hostile_string_is_never_evaluated(entry: str, container: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(rs.RnnsymError) as info:
        ENTRY_POINTS[entry](container)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "CANARY").exists(), f"{entry} evaluated a string: the canary file exists"


# ``Activation.__call__`` and ``.derivative`` convert their argument with ``as_expr`` (never sympify).
@pytest.mark.parametrize("container", _containers(PAYLOAD), ids=CONTAINER_IDS)
def test_an_activation_call_never_evaluates_a_hostile_string(container: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(rs.RnnsymError):
        rs.get_activation("tanh")(container)
    with pytest.raises(rs.RnnsymError):
        rs.get_activation("tanh").derivative(container)
    assert not (tmp_path / "CANARY").exists()


# -- as_float_array -----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "1.0", b"1.0", ["1.0"], [[1.0, "2"]], [[1.0], ["2"]], ((1.0,), ("2",)), np.array(["1"]),
    [1.0, None], None, {"a": 1.0}, {1.0}, [object()], [[1.0, {"k": 2.0}]], [sp.Symbol("a")],
], ids=lambda v: type(v).__name__ + repr(v)[:20])
def test_non_numbers_are_refused_at_any_depth(value: Any) -> None:
    with pytest.raises(rs.InvalidArgumentError) as info:
        as_float_array(value, "v")
    message = str(info.value)
    assert "`v`" in message and "\n" not in message


@pytest.mark.parametrize("value", [[1 + 2j], np.array([0.5 - 1j]), [[1.0, complex(0, 1)]], [sp.I]])
def test_complex_is_refused_where_real_is_expected(value: Any) -> None:
    with pytest.raises(rs.InvalidArgumentError, match="must be real"):
        as_float_array(value, "v")
    assert np.iscomplexobj(as_float_array(value, "v", complex_ok=True))


@pytest.mark.parametrize("value", [[np.nan], [[1.0, np.inf]], -np.inf, [sp.oo], [sp.nan], [sp.zoo],
                                   [10**400], [sp.Float("1e400")], [Decimal("1e400")],
                                   np.array([np.float32(np.inf)])])
def test_non_finite_and_unrepresentable_values_are_non_finite_errors(value: Any) -> None:
    with pytest.raises(rs.NonFiniteError) as info:
        as_float_array(value, "v")
    assert "`v`" in str(info.value)


def test_infinities_pass_only_when_asked() -> None:
    out = as_float_array([1.0, np.inf, -np.inf], "v", finite=False)
    assert out[0] == 1.0 and np.isposinf(out[1]) and np.isneginf(out[2])


@pytest.mark.parametrize("value, exact", [
    (Fraction(1, 3), mpmath.mpf(1) / 3), (sp.Rational(2, 7), mpmath.mpf(2) / 7),
    (Decimal("0.1"), mpmath.mpf("0.1")), (mpmath.mpf("0.25"), mpmath.mpf("0.25")),
    (np.float32(0.5), mpmath.mpf("0.5")), (np.int64(-3), mpmath.mpf(-3)), (sp.sqrt(2), mpmath.sqrt(2)),
    (True, mpmath.mpf(1)),
])
def test_numbers_of_every_kind_become_float64_within_half_an_ulp(value: Any, exact: Any) -> None:
    out = as_float_array([value], "v")
    assert out.dtype == np.float64
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(float(out[0])) - exact) <= abs(exact) * mpmath.mpf(2) ** -53


def test_arrays_keep_their_shape_and_are_checked_against_the_expected_one() -> None:
    out = as_float_array(np.arange(6, dtype=np.int32).reshape(2, 3), "W")
    assert out.dtype == np.float64 and out.shape == (2, 3)
    assert as_float_array(sp.Matrix([[1, 2]]), "W").shape == (1, 2)
    assert as_float_array([[1, 2]], "W", shape=(None, 2)).shape == (1, 2)
    with pytest.raises(rs.ShapeError, match=r"`W` must have shape \(any, 3\)"):
        as_float_array([[1, 2]], "W", shape=(None, 3))
    with pytest.raises(rs.ShapeError, match="rectangular"):
        as_float_array([[1, 2], [3]], "W")
    with pytest.raises(rs.ShapeError, match="must not be empty"):
        as_float_array([], "W")
    assert as_float_array([], "W", allow_empty=True).shape == (0,)


# -- the entry converter of as_matrix -------------------------------------------------------------
@pytest.mark.parametrize("value", [True, np.bool_(False), None, {"k": 1}, {1}, object(), b"1", "1"])
def test_matrix_entries_that_are_not_numbers_are_refused(value: Any) -> None:
    with pytest.raises(rs.InvalidArgumentError) as info:
        as_matrix([[value]], "W_h")
    assert "`W_h`" in str(info.value)


def test_matrix_entries_of_every_number_kind_are_exact_where_they_can_be() -> None:
    mat = as_matrix([[Fraction(1, 3), np.int16(2), sp.Rational(1, 7), np.float64(0.5), mpmath.mpf("0.25")]], "W")
    assert mat[0] == sp.Rational(1, 3) and mat[1] == 2 and mat[2] == sp.Rational(1, 7)
    assert float(mat[3]) == 0.5 and float(mat[4]) == 0.25
