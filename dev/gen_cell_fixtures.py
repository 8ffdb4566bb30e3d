#!/usr/bin/env python3
"""Write the PyTorch reference fixtures for grsn's layers and cells.

Run from the repository root with Debian's PyTorch (apt-get install python3-torch):

    /usr/bin/python3 dev/gen_cell_fixtures.py

Each fixture is a small binary file in tests/fixtures/ (format below) holding the
inputs, initial state, parameters, outputs, the upstream gradient and the
expected parameter / input / initial-state gradients, all computed here by
PyTorch autograd on a direct transcription of the paper's equations. The C tests
(tests/test_cells.c, tests/test_nn.c) read them; they never need Python.

File format (little-endian): b"GRSNFIX1", u32 count, then per tensor:
char name[64] (NUL-padded), u32 ndim, u32 dims[4], float32 data[prod(dims)].

Spikes must match exactly, so each spiking case is drawn again (next seed)
until every pre-reset potential stays at least MARGIN away from the threshold:
then fp32 re-association in C cannot flip a spike.
"""
import math
import os
import struct
import sys

import torch

torch.set_default_dtype(torch.float32)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
MARGIN = 1e-3

# Enumerations shared with include/grsn_nn.h.
KIND = {"grsn": 0, "lif": 1, "gru": 2}
BETA = {"fixed": 0, "layer": 1, "neuron": 2}
RESET = {"soft": 0, "hard": 1}
DECODE = {"rate": 0, "last": 1}
GATES = {"input": 0, "spikes": 1}


def write_fixture(path, tensors):
    with open(path, "wb") as f:
        f.write(b"GRSNFIX1")
        f.write(struct.pack("<I", len(tensors)))
        for name, t in tensors.items():
            t = torch.as_tensor(t, dtype=torch.float32).detach().contiguous()
            dims = list(t.shape) if t.dim() > 0 else [1]
            assert len(dims) <= 4 and len(name) < 64
            f.write(name.encode().ljust(64, b"\0"))
            f.write(struct.pack("<I", len(dims)))
            f.write(struct.pack("<4I", *(dims + [1] * (4 - len(dims)))))
            f.write(t.numpy().astype("<f4").tobytes())
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


class Spike(torch.autograd.Function):
    """Heaviside forward (Eq. 4-5, Theta(0) = 1), arctan surrogate backward (Eq. 6)."""

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        a = ctx.alpha
        return g * (a / (2 * (1 + (math.pi / 2 * a * x) ** 2))), None


def spiking_reference(kind, x, mask, state0, params, cfg):
    """The paper's spiking cells over a window, as PyTorch autograd sees them.

    x [T][B][in], mask [T][B] (0: step skipped, state held, output 0),
    state0 [B][S] with S = 2H (c, u^) for GRSN and H (u^) for LIF.
    Returns (out [T][B][H], final state, list of pre-reset potentials).
    """
    T, B, _ = x.shape
    H = cfg["hidden"]
    K, theta, alpha = cfg["substeps"], cfg["threshold"], cfg["alpha"]
    if cfg["beta_mode"] == "fixed":
        beta = torch.full((H,), cfg["beta"])
    else:
        beta = torch.sigmoid(params["beta"]).reshape(-1).expand(H)
    if kind == "grsn":
        c, uh = state0[:, :H], state0[:, H:]
    else:
        c, uh = None, state0
    outs, pots = [], []
    for t in range(T):
        m = mask[t].unsqueeze(1)
        if kind == "grsn":
            F = torch.sigmoid(x[t] @ params["w_f"].T + params["b_f"])      # Eq. 14
            J = torch.relu(x[t] @ params["w_i"].T + params["b_i"])         # Eq. 14
        else:
            cur = x[t] @ params["w"].T + params["b"]                       # Eq. 2
        c_new, uh_new = c, uh
        acc = torch.zeros(B, H)
        for k in range(K):
            if kind == "grsn":
                c_new = F * c_new + (1 - F) * J                            # Eq. 13
                cur = c_new
            u = beta * uh_new + (1 - beta) * cur                           # Eq. 1
            o = Spike.apply(u - theta, alpha)                              # Eq. 4
            pots.append(torch.where(m > 0, u, torch.full_like(u, 1e9)))
            r = o.detach() if cfg["detach_reset"] else o
            if cfg["reset"] == "soft":
                uh_new = u - theta * r                                     # Eq. 12
            else:
                uh_new = cfg["u_reset"] * r + (1 - r) * u                  # Eq. 3
            acc = o if cfg["decode"] == "last" else acc + o
        if cfg["decode"] == "rate":
            acc = acc / K
        outs.append(acc * m)
        if kind == "grsn":
            c = m * c_new + (1 - m) * c
        uh = m * uh_new + (1 - m) * uh
    state = torch.cat([c, uh], 1) if kind == "grsn" else uh
    return torch.stack(outs), state, pots


def spike_gated_reference(x, mask, state0, params, cfg):
    """GRSN whose gates read the layer's previous spikes (the authors' April 2026
    revision, reference-implementation.md §2.8; not the paper's Eq. 13-14):

        F = sigmoid(W_f o_{t-1} + b_f), J = ReLU(W_i o_{t-1} + b_i)
        c_t = F c_{t-1} + (1 - F) J
        u_t = beta u^_{t-1} + (1 - beta) (W_in x_t + b_in + c_t)

    with the paper's firing and reset. TAP only (one update per step).
    state0 [B][3H] = (c, o_{t-1}, u^); masked steps hold all three.
    """
    T, B, _ = x.shape
    H = cfg["hidden"]
    theta, alpha = cfg["threshold"], cfg["alpha"]
    if cfg["beta_mode"] == "fixed":
        beta = torch.full((H,), cfg["beta"])
    else:
        beta = torch.sigmoid(params["beta"]).reshape(-1).expand(H)
    c, s, uh = state0[:, :H], state0[:, H:2 * H], state0[:, 2 * H:]
    outs, pots = [], []
    for t in range(T):
        m = mask[t].unsqueeze(1)
        F = torch.sigmoid(s @ params["w_f"].T + params["b_f"])
        J = torch.relu(s @ params["w_i"].T + params["b_i"])
        a = x[t] @ params["w_in"].T + params["b_in"]
        c_new = F * c + (1 - F) * J
        u = beta * uh + (1 - beta) * (a + c_new)
        o = Spike.apply(u - theta, alpha)
        pots.append(torch.where(m > 0, u, torch.full_like(u, 1e9)))
        r = o.detach() if cfg["detach_reset"] else o
        if cfg["reset"] == "soft":
            uh_new = u - theta * r
        else:
            uh_new = cfg["u_reset"] * r + (1 - r) * u
        outs.append(o * m)
        c = m * c_new + (1 - m) * c
        s = m * o + (1 - m) * s
        uh = m * uh_new + (1 - m) * uh
    return torch.stack(outs), torch.cat([c, s, uh], 1), pots


def gru_reference(x, mask, state0, cell):
    """PyTorch's own nn.GRUCell (gate order r, z, n), with held state on masked steps."""
    h, outs = state0, []
    for t in range(x.shape[0]):
        m = mask[t].unsqueeze(1)
        h_new = cell(x[t], h)
        outs.append(h_new * m)
        h = m * h_new + (1 - m) * h
    return torch.stack(outs), h


def make_mask(T, B, g):
    """All valid except trailing invalid steps on some rows (as windows end)."""
    mask = torch.ones(T, B)
    for b in range(B):
        if b % 2 == 1:
            cut = int(torch.randint(T // 2, T, (1,), generator=g))
            mask[cut:, b] = 0
    return mask


def cell_case(name, kind, T=20, B=3, n_in=5, H=8, seed=0, **over):
    cfg = dict(hidden=H, threshold=1.0, alpha=2.0, beta=0.5, u_reset=0.0, detach_reset=0,
               substeps=1, decode="rate", gates="input",
               beta_mode="layer" if kind == "grsn" else "fixed",
               reset="soft" if kind == "grsn" else "hard")
    cfg.update(over)
    for attempt in range(1000):
        g = torch.Generator().manual_seed(1000 * seed + attempt)
        rnd = lambda *s, scale=1.0: torch.randn(*s, generator=g) * scale
        x = rnd(T, B, n_in, scale=1.5)
        mask = make_mask(T, B, g)
        params = {}
        if kind == "grsn" and cfg["gates"] == "spikes":
            params["w_f"] = rnd(H, H, scale=0.6)
            params["w_i"] = rnd(H, H, scale=0.8)
            params["b_f"] = rnd(H, scale=0.3)
            params["b_i"] = rnd(H, scale=0.5) + 1.0
            params["w_in"] = rnd(H, n_in, scale=0.5)
            params["b_in"] = rnd(H, scale=0.3)
            S = 3 * H
            spikes0 = (torch.rand(B, H, generator=g) < 0.3).to(torch.float32)
            state0 = torch.cat([torch.rand(B, H, generator=g) * 2, spikes0, rnd(B, H, scale=0.5)], 1)
        elif kind == "grsn":
            params["w_f"] = rnd(H, n_in, scale=0.6)
            params["w_i"] = rnd(H, n_in, scale=0.8)
            params["b_f"] = rnd(H, scale=0.3)
            params["b_i"] = rnd(H, scale=0.5) + 1.0
            S = 2 * H
            state0 = torch.cat([torch.rand(B, H, generator=g) * 2, rnd(B, H, scale=0.5)], 1)
        elif kind == "lif":
            params["w"] = rnd(H, n_in, scale=0.9)
            params["b"] = rnd(H, scale=0.5) + 0.8
            S = H
            state0 = rnd(B, H, scale=0.5)
        else:
            cell = torch.nn.GRUCell(n_in, H)
            with torch.no_grad():
                cell.weight_ih.copy_(rnd(3 * H, n_in, scale=0.5))
                cell.weight_hh.copy_(rnd(3 * H, H, scale=0.4))
                cell.bias_ih.copy_(rnd(3 * H, scale=0.2))
                cell.bias_hh.copy_(rnd(3 * H, scale=0.2))
            params = {"w_ih": cell.weight_ih, "w_hh": cell.weight_hh,
                      "b_ih": cell.bias_ih, "b_hh": cell.bias_hh}
            S = H
            state0 = rnd(B, H, scale=0.5)
        if kind != "gru" and cfg["beta_mode"] != "fixed":
            n_beta = H if cfg["beta_mode"] == "neuron" else 1
            params["beta"] = rnd(n_beta, scale=0.5) + math.log(cfg["beta"] / (1 - cfg["beta"]))
        x.requires_grad_(True)
        state0.requires_grad_(True)
        for p in params.values():
            p.requires_grad_(True)
        if kind == "gru":
            out, state = gru_reference(x, mask, state0, cell)
        elif cfg["gates"] == "spikes":
            out, state, pots = spike_gated_reference(x, mask, state0, params, cfg)
            margin = min(float((u - cfg["threshold"]).abs().min()) for u in pots)
            rate = float(out.sum() / (mask.sum() * H))
            if margin < MARGIN or not (0.1 < rate < 0.9):
                continue
        else:
            out, state, pots = spiking_reference(kind, x, mask, state0, params, cfg)
            margin = min(float((u - cfg["threshold"]).abs().min()) for u in pots)
            rate = float(out.sum() / (mask.sum() * H))
            if margin < MARGIN or not (0.1 < rate < 0.9):
                continue
        dout = rnd(T, B, H)
        loss = (out * dout).sum()
        loss.backward()
        break
    else:
        sys.exit(f"{name}: no draw kept the potentials {MARGIN} away from the threshold")

    t = {
        "cfg.kind": [KIND[kind]], "cfg.in": [n_in], "cfg.hidden": [H], "cfg.T": [T], "cfg.B": [B],
        "cfg.substeps": [cfg["substeps"]], "cfg.beta": [cfg["beta"]],
        "cfg.beta_mode": [BETA[cfg["beta_mode"]]] if kind != "gru" else [0],
        "cfg.reset": [RESET[cfg["reset"]]], "cfg.detach_reset": [cfg["detach_reset"]],
        "cfg.decode": [DECODE[cfg["decode"]]], "cfg.threshold": [cfg["threshold"]],
        "cfg.alpha": [cfg["alpha"]], "cfg.u_reset": [cfg["u_reset"]],
        **({"cfg.gates": [GATES[cfg["gates"]]]} if cfg["gates"] != "input" else {}),
        "x": x, "mask": mask, "state0": state0, "out": out, "state": state, "dout": dout,
        "dx": x.grad, "dstate0": state0.grad,
    }
    for k, p in params.items():
        t["p." + k] = p
        t["g." + k] = p.grad
    if kind != "gru":
        t["firing_rate"] = [float(out.detach().sum() / (mask.sum() * H))]
        print(f"  {name}: attempt {attempt}, margin {margin:.2e}, firing rate {t['firing_rate'][0]:.2f}")
    write_fixture(os.path.join(OUT, f"cell_{name}.bin"), t)


def ops_case():
    """Linear, MLP, softmax / log-softmax, Adam and gradient clipping."""
    g = torch.Generator().manual_seed(7)
    rnd = lambda *s: torch.randn(*s, generator=g)
    t = {}
    # MLP 6 -> 10 (relu) -> 7 (relu) -> 3 (tanh) over N = 11 rows, rows 9-10 masked.
    N, sizes = 11, [6, 10, 7, 3]
    x = rnd(N, sizes[0]).requires_grad_(True)
    mask = torch.ones(N)
    mask[9:] = 0
    ws = [(rnd(sizes[i + 1], sizes[i]) * 0.5).requires_grad_(True) for i in range(3)]
    bs = [(rnd(sizes[i + 1]) * 0.1).requires_grad_(True) for i in range(3)]
    h = x
    for i in range(3):
        h = h @ ws[i].T + bs[i]
        h = torch.relu(h) if i < 2 else torch.tanh(h)
    y = h * mask.unsqueeze(1)
    dy = rnd(N, sizes[-1])
    (y * dy).sum().backward()
    t.update({"mlp.x": x, "mlp.mask": mask, "mlp.y": y, "mlp.dy": dy, "mlp.dx": x.grad})
    for i in range(3):
        t[f"mlp.w{i}"], t[f"mlp.b{i}"] = ws[i], bs[i]
        t[f"mlp.dw{i}"], t[f"mlp.db{i}"] = ws[i].grad, bs[i].grad
    # Softmax and log-softmax with their backward.
    logits = (rnd(5, 4) * 3).requires_grad_(True)
    dp = rnd(5, 4)
    p = torch.softmax(logits, 1)
    (p * dp).sum().backward()
    t.update({"sm.logits": logits, "sm.p": p, "sm.dp": dp, "sm.dlogits": logits.grad})
    logits2 = logits.detach().clone().requires_grad_(True)
    lp = torch.log_softmax(logits2, 1)
    (lp * dp).sum().backward()
    t.update({"lsm.lp": lp, "lsm.dlogits": logits2.grad})
    # Adam: 5 steps with a fixed gradient sequence.
    w = rnd(37).requires_grad_(True)
    t["adam.w0"] = w.detach().clone()
    opt = torch.optim.Adam([w], lr=3e-4)
    grads = rnd(5, 37) * torch.tensor([1e-3, 1.0, 10.0, 0.1, 5.0]).unsqueeze(1)
    for s in range(5):
        opt.zero_grad()
        w.grad = grads[s].clone()
        opt.step()
    t.update({"adam.grads": grads, "adam.w5": w})
    # clip_grad_norm_ with a total norm above and below the limit.
    for tag, scale in (("big", 3.0), ("small", 0.01)):
        q = torch.zeros(50, requires_grad=True)
        q.grad = rnd(50) * scale
        t[f"clip.{tag}.g"] = q.grad.clone()
        norm = torch.nn.utils.clip_grad_norm_([q], max_norm=10.0)
        t[f"clip.{tag}.norm"] = [float(norm)]
        t[f"clip.{tag}.out"] = q.grad
    # RMSprop as oxwhirl/pymarl's QMIX runs it (alpha 0.99, eps 1e-5): 5
    # steps with Adam's gradient sequence. Drawn last, so that the tensors
    # above keep their values.
    w = rnd(37).requires_grad_(True)
    t["rmsprop.w0"] = w.detach().clone()
    opt = torch.optim.RMSprop([w], lr=5e-4, alpha=0.99, eps=1e-5)
    for s in range(5):
        opt.zero_grad()
        w.grad = grads[s].clone()
        opt.step()
    t["rmsprop.w5"] = w
    write_fixture(os.path.join(OUT, "ops.bin"), t)


CASES = [
    ("grsn_layer", lambda: cell_case("grsn_layer", "grsn", seed=1)),
    ("grsn_neuron_detach", lambda: cell_case("grsn_neuron_detach", "grsn", seed=2, beta_mode="neuron", beta=0.6,
                                             detach_reset=1)),
    ("grsn_fixed", lambda: cell_case("grsn_fixed", "grsn", seed=3, beta_mode="fixed", T=24, B=4)),
    ("grsn_hard", lambda: cell_case("grsn_hard", "grsn", seed=4, reset="hard", u_reset=0.1)),
    ("grsn_wotap_rate", lambda: cell_case("grsn_wotap_rate", "grsn", seed=5, T=16, substeps=4)),
    ("grsn_wotap_last", lambda: cell_case("grsn_wotap_last", "grsn", seed=6, T=16, substeps=4, decode="last",
                                          beta_mode="fixed")),
    ("lif_hard", lambda: cell_case("lif_hard", "lif", seed=7)),
    ("lif_soft", lambda: cell_case("lif_soft", "lif", seed=8, reset="soft")),
    ("lif_learn_beta", lambda: cell_case("lif_learn_beta", "lif", seed=9, beta_mode="neuron", beta=0.7)),
    ("lif_wotap", lambda: cell_case("lif_wotap", "lif", seed=10, T=16, substeps=4)),
    ("gru", lambda: cell_case("gru", "gru", seed=11, T=20, B=3, n_in=5, H=8)),
    ("ops", ops_case),
    # Not the paper: gates on the previous spikes (--gates spikes).
    ("grsn_spike_gates", lambda: cell_case("grsn_spike_gates", "grsn", seed=12, gates="spikes")),
    ("grsn_spike_gates_neuron_hard", lambda: cell_case("grsn_spike_gates_neuron_hard", "grsn", seed=13,
                                                       gates="spikes", beta_mode="neuron", beta=0.6,
                                                       reset="hard", u_reset=0.1)),
]


def main():
    """Write every fixture, or only those named on the command line
    (e.g. `ops`): each case draws from its own generator, so one can be
    rewritten alone. The cell fixtures' last bits depend on the BLAS torch
    runs on, so rewriting only what changed keeps the others as committed."""
    names = [n for n, _ in CASES]
    wanted = sys.argv[1:] or names
    unknown = [n for n in wanted if n not in names]
    if unknown:
        sys.exit(f"unknown fixture {unknown[0]}; the fixtures are: {', '.join(names)}")
    os.makedirs(OUT, exist_ok=True)
    print(f"torch {torch.__version__}")
    for name, make in CASES:
        if name in wanted:
            make()


if __name__ == "__main__":
    main()
