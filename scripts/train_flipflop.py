#!/usr/bin/env python
"""Train the small networks of ``tests/data`` on the 3-bit flip-flop task, deterministically, on the CPU.

    pip install -e ".[train]"            # torch==2.13.0 (CPU) and safetensors
    python scripts/train_flipflop.py [OUT]   (default: tests/data)

The task is FixedPointFinder's standard example (Golub & Sussillo, 2018;
``FlipFlopData``): three input channels carry sparse pulses of +1 or -1,
and each of the three outputs holds the sign of the last pulse on its
channel.  As there, every channel pulses at ``t = 0``; unlike its default
(a pulse with probability 0.5 at every step), a pulse comes with
probability :data:`P_PULSE` = 0.1, so the network holds its memory through
long stretches of zero input, where its fixed points are computed.  A
trained network stores the ``2**3 = 8`` memories as 8 stable fixed points
at zero input, with saddles between them.

Writes, each under 200 kB:

* ``flipflop_gru.npz`` -- an ``nn.GRU`` (24 units) and its readout;
* ``flipflop_lstm.npz`` -- an ``nn.LSTM`` (24 units) and its readout;
* ``birnn2.npz`` -- a two-layer bidirectional ``nn.RNN`` (tanh, 8 units per
  direction): a bidirectional network cannot hold a flip-flop causally,
  and it is trained only briefly; it is the multi-layer, bidirectional
  export of the tests;
* ``flipflop_lstm.safetensors`` -- the LSTM's state dict again, as
  safetensors.

Each ``.npz`` holds the module's state dict under PyTorch's key names
(``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, and
``..._reverse``, ``..._l1``), the readout (``readout.weight``,
``readout.bias``), and :data:`RECORDED` input sequences with what PyTorch
computed on them, from the zero state: ``record.inputs`` ``(k, T, 3)``,
``record.h`` ``(k, T, D n)`` (the module's output sequence), for the LSTM
``record.c`` ``(k, T, n)`` (stepping the same module one step at a time),
``record.h_n`` ``(layers * D, k, n)`` (the final states), and
``record.outputs`` ``(k, T, 3)`` (the readout).  Everything is float32, as
PyTorch stores it.

Deterministic: seeded data and initialisation, ``torch.use_deterministic_algorithms(True)``
and one thread, so the same PyTorch build writes the same files.  About a
minute per network on one core.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

N_BITS, N_TIME, P_PULSE = 3, 64, 0.1
#: Recorded sequences per file.
RECORDED = 4
#: (file stem, module class, hidden units, layers, bidirectional, Adam steps, seed)
NETWORKS = [
    ("flipflop_gru", nn.GRU, 24, 1, False, 1500, 0),
    ("flipflop_lstm", nn.LSTM, 24, 1, False, 2000, 0),
    ("birnn2", nn.RNN, 8, 2, True, 300, 0),
]
BATCH, LEARNING_RATE = 128, 1e-2


def flipflop_data(rng: np.random.RandomState, trials: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets ``(trials, N_TIME, N_BITS)``: FixedPointFinder's ``FlipFlopData`` with ``P_PULSE``."""
    pulses = rng.binomial(1, P_PULSE, (trials, N_TIME, N_BITS))
    pulses[:, 0, :] = 1
    signs = 2 * rng.binomial(1, 0.5, (trials, N_TIME, N_BITS)) - 1
    inputs = (pulses * signs).astype(np.float32)
    targets = np.zeros_like(inputs)
    for t in range(N_TIME):
        held = targets[:, t - 1] if t else np.zeros((trials, N_BITS), np.float32)
        targets[:, t] = np.where(inputs[:, t] != 0, inputs[:, t], held)
    return inputs, targets


class Network(nn.Module):
    """A recurrent module and a linear readout of its output sequence."""

    def __init__(self, module: type, hidden: int, layers: int, bidirectional: bool) -> None:
        super().__init__()
        extra = {"nonlinearity": "tanh"} if module is nn.RNN else {}
        self.rnn = module(N_BITS, hidden, num_layers=layers, bidirectional=bidirectional, batch_first=True,
                          **extra)
        self.readout = nn.Linear(hidden * (2 if bidirectional else 1), N_BITS)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, object]:
        h, final = self.rnn(x)
        return self.readout(h), h, final


def train(stem: str, module: type, hidden: int, layers: int, bidirectional: bool, steps: int,
          seed: int) -> tuple[Network, np.random.RandomState]:
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    net = Network(module, hidden, layers, bidirectional)
    opt = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    began = time.perf_counter()
    for step in range(1, steps + 1):
        x, y = (torch.from_numpy(a) for a in flipflop_data(rng, BATCH))
        out, _, _ = net(x)
        loss = torch.mean((out - y) ** 2)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        if step % 250 == 0 or step == steps:
            print(f"{stem}: step {step}, loss {loss.item():.2e} ({time.perf_counter() - began:.0f} s)", flush=True)
    x, y = flipflop_data(rng, 512)
    with torch.no_grad():
        out, _, _ = net(torch.from_numpy(x))
    wrong = np.mean(np.sign(out.numpy()) != y)
    print(f"{stem}: held-out sign errors {wrong:.2%}, loss {np.mean((out.numpy() - y) ** 2):.2e}")
    return net, rng


def record(net: Network, rng: np.random.RandomState) -> dict[str, np.ndarray]:
    """PyTorch's own outputs and states on ``RECORDED`` fresh sequences, from the zero state."""
    x, _ = flipflop_data(rng, RECORDED)
    with torch.no_grad():
        out, h, final = net(torch.from_numpy(x))
        arrays = {"record.inputs": x, "record.h": h.numpy(), "record.outputs": out.numpy()}
        if isinstance(net.rnn, nn.LSTM):
            arrays["record.h_n"], c_n = (t.numpy() for t in final)
            state, cs = None, []
            for t in range(N_TIME):   # the cell state at every step: the same module, one step at a time
                _, state = net.rnn(torch.from_numpy(x[:, t:t + 1]), state)
                cs.append(state[1][-1].numpy())
            arrays["record.c"] = np.stack(cs, axis=1)
            assert np.array_equal(arrays["record.c"][:, -1], c_n[-1])
        else:
            arrays["record.h_n"] = final.numpy()
    return arrays


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent / "tests" / "data")
    out.mkdir(parents=True, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for stem, module, hidden, layers, bidirectional, steps, seed in NETWORKS:
        net, rng = train(stem, module, hidden, layers, bidirectional, steps, seed)
        state = {k: v.detach().numpy().copy() for k, v in net.rnn.state_dict().items()}
        readout = {f"readout.{k}": v.detach().numpy().copy() for k, v in net.readout.state_dict().items()}
        path = out / f"{stem}.npz"
        np.savez_compressed(path, **state, **readout, **record(net, rng))
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} kB)")
        if module is nn.LSTM:
            from safetensors.numpy import save_file
            st = out / f"{stem}.safetensors"
            save_file(state, str(st), metadata={"format": "pt", "module": "torch.nn.LSTM"})
            print(f"wrote {st} ({st.stat().st_size / 1024:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
