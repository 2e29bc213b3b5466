"""Hypothesis profiles and shared fixtures.

``ci`` (used by ``.ci/run`` and whenever ``CI=true``) is derandomised so a
run is reproducible; ``dev`` explores more examples.  Select one with
``HYPOTHESIS_PROFILE=dev``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=30, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow], database=None,
)
settings.register_profile("dev", deadline=None, max_examples=100)
_default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


@pytest.fixture
def require_pdflatex() -> None:
    """Skip where pdflatex is missing, except under CI=true where it must exist."""
    from rnnsym.latex import pdflatex_available

    if not pdflatex_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("pdflatex is required under CI=true (install texlive-latex-base)")
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-base)")
