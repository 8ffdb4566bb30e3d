/*
 * cell.c — the recurrent cells: GRSN (paper Eq. 12-14 with Eq. 1, 4), LIF
 * (Eq. 1-5) and the GRU baseline, forward and backward through time.
 *
 * One spiking substep of neuron j, shared by training and acting (TAP):
 *
 *   GRSN  c = F c + (1 - F) J                   (Eq. 13; F, J from Eq. 14)
 *   LIF   c = W x + b                           (Eq. 2)
 *         u = beta u^ + (1 - beta) c            (Eq. 1)
 *   GRSN with gates = SPIKES (spec §2.8, not the paper): F, J read o_{t-1},
 *         u = beta u^ + (1 - beta) (a + c)     a = W_in x + b_in
 *         o = Theta(u - theta)                  (Eq. 4, 5; Theta(0) = 1)
 *         u^ = u - theta o          soft reset  (Eq. 12)
 *         u^ = u_r o + (1 - o) u    hard reset  (Eq. 3)
 *
 * Backward (reverse time, per substep n; g_n is the gradient reaching o_n
 * from the output, d(.) are adjoints, du^ arrives from substep n + 1):
 *
 *   do   = g_n + (du^/do) du^           soft: -theta du^   hard: (u_r - u) du^
 *   du   = (du^/du) du^ + do h'(u - theta)   soft: du^     hard: (1 - o) du^
 *   dc  += (1 - beta) du                (dc holds F dc_{n+1} already)
 *   dbeta += du (u^_{n-1} - c)
 *   du^_{n-1} = beta du
 *   dF  += dc (c_{n-1} - J);  dJ += dc (1 - F);  dc_{n-1} = F dc
 *
 * with h' the arctan surrogate of Eq. 6. With readout = MEMBRANE the output
 * is u_n, so g_n leaves do and joins du instead; a readout blend with
 * membrane share m sends (1 - m) g_n to do and m g_n to du. The reset terms
 * in do are dropped when detach_reset is set. In "smooth" mode Theta is replaced by the arctan
 * primitive h itself, so h' is the true derivative and the whole BPTT path can
 * be checked by finite differences.
 *
 * Parallelism: the recurrence of each batch row is independent, so the time
 * loop runs inside a parallel loop over rows; the gate products are row-wise
 * matrix products before (forward) and after (backward) the time loop.
 * Gates that read o_{t-1} (and the GRU's W_hh h_{t-1}) need one product per
 * step instead, over all rows of the batch.
 */
#include "common.h"
#include "kvconf.h"            // the names of the enumerated options


#define PI_F 3.14159265358979323846f
#define GRSN_CELL_MAX_HIDDEN 1024   // bounds the per-row stack scratch

// ----------------------------------------------------------------------------
// Configuration

GrsnCellConfig grsn_cell_config(grsn_cell_kind kind, int in, int hidden) {
    GrsnCellConfig c;
    memset(&c, 0, sizeof c);
    c.kind = kind; c.in = in; c.hidden = hidden;
    c.threshold = 1.0f; c.alpha = 2.0f; c.beta = 0.5f; c.u_reset = 0.0f;
    c.substeps = 1; c.decode = GRSN_DECODE_RATE;
    if (kind == GRSN_CELL_GRSN) { c.beta_mode = GRSN_BETA_LAYER; c.reset = GRSN_RESET_SOFT; }
    else { c.beta_mode = GRSN_BETA_FIXED; c.reset = GRSN_RESET_HARD; }
    return c;
}

void grsn_cell_config_compat(GrsnCellConfig *c) {
    c->beta_mode = GRSN_BETA_FIXED;       // tau = 2, requires_grad = False
    c->beta = 0.5f;
    c->reset = GRSN_RESET_SOFT;           // LIFNode with v_reset = None
    c->act_reset_membrane = c->kind == GRSN_CELL_GRSN;  // reset_net after every act call
    c->decode = c->kind == GRSN_CELL_GRSN ? GRSN_DECODE_LAST : GRSN_DECODE_RATE;
}

// An enumerated option against its name table (the tables config files use,
// kvconf.c): outside it, an error listing the names.
static grsn_status check_enum(const char *what, int v, const char *const *names) {
    int n = 0;
    while (names[n]) n++;
    if (v >= 0 && v < n) return GRSN_OK;
    char valid[96];
    size_t off = 0;
    valid[0] = '\0';
    for (int i = 0; i < n; i++) off = grsn_kv_append(valid, sizeof valid, off, "%s%s", i ? ", " : "", names[i]);
    return grsn_fail(GRSN_ERR_ARG, "unknown %s %d; valid: %s", what, v, valid);
}

grsn_status grsn_cell_check_wiring(const GrsnCellConfig *c, const char *net) {
    GRSN_TRY(check_enum("gate source", (int)c->gates, GRSN_KV_GATES_NAMES));
    GRSN_TRY(check_enum("readout", (int)c->readout, GRSN_KV_READOUT_NAMES));
    GRSN_TRY(check_enum("beta_mode", (int)c->beta_mode, GRSN_KV_BETA_NAMES));
    GRSN_TRY(check_enum("reset", (int)c->reset, GRSN_KV_RESET_NAMES));
    GRSN_TRY(check_enum("decode", (int)c->decode, GRSN_KV_DECODE_NAMES));
    if (c->gates == GRSN_GATES_SPIKES) {
        if (strcmp(net, "grsn") != 0)
            return grsn_fail(GRSN_ERR_ARG, "cell.gates = spikes is a GRSN option; net %s has no gates", net);
        if (c->substeps != 1)
            return grsn_fail(GRSN_ERR_ARG, "cell.gates = spikes needs one neuron update per step (TAP), "
                             "not cell.substeps = %d", c->substeps);
    }
    if (c->readout == GRSN_READOUT_MEMBRANE) {
        if (strcmp(net, "grsn") != 0 && strcmp(net, "lif") != 0)
            return grsn_fail(GRSN_ERR_ARG, "cell.readout = membrane needs a spiking core (grsn, lif), not %s", net);
        if (c->gates == GRSN_GATES_SPIKES)   // the gates would read the potential as if it were o_{t-1}
            return grsn_fail(GRSN_ERR_ARG, "cell.readout = membrane needs cell.gates = input");
    }
    if (c->readout_blend) {
        if (strcmp(net, "grsn") != 0 && strcmp(net, "lif") != 0)
            return grsn_fail(GRSN_ERR_ARG, "a readout anneal needs a spiking core (grsn, lif), not %s", net);
        if (c->gates == GRSN_GATES_SPIKES || c->readout != GRSN_READOUT_SPIKES)
            return grsn_fail(GRSN_ERR_ARG, "a readout anneal needs cell.gates = input and cell.readout = spikes");
    }
    return GRSN_OK;
}

static const char *kind_names[] = {"grsn", "lif", "gru"};

int grsn_cell_kind_from_name(const char *name) {
    for (int i = 0; i < 3; i++) if (!strcmp(name, kind_names[i])) return i;
    return -1;
}

const char *grsn_cell_kind_name(grsn_cell_kind k) {
    return (unsigned)k < 3 ? kind_names[k] : "?";
}

static int spiking(const GrsnCellConfig *c) { return c->kind != GRSN_CELL_GRU; }
static int spike_gates(const GrsnCellConfig *c) {
    return c->kind == GRSN_CELL_GRSN && c->gates == GRSN_GATES_SPIKES;
}
// Products on the input x_t per neuron: GRSN's two gates, LIF's current, the
// GRU's three gates, or the input current when the gates read spikes.
static int ngate(const GrsnCellConfig *c) {
    if (spike_gates(c)) return 1;
    return c->kind == GRSN_CELL_GRSN ? 2 : c->kind == GRSN_CELL_LIF ? 1 : 3;
}

// ----------------------------------------------------------------------------
// Init and free

grsn_status grsn_cell_init(GrsnCell *c, GrsnParams *p, const char *name,
                           const GrsnCellConfig *cfg, int max_T, int max_B) {
    memset(c, 0, sizeof *c);
    if ((unsigned)cfg->kind > GRSN_CELL_GRU)
        return grsn_fail(GRSN_ERR_ARG, "cell %s: unknown kind %d (valid: grsn, lif, gru)", name, (int)cfg->kind);
    if (cfg->in <= 0 || cfg->hidden <= 0 || max_T <= 0 || max_B <= 0)
        return grsn_fail(GRSN_ERR_ARG, "cell %s: impossible sizes in=%d hidden=%d max_T=%d max_B=%d",
                         name, cfg->in, cfg->hidden, max_T, max_B);
    if (cfg->hidden > GRSN_CELL_MAX_HIDDEN)
        return grsn_fail(GRSN_ERR_ARG, "cell %s: hidden size %d exceeds %d", name, cfg->hidden, GRSN_CELL_MAX_HIDDEN);
    if (cfg->substeps < 1 || cfg->substeps > 64)
        return grsn_fail(GRSN_ERR_ARG, "cell %s: substeps %d outside 1..64", name, cfg->substeps);
    if (cfg->kind == GRSN_CELL_GRU && cfg->substeps != 1)
        return grsn_fail(GRSN_ERR_ARG, "cell %s: substeps apply to spiking cells only (gru got %d)", name, cfg->substeps);
    GRSN_TRY(grsn_cell_check_wiring(cfg, grsn_cell_kind_name(cfg->kind)));
    if (spiking(cfg) && !(cfg->beta > 0.0f && cfg->beta < 1.0f))
        return grsn_fail(GRSN_ERR_ARG, "cell %s: beta %g must lie in (0, 1)", name, cfg->beta);
    if (spiking(cfg) && !(cfg->alpha > 0.0f && isfinite(cfg->alpha)))
        return grsn_fail(GRSN_ERR_ARG, "cell %s: surrogate alpha %g must be > 0", name, cfg->alpha);
    if (spiking(cfg) && !isfinite(cfg->threshold))
        return grsn_fail(GRSN_ERR_ARG, "cell %s: threshold must be finite", name);

    c->cfg = *cfg; c->max_T = max_T; c->max_B = max_B;
    int H = cfg->hidden, in = cfg->in, G = ngate(cfg), K = cfg->substeps;
    c->state_size = spike_gates(cfg) ? 3 * H : cfg->kind == GRSN_CELL_GRSN ? 2 * H : H;

    char nm[64];
#define ADD(suffix, rows, cols, d, g) do { snprintf(nm, sizeof nm, "%s.%s", name, suffix); \
        GRSN_TRY(grsn_params_add(p, nm, rows, cols, d, g)); } while (0)
    int gin = spike_gates(cfg) ? H : in;   // the gates' input width
    switch (cfg->kind) {
    case GRSN_CELL_GRSN:
        // Registered in this order so that [w_f; w_i] is one (2H x gin) matrix
        // and [b_f; b_i] one 2H vector: both gates are a single product.
        ADD("w_f", H, gin, &c->w_f, &c->dw_f);
        ADD("w_i", H, gin, &c->w_i, &c->dw_i);
        ADD("b_f", H, 1, &c->b_f, &c->db_f);
        ADD("b_i", H, 1, &c->b_i, &c->db_i);
        if (spike_gates(cfg)) {
            ADD("w_in", H, in, &c->w_in, &c->dw_in);
            ADD("b_in", H, 1, &c->b_in, &c->db_in);
        }
        break;
    case GRSN_CELL_LIF:
        ADD("w", H, in, &c->w_i, &c->dw_i);
        ADD("b", H, 1, &c->b_i, &c->db_i);
        break;
    case GRSN_CELL_GRU:
        ADD("w_ih", 3 * H, in, &c->w_ih, &c->dw_ih);
        ADD("w_hh", 3 * H, H, &c->w_hh, &c->dw_hh);
        ADD("b_ih", 3 * H, 1, &c->b_ih, &c->db_ih);
        ADD("b_hh", 3 * H, 1, &c->b_hh, &c->db_hh);
        break;
    }
    if (spiking(cfg) && cfg->beta_mode != GRSN_BETA_FIXED)
        ADD("beta", cfg->beta_mode == GRSN_BETA_NEURON ? H : 1, 1, &c->beta_a, &c->dbeta_a);
#undef ADD

    size_t TB = (size_t)max_T * max_B, steps = TB * (size_t)K;
    int ok = 1;
#define ALLOC(ptr, count) do { ptr = grsn_calloc((count), sizeof(float)); ok &= ptr != NULL; } while (0)
    ALLOC(c->gate_a, TB * G * H);
    ALLOC(c->dgate, TB * G * H);
    ALLOC(c->state0, (size_t)max_B * c->state_size);
    ALLOC(c->dstate, (size_t)max_B * c->state_size);
    ALLOC(c->mask, TB);
    ALLOC(c->wt, (size_t)in * G * H);
    ALLOC(c->wt_seen, (size_t)in * G * H);
    ALLOC(c->step_g, (size_t)max_B * G * H);
    if (spike_gates(cfg)) {
        ALLOC(c->wt_hh, (size_t)H * 2 * H);
        ALLOC(c->wt_hh_seen, (size_t)H * 2 * H);
        ALLOC(c->step_gh, (size_t)max_B * 2 * H);
        ALLOC(c->step_gates, (size_t)max_B * H);
        ALLOC(c->gates, TB * 2 * H);
        ALLOC(c->dhid, TB * 2 * H);
        ALLOC(c->s_seq, TB * H);
        ALLOC(c->ds_rows, (size_t)max_B * H);
    }
    if (cfg->kind == GRSN_CELL_GRU) {
        ALLOC(c->wt_hh, (size_t)H * 3 * H);
        ALLOC(c->wt_hh_seen, (size_t)H * 3 * H);
        ALLOC(c->step_gh, (size_t)max_B * 3 * H);
        ALLOC(c->step_gates, (size_t)max_B * 3 * H);
        ALLOC(c->hid_a, TB * 3 * H);
        ALLOC(c->gates, TB * 3 * H);
        ALLOC(c->dhid, TB * 3 * H);
        ALLOC(c->u_seq, TB * H);    // h_{t-1}; h_t is the next row block, or out
    } else {
        if (cfg->kind == GRSN_CELL_GRSN) ALLOC(c->c_seq, steps * H);   // current after each substep
        ALLOC(c->u_seq, steps * H);   // potential before reset
        ALLOC(c->uh_seq, steps * H);  // potential after reset
        ALLOC(c->o_seq, steps * H);   // spike of each substep
        ALLOC(c->dbeta_rows, (size_t)max_B * H);
        c->last_step = grsn_calloc((size_t)max_B, sizeof(int));
        ok &= c->last_step != NULL;
        if (cfg->readout == GRSN_READOUT_MEMBRANE || cfg->readout_blend) {   // spikes that out may not hold
            ALLOC(c->spk_seq, TB * H);
            ALLOC(c->step_spikes, (size_t)max_B * H);
        }
    }
#undef ALLOC
    if (!ok) { grsn_cell_free(c); return GRSN_ERR_OOM; }
    return GRSN_OK;
}

void grsn_cell_free(GrsnCell *c) {
    free(c->gate_a); free(c->dgate); free(c->state0); free(c->dstate); free(c->mask);
    free(c->hid_a); free(c->gates); free(c->dhid); free(c->s_seq); free(c->ds_rows);
    free(c->c_seq); free(c->u_seq); free(c->uh_seq); free(c->o_seq); free(c->dbeta_rows);
    free(c->wt); free(c->wt_hh); free(c->wt_seen); free(c->wt_hh_seen); free(c->step_g); free(c->step_gh); free(c->step_gates);
    free(c->spk_seq); free(c->step_spikes); free(c->last_step);
    memset(c, 0, sizeof *c);
}

grsn_status grsn_cell_reset_parameters(GrsnCell *c, grsn_rng *rng) {
    // Spec §3.4: every recurrent-block weight orthogonal (gain 1), biases 0.
    int H = c->cfg.hidden, in = c->cfg.in;
    grsn_status st = GRSN_OK;
    switch (c->cfg.kind) {
    case GRSN_CELL_GRSN: {
        int gin = spike_gates(&c->cfg) ? H : in;
        if (!st) st = grsn_init_orthogonal(c->w_f, H, gin, 1.0f, rng);
        if (!st) st = grsn_init_orthogonal(c->w_i, H, gin, 1.0f, rng);
        memset(c->b_f, 0, (size_t)H * sizeof(float));
        memset(c->b_i, 0, (size_t)H * sizeof(float));
        if (c->w_in) {
            if (!st) st = grsn_init_orthogonal(c->w_in, H, in, 1.0f, rng);
            memset(c->b_in, 0, (size_t)H * sizeof(float));
        }
        break;
    }
    case GRSN_CELL_LIF:
        st = grsn_init_orthogonal(c->w_i, H, in, 1.0f, rng);
        memset(c->b_i, 0, (size_t)H * sizeof(float));
        break;
    case GRSN_CELL_GRU:
        if (!st) st = grsn_init_orthogonal(c->w_ih, 3 * H, in, 1.0f, rng);
        if (!st) st = grsn_init_orthogonal(c->w_hh, 3 * H, H, 1.0f, rng);
        memset(c->b_ih, 0, (size_t)3 * H * sizeof(float));
        memset(c->b_hh, 0, (size_t)3 * H * sizeof(float));
        break;
    }
    grsn_cell_reset_beta(c);
    return st;
}

void grsn_cell_reset_beta(GrsnCell *c) {
    if (!c->beta_a) return;
    // beta = sigmoid(a): a = logit(beta) gives the configured initial decay.
    float a = logf(c->cfg.beta / (1.0f - c->cfg.beta));
    int n = c->cfg.beta_mode == GRSN_BETA_NEURON ? c->cfg.hidden : 1;
    for (int j = 0; j < n; j++) c->beta_a[j] = a;
}

float grsn_cell_beta(const GrsnCell *c, int j) {
    if (!c->beta_a) return c->cfg.beta;
    return grsn_sigmoidf(c->beta_a[c->cfg.beta_mode == GRSN_BETA_NEURON ? j : 0]);
}

// ----------------------------------------------------------------------------
// The spiking substep, shared by forward and step.

// Firing (Eq. 4-5), or the arctan primitive h of Eq. 6 in smooth mode.
static inline float fire(const GrsnCellConfig *cfg, float v) {
    if (cfg->smooth) return atanf(0.5f * PI_F * cfg->alpha * v) / PI_F + 0.5f;
    return v >= 0.0f ? 1.0f : 0.0f;
}

// Per-neuron decay factors for a row: beta[j].
static void load_beta(const GrsnCell *c, float *beta) {
    for (int j = 0; j < c->cfg.hidden; j++) beta[j] = grsn_cell_beta(c, j);
}

// The share m of the potential in a spiking cell's output o + m (u - o):
// 0 for the spikes (the paper), 1 for readout = MEMBRANE, and the trainer's
// current share while a readout anneal blends the two.
static float membrane_share(const GrsnCell *c) {
    if (c->cfg.readout == GRSN_READOUT_MEMBRANE) return 1.0f;
    return c->cfg.readout_blend ? c->membrane_share : 0.0f;
}

// Advance one row by one decision: K spiking substeps on the gate values of
// this decision; m: the output's membrane share (membrane_share). g: GRSN
// [F | J] (activated), LIF [c]. a: the input current when the gates read
// spikes (then K = 1), else NULL. state: [c | u^] (GRSN),
// [c | o | u^] (gates = SPIKES) or [u^] (LIF). out: rate or last spike (of
// the potential u with readout = MEMBRANE, of o + m (u - o) in a blend);
// spikes, if not NULL, the spikes decoded the same way. If the
// cache pointers are not NULL, c, u, u^ and o after each substep are written
// there with row stride `stride`.
static void spiking_decision(const GrsnCellConfig *cfg, float m, const float *beta, const float *g, const float *a,
                             float *state, float *out, float *spikes, float *c_cache, float *u_cache,
                             float *uh_cache, float *o_cache, size_t stride) {
    int H = cfg->hidden, K = cfg->substeps;
    int grsn = cfg->kind == GRSN_CELL_GRSN, hard = cfg->reset == GRSN_RESET_HARD;
    int last = cfg->decode == GRSN_DECODE_LAST;
    float *cst = grsn ? state : NULL;
    float *uh = grsn ? state + (a ? 2 * H : H) : state;
    const float theta = cfg->threshold, ur = cfg->u_reset, invK = 1.0f / (float)K;
    const float *F = g, *J = g + H;
    // Readout y = o + m (u - o): exactly o at m = 0 (o is 0 or 1), u at m = 1.
    const int mem = m == 1.0f;
    float u_buf[GRSN_CELL_MAX_HIDDEN], o_buf[GRSN_CELL_MAX_HIDDEN], cur_buf[GRSN_CELL_MAX_HIDDEN];
    for (int j = 0; j < H; j++) out[j] = 0.0f;
    if (spikes) for (int j = 0; j < H; j++) spikes[j] = 0.0f;
    // Each substep is a few loops over the neurons without branches inside,
    // so they vectorise; every neuron sees the same arithmetic as alone.
    for (int k = 0; k < K; k++) {
        float *u = u_cache ? u_cache + (size_t)k * stride : u_buf;
        float *o = u_cache ? o_cache + (size_t)k * stride : o_buf;
        const float *cur = grsn ? cst : g;                                // Eq. 2 (LIF)
        if (grsn) {
            #pragma omp simd
            for (int j = 0; j < H; j++) cst[j] = F[j] * cst[j] + (1.0f - F[j]) * J[j];   // Eq. 13
        }
        if (a) {                                  // spec §2.8: the input current beside c
            #pragma omp simd
            for (int j = 0; j < H; j++) cur_buf[j] = a[j] + cst[j];
            cur = cur_buf;
        }
        #pragma omp simd
        for (int j = 0; j < H; j++) u[j] = beta[j] * uh[j] + (1.0f - beta[j]) * cur[j];  // Eq. 1
        if (cfg->smooth) {
            for (int j = 0; j < H; j++) o[j] = fire(cfg, u[j] - theta);
        } else {
            #pragma omp simd
            for (int j = 0; j < H; j++) o[j] = u[j] - theta >= 0.0f ? 1.0f : 0.0f;      // Eq. 4-5
        }
        #pragma omp simd
        for (int j = 0; j < H; j++) {
            uh[j] = hard ? ur * o[j] + (1.0f - o[j]) * u[j]               // Eq. 3
                         : u[j] - theta * o[j];                           // Eq. 12
            float y = mem ? u[j] : o[j] + m * (u[j] - o[j]);              // readout
            out[j] = last ? y : out[j] + y;
        }
        if (spikes)
            for (int j = 0; j < H; j++) spikes[j] = last ? o[j] : spikes[j] + o[j];
        if (u_cache) {
            memcpy(uh_cache + (size_t)k * stride, uh, (size_t)H * sizeof(float));
            if (c_cache) memcpy(c_cache + (size_t)k * stride, cst, (size_t)H * sizeof(float));
        }
    }
    if (!last && K > 1) {
        for (int j = 0; j < H; j++) out[j] *= invK;
        if (spikes) for (int j = 0; j < H; j++) spikes[j] *= invK;
    }
    if (a) memcpy(state + H, out, (size_t)H * sizeof(float));   // o_t, the next gates' input
}

// Activate the gate pre-activations of one row in place (Eq. 14).
static void activate_gates(const GrsnCellConfig *cfg, float *g) {
    int H = cfg->hidden;
    if (cfg->kind != GRSN_CELL_GRSN) return;
    #pragma omp simd
    for (int j = 0; j < H; j++) g[j] = grsn_sigmoidf(g[j]);              // F
    #pragma omp simd
    for (int j = 0; j < H; j++) g[H + j] = g[H + j] > 0.0f ? g[H + j] : 0.0f;  // J
}

// GRU update of one row from its products gi = W_ih x + b_ih and
// gh = W_hh h + b_hh: writes the gates (r, z, n) and the new h into h_new
// (which may alias h).
static void gru_gates(int H, const float *gi, const float *gh, float *gates,
                      const float *h, float *h_new) {
    float *r = gates, *z = gates + H, *n = gates + 2 * H;
    #pragma omp simd
    for (int j = 0; j < H; j++) {
        r[j] = grsn_sigmoidf(gi[j] + gh[j]);
        z[j] = grsn_sigmoidf(gi[H + j] + gh[H + j]);
        n[j] = grsn_tanhf(gi[2 * H + j] + r[j] * gh[2 * H + j]);
    }
    for (int j = 0; j < H; j++) h_new[j] = (1.0f - z[j]) * n[j] + z[j] * h[j];
}

// The input-side weights of a cell as one [G*H][in] matrix and bias.
static const float *input_w(const GrsnCell *c) {
    if (spike_gates(&c->cfg)) return c->w_in;
    return c->cfg.kind == GRSN_CELL_GRSN ? c->w_f : c->cfg.kind == GRSN_CELL_LIF ? c->w_i : c->w_ih;
}
static const float *input_b(const GrsnCell *c) {
    if (spike_gates(&c->cfg)) return c->b_in;
    return c->cfg.kind == GRSN_CELL_GRSN ? c->b_f : c->cfg.kind == GRSN_CELL_LIF ? c->b_i : c->b_ih;
}

// ----------------------------------------------------------------------------
// Forward

// The last step t < T at which row bi is valid, -1 if none: the steps after
// it (an episode's padding) need no cache, and backward starts there.
static int last_valid(const float *mask, int T, int B, int bi) {
    int t = T - 1;
    while (t >= 0 && mask[(size_t)t * B + bi] == 0.0f) t--;
    return t;
}

// Per step: one product of the batch's h_{t-1} (cached in u_seq) with
// W_hh, then each row's gates. The rows are independent, so threads share
// them (as spikegate_forward's); each row also hands its new h to the next
// step's u_seq, so no serial copy stands between the steps.
static void gru_forward(GrsnCell *c, float *out, float *state, int T, int B) {
    int H = c->cfg.hidden;
    grsn_transpose_cached(c->wt_hh, c->wt_hh_seen, c->w_hh, 3 * H, H);
    memcpy(c->u_seq, state, (size_t)B * H * sizeof(float));
    for (int t = 0; t < T; t++) {
        size_t row0 = (size_t)t * B;
        float *gh = c->hid_a + row0 * 3 * H;
        grsn_matmul_forward(gh, c->u_seq + row0 * H, c->wt_hh, c->b_hh, c->mask + row0, B, H, 3 * H);
        #pragma omp parallel for schedule(static) if (B > 1 && (long)B * H * 8 > GRSN_PAR_MIN_WORK)
        for (int bi = 0; bi < B; bi++) {
            size_t row = row0 + bi;
            float *st = state + (size_t)bi * H, *o = out + row * H;
            if (c->mask[row] != 0.0f) {
                gru_gates(H, c->gate_a + row * 3 * H, gh + (size_t)bi * 3 * H, c->gates + row * 3 * H, st, st);
                memcpy(o, st, (size_t)H * sizeof(float));
            } else {
                memset(o, 0, (size_t)H * sizeof(float));
            }
            if (t + 1 < T) memcpy(c->u_seq + (row + B) * H, st, (size_t)H * sizeof(float));
        }
    }
}

// GRSN whose gates read o_{t-1} (spec §2.8): per step, one product of the
// batch's previous spikes with [W_f; W_i] (spike-fed, so only the active
// inputs cost), then each row's spiking update on its input current a_t,
// already in gate_a.
static void spikegate_forward(GrsnCell *c, float *out, float *state, int T, int B) {
    const GrsnCellConfig *cfg = &c->cfg;
    int H = cfg->hidden, S = c->state_size;
    float beta[GRSN_CELL_MAX_HIDDEN];
    load_beta(c, beta);
    grsn_transpose_cached(c->wt_hh, c->wt_hh_seen, c->w_f, 2 * H, H);
    for (int t = 0; t < T; t++) {
        size_t row0 = (size_t)t * B;
        float *sp = c->s_seq + row0 * H, *g0 = c->gates + row0 * 2 * H;
        for (int bi = 0; bi < B; bi++)
            memcpy(sp + (size_t)bi * H, state + (size_t)bi * S + H, (size_t)H * sizeof(float));
        grsn_matmul_forward(g0, sp, c->wt_hh, c->b_f, c->mask + row0, B, H, 2 * H);   // Eq. 14 on o_{t-1}
        #pragma omp parallel for schedule(static) if (B > 1 && (long)B * H * 8 > GRSN_PAR_MIN_WORK)
        for (int bi = 0; bi < B; bi++) {
            size_t row = row0 + bi, at = row * H;
            float *st = state + (size_t)bi * S, *o = out + at;
            if (c->mask[row] == 0.0f) {   // skipped step: state held, recorded for backward
                memcpy(c->c_seq + at, st, (size_t)H * sizeof(float));
                memcpy(c->uh_seq + at, st + 2 * H, (size_t)H * sizeof(float));
                memset(o, 0, (size_t)H * sizeof(float));
                continue;
            }
            float *g = g0 + (size_t)bi * 2 * H;
            activate_gates(cfg, g);
            spiking_decision(cfg, 0.0f, beta, g, c->gate_a + at, st, o, NULL, c->c_seq + at, c->u_seq + at,
                             c->uh_seq + at, c->o_seq + at, (size_t)B * H);
        }
    }
}

// Step t of spiking row bi (gates on the input, already in gate_a): the
// neuron update of Eq. 13-14, 1, 4-5 and 12 on the row's state, its output
// into out. With cache, what backward reads goes into the substep caches:
// substep k of step t is slot (t*K + k)*B + bi. A masked step holds the
// state and outputs zero; with cache it records the held state when a later
// step of the row is valid, so that its backward sees the carry.
static void spiking_forward_step(GrsnCell *c, const float *beta, float *out, float *state, int bi, int t,
                                 int cache) {
    const GrsnCellConfig *cfg = &c->cfg;
    int H = cfg->hidden, G = ngate(cfg), K = cfg->substeps, S = c->state_size, B = c->B;
    float *st = state + (size_t)bi * S;
    size_t row = (size_t)t * B + bi;
    float *o = out + row * H, *g = c->gate_a + row * G * H;
    size_t base = ((size_t)t * K * B + bi) * H, stride = (size_t)B * H;
    if (c->mask[row] == 0.0f) {
        for (int k = 0; t < c->last_step[bi] && k < K; k++) {
            size_t at = base + (size_t)k * stride;
            if (cfg->kind == GRSN_CELL_GRSN) memcpy(c->c_seq + at, st, (size_t)H * sizeof(float));
            memcpy(c->uh_seq + at, st + (S - H), (size_t)H * sizeof(float));
        }
        memset(o, 0, (size_t)H * sizeof(float));
        if (c->spk_seq) memset(c->spk_seq + row * H, 0, (size_t)H * sizeof(float));
        return;
    }
    activate_gates(cfg, g);
    spiking_decision(cfg, membrane_share(c), beta, g, NULL, st, o, c->spk_seq ? c->spk_seq + row * H : NULL,
                     cache && cfg->kind == GRSN_CELL_GRSN ? c->c_seq + base : NULL,
                     cache ? c->u_seq + base : NULL, cache ? c->uh_seq + base : NULL,
                     cache ? c->o_seq + base : NULL, stride);
}

// Rows b0 .. b1 through all T steps, side by side step by step (one block of
// grsn_cell_forward's rows; the rows are independent, so the blocks change
// no bit).
static void spiking_forward_rows(GrsnCell *c, const float *beta, float *out, float *state, int T, int b0, int b1,
                                 int cache) {
    for (int t = 0; t < T; t++)
        for (int bi = b0; bi < b1; bi++) spiking_forward_step(c, beta, out, state, bi, t, cache);
}

static void cell_forward(GrsnCell *c, float *out, float *state, const float *x,
                         const float *mask, int T, int B, int cache);

void grsn_cell_forward(GrsnCell *c, float *out, float *state, const float *x,
                       const float *mask, int T, int B) {
    cell_forward(c, out, state, x, mask, T, B, 1);
}

void grsn_cell_forward_nograd(GrsnCell *c, float *out, float *state, const float *x,
                              const float *mask, int T, int B) {
    cell_forward(c, out, state, x, mask, T, B, 0);
}

// cache = 0 leaves out what only the backward pass reads (the spiking
// cells' c, u, u^ and o of every substep); the GRU and the spike-gated GRSN
// cache all the same. c->cached tells the backward pass.
static void cell_forward(GrsnCell *c, float *out, float *state, const float *x,
                         const float *mask, int T, int B, int cache) {
    const GrsnCellConfig *cfg = &c->cfg;
    GRSN_ASSERT(T >= 1 && T <= c->max_T && B >= 1 && B <= c->max_B,
                "cell forward: T=%d B=%d beyond max_T=%d max_B=%d", T, B, c->max_T, c->max_B);
    int H = cfg->hidden, in = cfg->in, G = ngate(cfg), S = c->state_size;
    size_t TB = (size_t)T * B;
    c->T = T; c->B = B;
    c->cached = cache || !spiking(cfg) || spike_gates(cfg);   // those two always cache
    for (size_t i = 0; i < TB; i++) c->mask[i] = mask ? (mask[i] != 0.0f) : 1.0f;
    memcpy(c->state0, state, (size_t)B * S * sizeof(float));

    // Input-side products for every step at once: GRSN gates, LIF current, GRU gi.
    grsn_transpose_cached(c->wt, c->wt_seen, input_w(c), G * H, in);
    grsn_matmul_forward(c->gate_a, x, c->wt, input_b(c), c->mask, (int)TB, in, G * H);
    if (cfg->kind == GRSN_CELL_GRU) { gru_forward(c, out, state, T, B); return; }
    if (spike_gates(cfg)) { spikegate_forward(c, out, state, T, B); return; }

    float beta[GRSN_CELL_MAX_HIDDEN];
    load_beta(c, beta);
    // Spiking cells: each row's recurrence is independent. Each thread takes
    // a block of rows and runs them side by side, step by step, so that a
    // step reads and writes one contiguous stretch of the [T][B] buffers. (One
    // row at a time through all its steps jumped B*H floats per step, farther
    // than the hardware prefetcher follows, and the cell waited on memory.)
    int nblk = B < grsn_threads() ? B : grsn_threads();
    for (int bi = 0; bi < B; bi++) c->last_step[bi] = cache ? last_valid(c->mask, T, B, bi) : -1;
    if (nblk > 1 && grsn_par((long)T * H * 8)) {
        #pragma omp parallel for schedule(static)
        for (int blk = 0; blk < nblk; blk++)
            spiking_forward_rows(c, beta, out, state, T, (int)((long)B * blk / nblk),
                                 (int)((long)B * (blk + 1) / nblk), cache);
    } else {
        spiking_forward_rows(c, beta, out, state, T, 0, B, cache);
    }
}

void grsn_cell_act_reset(const GrsnCell *c, float *state, int B) {
    if (!c->cfg.act_reset_membrane || c->cfg.kind == GRSN_CELL_GRU) return;
    int H = c->cfg.hidden, S = c->state_size;   // u^ is the last H floats of a row
    for (int b = 0; b < B; b++) memset(state + (size_t)b * S + (S - H), 0, (size_t)H * sizeof(float));
}

const float *grsn_cell_forward_spikes(const GrsnCell *c, const float *out) {
    return c->spk_seq ? c->spk_seq : out;
}

const float *grsn_cell_step_spikes(const GrsnCell *c, const float *out) {
    return c->step_spikes ? c->step_spikes : out;
}

void grsn_cell_step(GrsnCell *c, float *out, float *state, const float *x, int B) {
    const GrsnCellConfig *cfg = &c->cfg;
    GRSN_ASSERT(B >= 1 && B <= c->max_B, "cell step: B=%d beyond max_B=%d", B, c->max_B);
    int H = cfg->hidden, in = cfg->in, G = ngate(cfg), S = c->state_size;
    // The same products, in the same order, as grsn_cell_forward.
    grsn_transpose_cached(c->wt, c->wt_seen, input_w(c), G * H, in);
    grsn_matmul_forward(c->step_g, x, c->wt, input_b(c), NULL, B, in, G * H);
    if (cfg->kind == GRSN_CELL_GRU) {
        grsn_transpose_cached(c->wt_hh, c->wt_hh_seen, c->w_hh, 3 * H, H);
        grsn_matmul_forward(c->step_gh, state, c->wt_hh, c->b_hh, NULL, B, H, 3 * H);
        for (int bi = 0; bi < B; bi++) {
            float *st = state + (size_t)bi * H;
            gru_gates(H, c->step_g + (size_t)bi * 3 * H, c->step_gh + (size_t)bi * 3 * H,
                      c->step_gates + (size_t)bi * 3 * H, st, st);
            memcpy(out + (size_t)bi * H, st, (size_t)H * sizeof(float));
        }
        return;
    }
    float beta[GRSN_CELL_MAX_HIDDEN];
    load_beta(c, beta);
    int sg = spike_gates(cfg);
    if (sg) {   // the gates on o_{t-1}, as spikegate_forward computes them
        grsn_transpose_cached(c->wt_hh, c->wt_hh_seen, c->w_f, 2 * H, H);
        for (int bi = 0; bi < B; bi++)
            memcpy(c->step_gates + (size_t)bi * H, state + (size_t)bi * S + H, (size_t)H * sizeof(float));
        grsn_matmul_forward(c->step_gh, c->step_gates, c->wt_hh, c->b_f, NULL, B, H, 2 * H);
    }
    grsn_cell_act_reset(c, state, B);
    for (int bi = 0; bi < B; bi++) {
        float *st = state + (size_t)bi * S;
        float *g = sg ? c->step_gh + (size_t)bi * 2 * H : c->step_g + (size_t)bi * G * H;
        activate_gates(cfg, g);
        spiking_decision(cfg, membrane_share(c), beta, g, sg ? c->step_g + (size_t)bi * H : NULL, st,
                         out + (size_t)bi * H, c->step_spikes ? c->step_spikes + (size_t)bi * H : NULL,
                         NULL, NULL, NULL, NULL, 0);
    }
}

// ----------------------------------------------------------------------------
// Backward

// Adjoint of the potential u at one substep, from the adjoint `dspike`
// reaching its spike o from the output (and, with spike gates, from the next
// gates) and the adjoint duh of the reset potential u^ it produced:
//   do = dspike + (du^/do) du^,  du = (du^/du) du^ + do h'(u - theta)
// (Eq. 6 for h', Eq. 12 or Eq. 3 for the reset; reset_grad 0: detached).
static inline float potential_adjoint(const GrsnCellConfig *cfg, float u, float o, float dspike, float duh,
                                      float reset_grad) {
    int hard = cfg->reset == GRSN_RESET_HARD;
    float q = 0.5f * PI_F * cfg->alpha * (u - cfg->threshold);
    float sg = 0.5f * cfg->alpha / (1.0f + q * q);                              // h'(v), Eq. 6
    float dres_do = reset_grad * (hard ? cfg->u_reset - u : -cfg->threshold);   // Eq. 3 / Eq. 12
    float dres_du = hard ? 1.0f - o : 1.0f;
    return dres_du * duh + (dspike + dres_do * duh) * sg;
}

// BPTT of one spiking row at one valid step t, carrying the adjoints of the
// row's state in d0 [S] (dc, du^ for GRSN; du^ for LIF) and summing its decay
// adjoint into dbeta_row[H]. Writes the gate adjoints of the step into dgate
// (GRSN: dF-pre, dJ-pre; LIF: dc). The neuron loops carry no dependence
// between neurons and vectorise.
static void spiking_backward_step(GrsnCell *c, const float *beta, const float *dout, int bi, int t,
                                  float *dbeta_row, float *d0) {
    const GrsnCellConfig *cfg = &c->cfg;
    int H = cfg->hidden, K = cfg->substeps, B = c->B, G = ngate(cfg), S = c->state_size;
    int grsn = cfg->kind == GRSN_CELL_GRSN;
    const float m = membrane_share(c), wo = 1.0f - m;   // the readout's shares of u and o
    const float reset_grad = cfg->detach_reset ? 0.0f : 1.0f;
    const float *st0 = c->state0 + (size_t)bi * S;
    const size_t stride = (size_t)B * H, row = (size_t)t * B + bi;
    float *dc = grsn ? d0 : NULL, *duh = grsn ? d0 + H : d0;   // carried adjoints
    float dF[GRSN_CELL_MAX_HIDDEN], dJ[GRSN_CELL_MAX_HIDDEN];  // LIF: dJ holds dc_t
    float *dg = c->dgate + row * G * H;
    const float *g = c->gate_a + row * G * H;   // activated: F, J (GRSN) or c (LIF)
    const float *F = g, *J = grsn ? g + H : g, *go = dout + row * H;
    memset(dF, 0, (size_t)H * sizeof(float));
    memset(dJ, 0, (size_t)H * sizeof(float));
    for (int k = K - 1; k >= 0; k--) {
        size_t n = (size_t)t * K + k, at = n * stride + (size_t)bi * H;   // flattened substep
        const float *u = c->u_seq + at, *o = c->o_seq + at;
        // Previous substep's state, or the window's initial state.
        const float *uh_prev = n > 0 ? c->uh_seq + at - stride : st0 + (S - H);
        const float *cur = grsn ? c->c_seq + at : g;
        const float *c_prev = grsn ? (n > 0 ? c->c_seq + at - stride : st0) : NULL;
        float wk = cfg->decode == GRSN_DECODE_LAST ? (k == K - 1 ? 1.0f : 0.0f) : 1.0f / (float)K;
        #pragma omp simd
        for (int j = 0; j < H; j++) {
            float gy = wk * go[j];   // the output's gradient: (1 - m) gy to o, m gy to u
            float du = potential_adjoint(cfg, u[j], o[j], wo * gy, duh[j], reset_grad) + m * gy;
            dbeta_row[j] += du * (uh_prev[j] - cur[j]);                    // Eq. 1
            duh[j] = beta[j] * du;
            float dct = (1.0f - beta[j]) * du;
            if (grsn) {                                                    // Eq. 13
                dct += dc[j];
                dF[j] += dct * (c_prev[j] - J[j]);
                dJ[j] += dct * (1.0f - F[j]);
                dc[j] = dct * F[j];
            } else {
                dJ[j] += dct;
            }
        }
    }
    if (grsn) {
        #pragma omp simd
        for (int j = 0; j < H; j++) {
            dg[j] = dF[j] * F[j] * (1.0f - F[j]);         // sigmoid'
            dg[H + j] = J[j] > 0.0f ? dJ[j] : 0.0f;       // ReLU'(0) = 0
        }
    } else {
        memcpy(dg, dJ, (size_t)H * sizeof(float));
    }
}

// BPTT of the spiking cells (gates on the input): every row backwards from
// its last valid step (c->last_step, set by the forward pass), carrying its
// adjoints in dstate and its decay adjoint in dbeta_rows. As in the forward
// pass, a thread runs a block of rows side by side, step by step. Masked
// steps inside a row's window get zero gate adjoints and pass the carried
// ones through; the trailing ones are never read (the products skip them).
static void spiking_backward(GrsnCell *c, const float *beta, const float *dout) {
    int H = c->cfg.hidden, B = c->B, G = ngate(&c->cfg), S = c->state_size;
    const int *last = c->last_step;
    int nblk = B < grsn_threads() ? B : grsn_threads();
    long work = (long)c->T * H * 8;   // used by the OpenMP if() clause
    (void)work;
    #pragma omp parallel for schedule(static) if (nblk > 1 && work > GRSN_PAR_MIN_WORK)
    for (int blk = 0; blk < nblk; blk++) {
        int b0 = (int)((long)B * blk / nblk), b1 = (int)((long)B * (blk + 1) / nblk), tmax = -1;
        for (int bi = b0; bi < b1; bi++) {
            memset(c->dstate + (size_t)bi * S, 0, (size_t)S * sizeof(float));
            memset(c->dbeta_rows + (size_t)bi * H, 0, (size_t)H * sizeof(float));
            tmax = last[bi] > tmax ? last[bi] : tmax;
        }
        for (int t = tmax; t >= 0; t--)
            for (int bi = b0; bi < b1; bi++) {
                size_t row = (size_t)t * B + bi;
                if (t > last[bi]) continue;
                if (c->mask[row] == 0.0f) { memset(c->dgate + row * G * H, 0, (size_t)G * H * sizeof(float)); continue; }
                spiking_backward_step(c, beta, dout, bi, t, c->dbeta_rows + (size_t)bi * H, c->dstate + (size_t)bi * S);
            }
    }
}

// BPTT of the spike-gated GRSN (K = 1), step by step backwards over the
// whole batch. Each row carries the adjoints dc and du^ (in dstate) and do
// of its previous spikes (ds_rows): at a valid step the adjoint reaching o_t
// is the output's plus what the gates of step t + 1 sent back through
// [W_f; W_i]. Writes da_t into dgate and the gate adjoints into dhid.
static void spikegate_backward(GrsnCell *c, const float *beta, const float *dout) {
    const GrsnCellConfig *cfg = &c->cfg;
    int H = cfg->hidden, T = c->T, B = c->B, S = c->state_size;
    const float reset_grad = cfg->detach_reset ? 0.0f : 1.0f;
    const size_t stride = (size_t)B * H;
    memset(c->dstate, 0, (size_t)B * S * sizeof(float));
    memset(c->ds_rows, 0, (size_t)B * H * sizeof(float));
    memset(c->dbeta_rows, 0, (size_t)B * H * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        size_t row0 = (size_t)t * B;
        #pragma omp parallel for schedule(static) if (B > 1 && (long)B * H * 8 > GRSN_PAR_MIN_WORK)
        for (int bi = 0; bi < B; bi++) {
            size_t row = row0 + bi, at = row * H;
            float *da = c->dgate + at, *dg = c->dhid + row * 2 * H;
            if (c->mask[row] == 0.0f) {   // held state: the adjoints pass through
                memset(da, 0, (size_t)H * sizeof(float));
                memset(dg, 0, (size_t)2 * H * sizeof(float));
                continue;
            }
            float *dc = c->dstate + (size_t)bi * S, *duh = dc + 2 * H, *ds = c->ds_rows + (size_t)bi * H;
            float *dbeta_row = c->dbeta_rows + (size_t)bi * H;
            const float *st0 = c->state0 + (size_t)bi * S;
            const float *F = c->gates + row * 2 * H, *J = F + H;
            const float *u = c->u_seq + at, *cn = c->c_seq + at, *a = c->gate_a + at, *go = dout + at;
            const float *uh_prev = t > 0 ? c->uh_seq + at - stride : st0 + 2 * H;
            const float *c_prev = t > 0 ? c->c_seq + at - stride : st0;
            const float *o = c->o_seq + at;
            #pragma omp simd
            for (int j = 0; j < H; j++) {
                float du = potential_adjoint(cfg, u[j], o[j], go[j] + ds[j], duh[j], reset_grad);
                dbeta_row[j] += du * (uh_prev[j] - (a[j] + cn[j]));           // Eq. 1
                duh[j] = beta[j] * du;
                float dcur = (1.0f - beta[j]) * du;
                da[j] = dcur;
                float dct = dcur + dc[j];                                      // Eq. 13
                float dF = dct * (c_prev[j] - J[j]), dJ = dct * (1.0f - F[j]);
                dc[j] = dct * F[j];
                dg[j] = dF * F[j] * (1.0f - F[j]);                             // sigmoid'
                dg[H + j] = J[j] > 0.0f ? dJ : 0.0f;                           // ReLU'(0) = 0
                ds[j] = 0.0f;
            }
        }
        // do_{t-1} += [W_f; W_i]^T dg for the whole batch (masked rows add nothing).
        grsn_matmul_backward(c->ds_rows, NULL, NULL, c->dhid + row0 * 2 * H, NULL, c->w_f, c->mask + row0,
                             B, H, 2 * H);
    }
    for (int bi = 0; bi < B; bi++)
        memcpy(c->dstate + (size_t)bi * S + H, c->ds_rows + (size_t)bi * H, (size_t)H * sizeof(float));
}

static void gru_backward(GrsnCell *c, const float *dout, float *dh) {
    int H = c->cfg.hidden, T = c->T, B = c->B;
    memset(dh, 0, (size_t)B * H * sizeof(float));
    for (int t = T - 1; t >= 0; t--) {
        size_t row0 = (size_t)t * B;
        // Each row's gate adjoints on its own (threads share the rows, as forward).
        #pragma omp parallel for schedule(static) if (B > 1 && (long)B * H * 8 > GRSN_PAR_MIN_WORK)
        for (int bi = 0; bi < B; bi++) {
            size_t row = row0 + bi;
            float *dgi = c->dgate + row * 3 * H, *dgh = c->dhid + row * 3 * H, *dhb = dh + (size_t)bi * H;
            if (c->mask[row] == 0.0f) {      // held state: the adjoint passes through
                memset(dgi, 0, (size_t)3 * H * sizeof(float));
                memset(dgh, 0, (size_t)3 * H * sizeof(float));
                continue;
            }
            const float *gt = c->gates + row * 3 * H, *gh = c->hid_a + row * 3 * H;
            const float *r = gt, *z = gt + H, *n = gt + 2 * H;
            const float *hp = c->u_seq + row * H, *go = dout + row * H;
            for (int j = 0; j < H; j++) {
                float d = dhb[j] + go[j];
                float dn = d * (1.0f - z[j]);
                float dz = d * (hp[j] - n[j]);
                float dan = dn * (1.0f - n[j] * n[j]);
                float dr = dan * gh[2 * H + j];
                float daz = dz * z[j] * (1.0f - z[j]);
                float dar = dr * r[j] * (1.0f - r[j]);
                dgi[j] = dar; dgi[H + j] = daz; dgi[2 * H + j] = dan;
                dgh[j] = dar; dgh[H + j] = daz; dgh[2 * H + j] = dan * r[j];
                dhb[j] = d * z[j];
            }
        }
        // dh_{t-1} += W_hh^T dgh for the whole batch.
        grsn_matmul_backward(dh, NULL, NULL, c->dhid + row0 * 3 * H, NULL, c->w_hh, c->mask + row0, B, H, 3 * H);
    }
}

void grsn_cell_backward(GrsnCell *c, float *dx, float *dstate0, const float *dout,
                        const float *x, int T, int B) {
    const GrsnCellConfig *cfg = &c->cfg;
    GRSN_ASSERT(T == c->T && B == c->B, "cell backward: T=%d B=%d but forward ran T=%d B=%d", T, B, c->T, c->B);
    GRSN_ASSERT(c->cached, "cell backward after grsn_cell_forward_nograd, which keeps no caches");
    int H = cfg->hidden, in = cfg->in, G = ngate(cfg), S = c->state_size;
    size_t TB = (size_t)T * B;
    float beta[GRSN_CELL_MAX_HIDDEN];
    if (spiking(cfg)) load_beta(c, beta);

    if (cfg->kind == GRSN_CELL_GRU) {
        gru_backward(c, dout, c->dstate);
    } else if (spike_gates(cfg)) {
        spikegate_backward(c, beta, dout);
    } else {
        spiking_backward(c, beta, dout);
    }
    if (dstate0) memcpy(dstate0, c->dstate, (size_t)B * S * sizeof(float));

    // Parameter and input gradients from the gate adjoints, in fixed order.
    if (cfg->kind == GRSN_CELL_GRU) {
        grsn_matmul_backward(dx, c->dw_ih, c->db_ih, c->dgate, x, c->w_ih, c->mask, (int)TB, in, 3 * H);
        grsn_matmul_backward(NULL, c->dw_hh, c->db_hh, c->dhid, c->u_seq, c->w_hh, c->mask, (int)TB, H, 3 * H);
        return;
    }
    if (spike_gates(cfg)) {
        grsn_matmul_backward(dx, c->dw_in, c->db_in, c->dgate, x, c->w_in, c->mask, (int)TB, in, H);
        grsn_matmul_backward(NULL, c->dw_f, c->db_f, c->dhid, c->s_seq, c->w_f, c->mask, (int)TB, H, 2 * H);
    } else {
        float *w = cfg->kind == GRSN_CELL_GRSN ? c->w_f : c->w_i;
        float *dw = cfg->kind == GRSN_CELL_GRSN ? c->dw_f : c->dw_i;
        float *db = cfg->kind == GRSN_CELL_GRSN ? c->db_f : c->db_i;
        grsn_matmul_backward(dx, dw, db, c->dgate, x, w, c->mask, (int)TB, in, G * H);
    }
    if (c->beta_a) {
        // beta = sigmoid(a): da = dbeta * beta (1 - beta). Rows summed in order.
        int per_neuron = cfg->beta_mode == GRSN_BETA_NEURON;
        double layer_sum = 0.0;
        for (int j = 0; j < H; j++) {
            float s = 0.0f;
            for (int bi = 0; bi < B; bi++) s += c->dbeta_rows[(size_t)bi * H + j];
            float bj = beta[j];
            if (per_neuron) c->dbeta_a[j] += s * bj * (1.0f - bj);
            else layer_sum += (double)s;
        }
        if (!per_neuron) c->dbeta_a[0] += (float)layer_sum * beta[0] * (1.0f - beta[0]);
    }
}
