"""Property-based verification of symbolic results against simulation.

:func:`check_property` drives a Hypothesis search over examples, computes an
error for each (the distance between the compiled result and what the
simulation produced) and returns a :class:`VerificationReport`: examples
tried, the worst error, and the shrunk counterexample when the error exceeds
the tolerance.  A failing result is reported, not raised.

Examples
--------
>>> from hypothesis import strategies as st
>>> from rnnsym.verification import check_property
>>> report = check_property("doubling", st.floats(-1, 1), lambda x: abs(2 * x - (x + x)),
...                         tolerance=1e-12, max_examples=20)
>>> report.passed, report.examples
(True, 20)
>>> bad = check_property("wrong", st.floats(-1, 1), lambda x: abs(x * x - x),
...                      tolerance=1e-12, max_examples=20)
>>> bad.passed, bad.counterexample is not None
(False, True)

Hard points go first, whatever the search draws (``explicit``):

>>> edge = check_property("square root", st.floats(0.5, 1), lambda x: abs((x ** 0.5) ** 2 - x) / x,
...                       tolerance=1e-15, max_examples=5, explicit=[1e-300, 1e300])
>>> edge.passed, edge.examples
(True, 7)
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import example as explicit_example
from hypothesis import seed as hypothesis_seed
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy

from rnnsym.prose import prose_text

__all__ = ["VerificationReport", "check_property", "combine_reports",
           "keep_hypothesis_files_out_of_the_working_directory"]


@dataclass
class VerificationReport:
    """The outcome of one verification.

    Attributes
    ----------
    name : str
        What was checked: prose with inline math between ``$`` signs, as a step's justification
        (``"$h_2$ against the simulated model"``); :func:`rnnsym.prose.prose_text` gives it as plain text.
    passed : bool
        True when every example's error was within ``tolerance``.
    examples : int
        Examples tried.
    worst_error : float
        The largest error seen (NaN if an example failed to evaluate).
    tolerance : float
        The bound each error was held to.
    counterexample : str or None
        The shrunk failing example, when one was found.
    message : str
        One line for humans, prose with inline math as ``name`` (a counterexample's ``$`` is escaped, ``\\$``).
    """

    name: str
    passed: bool
    examples: int
    worst_error: float
    tolerance: float
    counterexample: str | None = None
    message: str = ""
    checks: list[VerificationReport] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``name`` and ``message`` as written (inline math between ``$`` signs), and beside them
        ``name_text`` and ``message_text``, the same as plain text (as a step's ``justification_text``)."""
        return {
            "name": self.name,
            "name_text": prose_text(self.name),
            "passed": self.passed,
            "examples": self.examples,
            "worst_error": None if math.isnan(self.worst_error) else self.worst_error,
            "tolerance": self.tolerance,
            "counterexample": self.counterexample,
            "message": self.message,
            "message_text": prose_text(self.message),
            "checks": [c.as_dict() for c in self.checks],
        }

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return f"{status} {prose_text(self.name)}: {prose_text(self.message)}"

    def _repr_html_(self) -> str:
        """A table in a notebook: one row per check, its verdict, examples, worst error and tolerance (the names'
        inline math left between ``$`` signs, which the notebook typesets)."""
        rows = "".join(
            f"<tr><td>{html.escape(c.name)}</td><td>{'pass' if c.passed else '<b>FAIL</b>'}</td>"
            f"<td>{c.examples}</td><td>{c.worst_error:.3g}</td><td>{c.tolerance:.3g}</td></tr>"
            for c in (self.checks or [self]))
        verdict = "PASS" if self.passed else "FAIL"
        return (f"<p><b>{verdict}</b> {html.escape(self.name)}</p><table><tr><th>check</th><th>verdict</th>"
                f"<th>examples</th><th>worst error</th><th>tolerance</th></tr>{rows}</table>")

    def _repr_latex_(self) -> str:
        verdict = r"\text{PASS}" if self.passed else r"\text{FAIL}"
        worst = max((c.worst_error / c.tolerance for c in (self.checks or [self]) if c.tolerance), default=0.0)
        return f"$\\displaystyle {verdict}:\\ \\max \\frac{{\\text{{error}}}}{{\\text{{tolerance}}}} = {worst:.3g}$"


class _Mismatch(AssertionError):
    pass


def check_property(name: str, examples: SearchStrategy, error: Callable[[Any], float], *,
                   tolerance: float, max_examples: int = 100, seed: int | None = 0,
                   describe: Callable[[Any], str] = repr, explicit: Sequence[Any] = ()) -> VerificationReport:
    """Search ``examples`` for one whose ``error`` exceeds ``tolerance``.

    ``name`` says what is checked, in prose with inline math between ``$``
    signs (``r"$\\|J\\|_2 \\le q^{T-k}$ along simulated trajectories"``).
    ``error(example)`` returns a non-negative float; it may call
    ``hypothesis.assume`` to skip examples outside the result's domain.
    An exception inside ``error`` counts as a failure, with its message.
    ``explicit`` lists examples (of the same shape as the drawn ones) that are
    always tried first, as ``hypothesis.example`` does: the hard points of a
    result; they count in ``examples`` but not in ``max_examples``, and one
    that fails its ``assume`` is skipped.
    """
    state: dict[str, Any] = {"count": 0, "worst": 0.0, "fail": None}

    @settings(max_examples=max_examples, deadline=None, database=None,
              verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(examples)
    def run(example: Any) -> None:
        try:
            err = float(error(example))
        except Exception as exc:  # reported, not hidden
            if type(exc).__name__ in ("UnsatisfiedAssumption",):
                raise
            state["fail"] = (example, math.nan, f"{type(exc).__name__}: {exc}")
            raise _Mismatch from exc
        state["count"] += 1
        if math.isnan(err) or err > tolerance:
            state["fail"] = (example, err, None)
            raise _Mismatch
        state["worst"] = max(state["worst"], err)

    for point in reversed(list(explicit)):   # tried in the order given
        run = explicit_example(point)(run)
    if seed is not None:
        run = hypothesis_seed(seed)(run)
    try:
        run()
    except _Mismatch:
        example, err, problem = state["fail"]
        detail = problem or f"error {err:.3g} > tolerance {tolerance:.3g}"
        shown = f"{detail} at {describe(example)}".replace("$", "\\$")   # text, not inline math
        return VerificationReport(
            name, False, state["count"], err if not math.isnan(err) else math.nan, tolerance,
            counterexample=describe(example),
            message=f"counterexample found: {shown}",
        )
    except Unsatisfiable:
        return VerificationReport(name, False, state["count"], math.nan, tolerance,
                                  message="no valid example could be generated")
    return VerificationReport(
        name, True, state["count"], state["worst"], tolerance,
        message=f"{state['count']} examples, worst error {state['worst']:.3g} "
                f"(tolerance {tolerance:.3g})",
    )


def combine_reports(name: str, reports: list[VerificationReport]) -> VerificationReport:
    """One report that passes when all of ``reports`` pass."""
    passed = all(r.passed for r in reports)
    worst = max((r.worst_error for r in reports), default=0.0,
                key=lambda e: math.inf if math.isnan(e) else e)
    failing = [r for r in reports if not r.passed]
    message = "; ".join(f"{r.name}: {r.message}" for r in (failing or reports))
    return VerificationReport(
        name, passed, sum(r.examples for r in reports), worst,
        max((r.tolerance for r in reports), default=0.0),
        counterexample=failing[0].counterexample if failing else None,
        message=message, checks=list(reports),
    )


def keep_hypothesis_files_out_of_the_working_directory() -> None:
    """Point Hypothesis's cache directory at the temporary directory.

    The command line calls this so that ``rnnsym verify`` and ``rnnsym
    report`` never leave a ``.hypothesis/`` folder in the user's directory.
    """
    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "rnnsym-hypothesis"))
