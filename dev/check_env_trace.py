#!/usr/bin/env python3
"""check_env_trace.py — hold a `grsn env` trace against Gym.

Runs `grsn env NAME-f --init-state ... --actions FILE --max-steps 0` on a
seeded random action sequence and replays the same start state and actions in
Gym 0.26 (or Gymnasium) when it is importable, otherwise in the step equations
of dev/gen_env_fixtures.py. Prints how many observations and rewards agree bit
for bit. CartPole is compared up to its first termination.

    python3 dev/check_env_trace.py --env cartpole --init-state 0.01,0,-0.02,0.03 --steps 150
    python3 dev/check_env_trace.py --env pendulum --init-state 2.5,-0.5 --steps 400 --seed 3
"""
import argparse
import importlib.util
import os
import random
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def load_equations():
    spec = importlib.util.spec_from_file_location("gen_env_fixtures", os.path.join(HERE, "gen_env_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def reference_with_gym(kind, init, actions):
    try:
        import numpy as np
        try:
            import gym
        except ImportError:
            import gymnasium as gym
    except ImportError:
        return None
    env = gym.make("CartPole-v1" if kind == "cartpole" else "Pendulum-v1").unwrapped
    env.reset(seed=0)
    env.state = np.array(init, dtype=np.float64)
    obs0 = np.array(env.state, dtype=np.float32) if kind == "cartpole" else env._get_obs()
    out = [(list(map(float, obs0)), None, None)]
    for a in actions:
        if kind == "cartpole":
            o, r, term, _, _ = env.step(int(a))
        else:
            # pomdp-baselines' POMDPWrapper.step, in float32 like the original
            act = np.clip(np.array([a], dtype=np.float32), -1, 1)
            lb, ub = env.action_space.low, env.action_space.high
            act = np.clip(lb + (act + 1.0) * 0.5 * (ub - lb), lb, ub)
            o, r, term, _, _ = env.step(act)
        out.append((list(map(float, o)), float(r), bool(term)))
    return "gym " + gym.__version__, out


def reference_with_equations(kind, init, actions):
    eq = load_equations()
    state = tuple(init)
    obs0 = eq.cartpole_obs(state) if kind == "cartpole" else eq.pendulum_obs(state)
    out = [(obs0, None, None)]
    for a in actions:
        if kind == "cartpole":
            state, r, term = eq.cartpole_step(state, int(a))
            o = eq.cartpole_obs(state)
        else:
            state, r, term = eq.pendulum_step(state, eq.wrapper_torque(f32(a)))
            o = eq.pendulum_obs(state)
        out.append((o, r, term))
    return "Gym's equations (dev/gen_env_fixtures.py)", out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build", "grsn"))
    ap.add_argument("--env", choices=["cartpole", "pendulum"], required=True)
    ap.add_argument("--init-state", required=True, help="comma-separated physical state")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0, help="seed of the random action sequence")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    if args.env == "cartpole":
        actions = [rng.getrandbits(1) for _ in range(args.steps)]
        text = "\n".join(str(a) for a in actions)
    else:
        actions = [f32(rng.uniform(-1.5, 1.5)) for _ in range(args.steps)]
        text = "\n".join("%.9g" % a for a in actions)
    init = [float(v) for v in args.init_state.split(",")]

    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(text + "\n")
        path = f.name
    try:
        csv = subprocess.run([args.bin, "env", args.env + "-f", "--init-state", args.init_state,
                              "--actions", path, "--max-steps", "0"],
                             check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(path)
    rows = [line.split(",") for line in csv.strip().split("\n")[1:]]

    ref = reference_with_gym(args.env, init, actions) or reference_with_equations(args.env, init, actions)
    source, expected = ref
    n_obs = 4 if args.env == "cartpole" else 3
    same_obs = same_rew = compared = 0
    worst_rew = 0.0
    for t, row in enumerate(rows):
        obs = [f32(float(v)) for v in row[1:1 + n_obs]]
        reward, term = float(row[2 + n_obs]), int(row[3 + n_obs])
        exp_obs = [f32(v) for v in expected[t][0]]
        _, exp_r, exp_term = expected[t + 1]
        same_obs += sum(a == b for a, b in zip(obs, exp_obs))
        same_rew += reward == exp_r
        worst_rew = max(worst_rew, abs(reward - exp_r) / max(abs(exp_r), 1e-300))
        if term != exp_term:
            print("step %d: terminated %d, reference %d" % (t, term, exp_term))
            sys.exit(1)
        compared += 1
        if exp_term:
            break
    print("%s-f against %s: %d steps, observations bit-exact %d/%d, rewards bit-exact %d/%d "
          "(worst relative difference %.3g)" % (args.env, source, compared, same_obs, compared * n_obs,
                                                same_rew, compared, worst_rew))
    sys.exit(0 if same_obs == compared * n_obs and worst_rew <= 1e-12 else 1)


if __name__ == "__main__":
    main()
