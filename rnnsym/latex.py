"""LaTeX output that always compiles.

A leaf utility: expressions, matrices and relations in, strings out.  Symbol
names are ASCII keys (``h_prev``, ``W_h[0,1]``, ``lam``); their LaTeX comes
from a registry (:func:`register_symbol`) or from a safe default that
escapes ``& % # $ _ { } ~ ^ \\`` and maps Unicode, so any name prints as
LaTeX that ``pdflatex`` accepts.  Objects with a ``_latex_()`` method (a
``Derivation``) render themselves.

Every name that reaches TeX goes through that default: Symbol, Dummy, Wild
and random-symbol names, MatrixSymbol and IndexedBase names, ``Str`` atoms,
function names (undefined functions and ``Function`` subclasses) and the
class names SymPy prints for other objects.  A name is never pasted raw, so
``\\input{/etc/passwd}``, ``\\write18``, ``\\catcode`` or ``^^5c`` in a name print
as harmless text (``\\backslash input\\{...\\}``).  Greek names map to TeX's
letters; the capitals TeX lacks (``Alpha``, ``Beta``, ``Epsilon``, Unicode
``Α``...) are upright Latin letters (``\\mathrm{A}``).  Objects that print
their own LaTeX from names (``sympy.physics``, ``sympy.vector``,
``sympy.diffgeom``, other packages' ``_latex`` methods) are refused with an
:class:`~rnnsym.errors.InvalidArgumentError` when a name holds a TeX special.

Examples
--------
>>> import sympy as sp
>>> from rnnsym.latex import latex, register_symbol
>>> h_prev = register_symbol(sp.Symbol("h_prev", real=True), "h_{t-1}")
>>> latex(sp.tanh(2 * h_prev))
'\\\\tanh{\\\\left(2 h_{t-1} \\\\right)}'
>>> latex(sp.Symbol("V_k[0,1]"))
'\\\\left(V_{k}\\\\right)_{0,1}'
>>> latex(sp.Symbol("profit&loss%"))
'\\\\mathit{profit\\\\&loss\\\\%}'
"""

from __future__ import annotations

import math
import numbers
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.symbol import Str
from sympy.printing.latex import LatexPrinter
from sympy.printing.pretty.stringpict import prettyForm
from rnnsym.errors import InvalidArgumentError, RnnsymError

__all__ = [
    "Symbol",
    "latex",
    "register_symbol",
    "symbol_latex",
    "escape_text",
    "standalone_document",
    "pdflatex_available",
    "compile_pdf",
    "LatexCompileError",
]

_REGISTRY: dict[sp.Symbol, str] = {}
_NAMED = {"lam": r"\lambda", "Lam": r"\Lambda", "h_star": r"h^{*}", "L_phi": r"L_{\phi}"}
_INDEXED = re.compile(r"^(?P<base>[A-Za-z][A-Za-z0-9_]*)\[(?P<idx>\d+(?:,\d+)*)\]$")
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)?$")
_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
    "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}
#: Greek letters TeX has no command for (``\Alpha`` stops pdflatex): the Latin letters they look like.
_GREEK_AS_LATIN = {
    "Alpha": r"\mathrm{A}", "Beta": r"\mathrm{B}", "Epsilon": r"\mathrm{E}", "Zeta": r"\mathrm{Z}",
    "Eta": r"\mathrm{H}", "Iota": r"\mathrm{I}", "Kappa": r"\mathrm{K}", "Mu": r"\mathrm{M}",
    "Nu": r"\mathrm{N}", "Omicron": r"\mathrm{O}", "Rho": r"\mathrm{P}", "Tau": r"\mathrm{T}",
    "Chi": r"\mathrm{X}", "omicron": "o",
}
#: Names SymPy's own printer may typeset (function and class names): ASCII letters, digits, ``_``.
_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
#: In names printed by objects that typeset their own names: refused (TeX specials, controls).
_RAW_UNSAFE = re.compile(r"[\\{}$&#%^~\x00-\x1f\x7f]")
#: Modules whose objects print names without this module's escaping (``_latex``, ``_latex_form``,
#: or SymPy printers that paste ``.name``); other packages' ``_latex`` methods count as well.
_RAW_NAME_MODULES = ("sympy.physics.", "sympy.vector.", "sympy.diffgeom.")
_TRUSTED_MODULES = ("sympy.", "rnnsym.")
_MATH_ESCAPES = {
    "\\": r"\backslash ", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\sim ", "^": r"\hat{}",
}
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}",
}


class LatexCompileError(RnnsymError, RuntimeError):
    """``pdflatex`` rejected a document; the message holds the log's error lines."""


def _require_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(f"`{name}` must be a string; got {type(value).__name__}.")
    return value


def _require_symbol(symbol: Any) -> None:
    if not isinstance(symbol, (sp.Symbol, sp.MatrixSymbol)):
        raise InvalidArgumentError(
            f"`symbol` must be a SymPy Symbol or MatrixSymbol; got {type(symbol).__name__} {str(symbol)[:40]!r}.")


def register_symbol(symbol: sp.Symbol, tex: str) -> sp.Symbol:
    """Print ``symbol`` as ``tex`` (raw LaTeX) from now on; returns the symbol."""
    _require_symbol(symbol)
    _REGISTRY[symbol] = _require_text(tex, "tex")
    return symbol


def _greek(word: str) -> "str | None":
    """TeX for a Greek letter's name (``alpha``, ``Omega``, ``Alpha``), else None."""
    if word in _GREEK:
        return f"\\{word}"
    return _GREEK_AS_LATIN.get(word)


def _unicode_char(ch: str) -> str:
    name = unicodedata.name(ch, "")
    match = re.match(r"GREEK (SMALL|CAPITAL) LETTER (\w+)$", name)
    if match:
        letter = match.group(2).lower().replace("lamda", "lambda")  # Unicode spells it LAMDA
        tex = _greek(letter.capitalize() if match.group(1) == "CAPITAL" else letter)
        if tex is not None:
            return f"{tex} " if tex[-1].isalpha() else tex
    return f"\\text{{[U+{ord(ch):04X}]}}"


def _safe_identifier(name: str) -> str:
    """LaTeX for an arbitrary name, in math mode: no character of ``name`` reaches TeX raw
    unless it is a letter, a digit or harmless punctuation."""
    if name in _NAMED:
        return _NAMED[name]
    greek = _greek(name)
    if greek is not None:
        return greek
    if _PLAIN.match(name):
        head, _, sub = name.partition("_")
        head_tex, sub_tex = _greek(head) or head, _greek(sub) or sub
        return f"{head_tex}_{{{sub_tex}}}" if sub else head_tex
    out = []
    for ch in name:
        if ch in _MATH_ESCAPES:
            out.append(_MATH_ESCAPES[ch])
        elif ord(ch) < 128 and (ch.isalnum() or ch in " .,:;!?'()[]<>=+-*/|@\""):
            out.append(ch)
        else:
            out.append(_unicode_char(ch))
    return r"\mathit{" + "".join(out) + "}"


def symbol_latex(symbol: sp.Symbol) -> str:
    """The LaTeX of one symbol (registry first, then safe defaults).

    >>> import sympy as sp
    >>> symbol_latex(sp.Symbol("lam")), symbol_latex(sp.Symbol("omega"))
    ('\\\\lambda', '\\\\omega')
    """
    if not isinstance(symbol, sp.Basic) or not isinstance(getattr(symbol, "name", None), str):
        _require_symbol(symbol)
    if symbol in _REGISTRY:
        return _REGISTRY[symbol]
    match = _INDEXED.match(symbol.name)
    if match:
        base = _safe_identifier(match.group("base"))
        idx = match.group("idx")
        if "_" in base or "^" in base:
            return f"\\left({base}\\right)_{{{idx}}}"
        return f"{base}_{{{idx}}}"
    return _safe_identifier(symbol.name)


class Symbol(sp.Symbol):
    """A SymPy symbol that SymPy's own printers show the way rnnsym does: ``(W_h)_{0,1}``, ``h_{t-1,0}``.

    rnnsym names its symbols in ASCII (``W_h[0,1]``, ``h_prev[0]``: the
    names JSON and ``--param`` use); plain ``sympy.latex``, ``sympy.pretty``
    and Jupyter's ``init_printing`` would show ``W_{h[0,1]}``.  This class
    carries its LaTeX (:func:`symbol_latex`: the registry, else the indexed
    default) in ``_latex``, which every SymPy printer consults, without
    changing SymPy.  It is named ``Symbol`` on purpose and otherwise *is* a
    SymPy symbol:

    * it equals, hashes and sorts like ``sympy.Symbol`` of the same name and
      assumptions, so a symbol a user builds by name finds it (``==``, dict
      and set lookup, ``subs``, ``xreplace``, ``has``);
    * ``srepr`` writes ``Symbol('W_h[0,1]', real=True)``, which plain
      ``sympy.sympify`` turns back into an equal expression.

    >>> import sympy
    >>> w = Symbol("W_h[0,1]", real=True)
    >>> print(sympy.latex(w), str(w), w == sympy.Symbol("W_h[0,1]", real=True))
    \\left(W_{h}\\right)_{0,1} W_h[0,1] True
    >>> (2 * w).subs(sympy.Symbol("W_h[0,1]", real=True), 3)
    6
    """

    def __new__(cls, name: str, **assumptions: Any) -> Symbol:
        if not isinstance(name, str):
            raise InvalidArgumentError(f"`name` must be a string; got {type(name).__name__}.")
        for key, value in assumptions.items():
            if not isinstance(value, (bool, type(None))):
                raise InvalidArgumentError(f"assumption `{key}` must be True, False or None; got "
                                           f"{type(value).__name__} {str(value)[:40]!r}.")
        return super().__new__(cls, name, **assumptions)

    def _latex(self, printer: Any) -> str:
        return symbol_latex(self)

    def _pretty(self, printer: Any) -> Any:
        return prettyForm(_pretty_text(symbol_latex(self), bool(getattr(printer, "_use_unicode", False))))

    def __eq__(self, other: Any) -> bool:
        if type(other) in (sp.Symbol, Symbol):
            return self._hashable_content() == other._hashable_content()
        return super().__eq__(other)

    def __ne__(self, other: Any) -> bool:
        return not self == other

    __hash__ = sp.Symbol.__hash__   # Basic hashes the class *name*: the same as sympy.Symbol's

    def _eval_subs(self, old: Any, new: Any) -> Any:
        return new if type(old) is sp.Symbol and self == old else None


_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ,"))
_SUP = dict(zip("0123456789+-=()*in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾*ⁱⁿ"))
_TEX_GROUP = re.compile(r"([_^])\{([^{}]*)\}")


def _pretty_text(tex: str, unicode: bool) -> str:
    """A symbol's LaTeX as a line of text for ``sympy.pretty``: ``(W_h)_{0,1}`` -> ``(W_h)₀,₁``."""
    text = tex.replace("\\left(", "(").replace("\\right)", ")")
    text = re.sub(r"\\mathit\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"([A-Za-z])_\{([A-Za-z])\}", r"\1_\2", text)   # W_{h} -> W_h (part of the name)

    def group(match: re.Match[str]) -> str:
        table = _SUB if match.group(1) == "_" else _SUP
        inner = match.group(2)
        if unicode and all(c in table for c in inner):
            return "".join(table[c] for c in inner)
        return f"{match.group(1)}({inner})" if len(inner) > 1 else match.group(1) + inner

    text = _TEX_GROUP.sub(group, text)
    for word in sorted(_GREEK, key=len, reverse=True):
        text = text.replace(f"\\{word}", unicodedata.lookup(f"GREEK {'CAPITAL' if word[0].isupper() else 'SMALL'} "
                                                            f"LETTER {word.upper().replace('LAMBDA', 'LAMDA')}")
                            if unicode else word)
    return text


class _Printer(LatexPrinter):
    """SymPy's printer with every name escaped (see the module docstring)."""

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return symbol_latex(expr)  # also MatrixSymbol: SymPy's _print_MatrixSymbol calls this

    _print_Dummy = _print_RandomSymbol = _print_Symbol

    def _print_Str(self, expr: Any) -> str:
        # letters and digits as SymPy prints them (some of its printers put a Str in \text{})
        return expr.name if expr.name.isascii() and expr.name.isalnum() else _safe_identifier(expr.name)

    def _deal_with_super_sub(self, string: str, style: str = "plain") -> str:
        # SymPy passes other names here (functions, classes); it would paste them raw
        return super()._deal_with_super_sub(string, style) if _WORD.match(string) else _safe_identifier(string)

    def _hprint_Function(self, func: str) -> str:
        if not _WORD.match(func):
            return _safe_identifier(func)
        # a name ending in "scr" becomes \mathscr, which needs mathrsfs (not in the preamble)
        return super()._hprint_Function(func).replace(r"\mathscr{", r"\mathcal{")

    def _print_Function(self, expr: Any, exp: Any = None) -> str:
        name = expr.func.__name__
        if _WORD.match(name):
            return super()._print_Function(expr, exp)
        # SymPy would paste the name raw and %-format it with the arguments
        tex = _safe_identifier(name) if exp is None else f"{_safe_identifier(name)}^{{{exp}}}"
        return tex + r"{\left(" + ",".join(self._print(arg) for arg in expr.args) + r" \right)}"

    def _print_Basic(self, expr: Any) -> str:
        name = type(expr).__name__
        if not expr.args:
            return rf"\text{{{name}}}" if name.isascii() and name.isalnum() else _safe_identifier(name)
        head = rf"\operatorname{{{name}}}" if name.isascii() and name.isalnum() else _safe_identifier(name)
        return head + r"\left(" + ", ".join(self._print(arg) for arg in expr.args) + r"\right)"


def _raw_name_printer(node: Any) -> bool:
    """Whether ``node`` typesets names itself, bypassing :class:`_Printer`'s escaping."""
    module = type(node).__module__ or ""
    if module.startswith(_RAW_NAME_MODULES):
        return True
    return (hasattr(node, "_latex") or hasattr(node, "_latex_form")) and not module.startswith(_TRUSTED_MODULES)


def _names(node: sp.Basic) -> "list[str]":
    names = []
    for sub in sp.preorder_traversal(node):
        if isinstance(sub, (sp.Symbol, Str)):
            names.append(sub.name)
        elif isinstance(sub, AppliedUndef) or (isinstance(sub, sp.Basic) and not sub.args):
            names.append(type(sub).__name__)
    return names


def _refuse_raw_hostile_names(obj: Any) -> None:
    """Raise where an object that prints its own names holds one with a TeX special."""
    roots = list(obj) if isinstance(obj, sp.MatrixBase) and not isinstance(obj, sp.Basic) else [obj]
    for root in roots:
        for node in sp.preorder_traversal(root):
            if not _raw_name_printer(node):
                continue
            for name in _names(node):
                if _RAW_UNSAFE.search(name):
                    raise InvalidArgumentError(
                        f"`obj` contains a {type(node).__name__} (which typesets its own names) named "
                        f"{name[:60]!r}; expected names without \\ {{ }} $ & # % ^ ~ or control characters."
                    )


def latex(obj: Any, **settings: Any) -> str:
    """LaTeX (math mode, without delimiters) for ``obj``.

    ``obj`` may be a SymPy expression, matrix or relation, a list of them,
    or any object with a ``_latex_()`` method.
    """
    if hasattr(obj, "_latex_"):
        return obj._latex_()
    if isinstance(obj, (list, tuple)):
        return ",\\quad ".join(latex(item, **settings) for item in obj)
    if isinstance(obj, str):
        return r"\text{" + escape_text(obj) + "}"
    if not isinstance(obj, (sp.Basic, sp.MatrixBase)):
        obj = _as_sympy(obj)
    _refuse_raw_hostile_names(obj)
    try:
        printer = _Printer(settings)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise InvalidArgumentError(f"`settings` {sorted(settings)} are not valid LaTeX printer settings: "
                                   f"{str(exc)[:120]}.") from None
    if not settings:
        return printer.doprint(obj)
    try:
        return printer.doprint(obj)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a setting of the wrong type
        raise InvalidArgumentError(f"`settings` {sorted(settings)} could not be used: "
                                   f"{type(exc).__name__}: {str(exc)[:120]}.") from None


def _as_sympy(obj: Any) -> Any:
    """Numbers and NumPy arrays as SymPy objects, converted without ``sympify``.

    ``sympify`` evaluates strings, with ``strict=True`` still those nested in
    a tuple, dict or set; so only numbers, booleans and NumPy arrays of numbers
    or SymPy objects (up to two dimensions) are converted, everything else is
    refused.
    """
    if isinstance(obj, sp.Basic):
        return obj
    if isinstance(obj, (bool, np.bool_)):
        return sp.true if obj else sp.false
    if isinstance(obj, np.ndarray) and obj.ndim <= 2 and obj.dtype.kind in "biufcO":
        rows = obj.reshape(-1, 1) if obj.ndim == 1 else obj.reshape(1, 1) if obj.ndim == 0 else obj
        return sp.ImmutableMatrix(rows.shape[0], rows.shape[1], [_as_sympy(v) for v in rows.flat])
    if isinstance(obj, (float, np.floating)):
        return sp.Float(float(obj)) if math.isfinite(obj) else sp.nan if math.isnan(obj) else \
            sp.oo if obj > 0 else -sp.oo
    if isinstance(obj, (complex, np.complexfloating)):
        return _as_sympy(obj.real) + sp.I * _as_sympy(obj.imag)
    if isinstance(obj, (int, np.integer)):
        return sp.Integer(int(obj))
    if isinstance(obj, numbers.Rational):  # fractions.Fraction
        return sp.Rational(int(obj.numerator), int(obj.denominator))
    if isinstance(obj, (Decimal, mpmath.mpf)):
        return sp.Float(str(obj)) if isinstance(obj, Decimal) else sp.Float(obj)
    raise InvalidArgumentError(
        f"`obj` must be a SymPy expression, matrix or relation, a number, or a list of them; "
        f"got {type(obj).__name__}."
    )


def escape_text(text: str) -> str:
    """Escape plain text for LaTeX text mode.

    >>> escape_text("50% of R&D_x")
    '50\\\\% of R\\\\&D\\\\_x'
    """
    _require_text(text, "text")
    out = []
    for ch in text:
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ord(ch) < 128:
            out.append(ch if ch.isprintable() else " ")
        else:
            out.append(_unicode_text(ch))
    return "".join(out)


_TEXT_UNICODE = {"\u2212": "-", "\u2013": "--", "\u2014": "---", "\u2019": "'", "\u2018": "`",
                 "\u201c": "``", "\u201d": "''", "\u00b2": r"\textsuperscript{2}",
                 "\u2264": r"$\le$", "\u2265": r"$\ge$", "\u2260": r"$\ne$", "\u221e": r"$\infty$",
                 "\u2202": r"$\partial$", "\u2016": r"$\|$", "\u2192": r"$\to$",
                 "\u21d2": r"$\Rightarrow$", "\u22c5": r"$\cdot$", "\u00b7": r"$\cdot$",
                 "\u00d7": r"$\times$", "\u2208": r"$\in$", "\u221a": r"$\surd$",
                 "\u2248": r"$\approx$", "\u2026": r"\dots{}", "\u1d40": r"$^{\top}$",
                 "\u00b1": r"$\pm$", "\u2113": r"$\ell$", "\u2190": r"$\leftarrow$", "\u21a6": r"$\mapsto$",
                 "\u21d4": r"$\Leftrightarrow$", "\u2207": r"$\nabla$", "\u220f": r"$\prod$",
                 "\u222b": r"$\int$", "\U0001d49e": r"$\mathcal{C}$", "\U0001d4aa": r"$\mathcal{O}$"}


_DIGIT_WORDS = {w: str(i) for i, w in enumerate("ZERO ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE".split())}
_SCRIPT = re.compile(r"^(?:LATIN |GREEK )?(SUPERSCRIPT|SUBSCRIPT|MODIFIER LETTER)(?: (?:SMALL|CAPITAL))?"
                     r"(?: LETTER)? (\w+)$")


def _script_text(ch: str) -> str | None:
    """``⁻¹``, ``ᵢ``, ``ᵀ``: a superscript or subscript character as inline math, else None."""
    match = _SCRIPT.match(unicodedata.name(ch, ""))
    if not match:
        return None
    kind, word = match.groups()
    name = unicodedata.name(ch, "")
    inner = _DIGIT_WORDS.get(word) or {"MINUS": "-", "PLUS": "+", "EQUALS": "="}.get(word)
    if inner is None and len(word) == 1:
        inner = word if "CAPITAL" in name else word.lower()
    if inner is None:
        return None
    return f"$_{{{inner}}}$" if kind == "SUBSCRIPT" else f"$^{{{inner}}}$"


def _unicode_text(ch: str) -> str:
    if ch in _TEXT_UNICODE:
        return _TEXT_UNICODE[ch]
    script = _script_text(ch)
    if script is not None:
        return script
    tex = _unicode_char(ch)
    return tex if tex.startswith(r"\text") else f"${tex.strip()}$"


#: Packages from texlive-latex-base only.  Equations and figures are numbered within sections
#: (``(3.2)``, ``Figure 3.1``); a derivation's displays carry ``\tag{\thesection.k}`` and ``\label``s
#: (:mod:`rnnsym.typeset`).  ``\emergencystretch`` lets a line of prose with an unbreakable formula
#: stretch its spaces instead of running into the margin.
_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{bm}
\usepackage{graphicx}
\usepackage{longtable}
\usepackage[hidelinks]{hyperref}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
\setlength{\emergencystretch}{3em}
\numberwithin{equation}{section}
\numberwithin{figure}{section}
\numberwithin{table}{section}
\allowdisplaybreaks
"""


def standalone_document(body: str, title: str = "rnnsym") -> str:
    """Wrap a LaTeX body in a document that compiles with ``texlive-latex-base``.

    >>> doc = standalone_document("$x^2$", title="A & B")
    >>> doc.splitlines()[0], "A \\\\& B" in doc
    ('\\\\documentclass[11pt]{article}', True)
    """
    _require_text(body, "body")
    _require_text(title, "title")
    return (
        _PREAMBLE
        + f"\\title{{{escape_text(title)}}}\n\\date{{}}\n"
        + "\\begin{document}\n\\maketitle\n"
        + body
        + "\n\\end{document}\n"
    )


def pdflatex_available() -> bool:
    """Whether ``pdflatex`` is on the PATH."""
    return shutil.which("pdflatex") is not None


_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def compile_pdf(tex: str, directory: "str | Path | None" = None, *, name: str = "document",
                timeout: float = 120.0) -> Path:
    """Compile a standalone document with ``pdflatex``; return the PDF's path.

    Runs with ``-no-shell-escape -halt-on-error`` twice (for references).
    Raises :class:`LatexCompileError` with the log's error lines on failure.
    """
    _require_text(tex, "tex")
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name):
        raise InvalidArgumentError(f"`name` must be a plain file name (letters, digits, '-', '_', '.'); "
                                   f"got {str(name)[:40]!r}.")
    if directory is not None and not isinstance(directory, (str, os.PathLike)):
        raise InvalidArgumentError(f"`directory` must be a path or None; got {type(directory).__name__}.")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise InvalidArgumentError(f"`timeout` must be a positive number of seconds; got {str(timeout)[:40]!r}.")
    exe = shutil.which("pdflatex")
    if exe is None:
        raise FileNotFoundError(
            "`pdflatex` is not installed; install Debian's texlive-latex-base "
            "(apt-get install -y --no-install-recommends texlive-latex-base)."
        )
    workdir = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="rnnsym-tex-"))
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"{name}.tex"
    source.write_text(tex, encoding="utf-8")
    for _ in range(2):
        proc = subprocess.run(
            [exe, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", source.name],
            cwd=workdir, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, errors="replace",
        )
        if proc.returncode != 0:
            errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("!") or ln.startswith("l.")]
            raise LatexCompileError(
                f"pdflatex failed on {source}: " + " | ".join(errors[:6] or proc.stdout.splitlines()[-5:])
            )
    return workdir / f"{name}.pdf"
