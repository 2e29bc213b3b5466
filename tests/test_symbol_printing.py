"""rnnsym's symbols print well through SymPy's own printers, and stay plain SymPy symbols (issue 16, item 4).

Three things must hold together: plain ``sympy.latex`` / ``sympy.pretty``
show ``(W_h)_{0,1}``-style names; the ASCII names (JSON, ``--param``) are
unchanged; ``srepr`` round-trips through plain ``sympy.sympify`` and a
symbol a user builds by name is the same symbol (==, hash, dict, subs,
xreplace, has, solve, lambdify, pickling).
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.latex import Symbol


@pytest.fixture(scope="module")
def entry() -> sp.Expr:
    return rs.RNN.symbolic(n=2).jacobian()[0, 1]


def test_plain_sympy_latex_prints_rnnsym_names(entry: sp.Expr) -> None:
    tex = sp.latex(entry)
    assert r"\left(W_{h}\right)_{0,1}" in tex and "h_{t-1,0}" in tex and "x_{t,0}" in tex and "b_{0}" in tex
    assert "h[0,1]" not in tex and "prev" not in tex and "x[0]" not in tex
    assert tex == rs.latex(entry)   # the same as rnnsym's own printer


def test_plain_sympy_pretty_prints_subscripts(entry: sp.Expr) -> None:
    assert "(W_h)₀,₁" in sp.pretty(entry) and "hₜ₋₁,₀" in sp.pretty(entry)
    assert "(W_h)_(0,1)" in sp.pretty(entry, use_unicode=False)


def test_ascii_names_are_unchanged(entry: sp.Expr) -> None:
    assert str(entry).startswith("W_h[0,1]*sech(")
    d = rs.derive("recurrence", n=2)
    assert "W_h[0,1]" in d.all_symbols
    assert rs.derive("recurrence", n=2, **{"W_h[0,1]": "1/2"}).parameters   # --param W_h[0,1]=1/2


def test_srepr_round_trips_through_plain_sympify(entry: sp.Expr) -> None:
    text = sp.srepr(entry)
    assert "rnnsym" not in text and "Symbol('W_h[0,1]', real=True)" in text
    back = sp.sympify(text)
    assert back == entry and sp.simplify(back - entry) == 0


def test_a_symbol_built_by_name_is_the_same_symbol(entry: sp.Expr) -> None:
    mine = sp.Symbol("W_h[0,1]", real=True)
    theirs = next(s for s in entry.free_symbols if s.name == "W_h[0,1]")
    assert type(theirs) is Symbol and theirs == mine and mine == theirs and hash(mine) == hash(theirs)
    assert {mine: 1}[theirs] == 1 and {theirs: 1}[mine] == 1 and mine in entry.free_symbols
    assert entry.has(mine)
    assert not entry.subs(mine, 0).has(mine) and entry.subs(mine, 0) == 0
    assert entry.xreplace({mine: 0}) == 0
    assert sp.solve(sp.Eq(theirs**2, 4), mine) == [-2, 2]
    assert (theirs - mine) == 0 and sp.Add(theirs, mine) == 2 * mine
    assert sp.Symbol("W_h[0,1]") != theirs   # other assumptions: another symbol, as in SymPy
    f = sp.lambdify([mine], entry.subs({s: 0.1 for s in entry.free_symbols if s != theirs}))
    assert np.isfinite(f(0.5))


def test_pickling_and_caching_keep_the_class() -> None:
    w = Symbol("W_h[0,1]", real=True)
    assert Symbol("W_h[0,1]", real=True) is w
    back = pickle.loads(pickle.dumps(w))
    assert type(back) is Symbol and back == w and sp.latex(back) == sp.latex(w)


def test_ordering_is_sympys(entry: sp.Expr) -> None:
    """Canonical argument order is SymPy's: the class sorts under the name Symbol."""
    a = sp.Symbol("a", real=True)
    w = Symbol("W_h[0,1]", real=True)
    plain = sp.Symbol("W_h[0,1]", real=True)
    assert (a + w).args == (a + plain).args or str(a + w) == str(a + plain)


def test_notebook_objects_render_as_math() -> None:
    d = rs.derive("half_life")
    for obj in (d, d.steps[0], rs.get_activation("tanh"), d.verify(max_examples=3)):
        tex = obj._repr_latex_()
        assert tex.startswith("$") and tex.endswith("$") and "\\displaystyle" in tex
    assert "<table>" in d.verify(max_examples=3)._repr_html_()


def test_bad_names_and_assumptions_are_refused() -> None:
    with pytest.raises(rs.InvalidArgumentError, match="`name` must be a string"):
        Symbol(["x"])
    with pytest.raises(rs.InvalidArgumentError, match="assumption `real`"):
        Symbol("x", real="yes")
