"""``examples/tour.ipynb`` runs in a real Jupyter kernel and shows every main object as math.

The notebook is executed with nbclient (the engine of ``jupyter nbconvert
--to notebook --execute``) in a fresh ``python3`` kernel.  Each code cell
tagged ``object`` must display its value as ``text/latex`` (a
:class:`~rnnsym.verification.VerificationReport` may give ``text/html``,
the table it reads best as, beside its LaTeX) in which rnnsym's symbols
carry the chapter's names (``(W_h)_{0,1}``, ``h_{t-1,0}``, ``x_{t,0}``) and
none of the ASCII names (``W_{h[0,1]}``, ``h_{prev[0]}``, ``x[0]``).

nbclient, nbformat and ipykernel are in the ``test`` extra; outside CI the
test is skipped when they are missing, in CI (``CI=true``) it fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tour.ipynb"
#: Entry (0, 1) of W_h as SymPy's LaTeX printer writes it, with or without \left ... \right.
W_H_01 = re.compile(r"\\left\(W_\{h\}\\right\)_\{0,1\}|\(W_\{?h\}?\)_\{0,1\}")
ASCII_NAMES = ("W_{h[", "h_{prev", "h_prev", "x[0]", "W_h[", "W_{h}[")


def _modules() -> tuple[Any, Any]:
    try:
        import nbclient
        import nbformat
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("nbclient and nbformat are in the `test` extra: pip install -e '.[test]'")
    return nbclient, nbformat


@pytest.fixture(scope="module")
def executed() -> Any:
    nbclient, nbformat = _modules()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return notebook


def _shown(cell: Any) -> dict[str, str]:
    """The rich representations of a cell's displayed value (its ``execute_result``)."""
    results = [o for o in cell.outputs if o.output_type == "execute_result"]
    assert len(results) == 1, f"cell {cell.source!r} displays no value"
    return {kind: "".join(text) if isinstance(text, list) else text for kind, text in results[0].data.items()}


def test_the_notebook_runs_without_errors(executed: Any) -> None:
    errors = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs
              if o.output_type == "error"]
    assert not errors, errors


def test_every_main_object_displays_as_math_with_the_chapters_names(executed: Any) -> None:
    tagged = [cell for cell in executed.cells if "object" in cell.metadata.get("tags", [])]
    assert len(tagged) >= 7   # model, Jacobian, entry, derivation, step, verification, activation
    for cell in tagged:
        shown = _shown(cell)
        assert "text/latex" in shown or "text/html" in shown, (cell.source, sorted(shown))
        math = shown.get("text/latex", "")
        if math:
            assert math.strip().startswith("$") and math.strip().endswith("$"), (cell.source, math[:80])
        for name in ASCII_NAMES:
            assert name not in math and name not in shown.get("text/html", ""), (cell.source, name)
    by_source = {cell.source.splitlines()[-1]: _shown(cell) for cell in tagged}
    for source in ("net", "J", "J[0, 1]", "d"):
        assert W_H_01.search(by_source[source]["text/latex"]), (source, by_source[source]["text/latex"][:200])
    assert "h_{t-1,0}" in by_source["J[0, 1]"]["text/latex"] and "x_{t,0}" in by_source["J[0, 1]"]["text/latex"]
    assert "<table>" in by_source["report"]["text/html"] and "PASS" in by_source["report"]["text/html"]
    assert r"\tanh" in by_source['rs.get_activation("tanh")']["text/latex"]


def test_the_notebook_is_stored_without_outputs() -> None:
    """The stored notebook is source only: outputs come from running it, never from a file that can drift."""
    _, nbformat = _modules()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
