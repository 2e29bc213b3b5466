"""Shared by the hostile-input tests: where a payload goes inside a container argument."""

from __future__ import annotations

from typing import Any


def inner_path(value: Any, depth: int = 8) -> tuple[Any, ...]:
    """The path to the first leaf inside a container default (``[[0.5]]`` -> ``(0, 0)``), else ``()``."""
    path: list[Any] = []
    for _ in range(depth):
        if isinstance(value, dict) and value:
            key = next(iter(value))
            path.append(key)
            value = value[key]
        elif isinstance(value, (list, tuple)) and value:
            path.append(0)
            value = value[0]
        else:
            break
    return tuple(path)


def replace_at(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """``value`` with the leaf at ``path`` replaced by ``new`` (containers copied, types kept)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replace_at(value[head], rest, new)}
    items = list(value)
    items[head] = replace_at(items[head], rest, new)
    return type(value)(items) if isinstance(value, tuple) else items
