"""The package's shared symbols and its stability vocabulary, each defined once.

SymPy compares symbols by name *and* assumptions, so two modules that each
write ``Symbol("lam")`` with different assumptions get two symbols that
print alike and never compare equal.  Every module (and every derivation)
takes these from here instead.

========  =====================================================  ==================
name      meaning                                                assumptions
========  =====================================================  ==================
``lam``   an eigenvalue (``\\lambda``); may be complex             none
``rho``   a spectral radius ``rho(J)``                            positive
``tau``   a target half-life, in steps                           positive
``omega`` an angular frequency                                   real
``z``     the pre-activation ``z`` of ``phi(z)``, and the formal  real
          variable of transfer functions ``H(z)`` (evaluated at
          ``e^{i omega}``; only rational operations use it)
========  =====================================================  ==================

>>> from rnnsym.symbols import LAM, RHO, Z
>>> LAM, RHO.is_positive, Z.is_real
(lam, True, True)
"""

from __future__ import annotations

import sympy as sp

__all__ = ["LAM", "RHO", "TAU", "OMEGA", "Z", "FIXED_POINT_KINDS", "MODE_KINDS"]

#: An eigenvalue; general (complex) so that results hold for every spectrum.
LAM = sp.Symbol("lam")
#: A spectral radius (positive: a half-life needs ``0 < rho``).
RHO = sp.Symbol("rho", positive=True)
#: A target half-life in steps.
TAU = sp.Symbol("tau", positive=True)
#: An angular frequency.
OMEGA = sp.Symbol("omega", real=True)
#: The pre-activation of ``phi(z)``; also the formal variable of ``H(z)``.
Z = sp.Symbol("z", real=True)

#: How a fixed point behaves under small perturbations (from ``rho(J)`` and the
#: eigenvalue moduli): the vocabulary of :func:`rnnsym.stability.classify_jacobian`,
#: whose integer codes index it.  ``"marginal"``: ``rho(J) = 1`` exactly (decided);
#: ``"undecided"``: the precision spent could not tell ``rho(J) < 1``, ``= 1``, ``> 1``
#: apart.  New kinds are appended, so existing codes stay valid.
FIXED_POINT_KINDS: tuple[str, ...] = ("stable", "unstable", "saddle", "marginal", "undecided")
#: How one eigenmode of a linear recurrence evolves: the vocabulary of
#: :func:`rnnsym.linear.modes.modes`.
MODE_KINDS: tuple[str, ...] = ("fading", "persistent", "polynomially growing", "exploding", "undetermined")
