#!/usr/bin/env python3
"""Time forward + backward of the GRSN, LIF and GRU layers in PyTorch, at the
sizes of `grsn bench cells` (input 48, hidden 128, batch 32, T = 65).

    /usr/bin/python3 dev/bench_cells.py --threads 2
    build/grsn bench cells --threads 2

The spiking layers follow the authors' style but batch the input-side products
over the whole window (the fastest way to write them in PyTorch): one matmul
for the gates, then a Python loop over time for the recurrence, with the
arctan surrogate as an autograd Function. The GRU is torch.nn.GRU.
"""
import argparse
import math
import time

import torch


class Spike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + (math.pi * x) ** 2)        # alpha = 2


class GRSN(torch.nn.Module):
    def __init__(self, n_in, h):
        super().__init__()
        self.gates = torch.nn.Linear(n_in, 2 * h)  # forget and input gate together
        self.beta_a = torch.nn.Parameter(torch.zeros(1))
        self.h = h

    def forward(self, x):
        T, B, _ = x.shape
        g = self.gates(x)
        F, J = torch.sigmoid(g[..., : self.h]), torch.relu(g[..., self.h:])
        beta = torch.sigmoid(self.beta_a)
        c = x.new_zeros(B, self.h)
        u = x.new_zeros(B, self.h)
        out = []
        for t in range(T):
            c = F[t] * c + (1 - F[t]) * J[t]
            u = beta * u + (1 - beta) * c
            s = Spike.apply(u - 1.0)
            u = u - s
            out.append(s)
        return torch.stack(out)


class LIF(torch.nn.Module):
    def __init__(self, n_in, h):
        super().__init__()
        self.fc = torch.nn.Linear(n_in, h)
        self.h = h

    def forward(self, x):
        T, B, _ = x.shape
        cur = self.fc(x)
        u = x.new_zeros(B, self.h)
        out = []
        for t in range(T):
            u = 0.5 * u + 0.5 * cur[t]
            s = Spike.apply(u - 1.0)
            u = (1 - s) * u
            out.append(s)
        return torch.stack(out)


class GRU(torch.nn.Module):
    def __init__(self, n_in, h):
        super().__init__()
        self.gru = torch.nn.GRU(n_in, h)

    def forward(self, x):
        return self.gru(x)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--T", type=int, default=65)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--in", dest="n_in", type=int, default=48)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--min-time", type=float, default=3.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"T={a.T} batch={a.batch} in={a.n_in} hidden={a.hidden}")
    print("| cell | fwd+bwd ms | neuron-steps/s |\n|---|---|---|")
    for name, cls in (("grsn", GRSN), ("lif", LIF), ("gru", GRU)):
        m = cls(a.n_in, a.hidden)
        x = torch.randn(a.T, a.batch, a.n_in)
        dout = torch.randn(a.T, a.batch, a.hidden) * 0.01
        n, t0 = 0, None
        while True:
            if n == 1:
                t0 = time.perf_counter()
            m.zero_grad()
            (m(x) * dout).sum().backward()
            n += 1
            if t0 is not None and time.perf_counter() - t0 > a.min_time and n > 3:
                break
        per = (time.perf_counter() - t0) / (n - 1)
        print(f"| {name} | {per * 1e3:.3f} | {a.T * a.batch * a.hidden / per:.3g} |")


if __name__ == "__main__":
    main()
