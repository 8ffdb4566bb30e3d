/*
 * grsn.h — the public API of grsn: gated recurrent spiking neurons (GRSN) for
 * reinforcement learning, after Qin et al., "GRSN: Gated Recurrent Spiking
 * Neurons for POMDPs and MARL" (AAAI 2025). Equation numbers (Eq. n) refer to
 * that paper.
 *
 * Conventions that hold everywhere:
 *   - Functions that can fail return grsn_status; GRSN_OK is 0. On failure,
 *     grsn_last_error() holds a one-line message naming the culprit. The
 *     library never prints and never exits.
 *   - Sequences are time-major: a tensor "[T][B][n]" is T slices of B rows of
 *     n floats, contiguous. Every sequence comes with a step mask [T][B].
 *   - Objects allocate everything at init. Step, forward, backward and update
 *     never allocate.
 *   - Randomness comes only from explicit grsn_rng streams, one per consumer.
 */
#ifndef GRSN_H
#define GRSN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GRSN_VERSION "0.1.0"

// The commit the library was built from (`git describe --always --dirty` at
// build time; "unknown" outside a git checkout). Run configs and checkpoints
// record it beside GRSN_VERSION, so a run names the exact code that made it.
const char *grsn_build_id(void);

// ----------------------------------------------------------------------------
// Status

typedef enum {
    GRSN_OK = 0,
    GRSN_ERR_ARG,     // a bad value: size, name, flag
    GRSN_ERR_IO,      // a file could not be read or written
    GRSN_ERR_FORMAT,  // a corrupt, truncated or foreign file
    GRSN_ERR_NAN,     // a non-finite number during training
    GRSN_ERR_OOM,     // allocation failed
    GRSN_ERR_ACTION,  // an action the availability mask forbids
} grsn_status;

// The message of the most recent failure on this thread ("" if none).
const char *grsn_last_error(void);
// Short name of a status ("ok", "bad argument", ...).
const char *grsn_status_name(grsn_status s);

// ----------------------------------------------------------------------------
// Random number streams
//
// xoshiro256** seeded through splitmix64 from (seed, stream id). Each consumer
// (weight init, each environment, exploration, replay, target noise, ...) owns
// its own stream, so adding draws to one never shifts another. The state is a
// plain struct: copy it to save it.

typedef struct { uint64_t s[4]; } grsn_rng;

// Well-known stream ids; environments use GRSN_STREAM_ENV + index.
enum {
    GRSN_STREAM_INIT = 1,
    GRSN_STREAM_EXPLORE = 2,
    GRSN_STREAM_REPLAY = 3,
    GRSN_STREAM_TARGET_NOISE = 4,
    GRSN_STREAM_EVAL_ENV = 1000,
    GRSN_STREAM_ENV = 2000,
};

void     grsn_rng_seed(grsn_rng *r, uint64_t seed, uint64_t stream);
uint64_t grsn_rng_u64(grsn_rng *r);
double   grsn_rng_double(grsn_rng *r);               // uniform [0, 1), 53 bits
float    grsn_rng_float(grsn_rng *r);                // uniform [0, 1), 24 bits
double   grsn_rng_uniform(grsn_rng *r, double lo, double hi); // [lo, hi)
uint32_t grsn_rng_below(grsn_rng *r, uint32_t n);    // uniform {0..n-1}, unbiased; n > 0
double   grsn_rng_normal(grsn_rng *r);               // N(0, 1), Box-Muller, no cached spare

// ----------------------------------------------------------------------------
// Threads
//
// Work is split only over independent outputs (batch rows, weight-gradient
// rows), each summed in a fixed order, so any thread count gives the same bits.

void grsn_set_threads(int n);   // n <= 0: the OpenMP default
int  grsn_threads(void);        // 1 without OpenMP

#ifdef __cplusplus
}
#endif

// Further parts of the public API, one header per concern.
#include "grsn_nn.h"      // parameters, layers, cells (GRSN, LIF, GRU), optimisers
#include "grsn_env.h"     // classic-control environments (CartPole, Pendulum; -F/-P/-V views)
#include "grsn_replay.h"  // sequence replay buffer (pomdp-baselines semantics)
#include "grsn_smac.h"    // the SMAC-compatible combat simulator
#include "grsn_agent.h"   // recurrent TD3 and SAC-discrete agents
#include "grsn_train.h"   // their training runs, evaluation, checkpoints
#include "grsn_energy.h"  // operation counts and energy estimates (Eq. 15-16, Table 4)
#include "grsn_qmix.h"    // QMIX on the SMAC-compatible simulator
#include "grsn_report.h"  // run directories: the report of Tables 1-4 (grsn report)
#include "grsn_train_qmix.h" // QMIX training runs, checkpoints

#endif // GRSN_H
