#!/usr/bin/env python3
"""PyTorch side of `grsn bench act`: the latency of one decision of a recurrent
TD3 actor at the paper's sizes (spec §3: embeddings 8/8/32, core 128, heads
[128, 128]) on Pendulum-P shapes (d_o 2, d_a 1), batch 1, as the authors'
code acts: under torch.no_grad, the embedders, one step of the core from the
carried state, the short-cut and the head, then tanh.

    /usr/bin/python3 dev/bench_act.py --net grsn --threads 1
    build/grsn bench act --env pendulum-p --net grsn

Run both on the same machine, back to back. The parameters are
dev/gen_agent_fixtures.py's (imported, not copied); dense PyTorch kernels do
not depend on their values. GRU is torch's fused GRU cell.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_agent_fixtures as ref  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--net", choices=("grsn", "gru"), default="grsn")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--min-time", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = ref.base_cfg("td3", a.net)
    cfg.update(emb_a=8, emb_r=8, emb_o=32, hidden=a.hidden, head_hidden=128)
    g = torch.Generator().manual_seed(a.seed)
    P = ref.make_net_params(g, cfg, "actor")
    H, d_o, d_a = cfg["hidden"], cfg["obs_dim"], cfg["act_dim"]

    def core_step(x, state):
        if a.net == "gru":
            h = torch._VF.gru_cell(x, state, P["cell.w_ih"], P["cell.w_hh"], P["cell.b_ih"], P["cell.b_hh"])
            return h, h
        c, uh = state
        beta = torch.sigmoid(P["cell.beta"])
        F = torch.sigmoid(x @ P["cell.w_f"].T + P["cell.b_f"])   # Eq. 14
        J = torch.relu(x @ P["cell.w_i"].T + P["cell.b_i"])      # Eq. 14
        c = F * c + (1 - F) * J                                  # Eq. 13
        u = beta * uh + (1 - beta) * c                           # Eq. 1
        o = (u >= ref.THRESHOLD).float()                         # Eq. 4
        return o, (c, u - ref.THRESHOLD * o)                     # Eq. 12

    def decide(prev_a, prev_r, obs, state):
        x = torch.cat([torch.relu(ref.linear(prev_a, P, "emb_a")), torch.relu(ref.linear(prev_r, P, "emb_r")),
                       torch.relu(ref.linear(obs, P, "emb_o"))], -1)
        z, state = core_step(x, state)
        k = torch.relu(ref.linear(obs, P, "short"))
        return torch.tanh(ref.head(torch.cat([z, k], -1), P, "head")), state

    zero_state = torch.zeros(1, H) if a.net == "gru" else (torch.zeros(1, H), torch.zeros(1, H))
    obs_seq = torch.rand(200, 1, d_o, generator=g) * 2 - 1
    print(f"torch bench act: pendulum-p td3 {a.net}, hidden {H}, batch 1, threads {torch.get_num_threads()} "
          f"(torch {torch.__version__})")
    n, elapsed = 0, 0.0
    with torch.no_grad():
        while elapsed < a.min_time or n < 1000:
            state, prev_a, prev_r = zero_state, torch.zeros(1, d_a), torch.zeros(1, 1)
            for t in range(200):   # one Pendulum episode
                t0 = time.perf_counter()
                act, state = decide(prev_a, prev_r, obs_seq[t], state)
                elapsed += time.perf_counter() - t0
                n += 1
                prev_a, prev_r = act, -act.abs()
    per = elapsed / n
    print(f"decisions/s {1 / per:.0f}  ({per * 1e6:.2f} us per decision, {n} decisions)")


if __name__ == "__main__":
    main()
