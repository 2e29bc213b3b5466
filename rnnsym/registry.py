"""Find, check and build the derivations in ``derivations/``.

The folder ``derivations/`` at the top of the source tree is installed as
the sub-package ``rnnsym.derivations`` (by a ``package-dir`` mapping in
``pyproject.toml``), so the same modules are found after an editable or a
plain ``pip install``.  Every public module there (one without a leading
underscore) is one derivation and defines

* ``INFO`` -- a :class:`DerivationInfo`: name, title, chapter reference,
  the chapter's section (one of :data:`CHAPTER_SECTIONS`), chapter order, structural options (such as ``n``) with their types, their
  limits, and the symbols' descriptions;
* ``derive(**options) -> Derivation``;
* optionally ``figure(d, fig) -> str``, which draws the report's figure
  (see :mod:`rnnsym.report.figures`).

The registry imports these modules with :mod:`importlib` on first use (never
statically) and checks each ``INFO`` once, raising
:class:`DerivationModuleError` that names the module when the contract is
broken.  Limits on options (``max_n``, ``option_ranges``) are enforced here,
by :func:`derive`, before any symbolic work starts; a module's own
``derive`` does not repeat them.

Examples
--------
>>> from rnnsym.registry import derivation_info, derivation_names, derive
>>> "recurrence" in derivation_names()
True
>>> derivation_info("recurrence").max_n
16
>>> derive("recurrence", n=1).result
Matrix([[W_h[0,0]*sech(W_h[0,0]*h_prev[0] + W_x[0,0]*x[0] + b[0])**2]])
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from types import MappingProxyType, ModuleType
from typing import Any, TypeGuard

from rnnsym.derivation import Derivation
from rnnsym.errors import InvalidArgumentError, ResourceLimitError, RnnsymError, UnknownNameError
from rnnsym._parse import parse_expression

__all__ = ["CHAPTER_SECTIONS", "DerivationInfo", "DerivationModuleError", "OPTION_TYPES", "PACKAGE", "derivation_names",
           "derive", "derivation_module", "derivation_info", "derivation_options", "discover",
           "validate_module"]

#: The package the derivation modules are found in.
PACKAGE = "rnnsym.derivations"
#: The headings of the chapter's sections ("Principles and Mechanisms"), in the chapter's order: a
#: derivation's ``INFO.section`` is one of them, and the report is organised under them.
CHAPTER_SECTIONS: tuple[str, ...] = (
    "The Recurrence Relation: The Engine of Memory",
    "Decoding the Dynamics: Fixed Points and Stability",
    "The Crucial Role of the Activation Function",
    "A Linear Systems Perspective on RNN Dynamics",
    "Dynamics in the Eigenbasis",
    "Controllability and Observability: The Reach and Sight of an RNN",
    "The RNN as a Signal Processor",
    "The Achilles' Heel: Long-Term Dependency and Gradient Stability",
    "Beyond the Chapter",   # results the chapter does not state (gated cells)
)
#: The types a structural option may have.
OPTION_TYPES: frozenset[type] = frozenset({int, str, bool, float})


class DerivationModuleError(RnnsymError, TypeError):
    """A module in ``derivations/`` breaks the derivation contract (its message names the module)."""


@dataclass(frozen=True)
class DerivationInfo:
    """What the registry, the CLI and the report know about a derivation before deriving it.

    Parameters
    ----------
    name : str
        The registry name; equal to the module's name.
    title : str
        Human title (the section heading of the report).
    reference : str
        Chapter reference.
    section : str
        The chapter's section the result belongs to: one of
        :data:`CHAPTER_SECTIONS` (the JSON's ``section`` key, the report's
        grouping).
    order : int
        Position in the chapter (sorts :func:`derivation_names`); unique.
    options : mapping of str to type
        Structural options of ``derive`` (for example ``n``) and their types,
        each one of :data:`OPTION_TYPES`.
    max_n : int or None
        Largest ``n`` the symbolic derivation accepts (``None``: no limit);
        above it :func:`derive` raises :class:`~rnnsym.errors.ResourceLimitError`.
    symbols : mapping of str to str
        Symbol name -> description.
    limit_hint : str
        The numeric alternative that a refusal names, a clause such as
        ``"use rnnsym.gradients.trajectory_jacobians() for numeric Jacobians."``;
        required where a limit is set.
    option_ranges : mapping of str to (int, int)
        Inclusive ranges that integer options other than ``n`` must lie in;
        outside one :func:`derive` raises
        :class:`~rnnsym.errors.InvalidArgumentError` naming ``limit_hint``.
    """

    name: str
    title: str
    reference: str
    order: int
    options: Mapping[str, type] = field(default_factory=dict)
    max_n: int | None = None
    symbols: Mapping[str, str] = field(default_factory=dict)
    limit_hint: str = ""
    option_ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    section: str = ""

    def __post_init__(self) -> None:
        # read-only views: a frozen record whose mappings could still be edited is not frozen
        for name in ("options", "symbols", "option_ranges"):
            value = getattr(self, name)
            if isinstance(value, Mapping):
                object.__setattr__(self, name, MappingProxyType(dict(value)))

    def __reduce__(self) -> tuple[Any, ...]:   # pickles (a mappingproxy does not): rebuilt from plain dicts
        values = [getattr(self, f.name) for f in fields(self)]
        return (type(self), tuple(dict(v) if isinstance(v, Mapping) else v for v in values))

    def check_limits(self, options: Mapping[str, Any]) -> None:
        """Refuse option values over the limits (one-line errors that name the alternative)."""
        n = options.get("n")
        if self.max_n is not None and _is_int(n) and n > self.max_n:
            raise ResourceLimitError(
                f"`n`={n} is too large for the symbolic {self.name} derivation (limit {self.max_n}); "
                f"{self.limit_hint}"
            )
        for key, (low, high) in self.option_ranges.items():
            value = options.get(key)
            if value is not None and not (_is_int(value) and low <= value <= high):
                raise InvalidArgumentError(
                    f"`{key}` must be an integer in [{low}, {high}] for the symbolic {self.name} "
                    f"derivation; got {value!r}; {self.limit_hint}"
                )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_module(module: ModuleType) -> DerivationInfo:
    """Check that ``module`` keeps the derivation contract; return its ``INFO``.

    Raises :class:`DerivationModuleError`, naming the module, when ``INFO`` is
    missing or not a :class:`DerivationInfo`, a field has the wrong type, the
    name differs from the module's, ``max_n`` is not a positive integer or
    ``None``, the section is not one of :data:`CHAPTER_SECTIONS`, an option type is not one of
    :data:`OPTION_TYPES`, a limit names
    an option that is not there or has no ``limit_hint``, a default lies outside
    its limit, or ``derive`` (or ``figure``, where defined) is not callable.
    Uniqueness of ``order`` is checked across modules by the registry.
    """
    where = getattr(module, "__name__", repr(module))
    expected = where.rsplit(".", 1)[-1]

    def fail(problem: str) -> DerivationModuleError:
        return DerivationModuleError(f"derivation module {where}: {problem}.")

    info = getattr(module, "INFO", None)
    if not isinstance(info, DerivationInfo):
        raise fail(f"`INFO` must be a rnnsym.registry.DerivationInfo; got {type(info).__name__}")
    for attr in ("name", "title", "reference", "limit_hint", "section"):
        if not isinstance(getattr(info, attr), str):
            raise fail(f"`INFO.{attr}` must be a string; got {getattr(info, attr)!r}")
    if not (info.title.strip() and info.reference.strip()):
        raise fail("`INFO.title` and `INFO.reference` must not be empty")
    if info.section not in CHAPTER_SECTIONS:
        raise fail(f"`INFO.section` must be one of the chapter's sections ({'; '.join(CHAPTER_SECTIONS)}); "
                   f"got {info.section[:80]!r}")
    if info.name != expected:
        raise fail(f"`INFO.name` is {info.name!r} but the module is named {expected!r}")
    if not _is_int(info.order):
        raise fail(f"`INFO.order` must be an integer; got {info.order!r}")
    if info.max_n is not None and not (_is_int(info.max_n) and info.max_n > 0):
        raise fail(f"`INFO.max_n` must be a positive integer or None; got {info.max_n!r}")
    if not isinstance(info.options, Mapping) or not all(
            isinstance(k, str) and v in OPTION_TYPES for k, v in info.options.items()):
        raise fail("`INFO.options` must map option names to one of int, str, bool, float; "
                   f"got {dict(info.options) if isinstance(info.options, Mapping) else info.options!r}")
    if not isinstance(info.symbols, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in info.symbols.items()):
        raise fail("`INFO.symbols` must map symbol names to descriptions (strings)")
    derive_function = getattr(module, "derive", None)
    if not callable(derive_function):
        raise fail("`derive` must be a function")
    if "figure" in vars(module) and not callable(module.figure):
        raise fail("`figure` must be a function (derivation, matplotlib figure) -> caption")
    defaults = {k: p.default for k, p in inspect.signature(derive_function).parameters.items()
                if p.default is not inspect.Parameter.empty}
    missing = [k for k in info.options if k not in inspect.signature(derive_function).parameters]
    if missing:
        raise fail(f"`derive` takes no option {', '.join(missing)} listed in `INFO.options`")
    if not isinstance(info.option_ranges, Mapping):
        raise fail("`INFO.option_ranges` must map option names to (low, high) pairs")
    limited = dict(info.option_ranges)
    if info.max_n is not None:
        limited["n"] = (1, info.max_n)
    for key, bounds in limited.items():
        if info.options.get(key) is not int:
            raise fail(f"a limit is set on `{key}`, which is not an integer option")
        if not (isinstance(bounds, tuple) and len(bounds) == 2 and all(map(_is_int, bounds))
                and bounds[0] <= bounds[1]):
            raise fail(f"`INFO.option_ranges[{key!r}]` must be a pair of integers (low, high)")
        if not info.limit_hint.strip():
            raise fail(f"a limit is set on `{key}` but `INFO.limit_hint` names no alternative")
        if key in defaults and not (_is_int(defaults[key]) and bounds[0] <= defaults[key] <= bounds[1]):
            raise fail(f"the default `{key}`={defaults[key]!r} of `derive` lies outside its limit")
    return info


_PACKAGE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def discover(package: str = PACKAGE) -> dict[str, ModuleType]:
    """Import and check every public module of ``package``; name -> module, in chapter order.

    Each module is checked by :func:`validate_module`, and no two may share
    ``INFO.order``; the first broken module raises
    :class:`DerivationModuleError`.  The registry calls this once (for
    :data:`PACKAGE`) and keeps the answer.
    """
    if not isinstance(package, str) or not _PACKAGE_RE.fullmatch(package):
        raise InvalidArgumentError(
            f"`package` must be a dotted package name like rnnsym.derivations; got {str(package)[:60]!r}.")
    try:
        path = importlib.import_module(package).__path__
    except ModuleNotFoundError as exc:
        if not exc.name or not (package == exc.name or package.startswith(exc.name + ".")):
            raise   # the package exists but needs a module that is missing
        raise UnknownNameError(f"`package` {package!r} cannot be imported.") from None
    except AttributeError:
        raise InvalidArgumentError(f"`package` {package!r} is a module, not a package of derivations.") from None
    found: dict[str, ModuleType] = {}
    orders: dict[int, str] = {}
    for entry in pkgutil.iter_modules(path):
        if entry.name.startswith("_"):   # helpers, not derivations
            continue
        module = importlib.import_module(f"{package}.{entry.name}")
        info = validate_module(module)
        if info.order in orders:
            raise DerivationModuleError(
                f"derivation module {module.__name__}: `INFO.order` {info.order} is already used by "
                f"{package}.{orders[info.order]}."
            )
        orders[info.order] = info.name
        found[info.name] = module
    return dict(sorted(found.items(), key=lambda kv: kv[1].INFO.order))


@lru_cache(maxsize=None)
def _modules() -> dict[str, ModuleType]:
    return discover(PACKAGE)


def derivation_names() -> tuple[str, ...]:
    """The names of every registered derivation, in chapter order."""
    return tuple(_modules())


def derivation_module(name: str) -> ModuleType:
    """The module that implements derivation ``name`` (its ``INFO``, ``derive``, ``figure``)."""
    modules = _modules()
    if not isinstance(name, str) or name not in modules:
        raise UnknownNameError(
            f"derivation {name!r} is not known; expected one of {', '.join(modules)}."
        )
    return modules[name]


def derivation_info(name: str) -> DerivationInfo:
    """The checked :class:`DerivationInfo` of derivation ``name``."""
    info: DerivationInfo = derivation_module(name).INFO
    return info


def derivation_options(name: str) -> dict[str, type]:
    """Structural options of derivation ``name`` (for example ``n``) and their types."""
    return dict(derivation_info(name).options)


def _coerce(name: str, key: str, kind: type, value: Any) -> Any:
    if kind is str:
        if not isinstance(value, str):
            raise InvalidArgumentError(f"option `{key}` of `{name}` must be a string; got {value!r}.")
        return value
    if isinstance(value, str):

        value = parse_expression(value, argument=f"--param {key}")
    if kind is int:
        try:
            as_int = int(value)
        except (TypeError, ValueError):
            as_int = None
        if as_int is None or as_int != value:
            raise InvalidArgumentError(
                f"option `{key}` of `{name}` must be an integer; got {value!r}."
            )
        return as_int
    return value


def derive(name: str, **params: Any) -> Derivation:
    """Build derivation ``name``.

    Keywords that are options of the derivation (see
    :func:`derivation_options`) shape the model and are checked against the
    limits in its :class:`DerivationInfo` first; every other keyword is a
    symbol name whose value is substituted into the steps and the result.
    String values are parsed by rnnsym's whitelist grammar, never ``eval``.
    """
    module = derivation_module(name)
    info: DerivationInfo = module.INFO
    options = info.options
    opts = {k: _coerce(name, k, options[k], v) for k, v in params.items() if k in options}
    values = {k: v for k, v in params.items() if k not in options}
    info.check_limits(opts)
    derivation = module.derive(**opts)
    if isinstance(derivation, Derivation) and not derivation.section:
        derivation = replace(derivation, section=info.section)
    if values:

        names = derivation.all_symbols
        bound = derivation.bound_variables
        parsed = {}
        for key, value in values.items():
            derivation.refuse_bound(key, bound)   # a summation/integration variable is not a parameter
            if key not in names:
                raise InvalidArgumentError(
                    f"`{key}` is neither an option ({', '.join(options) or 'none'}) nor a symbol "
                    f"of derivation `{name}`; its symbols are {', '.join(list(names)[:20])}."
                )
            parsed[key] = (parse_expression(value, names, argument=f"--param {key}")
                           if isinstance(value, str) else value)
        derivation = derivation.subs(parsed)
    return derivation
