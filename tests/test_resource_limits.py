"""Resource limits: symbolic work that explodes with size is refused up front.

Each row of ``REFUSED`` is a call that, unguarded, ran for 15 s to hours
(or exhausted memory); it must raise :class:`rnnsym.ResourceLimitError`
before doing the work, with a one-line message that names the numeric
alternative.  A watchdog (``SIGALRM``) turns a call that starts the work
instead into a failure after ``WATCHDOG`` seconds rather than a hang.  Each
row of ``ALLOWED`` is the same operation under its limit, which still works.
The measurements behind every limit are in the docstrings and comments next
to the limits.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any, Callable

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym import cli
from rnnsym.linear.filtering import (Z, linear_system, lyapunov_noise_variance, parseval_noise_variance,
                              transfer_function)
from rnnsym.fixedpoints.search import find_fixed_points
from rnnsym.gradients import gradient_product
from rnnsym.linear.system import LinearRNN
from rnnsym._matrices import matrix_symbols
from rnnsym.linear.modes import coupling_matrix, modes
from rnnsym.linear.normality import is_normal
from rnnsym.linear.rank import controllability_rank, exact_rank, observability_rank
from rnnsym.stability import spectral_norm
from tests._watchdog import within

#: Seconds a refusal may take (it takes milliseconds; the unguarded calls took 15 s or more).
WATCHDOG = 3.0


def _within(seconds: float, call: Callable[[], Any]) -> Any:
    return within(seconds, call, "not refused up front: still working after {seconds} s")


def _integer_system(n: int, symbol: bool = True) -> LinearRNN:
    """A dense integer ``n``-state system, with one symbol ``a`` in ``A[0, 0]``."""
    rng = np.random.default_rng(n)
    A = sp.Matrix(rng.integers(-5, 6, (n, n)).tolist())
    if symbol:
        A[0, 0] = sp.Symbol("a", real=True)
    return LinearRNN(A, rng.integers(-5, 6, (n, 1)).tolist())


def _rotated_jordan_pairs(n: int) -> np.ndarray:
    """Floats with ``n/2`` Jordan blocks of size 2, rotated (numerically defective)."""
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    J = np.zeros((n, n))
    for b in range(0, n, 2):
        J[b, b] = J[b + 1, b + 1] = 0.5 + 0.1 * b
        J[b, b + 1] = 1.0
    return Q @ J @ Q.T


def _trig_matrix(n: int) -> sp.Matrix:
    return sp.Matrix(n, n, lambda i, j: sp.cos(sp.Symbol(f"t{i}{j}")) if (i + j) % 2
                     else sp.Symbol("r") * sp.sin(sp.Symbol(f"t{i}{j}")))


def _npz(tmp_path: Any, n: int) -> str:
    rng = np.random.default_rng(0)
    path = tmp_path / f"w{n}.npz"
    np.savez(path, W_h=0.5 * rng.standard_normal((n, n)) / np.sqrt(n), W_x=rng.standard_normal((n, 1)),
             b=np.zeros(n))
    return str(path)


# (id, the call, a fragment naming the numeric alternative); unguarded times in the comments
REFUSED: list[tuple[str, Callable[[], Any], str]] = [
    # exact rank: fully symbolic 3-state Krylov matrix (12 symbols, minors of size 3) > 15 s
    ("controllability_rank symbolic n=3", lambda: controllability_rank(LinearRNN.symbolic(3, 1)),
     "numeric_rank()"),
    ("observability_rank symbolic n=3", lambda: observability_rank(LinearRNN.symbolic(3, 1, p=1)),
     "exact=False"),
    # a fully symbolic 4x4 matrix (16 symbols) > 15 s
    ("exact_rank 4x4 symbols", lambda: exact_rank(matrix_symbols("M", 4, 4)), "numeric_rank()"),
    # one symbol in a dense integer 10-state system > 15 s
    ("exact_rank one symbol n=10", lambda: controllability_rank(_integer_system(10)), "is_controllable()"),
    # the expanded Krylov matrix of a fully symbolic 6-state system: ~56,000 terms, > 20 s
    ("controllability_matrix n=6", lambda: LinearRNN.symbolic(6, 1).controllability_matrix(),
     "krylov_matrix()"),
    ("observability_matrix n=6", lambda: LinearRNN.symbolic(6, 1, p=1).observability_matrix(),
     "observability_rank(..., exact=False)"),
    # modes: irreducible cubic (symbolic 3x3, or x^3 - x - 1) > 15 s; symbolic 5x5 triangular 12 s
    ("modes symbolic 3x3", lambda: modes(matrix_symbols("A", 3, 3)), "dtype=float"),
    ("modes rational cubic", lambda: modes([[0, 0, 1], [1, 0, 1], [0, 1, 0]]), "dtype=float"),
    ("modes symbolic 5x5 diagonal", lambda: modes(sp.diag(*sp.symbols("a0:5"))), "dtype=float"),
    ("LinearRNN.modes symbolic 3x3", lambda: LinearRNN.symbolic(3, 1).modes(), "dtype=float"),
    # floats that look defective: the exact Jordan form of their rational approximation hung (4x4)
    # or raised a raw SymPy error (6x6)
    ("modes defective floats 4x4", lambda: modes(_rotated_jordan_pairs(4)), "smaller `tol`"),
    ("coupling_matrix symbolic 4x4",
     lambda: coupling_matrix(sp.Matrix(4, 4, lambda i, j: sp.Symbol(f"a{i}{j}") if j >= i else 0),
                             list(sp.symbols("d0:4"))), "coupling_strength()"),
    # normality: 576 symbols (24x24) > 15 s; simplify of a 552-operation trigonometric defect 8.5 s
    ("is_normal 13x13 symbols", lambda: is_normal(matrix_symbols("W", 13, 13)), "dtype=float"),
    ("is_normal trig 4x4", lambda: is_normal(_trig_matrix(4)), "dtype=float"),
    ("spectral_norm symbolic 3x3", lambda: spectral_norm(sp.Matrix(matrix_symbols("W", 3, 3))),
     "floats to spectral_norm()"),
    # filtering: symbolic (zI - A)^{-1} for a 4x4 A > 15 s; Lyapunov solve 3x3 > 15 s;
    # residues at three poles > 20 s
    ("transfer_function symbolic 4x4",
     lambda: transfer_function(matrix_symbols("A", 4, 4), matrix_symbols("B", 4, 1),
                               matrix_symbols("C", 1, 4)), "snr_numeric"),
    ("lyapunov_noise_variance symbolic 3x3",
     lambda: lyapunov_noise_variance(matrix_symbols("A", 3, 3), matrix_symbols("B", 3, 1),
                                     matrix_symbols("C", 1, 3)), "noise_variance_numeric()"),
    ("lyapunov_noise_variance rational 10x10",
     lambda: lyapunov_noise_variance(sp.eye(10) / 2, sp.ones(10, 1), sp.ones(1, 10)),
     "noise_variance_numeric()"),
    ("parseval three poles",
     lambda: parseval_noise_variance(1 / ((Z - sp.Rational(1, 2)) * (Z - sp.Rational(1, 3))
                                          * (Z - sp.Rational(1, 5))), [sp.Rational(1, 2)]),
     "noise_variance_numeric()"),
    # unrolling: 2 units, 30 steps ~ 2**29 terms (15 steps took 6.9 s); float weights likewise
    ("RNN.unroll symbolic T=30", lambda: rs.RNN.symbolic(2, 1).unroll(30), "RNN.simulate()"),
    ("RNN.unroll float weights T=30", lambda: rs.RNN([[0.5, 0.1], [0.2, 0.3]], [[1], [1]]).unroll(30),
     "RNN.simulate()"),
    # one unit nests T deep: T = 100 hit the recursion limit after 7 s
    ("RNN.unroll T=100", lambda: rs.RNN([[sp.Symbol("w")]], [[1]]).unroll(100), "RNN.simulate()"),
    # a symbolic 64-unit Jacobian took 13 s
    ("RNN.jacobian n=40", lambda: rs.RNN.symbolic(40, 1).jacobian(), "trajectory_jacobians()"),
    ("gradient_product horizon=13", lambda: gradient_product(13), "gradient_norms()"),
    # derivations (also reached by `rnnsym derive NAME --param n=...`)
    ("derive controllability n=4", lambda: rs.derive("controllability", n=4), "controllability_rank"),
    ("derive observability n=4", lambda: rs.derive("observability", n=4), "is_observable()"),
    ("derive eigenmodes n=4", lambda: rs.derive("eigenmodes", n=4), "rnnsym.linear.modes.modes()"),
    ("derive contraction n=3", lambda: rs.derive("contraction", n=3), "contraction_factor()"),
    ("derive recurrence n=17", lambda: rs.derive("recurrence", n=17), "trajectory_jacobians()"),
    ("derive gradient_norms n=5", lambda: rs.derive("gradient_norms", n=5), "gradient_norms()"),
    # numeric searches whose memory or time explode: 8192 starts x 64^3 flops per Newton step
    ("find_fixed_points too many starts",
     lambda: find_fixed_points(rs.RNN(0.1 * np.eye(64)), starts=8192), "contraction_factor()"),
    ("analyze_rnn steps of the streamed Lyapunov exponents",
     lambda: rs.analyze_rnn(rs.RNN(0.1 * np.eye(64), np.ones((64, 1))), steps=100_000), "steps=65536"),
]


@pytest.mark.parametrize("call, alternative", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_explosive_symbolic_work_is_refused_up_front(call, alternative) -> None:
    with pytest.raises(rs.ResourceLimitError) as info:
        _within(WATCHDOG, call)
    message = str(info.value)
    assert "\n" not in message
    assert "limit" in message
    assert alternative in message, message
    assert isinstance(info.value, RuntimeError)  # the built-in class a caller would expect


ALLOWED: list[tuple[str, Callable[[], Any], Callable[[Any], bool]]] = [
    ("controllability_rank symbolic n=2",
     lambda: controllability_rank(LinearRNN.symbolic(2, 1)), lambda r: r.rank == 2 and r.drops),
    ("exact_rank one symbol n=4", lambda: controllability_rank(_integer_system(4)),
     lambda r: r.rank == 4),
    # exact numbers are not limited by size: a dense integer 30-state Krylov matrix (was > 15 s)
    ("exact_rank numeric n=30", lambda: controllability_rank(_integer_system(30, symbol=False)),
     lambda r: r.rank == 30 and not r.drops),
    ("controllability_matrix n=4", lambda: LinearRNN.symbolic(4, 1).controllability_matrix(),
     lambda C: C.shape == (4, 4)),
    ("controllability_matrix diagonal n=40",
     lambda: LinearRNN(sp.diag(*sp.symbols("a0:40")), [[1]] * 40).controllability_matrix(),
     lambda C: C[39, 39] == sp.Symbol("a39") ** 39),
    ("modes symbolic 2x2", lambda: modes(matrix_symbols("A", 2, 2)), lambda d: len(d.modes) == 2),
    ("modes rational 10x10 with rational eigenvalues",
     lambda: modes(sp.Matrix(10, 10, lambda i, j: sp.Rational(i + 1, 11) if i == j else
                             (1 if j == i + 1 else 0))), lambda d: len(d.modes) == 10),
    ("modes defective floats with a small tol", lambda: modes(_rotated_jordan_pairs(4), tol=1e-12),
     lambda d: d.diagonalizable),
    ("is_normal 12x12 symbols", lambda: is_normal(matrix_symbols("W", 12, 12)), lambda v: v is None),
    ("is_normal trig 2x2", lambda: is_normal(_trig_matrix(2)), lambda v: v is None),
    ("transfer_function symbolic 2x2",
     lambda: transfer_function(matrix_symbols("A", 2, 2), matrix_symbols("B", 2, 1),
                               matrix_symbols("C", 1, 2)), lambda H: H.has(Z)),
    ("lyapunov_noise_variance rational 8x8",
     lambda: lyapunov_noise_variance(sp.eye(8) / 2, sp.ones(8, 1), sp.ones(1, 8), sigma=1),
     lambda out: out[1] == sp.Rational(256, 3)),
    ("parseval one pole", lambda: parseval_noise_variance(1 / (1 - Z / 2), [sp.Rational(1, 2)], sigma=1),
     lambda out: out[1] == sp.Rational(4, 3)),
    ("RNN.unroll symbolic T=8", lambda: rs.RNN.symbolic(2, 1).unroll(8), lambda hs: len(hs) == 8),
    ("RNN.unroll one unit T=30", lambda: rs.RNN([[sp.Symbol("w")]], [[1]]).unroll(30),
     lambda hs: len(hs) == 30),
    ("derive eigenmodes n=2", lambda: rs.derive("eigenmodes", n=2), lambda d: d.result.shape == (2, 2)),
    # (find_fixed_points formed a 4096 x 4096 x n distance array: 2 GB at n = 16)
    ("find_fixed_points n=32", lambda: find_fixed_points(rs.RNN(0.5 * np.eye(32))),
     lambda res: len(res) == 1 and res.complete),
]


@pytest.mark.parametrize("call, check", [r[1:] for r in ALLOWED], ids=[r[0] for r in ALLOWED])
def test_the_same_work_under_its_limit_still_runs(call, check) -> None:
    assert check(call())


def test_each_limit_has_a_keyword_that_moves_it() -> None:
    a = sp.Symbol("a", real=True)
    M = sp.Matrix([[1, a], [1, 1]])
    with pytest.raises(rs.ResourceLimitError, match="max_size=2"):
        exact_rank(M, max_size=1)
    assert exact_rank(M).drops
    diag = LinearRNN(sp.diag(*sp.symbols("a0:5")), [[1]] * 5)
    with pytest.raises(rs.ResourceLimitError, match="max_terms=25"):
        diag.controllability_matrix(max_terms=10)
    with pytest.raises(rs.ResourceLimitError, match="max_terms"):
        controllability_rank(diag, max_terms=10)
    assert len(modes(sp.diag(*sp.symbols("a0:5")), max_size=5).modes) == 5
    with pytest.raises(rs.ResourceLimitError, match="max_degree=2"):
        modes([[1, 1], [-1, 1]], max_degree=1)
    with pytest.raises(rs.ResourceLimitError, match="max_symbols=16"):
        is_normal(matrix_symbols("W", 4, 4), max_symbols=15)
    with pytest.raises(rs.ResourceLimitError, match="max_ops"):
        is_normal(_trig_matrix(2), max_ops=5)
    with pytest.raises(rs.ResourceLimitError, match="max_symbols=4"):
        transfer_function(matrix_symbols("A", 2, 2), [[1], [0]], max_symbols=3)
    with pytest.raises(rs.ResourceLimitError, match="max_size=3"):
        lyapunov_noise_variance([[sp.Rational(1, 2), 0], [0, sp.Rational(1, 3)]], [[1], [1]], max_size=2)
    with pytest.raises(rs.ResourceLimitError, match="max_size=3"):
        rs.RNN.symbolic(3, 1).jacobian(max_size=2)
    assert len(rs.RNN.symbolic(2, 1).unroll(6, max_terms=32)) == 6
    with pytest.raises(rs.ResourceLimitError, match="max_terms"):
        rs.RNN.symbolic(2, 1).unroll(6, max_terms=16)


def test_linear_system_rejects_a_nonlinear_model_without_simplify() -> None:
    # simplify() of tanh of a long sum ran for minutes even at n = 4; the answer needs no simplify
    with pytest.raises(rs.InvalidArgumentError, match="must be linear"):
        _within(WATCHDOG, lambda: linear_system(rs.RNN.symbolic(16, 2, activation="tanh", bias=False)))


def test_exact_rank_of_a_parameter_with_a_quintic_drop_is_quick() -> None:
    # the rank drops at the real root of a degree-5 polynomial: evaluating the CRootOf once
    # (findroot) instead of in every entry, and skipping the minors of a symbol-free matrix,
    # brought this from over 15 s to about 2 s
    rank = _within(30, lambda: controllability_rank(_integer_system(6)))
    assert rank.rank == 6 and rank.drops and all(d.rank == 5 for d in rank.drops)


# -- the command line: exit status 2, one line, no traceback -----------------------------
CLI_REFUSED = [
    (["derive", "eigenmodes", "--param", "n=4"], "rnnsym.linear.modes.modes()"),
    (["derive", "controllability", "--param", "n=5", "--format", "json"], "controllability_rank"),
    (["derive", "recurrence", "--param", "n=40"], "trajectory_jacobians()"),
]


@pytest.mark.parametrize("argv, alternative", CLI_REFUSED, ids=[" ".join(a) for a, _ in CLI_REFUSED])
def test_cli_refuses_with_exit_2_and_one_line(argv, alternative) -> None:
    proc = subprocess.run([sys.executable, "-m", "rnnsym.cli", *argv], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("rnnsym: error: ")
    assert alternative in lines[0] and "limit" in lines[0]


def test_cli_analyze_refuses_too_many_steps_for_the_layer(tmp_path, capsys) -> None:
    path = _npz(tmp_path, 64)
    code = cli.main(["analyze", path, "--steps", "100000"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--steps" in err and "steps=65536" in err


def test_cli_analyze_handles_a_32_unit_layer(tmp_path, capsys) -> None:
    # was: 4096 x 4096 x 32 distances (4 GB) in the fixed-point search, and a symbolic
    # 32 x 32 Jacobian built and compiled (19 s) for the Lyapunov spectrum
    code = cli.main(["analyze", _npz(tmp_path, 32), "--steps", "200", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert '"n": 32' in captured.out


def test_cli_timeout_gives_up_on_slow_allowed_work(capsys) -> None:
    # eigenmodes with n = 2 is allowed and takes 0.7-2 s (SymPy caches warm or cold): --timeout stops it
    code = cli.main(["--timeout", "0.1", "derive", "eigenmodes", "--param", "n=2"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == "rnnsym: error: gave up after --timeout 0.1 seconds"
