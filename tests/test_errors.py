"""The table of bad input: each gets one line naming the argument, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import rnnsym as rs

NAN = float("nan")

TABLE = [
    # (call, expected exception, a fragment the message must contain)
    (lambda: rs.RNN([[1, 2, 3], [4, 5, 6]]), rs.ShapeError, "`W_h` must be square; got shape (2, 3)"),
    (lambda: rs.RNN(np.eye(2), np.ones((3, 1))), rs.ShapeError, "`W_x` must have 2 rows"),
    (lambda: rs.RNN(np.eye(2), np.ones((2, 1)), [0, 0, 0]), rs.ShapeError, "`b` must have 2 entries"),
    (lambda: rs.RNN([[NAN]]), rs.NonFiniteError, "`W_h` must be finite"),
    (lambda: rs.RNN([[1.0]], [[float("inf")]]), rs.NonFiniteError, "`W_x` must be finite"),
    (lambda: rs.RNN([[1.0]], activation="swish"), rs.UnknownNameError, "`activation` 'swish'"),
    (lambda: rs.RNN([["1"]]), rs.InvalidArgumentError, "`W_h`"),
    (lambda: rs.RNN([[1j]]), rs.InvalidArgumentError, "`W_h` must be real"),
    (lambda: rs.derive("nope"), rs.UnknownNameError, "derivation 'nope' is not known"),
    (lambda: rs.derive("recurrence", n="two"), rs.UnsafeExpressionError, "`--param n`"),
    (lambda: rs.derive("recurrence", n=0), rs.InvalidArgumentError, "`n` must be an integer >= 1"),
    (lambda: rs.derive("recurrence", zeta="1"), rs.InvalidArgumentError, "`zeta` is neither"),
    (lambda: rs.derive("recurrence", **{"b[0]": "__import__('os').system('true')"}),
     rs.UnsafeExpressionError, "`--param b[0]`"),
    (lambda: rs.compile("x**2", []), rs.InvalidArgumentError, "`expr`"),
    (lambda: rs.compile(rs.RNN.symbolic(1).W_h, [], backend="cuda"), rs.InvalidArgumentError,
     "`backend`"),
    (lambda: rs.RNN.symbolic(0), rs.InvalidArgumentError, "`n` must be an integer >= 1"),
    (lambda: rs.RNN([[0.5]]).simulate(np.ones((3, 2))), rs.ShapeError, "`xs` must have shape"),
]


@pytest.mark.parametrize("call, error, fragment", TABLE, ids=[t[2][:40] for t in TABLE])
def test_bad_input_gets_a_one_line_error_naming_the_argument(call, error, fragment) -> None:
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert isinstance(info.value, rs.RnnsymError)


CLI_TABLE = [
    (["derive", "nope"], "derivation 'nope' is not known"),
    (["derive", "recurrence", "--param", "n"], "expects NAME=VALUE"),
    (["derive", "recurrence", "--param", "b[0]=__import__('os').system('touch /tmp/pwned')"],
     "is not allowed"),
    (["derive", "recurrence", "--param", "n=1/0"], "--param n"),
    (["derive", "recurrence", "--param", "activation=swish"], "`activation` 'swish'"),
    (["verify", "nope"], "derivation 'nope' is not known"),
    (["derive", "recurrence", "--format", "pdf"], "invalid choice"),
]


@pytest.mark.parametrize("argv, fragment", CLI_TABLE, ids=[" ".join(a)[:40] for a, _ in CLI_TABLE])
def test_cli_bad_input_exits_2_with_one_line_and_no_traceback(argv, fragment) -> None:
    proc = subprocess.run([sys.executable, "-m", "rnnsym.cli", *argv], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert fragment in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if "error:" in ln]
    assert len(lines) == 1
