"""Safe parsing of user strings into SymPy expressions.

Nothing here calls ``eval``, ``sympify`` or ``parse_expr`` on user text.  The
text is parsed with ``ast.parse(text, mode="eval")``, every node is checked
against a whitelist and the SymPy expression is built from the checked tree.
Size limits are checked before anything expensive is built:

* at most :data:`MAX_LENGTH` characters, printable ASCII plus space, tab,
  CR and LF; any other character (non-ASCII look-alikes such as ``ａ`` or
  ``𝑎``, which Python would NFKC-normalise to ``a``, NUL bytes and other
  control characters) raises :class:`~rnnsym.errors.UnsafeExpressionError`;
* at most :data:`MAX_DEPTH` levels of nesting and :data:`MAX_NODES` nodes;
* integer literals of at most :data:`MAX_LITERAL_DIGITS` digits;
* powers of numbers whose result would exceed about ``10**MAX_LOG10``, or
  numeric exponents above :data:`MAX_EXPONENT`; exp, sinh, cosh, sin, cos and
  tan of numbers above about 2300 (``MAX_LOG10 * ln 10``) in absolute value;
* a budget of :data:`MAX_RADICAL_DIGITS` digits for numbers under roots and
  inside function calls (SymPy factors and merges radicals eagerly).

Malformed text (syntax errors, empty text, non-str input, results that are
infinite or NaN such as ``1/0``) raises :class:`~rnnsym.errors.ParseError`.
"""

from __future__ import annotations

import ast
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Callable, Mapping, NoReturn

import sympy

from .errors import InvalidArgumentError, ParseError, RnnsymError, UnsafeExpressionError

__all__ = ["parse_expression", "parse_assignment", "parse_function_of"]

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_NODES = 500
MAX_LITERAL_DIGITS = 300
MAX_LOG10 = 1000
MAX_EXPONENT = 10**4
MAX_RADICAL_DIGITS = 400

_FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin,
    "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh, "atanh": sympy.atanh,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "Abs": sympy.Abs, "abs": sympy.Abs,
}
_GROWING = frozenset({"exp", "sinh", "cosh", "sin", "cos", "tan"})  # big for complex args
_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}
_ALLOWED_CHARS = frozenset(map(chr, range(32, 127))) | {"\t", "\n", "\r"}
_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)*\])?")
_BINOPS: dict[type, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    ast.Add: lambda a, b: sympy.Add(a, b),
    ast.Sub: lambda a, b: sympy.Add(a, sympy.Mul(-1, b)),
    ast.Mult: lambda a, b: sympy.Mul(a, b),
    ast.Div: lambda a, b: sympy.Mul(a, sympy.Pow(b, -1)),
}
_OP_TEXT = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
            ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&",
            ast.Not: "not", ast.Invert: "~"}
_NODE_TEXT = {ast.Attribute: "attribute access with '.'", ast.Lambda: "lambda",
              ast.IfExp: "conditional expressions", ast.Compare: "comparisons",
              ast.BoolOp: "'and'/'or'", ast.NamedExpr: "':=' assignments",
              ast.JoinedStr: "f-strings", ast.Starred: "'*' unpacking",
              ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets"}
_SKIP = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
_LOG10_2 = math.log10(2)


def _echo(text: object, limit: int = 60) -> str:
    """Return ``repr`` of ``text`` cut to ``limit`` characters."""
    short = text if isinstance(text, str) else f"{type(text).__name__} {text!r:.{limit}}"
    return repr(short[:limit] + "..." if len(short) > limit else short)


def _one_line(message: str) -> str:
    return " ".join(message.splitlines())


def _log10_abs(x: sympy.Expr) -> float | None:
    """Estimate ``log10(|x|)`` of a nonzero number, or None if unknown."""
    if x.is_Rational:
        return None if x.p == 0 else math.log10(abs(x.p)) - math.log10(x.q)
    try:
        re_part, im_part = x.evalf(15).as_real_imag()
        logs = []
        for part in (re_part, im_part):
            if isinstance(part, sympy.Float) and part._mpf_[1]:  # mantissa, exponent
                logs.append((part._mpf_[2] + math.log2(part._mpf_[1])) * _LOG10_2)
            elif not part.is_zero:
                return None
        return max(logs) + (_LOG10_2 / 2 if len(logs) == 2 else 0.0) if logs else None
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return None


def _digits(x: sympy.Rational) -> float:
    return (abs(x.p).bit_length() + x.q.bit_length()) * _LOG10_2


class _Builder:
    """Check an AST against the whitelist and build the SymPy expression."""

    def __init__(self, text: str, names: Mapping[str, sympy.Basic], argument: str,
                 functions: bool) -> None:
        self.text, self.names, self.argument = text, names, argument
        self.functions = functions
        self.radical_digits = 0.0

    def expected(self) -> str:
        keys = sorted(self.names)
        listed = ", ".join(k if k.isprintable() else repr(k) for k in keys[:10])
        listed += ", ..." if len(keys) > 10 else ""
        calls = ", one-argument functions like sqrt(x)" if self.functions else ""
        named = f" and the names {listed}" if keys else " (no names are defined)"
        return f"use numbers, + - * / **, pi, E{calls}{named}"

    def fail(self, problem: str, error: type[RnnsymError] = UnsafeExpressionError) -> NoReturn:
        verdict = "is not allowed" if error is UnsafeExpressionError else "is not valid"
        raise error(_one_line(f"`{self.argument}` value {_echo(self.text)} {verdict}: "
                              f"{problem}; {self.expected()}."))

    def segment(self, node: ast.AST) -> str:
        return _echo(ast.get_source_segment(self.text, node) or "", 30)

    def build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.build(node.operand)
            return operand if isinstance(node.op, ast.UAdd) else self.sized(sympy.Mul(-1, operand))
        if isinstance(node, ast.BinOp) and (type(node.op) in _BINOPS or isinstance(node.op, ast.Pow)):
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                self.check_power(left, right, node)
                return self.sized(sympy.Pow(left, right))
            return self.sized(_BINOPS[type(node.op)](left, right))
        if isinstance(node, ast.Call):
            return self.call(node)
        op = getattr(node, "op", None)
        if isinstance(op, ast.AST) and type(op) in _OP_TEXT:
            hint = " (use ** for powers)" if isinstance(op, ast.BitXor) else ""
            self.fail(f"the operator '{_OP_TEXT[type(op)]}' is not arithmetic here{hint}")
        what = _NODE_TEXT.get(type(node), f"{type(node).__name__} syntax")
        self.fail(f"{what} ({self.segment(node)}) cannot be used")

    def constant(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kinds: dict[type, str] = {str: "strings", bytes: "bytes"}
            kind = kinds.get(type(value), repr(value))
            self.fail(f"{kind} cannot be used, only real numbers")
        if isinstance(value, int):
            if value.bit_length() > 4 * MAX_LITERAL_DIGITS or len(str(value)) > MAX_LITERAL_DIGITS:
                self.fail(f"integer literals are limited to {MAX_LITERAL_DIGITS} digits")
            return sympy.Integer(value)
        source = (ast.get_source_segment(self.text, node) or repr(value)).replace("_", "")
        try:
            sign, digit_tuple, exponent = Decimal(source).as_tuple()
        except InvalidOperation:
            self.fail(f"the number {self.segment(node)} is not a finite decimal", ParseError)
        if not isinstance(exponent, int) or len(digit_tuple) > MAX_LITERAL_DIGITS \
                or abs(exponent) > MAX_LOG10 or len(digit_tuple) + exponent > MAX_LOG10:
            self.fail(f"the number {self.segment(node)} is too long or too large")
        mantissa = int("".join(map(str, digit_tuple))) * (-1 if sign else 1)
        return sympy.Rational(mantissa * 10 ** max(exponent, 0), 10 ** max(-exponent, 0))

    def lookup(self, key: str) -> sympy.Expr:
        if key.startswith("_") or "__" in key:
            self.fail(f"names starting with '_' or containing '__' ({key!r}) cannot be used")
        if key in self.names:
            return self.names[key]
        if key in _CONSTANTS:
            return _CONSTANTS[key]
        if key in _FUNCTIONS:
            self.fail(f"{key!r} is a function and must be called like {key}(x)")
        self.fail(f"unknown name {key!r}")

    def subscript(self, node: ast.Subscript) -> sympy.Expr:
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if not isinstance(node.value, ast.Name) or not items or not all(
                isinstance(i, ast.Constant) and type(i.value) is int and i.value >= 0
                for i in items):
            self.fail(f"indexing ({self.segment(node)}) is only allowed like W[0,1] on known names")
        base: str = node.value.id
        if base.startswith("_") or "__" in base:
            self.lookup(base)  # refuses the name
        return self.lookup(base + "[" + ",".join(str(getattr(i, "value", "")) for i in items) + "]")

    def call(self, node: ast.Call) -> sympy.Expr:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if not self.functions:
            self.fail(f"function calls ({self.segment(node)}) are not allowed here")
        if name not in _FUNCTIONS:
            self.fail(f"calls ({self.segment(node)}) are limited to {', '.join(_FUNCTIONS)}")
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            self.fail(f"{name}() takes exactly one positional argument")
        arg = self.build(node.args[0])
        if name == "sqrt":
            self.check_power(arg, sympy.S.Half, node)
        else:
            self.spend(arg, 2 if name in ("Abs", "abs") else 1)
        if name in _GROWING and arg.is_number:
            size = _log10_abs(arg)
            if size is None and not arg.is_zero:
                self.fail(f"the size of {name}() of {self.segment(node.args[0])} cannot be bounded")
            if size is not None and size > math.log10(MAX_LOG10 / math.log10(math.e)):
                self.fail(f"{name}() of {self.segment(node.args[0])} is limited to arguments "
                          f"below {MAX_LOG10 / math.log10(math.e):.0f} in absolute value")
        return self.sized(_FUNCTIONS[name](arg))

    def spend(self, expr: sympy.Expr, weight: int = 1) -> None:
        """Charge the digits of ``expr``'s rationals to the radical budget."""
        self.radical_digits += weight * sum(_digits(r) for r in expr.atoms(sympy.Rational))
        if self.radical_digits > MAX_RADICAL_DIGITS:
            self.fail(f"roots and function calls may use at most {MAX_RADICAL_DIGITS} digits")

    def check_power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.AST) -> None:
        """Refuse ``base**exponent`` when the result would be huge."""
        if not exponent.is_Integer:
            self.spend(base)
        if not exponent.is_number or exponent.is_zero:
            return
        factors = [base] if base.is_number else [f for f in sympy.Mul.make_args(base) if f.is_number]
        for factor in factors:
            if factor in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
                continue
            log_exp, log_base = _log10_abs(exponent), _log10_abs(factor)
            if log_exp is None or log_exp > math.log10(MAX_EXPONENT):
                self.fail(f"the exponent in {self.segment(node)} is larger than {MAX_EXPONENT}")
            if log_base is None:
                self.fail(f"the size of the power {self.segment(node)} cannot be bounded")
            size = abs(log_base)
            if factor.is_Rational:
                size = max(size, math.log10(max(abs(factor.p), factor.q)))
            if size * 10.0**log_exp > MAX_LOG10:
                self.fail(f"the power {self.segment(node)} would have about "
                          f"{size * 10.0**log_exp:.3g} digits, more than {MAX_LOG10}")

    def sized(self, expr: sympy.Expr) -> sympy.Expr:
        """Refuse results holding a rational with more than ~MAX_LOG10 digits."""
        for term in sympy.Add.make_args(expr):
            for factor in sympy.Mul.make_args(term):
                if factor.is_Rational and _digits(factor) > MAX_LOG10 + 20:
                    self.fail(f"intermediate numbers are limited to about {MAX_LOG10} digits")
        return expr


def _check_text(text: object, argument: str) -> str:
    """Apply the checks on raw text that come before ``ast.parse``."""
    if not isinstance(text, str):
        raise ParseError(_one_line(f"`{argument}` expects a string; got {_echo(text)}."))
    if len(text) > MAX_LENGTH:
        raise UnsafeExpressionError(_one_line(
            f"`{argument}` value {_echo(text)} is not allowed: it has {len(text)} characters, "
            f"more than {MAX_LENGTH}; use a shorter expression."))
    bad = next((c for c in text if c not in _ALLOWED_CHARS), None)
    if bad is not None:
        raise UnsafeExpressionError(_one_line(
            f"`{argument}` value {_echo(text)} is not allowed: it contains the character "
            f"{bad!r}; use plain ASCII letters, digits, spaces and + - * / ** ( ) [ ] , ."))
    if not text.strip():
        raise ParseError(_one_line(f"`{argument}` value {_echo(text)} is empty; expected "
                                   "an expression such as 3/5 or 2*pi."))
    return text


def parse_expression(text: str, names: Mapping[str, sympy.Basic] | None = None, *,
                     argument: str = "expression", functions: bool = True) -> sympy.Expr:
    """Parse arithmetic ``text`` into a SymPy expression without evaluating it.

    Parameters
    ----------
    text : str
        Numbers (``3``, ``0.6``, ``1e-3``; decimals become exact rationals),
        ``+ - * / **``, parentheses, ``pi``, ``E``, the keys of ``names``
        (``W_h[0,1]`` may be written with spaces after commas) and, if
        ``functions``, one-argument calls of sqrt, exp, log, sin, cos, tan,
        tanh, atanh, sinh, cosh, Abs (or abs).
    names : mapping of str to sympy.Basic, optional
        The names the text may use.  They take precedence over ``pi``/``E``.
    argument : str
        How the value is named in error messages, e.g. ``"--param a"``.
    functions : bool
        Whether function calls are allowed.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    UnsafeExpressionError
        Anything beyond plain arithmetic on known names, non-ASCII or control
        characters (including NUL), or input over the size limits.
    ParseError
        Non-str input, empty text, Python syntax errors, or a result that is
        infinite or NaN (``1/0``).

    Examples
    --------
    >>> import sympy
    >>> parse_expression("3/5") == parse_expression("0.6") == sympy.Rational(3, 5)
    True
    >>> a = sympy.Symbol("a")
    >>> parse_expression("sqrt(2)*a**2", {"a": a})
    sqrt(2)*a**2
    >>> parse_expression("2*W[0, 1]", {"W[0,1]": sympy.Symbol("w")})
    2*w
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    rnnsym.errors.UnsafeExpressionError: `expression` value "__import__('os')" is not allowed: ...
    """
    names = {} if names is None else names
    _check_text(text, argument)
    builder = _Builder(text, names, argument, functions)
    depth = max_depth = 0
    for char in text:  # bracket depth before ast.parse, which recurses on it
        depth += (char in "([{") - (char in ")]}")
        max_depth = max(max_depth, depth)
    if max_depth > MAX_DEPTH:
        builder.fail(f"brackets are nested {max_depth} deep, more than {MAX_DEPTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (RecursionError, MemoryError):
        builder.fail("it is too deeply nested")
    except (SyntaxError, ValueError) as exc:
        builder.fail(f"Python syntax error: {getattr(exc, 'msg', exc)}", ParseError)
    builder.text = text.strip()  # node offsets refer to the stripped text
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    count = 0
    while stack:  # iterative, so deep trees cannot exhaust the Python stack
        node, level = stack.pop()
        count += 1
        if level > MAX_DEPTH or count > MAX_NODES:
            builder.fail(f"it has more than {MAX_DEPTH} levels or {MAX_NODES} parts")
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node)
                     if not isinstance(child, _SKIP))
    try:
        result = builder.build(tree.body)
    except RnnsymError:
        raise
    except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError) as exc:
        builder.fail(f"it could not be evaluated ({type(exc).__name__})", ParseError)
    if not isinstance(result, sympy.Expr):
        builder.fail("it is not a scalar expression", ParseError)
    if result.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        builder.fail("it is infinite or undefined (division by zero?)", ParseError)
    return result


def parse_assignment(text: str, names: Mapping[str, sympy.Basic] | None = None, *,
                     argument: str = "--param") -> tuple[str, sympy.Expr]:
    """Parse ``NAME=VALUE`` into the stripped name and the parsed value.

    The name must look like ``a``, ``omega`` or ``W_h[0,1]``; whether it is a
    known name is for the caller to check.  The value is parsed with
    :func:`parse_expression` under the argument name ``"<argument> NAME"``.

    Examples
    --------
    >>> parse_assignment("a = 1/2")
    ('a', 1/2)
    >>> parse_assignment("abc")
    Traceback (most recent call last):
    ...
    rnnsym.errors.ParseError: `--param` expects NAME=VALUE; got 'abc'.
    """
    if not isinstance(text, str) or "=" not in text:
        raise ParseError(_one_line(f"`{argument}` expects NAME=VALUE; got {_echo(text)}."))
    key, _, value = text.partition("=")
    key = key.strip()
    if not _KEY_RE.fullmatch(key):
        raise ParseError(_one_line(
            f"`{argument}` expects NAME=VALUE with NAME like a, omega or W_h[0,1]; "
            f"got the name {_echo(key)} in {_echo(text)}."))
    return key, parse_expression(value, names, argument=f"{argument} {key}")


def parse_function_of(text: str, variable: str = "z", *,
                      argument: str = "activation") -> tuple[sympy.Symbol, sympy.Expr]:
    """Parse a one-variable expression such as a user-defined activation.

    The variable becomes ``sympy.Symbol(variable, real=True)`` and the result
    must depend on it.

    Examples
    --------
    >>> z, f = parse_function_of("z/(1+abs(z))")
    >>> f.subs(z, 1)
    1/2
    >>> parse_function_of("2")
    Traceback (most recent call last):
    ...
    rnnsym.errors.ParseError: `activation` value '2' must depend on `z`; ...
    """
    if not isinstance(variable, str) or "[" in variable or not _KEY_RE.fullmatch(variable):
        raise InvalidArgumentError(f"`variable` must be a plain name like z; got {_echo(variable)}.")
    symbol = sympy.Symbol(variable, real=True)
    expr = parse_expression(text, {variable: symbol}, argument=argument)
    if symbol not in expr.free_symbols:
        raise ParseError(_one_line(
            f"`{argument}` value {_echo(text)} must depend on `{variable}`; write it in "
            f"terms of {variable}, for example {variable}/(1+abs({variable}))."))
    return symbol, expr
