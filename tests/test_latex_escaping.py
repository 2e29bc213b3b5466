"""No name reaches TeX raw: hostile names through every object that carries one.

Regressions: ``rs.latex(sp.Function(r"\\input{/etc/passwd}")(x))`` pasted the
name raw (a compiled PDF would include /etc/passwd), as did ``\\write18``, a
``Str``, a random symbol and a Basic subclass's name; a function named
``%`` crashed SymPy's %-formatting; Greek capitals ``Α Β Ε`` printed as
``\\Alpha \\Beta \\Epsilon``, which do not exist and stop pdflatex.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any, Callable

import pytest
import sympy as sp
from sympy.core.symbol import Str
from sympy.physics.units import Quantity
from sympy.stats import Normal
from sympy.vector import CoordSys3D

import rnnsym as rs
from rnnsym.errors import InvalidArgumentError, RnnsymError
from rnnsym.latex import compile_pdf, escape_text, standalone_document

HOSTILE = [
    r"\input{/etc/passwd}", r"\write18{id}", r"\immediate\write18{id}", r"\def\x{}", r"\catcode",
    r"\catcode`\^=12", "}{", "{", "}", "$", "%", "#1", "a&b", "~", "_", "^^5c", "^^5cinput{/etc/passwd}",
    "^^M", "\\", "\\\\", r"\csname input\endcsname{/etc/passwd}", r"\end{document}", r"\par",
    "x\ny", "tab\there", "bell\x07", "esc\x1b", "\x7f", "50% & $5 # ~ ^ _",
]
x = sp.Symbol("x")


def _basic_named(name: str) -> sp.Basic:
    return type(name, (sp.Basic,), {})(x)


def _function_subclass(name: str) -> sp.Basic:
    return type(name, (sp.Function,), {})(x)


CARRIERS: dict[str, Callable[[str], Any]] = {
    "Symbol": lambda n: sp.Symbol(n) ** 2 + 1,
    "Function": lambda n: sp.Function(n)(x),
    "Function power": lambda n: sp.Function(n)(x) ** 2,
    "Derivative": lambda n: sp.Derivative(sp.Function(n)(x), x),
    "MatrixSymbol": lambda n: sp.MatrixSymbol(n, 2, 2),
    "MatrixElement": lambda n: sp.MatrixSymbol(n, 2, 2)[0, 1],
    "MatrixSymbol transpose": lambda n: sp.MatrixSymbol(n, 2, 2).T,
    "Dummy": lambda n: sp.Dummy(n),
    "Wild": lambda n: sp.Wild(n),
    "Indexed": lambda n: sp.IndexedBase(n)[sp.Idx(n)],
    "Str": lambda n: Str(n),
    "random symbol": lambda n: Normal(n, 0, 1),
    "Basic subclass": _basic_named,
    "Function subclass": _function_subclass,
    "Matrix of symbols": lambda n: sp.Matrix([[sp.Symbol(n), 0], [0, sp.Symbol(n + "2")]]),
}


#: The commands the escaping itself writes.
ESCAPES = {"mathit", "backslash", "hat", "sim", "text", "mathrm"}


def _control_words(text: str) -> set[str]:
    return set(re.findall(r"\\([A-Za-z@]+)", text))


def _braces_balance(tex: str) -> bool:
    depth = 0
    for token in re.findall(r"\\.|[{}]", tex, flags=re.S):
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize("carrier", list(CARRIERS))
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_never_reach_tex_raw(name: str, carrier: str) -> None:
    tex = rs.latex(CARRIERS[carrier](name))
    plain = rs.latex(CARRIERS[carrier]("q"))  # the same object with a harmless name
    for word in _control_words(name):  # \input, \write, \def, \catcode, \csname, \end, \par, \x ...
        command = re.compile(r"\\" + word + r"(?![A-Za-z@])")
        assert len(command.findall(tex)) == len(command.findall(plain)), (name, carrier, tex)
    assert _control_words(tex) <= _control_words(plain) | ESCAPES, (name, carrier, tex)
    for ch in "$%#&~":  # no raw special beyond those of the object's own layout
        assert tex.replace("\\" + ch, "").count(ch) == plain.count(ch), (name, carrier, tex)
    assert "^^" not in tex, (name, carrier, tex)
    assert _braces_balance(tex), (name, carrier, tex)
    assert all(32 <= ord(c) < 127 for c in tex), (name, carrier, tex)


@pytest.mark.parametrize("carrier", ["Symbol", "Function", "MatrixSymbol", "Dummy", "random symbol"])
@pytest.mark.parametrize("name, letter", [("Alpha", "A"), ("Beta", "B"), ("Epsilon", "E"),
                                          ("\u0391", "A"), ("\u0392", "B"), ("\u0395", "E")])
def test_greek_capitals_tex_lacks_are_upright_latin_letters(name: str, letter: str, carrier: str) -> None:
    tex = rs.latex(CARRIERS[carrier](name))
    assert rf"\mathrm{{{letter}}}" in tex, tex
    assert not re.search(r"\\(Alpha|Beta|Epsilon)(?![A-Za-z])", tex), tex
    assert not re.search(r"\\(Alpha|Beta|Epsilon)(?![A-Za-z])", escape_text(name)), escape_text(name)


def test_existing_names_keep_their_textbook_form() -> None:
    net = rs.RNN.symbolic(1, 1)
    assert rs.latex(net.h_prev[0]) == "h_{t-1,0}"
    assert rs.latex(sp.Symbol("lam")) == "\\lambda"
    assert rs.latex(sp.Symbol("W_h[0,1]")) == "\\left(W_{h}\\right)_{0,1}"
    assert rs.latex(sp.Symbol("omega")) == "\\omega"
    assert rs.latex(sp.Symbol("\u03bb")) == "\\mathit{\\lambda }"  # Unicode spells it LAMDA
    assert rs.latex(sp.Function("f")(x)) == "f{\\left(x \\right)}"
    assert rs.latex(sp.sin(x)) == "\\sin{\\left(x \\right)}"
    assert rs.latex(sp.Function("myfunc")(x)) == "\\operatorname{myfunc}{\\left(x \\right)}"
    assert rs.latex(sp.Function("Alpha")(x)) == "\\mathrm{A}{\\left(x \\right)}"
    assert rs.latex(Str("Alpha")) == "Alpha"  # letters and digits: as SymPy prints a Str
    assert rs.latex(Str("\u0391")) == "\\mathit{\\mathrm{A}}"


def test_a_function_named_percent_prints_instead_of_crashing() -> None:
    assert rs.latex(sp.Function("%")(x)) == "\\mathit{\\%}{\\left(x \\right)}"
    assert rs.latex(sp.Function("%")(x, 2)) == "\\mathit{\\%}{\\left(x,2 \\right)}"


@pytest.mark.parametrize("make", [lambda n: Quantity(n), lambda n: CoordSys3D(n).i, lambda n: CoordSys3D(n).x + 1,
                                  lambda n: sp.ImmutableMatrix([[Quantity(n)]]), lambda n: sp.Matrix([[Quantity(n)]])])
def test_objects_that_typeset_their_own_names_refuse_hostile_ones(make: Callable[[str], Any]) -> None:
    with pytest.raises(InvalidArgumentError, match=r"input\{/etc/passwd\}.*expected names without") as info:
        rs.latex(make(r"\input{/etc/passwd}"))
    assert isinstance(info.value, RnnsymError) and "\n" not in str(info.value)
    assert rs.latex(make("N"))  # an ordinary name still prints


# --- compiling: the hostile names in a real document, with a positive control ---------------

_SENTINEL = "RNNSYMSENTINELREAD"


def _sentinel(tmp_path: Path) -> Path:
    path = tmp_path / "sentinel.tex"
    path.write_text(f"\\typeout{{{_SENTINEL}}}{_SENTINEL}\n", encoding="ascii")
    return path


def _pdf_text(pdf: Path) -> str:
    """The text strings of every (Flate) content stream, letters and digits only."""
    data, out = pdf.read_bytes(), []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    strings = re.findall(rb"\((?:\\.|[^\\)])*\)", b"".join(out))
    return re.sub(r"[^A-Za-z0-9]", "", b"".join(s[1:-1] for s in strings).decode("latin-1"))


def _leaks(pdf: Path) -> list[str]:
    """What the compiled document let in: files read, shell escapes tried, the passwd line."""
    log = pdf.with_suffix(".log").read_text(encoding="latin-1")
    text = _pdf_text(pdf)
    found = [f"log: {w}" for w in ("(/etc/passwd", _SENTINEL, "runsystem") if w in log]
    found += [f"pdf: {_SENTINEL}"] if _SENTINEL in text else []
    passwd = Path("/etc/passwd")
    if passwd.exists():
        first = re.sub(r"[^A-Za-z0-9]", "", passwd.read_text(errors="replace").splitlines()[0])
        found += ["pdf: /etc/passwd"] if first and first in text else []
    return found


def test_the_leak_check_detects_a_raw_include(require_pdflatex: None, tmp_path: Path) -> None:
    """Positive control: the same checks do see a raw \\input and \\write18."""
    body = f"Raw: \\input{{{_sentinel(tmp_path)}}} \\immediate\\write18{{id}} $\\input{{/etc/passwd}}$"
    pdf = compile_pdf(standalone_document(body), tmp_path / "raw")
    assert {"log: (/etc/passwd", f"log: {_SENTINEL}", "log: runsystem", f"pdf: {_SENTINEL}"} <= set(_leaks(pdf))


def test_document_with_every_hostile_name_compiles_and_leaks_nothing(require_pdflatex: None,
                                                                      tmp_path: Path) -> None:
    names = HOSTILE + [f"\\input{{{_sentinel(tmp_path)}}}", "Alpha", "Beta", "Epsilon", "\u0391\u0392\u0395"]
    lines = [f"\\[ {rs.latex(make(name))} \\]" for name in names for make in CARRIERS.values()]
    lines += [escape_text(name) + "\n" for name in names]
    pdf = compile_pdf(standalone_document("\n".join(lines), title=r"\input{/etc/passwd}"), tmp_path / "doc")
    assert pdf.exists()
    assert _leaks(pdf) == []


@pytest.mark.parametrize("make", [sp.Symbol, sp.Dummy, Str, lambda n: sp.MatrixSymbol(n, 2, 2)])
def test_a_nul_in_a_name_is_shown_as_its_code_point(make: Callable[[str], Any]) -> None:
    # (Python refuses NUL in class names, so functions cannot carry one)
    assert rs.latex(make("a\x00b")) == "\\mathit{a\\text{[U+0000]}b}"


def test_unicode_scripts_and_symbols_in_text_become_math() -> None:
    """The corrections' prose writes Q⁻¹, pᵢᵀ, ±, 𝒞: TeX gets math, not [U+...] placeholders."""
    from rnnsym.latex import escape_text
    out = escape_text("Q⁻¹ W = Λ Q⁻¹, pᵢᵀ, x₁, ± ℓ 𝒞 𝒪 ∏")
    assert "U+" not in out and "$^{-}$$^{1}$" in out and "$_{i}$" in out and r"$\mathcal{C}$" in out
