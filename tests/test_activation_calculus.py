"""Each activation's stated calculus against brute force at 30 digits.

``lipschitz`` (sup |phi'|), ``output_range`` (closure of the image), ``odd``,
``sign_preserving``, ``pieces`` and ``phi'(0)`` of every built-in activation,
leaky_relu at the ends of its slope range, and custom activations, each
compared with a dense mpmath scan of ``phi`` itself (derivatives by mpmath's
numerical differentiation of ``phi``, not rnnsym's stored derivative).
Written from the survivors of a mutation run (issue 14): the constructors'
constants were never checked against an independent computation.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.activations import Z
from rnnsym.fixedpoints.intervals import supports

GRID = [mpmath.mpf(k) / 64 for k in range(-64 * 12, 64 * 12 + 1)] + [mpmath.mpf(v) for v in
                                                                      (-1e6, -1e3, -50, 50, 1e3, 1e6)]
SPECS = [(name, {}) for name in rs.ACTIVATION_NAMES] + [
    ("leaky_relu", {"slope": 0}), ("leaky_relu", {"slope": 1}), ("leaky_relu", {"slope": "1/5"}),
]
CUSTOM = ["z*exp(-z**2)", "sin(z)", "2*tanh(z)", "z/(1+z**2)", "exp(-z**2)", "Abs(z)", "tanh(z)+z/10",
          "z**3/(1+z**2)", "Abs(z)/(1+Abs(z))", "z*exp(-Abs(z))", "sin(z)+z/2", "exp(-z**2)*z**2", "z/(1+z**4)",
          "tanh(z)**3", "z - tanh(z)", "sqrt(1+z**2)-1", "cos(z)"]


def _build(spec: tuple[str, dict] | str) -> rs.Activation:
    if isinstance(spec, str):
        return rs.custom_activation(spec)
    name, params = spec
    return rs.get_activation(name, **params)


def _phi(act: rs.Activation):
    f = sp.lambdify(Z, act.expr, modules="mpmath")
    return lambda z: mpmath.mpf(f(z))


def _slope(phi, z: mpmath.mpf) -> mpmath.mpf:
    """phi'(z) by one-sided differences on both sides (kinks give both slopes; take the larger)."""
    h = mpmath.mpf(10) ** -12
    return max(abs(phi(z + h) - phi(z)) / h, abs(phi(z) - phi(z - h)) / h)


def _id(spec) -> str:
    return spec if isinstance(spec, str) else f"{spec[0]}{spec[1] or ''}"


@pytest.mark.parametrize("spec", SPECS + CUSTOM, ids=_id)
def test_lipschitz_constant_is_the_supremum_of_the_slope(spec) -> None:
    act = _build(spec)
    with mpmath.workdps(30):
        phi = _phi(act)
        scanned = max(_slope(phi, z) for z in GRID)
    stated = float(act.lipschitz)
    assert not act.lipschitz_is_estimate
    # a 1/64 grid comes within (1/64)^2 * sup|phi'''| / 2 of an interior maximum
    assert float(scanned) <= stated * (1 + 1e-9) and float(scanned) >= stated * (1 - 1e-3)


@pytest.mark.parametrize("spec", SPECS + CUSTOM, ids=_id)
def test_output_range_is_the_closure_of_the_image(spec) -> None:
    act = _build(spec)
    with mpmath.workdps(30):
        phi = _phi(act)
        values = [phi(z) for z in GRID]
    lo, hi = act.output_range.inf, act.output_range.sup
    lo_seen, hi_seen = float(min(values)), float(max(values))
    for stated, seen, sign in ((lo, lo_seen, -1), (hi, hi_seen, 1)):
        if stated in (sp.oo, -sp.oo):
            assert sign * seen > 1e3, (stated, seen)            # unbounded: the scan reaches |z| = 1e6
        else:
            assert sign * (seen - float(stated)) <= 1e-12 * max(1, abs(float(stated)))  # never outside
            assert abs(seen - float(stated)) <= 1e-3 * max(1, abs(float(stated)))       # and reached


@pytest.mark.parametrize("spec", SPECS + CUSTOM, ids=_id)
def test_odd_and_sign_preserving_flags_match_the_function(spec) -> None:
    act = _build(spec)
    with mpmath.workdps(30):
        phi = _phi(act)
        odd = all(abs(phi(-z) + phi(z)) <= mpmath.mpf(10) ** -25 * (1 + abs(phi(z))) for z in GRID)
        sign = all(mpmath.sign(phi(z)) == mpmath.sign(z) for z in GRID)
    assert act.odd is odd and act.sign_preserving is sign


@pytest.mark.parametrize("spec", [s for s in SPECS if s[0] in ("relu", "leaky_relu", "hard_tanh", "identity")],
                         ids=_id)
def test_linear_pieces_reproduce_the_function_and_tile_the_line(spec) -> None:
    act = _build(spec)
    assert act.interval_form == "pieces" and act.pieces is not None
    assert act.pieces[0][0] == -sp.oo and act.pieces[-1][1] == sp.oo
    for (_, hi, _, _), (lo, _, _, _) in zip(act.pieces, act.pieces[1:]):
        assert hi == lo                                             # adjacent pieces share their end
    with mpmath.workdps(30):
        phi = _phi(act)
        for lo, hi, slope, offset in act.pieces:
            for z in GRID:
                if (lo == -sp.oo or z >= float(lo)) and (hi == sp.oo or z <= float(hi)):
                    exact = mpmath.mpf(str(sp.N(slope, 40))) * z + mpmath.mpf(str(sp.N(offset, 40)))
                    assert abs(phi(z) - exact) <= mpmath.mpf(10) ** -25 * (1 + abs(z))


@pytest.mark.parametrize("spec, expected", [
    (("relu", {}), 0), (("leaky_relu", {}), sp.Rational(1, 100)), (("leaky_relu", {"slope": 0}), 0),
    (("hard_tanh", {}), 1), (("identity", {}), 1), (("tanh", {}), 1), (("sigmoid", {}), sp.Rational(1, 4)),
    (("softsign", {}), 1),
], ids=lambda v: _id(v) if isinstance(v, tuple) else str(v))
def test_derivative_at_zero_is_the_stated_convention_and_numpy_agrees(spec, expected) -> None:
    act = _build(spec)
    assert act.derivative_at_zero == expected
    assert float(act.numpy_prime(0.0)) == float(expected)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_built_ins_carry_their_name_and_parameters(spec) -> None:
    name, params = spec
    act = _build(spec)
    assert act.name == name and str(act) == name
    if name == "leaky_relu":
        assert act.params == {"slope": sp.Rational(str(params.get("slope", "1/100")))}
    else:
        assert dict(act.params) == {}


@pytest.mark.parametrize("name, form", [("tanh", "tanh"), ("sigmoid", "sigmoid"), ("softsign", "softsign"),
                                        ("relu", "pieces"), ("leaky_relu", "pieces"), ("hard_tanh", "pieces"),
                                        ("identity", "pieces")])
def test_every_built_in_has_an_interval_extension(name: str, form: str) -> None:
    act = rs.get_activation(name)
    assert act.interval_form == form and supports(act)
    assert (act.pieces is not None) == (form == "pieces")


@pytest.mark.parametrize("slope", [2, 1.5, -0.1, "3/2"])
def test_leaky_slope_outside_zero_one_is_refused_naming_slope(slope) -> None:
    with pytest.raises(rs.InvalidArgumentError, match=r"`slope` must be a real number in \[0, 1\]"):
        rs.get_activation("leaky_relu", slope=slope)


@pytest.mark.parametrize("slope", ["import os", [0.1], sp.Symbol("s")])
def test_leaky_slope_that_is_not_a_number_is_refused_naming_slope(slope) -> None:
    with pytest.raises(rs.RnnsymError, match="`slope`"):
        rs.get_activation("leaky_relu", slope=slope)


def test_an_estimated_lipschitz_constant_says_so_and_is_close_to_the_supremum() -> None:
    act = rs.custom_activation("sin(z**2)/(1+z**2)")        # SymPy finds no closed form for sup |phi'|
    assert act.lipschitz_is_estimate and act.output_range == sp.S.Reals   # the documented fallbacks
    with mpmath.workdps(30):
        phi = _phi(act)
        scanned = max(_slope(phi, mpmath.mpf(k) / 512) for k in range(-512 * 4, 512 * 4 + 1))
    assert abs(float(act.lipschitz) - float(scanned)) <= 1e-4 * float(scanned)
