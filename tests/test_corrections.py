"""The corrections document shipped as package data, and citations of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rnnsym.corrections import correction, corrections
from rnnsym.errors import UnknownNameError

ROOT = Path(__file__).resolve().parents[1]
DERIVATIONS = ROOT / "derivations"
KEYS = [f"C{k}" for k in range(1, 17)]
WHERE = "Where rnnsym checks it:"


def _where_paragraph(text: str) -> str:
    """The paragraph that starts with "Where rnnsym checks it:", on one line."""
    start = text.index(WHERE)
    return " ".join(text[start:].split("\n\n", 1)[0].split())


def _source_files() -> list[Path]:
    return sorted(p for top in ("rnnsym", "derivations") for p in (ROOT / top).rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_document_has_exactly_c1_to_c16_in_order() -> None:
    entries = corrections()
    assert list(entries) == KEYS
    for key, text in entries.items():
        title, blank, *body = text.splitlines()
        assert title and not title.startswith(("#", key)), key
        assert blank == "" and any(line.strip() for line in body), key


def test_corrections_returns_a_fresh_dict() -> None:
    corrections().clear()
    assert list(corrections()) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_each_entry_names_an_existing_derivation(key: str) -> None:
    text = correction(key)
    assert text.count(WHERE) == 1, f"{key} needs exactly one {WHERE!r} paragraph"
    # Derivations are bare backticked names; functions are written `rnnsym.<...>()`.
    names = re.findall(r"`([a-z_]+)`", _where_paragraph(text))
    assert names, f"{key}: {WHERE!r} names no derivation"
    missing = [n for n in names if not (DERIVATIONS / f"{n}.py").is_file()]
    assert not missing, f"{key} names derivations that do not exist: {missing}"


def test_every_entry_says_what_the_chapter_says_and_the_correction() -> None:
    for key, text in corrections().items():
        assert "The chapter says:" in text and "Correction:" in text, key


def test_unknown_key_raises_unknown_name_error() -> None:
    with pytest.raises(UnknownNameError) as info:
        correction("C17")
    message = str(info.value)
    assert "'C17'" in message and "C1," in message and "C16" in message
    assert "\n" not in message
    assert isinstance(info.value, LookupError)


@pytest.mark.parametrize("key", ["c5", "C0", "5", "", "C05", None, 5])
def test_malformed_keys_are_unknown(key: object) -> None:
    with pytest.raises(UnknownNameError):
        correction(key)  # type: ignore[arg-type]


def test_citations_name_existing_entries() -> None:
    known = set(corrections())
    bad = []
    for path in [*_source_files(), ROOT / "README.md"]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"correction C(\d+)", text):
            if f"C{match.group(1)}" not in known:
                line = text.count("\n", 0, match.start()) + 1
                bad.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not bad, "citations of missing corrections:\n" + "\n".join(bad)


def test_nothing_points_at_the_unshipped_seed_files() -> None:
    offenders = []
    files = [p for top in ("rnnsym", "derivations") for p in (ROOT / top).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    for path in [*files, ROOT / "README.md"]:
        text = path.read_text(encoding="utf-8", errors="replace")
        if "shared/seed" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"these mention shared/seed: {offenders}"
