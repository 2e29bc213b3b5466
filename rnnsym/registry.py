"""Find and build the derivations in ``derivations/``.

The folder ``derivations/`` at the top of the source tree is installed as
the sub-package ``rnnsym.derivations`` (by a ``package-dir`` mapping in
``pyproject.toml``), so the same modules are found after an editable or a
plain ``pip install``.  Each module defines ``NAME``, ``TITLE``,
``REFERENCE``, ``ORDER``, ``OPTIONS`` (structural options such as ``n`` and
their types) and ``derive(**options) -> Derivation``.

Examples
--------
>>> from rnnsym.registry import derivation_names, derive
>>> "recurrence" in derivation_names()
True
>>> derive("recurrence", n=1).result
Matrix([[W_h[0,0]*sech(W_h[0,0]*h_prev[0] + W_x[0,0]*x[0] + b[0])**2]])
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from types import ModuleType
from typing import Any

from rnnsym.derivation import Derivation
from rnnsym.errors import InvalidArgumentError, UnknownNameError
from rnnsym._parse import parse_expression

__all__ = ["derivation_names", "derive", "derivation_module", "derivation_options"]


@lru_cache(maxsize=None)
def _modules() -> dict[str, ModuleType]:
    package = importlib.import_module("rnnsym.derivations")
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"rnnsym.derivations.{info.name}")
        if hasattr(module, "derive") and hasattr(module, "NAME"):
            found[module.NAME] = module
    return dict(sorted(found.items(), key=lambda kv: (getattr(kv[1], "ORDER", 100), kv[0])))


def derivation_names() -> tuple[str, ...]:
    """The names of every registered derivation, in chapter order."""
    return tuple(_modules())


def derivation_module(name: str) -> ModuleType:
    """The module that implements derivation ``name``."""
    modules = _modules()
    if not isinstance(name, str) or name not in modules:
        raise UnknownNameError(
            f"derivation {name!r} is not known; expected one of {', '.join(modules)}."
        )
    return modules[name]


def derivation_options(name: str) -> dict[str, type]:
    """Structural options of derivation ``name`` (for example ``n``) and their types."""
    return dict(getattr(derivation_module(name), "OPTIONS", {}))


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
    :func:`derivation_options`) shape the model; every other keyword is a
    symbol name whose value is substituted into the steps and the result.
    String values are parsed by rnnsym's whitelist grammar, never ``eval``.
    """
    module = derivation_module(name)
    options = getattr(module, "OPTIONS", {})
    opts = {k: _coerce(name, k, options[k], v) for k, v in params.items() if k in options}
    values = {k: v for k, v in params.items() if k not in options}
    derivation = module.derive(**opts)
    if values:

        names = derivation.all_symbols
        parsed = {}
        for key, value in values.items():
            if key not in names:
                raise InvalidArgumentError(
                    f"`{key}` is neither an option ({', '.join(options) or 'none'}) nor a symbol "
                    f"of derivation `{name}`; its symbols are {', '.join(list(names)[:20])}."
                )
            parsed[key] = (parse_expression(value, names, argument=f"--param {key}")
                           if isinstance(value, str) else value)
        derivation = derivation.subs(parsed)
    return derivation
