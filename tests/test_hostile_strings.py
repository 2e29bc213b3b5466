"""No string that crosses the public API is ever evaluated as Python.

SymPy's ``sympify`` evaluates strings, and ``strict=True`` still evaluates
strings nested in a tuple, dict or set; so does any SymPy operation that
meets such a container (``x + ("...",)``, ``sp.Abs("...")``,
``expr.subs(x, {"k": "..."})``).  Every value that crosses the public API goes
through one converter (:mod:`rnnsym._matrices`): numbers, SymPy objects and
arrays pass, strings go through the whitelist parser (:mod:`rnnsym._parse`)
or are refused, containers are walked and never handed to SymPy.

This module lists every public callable (:data:`SPECS`: functions, classes
and the methods of the objects users hold) with valid default arguments, and
checks that the list is complete (:func:`test_every_public_callable_is_listed`),
so a new callable cannot be missed.  Then each argument in turn, and the
first entry inside it (``W_h[0][0]``, ``values["b[0]"]``), is replaced by a
string that would create a file ``CANARY`` when evaluated, bare and nested in
a list, a tuple, a dict (as key and as value), a set and a list of lists.
No call may create the file, and a call that fails must fail with an
:class:`~rnnsym.errors.RnnsymError` (or a ``TypeError`` raised while Python
binds the arguments), never with ``NameError``/``SyntaxError`` from
evaluating the string or an error from deep inside SymPy or NumPy.

Arguments that legitimately take any text (names, titles, TeX, paths) take
the payload as text: nothing is evaluated, which is all that is checked.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import signal
import traceback
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.errors import RnnsymError
from tests._hostile import inner_path, replace_at

PAYLOAD = "__import__('pathlib').Path('CANARY').touch()"


def _hostile(payload: str = PAYLOAD) -> dict[str, Any]:
    return {"str": payload, "list": [payload], "tuple": (payload,), "dict-value": {"k": payload},
            "dict-key": {payload: 1}, "set": {payload}, "list-list": [[payload]]}


#: Modules whose ``__all__`` is the public API (``rnnsym.strategies`` is excluded: test helpers).
MODULES = ("rnnsym", "rnnsym.linear", "rnnsym.linear.filtering", "rnnsym.fixedpoints", "rnnsym.gradients",
           "rnnsym.stability", "rnnsym.model", "rnnsym.activations", "rnnsym.latex", "rnnsym.closed_forms",
           "rnnsym.grids", "rnnsym.simulate", "rnnsym.registry", "rnnsym.derivation", "rnnsym.kernel")
#: Classes whose instances users hold: their public methods are API too.
METHOD_CLASSES = ("RNN", "LinearRNN", "Derivation", "Step", "Activation", "Kernel", "VerificationReport")
SKIPPED_MODULES = ("rnnsym.strategies",)


def _qualname(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def discover() -> set[str]:
    """The qualified names of every public callable (exceptions are no API to call)."""
    found: dict[str, Any] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if getattr(obj, "__name__", None) in SKIPPED_MODULES or inspect.ismodule(obj):
                continue
            if isinstance(obj, type):
                if issubclass(obj, BaseException):
                    continue
                found[_qualname(obj)] = obj
            elif inspect.isfunction(inspect.unwrap(obj)):
                found[_qualname(obj)] = obj
    for cls in list(found.values()):
        if not isinstance(cls, type) or cls.__name__ not in METHOD_CLASSES:
            continue
        for name, member in vars(cls).items():
            if name.startswith("_") and name != "__call__":
                continue
            func = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if inspect.isfunction(func):
                found[f"{_qualname(cls)}.{name}"] = func
    return set(found)


# -- valid default arguments ----------------------------------------------------------------------
x_ = sp.Symbol("x")
a_ = sp.Symbol("a", real=True)


def _net() -> rs.RNN:
    return rs.RNN([[0.5]], [[1.0]], [0.0])


def _leaky() -> Any:
    return rs.LeakyCell([[0.5]], [[1.0]], [0.0], alpha=0.5)


def _linear() -> rs.LinearRNN:
    return rs.LinearRNN([[0.5]], [[1.0]], [[1.0]])


@functools.lru_cache(maxsize=None)
def _derivation() -> rs.Derivation:
    return rs.derive("recurrence", n=1)


def _kernel() -> rs.Kernel:
    return rs.compile(x_**2, [x_])


class Spec:
    """How to call one public callable: ``target()`` gives the callable, ``defaults()`` valid arguments.

    The defaults name every parameter of the signature (a test checks this); keys
    that are not parameters go to its ``**kwargs``; ``"*"`` holds ``*args``.  A key
    whose parameter has since been removed is dropped (a new parameter still fails
    the coverage test, so nothing new goes unfuzzed).
    """

    def __init__(self, target: Callable[[], Callable[..., Any]], raw: Callable[[], dict[str, Any]]) -> None:
        self.target = target
        self.raw = raw
        self._names: set[str] | None = None

    def defaults(self) -> dict[str, Any]:
        values = self.raw()
        if self._names is None:
            params = inspect.signature(self.target()).parameters.values()
            keep_all = any(p.kind is p.VAR_KEYWORD for p in params)
            self._names = set(values) if keep_all else {p.name for p in params} | {"*"}
        return {k: v for k, v in values.items() if k in self._names}


def _spec(target: Callable[[], Callable[..., Any]], /, **defaults: Any) -> Spec:
    frozen = dict(defaults)
    return Spec(target, lambda: {k: (v() if isinstance(v, _Fresh) else v) for k, v in frozen.items()})


class _Fresh:
    """A default built anew for each call (objects that a call might change)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make

    def __call__(self) -> Any:
        return self.make()


def _f(make: Callable[[], Any]) -> _Fresh:
    return _Fresh(make)


def _mod(name: str) -> Any:
    return importlib.import_module(name)


def _attr(module: str, name: str) -> Callable[[], Any]:
    return lambda: getattr(_mod(module), name)


def _method(make: Callable[[], Any], name: str) -> Callable[[], Any]:
    return lambda: getattr(make(), name)


_A = "rnnsym.activations"
_F = "rnnsym.linear.filtering"
_G = "rnnsym.gradients"
_L = "rnnsym.linear"
_S = "rnnsym.stability"
_C = "rnnsym.closed_forms"


def _record(module: str, name: str) -> Spec:
    """A plain result record (a dataclass without checks): every field None is a valid call."""
    return Spec(_attr(module, name), lambda: {f.name: None for f in dataclasses.fields(getattr(_mod(module), name))})


#: Plain result records: users receive them, building one converts and evaluates nothing.
RECORDS = {
    "rnnsym.linear.modes.Mode": _L, "rnnsym.linear.modes.ModeDecomposition": _L,
    "rnnsym.linear.normality.TransientGrowth": _L, "rnnsym.linear.rank.RankDrop": _L,
    "rnnsym.linear.rank.ExactRank": _L, "rnnsym.linear.rank.NumericRank": _L,
    "rnnsym.linear.controllability.Decision": _L, "rnnsym.linear.filtering.TimeAverage": "rnnsym.linear.filtering",
    "rnnsym.fixedpoints.continua.Continuum": "rnnsym.fixedpoints",
    "rnnsym.fixedpoints.search.FixedPoint": "rnnsym.fixedpoints",
    "rnnsym.fixedpoints.search.FixedPointResult": "rnnsym.fixedpoints",
    "rnnsym.fixedpoints.sweep.Branch": "rnnsym.fixedpoints", "rnnsym.fixedpoints.sweep.FixedPointSweep": "rnnsym.fixedpoints",
    "rnnsym.gradients.GradientNorms": "rnnsym.gradients", "rnnsym.stability.Stability": "rnnsym.stability",
    "rnnsym.gradients.LyapunovEstimate": "rnnsym.gradients",
    "rnnsym.stability.HalfLifeDesign": "rnnsym.stability",
}


def _filtering(name: str) -> Any:
    return getattr(_mod(_F), name)


def _grad(name: str) -> Any:
    return getattr(_mod(_G), name)


SPECS: dict[str, Spec] = {
    # rnnsym.activations
    "rnnsym.activations.Activation": _spec(
        lambda: rs.Activation, name="probe", expr=rs.activations.Z, derivative_expr=sp.Integer(1),
        lipschitz=sp.Integer(1), output_range=sp.S.Reals, odd=True, sign_preserving=True,
        numpy_function=np.array, numpy_derivative=np.ones_like, params={}, interval_form=None, pieces=None,
        lipschitz_is_estimate=False),
    "rnnsym.activations.Activation.__call__": _spec(lambda: rs.get_activation("tanh").__call__, arg=x_),
    "rnnsym.activations.Activation.derivative": _spec(lambda: rs.get_activation("tanh").derivative, arg=x_),
    "rnnsym.activations.Activation.numpy": _spec(lambda: rs.get_activation("tanh").numpy, x=[0.5]),
    "rnnsym.activations.Activation.numpy_prime": _spec(lambda: rs.get_activation("tanh").numpy_prime, x=[0.5]),
    "rnnsym.activations.get_activation": _spec(lambda: rs.get_activation, name="leaky_relu", slope=0.1),
    "rnnsym.activations.custom_activation": _spec(lambda: rs.custom_activation, expr="z/(1 + abs(z))",
                                                  variable="z", name="probe"),
    # rnnsym.kernel
    "rnnsym.kernel.Kernel": _spec(lambda: rs.Kernel, expr=x_**2, args=(x_,), backend="numpy", cse=True,
                                  assumptions=(), on_domain="raise", dps=30),
    "rnnsym.kernel.Kernel.__call__": _spec(lambda: _kernel().__call__, **{"*": [2.0]}, on_domain=None),
    "rnnsym.kernel.compile": _spec(lambda: rs.compile, expr=x_**2, args=[x_], backend="numpy", cse=True,
                                   assumptions=[x_ > 0], on_domain="raise", dps=30),
    # rnnsym.latex
    "rnnsym.latex.latex": _spec(lambda: rs.latex, obj=x_**2, mul_symbol="dot"),
    "rnnsym.latex.register_symbol": _spec(_attr("rnnsym.latex", "register_symbol"),
                                          symbol=sp.Symbol("hostile_probe"), tex="q"),
    "rnnsym.latex.symbol_latex": _spec(_attr("rnnsym.latex", "symbol_latex"), symbol=x_),
    "rnnsym.latex.Symbol": _spec(_attr("rnnsym.latex", "Symbol"), name="hostile_probe", real=True),
    "rnnsym.latex.escape_text": _spec(_attr("rnnsym.latex", "escape_text"), text="a_b"),
    "rnnsym.latex.standalone_document": _spec(_attr("rnnsym.latex", "standalone_document"), body="x", title="t"),
    "rnnsym.latex.pdflatex_available": _spec(_attr("rnnsym.latex", "pdflatex_available")),
    "rnnsym.latex.compile_pdf": _spec(_attr("rnnsym.latex", "compile_pdf"), tex=_mod("rnnsym.latex").standalone_document("x"),
                                      directory="tex", name="doc", timeout=20.0),
    # rnnsym.cells (the full protocol over every method: tests/cells/test_hostile.py)
    "rnnsym.cells.gated.GRUCell": _spec(lambda: rs.GRUCell, weight_ih=[[1.0]] * 3, weight_hh=[[0.5]] * 3,
                                        bias_ih=[0.0] * 3, bias_hh=[0.0] * 3),
    "rnnsym.cells.gated.LSTMCell": _spec(lambda: rs.LSTMCell, weight_ih=[[1.0]] * 4, weight_hh=[[0.5]] * 4,
                                         bias_ih=None, bias_hh=None),
    "rnnsym.cells.simple.SimpleCell": _spec(lambda: rs.SimpleCell, net=rs.RNN([[0.5]], [[1.0]])),
    "rnnsym.cells.simple.LeakyCell": _spec(lambda: rs.LeakyCell, W_h=[[0.5]], W_x=[[1.0]], b=[0.0], alpha=0.5,
                                           activation="tanh"),
    "rnnsym.cells.custom.custom_cell": _spec(lambda: rs.custom_cell, expressions=["tanh(h + x)"], state=["h"],
                                             inputs=["x"], parameters=["k"], output=["h"]),
    "rnnsym.cells.slow_points.find_slow_points": _spec(
        lambda: rs.find_slow_points, cell=rs.GRUCell(np.ones((3, 1)), np.ones((3, 1)) / 2), x=[0.0],
        states=[[0.1]], starts=2, seed=0, noise=0.0, steps=2, max_q=1e-4, max_iter=5, gtol=1e-9, merge_tol=1e-6,
        enclose=True),
    # rnnsym.cells.analysis
    "rnnsym.cells.analysis.cell_gradient_norms": _spec(lambda: rs.cell_gradient_norms, cell=_f(_leaky),
                                                       xs=[[0.1], [0.2]], s0=[0.1], blocks=True),
    "rnnsym.cells.analysis.cell_lyapunov_spectrum": _spec(lambda: rs.cell_lyapunov_spectrum, cell=_f(_leaky),
                                                          xs=[[0.1], [0.2]], s0=[0.1], discard=0, k=1),
    "rnnsym.cells.analysis.cell_point_analysis": _spec(lambda: rs.cell_point_analysis, cell=_f(_leaky), s=[0.1],
                                                       x=[0.0]),
    "rnnsym.cells.analysis.cell_contraction_certificate": _spec(lambda: rs.cell_contraction_certificate,
                                                                cell=_f(_leaky), x=[0.0], max_size=None),
    # rnnsym.model
    "rnnsym.model.RNN": _spec(lambda: rs.RNN, W_h=[[0.5]], W_x=[[1.0]], b=[0.0], activation="tanh"),
    "rnnsym.model.RNN.D": _spec(_method(_net, "D"), h=[0.1], x=[0.2]),
    "rnnsym.model.RNN.fixed_point_equation": _spec(_method(_net, "fixed_point_equation"), x=[0.2]),
    "rnnsym.model.RNN.jacobian": _spec(_method(_net, "jacobian"), h=[0.1], x=[0.2], max_size=None),
    "rnnsym.model.RNN.linearize": _spec(_method(_net, "linearize"), h_star=[0.1], x=[0.2]),
    "rnnsym.model.RNN.numeric_step": _spec(_method(_net, "numeric_step"), h=[0.1], x=[0.2]),
    "rnnsym.model.RNN.numeric_weights": _spec(_method(_net, "numeric_weights")),
    "rnnsym.model.RNN.preactivation": _spec(_method(_net, "preactivation"), h=[0.1], x=[0.2]),
    "rnnsym.model.RNN.simulate": _spec(_method(_net, "simulate"), xs=[[0.2]], h0=[0.1]),
    "rnnsym.model.RNN.step": _spec(_method(_net, "step"), h=[0.1], x=[0.2]),
    "rnnsym.model.RNN.subs": _spec(_method(lambda: rs.RNN.symbolic(1, 1), "subs"),
                                   values={"b[0]": 0.5}, **{"W_h[0,0]": 0.5}),
    "rnnsym.model.RNN.symbolic": _spec(lambda: rs.RNN.symbolic, n=1, m=1, activation="tanh", bias=True),
    "rnnsym.model.RNN.unroll": _spec(_method(_net, "unroll"), T=1, h0=[0.1], xs=[[0.2]], max_terms=None),
    "rnnsym._matrices.vector_symbols": _spec(_attr("rnnsym.model", "vector_symbols"), name="v", n=1, tex=None),
    "rnnsym._matrices.matrix_symbols": _spec(_attr("rnnsym.model", "matrix_symbols"), name="M", rows=1, cols=1),
    "rnnsym._matrices.as_matrix": _spec(_attr("rnnsym.model", "as_matrix"), value=[[1]], name="W", shape=None,
                                        vector=False),
    "rnnsym._matrices.ordered_symbols": _spec(_attr("rnnsym.model", "ordered_symbols"),
                                              **{"*": [sp.Matrix([[x_]])]}),
    # rnnsym.linear.system
    "rnnsym.linear.system.LinearRNN": _spec(lambda: rs.LinearRNN, A=[[0.5]], B=[[1.0]], C=[[1.0]]),
    "rnnsym.linear.system.LinearRNN.controllability_matrix": _spec(
        _method(_linear, "controllability_matrix"), max_terms=None),
    "rnnsym.linear.system.LinearRNN.dual": _spec(_method(_linear, "dual")),
    "rnnsym.linear.system.LinearRNN.modes": _spec(_method(_linear, "modes"), tol=None, max_size=None,
                                                  max_degree=None),
    "rnnsym.linear.system.LinearRNN.numeric_matrices": _spec(_method(_linear, "numeric_matrices")),
    "rnnsym.linear.system.LinearRNN.observability_matrix": _spec(
        _method(_linear, "observability_matrix"), max_terms=None),
    "rnnsym.linear.system.LinearRNN.observe": _spec(_method(_linear, "observe"), states=[[0.1]]),
    "rnnsym.linear.system.LinearRNN.output": _spec(_method(_linear, "output"), h=[0.1]),
    "rnnsym.linear.system.LinearRNN.simulate": _spec(_method(_linear, "simulate"), xs=[[0.2]], h0=[0.1]),
    "rnnsym.linear.system.LinearRNN.step": _spec(_method(_linear, "step"), h=[0.1], x=[0.2]),
    "rnnsym.linear.system.LinearRNN.subs": _spec(_method(lambda: rs.LinearRNN.symbolic(1, 1), "subs"),
                                                 values={"A[0,0]": 0.5}, **{"B[0,0]": 1}),
    "rnnsym.linear.system.LinearRNN.symbolic": _spec(lambda: rs.LinearRNN.symbolic, n=1, m=1, p=None),
    "rnnsym.linear.system.linearize": _spec(lambda: rs.linearize, net=_f(_net), h_star=[0.1], x=[0.2]),
    "rnnsym.linear.system.as_system": _spec(_attr(_L, "as_system"), A=[[0.5]], B=[[1]], C=[[1]], numeric=False),
    "rnnsym.linear.system.numeric_system": _spec(_attr(_L, "numeric_system"), system=_f(_linear), name="system"),
    "rnnsym.linear.system.krylov_terms": _spec(_attr(_L, "krylov_terms"), A=[[0.5]], B=[[1.0]]),
    # rnnsym.linear.modes
    "rnnsym.linear.modes.coupling_matrix": _spec(_attr(_L, "coupling_matrix"), W_h=[[0.5]], D=[1],
                                                 max_size=None, max_degree=None),
    "rnnsym.linear.modes.coupling_strength": _spec(_attr(_L, "coupling_strength"), W_h=[[0.5]], h=[0.1],
                                                   activation="tanh"),
    "rnnsym.linear.modes.coupling_versus_amplitude": _spec(_attr(_L, "coupling_versus_amplitude"),
                                                           W_h=[[0.5]], amplitudes=[0.1], activation="tanh",
                                                           direction=None),
    # rnnsym.linear.normality
    "rnnsym.linear.normality.normality_defect": _spec(_attr(_L, "normality_defect"), W=[[0.5]]),
    "rnnsym.linear.normality.is_normal": _spec(_attr(_L, "is_normal"), W=[[0.5]], tol=1e-10, max_ops=None,
                                               max_symbols=None),
    "rnnsym.linear.normality.transient_growth": _spec(_attr(_L, "transient_growth"), W=[[0.5]], k_max=None,
                                                      limit=100000),
    "rnnsym.linear.normality.jordan_matrix": _spec(_attr(_L, "jordan_matrix"), lam=0.5, s=1),
    "rnnsym.linear.normality.jordan_power": _spec(_attr(_L, "jordan_power")),
    "rnnsym.linear.normality.jordan_power_norm": _spec(_attr(_L, "jordan_power_norm")),
    "rnnsym.linear.normality.jordan_peak_lag": _spec(_attr(_L, "jordan_peak_lag")),
    "rnnsym.linear.normality.jordan_transient_peak": _spec(_attr(_L, "jordan_transient_peak"), lam=0.5, s=1.0),
    # rnnsym.linear.rank
    "rnnsym.linear.rank.exact_rank": _spec(_attr(_L, "exact_rank"), M=[[1]], max_minors=4000, depth=3,
                                           max_size=None),
    "rnnsym.linear.rank.symbolic_rank_limit": _spec(_attr(_L, "symbolic_rank_limit"), free_symbols=1),
    "rnnsym.linear.rank.numeric_rank": _spec(_attr(_L, "numeric_rank"), M=[[1.0]], tol=None),
    "rnnsym.linear.rank.controllability_rank": _spec(_attr(_L, "controllability_rank"), system=_f(_linear),
                                                     exact=None, tol=None, max_size=None, max_terms=None),
    "rnnsym.linear.rank.observability_rank": _spec(_attr(_L, "observability_rank"), system=_f(_linear),
                                                   exact=None, tol=None, max_size=None, max_terms=None),
    "rnnsym.linear.rank.distance_to_uncontrollability": _spec(_attr(_L, "distance_to_uncontrollability"),
                                                              system=_f(_linear)),
    "rnnsym.linear.rank.krylov_matrix": _spec(_attr(_L, "krylov_matrix"), A=np.array([[0.5]]),
                                              B=np.array([[1.0]]), steps=None, scale=False),
    # rnnsym.linear.controllability
    **{f"rnnsym.linear.controllability.{name}": _spec(_attr(_L, name), system=_f(_linear), tol=1e-8)
       for name in ("is_controllable", "is_observable", "pbh_test")},
    **{f"rnnsym.linear.controllability.{name}": _spec(_attr(_L, name), system=_f(_linear), N=None)
       for name in ("controllability_gramian", "observability_gramian")},
    **{f"rnnsym.linear.controllability.{name}": _spec(_attr(_L, name), system=_f(_linear), tol=None)
       for name in ("reachable_subspace", "unobservable_subspace")},
    "rnnsym.linear.controllability.minimum_energy_input": _spec(
        _attr(_L, "minimum_energy_input"), system=_f(_linear), h0=[0.0], target=[1.0], N=None, tol=1e-9),
    "rnnsym.linear.controllability.reconstruct_initial_state": _spec(
        _attr(_L, "reconstruct_initial_state"), system=_f(_linear), ys=[[1.0]], xs=None, tol=None,
        allow_unobservable=False),
    # rnnsym.linear.filtering
    "rnnsym.linear.filtering.linear_system": _spec(
        lambda: _filtering("linear_system"), model=_f(lambda: rs.RNN([[0.5]], [[1]], [0], activation="identity"))),
    "rnnsym.linear.filtering.transfer_function": _spec(lambda: _filtering("transfer_function"), A_=[[0.5]],
                                                       B_=[[1]], C_=[[1]], z=_mod(_F).Z, max_symbols=None),
    "rnnsym.linear.filtering.frequency_response": _spec(lambda: _filtering("frequency_response"), A_=[[0.5]],
                                                        B_=[[1]], C_=[[1]], omega=_mod(_F).OMEGA),
    "rnnsym.linear.filtering.power_gain": _spec(lambda: _filtering("power_gain"), H=1 / (1 - _mod(_F).Z / 2),
                                                z=_mod(_F).Z, omega=_mod(_F).OMEGA),
    "rnnsym.linear.filtering.cos_polynomial": _spec(lambda: _filtering("cos_polynomial"),
                                                    P=_mod(_F).Z - sp.Rational(1, 2), z=_mod(_F).Z,
                                                    omega=_mod(_F).OMEGA),
    "rnnsym.linear.filtering.time_average_power": _spec(lambda: _filtering("time_average_power"),
                                                        H=1 / (1 - _mod(_F).Z / 2), amplitude=_mod(_F).X,
                                                        z=_mod(_F).Z, omega=_mod(_F).OMEGA),
    "rnnsym.linear.filtering.geometric_noise_variance": _spec(
        lambda: _filtering("geometric_noise_variance"),
        impulse=sp.Rational(1, 2)**sp.Symbol("k", integer=True, nonnegative=True),
        k=sp.Symbol("k", integer=True, nonnegative=True), sigma=1),
    "rnnsym.linear.filtering.parseval_noise_variance": _spec(
        lambda: _filtering("parseval_noise_variance"), H=1 / (1 - _mod(_F).Z / 2), poles_inside=[sp.Rational(1, 2)],
        z=_mod(_F).Z, sigma=1, max_degree=None),
    "rnnsym.linear.filtering.lyapunov_noise_variance": _spec(
        lambda: _filtering("lyapunov_noise_variance"), A_=[[sp.Rational(1, 2)]], B_=[[1]], C_=[[1]], sigma=1,
        max_size=None),
    "rnnsym.linear.filtering.snr_expression": _spec(
        lambda: _filtering("snr_expression"), A_=[[sp.Rational(1, 2)]], B_signal=[[1]], B_noise=[[1]], C_=[[1]],
        amplitude=_mod(_F).X, sigma=1),
    "rnnsym.linear.filtering.band_pass_filter": _spec(lambda: _filtering("band_pass_filter"), r=_mod(_F).R,
                                                      omega0=_mod(_F).OMEGA_0, output="e1"),
    "rnnsym.linear.filtering.critical_cosines": _spec(
        lambda: _filtering("critical_cosines"),
        gain=1 / (1 - sp.cos(_mod(_F).OMEGA)**2 + sp.cos(_mod(_F).OMEGA)), omega=_mod(_F).OMEGA),
    "rnnsym.linear.filtering.stable_form": _spec(
        lambda: _filtering("stable_form"), expr=1 - 2 * _mod(_F).a * sp.cos(_mod(_F).OMEGA) + _mod(_F).a**2,
        av=_mod(_F).a, omega=_mod(_F).OMEGA, amplitude=_mod(_F).X, sigma=_mod(_F).SIGMA),
    "rnnsym.linear.filtering.snr_numeric": _spec(lambda: _filtering("snr_numeric"), A_=[[0.5]], B_=[1.0],
                                                 C_=[1.0], X=1.0, sigma=1.0, omega=0.5),
    "rnnsym.linear.filtering.noise_variance_numeric": _spec(lambda: _filtering("noise_variance_numeric"),
                                                            A_=[[0.5]], B_=[1.0], C_=[1.0], sigma=1.0),
    # rnnsym.fixedpoints
    "rnnsym.fixedpoints.search.find_fixed_points": _spec(
        lambda: rs.find_fixed_points, net=_f(_net), x=[0.2], starts=4, seed=0, tol=1e-12, merge_tol=1e-7,
        polish=False, dps=30, max_iter=80),
    "rnnsym.fixedpoints.search.residual_kernels": _spec(_attr("rnnsym.fixedpoints", "residual_kernels"),
                                                        net=_f(_net), backend="numpy", dps=30),
    "rnnsym.fixedpoints.sweep.sweep_fixed_points": _spec(
        lambda: rs.sweep_fixed_points, net=_f(_net), b=[[0.0], [0.1]], x=[0.2], starts=4, seed=0, tol=1e-12,
        merge_tol=1e-7, max_iter=60, chunk=16384, rounds=6),
    # rnnsym.gradients
    "rnnsym.gradients.DiagonalFactor": _spec(lambda: _grad("DiagonalFactor"), time=_mod(_G).k + 1,
                                             size=_mod(_G).n_sym),
    "rnnsym.gradients.OrderedProduct": _spec(
        lambda: _grad("OrderedProduct"), term=_f(lambda: sp.MatMul(_grad("DiagonalFactor")(_mod(_G).t),
                                                                    _mod(_G).W_h)),
        limits=(_mod(_G).t, _mod(_G).k + 1, _mod(_G).T), later_left=True),
    "rnnsym.gradients.gradient_product": _spec(lambda: _grad("gradient_product"), horizon=2),
    "rnnsym.gradients.diagonal_symbols": _spec(lambda: _grad("diagonal_symbols"), n=1, horizon=1),
    "rnnsym.gradients.chain_product": _spec(lambda: _grad("chain_product"), W=[[1]], diagonals=[[1]]),
    "rnnsym.gradients.trajectory_jacobian_product": _spec(lambda: _grad("trajectory_jacobian_product"),
                                                          net=_f(_net), h_k=[0.1], xs=[[0.0]]),
    "rnnsym.gradients.backward_recursion": _spec(lambda: _grad("backward_recursion")),
    "rnnsym.gradients.jacobian_kernel": _spec(lambda: _grad("jacobian_kernel"), net=_f(_net)),
    "rnnsym.gradients.trajectory_jacobians": _spec(lambda: _grad("trajectory_jacobians"), net=_f(_net),
                                                   xs=[[0.0]], h0=[0.1]),
    "rnnsym.gradients.product_log_norms": _spec(lambda: _grad("product_log_norms"),
                                                jacobians=[[[0.5]], [[0.5]]], backward=False),
    "rnnsym.gradients.lyapunov_spectrum": _spec(lambda: _grad("lyapunov_spectrum"), net=_f(_net), xs=[[0.0]],
                                                h0=[0.1], discard=0),
    "rnnsym.gradients.lyapunov_exponents": _spec(lambda: _grad("lyapunov_exponents"), net=_f(_net), xs=[[0.0]],
                                                 h0=[0.1], k=1, discard=0, tol=1e-3, block=1, min_steps=1),
    "rnnsym.gradients.gradient_norms": _spec(lambda: _grad("gradient_norms"), net=_f(_net), xs=[[0.0]],
                                             h0=[0.1]),
    "rnnsym.gradients.backpropagate": _spec(lambda: _grad("backpropagate"), net=_f(_net), xs=[[0.0]],
                                            loss_gradients=[[0.0], [1.0]], h0=[0.1]),
    "rnnsym.gradients.bound_factor": _spec(lambda: _grad("bound_factor"), net=_f(_net)),
    "rnnsym.gradients.norm_bound": _spec(lambda: _grad("norm_bound"), net=_f(_net), T_=2, k_=1),
    "rnnsym.gradients.lag": _spec(lambda: _grad("lag"), T_=2, k_=1),
    # rnnsym.stability
    "rnnsym.stability.spectral_radius": _spec(_attr(_S, "spectral_radius"), matrix=[[0.5]]),
    "rnnsym.stability.spectral_norm": _spec(_attr(_S, "spectral_norm"), matrix=[[0.5]]),
    "rnnsym.stability.contraction_factor": _spec(_attr(_S, "contraction_factor"), W_h=[[0.5]],
                                                 activation="tanh"),
    "rnnsym.stability.half_life_expr": _spec(_attr(_S, "half_life_expr")),
    "rnnsym.stability.half_life": _spec(_attr(_S, "half_life"), rho=0.5, on_domain="raise"),
    "rnnsym.stability.half_life_kernel": _spec(_attr(_S, "half_life_kernel")),
    "rnnsym.stability.steps_to_half": _spec(_attr(_S, "steps_to_half"), J=[[0.5]], max_steps=100000),
    "rnnsym.stability.classify_moduli": _spec(_attr(_S, "classify_moduli"), moduli=[0.5], tol=1e-9),
    "rnnsym.stability.classify_jacobian": _spec(_attr(_S, "classify_jacobian"), J=[[0.5]], exact=None, tol=1e-9,
                                                dps=30),
    "rnnsym.stability.float_verdict": _spec(_attr(_S, "float_verdict"), J=[[0.5]], tol=1e-9),
    "rnnsym.stability.decide_undecided": _spec(_attr(_S, "decide_undecided"), J=[[[0.5]]], codes=[0], tol=1e-9),
    "rnnsym.stability.activation_inverse": _spec(_attr(_S, "activation_inverse"), activation="tanh", y=0.5),
    "rnnsym.stability.require_in_range": _spec(_attr(_S, "require_in_range"),
                                               activation=rs.get_activation("tanh"), h=[0.1], name="h_star",
                                               open_interval=False),
    "rnnsym.stability.design_unit": _spec(_attr(_S, "design_unit"), tau=2.0, h_star=0.0, activation="tanh"),
    "rnnsym.stability.design_half_life": _spec(_attr(_S, "design_half_life"), net=_f(_net), h_star=[0.1],
                                               tau=2.0, x=[0.2]),
    # rnnsym.closed_forms
    "rnnsym.closed_forms.eigenvalue_moduli_expr": _spec(_attr(_C, "eigenvalue_moduli_expr"), n=1),
    "rnnsym.closed_forms.spectral_radius_expr": _spec(_attr(_C, "spectral_radius_expr"), n=1),
    "rnnsym.closed_forms.spectral_norm_expr": _spec(_attr(_C, "spectral_norm_expr"), n=1),
    **{f"rnnsym.closed_forms.{name}": _spec(_attr(_C, name), J=[[[0.5]]], backend="numpy")
       for name in ("batched_eigenvalue_moduli", "batched_spectral_radius", "batched_spectral_norm")},
    "rnnsym.closed_forms.classify_batch": _spec(_attr(_C, "classify_batch"), J=[[[0.5]]], tol=1e-9,
                                                backend="numpy", decide=True),
    "rnnsym.closed_forms.jacobian_spectral_radius": _spec(_attr(_C, "jacobian_spectral_radius"), W_h=[[0.5]],
                                                          preactivation=[[0.1]], activation="tanh",
                                                          backend="numpy"),
    # rnnsym.grids, rnnsym.simulate
    "rnnsym.grids.sweep": _spec(lambda: rs.sweep, kernel_or_derivation=_f(_kernel), grid={"x": [1.0, 2.0]},
                                fixed=None, chunk=1024, backend="numpy", progress=False, out=None, compute=True,
                                max_bytes=None),
    "rnnsym.simulate.simulate_batch": _spec(lambda: rs.simulate_batch, net=_f(_net), xs=[[[0.2]], [[0.3]]],
                                            h0=[[0.1]], dtype=np.float64, out=None, method="auto"),
    "rnnsym.simulate.step_kernel": _spec(_attr("rnnsym.simulate", "step_kernel"), net=_f(_net)),
    # top-level extras
    "rnnsym.report.build.build_report": _spec(lambda: rs.build_report, out="report", names=["recurrence"],
                                              examples=1, seed=0, pdf=False, figures=False, jobs=1,
                                              progress=False, force=False),
    "rnnsym.analyze.analyze_rnn": _spec(lambda: rs.analyze_rnn, net=_f(_net), steps=20, seed=0, starts=4),
    # rnnsym.registry
    "rnnsym.registry.DerivationInfo": _spec(_attr("rnnsym.registry", "DerivationInfo"), name="probe",
                                            title="Probe", reference="none", order=1, options={}, max_n=None,
                                            symbols={}, limit_hint="", option_ranges={},
                                            section="The Recurrence Relation: The Engine of Memory"),
    "rnnsym.registry.derivation_names": _spec(lambda: rs.derivation_names),
    "rnnsym.registry.derive": _spec(lambda: rs.derive, name="recurrence", n=1, **{"b[0]": 0.5}),
    "rnnsym.registry.derivation_module": _spec(_attr("rnnsym.registry", "derivation_module"), name="recurrence"),
    "rnnsym.registry.derivation_info": _spec(_attr("rnnsym.registry", "derivation_info"), name="recurrence"),
    "rnnsym.registry.derivation_options": _spec(_attr("rnnsym.registry", "derivation_options"),
                                                name="recurrence"),
    "rnnsym.registry.discover": _spec(_attr("rnnsym.registry", "discover"), package="rnnsym.derivations"),
    "rnnsym.registry.validate_module": _spec(
        _attr("rnnsym.registry", "validate_module"),
        module=_f(lambda: _mod("rnnsym.registry").derivation_module("recurrence"))),
    # rnnsym.derivation
    "rnnsym.derivation.Step": _spec(lambda: rs.Step, statement=sp.Eq(sp.Symbol("y"), x_), justification="j",
                                    relation="≤"),
    "rnnsym.derivation.Step.latex": _spec(lambda: rs.Step(sp.Eq(sp.Symbol("y"), x_), "j").latex),
    "rnnsym.derivation.Step.text": _spec(lambda: rs.Step(sp.Eq(sp.Symbol("y"), x_), "j").text),
    "rnnsym.derivation.Step.subs": _spec(lambda: rs.Step(sp.Eq(sp.Symbol("y"), x_), "j").subs, mapping={x_: 2}),
    "rnnsym.derivation.Derivation": _spec(
        lambda: rs.Derivation, name="probe", title="Probe", reference="none",
        steps=[rs.Step(sp.Eq(sp.Symbol("y"), x_**2), "j")], result=x_**2, assumptions=[x_ > 0],
        symbols={"x": "a number"}, kernel_args=[x_], verifier=None, parameters={}, context={},
        result_label=sp.Symbol("y"), numeric_form=None, section="Beyond the Chapter", compact=None),
    "rnnsym.derivation.Derivation.as_dict": _spec(lambda: _derivation().as_dict),
    "rnnsym.derivation.Derivation.assumptions_for_kernel": _spec(lambda: _derivation().assumptions_for_kernel),
    "rnnsym.derivation.Derivation.latex": _spec(lambda: _derivation().latex, standalone=False),
    "rnnsym.derivation.Derivation.markdown": _spec(lambda: _derivation().markdown),
    "rnnsym.derivation.Derivation.refuse_bound": _spec(lambda: _derivation().refuse_bound, key="b[0]",
                                                       bound=None),
    "rnnsym.derivation.Derivation.subs": _spec(lambda: _derivation().subs, values={"b[0]": 0.5}),
    "rnnsym.derivation.Derivation.text": _spec(lambda: _derivation().text),
    "rnnsym.derivation.Derivation.to_json": _spec(lambda: _derivation().to_json, indent=2),
    "rnnsym.derivation.Derivation.verify": _spec(lambda: _derivation().verify, max_examples=2, seed=0),
    "rnnsym.derivation.Derivation.with_result": _spec(lambda: _derivation().with_result, result=x_),
    "rnnsym.verification.VerificationReport": _spec(
        lambda: rs.VerificationReport, name="probe", passed=True, examples=1, worst_error=0.0, tolerance=1e-9,
        counterexample=None, message="", checks=[]),
    "rnnsym.verification.VerificationReport.as_dict": _spec(
        lambda: rs.VerificationReport("probe", True, 1, 0.0, 1e-9).as_dict),
}
SPECS.update({name: _record(module, name.rsplit(".", 1)[1]) for name, module in RECORDS.items()})


# -- what is still open, outside the converted modules ---------------------------------------------
#: Cases (see ``_case_id``) that still evaluate the payload: the module hands the argument to
#: ``sp.Matrix``/``sp.ImmutableMatrix`` (which sympify entries).  Strict: remove an entry once its
#: module converts its input with rnnsym._matrices (as_matrix, as_expr).
STILL_EVALUATED: dict[str, tuple[str, ...]] = {}

#: Cases whose module does not convert the argument yet: the call fails, without evaluating
#: anything, but with a TypeError, ValueError or AttributeError from NumPy, SymPy or Python rather
#: than an rnnsym error.  Strict: remove an entry once the module refuses the input itself.
NOT_YET_RNNSYM_ERRORS: dict[str, tuple[str, ...]] = {}


# -- the cases ------------------------------------------------------------------------------------
Case = tuple[str, str, tuple[Any, ...]]




def _cases() -> list[Case]:
    """Each argument of each callable, and the first entry inside a container argument."""
    cases = []
    for name, spec in SPECS.items():
        for param, value in spec.defaults().items():
            cases.append((name, param, ()))
            inner = inner_path(value)
            if inner:
                cases.append((name, param, inner))
    return cases


def _case_id(case: Case) -> str:
    name, param, path = case
    return name.removeprefix("rnnsym.") + ":" + param + "".join(f"[{p!r}]" for p in path)


CASES = _cases()


def _marked(known: dict[str, tuple[str, ...]]) -> list[Any]:
    reasons = {case: where for where, cases in known.items() for case in cases}
    return [pytest.param(case, id=_case_id(case), marks=[pytest.mark.xfail(
        strict=True, reason=f"still open in {reasons[_case_id(case)]}")] if _case_id(case) in reasons else [])
        for case in CASES]


class _Timeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout


#: Most seconds one call may take (strings that are parsed are bounded by rnnsym._parse's limits).
CALL_SECONDS = 10


def _call(function: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> BaseException | None:
    """Call under a time limit; the exception raised, if any."""
    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(CALL_SECONDS)
    try:
        function(*args, **kwargs)
    except _Timeout:
        pytest.fail(f"the call took over {CALL_SECONDS} s")
    except Exception as exc:  # noqa: BLE001 - classified by the tests
        return exc
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    return None


def _acceptable(exc: BaseException | None) -> bool:
    """An rnnsym error, or a TypeError raised while binding the arguments (no frame inside the callee)."""
    if exc is None or isinstance(exc, RnnsymError):
        return True
    if type(exc) is TypeError:
        frames = list(traceback.walk_tb(exc.__traceback__))
        return len(frames) == 1 and frames[0][0].f_code is _call.__code__
    return False


#: What a string that reached ``eval``/``sympify`` raises when it is not run (or runs and fails).
EVALUATION_SYMPTOMS = (NameError, SyntaxError, sp.SympifyError)


@dataclasses.dataclass(frozen=True)
class Outcome:
    kind: str
    canary: bool
    symptom: bool
    acceptable: bool
    description: str


_OUTCOMES: dict[str, list[Outcome]] = {}


def _outcomes(case: Case, directory: Path) -> list[Outcome]:
    """Call with each hostile payload in place of the argument (or the entry inside it); cached."""
    key = _case_id(case)
    if key not in _OUTCOMES:
        name, param, path = case
        spec = SPECS[name]
        found = []
        for kind, payload in _hostile().items():
            kwargs = spec.defaults()
            kwargs[param] = replace_at(kwargs[param], path, payload)
            args = kwargs.pop("*", [])
            exc = _call(spec.target(), args, kwargs)
            canary = (directory / "CANARY").exists()
            if canary:
                (directory / "CANARY").unlink()
            found.append(Outcome(kind, canary, isinstance(exc, EVALUATION_SYMPTOMS), _acceptable(exc),
                                 "no error" if exc is None else f"{type(exc).__name__}: {str(exc)[:160]}"))
        _OUTCOMES[key] = found
    return _OUTCOMES[key]


@pytest.mark.parametrize("case", _marked(STILL_EVALUATED))
def test_no_hostile_string_is_evaluated(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The canary file never appears, and nothing fails the way an evaluated string does."""
    monkeypatch.chdir(tmp_path)
    outcomes = _outcomes(case, tmp_path)
    created = [o.kind for o in outcomes if o.canary]
    assert not created, f"{_case_id(case)} evaluated the string (payload {', '.join(created)})"
    symptoms = [f"{o.kind}: {o.description}" for o in outcomes if o.symptom]
    assert not symptoms, f"{_case_id(case)} handed the string to eval or sympify:\n" + "\n".join(symptoms)


@pytest.mark.parametrize("case", _marked(NOT_YET_RNNSYM_ERRORS))
def test_hostile_input_is_refused_with_an_rnnsym_error(case: Case, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    wrong = [f"{o.kind}: {o.description}" for o in _outcomes(case, tmp_path) if not o.acceptable]
    assert not wrong, f"{_case_id(case)} raised errors that are not rnnsym errors:\n" + "\n".join(wrong)


# -- objects built from hostile fields ------------------------------------------------------------
def _uses_of(obj: Any) -> list[Callable[[], Any]]:
    """What a user does with an object once built: render it, call it, substitute into it."""
    uses: list[Callable[[], Any]] = [lambda: repr(obj), lambda: str(obj)]
    if isinstance(obj, rs.Kernel):
        uses += [lambda: obj(2.0), lambda: obj._repr_latex_()]
    elif isinstance(obj, rs.Activation):
        uses += [lambda: obj(x_), lambda: obj.derivative(x_), lambda: obj.derivative_at_zero,
                 lambda: obj.numpy([0.5]), lambda: rs.latex(obj.expr)]
    elif isinstance(obj, rs.Derivation):
        uses += [obj.latex, obj.markdown, obj.text, obj.to_json, lambda: obj.subs({"x": 2}),
                 lambda: obj.kernel, lambda: obj.with_result(x_).latex(), obj.assumptions_for_kernel,
                 lambda: obj.bound_variables, lambda: obj._repr_latex_()]
    elif isinstance(obj, rs.Step):
        uses += [lambda: obj.subs({x_: 2}), lambda: rs.latex(obj.statement)]
    elif isinstance(obj, rs.VerificationReport):
        uses += [obj.as_dict]
    return uses


OBJECT_CLASSES = {"Kernel": "rnnsym.kernel.Kernel", "Activation": "rnnsym.activations.Activation",
                  "Derivation": "rnnsym.derivation.Derivation", "Step": "rnnsym.derivation.Step",
                  "VerificationReport": "rnnsym.verification.VerificationReport"}
OBJECT_CASES = [(cls, field) for cls, name in OBJECT_CLASSES.items() for field in SPECS[name].defaults()]
#: Fields a built object later hands to code that evaluates strings.  Strict, as above.
OBJECTS_STILL_EVALUATING: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("cls, field", [
    pytest.param(cls, field, id=f"{cls}.{field}", marks=[pytest.mark.xfail(
        strict=True, reason=OBJECTS_STILL_EVALUATING[(cls, field)])] if (cls, field) in OBJECTS_STILL_EVALUATING
        else []) for cls, field in OBJECT_CASES])
def test_objects_built_from_hostile_fields_never_evaluate_them(cls: str, field: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = SPECS[OBJECT_CLASSES[cls]]
    for kind, payload in _hostile().items():
        kwargs = spec.defaults()
        kwargs[field] = payload
        built: list[Any] = []
        exc = _call(lambda built=built, **kw: built.append(spec.target()(**kw)), [], kwargs)
        assert not isinstance(exc, EVALUATION_SYMPTOMS), f"{cls}({field}={kind}): {exc!r}"
        for use in _uses_of(built[0]) if built else []:
            exc = _call(use, [], {})
            assert not isinstance(exc, EVALUATION_SYMPTOMS), f"{cls}({field}={kind}) then use: {exc!r}"
        assert not (tmp_path / "CANARY").exists(), f"{cls}({field}={kind} payload) evaluated the string"


def test_derivations_and_steps_refuse_fields_sympy_would_evaluate() -> None:
    good = SPECS["rnnsym.derivation.Derivation"].defaults()
    for field in ("result", "assumptions", "result_label", "kernel_args", "parameters"):
        with pytest.raises(rs.InvalidArgumentError):
            rs.Derivation(**{**good, field: {x_: (PAYLOAD,)} if field == "parameters" else [{"k": PAYLOAD}]})
    with pytest.raises(rs.InvalidArgumentError):
        rs.Step((PAYLOAD,), "j")


def test_derivation_parameters_given_as_text_are_parsed_not_evaluated(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = rs.derive("recurrence", n=1)
    assert d.subs({"b[0]": "1/2"}).parameters[d.all_symbols["b[0]"]] == sp.Rational(1, 2)
    assert d.subs({"b[0]": "W_h[0, 0]/2"}).parameters[d.all_symbols["b[0]"]] == d.all_symbols["W_h[0,0]"] / 2
    with pytest.raises(rs.UnsafeExpressionError):
        d.subs({"b[0]": "__import__('os').system('id')"})
    with pytest.raises(rs.InvalidArgumentError):
        d.subs({"b[0]": ("1/2",)})
    assert not (tmp_path / "CANARY").exists()


# -- the list is complete and usable --------------------------------------------------------------
def test_every_public_callable_is_listed() -> None:
    assert set(SPECS) == discover()


def test_the_lists_of_open_cases_name_real_cases() -> None:
    ids = {_case_id(c) for c in CASES}
    for known in (STILL_EVALUATED, NOT_YET_RNNSYM_ERRORS):
        listed = {case for cases in known.values() for case in cases}
        assert listed <= ids, sorted(listed - ids)
    assert set(OBJECTS_STILL_EVALUATING) <= set(OBJECT_CASES)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_defaults_name_every_parameter_and_are_valid(name: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Each spec covers the whole signature, and its defaults make a call that succeeds."""
    monkeypatch.chdir(tmp_path)
    spec = SPECS[name]
    function = spec.target()
    defaults = spec.defaults()
    params = inspect.signature(function).parameters.values()
    named = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    assert named <= set(defaults), f"{name}: no default for {sorted(named - set(defaults))}"
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        assert "*" in defaults, f"{name}: no default for *args"
    if any(p.kind is p.VAR_KEYWORD for p in params):
        assert set(defaults) - named - {"*"}, f"{name}: no default for **kwargs"
    args = defaults.pop("*", [])
    function(*args, **defaults)
