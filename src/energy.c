/*
 * energy.c — operation counts and energy estimates (paper §5.4, Eq. 15-16;
 * reference-implementation.md §10): the operation models of the control
 * agents and of the QMIX agent and mixer, the costing of a model under the
 * acting or the paper convention, spike measurement (control agents, and
 * QMIX agents from their checkpoints), and Table 4.
 *
 * Eq. 16 (real-valued input): every connection is one multiply-accumulate,
 *   SOP_ANN = sum_l f_in^l N^l                  -> in x out MACs per block.
 * Eq. 15 (spike input): every spike costs one accumulate per outgoing
 *   connection, summed over the T time steps of a decision,
 *   SOP_SNN = sum_t sum_l sum_j f_out^l[j] o_t^l[j]   -> spikes x out ACs.
 */
#include "common.h"
#include "grsn_energy.h"
#include "grsn_train.h"        // control checkpoints and their environments
#include "grsn_train_qmix.h"   // QMIX checkpoints
#include "kvconf.h"            // grsn_kv_refail

// ----------------------------------------------------------------------------
// Options

GrsnEnergyOptions grsn_energy_options_default(void) {
    GrsnEnergyOptions o;
    memset(&o, 0, sizeof o);
    o.convention = GRSN_ENERGY_ACTING;
    o.e_ac_pj = 0.9;     // Han et al. 2015, 45 nm, 32-bit float add
    o.e_mac_pj = 4.6;    // 3.7 pJ multiply + 0.9 pJ add
    o.paper_grsn_fit = 0;
    return o;
}

double grsn_energy_k(double x) { return floor(x / 10.0 + 0.5) / 100.0; }

static const char *convention_names[] = {"acting", "paper"};

int grsn_energy_convention_from_name(const char *name) {
    for (int i = 0; i < 2; i++) if (!strcmp(name, convention_names[i])) return i;
    return -1;
}

const char *grsn_energy_convention_name(grsn_energy_convention c) {
    return (unsigned)c < 2 ? convention_names[c] : "?";
}

static grsn_status check_options(const GrsnEnergyOptions *o) {
    if ((unsigned)o->convention > GRSN_ENERGY_PAPER)
        return grsn_fail(GRSN_ERR_ARG, "unknown energy convention %d; valid: " GRSN_ENERGY_CONVENTION_NAMES,
                         (int)o->convention);
    if (!(o->e_ac_pj >= 0 && isfinite(o->e_ac_pj)))
        return grsn_fail(GRSN_ERR_ARG, "accumulate energy %g pJ must be a finite number >= 0", o->e_ac_pj);
    if (!(o->e_mac_pj >= 0 && isfinite(o->e_mac_pj)))
        return grsn_fail(GRSN_ERR_ARG, "multiply-accumulate energy %g pJ must be a finite number >= 0", o->e_mac_pj);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Building a model

static void model_start(GrsnOpModel *m, const char *title) {
    memset(m, 0, sizeof *m);
    snprintf(m->title, sizeof m->title, "%s", title);
}

// Of the T steps a core spikes in per decision, those whose spikes its
// output hands on: all of them with rate decoding, the last one when the
// cell decodes its last substep.
static int decoded_steps(grsn_decode decode, int T) { return decode == GRSN_DECODE_LAST ? 1 : T; }

// A source of `neurons` spiking over T steps per decision, whose blocks read
// the spikes of its decoded steps.
static int add_source(GrsnOpModel *m, const char *name, int neurons, int T, grsn_decode decode) {
    GRSN_ASSERT(m->nsources < GRSN_ENERGY_MAX_SOURCES, "too many spike sources");
    GrsnSpikeSource *s = &m->source[m->nsources];
    snprintf(s->name, sizeof s->name, "%s", name);
    s->neurons = neurons;
    s->T = T;
    s->fed_T = decoded_steps(decode, T);
    return m->nsources++;
}

static GrsnOpBlock *add_block(GrsnOpModel *m, const char *prefix, const char *name, grsn_block_kind kind,
                              int in, int out, int bias, int source, double elem) {
    GRSN_ASSERT(m->nblocks < GRSN_ENERGY_MAX_BLOCKS, "too many blocks");
    GrsnOpBlock *b = &m->block[m->nblocks++];
    snprintf(b->name, sizeof b->name, "%s.%s", prefix, name);
    b->kind = kind;
    b->in = in; b->out = out; b->bias = bias;
    b->source = source;
    b->elem = elem;
    b->paper_extra = 0;
    return b;
}

static void add_mixer_layer(GrsnOpModel *m, const char *name, int in, int out) {
    GRSN_ASSERT(m->nmixer < 8, "too many mixer layers");
    GrsnOpBlock *b = &m->mixer[m->nmixer++];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "mixer.%s", name);
    b->kind = GRSN_BLOCK_DENSE;
    b->in = in; b->out = out; b->bias = 1; b->source = -1;
}

static int spiking_net(grsn_net n) { return n == GRSN_NET_GRSN || n == GRSN_NET_LIF; }

// The recurrent core on input width D, H neurons, K substeps. Element-wise
// work per decision, for information (spec §10.3):
//   GRSN: sigmoid and ReLU on the gates (2H), then per substep the c-update
//         F c + (1 - F) J (4H), the u-update beta u + (1 - beta) c (3H), the
//         threshold compare (H) and the reset (H): 2H + 9KH;
//   LIF:  per substep u-update 3H, compare H, reset H: 5KH;
//   GRU:  2 sigmoids and a tanh (3H), the gate sums r, z (2H), r * gh_n and
//         its sum (2H), h = (1 - z) n + z h (4H): 11H.
//   GRSN with gates = SPIKES (spec §2.8): the gates (2H), the c-update (4H),
//         the current a + c (H), u-update, compare and reset (5H): 12H.
// Returns the spike source index, or -1 for GRU.
static int add_core(GrsnOpModel *m, const char *prefix, grsn_net net, int D, int H, int K, grsn_decode decode,
                    int gate_bias, grsn_gate_source gates) {
    char src[32];
    snprintf(src, sizeof src, "%s.core", prefix);
    switch (net) {
    case GRSN_NET_GRSN:
        if (gates == GRSN_GATES_SPIKES) {
            // The input current W_in x + b_in is dense; F and J read the
            // layer's spikes of the previous decision (Eq. 15 on them). Their
            // mean count per decision is the core's own, measured over the
            // sampled decisions (the first of an episode reads zeros).
            add_block(m, prefix, "cell.in", GRSN_BLOCK_DENSE, D, H, gate_bias, -1, 0);
            int s = add_source(m, src, H, 1, GRSN_DECODE_RATE);
            add_block(m, prefix, "cell.gates[o]", GRSN_BLOCK_SPIKE, H, 2 * H, 1, s, 12.0 * H);
            return s;
        }
        // Eq. 14: F = sigmoid(W_f x + b_f), J = ReLU(W_i x + b_i), one 2H x D product.
        add_block(m, prefix, "cell.gates", GRSN_BLOCK_DENSE, D, 2 * H, gate_bias, -1, 2.0 * H + 9.0 * K * H);
        return add_source(m, src, H, K, decode);
    case GRSN_NET_LIF:
        // Eq. 2: the input current c = W x + b.
        add_block(m, prefix, "cell.current", GRSN_BLOCK_DENSE, D, H, gate_bias, -1, 5.0 * K * H);
        return add_source(m, src, H, K, decode);
    case GRSN_NET_GRU:
        add_block(m, prefix, "cell.ih", GRSN_BLOCK_RNN, D, 3 * H, 1, -1, 0);
        add_block(m, prefix, "cell.hh", GRSN_BLOCK_RNN, H, 3 * H, 1, -1, 11.0 * H);
        return -1;
    case GRSN_NET_MLP:
        break;
    }
    return -1;
}

// The spike source that feeds the blocks after the core: the core's own, or
// none when the core hands on real values (GRU h, MLP activations, or a
// spiking core's potential with readout = MEMBRANE; its spikes then only
// reset it).
static int core_output(int source, grsn_readout readout) {
    return readout == GRSN_READOUT_MEMBRANE ? -1 : source;
}

// A control agent's head block fed by the core output z: spike-driven if the
// core spikes, a dense product of real values otherwise (see core_output).
// No bias: the head's bias is charged with its shortcut part.
static void add_core_fed(GrsnOpModel *m, const char *prefix, const char *name, int source, int H, int out) {
    if (source >= 0) add_block(m, prefix, name, GRSN_BLOCK_SPIKE, H, out, 0, source, 0);
    else add_block(m, prefix, name, GRSN_BLOCK_DENSE, H, out, 0, -1, 0);
}

// The control encoder (spec §3.1): embeddings of a_{t-1}, r_{t-1}, o_t with
// ReLU, then the core on their concatenation (D = 8 + 8 + 32); the MLP
// baseline has ReLU(mlp(o_emb)) instead.
static int add_encoder(GrsnOpModel *m, const char *prefix, const GrsnAgentConfig *c, int gate_bias) {
    if (c->net == GRSN_NET_MLP) {
        add_block(m, prefix, "emb_o", GRSN_BLOCK_DENSE, c->obs_dim, c->emb_o, 1, -1, c->emb_o);
        add_block(m, prefix, "mlp", GRSN_BLOCK_DENSE, c->emb_o, c->hidden, 1, -1, c->hidden);
        return -1;
    }
    int D = c->emb_a + c->emb_r + c->emb_o;
    add_block(m, prefix, "emb_a", GRSN_BLOCK_DENSE, c->act_dim, c->emb_a, 1, -1, c->emb_a);
    add_block(m, prefix, "emb_r", GRSN_BLOCK_DENSE, 1, c->emb_r, 1, -1, c->emb_r);
    add_block(m, prefix, "emb_o", GRSN_BLOCK_DENSE, c->obs_dim, c->emb_o, 1, -1, c->emb_o);
    return add_core(m, prefix, c->net, D, c->hidden, c->cell.substeps, c->cell.decode, gate_bias, c->cell.gates);
}

// ----------------------------------------------------------------------------
// Control agents (spec §3, §10.3)

grsn_status grsn_energy_model_agent(GrsnOpModel *m, const GrsnAgentConfig *c, const GrsnEnergyOptions *opt) {
    GRSN_TRY(check_options(opt));
    if ((unsigned)c->algo > GRSN_ALGO_SACD)
        return grsn_fail(GRSN_ERR_ARG, "unknown algo %d; valid algos: " GRSN_ALGO_NAMES, (int)c->algo);
    if ((unsigned)c->net > GRSN_NET_MLP)
        return grsn_fail(GRSN_ERR_ARG, "unknown net %d; valid nets: " GRSN_NET_NAMES, (int)c->net);
    if (c->obs_dim < 1 || c->act_dim < 1 || c->emb_a < 1 || c->emb_r < 1 || c->emb_o < 1 || c->hidden < 1 ||
        c->head_hidden < 1)
        return grsn_fail(GRSN_ERR_ARG, "impossible agent sizes (obs %d, act %d, emb %d/%d/%d, hidden %d, head %d)",
                         c->obs_dim, c->act_dim, c->emb_a, c->emb_r, c->emb_o, c->hidden, c->head_hidden);
    int K = spiking_net(c->net) ? c->cell.substeps : 1;
    if (K < 1 || K > 64) return grsn_fail(GRSN_ERR_ARG, "substeps %d outside 1..64", K);

    int paper = opt->convention == GRSN_ENERGY_PAPER;
    int fit = paper && opt->paper_grsn_fit && spiking_net(c->net);
    int H = c->hidden, hh = c->head_hidden;
    char title[96];
    snprintf(title, sizeof title, "%s, %s core", grsn_algo_name(c->algo), grsn_net_name(c->net));
    model_start(m, title);

    // Actor (spec §3.1): head input [z, ReLU(short(o))], 160 -> 128 -> 128 -> d_out.
    int d_out = c->act_dim;
    double out_elem = c->discrete ? 3.0 * d_out : d_out;   // softmax (exp, sum, divide) or tanh
    int src = core_output(add_encoder(m, "actor", c, !fit), c->cell.readout);
    add_block(m, "actor", "short", GRSN_BLOCK_DENSE, c->obs_dim, c->emb_o, 1, -1, c->emb_o);
    // Table 4's GRSN "MLP" column equals the GRU one minus two of the three
    // spike-fed H x hh blocks plus both networks' gate weights without biases
    // (spec §10.2), an empirical fit, [unverified]. Under the fit the gate
    // biases are dropped (add_encoder's !fit) and the actor's block reads
    // the spikes as a dense product instead of by accumulates: which of the
    // three the paper charged densely is not known, and charging one both
    // ways would count it twice.
    add_core_fed(m, "actor", "head.0[z]", fit ? -1 : src, H, hh);
    add_block(m, "actor", "head.0[k]", GRSN_BLOCK_DENSE, c->emb_o, hh, 1, -1, hh);
    add_block(m, "actor", "head.1", GRSN_BLOCK_DENSE, hh, hh, 1, -1, hh);
    add_block(m, "actor", "head.2", GRSN_BLOCK_DENSE, hh, d_out, 1, -1, out_elem);
    if (!paper) return GRSN_OK;

    // Critic (spec §3.2): its own encoder; shortcut of [o, a] (TD3) or o
    // (SAC-discrete) to the recurrent input width; two Q heads.
    int D = c->emb_a + c->emb_r + c->emb_o;
    int short_in = c->discrete ? c->obs_dim : c->obs_dim + c->act_dim;
    int d_q = c->discrete ? c->act_dim : 1;
    src = core_output(add_encoder(m, "critic", c, !fit), c->cell.readout);
    add_block(m, "critic", "short", GRSN_BLOCK_DENSE, short_in, D, 1, -1, D);
    for (int q = 1; q <= 2; q++) {
        char nm[24];
        snprintf(nm, sizeof nm, "q%d.0[z]", q); add_core_fed(m, "critic", nm, src, H, hh);
        snprintf(nm, sizeof nm, "q%d.0[k]", q); add_block(m, "critic", nm, GRSN_BLOCK_DENSE, D, hh, 1, -1, hh);
        snprintf(nm, sizeof nm, "q%d.1", q);    add_block(m, "critic", nm, GRSN_BLOCK_DENSE, hh, hh, 1, -1, hh);
        snprintf(nm, sizeof nm, "q%d.2", q);    add_block(m, "critic", nm, GRSN_BLOCK_DENSE, hh, d_q, 1, -1, 0);
    }
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// QMIX (spec §9.4, §10.2, §10.3)

grsn_status grsn_energy_qmix_arch_smac(GrsnQmixArch *a, const char *map, grsn_net net) {
    grsn_smac_dims d;
    GRSN_TRY(grsn_smac_map_dims(map, NULL, &d));   // the defaults: state with last actions
    memset(a, 0, sizeof *a);
    a->net = net;
    a->obs_dim = d.obs_dim;
    a->n_actions = d.n_actions;
    a->n_agents = d.n_agents;
    a->state_dim = d.state_dim;
    a->hidden = 64;
    a->embed = 32;
    a->hypernet_embed = 64;
    a->substeps = 1;
    return GRSN_OK;
}

grsn_status grsn_energy_model_qmix(GrsnOpModel *m, const GrsnQmixArch *a, const GrsnEnergyOptions *opt) {
    GRSN_TRY(check_options(opt));
    if ((unsigned)a->net > GRSN_NET_MLP)
        return grsn_fail(GRSN_ERR_ARG, "unknown net %d; valid nets: " GRSN_NET_NAMES, (int)a->net);
    if (a->obs_dim < 1 || a->n_actions < 1 || a->n_agents < 1 || a->state_dim < 1 || a->hidden < 1 ||
        a->embed < 1 || a->hypernet_embed < 1 || a->decoder_hidden < 0)
        return grsn_fail(GRSN_ERR_ARG, "impossible QMIX sizes (obs %d, actions %d, agents %d, state %d, hidden %d, "
                         "embed %d, hypernet %d, decoder %d)", a->obs_dim, a->n_actions, a->n_agents, a->state_dim,
                         a->hidden, a->embed, a->hypernet_embed, a->decoder_hidden);
    int K = spiking_net(a->net) ? a->substeps : 1;
    if (K < 1 || K > 64) return grsn_fail(GRSN_ERR_ARG, "substeps %d outside 1..64", K);
    char title[96];
    snprintf(title, sizeof title, "qmix, %s core", grsn_net_name(a->net));
    model_start(m, title);

    // Agent network, per agent per step: fc1 on [obs, onehot(last action), onehot(id)].
    int H = a->hidden, d_in = a->obs_dim + a->n_actions + a->n_agents;
    GrsnOpBlock *fc1 = add_block(m, "agent", "fc1", GRSN_BLOCK_DENSE, d_in, H, 1, -1, H);
    fc1->paper_extra = H;   // Table 4 counts H more operations here (spec §10.2; origin unknown)
    int src = -1;
    if (a->net == GRSN_NET_MLP) add_block(m, "agent", "fc", GRSN_BLOCK_DENSE, H, H, 1, -1, H);
    else src = core_output(add_core(m, "agent", a->net, H, H, K, a->decode, 1, a->gates), a->readout);
    // The decoder's first layer reads the core output: spike-driven
    // accumulates when that is spikes, MACs otherwise. With decoder_hidden
    // (not the paper's agent) a dense fc2 follows on ReLU(dec).
    int D = a->decoder_hidden;
    const char *first = D ? "dec" : "fc2";
    int first_out = D ? D : a->n_actions;
    if (src >= 0) add_block(m, "agent", first, GRSN_BLOCK_SPIKE, H, first_out, 1, src, D);   // elem: dec's ReLU
    else add_block(m, "agent", first, GRSN_BLOCK_DENSE, H, first_out, 1, -1, D);
    if (D) add_block(m, "agent", "fc2", GRSN_BLOCK_DENSE, D, a->n_actions, 1, -1, 0);
    // Leaky output neurons (not the paper's agent): y = leak y + fc2's output,
    // a multiply and an add per action, element-wise like the core's leak.
    if (a->leaky_outputs) m->block[m->nblocks - 1].elem += 2.0 * a->n_actions;

    // Mixer (pymarl2 QMixer), per state: hypernetworks of the state S give
    // W1 (n x embed), b1 (embed), w_final (embed) and V (1).
    int S = a->state_dim, E = a->embed, Y = a->hypernet_embed;
    m->has_mixer = 1;
    add_mixer_layer(m, "hyper_w1.0", S, Y);
    add_mixer_layer(m, "hyper_w1.1", Y, a->n_agents * E);
    add_mixer_layer(m, "hyper_b1", S, E);
    add_mixer_layer(m, "hyper_w_final.0", S, Y);
    add_mixer_layer(m, "hyper_w_final.1", Y, E);
    add_mixer_layer(m, "V.0", S, E);
    add_mixer_layer(m, "V.1", E, 1);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Spike sources

int grsn_energy_find_source(const GrsnOpModel *m, const char *name) {
    for (int i = 0; i < m->nsources; i++) if (!strcmp(m->source[i].name, name)) return i;
    return -1;
}

static grsn_status source_by_name(const GrsnOpModel *m, const char *name, int *i) {
    *i = grsn_energy_find_source(m, name);
    if (*i >= 0) return GRSN_OK;
    char valid[160] = "";
    size_t off = 0;
    for (int k = 0; k < m->nsources && off < sizeof valid; k++)
        off += (size_t)snprintf(valid + off, sizeof valid - off, "%s%s", k ? ", " : "", m->source[k].name);
    return grsn_fail(GRSN_ERR_ARG, "no spike source '%s' in this model; sources: %s", name,
                     m->nsources ? valid : "none (the core does not spike)");
}

grsn_status grsn_energy_set_spikes(GrsnOpModel *m, const char *name, double spikes) {
    int i;
    GRSN_TRY(source_by_name(m, name, &i));
    GrsnSpikeSource *s = &m->source[i];
    double most = (double)s->neurons * s->T;
    if (!(spikes >= 0 && spikes <= most))
        return grsn_fail(GRSN_ERR_ARG, "%g spikes per decision for %s: must lie in [0, %g] (%d neurons x %d step%s)",
                         spikes, name, most, s->neurons, s->T, s->T == 1 ? "" : "s");
    s->spikes = spikes;
    s->fed = spikes * s->fed_T / s->T;   // each substep firing alike
    s->total = s->fed_total = 0;
    s->samples = 0;
    return GRSN_OK;
}

grsn_status grsn_energy_set_rate(GrsnOpModel *m, const char *name, double rate) {
    int i;
    GRSN_TRY(source_by_name(m, name, &i));
    if (!(rate >= 0 && rate <= 1))
        return grsn_fail(GRSN_ERR_ARG, "firing rate %g for %s must lie in [0, 1]", rate, name);
    return grsn_energy_set_spikes(m, name, rate * m->source[i].neurons * m->source[i].T);
}

double grsn_energy_rate(const GrsnOpModel *m, int i) {
    const GrsnSpikeSource *s = &m->source[i];
    return s->spikes / ((double)s->neurons * s->T);
}

// ----------------------------------------------------------------------------
// Counting

grsn_status grsn_energy_count(GrsnEnergyReport *r, const GrsnOpModel *m, const GrsnEnergyOptions *opt) {
    GRSN_TRY(check_options(opt));
    for (int i = 0; i < m->nsources; i++) {
        const GrsnSpikeSource *s = &m->source[i];
        if (!(s->spikes >= 0 && s->spikes <= (double)s->neurons * s->T))
            return grsn_fail(GRSN_ERR_ARG, "%g spikes per decision for %s: must lie in [0, %d]", s->spikes,
                             s->name, s->neurons * s->T);
        if (!(s->fed >= 0 && s->fed <= s->spikes && s->fed <= (double)s->neurons * s->fed_T))
            return grsn_fail(GRSN_ERR_ARG, "%g spikes per decision reach the blocks %s feeds: must lie in "
                             "[0, %g] and in [0, %d]", s->fed, s->name, s->spikes, s->neurons * s->fed_T);
    }
    memset(r, 0, sizeof *r);
    int paper = opt->convention == GRSN_ENERGY_PAPER;
    r->nblocks = m->nblocks;
    for (int i = 0; i < m->nblocks; i++) {
        const GrsnOpBlock *b = &m->block[i];
        GrsnBlockCost *c = &r->block[i];
        c->bias = b->bias ? b->out : 0;
        c->elem = b->elem;
        if (b->kind == GRSN_BLOCK_SPIKE) {
            GRSN_ASSERT(b->source >= 0 && b->source < m->nsources, "block %s has no spike source", b->name);
            c->acs = m->source[b->source].fed * b->out;                     // Eq. 15
            c->mac_ops = 0;
            c->add_ops = paper ? c->acs : c->acs + c->bias;   // Table 4 leaves a spike-fed bias out
        } else {
            c->macs = (double)b->in * b->out;                                // Eq. 16
            c->mac_ops = paper ? c->macs + c->bias + b->paper_extra : c->macs;
            c->add_ops = paper ? 0 : c->bias;
        }
        c->pj = c->mac_ops * opt->e_mac_pj + c->add_ops * opt->e_ac_pj;

        if (b->kind == GRSN_BLOCK_RNN) r->rnn += c->mac_ops;
        else if (b->kind == GRSN_BLOCK_DENSE) r->mlp += c->mac_ops;
        r->snn += c->acs;
        if (!paper) r->adds += c->bias;
        r->elem += c->elem;
    }
    r->energy_pj = (r->mlp + r->rnn) * opt->e_mac_pj + (r->snn + r->adds) * opt->e_ac_pj;
    for (int i = 0; i < m->nmixer; i++)
        r->mixer += (double)m->mixer[i].in * m->mixer[i].out + m->mixer[i].out;
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Measuring spikes

grsn_status grsn_energy_measure(GrsnOpModel *m, grsn_energy_decision_fn decide, void *user, long samples) {
    if (samples < 1) return grsn_fail(GRSN_ERR_ARG, "spike measurement needs at least 1 decision, got %ld", samples);
    long long total[GRSN_ENERGY_MAX_SOURCES] = {0}, fed_total[GRSN_ENERGY_MAX_SOURCES] = {0};
    for (long n = 0; n < samples; n++) {
        long long spikes[GRSN_ENERGY_MAX_SOURCES] = {0}, fed[GRSN_ENERGY_MAX_SOURCES];
        for (int i = 0; i < GRSN_ENERGY_MAX_SOURCES; i++) fed[i] = -1;
        GRSN_TRY(decide(user, spikes, fed));
        for (int i = 0; i < m->nsources; i++) {
            const GrsnSpikeSource *s = &m->source[i];
            long long most = (long long)s->neurons * s->T, most_fed = (long long)s->neurons * s->fed_T;
            if (fed[i] == -1) fed[i] = spikes[i];
            if (spikes[i] < 0 || spikes[i] > most)
                return grsn_fail(GRSN_ERR_ARG, "decision %ld reported %lld spikes for %s (%lld possible)", n,
                                 spikes[i], s->name, most);
            if (fed[i] < 0 || fed[i] > spikes[i] || fed[i] > most_fed)
                return grsn_fail(GRSN_ERR_ARG, "decision %ld reported %lld of its %lld spikes for %s reaching the "
                                 "blocks fed (at most %lld: %d neurons x %d step%s decoded)", n, fed[i], spikes[i],
                                 s->name, most_fed, s->neurons, s->fed_T, s->fed_T == 1 ? "" : "s");
            total[i] += spikes[i];
            fed_total[i] += fed[i];
        }
    }
    for (int i = 0; i < m->nsources; i++) {
        GrsnSpikeSource *s = &m->source[i];
        s->total = total[i];
        s->fed_total = fed_total[i];
        s->samples = samples;
        s->spikes = (double)total[i] / (double)samples;
        s->fed = (double)fed_total[i] / (double)samples;
    }
    return GRSN_OK;
}

// A copy of one network's encoder (embeddings and spiking core), built from
// the agent's named tensors, that runs the same arithmetic as the agent's
// acting step but through grsn_cell_forward, whose cache keeps the spikes of
// every substep.
typedef struct {
    GrsnParams p;
    GrsnLinear emb_a, emb_r, emb_o;
    GrsnCell cell;
    int D, H, K;
    float *state;          // [state_size], carried through an episode
    float *x, *z;          // core input [D], output [H]
} CoreProbe;

static void probe_free(CoreProbe *pr) {
    grsn_linear_free(&pr->emb_a); grsn_linear_free(&pr->emb_r); grsn_linear_free(&pr->emb_o);
    grsn_cell_free(&pr->cell);
    grsn_params_free(&pr->p);
    free(pr->state); free(pr->x); free(pr->z);
    memset(pr, 0, sizeof *pr);
}

static grsn_status probe_init(CoreProbe *pr, const GrsnAgentConfig *c, const char *prefix, const GrsnParams *src) {
    memset(pr, 0, sizeof *pr);
    grsn_params_init(&pr->p);
    char nm[64];
    pr->D = c->emb_a + c->emb_r + c->emb_o;
    pr->H = c->hidden;
    pr->K = c->cell.substeps;
    snprintf(nm, sizeof nm, "%s.emb_a", prefix); GRSN_TRY(grsn_linear_init(&pr->emb_a, &pr->p, nm, c->act_dim, c->emb_a));
    snprintf(nm, sizeof nm, "%s.emb_r", prefix); GRSN_TRY(grsn_linear_init(&pr->emb_r, &pr->p, nm, 1, c->emb_r));
    snprintf(nm, sizeof nm, "%s.emb_o", prefix); GRSN_TRY(grsn_linear_init(&pr->emb_o, &pr->p, nm, c->obs_dim, c->emb_o));
    GrsnCellConfig cc = c->cell;
    cc.kind = c->net == GRSN_NET_GRSN ? GRSN_CELL_GRSN : GRSN_CELL_LIF;
    cc.in = pr->D;
    cc.hidden = pr->H;
    snprintf(nm, sizeof nm, "%s.cell", prefix); GRSN_TRY(grsn_cell_init(&pr->cell, &pr->p, nm, &cc, 1, 1));
    GRSN_TRY(grsn_params_alloc(&pr->p));
    // Every tensor of the probe, by name, from the agent.
    for (int i = 0; i < pr->p.count; i++) {
        const GrsnParamInfo *to = &pr->p.info[i], *from = grsn_params_find(src, to->name);
        if (!from || from->n != to->n)
            return grsn_fail(GRSN_ERR_ARG, "the agent has no tensor %s of %zu values to measure", to->name, to->n);
        memcpy(pr->p.data + to->offset, src->data + from->offset, to->n * sizeof(float));
    }
    pr->state = grsn_calloc((size_t)pr->cell.state_size, sizeof(float));
    pr->x = grsn_calloc((size_t)pr->D, sizeof(float));
    pr->z = grsn_calloc((size_t)pr->H, sizeof(float));
    return pr->state && pr->x && pr->z ? GRSN_OK : GRSN_ERR_OOM;
}

// One decision; returns the spikes of all K substeps, in *fed those the head
// reads (all, or the last substep's when the cell decodes the last) and, in
// *active, the number of neurons with a nonzero decoded spike (what
// grsn_agent_act reports as spikes).
static long long probe_step(CoreProbe *pr, const float *prev_a, float prev_r, const float *obs, long long *fed,
                            int *active) {
    int ea = pr->emb_a.out, er = pr->emb_r.out, eo = pr->emb_o.out;
    grsn_linear_forward(&pr->emb_a, pr->x, prev_a, NULL, 1);
    grsn_linear_forward(&pr->emb_r, pr->x + ea, &prev_r, NULL, 1);
    grsn_linear_forward(&pr->emb_o, pr->x + ea + er, obs, NULL, 1);
    grsn_act_forward(GRSN_ACT_RELU, pr->x, pr->x, (size_t)(ea + er + eo));
    grsn_cell_act_reset(&pr->cell, pr->state, 1);
    grsn_cell_forward(&pr->cell, pr->z, pr->state, pr->x, NULL, 1, 1);
    long long spikes = 0, last = 0;
    for (int n = 0; n < pr->K * pr->H; n++) spikes += pr->cell.o_seq[n] != 0.0f;   // [K][1][H]
    for (int n = (pr->K - 1) * pr->H; n < pr->K * pr->H; n++) last += pr->cell.o_seq[n] != 0.0f;
    *fed = pr->cell.cfg.decode == GRSN_DECODE_LAST ? last : spikes;
    const float *spk = grsn_cell_forward_spikes(&pr->cell, pr->z);
    int nz = 0;
    for (int j = 0; j < pr->H; j++) nz += spk[j] != 0.0f;
    *active = nz;
    return spikes;
}

typedef struct {
    GrsnAgent *agent;
    grsn_env *env;
    CoreProbe probe[2];     // actor, critic
    int source[2];          // model source index of each probe, -1 if absent
    float *state;           // the actor's carried state
    float obs[GRSN_ENV_MAX_OBS], act[64], prev[64];
    float prev_r;
    int need_reset;
    grsn_rng unused;        // deterministic acting draws nothing
} AgentRun;

static grsn_status agent_decision(void *user, long long *spikes, long long *fed) {
    AgentRun *r = user;
    const GrsnAgentConfig *c = grsn_agent_config(r->agent);
    if (r->need_reset) {
        memset(r->state, 0, (size_t)grsn_agent_state_size(r->agent) * sizeof(float));
        memset(r->prev, 0, sizeof r->prev);
        r->prev_r = 0.0f;
        for (int p = 0; p < 2; p++)
            if (r->source[p] >= 0) memset(r->probe[p].state, 0, (size_t)r->probe[p].cell.state_size * sizeof(float));
        grsn_env_reset(r->env, r->obs);
        r->need_reset = 0;
    }
    int active[2] = {0, 0};
    for (int p = 0; p < 2; p++)
        if (r->source[p] >= 0)
            spikes[r->source[p]] = probe_step(&r->probe[p], r->prev, r->prev_r, r->obs, &fed[r->source[p]], &active[p]);
    int agent_active = 0;
    grsn_agent_act(r->agent, r->state, r->prev, r->prev_r, r->obs, 1, &r->unused, r->act, &agent_active);
    // The probe must track the actor exactly; anything else is a bug.
    GRSN_ASSERT(r->source[0] < 0 || agent_active == active[0],
                "energy probe diverged from the actor: %d active neurons against %d", active[0], agent_active);
    grsn_env_result res;
    GRSN_TRY(grsn_env_step(r->env, r->act, r->obs, &res));
    memcpy(r->prev, r->act, (size_t)c->act_dim * sizeof(float));
    r->prev_r = (float)res.reward;
    if (res.terminated || res.truncated) r->need_reset = 1;
    return GRSN_OK;
}

grsn_status grsn_energy_measure_agent(GrsnOpModel *m, GrsnAgent *agent, grsn_env *env, long samples) {
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    if (c->obs_dim != env->obs_dim || c->discrete != env->discrete || c->act_dim != env->act_dim)
        return grsn_fail(GRSN_ERR_ARG, "the agent (obs %d, act %d) does not fit %s (obs %d, act %d)", c->obs_dim,
                         c->act_dim, grsn_env_name(env), env->obs_dim, env->act_dim);
    if (c->act_dim > 64) return grsn_fail(GRSN_ERR_ARG, "act_dim %d beyond 64", c->act_dim);
    if (samples < 1) return grsn_fail(GRSN_ERR_ARG, "spike measurement needs at least 1 decision, got %ld", samples);
    if (m->nsources == 0 && spiking_net(c->net))
        return grsn_fail(GRSN_ERR_ARG, "the model (%s) has no spike source, but the agent's %s core spikes",
                         m->title, grsn_net_name(c->net));
    if (m->nsources == 0) return GRSN_OK;   // GRU and MLP cores: nothing spikes
    if (spiking_net(c->net) && c->cell.smooth)
        return grsn_fail(GRSN_ERR_ARG, "a smooth-twin cell emits no spikes to count");
    AgentRun r;
    memset(&r, 0, sizeof r);
    r.agent = agent; r.env = env; r.need_reset = 1;
    grsn_rng_seed(&r.unused, 0, 0);
    const char *names[2] = {"actor", "critic"};
    const grsn_agent_part parts[2] = {GRSN_PART_ACTOR, GRSN_PART_CRITIC};
    grsn_status st = GRSN_OK;
    for (int p = 0; p < 2; p++) {
        char src[32];
        snprintf(src, sizeof src, "%s.core", names[p]);
        r.source[p] = grsn_energy_find_source(m, src);
        if (r.source[p] >= 0 && !spiking_net(c->net))
            st = grsn_fail(GRSN_ERR_ARG, "the model has spike source %s but the agent's %s core does not spike", src,
                           grsn_net_name(c->net));
        if (r.source[p] >= 0 && !st) {
            const GrsnSpikeSource *s = &m->source[r.source[p]];
            int fed_T = decoded_steps(c->cell.decode, c->cell.substeps);
            if (s->neurons != c->hidden || s->T != c->cell.substeps || s->fed_T != fed_T)
                st = grsn_fail(GRSN_ERR_ARG, "the model's %s (%d neurons, T %d, %d decoded) does not fit the agent "
                               "(%d, %d, %d)", src, s->neurons, s->T, s->fed_T, c->hidden, c->cell.substeps, fed_T);
        }
        if (r.source[p] >= 0 && !st) st = probe_init(&r.probe[p], c, names[p], grsn_agent_params(agent, parts[p]));
    }
    if (!st && !(r.state = grsn_calloc((size_t)grsn_agent_state_size(agent) + 1, sizeof(float)))) st = GRSN_ERR_OOM;
    if (!st) st = grsn_energy_measure(m, agent_decision, &r, samples);
    for (int p = 0; p < 2; p++) probe_free(&r.probe[p]);
    free(r.state);
    return st;
}

// ----------------------------------------------------------------------------
// Measuring QMIX agents

grsn_status grsn_energy_load_qmix(const char *path, GrsnQmix **out) {
    *out = NULL;
    GrsnQmixCkptInfo info;
    GRSN_TRY(grsn_qmix_ckpt_info(path, &info));
    // Acting needs neither parallel training environments nor an episode
    // buffer: the smallest learner of the same networks.
    GrsnQmixConfig c = info.config.qmix;
    c.n_envs = 1;
    c.batch = 1;
    c.buffer = 1;
    GrsnQmix *q;
    if (grsn_qmix_create(&q, &c, info.config.seed) != GRSN_OK)
        return grsn_kv_refail(GRSN_ERR_FORMAT, "%s: cannot build the learner its metadata describes: ", path);
    grsn_status st = grsn_qmix_ckpt_restore(path, q, NULL);
    if (st) { grsn_qmix_free(q); return st; }
    *out = q;
    return GRSN_OK;
}

void grsn_energy_qmix_arch(GrsnQmixArch *a, const GrsnQmix *q) {
    const GrsnQmixConfig *c = grsn_qmix_config(q);
    grsn_smac_dims d = grsn_qmix_dims(q);
    memset(a, 0, sizeof *a);
    a->net = c->net;
    a->obs_dim = d.obs_dim;
    a->n_actions = d.n_actions;
    a->n_agents = d.n_agents;
    a->state_dim = d.state_dim;
    a->hidden = c->hidden;
    a->decoder_hidden = c->decoder_hidden;
    a->embed = c->mixer_embed;
    a->hypernet_embed = c->hypernet_embed;
    a->substeps = spiking_net(c->net) ? c->cell.substeps : 1;
    a->decode = spiking_net(c->net) ? c->cell.decode : GRSN_DECODE_RATE;
    a->gates = c->net == GRSN_NET_GRSN ? c->cell.gates : GRSN_GATES_INPUT;
    a->readout = spiking_net(c->net) ? c->cell.readout : GRSN_READOUT_SPIKES;
    a->leaky_outputs = c->q_leak > 0.0f;
}

// Decisions of a QMIX player, one agent at a time: a step of the player
// yields n_agents decisions, handed out in agent order.
typedef struct {
    GrsnQmixPlayer *player;
    int source;             // the model's "agent.core"
    int n, next;            // agents per step; the next agent to hand out (n: step first)
    long long *spikes;      // [n] of the current step
    GrsnEnergyQmixPlay play;
} QmixRun;

static grsn_status qmix_decision(void *user, long long *spikes, long long *fed) {
    QmixRun *r = user;
    if (r->next == r->n) {
        GrsnQmixPlayStep s;
        GRSN_TRY(grsn_qmix_player_step(r->player, r->spikes, NULL, &s));
        r->next = 0;
        r->play.env_steps++;
        if (s.t == 0) r->play.episodes++;
        if (s.done) { r->play.finished++; r->play.won += s.won; }
    }
    fed[r->source] = grsn_qmix_player_decoded(r->player)[r->next];
    spikes[r->source] = r->spikes[r->next++];
    r->play.decisions++;
    return GRSN_OK;
}

grsn_status grsn_energy_measure_qmix(GrsnOpModel *m, GrsnQmix *q, uint64_t seed, long samples,
                                     GrsnEnergyQmixPlay *info) {
    if (info) memset(info, 0, sizeof *info);
    if (samples < 1) return grsn_fail(GRSN_ERR_ARG, "spike measurement needs at least 1 decision, got %ld", samples);
    const GrsnQmixConfig *c = grsn_qmix_config(q);
    int K = spiking_net(c->net) ? c->cell.substeps : 1;
    int source = grsn_energy_find_source(m, "agent.core");
    if (m->nsources != (source >= 0) || (source >= 0) != spiking_net(c->net))
        return grsn_fail(GRSN_ERR_ARG, "the model (%s) does not fit a QMIX agent with a %s core", m->title,
                         grsn_net_name(c->net));
    if (source < 0) return GRSN_OK;   // GRU core: nothing spikes
    float share = grsn_qmix_membrane_share(q);
    if (share > 0.0f)
        return grsn_fail(GRSN_ERR_ARG, "this agent's readout is in its anneal (membrane share %.3f at env step %ld; "
                         "the anneal ends at %ld): its Q still reads the potential, so spikes alone do not count "
                         "its cost; measure a checkpoint from the anneal's end on", share,
                         grsn_qmix_counters(q)->env_steps, c->readout_anneal);
    const GrsnSpikeSource *src = &m->source[source];
    int fed_T = decoded_steps(c->cell.decode, K);
    if (src->neurons != c->hidden || src->T != K || src->fed_T != fed_T)
        return grsn_fail(GRSN_ERR_ARG, "the model's agent.core (%d neurons, T %d, %d decoded) does not fit the agent "
                         "(%d, %d, %d)", src->neurons, src->T, src->fed_T, c->hidden, K, fed_T);
    QmixRun r;
    memset(&r, 0, sizeof r);
    r.source = source;
    r.n = r.next = grsn_qmix_dims(q).n_agents;
    grsn_status st = grsn_qmix_player_create(&r.player, q, seed, GRSN_STREAM_EVAL_ENV);
    if (!st && !(r.spikes = grsn_calloc((size_t)r.n, sizeof *r.spikes))) st = GRSN_ERR_OOM;
    if (!st) st = grsn_energy_measure(m, qmix_decision, &r, samples);
    if (!st && info) *info = r.play;
    free(r.spikes);
    grsn_qmix_player_free(r.player);
    return st;
}

// ----------------------------------------------------------------------------
// Table 4

// The paper's Table 4, as printed (spec §10.2): K operations and K pJ.
static const struct {
    const char *task;
    double gru_mlp, gru_rnn, gru_e, grsn_mlp, grsn_snn, grsn_e, mixer;
} table4_paper[GRSN_TABLE4_ROWS] = {
    {"pendulum-p", 116.39, 136.70, 1164.22, 108.19, 9.73, 506.44, -1},
    {"pendulum-v", 116.24, 136.70, 1163.56, 108.05, 11.16, 507.07, -1},
    {"cartpole-p", 116.74, 136.70, 1165.85, 108.55, 6.98, 505.91, -1},
    {"cartpole-v", 116.74, 136.70, 1165.85, 108.55, 7.33, 505.60, -1},
    {"8m", 7.57, 24.96, 149.62, 14.98, 0.01, 68.90, 51.20},
    {"2s3z", 6.99, 24.96, 146.97, 22.85, 0.01, 105.11, 35.75},
    {"8m_vs_9m", 8.02, 24.96, 151.69, 15.36, 0.06, 70.71, 53.31},
    {"3s_vs_5z", 4.81, 24.96, 136.95, 12.42, 0.03, 57.15, 21.60},
    {"27m_vs_30m", 24.74, 24.96, 228.62, 30.72, 0.07, 141.38, 283.11},
    {"MMM2", 14.35, 24.96, 180.84, 29.76, 0.01, 136.90, 84.93},
};

const char *grsn_table4_task(int i) { return i >= 0 && i < GRSN_TABLE4_ROWS ? table4_paper[i].task : NULL; }

static int table4_index(const char *task) {
    for (int i = 0; i < GRSN_TABLE4_ROWS; i++) if (!strcmp(table4_paper[i].task, task)) return i;
    return -1;
}

// The tasks of rows [first, end) of Table 4 as "a, b, c", for messages.
enum { TABLE4_CONTROL_ROWS = 4 };   // rows 0-3 are control tasks, 4-9 SMAC maps
static const char *table4_tasks(char *buf, size_t cap, int first, int end) {
    size_t off = 0;
    buf[0] = '\0';
    for (int i = first; i < end && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i > first ? ", " : "", table4_paper[i].task);
    return buf;
}

static grsn_status unknown_task(const char *task) {
    char valid[160];
    return grsn_fail(GRSN_ERR_ARG, "unknown Table 4 task '%s'; valid: %s", task,
                     table4_tasks(valid, sizeof valid, 0, GRSN_TABLE4_ROWS));
}

grsn_status grsn_energy_table4_paper(GrsnTable4Row *row, const char *task) {
    int i = table4_index(task);
    if (i < 0) return unknown_task(task);
    memset(row, 0, sizeof *row);
    snprintf(row->task, sizeof row->task, "%s", task);
    row->gru_mlp = table4_paper[i].gru_mlp * 1e3;
    row->gru_rnn = table4_paper[i].gru_rnn * 1e3;
    row->gru_energy_pj = table4_paper[i].gru_e * 1e3;
    row->grsn_mlp = table4_paper[i].grsn_mlp * 1e3;
    row->grsn_snn = table4_paper[i].grsn_snn * 1e3;
    row->grsn_energy_pj = table4_paper[i].grsn_e * 1e3;
    row->mixer = table4_paper[i].mixer < 0 ? -1 : table4_paper[i].mixer * 1e3;
    return GRSN_OK;
}

// The GRU or GRSN model of a Table 4 task.
static grsn_status table4_model(GrsnOpModel *m, const char *task, grsn_net net, const GrsnEnergyOptions *opt) {
    if (table4_index(task) >= TABLE4_CONTROL_ROWS) {
        GrsnQmixArch a;
        GRSN_TRY(grsn_energy_qmix_arch_smac(&a, task, net));
        return grsn_energy_model_qmix(m, &a, opt);
    }
    grsn_env env;
    GRSN_TRY(grsn_env_make(&env, task, 0, GRSN_STREAM_ENV));   // only its sizes are read
    grsn_algo algo = env.discrete ? GRSN_ALGO_SACD : GRSN_ALGO_TD3;
    GrsnAgentConfig c = grsn_agent_defaults(algo, net, env.obs_dim, env.act_dim, env.discrete);
    return grsn_energy_model_agent(m, &c, opt);
}

grsn_status grsn_energy_table4_row(GrsnTable4Row *row, const char *task, double grsn_rate,
                                   const GrsnEnergyOptions *opt) {
    if (table4_index(task) < 0) return unknown_task(task);
    if (!(grsn_rate >= 0 && grsn_rate <= 1))
        return grsn_fail(GRSN_ERR_ARG, "firing rate %g must lie in [0, 1]", grsn_rate);
    GrsnEnergyOptions o = *opt;
    o.convention = GRSN_ENERGY_PAPER;
    GrsnOpModel m;
    GrsnEnergyReport r;
    memset(row, 0, sizeof *row);
    snprintf(row->task, sizeof row->task, "%s", task);

    GRSN_TRY(table4_model(&m, task, GRSN_NET_GRU, &o));
    GRSN_TRY(grsn_energy_count(&r, &m, &o));
    row->gru_mlp = r.mlp;
    row->gru_rnn = r.rnn;
    row->gru_energy_pj = r.energy_pj;
    row->mixer = m.has_mixer ? r.mixer : -1;

    GRSN_TRY(table4_model(&m, task, GRSN_NET_GRSN, &o));
    for (int i = 0; i < m.nsources; i++) GRSN_TRY(grsn_energy_set_rate(&m, m.source[i].name, grsn_rate));
    GRSN_TRY(grsn_energy_count(&r, &m, &o));
    row->grsn_mlp = r.mlp;
    row->grsn_snn = r.snn;
    row->grsn_energy_pj = r.energy_pj;
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Table 4 on trained agents

// Table 4 row `row` of a measured agent (model m, its report g) beside the
// GRU agent of the same sizes (model gru), and its firing rates.
static grsn_status table4_fill(GrsnTable4Measure *t, int row, const GrsnOpModel *m, const GrsnEnergyReport *g,
                               const GrsnOpModel *gru, const GrsnEnergyOptions *o) {
    GrsnEnergyReport r;
    GRSN_TRY(grsn_energy_count(&r, gru, o));
    snprintf(t->row.task, sizeof t->row.task, "%s", table4_paper[row].task);
    t->row.grsn_mlp = g->mlp;
    t->row.grsn_snn = g->snn;
    t->row.grsn_energy_pj = g->energy_pj;
    t->row.gru_mlp = r.mlp;
    t->row.gru_rnn = r.rnn;
    t->row.gru_energy_pj = r.energy_pj;
    t->row.mixer = gru->has_mixer ? r.mixer : -1;
    for (int i = 0; i < 2; i++) t->rate[i] = i < m->nsources ? grsn_energy_rate(m, i) : 0;
    return GRSN_OK;
}

static grsn_status not_grsn(const char *path, grsn_net net) {
    return grsn_fail(GRSN_ERR_ARG, "%s: a %s agent; the GRSN columns of Table 4 need a grsn agent", path,
                     grsn_net_name(net));
}

// Table 4's GRSN columns are the paper's agent: TAP, gates on the input,
// spikes read out (QMIX: by the linear fc2). An agent that differs is
// refused, naming how; `grsn energy --checkpoint` measures any agent.
static grsn_status not_the_papers_agent(const char *path, const GrsnCellConfig *cell, int decoder_hidden,
                                        float q_leak) {
    const char *how = cell->substeps != 1                    ? "it updates its neurons more than once per decision "
                                                               "(w/o TAP)"
                      : cell->gates == GRSN_GATES_SPIKES     ? "its gates read its spikes (--gates spikes)"
                      : cell->readout == GRSN_READOUT_MEMBRANE ? "its output reads the membrane (--readout membrane)"
                      : decoder_hidden > 0                   ? "its decoder has a hidden layer (--decoder-hidden)"
                      : q_leak > 0.0f                        ? "its Q values leak (--q-leak)"
                                                             : NULL;
    if (!how) return GRSN_OK;
    return grsn_fail(GRSN_ERR_ARG, "%s: not the paper's agent (%s), so not a Table 4 row; `grsn energy "
                     "--checkpoint %s --convention paper` measures it", path, how, path);
}

// A QMIX checkpoint: one decision is one agent at one env step.
static grsn_status table4_measure_qmix(GrsnTable4Measure *t, const char *path, long samples, uint64_t seed,
                                       const GrsnEnergyOptions *o) {
    GrsnQmix *q;
    GRSN_TRY(grsn_energy_load_qmix(path, &q));
    const GrsnQmixConfig *c = grsn_qmix_config(q);
    int row = table4_index(c->map);
    grsn_status st = GRSN_OK;
    char valid[160];
    if (row < TABLE4_CONTROL_ROWS)
        st = grsn_fail(GRSN_ERR_ARG, "%s: map %s is not a Table 4 map (%s)", path, c->map,
                       table4_tasks(valid, sizeof valid, TABLE4_CONTROL_ROWS, GRSN_TABLE4_ROWS));
    else if (c->net != GRSN_NET_GRSN)
        st = not_grsn(path, c->net);
    else
        st = not_the_papers_agent(path, &c->cell, c->decoder_hidden, c->q_leak);
    GrsnQmixArch a;
    GrsnOpModel m, gru;
    GrsnEnergyReport r;
    grsn_energy_qmix_arch(&a, q);
    if (!st) {
        st = grsn_energy_model_qmix(&m, &a, o);
        if (!st) st = grsn_energy_measure_qmix(&m, q, seed, samples, NULL);
        if (!st) st = grsn_energy_count(&r, &m, o);
        a.net = GRSN_NET_GRU;
        a.substeps = 1;
        if (!st) st = grsn_energy_model_qmix(&gru, &a, o);
        if (!st) st = table4_fill(t, row, &m, &r, &gru, o);
        if (st) st = grsn_kv_refail(st, "%s: ", path);   // name the file
    }
    grsn_qmix_free(q);
    return st;
}

// A control checkpoint: deterministic episodes, one decision per env step.
static grsn_status table4_measure_control(GrsnTable4Measure *t, const char *path, long samples, uint64_t seed,
                                          const GrsnEnergyOptions *o) {
    GrsnAgent *agent;
    GrsnCkptInfo info;
    GRSN_TRY(grsn_ckpt_load(path, &agent, &info));
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    int row = table4_index(info.config.env);
    grsn_status st = GRSN_OK;
    char valid[160];
    if (row < 0 || row >= TABLE4_CONTROL_ROWS)
        st = grsn_fail(GRSN_ERR_ARG, "%s: task %s is not a Table 4 control task (%s)", path, info.config.env,
                       table4_tasks(valid, sizeof valid, 0, TABLE4_CONTROL_ROWS));
    else if (c->net != GRSN_NET_GRSN)
        st = not_grsn(path, c->net);
    else
        st = not_the_papers_agent(path, &c->cell, 0, 0.0f);
    grsn_env env;
    GrsnOpModel m, gru;
    GrsnEnergyReport r;
    if (!st) {
        st = grsn_train_make_env(&env, &info.config, seed, GRSN_STREAM_EVAL_ENV);
        if (!st) st = grsn_energy_model_agent(&m, c, o);
        if (!st) st = grsn_energy_measure_agent(&m, agent, &env, samples);
        if (!st) st = grsn_energy_count(&r, &m, o);
        if (!st) {
            GrsnAgentConfig gc = *c;
            gc.net = GRSN_NET_GRU;
            gc.cell.substeps = 1;
            st = grsn_energy_model_agent(&gru, &gc, o);
        }
        if (!st) st = table4_fill(t, row, &m, &r, &gru, o);
        if (st) st = grsn_kv_refail(st, "%s: ", path);   // name the file
    }
    grsn_agent_free(agent);
    return st;
}

grsn_status grsn_energy_table4_measure(GrsnTable4Measure *t, const char *path, long samples, uint64_t seed,
                                       const GrsnEnergyOptions *opt) {
    GrsnEnergyOptions o = *opt;
    o.convention = GRSN_ENERGY_PAPER;
    memset(t, 0, sizeof *t);
    return grsn_qmix_ckpt_probe(path) ? table4_measure_qmix(t, path, samples, seed, &o)
                                      : table4_measure_control(t, path, samples, seed, &o);
}

int grsn_energy_table4_mean(GrsnTable4Row *row, double *rate, const GrsnTable4Measure *t, int n) {
    GrsnTable4Row sum;
    double rsum[2] = {0, 0};
    int k = 0;
    memset(&sum, 0, sizeof sum);
    for (int i = 0; i < n; i++) {
        if (strcmp(t[i].row.task, row->task)) continue;
        sum.grsn_mlp += t[i].row.grsn_mlp;
        sum.grsn_snn += t[i].row.grsn_snn;
        sum.grsn_energy_pj += t[i].row.grsn_energy_pj;
        sum.gru_mlp += t[i].row.gru_mlp;
        sum.gru_rnn += t[i].row.gru_rnn;
        sum.gru_energy_pj += t[i].row.gru_energy_pj;
        rsum[0] += t[i].rate[0];
        rsum[1] += t[i].rate[1];
        k++;
    }
    if (!k) return 0;
    row->grsn_mlp = sum.grsn_mlp / k;
    row->grsn_snn = sum.grsn_snn / k;
    row->grsn_energy_pj = sum.grsn_energy_pj / k;
    row->gru_mlp = sum.gru_mlp / k;
    row->gru_rnn = sum.gru_rnn / k;
    row->gru_energy_pj = sum.gru_energy_pj / k;
    if (rate) { rate[0] = rsum[0] / k; rate[1] = rsum[1] / k; }
    return k;
}
