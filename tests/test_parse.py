"""Tests of rnnsym._parse: user strings become SymPy expressions, never code."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnnsym._parse import (
    MAX_CALL_DEPTH,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_LITERAL_DIGITS,
    parse_assignment,
    parse_expression,
    parse_function_of,
)
from rnnsym.errors import InvalidArgumentError, ParseError, UnsafeExpressionError

a, omega, w = sympy.symbols("a omega w")
NAMES: dict[str, sympy.Basic] = {"a": a, "omega": omega, "W_h[0,1]": w}
# Payloads touch a relative path; tests run them with the working directory set to an
# empty sandbox and fail if anything appears there (Hypothesis may mutate the name).
PAYLOAD = "__import__('os').system('touch pwned')"

GOOD = [
    ("3/5", sympy.Rational(3, 5)),
    ("0.6", sympy.Rational(3, 5)),
    ("0.1 + 0.2", sympy.Rational(3, 10)),
    ("2*pi", 2 * sympy.pi),
    ("-E**2", -sympy.exp(2)),
    ("sqrt(2)/2", sympy.sqrt(2) / 2),
    ("1e-3", sympy.Rational(1, 1000)),
    ("1_000.5", sympy.Rational(2001, 2)),
    ("W_h[0,1]", w),
    ("W_h[0, 1] * 2", 2 * w),
    ("a + omega", a + omega),
    ("+a - 1/a", a - 1 / a),
    ("((a))**2", a**2),
    ("abs(-3) + Abs(a)", 3 + sympy.Abs(a)),
    ("tanh(a) + atanh(a) + log(a) + exp(a)", sympy.tanh(a) + sympy.atanh(a) + sympy.log(a) + sympy.exp(a)),
    ("sin(a) + cos(a) + tan(a) + sinh(a) + cosh(a)",
     sympy.sin(a) + sympy.cos(a) + sympy.tan(a) + sympy.sinh(a) + sympy.cosh(a)),
    ("2**3000", sympy.Integer(2) ** 3000),
    ("1e999", sympy.Integer(10) ** 999),
    ("9**9", sympy.Integer(9) ** 9),
    ("a**(10**4)", a ** 10000),
    ("1**(10**100) + (-1)**(10**100) + 0**(10**100)", sympy.Integer(2)),
    ("2**0.25 * 12**(5/12) * 12**(7/12)", 12 * sympy.root(2, 4)),
    ("exp(log(12)/3)", sympy.cbrt(12)),
    ("exp(2000) / exp(1999)", sympy.E),
]

HOSTILE = [
    PAYLOAD,
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "eval('1')",
    "exec",
    "open('x')",
    "a.b",
    "a.__class__",
    "x if y else z",
    "1 if 1 else 2",
    "[1,2]",
    "{}",
    "{1}",
    "(1, 2)",
    "'str'",
    "b'bytes'",
    "f'{a}'",
    "...",
    "None",
    "True",
    "1j",
    "9**9**9**9",
    "10**10**10",
    "2**-99999999",
    "2**10000",
    "(2*a)**(10**5)",
    "(sqrt(2)*a)**(10**4)",
    "a**(10**100)",  # a later substitution would make the base a number
    "(a + 1)**(10**300)",
    "E**(10**999)",
    "exp(10**4)",
    "10**999*10**999",
    "1" * (MAX_LITERAL_DIGITS + 1),
    "1e1001",
    "(" * 5000 + "1" + ")" * 5000,
    "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1),
    "-" * 1000 + "1",
    "1" + "+1" * 600,
    "1" * 100000,
    "1\x00",
    "a\x07",
    "\uff41",  # fullwidth a
    "\U0001d44e",  # mathematical italic a
    "\u03c9mega",
    "__builtins__",
    "_x",
    "a__b",
    "a[0].__class__",
    "a[0]",
    "W_h[0,-1]",
    "W_h[a]",
    "W_h[0:1]",
    "f(x)",
    "x",
    "sqrt",
    "sqrt(x, y)",
    "sqrt(x=1)",
    "sqrt(*a)",
    "getattr(a, 'b')",
    "a @ b",
    "a // b",
    "a % b",
    "a ^ 2",
    "a | b",
    "~a",
    "not a",
    "a and b",
    "a < b",
    "(y:=1)",
    "[x for x in a]",
    "__import__",
    # SymPy factors rational radicands; these took minutes or hung before the limits
    "(10/999999999)**(10/999999999)",
    "(1/2)**(1/999999999)",
    "(sqrt(2)/2)**(1/999999)",
    "12**(1/3)*12**(1/4)*12**(1/5)",
    "((12**(11/12))**(11/12))**(11/12)",
    "exp(log(12)*999999998/999999999)",
    "E**(log(12)*5/7)",
    "exp(2)**(log(12)/14)",
    "exp(a + log(12)*(7/11))",
    "*".join(f"sqrt({10**10 + 2 * k + 1})" for k in range(36)),
    "2**0.2",
]

MALFORMED = ["", "   ", "1 +", "(", "a b", "1\n+2", "sqrt(", "=1", "1/0", "0**-1", "log(0)",
             "atanh(1)", "sqrt(-1)", "log(-2)", "atanh(10)", "(-8)**(1/3)",
             "abs(tanh(atanh(10)**(10*E)))"]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory that payloads would write into."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_refused_or_expr(text: str, sandbox: Path,
                           parse: Callable[[str, Mapping[str, sympy.Basic]], object] = parse_expression,
                           ) -> float:
    """Parse ``text``; assert a clean outcome within one second; return the time."""
    for leftover in sandbox.iterdir():  # from an earlier failing example, so shrinking is exact
        leftover.unlink()
    start = time.perf_counter()
    try:
        result = parse(text, NAMES)
        assert isinstance(result, (sympy.Expr, tuple))
    except (UnsafeExpressionError, ParseError) as exc:
        message = str(exc)
        assert "\n" not in message and "\r" not in message, message
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, (text[:80], elapsed)
    assert not any(sandbox.iterdir()), text
    return elapsed


@pytest.mark.parametrize("text, expected", GOOD)
def test_good_inputs_parse_to_the_exact_expression(text: str, expected: sympy.Expr) -> None:
    result = parse_expression(text, NAMES)
    assert isinstance(result, sympy.Expr)
    assert result == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_never_execute(text: str, sandbox: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeExpressionError) as info:
        parse_expression(text, NAMES, argument="--param")
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert "\n" not in message and message.startswith("`--param` value ")
    assert len(message) < 600
    assert not any(sandbox.iterdir())


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_strings_raise_parse_error(text: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_expression(text, NAMES)
    assert "\n" not in str(info.value) and "`expression`" in str(info.value)


@pytest.mark.parametrize("value", [None, 3, b"1", ["1"]])
def test_non_strings_raise_parse_error(value: object) -> None:
    with pytest.raises(ParseError, match="expects a string"):
        parse_expression(value, NAMES)  # type: ignore[arg-type]


def test_error_messages_echo_truncated_repr_and_list_names() -> None:
    with pytest.raises(UnsafeExpressionError) as info:
        parse_expression("x + " + "1 + " * 40 + "\x07", NAMES, argument="--param")
    message = str(info.value)
    assert "\\x07" in message and "\x07" not in message
    with pytest.raises(UnsafeExpressionError) as info:
        parse_expression("x" + " + 1" * 30, NAMES)
    message = str(info.value)
    assert "...'" in message and "unknown name 'x'" in message
    assert message.endswith("and the names W_h[0,1], a, omega.")
    many = {f"n{i:02d}": sympy.Symbol(f"n{i:02d}") for i in range(25)}
    with pytest.raises(UnsafeExpressionError, match=r"n08, n09, \.\.\.\.$"):
        parse_expression("zz", many)


def test_limits_are_at_the_documented_sizes() -> None:
    assert parse_expression("9" * MAX_LITERAL_DIGITS) == int("9" * MAX_LITERAL_DIGITS)
    nested = "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH
    assert parse_expression(nested) == 1
    assert parse_expression("1" + " " * (MAX_LENGTH - 1)) == 1
    with pytest.raises(UnsafeExpressionError, match="characters, more than"):
        parse_expression("1" + " " * MAX_LENGTH)
    with pytest.raises(UnsafeExpressionError, match="parts"):
        parse_expression("+".join(["a"] * 300), NAMES)


def test_function_calls_nest_at_most_max_call_depth() -> None:
    assert parse_expression("tanh(" * MAX_CALL_DEPTH + "a" + ")" * MAX_CALL_DEPTH, NAMES).has(a)
    with pytest.raises(UnsafeExpressionError, match="nested at most"):
        parse_expression("sin(" * (MAX_CALL_DEPTH + 1) + "1" + ")" * (MAX_CALL_DEPTH + 1))


def test_exp_of_logarithms_is_checked_as_a_power() -> None:
    assert parse_expression("exp(log(6)/2 + a)", NAMES) == sympy.sqrt(6) * sympy.exp(a)
    assert parse_expression("exp(tanh(log(2)))") == sympy.exp(sympy.tanh(sympy.log(2)))
    with pytest.raises(UnsafeExpressionError, match="orders dividing 12"):
        parse_expression("exp(log(6)/7)")
    with pytest.raises(UnsafeExpressionError, match=r"exp\(c\*log\(x\)\)"):
        parse_expression("exp(pi*log(2))")


def test_functions_can_be_switched_off() -> None:
    with pytest.raises(UnsafeExpressionError, match="function calls"):
        parse_expression("sqrt(2)", functions=False)
    assert parse_expression("2**(1/2)", functions=False) == sympy.sqrt(2)


def test_names_take_precedence_over_constants() -> None:
    energy = sympy.Symbol("E")
    assert parse_expression("E", {"E": energy}) == energy
    assert parse_expression("E") == sympy.E


def test_parse_assignment_splits_and_parses() -> None:
    assert parse_assignment("a=0.5") == ("a", sympy.Rational(1, 2))
    assert parse_assignment(" W_h[0,1] = 2*pi ") == ("W_h[0,1]", 2 * sympy.pi)
    assert parse_assignment("b = a + 1", NAMES) == ("b", a + 1)
    assert parse_assignment("unknown=1") == ("unknown", 1)


@pytest.mark.parametrize("text", ["abc", "", "=1", " =1", "1a=2", "a b=1", "_a=1", "W[0, 1]=1", "a.b=1"])
def test_parse_assignment_rejects_bad_keys(text: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_assignment(text)
    assert str(info.value).startswith("`--param` expects NAME=VALUE")


def test_parse_assignment_messages() -> None:
    with pytest.raises(ParseError) as info:
        parse_assignment("abc")
    assert str(info.value) == "`--param` expects NAME=VALUE; got 'abc'."
    with pytest.raises(UnsafeExpressionError) as unsafe:
        parse_assignment("a=__import__('os')", argument="--set")
    assert str(unsafe.value).startswith("`--set a` value \"__import__('os')\" is not allowed")


def test_parse_function_of_returns_real_symbol_and_expression() -> None:
    z, f = parse_function_of("z/(1+abs(z))")
    assert z == sympy.Symbol("z", real=True) and z.is_real
    assert f == z / (1 + sympy.Abs(z))
    x, g = parse_function_of("tanh(x)**2", "x", argument="--activation")
    assert g == sympy.tanh(x) ** 2


@pytest.mark.parametrize("text", ["2", "z - z", "pi"])
def test_parse_function_of_requires_the_variable(text: str) -> None:
    with pytest.raises(ParseError, match="must depend on `z`"):
        parse_function_of(text)


def test_parse_function_of_refuses_other_names_and_bad_variables() -> None:
    with pytest.raises(UnsafeExpressionError, match="unknown name 'y'"):
        parse_function_of("y + z")
    with pytest.raises(UnsafeExpressionError):
        parse_function_of(PAYLOAD)
    with pytest.raises(InvalidArgumentError):
        parse_function_of("z", "_z")


FRAGMENTS = [
    "__import__", "(", ")", ".", "__class__", "__bases__", "lambda", ":", "eval", "9**",
    "os", "system", "[", "]", ",", "'", '"', "0", "1", "9", "+", "-", "*", "/", "**", " ",
    "a", "omega", "W_h[0,1]", "sqrt", "exp(", "E", "pi", "_", "=", ":=", "{", "}", "f'",
    "\\", "\x00", "\uff41", "if", "else", "not", "@", "//", "%", "~", "^", "1e9", "10**",
    PAYLOAD, "'touch pwned'",
]
FUNCTIONS = ["sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "atanh", "sinh", "cosh", "abs"]
arithmetic = st.recursive(
    st.sampled_from(["9", "10", "0.5", "1e-3", "999999999", "a", "pi", "E", "-1", "2"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join),
    arithmetic,
    st.tuples(arithmetic, st.sampled_from(["+", "*", "**", "/"]),
              st.sampled_from([PAYLOAD, "a.__class__", "().__class__.__bases__[0]", "eval('1')"]))
    .map("".join),
))
def test_fuzzed_strings_are_refused_cleanly_and_fast(text: str, sandbox: Path) -> None:
    assert_refused_or_expr(text, sandbox)


def test_thousands_of_hostile_combinations_never_execute(sandbox: Path) -> None:
    pieces = ["__import__", "(", ")", ".__class__", "'os'", "9**", "[0]", ",", "lambda:",
              "a", "eval", "system", "1", "**", "_", "'"]
    worst = (0.0, "")
    count = 0
    for combo in itertools.product(pieces, repeat=3):
        for text in ("".join(combo), PAYLOAD + "".join(combo), "".join(combo) + "9**9**9"):
            for parse in (parse_expression, lambda t, names: parse_assignment("a=" + t, names)):
                elapsed = assert_refused_or_expr(text, sandbox, parse)
                worst = max(worst, (elapsed, text))
                count += 1
    for combo in itertools.islice(itertools.product(pieces, repeat=3), 300):
        text = "z+" + "".join(combo)
        elapsed = assert_refused_or_expr(text, sandbox, lambda t, _names: parse_function_of(t))
        worst = max(worst, (elapsed, text))
    print(f"{count} hostile strings; worst {worst[0] * 1000:.1f} ms for {worst[1]!r}")
    assert count > 20000
