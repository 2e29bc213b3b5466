"""GPU backends ``"jax"`` and ``"cupy"`` (rnnsym.backends.gpu), checked wherever possible.

* The C body printed for ``cupy.ElementwiseKernel`` is compiled by the
  machine's C compiler in a plain loop (``-ffp-contract=off``): the same
  source the GPU compiles, run on the CPU.
* The JAX path runs on JAX's default device (the CPU here, a GPU where JAX
  has one).
* CuPy itself runs only where CuPy and a CUDA device exist.

Every backend is compared with the *exact* value, computed by mpmath at 50
digits from the SymPy expression, never with another floating-point library
(the C library, NumPy's SIMD loops, XLA and CUDA differ by machine).

Stated bound, per point and entry: ``|computed - exact| <= B + TINY``, with
``B`` the first-order running error bound of the expression at that point
(:func:`rounding_error`, evaluated in mpmath; the same model as
``tests/test_fused_backend.py``).  In units of ``eps = 2**-52``: each
``+ - * /`` and ``sqrt`` costs ``1 eps`` of its result (IEEE 754 rounds them
correctly, to ``eps/2``; a fused multiply-add, which XLA and nvcc may
form, only removes roundings); a sum of ``n`` terms in any order costs
``(n - 1) eps sum |terms|``, so where it cancels (``1 - 2 a cos(omega) + a**2``
as ``a -> 1``, the pre-activation ``z`` of the Jacobian) the bound is per
unit of the cancellation's condition number; a library function ``f(a)``
costs ``FN_ULP eps |f(a)| + eps |a f'(a)|`` (``FN_ULP = 4`` for the C library
and CUDA, twice the 2 ULP that glibc and CUDA document for the functions
used here; ``JAX_FN_ULP = 16``, twice the 7 ULP JAX documents for its float64
tanh on CPUs; the second term, the condition number times ``eps``, allows a
rounded argument reduction: XLA's float64 ``cosh(x)`` is off by up to
``|x| eps / 2``); ``x**n`` costs ``max(FN_ULP, |n|) eps``; errors of arguments
propagate by the derivative.  For the Jacobian entries ``W_ij sech(z_i)**2``
this is ``3 FN_ULP + 2 |z tanh z| + 1`` eps of the entry plus ``2 |tanh z|``
times the error of ``z`` (``4 eps sum |terms of z|``: three products, three
additions).  ``TINY`` (smallest normal float) is an absolute floor for
underflow.  The C body, JAX and the Jacobian tests also plant a wrong
kernel (1e-12 relative, or omega shifted by 1e-6) and check that the bound
catches it.
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
from tests.backends._rounding import FN_ULP, JAX_FN_ULP, excess

X, sigma, a, omega = sp.symbols("X sigma a omega", real=True)
SNR = X**2 * (1 - a**2) / (2 * sigma**2 * (1 - 2 * a * sp.cos(omega) + a**2))
SNR_ARGS = [X, sigma, a, omega]
x, y = sp.symbols("x y")

# ------------------------------------------------------------ the exact value and the bound
def snr_inputs(size: int = 1000, seed: int = 0) -> list[np.ndarray]:
    """Any sign of a and cos(omega): the denominator cancels as a -> +-1 (the bound allows for it)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.1, 3, size), rng.uniform(0.1, 3, size),
            rng.uniform(-0.999, 0.999, size), rng.uniform(0, np.pi, size)]


def jacobian_2x2() -> tuple[sp.Matrix, list]:
    net = rs.RNN.symbolic(2, 1)
    return net.jacobian(), [net.h_prev, net.x, net.W_h, net.W_x, net.b]


def jacobian_excess(got: np.ndarray, values: list[np.ndarray], fn: int = FN_ULP) -> float:
    """:func:`excess` of a batch of Jacobians ``(..., 2, 2)`` at ``values`` (broadcast per point)."""
    J, args = jacobian_2x2()
    batch = got.shape[:-2]
    shapes = [(arg.rows,) if arg.cols == 1 else arg.shape for arg in args]
    flat = np.concatenate([np.broadcast_to(v, batch + s).reshape(-1, int(np.prod(s)))
                           for v, s in zip(values, shapes)], axis=-1)
    symbols = [s for arg in args for s in arg]
    return excess(got.reshape(-1, 4), list(J), symbols, list(flat.T), fn)


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
def test_printed_c_body_of_the_snr_is_within_the_rounding_bound(tmp_path: Path) -> None:
    cols = snr_inputs()
    got = run_c_body([SNR], SNR_ARGS, cols, tmp_path)[:, 0]
    assert excess(got, SNR, SNR_ARGS, cols) <= 1


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_printed_c_body_of_a_tanh_jacobian_is_within_the_rounding_bound(tmp_path: Path) -> None:
    J, args = jacobian_2x2()
    flat = [s for arg in args for s in arg]
    body = [e.replace(sp.sech, lambda z: 1 / sp.cosh(z)) for e in J]  # C has no sech
    rng = np.random.default_rng(1)
    cols = [rng.uniform(-3, 3, 500) for _ in flat]
    got = run_c_body(body, flat, cols, tmp_path)
    assert excess(got, list(J), flat, cols) <= 1
    # the planted error: 1e-12 relative (about 4500 eps) must not pass
    assert excess(got * (1 + 1e-12), list(J), flat, cols) > 1


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_a_wrong_c_body_is_caught(tmp_path: Path) -> None:
    # the planted error: omega shifted by 1e-6 in the printed source must not pass the bound
    cols = snr_inputs(200)
    wrong = SNR.subs(omega, omega + sp.Rational(1, 10**6))
    got = run_c_body([wrong], SNR_ARGS, cols, tmp_path)[:, 0]
    assert excess(got, SNR, SNR_ARGS, cols) > 1


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
def test_jax_snr_is_within_the_rounding_bound() -> None:
    jax = pytest.importorskip("jax")
    kernel = rs.compile(SNR, SNR_ARGS, backend="jax")
    cols = snr_inputs()
    out = kernel(*cols)
    assert isinstance(out, jax.Array) and out.dtype == np.float64 and kernel.engine == "jax"
    assert excess(np.asarray(out), SNR, SNR_ARGS, cols, JAX_FN_ULP) <= 1
    assert excess(np.asarray(out) * (1 + 1e-12), SNR, SNR_ARGS, cols, JAX_FN_ULP) > 1  # planted
    assert not jax.config.jax_enable_x64  # the caller's configuration is untouched


def test_jax_matrix_kernels_broadcast_like_numpy() -> None:
    pytest.importorskip("jax")
    J, args = jacobian_2x2()
    values = jacobian_values(2, 7)
    got = np.asarray(rs.compile(J, args, backend="jax")(*values))
    assert got.shape == rs.compile(J, args)(*values).shape == (7, 2, 2)
    assert jacobian_excess(got, values, JAX_FN_ULP) <= 1
    constant = rs.compile(sp.Matrix([[x, 0], [1, x * y]]), [x, y], backend="jax")
    # exact: products of small integers are exact in IEEE 754 arithmetic on every machine
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
def test_cupy_kernels_are_within_the_rounding_bound_on_the_device() -> None:
    import cupy

    kernel = rs.compile(SNR, SNR_ARGS, backend="cupy")
    cols = snr_inputs()
    out = kernel(*[cupy.asarray(c) for c in cols])
    assert isinstance(out, cupy.ndarray)
    assert excess(cupy.asnumpy(out), SNR, SNR_ARGS, cols) <= 1
    J, args = jacobian_2x2()
    values = jacobian_values(3, 5)
    got = cupy.asnumpy(rs.compile(J, args, backend="cupy")(*values))
    assert jacobian_excess(got, values) <= 1


@pytest.mark.skipif(_cupy_device(), reason="CuPy with a device is installed")
def test_cupy_without_a_device_is_a_one_line_error() -> None:
    try:
        import cupy  # noqa: F401
    except ImportError:
        with pytest.raises(InvalidArgumentError, match="cupy") as info:
            rs.compile(x + 1, [x], backend="cupy")
        assert "\n" not in str(info.value)
