"""Claims about the one batched damped Newton and the one merge of the fixed-point solvers."""

from __future__ import annotations

import ast
from itertools import pairwise
from pathlib import Path

import mpmath
import numpy as np
import pytest

import rnnsym
import rnnsym.fixedpoints.newton as newton_module
from rnnsym.fixedpoints.newton import damped_newton, merge_roots

EPS = np.finfo(float).eps


class Recorder:
    """``G(x) = x - A tanh(x) - u`` on columns, keeping a copy of every point it is evaluated at."""

    def __init__(self, A: np.ndarray) -> None:
        self.A, self.calls = np.asarray(A, dtype=float), []

    def __call__(self, X: np.ndarray, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls.append(X.copy())
        T = np.tanh(X)
        G = X - self.A @ T - U
        J = np.eye(len(X))[:, :, None] - self.A[:, :, None] * (1 - T * T)[None]
        return G, J


def exact_root(A: np.ndarray, u: np.ndarray) -> list:
    """The root of ``x = A tanh(x) + u`` at 50 digits (mpmath.findroot from the float root)."""
    n = len(u)
    with mpmath.workdps(50):
        def f(*x):
            return [x[i] - sum(mpmath.mpf(A[i, j]) * mpmath.tanh(x[j]) for j in range(n)) - mpmath.mpf(u[i])
                    for i in range(n)]
        x0 = np.zeros(n)
        for _ in range(200):  # a contraction: iterate to a float start
            x0 = A @ np.tanh(x0) + u
        root = mpmath.findroot(f, [mpmath.mpf(v) for v in x0])
        return [root[i] for i in range(n)] if isinstance(root, mpmath.matrix) else [root]


@pytest.mark.parametrize("A, u, x0", [
    (np.array([[0.5]]), np.array([0.3]), np.array([[4.0]])),
    (np.array([[-0.8]]), np.array([1.2]), np.array([[-3.0]])),
    (np.array([[0.4, -0.3], [0.2, 0.5]]), np.array([0.7, -0.2]), np.array([[2.5], [-1.5]])),
])
def test_newton_converges_quadratically_on_a_contraction(A, u, x0):
    G = Recorder(A)
    res = damped_newton(G, x0, u[:, None], tol=1e-15, max_iter=30, step_tol=0.0)
    root = exact_root(A, u)
    with mpmath.workdps(50):
        errors = [float(max(abs(mpmath.mpf(float(v)) - r) for v, r in zip(X[:, 0], root))) for X in G.calls]
    assert res.converged.all() and res.residual[0] <= 1e-15
    assert errors[-1] <= 4 * EPS * max(1.0, max(abs(float(r)) for r in root))
    # the error squares from one iterate to the next until rounding: e_{k+1} <= C e_k**2
    steps = [(e, f) for e, f in pairwise(errors) if 1e-13 < f]
    assert len(steps) >= 2 and all(f <= 1.0 * e * e for e, f in steps[1:])
    assert len(G.calls) <= 9  # from |e| ~ 3 to rounding: a linearly convergent method needs dozens


def test_each_column_converges_or_says_it_did_not():
    def G(X, U):  # x**2 = u: no real root for u < 0
        return X * X - U, (2 * X)[None]

    res = damped_newton(G, np.array([[1.0, 1.0, -5.0]]), np.array([[2.0, -1.0, 9.0]]), tol=1e-13, max_iter=60)
    assert res.converged.tolist() == [True, False, True]
    assert res.x[0, 0] == pytest.approx(np.sqrt(2), abs=1e-15) and res.x[0, 2] == pytest.approx(-3, abs=1e-15)
    assert res.residual[1] >= 1.0 and np.isfinite(res.x).all()


def test_keep_sign_keeps_each_start_in_its_own_cell():
    def G(X, U):  # x**3 - x: roots -1, 0, 1; G' < 0 only between -1/sqrt(3) and 1/sqrt(3)
        return X ** 3 - X - U, (3 * X * X - 1)[None]

    starts, U = np.array([[0.5, -0.5, 2.0]]), np.zeros((1, 1))
    free = damped_newton(G, starts, U, tol=1e-14, max_iter=40)
    cells = damped_newton(G, starts, U, tol=1e-14, max_iter=40, keep_sign=True)
    assert free.x[0].round(12).tolist() == [-1.0, 1.0, 1.0]   # a full step from 0.5 lands on -1
    assert cells.x[0].round(12).tolist() == [0.0, 0.0, 1.0]
    assert cells.converged.all()


def test_box_keeps_the_iterates_inside_and_a_step_cap_bounds_each_step():
    seen = []

    def G(X, U):
        seen.append(X.copy())
        return X - U, np.ones((1, 1, X.shape[1]))

    res = damped_newton(G, np.array([[0.0]]), np.array([[2.0]]), tol=1e-12, max_iter=20, box=([-1.0], [1.0]))
    assert not res.converged[0] and res.x[0, 0] == 1.0
    assert all(np.abs(X).max() <= 1.0 for X in seen)
    seen.clear()
    res = damped_newton(G, np.array([[0.0]]), np.array([[2.0]]), tol=1e-12, max_iter=20, max_step=0.5)
    assert res.converged[0] and res.x[0, 0] == 2.0
    assert np.abs(np.diff([X[0, 0] for X in seen])).max() <= 0.5


def test_a_singular_jacobian_gives_a_finite_step():
    def G(X, U):  # x**2 - 1 from x = 0, where G' = 0
        return X * X - U, (2 * X)[None]

    res = damped_newton(G, np.array([[0.0]]), np.array([[1.0]]), tol=1e-14, max_iter=20, max_step=1.0)
    assert res.converged[0] and res.x[0, 0] == 1.0


def test_a_start_that_stops_descending_is_restarted():
    def G(X, U):  # x**3 - 2x + 2: |G| has a local minimum 0.911 at x = sqrt(2/3), the root is -1.769
        return X ** 3 - 2 * X + 2 - U, (3 * X * X - 2)[None]

    start, U = np.array([[0.0]]), np.zeros((1, 1))
    stuck = damped_newton(G, start, U, tol=1e-14, max_iter=60)
    again = damped_newton(G, start, U, tol=1e-14, max_iter=60, restart=lambda X: X - 3, restarts=1)
    assert not stuck.converged[0] and stuck.residual[0] > 0.9 and 0 < stuck.x[0, 0] < 1
    assert again.converged[0] and again.x[0, 0] == pytest.approx(-1.7692923542386314, abs=1e-14)


# -- merge ----------------------------------------------------------------------------
def test_merge_keeps_distinct_roots_and_merges_rounding_copies():
    X = np.array([[0.5, 0.1], [0.5 + 1e-12, 0.1], [0.5 + 1e-6, 0.1], [0.5, 0.1 + 1e-3], [np.nan, 0.0],
                  [0.5 + 1e-6 - 1e-11, 0.1 + 1e-12]])
    roots = merge_roots(X, 1e-7)
    assert roots.tolist() == [[0.5, 0.1], [0.5 + 1e-6, 0.1], [0.5, 0.1 + 1e-3]]   # first copies, in order


def test_merge_tolerance_is_relative_to_the_roots_scale():
    big = 3e8
    copies = big * (1 + np.array([0.0, 2.0, -3.0, 5.0]) * EPS)          # one root, agreeing to rounding
    far = big * (1 + 1e-6)                                              # another, 300 away
    X = np.concatenate([copies, [far], 0.25 + np.array([0.0, 5e-8, 2e-7])])[:, None]
    roots = merge_roots(X, 1e-7)[:, 0]
    assert roots.tolist() == [copies[0], far, 0.25, 0.25 + 2e-7]       # below 1: absolute


def test_merge_keeps_a_candidate_farther_than_tol_from_every_kept_root():
    tol = 1e-7
    X = np.array([[0.0], [0.6 * tol], [1.2 * tol], [1.7 * tol]])         # a chain: each within tol of the last
    roots = merge_roots(X, tol)[:, 0]
    assert roots.tolist() == [0.0, 1.2 * tol]
    assert all(np.abs(roots - x).min() <= tol for x in X[:, 0])


def test_merge_finds_every_root_among_many_copies_with_equal_first_coordinates():
    rng = np.random.default_rng(0)
    roots = np.array([[0.3, 0.5], [0.3, -0.5], [0.3, 0.0], [-0.7, 0.2]])
    X = roots[rng.integers(0, 4, 400)] * (1 + rng.uniform(-4, 4, (400, 2)) * EPS)
    merged = merge_roots(np.stack([X, X[::-1]]), 1e-7)
    assert merged.shape == (2, 4, 2)
    for batch in merged:
        assert sorted(map(tuple, batch.round(12))) == sorted(map(tuple, roots))


def reference_merge(X: np.ndarray, tol: float) -> list:
    """The leader rule, one candidate at a time."""
    kept: list = []
    for x in X:
        if np.isfinite(x).all() and not any(
                np.abs(x - r).max() <= tol * max(1.0, np.abs(x).max(), np.abs(r).max()) for r in kept):
            kept.append(x)
    return kept


@pytest.mark.parametrize("block", [1 << 22, 7])   # 7 elements: every candidate in its own block
def test_batched_merge_equals_the_leader_rule_candidate_by_candidate(block, monkeypatch):
    monkeypatch.setattr(newton_module, "MERGE_BLOCK", block)
    rng = np.random.default_rng(1)
    centres = rng.uniform(-3, 3, (6, 3)) * rng.choice([1.0, 1e9], (6, 1))
    X = centres[rng.integers(0, 6, (5, 60))] + rng.normal(size=(5, 60, 3)) * 4e-8 * np.maximum(
        1.0, np.abs(centres).max())
    X[rng.random((5, 60)) < 0.2] = np.nan
    merged = merge_roots(X, 1e-7)
    for p in range(5):
        expected = reference_merge(X[p], 1e-7)
        got = merged[p][np.isfinite(merged[p, :, 0])]
        assert np.array_equal(got, np.array(expected).reshape(-1, 3))


def test_merge_of_no_candidates_is_one_nan_row():
    assert np.isnan(merge_roots(np.full((2, 3, 2), np.nan), 1e-7)).all()
    assert merge_roots(np.full((2, 3, 2), np.nan), 1e-7).shape == (2, 1, 2)


# -- one home ----------------------------------------------------------------------------
PACKAGE = Path(rnnsym.__file__).parent
HOME = Path("fixedpoints", "newton.py")


def modules() -> dict[Path, ast.Module]:
    return {path.relative_to(PACKAGE): ast.parse(path.read_text(), str(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def functions(trees: dict[Path, ast.Module]) -> list[tuple[Path, str, ast.AST]]:
    """Every function and method defined in the package, nested ones too: (module, name, node)."""
    return [(path, node.name, node) for path, tree in trees.items() for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def calls_to(name: str, node: ast.AST) -> int:
    return sum(isinstance(c, ast.Call) and getattr(c.func, "id", getattr(c.func, "attr", None)) == name
               for c in ast.walk(node))


def test_the_package_has_one_newton_and_one_merge_both_in_fixedpoints_newton():
    """Scope: every module of ``rnnsym`` (none outside ``rnnsym/fixedpoints`` defines a function
    named like a Newton or a merge; the mpmath polish in search.py is ``mpmath.findroot``).

    A function whose name contains "newton" (any case) other than ``damped_newton`` would be
    allowed only as a helper of it: defined in newton.py and called nowhere but inside
    ``damped_newton``.  There is none today; the step's linear solve, ``_solve_step``, is such
    a helper under a name without "newton", and is checked the same way.
    """
    trees = modules()
    defined = functions(trees)
    (the_one,) = [node for path, name, node in defined if (path, name) == (HOME, "damped_newton")]

    def helper_of_the_one(path: Path, name: str) -> bool:
        total = sum(calls_to(name, tree) for tree in trees.values())
        return path == HOME and 0 < total == calls_to(name, the_one)

    newtons = [(path, name) for path, name, _ in defined if "newton" in name.lower()]
    assert [(path, name) for path, name in newtons
            if name == "damped_newton" or not helper_of_the_one(path, name)] == [(HOME, "damped_newton")]
    assert [(path, name) for path, name, _ in defined if "merge" in name.lower()] == [(HOME, "merge_roots")]
    assert helper_of_the_one(HOME, "_solve_step")


@pytest.mark.parametrize("module", ["search", "sweep"])
def test_both_searches_use_the_one_newton_and_the_one_merge(module):
    tree = modules()[Path("fixedpoints", f"{module}.py")]
    assert calls_to("damped_newton", tree) >= 1 and calls_to("merge_roots", tree) >= 1
    imported = {(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    assert {("rnnsym.fixedpoints.newton", "damped_newton"), ("rnnsym.fixedpoints.newton", "merge_roots")} <= imported


def test_fixedpoints_imports_are_absolute_at_module_level_and_acyclic():
    graph = {}
    for path, tree in modules().items():
        if path.parent != Path("fixedpoints"):
            continue
        deps = set()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            assert not getattr(node, "level", 0), f"relative import in {path}"
            if any(m.split(".")[0] == "rnnsym" for m in names):
                assert node in tree.body, f"function-level import of {names} in {path}"
            deps |= {m.split(".")[2] if m.count(".") >= 2 else "__init__"
                     for m in names if m.startswith("rnnsym.fixedpoints")}
        graph[path.stem] = deps
    assert graph["newton"] == set() and "__init__" not in graph["search"] | graph["sweep"]
    assert "sweep" not in graph["search"]
    assert graph["sweep"] <= {"search", "newton"} | {m for m in graph if m.startswith("_")}


def test_singular_det_zero_lets_newton_converge_linearly_to_a_triple_root():
    """Newton on x^3 maps x to 2x/3 exactly (closed form); the default shift J + 1e-7 I once
    |det J| = 3x^2 <= 1e-14 stalls it near 6e-8.  Used to refine near-roots of degenerate fixed points."""
    def linearize(X, U):
        return X ** 3, (3 * X * X)[None]

    kw = dict(tol=0.0, step_tol=0.0, max_iter=60, refusals=8)
    shifted = damped_newton(linearize, np.array([[1e-3]]), np.zeros((1, 1)), **kw)
    exact = damped_newton(linearize, np.array([[1e-3]]), np.zeros((1, 1)), singular_det=0.0, **kw)
    assert abs(shifted.x[0, 0]) > 1e-8
    assert abs(exact.x[0, 0]) == pytest.approx(1e-3 * (2 / 3) ** 60, rel=1e-9)
