/*
 * env_pendulum.c — Gym 0.26.2 Pendulum-v1 (classic_control/pendulum.py) behind
 * the action wrapper of pomdp-baselines, reference-implementation.md §4.1.
 * A rigid pendulum (m = 1, l = 1, g = 10) swings under a torque of at most
 * 2 N·m; θ = 0 is upright. The reward penalises the angle from upright, the
 * speed and the torque. Semi-implicit Euler with dt = 0.05 s: the speed is
 * updated first, clipped to ±8, and the angle advances with the new speed.
 *
 * The expressions keep Gym's order of operations and NumPy 1.x's types:
 * the state is float64; the torque arrives as float32 (the wrapper works in
 * float32) and is widened exactly to float64 in the physics.
 */
#include "env_internal.h"

// --- Constants of Pendulum-v1.
static const double MAX_SPEED = 8;
static const double MAX_TORQUE = 2.0;
static const double DT = 0.05;
static const double G = 10.0;
static const double M = 1.0;
static const double L = 1.0;

void pendulum_reset(double *state, grsn_rng *rng) {
    // np_random.uniform(low=[-π, -1], high=[π, 1]): θ first, then θ̇.
    state[0] = grsn_rng_uniform(rng, -GYM_PI, GYM_PI);
    state[1] = grsn_rng_uniform(rng, -1.0, 1.0);
}

// The wrapper of pomdp-baselines (POMDPWrapper.step), in NumPy float32
// arithmetic, because the action arrives as a float32 array and the bounds are
// the float32 Box(-2, 2):
//   a = clip(a, -1, 1);  torque = lb + (a + 1) * 0.5 * (ub - lb);  clip(torque, lb, ub)
float pendulum_torque(float a) {
    const float lb = -2.0f, ub = 2.0f;
    a = a < -1.0f ? -1.0f : a > 1.0f ? 1.0f : a;
    float t = lb + (a + 1.0f) * 0.5f * (ub - lb);
    return t < lb ? lb : t > ub ? ub : t;
}

// ((x + π) mod 2π) − π with Python's floored modulo (the result takes the
// sign of the divisor), as NumPy's float64 `%` computes it.
static double angle_normalize(double x) {
    double period = 2 * GYM_PI;
    double r = fmod(x + GYM_PI, period);
    if (r != 0.0) {
        if (r < 0.0) r += period;
    } else {
        r = 0.0;   // copysign(0, period)
    }
    return r - GYM_PI;
}

double pendulum_step(double *state, float torque) {
    double th = state[0], thdot = state[1];
    double u = torque;                 // float32 -> float64 is exact
    u = u < -MAX_TORQUE ? -MAX_TORQUE : u > MAX_TORQUE ? MAX_TORQUE : u;

    // Cost from the state before the update. u ** 2 is exact: u has 24 bits.
    double costs = gym_square(angle_normalize(th)) + 0.1 * gym_square(thdot) + 0.001 * (u * u);

    double newthdot = thdot + (3 * G / (2 * L) * sin(th) + 3.0 / (M * (L * L)) * u) * DT;
    newthdot = newthdot < -MAX_SPEED ? -MAX_SPEED : newthdot > MAX_SPEED ? MAX_SPEED : newthdot;
    double newth = th + newthdot * DT;   // θ is not wrapped

    state[0] = newth; state[1] = newthdot;
    return -costs;
}

void pendulum_observe(const double *state, float *obs) {
    obs[0] = (float)cos(state[0]);
    obs[1] = (float)sin(state[0]);
    obs[2] = (float)state[1];
}
