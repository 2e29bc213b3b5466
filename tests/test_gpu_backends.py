"""GPU backends ``"jax"`` and ``"cupy"`` (rnnsym.backends.gpu), checked wherever possible.

* The C body printed for ``cupy.ElementwiseKernel`` is compiled by the
  machine's C compiler in a plain loop (``-ffp-contract=off``) and compared
  with the NumPy backend: the same source the GPU compiles, run on the CPU.
* The JAX path runs on JAX's default device (the CPU here, a GPU where JAX
  has one).
* CuPy itself runs only where CuPy and a CUDA device exist.

Stated bound: within 4 ULP of the NumPy backend for expressions without
cancellation (transcendental functions come from different libraries; XLA
and nvcc may contract ``a*b + c`` into a fused multiply-add).  Where an
expression cancels, each backend's error against mpmath is bounded per unit
of the cancellation's condition number instead.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.errors import DomainError, InvalidArgumentError
from rnnsym.backends.gpu import elementwise_source

X, sigma, a, omega = sp.symbols("X sigma a omega", real=True)
SNR = X**2 * (1 - a**2) / (2 * sigma**2 * (1 - 2 * a * sp.cos(omega) + a**2))
x, y = sp.symbols("x y")


def ulps(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(got) - want) / np.spacing(np.abs(want))))


def snr_inputs(size: int = 4000) -> list[np.ndarray]:
    """a <= 0 and cos(omega) >= 0: every term of the denominator is positive (no cancellation)."""
    rng = np.random.default_rng(0)
    return [rng.uniform(0.1, 3, size), rng.uniform(0.1, 3, size),
            rng.uniform(-0.999, 0, size), rng.uniform(0, np.pi / 2, size)]


def jacobian_2x2() -> tuple[sp.Matrix, list]:
    net = rs.RNN.symbolic(2, 1)
    return net.jacobian(), [net.h_prev, net.x, net.W_h, net.W_x, net.b]


def jacobian_close(got: np.ndarray, want: np.ndarray, h, x_, W, Wx, b) -> bool:
    """Entries ``W_ij sech(z_i)**2``: 4 ULP, plus the pre-activation's summation order.

    Backends may add the terms of ``z_i`` in another order (an error up to
    ``3 eps sum|terms|``), which ``sech**2`` amplifies by ``2 |z tanh z| / |z|``
    relative to ``z``: per row ``kappa_i = 2 |tanh z_i| sum_j |terms_ij|``.
    """
    h, x_, W, Wx, b = (np.asarray(v, dtype=float) for v in (h, x_, W, Wx, b))
    terms = np.concatenate([h[..., None, :] * W, (x_ * Wx)[..., None], np.broadcast_to(b, h.shape)[..., None]],
                           axis=-1)
    z = terms.sum(-1)
    kappa = 2 * np.abs(np.tanh(z)) * np.abs(terms).sum(-1)
    bound = np.abs(want) * np.finfo(float).eps * (4 + 3 * kappa[..., None]) + 1e-300
    return bool(np.all(np.abs(got - want) <= bound))


def jacobian_values(seed: int, batch: int) -> list[np.ndarray]:
    """(h_prev, x, W_h, W_x, b) for :func:`jacobian_2x2`: a batch of states, shared weights."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2, 2, (batch, 2)), rng.uniform(-2, 2, (batch, 1)), rng.uniform(-1, 1, (2, 2)),
            rng.uniform(-1, 1, 2), rng.uniform(-1, 1, 2)]


# ------------------------------------------------------------ the C body, run by cc
CC = shutil.which("cc") or shutil.which("gcc")


def run_c_body(exprs: list, names: list, columns: list[np.ndarray], tmp: Path) -> np.ndarray:
    source = elementwise_source(exprs, names)
    params = [p.split()[1] for p in source.in_params.split(", ")]
    outs = [p.split()[1] for p in source.out_params.split(", ")]
    loads = "".join(f"    const double {p} = in_{k}[i];\n" for k, p in enumerate(params))
    decls = "".join(f"    double {o};\n" for o in outs)
    stores = "".join(f"    res_{k}[i] = {o};\n" for k, o in enumerate(outs))
    args = ", ".join([f"const double *in_{k}" for k in range(len(params))]
                     + [f"double *res_{k}" for k in range(len(outs))])
    code = (f"#include <math.h>\nvoid run(long n, {args}) {{\n  for (long i = 0; i < n; ++i) {{\n"
            f"{loads}{decls}    {{\n{source.operation}\n    }}\n{stores}  }}\n}}\n")
    (tmp / "k.c").write_text(code)
    subprocess.run([CC, "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-o", str(tmp / "k.so"),
                    str(tmp / "k.c"), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(tmp / "k.so"))
    n = len(columns[0])
    ins = [np.ascontiguousarray(np.broadcast_to(c, (n,)), dtype=np.float64) for c in columns]
    res = [np.empty(n) for _ in outs]
    ptr = ctypes.POINTER(ctypes.c_double)
    lib.run(ctypes.c_long(n), *[c.ctypes.data_as(ptr) for c in ins + res])
    return np.stack(res, axis=-1)


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_printed_c_body_of_the_snr_matches_numpy(tmp_path: Path) -> None:
    cols = snr_inputs()
    got = run_c_body([SNR], [X, sigma, a, omega], cols, tmp_path)[:, 0]
    assert ulps(got, rs.compile(SNR, [X, sigma, a, omega])(*cols)) <= 4


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_printed_c_body_of_a_tanh_jacobian_matches_numpy(tmp_path: Path) -> None:
    J, args = jacobian_2x2()
    kernel = rs.compile(J, args)
    flat = [s for arg in args for s in arg]
    body = [e.replace(sp.sech, lambda z: 1 / sp.cosh(z)) for e in J]
    rng = np.random.default_rng(1)
    cols = [rng.uniform(-3, 3, 500) for _ in flat]
    got = run_c_body(body, flat, cols, tmp_path)
    values = [np.stack(cols[i:i + len(arg)], axis=-1).reshape(500, *arg.shape)
              if arg.cols > 1 else np.stack(cols[i:i + len(arg)], axis=-1)
              for arg, i in zip(args, np.cumsum([0] + [len(a) for a in args[:-1]]))]
    want = kernel(*values)
    assert jacobian_close(got.reshape(want.shape), want, *values)
    assert not jacobian_close(got.reshape(want.shape) * (1 + 1e-12), want, *values)  # can fail


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_a_wrong_c_body_is_caught(tmp_path: Path) -> None:
    # the planted error: a sign flipped in the printed source must not pass the comparison
    cols = snr_inputs(200)
    wrong = SNR.subs(omega, omega + sp.Rational(1, 10**6))
    got = run_c_body([wrong], [X, sigma, a, omega], cols, tmp_path)[:, 0]
    assert ulps(got, rs.compile(SNR, [X, sigma, a, omega])(*cols)) > 4


def test_c_names_that_clash_are_renamed() -> None:
    double, out0 = sp.symbols("double out0")
    source = elementwise_source([double + out0], [double, out0])
    assert "float64 double" not in source.in_params and "float64 out0," not in source.in_params
    assert source.out_params == "float64 out0"


def test_functions_c_lacks_are_a_clear_error() -> None:
    with pytest.raises(InvalidArgumentError, match="cupy"):
        elementwise_source([sp.gamma(x) * sp.zeta(x)], [x])
    with pytest.raises(InvalidArgumentError, match="complex"):
        elementwise_source([sp.I * x], [x])


# ------------------------------------------------------------ JAX
def test_jax_snr_matches_numpy_within_4_ulp() -> None:
    jax = pytest.importorskip("jax")
    kernel = rs.compile(SNR, [X, sigma, a, omega], backend="jax")
    cols = snr_inputs()
    out = kernel(*cols)
    assert isinstance(out, jax.Array) and out.dtype == np.float64 and kernel.engine == "jax"
    assert ulps(np.asarray(out), rs.compile(SNR, [X, sigma, a, omega])(*cols)) <= 4
    assert not jax.config.jax_enable_x64  # the caller's configuration is untouched


def test_jax_matrix_kernels_broadcast_like_numpy() -> None:
    pytest.importorskip("jax")
    J, args = jacobian_2x2()
    values = jacobian_values(2, 7)
    got = np.asarray(rs.compile(J, args, backend="jax")(*values))
    want = rs.compile(J, args)(*values)
    assert got.shape == want.shape == (7, 2, 2)
    assert jacobian_close(got, want, *values)
    constant = rs.compile(sp.Matrix([[x, 0], [1, x * y]]), [x, y], backend="jax")
    assert np.asarray(constant([1.0, 2.0], 3.0)).tolist() == [[[1.0, 0.0], [1.0, 3.0]],
                                                              [[2.0, 0.0], [1.0, 6.0]]]


def test_jax_kernels_keep_the_domain_rules() -> None:
    pytest.importorskip("jax")
    kernel = rs.compile(sp.sqrt(1 - x**2), [x], assumptions=[sp.Abs(x) <= 1], backend="jax")
    with pytest.raises(DomainError, match="Abs"):
        kernel([0.5, 2.0])
    masked = np.asarray(kernel([0.6, 2.0], on_domain="nan"))
    assert masked[0] == pytest.approx(0.8) and np.isnan(masked[1])


# ------------------------------------------------------------ CuPy (a CUDA device only)
def _cupy_device() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


@pytest.mark.skipif(not _cupy_device(), reason="no CuPy or no CUDA device")
def test_cupy_kernels_match_numpy_on_the_device() -> None:
    import cupy

    kernel = rs.compile(SNR, [X, sigma, a, omega], backend="cupy")
    cols = snr_inputs()
    out = kernel(*[cupy.asarray(c) for c in cols])
    assert isinstance(out, cupy.ndarray)
    assert ulps(cupy.asnumpy(out), rs.compile(SNR, [X, sigma, a, omega])(*cols)) <= 4
    J, args = jacobian_2x2()
    values = jacobian_values(3, 5)
    got = cupy.asnumpy(rs.compile(J, args, backend="cupy")(*values))
    want = rs.compile(J, args)(*values)
    assert jacobian_close(got, want, *values)


@pytest.mark.skipif(_cupy_device(), reason="CuPy with a device is installed")
def test_cupy_without_a_device_is_a_one_line_error() -> None:
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(InvalidArgumentError, match="cupy") as info:
            rs.compile(x + 1, [x], backend="cupy")
        assert "\n" not in str(info.value)
