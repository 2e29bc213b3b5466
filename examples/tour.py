# %% [markdown]
# # A tour of rnnsym
#
# A notebook-style script: each `# %%` cell runs in Jupyter (VS Code,
# JupyterLab with jupytext) or top to bottom with `python examples/tour.py`,
# which is how CI runs it.  In a notebook, the last expression of a cell
# displays as math through its `_repr_latex_`.

# %%
import numpy as np

import rnnsym as rs
from rnnsym.linear.system import LinearRNN

# %% [markdown]
# ## A model with symbolic weights
# `h_t = tanh(W_h h_{t-1} + W_x x_t + b)` with generated symbols named as in
# the chapter (`W_h[0,1]`, `h_prev[0]`, ...).

# %%
net = rs.RNN.symbolic(n=2, m=1, activation="tanh")
print(net.parameters)
net  # displays as h_t = tanh(W_h h_{t-1} + W_x x_t + b)

# %% [markdown]
# ## The Jacobian and its LaTeX
# SymPy differentiates the step: `dh_t/dh_{t-1} = D_t W_h`.

# %%
J = net.jacobian()
tex = rs.latex(J)
print(tex[:120], "...")
assert J.shape == (2, 2) and r"\operatorname{sech}" in tex

# %% [markdown]
# ## A compiled kernel
# The Jacobian becomes a NumPy function of `(h_prev, x, W_h[0,0], ...)`
# that broadcasts over a batch of states.

# %%
kernel = rs.compile(J, [net.h_prev, net.x, *net.parameters])
weights = [0.5, -0.3, 0.2, 0.8, 1.0, -1.0, 0.1, 0.0]   # W_h (row by row), W_x, b
states = np.random.default_rng(0).uniform(-1, 1, (5, 2))
batch = kernel(states, [0.3], *weights)
print(batch.shape)
assert batch.shape == (5, 2, 2)

# Compare one Jacobian with finite differences of the model's own numeric step.
concrete = net.subs(dict(zip(net.parameters, weights)))
h, x, eps = states[0], np.array([0.3]), 1e-6
fd = np.column_stack([(concrete.numeric_step(h + e, x) - concrete.numeric_step(h - e, x)) / (2 * eps)
                      for e in np.eye(2) * eps])
assert np.allclose(batch[0], fd, atol=1e-8)
kernel  # displays as the compiled expression

# %% [markdown]
# ## A whole derivation, and its verification against simulation
# The half-life of a perturbation at a stable fixed point, derived by SymPy
# from the model's own Jacobian, checked by simulating a perturbation.

# %%
half = rs.derive("half_life")
print(half.text().splitlines()[0])
print("t_1/2(0.9) =", float(half.kernel(0.9)))
report = half.verify(max_examples=10)
print(report)
assert report.passed
half  # displays as t_{1/2} = -log(2)/log(rho)

# %% [markdown]
# A planted error is caught: verification returns a failing report with a
# counterexample instead of raising.

# %%
wrong = half.with_result(2 * half.result)
caught = wrong.verify(max_examples=10)
print(caught)
assert not caught.passed and caught.counterexample is not None

# %% [markdown]
# ## Substituting values by name
# `derive(name, symbol=value)` substitutes into the steps and the result.

# %%
snr = rs.derive("snr", a="3/5", sigma=1, X=1)
print(snr.result.args[-1][0])
assert {s.name for s in snr.result.free_symbols} == {"omega"}

# %% [markdown]
# ## Everything displays as math in Jupyter

# %%
for obj in (net, kernel, half, LinearRNN([[0.5, 1.0], [0.0, 0.5]], [[0.0], [1.0]])):
    shown = obj._repr_latex_()
    assert shown.startswith("$") and shown.endswith("$"), type(obj).__name__
    print(type(obj).__name__, shown[:60], "...")
