"""The report's cache: drawn figures kept across runs, as data, keyed by everything that draws them.

A figure is a pure function of the code that draws it (rnnsym, the
derivations), the derivation it draws (its :meth:`Derivation.as_dict`
record), the libraries (Python, NumPy, SciPy, SymPy, mpmath, matplotlib)
and the matplotlib settings it is drawn under.  :func:`render_cached` hashes
all of these (SHA-256 over every file of the ``rnnsym`` and derivations
packages, not just their names or dates) into a key; where the cache holds
the figure under that key it writes the stored files, otherwise it draws
the figure (:func:`rnnsym.report.figures.render_figure`) and stores it.
Any change to any of the inputs is a new key, so a stored figure is never
out of date; one entry per figure name keeps the cache small (15 files of a
few hundred KiB).  A figure function that is not the one its module's file
defines (a stand-in a test put there) is never cached.

The cache is data only: ``figures/NAME.json`` holds the key, the caption and
the PNG, PDF and SVG files (base64) each with its SHA-256; nothing in it is
executed or unpickled.  An entry whose key differs, that is not such a map,
is larger than 16 MiB, or whose files do not match their hashes (torn,
truncated, edited) is ignored and drawn again.  The directory
(:func:`cache_directory`) is ``$RNNSYM_CACHE_DIR``, else
``$XDG_CACHE_HOME/rnnsym``, else ``~/.cache/rnnsym``; it is used only when
this user owns it and no one else may write to it, and ``RNNSYM_NO_CACHE=1``
turns it off.

Examples
--------
>>> import os, tempfile
>>> before = os.environ.get("RNNSYM_CACHE_DIR")
>>> os.environ["RNNSYM_CACHE_DIR"] = folder = tempfile.mkdtemp()
>>> cache_directory() == Path(folder)
True
>>> os.chmod(folder, 0o777)   # others may write to it: not trusted
>>> cache_directory() is None
True
>>> _ = os.environ.pop("RNNSYM_CACHE_DIR") if before is None else os.environ.update(RNNSYM_CACHE_DIR=before)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import json
import os
import platform
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from rnnsym._version import __version__
from rnnsym.registry import PACKAGE, derivation_module
from rnnsym.report import figures as _figures
from rnnsym.derivation import Derivation

__all__ = ["cache_directory", "figure_key", "render_cached"]

_FORMAT = "rnnsym-figure-cache-1"
_KINDS = ("png", "pdf", "svg")
_MAX_ENTRY_BYTES = 16 * 1024 * 1024
_LIBRARIES = ("numpy", "scipy", "sympy", "mpmath", "matplotlib")


def cache_directory(create: bool = False) -> Path | None:
    """rnnsym's cache directory, or ``None`` where it is turned off, missing (unless ``create``) or not trusted.

    Trusted means: a directory (links followed) owned by this user that
    neither its group nor others may write to.  ``create=True`` makes it
    (mode 0700) where it does not exist.
    """
    if os.environ.get("RNNSYM_NO_CACHE", "") not in ("", "0"):
        return None
    folder = os.environ.get("RNNSYM_CACHE_DIR")
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "rnnsym")
    path = Path(folder)
    try:
        if create and not path.exists():
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.stat()
    except OSError:
        return None
    getuid = getattr(os, "getuid", None)
    owned = getuid is None or info.st_uid == getuid()
    if not (stat.S_ISDIR(info.st_mode) and owned and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)):
        return None
    return path


@lru_cache(maxsize=None)
def _code_fingerprint() -> str:
    """SHA-256 over the path and contents of every file of the rnnsym and derivations packages."""
    roots = [Path(importlib.import_module("rnnsym").__file__ or "").parent,
             *(Path(p) for p in importlib.import_module(PACKAGE).__path__)]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(f"{root.name}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _libraries() -> str:
    versions = [f"python {platform.python_version()} {platform.machine()}"]
    for name in _LIBRARIES:
        versions.append(f"{name} {getattr(importlib.import_module(name), '__version__', '?')}")
    return "; ".join(versions)


def _settings(name: str) -> str:
    """The matplotlib settings figure ``name`` is drawn under (the user's matplotlibrc included)."""
    from matplotlib import rc_context, rcParams  # the optional `plot` extra: only when figures are drawn

    with rc_context(_figures._rc(name)):   # dict.items: reading "backend" through rcParams would resolve it
        return repr(sorted((k, repr(v)) for k, v in dict.items(rcParams) if k != "backend"))


def figure_key(name: str, record: dict[str, Any]) -> str | None:
    """The cache key of figure ``name`` drawn for a derivation whose ``as_dict()`` is ``record``.

    ``None`` when the figure cannot be cached: its function is not the one
    its module's file defines.
    """
    function = _figures.figure_function(name)
    code, source = getattr(function, "__code__", None), getattr(derivation_module(name), "__file__", None)
    if code is None or source is None or os.path.realpath(code.co_filename) != os.path.realpath(source):
        return None
    digest = hashlib.sha256()
    for part in (_FORMAT, __version__, name, _code_fingerprint(), _libraries(), _settings(name),
                 json.dumps(record, sort_keys=True, default=str)):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _load(entry: Path, key: str) -> tuple[str, dict[str, bytes]] | None:
    """The caption and files stored in ``entry`` under ``key``; ``None`` for anything else."""
    try:
        if entry.stat().st_size > _MAX_ENTRY_BYTES:
            return None
        data = json.loads(entry.read_text(encoding="utf-8"))
        if not (isinstance(data, dict) and data.get("format") == _FORMAT and data.get("key") == key
                and isinstance(data.get("caption"), str) and isinstance(data.get("files"), dict)
                and set(data["files"]) == set(_KINDS)):
            return None
        files = {}
        for kind, stored in data["files"].items():
            if not (isinstance(stored, dict) and isinstance(stored.get("data"), str)
                    and isinstance(stored.get("sha256"), str)):
                return None
            content = base64.b64decode(stored["data"], validate=True)
            if hashlib.sha256(content).hexdigest() != stored["sha256"]:
                return None
            files[kind] = content
    except (OSError, ValueError, binascii.Error):   # missing, unreadable, not JSON, not base64
        return None
    return data["caption"], files


def _store(entry: Path, key: str, figure: _figures.RenderedFigure) -> None:
    files = {kind: figure.path.with_suffix(f".{kind}").read_bytes() for kind in _KINDS}
    data = {"format": _FORMAT, "key": key, "caption": figure.caption,
            "files": {kind: {"sha256": hashlib.sha256(content).hexdigest(),
                             "data": base64.b64encode(content).decode("ascii")} for kind, content in files.items()}}
    try:
        entry.parent.mkdir(mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{entry.stem}.", suffix=".tmp", dir=entry.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(data, stream)
            os.replace(tmp, entry)   # atomic: a reader sees the old entry or the new one
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:   # a cache that cannot be written is skipped: the figure is drawn all the same
        pass


def render_cached(name: str, derivation: Derivation, record: dict[str, Any],
                  directory: "str | Path") -> _figures.RenderedFigure:
    """:func:`~rnnsym.report.figures.render_figure`, or the same files from the cache.

    ``record`` is ``derivation.as_dict()``.  Raises as ``render_figure`` does.
    """
    folder = cache_directory(create=True)
    key = figure_key(name, record) if folder is not None else None
    entry = folder / "figures" / f"{name}.json" if folder is not None else None
    stored = _load(entry, key) if entry is not None and key is not None else None
    if stored is None:
        figure = _figures.render_figure(name, derivation, directory)
        if entry is not None and key is not None:
            _store(entry, key, figure)
        return figure
    caption, files = stored
    path = Path(directory) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    for kind, content in files.items():
        path.with_suffix(f".{kind}").write_bytes(content)
    return _figures.RenderedFigure(path, caption)
