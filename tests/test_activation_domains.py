"""Custom activations that are not real everywhere: refused, with the exact set where they fail.

Each refusal names the set SymPy found; the test checks that set exactly and
checks it independently with mpmath: at points inside it the expression is not
a finite real number, at points just outside it is.  Expressions that are real
everywhere are accepted and checked real and finite on a grid at 30 digits.
Written from the survivors of a mutation run (issue 14): the domain conditions'
boundaries (``<`` against ``<=``) were never pinned.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import rnnsym as rs

z = sp.Symbol("z", real=True)

REFUSED = [
    ("sqrt(z)", "Interval.open(-oo, 0)", [-1e-9, -3.0], [0.0, 2.0]),
    ("z**(1/3)", "Interval.open(-oo, 0)", [-1e-9, -8.0], [0.0, 8.0]),
    ("sqrt(z-1)", "Interval.open(-oo, 1)", [0.999, -2.0], [1.0, 1.5]),
    ("log(z)", "Interval(-oo, 0)", [0.0, -1.0], [1e-9, 3.0]),
    ("log(z+2)", "Interval(-oo, -2)", [-2.0, -5.0], [-1.999, 0.0]),
    ("1/z", "{0}", [0.0], [1e-9, -1e-9]),
    ("1/(z-3)", "{3}", [3.0], [2.999, 3.001]),
    ("log(abs(z))", "{0}", [0.0], [1e-9, -2.0]),
    ("atanh(z)", "Union(Interval(-oo, -1), Interval(1, oo))", [1.0, -1.0, 2.0], [0.999, -0.999, 0.0]),
    ("atanh(z/2)", "Union(Interval(-oo, -2), Interval(2, oo))", [2.0, -3.0], [1.999, 0.0]),
    ("z**z", "Interval(-oo, 0)", [-0.5], [0.5, 2.0]),
]
ACCEPTED = ["sqrt(z**2+1)", "log(1+z**2)", "atanh(z/(1+abs(z)))", "1/(1+z**2)", "abs(z)**0.5",
            "(1+z**2)**(-1/2)", "sqrt(abs(z))", "tan(z/(1+abs(z)))"]


def _finite_real(text: str, at: float) -> bool:
    with mpmath.workdps(30):
        f = sp.lambdify(z, sp.sympify(text, locals={"z": z}), modules="mpmath")   # test input, not user input
        try:
            value = mpmath.mpmathify(f(mpmath.mpf(at)))
        except (ZeroDivisionError, ValueError):
            return False
        return mpmath.isfinite(value) and mpmath.im(value) == 0


@pytest.mark.parametrize("text, where, inside, outside", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_the_exact_set_where_it_is_not_real(text: str, where: str, inside, outside) -> None:
    with pytest.raises(rs.DomainError) as info:
        rs.custom_activation(text)
    message = str(info.value)
    assert f"(not for {where});" in message and message.startswith("`activation` ")
    assert "applied to every pre-activation" in message
    assert not any(_finite_real(text, p) for p in inside), inside
    assert all(_finite_real(text, p) for p in outside), outside


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_expressions_are_real_and_finite_everywhere(text: str) -> None:
    act = rs.custom_activation(text)
    grid = [k / 8 for k in range(-400, 401)] + [1e6, -1e6]
    assert all(_finite_real(text, p) for p in grid)
    values = act.numpy(grid)
    assert all(v == v for v in values)                                   # no NaN from the kernel either


def test_a_negative_exponent_refuses_the_zero_of_its_base_only() -> None:
    # (z**2 - 1)**(-1) is not defined at +-1: the set is exactly those two points
    with pytest.raises(rs.DomainError, match=r"not for \{-1, 1\}"):
        rs.custom_activation("1/(z**2-1)")
