"""The RNN as a noisy filter: frequency response, noise variance and the SNR.

Worked solution (chapter reference 3192150, corrections C9, C10).  The linear unit
``h_t = αA h_{t-1} + α(x_t + ε_t)`` is an :class:`rnnsym.RNN` with identity activation and two
inputs, the signal ``x_t`` and the noise ``ε_t``.  SymPy reads ``a = αA`` off its step, derives the
transfer function by substituting ``h_t = v z^t``, the time-averaged power of the response to
``X cos(ωt)`` from a summed series and a limit, and the noise variance twice (geometric series;
Parseval integral by residues), then divides.  The result is a Piecewise: the chapter's formula for
``0 < ω < π`` and twice it at ``ω ∈ {0, π}``, under ``|a| < 1``, ``σ > 0``, ``α ≠ 0``, white noise
independent of the signal.  The n-state form uses the discrete Lyapunov equation; the two-state
resonator ``A = r Rot(ω₀)`` is the band-pass filter a one-state unit cannot be (E10).

The kernel (``derivation.kernel``, arguments ``X, sigma, a, omega``) is compiled from
:func:`rnnsym.linear.filtering.stable_form` of the result, an equal expression without cancellation
near ``|a| → 1`` and ``ω → 0, π``.  Pass ``on_domain="nan"`` to a kernel call for sweeps over ``|a| >= 1``.

Examples
--------
>>> import rnnsym as rs
>>> d = rs.derive("snr")
>>> d.kernel(1.0, 1.0, 0.5, 0.0)
np.float64(3.0)
>>> d.result.args[1][0]
X**2*(1 - a**2)/(2*sigma**2*(a**2 - 2*a*cos(omega) + 1))
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from hypothesis import assume
from hypothesis import strategies as st

import rnnsym as rs
from rnnsym import strategies as rst
from rnnsym.derivation import Derivation, Step
from rnnsym.latex import latex, register_symbol
from rnnsym.linear import filtering as flt
from rnnsym.linear.filtering import ALPHA, OMEGA, OMEGA_0, SIGMA, A, R, X, Z, a
from rnnsym.registry import DerivationInfo
from rnnsym.report.figures import evaluate
from rnnsym.verification import check_property, combine_reports

INFO = DerivationInfo(
    name="snr",
    title="The RNN as a noisy filter: frequency response, noise variance and SNR",
    reference="3192150",
    section="The RNN as a Signal Processor",
    order=80,
    symbols={
        "X": r"signal amplitude ($x_t = X \cos(\omega t)$)",
        "sigma": "noise standard deviation (white, zero-mean, independent of $x$)",
        "alpha": "input gain",
        "A": "recurrent weight (scalar)",
        "a": r"$a = \alpha A$, the pole of the filter",
        "omega": r"signal frequency in $[0, \pi]$",
        "r": "pole radius of the two-state band-pass filter",
        "omega_0": "pole angle of the two-state band-pass filter",
    },
)

SNR = register_symbol(sp.Symbol("SNR"), r"\mathrm{SNR}")
SNR_BP = register_symbol(sp.Symbol("SNR_bp"), r"\mathrm{SNR}_{\mathrm{bp}}")
H_T = register_symbol(sp.Symbol("h_t", real=True), r"h_t")
H_PREV = register_symbol(sp.Symbol("h_tm1", real=True), r"h_{t-1}")
X_T = register_symbol(sp.Symbol("x_t", real=True), r"x_t")
EPS_T = register_symbol(sp.Symbol("epsilon_t", real=True), r"\varepsilon_t")
H_Z = register_symbol(sp.Symbol("H(z)"), r"H(z)")
H_W = register_symbol(sp.Symbol("H(e^iw)"), r"H(e^{i\omega})")
GAIN = register_symbol(sp.Symbol("|H|^2"), r"\left|H(e^{i\omega})\right|^{2}")
Y2 = register_symbol(sp.Symbol("y_t^2"), r"y_t^{2}")
MEAN_E = register_symbol(sp.Symbol("mean_e2iwt"), r"\lim_{N\to\infty}\frac{1}{N}\sum_{t<N} e^{2i\omega t}")
SPECIAL = register_symbol(sp.Symbol("Omega_special"), r"\{\omega\in[0,\pi] : e^{2i\omega}=1\}")
P_SIG = register_symbol(sp.Symbol("P_signal"), r"\overline{y^{2}}")
VAR = register_symbol(sp.Symbol("var_noise"), r"\sigma_h^{2}")
G_K = register_symbol(sp.Symbol("g_k"), r"g_k")
P_MAT = register_symbol(sp.Symbol("P"), r"P")
A_BP = register_symbol(sp.Symbol("A_bp"), r"A_{\mathrm{bp}}")
COS_P = register_symbol(sp.Symbol("cos_omega_p"), r"\cos\omega_p")
COS_P1 = register_symbol(sp.Symbol("cos_omega_p_e1"), r"\cos\omega_p^{(e_1)}")
STABLE = register_symbol(sp.Symbol("SNR_float"), r"\mathrm{SNR}_{\mathrm{float64}}")
STABLE_BP = register_symbol(sp.Symbol("SNR_bp_float"), r"\mathrm{SNR}_{\mathrm{bp,float64}}")

KERNEL_ARGS = (X, SIGMA, a, OMEGA)


def _ratio(power: sp.Piecewise, variance: sp.Expr) -> sp.Piecewise:
    return sp.Piecewise(*[(value / variance, cond) for value, cond in power.args])


def derive() -> Derivation:
    """Derive the SNR of the noisy linear unit and its n-state generalisation."""
    return _derive()


@lru_cache(maxsize=1)
def _derive() -> Derivation:
    net = rs.RNN([[ALPHA * A]], [[ALPHA, ALPHA]], [0], activation="identity")
    A_, B_ = flt.linear_system(net)
    pole = A_[0, 0]
    A_ = A_.subs(pole, a)
    shown = {net.h_prev[0]: H_PREV, net.x[0]: X_T, net.x[1]: EPS_T}
    H = flt.transfer_function(A_, B_[:, 0])
    H_noise = flt.transfer_function(A_, B_[:, 1])
    gain = flt.power_gain(H)
    avg = flt.time_average_power(H)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    impulse = (A_**k * B_[:, 1])[0, 0]
    series, cond = flt.geometric_noise_variance(impulse, k)
    poles = sp.solve(sp.denom(sp.cancel(H_noise)), Z)  # eigenvalues of A: inside for |a| < 1
    _integrand, parseval = flt.parseval_noise_variance(H_noise, poles)
    _, lyapunov = flt.lyapunov_noise_variance(A_, B_[:, 1])
    for other in (parseval, lyapunov):
        if sp.simplify(series - other) != 0:
            raise AssertionError(f"noise variances disagree: {series} != {other}")
    snr = _ratio(avg.power, series)
    band_steps, band_snr, band_float = _band_pass()
    generic = snr.args[-1][0]
    slope = sp.factor(sp.diff(generic, OMEGA))
    ends = sp.Tuple(sp.limit(generic, OMEGA, 0, "+"), sp.limit(generic, OMEGA, sp.pi, "-"))
    steps = [
        Step(sp.Eq(H_T, net.step()[0].xreplace(shown), evaluate=False),
             r"The linear unit as an RNN with identity activation and two inputs, signal $x_t$ and noise "
             r"$\varepsilon_t$."),
        Step(sp.Eq(a, pole, evaluate=False),
             r"Its recurrent coefficient, read off the step by differentiation; $\alpha$ and $A$ enter only "
             "through $a$."),
        Step(sp.Eq(H_Z, H, evaluate=False),
             "Substituting $h_t = v z^t$, $x_t = z^t$ into the recurrence and solving for $v$ gives the transfer "
             "function."),
        Step(sp.Eq(H_W, H.subs(Z, sp.exp(sp.I * OMEGA)), evaluate=False),
             r"On the unit circle $z = e^{i\omega}$ it is the frequency response."),
        Step(sp.Eq(GAIN, gain, evaluate=False),
             r"$|H|^2 = H(z) H(1/z)$ on $|z| = 1$, written in $\cos\omega$."),
        Step(sp.Eq(Y2, avg.square.subs({sp.Symbol("H"): H_W, sp.Symbol("Hbar"): sp.conjugate(H_W)}), evaluate=False),
             r"The steady response to $X \cos(\omega t)$ is $y_t = \operatorname{Re}(X H e^{i \omega t})$; its square."),
        Step(sp.Eq(MEAN_E, avg.average, evaluate=False),
             r"The summed geometric series over $N$ is bounded unless $e^{2 i \omega} = 1$, so its mean tends to 0."),
        Step(sp.Eq(SPECIAL, avg.special, evaluate=False),
             r"Solving $e^{2 i \omega} = 1$ on $[0, \pi]$: there the sinusoid does not average to half its peak power."),
        Step(sp.Eq(P_SIG, avg.power, evaluate=False),
             r"Time-averaged signal power: $X^2 |H|^2 / 2$ inside $(0, \pi)$, $X^2 |H|^2$ at $\omega \in \{0, \pi\}$ "
             "($H$ is real there)."),
        Step(sp.Eq(G_K, impulse, evaluate=False),
             r"Noise impulse response $g_k = a^k \alpha$, from unrolling the recurrence."),
        Step(sp.Eq(VAR, sp.Eq(SIGMA**2 * sp.Sum(impulse**2, (k, 0, sp.oo)), series, evaluate=False), evaluate=False),
             f"Stationary variance of white noise through the filter, summed as a geometric series (${latex(cond)}$)."),
        Step(sp.Eq(VAR, sp.Eq(SIGMA**2 / (2 * sp.pi) * sp.Integral(flt.power_gain(H_noise), (OMEGA, -sp.pi, sp.pi)),
                              parseval, evaluate=False), evaluate=False),
             "The same variance as the Parseval integral, by residues of $H(z)H(1/z)/z$ inside $|z| = 1$ (pole $z = a$)."),
        Step(sp.Eq(P_MAT, sp.Eq(A_ * P_MAT * A_.T + SIGMA**2 * B_[:, 1] * B_[:, 1].T, sp.Matrix([lyapunov]),
                                evaluate=False), evaluate=False),
             r"And from the discrete Lyapunov equation $P = A P A^{\top} + \sigma^2 B B^{\top}$: all three agree."),
        Step(sp.Eq(sp.Derivative(SNR, OMEGA), slope, evaluate=False),
             r"Correction C10: for $0 < \omega < \pi$ the slope has the sign of $-a$: low-pass for $a > 0$, high-pass for "
             "$a < 0$."),
        Step(sp.Eq(sp.Tuple(sp.Limit(SNR, OMEGA, 0, "+"), sp.Limit(SNR, OMEGA, sp.pi, "-")), ends, evaluate=False),
             r"So inside $(0, \pi)$ the SNR lies between these limits, $(1-|a|)/(1+|a|)$ and $(1+|a|)/(1-|a|)$ times "
             r"$X^2/(2 \sigma^2)$."),
        *band_steps,
        Step(sp.Eq(STABLE, flt.stable_form(snr), evaluate=False),
             r"For float64 the kernel uses an equal form without cancellation near $|a| \to 1$ and $\omega \to 0, \pi$."),
    ]
    assumptions = [sp.Abs(a) < 1, SIGMA > 0, OMEGA >= 0, OMEGA <= sp.pi, sp.Ne(ALPHA, 0)]
    return Derivation(
        name=INFO.name, title=INFO.title, reference=INFO.reference, section=INFO.section, steps=steps, result=snr, result_label=SNR,
        assumptions=assumptions, symbols=dict(INFO.symbols), kernel_args=KERNEL_ARGS, verifier=verify,
        context={"model": net, "band_pass": band_snr, "band_pass_float": band_float},
        numeric_form=flt.stable_form,
    )


def _band_pass() -> tuple[list[Step], sp.Piecewise, sp.Piecewise]:
    A_, B_, C_ = flt.band_pass_filter()
    H = flt.transfer_function(A_, B_, C_)
    _, variance = flt.lyapunov_noise_variance(A_, B_, C_)
    gain = flt.power_gain(H)
    denominator = sp.denom(sp.together(gain))
    (peak,) = flt.critical_cosines(1 / denominator)
    e1_peaks = flt.critical_cosines(gain)
    _, B2, _ = flt.band_pass_filter(output="e2")
    all_pole = flt.critical_cosines(flt.power_gain(flt.transfer_function(A_, B2, C_)))
    if all_pole != [peak]:
        raise AssertionError(f"the all-pole peak {all_pole} differs from the denominator's {peak}")
    band_snr = _ratio(flt.time_average_power(H).power, variance)
    band_float = _band_pass_float(band_snr, gain, variance)
    return [
        Step(sp.Eq(A_BP, A_, evaluate=False),
             r"$n$ states: $h_t = A h_{t-1} + B(x_t + \varepsilon_t)$, $y_t = C h_t$; the resonator "
             r"$A = r \operatorname{Rot}(\omega_0)$, $B = e_1$, $C = e_1^{\top}$."),
        Step(sp.Eq(H_Z, H, evaluate=False),
             r"$H(z) = C (I - A/z)^{-1} B$, derived as above; its poles $r e^{\pm i \omega_0}$ make a band-pass (correction C10)."),
        Step(sp.Eq(VAR, variance, evaluate=False),
             r"Noise variance $C P C^{\top}$ from the Lyapunov equation, solved symbolically for the entries of $P$."),
        Step(sp.Eq(SNR_BP, band_snr, evaluate=False),
             r"The band-pass SNR: signal power over noise variance, with the same factor 2 at $\omega \in \{0, \pi\}$."),
        Step(sp.Eq(COS_P, peak, evaluate=False),
             r"Differentiating the denominator $|\det(I - A e^{-i\omega})|^2$ in $\cos\omega$: the pole pair peaks here "
             r"when this is at most 1 in magnitude (else at $\omega = 0$ or $\pi$); it is the exact SNR peak of the "
             "all-pole output $B = e_2$."),
        Step(sp.Eq(COS_P1, sp.FiniteSet(*e1_peaks), evaluate=False),
             r"With $B = e_1$ the zero at $r \cos\omega_0$ moves the critical points: the exact roots of "
             r"$d|H|^2/d\cos\omega = 0$.", relation="∈"),
        Step(sp.Eq(STABLE_BP, band_float, evaluate=False),
             "For float64 the band-pass kernel uses an equal form (checked by SymPy) whose sums have terms of one sign: "
             r"$|\det(I - A e^{-i\omega})|^2$ split into its pole pairs "
             r"$1 - 2r \cos(\omega \mp \omega_0) + r^2 = (1 - r)^2 + 4r \sin^2((\omega \mp \omega_0)/2)$ "
             r"(the sum's sine expanded into two products $\ge 0$), and every other factor rewritten in half angles."),
    ], band_snr, band_float


# -- a float64 form of the band-pass SNR without cancellation -----------------------
# The band-pass SNR is a product of polynomials in r, cos(omega) and cos(omega_0); near r -> 1 and
# omega -> omega_0 they are small differences of O(1) terms (1 - 2r cos(omega - omega_0) + r^2 at
# r = 0.999999, omega = omega_0 is 1e-12 computed from terms of size 1).  Each factor is rewritten,
# by identities only, into a sum whose terms have one sign on 0 < r < 1, so float64 keeps its digits.

_U = sp.Dummy("u", positive=True)        # r = 1/(1 + u): 0 < r < 1
_NONNEG = sp.Dummy("p", nonnegative=True)
_POS = sp.Dummy("q", positive=True)


class _NoForm(ValueError):
    """No rewrite of a factor into same-sign terms was found."""


def _sign(expr: sp.Expr, domain: dict) -> int | None:
    """+1 (>= 0), -1 (<= 0) or None (undecided) for ``expr`` on the domain encoded by ``domain``."""
    e = sp.factor(sp.together(expr.xreplace(domain)))
    if e.is_nonnegative:
        return 1
    if e.is_nonpositive:
        return -1
    return None


def _half_angle_forms(P: sp.Expr, c: sp.cos) -> Any:
    """Identities for ``c = cos(theta)``: (new variable, P in a placeholder for it, the placeholder)."""
    theta, v = c.args[0], sp.Dummy("v")
    yield sp.sin(theta / 2), P.xreplace({c: 1 - 2 * v**2}), v      # cos t = 1 - 2 sin^2(t/2)
    yield sp.cos(theta / 2), P.xreplace({c: 2 * v**2 - 1}), v      # cos t = 2 cos^2(t/2) - 1
    if all(m[0] % 2 == 0 for m in sp.Poly(P, c).monoms()):
        yield sp.sin(theta), P.xreplace({c: sp.sqrt(1 - v**2)}), v  # cos^2 t = 1 - sin^2 t


def _same_sign(P: sp.Expr, domain: dict, split: bool = True) -> sp.Expr:
    """An equal form of ``P`` whose sums have terms of one sign on ``domain``.

    Products and powers are rewritten factor by factor; a polynomial without cosines is factored;
    one with cosines is written in half angles (or ``cos^2 = 1 - sin^2``) where all its terms then
    share a sign, the coefficients rewritten in turn.  Where that sign depends on the sign of another
    cosine, the result is a Piecewise on it.
    """
    if isinstance(P, (sp.Mul, sp.Pow)):
        return P.func(*[_same_sign(arg, domain) for arg in P.args])
    if not isinstance(P, sp.Add):
        return P
    P = sp.expand(P)
    cosines = sorted(P.atoms(sp.cos), key=sp.default_sort_key)
    if not cosines:
        return sp.factor(P)
    for c in cosines:
        for var, form, v in _half_angle_forms(P, c):
            poly = sp.Poly(sp.expand(form), v)
            terms = [(sp.factor(coef), k) for (k,), coef in zip(poly.monoms(), poly.coeffs())]
            if any(k % 2 for _, k in terms):   # an odd power of sin(t/2) has no known sign
                continue
            signs = {_sign(coef, domain) for coef, _ in terms}
            if len(signs) == 1 and None not in signs:
                return sp.Add(*[_same_sign(coef, domain) * var**k for coef, k in terms])
    if split:
        for c in cosines:
            try:
                at_least = _same_sign(P, {**domain, c: _NONNEG}, split=False)
                below = _same_sign(P, {**domain, c: -_POS}, split=False)
            except _NoForm:
                continue
            return sp.Piecewise((at_least, c >= 0), (below, True))
    raise _NoForm(f"no same-sign form of {P}")


def _pole_pairs(P: sp.Expr) -> sp.Expr:
    """``P`` (a polynomial in cosines) as a product of ``f(e^{i.}) f(e^{-i.})``, each in cosines.

    With ``cos t = (E + 1/E)/2`` the polynomial factors over the rationals into
    conjugate pairs; ``|1 - r e^{i(omega - omega_0)}|^2 = 1 - 2r cos(omega - omega_0) + r^2``.
    """
    cosines = sorted(P.atoms(sp.cos), key=sp.default_sort_key)
    E = {c: sp.Dummy("E") for c in cosines}
    laurent = sp.together(P.xreplace({c: (e + 1 / e) / 2 for c, e in E.items()}))
    conj = {e: 1 / e for e in E.values()}
    back = {e: sp.exp(sp.I * c.args[0]) for c, e in E.items()}
    _, factors = sp.factor_list(sp.numer(laurent))
    pairs, product, used = [], sp.Integer(1), set()
    for i, (f, m) in enumerate(factors):
        if i in used or not f.has(*E.values()):
            continue
        g = sp.numer(sp.together(f.xreplace(conj)))
        j = next((j for j, (h, n) in enumerate(factors) if j not in used and j != i and n == m
                  and sp.cancel(g / h).free_symbols.isdisjoint(E.values())), None)
        if j is None:
            raise _NoForm(f"{f} has no conjugate partner among the factors of {P}")
        used |= {i, j}
        pair = sp.expand(f * f.xreplace(conj))
        product *= pair**m
        pairs.append(sp.expand(sp.powsimp(pair.xreplace(back)).rewrite(sp.cos), power_exp=False)**m)
    rest = sp.cancel(laurent / product)   # what the pairs leave: a constant
    if not rest.free_symbols.isdisjoint(E.values()):
        raise _NoForm(f"{P} is not a constant times a product of conjugate pairs")
    return sp.Mul(rest, *pairs)


def _stable_factor(P: sp.Expr, domain: dict) -> sp.Expr:
    try:
        return _same_sign(P, domain)
    except _NoForm:
        return _same_sign(_pole_pairs(P), domain)


def _branch_values(expr: sp.Expr) -> list[sp.Expr]:
    """Every value ``expr`` takes over the choices of its Piecewise branches."""
    pieces = sorted(expr.atoms(sp.Piecewise), key=sp.default_sort_key)
    if not pieces:
        return [expr]
    first = pieces[0]
    return [v for value, _ in first.args for v in _branch_values(expr.xreplace({first: value}))]


def _is_trig_identity(expr: sp.Expr) -> bool:
    """Whether ``expr``, a polynomial in sines and cosines of half-integer multiples of angles, is 0.

    Each angle x becomes 2y; after expanding, sin y and cos y become S and C, and the numerator is
    reduced modulo S^2 + C^2 - 1 (a Groebner basis): remainder 0.
    """
    angles = sorted(set().union(*(f.args[0].free_symbols for f in expr.atoms(sp.sin, sp.cos))), key=str)
    half = {x: sp.Dummy(f"y_{x}") for x in angles}
    e = sp.expand_trig(expr.xreplace({x: 2 * y for x, y in half.items()}))
    gens, basis, plain = [], [], {}
    for y in half.values():
        S, C = sp.Dummy("S"), sp.Dummy("C")
        plain.update({sp.sin(y): S, sp.cos(y): C})
        gens += [S, C]
        basis.append(S**2 + C**2 - 1)
    num = sp.expand(sp.numer(sp.together(e.xreplace(plain))))
    if num.atoms(sp.sin, sp.cos):
        return False
    if not basis:
        return num == 0
    rest = sorted(num.free_symbols - set(gens), key=str)
    _, remainder = sp.reduced(num, basis, *gens, *rest)
    return bool(remainder == 0)


def _stable_rational(expr: sp.Expr, domain: dict) -> sp.Expr:
    """``expr`` (a ratio of polynomials in r and cosines) with each factor in same-sign form, checked equal."""
    out = []
    for factor in sp.Mul.make_args(sp.factor(expr)):
        base, power = factor.as_base_exp()
        new = _stable_factor(base, domain) if isinstance(base, sp.Add) else base
        for value in _branch_values(new):   # each branch an identity: SymPy checks it
            if not _is_trig_identity(value - base):
                raise AssertionError(f"the float64 form {value} differs from {base}")
        out.append(new**power)
    return sp.Mul(*out)


def _split_sums(expr: sp.Expr) -> sp.Expr:
    """``sin(x/2 + y/2) = sin(x/2) cos(y/2) + cos(x/2) sin(y/2)`` where every angle lies in [0, pi].

    Both products are then >= 0, and the half angles are exact in float64: ``x/2 + y/2`` near ``pi`` would
    round and, through the steep sine there, cost tens of ulps.  Differences stay (exact for close x, y)."""
    def positive_sum(e: sp.Basic) -> bool:
        return (isinstance(e, sp.sin) and isinstance(e.args[0], sp.Add)
                and all(term.as_coeff_Mul()[0] > 0 for term in e.args[0].args))

    return expr.replace(positive_sum, lambda e: sp.expand_trig(e))


def _band_pass_float(band_snr: sp.Piecewise, gain: sp.Expr, variance: sp.Expr) -> sp.Piecewise:
    """The band-pass SNR in a form without cancellation for 0 < r < 1 (same branches as ``band_snr``)."""
    domain = {R: 1 / (1 + _U)}
    top, bottom = _split_sums(_stable_rational(gain, domain)), _stable_rational(variance, domain)
    for value, original in [(v, o) for f, o in ((top, gain), (bottom, variance)) for v in _branch_values(f)]:
        if not _is_trig_identity(value - original):   # equal parts make an equal ratio
            raise AssertionError(f"the float64 form {value} of the band-pass SNR differs from {original}")
    generic = top / bottom
    branches = []
    for value, cond in band_snr.args:
        constant = sp.cancel(value * variance / gain)   # X^2/(2 sigma^0) or X^2: the time average
        if constant.has(R, OMEGA, OMEGA_0):
            raise AssertionError(f"the band-pass SNR is not a constant times gain/variance: {constant}")
        points = cond.args if isinstance(cond, sp.Or) else (cond,)
        if cond != sp.true and all(isinstance(p, sp.Eq) for p in points):
            for p in points:
                (w0,) = sp.solve(p, OMEGA)
                branches.append((constant * generic.subs(OMEGA, w0), p))
        else:
            branches.append((constant * generic, cond))
    return sp.Piecewise(*branches)


def band_pass_kernel(derivation: Derivation) -> Any:
    """The compiled float64 form of the band-pass SNR (the verifier's); arguments X, sigma, r, omega_0, omega.

    Symbols already substituted into ``derivation`` are left out of the arguments.
    """
    band = derivation.context["band_pass_float"].xreplace(derivation.parameters)
    return rs.compile(band, [s for s in (X, SIGMA, R, OMEGA_0, OMEGA) if s not in derivation.parameters])


# -- verification by simulation --------------------------------------------------
# Two references from the simulated recurrence.  Deterministic: the noise variance sigma^2 sum g_k^2
# of the simulated impulse response, summed to convergence by doubling (P_2N = P_N + M_N P_N M_N^T,
# M_2N = M_N^2, M_1 and g_0 read off the model's step), over the signal power of the periodic steady
# state (h_0 = (I - M_q)^-1 f, one simulated period), at omega = 2 pi p/q; held to the result at 30
# digits within a rounding bound (see _exact_snr).  Monte-Carlo: within Z_SCORE standard errors.
U = 2.0 ** -53
Z_SCORE = 5.0          # P(|N(0,1)| > 5) = 5.7e-7 per example
SE_TARGET = 0.004      # relative standard error the noise simulation is run to
WINDOW_BIAS = 0.002    # bound on the sinusoid window's relative bias, 1/(K sin omega)
MAX_PERIOD = 256       # the deterministic check's omega = 2 pi p/q, q <= MAX_PERIOD


def _signal_power(step: Any, h0: np.ndarray, omega: float, amplitude: float, decay: float) -> float:
    """Time-averaged y_t^2 of the simulated response to X cos(omega t), transient discarded."""
    burn = 50 + math.ceil(math.log(1e-10) / math.log(max(decay, 1e-3)))
    window = 200 if omega in (0.0, math.pi) else math.ceil(1.0 / (WINDOW_BIAS * math.sin(omega)))
    h, total = h0, 0.0
    for t in range(burn + window):
        h = step(h, amplitude * ((-1.0) ** t if omega == math.pi else math.cos(omega * t)))
        total += float(h[0]) ** 2 if t >= burn else 0.0
    return total / window


def _noise_variance(step: Any, n: int, sigma: float, decay: float, rng: np.random.Generator) -> tuple[float, float]:
    """Stationary variance of y_t from independent noise-only chains; returns (estimate, relative SE)."""
    burn = 20 + math.ceil(math.log(1e-4) / (2 * math.log(max(decay, 1e-3))))
    chains, length = 2000, 500
    means: list[np.ndarray] = []
    for _ in range(40):
        h, acc = np.zeros((chains, n)), np.zeros(chains)
        for t in range(burn + length):
            h = step(h, sigma * rng.standard_normal(chains))
            acc += h[:, 0] ** 2 if t >= burn else 0.0
        means.append(acc / length)
        pooled = np.concatenate(means)
        estimate = float(pooled.mean())
        se = float(pooled.std(ddof=1) / math.sqrt(pooled.size)) / estimate
        if se <= SE_TARGET:
            return estimate, se
    raise RuntimeError(f"noise simulation did not reach relative SE {SE_TARGET} (got {se:.3g})")


def _exact_variance(step: Any, n: int) -> tuple[float, int]:
    """sum_k g_k^2 (y = h[0]) for a unit noise pulse, by doubling; returns (sum, doublings)."""
    M = np.column_stack([step(e, 0.0, 0.0) for e in np.eye(n)])   # zero input: h -> A h
    g = step(np.zeros(n), 0.0, 1.0)                               # the pulse's state
    P, doublings = np.outer(g, g), 0
    while True:   # stop when the tail, at most ||M_N||^2 ||P_N|| / (1 - ||M_N||^2), is below U^2
        tail = float(np.linalg.norm(M, 2)) ** 2
        if tail * float(np.abs(P).max()) <= U * U * P[0, 0] or doublings >= 80:
            return float(P[0, 0]), doublings
        P, M, doublings = P + M @ P @ M.T, M @ M, doublings + 1


def _periodic_power(step: Any, n: int, X: float, p: int, q: int) -> float:
    """Mean y_t^2 over one period of the periodic steady state driven by X cos(2 pi p t / q)."""
    xs = [X * math.cos(2 * math.pi * (p * t % q) / q) for t in range(q)]   # exactly periodic

    def run(h: np.ndarray, inputs: list) -> tuple[np.ndarray, float]:
        squares = []
        for x in inputs:
            h = step(h, x, 0.0)
            squares.append(float(h[0]) ** 2)
        return h, math.fsum(squares)   # correctly rounded: no growth with q

    f, _ = run(np.zeros(n), xs)
    M = np.column_stack([run(e, [0.0] * q)[0] for e in np.eye(n)])
    _, total = run(np.linalg.solve(np.eye(n) - M, f), xs)
    return total / q


def _periods() -> st.SearchStrategy[tuple[float, int, int]]:
    """(omega, p, q), omega = 2 pi p/q: 0, pi, and rst.frequencies() rounded to q <= MAX_PERIOD."""
    return st.one_of(rst.frequencies().map(_nearest), st.integers(3, MAX_PERIOD).flatmap(
        lambda q: st.integers(1, (q - 1) // 2).map(lambda p: (2 * math.pi * p / q, p, q))))


def _nearest(w: float) -> tuple[float, int, int]:
    f = Fraction(w / (2 * math.pi)).limit_denominator(MAX_PERIOD)
    return 2 * math.pi * f.numerator / f.denominator, f.numerator, f.denominator


def _exact_snr(step: Any, n: int, ex: dict[str, Any]) -> tuple[float, Any, float]:
    """(simulated SNR at omega = 2 pi p/q, that omega at 30 digits, the reference's error bound in U)."""
    _, p, q = ex["omega"]
    var, doublings = _exact_variance(step, n)
    snr = _periodic_power(step, n, ex["X"], p, q) / (ex["sigma"] ** 2 * var)
    # First-order rounding, relative to U.  Squaring M_N doubles its relative error each time (2^j U
    # after j squarings) and it enters P through |M_N|^2 ~ r^(2N) (r the pole radius): within
    # 2 sum_j 2^(j+1) r^(2^(j+1)) <= 3.6/(1 - r), plus 2 per doubling for its products and sum.  The
    # simulated period's roundings pass through the same geometric sums (measured: the total stays
    # below 2.3/(1 - r)); the power's sum, the solve and the ratio add 8.
    ulps = 4.0 / (1.0 - ex["radius"]) + 2 * doublings + 8
    return snr, mpmath.pi if 2 * p == q else 2 * mpmath.pi * p / q, ulps


def verify(derivation: Derivation, max_examples: int = 100, seed: int | None = 0) -> Any:
    """Compare the SNR with a deterministic reference and Monte-Carlo runs of the recurrence."""
    kernel, band_kernel = derivation.kernel, band_pass_kernel(derivation)
    exact = rs.compile(derivation.result, kernel.args, backend="mpmath", dps=30)
    band_exact = rs.compile(derivation.context["band_pass"].xreplace(derivation.parameters),
                            band_kernel.args, backend="mpmath", dps=30)
    fixed = {s: None if derivation.parameters.get(s) is None else float(derivation.parameters[s])
             for s in (X, SIGMA, a, OMEGA, ALPHA, A, R, OMEGA_0)}
    rng_seed = 0 if seed is None else seed
    periodic = fixed[OMEGA] is None or abs(_nearest(fixed[OMEGA])[0] - fixed[OMEGA]) <= 4 * U * fixed[OMEGA]

    def pick(sym: sp.Symbol, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.just(fixed[sym]) if fixed[sym] is not None else strategy

    def examples(deterministic: bool, **draws: st.SearchStrategy[Any]) -> st.SearchStrategy[dict]:
        omega = (_periods() if deterministic else st.one_of(st.sampled_from([0.0, math.pi]), st.floats(
            0.05, math.pi - 0.05)).map(lambda w: (w, 0, 0))) if fixed[OMEGA] is None else st.just(
            _nearest(fixed[OMEGA]) if deterministic else (fixed[OMEGA], 0, 0))
        return st.fixed_dictionaries({"X": pick(X, st.floats(0.05, 20.0)), "sigma": pick(SIGMA, st.floats(0.05, 20.0)),
                                      "omega": omega, **draws})

    def scalar_model(ex: dict[str, Any]) -> tuple[Any, dict]:
        """The derivation's own model at the drawn alpha, A = a / alpha: its step, and the kernel's arguments."""
        alpha, av = ex["alpha"], ex["a"]
        assume(alpha != 0)
        A_val = fixed[A] if fixed[A] is not None else av / alpha
        if fixed[A] is not None:
            av = alpha * A_val if fixed[a] is None else av
        assume(abs(alpha * A_val) < 1 and abs(alpha * A_val - av) < 1e-12)
        W_h, W_x, b = derivation.context["model"].subs({ALPHA: alpha, A: A_val}).numeric_weights()
        ex["radius"] = abs(float(W_h[0, 0]))

        def step(h: Any, x: Any, e: Any = 0.0) -> Any:   # the model's step, identity activation
            return h @ W_h.T + np.stack(np.broadcast_arrays(x, e), axis=-1) @ W_x.T + b
        return step, {X: ex["X"], SIGMA: ex["sigma"], a: float(W_h[0, 0]), OMEGA: ex["omega"][0]}

    def band_model(ex: dict[str, Any]) -> tuple[Any, dict]:
        r, w0 = ex["radius"], ex["omega_0"]
        assume(0 < r < 1)
        A_num = r * np.array([[math.cos(w0), -math.sin(w0)], [math.sin(w0), math.cos(w0)]])
        step = lambda h, x, e=0.0: h @ A_num.T + np.multiply.outer(np.add(x, e), np.array([1.0, 0.0]))
        return step, {X: ex["X"], SIGMA: ex["sigma"], R: r, OMEGA_0: w0, OMEGA: ex["omega"][0]}

    def exact_error(model: Any, n: int, kernel_: Any) -> Any:
        def error(ex: dict[str, Any]) -> float:
            step, values = model(ex)
            snr, values[OMEGA], ulps = _exact_snr(step, n, ex)
            return abs(float(kernel_(*[values[s] for s in kernel_.args])) / snr - 1) / (U * ulps)
        return error

    def mc_error(model: Any, n: int, kernel_: Any) -> Any:
        def error(ex: dict[str, Any]) -> float:   # var: relative error ~ N(0, se^2); sig: within WINDOW_BIAS
            step, values = model(ex)
            sig = _signal_power(lambda h, x: step(h, x), np.zeros(n), ex["omega"][0], ex["X"], ex["radius"])
            var, se = _noise_variance(lambda h, e: step(h, 0.0, e), n, ex["sigma"], ex["radius"],
                                      np.random.default_rng(rng_seed))
            return max(0.0, abs(float(kernel_(*[values[s] for s in kernel_.args])) * var / sig - 1) - WINDOW_BIAS) / se
        return error

    alphas = pick(ALPHA, st.sampled_from([-1.5, -0.5, 0.7, 2.0]))
    few, reports = max(3, max_examples // 4), []
    if periodic:   # a fixed omega off the grid 2 pi p/q (q <= MAX_PERIOD): the Monte-Carlo checks only
        reports += [
            check_property("scalar SNR (30 digits) against the simulated impulse response and periodic "
                           "steady state (units of the rounding bound)",
                           examples(True, a=pick(a, rst.stable_coefficients()), alpha=alphas),
                           exact_error(scalar_model, 1, exact), tolerance=1.0, max_examples=max_examples, seed=seed),
            check_property("two-state band-pass SNR (30 digits) against the simulated impulse response and "
                           "steady state (units of the rounding bound)",
                           examples(True, radius=pick(R, rst.spectral_radii(0.3, 1 - 1e-6)),
                                    omega_0=pick(OMEGA_0, st.floats(0.2, math.pi - 0.2))),
                           exact_error(band_model, 2, band_exact), tolerance=1.0, max_examples=few, seed=seed)]
    reports += [
        check_property("scalar SNR (float64 kernel) against Monte-Carlo simulation (standard errors)",
                       examples(False, a=pick(a, st.floats(-0.95, 0.95)), alpha=alphas),
                       mc_error(scalar_model, 1, kernel), tolerance=Z_SCORE, max_examples=few, seed=seed),
        check_property("two-state band-pass SNR (float64) against Monte-Carlo simulation (standard errors)",
                       examples(False, radius=pick(R, st.floats(0.3, 0.9)),
                                omega_0=pick(OMEGA_0, st.floats(0.2, math.pi - 0.2))),
                       mc_error(band_model, 2, band_kernel), tolerance=Z_SCORE, max_examples=few, seed=seed)]
    return combine_reports(INFO.name, reports)


# ----------------------------------------------------------------------- figure
def figure(d: Derivation, fig: Any) -> str:
    """Draw the derived SNR against the signal frequency for several poles; return the caption.

    ``fig`` is a matplotlib ``Figure`` (see :func:`rnnsym.report.figures.render_figure`).
    """
    kernel = d.kernel   # compiled once: the property rebuilds it on each access
    ax = fig.subplots(1, 1)
    omega = np.linspace(1e-3, np.pi - 1e-3, 400)
    for i, pole in enumerate((-0.8, -0.4, 0.4, 0.8)):   # not `a`: that name is the pole's symbol here
        values = {"X": 1.0, "sigma": 1.0, "a": pole}
        ax.semilogy(omega, evaluate(kernel, {**values, "omega": omega}), color=f"C{i}", lw=1.5, label=f"$a = {pole:g}$")
        ax.plot([0.0, np.pi], [float(evaluate(kernel, {**values, "omega": w})) for w in (0.0, np.pi)], "o", color=f"C{i}")
        ax.plot([omega[0], omega[-1]], [float(evaluate(kernel, {**values, "omega": w})) for w in (omega[0], omega[-1])],
                "o", mfc="white", color=f"C{i}")
    for fill, key in (("k", r"at $\omega \in \{0, \pi\}$"), ("white", "limit from inside")):   # keys for the dots
        ax.plot([], [], "o", color="k", mfc=fill, label=key)
    ax.set(xlabel=r"$\omega$", ylabel=r"SNR ($X = \sigma = 1$)", xlim=(-0.1, np.pi + 0.1), xticks=[0, np.pi / 2, np.pi],
           xticklabels=["0", r"$\pi/2$", r"$\pi$"], title="derived SNR: the ends (filled) are twice the limits (open)")
    ax.legend(loc="upper center", ncol=3)
    return (r"The derived SNR against the signal frequency for several poles $a$: low-pass for $a > 0$, "
            r"high-pass for $a < 0$; at $\omega = 0$ and $\pi$ (filled) it is twice the limit from inside "
            "(open), where the sinusoid's power does not average to half its peak.")
