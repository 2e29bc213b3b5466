"""Old import paths of modules that moved, kept working with a ``DeprecationWarning``.

``import rnnsym.reachability`` still works: a finder on ``sys.meta_path``
answers for each old name with a small module that forwards every
attribute to the new home and warns on each use.  The table is the one
list of moves (see ``CHANGELOG.md``).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any, Sequence

__all__ = ["MOVED", "install"]

#: old module -> (new module, package whose public names it also had)
MOVED: dict[str, tuple[str, ...]] = {
    "rnnsym.gpu": ("rnnsym.backends.gpu",),
    "rnnsym.symengine_backend": ("rnnsym.backends.symengine",),
    "rnnsym.modes": ("rnnsym.linear.modes",),
    "rnnsym.normality": ("rnnsym.linear.normality",),
    "rnnsym.filtering": ("rnnsym.linear.filtering",),
    "rnnsym.reachability": ("rnnsym.linear.controllability", "rnnsym.linear.rank"),
    "rnnsym.fixed_points": ("rnnsym.fixedpoints.search", "rnnsym.fixedpoints"),
    "rnnsym.fixed_point_sweeps": ("rnnsym.fixedpoints.sweep",),
    "rnnsym.figures": ("rnnsym.report.figures",),
    "rnnsym.cli_report": ("rnnsym.report.command",),
}


class _MovedModule(types.ModuleType):
    """Forwards attribute lookups to the module's new home, with a warning."""

    def __init__(self, old: str, targets: Sequence[str]) -> None:
        super().__init__(old, f"Moved to {targets[0]}; this name is deprecated.")
        self._targets = tuple(targets)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for target in self._targets:
            module = importlib.import_module(target)
            if hasattr(module, name):
                warnings.warn(f"`{self.__name__}` moved to `{self._targets[0]}`; import `{name}` from "
                              f"`{target}` (see CHANGELOG.md).", DeprecationWarning, stacklevel=2)
                return getattr(module, name)
        raise AttributeError(f"module {self.__name__!r} (moved to {self._targets[0]!r}) has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return sorted(set().union(*(dir(importlib.import_module(t)) for t in self._targets)))


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname in MOVED:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: Any) -> types.ModuleType:
        return _MovedModule(spec.name, MOVED[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
