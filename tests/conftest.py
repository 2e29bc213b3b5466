"""Hypothesis profiles and shared fixtures.

``ci`` (used by ``.ci/run`` and whenever ``CI=true``) is derandomised so a
run is reproducible; ``dev`` explores more examples; ``seeded`` draws fresh
examples from ``--hypothesis-seed=N`` (no database, no derandomising), which
is what ``scripts/seed_sweep.py`` runs once per seed to show that the
property suite does not flake.  Select one with ``HYPOTHESIS_PROFILE=dev``.
"""

from __future__ import annotations

import inspect
import os
import tempfile

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=30, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow], database=None,
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.register_profile(
    "seeded", derandomize=False, deadline=None, max_examples=30, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow], database=None,
)
# The report's figure cache and run times go to a folder of this test session, never the user's
# ~/.cache/rnnsym (tests that exercise the cache set their own folder).
os.environ.setdefault("RNNSYM_CACHE_DIR", tempfile.mkdtemp(prefix="rnnsym-test-cache-"))

_default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that run a nested ``@given`` with ``hypothesis`` too.

    Hypothesis's plugin marks only decorated test functions; with this,
    ``-m hypothesis`` selects every property test (``scripts/seed_sweep.py``
    relies on it).
    """
    for item in items:
        function = getattr(item, "function", None)
        if function is None or item.get_closest_marker("hypothesis") is not None:
            continue
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        if "@given(" in source:
            item.add_marker("hypothesis")


@pytest.fixture
def require_pdflatex() -> None:
    """Skip where pdflatex is missing, except under CI=true where it must exist."""
    from rnnsym.latex import pdflatex_available

    if not pdflatex_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pdflatex is required under CI=true (install texlive-latex-base)")
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base)")
