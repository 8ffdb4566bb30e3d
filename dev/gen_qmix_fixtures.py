#!/usr/bin/env python3
"""Write the PyTorch reference fixtures for ONE QMIX update of grsn.

Run from anywhere with Debian's PyTorch (apt-get install python3-torch):

    /usr/bin/python3 dev/gen_qmix_fixtures.py

It writes tests/fixtures/qmix_gru.bin, tests/fixtures/qmix_grsn.bin and
tests/fixtures/qmix_grsn_dec.bin (a GRSN agent with an MLP decoder). Each
holds, for tiny sizes, a batch of padded episodes laid out time-major as
src/qmix_net.h's QBatch, the online and target parameters before the update,
and what one update (reference-implementation.md §9.3, pymarl2 nq_learner)
produces: the TD(lambda) targets, Q_tot of the taken actions, the loss, the
gradient norm before clipping, the clipped gradients and the parameters
after one Adam step. PyTorch autograd on a direct transcription of pymarl2's
code computes them.

Networks (spec §9.2, §9.4; sizes are parameters):
  agent   x = [obs, onehot(last action) (zeros at t = 0), onehot(agent id)]
          h = ReLU(fc1 x); z = core(h) from a zero state; Q = fc2 z, or with
          an MLP decoder (grsn --decoder-hidden, not the paper's) Q = fc2 ReLU(dec z)
  GRSN    F = sigmoid(W_f h + b_f), J = ReLU(W_i h + b_i), c = F c + (1 - F) J,
          u = beta u^ + (1 - beta) c, o = Theta(u - 1), u^ = u - o (soft reset,
          not detached), beta = sigmoid(a) ("cell.beta"); ATan surrogate,
          alpha = 2: h'(x) = 1 / (1 + (pi x)^2)
  GRU     torch.nn.GRUCell equations (gate order r, z, n)
  mixer   pymarl2 nmix: W1 = |hyper_w1(s)|, b1 = hyper_b1(s), w2 = |hyper_w2(s)|,
          b2 = hyper_b2(s); Q_tot = w2 . ELU(q W1 + b1) + b2

The clip is set below the gradient norm so that clipping is exercised. The
masks leave some online argmax on an unavailable action, so the -9,999,999
masking of the double-Q choice is exercised too. Spikes and the double-Q
argmax must match exactly: a GRSN case is redrawn until every potential of
every real step stays MARGIN away from the threshold, and every argmax of a
real step leads the runner-up by ARGMAX_GAP.

File format (little-endian), that of dev/gen_cell_fixtures.py:
b"GRSNFIX1", u32 count, then per tensor: char name[64] (NUL-padded),
u32 ndim, u32 dims[4], float32 data[prod(dims)].
"""
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
MARGIN = 1e-3
ARGMAX_GAP = 1e-4
NET = {"grsn": 0, "lif": 1, "gru": 2}   # grsn_net
UNAVAILABLE = -9999999.0

CFG = dict(n_agents=3, obs_dim=5, n_actions=5, state_dim=7, hidden=8, embed=4, hyper=6, B=3, T=4,
           gamma=0.99, td_lambda=0.6, lr=1e-3)
LENGTHS = [4, 2, 3]   # transitions of each episode; the batch pads to T = max = 4


# The fixture format and the spike function are those of the cell fixtures.
from gen_cell_fixtures import Spike, write_fixture  # noqa: E402


# ----------------------------------------------------------------------------
# Parameters: dict name -> leaf tensor, named as grsn's arena ("agent.fc1.w", ...)

def make_params(g, net, decoder=0):
    c = CFG
    n, d_in = c["n_agents"], c["obs_dim"] + c["n_actions"] + c["n_agents"]
    H, E, Hy, S, A = c["hidden"], c["embed"], c["hyper"], c["state_dim"], c["n_actions"]
    P = {}

    def lin(name, n_in, n_out, gain=1.0, shift=0.0):
        bound = gain / math.sqrt(n_in)
        P[name + ".w"] = (torch.rand(n_out, n_in, generator=g) * 2 - 1) * bound
        P[name + ".b"] = (torch.rand(n_out, generator=g) * 2 - 1) * bound + shift

    lin("agent.fc1", d_in, H, gain=1.5, shift=0.2)
    if net == "grsn":
        P["agent.cell.w_f"] = torch.randn(H, H, generator=g) * 0.5
        P["agent.cell.w_i"] = torch.randn(H, H, generator=g) * 0.8
        P["agent.cell.b_f"] = torch.randn(H, generator=g) * 0.5
        P["agent.cell.b_i"] = torch.randn(H, generator=g) * 0.5 + 1.0
        P["agent.cell.beta"] = (torch.rand(1, generator=g) * 2 - 1) * 0.5
    else:
        s = 1.0 / math.sqrt(H)
        P["agent.cell.w_ih"] = (torch.rand(3 * H, H, generator=g) * 2 - 1) * s * 1.5
        P["agent.cell.w_hh"] = (torch.rand(3 * H, H, generator=g) * 2 - 1) * s * 1.5
        P["agent.cell.b_ih"] = (torch.rand(3 * H, generator=g) * 2 - 1) * s
        P["agent.cell.b_hh"] = (torch.rand(3 * H, generator=g) * 2 - 1) * s
    if decoder:
        lin("agent.dec", H, decoder)
    lin("agent.fc2", decoder or H, A)
    lin("mixer.hyper_w1.0", S, Hy)
    lin("mixer.hyper_w1.1", Hy, n * E)
    lin("mixer.hyper_b1", S, E)
    lin("mixer.hyper_w2.0", S, Hy)
    lin("mixer.hyper_w2.1", Hy, E)
    lin("mixer.hyper_b2.0", S, E)
    lin("mixer.hyper_b2.1", E, 1)
    return P


def make_batch(g):
    c = CFG
    n, A, B, T, O, S = c["n_agents"], c["n_actions"], c["B"], c["T"], c["obs_dim"], c["state_dim"]
    T1 = T + 1
    obs = torch.zeros(T1, B, n, O)
    state = torch.zeros(T1, B, S)
    avail = torch.zeros(T1, B, n, A)
    act = torch.zeros(T1, B, n, dtype=torch.long)
    reward = torch.zeros(T, B)
    term = torch.zeros(T, B)
    filled = torch.zeros(T1, B)
    for b, L in enumerate(LENGTHS):
        for t in range(L + 1):
            filled[t, b] = 1
            obs[t, b] = torch.rand(n, O, generator=g) * 2 - 1
            state[t, b] = torch.rand(S, generator=g) * 2 - 1
            av = (torch.rand(n, A, generator=g) < 0.6).float()
            for a in range(n):
                if av[a].sum() == 0:
                    av[a, int(torch.randint(A, (1,), generator=g))] = 1
            avail[t, b] = av
            if t < L:
                for a in range(n):
                    ids = torch.nonzero(av[a]).flatten()
                    act[t, b, a] = ids[int(torch.randint(len(ids), (1,), generator=g))]
                reward[t, b] = float(torch.rand(1, generator=g)) * 2
        term[L - 1, b] = 1
    return dict(obs=obs, state=state, avail=avail, act=act, reward=reward, term=term, filled=filled)


# ----------------------------------------------------------------------------
# pymarl2's forward passes

def agent_inputs(batch):
    c = CFG
    n, A = c["n_agents"], c["n_actions"]
    obs, act = batch["obs"], batch["act"]
    T1, B = obs.shape[:2]
    last = torch.zeros(T1, B, n, A)
    last[1:] = torch.nn.functional.one_hot(act[:-1], A).float()
    ids = torch.eye(n).expand(T1, B, n, n)
    return torch.cat([obs, last, ids], -1)


def agent_forward(P, net, x, filled, rec):
    """Q over all T + 1 steps from a zero state, rows (b, agent); records potentials of real steps
    into rec unless it is None."""
    T1, B, n, _ = x.shape
    h1 = torch.relu(x @ P["agent.fc1.w"].T + P["agent.fc1.b"])
    H = CFG["hidden"]
    outs = []
    if net == "grsn":
        beta = torch.sigmoid(P["agent.cell.beta"])
        cst = torch.zeros(B, n, H)
        uh = torch.zeros(B, n, H)
        for t in range(T1):
            F = torch.sigmoid(h1[t] @ P["agent.cell.w_f"].T + P["agent.cell.b_f"])
            J = torch.relu(h1[t] @ P["agent.cell.w_i"].T + P["agent.cell.b_i"])
            cst = F * cst + (1 - F) * J
            u = beta * uh + (1 - beta) * cst
            o = Spike.apply(u - 1.0, 2.0)
            if rec is not None:   # None: no recording (dev/bench_qmix.py times this)
                real = filled[t].bool()
                rec["pots"].append(u.detach()[real].flatten())
                rec["spikes"].append(o.detach()[real].flatten())
            uh = u - o
            outs.append(o)
    else:
        h = torch.zeros(B, n, H)
        for t in range(T1):
            gi = h1[t] @ P["agent.cell.w_ih"].T + P["agent.cell.b_ih"]
            gh = h @ P["agent.cell.w_hh"].T + P["agent.cell.b_hh"]
            i_r, i_z, i_n = gi.chunk(3, -1)
            h_r, h_z, h_n = gh.chunk(3, -1)
            r = torch.sigmoid(i_r + h_r)
            zg = torch.sigmoid(i_z + h_z)
            nn_ = torch.tanh(i_n + r * h_n)
            h = (1 - zg) * nn_ + zg * h
            outs.append(h)
    z = torch.stack(outs)
    if "agent.dec.w" in P:
        z = torch.relu(z @ P["agent.dec.w"].T + P["agent.dec.b"])
    return z @ P["agent.fc2.w"].T + P["agent.fc2.b"]


def mixer(P, q, s):
    """pymarl2 nmix.Mixer.forward: q [..., n], s [..., S] -> Q_tot [...]."""
    n, E = CFG["n_agents"], CFG["embed"]

    def lin(x, name):
        return x @ P[name + ".w"].T + P[name + ".b"]

    w1 = lin(torch.relu(lin(s, "mixer.hyper_w1.0")), "mixer.hyper_w1.1").reshape(*s.shape[:-1], n, E).abs()
    b1 = lin(s, "mixer.hyper_b1")
    w2 = lin(torch.relu(lin(s, "mixer.hyper_w2.0")), "mixer.hyper_w2.1").abs()
    b2 = lin(torch.relu(lin(s, "mixer.hyper_b2.0")), "mixer.hyper_b2.1")[..., 0]
    hidden = torch.nn.functional.elu((q.unsqueeze(-2) @ w1).squeeze(-2) + b1)
    return (hidden * w2).sum(-1) + b2


def td_lambda_targets(rewards, terminated, mask, target_qs, gamma, td_lambda):
    """pymarl2 rl_utils.build_td_lambda_targets, over [T][B] (time first)."""
    ret = target_qs.new_zeros(*target_qs.shape)
    ret[-1] = target_qs[-1] * (1 - torch.sum(terminated, dim=0))
    for t in range(ret.shape[0] - 2, -1, -1):
        ret[t] = td_lambda * gamma * ret[t + 1] + mask[t] * (
            rewards[t] + (1 - td_lambda) * gamma * target_qs[t + 1] * (1 - terminated[t]))
    return ret[0:-1]


def update(P, Pt, net, batch, clip, rec):
    c = CFG
    x = agent_inputs(batch)
    filled = batch["filled"]
    T = c["T"]
    mask = filled[:-1].clone()
    mask[1:] = mask[1:] * (1 - batch["term"][:-1])
    Q = agent_forward(P, net, x, filled, rec)                 # [T1][B][n][A]
    with torch.no_grad():
        Qt = agent_forward(Pt, net, x, filled, rec)
        Qd = Q.detach().clone()
        Qd[batch["avail"] == 0] = UNAVAILABLE
        best = Qd.max(dim=-1, keepdim=True)[1]
        top2 = Qd.topk(2, dim=-1)[0]
        real = filled.bool()
        rec["gaps"].append((top2[..., 0] - top2[..., 1])[real].flatten())
        rec["unmasked_flips"] += int((Q.detach().argmax(-1) != best[..., 0])[real].sum())
        tq = mixer(Pt, torch.gather(Qt, -1, best)[..., 0], batch["state"])     # [T1][B]
        G = td_lambda_targets(batch["reward"], batch["term"], mask, tq, c["gamma"], c["td_lambda"])
    chosen = torch.gather(Q[:T], -1, batch["act"][:T].unsqueeze(-1))[..., 0]
    qtot = mixer(P, chosen, batch["state"][:T])
    td = qtot - G
    loss = (0.5 * td.pow(2) * mask).sum() / mask.sum()
    params = list(P.values())
    grads = torch.autograd.grad(loss, params)
    for p, gr in zip(params, grads):
        p.grad = gr.clone()
    norm = torch.nn.utils.clip_grad_norm_(params, clip)
    clipped = {k: p.grad.clone() for k, p in P.items()}
    opt = torch.optim.Adam(params, lr=c["lr"])
    opt.step()
    return dict(loss=loss.detach(), norm=norm, G=G, qtot=qtot.detach(), clipped=clipped)


def make_case(net, seed, decoder=0):
    for attempt in range(1000):
        g = torch.Generator().manual_seed(seed + attempt)
        P = {k: v.requires_grad_() for k, v in make_params(g, net, decoder).items()}
        Pt = {k: (v.detach() + torch.randn(v.shape, generator=g) * 0.05) for k, v in P.items()}
        init = {k: v.detach().clone() for k, v in P.items()}
        batch = make_batch(g)
        rec = dict(pots=[], spikes=[], gaps=[], unmasked_flips=0)
        # First a dry run without clipping, to learn the norm; clip at half of it.
        probe = update({k: v.detach().clone().requires_grad_() for k, v in init.items()}, Pt, net, batch, 1e9,
                       dict(pots=[], spikes=[], gaps=[], unmasked_flips=0))
        clip = float(probe["norm"]) * 0.5
        out = update(P, Pt, net, batch, clip, rec)
        gap = float(torch.cat(rec["gaps"]).min())
        ok = gap > ARGMAX_GAP and rec["unmasked_flips"] > 0
        if net == "grsn":
            margin = float((torch.cat(rec["pots"]) - 1.0).abs().min())
            rate = float(torch.cat(rec["spikes"]).mean())
            ok = ok and margin > MARGIN and 0.1 < rate < 0.6
        if ok:
            break
    else:
        raise RuntimeError(f"{net}: no draw met the margins")
    print(f"  {net}: seed {seed + attempt}, loss {float(out['loss']):.6g}, grad norm {float(out['norm']):.6g}, "
          f"clip {clip:.6g}, argmax gap {gap:.3g}, masked argmax flips {rec['unmasked_flips']}")
    c = CFG
    T = {"cfg.net": NET[net], "cfg.grad_clip": clip}
    if decoder:
        T["cfg.decoder"] = decoder
    for k in ("n_agents", "obs_dim", "n_actions", "state_dim", "hidden", "embed", "hyper", "B", "T",
              "gamma", "td_lambda", "lr"):
        T["cfg." + k] = c[k]
    for k, v in batch.items():
        T["batch." + k] = v.float()
    for k, v in init.items():
        T["init." + k] = v
    for k, v in Pt.items():
        T["target." + k] = v
    T["out.loss"] = out["loss"]
    T["out.grad_norm"] = out["norm"]
    T["out.G"] = out["G"]
    T["out.qtot"] = out["qtot"]
    for k, v in out["clipped"].items():
        T["grad." + k] = v
    for k, v in P.items():
        T["after." + k] = v.detach()
    write_fixture(os.path.join(OUT, f"qmix_{net}{'_dec' if decoder else ''}.bin"), T)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float32)
    os.makedirs(OUT, exist_ok=True)
    make_case("gru", 100)
    make_case("grsn", 200)
    make_case("grsn", 300, decoder=6)
