"""LaTeX output compiles, whatever the symbol names."""

from __future__ import annotations

import sympy as sp

import rnnsym as rs
from rnnsym.latex import compile_pdf, escape_text, standalone_document

HOSTILE_NAMES = ["a&b", "50%", "#x", "$y", "w_h_1", "{z}", "tilde~", "hat^", "back\\slash",
                 "α", "Ω", "naïve", "日本", "W_h[0,1]", "lam", "h_star", "x__y"]


def test_every_symbol_name_prints_without_raw_specials() -> None:
    for name in HOSTILE_NAMES:
        tex = rs.latex(sp.Symbol(name) ** 2 + 1)
        for ch in "&%#$":
            assert ch not in tex.replace("\\" + ch, ""), (name, tex)
        assert all(ord(c) < 128 for c in tex), (name, tex)


def test_document_with_hostile_names_compiles(require_pdflatex, tmp_path) -> None:
    expr = sum(sp.Symbol(n) for n in HOSTILE_NAMES)
    matrix = sp.Matrix([[sp.Symbol("a&b"), 0], [sp.Symbol("α"), sp.Symbol("W_h[0,1]")]])
    body = "\n".join([
        f"\\[ {rs.latex(expr)} \\]",
        f"\\[ {rs.latex(sp.Eq(matrix, matrix.T, evaluate=False))} \\]",
        escape_text("Text with 100% of R&D_x, ~ ^ \\ { } and ∂h/∂x ≤ ‖W‖₂ α 日本"),
    ])
    assert compile_pdf(standalone_document(body, title="names & 50%"), tmp_path).exists()


def test_registered_symbols_print_as_the_textbook_does() -> None:
    net = rs.RNN.symbolic(1, 1)
    assert rs.latex(net.h_prev[0]) == "h_{t-1,0}"
    assert rs.latex(net.x[0]) == "x_{t,0}"
    assert rs.latex(sp.Symbol("lam")) == "\\lambda"
