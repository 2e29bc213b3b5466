"""Chunked sweeps equal one-shot evaluation; the Dask path equals the NumPy path on a local cluster."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import rnnsym as rs
from rnnsym.errors import InvalidArgumentError, UnknownNameError
from rnnsym.grids import sweep

a, w, s = sp.symbols("a w s", real=True)
KERNEL = rs.compile(s * (1 - a**2) / (1 - 2 * a * sp.cos(w) + a**2), [a, w, s])
GRID = {"a": np.linspace(-0.9, 0.9, 13), "w": np.linspace(0, np.pi, 7)}


def direct() -> np.ndarray:
    return KERNEL(GRID["a"][:, None], GRID["w"][None, :], 2.0)


@pytest.mark.parametrize("chunk", [1, 5, 91, 1000])
def test_chunked_sweep_equals_evaluation_on_the_full_grid(chunk: int) -> None:
    np.testing.assert_array_equal(sweep(KERNEL, GRID, fixed={"s": 2.0}, chunk=chunk), direct())


def test_sweep_writes_into_a_memmap(tmp_path) -> None:
    out = np.lib.format.open_memmap(tmp_path / "map.npy", mode="w+", dtype=float, shape=(13, 7))
    sweep(KERNEL, GRID, fixed={"s": 2.0}, chunk=10, out=out, progress=True)
    np.testing.assert_array_equal(np.load(tmp_path / "map.npy"), direct())


def test_sweep_of_a_derivation_gives_nan_outside_its_domain() -> None:
    d = rs.derive("half_life")
    rho = [str(x) for x in d.kernel.args]
    values = sweep(d, {rho[0]: [0.5, 0.9, 1.5]})
    assert np.isfinite(values[:2]).all() and np.isnan(values[2])


def test_unknown_or_missing_arguments_are_one_line_errors() -> None:
    with pytest.raises(UnknownNameError, match="`nope`"):
        sweep(KERNEL, {"nope": [1.0]})
    with pytest.raises(InvalidArgumentError, match="s"):
        sweep(KERNEL, GRID)


def test_dask_sweep_on_a_local_cluster_equals_the_numpy_sweep() -> None:
    pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        got = sweep(KERNEL, GRID, fixed={"s": 2.0}, chunk=17, backend="dask")
    np.testing.assert_array_equal(got, direct())
    lazy = sweep(KERNEL, GRID, fixed={"s": 2.0}, chunk=17, backend="dask", compute=False)
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"), direct())
