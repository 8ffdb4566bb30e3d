/*
 * env_internal.h — the physics of the two classic-control tasks, shared by
 * env.c (names, views, episode bookkeeping) and the two physics files. Each
 * physics function works on the raw double state; env.c adds the step cap,
 * the observation views and the flags (reference-implementation.md §4).
 */
#ifndef GRSN_ENV_INTERNAL_H
#define GRSN_ENV_INTERNAL_H

#include "common.h"

// np.pi and math.pi: the double nearest π.
#define GYM_PI 3.141592653589793

// Gym squares with Python's `x ** 2`, which CPython and NumPy evaluate with
// libm's pow(). glibc's pow is not correctly rounded, and on this machine
// pow(x, 2) differs from x * x in the last bit for about 1 argument in 1,200.
// Compilers rewrite pow(x, 2.0) into x * x, so the exponent is read from a
// volatile to keep the libm call, and with it bit parity with Gym.
static inline double gym_square(double x) {
    volatile double two = 2.0;
    return pow(x, two);
}

// --- CartPole-v1 (env_cartpole.c), state (x, ẋ, θ, θ̇)
void cartpole_reset(double *state, grsn_rng *rng);
int  cartpole_step(double *state, int action);    // returns terminated; the reward is always 1
void cartpole_observe(const double *state, float *obs);   // obs (4)

// --- Pendulum-v1 (env_pendulum.c), state (θ, θ̇)
void   pendulum_reset(double *state, grsn_rng *rng);
float  pendulum_torque(float a);                    // the wrapper: normalised action -> torque
double pendulum_step(double *state, float torque);  // returns the reward
void   pendulum_observe(const double *state, float *obs);  // obs (3)

#endif
