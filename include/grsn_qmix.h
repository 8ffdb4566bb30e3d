/*
 * grsn_qmix.h — QMIX on the SMAC-compatible simulator (paper Table 2;
 * reference-implementation.md §9), with the pymarl2 defaults of §9.2 and the
 * update of §9.3.
 *
 * Agent network, one for all agents (parameter sharing, §9.2, §9.4):
 *   x_t = [obs_t, onehot(own last action; zeros at t = 0), onehot(agent id)]
 *   z_t = core(ReLU(fc1(x_t)))        fc1: d_in -> 64; core: GRSN, LIF or GRU, 64 units
 *   Q_t = fc2(z_t)                    64 -> n_actions (fed by spikes for GRSN and LIF)
 * The core's state is carried across the episode (TAP): acting runs
 * grsn_cell_step once per decision, training runs grsn_cell_forward over the
 * episode from a zero state, and both are the same recurrence. The w/o-TAP
 * ablation is cell.substeps > 1 (spiking cores only).
 *
 * Mixer (pymarl2 nmix, §9.2-9.3), fed by the global state s (with the last
 * actions, the simulator's default):
 *   W1 = |hyper_w1(s)| [n_agents][32],  hyper_w1 = Linear(S,64)-ReLU-Linear(64, n_agents*32)
 *   b1 = hyper_b1(s) [32],              hyper_b1 = Linear(S,32)
 *   w2 = |hyper_w2(s)| [32],            hyper_w2 = Linear(S,64)-ReLU-Linear(64,32)
 *   b2 = hyper_b2(s),                   hyper_b2 = Linear(S,32)-ReLU-Linear(32,1)
 *   Q_tot = w2 . ELU(q W1 + b1) + b2
 * so dQ_tot/dq_a >= 0 for every agent (monotonicity).
 *
 * Learner (§9.3): double-Q TD(lambda) targets through the target networks,
 * loss 1/2 masked MSE, one optimiser step (Adam, or RMSprop) with the gradient
 * norm of agent and mixer clipped together, target networks hard-copied every
 * 200 episodes. Episodes are stored whole in a ring buffer, padded to
 * episode_limit + 1 steps, each step as the simulator's snapshot
 * (grsn_smac.h), from which the sampled episodes' observations, states and
 * masks are rebuilt bit for bit.
 *
 * A training loop (what `grsn train --algo qmix` runs):
 *
 *   GrsnQmixConfig c = grsn_qmix_defaults("8m", GRSN_NET_GRSN);
 *   GrsnQmix *q; GRSN_TRY(grsn_qmix_create(&q, &c, seed));
 *   while (grsn_qmix_counters(q)->env_steps < t_max) {
 *       GrsnQmixRollout r;  GRSN_TRY(grsn_qmix_rollout(q, &r));        // n_envs episodes
 *       GrsnQmixStats s;    if (grsn_qmix_can_update(q)) GRSN_TRY(grsn_qmix_update(q, &s));
 *       every 10k env steps: GrsnQmixTest t; GRSN_TRY(grsn_qmix_test(q, 32, &t));
 *   }
 *
 * Determinism: randomness comes from explicit streams of the seed (init,
 * explore, replay; the training environments (seed, GRSN_STREAM_ENV + i), the
 * test environments (seed, GRSN_STREAM_EVAL_ENV + i)). Environments step in
 * parallel and the network kernels split only independent rows, so a run is
 * identical for any thread count (grsn_set_threads). Nothing allocates after
 * grsn_qmix_create.
 */
#ifndef GRSN_QMIX_H
#define GRSN_QMIX_H

#include "grsn.h"
#include "grsn_agent.h"   // grsn_net

#ifdef __cplusplus
extern "C" {
#endif

// The recurrent cores QMIX takes (grsn_net values; "mlp" is refused).
#define GRSN_QMIX_NET_NAMES "grsn, lif, gru"

// Parse a net name for QMIX; GRSN_ERR_ARG names the valid choices.
grsn_status grsn_qmix_net_from_name(const char *name, grsn_net *out);

// The optimiser: Adam (pymarl2, the default) or RMSprop (oxwhirl/pymarl).
typedef enum { GRSN_QMIX_ADAM = 0, GRSN_QMIX_RMSPROP = 1 } grsn_qmix_optimizer;

// ----------------------------------------------------------------------------
// Configuration (defaults: pymarl2, reference-implementation.md §9.2)

typedef struct {
    char map[32];               // a SMAC map: grsn_smac_map_name(i)
    grsn_net net;               // GRSN_NET_GRSN, GRSN_NET_LIF or GRSN_NET_GRU
    int n_envs;                 // parallel training (and test) environments: 8
    // Network sizes (§9.2, §10.2): fc1 and the core 64; mixer embed 32, hypernet 64.
    int hidden, mixer_embed, hypernet_embed;
    // 0: Q = fc2(core output), the paper's linear decoder (§9.4). N > 0 (not
    // the paper's agent): an MLP decoder, Q = fc2(ReLU(dec(core output))),
    // dec: hidden -> N, fed by the spikes of a spiking core.
    int decoder_hidden;
    // 0: Q = the decoder's output (the paper's). In (0, 1) (not the paper's
    // agent): Q is read from non-spiking leaky output neurons,
    // y_t = q_leak y_{t-1} + fc2(...)_t, carried through the episode like the core.
    float q_leak;
    // 0: the spike readout from the start (the paper's). N > 0 (a training
    // schedule, not the paper's): a spiking core's output is o_t + m (u_t - o_t),
    // m = 1 (the membrane readout) up to env step readout_anneal_start, then
    // falling linearly to 0 at env step N; from then on the agent is the paper's.
    long readout_anneal, readout_anneal_start;
    // Learning (§9.2-9.3).
    int batch;                  // episodes per update: 128
    int buffer;                 // episodes kept: 5000
    grsn_qmix_optimizer optimizer; // GRSN_QMIX_ADAM
    float lr;                   // 1e-3
    float optim_alpha, optim_eps; // RMSprop only: smoothing 0.99, epsilon 1e-5 (pymarl)
    float gamma;                // 0.99
    float td_lambda;            // 0.6
    float grad_clip;            // gradient-norm clip over agent + mixer: 10
    float eps_start, eps_finish;// epsilon-greedy: 1.0 -> 0.05
    long eps_anneal;            // ... linearly over 100,000 env steps
    int target_update_episodes; // hard target copy every 200 episodes
    // Simulator options (smac-simulator.md §2, §13.3).
    int state_last_action;      // 1: the mixer's state ends with all last actions
    grsn_smac_unit_table units; // GRSN_SMAC_UNITS_LIBERTY
    int push_first;             // 0 (grsn_smac_config.push_first)
    int obs_own_cooldown;       // 0 (grsn_smac_config.obs_own_cooldown; a diagnostic, not SMAC's)
    // The neuron: threshold, surrogate, decay, reset, substeps (w/o TAP).
    // kind, in and hidden are set from net and hidden at create.
    GrsnCellConfig cell;
} GrsnQmixConfig;

// pymarl2's defaults for a map and core. Does not check the map (create does).
GrsnQmixConfig grsn_qmix_defaults(const char *map, grsn_net net);

// The learner's own checks, which grsn_qmix_create makes: the net, sizes,
// rates and schedules, and the settings that must agree with each other. Does
// not check the map or the cell's wiring (create does).
grsn_status grsn_qmix_check(const GrsnQmixConfig *c);

// The learner of oxwhirl/pymarl's QMIX instead (reference-implementation.md
// §9.2, "qmix.preset = pymarl"): RMSprop at lr 5e-4 (alpha 0.99, eps 1e-5),
// 1-step double-Q targets (td_lambda 0), batches of 32 episodes, one
// environment (its episode runner), epsilon annealed over 50,000 steps.
// Buffer, gamma, clip, target copies and the networks stay as they are.
void grsn_qmix_preset_pymarl(GrsnQmixConfig *c);

typedef struct GrsnQmix GrsnQmix;

// Build the simulators (n_envs training and n_envs test environments), the
// online and target networks (PyTorch's default init from the "init" stream;
// targets start as copies), the optimiser and the episode buffer. GRSN_ERR_ARG
// with a message listing the choices for an unknown map or an unsupported net, or
// naming the field of another impossible setting.
grsn_status grsn_qmix_create(GrsnQmix **out, const GrsnQmixConfig *cfg, uint64_t seed);
void grsn_qmix_free(GrsnQmix *q);
const GrsnQmixConfig *grsn_qmix_config(const GrsnQmix *q);
grsn_smac_dims grsn_qmix_dims(const GrsnQmix *q);
// Agent network input width: obs_dim + n_actions + n_agents.
int grsn_qmix_input_dim(const GrsnQmix *q);

// ----------------------------------------------------------------------------
// Progress counters (part of a checkpoint)

typedef struct {
    long env_steps;             // agent steps taken in training episodes (pymarl's t_env)
    long episodes;              // training episodes played
    long updates;               // gradient updates done
    long last_target_update;    // `episodes` when the targets were last copied
} GrsnQmixCounters;

GrsnQmixCounters *grsn_qmix_counters(GrsnQmix *q);
// Epsilon at the current env_steps: max(finish, start - (start - finish) t / anneal) (§9.3).
float grsn_qmix_epsilon(const GrsnQmix *q);
// The neuron configuration the learner builds its cores with: cfg->cell, with
// readout_blend set when a readout anneal runs (checked against the net by
// grsn_cell_check_wiring).
GrsnCellConfig grsn_qmix_cell_config(const GrsnQmixConfig *cfg);
// The membrane share m of the agents' core output at the current env_steps t:
// with a readout anneal from S = readout_anneal_start to N = readout_anneal,
// 1 up to S, (N - t) / (N - S) between, 0 from N on; 0 without one.
float grsn_qmix_membrane_share(const GrsnQmix *q);

// ----------------------------------------------------------------------------
// Acting and training

typedef struct {
    int episodes;               // n_envs
    long env_steps;             // summed episode lengths
    int wins;
    double return_sum;          // summed episode returns
    float epsilon;              // used for the whole rollout
    float firing_rate;          // spiking cores: spikes per neuron-decision, all agents (else 0)
} GrsnQmixRollout;

// Play one episode in each training environment, epsilon-greedy over the
// available actions (unavailable ones are never chosen), and store them in
// the episode buffer. Advances env_steps and episodes.
grsn_status grsn_qmix_rollout(GrsnQmix *q, GrsnQmixRollout *r);

// Whether the buffer holds at least `batch` episodes.
int grsn_qmix_can_update(const GrsnQmix *q);

typedef struct {
    float loss;                 // 1/2 masked MSE of Q_tot against the TD(lambda) targets
    float grad_norm;            // before clipping
    float q_taken_mean;         // masked mean of Q_tot(taken actions)
    float target_mean;          // masked mean of the TD(lambda) targets
    float td_error_abs;         // masked mean |Q_tot - target|
    float firing_rate;          // online core spikes per neuron-step over the batch
    int steps;                  // padded transitions in this batch (longest episode)
    int target_updated;         // 1 if the targets were copied after this update
} GrsnQmixStats;

// One update (§9.3) on `batch` episodes sampled uniformly without replacement
// from the buffer (replay stream), then the hard target copy when
// target_update_episodes have passed. GRSN_ERR_ARG if the buffer is too
// small; GRSN_ERR_NAN (step not applied) on a non-finite loss or gradient.
grsn_status grsn_qmix_update(GrsnQmix *q, GrsnQmixStats *s);

typedef struct {
    int episodes;
    float win_rate;             // fraction of episodes won
    float return_mean, return_std;
    float length_mean;          // agent steps per episode
    float firing_rate;          // spiking cores: spikes per neuron-decision
} GrsnQmixTest;

// Greedy test episodes (epsilon 0, §9.3) on the test environments, n_envs at
// a time; not stored and not counted in env_steps. n_episodes >= 1.
grsn_status grsn_qmix_test(GrsnQmix *q, int n_episodes, GrsnQmixTest *out);

// ----------------------------------------------------------------------------
// Greedy play, one environment step at a time (measurements: grsn_energy.h)

// Decentralised execution: the greedy decisions of the n_agents agents of q's
// online agent network, from what each agent sees, for a program that runs
// the agents in a world of its own (examples/embed_qmix.c). Per agent a:
// obs[a][obs_dim] its observation, avail[a][n_actions] its action mask (1 =
// available), last[a] its previous action (-1 at the start of an episode),
// state the agents' core states, n_agents * grsn_qmix_agent_state_size floats
// (zeros at the start of an episode), updated in place: under TAP one neuron
// update per decision. The team's state is laid out as one batch (the n
// cores, then, with leaky outputs, the n agents' output neurons), so treat it
// as a whole; grsn_qmix_act_agent keeps each agent's state on its own.
// Writes actions[n_agents], the best available action of each, and, if not
// NULL, spikes[n_agents], each core's spikes in this decision over every
// substep (0 for a GRU core). The mixer and the global state are not needed
// to act. GRSN_ERR_ARG for a last action outside -1..n_actions-1,
// GRSN_ERR_ACTION for an agent with no available action. Uses q's acting
// scratch: not concurrently with q's other calls. Allocates nothing.
int grsn_qmix_agent_state_size(const GrsnQmix *q);
grsn_status grsn_qmix_act(GrsnQmix *q, float *state, const float *obs, const uint8_t *avail, const int32_t *last,
                          int32_t *actions, long long *spikes);

// One agent's greedy decision, for a program that runs each agent on its own
// (its own thread, process or chip): agent is its id (0..n_agents-1, which
// its network input encodes), state[grsn_qmix_agent_state_size] its core
// state, obs[obs_dim], avail[n_actions] and last as above; writes *action and,
// if not NULL, *spikes. Agent by agent, it decides exactly as grsn_qmix_act
// decides for the team, bit for bit. The same errors, and GRSN_ERR_ARG for an
// agent id out of range. Uses q's acting scratch, so agents sharing one q
// take turns; agents acting at once each need their own learner (or loaded
// checkpoint). Allocates nothing.
grsn_status grsn_qmix_act_agent(GrsnQmix *q, int agent, float *state, const float *obs, const uint8_t *avail,
                                int32_t last, int32_t *action, long long *spikes);

// The simulator config of a learner of config c: its map, unit data and SMAC
// options, c->n_envs environments drawing from streams (seed, stream + i).
// The world its agents train and test in, for a program to run them in.
void grsn_qmix_smac_config(const GrsnQmixConfig *c, grsn_smac_config *s, uint64_t seed, uint64_t stream);

// A greedy player of q's online agent network on a simulator of its own: one
// environment of q's map, drawing from stream (seed, stream), e.g.
// (seed, GRSN_STREAM_EVAL_ENV), which is what environment 0 of the test
// environments of a learner created with that seed draws from. Episodes
// follow one another, each from a zero core state and no last actions, and
// every agent acts as in grsn_qmix_test: greedy over its available actions
// (grsn_qmix_act on the simulator's outputs).
// Spikes are counted exactly, per agent and over every substep of a
// decision. The player borrows q's online networks and acting scratch: free
// it before q and do not run it concurrently with q's own calls. Everything
// is allocated here; steps do not allocate.
typedef struct GrsnQmixPlayer GrsnQmixPlayer;

grsn_status grsn_qmix_player_create(GrsnQmixPlayer **out, GrsnQmix *q, uint64_t seed, uint64_t stream);
void grsn_qmix_player_free(GrsnQmixPlayer *p);

typedef struct {
    int t;                      // step of its episode (0: the episode began with this step)
    int done;                   // this step ended the episode (won, lost, drawn or timed out)
    int won;                    // ... with a win
    float reward;               // the team reward of this step
    grsn_smac_info info;        // the simulator's outcome of this step (dead units, how it ended)
} GrsnQmixPlayStep;

// One environment step: each of the n_agents agents decides (one decision
// = one agent at one step, dead agents included: the network runs for every
// agent, as in training) and the environment steps. spikes[n_agents] (may be
// NULL) receives the spikes each agent's core emitted in its decision,
// summed over the substeps (0 for a GRU core). Actions in actions[n_agents]
// (may be NULL). A step after the end of an episode begins the next one.
grsn_status grsn_qmix_player_step(GrsnQmixPlayer *p, long long *spikes, int32_t *actions, GrsnQmixPlayStep *s);

// Begin the next episode now if none is under way (a no-op otherwise), so
// that its first state can be read from grsn_qmix_player_env before the
// first step; grsn_qmix_player_step would begin it too.
grsn_status grsn_qmix_player_begin(GrsnQmixPlayer *p);

// The player's simulator (its environment 0), to read units from
// (grsn_smac_get_units) between steps. Owned by the player.
const grsn_smac *grsn_qmix_player_env(const GrsnQmixPlayer *p);
// The spikes each agent's decoder read in the last grsn_qmix_player_step,
// [n_agents]: those of every substep with rate decoding, of the last substep
// when the cell decodes the last (0 for a GRU core). Energy counts these
// (Eq. 15); the firing rate counts every spike.
const long long *grsn_qmix_player_decoded(const GrsnQmixPlayer *p);

// ----------------------------------------------------------------------------
// State for checkpoints and tests

typedef enum { GRSN_QMIX_ONLINE = 0, GRSN_QMIX_TARGET, GRSN_QMIX_PART_COUNT } grsn_qmix_part;
typedef enum { GRSN_QMIX_RNG_EXPLORE = 0, GRSN_QMIX_RNG_REPLAY, GRSN_QMIX_RNG_COUNT } grsn_qmix_rng;

// Parameter arena of the online or target networks: agent tensors are named
// "agent.fc1.w", "agent.fc1.b", "agent.cell.*" (grsn_cell_init's names),
// "agent.fc2.*"; mixer tensors "mixer.hyper_w1.0.w" .. "mixer.hyper_w1.1.b",
// "mixer.hyper_b1.w/b", "mixer.hyper_w2.0.*", "mixer.hyper_w2.1.*",
// "mixer.hyper_b2.0.*", "mixer.hyper_b2.1.*". Weights are [out][in].
GrsnParams *grsn_qmix_params(GrsnQmix *q, grsn_qmix_part part);
// The optimiser's state: Adam's (NULL under RMSprop) or RMSprop's (NULL under Adam).
GrsnAdam *grsn_qmix_adam(GrsnQmix *q);
GrsnRMSprop *grsn_qmix_rmsprop(GrsnQmix *q);
// The learner's own random streams (the simulators own theirs).
grsn_rng *grsn_qmix_rng_state(GrsnQmix *q, grsn_qmix_rng which);
// The stream of training environment `env` (test 0) or of test environment
// `env` (test 1), 0 <= env < n_envs; NULL otherwise (grsn_smac_rng). With the
// episode buffer, the streams are the learner's state beyond a checkpoint
// (a run's resume state, grsn_train_qmix.h).
grsn_rng *grsn_qmix_env_rng(GrsnQmix *q, int test, int env);

// The episode buffer: a ring of `buffer` slots that fills slots 0, 1, ...
// and, once full, overwrites the oldest episode at the head.
typedef struct {
    int len;                    // transitions
    size_t snapshot_bytes;      // grsn_smac_snapshot_bytes of the map
    const uint8_t *snapshots;   // [len + 1][snapshot_bytes]: grsn_smac_observe gives obs, state, masks
    const uint8_t *actions;     // [len + 1][n_agents], 0 at step len (no decision there)
    const float *reward;        // [len]
    const uint8_t *terminated;  // [len]
} GrsnQmixEpisode;

// Episodes currently stored in the buffer (slots 0 .. size-1).
int grsn_qmix_buffer_size(const GrsnQmix *q);
// The slot the next rollout's first episode goes to.
int grsn_qmix_buffer_head(const GrsnQmix *q);
// The episode in `slot`, pointing into the buffer until the next rollout.
// GRSN_ERR_ARG for a slot outside [0, size).
grsn_status grsn_qmix_buffer_episode(const GrsnQmix *q, int slot, GrsnQmixEpisode *e);

#ifdef __cplusplus
}
#endif
#endif // GRSN_QMIX_H
