#!/usr/bin/env python3
"""PyTorch side of `grsn bench update`: training updates per second of a recurrent
TD3 or SAC-discrete agent at the paper's sizes (spec §3, §6.1): embeddings
8/8/32, core 128, heads [128, 128], batch 32 windows of 64 steps (S + 1 = 65).

    /usr/bin/python3 dev/bench_update.py --algo td3 --net grsn --threads 2
    build/grsn bench update --env pendulum-p --net grsn --threads 2

    /usr/bin/python3 dev/bench_update.py --algo sacd --net grsn --threads 2
    build/grsn bench update --env cartpole-v --net grsn --threads 2

Run both on the same machine and thread count, back to back, on an idle machine.

BLAS matters: Debian's python3-torch links the system libblas.so.3, which is
netlib's reference BLAS unless an optimised one is installed (a 32x48 by 48x128
product takes ~150 us there, ~10 us with OpenBLAS). For a fair figure run with
OpenBLAS (apt-get install libopenblas0-openmp, or point LD_LIBRARY_PATH at its
openblas-openmp directory); the header line prints the libblas in use.

The networks and the updates are those of dev/gen_agent_fixtures.py (imported,
not copied), which match grsn's update to 6e-8: TD3 (spec §7.1) on Pendulum-P
shapes (d_o 2, d_a 1), SAC-discrete (§7.2) on CartPole-V shapes (d_o 2, |A| 2).
One timed update is the whole of §7: targets, critic step, actor step with the
critic re-run, Polyak averaging, and for SAC-discrete the temperature step.
Differences from the fixture run, all for speed or realism of a training run:
  - the Adam optimisers (actor, critic, log alpha) persist across updates;
  - GRU is nn.GRU's fused kernel (torch._VF.gru on the same parameters; checked
    against the fixture's step-by-step GRUCell at start-up), while GRSN and LIF
    keep the authors' style: a Python loop over time with the arctan surrogate
    as an autograd Function;
  - LIF (not in the fixtures) is the C default: fixed beta 0.5, hard reset;
  - every update draws a fresh batch with the fixture's make_batch at these sizes
    (Pendulum-like (cos, sin) observations, actions in [-1, 1], rewards in
    [-16, 0] for TD3; one-hot actions and reward 1 for SAC-discrete; masks all
    ones but one column). Dense PyTorch kernels do not depend on the values.
The first update warms up and is not timed; the C bench likewise times batch
sampling inside the loop.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_agent_fixtures as ref  # noqa: E402


def gru_fused(P, x, rec, tag):
    """nn.GRU (one layer, zero initial state) on the fixture's GRU parameters."""
    H = P["cell.b_hh"].shape[0] // 3
    h0 = x.new_zeros(1, x.shape[1], H)
    weights = [P["cell.w_ih"], P["cell.w_hh"], P["cell.b_ih"], P["cell.b_hh"]]
    out, _ = torch._VF.gru(x, h0, weights, True, 1, 0.0, torch.is_grad_enabled(), False, False)
    return out


def lif_core(P, x, rec, tag):
    """LIF (spec §2.1, grsn's default): u = 0.5 u^ + 0.5 (W x + b), hard reset to 0."""
    T, B, _ = x.shape
    H = P["cell.b"].shape[0]
    uh = torch.zeros(B, H)
    outs = []
    for t in range(T):
        u = 0.5 * uh + 0.5 * (x[t] @ P["cell.w"].T + P["cell.b"])
        o = ref.Spike.apply(u - ref.THRESHOLD, ref.ALPHA_SURROGATE)
        uh = (1 - o) * u
        outs.append(o)
    return torch.stack(outs)


def lif_params(g, P, D, H):
    """Swap the GRU parameters make_net_params drew for a LIF layer's W, b."""
    for k in [k for k in P if k.startswith("cell.")]:
        del P[k]
    P["cell.w"] = torch.randn(H, D, generator=g) * 0.7
    P["cell.b"] = torch.randn(H, generator=g) * 0.5 + 1.2
    return P


def check_gru_fused():
    """gru_fused equals the fixture's GRU (forward and gradients)."""
    cfg = dict(ref.base_cfg("td3", "gru"))
    g = torch.Generator().manual_seed(7)
    P = ref.clone_net(ref.make_net_params(g, cfg, "actor"))
    D = cfg["emb_a"] + cfg["emb_r"] + cfg["emb_o"]
    x = torch.randn(9, 3, D, generator=g)
    a, b = ref.gru_core(P, x, ref.Recorder(), ""), gru_fused(P, x, ref.Recorder(), "")
    assert torch.allclose(a, b, atol=1e-5), "fused GRU differs from the fixture's GRU"
    keys = [k for k in P if k.startswith("cell.")]
    ga = torch.autograd.grad(a.sum(), [P[k] for k in keys])
    gb = torch.autograd.grad(b.sum(), [P[k] for k in keys])
    for k, u, v in zip(keys, ga, gb):
        assert torch.allclose(u, v, atol=1e-4), f"fused GRU gradient differs for {k}"


class PersistentAdam:
    """step(params, grads, lr) for the fixture's updates, one torch.optim.Adam per
    parameter list, kept across updates (as the training run's optimisers are)."""

    def __init__(self):
        self.opts = {}

    def __call__(self, params, grads, lr):
        key = tuple(id(p) for p in params)
        opt = self.opts.get(key)
        if opt is None:
            opt = self.opts[key] = torch.optim.Adam(params, lr=lr)
        for p, gr in zip(params, grads):
            p.grad = gr
        opt.step()
        for p in params:
            p.grad = None


def blas_library():
    """Path of the libblas / libopenblas / libmkl mapped into this process."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if line.rstrip().endswith(".so") or ".so." in line}
    except OSError:
        return "unknown"
    for key in ("mkl", "openblas", "libblas"):
        hits = sorted(x for x in libs if key in os.path.basename(x))
        if hits:
            return os.path.realpath(hits[0])
    return "unknown"


def parse_timing_args(ap):
    """Adds the flags every timing script shares (threads, iters, min-time,
    seed), parses, and sets torch's thread count."""
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    ap.add_argument("--iters", type=int, default=0, help="updates to time (0: run for --min-time)")
    ap.add_argument("--min-time", type=float, default=5.0, help="seconds to time when --iters is 0")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    return a


def time_updates(update, iters, min_time, at_least):
    """Calls update() iters + 1 times (iters 0: until min_time seconds and at
    least at_least calls); the first warms up. Returns (updates timed,
    seconds per update, the last update's output)."""
    n, t0, elapsed, out = 0, time.perf_counter(), 0.0, None
    while (n < iters + 1) if iters else (elapsed < min_time or n < at_least):
        if n == 1:
            t0 = time.perf_counter()   # the first update warms up
        out = update()
        n += 1
        elapsed = time.perf_counter() - t0
    return n - 1, elapsed / (n - 1), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--algo", choices=("td3", "sacd"), default="td3",
                    help="td3: Pendulum-P shapes; sacd: CartPole-V shapes")
    ap.add_argument("--net", choices=("grsn", "gru", "lif"), default="grsn")
    ap.add_argument("--hidden", type=int, default=128)
    a = parse_timing_args(ap)
    torch.manual_seed(a.seed)
    check_gru_fused()
    ref.CORES["gru"] = gru_fused
    ref.CORES["lif"] = lif_core

    cfg = ref.base_cfg(a.algo, a.net)
    cfg.update(emb_a=8, emb_r=8, emb_o=32, hidden=a.hidden, head_hidden=128, batch=32, seq_len=64)
    S, B = cfg["seq_len"], cfg["batch"]
    g = torch.Generator().manual_seed(a.seed)
    Pa = ref.make_net_params(g, cfg, "actor")
    Pc = ref.make_net_params(g, cfg, "critic")
    if a.net == "lif":
        D = cfg["emb_a"] + cfg["emb_r"] + cfg["emb_o"]
        Pa, Pc = lif_params(g, Pa, D, cfg["hidden"]), lif_params(g, Pc, D, cfg["hidden"])
    Pa, Pc = ref.clone_net(Pa), ref.clone_net(Pc)
    Pa_t, Pc_t = ref.clone_net(Pa), ref.clone_net(Pc)
    log_alpha = torch.zeros(1, requires_grad=True)
    adam = PersistentAdam()
    n_actor = sum(v.numel() for v in Pa.values())
    n_critic = sum(v.numel() for v in Pc.values())

    def update():
        batch = ref.make_batch(g, cfg)
        rec = ref.Recorder()
        if a.algo == "td3":
            noise = cfg["target_noise"] * torch.randn(S + 1, B, cfg["act_dim"], generator=g)
            return ref.td3_update(cfg, Pa, Pc, Pa_t, Pc_t, batch, noise, rec, step=adam)
        return ref.sacd_update(cfg, Pa, Pc, Pc_t, log_alpha, batch, rec, step=adam)

    env = "pendulum-p" if a.algo == "td3" else "cartpole-v"
    print(f"torch bench update: {env} {a.algo} {a.net}, hidden {cfg['hidden']}, batch {B} x {S}, "
          f"threads {torch.get_num_threads()} (torch {torch.__version__}; "
          f"actor {n_actor} params, critic {n_critic})")
    blas = blas_library()
    print(f"BLAS: {blas}" + ("  (netlib reference BLAS: slow, see the docstring)"
                             if "/blas/" in blas or blas.endswith("libblas.so.3.11.0") else ""))
    n, per, out = time_updates(update, a.iters, a.min_time, 4)
    print(f"updates/s {1.0 / per:.2f}  ({per * 1e3:.2f} ms per update, {n} updates)  "
          f"q_loss {out['loss.q'][0]:.4g}")


if __name__ == "__main__":
    main()
