"""The command line: formats, JSON schema, exit codes."""

from __future__ import annotations

import json

import pytest

import rnnsym as rs
from rnnsym import cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_derivation(capsys) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(rs.derivation_names())


def test_derive_json_follows_the_documented_schema(capsys) -> None:
    code, out, _ = run(capsys, "derive", "recurrence", "--param", "n=1", "--param", "W_h[0,0]=3/5",
                       "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["name"] == "recurrence"
    assert data["parameters"] == {"W_h[0,0]": "3/5"}
    assert "W_h[0,0]" not in data["result"]["free_symbols"]
    assert data["result"]["free_symbols"] == sorted(data["result"]["free_symbols"])
    assert {"b[0]", "h_prev[0]", "x[0]"} <= set(data["result"]["free_symbols"])


def test_derive_latex_is_a_document_that_compiles(capsys, require_pdflatex, tmp_path) -> None:
    from rnnsym.latex import compile_pdf

    code, out, _ = run(capsys, "derive", "recurrence", "--format", "latex")
    assert code == 0 and out.startswith("\\documentclass")
    assert compile_pdf(out, tmp_path).exists()


def test_derive_markdown_and_text(capsys) -> None:
    assert "$$" in run(capsys, "derive", "recurrence", "--format", "markdown")[1]
    assert "Result:" in run(capsys, "derive", "recurrence")[1]


def test_verify_passes_with_exit_status_zero(capsys) -> None:
    code, out, _ = run(capsys, "verify", "recurrence", "--examples", "10")
    assert code == 0 and out.startswith("PASS recurrence")


def test_verify_exits_1_when_a_check_fails(capsys, monkeypatch) -> None:
    import rnnsym.registry as registry

    real = registry.derive

    def planted(name: str, **params):
        d = real(name, **params)
        return d.with_result(d.context["model"].W_h)

    monkeypatch.setattr(registry, "derive", planted)
    code, out, err = run(capsys, "verify", "recurrence", "--examples", "10", "--format", "json")
    assert code == 1
    report = json.loads(out)[0]
    assert report["passed"] is False and report["counterexample"]
    assert "verification failed for recurrence" in err


def test_timeout_gives_up_with_exit_status_2(capsys) -> None:
    code, _, err = run(capsys, "--timeout", "0.001", "verify", "recurrence", "--examples", "1000")
    assert code == 2 and "--timeout" in err


def test_same_seed_gives_byte_identical_json(capsys) -> None:
    outputs = []
    for _ in range(2):
        assert cli.main(["verify", "recurrence", "half_life", "--examples", "5", "--seed", "7",
                         "--format", "json"]) == 0
        assert cli.main(["derive", "snr", "--format", "json", "--param", "a=3/5"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
