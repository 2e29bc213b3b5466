"""A worked result: ordered steps, the result, its assumptions and its checks.

A :class:`Derivation` is what every module in ``derivations/`` builds.  It
renders as LaTeX (a fragment or a standalone document), Markdown and JSON
(the stable schema in DESIGN.md), compiles its result into a
:class:`~rnnsym.kernel.Kernel`, and verifies the result against numeric
simulation through its verifier.

Examples
--------
>>> import sympy as sp
>>> from rnnsym.derivation import Derivation, Step
>>> x = sp.Symbol("x")
>>> d = Derivation(name="square", title="A square", reference="none",
...               steps=[Step(sp.Eq(sp.Symbol("y"), x * x), "by definition")],
...               result=x**2, kernel_args=[x])
>>> d.kernel(3.0)
np.float64(9.0)
>>> d.subs({"x": 2}).result
4
"""

from __future__ import annotations

import graphlib
import json
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

import sympy as sp

from rnnsym.errors import InvalidArgumentError, ShapeError
from rnnsym.kernel import Kernel, compile as compile_kernel
from rnnsym._matrices import as_expr, as_matrix
from rnnsym._parse import check_construction
from rnnsym.latex import escape_text, latex, standalone_document
from rnnsym.prose import prose_latex, prose_markdown, prose_text, reference_text
from rnnsym.typeset import chain, display, label_key
from rnnsym.errors import DomainError

__all__ = ["Step", "Derivation"]

_NUMERIC_FORMS: dict[tuple[Any, Any], Any] = {}


#: The relations a step may state, and how LaTeX writes each.
RELATIONS = {"=": "=", "≠": r"\ne", "<": "<", ">": ">", "≤": r"\le", "≥": r"\ge", "≈": r"\approx",
             "⇒": r"\Rightarrow", "∝": r"\propto", "∈": r"\in"}
_OWN_RELATION = {sp.Eq: "=", sp.Ne: "≠", sp.StrictLessThan: "<", sp.StrictGreaterThan: ">",
                 sp.LessThan: "≤", sp.GreaterThan: "≥"}


@dataclass(frozen=True)
class Step:
    """One line of a derivation: a statement, a one-line justification and the relation it states.

    ``justification`` is prose with inline math between ``$`` signs
    (:mod:`rnnsym.prose`).  ``relation`` is data (its own key in the JSON):
    one of :data:`RELATIONS`; by default the statement's own (``Eq`` is
    ``=``, ``Le`` is ``≤``, ...; None for an expression that is no
    relation).  A different ``relation`` for a two-sided statement is how it
    is displayed: ``Step(Eq(a, b), "...", relation="≤")`` shows ``a ≤ b``.

    >>> a, b = sp.symbols("a b")
    >>> Step(sp.Eq(a, b), "By definition.").relation
    '='
    >>> print(Step(sp.Eq(a, b), "A bound.", relation="≤").latex())
    a \\le b
    """

    statement: Any
    justification: str
    relation: str | None = None

    def __post_init__(self) -> None:
        _check_symbolic(self.statement, "statement")
        if not isinstance(self.justification, str):
            raise InvalidArgumentError(f"`justification` must be a string; got {type(self.justification).__name__}.")
        if self.relation is None:
            object.__setattr__(self, "relation", _OWN_RELATION.get(type(self.statement)))
        elif not isinstance(self.relation, str) or self.relation not in RELATIONS:
            raise InvalidArgumentError(f"`relation` must be one of {' '.join(RELATIONS)}; got {str(self.relation)[:20]!r}.")
        elif not isinstance(self.statement, sp.core.relational.Relational):
            raise InvalidArgumentError(f"`relation` {self.relation!r} needs a two-sided statement (Eq, Le, ...); "
                                       f"got {type(self.statement).__name__}.")

    def latex(self) -> str:
        """The statement as LaTeX, with the step's relation between its sides."""
        own = _OWN_RELATION.get(type(self.statement))
        if self.relation is None or self.relation == own:
            return latex(self.statement)
        return f"{latex(self.statement.lhs)} {RELATIONS[self.relation]} {latex(self.statement.rhs)}"

    def text(self) -> str:
        """The statement as plain text, with the step's relation."""
        own = _OWN_RELATION.get(type(self.statement))
        if self.relation is None or self.relation == own:
            return sp.sstr(self.statement)
        return f"{sp.sstr(self.statement.lhs)} {self.relation} {sp.sstr(self.statement.rhs)}"

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.latex()}$"

    def subs(self, mapping: Mapping[sp.Symbol, Any]) -> Step:
        """Substitute ``mapping`` (SymPy symbols -> numbers, SymPy expressions or matrices).

        Values are converted without ``sympify`` (strings and containers are refused).
        """
        if not isinstance(mapping, Mapping):
            raise InvalidArgumentError(f"`mapping` must map SymPy symbols to values; got {type(mapping).__name__}.")
        converted = {}
        for key, value in mapping.items():
            if not isinstance(key, sp.Basic):
                raise InvalidArgumentError(
                    f"`mapping` keys must be SymPy symbols; got {type(key).__name__} {str(key)[:40]!r}.")
            converted[key] = _value(value, str(key))
        statement = _subs(self.statement, converted)
        keep = self.relation if isinstance(statement, sp.core.relational.Relational) else None
        return Step(statement, self.justification, keep)


def _value(value: Any, name: str, names: Mapping[str, sp.Basic] | None = None) -> Any:
    """A value to substitute: a matrix (for a matrix symbol) or a scalar, never sympified.

    Strings are parsed by rnnsym's whitelist grammar over ``names`` where
    ``names`` is given (derivation parameters are documented as text), else refused.
    """
    if isinstance(value, sp.MatrixBase):
        return as_matrix(value, name)
    return as_expr(value, name, names=names, parse=names is not None)


def _subs(obj: Any, mapping: Mapping[sp.Symbol, Any]) -> Any:
    """Substitute in a statement; relations stay unevaluated (they are displayed).

    Only free occurrences are replaced: the variable of a sum, integral,
    product or limit keeps its name inside it (``omega -> pi`` leaves
    ``Integral(f(omega), (omega, -pi, pi))`` alone), and a derivative with
    respect to a substituted variable becomes ``Subs(Derivative(...), omega, pi)``.
    """
    if not mapping:
        return obj
    if isinstance(obj, sp.core.relational.Relational):
        return obj.func(_subs(obj.lhs, mapping), _subs(obj.rhs, mapping), evaluate=False)
    if isinstance(obj, sp.MatrixBase):
        return sp.ImmutableMatrix(obj.applyfunc(lambda e: _replace_free(e, mapping)))
    if isinstance(obj, sp.Basic):
        return _replace_free(obj, mapping)
    return obj


def _bound_here(node: sp.Basic) -> set[sp.Symbol]:
    """The symbols ``node`` itself binds (summation, integration, limit, differentiation variables)."""
    if isinstance(node, sp.Derivative):
        return {v for v in node.variables if isinstance(v, sp.Symbol)}
    if isinstance(node, sp.Limit):
        return {node.args[1]} if isinstance(node.args[1], sp.Symbol) else set()
    bound = {v for v in getattr(node, "bound_symbols", ()) if isinstance(v, sp.Symbol)}
    if not (type(node).__module__ or "sympy.").startswith("sympy."):   # None: an undefined function
        # a binder defined outside SymPy (rnnsym.gradients.OrderedProduct): free in its parts, not in it
        inside = set().union(*(getattr(arg, "free_symbols", set()) for arg in node.args))
        bound |= {s for s in inside - node.free_symbols if isinstance(s, sp.Symbol)}
    return bound


def _replace_free(node: Any, mapping: Mapping[sp.Symbol, Any]) -> Any:
    """``xreplace`` of symbols that leaves bound occurrences alone (see :func:`_subs`)."""
    if not mapping or not isinstance(node, sp.Basic):
        return node
    if node in mapping:   # symbols, and matrix symbols as xreplace would
        return mapping[node]
    if node.is_Atom:
        return node
    if isinstance(node, sp.MatrixBase):
        return sp.ImmutableMatrix(node.applyfunc(lambda e: _replace_free(e, mapping)))
    hit = [s for s in _bound_here(node) if s in mapping]
    if hit:
        rest = {k: v for k, v in mapping.items() if k not in hit}
        inner = _replace_free(node, rest)
        if isinstance(node, sp.Derivative):   # the derivative evaluated at the value
            return sp.Subs(inner, tuple(hit), tuple(mapping[s] for s in hit))
        return inner
    args = [_replace_free(arg, mapping) for arg in node.args]
    if all(new is old for new, old in zip(args, node.args)):
        return node
    check_construction(node.func, tuple(args), _names(mapping))   # bounded before SymPy evaluates
    return node.func(*args)


#: Symbol assumptions a substituted value must not contradict, and how to say them.
_SYMBOL_FACTS = (("positive", "positive"), ("nonnegative", "nonnegative"), ("negative", "negative"),
                 ("integer", "an integer"), ("real", "real"))


def _check_symbol_assumptions(name: str, sym: Any, value: Any) -> None:
    """Refuse a value its symbol's assumptions rule out (``tau=-1/2`` for a positive ``tau``)."""
    if not isinstance(value, sp.Basic) or isinstance(value, sp.MatrixBase) or not isinstance(sym, sp.Symbol):
        return
    for fact, words in _SYMBOL_FACTS:
        if sym.assumptions0.get(fact) and getattr(value, f"is_{fact}") is False:
            raise DomainError(f"`{sym}` is {words} in derivation `{name}`; got {str(value)[:40]}.")


def _names(mapping: Mapping[sp.Symbol, Any]) -> str:
    return ", ".join(str(k) for k in list(mapping)[:4]) + (", ..." if len(mapping) > 4 else "")


def _resolved(mapping: dict[sp.Symbol, Any]) -> dict[sp.Symbol, Any]:
    """Values that use other substituted symbols get theirs (``rho=(tau+1)**2, tau=1``: rho = 4).

    Values are resolved in dependency order, each node size-checked as it is
    rebuilt; a cycle (``a=b, b=a``) is refused.  A value may use its own
    symbol (``t=t+1`` shifts ``t``).
    """
    depends = {k: {s for s in getattr(v, "free_symbols", ()) if s in mapping and s != k}
               for k, v in mapping.items()}
    try:
        order = list(graphlib.TopologicalSorter(depends).static_order())
    except graphlib.CycleError:
        raise InvalidArgumentError(f"the values of {_names(mapping)} refer to each other in a cycle; "
                                   "give each a value that does not depend on the others.") from None
    done: dict[sp.Symbol, Any] = {}
    for k in order:
        used = {s: done[s] for s in depends[k]}
        done[k] = _subs(mapping[k], used) if used else mapping[k]
    return {k: done[k] for k in mapping}


#: What a symbol bound by each kind of node is called in messages.
_BINDER_KINDS = (("Sum", "summation"), ("Integral", "integration"), ("Product", "product"),
                 ("Limit", "limit"), ("Derivative", "differentiation"), ("Lambda", "function argument"),
                 ("Subs", "substitution"))


def _binder_kind(node: sp.Basic) -> str:
    for cls in type(node).__mro__:
        for name, kind in _BINDER_KINDS:
            if cls.__name__.endswith(name):
                return kind
    return "bound"


def _bound_variables(obj: Any, found: dict[sp.Symbol, str]) -> None:
    """Collect every symbol bound somewhere in ``obj`` (symbol -> kind of binder), first kind wins."""
    if isinstance(obj, sp.MatrixBase):
        for e in obj:
            _bound_variables(e, found)
        return
    if not isinstance(obj, sp.Basic) or obj.is_Atom:
        return
    for s in _bound_here(obj):
        found.setdefault(s, _binder_kind(obj))
    for arg in obj.args:
        _bound_variables(arg, found)


def _check_symbolic(value: Any, name: str, depth: int = 0) -> None:
    """Raise unless ``value`` is SymPy objects and numbers, possibly in (nested) lists and tuples.

    Strings, dicts, sets and other objects are refused: SymPy would evaluate a
    string in them when the derivation is rendered or substituted.
    """
    if isinstance(value, (sp.Basic, sp.MatrixBase, bool, numbers.Number)):
        return
    if isinstance(value, (list, tuple)) and depth < 8:
        for item in value:
            _check_symbolic(item, name, depth + 1)
        return
    raise InvalidArgumentError(
        f"`{name}` must hold SymPy expressions, matrices or numbers; got {type(value).__name__} "
        f"{str(value)[:40]!r}."
    )


def _free_symbols(obj: Any) -> set[sp.Symbol]:
    return set(getattr(obj, "free_symbols", set()))


@dataclass(frozen=True)
class Derivation:
    """One derived, checkable result.

    Parameters
    ----------
    name, title, reference : str
        Registry name, human title, chapter reference.
    steps : sequence of Step
        The worked solution, in order; the last states the result.
    result : sympy expression or matrix
        What the derivation proves.
    assumptions : sequence of sympy relations
        Domain conditions under which ``result`` holds.
    symbols : dict
        Symbol name -> description.
    kernel_args : sequence
        Argument order of :attr:`kernel` (symbols or matrices of symbols).
    verifier : callable, optional
        ``verifier(derivation, max_examples=..., seed=...) -> VerificationReport``.
    parameters : dict
        Values already substituted (symbol -> value).
    context : dict
        Objects the verifier needs (for example the model).
    result_label : sympy expression, optional
        The left-hand side the result is displayed under.
    numeric_form : callable, optional
        Maps the result to an equal expression that evaluates more accurately
        in floating point; :attr:`kernel` compiles that.
    section : str
        The chapter's section the result belongs to (its heading, as in
        ``DerivationInfo.section``).
    compact : sympy expression or matrix, optional
        The result in the chapter's compact form (``D_t W_h``, an ordered
        product), displayed before the expanded result.
    """

    name: str
    title: str
    reference: str
    steps: Sequence[Step]
    result: Any
    assumptions: Sequence[Any] = ()
    symbols: Mapping[str, str] = field(default_factory=dict)
    kernel_args: Sequence[Any] = ()
    verifier: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    parameters: Mapping[sp.Symbol, Any] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    result_label: Any = None
    numeric_form: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)
    section: str = ""
    compact: Any = None

    def __post_init__(self) -> None:
        """Refuse fields that SymPy would evaluate when rendering (strings, dicts, sets)."""
        for label in ("name", "title", "reference", "section"):
            if not isinstance(getattr(self, label), str):
                raise InvalidArgumentError(f"`{label}` must be a string; got {type(getattr(self, label)).__name__}.")
        if not all(isinstance(step, Step) for step in self.steps):
            raise InvalidArgumentError("`steps` must be a sequence of Step objects.")
        _check_symbolic(self.result, "result")
        _check_symbolic(list(self.assumptions), "assumptions")
        _check_symbolic(list(self.kernel_args), "kernel_args")
        if self.result_label is not None:
            _check_symbolic(self.result_label, "result_label")
        if self.compact is not None:
            _check_symbolic(self.compact, "compact")
        if not isinstance(self.parameters, Mapping) or not isinstance(self.symbols, Mapping):
            raise InvalidArgumentError("`parameters` and `symbols` must be mappings.")
        for key, value in self.parameters.items():
            if not isinstance(key, sp.Basic):
                raise InvalidArgumentError(f"`parameters` keys must be SymPy symbols; got {type(key).__name__}.")
            _check_symbolic(value, f"parameters[{key}]")

    # -- kernels --------------------------------------------------------------
    @property
    def kernel(self) -> Kernel:
        """The result compiled over :attr:`kernel_args` (cached by the compiler)."""
        args = [a for a in self.kernel_args if not _is_fixed(a, self.parameters)]
        return compile_kernel(self._numeric_result(), args, assumptions=self.assumptions_for_kernel())

    def _numeric_result(self) -> Any:
        """The result in the form the kernel evaluates (see ``numeric_form``)."""
        if self.numeric_form is None:
            return self.result
        key = (self.numeric_form, self.result)
        if key not in _NUMERIC_FORMS:  # rewriting can be costly (series, simplify)
            _NUMERIC_FORMS[key] = self.numeric_form(self.result)
        return _NUMERIC_FORMS[key]

    def assumptions_for_kernel(self) -> tuple:
        """The assumptions a kernel can check: those on its own arguments."""
        args: set[sp.Basic] = set()
        for a in self.kernel_args:
            args |= _free_symbols(a)
        return tuple(a for a in self.assumptions
                     if isinstance(a, sp.Basic) and a != sp.true and a.free_symbols
                     and a.free_symbols <= args)

    # -- transformation -------------------------------------------------------
    @property
    def all_symbols(self) -> dict[str, sp.Symbol]:
        """Every symbol in the steps, result and assumptions, by name."""
        found: set[sp.Symbol] = set()
        for step in self.steps:
            found |= _free_symbols(step.statement)
        found |= _free_symbols(self.result)
        for a in self.assumptions:
            found |= _free_symbols(a)
        for a in self.kernel_args:
            found |= _free_symbols(a)
        return {s.name: s for s in sorted(found, key=str)}

    @property
    def bound_variables(self) -> dict[str, tuple[sp.Symbol, str]]:
        """Symbols that are only bound, never parameters: name -> (symbol, kind of binder).

        A summation, integration, product or limit variable that is not free
        in the result, the assumptions or the kernel arguments (such as the
        summation index ``k`` of a series) is a dummy of the derivation, not a
        value to substitute; :meth:`subs` refuses it.  A symbol that is free
        in the result and also bound somewhere (``omega`` with a Parseval
        integral over ``omega``) is a parameter: only its free occurrences are
        substituted.
        """
        found: dict[sp.Symbol, str] = {}
        for step in self.steps:
            _bound_variables(step.statement, found)
        _bound_variables(self.result, found)
        parameters = _free_symbols(self.result)
        for a in (*self.assumptions, *self.kernel_args):
            parameters |= _free_symbols(a)
        return {s.name: (s, kind) for s, kind in sorted(found.items(), key=lambda kv: str(kv[0]))
                if s not in parameters}

    def refuse_bound(self, key: Any, bound: Mapping[str, tuple[sp.Symbol, str]] | None = None) -> None:
        """Raise :class:`InvalidArgumentError` when ``key`` (a name or symbol) is a bound variable.

        ``bound`` is :attr:`bound_variables`, when the caller has it already.
        """
        bound = self.bound_variables if bound is None else bound
        name = key if isinstance(key, str) else getattr(key, "name", None)
        done = {k.name: v for k, v in self.parameters.items() if isinstance(k, sp.Symbol)}
        if name in done and (isinstance(key, str) or key in self.parameters) and name not in self.all_symbols:
            raise InvalidArgumentError(
                f"`{name}` is already substituted ({name}={sp.sstr(done[name])}) in derivation `{self.name}`; "
                "expected a symbol that is still free."
            )
        if name is not None and name in bound and (isinstance(key, str) or key == bound[name][0]):
            free = ", ".join(s.name for s in sorted(_free_symbols(self.result), key=str)) or "none"
            raise InvalidArgumentError(
                f"`{name}` is a bound ({bound[name][1]}) variable of derivation `{self.name}`, not a "
                f"parameter; expected one of the result's free symbols: {free}."
            )

    def subs(self, values: Mapping[Any, Any]) -> "Derivation":
        """Substitute values (keys: symbols or names) in steps, result and assumptions.

        Bound (summation, integration, ...) variables are refused, see
        :attr:`bound_variables`; a symbol both free and bound is substituted
        where it is free only.  Values are numbers, SymPy expressions or
        matrices, or strings parsed by rnnsym's whitelist grammar (they may
        use the derivation's symbols by name); nothing is ever ``sympify``-ed.
        """
        if not isinstance(values, Mapping):
            raise InvalidArgumentError(
                f"`values` must map symbols or their names to values; got {type(values).__name__}.")
        known = self.all_symbols
        bound = self.bound_variables
        mapping: dict[sp.Symbol, Any] = {}
        for key, value in values.items():
            self.refuse_bound(key, bound)
            sym = known.get(key) if isinstance(key, str) else key
            if sym is None or (not isinstance(key, str) and key not in known.values()):
                raise InvalidArgumentError(
                    f"`{key}` is not a symbol of derivation `{self.name}`; expected one of "
                    f"{', '.join(list(known)[:20])}."
                )
            if isinstance(sym, sp.MatrixSymbol):
                sized = all(getattr(d, "is_Integer", False) for d in sym.shape)
                if not sized or not isinstance(value, (sp.MatrixBase, list, tuple)):
                    kind = f"{sym.shape[0]}x{sym.shape[1]} matrix symbol"
                    hint = "a matrix of that shape, or" if sized else "values for"
                    raise ShapeError(f"`{key}` is a {kind} of derivation `{self.name}`; give {hint} its entries "
                                     f"by name ({key}[0,0]=...); got {type(value).__name__} {str(value)[:40]!r}.")
                value = as_matrix(value, str(key), shape=(int(sym.shape[0]), int(sym.shape[1])))
            mapping[sym] = _value(value, str(key), known)   # never sympify: it evaluates strings
        mapping = _resolved(mapping)
        for sym, value in mapping.items():
            _check_symbol_assumptions(self.name, sym, value)
        assumptions = []
        for a in self.assumptions:
            new = _replace_free(a, mapping) if isinstance(a, sp.Basic) else a  # evaluated: may become false
            if new == sp.false:
                bad = ", ".join(f"{k}={v}" for k, v in mapping.items())

                raise DomainError(
                    f"{bad} violates the assumption {a} of derivation `{self.name}`."
                )
            assumptions.append(new)
        numeric_form = self.numeric_form
        if numeric_form is not None:  # rewrite first, then substitute: the rewrite knows the form
            numeric_form = _FixedForm(_subs(self._numeric_result(), mapping))
        return replace(
            self,
            steps=[s.subs(mapping) for s in self.steps],
            result=_subs(self.result, mapping), compact=_subs(self.compact, mapping),
            assumptions=[a for a in assumptions if a != sp.true],
            parameters={**self.parameters, **mapping},
            numeric_form=numeric_form,
        )

    def with_result(self, result: Any) -> "Derivation":
        """A copy with another result (used to show that verification can fail).

        The kernel then compiles ``result`` exactly as given.
        """
        return replace(self, result=result, numeric_form=None)

    def verify(self, max_examples: int = 100, seed: int | None = 0) -> Any:
        """Compare the result with numeric simulation; returns a VerificationReport."""
        if self.verifier is None:
            raise InvalidArgumentError(f"derivation `{self.name}` has no verifier.")
        if isinstance(max_examples, bool) or not isinstance(max_examples, numbers.Integral) or max_examples < 1:
            raise InvalidArgumentError(f"`max_examples` must be an integer >= 1; got {str(max_examples)[:40]!r}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise InvalidArgumentError(f"`seed` must be an integer or None; got {str(seed)[:40]!r}.")
        return self.verifier(self, max_examples=max_examples, seed=seed)

    # -- rendering ------------------------------------------------------------
    def _result_relation(self) -> Any:
        if self.result_label is None:
            return self.result
        return sp.Eq(self.result_label, self.result, evaluate=False)

    def _result_sides(self) -> list[Any]:
        """The result as displayed: its label, the compact form (where there is one), the result."""
        return [s for s in (self.result_label, self.compact) if s is not None] + [self.result]

    def _source(self) -> str:   # where the result is in the chapter, as plain text
        return f"{f'Chapter section: {self.section}' if self.section else 'Chapter'} ({reference_text(self.reference)})"

    def latex(self, standalone: bool = False) -> str:
        """The derivation as LaTeX: a numbered section, or a whole document.

        Displays are numbered ``(section.k)`` (step ``k``) and ``(section.R)`` (result), labelled
        ``eq:NAME-k`` / ``eq:NAME-R`` in section ``sec:NAME``; long ones are broken, never scaled.
        """
        key = label_key(self.name)
        lines = [f"\\section{{{escape_text(self.title)}}}\\label{{sec:{key}}}",
                 f"\\textit{{{escape_text(self._source())}.}}", ""]
        for i, step in enumerate(self.steps, 1):
            lines.append(f"\\textbf{{Step {i}.}} {prose_latex(step.justification)}")
            sides, rels = chain(step.statement, RELATIONS[step.relation] if step.relation else None)
            lines.append(display(sides, rels, tag=f"\\thesection.{i}", label=f"eq:{key}-{i}", one_line=step.latex()))
        lines.append("\\textbf{Result.}")
        sides = self._result_sides()
        lines.append(display(sides, ["="] * (len(sides) - 1), tag="\\thesection.R", label=f"eq:{key}-R"))
        if self.assumptions:
            lines.append("\\textbf{Assumptions.} " + ", ".join(
                f"${latex(a)}$" for a in self.assumptions) + ".")
        if self.parameters:
            lines.append("\\textbf{Parameters.} " + ", ".join(
                f"${latex(sp.Eq(k, v, evaluate=False))}$" for k, v in self.parameters.items()) + ".")
        body = "\n".join(lines) + "\n"
        return standalone_document(body, title=f"rnnsym: {self.title}") if standalone else body

    _latex_ = latex

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {latex(self._result_relation())}$"

    def markdown(self) -> str:
        """The derivation as Markdown with ``$$`` math."""
        out = [f"## {self.title}", "", f"*{self._source()}.*", ""]
        for i, step in enumerate(self.steps, 1):
            out += [f"**Step {i}.** {prose_markdown(step.justification)}", "", f"$$\n{step.latex()}\n$$", ""]
        out += ["**Result.**", "", f"$$\n{' = '.join(latex(s) for s in self._result_sides())}\n$$", ""]
        if self.assumptions:
            out += ["**Assumptions.** " + ", ".join(f"${latex(a)}$" for a in self.assumptions), ""]
        return "\n".join(out)

    def text(self) -> str:
        """A plain-text rendering for terminals."""
        out = [f"{self.title}  [{self.name}; {self._source()}]", ""]
        for i, step in enumerate(self.steps, 1):
            out += [f"{i}. {prose_text(step.justification)}", f"   {step.text()}"]
        out += ["", "Result: " + " = ".join(sp.sstr(s) for s in self._result_sides())]
        if self.assumptions:
            out.append("Assumptions: " + ", ".join(sp.sstr(a) for a in self.assumptions))
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        """The stable JSON-ready form (see DESIGN.md)."""

        def node(obj: Any) -> dict[str, str]:
            return {"latex": latex(obj), "srepr": sp.srepr(obj)}

        free = sorted({s.name for s in _free_symbols(self.result)})
        return {
            "name": self.name,
            "title": self.title,
            "reference": self.reference,
            "section": self.section,
            "parameters": {str(k): sp.sstr(v) for k, v in self.parameters.items()},
            "symbols": dict(self.symbols),
            "steps": [{"statement": node(s.statement), "display": s.latex(), "relation": s.relation,
                       "justification": s.justification, "justification_text": prose_text(s.justification)}
                      for s in self.steps],
            "result": {**node(self.result), "free_symbols": free},
            "relation": {**node(self._result_relation()),   # label = result; display: with the compact form
                         "display": " = ".join(latex(s) for s in self._result_sides())},
            "assumptions": [node(a) for a in self.assumptions],
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`as_dict` as JSON; ``kwargs`` go to :func:`json.dumps` (``indent``, ``sort_keys``)."""
        data = self.as_dict()
        try:
            return json.dumps(data, **kwargs)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"`to_json` options {sorted(kwargs)} are not valid for json.dumps: "
                                       f"{str(exc)[:120]}.") from None


class _FixedForm:
    """A numeric form already rewritten (and substituted): returned as is."""

    def __init__(self, expr: Any) -> None:
        self.expr = expr

    def __call__(self, result: Any) -> Any:
        return self.expr


def _is_fixed(arg: Any, parameters: Mapping[sp.Symbol, Any]) -> bool:
    if isinstance(arg, sp.Symbol):
        return arg in parameters
    return False
