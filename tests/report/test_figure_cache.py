"""The figure cache: a figure comes back byte for byte without being drawn again; a damaged, tampered or
out-of-date entry, a stand-in figure function, a cache others may write to, or RNNSYM_NO_CACHE=1 never
serves a stored figure (the figure is drawn, and the report is the same either way)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import rnnsym as rs
from rnnsym.registry import derivation_module
from rnnsym.report import cache
from rnnsym.report import figures as figures_module
from rnnsym.report.build import build_report

pytest.importorskip("matplotlib")
NAME = "recurrence"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RNNSYM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNSYM_NO_CACHE", raising=False)
    return tmp_path / "cache"


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names drawn by render_figure (not served from the cache)."""
    drawn: list[str] = []
    original = figures_module.render_figure

    def counting(name: str, derivation: Any, directory: Any) -> Any:
        drawn.append(name)
        return original(name, derivation, directory)

    monkeypatch.setattr(figures_module, "render_figure", counting)
    return drawn


def _render(directory: Path, record: dict[str, Any] | None = None) -> tuple[str, dict[str, bytes]]:
    derivation = rs.derive(NAME)
    figure = cache.render_cached(NAME, derivation, record or derivation.as_dict(), directory)
    return figure.caption, {kind: figure.path.with_suffix(f".{kind}").read_bytes() for kind in ("png", "pdf", "svg")}


def test_a_stored_figure_comes_back_byte_for_byte_without_drawing(folder: Path, draws: list[str],
                                                                  tmp_path: Path) -> None:
    first = _render(tmp_path / "a")
    assert draws == [NAME] and (folder / "figures" / f"{NAME}.json").is_file()
    second = _render(tmp_path / "b")
    assert draws == [NAME]   # served, not drawn
    assert second == first


def _tamper_png(entry: Path) -> None:
    data = json.loads(entry.read_text())
    png = bytearray(base64.b64decode(data["files"]["png"]["data"]))
    png[len(png) // 2] ^= 0xFF
    data["files"]["png"]["data"] = base64.b64encode(bytes(png)).decode()
    entry.write_text(json.dumps(data))


@pytest.mark.parametrize("damage", [
    _tamper_png,
    lambda entry: entry.write_text(entry.read_text()[: entry.stat().st_size // 2]),   # torn write
    lambda entry: entry.write_text("[]"),
    lambda entry: entry.write_text(entry.read_text().replace('"data": "', '"data": "!!', 1)),   # not base64
    lambda entry: entry.write_bytes(b"\xff\xfe"),
])
def test_a_damaged_or_tampered_entry_is_ignored_and_the_figure_drawn_again(
        damage: Any, folder: Path, draws: list[str], tmp_path: Path) -> None:
    first = _render(tmp_path / "a")
    damage(folder / "figures" / f"{NAME}.json")
    again = _render(tmp_path / "b")
    assert draws == [NAME, NAME] and again == first
    assert _render(tmp_path / "c") == first and draws == [NAME, NAME]   # stored afresh


def test_a_different_derivation_is_a_different_key(folder: Path, draws: list[str], tmp_path: Path) -> None:
    record = rs.derive(NAME).as_dict()
    _render(tmp_path / "a", record)
    changed = {**record, "result": {**record["result"], "latex": str(record["result"]) + " + 1"}}
    assert cache.figure_key(NAME, changed) != cache.figure_key(NAME, record)
    _render(tmp_path / "b", changed)
    assert draws == [NAME, NAME]


def test_a_stand_in_figure_function_is_never_cached(folder: Path, draws: list[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _render(tmp_path / "a")
    original = derivation_module(NAME).figure

    def stand_in(derivation: Any, fig: Any) -> str:
        original(derivation, fig)
        return "a stand-in caption"

    monkeypatch.setattr(derivation_module(NAME), "figure", stand_in)
    assert cache.figure_key(NAME, rs.derive(NAME).as_dict()) is None
    caption, _ = _render(tmp_path / "b")
    assert caption == "a stand-in caption" and draws == [NAME, NAME]


def test_a_cache_others_may_write_to_or_a_turned_off_cache_is_not_used(
        folder: Path, draws: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir(mode=0o700)
    folder.chmod(0o777)
    _render(tmp_path / "a")
    _render(tmp_path / "b")
    assert draws == [NAME, NAME] and not (folder / "figures").exists()
    folder.chmod(0o700)
    monkeypatch.setenv("RNNSYM_NO_CACHE", "1")
    _render(tmp_path / "c")
    assert draws == [NAME] * 3 and not (folder / "figures").exists()


def test_a_report_from_the_cache_is_the_report_drawn_afresh(folder: Path, draws: list[str],
                                                            tmp_path: Path) -> None:
    outputs = []
    for run in ("cold", "warm"):
        out = tmp_path / run
        build_report(out, [NAME, "half_life"], examples=2, pdf=False, progress=False, jobs=1)
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        for d in summary["derivations"]:
            d.pop("seconds")
        summary.pop("seconds")
        figures = {p.name: p.read_bytes() for p in sorted((out / "figures").iterdir())}
        outputs.append((summary, figures, (out / "report.html").read_text(encoding="utf-8")))
    assert draws == [NAME, "half_life"]   # the warm run drew nothing
    assert outputs[0] == outputs[1]
