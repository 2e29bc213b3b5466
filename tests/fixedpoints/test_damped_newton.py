"""The contract of the one batched damped Newton (``damped_newton``) and its step (``_solve_step``), keyword by keyword.

Every expected value comes from outside the code under test: mpmath at 30-40 digits (steps,
determinants, roots), closed forms (iterates that halve exactly in binary, the roots of
``x^2 + y^2 = 4, xy = 1``), or :func:`reference_newton`, a scalar loop written from the docstring.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# private: the step is part of the contract tested here
from rnnsym.fixedpoints import newton
from rnnsym.fixedpoints.newton import damped_newton

EPS = np.finfo(float).eps


class Counted:
    """A linearize that keeps a copy of every batch of points it is evaluated at."""

    def __init__(self, linearize):
        self.linearize, self.calls = linearize, []

    def __call__(self, X, U):
        self.calls.append(X.copy())
        return self.linearize(X, U)


def scalar(g, dg):
    """A 1-D linearize from elementwise ``g(x, U)`` and ``g'(x, U)``."""
    return lambda X, U: (g(X, U), dg(X, U)[None])


def tanh_map(X, U):
    """``G(h) = tanh(w h + b) - h`` with ``w, b = U``."""
    T = np.tanh(U[0] * X + U[1])
    return T - X, (U[0] * (1 - T * T) - 1)[None]


def reference_newton(g, dg, x, *, tol, max_iter, step_tol=1e-7, refusals=3, max_step=None):
    """The docstring's loop for one scalar column: ``(x, |G|, converged, evaluated points)``."""
    def step(x):
        d = dg(x)
        s = -g(x) / (d + 1e-7 if abs(d) <= 1e-14 else d)
        return s if max_step is None else min(max(s, -max_step), max_step)

    seen = [x]
    r, s, lam, refused = abs(g(x)), step(x), 1.0, 0
    for _ in range(max_iter):
        xn = x + lam * s
        seen.append(xn)
        if abs(g(xn)) < r:
            x, r, s, lam, refused = xn, abs(g(xn)), step(xn), 1.0, 0
        else:
            lam, refused = lam / 4, refused + 1
        if r <= tol or abs(s) <= step_tol:
            seen.append(x + s)
            rp = abs(g(x + s))
            return (x + s, rp, True, seen) if rp <= max(tol, r) else (x, r, True, seen)
        if refused == refusals:
            break
    return x, r, False, seen


def mp_matrix(J):
    return mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in J])


def mp_step_and_det(J, g, shift=0.0):
    """``-(J + shift I)^{-1} g`` and ``det J`` at 30 digits (entries taken exactly)."""
    with mpmath.workdps(30):
        A = mp_matrix(J)
        det = mpmath.det(A)
        for i in range(len(g)):
            A[i, i] += mpmath.mpf(shift)
        s = mpmath.lu_solve(A, mpmath.matrix([-mpmath.mpf(float(v)) for v in g]))
        return np.array([float(v) for v in s]), float(det)


def random_jacobians(n, seed):
    """Three Jacobians: random, random with its first row negated, the first with rows 0 and 1 swapped
    (the same LU factors, the other sign: only the pivots' parity tells the two apart)."""
    rng = np.random.default_rng(seed)
    J = np.eye(n)[:, :, None] + 0.6 * rng.standard_normal((n, n, 3)) / np.sqrt(n)
    J[0, :, 1] *= -1.0
    J[:, :, 2] = J[[1, 0, *range(2, n)], :, 0] if n > 1 else -J[:, :, 0]
    return J, rng.standard_normal((n, 3))


# -- the step --------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 3, 64, 66])  # Cramer 1 and 2, batched solve up to 64, LU loop above
def test_step_and_determinant_match_mpmath_on_every_path(n):
    J, G = random_jacobians(n, seed=n)
    S, det = newton._solve_step(J.copy(), G.copy(), None)
    for j in range(3):
        ref, ref_det = mp_step_and_det(J[:, :, j], G[:, j])
        bound = 1e3 * EPS * np.linalg.cond(J[:, :, j], np.inf)
        assert np.abs(S[:, j] - ref).max() <= bound * np.abs(ref).max()
        assert abs(det[j] - ref_det) <= bound * abs(ref_det)
        cap = float(np.median(np.abs(ref)))  # clips about half of the components
        clipped, _ = newton._solve_step(J[:, :, j:j + 1].copy(), G[:, j:j + 1].copy(), cap)
        assert np.abs(clipped[:, 0] - np.clip(ref, -cap, cap)).max() <= bound * np.abs(ref).max()
    assert np.sign(det).tolist() == [1.0, -1.0, -1.0]


def triangular_jacobians(n, diagonal):
    """``J`` upper triangular (no pivoting, exact determinant), the ``j``-th with ``diagonal[j]`` on its
    diagonal at the first place for even ``j``, at the last for odd ``j`` (the shift must reach both)."""
    rng = np.random.default_rng(n)
    J = np.empty((n, n, len(diagonal)))
    for j, d in enumerate(diagonal):
        J[:, :, j] = np.eye(n) + np.triu(0.3 * rng.standard_normal((n, n)), 1)
        J[(n - 1) * (j % 2), (n - 1) * (j % 2), j] = d
    return J, rng.standard_normal((n, len(diagonal)))


def mp_back_substitution(J, g, shift):
    """``-(J + shift I)^{-1} g`` for upper triangular ``J`` at 40 digits, and ``det J``."""
    n = len(g)
    with mpmath.workdps(40):
        A = mp_matrix(J)
        x = [mpmath.mpf(0)] * n
        for i in reversed(range(n)):
            x[i] = (-mpmath.mpf(float(g[i])) - sum(A[i, k] * x[k] for k in range(i + 1, n))) / (A[i, i] + shift)
        return np.array([float(v) for v in x]), float(mpmath.fprod(A[i, i] for i in range(n)))


@pytest.mark.parametrize("n", [1, 2, 3, 66])
def test_singular_columns_step_with_j_plus_1e_7_and_return_the_unshifted_determinant(n):
    # |det| at SINGULAR_DET, below it (other sign), just above it; NumPy's det (exp of log|det|, the batched
    # path) is not exact, so there the boundary is left alone
    diagonal = [-1e-14, 5e-15, -2e-14] if n != 3 else [-0.9e-14, 5e-15, -1.1e-14]
    J, G = triangular_jacobians(n, diagonal)
    for singular_det, shifted in [(newton.SINGULAR_DET, [True, True, False]), (0.0, [False] * 3),
                                  (-diagonal[2] * (1 if n != 3 else 1.1), [True] * 3)]:
        S, det = newton._solve_step(J.copy(), G.copy(), None, singular_det)
        for j, d in enumerate(diagonal):
            ref, ref_det = mp_back_substitution(J[:, :, j], G[:, j], mpmath.mpf(1e-7) if shifted[j] else 0)
            bound = 1e3 * EPS * np.linalg.cond(J[:, :, j] + (1e-7 if shifted[j] else 0) * np.eye(n), np.inf)
            assert np.abs(S[:, j] - ref).max() <= bound * np.abs(ref).max(), (singular_det, j)
            assert ref_det == d and abs(det[j] - d) <= 1e-13 * abs(d)


@pytest.mark.parametrize("n", [2, 3, 66])
def test_a_jacobian_singular_even_when_shifted_gets_the_least_squares_step(n):
    J, G = triangular_jacobians(n, [2.0, 2.0])
    J[:, :, 0] = np.diag([-1e-7, 1e-8] + [1.0] * (n - 2))  # det -1e-15: J + 1e-7 I has a zero pivot
    S, det = newton._solve_step(J.copy(), G.copy(), None)
    with mpmath.workdps(40):  # the minimum-norm solution of a diagonal system: 1/d where d != 0, else 0
        shifted = [mpmath.mpf(float(J[i, i, 0])) + mpmath.mpf(1e-7) for i in range(n)]
        ref = [0.0 if d == 0 else float(-mpmath.mpf(float(G[i, 0])) / d) for i, d in enumerate(shifted)]
    assert shifted[0] == 0 and np.abs(S[:, 0] - ref).max() <= 1e3 * EPS * 1e7 * np.abs(ref).max()
    assert abs(det[0] + 1e-15) <= 1e-13 * 1e-15
    ref1, ref_det1 = mp_back_substitution(J[:, :, 1], G[:, 1], 0)  # the regular column beside it
    assert np.abs(S[:, 1] - ref1).max() <= 1e3 * EPS * np.linalg.cond(J[:, :, 1], np.inf) * np.abs(ref1).max()
    assert abs(det[1] - ref_det1) <= 1e-13 * abs(ref_det1)


@pytest.mark.parametrize("n", [1, 2, 3, 66])
def test_the_step_leaves_the_callers_jacobian_alone(n):
    J, G = triangular_jacobians(n, [0.0])  # one singular column: the shift must go to a copy
    before = J.copy()
    newton._solve_step(J, G, None)
    assert np.array_equal(J, before)


@settings(max_examples=25, deadline=None)
@given(n=st.sampled_from([2, 5]), data=st.data())
def test_one_newton_step_solves_a_well_conditioned_linear_system(n, data):
    entries = st.floats(-1.0, 1.0, allow_subnormal=False)
    M = np.array(data.draw(st.lists(entries, min_size=n * n, max_size=n * n))).reshape(n, n)
    signs = data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=n, max_size=n))
    A = M + (n + 1) * np.diag(signs)  # strictly diagonally dominant: cond_inf <= 2n + 2
    c = np.array(data.draw(st.lists(st.floats(-10.0, 10.0), min_size=n, max_size=n)))
    x0 = np.array(data.draw(st.lists(st.floats(-10.0, 10.0), min_size=n, max_size=n)))
    calls = Counted(lambda X, U: (A @ X - U, np.broadcast_to(A[:, :, None], (n, n, X.shape[1])).copy()))
    res = damped_newton(calls, x0[:, None], c[:, None], tol=0.0, step_tol=0.0, max_iter=1)
    with mpmath.workdps(30):
        x_star = mpmath.lu_solve(mp_matrix(A), mpmath.matrix([mpmath.mpf(float(v)) for v in c]))
        ref = np.array([float(v) for v in x_star])
        ref_det = float(mpmath.det(mp_matrix(A)))
    bound = 1e3 * EPS * np.linalg.cond(A, np.inf) * max(1.0, np.abs(x0).max(), np.abs(ref).max())
    assert np.abs(calls.calls[1][:, 0] - ref).max() <= bound  # the first step lands on the solution
    assert np.abs(res.x[:, 0] - ref).max() <= bound
    _, det = newton._solve_step(A[:, :, None].copy(), (A @ x0 - c)[:, None], None)
    assert abs(det[0] - ref_det) <= bound * abs(ref_det)


# -- known roots -----------------------------------------------------------------------
W, B = 2.5, 0.2  # tanh(W h + B) = h has three roots, one on each monotone piece of G


def tanh_pieces_and_roots():
    """The turning points ``c-, c+`` of ``G`` (closed form: ``cosh^2(W h + B) = W``) and its roots, bracketed."""
    with mpmath.workdps(40):
        c = [(s * mpmath.acosh(mpmath.sqrt(W)) - mpmath.mpf(B)) / W for s in (-1, 1)]
        f = lambda h: mpmath.tanh(W * h + mpmath.mpf(B)) - h  # noqa: E731
        roots = [mpmath.findroot(f, bracket, solver="anderson") for bracket in ((-2, c[0]), (c[0], c[1]), (c[1], 2))]
        return [float(v) for v in c], [float(r) for r in roots]


def test_scalar_newton_finds_the_three_mpmath_roots_to_rounding():
    _, roots = tanh_pieces_and_roots()
    res = damped_newton(tanh_map, np.linspace(-3, 3, 61)[None], np.array([[W], [B]]), tol=1e-15, max_iter=60,
                        step_tol=0.0)  # converged by |G| <= tol alone (a step of 1e-7 would leave |G| ~ 1e-14)
    assert res.converged.sum() >= 50 and np.all(res.residual[res.converged] <= 1e-15)
    found = res.x[0, res.converged]
    distance = np.abs(found[:, None] - np.array(roots)[None]).min(axis=1)
    assert distance.max() <= 4 * EPS
    assert {int(np.argmin(np.abs(x - np.array(roots)))) for x in found} == {0, 1, 2}


def circle_hyperbola(X, U):
    """``(x^2 + y^2 - 4, x y - 1)``: roots ``x = +-sqrt(2 +- sqrt 3)``, ``y = 1/x``."""
    x, y = X
    G = np.stack([x * x + y * y - 4, x * y - 1])
    return G, np.array([[2 * x, 2 * y], [y, x]])


def test_two_dimensional_newton_finds_the_closed_form_roots():
    with mpmath.workdps(40):
        roots = np.array([[float(s * mpmath.sqrt(2 + t * mpmath.sqrt(3))), float(1 / (s * mpmath.sqrt(2 + t * mpmath.sqrt(3))))]
                          for s in (1, -1) for t in (1, -1)])
    g = np.linspace(-2.7, 2.9, 9)
    starts = np.array([[a, b] for a in g for b in g if abs(abs(a) - abs(b)) > 0.1]).T  # off det J = 0
    res = damped_newton(circle_hyperbola, starts, np.zeros((1, 1)), tol=1e-15, max_iter=60)
    assert res.converged.mean() > 0.9
    distance = np.abs(res.x.T[res.converged][:, None] - roots[None]).max(axis=2)
    cond = max(np.linalg.cond(circle_hyperbola(r[:, None], None)[1][:, :, 0], np.inf) for r in roots)
    assert distance.min(axis=1).max() <= 8 * EPS * cond * np.abs(roots).max()
    assert set(distance.argmin(axis=1).tolist()) == {0, 1, 2, 3}


def test_newton_above_64_units_finds_the_mpmath_root_of_a_coupled_system():
    """``G(x) = g(Q x)``, ``g_i(y) = tanh(w_i y_i + b_i) - y_i`` (one root each, w_i < 1), ``Q = P (I + u v^T)``:
    the root is ``x* = (I + u v^T)^{-1} P^T y*`` (Sherman-Morrison), ``y*_i`` by mpmath."""
    n, rng = 70, np.random.default_rng(3)
    w, b = rng.uniform(-0.9, 0.9, n), rng.uniform(-1, 1, n)
    u, v, perm = rng.uniform(-0.3, 0.3, n), rng.uniform(-0.3, 0.3, n), rng.permutation(n)
    Q = (np.eye(n) + np.outer(u, v))[perm]

    def linearize(X, U):
        Y = Q @ X
        T = np.tanh(w[:, None] * Y + b[:, None])
        return T - Y, (w[:, None] * (1 - T * T) - 1)[:, None, :] * Q[:, :, None]

    with mpmath.workdps(40):
        y = [mpmath.findroot(lambda t, i=i: mpmath.tanh(mpmath.mpf(w[i]) * t + mpmath.mpf(b[i])) - t, 0) for i in range(n)]
        z = [0] * n
        for i in range(n):
            z[perm[i]] = y[i]  # z = P^T y*
        uu, vv = [mpmath.mpf(a) for a in u], [mpmath.mpf(a) for a in v]
        coef = mpmath.fsum(a * c for a, c in zip(vv, z)) / (1 + mpmath.fsum(a * c for a, c in zip(vv, uu)))
        x_star = np.array([float(z[i] - uu[i] * coef) for i in range(n)])
    res = damped_newton(linearize, rng.uniform(-2, 2, (n, 3)), np.zeros((1, 1)), tol=1e-15, max_iter=40)
    assert res.converged.all()
    assert np.abs(res.x - x_star[:, None]).max() <= 1e3 * EPS * np.linalg.cond(Q, np.inf)


# -- columns are independent, compaction included ----------------------------------------
def restart_mirror(X):
    return -X


@pytest.mark.parametrize("kw", [
    {}, {"keep_sign": True}, {"max_step": 0.3, "box": ([-2.0], [2.5])}, {"patience": 4},
    {"restart": restart_mirror, "restarts": 2, "refusals": 2, "keep_sign": True},
], ids=["plain", "keep_sign", "max_step-box", "patience", "restart"])
def test_each_column_comes_out_as_it_would_alone_with_and_without_compaction(kw):
    c, roots = tanh_pieces_and_roots()
    starts = [*roots, *[r + 1e-15 for r in roots], roots[0], roots[2],  # 8 of 17 done at once: compaction
              c[0] + 1e-3, c[1] - 1e-3, 40.0, -25.0, np.nan, 0.7, -1.4, c[0] - 2e-3, c[1] + 5e-4]
    N = len(starts)
    U = np.array([np.full(N, W), np.full(N, B)])
    U[0, 7], U[1, 15] = 1.5, -0.1  # columns with their own parameters
    calls = Counted(tanh_map)
    kw = dict(tol=1e-15, max_iter=60, **kw)
    batch = damped_newton(calls, np.array([starts]), U, **kw)
    assert 0 < min(X.shape[1] for X in calls.calls) < N  # the live columns were compacted
    for j in range(N):
        alone = damped_newton(tanh_map, np.array([[starts[j]]]), U[:, j:j + 1], **kw)
        assert alone.converged[0] == batch.converged[j], j
        assert np.allclose(alone.x[0, 0], batch.x[0, j], rtol=1e-14, atol=1e-14, equal_nan=True), j
        assert np.allclose(alone.residual[0], batch.residual[j], rtol=1e-14, atol=1e-14, equal_nan=True), j
    assert batch.converged.sum() >= 10 and not batch.converged[12]


def test_restart_counts_follow_their_columns_through_compaction():
    """``G = x - 1`` with ``J = 2`` above 3 (or where ``U = 1``) and ``J = -1`` below: the refusing columns
    get stuck one after another (the higher the start, the later), each restarted once from ``x + 10``."""
    def linearize(X, U):
        return X - 1, np.where((X > 3) | (U[0] > 0), 2.0, -1.0)[None]

    starts = np.array([[1.5, 3.5, 6, 12, 24, 48, 100, 1000, 2.0, 5.0, 9.0, 17.0, 33.0, 65.0]])
    U = np.array([[0.0] * 8 + [1.0] * 6])
    kw = dict(tol=1e-9, max_iter=80, refusals=2, restart=lambda X: X + 10, restarts=1)
    calls = Counted(linearize)
    batch = damped_newton(calls, starts, U, **kw)
    sizes = [X.shape[1] for X in calls.calls]
    assert any(1 < k < 14 for k in sizes[sizes.index(1):])  # compacted after the first restart (one column)
    for j in range(starts.shape[1]):
        alone = damped_newton(linearize, starts[:, j:j + 1], U[:, j:j + 1], **kw)
        assert alone.converged[0] == batch.converged[j] and alone.x[0, 0] == pytest.approx(batch.x[0, j], rel=1e-14)
    assert batch.converged.tolist() == [False] * 8 + [True] * 6


# -- the keywords ------------------------------------------------------------------------
HALVING = scalar(lambda X, U: X - 1, lambda X, U: np.full_like(X, 2.0))  # J = 2 G': x - 1 halves exactly


@pytest.mark.parametrize("tol, step_tol, max_iter, steps, converged, polished", [
    (2.0 ** -10, 0.0, 50, 10, True, True),   # |G| = 2**-10 after 10 steps: tol met, one more (kept) step
    (0.0, 2.0 ** -10, 50, 9, True, True),    # step |G|/2 = 2**-10 after 9 steps
    (2.0 ** -10, 0.0, 5, 5, False, False),   # out of evaluations first: no polishing
])
def test_tol_step_tol_and_max_iter_stop_where_the_halving_closed_form_says(tol, step_tol, max_iter, steps,
                                                                           converged, polished):
    calls = Counted(HALVING)
    res = damped_newton(calls, np.array([[2.0]]), np.zeros((1, 1)), tol=tol, step_tol=step_tol, max_iter=max_iter)
    k = steps + polished
    assert len(calls.calls) == 1 + steps + polished  # the start, one per step, the polishing step
    assert res.converged[0] == converged
    assert res.x[0, 0] == pytest.approx(1 + 2.0 ** -k, rel=1e-15) and res.residual[0] == pytest.approx(2.0 ** -k)
    x, r, conv, seen = reference_newton(lambda x: x - 1, lambda x: 2.0, 2.0, tol=tol, step_tol=step_tol,
                                        max_iter=max_iter)
    assert (x, conv, len(seen)) == (pytest.approx(res.x[0, 0], rel=1e-15), converged, len(calls.calls))


@pytest.mark.parametrize("slope, tol, step_tol, x_end", [
    (0.4, 0.3, 1e-7, 1.2625),     # converged at |G| = 0.2625 <= tol; the polish would give 0.39375 > tol: refused
    (0.4, 0.4, 1e-7, 0.60625),    # 0.39375 > |G| but <= tol: kept
    (0.8, 0.0, 10.0, 1.05),       # converged by step_tol at |G| = 0.2; the polish (0.05) is above tol = 0 but lower
])
def test_the_polishing_step_is_kept_only_when_its_residual_is_at_most_max_tol_and_the_last(slope, tol, step_tol,
                                                                                          x_end):
    """``G = x - 1`` with ``J = slope``: a step multiplies ``x - 1`` by ``1 - 1/slope`` (``-1.5`` or ``-0.25``).
    From ``x = 1.7`` at slope 0.4 the full step is refused (|-1.5| > 1) and the quarter step (0.375) kept;
    from 1.8 at slope 0.8 the full step gives 0.8 (|G| = 0.2)."""
    x0 = 1.7 if slope == 0.4 else 1.8
    res = damped_newton(scalar(lambda X, U: X - 1, lambda X, U: np.full_like(X, slope)), np.array([[x0]]),
                        np.zeros((1, 1)), tol=tol, step_tol=step_tol, max_iter=20)
    assert res.converged[0] and res.x[0, 0] == pytest.approx(x_end, rel=1e-14)
    assert res.residual[0] == pytest.approx(abs(x_end - 1), rel=1e-13)
    ref = reference_newton(lambda x: x - 1, lambda x: slope, x0, tol=tol, step_tol=step_tol, max_iter=20)
    assert ref[0] == pytest.approx(x_end, rel=1e-14) and ref[2]


@pytest.mark.parametrize("refusals", [1, 3, 5])
def test_a_column_is_dropped_after_refusals_refused_steps_in_a_row_keeping_its_last_accepted_iterate(refusals):
    """``G = x - 1`` with ``J = 2`` above ``x = 2`` and ``J = -1`` below (every step there goes uphill):
    from 6 the steps to 3.5, 2.25, 1.625 are accepted, then each quarter of ``+0.625`` is refused."""
    g, dg = (lambda x: x - 1), (lambda x: np.where(x > 2, 2.0, -1.0))
    calls = Counted(scalar(lambda X, U: g(X), lambda X, U: dg(X)))
    res = damped_newton(calls, np.array([[6.0]]), np.zeros((1, 1)), tol=1e-12, refusals=refusals, max_iter=50)
    assert not res.converged[0] and res.x[0, 0] == 1.625 and res.residual[0] == 0.625
    tried = [X[0, 0] for X in calls.calls]
    assert tried == pytest.approx([6.0, 3.5, 2.25, 1.625] + [1.625 + 0.625 * 0.25 ** i for i in range(refusals)])
    ref = reference_newton(g, lambda x: float(dg(x)), 6.0, tol=1e-12, refusals=refusals, max_iter=50)
    assert ref[3] == pytest.approx(tried) and ref[0] == 1.625


def test_max_step_clips_each_component_not_the_steps_length():
    calls = Counted(lambda X, U: (X - U, np.broadcast_to(np.eye(2)[:, :, None], (2, 2, X.shape[1])).copy()))
    res = damped_newton(calls, np.zeros((2, 1)), np.array([[20.0], [0.5]]), tol=1e-14, max_iter=40, max_step=1.0)
    tried = np.array([X[:, 0] for X in calls.calls])
    assert tried[1].tolist() == pytest.approx([1.0, 0.5])  # not (1, 0.025): the direction is not kept
    assert np.abs(np.diff(tried, axis=0)).max() <= 1.0 and len(tried) == 1 + 20 + 1
    assert res.converged[0] and res.x[:, 0].tolist() == pytest.approx([20.0, 0.5])
    ref = reference_newton(lambda x: x - 20, lambda x: 1.0, 0.0, tol=1e-14, max_iter=40, max_step=1.0)
    assert ref[3] == pytest.approx(tried[:, 0].tolist())


def test_box_keeps_starts_steps_restarts_and_results_inside_and_a_root_outside_is_not_reached():
    calls = Counted(lambda X, U: (X - U, np.broadcast_to(np.eye(2)[:, :, None], (2, 2, X.shape[1])).copy()))
    box = ([-1.0, -1.0], [1.0, 1.0])
    res = damped_newton(calls, np.array([[5.0, 0.0], [-5.0, 0.0]]), np.array([[3.0], [-0.5]]), tol=1e-14,
                        max_iter=40, box=box, restart=lambda X: X - 10, restarts=2)
    tried = np.concatenate([X.T for X in calls.calls])
    assert np.abs(tried).max() <= 1.0 and calls.calls[0][:, 0].tolist() == [1.0, -1.0]
    # |G|_inf = |x - 3| >= 2 in the box: (1, -0.5) is as low as it goes; each restart (-1, -1) climbs back to it
    assert not res.converged.any() and res.x.T.tolist() == [[1.0, -0.5]] * 2 and res.residual.tolist() == [2.0, 2.0]
    assert np.all(tried == -1.0, axis=1).sum() == 2 * 2  # 2 restarts of each column, clipped into the box
    # x - 1 with J = 2 below 0.9: 0, 0.5, 0.75, 0.875, 0.9 (clipped), where the step 0.05 meets step_tol; the
    # polishing step is clipped too
    calls = Counted(HALVING)
    res = damped_newton(calls, np.zeros((1, 1)), np.zeros((1, 1)), tol=0.0, step_tol=0.05, max_iter=20,
                        box=([-1.0], [0.9]))
    assert [X[0, 0] for X in calls.calls] == pytest.approx([0.0, 0.5, 0.75, 0.875, 0.9, 0.9])
    assert res.converged[0] and res.x[0, 0] == 0.9 and res.residual[0] == pytest.approx(0.1)


def test_keep_sign_converges_on_the_starts_own_monotone_piece_where_plain_newton_jumps():
    c, roots = tanh_pieces_and_roots()
    assert roots[0] < c[0] < roots[1] < c[1] < roots[2]  # one root on each monotone piece (mpmath)
    starts = np.array([[-0.48, 0.25, -1.5, 0.6, 1.5]])
    pieces = np.searchsorted(c, starts[0])  # 1, 1, 0, 2, 2
    kw = dict(tol=1e-15, max_iter=60)
    plain = damped_newton(tanh_map, starts, np.array([[W], [B]]), **kw)
    cells = damped_newton(tanh_map, starts, np.array([[W], [B]]), keep_sign=True, **kw)
    assert cells.converged.all() and np.abs(cells.x[0] - np.array(roots)[pieces]).max() <= 4 * EPS
    assert np.abs(plain.x[0, :2] - [roots[2], roots[0]]).max() <= 4 * EPS  # the full steps left the piece


@pytest.mark.parametrize("patience", [0, 3, 6])
def test_patience_drops_a_column_on_the_stated_schedule(patience):
    """``x^2 + 1`` has no root (``|G| >= 1``); ``x`` with ``J = 2.5`` shrinks ``|G|`` by 0.6 an iteration,
    more slowly than the schedule's ``2**-(k - patience)``; a column in a cell with a root keeps going."""
    def dropped_at(residual):  # the docstring's rule, iteration by iteration
        return next(it for it in range(1000) if it > patience and not residual(it) < 0.5 ** (it - patience))

    kw = dict(tol=0.0, step_tol=0.0, refusals=60, max_iter=200, patience=patience)
    for g, dg, x0, residual in [(lambda X: X * X + 1, lambda X: 2 * X, 3.0, lambda it: 1.0),
                                (lambda X: X, lambda X: np.full_like(X, 2.5), 1.0, lambda it: 0.6 ** (it + 1))]:
        calls = Counted(scalar(lambda X, U, g=g: g(X), lambda X, U, dg=dg: dg(X)))
        res = damped_newton(calls, np.array([[x0]]), np.zeros((1, 1)), **kw)
        assert not res.converged[0] and len(calls.calls) == 1 + dropped_at(residual) + 1
    res = damped_newton(HALVING, np.array([[1.5]]), np.zeros((1, 1)), tol=1e-15, max_iter=200, patience=patience)
    assert res.converged[0]  # |G| = 2**-(k + 2) stays below the schedule


def test_restart_is_called_with_the_dropped_columns_iterates_at_most_restarts_times():
    """``G = x - a`` with ``J = s`` from ``U = (a, s)``: ``s = -1`` refuses every step."""
    seen = []

    def restart(X):
        seen.append(X.copy())
        return X + 1

    U = np.array([[1.0, 1.0, 2.0], [1.0, -1.0, -1.0]])
    calls = Counted(scalar(lambda X, U: X - U[0], lambda X, U: U[1] + 0 * X))
    res = damped_newton(calls, np.array([[5.0, 3.0, 7.0]]), U, tol=1e-14, max_iter=60, refusals=2, restart=restart,
                        restarts=2)
    assert [X.tolist() for X in seen] == [[[3.0, 7.0]], [[4.0, 8.0]]]  # both refusing columns, together, twice
    assert res.converged.tolist() == [True, False, False] and res.x[0].tolist() == [1.0, 5.0, 9.0]
    # the refusing columns: the start, 2 refusals in each of 3 rounds, 2 restarts; the other: start, step, polish
    assert sum(X.shape[1] for X in calls.calls) == 2 * (1 + 3 * 2 + 2) + 3
    # det J = 0 at x = 0 lies in no cell: keep_sign refuses every step from there; restarted at 3, the +1 cell
    kw = dict(tol=1e-14, max_iter=60, keep_sign=True, refusals=20)  # 4**-20 of the step from 0 would descend
    square = scalar(lambda X, U: X * X - 1, lambda X, U: 2 * X)
    stay = damped_newton(square, np.array([[0.0]]), np.zeros((1, 1)), **kw)
    sign = damped_newton(square, np.array([[0.0]]), np.zeros((1, 1)), restart=lambda X: X + 3, restarts=1, **kw)
    assert not stay.converged[0] and stay.x[0, 0] == 0.0
    assert sign.converged[0] and sign.x[0, 0] == pytest.approx(1.0, abs=1e-15)


def test_singular_det_zero_converges_linearly_to_a_double_root_where_the_default_shift_stalls():
    """Newton on ``x^2`` halves ``x`` exactly; the default steps with ``2x + 1e-7`` once ``2x <= 1e-14``."""
    kw = dict(tol=0.0, step_tol=0.0, max_iter=60)
    linearize = scalar(lambda X, U: X * X, lambda X, U: 2 * X)
    exact = damped_newton(linearize, np.array([[1.0]]), np.zeros((1, 1)), singular_det=0.0, **kw)
    shifted = damped_newton(linearize, np.array([[1.0]]), np.zeros((1, 1)), **kw)
    assert exact.x[0, 0] == pytest.approx(2.0 ** -60, rel=1e-15) and not exact.converged[0]
    x = 1.0
    for _ in range(60):
        x -= x * x / (2 * x + 1e-7 if 2 * x <= 1e-14 else 2 * x)
    assert x > 1e-15 and shifted.x[0, 0] == pytest.approx(x, rel=1e-12)


def test_starts_with_a_nonfinite_residual_are_not_live_and_report_nan():
    """``G = log x``: -inf at 0, NaN below; the finite start beside them converges to 1."""
    calls = Counted(scalar(lambda X, U: np.log(X), lambda X, U: 1 / X))
    starts = np.array([[0.0, -1.0, np.nan, np.e, np.inf]])
    res = damped_newton(calls, starts, np.zeros((1, 1)), tol=1e-15, max_iter=30)
    assert np.isnan(res.residual[[0, 1, 2, 4]]).all() and res.converged.tolist() == [False, False, False, True, False]
    assert np.array_equal(res.x[0, [0, 1, 4]], [0.0, -1.0, np.inf]) and np.isnan(res.x[0, 2])
    assert res.x[0, 3] == pytest.approx(1.0, abs=2 * EPS) and res.residual[3] <= 1e-15
