"""The SymEngine path builds the same objects as the SymPy path, and compiles them."""

from __future__ import annotations

import numpy as np
import pytest

import rnnsym as rs
from rnnsym.linear.system import LinearRNN

pytest.importorskip("symengine")
from rnnsym.backends import symengine as seb  # noqa: E402


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softsign"])
@pytest.mark.parametrize("n", [1, 3])
def test_jacobian_equals_the_sympy_path(n: int, activation: str) -> None:
    net = rs.RNN.symbolic(n, 2, activation)
    symbols = net.parameters + tuple(net.h_prev) + tuple(net.x)
    assert seb.to_sympy(seb.rnn_jacobian(net), symbols) == net.jacobian()


@pytest.mark.parametrize("n", [2, 3])
def test_controllability_matrix_equals_the_sympy_path(n: int) -> None:
    system = LinearRNN.symbolic(n, 1)
    assert seb.to_sympy(seb.controllability_matrix(system, expand=True), system.parameters) == \
        system.controllability_matrix()
    unexpanded = seb.to_sympy(seb.controllability_matrix(system), system.parameters)
    assert unexpanded.applyfunc(lambda e: e.expand()) == system.controllability_matrix()


def test_compiled_jacobian_matches_the_rnnsym_kernel() -> None:
    net = rs.RNN.symbolic(3, 2)
    args = [net.W_h, net.W_x, net.b, net.h_prev, net.x]
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(4, 3, 3)), rng.normal(size=(3, 2)), rng.normal(size=3),
              rng.normal(size=(4, 3)), rng.normal(size=2)]
    for backend in ("llvm", "lambda"):
        got = seb.compile(seb.rnn_jacobian(net), args, backend=backend)(*values)
        np.testing.assert_allclose(got, rs.compile(net.jacobian(), args)(*values), rtol=1e-13)


def test_compiled_scalar_broadcasts() -> None:
    import sympy as sp

    x, y = sp.symbols("x y")
    k = seb.compile(x * y + 1, [x, y], backend="lambda")
    assert k([1.0, 2.0], 3.0).tolist() == [4.0, 7.0]
    assert float(k(2.0, 2.0)) == 5.0
