/*
 * grsn_energy.h — operation counts and energy estimates of an agent's
 * networks (paper §5.4, Eq. 15-16; reference-implementation.md §10).
 *
 * A network is described by an operation model: a list of connection blocks
 * (one Linear product each, or one part of it) and the spike sources that
 * feed the spike-driven blocks. A block's cost follows from its sizes and,
 * if spike-fed, from the measured spike count of its source:
 *
 *   real-valued input (Eq. 16):  in x out multiply-accumulates (MACs)
 *   spike input       (Eq. 15):  sum over the T time steps of a decision of
 *                                (spikes of the source) x out accumulates (ACs)
 *   bias (if any):               out additions
 *
 * T = 1 under TAP and T = substeps without TAP. Without TAP the input is
 * the same at every substep, so the real-valued products (gates) run once
 * per decision and only the spiking dynamics repeat. A spike-fed block is
 * charged for the spikes that reach it (Eq. 15): those of all T substeps
 * with rate decoding, those of the last substep only when the cell decodes
 * the last substep (the authors' decode switch; the earlier substeps'
 * spikes then drive no synapse). The firing rate counts every substep.
 *
 * Energy = E_MAC x (ops charged as MACs) + E_AC x (ops charged as
 * additions), after Han et al. 2015: E_AC = 0.9 pJ, E_MAC = 4.6 pJ by
 * default.
 *
 * Two conventions say what is charged (spec §10.4):
 *
 *   GRSN_ENERGY_ACTING (default) — what the acting agent computes for one
 *     decision: the actor only (a QMIX agent: one agent network). MACs at
 *     E_MAC; spike-driven accumulates AND bias additions at E_AC (a bias add
 *     is one 32-bit addition). Element-wise work (activations, neuron state
 *     updates, resets) is counted per block for information but not charged:
 *     Han et al. give no figure for it.
 *   GRSN_ENERGY_PAPER — Table 4 of the paper, as reconciled in spec §10.2:
 *     actor + critic (both Q heads) for the control agents, bias additions
 *     charged as MACs, a spike-fed block charged only its spike-driven ACs,
 *     element-wise work ignored, except the H (= 64) extra operations Table 4
 *     charges per QMIX agent (origin unknown; spec §10.2 "MARL, GRU MLP").
 *     With paper_grsn_fit the control agents' GRSN "MLP" column follows the
 *     empirical fit of §10.2 instead of the consistent rule (see
 *     GrsnEnergyOptions); it is [unverified] and off by default.
 *
 * The Table 4 columns: "MLP" = ops charged at E_MAC outside the GRU block,
 * "RNN" = the GRU block's ops (GRU baseline only), "SNN" = spike-driven ACs;
 * acting mode adds "adds" = bias additions charged at E_AC. The QMIX mixer's
 * count is reported on its own and is in no energy (as in Table 4).
 *
 * Spike counts come from the caller (grsn_energy_set_spikes, set_rate) or
 * from running decisions: grsn_energy_measure drives any decision callback
 * (e.g. a recorded trace), grsn_energy_measure_agent drives a control agent
 * over seeded deterministic episodes and counts every spike of the actor's
 * and the critic's cores exactly, over every substep, and
 * grsn_energy_measure_qmix does the same for a QMIX agent network over
 * greedy episodes, one decision per agent and env step.
 *
 * The energy of a trained QMIX agent, from its checkpoint:
 *
 *   GrsnQmix *q;       GRSN_TRY(grsn_energy_load_qmix("final.grsn", &q));
 *   GrsnQmixArch a;    grsn_energy_qmix_arch(&a, q);
 *   GrsnOpModel m;     GRSN_TRY(grsn_energy_model_qmix(&m, &a, &opt));
 *   GRSN_TRY(grsn_energy_measure_qmix(&m, q, seed, 1024, NULL));
 *   GrsnEnergyReport r;  GRSN_TRY(grsn_energy_count(&r, &m, &opt));
 *   grsn_qmix_free(q);
 */
#ifndef GRSN_ENERGY_H
#define GRSN_ENERGY_H

#include "grsn.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----------------------------------------------------------------------------
// Options

typedef enum { GRSN_ENERGY_ACTING = 0, GRSN_ENERGY_PAPER } grsn_energy_convention;

#define GRSN_ENERGY_CONVENTION_NAMES "acting, paper"

typedef struct {
    grsn_energy_convention convention;
    double e_ac_pj;       // energy of one accumulate (32-bit float add), 0.9 pJ
    double e_mac_pj;      // energy of one multiply-accumulate, 4.6 pJ
    int paper_grsn_fit;   // PAPER, control agents, spiking cores: charge the MLP column as
                          // Table 4 does (spec §10.2, empirical): gate biases not charged and
                          // one of the three hidden x head_hidden spike-fed blocks (the actor's)
                          // charged as dense MACs instead of accumulates. Reproduces
                          // 108.19 / 108.05 / 108.55 K. Default 0.
} GrsnEnergyOptions;

// acting, 0.9 pJ, 4.6 pJ, no fit.
GrsnEnergyOptions grsn_energy_options_default(void);
// x in thousands, rounded half up to two decimals as Table 4 prints its
// K columns (35,745 -> 35.75).
double grsn_energy_k(double x);
// "acting" or "paper"; -1 if unknown.
int grsn_energy_convention_from_name(const char *name);
const char *grsn_energy_convention_name(grsn_energy_convention c);

// ----------------------------------------------------------------------------
// Operation model

#define GRSN_ENERGY_MAX_BLOCKS 32
#define GRSN_ENERGY_MAX_SOURCES 4

typedef enum {
    GRSN_BLOCK_DENSE = 0,  // real-valued input: in x out MACs (embeddings, gates, shortcut, heads)
    GRSN_BLOCK_SPIKE,      // spike input from `source`: spikes x out ACs (Eq. 15)
    GRSN_BLOCK_RNN,        // a product of the GRU baseline (W_ih x or W_hh h): MACs, "RNN" column
} grsn_block_kind;

// A population of spiking neurons whose output feeds spike-driven blocks.
typedef struct {
    char name[32];         // e.g. "actor.core"
    int neurons;           // N
    int T;                 // time steps per decision: 1 under TAP, substeps without
    int fed_T;             // of those, the steps whose spikes reach the blocks fed:
                           // T (rate decoding) or 1 (the last substep decoded)
    double spikes;         // mean spikes per decision, summed over the T steps
    double fed;            // mean spikes per decision that reach the blocks fed (Eq. 15)
    long long total;       // spikes counted over `samples` decisions (measured), exact
    long long fed_total;   // of which reached the blocks fed, exact
    long samples;          // decisions measured; 0 when spikes was set by hand
} GrsnSpikeSource;

// One connection block.
typedef struct {
    char name[40];         // e.g. "actor.head.0[z]"
    grsn_block_kind kind;
    int in, out;           // fan-in and fan-out widths
    int bias;              // 1: out bias additions
    int source;            // SPIKE: index into the model's sources; otherwise -1
    double elem;           // element-wise operations per decision after this block (information)
    double paper_extra;    // operations Table 4 charges beyond in x out + bias (PAPER only)
} GrsnOpBlock;

typedef struct {
    char title[96];
    int nblocks, nsources;
    GrsnOpBlock block[GRSN_ENERGY_MAX_BLOCKS];
    GrsnSpikeSource source[GRSN_ENERGY_MAX_SOURCES];
    int has_mixer;         // QMIX: mixer[] holds the mixing network
    int nmixer;
    GrsnOpBlock mixer[8];  // its dense hypernetwork layers, for one state
} GrsnOpModel;

// The blocks of a control agent (spec §3, §10.3), per decision: ACTING the
// actor; PAPER the actor and the critic with both Q heads (never targets).
// Spike sources "actor.core" (and "critic.core" for PAPER) with spikes 0
// until measured or set. GRSN_ERR_ARG for an impossible config.
grsn_status grsn_energy_model_agent(GrsnOpModel *m, const GrsnAgentConfig *cfg,
                                    const GrsnEnergyOptions *opt);

// A QMIX agent network (spec §9.4, §10.3): x = ReLU(fc1(obs + onehot(last
// action) + onehot(agent id))), core (GRSN, LIF, GRU; MLP: a 64 -> 64 ReLU
// layer), Q = fc2(core output) (or, with decoder_hidden,
// fc2(ReLU(dec(core output)))). Counted per agent per step; the mixer (spec
// §10.2: hypernetworks of width hypernet_embed on the state, mixing width
// embed) is counted per state.
typedef struct {
    grsn_net net;
    int obs_dim, n_actions, n_agents, state_dim;
    int hidden;            // 64
    int decoder_hidden;    // 0: Q = fc2(core output), the paper's; N: fc2(ReLU(dec(core output)))
    int embed;             // mixer embedding width, 32
    int hypernet_embed;    // hypernetwork hidden width, 64
    int substeps;          // 1 = TAP
    grsn_decode decode;    // without TAP: what fc2 reads of the substeps (RATE: all; LAST: the last)
    grsn_gate_source gates; // GRSN: what the gates read (INPUT, the paper's)
    grsn_readout readout;   // what the core hands to fc2 (SPIKES, the paper's)
    int leaky_outputs;      // 1: Q from leaky output neurons (--q-leak), 2 n_actions
                            // element-wise operations per decision (not charged)
} GrsnQmixArch;

// The arch of a SMAC map with pymarl's inputs (state with last actions,
// agent input obs + n_actions + n_agents), hidden 64, embed 32, hypernet 64.
grsn_status grsn_energy_qmix_arch_smac(GrsnQmixArch *a, const char *map, grsn_net net);
grsn_status grsn_energy_model_qmix(GrsnOpModel *m, const GrsnQmixArch *a, const GrsnEnergyOptions *opt);

// Index of a spike source by name, -1 if absent.
int grsn_energy_find_source(const GrsnOpModel *m, const char *name);
// Set a source's mean spikes per decision (summed over its T steps), or its
// firing rate (spikes per neuron per time step). The spikes that reach the
// blocks fed are taken as fed_T / T of them (each substep firing alike).
// GRSN_ERR_ARG for an unknown name, a negative or non-finite value, or more
// than neurons x T spikes.
grsn_status grsn_energy_set_spikes(GrsnOpModel *m, const char *name, double spikes);
grsn_status grsn_energy_set_rate(GrsnOpModel *m, const char *name, double rate);
// Firing rate of source i: spikes / (neurons x T).
double grsn_energy_rate(const GrsnOpModel *m, int i);

// ----------------------------------------------------------------------------
// Counting

// The cost of one block under a convention.
typedef struct {
    double macs;           // in x out for DENSE and RNN blocks
    double acs;            // spike-driven accumulates: spikes x out (SPIKE blocks)
    double bias;           // bias additions: out, or 0
    double elem;           // element-wise operations (not charged)
    double mac_ops;        // charged at E_MAC (PAPER: macs + bias + paper_extra, SPIKE: 0)
    double add_ops;        // charged at E_AC (ACTING: acs + bias; PAPER: acs)
    double pj;             // mac_ops E_MAC + add_ops E_AC
} GrsnBlockCost;

typedef struct {
    int nblocks;
    GrsnBlockCost block[GRSN_ENERGY_MAX_BLOCKS];
    // Table 4 columns, operations per decision (not thousands).
    double mlp;            // mac_ops of DENSE blocks
    double rnn;            // mac_ops of RNN blocks (GRU baseline)
    double snn;            // spike-driven ACs
    double adds;           // ACTING: bias additions charged at E_AC; PAPER: 0
    double elem;           // element-wise operations (not charged)
    double energy_pj;      // E_MAC (mlp + rnn) + E_AC (snn + adds)
    double mixer;          // QMIX: mixer operations per state (MACs + bias), else 0
} GrsnEnergyReport;

// Cost every block of m. GRSN_ERR_ARG for a negative or non-finite energy
// constant, or spike counts outside [0, neurons x T].
grsn_status grsn_energy_count(GrsnEnergyReport *r, const GrsnOpModel *m, const GrsnEnergyOptions *opt);

// ----------------------------------------------------------------------------
// Measuring spikes

// One decision of the network being measured: write the number of spikes
// emitted by each source of the model during this decision, summed over its
// T steps, into spikes[nsources], and of those the number that reach the
// blocks the source feeds into fed[nsources] (spikes of the last substep
// for a source with fed_T = 1 < T). A fed[i] left at -1 means all of
// spikes[i]. Return GRSN_OK or a failure to stop.
typedef grsn_status (*grsn_energy_decision_fn)(void *user, long long *spikes, long long *fed);

// Run `samples` decisions and set every source's exact totals and its means
// per decision. samples must be >= 1.
grsn_status grsn_energy_measure(GrsnOpModel *m, grsn_energy_decision_fn decide, void *user, long samples);

// Measure a control agent (model from grsn_energy_model_agent with the
// agent's config): deterministic episodes (TD3: mu; SAC-discrete: argmax)
// on `env` from zero state, the actor state carried through each episode
// (TAP); the first `samples` decisions are counted. The critic's core, if
// the model has one, is run on the same inputs (a_{t-1}, r_{t-1}, o_t) with
// its own carried state. Spikes are counted over every substep. The env's
// stream advances. GRSN_ERR_ARG if the agent does not fit env or model.
grsn_status grsn_energy_measure_agent(GrsnOpModel *m, GrsnAgent *agent, grsn_env *env, long samples);

// ----------------------------------------------------------------------------
// Measuring QMIX agents

typedef struct GrsnQmix GrsnQmix;   // grsn_qmix.h

// A QMIX checkpoint loaded for measuring: the learner its metadata describes,
// built with one environment and a one-episode buffer (acting stores
// nothing; the default buffer of a large map would not fit in memory), with
// its networks, counters and streams restored. Errors as grsn_qmix_ckpt_load
// (GRSN_ERR_IO: unreadable; GRSN_ERR_FORMAT: corrupt, foreign or a
// control-task checkpoint), naming the file. *out is set only on success.
grsn_status grsn_energy_load_qmix(const char *path, GrsnQmix **out);

// The arch of a QMIX learner: its map's sizes, its widths and substeps.
void grsn_energy_qmix_arch(GrsnQmixArch *a, const GrsnQmix *q);

// What a QMIX measurement played.
typedef struct {
    long decisions;        // agent decisions counted (the samples)
    long env_steps;        // environment steps they span (the last counted in part if
                           // samples is not a multiple of n_agents)
    int episodes;          // episodes begun
    int finished, won;     // of which finished, and won
} GrsnEnergyQmixPlay;

// Measure a QMIX learner's agent network (model from grsn_energy_model_qmix
// with grsn_energy_qmix_arch(q)). One decision is one agent at one
// environment step, the unit of Table 4's SMAC rows and of the model ("per
// agent and step"). Greedy episodes are played on an environment of their own
// drawing from stream (seed, GRSN_STREAM_EVAL_ENV) (grsn_qmix_player_create),
// every agent's core state carried through its episode (TAP); the first
// `samples` decisions, in the order (step, agent), are counted, dead agents
// included (the network runs for them as in training), spikes over every
// substep. info may be NULL. GRSN_ERR_ARG if the model does not fit q.
grsn_status grsn_energy_measure_qmix(GrsnOpModel *m, GrsnQmix *q, uint64_t seed, long samples,
                                     GrsnEnergyQmixPlay *info);

// ----------------------------------------------------------------------------
// Table 4

// One row: the GRU and GRSN agents of a task in the PAPER convention. The
// control tasks "pendulum-p", "pendulum-v", "cartpole-p", "cartpole-v" (TD3
// for Pendulum, SAC-discrete for CartPole); the SMAC maps "8m", "2s3z",
// "8m_vs_9m", "3s_vs_5z", "27m_vs_30m", "MMM2". GRSN side at the given firing
// rate of every spiking core.
typedef struct {
    char task[16];
    double gru_mlp, gru_rnn, gru_energy_pj;
    double grsn_mlp, grsn_snn, grsn_energy_pj;
    double mixer;          // -1 for control tasks
} GrsnTable4Row;

#define GRSN_TABLE4_ROWS 10
// The task of row i (0..9), in the paper's order.
const char *grsn_table4_task(int i);
// The row computed from the architectures (opt: constants and the fit; the
// convention is forced to PAPER).
grsn_status grsn_energy_table4_row(GrsnTable4Row *row, const char *task, double grsn_rate,
                                   const GrsnEnergyOptions *opt);
// The row as printed in the paper (spec §10.2), converted from K to
// operations and pJ (x 1000); GRSN_ERR_ARG for an unknown task.
grsn_status grsn_energy_table4_paper(GrsnTable4Row *row, const char *task);

// One trained GRSN agent measured for Table 4: its columns as a row of its
// own (row.task names its task; the GRU columns are those of the GRU agent of
// the same sizes, mixer -1 for control tasks) and the firing rates of its
// spiking cores (QMIX: rate[0] the agents' core, rate[1] 0; control: the
// actor's and the critic's).
typedef struct {
    GrsnTable4Row row;
    double rate[2];
} GrsnTable4Measure;

// Measure the checkpoint at `path`, control or QMIX, in the paper convention
// (opt's constants and fit; the convention is forced to PAPER): its spikes
// counted over `samples` decisions on the evaluation stream of `seed`, as
// grsn_energy_measure_agent and grsn_energy_measure_qmix do. Errors name the
// file: GRSN_ERR_IO / GRSN_ERR_FORMAT as the loaders give them, GRSN_ERR_ARG
// for a task or map outside Table 4, an agent whose core is not grsn, or one
// that is not the paper's agent (without TAP, gates on the spikes, membrane
// readout, an MLP decoder or leaky Q outputs).
grsn_status grsn_energy_table4_measure(GrsnTable4Measure *t, const char *path, long samples, uint64_t seed,
                                       const GrsnEnergyOptions *opt);

// The mean of those of t[0..n) measured on row->task, written into row's
// GRSN and GRU columns (task and mixer kept) and, if rate is not NULL, the
// mean rates into rate[2]. Returns how many were averaged; with none, row
// and rate are left as they were.
int grsn_energy_table4_mean(GrsnTable4Row *row, double *rate, const GrsnTable4Measure *t, int n);

#ifdef __cplusplus
}
#endif
#endif // GRSN_ENERGY_H
