"""Each derivation's docstring examples run once, under the name it is installed as.

``derivations/`` installs as ``rnnsym.derivations`` (a ``package-dir`` mapping),
so pytest's own ``--doctest-modules`` would import the files a second time as
``derivations.NAME``; that folder is therefore not among pytest's
``testpaths``, and this test runs the examples of every module the registry
finds, with the ``doctest_optionflags`` of ``pyproject.toml``.
"""

from __future__ import annotations

import doctest
import sys

import pytest

from rnnsym.registry import derivation_module, derivation_names

#: As ``doctest_optionflags`` in pyproject.toml.
OPTIONFLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _examples(name: str) -> list[doctest.DocTest]:
    module = derivation_module(name)
    return [test for test in doctest.DocTestFinder().find(module, module.__name__) if test.examples]


@pytest.mark.parametrize("name", derivation_names())
def test_docstring_examples_pass(name: str) -> None:
    tests = _examples(name)
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    report: list[str] = []
    for test in tests:
        assert test.name.startswith(f"rnnsym.derivations.{name}"), test.name
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
    assert runner.tries == sum(len(test.examples) for test in tests)


def test_there_are_examples_to_run() -> None:
    assert sum(len(test.examples) for name in derivation_names() for test in _examples(name)) > 0


def test_each_derivation_is_imported_once_under_its_installed_name() -> None:
    for name in derivation_names():
        assert derivation_module(name) is sys.modules[f"rnnsym.derivations.{name}"]
    assert "derivations" not in sys.modules
    assert "derivations.recurrence" not in sys.modules
    assert not [key for key in sys.modules if key.startswith("derivations.")]
