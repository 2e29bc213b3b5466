"""A Krawczyk box is a proof: whenever one is returned it holds exactly one root.

One unit, ``F(h) = phi(w h + u) - h``: every root is found independently by a
60-digit sign scan refined with mpmath (folds are avoided by construction:
``|F|`` is bounded away from 0 between the roots found).  For random starting
points, including ones between two close roots where the Newton step is
poor, every box ``krawczyk`` returns must contain exactly one of those roots,
and a start at a degenerate root must give no box.  Written from the
survivors of a mutation run (issue 14): the containment test's ``and``
replaced by ``or`` survived the existing tests.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym.fixedpoints.certify import krawczyk

TANH = rs.get_activation("tanh")


def _roots(w: float, u: float) -> list[mpmath.mpf]:
    with mpmath.workdps(60):
        F = lambda h: mpmath.tanh(mpmath.mpf(w) * h + mpmath.mpf(u)) - h      # noqa: E731
        grid = [mpmath.mpf(k) / 2000 for k in range(-6000, 6001)]
        values = [F(h) for h in grid]
        roots = []
        for (a, fa), (b, fb) in zip(zip(grid, values), zip(grid[1:], values[1:])):
            if fa == 0:
                roots.append(a)
            elif fa * fb < 0:
                roots.append(mpmath.findroot(F, (a, b), solver="anderson"))
        # polish by Newton steps: findroot's tolerance is absolute, poor for a root like 1e-70
        dF = lambda h: mpmath.mpf(w) * (1 - mpmath.tanh(mpmath.mpf(w) * h + mpmath.mpf(u)) ** 2) - 1  # noqa: E731
        for _ in range(6):   # (a degenerate root, F'(r) = 0, is left as found: such cases are skipped below)
            roots = [r - F(r) / dF(r) if dF(r) != 0 else r for r in roots]
        return roots


def _box_roots(box, roots) -> int:
    with mpmath.workdps(60):                      # mpf() rounds to the working precision
        lo, hi = mpmath.mpf(box.lo[0]), mpmath.mpf(box.hi[0])
        return sum(1 for r in roots if lo <= r <= hi)


@given(w=st.floats(0.3, 1.6), u=st.floats(-0.3, 0.3), x0=st.floats(-2.5, 2.5))
@settings(max_examples=60)
def test_every_box_holds_exactly_one_root(w: float, u: float, x0: float) -> None:
    roots = _roots(w, u)
    # keep to well-separated simple roots: |F'| at each root >= 1e-3
    with mpmath.workdps(30):
        slopes = [abs(w * (1 - mpmath.tanh(w * r + u) ** 2) - 1) for r in roots]
    if min(slopes) < 1e-3:
        return
    box = krawczyk(TANH, np.array([[w]]), np.array([u]), [x0])
    if box is not None:
        assert _box_roots(box, roots) == 1, (w, u, x0, box, roots)


@pytest.mark.parametrize("w, u", [(1.2, 0.0), (1.5, 0.05), (1.1, -0.02)])
def test_starts_between_two_close_roots_never_give_a_box_around_both(w: float, u: float) -> None:
    roots = sorted(_roots(w, u))
    assert len(roots) == 3
    for a, b in zip(roots, roots[1:]):
        for frac in (0.3, 0.5, 0.7):
            x0 = float(a + frac * (b - a))
            box = krawczyk(TANH, np.array([[w]]), np.array([u]), [x0])
            if box is not None:
                assert _box_roots(box, roots) == 1


def test_each_simple_root_gets_a_tight_box() -> None:
    roots = _roots(1.5, 0.05)
    for r in roots:
        box = krawczyk(TANH, np.array([[1.5]]), np.array([0.05]), [float(r)])
        assert box is not None and _box_roots(box, roots) == 1
        with mpmath.workdps(60):
            assert mpmath.mpf(box.hi[0]) - mpmath.mpf(box.lo[0]) < 1e-25


def test_a_degenerate_root_gets_no_box() -> None:
    # w = 1, u = 0: h = 0 is a triple root (F'(0) = 0); no box can prove uniqueness by Krawczyk
    assert krawczyk(TANH, np.array([[1.0]]), np.array([0.0]), [0.0]) is None
