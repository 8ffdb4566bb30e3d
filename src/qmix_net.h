/*
 * qmix_net.h — the pieces of QMIX below the public learner
 * (reference-implementation.md §9.2-9.4): the shared agent network, the
 * hypernetwork mixer, a time-major batch of padded episodes, the TD(lambda)
 * targets, and the learner core that runs one update (§9.3) on such a batch.
 * The core knows nothing about the simulator, so tests drive it with tiny
 * sizes and PyTorch fixtures.
 *
 * Row layout: the agent network runs over rows (t, b, agent), row =
 * (t*B + b)*n_agents + agent; the mixer over rows (t, b), row = t*B + b.
 */
#ifndef GRSN_QMIX_NET_H
#define GRSN_QMIX_NET_H

#include "common.h"

// ----------------------------------------------------------------------------
// Agent network (§9.2, §9.4): Q = fc2(core(ReLU(fc1(x)))), the paper's
// linear decoder; with decoder > 0 (not the paper's agent) an MLP decoder,
// Q = fc2(ReLU(dec(core(...)))), dec: hidden -> decoder.
//
// With leak > 0 (not the paper's agent) the Q values are non-spiking leaky
// output neurons: y_t = leak y_{t-1} + fc2(...)_t, Q_t = y_t, from y = 0 at
// the start of a window or episode. fc2 still reads only the spikes; by
// linearity this is fc2 applied to an exponential trace of the spikes.
// Its state y [B][n_actions] sits after the core's [B][state_size] in the
// carried state of qagent_step.

typedef struct {
    grsn_net net;
    int d_in, hidden, decoder, n_actions;
    float leak;               // leaky output neurons: 0 (the paper's agent: Q = fc2(...))
    int max_rows;             // max_T * max_B
    GrsnLinear fc1, fc2;      // d_in -> hidden, (decoder or hidden) -> n_actions
    GrsnLinear dec;           // hidden -> decoder, when decoder > 0
    GrsnCell cell;            // GRSN / LIF / GRU, hidden -> hidden
    float *h1;                // ReLU(fc1 x), [rows][hidden]
    float *z;                 // core output (spikes, rates or GRU h), [rows][hidden]
    float *d1;                // ReLU(dec z), [rows][decoder]
    float *q;                 // Q values, [rows][n_actions]
    float *dz, *dh1, *dd1;    // backward scratch, [rows][hidden] (dd1: [rows][decoder])
    float *state0;            // zero initial state of a window, [max_B][state_size]
    float *y0, *dy, *dq_in;   // leak > 0: carried y and its adjoint [max_B][n_actions]; dq of fc2 [rows][n_actions]
} QAgent;

// max_B: rows per time step (batch * n_agents, or envs * n_agents when acting).
// decoder: 0 for the paper's linear fc2, else the width of the MLP decoder.
// leak: 0 for the paper's Q = fc2(...), else the decay of leaky output neurons, in (0, 1).
grsn_status qagent_init(QAgent *a, GrsnParams *p, const char *prefix, grsn_net net, const GrsnCellConfig *cell,
                        int d_in, int hidden, int decoder, float leak, int n_actions, int max_T, int max_B);
void qagent_free(QAgent *a);
// PyTorch's defaults: nn.Linear for fc1, dec, fc2 and the spiking gates (GRSN: w_f,
// w_i, b_f, b_i ~ U(+-1/sqrt(in)), and with gates on the spikes also the input
// current's w_in, b_in; a = logit(beta)); nn.GRUCell U(+-1/sqrt(H)).
void qagent_reset_parameters(QAgent *a, grsn_rng *rng);
// Floats of carried state per row: the core's, plus n_actions with leak > 0.
// A state of B rows is [B][core state] followed by [B][n_actions].
int qagent_state_size(const QAgent *a);

// Over a window from a zero state: x [T][B][d_in], mask [T][B] (or NULL).
// Returns a->q, [T][B][n_actions]; masked rows are 0. grad = 0 (the target
// agent) skips the spiking cells' per-substep caches, which only backward reads.
const float *qagent_forward(QAgent *a, const float *x, const float *mask, int T, int B, int grad);
// dq [T][B][n_actions], after a forward with grad = 1; accumulates parameter gradients.
void qagent_backward(QAgent *a, const float *dq, const float *x, const float *mask, int T, int B);
// One decision for B rows with carried state [B][state_size] (TAP): the same
// arithmetic as one step of qagent_forward. q [B][n_actions]. The core
// output is left in a->z [B][hidden]; the first B rows of a->h1 / a->z are
// used as scratch, so this clobbers a forward pass's caches.
void qagent_step(QAgent *a, float *q, float *state, const float *x, int B);
// The decoder alone: q [rows][n_actions] from the core output z [rows][hidden]
// (the first rows of a->d1 as scratch).
void qagent_decode(QAgent *a, float *q, const float *z, const float *mask, int rows);
// The leaky output neurons of one decision (leak > 0; else nothing): q [B][n_actions]
// holds fc2's output and becomes y = leak y_prev + q; state is the carried
// state of B rows (qagent_step's), whose y part is updated.
void qagent_integrate(const QAgent *a, float *q, float *state, int B);

// ----------------------------------------------------------------------------
// Mixer (pymarl2 nmix, §9.2-9.3)

typedef struct {
    int n_agents, state_dim, embed, hyper, max_rows;
    GrsnMLP hyper_w1;         // S -> hyper -> n_agents*embed (ReLU between)
    GrsnLinear hyper_b1;      // S -> embed
    GrsnMLP hyper_w2;         // S -> hyper -> embed
    GrsnMLP hyper_b2;         // S -> embed -> 1
    float *b1;                // hyper_b1 output, [rows][embed]
    float *hidden;            // ELU(q |W1| + b1), [rows][embed]
    float *qtot;              // [rows]
    float *dw1, *db1, *dw2, *db2;   // gradients of the raw hypernet outputs, [rows][...]
} QMixer;

grsn_status qmixer_init(QMixer *m, GrsnParams *p, const char *prefix, int n_agents, int state_dim,
                        int embed, int hyper, int max_rows);
void qmixer_free(QMixer *m);
void qmixer_reset_parameters(QMixer *m, grsn_rng *rng);
// Q_tot for rows: q [rows][n_agents], s [rows][state_dim], mask [rows] or
// NULL (masked rows give 0). Returns m->qtot.
const float *qmixer_forward(QMixer *m, const float *q, const float *s, const float *mask, int rows);
// From dqtot [rows]: accumulates parameter gradients and writes (overwrites)
// dq [rows][n_agents] (may be NULL).
void qmixer_backward(QMixer *m, float *dq, const float *dqtot, const float *q, const float *s,
                     const float *mask, int rows);

// ----------------------------------------------------------------------------
// A batch of B padded episodes, time-major. T transitions (the longest
// episode), T + 1 steps of observations. Episode b has len_b <= T
// transitions; steps t > len_b are padding (zeros).

typedef struct {
    int T, B, n_agents, obs_dim, state_dim, n_actions;
    float *obs;        // [T+1][B][n_agents][obs_dim]
    float *state;      // [T+1][B][state_dim]
    uint8_t *avail;    // [T+1][B][n_agents][n_actions]
    int32_t *act;      // [T+1][B][n_agents], actions taken at t (the last step's unused)
    float *reward;     // [T][B]
    float *term;       // [T][B], 1 at the step that ended the episode
    float *filled;     // [T+1][B], 1 for t <= len_b
} QBatch;

// The agent network input of one agent (§9.2): [obs, onehot(last_act) (zeros
// when last_act < 0), onehot(agent)]. x has obs_dim + n_actions + n_agents.
void qmix_build_input(float *x, const float *obs, int last_act, int agent, int obs_dim, int n_actions, int n_agents);

// TD(lambda) return (§9.3, pymarl2 build_td_lambda_targets), backwards:
//   G_T = tq_T (1 - sum_t term_t)
//   G_t = lambda gamma G_{t+1} + mask_t (r_t + (1 - lambda) gamma tq_{t+1} (1 - term_t))
// r, term, mask [T][B]; tq [T+1][B]; G [T][B] (and scratch row G_T in `last` [B]).
void qmix_td_lambda(float *G, float *last, const float *r, const float *term, const float *mask, const float *tq,
                    int T, int B, float gamma, float lambda);

// ----------------------------------------------------------------------------
// Learner core: online and target networks, the optimiser, update scratch.

typedef struct {
    grsn_net net;
    int n_agents, obs_dim, state_dim, n_actions, d_in;
    int max_T;          // transitions per episode (episode_limit)
    int batch;          // episodes per update
    float gamma, td_lambda, grad_clip;
    GrsnParams params[2];           // online, target
    QAgent agent[2];
    QMixer mixer[2];
    int rmsprop;                    // 0: Adam, 1: RMSprop (the other one stays empty)
    GrsnAdam adam;                  // over params[0]
    GrsnRMSprop rms;                // over params[0]
    // Update scratch, sized for max_T + 1 steps of `batch` episodes.
    float *x;           // agent inputs [T+1][B][n][d_in]
    float *row_mask;    // [T+1][B][n] = filled
    float *mask;        // [T][B] loss mask
    float *q_sel;       // [T+1][B][n]: target Q at the online argmax; then Q at the taken actions
    float *tq;          // [T+1][B] target Q_tot
    float *G;           // [T+1][B] TD(lambda) targets (row T scratch)
    float *dqtot;       // [T][B]
    float *dq_sel;      // [T][B][n]
    float *dq;          // [T+1][B][n][n_actions]
} QCore;

typedef struct {
    grsn_net net;
    const GrsnCellConfig *cell;
    int n_agents, obs_dim, state_dim, n_actions, hidden, decoder, embed, hyper;
    float leak;                     // leaky output neurons (QAgent), 0: off
    int max_T, batch, act_rows;   // act_rows: rows acted at once (envs * n_agents)
    int rmsprop;                    // 0: Adam, 1: RMSprop (optim_alpha, optim_eps)
    float lr, optim_alpha, optim_eps, gamma, td_lambda, grad_clip;
} QCoreConfig;

grsn_status qcore_init(QCore *c, const QCoreConfig *cfg);
void qcore_free(QCore *c);
// Initialise the online networks from rng and copy them to the targets.
void qcore_reset_parameters(QCore *c, grsn_rng *rng);
void qcore_copy_targets(QCore *c);

typedef struct {
    float loss, grad_norm, q_taken_mean, target_mean, td_error_abs, firing_rate;
} QCoreStats;

// One update (§9.3) on a batch with b->B == c->batch and b->T <= c->max_T.
// GRSN_ERR_NAN (step not applied) if the loss or a gradient is not finite.
// The gradient (after clipping) stays in c->params[0].grad.
grsn_status qcore_update(QCore *c, const QBatch *b, QCoreStats *st);

#endif
