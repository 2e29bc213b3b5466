"""Prose with inline math: a step's text, rendered for LaTeX, Markdown, HTML and the terminal.

A justification is plain text with inline math between ``$`` signs, in
LaTeX: ``"Multiply by $D_t W_h$, the Jacobian $\\partial h_t / \\partial h_{t-1}$."``
(``\\$`` is a literal dollar).  :func:`prose_latex` escapes the text and
keeps the math; :func:`prose_markdown` keeps ``$...$`` for MathJax/KaTeX;
:func:`prose_text` turns the math into readable Unicode (``D_t W_h``,
``∂h_t / ∂h_(t-1)``).

Math reaches TeX only through a whitelist: every control word must be one
of :data:`ALLOWED_COMMANDS` (Greek letters, relations, operators, fonts,
``\\frac``, ``\\sqrt``, ``\\operatorname``, ...), braces must balance, and
``#``, ``%``, ``&``, ``^^`` are refused.  A segment that fails is shown as
escaped text, never passed raw: ``$\\input{/etc/passwd}$`` prints as the
characters, not the file.

Examples
--------
>>> prose_latex("Multiply by $D_t W_h$ (50% of it).")
'Multiply by $D_t W_h$ (50\\\\% of it).'
>>> prose_text(r"Multiply by $D_t W_h$; $\\|J\\|_2 \\le q^{T-k}$.")
'Multiply by D_t W_h; ‖J‖_2 ≤ q^(T-k).'
>>> prose_latex(r"$\\input{/etc/passwd}$")
'\\\\$\\\\textbackslash{}input\\\\{/etc/passwd\\\\}\\\\$'
"""

from __future__ import annotations

import re

from rnnsym.errors import InvalidArgumentError
from rnnsym.latex import escape_text
from rnnsym.texwidth import LINE_WIDTH, math_width

__all__ = ["ALLOWED_COMMANDS", "breakable_math", "math_segments", "prose_latex", "prose_markdown", "prose_text",
           "reference_text", "safe_inline_math"]

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
          "varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi "
          "Pi Sigma Upsilon Phi Psi Omega").split()
_UNICODE_GREEK = dict(zip(_GREEK, "αβγδεεζηθϑικλμνξπϖρϱσςτυφφχψωΓΔΘΛΞΠΣΥΦΨΩ"))
_SYMBOLS = {"cdot": "·", "cdots": "⋯", "ldots": "…", "dots": "…", "times": "×", "le": "≤", "leq": "≤",
            "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "sim": "~", "propto": "∝",
            "to": "→", "leftarrow": "←", "mapsto": "↦", "Rightarrow": "⇒", "Leftrightarrow": "⇔",
            "infty": "∞",
            "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "∏", "int": "∫", "in": "∈", "notin": "∉",
            "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃",
            "circ": "∘", "odot": "⊙", "otimes": "⊗", "oplus": "⊕", "pm": "±", "mp": "∓", "top": "T",
            "dagger": "†", "langle": "⟨", "rangle": "⟩", "lvert": "|", "rvert": "|", "vert": "|", "lVert": "‖",
            "rVert": "‖", "Vert": "‖", "mid": "|", "ell": "ℓ", "star": "*", "ast": "*", "prime": "'", "quad": "  ",
            "qquad": "    ", "colon": ":", "setminus": "∖", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
            "rceil": "⌉", "Re": "Re", "Im": "Im"}
#: Relations and binary operators: a space on either side in plain text.
_SPACED = frozenset("cdot times le leq ge geq ne neq approx sim propto to leftarrow mapsto Rightarrow "
                    "Leftrightarrow in notin subset subseteq cup cap odot otimes oplus pm mp circ".split())
_NAMED = ("log ln exp sin cos tan tanh sinh cosh max min sup inf det dim ker arg lim").split()   # TeX's own
_WRAPPERS = ("operatorname mathrm mathbf mathit mathcal mathbb boldsymbol text hat tilde bar overline "
             "vec dot ddot left right big Big bigg Bigg frac tfrac dfrac sqrt displaystyle").split()
#: The control words inline math may use.
ALLOWED_COMMANDS = frozenset(_GREEK) | frozenset(_SYMBOLS) | frozenset(_NAMED) | frozenset(_WRAPPERS)
_CONTROL = re.compile(r"\\([A-Za-z]+|.)")
#: An inline formula wider than this share of the line is set as an unnumbered display in LaTeX: a
#: paragraph cannot wrap around it without a line running into the margin.
_DISPLAY_SHARE = 0.6


#: A number in scientific notation in running text, such as ``2.08e-05`` (not part of a word or a longer number).
_SCIENTIFIC = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([+-]?\d+)(?!\w|\.\d)")


def _power(match: re.Match[str]) -> str:
    mantissa, power = match.group(1), f"10^{{{int(match.group(2))}}}"
    return power if mantissa in ("1", "1.0") else f"{mantissa} \\times {power}"


def math_segments(text: str, numbers: bool = False) -> list[tuple[bool, str]]:
    """``text`` split into ``(is_math, piece)``; ``\\$`` is a literal dollar, an unclosed ``$`` is text.

    With ``numbers``, a number like ``2.08e-05`` in the text is a math piece of its own,
    ``2.08 \\times 10^{-5}`` (a typeset document; a terminal keeps ``2.08e-05``).

    >>> for piece in math_segments("error 2.08e-05 (bound 1e-6) at $t$", numbers=True):
    ...     print(piece)
    (False, 'error ')
    (True, '2.08 \\\\times 10^{-5}')
    (False, ' (bound ')
    (True, '10^{-6}')
    (False, ') at ')
    (True, 't')
    """
    if not isinstance(text, str):
        raise InvalidArgumentError(f"`text` must be a string; got {type(text).__name__}.")
    out: list[tuple[bool, str]] = []
    buf, math, i = "", False, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and text[i + 1:i + 2] == "$":
            buf += "\\$" if math else "$"
            i += 2
            continue
        if ch == "$":
            if buf or math:
                out.append((math, buf))
            buf, math = "", not math
        else:
            buf += ch
        i += 1
    if math:   # unclosed: the "$" and what follows are text
        out.append((False, "$" + buf))
    elif buf:
        out.append((False, buf))
    merged: list[tuple[bool, str]] = []
    for is_math, piece in out:
        if merged and not is_math and not merged[-1][0]:
            merged[-1] = (False, merged[-1][1] + piece)
        else:
            merged.append((is_math, piece))
    if not numbers:
        return merged
    split: list[tuple[bool, str]] = []
    for is_math, piece in merged:
        at = 0
        for match in ([] if is_math else _SCIENTIFIC.finditer(piece)):
            split += [(False, piece[at:match.start()])] if match.start() > at else []
            split.append((True, _power(match)))
            at = match.end()
        split += [(is_math, piece[at:])] if at < len(piece) or not piece else []
    return split


def safe_inline_math(tex: str) -> bool:
    """Whether ``tex`` may go to TeX as inline math (see the module docstring)."""
    if not tex.strip() or any(c in tex for c in "#%&$\n") or "^^" in tex or not tex.isprintable():
        return False
    depth = 0
    for c in tex:
        depth += (c == "{") - (c == "}")
        if depth < 0:
            return False
    if depth:
        return False
    for match in _CONTROL.finditer(tex):
        word = match.group(1)
        if word.isalpha() and word not in ALLOWED_COMMANDS:
            return False
        if not word.isalpha() and word not in "|{},;! ":
            return False
    return True


def breakable_math(tex: str) -> str:
    """Inline math that may also break after its top-level commas (TeX breaks only after relations and
    binary operators), so a list such as ``[[1/2, 2], [0, 1/2]]`` wraps instead of running into the margin.

    >>> breakable_math("(a, b) = f_{i,j}")
    '(a,\\\\allowbreak  b) = f_{i,j}'
    """
    if not isinstance(tex, str):
        raise InvalidArgumentError(f"`tex` must be a string; got {type(tex).__name__}.")
    out, depth = [], 0
    for k, ch in enumerate(tex):
        depth += (ch == "{") - (ch == "}")
        escaped = k > 0 and tex[k - 1] == "\\"
        out.append(",\\allowbreak " if ch == "," and depth == 0 and not escaped else ch)
    return "".join(out)


def prose_latex(text: str) -> str:
    """LaTeX text mode: text escaped, whitelisted math as ``$...$`` (breakable after top-level commas; one
    wider than 60% of the line as a display ``\\[ ... \\]``), other math shown as its characters."""
    parts = []
    segments = math_segments(text, numbers=True)
    for k, (is_math, piece) in enumerate(segments):
        if is_math and safe_inline_math(piece):
            if math_width(piece, "T") <= _DISPLAY_SHARE * LINE_WIDTH:
                parts.append(f"${breakable_math(piece)}$")
                continue
            after = segments[k + 1][1] if k + 1 < len(segments) else ""
            stop = after[0] if after[:1] in (",", ".", ";", ":") else ""   # the sentence's punctuation goes inside
            if stop:
                segments[k + 1] = (False, after[1:].lstrip())
            parts.append(f"\\[ {piece}{stop} \\]")
        else:
            parts.append(escape_text(f"${piece}$" if is_math else piece))
    return "".join(parts)


def prose_markdown(text: str) -> str:
    """Markdown: whitelisted math stays ``$...$`` (MathJax, KaTeX); other math becomes code."""
    parts = []
    for is_math, piece in math_segments(text, numbers=True):
        if is_math:
            parts.append(f"${piece}$" if safe_inline_math(piece) else f"`{piece.replace('`', '')}`")
        else:
            parts.append(piece.replace("$", "\\$"))
    return "".join(parts)


def _group(tex: str, start: int) -> tuple[str, int]:
    """The braced group at ``tex[start]`` (or one character): its content and the index after it."""
    if start >= len(tex):
        return "", start
    if tex[start] != "{":
        if tex[start] == "\\":
            match = _CONTROL.match(tex, start)
            assert match is not None
            return match.group(0), match.end()
        return tex[start], start + 1
    depth = 0
    for j in range(start, len(tex)):
        depth += (tex[j] == "{") - (tex[j] == "}")
        if depth == 0:
            return tex[start + 1:j], j + 1
    return tex[start + 1:], len(tex)


def _plain(tex: str) -> str:
    """Readable Unicode for inline TeX (best effort, for terminals)."""
    out, i = [], 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            match = _CONTROL.match(tex, i)
            assert match is not None
            word, i = match.group(1), match.end()
            if word.isalpha():   # TeX eats the spaces after a control word; text keeps one, as written
                gap = i < len(tex) and tex[i] == " "
                while i < len(tex) and tex[i] == " ":
                    i += 1
                if gap and word not in ("partial", "nabla", "left", "right", "big", "Big", "bigg", "Bigg",
                                        "displaystyle") and word not in _SPACED:
                    out.append(_UNICODE_GREEK.get(word) or _SYMBOLS.get(word) or word)
                    out.append(" ")
                    continue
            if word in _NAMED:   # cos, log, ...: set apart from the letters around them
                lead = " " if out and out[-1][-1:].isalnum() else ""
                trail = " " if i < len(tex) and (tex[i].isalpha() or tex[i] == "\\") else ""
                out.append(f"{lead}{word}{trail}")
                continue
            if word in ("frac", "tfrac", "dfrac"):
                top, i = _group(tex, i)
                bottom, i = _group(tex, i)
                out.append(f"{_wrapped(_plain(top))}/{_wrapped(_plain(bottom))}")
            elif word == "sqrt":
                inner, i = _group(tex, i)
                out.append(f"√({_plain(inner)})")
            elif word in ("operatorname", "mathrm", "mathbf", "mathit", "mathcal", "mathbb", "boldsymbol",
                          "text", "hat", "tilde", "bar", "overline", "vec", "dot", "ddot"):
                inner, i = _group(tex, i)
                out.append(_plain(inner))
            elif word in ("left", "right", "big", "Big", "bigg", "Bigg", "displaystyle"):
                continue
            elif word == "|":
                out.append("‖")
            elif word in "{},;! ":
                out.append({"{": "{", "}": "}", ",": " ", ";": " ", "!": "", " ": " "}[word])
            elif word in _SPACED:
                out.append(f" {_SYMBOLS[word]} ")
            else:
                out.append(_UNICODE_GREEK.get(word) or _SYMBOLS.get(word) or word)
        elif ch in "_^":
            inner, i = _group(tex, i + 1)
            shown = _plain(inner)
            out.append(ch + (shown if len(shown) <= 1 or shown.isalnum() and len(shown) <= 2 else f"({shown})"))
        elif ch in "{}":
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _wrapped(shown: str) -> str:
    return shown if shown.isalnum() else f"({shown})"


def prose_text(text: str) -> str:
    """Plain text for terminals: the math made readable, no ``$`` signs."""
    return "".join(re.sub(r"  +", " ", _plain(piece).strip()) if is_math else piece
                   for is_math, piece in math_segments(text))


def reference_text(reference: str) -> str:
    """A derivation's reference as a reader sees it: the chapter's numeric problem keys
    (``[@problem_id:3192120]``) say what they are; "beyond the chapter: X" is shown as X.

    >>> reference_text("3192120"), reference_text("beyond the chapter: Tallec and Ollivier (2018)")
    ('chapter problem 3192120', 'Tallec and Ollivier (2018)')
    """
    if reference.isdigit():
        return f"chapter problem {reference}"
    return reference.removeprefix("beyond the chapter: ")
