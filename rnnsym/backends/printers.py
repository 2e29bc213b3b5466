"""Code printers of the backends, as SymPy printer subclasses (one ``_print_X`` per rule).

* :class:`FusedPythonPrinter` -- Python for numba: ``cbrt`` through NumPy,
  small negative integer powers divided under NumPy's error model;
* :class:`ElementwiseCPrinter` -- C99 for CuPy's elementwise kernels:
  squares of names multiplied out.

>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> FusedPythonPrinter().doprint(x**-3)
'(1.0/x**3)'
>>> ElementwiseCPrinter().doprint(x**2 + x**-2)
'(x*x) + (1.0/(x*x))'
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.c import C99CodePrinter
from sympy.printing.pycode import PythonCodePrinter

__all__ = ["MULTIPLIED_POWER", "FusedPythonPrinter", "ElementwiseCPrinter"]

#: The fused backend multiplies out integer powers ``x**n`` with ``|n| <=`` this.
MULTIPLIED_POWER = 4


class FusedPythonPrinter(PythonCodePrinter):
    """Python source for ``numba.njit``: fully qualified, strict about unknown functions."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True, "strict": True})

    def _print_Cbrt(self, expr: sp.Basic) -> str:
        return f"numpy.cbrt({self._print(expr.args[0])})"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        # numba's x**-n raises ZeroDivisionError at 0: divide under the NumPy error model
        if expr.exp.is_Integer and -MULTIPLIED_POWER <= expr.exp < -1:
            return f"(1.0/{self.parenthesize(expr.base, 100)}**{-expr.exp})"
        return super()._print_Pow(expr, rational)


class ElementwiseCPrinter(C99CodePrinter):
    """C99 for an elementwise GPU kernel, strict about functions C lacks."""

    def __init__(self) -> None:
        super().__init__({"strict": True})

    def _print_Pow(self, expr: sp.Pow) -> str:
        # squares of names multiply (exact, and cheaper than pow)
        if expr.base.is_Symbol and expr.exp in (2, -2):
            square = f"({self.doprint(expr.base)}*{self.doprint(expr.base)})"
            return square if expr.exp == 2 else f"(1.0/{square})"
        return super()._print_Pow(expr)
