"""JSON-ready data: JSON has no NaN and no infinity, so rnnsym writes them as null (and can say where).

The one sanitiser behind ``rnnsym analyze --format json`` (:func:`rnnsym.analyze.json_ready`, which
re-exports it) and the report's ``summary.json``.

>>> found = []
>>> json_ready({"a": [1.0, float("inf")], "b": (float("nan"), 2)}, found=found), found
({'a': [1.0, None], 'b': [None, 2]}, ['a[1]: inf', 'b[0]: nan'])
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["json_ready"]


def json_ready(obj: Any, where: str = "", found: list[str] | None = None) -> Any:
    """``obj`` with every NaN or infinite float replaced by ``None`` (JSON has neither); tuples become lists.

    ``found`` collects where they were (``"a[1]: inf"``).
    """
    found = [] if found is None else found
    if isinstance(obj, dict):
        return {k: json_ready(v, f"{where}.{k}" if where else str(k), found) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_ready(v, f"{where}[{i}]", found) for i, v in enumerate(obj)]
    if isinstance(obj, float) and not math.isfinite(obj):
        found.append(f"{where}: {obj}")
        return None
    return obj
