"""Safe parsing of user strings into SymPy expressions.

Nothing here calls ``eval``, ``sympify`` or ``parse_expr`` on user text: the
text is parsed with ``ast.parse(text, mode="eval")``, every node is checked
against a whitelist, and the SymPy expression is built from the checked tree.
Limits, checked before SymPy is asked to build anything expensive:

* at most :data:`MAX_LENGTH` characters of printable ASCII, space, tab, CR or
  LF.  Anything else raises :class:`~rnnsym.errors.UnsafeExpressionError`:
  NUL and other control characters, and all non-ASCII text, including
  look-alikes such as ``ａ`` or ``𝑎`` that Python would NFKC-normalise to ``a``;
* at most :data:`MAX_DEPTH` levels of nesting, :data:`MAX_NODES` nodes and
  :data:`MAX_CALL_DEPTH` nested calls (SymPy's work on numeric arguments grows
  steeply with nesting); integer literals of :data:`MAX_LITERAL_DIGITS` digits;
* numbers of at most about ``10**MAX_LOG10`` (powers are estimated with
  logarithms first); numeric exponents of at most :data:`MAX_EXPONENT`;
  ``exp``, ``sinh`` and ``cosh`` of numbers below about 2300;
* roots of numbers of an order dividing :data:`ROOT_ORDERS`, with at most
  :data:`MAX_RADICAL_DIGITS` digits under roots in all (SymPy factors and
  merges radicals eagerly; its work grows fast with order and size).

Numeric parts must be real: a power or call whose numeric value is complex
(``sqrt(-1)``, ``log(-2)``), infinite or undefined (``1/0``) raises
:class:`~rnnsym.errors.ParseError`, as do syntax errors, empty text and
non-str input.  Every message is one line naming the argument.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from decimal import Decimal, InvalidOperation
from typing import Callable, Mapping, NoReturn

import sympy

from rnnsym.errors import InvalidArgumentError, ParseError, RnnsymError, UnsafeExpressionError

__all__ = ["parse_expression", "parse_assignment", "parse_function_of", "check_construction"]

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_NODES = 500
MAX_LITERAL_DIGITS = 300
MAX_LOG10 = 1000
MAX_EXPONENT = 10**4
MAX_CALL_DEPTH = 8
ROOT_ORDERS = 12
MAX_RADICAL_DIGITS = 60

_FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin,
    "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh, "atanh": sympy.atanh,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "Abs": sympy.Abs, "abs": sympy.Abs,
}
_MAX_GROWING_ARG = MAX_LOG10 / math.log10(math.e)  # exp(x) < 10**MAX_LOG10
_CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}
_ALLOWED_CHARS = frozenset(map(chr, range(32, 127))) | {"\t", "\n", "\r"}
_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\[[0-9]+(,[0-9]+)*\])?")
_BINOPS: dict[type, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    ast.Add: lambda a, b: sympy.Add(a, b),
    ast.Sub: lambda a, b: sympy.Add(a, sympy.Mul(-1, b)),
    ast.Mult: lambda a, b: sympy.Mul(a, b),
    ast.Div: lambda a, b: sympy.Mul(a, sympy.Pow(b, -1)),
    ast.Pow: lambda a, b: sympy.Pow(a, b),
}
_OP_TEXT = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
            ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}
_NODE_TEXT = {ast.Attribute: "attribute access with '.'", ast.Lambda: "lambda", ast.List: "lists",
              ast.IfExp: "conditional expressions", ast.Compare: "comparisons", ast.Set: "sets",
              ast.BoolOp: "'and'/'or'", ast.NamedExpr: "':=' assignments", ast.Dict: "dicts",
              ast.JoinedStr: "f-strings", ast.Starred: "'*' unpacking", ast.Tuple: "tuples"}
_SKIP = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
_NOT_FINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)
_LOG10_2 = math.log10(2)


def _echo(text: object, limit: int = 60) -> str:
    """Return ``repr`` of ``text`` cut to ``limit`` characters."""
    short = text if isinstance(text, str) else f"{type(text).__name__} {text!r:.{limit}}"
    return repr(short[:limit] + "..." if len(short) > limit else short)


def _one_line(message: str) -> str:
    return " ".join(message.splitlines())


def _log10_abs(x: sympy.Expr) -> float | None:
    """Estimate ``log10(|x|)`` of a nonzero real number, or None if unknown."""
    if x.is_Rational:
        return None if x.p == 0 else math.log10(abs(int(x.p))) - math.log10(int(x.q))
    value = x.evalf(15)
    if not isinstance(value, sympy.Float) or not value._mpf_[1]:  # (sign, man, exp, bc)
        return None
    return float((value._mpf_[2] + math.log2(value._mpf_[1])) * _LOG10_2)


def _digits(x: sympy.Rational) -> float:
    return (abs(int(x.p)).bit_length() + int(x.q).bit_length()) * _LOG10_2


class _Builder:
    """Check an AST against the whitelist and build the SymPy expression."""

    def __init__(self, text: str, names: Mapping[str, sympy.Basic], argument: str,
                 functions: bool) -> None:
        self.text, self.names, self.argument = text, names, argument
        self.functions = functions
        self.radical_digits = 0.0
        self.call_depth = 0

    def fail(self, problem: str, error: type[RnnsymError] = UnsafeExpressionError) -> NoReturn:
        keys = sorted(self.names)
        listed = ", ".join(k if k.isprintable() else repr(k) for k in keys[:10])
        listed += ", ..." if len(keys) > 10 else ""
        calls = ", one-argument functions like sqrt(x)" if self.functions else ""
        named = f" and the names {listed}" if keys else " (no names are defined)"
        verdict = "is not allowed" if error is UnsafeExpressionError else "is not valid"
        raise error(_one_line(f"`{self.argument}` value {_echo(self.text)} {verdict}: "
                              f"{problem}; use numbers, + - * / **, pi, E{calls}{named}."))

    def segment(self, node: ast.AST | None) -> str:
        return _echo((ast.get_source_segment(self.text, node) if node is not None else None) or "", 30)

    def build(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.build(node.operand)
            return operand if isinstance(node.op, ast.UAdd) else self.finish(-operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow):
                self.check_power(left, right, node)
                return self.finish(sympy.Pow(left, right), node)
            return self.finish(_BINOPS[type(node.op)](left, right))
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
            kind = {"str": "strings", "bytes": "bytes"}.get(type(value).__name__, repr(value))
            self.fail(f"{kind} cannot be used, only real numbers")
        if isinstance(value, int):
            if value.bit_length() > 4 * MAX_LITERAL_DIGITS or len(str(value)) > MAX_LITERAL_DIGITS:
                self.fail(f"integer literals are limited to {MAX_LITERAL_DIGITS} digits")
            return sympy.Integer(value)
        # exact value of the decimal text, so 0.1 is 1/10 and not a binary float
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
        self.call_depth += 1
        if self.call_depth > MAX_CALL_DEPTH:
            self.fail(f"function calls may be nested at most {MAX_CALL_DEPTH} deep")
        arg = self.build(node.args[0])
        self.call_depth -= 1
        if name == "sqrt":
            self.check_power(arg, sympy.S.Half, node)
        elif name == "exp":
            self.check_exp(arg, node)
        if name in ("exp", "sinh", "cosh") and arg.is_number and not arg.is_zero:
            size = _log10_abs(arg)
            if size is None or size > math.log10(_MAX_GROWING_ARG):
                self.fail(f"{name}() is limited to numbers below {_MAX_GROWING_ARG:.0f} "
                          f"in absolute value, not {self.segment(node.args[0])}")
        return self.finish(_FUNCTIONS[name](arg), node)

    def check_exp(self, arg: sympy.Expr, node: ast.AST | None) -> None:
        """SymPy rewrites ``exp(c*log(x))`` as ``x**c``: check that power."""
        for term in sympy.Add.make_args(arg):
            coeff, rest = term.as_coeff_Mul()
            if term.is_number and any(isinstance(f, sympy.log) or (f.is_Add and f.has(sympy.log))
                                      for f in sympy.Mul.make_args(rest)):
                if not isinstance(rest, sympy.log):
                    self.fail(f"exponentials of logarithms ({self.segment(node)}) are limited "
                              "to the form exp(c*log(x)) with a rational c")
                self.check_power(rest.args[0], coeff, node)

    def check_power(self, base: sympy.Expr, exponent: sympy.Expr, node: ast.AST | None) -> None:
        """Refuse ``base**exponent`` when SymPy would build huge numbers or radicals."""
        while isinstance(base, sympy.UnevaluatedExpr):   # displayed as is, valued as its content
            base = base.args[0]
        while isinstance(exponent, sympy.UnevaluatedExpr):
            exponent = exponent.args[0]
        if exponent.is_number and (base == sympy.E or isinstance(base, sympy.exp)):
            self.check_exp((sympy.S.One if base == sympy.E else base.args[0]) * exponent, node)
        if not exponent.is_number or exponent.is_zero:
            return
        if not base.is_number and base.free_symbols:
            # a later substitution makes the base a number: bound the exponent now
            log_exp = _log10_abs(exponent)
            if log_exp is None or log_exp > math.log10(MAX_EXPONENT):
                self.fail(f"the exponent in {self.segment(node)} is larger than {MAX_EXPONENT}")
        factors = [base] if base.is_number else [f for f in sympy.Mul.make_args(base) if f.is_number]
        for factor in factors:
            if factor in (sympy.S.Zero, sympy.S.One, sympy.S.NegativeOne):
                continue
            log_exp, log_base = _log10_abs(exponent), _log10_abs(factor)
            if log_exp is None or log_exp > math.log10(MAX_EXPONENT):
                self.fail(f"the exponent in {self.segment(node)} is larger than {MAX_EXPONENT}")
            if log_base is None:
                self.fail(f"the size of the power {self.segment(node)} cannot be bounded")
            rationals = factor.atoms(sympy.Rational)
            size = max([abs(log_base)] + [math.log10(max(abs(r.p), r.q)) for r in rationals])
            reach = 10.0**log_exp
            if exponent.is_Rational and not exponent.is_Integer:
                # SymPy factors rational radicands; its work grows with the root order
                order = int(exponent.q) * math.lcm(*(int(p.exp.q) for p in factor.atoms(sympy.Pow)
                                                     if p.exp.is_Rational))
                if ROOT_ORDERS % order:
                    self.fail(f"roots of numbers ({self.segment(node)}) are limited to "
                              f"orders dividing {ROOT_ORDERS}")
                reach += order
                self.radical_digits += sum(_digits(r) for r in rationals)
                if self.radical_digits > MAX_RADICAL_DIGITS:
                    self.fail(f"numbers under roots may have {MAX_RADICAL_DIGITS} digits in all")
            if size * reach > MAX_LOG10:
                self.fail(f"the power {self.segment(node)} would have about "
                          f"{size * reach:.3g} digits, more than {MAX_LOG10}")

    def finish(self, expr: sympy.Expr, node: ast.AST | None = None) -> sympy.Expr:
        """Refuse huge rationals, and non-real values made by a power or call."""
        for term in sympy.Add.make_args(expr):
            for factor in sympy.Mul.make_args(term):
                if factor.is_Rational and _digits(factor) > MAX_LOG10 + 20:
                    self.fail(f"intermediate numbers are limited to about {MAX_LOG10} digits")
        if node is not None and expr.is_number and not expr.is_Rational:
            value = expr.evalf(15)
            if value.has(*_NOT_FINITE):
                self.fail(f"{self.segment(node)} is infinite or undefined", ParseError)
            if value.has(sympy.I) or not value.is_Number:
                self.fail(f"{self.segment(node)} is not a real number", ParseError)
        return expr


class _Construction(_Builder):
    """The parser's limits applied to one node SymPy is about to build by substitution."""

    def __init__(self, shown: str, argument: str) -> None:
        super().__init__(shown, {}, argument, True)

    def fail(self, problem: str, error: type[RnnsymError] = UnsafeExpressionError) -> NoReturn:
        raise error(_one_line(f"`{self.argument}`: substituting these values would build "
                              f"{self.text}, which is refused: {problem}."))

    def segment(self, node: object) -> str:
        return self.text


def check_construction(func: type, args: tuple, argument: str = "values") -> None:
    """Refuse ``func(*args)`` where the parser would refuse the same power, call or number.

    Used when values are substituted: ``(tau + 1)**(10**4)`` is harmless
    until ``tau`` becomes a number, so every node is checked again as
    substitution rebuilds it, before SymPy evaluates it.

    Examples
    --------
    >>> import sympy
    >>> check_construction(sympy.Pow, (sympy.Integer(2), sympy.Integer(100)))
    >>> check_construction(sympy.Pow, (sympy.Integer(2), sympy.Integer(10**4)), "--param rho")
    Traceback (most recent call last):
    ...
    rnnsym.errors.UnsafeExpressionError: `--param rho`: substituting these values would build ...
    """
    shown = _echo(f"{func.__name__}{tuple(args)}", 40)
    checker = _Construction(shown, argument)
    if func is sympy.Pow and len(args) == 2:
        checker.check_power(args[0], args[1], None)
    elif func is sympy.exp and len(args) == 1:
        checker.check_exp(args[0], None)
    real = sympy.re(args[0]) if func in (sympy.exp, sympy.sinh, sympy.cosh) and args[0].is_number else 0
    if real != 0:   # exp(i*pi) is fine: only the real part grows
        size = _log10_abs(real)
        if size is None or size > math.log10(_MAX_GROWING_ARG):
            checker.fail(f"{func.__name__}() is limited to numbers below {_MAX_GROWING_ARG:.0f}")
    if func is sympy.Mul:   # digits add up in a product of rationals
        digits = sum(_digits(a) for a in args if isinstance(a, sympy.Basic) and a.is_Rational)
        if digits > MAX_LOG10 + 20:
            checker.fail(f"numbers are limited to about {MAX_LOG10} digits")


def parse_expression(text: str, names: Mapping[str, sympy.Basic] | None = None, *,
                     argument: str = "expression", functions: bool = True) -> sympy.Expr:
    """Parse arithmetic ``text`` into a SymPy expression without evaluating code.

    Parameters
    ----------
    text : str
        Numbers (``3``, ``0.6``, ``1e-3``; decimals become exact rationals),
        ``+ - * / **``, parentheses, ``pi``, ``E``, the keys of ``names``
        (``W_h[0,1]`` may be written with spaces after commas) and, if
        ``functions``, one-argument calls of sqrt, exp, log, sin, cos, tan,
        tanh, atanh, sinh, cosh, Abs (or abs).  See the module docstring for
        the limits.
    names : mapping of str to sympy.Basic, optional
        The names the text may use; they take precedence over ``pi`` and ``E``.
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
        characters (NUL included), or input over the limits.
    ParseError
        Non-str input, empty text, Python syntax errors, or a power or call
        whose value is complex, infinite or undefined (``sqrt(-1)``, ``1/0``).

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
    if not isinstance(text, str):
        raise ParseError(_one_line(f"`{argument}` expects a string; got {_echo(text)}."))
    builder = _Builder(text, {} if names is None else names, argument, functions)
    if len(text) > MAX_LENGTH:
        builder.fail(f"it has {len(text)} characters, more than {MAX_LENGTH}")
    bad = next((c for c in text if c not in _ALLOWED_CHARS), None)
    if bad is not None:
        builder.fail(f"it contains the character {bad!r}, and only printable ASCII is read")
    if not text.strip():
        builder.fail("it is empty", ParseError)
    depth = max_depth = 0
    for char in text:  # bracket depth first: ast.parse recurses on it
        depth += (char in "([{") - (char in ")]}")
        max_depth = max(max_depth, depth)
    if max_depth > MAX_DEPTH:
        builder.fail(f"brackets are nested {max_depth} deep, more than {MAX_DEPTH}")
    try:
        with warnings.catch_warnings():  # e.g. SyntaxWarning "invalid decimal literal"
            warnings.simplefilter("ignore")
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
    if result.has(*_NOT_FINITE):
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
    must depend on it; other names are unknown.

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
