/*
 * agent_net.h — the networks of the control agents (spec §3): an encoder
 * (embeddings of previous action, previous reward and observation, then the
 * recurrent core), the actor and the twin-headed critic. Each has a forward
 * pass over a window of T*B rows (time-major) that caches what its backward
 * pass needs, and the actor has a one-row step for acting (TAP).
 */
#ifndef GRSN_AGENT_NET_H
#define GRSN_AGENT_NET_H

#include "common.h"

// Embeddings + recurrent core: z_t = core([a_emb, r_emb, o_emb]).
typedef struct {
    grsn_net net;
    int d_o, d_a, x_dim, hidden, max_rows;
    GrsnLinear emb_a, emb_r, emb_o;
    GrsnCell cell;            // GRSN / LIF / GRU
    GrsnLinear mlp;           // MLP core: ReLU(mlp(o_emb)), memoryless
    float *ea, *er, *eo;      // embeddings after ReLU, [rows][emb]
    float *x;                 // core input [rows][x_dim]
    float *z;                 // core output [rows][hidden]
    float *dx, *de;           // backward scratch, each [rows][max(x_dim, hidden)]
    float *state;             // zero initial state of a window, [max_B][state_size]
} Encoder;

typedef struct {
    Encoder enc;
    int d_out, discrete;
    GrsnLinear shortcut;      // d_o -> emb_o
    GrsnMLP head;             // (hidden + emb_o) -> hh -> hh -> d_out (tanh for TD3)
    float *k, *hin;           // shortcut output, head input
    float *dhin, *dk, *dz;    // backward scratch
    float *prob, *logp;       // SAC-discrete: softmax and log(max(p, 1e-8)), [rows][d_out]
} Actor;

typedef struct {
    Encoder enc;
    int d_out, short_in, short_w, discrete;
    GrsnLinear shortcut;      // [o, a] (TD3) or o (SACD) -> short_w
    GrsnMLP q[2];             // (hidden + short_w) -> hh -> hh -> d_out
    float *sin, *k, *hin;     // shortcut input, output, head input
    float *dhin, *dk, *dz, *dsin;  // backward scratch
} Critic;

grsn_status actor_init(Actor *a, GrsnParams *p, const char *prefix, const GrsnAgentConfig *c, int max_T, int max_B);
grsn_status critic_init(Critic *q, GrsnParams *p, const char *prefix, const GrsnAgentConfig *c, int max_T, int max_B);
void actor_free(Actor *a);
void critic_free(Critic *q);
// Spec §3.4 initialisation; GRSN_ERR_OOM only from the orthogonal init's working copy.
grsn_status actor_reset_parameters(Actor *a, grsn_rng *rng);
grsn_status critic_reset_parameters(Critic *q, grsn_rng *rng);

// Encoder over a window. A [rows][d_a], R [rows], O [rows][d_o]; mask [rows] or NULL.
// grad = 0 when no backward pass follows (the core keeps no caches).
void encoder_forward(Encoder *e, const float *A, const float *R, const float *O, const float *mask, int T, int B,
                     int grad);
void encoder_backward(Encoder *e, const float *dz, const float *A, const float *R, const float *O,
                      const float *mask, int T, int B);

// Actor over a window: out [rows][d_out] = tanh action (TD3) or logits (SACD,
// with prob and logp filled). Returns a->head's output pointer.
const float *actor_forward(Actor *a, const float *A, const float *R, const float *O, const float *mask, int T, int B,
                          int grad);
// dout: gradient of the tanh action (TD3) or of the logits (SACD).
void actor_backward(Actor *a, const float *dout, const float *A, const float *R, const float *O,
                    const float *mask, int T, int B);
// One decision: writes the tanh action / logits of one row into out.
void actor_step(Actor *a, float *state, const float *prev_a, float prev_r, const float *obs, float *out, int *spikes);

// The Q heads on an encoded window: act [rows][d_a] (TD3; NULL for SACD).
// q1, q2 [rows][d_out].
void critic_heads_forward(Critic *q, const float *O, const float *act, const float *mask, int rows,
                          float *q1, float *q2);
// Backward of the heads from dq1, dq2. Without dact: accumulates parameter
// gradients and writes the gradient of the encoder output into q->dz. With
// dact (TD3's actor loss): only the gradient of the action, [rows][d_a].
// mask1, mask2 are the rows of each head's pass (mask, or fewer: a row whose
// dq is 0 gives that head no gradient and may be left out); mask, their union.
void critic_heads_backward(Critic *q, const float *dq1, const float *mask1, const float *dq2, const float *mask2,
                           const float *O, const float *mask, int rows, float *dact);

#endif
