/*
 * train_qmix.c — QMIX training runs on the SMAC-compatible simulator (paper
 * Table 2; reference-implementation.md §9; grsn_train_qmix.h): the run
 * configuration and its key=value text, pymarl2's run loop with greedy
 * tests, the run directory, QMIX checkpoints stored in the container of
 * ckpt.c, and the resume state that carries a killed run on.
 *
 * The loop, as pymarl2's run.py runs it:
 *
 *   repeat until the env-step budget:
 *       rollout: one epsilon-greedy episode in each of n_envs environments,
 *                stored in the episode buffer
 *       update:  one gradient step on a batch of episodes, once the buffer
 *                holds a batch (targets copied every 200 episodes)
 *       test:    after the first rollout, then at the first rollout boundary
 *                at or past every multiple of test_interval env steps:
 *                test_episodes greedy episodes; a row in progress.csv and a
 *                checkpoint; every resume_interval env steps the resume
 *                state beside it
 *   test once more at the end: the run's score; the resume state is then
 *   kept (keep_resume, so that --steps can extend the run) or removed
 *
 * Every random draw comes from a stream of the master seed (the learner's
 * explore and replay streams, one stream per training and per test
 * environment), and the learner's kernels split only independent rows, so a
 * seed fixes the whole run and progress.csv, which holds no wall-clock
 * column, is the same byte for byte at any thread count.
 */
#include "common.h"
#include "ckpt.h"
#include "io.h"
#include "kvconf.h"
#include "rundir.h"
#include "tensorlist.h"
#include "grsn_train_qmix.h"
#include <errno.h>
#include <limits.h>
#include <stddef.h>

#define SMAC_PREFIX "smac:"

// The names of the unit tables in the config text (grsn_smac_unit_table).
static const char *const UNIT_NAMES[] = {"liberty", "lotv", NULL};
static const char *const OPTIMIZER_NAMES[] = {"adam", "rmsprop", NULL};   // grsn_qmix_optimizer

// ----------------------------------------------------------------------------
// Defaults and checks

// The map's sizes under the configuration's simulator options (the learner's
// own simulator configuration, so that a new option cannot be missed here).
static grsn_status map_dims(const GrsnQmixConfig *q, grsn_smac_dims *d) {
    grsn_smac_config sc;
    grsn_qmix_smac_config(q, &sc, 0, 0);
    return grsn_smac_map_dims(q->map, &sc, d);
}

grsn_status grsn_qmix_train_defaults(GrsnQmixTrainConfig *cfg, const char *map, grsn_net net, uint64_t seed) {
    memset(cfg, 0, sizeof *cfg);
    grsn_smac_dims d;
    GRSN_TRY(grsn_smac_map_dims(map, NULL, &d));               // unknown map: the message lists the maps
    cfg->qmix = grsn_qmix_defaults(map, net);
    cfg->seed = seed;
    cfg->steps = GRSN_QMIX_TRAIN_STEPS;
    cfg->test_interval = 10000;
    cfg->test_episodes = 32;
    cfg->resume_interval = 100000;
    return grsn_qmix_train_check(cfg);
}

grsn_status grsn_qmix_train_check(const GrsnQmixTrainConfig *cfg) {
    const GrsnQmixConfig *q = &cfg->qmix;
    grsn_smac_dims d;
    GRSN_TRY(map_dims(q, &d));
    const GrsnCellConfig *c = &q->cell;
    struct { const char *name; double v, lo, hi; } ranges[] = {
        {"steps", (double)cfg->steps, 1, 1e13},
        {"test_interval", (double)cfg->test_interval, 1, 1e13},
        {"test_episodes", cfg->test_episodes, 1, 1e6},
        {"resume_interval", (double)cfg->resume_interval, 0, 1e13},
        {"keep_resume", cfg->keep_resume, 0, 1},
        {"threads", cfg->threads, 0, 1024},
        {"n_envs", q->n_envs, 1, 4096},
        {"hidden", q->hidden, 1, 1e5}, {"mixer_embed", q->mixer_embed, 1, 1e5},
        {"hypernet_embed", q->hypernet_embed, 1, 1e5}, {"decoder_hidden", q->decoder_hidden, 0, 1e5},
        {"q_leak", q->q_leak, 0, 0.999999},
        {"readout_anneal", (double)q->readout_anneal, 0, 1e13},
        {"readout_anneal_start", (double)q->readout_anneal_start, 0, 1e13},
        {"batch", q->batch, 1, 1e6}, {"buffer", q->buffer, 1, 1e7},
        {"lr", q->lr, 1e-30, 1e30}, {"optim_alpha", q->optim_alpha, 0, 0.999999},
        {"optim_eps", q->optim_eps, 1e-30, 1e30}, {"gamma", q->gamma, 0, 1}, {"td_lambda", q->td_lambda, 0, 1},
        {"grad_clip", q->grad_clip, 1e-30, 1e30},
        {"eps_start", q->eps_start, 0, 1}, {"eps_finish", q->eps_finish, 0, 1},
        {"eps_anneal", (double)q->eps_anneal, 1, 1e13},
        {"target_update_episodes", q->target_update_episodes, 1, 1e9},
        {"state_last_action", q->state_last_action, 0, 1}, {"push_first", q->push_first, 0, 1},
        {"obs_own_cooldown", q->obs_own_cooldown, 0, 1},
        {"cell.threshold", c->threshold, 1e-30, 1e30}, {"cell.alpha", c->alpha, 1e-30, 1e30},
        {"cell.beta", c->beta, 0, 1}, {"cell.substeps", c->substeps, 1, 64},
        {"cell.detach_reset", c->detach_reset, 0, 1}, {"cell.smooth", c->smooth, 0, 1},
        {"cell.act_reset_membrane", c->act_reset_membrane, 0, 1},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (!(ranges[i].v >= ranges[i].lo && ranges[i].v <= ranges[i].hi))
            return grsn_fail(GRSN_ERR_ARG, "%s = %g is outside [%g, %g]", ranges[i].name, ranges[i].v,
                             ranges[i].lo, ranges[i].hi);
    // The learner's own checks: the net and the settings that must agree.
    GRSN_TRY(grsn_qmix_check(q));
    GrsnCellConfig built = grsn_qmix_cell_config(q);
    GRSN_TRY(grsn_cell_check_wiring(&built, grsn_net_name(q->net)));
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// The configuration as key=value text (kvconf.h). One table drives writing,
// reading and the comparison of a checkpoint with a learner; a field's tag
// is 1 if it is part of what the networks compute (a checkpoint must match it).

#define NETWORK 1
#define KEY(name, type, field, tag_) \
    {.key = name, .kind = GRSN_KV_##type, .off = offsetof(GrsnQmixTrainConfig, field), .tag = tag_}
#define ENUM_KEY(name, field, table, tag_) \
    {.key = name, .kind = GRSN_KV_ENUM, .off = offsetof(GrsnQmixTrainConfig, field), .tag = tag_, .names = table}
static const GrsnKvField KEYS[] = {
    KEY("seed", U64, seed, 0),
    // The run
    KEY("steps", LONG, steps, 0), KEY("test_interval", LONG, test_interval, 0),
    KEY("test_episodes", INT, test_episodes, 0), KEY("resume_interval", LONG, resume_interval, 0),
    KEY("keep_resume", INT, keep_resume, 0), KEY("threads", INT, threads, 0),
    // The learner (pymarl2 defaults, spec §9.2)
    KEY("n_envs", INT, qmix.n_envs, 0),
    KEY("hidden", INT, qmix.hidden, NETWORK), KEY("mixer_embed", INT, qmix.mixer_embed, NETWORK),
    KEY("hypernet_embed", INT, qmix.hypernet_embed, NETWORK),
    KEY("decoder_hidden", INT, qmix.decoder_hidden, NETWORK),
    KEY("q_leak", FLOAT, qmix.q_leak, NETWORK),
    KEY("readout_anneal", LONG, qmix.readout_anneal, NETWORK),
    KEY("readout_anneal_start", LONG, qmix.readout_anneal_start, NETWORK),
    KEY("batch", INT, qmix.batch, 0), KEY("buffer", INT, qmix.buffer, 0),
    ENUM_KEY("optimizer", qmix.optimizer, OPTIMIZER_NAMES, 0),
    KEY("lr", FLOAT, qmix.lr, 0), KEY("optim_alpha", FLOAT, qmix.optim_alpha, 0),
    KEY("optim_eps", FLOAT, qmix.optim_eps, 0), KEY("gamma", FLOAT, qmix.gamma, 0),
    KEY("td_lambda", FLOAT, qmix.td_lambda, 0), KEY("grad_clip", FLOAT, qmix.grad_clip, 0),
    KEY("eps_start", FLOAT, qmix.eps_start, 0), KEY("eps_finish", FLOAT, qmix.eps_finish, 0),
    KEY("eps_anneal", LONG, qmix.eps_anneal, 0),
    KEY("target_update_episodes", INT, qmix.target_update_episodes, 0),
    // The simulator
    KEY("state_last_action", INT, qmix.state_last_action, NETWORK),
    ENUM_KEY("units", qmix.units, UNIT_NAMES, NETWORK),
    KEY("push_first", INT, qmix.push_first, 0),
    KEY("obs_own_cooldown", INT, qmix.obs_own_cooldown, NETWORK),
    // The neuron
    KEY("cell.threshold", FLOAT, qmix.cell.threshold, NETWORK),
    KEY("cell.alpha", FLOAT, qmix.cell.alpha, NETWORK),
    KEY("cell.beta", FLOAT, qmix.cell.beta, NETWORK),
    ENUM_KEY("cell.beta_mode", qmix.cell.beta_mode, GRSN_KV_BETA_NAMES, NETWORK),
    ENUM_KEY("cell.reset", qmix.cell.reset, GRSN_KV_RESET_NAMES, NETWORK),
    KEY("cell.u_reset", FLOAT, qmix.cell.u_reset, NETWORK),
    KEY("cell.detach_reset", INT, qmix.cell.detach_reset, NETWORK),
    KEY("cell.smooth", INT, qmix.cell.smooth, NETWORK),
    KEY("cell.substeps", INT, qmix.cell.substeps, NETWORK),
    ENUM_KEY("cell.decode", qmix.cell.decode, GRSN_KV_DECODE_NAMES, NETWORK),
    KEY("cell.act_reset_membrane", INT, qmix.cell.act_reset_membrane, NETWORK),
    ENUM_KEY("cell.gates", qmix.cell.gates, GRSN_KV_GATES_NAMES, NETWORK),
    ENUM_KEY("cell.readout", qmix.cell.readout, GRSN_KV_READOUT_NAMES, NETWORK),
};
#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

// The map's sizes, written for the reader to check against this build's simulator.
static const char *DIM_KEYS[] = {"n_agents", "n_actions", "obs_dim", "state_dim"};
#define NDIMS 4

static void dims_values(const grsn_smac_dims *d, long v[NDIMS]) {
    v[0] = d->n_agents; v[1] = d->n_actions; v[2] = d->obs_dim; v[3] = d->state_dim;
}

size_t grsn_qmix_train_config_text(const GrsnQmixTrainConfig *cfg, char *buf, size_t cap) {
    if (cap) buf[0] = '\0';
    size_t off = grsn_kv_append(buf, cap, 0, "grsn_version=%s\ngrsn_build=%s\nalgo=qmix\nenv=" SMAC_PREFIX "%s\nnet=%s\n",
                                GRSN_VERSION, grsn_build_id(), cfg->qmix.map, grsn_net_name(cfg->qmix.net));
    off = grsn_kv_append_fields(buf, cap, off, cfg, KEYS, NKEYS);
    grsn_smac_dims d;
    if (map_dims(&cfg->qmix, &d) == GRSN_OK) {
        long dv[NDIMS];
        dims_values(&d, dv);
        for (int i = 0; i < NDIMS; i++) off = grsn_kv_append(buf, cap, off, "%s=%ld\n", DIM_KEYS[i], dv[i]);
    }
    return grsn_kv_append_info(buf, cap, off);
}

// The map's sizes a config text states, to check against the simulator's.
typedef struct { long value[NDIMS]; int have[NDIMS]; } StatedDims;

// grsn_kv_extra_fn for the DIM_KEYS.
static int take_dim(void *ctx, const char *key, const char *value) {
    StatedDims *sd = ctx;
    for (int i = 0; i < NDIMS; i++)
        if (!strcmp(key, DIM_KEYS[i])) {
            char *end;
            errno = 0;
            sd->value[i] = strtol(value, &end, 10);
            if (errno || end == value || *end) return -1;
            sd->have[i] = 1;
            return 1;
        }
    return 0;
}

grsn_status grsn_qmix_train_config_parse(GrsnQmixTrainConfig *cfg, const char *text, size_t len) {
    // Pass 1: algo, env and net select the defaults.
    char algo[32] = "", env[64] = "", net[32] = "";
    grsn_kv_find(text, len, "algo", algo, sizeof algo);
    grsn_kv_find(text, len, "env", env, sizeof env);
    grsn_kv_find(text, len, "net", net, sizeof net);
    if (!algo[0] || !env[0] || !net[0])
        return grsn_fail(GRSN_ERR_FORMAT, "config lacks one of the keys algo, env, net");
    if (strcmp(algo, "qmix") != 0)
        return grsn_fail(GRSN_ERR_FORMAT, "config: algo=%s on %s is not a QMIX run", algo, env);
    if (strncmp(env, SMAC_PREFIX, strlen(SMAC_PREFIX)) != 0)
        return grsn_fail(GRSN_ERR_FORMAT, "config: env=%s; QMIX runs on a SMAC map, env=" SMAC_PREFIX "MAP", env);
    int n = grsn_net_from_name(net);
    if (n < 0) return grsn_fail(GRSN_ERR_FORMAT, "config: unknown net '%s'; valid nets for qmix: " GRSN_QMIX_NET_NAMES, net);
    if (grsn_qmix_train_defaults(cfg, env + strlen(SMAC_PREFIX), (grsn_net)n, 0) != GRSN_OK)
        return grsn_kv_refail(GRSN_ERR_FORMAT, "config: ");

    // A config without push_first predates that switch (session 15): its run
    // trained with the push before the units fire.
    cfg->qmix.push_first = 1;

    // Pass 2: every key overrides its default; the map's sizes are checked.
    static const char *const SKIP[] = {"grsn_version", "grsn_build", "algo", "env", "net", NULL};
    StatedDims sd = {{0}, {0}};
    GRSN_TRY(grsn_kv_parse(cfg, KEYS, NKEYS, text, len, SKIP, take_dim, &sd));
    if (grsn_qmix_train_check(cfg) != GRSN_OK) return grsn_kv_refail(GRSN_ERR_FORMAT, "config: ");
    grsn_smac_dims d;
    GRSN_TRY(map_dims(&cfg->qmix, &d));
    long want[NDIMS];
    dims_values(&d, want);
    for (int i = 0; i < NDIMS; i++)
        if (sd.have[i] && sd.value[i] != want[i])
            return grsn_fail(GRSN_ERR_FORMAT, "config: %s=%ld, but map %s has %s %ld in this build", DIM_KEYS[i],
                             sd.value[i], cfg->qmix.map, DIM_KEYS[i], want[i]);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Checkpoints: the learner's tensors
//
// Names: both arenas under "online." and "target." (grsn_qmix_params names),
// the optimiser's state over the online arena (Adam's moments "adam.m.<name>"
// and "adam.v.<name>" and its step "adam.step", or RMSprop's running squares
// "rmsprop.square_avg.<name>"), the counters, and the learner's streams.

typedef struct {
    GrsnTensorList list;
    int64_t adam_step;
    int64_t counters[4];       // env_steps, episodes, updates, last_target_update
} QmixTensors;

// List every tensor of the learner in `t`, pointing into the learner and
// into t->adam_step / t->counters. Free t->list afterwards.
static grsn_status list_tensors(QmixTensors *t, GrsnQmix *q) {
    memset(t, 0, sizeof *t);
    GrsnParams *online = grsn_qmix_params(q, GRSN_QMIX_ONLINE), *target = grsn_qmix_params(q, GRSN_QMIX_TARGET);
    GrsnAdam *adam = grsn_qmix_adam(q);
    GrsnRMSprop *rms = grsn_qmix_rmsprop(q);
    GRSN_TRY(grsn_tensors_add_arena(&t->list, online, "online.", online->data));
    GRSN_TRY(grsn_tensors_add_arena(&t->list, target, "target.", target->data));
    if (adam) {
        GRSN_ASSERT(adam->n == online->n, "Adam over %zu values, the online arena has %zu", adam->n, online->n);
        GRSN_TRY(grsn_tensors_add_arena(&t->list, online, "adam.m.", adam->m));
        GRSN_TRY(grsn_tensors_add_arena(&t->list, online, "adam.v.", adam->v));
        GRSN_TRY(grsn_tensors_add(&t->list, "adam.step", GRSN_DT_I64, &t->adam_step, 1, 1, 0));
    } else {
        GRSN_ASSERT(rms->n == online->n, "RMSprop over %zu values, the online arena has %zu", rms->n, online->n);
        GRSN_TRY(grsn_tensors_add_arena(&t->list, online, "rmsprop.square_avg.", rms->square_avg));
    }
    GRSN_TRY(grsn_tensors_add(&t->list, "counters", GRSN_DT_I64, t->counters, 1, 4, 0));
    GRSN_TRY(grsn_tensors_add(&t->list, "rng.explore", GRSN_DT_U64, grsn_qmix_rng_state(q, GRSN_QMIX_RNG_EXPLORE)->s, 1, 4, 0));
    GRSN_TRY(grsn_tensors_add(&t->list, "rng.replay", GRSN_DT_U64, grsn_qmix_rng_state(q, GRSN_QMIX_RNG_REPLAY)->s, 1, 4, 0));
    return GRSN_OK;
}

grsn_status grsn_qmix_ckpt_save(const char *path, const GrsnQmixTrainConfig *cfg, GrsnQmix *q) {
    QmixTensors t;
    grsn_status st = list_tensors(&t, q);
    if (st == GRSN_OK) {
        const GrsnQmixCounters *c = grsn_qmix_counters(q);
        if (grsn_qmix_adam(q)) t.adam_step = grsn_qmix_adam(q)->step;
        t.counters[0] = c->env_steps; t.counters[1] = c->episodes;
        t.counters[2] = c->updates; t.counters[3] = c->last_target_update;
        char meta[4096];
        size_t need = grsn_qmix_train_config_text(cfg, meta, sizeof meta);
        GRSN_ASSERT(need < sizeof meta, "config text of %zu bytes", need);
        st = grsn_ckpt_write(path, (uint64_t)c->updates, (uint64_t)c->env_steps, meta, t.list.rec, t.list.n);
    }
    grsn_tensors_free(&t.list);
    return st;
}

// The configuration of an open checkpoint, or why it is not a QMIX one.
static grsn_status file_config(const GrsnCkptFile *f, GrsnQmixTrainConfig *cfg) {
    char algo[32] = "", env[64] = "";
    grsn_kv_find(f->meta, f->meta_len, "algo", algo, sizeof algo);
    grsn_kv_find(f->meta, f->meta_len, "env", env, sizeof env);
    if (!algo[0]) return grsn_fail(GRSN_ERR_FORMAT, "%s: the metadata names no algorithm", f->path);
    if (strcmp(algo, "qmix") != 0)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: a %s checkpoint of the control task %s, not a QMIX one", f->path,
                         algo, env[0] ? env : "?");
    if (grsn_qmix_train_config_parse(cfg, f->meta, f->meta_len) != GRSN_OK)
        return grsn_kv_refail(GRSN_ERR_FORMAT, "%s: metadata: ", f->path);
    return GRSN_OK;
}

int grsn_qmix_ckpt_probe(const char *path) {
    GrsnCkptFile f;
    if (grsn_ckpt_read(&f, path) != GRSN_OK) return 0;
    char algo[32] = "";
    int is_qmix = grsn_kv_find(f.meta, f.meta_len, "algo", algo, sizeof algo) && !strcmp(algo, "qmix");
    grsn_ckpt_close(&f);
    return is_qmix;
}

static void info_from_file(const GrsnCkptFile *f, const GrsnQmixTrainConfig *cfg, const int64_t counters[4],
                           GrsnQmixCkptInfo *info) {
    memset(info, 0, sizeof *info);
    info->config = *cfg;
    info->counters.env_steps = (long)counters[0];
    info->counters.episodes = (long)counters[1];
    info->counters.updates = (long)counters[2];
    info->counters.last_target_update = (long)counters[3];
    grsn_kv_find(f->meta, f->meta_len, "grsn_version", info->grsn_version, sizeof info->grsn_version);
}

grsn_status grsn_qmix_ckpt_info(const char *path, GrsnQmixCkptInfo *info) {
    GrsnCkptFile f;
    GRSN_TRY(grsn_ckpt_read(&f, path));
    GrsnQmixTrainConfig cfg;
    int64_t counters[4];
    uint64_t dims[1] = {4};
    grsn_status st = file_config(&f, &cfg);
    if (st == GRSN_OK) st = grsn_ckpt_get(&f, "counters", GRSN_DT_I64, 1, dims, counters);
    if (st == GRSN_OK) info_from_file(&f, &cfg, counters, info);
    grsn_ckpt_close(&f);
    return st;
}

// A checkpoint's network against the learner's: map, net, then every key
// marked `network`. GRSN_ERR_FORMAT naming the first difference.
static grsn_status same_network(const char *path, const GrsnQmixTrainConfig *have, const GrsnQmixConfig *want) {
    if (strcmp(have->qmix.map, want->map) != 0)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: trained on map %s, the learner is for map %s", path, have->qmix.map,
                         want->map);
    if (have->qmix.net != want->net)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: trained with net %s, the learner has net %s", path,
                         grsn_net_name(have->qmix.net), grsn_net_name(want->net));
    GrsnQmixTrainConfig w = *have;
    w.qmix = *want;
    for (int i = 0; i < NKEYS; i++) {
        if (KEYS[i].tag != NETWORK) continue;
        char a[64], b[64];
        grsn_kv_value(have, &KEYS[i], a, sizeof a);
        grsn_kv_value(&w, &KEYS[i], b, sizeof b);
        if (strcmp(a, b) != 0)
            return grsn_fail(GRSN_ERR_FORMAT, "%s: network mismatch: the checkpoint has %s=%s, the learner %s=%s", path,
                             KEYS[i].key, a, KEYS[i].key, b);
    }
    return GRSN_OK;
}

grsn_status grsn_qmix_ckpt_restore(const char *path, GrsnQmix *q, GrsnQmixCkptInfo *info) {
    GrsnCkptFile f;
    GRSN_TRY(grsn_ckpt_read(&f, path));
    GrsnQmixTrainConfig cfg;
    grsn_status st = file_config(&f, &cfg);
    if (st == GRSN_OK) st = same_network(path, &cfg, grsn_qmix_config(q));
    if (st != GRSN_OK) { grsn_ckpt_close(&f); return st; }

    // Decode every tensor the learner has straight into it; each is checked
    // for its name, dtype and shape first.
    QmixTensors t;
    st = list_tensors(&t, q);
    if (st == GRSN_OK) st = grsn_tensors_read(&t.list, &f, path, "learner");
    if (st == GRSN_OK) {
        GrsnQmixCounters *c = grsn_qmix_counters(q);
        c->env_steps = (long)t.counters[0]; c->episodes = (long)t.counters[1];
        c->updates = (long)t.counters[2]; c->last_target_update = (long)t.counters[3];
        if (grsn_qmix_adam(q)) grsn_qmix_adam(q)->step = (long)t.adam_step;
        if (info) info_from_file(&f, &cfg, t.counters, info);
    }
    grsn_tensors_free(&t.list);
    grsn_ckpt_close(&f);
    return st;
}

grsn_status grsn_qmix_ckpt_load(const char *path, int seed_override, uint64_t seed, GrsnQmix **out,
                                GrsnQmixCkptInfo *info) {
    GrsnQmixCkptInfo head;
    GRSN_TRY(grsn_qmix_ckpt_info(path, &head));
    GrsnQmix *q;
    if (grsn_qmix_create(&q, &head.config.qmix, seed_override ? seed : head.config.seed) != GRSN_OK)
        return grsn_kv_refail(GRSN_ERR_FORMAT, "%s: cannot build the learner its metadata describes: ", path);
    grsn_status st = grsn_qmix_ckpt_restore(path, q, info);
    if (st != GRSN_OK) { grsn_qmix_free(q); return st; }
    *out = q;
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// The training loop

typedef struct {
    GrsnQmixTrainConfig cfg;
    GrsnQmix *q;
    GrsnRunDir rd;
    long next_test, last_test_steps, tests;
    long next_resume, last_resume_steps;   // the resume state: due at the first test at or past
                                           // next_resume; last written at last_resume_steps
    // Sums since the previous test.
    double win_sum, ret_sum, loss_sum;
    long ep_n, upd_n;
    GrsnQmixTest test;             // the latest test (test.episodes == 0 before the first)
    double wall0;                  // seconds run before a resume
    int64_t saved_tests;           // what the resume state stores of the run (save_replay)
    double saved_wall_s;
    grsn_qmix_progress_fn progress_fn;
    void *user;
} Run;

// Seconds the run has trained, across resumes.
static double run_wall_s(const Run *r) { return r->wall0 + grsn_now_s() - r->rd.t0; }

// The first env step past n that makes a test write the resume state
// (never with resume_interval 0).
static long resume_due_after(const GrsnQmixTrainConfig *c, long n) {
    return c->resume_interval > 0 ? (n / c->resume_interval + 1) * c->resume_interval : LONG_MAX;
}

static void fill_progress(const Run *r, GrsnQmixTrainProgress *p, int tested, const GrsnQmixRollout *ro) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    memset(p, 0, sizeof *p);
    p->env_steps = c->env_steps; p->episodes = c->episodes; p->updates = c->updates;
    p->tested = tested;
    p->epsilon = grsn_qmix_epsilon(r->q);
    p->rollout_win_rate = ro ? (double)ro->wins / ro->episodes : NAN;
    p->rollout_return = ro ? ro->return_sum / ro->episodes : NAN;
    p->train_win_rate = r->ep_n ? r->win_sum / (double)r->ep_n : NAN;
    p->train_return = r->ep_n ? r->ret_sum / (double)r->ep_n : NAN;
    p->loss = r->upd_n ? r->loss_sum / (double)r->upd_n : NAN;
    int t = r->test.episodes > 0;
    p->test_win_rate = t ? r->test.win_rate : NAN;
    p->test_return = t ? r->test.return_mean : NAN;
    p->test_return_std = t ? r->test.return_std : NAN;
    p->test_length = t ? r->test.length_mean : NAN;
    p->firing_rate = t ? r->test.firing_rate : NAN;
    p->wall_s = run_wall_s(r);
    p->env_steps_per_s = p->wall_s > 0 ? (double)c->env_steps / p->wall_s : 0;
    p->updates_per_s = p->wall_s > 0 ? (double)c->updates / p->wall_s : 0;
}

// One update; a non-finite loss stops the run naming the last good checkpoint.
static grsn_status update(Run *r) {
    GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    if (r->cfg.test_poison_update > 0 && c->updates == r->cfg.test_poison_update) {
        GrsnParams *p = grsn_qmix_params(r->q, GRSN_QMIX_ONLINE);   // test hook
        for (size_t k = 0; k < p->n; k++) p->data[k] = NAN;
    }
    GrsnQmixStats s;
    grsn_status st = grsn_qmix_update(r->q, &s);
    if (st == GRSN_ERR_NAN) return grsn_rundir_fail_nan(&r->rd, c->env_steps);
    GRSN_TRY(st);
    r->loss_sum += s.loss;
    r->upd_n++;
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// The resume state. A test writes ckpt_N.grsn (networks, Adam, counters, the
// learner's streams); at the first test at or past every multiple of
// resume_interval env steps, and at the end, replay_N.grsn joins it: the
// episode buffer, the simulators' streams and the run's own counters. Tests
// fall between rollouts, when every environment has finished its episode,
// so nothing else is in flight, and the sums since the previous test are
// empty.

// Whether two configs describe the same run, budget and threads aside.
static int same_run(const GrsnQmixTrainConfig *a, const GrsnQmixTrainConfig *b) {
    GrsnQmixTrainConfig x = *a, y = *b;
    x.steps = y.steps; x.threads = y.threads;
    char tx[4096], ty[4096];
    grsn_qmix_train_config_text(&x, tx, sizeof tx);
    grsn_qmix_train_config_text(&y, ty, sizeof ty);
    return strcmp(tx, ty) == 0;
}

// The run's own part: the test count, the wall time, and the latest test
// (a resumed run that ends without another one reports it).
static grsn_status run_tensors(Run *r, GrsnTensorList *t) {
    GRSN_TRY(grsn_tensors_add(t, "run.tests", GRSN_DT_I64, &r->saved_tests, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.wall_s", GRSN_DT_F64, &r->saved_wall_s, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.test_win_rate", GRSN_DT_F32, &r->test.win_rate, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.test_return_mean", GRSN_DT_F32, &r->test.return_mean, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.test_return_std", GRSN_DT_F32, &r->test.return_std, 1, 1, 0));
    GRSN_TRY(grsn_tensors_add(t, "run.test_length_mean", GRSN_DT_F32, &r->test.length_mean, 1, 1, 0));
    return grsn_tensors_add(t, "run.test_firing_rate", GRSN_DT_F32, &r->test.firing_rate, 1, 1, 0);
}

static grsn_status save_replay(Run *r, const char *path) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    r->saved_tests = r->tests;
    r->saved_wall_s = run_wall_s(r);
    GrsnTensorList t = {0};
    grsn_status st = grsn_qmix_state_add_tensors(r->q, &t);
    if (st == GRSN_OK) st = run_tensors(r, &t);
    char meta[4096];
    size_t need = grsn_qmix_train_config_text(&r->cfg, meta, sizeof meta);
    GRSN_ASSERT(need < sizeof meta, "config text of %zu bytes", need);
    if (st == GRSN_OK) st = grsn_ckpt_write(path, (uint64_t)c->updates, (uint64_t)c->env_steps, meta, t.rec, t.n);
    grsn_tensors_free(&t);
    return st;
}

// Whether config text `meta` (a resume state's) is the run of config `cfg`.
static int written_by(const char *meta, size_t len, const void *cfg) {
    GrsnQmixTrainConfig saved;
    return grsn_qmix_train_config_parse(&saved, meta, len) == GRSN_OK && same_run(&saved, cfg);
}

static grsn_status load_replay(Run *r, const char *path, long env_steps) {
    GrsnCkptFile f;
    GRSN_TRY(grsn_rundir_open_state(&f, path, env_steps, "resume state", written_by, &r->cfg));
    GrsnTensorList t = {0};
    grsn_status st = grsn_qmix_state_list_saved(r->q, &f, path, &t);
    if (st == GRSN_OK) st = run_tensors(r, &t);
    if (st == GRSN_OK) st = grsn_tensors_read(&t, &f, path, "resume state");
    if (st == GRSN_OK) st = grsn_qmix_state_finish_load(r->q, path);
    if (st == GRSN_OK && (r->saved_tests < 1 || !(r->saved_wall_s >= 0)))
        st = grsn_fail(GRSN_ERR_FORMAT, "%s: run counters out of range", path);
    grsn_tensors_free(&t);
    grsn_ckpt_close(&f);
    GRSN_TRY(st);
    r->tests = (long)r->saved_tests;
    r->wall0 = r->saved_wall_s;
    r->test.episodes = r->cfg.test_episodes;
    return GRSN_OK;
}

// The resume pair at this test: its checkpoint, which the test wrote, and
// the replay state beside it; then the previous pair can go.
static grsn_status save_resume(Run *r) {
    long n = grsn_qmix_counters(r->q)->env_steps;
    char ckpt[600], replay[600];
    grsn_rundir_ckpt_path(&r->rd, n, ckpt, sizeof ckpt);
    grsn_rundir_replay_path(&r->rd, n, replay, sizeof replay);
    GRSN_TRY(save_replay(r, replay));
    grsn_rundir_keep_pair(&r->rd, ckpt, replay);
    r->last_resume_steps = n;
    r->next_resume = resume_due_after(&r->cfg, n);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Tests and the run

// Test, append the rows, write the checkpoint, reset the sums, and write
// the resume state when it is due.
static grsn_status test_and_log(Run *r) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    GRSN_TRY(grsn_qmix_test(r->q, r->cfg.test_episodes, &r->test));
    r->tests++;
    r->last_test_steps = c->env_steps;
    while (r->next_test <= c->env_steps) r->next_test += r->cfg.test_interval;

    GrsnQmixTrainProgress p;
    fill_progress(r, &p, 1, NULL);
    FILE *f = r->rd.progress;
    fprintf(f, "%ld,%ld,%ld", c->env_steps, c->episodes, c->updates);
    grsn_put_num(f, p.train_win_rate);
    grsn_put_num(f, p.train_return);
    grsn_put_num(f, p.test_win_rate);
    grsn_put_num(f, p.test_return);
    grsn_put_num(f, p.test_return_std);
    grsn_put_num(f, p.test_length);
    grsn_put_num(f, p.loss);
    grsn_put_num(f, p.epsilon);
    grsn_put_num(f, p.firing_rate);
    fputc('\n', f);
    fprintf(r->rd.timing, "%ld,%.3f,%.2f,%.3f\n", c->env_steps, p.wall_s, p.env_steps_per_s, p.updates_per_s);
    GRSN_TRY(grsn_rundir_flush(&r->rd));

    // The new checkpoint first; then the previous one can go.
    char path[600];
    grsn_rundir_ckpt_path(&r->rd, c->env_steps, path, sizeof path);
    GRSN_TRY(grsn_qmix_ckpt_save(path, &r->cfg, r->q));
    grsn_rundir_keep_ckpt(&r->rd, path);

    if (r->progress_fn) r->progress_fn(&p, r->user);
    r->win_sum = r->ret_sum = r->loss_sum = 0;
    r->ep_n = r->upd_n = 0;
    if (c->env_steps >= r->next_resume) GRSN_TRY(save_resume(r));
    return GRSN_OK;
}

static grsn_status open_logs(Run *r) {
    char text[4096];
    size_t n = grsn_qmix_train_config_text(&r->cfg, text, sizeof text);
    GRSN_ASSERT(n < sizeof text, "config text of %zu bytes", n);
    return grsn_rundir_open_logs(&r->rd, text, n,
                                 "env_steps,episodes,updates,train_win_rate,train_return,test_win_rate,test_return,"
                                 "test_return_std,test_length,loss,epsilon,firing_rate",
                                 "env_steps,wall_s,env_steps_per_s,updates_per_s");
}

static grsn_status run_setup(Run *r, int resume) {
    const GrsnQmixTrainConfig *c = &r->cfg;
    GRSN_TRY(grsn_qmix_train_check(c));
    GRSN_TRY(grsn_rundir_create(&r->rd));
    grsn_set_threads(c->threads);
    GRSN_TRY(grsn_qmix_create(&r->q, &c->qmix, c->seed));
    if (!resume) GRSN_TRY(open_logs(r));
    r->next_test = 0;               // the first test follows the first rollout
    r->last_test_steps = -1;
    r->next_resume = resume_due_after(c, 0);
    r->last_resume_steps = -1;
    return GRSN_OK;
}

// Load the latest resume pair of r's directory into the freshly set-up run r.
static grsn_status restore(Run *r) {
    const char *dir = r->rd.dir;
    long n = grsn_rundir_latest_pair(dir);
    if (n < 0)
        return grsn_fail(GRSN_ERR_FORMAT, "cannot resume %s: no checkpoint with its resume state "
                                          "(ckpt_N.grsn and replay_N.grsn; a finished QMIX run keeps "
                                          "them only when trained with --keep-resume 1)", dir);
    char path[600], replay[600];
    grsn_rundir_ckpt_path(&r->rd, n, path, sizeof path);
    GrsnQmixCkptInfo info;
    GRSN_TRY(grsn_qmix_ckpt_restore(path, r->q, &info));
    // The checkpoint must be this run's: the same config but for the budget and threads.
    if (!same_run(&info.config, &r->cfg) || info.counters.env_steps != n)
        return grsn_fail(GRSN_ERR_FORMAT, "cannot resume %s: %s is not this run's checkpoint", dir, path);
    if (grsn_rundir_budget_below(r->cfg.steps, n, info.config.steps))
        return grsn_fail(GRSN_ERR_ARG, "cannot resume %s at --steps %ld: it has run %ld env steps", dir,
                         r->cfg.steps, n);
    grsn_rundir_replay_path(&r->rd, n, replay, sizeof replay);
    GRSN_TRY(load_replay(r, replay, n));
    r->last_test_steps = n;   // every resume pair follows a test
    while (r->next_test <= n) r->next_test += r->cfg.test_interval;
    r->last_resume_steps = n;
    r->next_resume = resume_due_after(&r->cfg, n);
    grsn_rundir_keep_pair(&r->rd, path, replay);   // the pair the next one replaces
    char text[4096];
    size_t len = grsn_qmix_train_config_text(&r->cfg, text, sizeof text);
    return grsn_rundir_reopen_logs(&r->rd, text, len, n);
}

static grsn_status write_result(Run *r) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    char text[1024];
    size_t off = 0;
    off = grsn_kv_append(text, sizeof text, off,
                  "test_win_rate=%.9g\ntest_return_mean=%.9g\ntest_return_std=%.9g\ntest_length_mean=%.9g\n"
                  "test_episodes=%d\nfiring_rate=%.9g\n",
                  r->test.win_rate, r->test.return_mean, r->test.return_std, r->test.length_mean,
                  r->test.episodes, r->test.firing_rate);
    off = grsn_kv_append(text, sizeof text, off, "env_steps=%ld\nepisodes=%ld\nupdates=%ld\ntests=%ld\nwall_s=%.3f\n",
                  c->env_steps, c->episodes, c->updates, r->tests, run_wall_s(r));
    GRSN_ASSERT(off < sizeof text, "result text of %zu bytes", off);
    return grsn_rundir_write(&r->rd, "result", text, off);
}

static grsn_status run_loop(Run *r) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    while (c->env_steps < r->cfg.steps) {
        GrsnQmixRollout ro;
        GRSN_TRY(grsn_qmix_rollout(r->q, &ro));
        r->win_sum += ro.wins;
        r->ret_sum += ro.return_sum;
        r->ep_n += ro.episodes;
        if (grsn_qmix_can_update(r->q)) GRSN_TRY(update(r));
        if (r->progress_fn) {
            GrsnQmixTrainProgress p;
            fill_progress(r, &p, 0, &ro);
            r->progress_fn(&p, r->user);
        }
        if (c->env_steps >= r->next_test) GRSN_TRY(test_and_log(r));
    }
    // The final test, unless one just ran at this step count.
    if (r->last_test_steps != c->env_steps) GRSN_TRY(test_and_log(r));
    char path[600];
    grsn_rundir_path(&r->rd, path, sizeof path, "final.grsn");
    GRSN_TRY(grsn_qmix_ckpt_save(path, &r->cfg, r->q));
    // The resume state at the end, from which --steps extends the run, only
    // when asked for: the buffer of a finished run is up to gigabytes.
    if (!r->cfg.keep_resume) grsn_rundir_drop_pair(&r->rd);
    else if (r->last_resume_steps != c->env_steps) GRSN_TRY(save_resume(r));
    return write_result(r);
}

static void fill_result(const Run *r, GrsnQmixTrainResult *result) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    result->test_win_rate = r->test.win_rate;
    result->test_return = r->test.return_mean;
    result->test_return_std = r->test.return_std;
    result->test_length = r->test.length_mean;
    result->env_steps = c->env_steps;
    result->episodes = c->episodes;
    result->updates = c->updates;
    result->tests = r->tests;
    result->wall_s = run_wall_s(r);
}

// A run in dir, fresh or resumed from dir's latest resume pair.
static grsn_status run_in(const GrsnQmixTrainConfig *cfg, const char *dir, int resume,
                          grsn_qmix_progress_fn progress, void *user, GrsnQmixTrainResult *result) {
    Run *r = grsn_calloc(1, sizeof *r);
    if (!r) return GRSN_ERR_OOM;
    r->cfg = *cfg;
    r->progress_fn = progress;
    r->user = user;
    grsn_status st = grsn_rundir_init(&r->rd, dir);
    if (st == GRSN_OK) st = run_setup(r, resume);
    if (st == GRSN_OK && resume) st = restore(r);
    if (st == GRSN_OK) st = run_loop(r);
    if (st == GRSN_OK && result) fill_result(r, result);
    grsn_rundir_close(&r->rd);
    grsn_qmix_free(r->q);
    free(r);
    return st;
}

grsn_status grsn_qmix_train_run(const GrsnQmixTrainConfig *cfg, const char *out_dir,
                                grsn_qmix_progress_fn progress, void *user, GrsnQmixTrainResult *result) {
    return run_in(cfg, out_dir, 0, progress, user, result);
}

int grsn_qmix_run_probe(const char *dir) {
    char path[600], algo[32] = "";
    snprintf(path, sizeof path, "%s/config", dir);
    char *text = grsn_read_text(path);
    int is_qmix = text && grsn_kv_find(text, strlen(text), "algo", algo, sizeof algo) && !strcmp(algo, "qmix");
    free(text);
    return is_qmix;
}

grsn_status grsn_qmix_train_resume_config(const char *dir, GrsnQmixTrainConfig *cfg) {
    char path[600];
    snprintf(path, sizeof path, "%s/config", dir);
    char *text = grsn_read_text(path);
    if (!text) return grsn_fail(GRSN_ERR_IO, "cannot resume %s: cannot read %s: %s", dir, path, strerror(errno));
    grsn_status st = GRSN_OK;
    if (grsn_qmix_train_config_parse(cfg, text, strlen(text)) != GRSN_OK)
        st = grsn_kv_refail(GRSN_ERR_FORMAT, "cannot resume %s: %s: ", dir, path);
    free(text);
    return st;
}

grsn_status grsn_qmix_train_resume(const GrsnQmixTrainConfig *cfg, const char *dir, grsn_qmix_progress_fn progress,
                                   void *user, GrsnQmixTrainResult *result) {
    return run_in(cfg, dir, 1, progress, user, result);
}
