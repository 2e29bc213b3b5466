"""The two verdicts every derivation's planted-error suite asks of its verifier.

A planted wrong result must fail with a counterexample (the shrunk example that shows it wrong); an
equivalent form of the right result must pass.  Both run ``verify`` on the derivation with its result
replaced (``Derivation.with_result``), never on a copy of the result's kernel.
"""

from __future__ import annotations

from typing import Any


def assert_rejected(derivation: Any, wrong: Any, max_examples: int = 30, seed: int | None = 0) -> None:
    """``derivation`` with the result ``wrong`` fails its verification, with a counterexample."""
    report = derivation.with_result(wrong).verify(max_examples=max_examples, seed=seed)
    assert not report.passed and report.counterexample is not None, report.message


def assert_accepted(derivation: Any, same: Any, max_examples: int = 30, seed: int | None = 0) -> None:
    """``derivation`` with the result ``same`` (an equivalent form) passes its verification."""
    report = derivation.with_result(same).verify(max_examples=max_examples, seed=seed)
    assert report.passed, report.message
