#!/usr/bin/env python3
"""Write the PyTorch reference fixtures for ONE update of grsn's recurrent agents.

Run from anywhere with Debian's PyTorch (apt-get install python3-torch):

    /usr/bin/python3 dev/gen_agent_fixtures.py

It writes tests/fixtures/agent_td3_grsn.bin, agent_td3_gru.bin and
agent_sacd_grsn.bin. Each holds, for small network sizes, a batch laid out as
in reference-implementation.md §5.4, the parameters of the actor and the
critic before the update, and everything one update (spec §7.1 TD3, §7.2
SAC-discrete) produces: losses, the gradients of the critic step and of the
actor step, and all parameters after the update (actor, critic and targets).
PyTorch autograd on a direct transcription of the equations computes them.

The networks (spec §3, sizes are parameters):
  encoder  x_t = [ReLU(emb_a(A[t])), ReLU(emb_r(R[t])), ReLU(emb_o(O[t]))]
           z_t = core(x_t), zero initial state at index 0, run over t = 0..S
  GRSN     F = sigmoid(W_f x + b_f), J = ReLU(W_i x + b_i), c = F c + (1 - F) J,
           u = beta u^ + (1 - beta) c, o = Theta(u - 1), u^ = u - o (soft reset,
           not detached), beta = sigmoid(a) with one scalar a ("cell.beta");
           ATan surrogate with alpha = 2: h'(x) = 1 / (1 + (pi x)^2)
  GRU      torch.nn.GRUCell (gate order r, z, n), output h_t
  actor    head([z_t, ReLU(short(O[t]))]): Linear-ReLU-Linear-ReLU-Linear,
           TD3 tanh, SAC-discrete logits -> softmax
  critic   own encoder; q1, q2([z_t, ReLU(short([O[t], a]))]) (TD3) or
           q1, q2([z_t, ReLU(short(O[t]))]) with one Q per action (SAC-discrete)

File format (little-endian), the one of dev/gen_cell_fixtures.py:
b"GRSNFIX1", u32 count, then per tensor: char name[64] (NUL-padded),
u32 ndim, u32 dims[4], float32 data[prod(dims)].

Spikes must match exactly, so each GRSN case is drawn again (next seed) until
every pre-reset potential of every forward pass the update runs stays at least
MARGIN away from the threshold, and the firing rates are moderate. For TD3 the
actor gradient flows through min(Q1, Q2), so the draw must also keep
|Q1 - Q2| clear of zero in the actor loss. Finally the update is re-run in
float64 from the same start: its gradients and updated parameters must agree
with the float32 ones (no flipped spike, ReLU or min branch).
"""
import math
import os
import sys

import torch

torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
MARGIN = 1e-3        # |u - threshold| for every potential of every forward pass
Q_GAP = 1e-4         # |Q1 - Q2| where TD3's actor gradient picks the smaller head
RATE_RANGE = (0.1, 0.6)
THRESHOLD = 1.0
ALPHA_SURROGATE = 2.0

ALGO = {"td3": 0, "sacd": 1}          # grsn_algo
NET = {"grsn": 0, "lif": 1, "gru": 2, "mlp": 3}   # grsn_net


# The fixture format and the spike function are those of the cell fixtures.
from gen_cell_fixtures import Spike, write_fixture  # noqa: E402


# ----------------------------------------------------------------------------
# Networks. A network is a dict {suffix name: leaf tensor}, the suffixes being
# grsn's parameter names without the "actor." / "critic." prefix.

class Recorder:
    """Collects what the forward passes of one update did, for the draw checks."""

    def __init__(self):
        self.pots = []          # pre-reset potentials (detached)
        self.rates = {}         # network tag -> list of firing rates
        self.q_gap = math.inf   # min |Q1 - Q2| where a gradient picks the smaller head


def linear(x, P, name):
    return x @ P[name + ".w"].T + P[name + ".b"]


def head(x, P, name):
    h = torch.relu(linear(x, P, name + ".0"))
    h = torch.relu(linear(h, P, name + ".1"))
    return linear(h, P, name + ".2")


def grsn_core(P, x, rec, tag):
    """GRSN over x [T][B][D] from the zero state: spikes [T][B][H]."""
    T, B, _ = x.shape
    H = P["cell.b_f"].shape[0]
    beta = torch.sigmoid(P["cell.beta"])                   # one scalar per layer
    c = torch.zeros(B, H)
    uh = torch.zeros(B, H)
    outs = []
    for t in range(T):
        F = torch.sigmoid(x[t] @ P["cell.w_f"].T + P["cell.b_f"])     # Eq. 14
        J = torch.relu(x[t] @ P["cell.w_i"].T + P["cell.b_i"])        # Eq. 14
        c = F * c + (1 - F) * J                                        # Eq. 13
        u = beta * uh + (1 - beta) * c                                 # Eq. 1
        o = Spike.apply(u - THRESHOLD, ALPHA_SURROGATE)                # Eq. 4
        rec.pots.append(u.detach().clone())
        uh = u - THRESHOLD * o                                         # Eq. 12, not detached
        outs.append(o)
    z = torch.stack(outs)
    rec.rates.setdefault(tag, []).append(float(z.detach().mean()))
    return z


def gru_core(P, x, rec, tag):
    """GRU (torch.nn.GRUCell equations) over x [T][B][D] from the zero state: h [T][B][H]."""
    T, B, _ = x.shape
    H = P["cell.b_hh"].shape[0] // 3
    h = torch.zeros(B, H)
    outs = []
    for t in range(T):
        gi = x[t] @ P["cell.w_ih"].T + P["cell.b_ih"]
        gh = h @ P["cell.w_hh"].T + P["cell.b_hh"]
        i_r, i_z, i_n = gi.chunk(3, -1)
        h_r, h_z, h_n = gh.chunk(3, -1)
        r = torch.sigmoid(i_r + h_r)
        zg = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        h = (1 - zg) * n + zg * h
        outs.append(h)
    return torch.stack(outs)


# Net name -> core(P, x, rec, tag). dev/bench_update.py swaps in faster
# equivalents (nn.GRU's fused kernel) for timing; the fixtures use these.
CORES = {"grsn": grsn_core, "gru": gru_core}


def encoder(P, net, A, R, O, rec, tag):
    """Embedders and core over the whole window (T = S + 1), zero initial state."""
    a_emb = torch.relu(linear(A, P, "emb_a"))
    r_emb = torch.relu(linear(R.unsqueeze(-1), P, "emb_r"))
    o_emb = torch.relu(linear(O, P, "emb_o"))
    x = torch.cat([a_emb, r_emb, o_emb], -1)
    if net not in CORES:
        raise ValueError(net)
    return CORES[net](P, x, rec, tag)


def actor_forward(P, net, A, R, O, rec, tag="actor"):
    """Head output over t = 0..S: TD3 pre-tanh is applied here (returns mu), SACD logits."""
    z = encoder(P, net, A, R, O, rec, tag)
    k = torch.relu(linear(O, P, "short"))
    return head(torch.cat([z, k], -1), P, "head")


def critic_heads(P, z, O, act):
    """Q1, Q2 on [z, ReLU(short([O, act]))] (act None: SAC-discrete, short(O))."""
    s_in = O if act is None else torch.cat([O, act], -1)
    k = torch.relu(linear(s_in, P, "short"))
    h = torch.cat([z, k], -1)
    return head(h, P, "q1"), head(h, P, "q2")


# ----------------------------------------------------------------------------
# Parameters and data

def make_net_params(g, cfg, role):
    """Random but well-scaled parameters; the fixture carries them (no §3.4 init needed)."""
    d_o, d_a = cfg["obs_dim"], cfg["act_dim"]
    ea, er, eo, H, hh = cfg["emb_a"], cfg["emb_r"], cfg["emb_o"], cfg["hidden"], cfg["head_hidden"]
    D = ea + er + eo
    P = {}

    def lin(name, n_in, n_out, gain=1.0, bias_shift=0.0):
        bound = gain / math.sqrt(n_in)
        P[name + ".w"] = (torch.rand(n_out, n_in, generator=g) * 2 - 1) * bound
        P[name + ".b"] = (torch.rand(n_out, generator=g) * 2 - 1) * bound + bias_shift

    lin("emb_a", d_a, ea, gain=1.5, bias_shift=0.2)
    lin("emb_r", 1, er, gain=0.3, bias_shift=0.2)      # rewards reach -16: keep r_emb moderate
    lin("emb_o", d_o, eo, gain=1.5, bias_shift=0.2)
    if cfg["net"] == "grsn":
        P["cell.w_f"] = torch.randn(H, D, generator=g) * 0.5
        P["cell.w_i"] = torch.randn(H, D, generator=g) * 0.7
        P["cell.b_f"] = torch.randn(H, generator=g) * 0.5
        P["cell.b_i"] = torch.randn(H, generator=g) * 0.5 + 1.2
        P["cell.beta"] = (torch.rand(1, generator=g) * 2 - 1) * 0.5   # a; beta = sigmoid(a)
    else:
        s = 1.0 / math.sqrt(H)
        P["cell.w_ih"] = (torch.rand(3 * H, D, generator=g) * 2 - 1) * s * 1.5
        P["cell.w_hh"] = (torch.rand(3 * H, H, generator=g) * 2 - 1) * s * 1.5
        P["cell.b_ih"] = (torch.rand(3 * H, generator=g) * 2 - 1) * s
        P["cell.b_hh"] = (torch.rand(3 * H, generator=g) * 2 - 1) * s
    if role == "actor":
        lin("short", d_o, eo, gain=1.5, bias_shift=0.1)
        out = d_a                                  # TD3: d_a; SACD: |A| logits
        lin("head.0", H + eo, hh, bias_shift=0.05)
        lin("head.1", hh, hh, bias_shift=0.05)
        lin("head.2", hh, out)
    else:
        s_in = d_o if cfg["algo"] == "sacd" else d_o + d_a
        lin("short", s_in, D, gain=1.5, bias_shift=0.1)
        out = d_a if cfg["algo"] == "sacd" else 1
        for q in ("q1", "q2"):
            lin(q + ".0", H + D, hh, bias_shift=0.05)
            lin(q + ".1", hh, hh, bias_shift=0.05)
            lin(q + ".2", hh, out)
    return P


def make_batch(g, cfg):
    """Time-major batch of spec §5.4: O, A, R, D [S+1][B][...], mask [S][B]."""
    S, B, d_o, d_a = cfg["seq_len"], cfg["batch"], cfg["obs_dim"], cfg["act_dim"]
    # Mask: prefix ones; column 1 ends early (valid for t < 5).
    mask = torch.ones(S, B)
    mask[5:, 1] = 0
    R = torch.zeros(S + 1, B)
    D = torch.zeros(S + 1, B)
    if cfg["algo"] == "td3":
        # Pendulum-P-like: O = (cos th, sin th); actions in [-1, 1]; rewards in [-16, 0].
        th = torch.rand(S + 1, B, generator=g) * 2 * math.pi - math.pi
        O = torch.stack([torch.cos(th), torch.sin(th)], -1)
        A = torch.zeros(S + 1, B, d_a)
        A[1:] = torch.rand(S, B, d_a, generator=g) * 2 - 1
        R[1:] = -16 * torch.rand(S, B, generator=g)
        act_index = None
    else:
        # CartPole-P-like: O = (x, theta); one-hot actions; reward 1; a terminal
        # at the last valid transition of column 1 (t = 4, stored at D[5]).
        O = torch.stack([torch.randn(S + 1, B, generator=g) * 0.8,
                         torch.randn(S + 1, B, generator=g) * 0.15], -1)
        act_index = torch.randint(0, d_a, (S, B), generator=g)
        A = torch.zeros(S + 1, B, d_a)
        A[1:] = torch.nn.functional.one_hot(act_index, d_a).float()
        R[1:] = 1.0
        D[5, 1] = 1.0
    return O, A, R, D, mask, act_index


# ----------------------------------------------------------------------------
# Updates

def adam_step(params, grads, lr):
    """One torch.optim.Adam step (fresh optimiser: the first step of an agent)."""
    opt = torch.optim.Adam(params, lr=lr)
    for p, gr in zip(params, grads):
        p.grad = gr.clone()
    opt.step()
    for p in params:
        p.grad = None


def polyak(target, source, tau):
    """target = target (1 - tau) + source tau, in fp32 as grsn_polyak does."""
    tau32 = torch.tensor(tau, dtype=torch.float32)
    one_m = torch.tensor(1.0, dtype=torch.float32) - tau32
    with torch.no_grad():
        for k in target:
            target[k].copy_(target[k] * one_m + source[k] * tau32)


def clone_net(P):
    return {k: v.detach().clone().requires_grad_(True) for k, v in P.items()}


def td3_update(cfg, Pa, Pc, Pa_t, Pc_t, batch, noise, rec, step=adam_step):
    """One TD3 update (spec §7.1); step(params, grads, lr) applies Adam (default: a fresh one)."""
    O, A, R, D, M, _ = batch
    net, gamma, lr = cfg["net"], cfg["gamma"], cfg["lr"]
    N = max(1.0, float(M.sum()))
    out = {}
    # 1. Targets with the target actor and target critic (no gradient).
    with torch.no_grad():
        mu_t = torch.tanh(actor_forward(Pa_t, net, A, R, O, rec, "actor_target"))     # [S+1][B][d_a]
        eps = noise.clamp(-cfg["noise_clip"], cfg["noise_clip"])
        a_tilde = (mu_t + eps).clamp(-1.0, 1.0)
        z_t = encoder(Pc_t, net, A, R, O, rec, "critic_target")
        q1_t, q2_t = critic_heads(Pc_t, z_t[1:], O[1:], a_tilde[1:])
        y = R[1:] + (1 - D[1:]) * gamma * torch.min(q1_t, q2_t).squeeze(-1)          # [S][B]
    # 2. Critic loss at the stored actions, one Adam step.
    z = encoder(Pc, net, A, R, O, rec, "critic")
    q1, q2 = critic_heads(Pc, z[:-1], O[:-1], A[1:])
    loss_q = (M * (q1.squeeze(-1) - y) ** 2).sum() / N + (M * (q2.squeeze(-1) - y) ** 2).sum() / N
    keys_c = list(Pc)
    grads_c = torch.autograd.grad(loss_q, [Pc[k] for k in keys_c])
    step([Pc[k] for k in keys_c], grads_c, lr)
    # 3. Actor loss with the updated critic (re-run), gradient into the actor only.
    mu = torch.tanh(actor_forward(Pa, net, A, R, O, rec, "actor"))
    z = encoder(Pc, net, A, R, O, rec, "critic_updated")
    q1, q2 = critic_heads(Pc, z[:-1], O[:-1], mu[:-1])
    gap = (q1 - q2).abs().squeeze(-1)[M > 0]
    rec.q_gap = min(rec.q_gap, float(gap.min()))
    loss_pi = -(M * torch.min(q1, q2).squeeze(-1)).sum() / N
    keys_a = list(Pa)
    grads_a = torch.autograd.grad(loss_pi, [Pa[k] for k in keys_a])
    step([Pa[k] for k in keys_a], grads_a, lr)
    # 4. Polyak averaging of both targets.
    polyak(Pa_t, Pa, cfg["tau"])
    polyak(Pc_t, Pc, cfg["tau"])
    out["loss.q"] = [float(loss_q)]
    out["loss.pi"] = [float(loss_pi)]
    out["grad.critic"] = dict(zip(keys_c, grads_c))
    out["grad.actor"] = dict(zip(keys_a, grads_a))
    out["target.y"] = y
    return out


def log_pi_of(pi):
    return torch.log(torch.clamp(pi, min=1e-8))


def sacd_update(cfg, Pa, Pc, Pc_t, log_alpha, batch, rec, step=adam_step):
    """One SAC-discrete update (spec §7.2); step as in td3_update."""
    O, A, R, D, M, _ = batch
    net, gamma, lr = cfg["net"], cfg["gamma"], cfg["lr"]
    N = max(1.0, float(M.sum()))
    alpha = torch.exp(log_alpha.detach())               # pre-step value for steps 1 and 3
    out = {}
    # 1. Targets with the CURRENT actor and the target critic (no gradient).
    with torch.no_grad():
        pi_all = torch.softmax(actor_forward(Pa, net, A, R, O, rec, "actor_for_target"), -1)
        logpi_all = log_pi_of(pi_all)
        z_t = encoder(Pc_t, net, A, R, O, rec, "critic_target")
        q1_t, q2_t = critic_heads(Pc_t, z_t[1:], O[1:], None)                         # [S][B][|A|]
        V = (pi_all[1:] * (torch.min(q1_t, q2_t) - alpha * logpi_all[1:])).sum(-1)
        y = R[1:] + (1 - D[1:]) * gamma * V
    # 2. Critic loss at the stored actions (argmax of the one-hot A[t+1]).
    idx = A[1:].argmax(-1, keepdim=True)
    z = encoder(Pc, net, A, R, O, rec, "critic")
    q1, q2 = critic_heads(Pc, z[:-1], O[:-1], None)
    q1a, q2a = q1.gather(-1, idx).squeeze(-1), q2.gather(-1, idx).squeeze(-1)
    loss_q = (M * (q1a - y) ** 2).sum() / N + (M * (q2a - y) ** 2).sum() / N
    keys_c = list(Pc)
    grads_c = torch.autograd.grad(loss_q, [Pc[k] for k in keys_c])
    step([Pc[k] for k in keys_c], grads_c, lr)
    # 3. Actor loss with the updated critic (re-run, no gradient into it).
    pi = torch.softmax(actor_forward(Pa, net, A, R, O, rec, "actor"), -1)[:-1]
    logpi = log_pi_of(pi)
    with torch.no_grad():
        z = encoder(Pc, net, A, R, O, rec, "critic_updated")
        q1, q2 = critic_heads(Pc, z[:-1], O[:-1], None)
        min_q = torch.min(q1, q2)
    loss_pi = (M * (pi * (alpha * logpi - min_q)).sum(-1)).sum() / N
    keys_a = list(Pa)
    grads_a = torch.autograd.grad(loss_pi, [Pa[k] for k in keys_a])
    step([Pa[k] for k in keys_a], grads_a, lr)
    # 4. Polyak averaging of the critic target only.
    polyak(Pc_t, Pc, cfg["tau"])
    # 5. Temperature step on log alpha.
    ell = ((M * (pi * logpi).sum(-1)).sum() / N).detach()       # -entropy, masked mean
    loss_alpha = -torch.exp(log_alpha) * (ell + cfg["target_entropy"])
    (g_alpha,) = torch.autograd.grad(loss_alpha, [log_alpha])
    step([log_alpha], [g_alpha], cfg["alpha_lr"])
    out["loss.q"] = [float(loss_q)]
    out["loss.pi"] = [float(loss_pi)]
    out["loss.alpha"] = [float(loss_alpha)]
    out["grad.critic"] = dict(zip(keys_c, grads_c))
    out["grad.actor"] = dict(zip(keys_a, grads_a))
    out["grad.log_alpha"] = g_alpha
    out["entropy"] = [float(-ell)]
    out["target.y"] = y
    return out


def check_gru_matches_torch():
    """The hand-written GRU equals torch.nn.GRUCell (gate order r, z, n)."""
    g = torch.Generator().manual_seed(123)
    cell = torch.nn.GRUCell(5, 4)
    x = torch.randn(3, 5, generator=g)
    h = torch.randn(3, 4, generator=g)
    gi = x @ cell.weight_ih.T + cell.bias_ih
    gh = h @ cell.weight_hh.T + cell.bias_hh
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = gh.chunk(3, -1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    mine = (1 - z) * torch.tanh(i_n + r * h_n) + z * h
    assert torch.allclose(mine, cell(x, h), atol=1e-6), "GRU transcription differs from nn.GRUCell"


def fp64_check(cfg, init_a, init_c, batch, noise, res32, after32):
    """Re-run the same update in float64: a draw whose spikes, ReLU kinks or min
    branches sat on a knife edge would show here as a gradient mismatch.
    Returns (max gradient error relative to each tensor's max, max |after| error)."""
    torch.set_default_dtype(torch.float64)
    try:
        dd = lambda P: {k: v.double().requires_grad_(True) for k, v in P.items()}
        Pa, Pc = dd(init_a), dd(init_c)
        Pa_t, Pc_t = clone_net(Pa), clone_net(Pc)
        b64 = tuple(x.double() if x is not None else None for x in batch)
        rec = Recorder()
        if cfg["algo"] == "td3":
            res = td3_update(cfg, Pa, Pc, Pa_t, Pc_t, b64, noise.double(), rec)
            nets = {"actor": Pa, "critic": Pc, "actor_target": Pa_t, "critic_target": Pc_t}
        else:
            log_alpha = torch.zeros(1, requires_grad=True)
            res = sacd_update(cfg, Pa, Pc, Pc_t, log_alpha, b64, rec)
            nets = {"actor": Pa, "critic": Pc, "critic_target": Pc_t, "log_alpha": {"": log_alpha}}
    finally:
        torch.set_default_dtype(torch.float32)
    g_err = 0.0
    for grp in ("grad.critic", "grad.actor"):
        for k, g in res[grp].items():
            g32 = res32[grp][k].double()
            g_err = max(g_err, float((g - g32).abs().max() / (g.abs().max() + 1e-30)))
    p_err = 0.0
    for part, P in nets.items():
        for k, v in P.items():
            p_err = max(p_err, float((v.detach() - after32[part][k].double()).abs().max()))
    return g_err, p_err


# ----------------------------------------------------------------------------
# Cases

def base_cfg(algo, net):
    cfg = dict(algo=algo, net=net, emb_a=4, emb_r=4, emb_o=8, hidden=12, head_hidden=16,
               batch=3, seq_len=8, gamma=0.9, tau=0.005, lr=3e-4)
    if algo == "td3":
        cfg.update(obs_dim=2, act_dim=1, target_noise=0.2, noise_clip=0.5)
    else:
        cfg.update(obs_dim=2, act_dim=2, alpha_lr=3e-4,
                   target_entropy=0.7 * math.log(2), target_entropy_scale=0.7)
    return cfg


def agent_case(name, algo, net, seed):
    cfg = base_cfg(algo, net)
    S, B = cfg["seq_len"], cfg["batch"]
    for attempt in range(2000):
        g = torch.Generator().manual_seed(1000 * seed + attempt)
        Pa = make_net_params(g, cfg, "actor")
        Pc = make_net_params(g, cfg, "critic")
        batch = make_batch(g, cfg)
        noise = cfg.get("target_noise", 0.0) * torch.randn(S + 1, B, cfg["act_dim"], generator=g)
        init_a = {k: v.clone() for k, v in Pa.items()}
        init_c = {k: v.clone() for k, v in Pc.items()}
        Pa, Pc = clone_net(Pa), clone_net(Pc)
        Pa_t, Pc_t = clone_net(Pa), clone_net(Pc)      # targets start as copies
        rec = Recorder()
        if algo == "td3":
            res = td3_update(cfg, Pa, Pc, Pa_t, Pc_t, batch, noise, rec)
            log_alpha = None
        else:
            log_alpha = torch.zeros(1, requires_grad=True)
            res = sacd_update(cfg, Pa, Pc, Pc_t, log_alpha, batch, rec)
        ok = rec.q_gap > Q_GAP
        margin = math.inf
        if net != "gru":
            margin = min(float((u - THRESHOLD).abs().min()) for u in rec.pots)
            rates = [r for rs in rec.rates.values() for r in rs]
            ok = ok and margin >= MARGIN and all(RATE_RANGE[0] < r < RATE_RANGE[1] for r in rates)
        if ok:
            after32 = {"actor": Pa, "critic": Pc, "critic_target": Pc_t}
            if algo == "td3":
                after32["actor_target"] = Pa_t
            else:
                after32["log_alpha"] = {"": log_alpha}
            g_err, p_err = fp64_check(cfg, init_a, init_c, batch, noise, res, after32)
            ok = g_err < 1e-4 and p_err < 1e-6
        if ok:
            break
    else:
        sys.exit(f"{name}: no draw met the margin / firing-rate / Q-gap / float64 conditions")

    O, A, R, D, M, act_index = batch
    t = {}
    for k in ("obs_dim", "act_dim", "emb_a", "emb_r", "emb_o", "hidden", "head_hidden",
              "batch", "seq_len", "gamma", "tau", "lr"):
        t["cfg." + k] = [cfg[k]]
    t["cfg.algo"] = [ALGO[algo]]
    t["cfg.net"] = [NET[net]]
    t["cfg.discrete"] = [1 if algo == "sacd" else 0]
    if algo == "td3":
        t["cfg.target_noise"] = [cfg["target_noise"]]
        t["cfg.noise_clip"] = [cfg["noise_clip"]]
    else:
        t["cfg.alpha_lr"] = [cfg["alpha_lr"]]
        t["cfg.target_entropy_scale"] = [cfg["target_entropy_scale"]]
        t["cfg.target_entropy"] = [cfg["target_entropy"]]
    t.update({"batch.obs": O, "batch.act": A, "batch.rew": R, "batch.term": D, "batch.mask": M})
    if act_index is not None:
        t["batch.act_index"] = act_index.float()
    if algo == "td3":
        t["td3.noise"] = noise
    for k, v in init_a.items():
        t["init.actor." + k] = v
    for k, v in init_c.items():
        t["init.critic." + k] = v
    if algo == "sacd":
        t["init.log_alpha"] = [0.0]
    t["loss.q"] = res["loss.q"]
    t["loss.pi"] = res["loss.pi"]
    if algo == "sacd":
        t["loss.alpha"] = res["loss.alpha"]
        t["after.log_alpha"] = log_alpha.detach()
        t["grad.log_alpha"] = res["grad.log_alpha"]
        t["info.entropy"] = res["entropy"]
    t["info.target_y"] = res["target.y"]
    for k, v in res["grad.critic"].items():
        t["grad.critic." + k] = v
    for k, v in res["grad.actor"].items():
        t["grad.actor." + k] = v
    for part, P in (("actor", Pa), ("critic", Pc), ("critic_target", Pc_t)):
        for k, v in P.items():
            t[f"after.{part}.{k}"] = v
    if algo == "td3":                      # SAC-discrete has no actor target (spec §3, §7.2)
        for k, v in Pa_t.items():
            t[f"after.actor_target.{k}"] = v
    if net != "gru":
        t["info.firing_rate.actor"] = [rec.rates["actor"][0]]
        t["info.firing_rate.critic"] = [rec.rates["critic"][0]]
        t["info.spike_margin"] = [margin]

    n_actor = sum(v.numel() for v in init_a.values())
    n_critic = sum(v.numel() for v in init_c.values())
    print(f"{name}: {algo} / {net}, attempt {attempt} (seed {1000 * seed + attempt})")
    print(f"  sizes: d_o {cfg['obs_dim']} d_a {cfg['act_dim']} emb {cfg['emb_a']}/{cfg['emb_r']}/"
          f"{cfg['emb_o']} H {cfg['hidden']} head {cfg['head_hidden']} B {B} S {S}; "
          f"actor {n_actor} params, critic {n_critic}; valid steps {int(M.sum())}")
    if net != "gru":
        rates = ", ".join(f"{k} {', '.join(f'{r:.3f}' for r in v)}" for k, v in rec.rates.items())
        print(f"  firing rate: {rates}")
        print(f"  spike margin: {margin:.3e} (min |u - 1| over {sum(u.numel() for u in rec.pots)} potentials)")
    if algo == "td3":
        print(f"  min |Q1 - Q2| in the actor loss: {rec.q_gap:.3e}")
    print(f"  float64 re-run: max gradient error {g_err:.2e} (relative), max parameter error {p_err:.2e}")
    line = f"  loss.q {res['loss.q'][0]:.6f}  loss.pi {res['loss.pi'][0]:.6f}"
    if algo == "sacd":
        line += (f"  loss.alpha {res['loss.alpha'][0]:.6f}  entropy {res['entropy'][0]:.6f}"
                 f"  log_alpha after {float(log_alpha):.6e}")
    print(line)
    write_fixture(os.path.join(OUT, f"agent_{name}.bin"), t)


def main():
    os.makedirs(OUT, exist_ok=True)
    print(f"torch {torch.__version__}")
    check_gru_matches_torch()
    agent_case("td3_grsn", "td3", "grsn", seed=21)
    agent_case("td3_gru", "td3", "gru", seed=22)
    agent_case("sacd_grsn", "sacd", "grsn", seed=23)


if __name__ == "__main__":
    main()
