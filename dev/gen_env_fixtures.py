#!/usr/bin/env python3
"""gen_env_fixtures.py — write tests/fixtures/env_cartpole.bin and env_pendulum.bin.

Gym is not installable on the build machine (no PyPI; Debian has no gym or
gymnasium package), so this script repeats the step equations of gym 0.26.2
(gym/envs/classic_control/cartpole.py and pendulum.py) in plain Python floats,
which are IEEE float64 like NumPy's, keeping Gym's order of operations and its
operators: `x ** 2` (CPython and NumPy both call libm's pow), math.sin/cos,
Python's floored `%`. Pendulum's actions go through the float32 action wrapper
of pomdp-baselines (POMDPWrapper.step), emulated by rounding to float32 after
each operation (exact for + and * of float32 values: a float64 result rounded
once to float32 is the correctly rounded float32 result).

Where this can differ from real Gym: NumPy dispatches float64 sin/cos to its
own AVX-512 kernels on CPUs that have AVX-512, which may differ from libm in the
last bit. The float32 observations absorb such differences almost always.

Each trajectory starts from a given state and replays a fixed action sequence
(derived from the script's own controllers and seeded random numbers; the C test
only replays the stored actions). Run from the repository root:

    python3 dev/gen_env_fixtures.py

File layout (little-endian):
    char  magic[8] = "GRSNENV1"
    u32   kind (0 = CartPole, 1 = Pendulum), u32 n_traj
    per trajectory:
        char name[16]; u32 n_steps; u32 state_dim
        f64  init_state[state_dim]
        f32  action[n_steps]           CartPole: 0 or 1; Pendulum: normalised action (any value)
        f32  obs[n_steps][obs_dim]     full observation after each step (4 or 3)
        f64  reward[n_steps]
        u8   terminated[n_steps]
        f64  final_state[state_dim]
"""
import math
import os
import random
import struct


def f32(x):
    """Round a float64 to the nearest float32 (what numpy's astype(float32) does)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------------------
# CartPole-v1 (gym 0.26.2), euler integrator

GRAVITY = 9.8
MASSCART = 1.0
MASSPOLE = 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


def cartpole_step(state, action):
    x, x_dot, theta, theta_dot = state
    force = FORCE_MAG if action == 1 else -FORCE_MAG
    costheta = math.cos(theta)
    sintheta = math.sin(theta)
    temp = (force + POLEMASS_LENGTH * theta_dot**2 * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASSPOLE * costheta**2 / TOTAL_MASS)
    )
    xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    x = x + TAU * x_dot
    x_dot = x_dot + TAU * xacc
    theta = theta + TAU * theta_dot
    theta_dot = theta_dot + TAU * thetaacc
    state = (x, x_dot, theta, theta_dot)
    terminated = bool(
        x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD
    )
    return state, 1.0, terminated


def cartpole_obs(state):
    return [f32(v) for v in state]


# ---------------------------------------------------------------------------
# Pendulum-v1 (gym 0.26.2, g = 10) behind the pomdp-baselines action wrapper

MAX_SPEED = 8
MAX_TORQUE = 2.0
DT = 0.05
G = 10.0
M = 1.0
L = 1.0


def wrapper_torque(a):
    """POMDPWrapper.step on a float32 action, in float32 arithmetic."""
    lb, ub = f32(-2.0), f32(2.0)
    a = min(max(a, -1.0), 1.0)
    t = f32(a + 1.0)
    t = f32(t * 0.5)
    t = f32(t * f32(ub - lb))
    t = f32(lb + t)
    return min(max(t, lb), ub)


def angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


def pendulum_step(state, u):
    th, thdot = state
    u = min(max(u, -MAX_TORQUE), MAX_TORQUE)
    costs = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2)
    newthdot = thdot + (3 * G / (2 * L) * math.sin(th) + 3.0 / (M * L**2) * u) * DT
    newthdot = min(max(newthdot, -MAX_SPEED), MAX_SPEED)
    newth = th + newthdot * DT
    return (newth, newthdot), -costs, False


def pendulum_obs(state):
    th, thdot = state
    return [f32(math.cos(th)), f32(math.sin(th)), f32(thdot)]


# ---------------------------------------------------------------------------
# Trajectories


def rollout(kind, name, init, policy, n_max, stop_on_terminal):
    """policy(state, t) -> action (CartPole index or float32 normalised action)."""
    state = tuple(init)
    actions, obs, rewards, terms = [], [], [], []
    for t in range(n_max):
        a = policy(state, t)
        if kind == 0:
            state, r, term = cartpole_step(state, a)
            o = cartpole_obs(state)
        else:
            a = f32(a)
            state, r, term = pendulum_step(state, wrapper_torque(a))
            o = pendulum_obs(state)
        actions.append(float(a))
        obs.append(o)
        rewards.append(r)
        terms.append(term)
        if term and stop_on_terminal:
            break
    return dict(name=name, init=list(init), actions=actions, obs=obs, rewards=rewards,
                terms=terms, final=list(state))


def cartpole_trajectories():
    rng = random.Random(20240415)

    def reset():
        return [rng.uniform(-0.05, 0.05) for _ in range(4)]

    def lean(k, b):
        # push towards the side the pole leans to; k adds cart feedback, b a bias
        return lambda s, t: int(s[2] + 0.5 * s[3] + k * s[0] + k * s[1] + b > 0)

    noise = random.Random(7)
    mixed_ctrl = lean(0.02, 0.0)

    def mixed(s, t):
        return mixed_ctrl(s, t) if noise.random() < 0.8 else noise.getrandbits(1)

    coin = random.Random(11)
    trajs = [
        rollout(0, "right", reset(), lambda s, t: 1, 250, True),
        rollout(0, "left", reset(), lambda s, t: 0, 250, True),
        rollout(0, "alternate", reset(), lambda s, t: t % 2, 250, True),
        rollout(0, "random", reset(), lambda s, t: coin.getrandbits(1), 250, True),
        rollout(0, "balance", reset(), lean(0.02, 0.0), 250, True),
        rollout(0, "drift-x", reset(), lean(0.0, 0.1), 250, True),
        rollout(0, "mixed", reset(), mixed, 250, True),
        rollout(0, "edge-theta", [0.0, 0.0, 0.2, 0.3], lambda s, t: 0, 250, True),
    ]
    # The scenarios must cover what they claim.
    by = {t["name"]: t for t in trajs}
    assert not any(by["balance"]["terms"]) and len(by["balance"]["actions"]) == 250
    assert by["drift-x"]["terms"][-1] and abs(by["drift-x"]["final"][0]) > X_THRESHOLD
    assert by["right"]["terms"][-1] and abs(by["right"]["final"][2]) > THETA_THRESHOLD
    assert len(by["edge-theta"]["actions"]) <= 3
    return trajs


def pendulum_trajectories():
    rng = random.Random(20240416)

    def reset():
        return [rng.uniform(-math.pi, math.pi), rng.uniform(-1.0, 1.0)]

    def pump(s, t):
        # bang-bang energy pumping: torque along the motion
        return 1.0 if s[1] >= 0 else -1.0

    tiny_list = [1e-9, -1e-9, 3e-8, -3e-8, 0.0, 1.0, -1.0, 0.5, 1e-4, -0.3333333, 2.0, -7.0,
                 0.999999, -0.999999, 6e-8, 0.25]
    noise = random.Random(5)
    trajs = [
        rollout(1, "free-swing", [0.3, 0.0], lambda s, t: 0.0, 250, False),
        rollout(1, "pump", [math.pi - 0.05, 0.0], pump, 300, False),
        rollout(1, "sine-clip", reset(), lambda s, t: 1.5 * math.sin(0.07 * t), 200, False),
        rollout(1, "random", reset(), lambda s, t: noise.uniform(-2.0, 2.0), 200, False),
        rollout(1, "tiny", reset(), lambda s, t: tiny_list[t % len(tiny_list)], 100, False),
        rollout(1, "unwrapped", [40.0, 8.0], lambda s, t: 1.0, 150, False),
        rollout(1, "neg-spin", [-30.0, -7.99], lambda s, t: -1.0, 100, False),
    ]
    by = {t["name"]: t for t in trajs}
    speeds = [o[2] for o in by["pump"]["obs"]]
    assert max(abs(v) for v in speeds) == 8.0, "pump must reach the speed clip"
    assert abs(by["unwrapped"]["final"][0]) > 50
    return trajs


# ---------------------------------------------------------------------------
# Writing


def write(path, kind, trajs):
    out = bytearray(b"GRSNENV1")
    out += struct.pack("<II", kind, len(trajs))
    for t in trajs:
        n, sd = len(t["actions"]), len(t["init"])
        out += struct.pack("<16sII", t["name"].encode(), n, sd)
        out += struct.pack("<%dd" % sd, *t["init"])
        out += struct.pack("<%df" % n, *t["actions"])
        out += struct.pack("<%df" % (n * len(t["obs"][0])), *[v for o in t["obs"] for v in o])
        out += struct.pack("<%dd" % n, *t["rewards"])
        out += struct.pack("<%dB" % n, *[int(v) for v in t["terms"]])
        out += struct.pack("<%dd" % sd, *t["final"])
    with open(path, "wb") as f:
        f.write(out)
    print("%s: %d trajectories, %d steps, %d bytes" % (path, len(trajs),
          sum(len(t["actions"]) for t in trajs), len(out)))
    for t in trajs:
        print("  %-11s %4d steps, terminated at end: %s, return %.6f" % (
            t["name"], len(t["actions"]), t["terms"][-1], sum(t["rewards"])))


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    fixtures = os.path.join(root, "tests", "fixtures")
    os.makedirs(fixtures, exist_ok=True)
    write(os.path.join(fixtures, "env_cartpole.bin"), 0, cartpole_trajectories())
    write(os.path.join(fixtures, "env_pendulum.bin"), 1, pendulum_trajectories())


if __name__ == "__main__":
    main()
