"""No ASCII math in the prose: every derivation's text writes its math as inline math (issue 16, item 1).

The LaTeX of each derivation is scanned outside math mode for what ASCII
math leaves behind once escaped: subscripts and superscripts
(``h\\_t``, ``\\textasciicircum{}``), Greek letters spelled as words, and
function notation such as ``sqrt(`` or ``diag(``.  Titles and figure
captions are prose too.
"""

from __future__ import annotations

import re

import pytest

import rnnsym as rs
from rnnsym.prose import prose_latex, prose_text
from rnnsym.registry import derivation_info

GREEK = ("alpha beta gamma delta epsilon zeta eta theta kappa lambda lam mu nu xi rho sigma tau phi chi psi "
         "omega Gamma Delta Theta Lambda Sigma Phi Psi Omega").split()
ASCII_MATH = re.compile(
    r"\\_[A-Za-z0-9{(]"                     # h_t, W_h, delta_{t-1}
    r"|\\textasciicircum"                   # rho^t
    r"|\b(?:" + "|".join(GREEK) + r")\b"    # Greek letters as words
    r"|\b(?:sqrt|diag|tanh|sech|log|exp|det|rank)\("   # function notation
    r"|\|\|"                                # ||W||
    r"|(?<![\w.])\d+(?:\.\d+)?[eE][+-]?\d+(?!\w)"   # 2.08e-05: a power of ten, as math
)
MATH = re.compile(r"\$[^$]*\$|\\\[.*?\\\]|\\begin\{(equation|align|gather|multline)(\*?)\}.*?\\end\{\1\2\}", re.S)
#: Not prose: code, cross-reference keys and file names (their underscores are not subscripts).
NOT_PROSE = re.compile(r"\\texttt\{(?:[^{}]|\{\})*\}|\\(?:label|ref|eqref|pageref|includegraphics(?:\[[^]]*\])?)\{[^}]*\}"
                       r"|\\hyperref\[[^]]*\]")


def ascii_math(tex: str) -> list[str]:
    """The ASCII-math remnants in LaTeX ``tex`` outside math mode, each with some context."""
    text = NOT_PROSE.sub(" ", MATH.sub(" ", tex))
    return [text[max(0, m.start() - 25):m.end() + 15].replace("\n", " ") for m in ASCII_MATH.finditer(text)]


def test_the_scanner_finds_ascii_math_and_passes_inline_math() -> None:
    assert ascii_math(prose_latex("with delta_{t-1} = J delta_t and rho^t"))
    assert ascii_math(prose_latex("the norm ||W|| and sqrt(2)"))
    assert not ascii_math(prose_latex(r"with $\delta_{t-1} = J \delta_t$ and $\rho^t$, 50% of it"))


@pytest.mark.parametrize("name", rs.derivation_names())
def test_prose_has_no_ascii_math(name: str) -> None:
    d = rs.derive(name)
    found = ascii_math(d.latex())
    assert not found, f"{name}: ASCII math in the prose: {found[:6]}"


@pytest.mark.parametrize("name", rs.derivation_names())
def test_titles_and_symbol_descriptions_read_as_prose(name: str) -> None:
    info = derivation_info(name)
    for text in (info.title, *info.symbols.values()):
        assert not ascii_math(prose_latex(text)), f"{name}: {text!r}"
        assert "$" not in prose_text(text)


@pytest.mark.parametrize("name", rs.derivation_names())
def test_every_inline_formula_passes_the_whitelist(name: str) -> None:
    from rnnsym.prose import math_segments, safe_inline_math
    d = rs.derive(name)
    for step in d.steps:
        for is_math, piece in math_segments(step.justification):
            assert not is_math or safe_inline_math(piece), f"{name}: ${piece}$ is not allowed inline math"


def test_the_corrections_appendix_and_the_notation_have_no_ascii_math() -> None:
    """The report's back matter is prose too: the corrections' Unicode formulas become math, not text."""
    from rnnsym.report.appendix import appendix_latex
    from rnnsym.report.tex import notation_rows

    appendix = appendix_latex()
    assert not ascii_math(appendix), ascii_math(appendix)[:6]
    assert appendix.count("$") > 400 and "\\label{corr:C16}" in appendix   # formulas typeset as math
    for name in rs.derivation_names():
        for tex, text in notation_rows(rs.derive(name)):
            assert tex and not ascii_math(text), (name, text)


def test_derivation_names_in_the_corrections_are_code_not_math() -> None:
    """A derivation cited by name in the corrections (`snr`) is code in the appendix, never a product of
    italic letters ($snr$), however short its name."""
    from rnnsym.corrections import corrections
    from rnnsym.report.appendix import appendix_latex

    appendix = appendix_latex()
    cited = {n for n in rs.derivation_names() if any(f"`{n}`" in text for text in corrections().values())}
    assert {"snr", "contraction", "eigenmodes"} <= cited
    for name in cited:
        assert f"${name}$" not in appendix and "\\texttt{" + name.replace("_", "\\_\\allowbreak{}") + "}" in appendix
