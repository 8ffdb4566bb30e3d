/*
 * env_cartpole.c — Gym 0.26.2 CartPole-v1 (classic_control/cartpole.py),
 * reference-implementation.md §4.2. A pole hinged on a cart that is pushed
 * left or right with a force of 10 N; explicit Euler with τ = 0.02 s. The
 * dynamics are those of Florian, "Correct equations for the dynamics of the
 * cart-pole system" (2007), as Gym writes them.
 *
 * Every expression keeps Gym's order of operations, so that the double state
 * agrees bit for bit: floating-point sums and products are not associative.
 */
#include "env_internal.h"

// --- Constants of CartPole-v1, computed as Gym computes them.
static const double GRAVITY = 9.8;
static const double MASSCART = 1.0;
static const double MASSPOLE = 0.1;
#define TOTAL_MASS (MASSPOLE + MASSCART)      // 1.1
static const double LENGTH = 0.5;             // half the pole's length
#define POLEMASS_LENGTH (MASSPOLE * LENGTH)   // 0.05
static const double FORCE_MAG = 10.0;
static const double TAU = 0.02;               // seconds between state updates
#define THETA_THRESHOLD (12 * 2 * GYM_PI / 360) // 12 degrees, 0.2094395 rad
static const double X_THRESHOLD = 2.4;

void cartpole_reset(double *state, grsn_rng *rng) {
    // np_random.uniform(low=-0.05, high=0.05, size=(4,)), drawn in state order.
    for (int i = 0; i < 4; i++) state[i] = grsn_rng_uniform(rng, -0.05, 0.05);
}

int cartpole_step(double *state, int action) {
    double x = state[0], x_dot = state[1], theta = state[2], theta_dot = state[3];
    double force = action == 1 ? FORCE_MAG : -FORCE_MAG;
    double costheta = cos(theta);
    double sintheta = sin(theta);

    // Angular and linear acceleration, from the current (old) state.
    double temp = (force + POLEMASS_LENGTH * gym_square(theta_dot) * sintheta) / TOTAL_MASS;
    double thetaacc = (GRAVITY * sintheta - costheta * temp)
                    / (LENGTH * (4.0 / 3.0 - MASSPOLE * gym_square(costheta) / TOTAL_MASS));
    double xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;

    // Explicit Euler: positions advance with the old velocities.
    x = x + TAU * x_dot;
    x_dot = x_dot + TAU * xacc;
    theta = theta + TAU * theta_dot;
    theta_dot = theta_dot + TAU * thetaacc;
    state[0] = x; state[1] = x_dot; state[2] = theta; state[3] = theta_dot;

    return x < -X_THRESHOLD || x > X_THRESHOLD
        || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
}

void cartpole_observe(const double *state, float *obs) {
    for (int i = 0; i < 4; i++) obs[i] = (float)state[i];
}
