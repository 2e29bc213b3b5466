"""How long each report section took last time, kept to queue the heaviest first.

The seconds live in ``report-seconds.json`` in rnnsym's cache directory
(:func:`rnnsym.report.cache.cache_directory`: ``$RNNSYM_CACHE_DIR``, else
``$XDG_CACHE_HOME/rnnsym``, else ``~/.cache/rnnsym``, used only where this
user alone may write to it; ``RNNSYM_NO_CACHE=1`` turns it off).  The
file is data only (JSON: a name -> seconds map), never code: a file that is
missing, unreadable, over 64 KiB, not such a map, or holds a value that is
not a finite non-negative number is ignored as a whole, and a directory
that cannot be written is skipped without a word -- the times only order
the work, they never change a result.

Examples
--------
>>> import os, tempfile
>>> before = os.environ.get("RNNSYM_CACHE_DIR")
>>> os.environ["RNNSYM_CACHE_DIR"] = tempfile.mkdtemp()
>>> write_seconds({"snr": 4.5, "recurrence": 0.8})
>>> read_seconds()
{'recurrence': 0.8, 'snr': 4.5}
>>> _ = cache_path().write_text('{"snr": "4.5"}')   # not a number: the record is ignored
>>> read_seconds()
{}
>>> _ = os.environ.pop("RNNSYM_CACHE_DIR") if before is None else os.environ.update(RNNSYM_CACHE_DIR=before)
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from rnnsym.report.cache import cache_directory

__all__ = ["cache_path", "read_seconds", "write_seconds"]

_FILE = "report-seconds.json"
_MAX_BYTES = 64 * 1024


def cache_path(create: bool = False) -> Path | None:
    """Where the seconds are kept, or ``None`` where the cache is off, missing (unless ``create``) or not
    trusted (see :func:`rnnsym.report.cache.cache_directory`)."""
    folder = cache_directory(create)
    return None if folder is None else folder / _FILE


def read_seconds() -> dict[str, float]:
    """Name -> seconds from the last runs; ``{}`` when there is no usable record."""
    path = cache_path()
    try:
        if path is None or path.stat().st_size > _MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):   # missing, unreadable, not JSON (UnicodeDecodeError is a ValueError)
        return {}
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and type(v) in (int, float) and math.isfinite(v) and v >= 0 for k, v in data.items()):
        return {}
    return {k: float(v) for k, v in data.items()}


def write_seconds(seconds: Mapping[str, float]) -> None:
    """Merge ``seconds`` into the record (atomically); a cache that cannot be written is skipped."""
    path = cache_path(create=True)
    if path is None:
        return
    merged = {**read_seconds(), **{k: round(float(v), 3) for k, v in seconds.items()
                                   if math.isfinite(v) and v >= 0}}
    try:
        fd, tmp = tempfile.mkstemp(prefix=".report-seconds.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(merged, stream, indent=0, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
