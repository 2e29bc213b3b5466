"""The corrections rnnsym makes to the chapter it implements.

rnnsym ships its corrections document, ``corrections.md``, as package data:
one entry per place where the chapter is wrong or leaves out a condition,
numbered ``C1`` to ``C16`` and cited as "correction C5" in rnnsym's
docstrings (in prose, "rnnsym corrections, C5").  This module reads that
document with :mod:`importlib.resources`, so it works from an installed
wheel as well as from a source checkout.

Examples
--------
>>> from rnnsym.corrections import correction, corrections
>>> list(corrections())[:3]
['C1', 'C2', 'C3']
>>> correction("C7").splitlines()[0]
"Controllability: the matrix's shape, `n` steps suffice, and rank is only yes/no"
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from .errors import UnknownNameError

__all__ = ["DOCUMENT", "corrections", "correction"]

#: File name of the corrections document inside the ``rnnsym`` package.
DOCUMENT = "corrections.md"

_HEADING = re.compile(r"^## (C\d+)\.\s+(.+?)\s*$")


@lru_cache(maxsize=1)
def _entries() -> tuple[tuple[str, str], ...]:
    """``(key, text)`` pairs in document order, parsed once."""
    source = resources.files("rnnsym").joinpath(DOCUMENT).read_text(encoding="utf-8")
    entries: list[tuple[str, str]] = []
    key: str | None = None
    lines: list[str] = []

    def close() -> None:
        if key is not None:
            entries.append((key, "\n".join(lines).strip() + "\n"))

    for line in source.splitlines():
        if line.startswith("## ") or line.startswith("# "):
            close()
            match = _HEADING.match(line)
            key, lines = (match.group(1), [match.group(2), ""]) if match else (None, [])
        elif key is not None:
            lines.append(line)
    close()
    return tuple(entries)


def corrections() -> dict[str, str]:
    """Every entry of the corrections document, keyed ``"C1"`` ... ``"C16"``.

    Returns
    -------
    dict of str to str
        A new dictionary, in document order.  Each value is the entry's title
        (its heading without the ``## C<k>.`` prefix), a blank line, and its
        body: what the chapter says, the correction, a derivation, an example
        where there is one, and the line "Where rnnsym checks it:".

    See Also
    --------
    correction : one entry by its key.

    Examples
    --------
    >>> from rnnsym.corrections import corrections
    >>> entries = corrections()
    >>> len(entries), list(entries)[-1]
    (16, 'C16')
    >>> "b_c(2)" in entries["C1"]
    True
    """
    return dict(_entries())


def correction(key: str) -> str:
    """The text of one entry of the corrections document.

    Parameters
    ----------
    key : str
        The entry's key, ``"C1"`` to ``"C16"``, as in "correction C5".

    Returns
    -------
    str
        The entry's title, a blank line, and its body (see :func:`corrections`).

    Raises
    ------
    UnknownNameError
        If ``key`` is not the key of an entry.

    Examples
    --------
    >>> from rnnsym.corrections import correction
    >>> correction("C5").splitlines()[0]
    'Mode coordinates come from left eigenvectors; modes with `|λ| = 1`'
    >>> "`eigenmodes` derivation" in correction("C5")
    True
    >>> correction("C17")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rnnsym.errors.UnknownNameError: correction 'C17' is not known; expected one of C1, C2, ..., C16.
    """
    entries = dict(_entries())
    if not isinstance(key, str) or key not in entries:
        raise UnknownNameError(
            f"correction {key!r} is not known; expected one of {', '.join(entries)}."
        )
    return entries[key]
