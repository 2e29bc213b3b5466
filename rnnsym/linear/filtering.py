"""The linear RNN as a noisy filter: frequency response, noise variance, SNR.

For ``h_t = A h_{t-1} + B x_t`` with output ``y_t = C h_t`` every object is
derived by SymPy from the recurrence: the transfer function by substituting
``h_t = v z^t`` and solving the linear equations for ``v``; the power gain
``|H(e^{iω})|²`` as a rational function of ``cos ω``; the time-averaged power
of the response to ``X cos(ωt)`` from a summed geometric series and a limit;
the stationary noise variance as a geometric series, as a Parseval integral
evaluated by residues, and from the discrete Lyapunov equation
``P = A P Aᵀ + σ² B Bᵀ``.  Numeric twins (:func:`snr_numeric`) use NumPy and
``scipy.linalg.solve_discrete_lyapunov``.

Conventions: ``omega`` is in ``[0, π]`` (no wrap-around), ``sigma > 0``, the
noise is white, zero-mean and independent of the signal, and the recurrence is
stable (``ρ(A) < 1``).  At ``ω ∈ {0, π}`` the sinusoid does not average to
half its peak power, so the SNR there is twice the value for ``0 < ω < π``
(correction C9).

Examples
--------
>>> import sympy as sp
>>> from rnnsym.linear.filtering import transfer_function, power_gain, Z, OMEGA
>>> a = sp.Symbol("a", real=True)
>>> transfer_function(a, 1)
z/(-a + z)
>>> power_gain(transfer_function(a, 1))
1/(a**2 - 2*a*cos(omega) + 1)
>>> snr_numeric([[0.5]], [[1.0]], [[1.0]], X=1.0, sigma=1.0, omega=0.0)
3.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg
import sympy as sp

from rnnsym.symbols import OMEGA, Z
from rnnsym.errors import DomainError, InvalidArgumentError, ResourceLimitError, ShapeError
from rnnsym.linear.system import as_system
from rnnsym._matrices import as_expr, as_float_array, as_symbol

if TYPE_CHECKING:  # pragma: no cover
    from rnnsym.model import RNN

__all__ = [
    "X", "SIGMA", "ALPHA", "A", "a", "OMEGA", "Z", "R", "OMEGA_0",
    "linear_system", "transfer_function", "frequency_response", "power_gain",
    "cos_polynomial", "TimeAverage", "time_average_power", "geometric_noise_variance",
    "parseval_noise_variance", "lyapunov_noise_variance", "snr_expression", "band_pass_filter",
    "critical_cosines", "stable_form", "snr_numeric", "noise_variance_numeric",
    "MAX_TRANSFER_SYMBOLS", "MAX_LYAPUNOV_SIZE", "MAX_PARSEVAL_DEGREE",
]

X = sp.Symbol("X", real=True)
SIGMA = sp.Symbol("sigma", real=True)
ALPHA = sp.Symbol("alpha", real=True)
A = sp.Symbol("A", real=True)
a = sp.Symbol("a", real=True)
R = sp.Symbol("r", positive=True)
OMEGA_0 = sp.Symbol("omega_0", real=True)
_C = sp.Symbol("c", real=True)  # stands for cos(omega)

#: Most free symbols of ``A`` in a symbolic transfer function (:func:`transfer_function`).
MAX_TRANSFER_SYMBOLS = 9
#: Largest ``n(n+1)/2 * (1 + symbols of A)`` of a symbolic Lyapunov solve.
MAX_LYAPUNOV_SIZE = 50
#: Largest degree in ``z`` of the denominator of ``H`` in :func:`parseval_noise_variance`.
MAX_PARSEVAL_DEGREE = 2
#: Largest ``count_ops`` handed to ``simplify`` by :func:`linear_system`.
MAX_SIMPLIFY_OPS = 300


def _limit(value: Any, name: str, default: int) -> int:
    """A resource limit: ``None`` for ``default``, else an integer >= 0."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InvalidArgumentError(f"`{name}` must be an integer >= 0 or None; got {str(value)[:40]!r}.")
    return int(value)


def _positive(value: Any, name: str) -> float:
    """A numeric scalar argument as a float (strings and containers refused, never evaluated)."""
    return float(as_float_array(value, name, shape=()))


def linear_system(model: "RNN") -> tuple[sp.ImmutableMatrix, sp.ImmutableMatrix]:
    """``(A, B)`` of a linear RNN, read off its step by differentiation.

    The filter view needs ``h_t = A h_{t-1} + B x_t``: identity activation,
    zero bias.

    >>> from rnnsym.model import RNN
    >>> net = RNN([[sp.Symbol("w")]], [[1, 2]], [0], activation="identity")
    >>> linear_system(net)
    (Matrix([[w]]), Matrix([[1, 2]]))
    """
    if not all(hasattr(model, attr) for attr in ("step", "h_prev", "x", "activation", "b")):  # an RNN
        raise InvalidArgumentError(f"`model` must be an rnnsym RNN; got {type(model).__name__}.")
    step = model.step()
    A_ = step.jacobian(model.h_prev)
    B_ = step.jacobian(model.x)
    error = InvalidArgumentError(
        f"`model` must be linear (identity activation, zero bias) for the filter view; "
        f"got activation {model.activation.name!r} and bias {list(model.b)}."
    )
    if A_.has(*model.h_prev, *model.x) or B_.has(*model.h_prev, *model.x):
        raise error  # decided without simplify(), which hangs on tanh of a long sum
    rest = (step - A_ * model.h_prev - B_ * model.x).applyfunc(sp.expand)
    if rest != sp.zeros(*rest.shape):
        ops = int(sp.count_ops(rest))
        if ops > MAX_SIMPLIFY_OPS:
            raise ResourceLimitError(
                f"`model`'s step minus its linear part has {ops} operations, above the limit "
                f"{MAX_SIMPLIFY_OPS} for simplify(); give a linear model (identity activation, zero "
                "bias) or its matrices directly to transfer_function(A, B, C)."
            )
        if sp.simplify(rest) != sp.zeros(*rest.shape):
            raise error
    return sp.ImmutableMatrix(A_), sp.ImmutableMatrix(B_)


def transfer_function(A_: Any, B_: Any, C_: Any = None, z: sp.Symbol = Z, *,
                      max_symbols: int | None = None) -> Any:
    """``H(z)``, derived by substituting ``h_t = v z^t``, ``x_t = z^t`` into the recurrence.

    ``h_t = A h_{t-1} + B x_t`` becomes ``v z^t = A v z^{t-1} + B z^t``;
    SymPy divides by ``z^t`` and solves the linear equations for ``v``; then
    ``H = C v``.  Returns a scalar when the result is 1 x 1.

    Refused up front (:class:`~rnnsym.errors.ResourceLimitError`) when ``A``
    has more than ``max_symbols`` free symbols (default
    :data:`MAX_TRANSFER_SYMBOLS` = 9: a fully symbolic 3x3 ``A`` took 0.7 s,
    4x4 over 15 s; a diagonal one with 8 symbols 2.3 s).  Exact numbers are
    not limited (a rational 16x16 took 2.4 s).

    >>> transfer_function([[0, 1], [0, 0]], [[0], [1]], [[1, 0]])  # a one-step delay
    1/z
    """
    z = as_symbol(z, "z")
    A_, B_, C_ = as_system(A_, B_, C_)
    n = A_.rows
    limit = _limit(max_symbols, "max_symbols", MAX_TRANSFER_SYMBOLS)
    syms = len(A_.free_symbols)
    if syms > limit:
        raise ResourceLimitError(
            f"`A` ({n}x{n}) has {syms} free symbols, above the limit max_symbols={limit} for a symbolic "
            "(zI - A)^{-1}; substitute numbers (exact rationals are not limited) or evaluate "
            "H(e^{i omega}) = C (e^{i omega} I - A)^{-1} B numerically (as rnnsym.linear.filtering.snr_numeric "
            f"does), or pass max_symbols={syms} to try anyway."
        )
    t = sp.Dummy("t", integer=True)
    v = sp.Matrix([sp.Dummy(f"v{i}") for i in range(n)])
    columns = []
    for j in range(B_.cols):
        residual = v * z**t - (A_ * v * z**(t - 1) + B_[:, j] * z**t)
        equations = [sp.expand(sp.powsimp(sp.expand(e / z**t))) for e in residual]
        (solution,) = sp.linsolve(equations, list(v))
        columns.append(sp.Matrix([sp.cancel(s) for s in solution]))
    H = (C_ * sp.Matrix.hstack(*columns)).applyfunc(lambda e: _tidy_rational(e, z))
    return H[0, 0] if H.shape == (1, 1) else sp.ImmutableMatrix(H)


def _tidy_polynomial(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """Collect in ``var`` and simplify each coefficient (``sin² + cos² = 1``)."""
    poly = sp.Poly(sp.expand(expr), var)

    def tidy(coef: sp.Expr) -> sp.Expr:
        if coef.has(sp.sin) and coef.has(sp.cos):
            coef = sp.trigsimp(coef)
        return sp.factor(coef)

    return sp.Add(*[tidy(coef) * var**m[0] for m, coef in zip(poly.monoms(), poly.coeffs())])


def _tidy_rational(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    num, den = sp.fraction(sp.cancel(sp.together(expr)))
    return _tidy_polynomial(num, var) / _tidy_polynomial(den, var)


def frequency_response(A_: Any, B_: Any, C_: Any = None, omega: sp.Symbol = OMEGA) -> Any:
    """``H(e^{iω})``: the transfer function on the unit circle.

    >>> frequency_response(sp.Rational(1, 2), 1)
    2*exp(I*omega)/(2*exp(I*omega) - 1)
    """
    omega = as_expr(omega, "omega")
    H = transfer_function(A_, B_, C_)
    return H.subs(Z, sp.exp(sp.I * omega))


def cos_polynomial(P: sp.Expr, z: sp.Symbol = Z, omega: sp.Symbol = OMEGA) -> sp.Expr:
    """``P(e^{iω}) P(e^{-iω})`` for a real polynomial ``P``, as a polynomial in ``cos ω``.

    The product is a symmetric Laurent polynomial ``Σ q_k z^k``; with
    ``z^k + z^{-k} = 2 T_k(cos ω)`` (Chebyshev) it becomes real.

    >>> cos_polynomial(Z - sp.Rational(1, 2))
    5/4 - cos(omega)
    """
    P, z, omega = as_expr(P, "P"), as_symbol(z, "z"), as_expr(omega, "omega")
    try:
        P = sp.Poly(P, z)
    except sp.PolynomialError:
        raise InvalidArgumentError(f"`P` must be a polynomial in {z}; got {str(P)[:60]}.") from None
    Q = sp.Poly(sp.expand(P.as_expr() * P.as_expr().subs(z, 1 / z) * z**P.degree()), z)
    d = P.degree()
    coeff = {k - d: Q.coeff_monomial(z**k) for k in range(0, 2 * d + 1)}
    out = coeff.get(0, 0) + sum(2 * coeff[k] * sp.chebyshevt(k, _C) for k in range(1, d + 1))
    return _tidy_polynomial(out, _C).subs(_C, sp.cos(omega))


def power_gain(H: sp.Expr, z: sp.Symbol = Z, omega: sp.Symbol = OMEGA) -> sp.Expr:
    """``|H(e^{iω})|²`` for a real rational ``H(z)``, as a rational function of ``cos ω``.

    >>> power_gain(1 / (1 - Z / 2))
    4/(5 - 4*cos(omega))
    """
    H, z, omega = as_expr(H, "H"), as_symbol(z, "z"), as_expr(omega, "omega")
    num, den = sp.fraction(sp.cancel(sp.together(H)))
    return cos_polynomial(num, z, omega) / cos_polynomial(den, z, omega)


@dataclass(frozen=True)
class TimeAverage:
    """The pieces of the time-averaged power of ``y_t = Re(X H e^{iωt})``.

    Attributes: ``square`` (``y_t²`` expanded in ``e^{±2iωt}``), ``partial_sum``
    (``Σ_{t<N} e^{2iωt}``), ``average`` (its limit divided by ``N``, a
    Piecewise), ``special`` (the ``ω`` in ``[0, π]`` where ``e^{2iω} = 1``) and
    ``power`` (the time-averaged power, a Piecewise).
    """

    square: sp.Expr
    partial_sum: sp.Expr
    average: sp.Expr
    special: sp.FiniteSet
    power: sp.Expr


def time_average_power(H: sp.Expr, amplitude: sp.Expr = X, z: sp.Symbol = Z,
                       omega: sp.Symbol = OMEGA) -> TimeAverage:
    """Time-averaged power of the steady response to ``X cos(ωt)``.

    ``y_t = (X/2)(H e^{iωt} + H̄ e^{-iωt})``, so
    ``y_t² = (X²/4)(H² e^{2iωt} + 2|H|² + H̄² e^{-2iωt})``; the mean of
    ``e^{2iωt}`` is 0 unless ``e^{2iω} = 1`` (``ω ∈ {0, π}``), where ``H`` is
    real and the power is ``X²|H|²`` rather than ``X²|H|²/2``.

    >>> p = time_average_power(1 / (1 - Z / 2)).power
    >>> p.subs(OMEGA, 0), p.subs(OMEGA, 1)
    (4*X**2, 2*X**2/(5 - 4*cos(1)))
    """
    H, amplitude = as_expr(H, "H"), as_expr(amplitude, "amplitude")   # never sympify: it evaluates strings
    z, omega = as_symbol(z, "z"), as_symbol(omega, "omega")
    t = sp.Symbol("t", integer=True, nonnegative=True)
    N = sp.Symbol("N", integer=True, positive=True)
    Hs, Hc = sp.Symbol("H"), sp.Symbol("Hbar")
    e = sp.exp(sp.I * omega * t)
    square = sp.expand((amplitude / 2 * (Hs * e + Hc / e))**2)
    partial = sp.summation(sp.exp(2 * sp.I * omega * t), (t, 0, N - 1))
    pieces = []
    for value, cond in partial.args:
        if cond == sp.true:
            # |1 - e^{2iωN}| <= 2, so |partial/N| <= 2/(N |1 - e^{2iω}|) -> 0.
            bound = 2 / (N * sp.Abs(sp.denom(value)))
            pieces.append((sp.limit(bound, N, sp.oo), cond))
        else:
            pieces.append((sp.limit(value / N, N, sp.oo), cond))
    average = sp.Piecewise(*pieces)
    unit = sp.expand_complex(sp.exp(2 * sp.I * omega))
    domain = sp.Interval(0, sp.pi)
    special = sp.solveset(sp.re(unit) - 1, omega, domain).intersect(
        sp.solveset(sp.im(unit), omega, domain))
    gain = power_gain(H, z, omega)
    constant = sp.Add(*[term for term in sp.Add.make_args(square) if not term.has(t)])
    generic = constant.subs(Hs * Hc, gain)
    for w0 in special:
        Hw = sp.cancel(H.subs(z, sp.exp(sp.I * w0)))
        at = square.subs({t: 0}).subs({Hs: Hw, Hc: sp.conjugate(Hw)})
        gap = sp.cancel(sp.expand(at - amplitude**2 * gain.subs(omega, w0)))
        if gap != 0 and sp.simplify(gap) != 0:
            raise ValueError(f"H is not real at omega={w0}; the filter must have real coefficients.")
    at_special = sp.Or(*[sp.Eq(omega, w0) for w0 in special])
    power = sp.Piecewise((amplitude**2 * gain, at_special), (generic, True))
    return TimeAverage(square, partial, average, special, power)


def geometric_noise_variance(impulse: sp.Expr, k: sp.Symbol, sigma: sp.Expr = SIGMA) -> tuple[sp.Expr, Any]:
    """``σ² Σ_{k>=0} g_k²`` for an impulse response ``g_k``; returns (value, condition).

    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> geometric_noise_variance(sp.Rational(1, 2)**k, k, 1)
    (4/3, True)
    """
    impulse, k, sigma = as_expr(impulse, "impulse"), as_symbol(k, "k"), as_expr(sigma, "sigma")
    total = sp.piecewise_fold(sigma**2 * sp.summation(
        sp.expand_power_base(sp.powsimp(impulse**2), force=True), (k, 0, sp.oo)))
    if isinstance(total, sp.Piecewise):
        value, cond = total.args[0]
        return value, cond
    return total, sp.true


def parseval_noise_variance(H: sp.Expr, poles_inside: Any, z: sp.Symbol = Z,
                            sigma: sp.Expr = SIGMA, *, max_degree: int | None = None
                            ) -> tuple[sp.Expr, sp.Expr]:
    """``(σ²/2π)∫_{-π}^{π}|H(e^{iω})|² dω`` by the residue theorem.

    With ``z = e^{iω}``, ``dω = dz/(iz)`` and ``|H|² = H(z)H(1/z)``, the
    integral is ``σ² Σ Res(H(z)H(1/z)/z)`` over the poles inside the unit
    circle: ``z = 0`` and the poles of ``H`` (eigenvalues of a stable ``A``),
    given as ``poles_inside``.  Returns ``(integrand, variance)``.

    The residues are refused up front (:class:`~rnnsym.errors.ResourceLimitError`)
    when the denominator of ``H`` has degree above ``max_degree`` in ``z``
    (default :data:`MAX_PARSEVAL_DEGREE` = 2: two poles took 0.8 s; three
    and four, from rational 3x3 and 4x4 systems, 19 s and more); use
    :func:`noise_variance_numeric` or :func:`lyapunov_noise_variance`.

    >>> parseval_noise_variance(1 / (1 - Z / 2), [sp.Rational(1, 2)], sigma=1)[1]
    4/3
    """
    H, z, sigma = as_expr(H, "H"), as_symbol(z, "z"), as_expr(sigma, "sigma")
    if isinstance(poles_inside, (str, bytes, dict)) or not isinstance(poles_inside, (list, tuple, set, frozenset,
                                                                                     sp.FiniteSet)):
        raise InvalidArgumentError(f"`poles_inside` must be a list of poles; got {type(poles_inside).__name__}.")
    poles_inside = [as_expr(p, "poles_inside") for p in poles_inside]
    degree = sp.degree(sp.denom(sp.together(H)), z) if H.has(z) else 0
    limit = _limit(max_degree, "max_degree", MAX_PARSEVAL_DEGREE)
    if degree > limit:
        raise ResourceLimitError(
            f"`H` has a denominator of degree {degree} in {z}, above the limit max_degree={limit} for "
            "exact residues; use rnnsym.linear.filtering.noise_variance_numeric() on numbers or "
            f"lyapunov_noise_variance(), or pass max_degree={degree} to try anyway."
        )
    integrand = sp.cancel(H * H.subs(z, 1 / z) / z)
    den = sp.denom(integrand)
    candidates = set(poles_inside) | ({sp.Integer(0)} if den.subs(z, 0) == 0 else set())
    total = sum(sp.residue(integrand, z, p) for p in candidates)
    return integrand, sp.factor(sp.simplify(sigma**2 * total))


def lyapunov_noise_variance(A_: Any, B_: Any, C_: Any = None, sigma: sp.Expr = SIGMA, *,
                            max_size: int | None = None) -> tuple[sp.Matrix, sp.Expr]:
    """Stationary covariance ``P = A P Aᵀ + σ² B Bᵀ`` solved symbolically; returns ``(P, C P Cᵀ)``.

    The ``n(n+1)/2`` unknowns of ``P`` are solved with the entries of ``A`` as
    coefficients; the work is refused up front
    (:class:`~rnnsym.errors.ResourceLimitError`) when ``n(n+1)/2 * (1 + s)``,
    ``s`` the free symbols of ``A``, exceeds ``max_size`` (default
    :data:`MAX_LYAPUNOV_SIZE` = 50).  Measured: fully symbolic 2x2 (12) 0.8 s,
    3x3 (60) over 15 s; diagonal 4x4 (50) 2.9 s, 5x5 (90) over 15 s; one
    symbol 5x5 (30) 1.7 s; rational 8x8 (36) 1.6 s, 10x10 (55) 4.9 s.  For
    numbers use :func:`noise_variance_numeric`.

    >>> P, var = lyapunov_noise_variance([[sp.Rational(1, 2)]], [[1]], [[1]], sigma=1)
    >>> var
    4/3
    """
    sigma = as_expr(sigma, "sigma")
    limit = _limit(max_size, "max_size", MAX_LYAPUNOV_SIZE)
    A_, B_, C_ = as_system(A_, B_, C_)
    n = A_.rows
    syms = len(A_.free_symbols)
    size = n * (n + 1) // 2 * (1 + syms)
    if size > limit:
        raise ResourceLimitError(
            f"`A` ({n}x{n}, {syms} free symbol{'s' if syms != 1 else ''}) gives a symbolic Lyapunov "
            f"solve of size n(n+1)/2*(1+symbols) = {size}, above the limit max_size={limit}; use "
            "rnnsym.linear.filtering.noise_variance_numeric() on numbers, or pass "
            f"max_size={size} to try anyway."
        )
    # Solve over rational functions: sin(u), cos(u) become symbols, then
    # even powers of sin(u) are folded back with sin² = 1 - cos².
    trig = {}
    for f in (A_.atoms(sp.sin, sp.cos) | B_.atoms(sp.sin, sp.cos) | C_.atoms(sp.sin, sp.cos)):
        trig[f] = sp.Dummy(f"{f.func.__name__}_{f.args[0]}", real=True)
    A_, B_, C_ = (M.xreplace(trig) for M in (A_, B_, C_))
    entries = {(i, j): sp.Dummy(f"p{i}{j}") for i in range(n) for j in range(i, n)}
    P = sp.Matrix(n, n, lambda i, j: entries[(min(i, j), max(i, j))])
    equations = list(P - A_ * P * A_.T - sigma**2 * B_ * B_.T)
    (solution,) = sp.linsolve(equations, list(entries.values()))
    back = {}
    for f, d in trig.items():
        if f.func is sp.sin and sp.cos(f.args[0]) in trig:
            back[d] = sp.sqrt(1 - trig[sp.cos(f.args[0])]**2)
    undo = {d: f for f, d in trig.items()}

    def fold(e: sp.Expr) -> sp.Expr:
        e = sp.cancel(e)
        if back:
            folded = sp.cancel(e.subs(back))
            if not any(isinstance(p.exp, sp.Rational) and p.exp.q != 1 for p in folded.atoms(sp.Pow)):
                e = folded
        return sp.factor(e).xreplace(undo)

    P = P.subs(dict(zip(entries.values(), solution))).applyfunc(fold)
    variance = fold((C_ * P * C_.T)[0, 0].xreplace(trig) if trig else (C_ * P * C_.T)[0, 0])
    return P, variance


def snr_expression(A_: Any, B_signal: Any, B_noise: Any = None, C_: Any = None,
                   amplitude: sp.Expr = X, sigma: sp.Expr = SIGMA) -> sp.Piecewise:
    """The SNR Piecewise of ``y = C h`` for ``h_t = A h_{t-1} + B_s x_t + B_n ε_t``.

    Signal power from :func:`time_average_power`, noise variance from
    :func:`lyapunov_noise_variance` (``B_noise`` defaults to ``B_signal``).

    >>> snr_expression([[sp.Rational(1, 2)]], [[1]], C_=[[1]], sigma=1)
    Piecewise((3*X**2/(5 - 4*cos(omega)), Eq(omega, 0) | Eq(omega, pi)), (3*X**2/(2*(5 - 4*cos(omega))), True))
    """
    B_noise = B_signal if B_noise is None else B_noise
    amplitude, sigma = as_expr(amplitude, "amplitude"), as_expr(sigma, "sigma")   # never sympify
    H = transfer_function(A_, B_signal, C_)
    _, variance = lyapunov_noise_variance(A_, B_noise, C_, sigma)
    power = time_average_power(H, amplitude).power
    return sp.Piecewise(*[(value / variance, cond) for value, cond in power.args])


def band_pass_filter(r: Any = R, omega0: Any = OMEGA_0, *, output: str = "e1") -> tuple[sp.Matrix, sp.Matrix, sp.Matrix]:
    """``(A, B, C)`` of the two-state resonator ``A = r Rot(ω₀)`` (eigenvalues ``r e^{±iω₀}``).

    ``output="e1"``: ``B = e₁``, ``C = e₁ᵀ`` (one zero at ``r cos ω₀``);
    ``output="e2"``: ``B = e₂``, ``C = e₁ᵀ`` (all-pole; gain ``r² sin²ω₀/|det|²``).

    >>> band_pass_filter(1, 0)[0]
    Matrix([
    [1, 0],
    [0, 1]])
    """
    if not isinstance(output, str) or output not in ("e1", "e2"):
        raise InvalidArgumentError(f"`output` must be 'e1' or 'e2'; got {str(output)[:40]!r}.")
    r, omega0 = as_expr(r, "r"), as_expr(omega0, "omega0")
    rot = sp.Matrix([[sp.cos(omega0), -sp.sin(omega0)], [sp.sin(omega0), sp.cos(omega0)]])
    B_ = sp.Matrix([1, 0]) if output == "e1" else sp.Matrix([0, 1])
    return r * rot, B_, sp.Matrix([[1, 0]])


def critical_cosines(gain: sp.Expr, omega: sp.Symbol = OMEGA) -> list[sp.Expr]:
    """Values of ``cos ω`` where ``d|H|²/dω = 0`` away from ``ω ∈ {0, π}``.

    ``d/dω G(cos ω) = -sin ω · G'(cos ω)``, so inside ``(0, π)`` the critical
    points solve ``G'(c) = 0``.

    >>> critical_cosines(1 / (1 - sp.cos(OMEGA)**2 + sp.cos(OMEGA)))
    [1/2]
    """
    gain, omega = as_expr(gain, "gain"), as_symbol(omega, "omega")
    G = gain.subs(sp.cos(omega), _C)
    num = sp.numer(sp.together(sp.diff(G, _C)))
    roots = sp.roots(sp.Poly(sp.expand(num), _C))
    return [sp.factor(root) for root in roots]


def _stable_add(expr: sp.Add, av: sp.Symbol, omega: sp.Symbol) -> sp.Expr:
    cos = sp.cos(omega)
    if expr.has(cos) and expr.has(av):
        half = omega / 2
        s, c = sp.Dummy("s"), sp.Dummy("c")
        forms = []
        for var, repl in ((s, 1 - 2 * s**2), (c, 2 * c**2 - 1)):
            poly = sp.Poly(sp.expand(expr.subs(cos, repl)), var)
            terms = [sp.factor(coef) * var**m[0] for m, coef in zip(poly.monoms(), poly.coeffs())]
            forms.append(sp.Add(*terms))
        sin_form = forms[0].subs(s, sp.sin(half))
        cos_form = forms[1].subs(c, sp.cos(half))
        return sp.Piecewise((sin_form, av >= 0), (cos_form, True))
    if expr.has(av) and not expr.has(omega):
        return sp.factor(expr)
    return expr


def stable_form(expr: sp.Expr, av: sp.Symbol = a, omega: sp.Symbol = OMEGA,
                amplitude: sp.Symbol = X, sigma: sp.Symbol = SIGMA) -> sp.Expr:
    """An equal expression that float64 evaluates without cancellation.

    Branches at single frequencies (``Eq(ω, v)``) get ``v`` substituted;
    polynomials in ``a`` are factored (``1 - a² = (1 - a)(1 + a)``); those
    in ``a`` and ``cos ω`` are rewritten with ``cos ω = 1 - 2 sin²(ω/2)``
    (for ``a >= 0``) or ``2 cos²(ω/2) - 1`` (for ``a < 0``), so that
    ``1 - 2a cos ω + a² = (1 - a)² + 4a sin²(ω/2) = (1 + a)² - 4a cos²(ω/2)``
    is a sum of non-negative terms; ``X²/σ²`` becomes ``(X/σ)²``.

    >>> stable_form(1 - 2 * a * sp.cos(OMEGA) + a**2)
    Piecewise((4*a*sin(omega/2)**2 + (a - 1)**2, a >= 0), (-4*a*cos(omega/2)**2 + (a + 1)**2, True))
    """
    expr = as_expr(expr, "expr")
    av, omega = as_symbol(av, "av"), as_symbol(omega, "omega")
    amplitude, sigma = as_symbol(amplitude, "amplitude"), as_symbol(sigma, "sigma")
    if isinstance(expr, sp.Piecewise):
        branches = []
        for value, cond in expr.args:
            points = [c for c in (cond.args if isinstance(cond, sp.Or) else (cond,))]
            if cond != sp.true and all(isinstance(p, sp.Eq) and omega in p.lhs.free_symbols | p.rhs.free_symbols
                                       for p in points):
                for p in points:
                    (w0,) = sp.solve(p, omega)
                    branches.append((stable_form(sp.cancel(value.subs(omega, w0)), av, omega,
                                                 amplitude, sigma), p))
            else:
                branches.append((stable_form(value, av, omega, amplitude, sigma), cond))
        return sp.Piecewise(*branches)
    out = expr.replace(lambda e: isinstance(e, sp.Add), lambda e: _stable_add(e, av, omega))

    def ratio(e: sp.Mul) -> sp.Expr:
        powers = e.as_powers_dict()
        m = powers.get(amplitude, 0)
        if m != 0 and powers.get(sigma, 0) == -m:
            rest = sp.Mul(*[b**p for b, p in powers.items() if b not in (amplitude, sigma)])
            return rest * sp.UnevaluatedExpr(amplitude / sigma)**m
        return e

    return out.replace(lambda e: isinstance(e, sp.Mul), ratio)


def _numeric_system(A_: Any, B_: Any, C_: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, B, C)`` of a single-input, single-output stable system, as floats (see :func:`as_system`)."""
    A_, _, _ = as_system(A_, numeric=True)
    n = A_.shape[0]
    if np.size(B_) != n:
        raise ShapeError(f"`B` must have {n} entries (one input); got shape {np.shape(B_)}.")
    if np.size(C_) != n:
        raise ShapeError(f"`C` must have {n} entries (one output); got shape {np.shape(C_)}.")
    A_, B_, C_ = as_system(A_, np.reshape(B_, (n, 1)), np.reshape(C_, (1, n)), numeric=True)
    rho = max(abs(np.linalg.eigvals(A_)))
    if rho >= 1:
        raise DomainError(f"`A` has spectral radius {rho:.6g}; expected < 1 (no stationary state otherwise).")
    return A_, B_, C_


def noise_variance_numeric(A_: Any, B_: Any, C_: Any, sigma: float) -> float:
    """``σ² C P Cᵀ`` with ``P`` from :func:`scipy.linalg.solve_discrete_lyapunov`.

    >>> noise_variance_numeric([[0.5]], [1.0], [1.0], 1.0)
    1.3333333333333333
    """
    sigma = _positive(sigma, "sigma")
    A_, B_, C_ = _numeric_system(A_, B_, C_)
    if not sigma > 0:
        raise DomainError(f"`sigma`={sigma!r} must be > 0 (noise standard deviation).")
    P = scipy.linalg.solve_discrete_lyapunov(A_, B_ @ B_.T)
    return float(sigma**2 * (C_ @ P @ C_.T)[0, 0])


def snr_numeric(A_: Any, B_: Any, C_: Any, X: float, sigma: float, omega: float) -> float:
    """Steady-state SNR of ``y = C h`` for ``h_t = A h_{t-1} + B (X cos ωt + ε_t)``.

    Raises :class:`DomainError` for ``ρ(A) >= 1``, ``sigma <= 0`` or
    ``omega`` outside ``[0, π]``; :class:`ShapeError` for a non-square ``A``.

    >>> round(snr_numeric([[0.5]], [1.0], [1.0], X=1.0, sigma=1.0, omega=np.pi / 2), 12)
    0.3
    """
    X, sigma, omega = _positive(X, "X"), _positive(sigma, "sigma"), _positive(omega, "omega")
    if not 0 <= omega <= np.pi:
        raise DomainError(f"`omega`={omega!r} must lie in [0, pi]; fold it with omega = |angle(exp(i*omega))|.")
    A_, B_, C_ = _numeric_system(A_, B_, C_)
    H = (C_ @ np.linalg.solve(np.eye(len(A_)) - A_ * np.exp(-1j * omega), B_))[0, 0]
    share = 1.0 if omega in (0.0, np.pi) else 0.5
    return float(X**2 * abs(H)**2 * share / noise_variance_numeric(A_, B_, C_, sigma))
