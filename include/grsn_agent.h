/*
 * grsn_agent.h — recurrent off-policy agents for the partially observable
 * control tasks (paper Table 1; reference-implementation.md §3, §6, §7):
 * recurrent TD3 for continuous actions and recurrent SAC-discrete for
 * discrete ones, each with a GRSN, LIF or GRU core, or the memoryless MLP
 * baseline.
 *
 * Architecture ("separate" actor and critic, spec §3):
 *   x_t = [ReLU(emb_a(a_{t-1})), ReLU(emb_r(r_{t-1})), ReLU(emb_o(o_t))]    8 + 8 + 32
 *   z_t = core(x_t)                spikes (GRSN, LIF), h_t (GRU), ReLU(fc(o_emb)) (MLP)
 *   actor:  head([z_t, ReLU(short(o_t))])               160 -> 128 -> 128 -> d_a
 *           TD3: tanh; SAC-discrete: logits -> softmax
 *   critic: q1, q2([z_t, ReLU(short([o_t, a_t]))])     176 -> 128 -> 128 -> 1
 *           (SAC-discrete: short(o_t), and one Q per action)
 *
 * TAP: acting runs one core update per decision with the state carried by
 * the caller (grsn_agent_act), exactly the recurrence that training runs over
 * a window (grsn_agent_update).
 *
 * Parameter names, used by checkpoints and fixtures: "actor." / "critic."
 * then "emb_a.w", "emb_a.b", "emb_r.*", "emb_o.*", "cell.*" (see
 * grsn_cell_init: w_f, w_i, b_f, b_i, beta | w, b | w_ih, w_hh, b_ih, b_hh),
 * "mlp.w", "mlp.b" (MLP core), "short.*", and the heads "head.0.w" ..
 * "head.2.b" (actor) or "q1.0.w" .. "q2.2.b" (critic). Weights are
 * [out][in] as in PyTorch.
 */
#ifndef GRSN_AGENT_H
#define GRSN_AGENT_H

#include "grsn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { GRSN_ALGO_TD3 = 0, GRSN_ALGO_SACD } grsn_algo;
typedef enum { GRSN_NET_GRSN = 0, GRSN_NET_LIF, GRSN_NET_GRU, GRSN_NET_MLP } grsn_net;

#define GRSN_ALGO_NAMES "td3, sacd"
#define GRSN_NET_NAMES "grsn, lif, gru, mlp"

int grsn_algo_from_name(const char *name);   // -1 if unknown
int grsn_net_from_name(const char *name);    // -1 if unknown
const char *grsn_algo_name(grsn_algo a);
const char *grsn_net_name(grsn_net n);

typedef struct {
    grsn_algo algo;
    grsn_net net;
    int obs_dim;            // d_o
    int act_dim;            // continuous: d_a; discrete: number of actions |A|
    int discrete;           // SAC-discrete needs 1, TD3 needs 0
    // Sizes (spec §3): embeddings 8 / 8 / 32, core 128, heads [128, 128].
    int emb_a, emb_r, emb_o, hidden, head_hidden;
    // Training window and batch (spec §5-6): S = 64, B = 32.
    int seq_len, batch;
    // Optimisation (spec §6.1): gamma 0.9, tau 0.005, Adam lr 3e-4 for both nets.
    float gamma, tau, lr;
    // TD3 (spec §7.1): exploration 0.1, target noise 0.2 clipped to 0.5.
    float expl_noise, target_noise, noise_clip;
    int policy_delay;       // 1 (the authors' code); 2 for canonical TD3
    int actor_q1;           // 0: actor maximises min(Q1, Q2) (code); 1: Q1 (canonical)
    // SAC-discrete (spec §7.2): target entropy = scale * ln|A|, scale 0.7; alpha lr 3e-4.
    float target_entropy_scale, alpha_lr;
    // The neuron (threshold, surrogate, decay, reset, substeps for w/o TAP,
    // compat switches). kind/in/hidden are filled in from net and the sizes.
    GrsnCellConfig cell;
} GrsnAgentConfig;

// The paper's configuration for an algorithm, core and environment sizes.
GrsnAgentConfig grsn_agent_defaults(grsn_algo algo, grsn_net net, int obs_dim, int act_dim, int discrete);

typedef struct GrsnAgent GrsnAgent;

// Build the actor, critic and their targets, initialised as in spec §3.4 from
// the "init" stream of `seed`. GRSN_ERR_ARG (with a message naming the field)
// on an impossible config, e.g. td3 with a discrete action space.
grsn_status grsn_agent_create(GrsnAgent **out, const GrsnAgentConfig *cfg, uint64_t seed);
void grsn_agent_free(GrsnAgent *a);
const GrsnAgentConfig *grsn_agent_config(const GrsnAgent *a);

// ----------------------------------------------------------------------------
// Acting

// Floats of recurrent state the caller keeps per episode (the actor core's).
int grsn_agent_state_size(const GrsnAgent *a);

// One decision. state (grsn_agent_state_size) is zero at episode start and
// updated in place; prev_action (act_dim; zeros at episode start, one-hot for
// discrete) and prev_reward (0 at episode start) are the previous step's.
// Writes action (act_dim): TD3 the action in [-1, 1] (plus exploration noise
// N(0, expl_noise^2), clipped, unless deterministic); SAC-discrete a one-hot
// (sampled, or the argmax if deterministic). rng is the exploration stream
// (unused when deterministic). Returns the action index (discrete) or 0.
// spikes, if not NULL, receives the number of core spikes of this decision.
int grsn_agent_act(GrsnAgent *a, float *state, const float *prev_action, float prev_reward,
                   const float *obs, int deterministic, grsn_rng *rng, float *action, int *spikes);

// ----------------------------------------------------------------------------
// Training

typedef struct {
    float q_loss;          // critic loss (Q1 and Q2 terms summed, spec §7)
    float pi_loss;         // actor loss
    float alpha;           // SAC-discrete temperature (after the step); TD3: 0
    float alpha_loss;      // SAC-discrete
    float entropy;         // SAC-discrete policy entropy (masked mean)
    float firing_rate;     // actor core spikes per neuron-step in this batch (spiking cores)
    int actor_stepped;     // 1 if this update stepped the actor (TD3 with policy_delay > 1
                           // skips it; then pi_loss and firing_rate are 0 and not measured)
} GrsnUpdateStats;

// One gradient update on a batch from grsn_seqbuf_sample (spec §7). The batch
// must have the agent's batch and seq_len. target_rng draws TD3's target
// policy noise. GRSN_ERR_NAN if a loss or gradient is not finite: the step of
// the network concerned is not applied, and training should stop there.
grsn_status grsn_agent_update(GrsnAgent *a, const grsn_seqbatch *batch, grsn_rng *target_rng,
                              GrsnUpdateStats *stats);

// Test hook: use these TD3 target-noise values (pre-clip, [S+1][B][d_a])
// instead of drawing them; NULL restores drawing.
void grsn_agent_set_target_noise(GrsnAgent *a, const float *noise);

// ----------------------------------------------------------------------------
// Parameters (for checkpoints and tests)

typedef enum {
    GRSN_PART_ACTOR = 0, GRSN_PART_CRITIC, GRSN_PART_ACTOR_TARGET, GRSN_PART_CRITIC_TARGET,
    GRSN_PART_COUNT
} grsn_agent_part;

// The parameter arena of one part; optimiser state of the actor / critic.
GrsnParams *grsn_agent_params(GrsnAgent *a, grsn_agent_part part);
GrsnAdam *grsn_agent_adam(GrsnAgent *a, grsn_agent_part part);   // ACTOR or CRITIC
float *grsn_agent_log_alpha(GrsnAgent *a);                        // SAC-discrete, else NULL
GrsnAdam *grsn_agent_alpha_adam(GrsnAgent *a);                    // SAC-discrete, else NULL
long grsn_agent_updates(const GrsnAgent *a);                      // updates done so far
void grsn_agent_set_updates(GrsnAgent *a, long updates);          // a loaded agent's count (policy delay)

#ifdef __cplusplus
}
#endif
#endif // GRSN_AGENT_H
