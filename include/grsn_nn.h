/*
 * grsn_nn.h — the neural-network core: a parameter arena, dense layers,
 * activations, and the recurrent cells (GRSN, LIF, GRU), each a forward /
 * backward pair over time-major sequences with a step mask, plus the training
 * helpers (initialisers, Adam, Polyak averaging, gradient-norm clipping).
 *
 * Shapes: "[T][B][n]" is time-major and contiguous; "[N][n]" is N rows of n.
 * Forward passes cache what their backward pass needs (in the layer object,
 * sized at init for max_T x max_B). Backward passes ACCUMULATE (+=) into the
 * parameter gradients and into the input gradient when it is not NULL; clear
 * gradients with grsn_params_zero_grad. Nothing here allocates after init.
 *
 * Step masks: where mask[t][b] == 0 the step is skipped: a cell keeps its
 * state, writes zeros to its output and passes no gradient. Valid steps always
 * precede masked ones in a window, so every valid output equals the output of
 * running the recurrence straight through.
 */
#ifndef GRSN_NN_H
#define GRSN_NN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ----------------------------------------------------------------------------
// Parameter arena: every trainable tensor of a model lives in one flat buffer
// (and its gradient in a second), so optimisers, averaging, clipping and
// checkpoints work on flat arrays. Layers register their tensors at init with
// grsn_params_add, which records where to write the tensor's address; the
// addresses become valid after grsn_params_alloc.

typedef struct {
    char name[64];
    int rows, cols;        // cols == 1 for vectors
    size_t offset, n;      // in floats, into data / grad
    float **data_slot;     // filled by grsn_params_alloc
    float **grad_slot;     // may be NULL
} GrsnParamInfo;

typedef struct {
    float *data;           // all parameters, [n]
    float *grad;           // their gradients, [n]
    size_t n;
    GrsnParamInfo *info;
    int count, cap;
} GrsnParams;

void        grsn_params_init(GrsnParams *p);
grsn_status grsn_params_add(GrsnParams *p, const char *name, int rows, int cols,
                            float **data_slot, float **grad_slot);
grsn_status grsn_params_alloc(GrsnParams *p);
void        grsn_params_free(GrsnParams *p);
void        grsn_params_zero_grad(GrsnParams *p);
const GrsnParamInfo *grsn_params_find(const GrsnParams *p, const char *name);
// 1 if every parameter and gradient is finite.
int         grsn_params_finite(const GrsnParams *p);

// ----------------------------------------------------------------------------
// Dense maths over rows: y = x W^T + b with W stored [out][in] (PyTorch's
// layout). The forward product reads W transposed, wt = W^T [in][out] (see
// grsn_transpose), so that it runs along contiguous output rows.
// Every y[n][o] is summed as b[o] + x[n][0] W[o][0] + x[n][1] W[o][1] + ...
// in that order (as fused multiply-adds where the CPU has them), whatever
// the batch size or thread count: a row computed alone (acting) equals the
// same row computed in a batch (training). When most inputs are zero, as
// spikes are, terms whose inputs are zero are skipped, so spike-fed layers
// cost little more than their active inputs; the sums are unchanged.
// Rows with mask[n] == 0 are skipped (outputs set to 0, no gradient); mask
// may be NULL.

typedef enum { GRSN_ACT_NONE = 0, GRSN_ACT_RELU, GRSN_ACT_TANH, GRSN_ACT_SIGMOID } grsn_act;

void grsn_transpose(float *wt, const float *w, int rows, int cols);
// The same, skipped when w is byte for byte what it was at the last call
// (`seen`, rows x cols, zero-filled with wt at allocation, holds it).
void grsn_transpose_cached(float *wt, float *seen, const float *w, int rows, int cols);
void grsn_matmul_forward(float *y, const float *x, const float *wt, const float *b,
                         const float *mask, int N, int in, int out);
// The product, then y = act(y), the same bits as grsn_act_forward after it:
// a ReLU goes over each chunk of rows as soon as it is summed, while it is
// still in the cache, instead of in a second pass over all of y.
void grsn_matmul_forward_act(float *y, const float *x, const float *wt, const float *b,
                             const float *mask, int N, int in, int out, grsn_act act);
// Accumulates dx, dw and db, each skipped when NULL.
void grsn_matmul_backward(float *dx, float *dw, float *db, const float *dy,
                          const float *x, const float *w, const float *mask,
                          int N, int in, int out);
// The same, except that dx is overwritten rather than added to: dx = dy W,
// 0 on masked rows. The bits are those of zeroing dx and calling
// grsn_matmul_backward, without the pass that zeroes it.
void grsn_matmul_backward_set(float *dx, float *dw, float *db, const float *dy,
                              const float *x, const float *w, const float *mask,
                              int N, int in, int out);
// Only the input gradient, and only its columns col0 .. col0+ncols-1:
// dx[n][col0 + i] += sum_o dy[n][o] W[o][col0 + i] (the other columns of dx
// are not touched). For a layer whose input is a concatenation of which only
// one part needs a gradient.
void grsn_matmul_backward_dx_cols(float *dx, const float *dy, const float *w, const float *mask,
                                  int N, int in, int out, int col0, int ncols);

// y = act(x) over n values (in place allowed).
void grsn_act_forward(grsn_act a, float *y, const float *x, size_t n);
// dx += dy * act'(x), from the OUTPUT y (ReLU'(0) = 0, as in PyTorch).
void grsn_act_backward(grsn_act a, float *dx, const float *dy, const float *y, size_t n);
// dx = dy * act'(x): the bits of zeroing dx and calling grsn_act_backward. dx may be dy.
void grsn_act_backward_set(grsn_act a, float *dx, const float *dy, const float *y, size_t n);

// Row-wise softmax and log-softmax over [N][k].
void grsn_softmax_forward(float *p, const float *logits, int N, int k);
void grsn_log_softmax_forward(float *lp, const float *logits, int N, int k);
// dlogits += J^T dp, from the softmax output p.
void grsn_softmax_backward(float *dlogits, const float *dp, const float *p, int N, int k);
// dlogits += dlp - softmax * sum(dlp), from the log-softmax output lp.
void grsn_log_softmax_backward(float *dlogits, const float *dlp, const float *lp, int N, int k);

// Concatenation along features: y[n] = [a[n], b[n]]. (Its backward is two
// column slices of dy: grsn_copy_cols, or a layer that reads them in place.)
void grsn_concat_forward(float *y, const float *a, int na, const float *b, int nb, int N);
// dst[n][doff .. doff+w) = src[n][soff .. soff+w) for n < N (a column slice).
void grsn_copy_cols(float *dst, int dst_w, int doff, const float *src, int src_w, int soff, int w, int N);
// x[0 .. n) = 0.
void grsn_zero(float *x, size_t n);

// ----------------------------------------------------------------------------
// Linear layer and MLP

typedef struct {
    int in, out;
    float *w, *b;     // [out][in], [out]
    float *dw, *db;
    float *wt;        // W^T [in][out], refreshed by a forward call when W has changed
    float *w_seen;    // W as wt was made from it [out][in] (grsn_transpose_cached)
} GrsnLinear;

grsn_status grsn_linear_init(GrsnLinear *l, GrsnParams *p, const char *name, int in, int out);
void grsn_linear_free(GrsnLinear *l);
void grsn_linear_forward(GrsnLinear *l, float *y, const float *x, const float *mask, int N);
// The layer, then act on its output (grsn_matmul_forward_act).
void grsn_linear_forward_act(GrsnLinear *l, float *y, const float *x, const float *mask, int N, grsn_act act);
void grsn_linear_backward(GrsnLinear *l, float *dx, const float *dy, const float *x,
                          const float *mask, int N);

// A stack of Linear layers with an activation after each hidden layer and
// `out_act` after the last. Caches every layer's output for max_rows rows.
#define GRSN_MLP_MAX_LAYERS 8
typedef struct {
    int nlayers;
    GrsnLinear layer[GRSN_MLP_MAX_LAYERS];
    grsn_act hidden_act, out_act;
    int max_rows;
    float *act[GRSN_MLP_MAX_LAYERS];   // layer outputs after activation, [max_rows][out_l]
    float *scratch[2];                 // backward buffers, [max_rows][max width]
} GrsnMLP;

// sizes = {in, h1, ..., out}, nsizes = nlayers + 1.
grsn_status grsn_mlp_init(GrsnMLP *m, GrsnParams *p, const char *name, const int *sizes,
                          int nsizes, grsn_act hidden_act, grsn_act out_act, int max_rows);
void grsn_mlp_free(GrsnMLP *m);
// Output pointer (m->act[last]) after the call, [N][out].
const float *grsn_mlp_forward(GrsnMLP *m, const float *x, const float *mask, int N);
// dy is the gradient of the final output; dx accumulates (may be NULL).
void grsn_mlp_backward(GrsnMLP *m, float *dx, const float *dy, const float *x,
                       const float *mask, int N);
// The same, without parameter gradients: only dx (accumulated).
void grsn_mlp_backward_input(GrsnMLP *m, float *dx, const float *dy, const float *mask, int N);
// The same, for only the columns col0 .. col0+ncols-1 of dx (the others are
// not touched): when only part of the input needs its gradient.
void grsn_mlp_backward_input_cols(GrsnMLP *m, float *dx, const float *dy, const float *mask, int N,
                                  int col0, int ncols);

// ----------------------------------------------------------------------------
// Recurrent cells
//
// GRSN (Eq. 12-14 with Eq. 1, 4):          LIF (Eq. 1-5):
//   F_t = sigmoid(W_f x_t + b_f)            c_t = W x_t + b
//   J_t = ReLU(W_i x_t + b_i)               u_t = beta u^_{t-1} + (1 - beta) c_t
//   c_t = F_t c_{t-1} + (1 - F_t) J_t       o_t = Theta(u_t - theta)
//   u_t = beta u^_{t-1} + (1 - beta) c_t    u^_t = u_r o_t + (1 - o_t) u_t   (hard)
//   o_t = Theta(u_t - theta)
//   u^_t = u_t - theta o_t                  (soft)
//
// GRU: PyTorch's equations and gate order (r, z, n).
//
// GRSN with gates = SPIKES (not the paper: the authors' April 2026 revision,
// spec §2.8): the gates read the layer's own previous spikes instead of x_t,
// and the input reaches the neuron through a separate current,
//   F_t = sigmoid(W_f o_{t-1} + b_f)        J_t = ReLU(W_i o_{t-1} + b_i)
//   c_t = F_t c_{t-1} + (1 - F_t) J_t        (W_f, W_i are [H][H])
//   u_t = beta u^_{t-1} + (1 - beta) (W_in x_t + b_in + c_t)
// and o, u^ as above. TAP only (substeps 1).
//
// Surrogate (Eq. 6): dTheta/dx := alpha / (2 (1 + (pi alpha x / 2)^2)).
// Theta(0) = 1: a potential exactly at threshold fires.
// The reset path is differentiated unless detach_reset is set.
//
// State is explicit and owned by the caller, [B][state_size]:
//   GRSN: [c (H), u^ (H)]   LIF: [u^ (H)]   GRU: [h (H)]
//   GRSN, gates = SPIKES: [c (H), o_{t-1} (H), u^ (H)]
// The spiking cells keep u^ last. Because the state is explicit, acting one
// step at a time (grsn_cell_step) and training on a window (grsn_cell_forward)
// run the very same recurrence: TAP.
//
// w/o TAP (substeps K > 1): each decision runs the spiking dynamics K times on
// the same input, and the output is the mean of the K spikes (rate decoding;
// decode = LAST takes the K-th spike, as the authors' GRSN code does).
//
// readout = MEMBRANE (a diagnostic, not the paper): the cell outputs u_t in
// place of o_t (averaged or last over the substeps as the spikes would be),
// so the layer after it reads a real-valued state as it reads a GRU's h. The
// spikes still drive the reset; the output's gradient reaches u_t directly.
//
// readout_blend (a training schedule, not the paper; set by QMIX's readout
// anneal): with readout = SPIKES the output is o_t + m (u_t - o_t), m =
// GrsnCell.membrane_share in [0, 1], which a trainer lowers from 1 (the
// membrane readout) to 0 (the paper's spikes, exactly); the gradient splits
// the same way between u_t (share m) and o_t (share 1 - m).

typedef enum { GRSN_CELL_GRSN = 0, GRSN_CELL_LIF, GRSN_CELL_GRU } grsn_cell_kind;
typedef enum { GRSN_BETA_FIXED = 0, GRSN_BETA_LAYER, GRSN_BETA_NEURON } grsn_beta_mode;
typedef enum { GRSN_RESET_SOFT = 0, GRSN_RESET_HARD } grsn_reset_mode;
typedef enum { GRSN_DECODE_RATE = 0, GRSN_DECODE_LAST } grsn_decode;
typedef enum { GRSN_GATES_INPUT = 0, GRSN_GATES_SPIKES } grsn_gate_source;
typedef enum { GRSN_READOUT_SPIKES = 0, GRSN_READOUT_MEMBRANE } grsn_readout;

typedef struct {
    grsn_cell_kind kind;
    int in, hidden;
    float threshold;          // theta, default 1
    float alpha;              // surrogate width, default 2
    float beta;               // decay; initial value when learnable, default 0.5
    grsn_beta_mode beta_mode; // GRSN default LAYER (beta = sigmoid(a), one a per layer); LIF FIXED
    grsn_reset_mode reset;    // GRSN SOFT (Eq. 12); LIF HARD (Eq. 3)
    float u_reset;            // u_r for the hard reset, default 0
    int detach_reset;         // 1: no gradient through the reset, default 0
    int smooth;               // 1: Theta replaced by the arctan primitive h(x) of Eq. 6
                              //    in the forward pass (the "smooth twin" for gradient checks)
    int substeps;             // 1 = TAP; K > 1 = w/o TAP with repeated input
    grsn_decode decode;       // w/o TAP output decoding
    int act_reset_membrane;   // authors' code: GRSN u^ = 0 before every grsn_cell_step
    grsn_gate_source gates;   // GRSN: INPUT (Eq. 13-14, default) or SPIKES (spec §2.8)
    grsn_readout readout;     // what a spiking cell outputs: SPIKES o_t (Eq. 4, the paper)
                              // or MEMBRANE, its potential u_t before firing (a diagnostic,
                              // not a spiking network: the next layer reads real values)
    int readout_blend;        // 1: the spike readout blends in the potential by
                              // GrsnCell.membrane_share (not a config key: QMIX's
                              // readout anneal sets it)
} GrsnCellConfig;

// The paper's defaults for a cell kind.
GrsnCellConfig grsn_cell_config(grsn_cell_kind kind, int in, int hidden);
// Switch a config to the authors' code (spec §11): fixed beta = 0.5, LIF soft
// reset, membrane reset at every act call, last-spike decoding w/o TAP.
void grsn_cell_config_compat(GrsnCellConfig *c);
// Whether the gate source and the readout fit the rest of the config (net:
// the core's name, "grsn", "lif", "gru" or "mlp"): gates = SPIKES needs a
// GRSN core and substeps 1; readout = MEMBRANE a spiking core (grsn, lif)
// whose gates read the input; readout_blend a spiking core whose gates read the
// input and whose readout is SPIKES.
grsn_status grsn_cell_check_wiring(const GrsnCellConfig *c, const char *net);
// Names: "grsn", "lif", "gru"; returns -1 if unknown.
int grsn_cell_kind_from_name(const char *name);
const char *grsn_cell_kind_name(grsn_cell_kind k);

typedef struct {
    GrsnCellConfig cfg;
    int max_T, max_B;
    int state_size;           // floats per batch row
    // Parameters (into a GrsnParams arena) and their gradients.
    float *w_f, *b_f, *dw_f, *db_f;     // GRSN forget gate [H][in], [H]
    float *w_i, *b_i, *dw_i, *db_i;     // GRSN input gate / LIF current [H][in], [H]
    float *w_ih, *b_ih, *dw_ih, *db_ih; // GRU [3H][in], [3H]
    float *w_hh, *b_hh, *dw_hh, *db_hh; // GRU [3H][H], [3H]
    float *w_in, *b_in, *dw_in, *db_in; // GRSN gates = SPIKES: input current [H][in], [H]
                                        // (its W_f, W_i are then [H][H])
    float *beta_a, *dbeta_a;            // learnable decay: beta = sigmoid(a), [1] or [H]
    // Forward caches, for the last forward call (K = substeps).
    int T, B;
    int cached;               // the last forward kept what backward reads
    float *gate_a;            // input-side products, [T][B][G*H]: GRSN activated F then J,
                              // LIF the current c, GRU gi = W_ih x + b_ih,
                              // GRSN gates = SPIKES the current W_in x + b_in
    float *hid_a;             // GRU gh = W_hh h + b_hh, [T][B][3H]
    float *gates;             // GRU r, z, n, [T][B][3H]; GRSN gates = SPIKES activated F, J [T][B][2H]
    float *s_seq;             // GRSN gates = SPIKES: the gates' input o_{t-1}, [T][B][H]
    float *c_seq;             // GRSN current after each substep [T*K][B][H]; NULL otherwise
    float *u_seq;             // spiking: potential before reset [T*K][B][H]; GRU h_{t-1}
    float *uh_seq;            // spiking: potential after reset [T*K][B][H]
    float *o_seq;             // spiking: spike (or smooth h) of each substep [T*K][B][H]
    float *spk_seq;           // readout = MEMBRANE or readout_blend: the decoded spikes,
                              // [T][B][H] (with the paper's readout they are the output)
    float *state0;            // [B][state_size] initial state of the window
    float *mask;              // [T][B] (all 1 when NULL was passed)
    // Backward scratch.
    float *dgate;             // adjoints of the gate pre-activations, shape of gate_a
    float *dhid;              // GRU adjoint of gh, [T][B][3H]; GRSN gates = SPIKES: of F, J [T][B][2H]
    float *dstate;            // [B][state_size]
    float *dbeta_rows;        // per-row decay adjoints, [B][H], summed in a fixed order
    int *last_step;           // spiking: each row's last valid step, [max_B] (set by forward, read by backward)
    float *ds_rows;           // GRSN gates = SPIKES: carried adjoint of o_{t-1}, [B][H]
    // Transposed weights for the forward products, and acting scratch.
    float *wt;                // input weights transposed, [in][G*H]
    float *wt_hh;             // GRU W_hh^T, [H][3H]; GRSN gates = SPIKES [W_f; W_i]^T, [H][2H]
    float *wt_seen, *wt_hh_seen;   // the weights each was made from (grsn_transpose_cached)
    float *step_g, *step_gh, *step_gates;   // [max_B][G*H], GRU [max_B][3H] x2;
                                            // gates = SPIKES: [max_B][2H], [max_B][H] (o_{t-1})
    float *step_spikes;       // readout = MEMBRANE or readout_blend: the last step's decoded spikes, [max_B][H]
    float membrane_share;     // readout_blend: m of the output o + m (u - o), in [0, 1]; 0 at init
} GrsnCell;

grsn_status grsn_cell_init(GrsnCell *c, GrsnParams *p, const char *name,
                           const GrsnCellConfig *cfg, int max_T, int max_B);
void grsn_cell_free(GrsnCell *c);
// Initialise parameters as the authors do (spec §3.4): orthogonal weights, zero
// biases, a = logit(beta). Fails only when the orthogonal init's working copy
// cannot be allocated (GRSN_ERR_OOM); the parameters are then partly drawn.
grsn_status grsn_cell_reset_parameters(GrsnCell *c, grsn_rng *rng);
// Set a learnable decay to its initial value, a = logit(beta), per neuron or
// one for the layer (no-op when beta is fixed). Draws nothing.
void grsn_cell_reset_beta(GrsnCell *c);
// Current decay factor of neuron j.
float grsn_cell_beta(const GrsnCell *c, int j);

// Sequence forward. x [T][B][in]; state [B][S] holds the initial state on
// entry and the final state on return; out [T][B][H] receives spikes (rates
// w/o TAP) or GRU h. mask [T][B] or NULL. T <= max_T, B <= max_B.
void grsn_cell_forward(GrsnCell *c, float *out, float *state, const float *x,
                       const float *mask, int T, int B);
// The same outputs and final state without the caches that only
// grsn_cell_backward reads (for the passes no gradient flows through: target
// networks, a critic evaluated for the actor's loss). A backward pass after
// it is an error.
void grsn_cell_forward_nograd(GrsnCell *c, float *out, float *state, const float *x,
                              const float *mask, int T, int B);
// BPTT through the last forward. dout [T][B][H]; x as given to forward.
// dx accumulates (may be NULL); dstate0 (may be NULL) receives (overwrites)
// the gradient with respect to the initial state.
void grsn_cell_backward(GrsnCell *c, float *dx, float *dstate0, const float *dout,
                        const float *x, int T, int B);
// One decision for acting, no caching: the same arithmetic as one step of
// grsn_cell_forward. x [B][in], state [B][S] updated in place, out [B][H].
void grsn_cell_step(GrsnCell *c, float *out, float *state, const float *x, int B);
// The authors' act-time reset (compat switch act_reset_membrane): zero u^ in
// each of the B rows of state before a decision; nothing when the switch is
// off. grsn_cell_step does it; callers that act through grsn_cell_forward
// (one step with caches, to count or probe spikes) call it themselves.
void grsn_cell_act_reset(const GrsnCell *c, float *state, int B);
// The spikes of the last forward ([T][B][H]) or step ([B][H]) of a spiking
// cell, decoded as its output (rate or last spike): `out`, the output that
// call wrote, unless readout = MEMBRANE or readout_blend, whose output is not
// the spikes alone.
const float *grsn_cell_forward_spikes(const GrsnCell *c, const float *out);
const float *grsn_cell_step_spikes(const GrsnCell *c, const float *out);

// ----------------------------------------------------------------------------
// Initialisers and training helpers

// PyTorch's nn.Linear default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
void grsn_init_linear_default(GrsnLinear *l, grsn_rng *rng);
void grsn_init_uniform(float *x, size_t n, float bound, grsn_rng *rng);
// PyTorch's orthogonal_: a rows x cols matrix with orthonormal rows or
// columns (whichever are fewer), times gain. Its double-precision working copy
// is the one allocation an initialiser makes: GRSN_ERR_OOM when it fails.
grsn_status grsn_init_orthogonal(float *w, int rows, int cols, float gain, grsn_rng *rng);

typedef struct {
    float lr, beta1, beta2, eps;
    long step;
    size_t n;
    float *m, *v;     // [n]
} GrsnAdam;

// PyTorch's Adam (no weight decay, no amsgrad).
grsn_status grsn_adam_init(GrsnAdam *a, size_t n, float lr);
void grsn_adam_free(GrsnAdam *a);
void grsn_adam_step(GrsnAdam *a, float *param, const float *grad);
// PyTorch's RMSprop (no momentum, not centred, no weight decay), the
// optimiser of oxwhirl/pymarl's QMIX:
//   s = alpha s + (1 - alpha) g^2;  p -= lr g / (sqrt(s) + eps)
typedef struct {
    float lr, alpha, eps;
    size_t n;
    float *square_avg;   // [n]
} GrsnRMSprop;

grsn_status grsn_rmsprop_init(GrsnRMSprop *o, size_t n, float lr, float alpha, float eps);
void grsn_rmsprop_free(GrsnRMSprop *o);
void grsn_rmsprop_step(GrsnRMSprop *o, float *param, const float *grad);

// target = (1 - tau) target + tau source, over n values.
void grsn_polyak(float *target, const float *source, size_t n, float tau);
// PyTorch's clip_grad_norm_: returns the total L2 norm before clipping.
float grsn_clip_grad_norm(float *grad, size_t n, float max_norm);

#ifdef __cplusplus
}
#endif
#endif // GRSN_NN_H
