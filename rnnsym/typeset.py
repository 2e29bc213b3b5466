"""Displays that fit the page: long formulas broken, never shrunk.

:func:`display` typesets a relation chain (``a = b = c``, ``a \\le b``) as an
amsmath display at full size.  When the one-line form fits the line it is
an ``equation``; otherwise it becomes an ``align``:

* a side that is a sum or a product is broken between its terms or factors,
  inside parentheses too (a broken pair is set at one size, ``\\bigl(`` to
  ``\\Biggl(``, by the height of what it encloses), continuation lines
  indented and starting with their operator;
* a matrix too wide for the line is shown entry by entry,
  ``(J)_{i,j} = ...`` (zero entries together on one line);
* a piecewise side too wide for ``cases`` gets one line per piece with its
  condition;
* a part that cannot be broken (a fraction, a root, a power) and is still
  too wide is named: its widest sum or product inside becomes ``u_1``,
  defined below the display ("where ``u_1 = ...``"), every occurrence
  replaced, until every line fits.

Widths come from :func:`rnnsym.texwidth.math_width`, an estimate of what
``pdflatex`` sets.  The display keeps its number (``tag``) and ``label``.

Examples
--------
>>> import sympy as sp
>>> x = sp.symbols("x_0:30")
>>> print(display([sp.Symbol("y"), sp.Add(*x[:3])], ["="]))
\\begin{equation*}
y = x_{0} + x_{1} + x_{2}
\\end{equation*}
>>> "\\\\begin{align*}" in display([sp.Symbol("y"), sp.Add(*[a**2 for a in x])], ["="])
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence, Union

import sympy as sp
from sympy.core.function import AppliedUndef

from rnnsym.errors import InvalidArgumentError
from rnnsym.latex import _Printer
from rnnsym.texwidth import LINE_WIDTH, math_height, math_width

__all__ = ["LINE_WIDTH", "chain", "display", "fits", "label_key"]

#: Share of the line a one-line display may fill by the estimate (the estimate runs up to 4% low).
_FIT = 0.95
#: Share of the line the first line of a broken display may fill (room for the equation number); the
#: other lines may fill :data:`_FIT` of it.
_ROW = 0.86
_MAX_NAMES = 24
_NAME_LETTERS = ("u", "v", "w", "s", "p", "g")
_CONTINUE = r"\quad"
_OWN = {sp.Eq: "=", sp.Ne: r"\neq", sp.StrictLessThan: "<", sp.StrictGreaterThan: ">", sp.LessThan: r"\leq",
        sp.GreaterThan: r"\geq"}


class _Naming(_Printer):
    """rnnsym's printer, with the "where" names of one display."""

    def __init__(self, names: dict[sp.Basic, str]) -> None:
        super().__init__({})
        self.names = names
        self.printed: dict[sp.Basic, str] = {}   # a display prints each subexpression again at every level

    def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
        return self.names[expr] if expr in self.names else super()._print_Symbol(expr, style)

    _print_Dummy = _print_Symbol

    def doprint(self, expr: Any) -> str:
        if not isinstance(expr, sp.Basic):   # a mutable matrix: no key
            return _display_cases(super().doprint(expr))
        if expr not in self.printed:   # names are only added for new symbols, so what is printed stays right
            self.printed[expr] = _display_cases(super().doprint(expr))
        return self.printed[expr]


#: Environments whose cells amsmath sets in text style.
_CELLS = re.compile(r"\\(begin|end)\{(cases|matrix|pmatrix|bmatrix)\}")


def _display_cases(tex: str) -> str:
    """Fractions directly in a ``cases`` or matrix cell at display size (``\\dfrac``): these environments set
    their cells in text style, which would print a piecewise result's fractions, or a matrix entry's, with
    numerator and denominator at script size (a matrix so widened is then shown entry by entry)."""
    if not _CELLS.search(tex):
        return tex
    out: list[str] = []
    opened: list[int] = []
    depth, i = 0, 0
    while i < len(tex):
        cell = _CELLS.match(tex, i)
        if cell is not None:
            if cell.group(1) == "begin":
                opened.append(depth)   # the brace depth of the cells
            elif opened:
                opened.pop()
            out.append(cell.group(0))
            i = cell.end()
        elif tex.startswith("\\frac{", i) and opened and opened[-1] == depth:
            out.append("\\dfrac")
            i += 5
        elif tex[i] == "\\":
            out.append(tex[i:i + 2])
            i += 2
        else:
            depth += (tex[i] == "{") - (tex[i] == "}")
            out.append(tex[i])
            i += 1
    return "".join(out)


@dataclass
class _Text:
    tex: str
    expr: Any = None   # what it prints: where it overflows, a part of it is named


@dataclass
class _Seq:
    parts: list[_Doc]


@dataclass
class _Group:
    items: list[_Doc]
    open: str = ""
    close: str = ""
    joint: str = ""   # what starts a continuation line inside the group (the product sign)


_Doc = Union[_Text, _Seq, _Group]


def _flat(doc: _Doc) -> str:
    if isinstance(doc, _Text):
        return doc.tex
    if isinstance(doc, _Seq):
        return " ".join(_flat(p) for p in doc.parts if _flat(p))
    return " ".join(x for x in (doc.open, *(_flat(i) for i in doc.items), doc.close) if x)


def _call(args: Sequence[Any], tex: str, pr: _Naming) -> _Doc | None:
    """``\\name{\\left(args \\right)}`` as a name and a breakable argument list, where it prints so."""
    inner = ", ".join(pr._print(a) for a in args)
    suffix = r"{\left(" + inner + r" \right)}"
    if not tex.endswith(suffix):
        return None
    items: list[_Doc] = [_Seq([_doc(a, pr), _Text(",")]) for a in args[:-1]] + [_doc(args[-1], pr)]
    return _Seq([_Text(tex[:-len(suffix)]), _Group(items, r"\left(", r"\right)")])


def _doc(expr: Any, pr: _Naming) -> _Doc:
    """``expr`` as a document: groups where a line may break, text where it may not."""
    tex = pr.doprint(expr)
    if isinstance(expr, sp.Add):
        items: list[_Doc] = []
        for i, term in enumerate(pr._as_ordered_terms(expr)):
            sign = ""
            if i and term.could_extract_minus_sign():
                sign, term = "- ", -term
            elif i:
                sign = "+ "
            inner = _doc(term, pr)
            if pr._needs_add_brackets(term):
                inner = _Group([inner], r"\left(", r"\right)")
            items.append(_Seq([_Text(sign), inner]) if sign else inner)
        return _Group(items)
    if isinstance(expr, sp.Mul):
        args = expr.args
        if args[0] is sp.S.One or any(isinstance(a, sp.Number) for a in args[1:]):
            return _Text(tex, expr)
        if expr.could_extract_minus_sign() and tex.startswith("- ") and not tex.startswith(r"- \frac"):
            rest = -expr
            inner = _doc(rest, pr)
            if rest.is_Add:
                inner = _Group([inner], r"\left(", r"\right)")
            return _Seq([_Text("-"), inner])
        numer, denom = sp.fraction(expr, exact=True)
        if denom is sp.S.One and sp.Pow(1, -1, evaluate=False) not in args:
            factors = expr.as_ordered_factors()
            docs: list[_Doc] = []
            for i, f in enumerate(factors):
                d = _doc(f, pr)
                if pr._needs_mul_brackets(f, first=i == 0, last=i == len(factors) - 1):
                    d = _Group([d], r"\left(", r"\right)")
                docs.append(d)
            if re.sub(r"[\s{}]", "", _flat(_Group(docs))) == re.sub(r"[\s{}]", "", tex):   # as SymPy prints it
                return _Group(docs, joint=r"\times")
        return _Text(tex, expr)
    if isinstance(expr, (AppliedUndef, sp.Function)) and expr.args:
        return _call(expr.args, tex, pr) or _Text(tex, expr)
    if isinstance(expr, sp.Pow) and isinstance(expr.base, sp.Function) and expr.base.args:
        return _call(expr.base.args, tex, pr) or _Text(tex, expr)
    if isinstance(expr, sp.Pow) and expr.base.is_Add:
        prefix = r"\left(" + pr._print(expr.base) + r"\right)"
        if tex.startswith(prefix):
            return _Group([_doc(expr.base, pr)], r"\left(", r"\right)" + tex[len(prefix):])
    if isinstance(expr, (sp.FiniteSet, sp.Tuple)) and len(expr.args) > 1:
        elements = sorted(expr.args, key=sp.default_sort_key) if isinstance(expr, sp.FiniteSet) else expr.args
        opener, closer = (r"\left\{", r"\right\}") if isinstance(expr, sp.FiniteSet) else (r"\left(", r"\right)")
        if tex.startswith(opener):
            items = [_Seq([_doc(e, pr), _Text(",")]) for e in elements[:-1]] + [_doc(elements[-1], pr)]
            return _Group(items, opener, closer)
    return _Text(tex, expr)


@dataclass
class _Filler:
    """Fills the lines of one row's right-hand column, breaking groups where the next item does not fit."""

    room: float
    first: float | None = None   # the room on the first line, where it differs (the equation number's line)
    lines: list[str] = field(default_factory=lambda: [""])
    start: int = 0     # length of the current line's prefix (nothing placed after it yet)
    over: list[Any] = field(default_factory=list)

    def fits(self, tex: str) -> bool:
        return math_width(f"{self.lines[-1]} {tex}") <= self.here()

    def here(self) -> float:
        return self.first if self.first is not None and len(self.lines) == 1 else self.room

    def put(self, tex: str) -> None:
        if tex:
            self.lines[-1] = f"{self.lines[-1]} {tex}".strip()

    def fresh(self) -> bool:
        return len(self.lines[-1]) <= self.start

    def newline(self, joint: str = "") -> None:
        prefix = " ".join([_CONTINUE, "{}", joint]).strip()
        self.lines.append(prefix)
        self.start = len(prefix)

    def place(self, doc: _Doc) -> None:
        flat = _flat(doc)
        if self.fits(flat):
            self.put(flat)
            return
        if isinstance(doc, _Text):
            self.put(flat)
            if math_width(self.lines[-1]) > self.here() and doc.expr is not None:
                self.over.append(doc.expr)
            return
        if isinstance(doc, _Seq):
            for part in doc.parts:
                self.place(part)
            return
        opener, closer = doc.open, doc.close
        if opener.startswith(r"\left") and closer.startswith(r"\right"):   # it breaks: delimiters of one size
            inner = math_height(" ".join(_flat(i) for i in doc.items))
            size = r"\big" if inner <= 14 else r"\Big" if inner <= 20 else r"\bigg" if inner <= 28 else r"\Bigg"
            opener, closer = f"{size}l{opener[5:]}", f"{size}r{closer[6:]}"
        self.put(opener)
        for i, item in enumerate(doc.items):
            if i and not self.fresh() and not self.fits(_flat(item)):
                self.newline(doc.joint)
            self.place(item)
        self.put(closer)


def chain(statement: Any, relation: str | None = None) -> tuple[list[Any], list[str]]:
    """The sides of a relation chain and the TeX of the relations between them.

    ``Eq(a, Eq(b, c))`` is ``[a, b, c]`` with ``["=", "="]``; ``relation``
    (TeX) replaces the outer relation; anything that is no relation is one
    side with no relation.

    >>> a, b, c = sp.symbols("a b c")
    >>> chain(sp.Eq(a, sp.Eq(b, c, evaluate=False), evaluate=False), r"\\le")
    ([a, b, c], ['\\\\le', '='])
    """
    own = _OWN.get(type(statement))
    if own is None:
        return [statement], []
    sides, rels = chain(statement.rhs)
    return [statement.lhs, *sides], [relation or own, *rels]


def label_key(name: str) -> str:
    """``name`` as a key for ``\\label`` and ``\\ref``: letters, digits, ``-`` and ``_`` only.

    >>> label_key("fixed_points"), label_key("a{b}c")
    ('fixed_points', 'a-b-c')
    """
    if not isinstance(name, str):
        raise InvalidArgumentError(f"`name` must be a string; got {type(name).__name__}.")
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)[:80] or "-"


def fits(tex: str, width: float = LINE_WIDTH) -> bool:
    """Whether display math ``tex`` fits a line of ``width`` points by the estimate (with its safety margin)."""
    return math_width(tex) <= _FIT * width


def _is_matrix(obj: Any) -> bool:
    return isinstance(obj, sp.MatrixBase) and obj.shape != (1, 1)


def _entry_name(lhs_tex: str, shape: tuple[int, int], i: int, j: int) -> str:
    index = f"{i}" if shape[1] == 1 else f"{j}" if shape[0] == 1 else f"{i},{j}"
    plain = re.fullmatch(r"\\?[A-Za-z]+", lhs_tex)
    return f"{lhs_tex}_{{{index}}}" if plain else rf"\left({lhs_tex}\right)_{{{index}}}"


@dataclass
class _Row:
    left: str
    rel: str
    doc: _Doc | None
    extra: _Doc | None = None   # text after the side (a piece's condition)


def _rows(sides: list[Any], rels: list[str], pr: _Naming, room: float) -> list[_Row]:
    """The rows of a broken chain: one per relation, matrices by entries, piecewise sides by pieces."""
    lhs = sides[0]
    lhs_tex = pr.doprint(lhs) if sides and rels else ""
    rows: list[_Row] = []
    entries: list[_Row] = []
    for k, (rel, side) in enumerate(zip(rels, sides[1:])):
        left = lhs_tex if not rows else ""
        line = f"{rel} {pr.doprint(side)}"
        if _is_matrix(side) and math_width(line) > room:
            entries += _entry_rows(lhs, lhs_tex, rel, side, pr)
            continue
        if isinstance(side, sp.Piecewise) and math_width(line) > room:
            for expr, cond in side.args:
                note = r"\quad \text{otherwise}" if cond == sp.true else rf"\quad \text{{for }} {pr.doprint(cond)}"
                rows.append(_Row(lhs_tex, rel, _doc(expr, pr), _Text(note)))
            continue
        rows.append(_Row(left, rel, _doc(side, pr)))
    if not rels:   # no relation: the expression alone
        side = sides[0]
        if _is_matrix(side) and math_width(pr.doprint(side)) > room:
            return _entry_rows(None, r"[\,\cdot\,]", "=", side, pr)
        return [_Row("", "", _doc(side, pr))]
    return rows + entries


def _entry_rows(lhs: Any, lhs_tex: str, rel: str, matrix: Any, pr: _Naming) -> list[_Row]:
    shape = matrix.shape
    rows, zeros = [], []
    for i in range(shape[0]):
        for j in range(shape[1]):
            if _is_matrix(lhs) and lhs.shape == shape:
                name = pr.doprint(lhs[i, j])
            else:
                name = _entry_name(lhs_tex, shape, i, j)
            if matrix[i, j] == 0:
                zeros.append(name)
            else:
                rows.append(_Row(name, rel, _doc(matrix[i, j], pr)))
    if zeros:
        items: list[_Doc] = [*(_Text(f"= {z}") for z in zeros[1:]), _Text(f"{rel} 0")]
        rows.append(_Row(zeros[0], "", _Group(items)))
    return rows


def _children(expr: Any) -> list[Any]:
    if isinstance(expr, sp.Piecewise):
        return [pair.args[0] for pair in expr.args]
    if isinstance(expr, sp.MatrixBase):
        return list(expr)
    return [a for a in getattr(expr, "args", ()) if isinstance(a, sp.Basic)]


def _candidate(expr: Any, pr: _Naming) -> Any:
    """What to name inside ``expr``, which is too wide and cannot break: along the path of widest parts,
    the first sum or piecewise (else the first product) below ``expr``."""
    node, product = expr, None
    for _ in range(64):
        kids = [k for k in _children(node) if not k.is_Atom and k.free_symbols]
        if not kids:
            return product
        node = max(kids, key=lambda k: math_width(pr.doprint(k)))
        if isinstance(node, (sp.Add, sp.Piecewise)):
            return node
        if product is None and isinstance(node, sp.Mul) and sp.fraction(node, exact=True)[1] == 1:
            product = node
    return product


def _letter(tex: str) -> str:
    for letter in _NAME_LETTERS:
        if not re.search(rf"(?<![\\A-Za-z]){letter}(?![A-Za-z])", tex):
            return letter
    return r"\xi"


def _fill(row: _Row, room: float, first: float | None = None) -> tuple[list[str], list[Any]]:
    filler = _Filler(room, first)
    filler.put(row.rel)
    filler.start = len(filler.lines[-1])
    if row.doc is not None:
        filler.place(_Group([row.doc, row.extra]) if row.extra is not None else row.doc)
    return filler.lines, filler.over


def _balanced(row: _Row, room: float, first: float | None = None) -> tuple[list[str], list[Any]]:
    """:func:`_fill` into the narrowest room (to 1/8 of a point, down to half) that takes as many lines as
    ``room`` does: the same number of lines, of even length, not a full line and a stub."""
    best = _fill(row, room, first)
    if best[1] or len(best[0]) < 2:
        return best
    lo, hi = room / 2, room
    while hi - lo > 0.125:
        mid = (lo + hi) / 2
        trial = _fill(row, mid, None if first is None else first - (room - mid))
        if not trial[1] and len(trial[0]) == len(best[0]):
            best, hi = trial, mid   # the narrowest room that still takes as many lines so far
        else:
            lo = mid
    return best


def _swap(obj: Any, old: Any, new: Any) -> Any:
    return obj.xreplace({old: new}) if isinstance(obj, (sp.Basic, sp.MatrixBase)) else obj


def display(sides: Sequence[Any], relations: Sequence[str], *, tag: str | None = None, label: str | None = None,
            one_line: str | None = None, width: float = LINE_WIDTH) -> str:
    """An amsmath display of the chain ``sides[0] relations[0] sides[1] ...`` that fits ``width`` points.

    ``one_line`` is the chain's one-line LaTeX, when the caller has it (it is
    used as is where it fits).  ``tag`` numbers the display (``\\tag``), and
    ``label`` labels it; without a tag the display is unnumbered.
    """
    sides, relations = list(sides), list(relations)
    if not sides or len(relations) not in (0, len(sides) - 1):
        raise InvalidArgumentError(f"`relations` must have one entry fewer than `sides` (or none); got "
                                   f"{len(sides)} sides and {len(relations)} relations.")
    names: dict[sp.Basic, str] = {}
    pr = _Naming(names)
    if one_line is None:
        one_line = " ".join([pr.doprint(sides[0])] + [f"{r} {pr.doprint(s)}" for r, s in zip(relations, sides[1:])])
    one_line = _display_cases(one_line)
    number = "" if tag is None else rf" \tag{{{tag}}}" + ("" if label is None else rf"\label{{{label}}}")
    if fits(one_line, width):
        env = "equation" if tag is not None else "equation*"
        return f"\\begin{{{env}}}\n{one_line}{number}\n\\end{{{env}}}"
    letter = _letter(one_line)
    defs: list[tuple[Any, Any]] = []   # (name symbol, what it names), in the order they were made
    room = _ROW * width
    for _ in range(_MAX_NAMES + 1):
        rows = _rows(sides, relations, pr, room)
        rows += [_Row(names[sym], "=", _doc(expr, pr)) for sym, expr in defs]
        left = max((math_width(r.left) for r in rows), default=0.0)
        filled = [_balanced(r, _FIT * width - left, room - left if k == 0 else None) for k, r in enumerate(rows)]
        over = [e for _, o in filled for e in o]
        if not over or len(defs) >= _MAX_NAMES:
            break
        target = _candidate(max(over, key=lambda e: math_width(pr.doprint(e))), pr)
        if target is None:
            break
        sym = sp.Dummy(f"where{len(defs) + 1}")
        names[sym] = f"{letter}_{{{len(defs) + 1}}}"
        sides = [_swap(s, target, sym) for s in sides]
        defs = [(s, _swap(e, target, sym)) for s, e in defs] + [(sym, target)]
    out = []
    n_main = len(rows) - len(defs)
    for k, (row, (lines, _)) in enumerate(zip(rows, filled)):
        for m, line in enumerate(lines):
            head = row.left if m == 0 else ""
            mark = number if (k, m) == (0, 0) and tag is not None else r" \notag" if tag is not None else ""
            where = "\\intertext{where}\n" if (k, m) == (n_main, 0) and defs else ""
            out.append(f"{where}{head} & {line}{mark}".strip())
    env = "align" if tag is not None else "align*"
    body = " \\\\\n".join(out)
    return f"\\begin{{{env}}}\n{body}\n\\end{{{env}}}"
