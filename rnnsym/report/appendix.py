"""The corrections (``rnnsym/corrections.md``) as a LaTeX appendix, their formulas as math.

The corrections document is Markdown whose formulas are code spans and
indented lines in Unicode (```ρ(J) < 1```, ```Q⁻¹ D Q Λ```,
```W_N = Σ_{k=0}^{N−1} A^k B Bᵀ (Aᵀ)^k```).  :func:`unicode_math` turns such a
formula into LaTeX math (Greek letters, super- and subscripts, ``‖·‖``,
operator names, ``sqrt(...)`` as a root), which must pass the inline-math
whitelist of :mod:`rnnsym.prose`; code (``rnnsym.corrections.correction()``,
a derivation's name) and anything that does not pass is typeset as code.
Inline formulas may break after relations, operators and commas; indented
lines become unnumbered displays, one row per formula.  Each entry is an
unnumbered subsection labelled ``corr:Ck``, so the text cites it by number
(:func:`link_corrections`).

Examples
--------
>>> unicode_math("‖W_h‖₂ ≤ c ρ(W_h)")
'\\\\|W_h\\\\|_{2} \\\\le c \\\\rho (W_h)'
>>> unicode_math("rnnsym.corrections.correction()") is None
True
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rnnsym.corrections import corrections
from rnnsym.latex import escape_text
from rnnsym.prose import breakable_math, math_segments, safe_inline_math
from rnnsym.registry import derivation_names
from rnnsym.texwidth import math_width

__all__ = ["appendix_latex", "link_corrections", "unicode_math"]

_CHARS = {"−": "-", "‖": r"\|", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "≈": r"\approx ",
          "⇔": r"\Leftrightarrow ", "⇒": r"\Rightarrow ", "→": r"\to ", "←": r"\leftarrow ", "↦": r"\mapsto ",
          "∈": r"\in ",
          "×": r"\times ", "·": r"\cdot ", "⋯": r"\cdots ", "…": r"\dots ", "∞": r"\infty ", "∂": r"\partial ",
          "∫": r"\int ", "Σ": r"\sum ", "∑": r"\sum ", "∏": r"\prod ", "ᵀ": r"^{\top}", "𝒪": r"\mathcal{O}",
          "𝒞": r"\mathcal{C}", "√": r"\sqrt ", "ε": r"\varepsilon ", "∇": r"\nabla ", "∘": r"\circ ",
          "⊙": r"\odot ", "±": r"\pm ", "ℓ": r"\ell ", "⁻": "-", "—": "-", "–": "-", "∣": "|"}
_SUPERS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼ⁱⁿ", "0123456789+-=in"))
_SUBS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ₐₑₖₙₜᵢⱼ", "0123456789+-aekntij"))
_OPERATORS = {"diag", "rank", "Rot", "ReLU", "sigmoid", "softsign", "arccosh", "sech", "sgn", "sign", "trace", "tr",
              "Re", "Im", "arg"}
_TEX_OPERATORS = {"cos", "sin", "tan", "tanh", "cosh", "sinh", "log", "ln", "exp", "det", "sup", "max", "min",
                  "lim", "inf"}
_TEXT_WORDS = {"in", "or", "if", "is", "of", "to", "as", "at", "by", "on", "for", "and", "iff", "some", "all"}
#: Code, not a formula: Python names and calls, file names, quoted words, Markdown link syntax.
_CODE = re.compile(r"^(?:rnnsym\b|[a-z]{2,}_[a-z_]{2,}\w*|[a-z]{4,}$|.*[\"`@]|.*\.(?:py|md|json)\b|<$)")
LABELS = ("The chapter says:", "Correction:", "Derivation:", "Example:", "Examples:", "Where rnnsym checks it:",
           "How to cite:", "How to read the chapter.", "What the chapter gets right.", "Notation:")
#: A line wider than this (points, by the estimate) is split at its wide gaps or commas.
_DISPLAY_ROOM = 320.0


def _greek(ch: str) -> str | None:
    match = re.match(r"GREEK (SMALL|CAPITAL) LETTER (\w+)$", unicodedata.name(ch, ""))
    if not match:
        return None
    word = match.group(2).lower().replace("lamda", "lambda")
    word = word.capitalize() if match.group(1) == "CAPITAL" else word
    return f"\\{word} "


def _roots(tex: str) -> str:
    """``sqrt(x)`` as ``\\sqrt{x}`` (balanced parentheses)."""
    while (start := tex.find("sqrt(")) >= 0:
        depth, end = 0, len(tex)
        for j in range(start + 4, len(tex)):
            depth += (tex[j] == "(") - (tex[j] == ")")
            if depth == 0:
                end = j
                break
        tex = tex[:start] + r"\sqrt{" + tex[start + 5:end] + "}" + tex[end + 1:]
    return tex


def _word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in _TEX_OPERATORS:
        return f"\\{word} "
    if word in _OPERATORS:
        return rf"\operatorname{{{word}}} "
    if word in _TEXT_WORDS or len(word) >= 4:
        return rf"\text{{ {word} }}"
    return word


def unicode_math(formula: str) -> str | None:
    """LaTeX math for a formula written in Unicode, or None when it is code or cannot be made safe."""
    text = formula.strip()
    if not text or _CODE.match(text):
        return None
    text = text.replace("√(", "sqrt(")   # a root over a parenthesis: \sqrt{...} below
    out = []
    for ch in text:
        if ch in _SUPERS:
            out.append("^{" + _SUPERS[ch] + "}")
        elif ch in _SUBS:
            out.append("_{" + _SUBS[ch] + "}")
        elif ch in _CHARS:
            out.append(_CHARS[ch])
        elif ord(ch) > 127:
            greek = _greek(ch)
            if greek is None:
                return None
            out.append(greek)
        else:
            out.append(ch)
    tex = "".join(piece for _, piece in math_segments("".join(out), numbers=True))   # 1e-100 as 10^{-100}
    tex = re.sub(r"\^\(([^()]*)\)", r"^{\1}", tex)                    # A^(n-1)
    tex = re.sub(r"([A-Za-z0-9)\]}])\*", r"\1^{*}", tex)              # h*, U*
    for _ in range(3):                                                 # h^{*}^{2} -> h^{*2}; _{1}_{0} -> _{10}
        tex = re.sub(r"\^\{([^{}]*)\}\^\{([^{}]*)\}", r"^{\1\2}", tex)
        tex = re.sub(r"_\{([^{}]*)\}_\{([^{}]*)\}", r"_{\1\2}", tex)
    tex = re.sub(r"_([A-Za-z]{2,})", r"_{\1}", tex)                   # lambda_min
    tex = _roots(tex)
    tex = re.sub(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z])", _word, tex)
    tex = re.sub(r" \}\s*\\text\{ ", " ", re.sub(r" +", " ", tex)).strip()   # one \text for a run of words
    return tex if safe_inline_math(tex) else None


def _code(text: str) -> str:
    return r"\texttt{" + escape_text(text).replace(".", r".\allowbreak{}").replace(r"\_", r"\_\allowbreak{}") + "}"


def inline_parts(text: str) -> list[tuple[str, str]]:
    """A paragraph's text as ``(kind, piece)``: ``"math"`` (LaTeX: a code span that is a formula, or a number
    like ``4e-6``), ``"code"`` (a code span that is code: Python names, a derivation's name) or ``"text"``.

    >>> inline_parts("`snr` within 4e-6 of `ρ < 1`")
    [('code', 'snr'), ('text', ' within '), ('math', '4 \\\\times 10^{-6}'), ('text', ' of '), ('math', '\\\\rho < 1')]
    """
    out: list[tuple[str, str]] = []
    for k, part in enumerate(re.split(r"`([^`]*)`", text)):
        if k % 2:   # a derivation's name is code however short (`snr`)
            tex = None if part in derivation_names() else unicode_math(part)
            out.append(("code", part) if tex is None else ("math", tex))
        else:
            out += [("math" if is_math else "text", piece)
                    for is_math, piece in math_segments(part.replace("$", "\\$"), numbers=True) if piece]
    return out


def _inline(text: str) -> str:
    """A paragraph's text: escaped, code spans as math or code, labels in bold."""
    line = "".join(_code(piece) if kind == "code" else f"${breakable_math(piece)}$" if kind == "math"
                   else escape_text(piece) for kind, piece in inline_parts(text))
    for label in LABELS:
        if line.startswith(escape_text(label)):
            line = rf"\textbf{{{escape_text(label)}}}" + line[len(escape_text(label)):]
    return line


def display_rows(lines: list[str]) -> list[tuple[str, str]]:
    """Indented lines as display rows ``("math", tex)`` or ``("code", text)``: a line holding several formulas
    (apart by wide gaps or after commas) gives one row each, and one still too wide one row per clause."""
    rows: list[tuple[str, str]] = []
    for line in lines:
        for piece in (p for p in re.split(r"(?<=,)\s{2,}|\s{3,}", line.strip()) if p):
            tex = unicode_math(piece.rstrip(".,"))
            if tex is None:
                rows.append(("code", piece))
            elif math_width(tex) > _DISPLAY_ROOM and ", " in tex:
                rows += [("math", p.strip()) for p in tex.split(", ") if p.strip()]
            else:
                rows.append(("math", tex))
    return rows


def _display(lines: list[str]) -> str:
    rows = [tex if kind == "math" else r"\text{" + _code(tex) + "}" for kind, tex in display_rows(lines)]
    return "\\begin{gather*}\n" + " \\\\\n".join(rows) + "\n\\end{gather*}"


def blocks(body: str) -> list[tuple[str, Any]]:
    """A correction's Markdown body as blocks: ``("text", paragraph)``, ``("items", [item, ...])`` or
    ``("display", [indented line, ...])`` (a paragraph may end in indented lines: a display after it)."""
    out: list[tuple[str, Any]] = []
    for block in re.split(r"\n\s*\n", body.strip()):
        lines = block.split("\n")
        if all(line.startswith("    ") for line in lines):
            out.append(("display", lines))
        elif lines[0].startswith("- "):
            items: list[str] = []
            for line in lines:
                if line.startswith("- "):
                    items.append(line[2:])
                else:
                    items[-1] += " " + line.strip()
            out.append(("items", items))
        else:
            text = [line.strip() for line in lines if not line.startswith("    ")]
            displays = [line for line in lines if line.startswith("    ")]
            out += [("text", " ".join(text))] + ([("display", displays)] if displays else [])
    return out


def _blocks(body: str) -> list[str]:
    """A Markdown body as LaTeX blocks: paragraphs, itemized lists, displays (indented lines)."""
    return [_display(content) if kind == "display" else _inline(content) if kind == "text" else
            "\\begin{itemize}\n" + "\n".join(rf"\item {_inline(i)}" for i in content) + "\n\\end{itemize}"
            for kind, content in blocks(body)]


def link_corrections(tex: str) -> str:
    """``C5`` in LaTeX text as a link to the appendix entry (only numbers that name an entry).

    >>> link_corrections("as correction C5 shows, C99 does not")
    'as correction \\\\hyperref[corr:C5]{C5} shows, C99 does not'
    """
    keys = set(corrections())
    return re.sub(r"(?<![\w\\{\[])(C\d{1,2})(?![\w}])",
                  lambda m: rf"\hyperref[corr:{m.group(1)}]{{{m.group(1)}}}" if m.group(1) in keys else m.group(1),
                  tex)


def appendix_latex() -> str:
    """The corrections as an appendix section: one labelled, unnumbered subsection per entry."""
    out = [r"\section{Corrections to the chapter}\label{sec:corrections}",
           "Where the chapter is wrong or leaves out a condition, rnnsym implements the corrected statement "
           "below; the derivations cite the entries by number (correction C3). The entries ship with rnnsym as "
           r"\texttt{rnnsym/corrections.md}."]
    for key, text in corrections().items():
        title, _, body = text.partition("\n")
        head = _inline(title.strip())
        out.append(rf"\subsection*{{{key}. {head}}}\phantomsection\label{{corr:{key}}}"
                   rf"\addcontentsline{{toc}}{{subsection}}{{{key}. {head}}}")
        out += [link_corrections(block) for block in _blocks(body)]
    # prose dense with formulas and code names: loose lines rather than lines into the margin
    return "{\\sloppy\n" + "\n\n".join(out) + "\n\\par}"
