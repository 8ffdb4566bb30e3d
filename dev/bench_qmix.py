#!/usr/bin/env python3
"""PyTorch side of `grsn bench qmix`: QMIX learner updates per second at
pymarl2's sizes (spec §9.2-9.4) on a SMAC map's shapes: batch 128 episodes,
agent fc1 64 -> core 64 (GRU or GRSN) -> fc2, mixer embed 32 / hypernet 64.

    /usr/bin/python3 dev/bench_qmix.py --map 8m --net grsn --threads 1
    build/grsn bench qmix --map 8m --net grsn --threads 1     (its "update" line)

Run both on the same machine and thread count, back to back, on an idle
machine (bench/compare.sh does). The header prints the BLAS in use; see
dev/bench_update.py on why it matters.

One timed update is pymarl2's nq_learner.train as dev/gen_qmix_fixtures.py
transcribes it (whose networks, mixer and TD(lambda) targets are imported, not
copied): the online and target agents over all T + 1 steps from a zero state,
the double-Q choice over available actions, the target mixer, TD(lambda)
targets, the masked loss, backward, the gradient-norm clip at 10 and one Adam
step (the optimiser persists across updates). As in pymarl2 the agents step
through time in a Python loop; the GRU core is torch's fused GRUCell kernel,
as pymarl2's nn.GRUCell, and the GRSN core the paper's Eq. 12-14 with the
arctan surrogate as an autograd Function, as the fixtures' (without their
recording of potentials). The batch is drawn once, every episode filled to
--steps transitions (default: the map's episode limit): pymarl2 computes
every step of its padded batch, and the dense kernels do not depend on the
values, and `grsn bench qmix` reports the T of its own batches beside its
figure ("batch 128 x T steps"), so pass that T as --steps to compare like for
like.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_qmix_fixtures as ref  # noqa: E402
from bench_update import blas_library, parse_timing_args, time_updates  # noqa: E402

# SMAC shapes (spec smac-simulator.md: obs / state sizes, actions = 6 + enemies,
# episode limits). 8m is the benchmark's default map.
MAPS = {
    "8m": dict(n_agents=8, obs_dim=80, n_actions=14, state_dim=168, limit=120),
    "2s3z": dict(n_agents=5, obs_dim=80, n_actions=11, state_dim=120, limit=120),
    "8m_vs_9m": dict(n_agents=8, obs_dim=85, n_actions=15, state_dim=179, limit=120),
    "3s_vs_5z": dict(n_agents=3, obs_dim=48, n_actions=11, state_dim=68, limit=250),
    "27m_vs_30m": dict(n_agents=27, obs_dim=285, n_actions=36, state_dim=1170, limit=180),
    "MMM2": dict(n_agents=10, obs_dim=176, n_actions=18, state_dim=322, limit=180),
}


def agent_forward(P, net, x):
    """Q over all T + 1 steps from a zero state; rows (episode, agent). GRSN:
    the fixtures' loop, unrecorded; GRU: torch's fused GRUCell, as pymarl2's."""
    if net == "grsn":
        return ref.agent_forward(P, net, x, None, None)
    T1, B, n, _ = x.shape
    h1 = torch.relu(x @ P["agent.fc1.w"].T + P["agent.fc1.b"])
    H = P["agent.fc2.w"].shape[1]
    h = torch.zeros(B * n, H)
    outs = []
    for t in range(T1):
        h = torch._VF.gru_cell(h1[t].reshape(B * n, H), h, P["agent.cell.w_ih"], P["agent.cell.w_hh"],
                               P["agent.cell.b_ih"], P["agent.cell.b_hh"])
        outs.append(h.reshape(B, n, H))
    return torch.stack(outs) @ P["agent.fc2.w"].T + P["agent.fc2.b"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--map", choices=sorted(MAPS), default="8m")
    ap.add_argument("--net", choices=("grsn", "gru"), default="grsn")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=0, help="transitions per episode (0: the map's episode limit)")
    a = parse_timing_args(ap)
    m = MAPS[a.map]
    T = a.steps or m["limit"]
    ref.CFG.update(n_agents=m["n_agents"], obs_dim=m["obs_dim"], n_actions=m["n_actions"],
                   state_dim=m["state_dim"], hidden=64, embed=32, hyper=64, B=a.batch, T=T,
                   gamma=0.99, td_lambda=0.6, lr=1e-3)
    ref.LENGTHS[:] = [T] * a.batch
    c = ref.CFG
    g = torch.Generator().manual_seed(a.seed)
    P = {k: v.requires_grad_() for k, v in ref.make_params(g, a.net).items()}
    Pt = {k: v.detach().clone() for k, v in P.items()}
    batch = ref.make_batch(g)
    x = ref.agent_inputs(batch)
    mask = batch["filled"][:-1].clone()
    mask[1:] = mask[1:] * (1 - batch["term"][:-1])
    params = list(P.values())
    opt = torch.optim.Adam(params, lr=c["lr"])

    def update():
        Q = agent_forward(P, a.net, x)                                    # [T+1][B][n][A]
        with torch.no_grad():
            Qt = agent_forward(Pt, a.net, x)
            Qd = Q.detach().clone()
            Qd[batch["avail"] == 0] = ref.UNAVAILABLE
            best = Qd.max(dim=-1, keepdim=True)[1]
            tq = ref.mixer(Pt, torch.gather(Qt, -1, best)[..., 0], batch["state"])
            G = ref.td_lambda_targets(batch["reward"], batch["term"], mask, tq, c["gamma"], c["td_lambda"])
        chosen = torch.gather(Q[:T], -1, batch["act"][:T].unsqueeze(-1))[..., 0]
        qtot = ref.mixer(P, chosen, batch["state"][:T])
        loss = (0.5 * (qtot - G).pow(2) * mask).sum() / mask.sum()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        return float(loss)

    print(f"torch bench qmix: map {a.map} ({m['n_agents']} agents, {m['n_actions']} actions, obs {m['obs_dim']}, "
          f"state {m['state_dim']}), net {a.net}, batch {a.batch} x {T} steps, threads {torch.get_num_threads()} "
          f"(torch {torch.__version__})")
    print(f"BLAS: {blas_library()}")
    n, per, loss = time_updates(update, a.iters, a.min_time, 3)
    print(f"update {1.0 / per:8.4g} updates/s    ({per * 1e3:.0f} ms each, {n} updates, loss {loss:.4g})")


if __name__ == "__main__":
    main()
