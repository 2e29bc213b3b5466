"""Bound (summation, integration, limit) variables are not parameters ("edges" issue, item 5).

`--param omega=pi` substitutes the free `omega` of the SNR and leaves the Parseval integral's
variable alone; a variable that is only bound (the summation index `k`) is refused with a
one-line error and exit status 2.  Expected values are computed here by exact arithmetic
(fractions.Fraction) from the recurrence itself, not from the derivation's formulas.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.cli import main
from rnnsym.derivation import Derivation, Step
from rnnsym.errors import InvalidArgumentError
from rnnsym.linear.filtering import OMEGA, SIGMA, X, a
from rnnsym.registry import derive


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _snr_from_the_recurrence(at_pi: bool, X_: Fraction, sigma: Fraction, alpha: Fraction,
                             pole: Fraction) -> Fraction:
    """SNR of h_t = pole h_{t-1} + alpha (x_t + eps_t) at omega = pi (or 0), exactly.

    At omega = pi the input X cos(pi t) = X (-1)^t; the steady response is v (-1)^t with
    v = -pole v + alpha X (v = pole v + alpha X at omega = 0); its power v^2 does not average
    down (cos^2(pi t) = 1).  The stationary noise variance s solves s = pole^2 s + alpha^2 sigma^2.
    """
    v = alpha * X_ / (1 + pole) if at_pi else alpha * X_ / (1 - pole)
    s = alpha**2 * sigma**2 / (1 - pole**2)
    return v**2 / s


VALUES = {"X": Fraction(3, 2), "sigma": Fraction(1, 2), "alpha": Fraction(2), "pole": Fraction(1, 3)}


@pytest.mark.parametrize("omega, at_pi", [("pi", True), ("0", False)])
def test_snr_at_an_endpoint_is_the_endpoint_branch(capsys, omega: str, at_pi: bool) -> None:
    code, out, err = run(capsys, "derive", "snr", "--param", f"omega={omega}")
    assert code == 0 and err == "" and "Result:" in out
    d = derive("snr", omega=omega)
    exact = _snr_from_the_recurrence(at_pi, VALUES["X"], VALUES["sigma"], VALUES["alpha"], VALUES["pole"])
    subs = {X: sp.Rational(3, 2), SIGMA: sp.Rational(1, 2), a: sp.Rational(1, 3)}
    assert d.result.subs(subs) == sp.Rational(exact.numerator, exact.denominator)
    assert d.kernel(1.5, 0.5, 1 / 3) == pytest.approx(float(exact), rel=1e-14)
    # twice the formula of the open band at the endpoint (the Piecewise's endpoint branch)
    inside = _snr_from_the_recurrence(at_pi, *VALUES.values()) / 2
    assert d.result.subs(subs) == 2 * sp.Rational(inside.numerator, inside.denominator)


def test_substituting_omega_leaves_the_bound_omega_of_the_parseval_integral_alone() -> None:
    d = derive("snr", omega="pi")
    integrals = [i for s in d.steps for i in sp.sympify(s.statement).atoms(sp.Integral)]
    assert integrals and all(i.limits == ((OMEGA, -sp.pi, sp.pi),) for i in integrals)
    limits = [lim for s in d.steps for lim in sp.sympify(s.statement).atoms(sp.Limit)]
    assert limits and all(lim.args[1] == OMEGA for lim in limits)
    # d SNR / d omega is evaluated at omega = pi, not differentiated with respect to pi
    assert any(sp.sympify(s.statement).atoms(sp.Subs) for s in d.steps)
    assert d.parameters == {OMEGA: sp.pi}
    assert OMEGA not in d.result.free_symbols


@pytest.mark.parametrize("argv, name, kind", [
    (["derive", "snr", "--param", "k=2"], "k", "summation"),
    (["derive", "ode_error", "--param", "k=1"], "k", "summation"),
    (["derive", "ode_error", "--param", "i=1"], "i", "product"),
])
def test_a_bound_variable_is_refused_with_exit_status_2(capsys, argv, name, kind) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"`{name}` is a bound ({kind}) variable" in err and "not a parameter" in err


def test_the_api_refuses_a_bound_variable_too() -> None:
    with pytest.raises(InvalidArgumentError, match=r"`k` is a bound \(summation\) variable of derivation `snr`"):
        derive("snr", k=2)
    d = derive("snr")
    assert d.bound_variables["k"][1] == "summation" and "omega" not in d.bound_variables
    with pytest.raises(InvalidArgumentError, match="bound"):
        d.subs({"k": 2})
    with pytest.raises(InvalidArgumentError, match="bound"):
        d.subs({d.bound_variables["k"][0]: 2})


def test_subs_replaces_only_free_occurrences_in_a_toy_derivation() -> None:
    x, y, n = sp.symbols("x y n")
    integral = sp.Integral(x * y, (x, 0, 1))
    d = Derivation(name="toy", title="toy", reference="none",
                   steps=[Step(sp.Eq(sp.Symbol("I"), integral, evaluate=False), "an integral over x"),
                          Step(sp.Eq(sp.Symbol("S"), sp.Sum(n * y, (n, 0, 3)), evaluate=False), "a sum over n")],
                   result=x + y, kernel_args=[x, y])
    e = d.subs({"x": 2, "y": 3})
    assert e.result == 5
    assert e.steps[0].statement.rhs == sp.Integral(3 * x, (x, 0, 1))   # x bound: untouched
    assert e.steps[0].statement.rhs.doit() == sp.Rational(3, 2)
    with pytest.raises(InvalidArgumentError, match=r"`n` is a bound \(summation\) variable of derivation `toy`"):
        d.subs({"n": 1})


def test_free_parameters_still_substitute_everywhere() -> None:
    d = rs.derive("ode_error", dt="1/10")
    assert sp.Symbol("dt", positive=True) not in d.result.free_symbols
    assert d.parameters
