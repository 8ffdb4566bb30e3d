/*
 * train_qmix.c — QMIX training runs on the SMAC-compatible simulator (paper
 * Table 2; reference-implementation.md §9; grsn_train_qmix.h): the run
 * configuration and its key=value text, pymarl2's run loop with greedy
 * tests, the run directory, and QMIX checkpoints stored in the container of
 * ckpt.c.
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
 *                checkpoint
 *   test once more at the end: the run's score
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
#include "grsn_train_qmix.h"
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SMAC_PREFIX "smac:"

// ----------------------------------------------------------------------------
// Names of the enumerated options in the config text

static const char *BETA_NAMES[] = {"fixed", "layer", "neuron"};      // grsn_beta_mode
static const char *RESET_NAMES[] = {"soft", "hard"};                 // grsn_reset_mode
static const char *DECODE_NAMES[] = {"rate", "last"};                // grsn_decode
static const char *UNIT_NAMES[] = {"liberty", "lotv"};               // grsn_smac_unit_table

static int name_index(const char *const *names, int n, const char *s) {
    for (int i = 0; i < n; i++) if (!strcmp(names[i], s)) return i;
    return -1;
}

// ----------------------------------------------------------------------------
// Defaults and checks

// The map's sizes under the configuration's simulator options.
static grsn_status map_dims(const GrsnQmixConfig *q, grsn_smac_dims *d) {
    grsn_smac_config sc;
    grsn_smac_config_default(&sc, q->map);
    sc.state_last_action = q->state_last_action;
    sc.units = q->units;
    return grsn_smac_map_dims(q->map, &sc, d);
}

grsn_status grsn_qmix_train_defaults(GrsnQmixTrainConfig *cfg, const char *map, grsn_net net, uint64_t seed) {
    memset(cfg, 0, sizeof *cfg);
    grsn_smac_dims d;
    GRSN_TRY(grsn_smac_map_dims(map, NULL, &d));               // unknown map: the message lists the maps
    grsn_net checked;
    GRSN_TRY(grsn_qmix_net_from_name(grsn_net_name(net), &checked));   // mlp: the message lists the nets
    cfg->qmix = grsn_qmix_defaults(map, net);
    cfg->seed = seed;
    cfg->steps = GRSN_QMIX_TRAIN_STEPS;
    cfg->test_interval = 10000;
    cfg->test_episodes = 32;
    return grsn_qmix_train_check(cfg);
}

grsn_status grsn_qmix_train_check(const GrsnQmixTrainConfig *cfg) {
    const GrsnQmixConfig *q = &cfg->qmix;
    grsn_smac_dims d;
    GRSN_TRY(map_dims(q, &d));
    grsn_net checked;
    GRSN_TRY(grsn_qmix_net_from_name(grsn_net_name(q->net), &checked));
    const GrsnCellConfig *c = &q->cell;
    struct { const char *name; double v, lo, hi; } ranges[] = {
        {"steps", (double)cfg->steps, 1, 1e13},
        {"test_interval", (double)cfg->test_interval, 1, 1e13},
        {"test_episodes", cfg->test_episodes, 1, 1e6},
        {"threads", cfg->threads, 0, 1024},
        {"n_envs", q->n_envs, 1, 4096},
        {"hidden", q->hidden, 1, 1e5}, {"mixer_embed", q->mixer_embed, 1, 1e5},
        {"hypernet_embed", q->hypernet_embed, 1, 1e5},
        {"batch", q->batch, 1, 1e6}, {"buffer", q->buffer, 1, 1e7},
        {"lr", q->lr, 1e-30, 1e30}, {"gamma", q->gamma, 0, 1}, {"td_lambda", q->td_lambda, 0, 1},
        {"grad_clip", q->grad_clip, 1e-30, 1e30},
        {"eps_start", q->eps_start, 0, 1}, {"eps_finish", q->eps_finish, 0, 1},
        {"eps_anneal", (double)q->eps_anneal, 1, 1e13},
        {"target_update_episodes", q->target_update_episodes, 1, 1e9},
        {"state_last_action", q->state_last_action, 0, 1},
        {"cell.threshold", c->threshold, 1e-30, 1e30}, {"cell.alpha", c->alpha, 1e-30, 1e30},
        {"cell.beta", c->beta, 0, 1}, {"cell.substeps", c->substeps, 1, 64},
        {"cell.detach_reset", c->detach_reset, 0, 1}, {"cell.smooth", c->smooth, 0, 1},
        {"cell.act_reset_membrane", c->act_reset_membrane, 0, 1},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (!(ranges[i].v >= ranges[i].lo && ranges[i].v <= ranges[i].hi))
            return grsn_fail(GRSN_ERR_ARG, "%s = %g is outside [%g, %g]", ranges[i].name, ranges[i].v,
                             ranges[i].lo, ranges[i].hi);
    if (q->buffer < q->batch || q->buffer < q->n_envs)
        return grsn_fail(GRSN_ERR_ARG, "buffer = %d episodes must hold a batch (%d) and a rollout of n_envs (%d)",
                         q->buffer, q->batch, q->n_envs);
    if (q->net == GRSN_NET_GRU && c->substeps != 1)
        return grsn_fail(GRSN_ERR_ARG, "cell.substeps = %d (w/o TAP) applies to the spiking nets grsn and lif, not gru",
                         c->substeps);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// The configuration as key=value text. One table drives writing, reading and
// the comparison of a checkpoint with a learner.

typedef enum { K_U64, K_LONG, K_INT, K_FLOAT, K_BETA, K_RESET, K_DECODE, K_UNITS } KeyType;
typedef struct {
    const char *key;
    KeyType type;
    size_t off;
    int network;    // 1: part of what the networks compute; a checkpoint must match it
} ConfigKey;

#define CF(field) offsetof(GrsnQmixTrainConfig, field)
static const ConfigKey KEYS[] = {
    {"seed", K_U64, CF(seed), 0},
    // The run
    {"steps", K_LONG, CF(steps), 0}, {"test_interval", K_LONG, CF(test_interval), 0},
    {"test_episodes", K_INT, CF(test_episodes), 0}, {"threads", K_INT, CF(threads), 0},
    // The learner (pymarl2 defaults, spec §9.2)
    {"n_envs", K_INT, CF(qmix.n_envs), 0},
    {"hidden", K_INT, CF(qmix.hidden), 1}, {"mixer_embed", K_INT, CF(qmix.mixer_embed), 1},
    {"hypernet_embed", K_INT, CF(qmix.hypernet_embed), 1},
    {"batch", K_INT, CF(qmix.batch), 0}, {"buffer", K_INT, CF(qmix.buffer), 0},
    {"lr", K_FLOAT, CF(qmix.lr), 0}, {"gamma", K_FLOAT, CF(qmix.gamma), 0},
    {"td_lambda", K_FLOAT, CF(qmix.td_lambda), 0}, {"grad_clip", K_FLOAT, CF(qmix.grad_clip), 0},
    {"eps_start", K_FLOAT, CF(qmix.eps_start), 0}, {"eps_finish", K_FLOAT, CF(qmix.eps_finish), 0},
    {"eps_anneal", K_LONG, CF(qmix.eps_anneal), 0},
    {"target_update_episodes", K_INT, CF(qmix.target_update_episodes), 0},
    // The simulator
    {"state_last_action", K_INT, CF(qmix.state_last_action), 1}, {"units", K_UNITS, CF(qmix.units), 1},
    // The neuron
    {"cell.threshold", K_FLOAT, CF(qmix.cell.threshold), 1}, {"cell.alpha", K_FLOAT, CF(qmix.cell.alpha), 1},
    {"cell.beta", K_FLOAT, CF(qmix.cell.beta), 1}, {"cell.beta_mode", K_BETA, CF(qmix.cell.beta_mode), 1},
    {"cell.reset", K_RESET, CF(qmix.cell.reset), 1}, {"cell.u_reset", K_FLOAT, CF(qmix.cell.u_reset), 1},
    {"cell.detach_reset", K_INT, CF(qmix.cell.detach_reset), 1}, {"cell.smooth", K_INT, CF(qmix.cell.smooth), 1},
    {"cell.substeps", K_INT, CF(qmix.cell.substeps), 1}, {"cell.decode", K_DECODE, CF(qmix.cell.decode), 1},
    {"cell.act_reset_membrane", K_INT, CF(qmix.cell.act_reset_membrane), 1},
};
#define NKEYS ((int)(sizeof KEYS / sizeof KEYS[0]))

// Keys that describe the file rather than the run; checked on reading.
static const char *INFO_KEYS[][2] = {{"float_type", "f32"}, {"endianness", "little"}};
// The map's sizes, written for the reader to check against this build's simulator.
static const char *DIM_KEYS[] = {"n_agents", "n_actions", "obs_dim", "state_dim"};
#define NDIMS 4

static void dims_values(const grsn_smac_dims *d, long v[NDIMS]) {
    v[0] = d->n_agents; v[1] = d->n_actions; v[2] = d->obs_dim; v[3] = d->state_dim;
}

static size_t appendf(char *buf, size_t cap, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t appendf(char *buf, size_t cap, size_t off, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(off < cap ? buf + off : NULL, off < cap ? cap - off : 0, fmt, ap);
    va_end(ap);
    return off + (size_t)(n > 0 ? n : 0);
}

// The value of one key as text.
static void key_value(const GrsnQmixTrainConfig *cfg, const ConfigKey *k, char *out, size_t cap) {
    const void *p = (const char *)cfg + k->off;
    switch (k->type) {
    case K_U64: snprintf(out, cap, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case K_LONG: snprintf(out, cap, "%ld", *(const long *)p); break;
    case K_INT: snprintf(out, cap, "%d", *(const int *)p); break;
    case K_FLOAT: snprintf(out, cap, "%.9g", (double)*(const float *)p); break;
    case K_BETA: snprintf(out, cap, "%s", BETA_NAMES[*(const grsn_beta_mode *)p]); break;
    case K_RESET: snprintf(out, cap, "%s", RESET_NAMES[*(const grsn_reset_mode *)p]); break;
    case K_DECODE: snprintf(out, cap, "%s", DECODE_NAMES[*(const grsn_decode *)p]); break;
    case K_UNITS: snprintf(out, cap, "%s", UNIT_NAMES[*(const grsn_smac_unit_table *)p]); break;
    }
}

size_t grsn_qmix_train_config_text(const GrsnQmixTrainConfig *cfg, char *buf, size_t cap) {
    size_t off = 0;
    if (cap) buf[0] = '\0';
    off = appendf(buf, cap, off, "grsn_version=%s\nalgo=qmix\nenv=" SMAC_PREFIX "%s\nnet=%s\n", GRSN_VERSION,
                  cfg->qmix.map, grsn_net_name(cfg->qmix.net));
    char v[64];
    for (int i = 0; i < NKEYS; i++) {
        key_value(cfg, &KEYS[i], v, sizeof v);
        off = appendf(buf, cap, off, "%s=%s\n", KEYS[i].key, v);
    }
    grsn_smac_dims d;
    if (map_dims(&cfg->qmix, &d) == GRSN_OK) {
        long dv[NDIMS];
        dims_values(&d, dv);
        for (int i = 0; i < NDIMS; i++) off = appendf(buf, cap, off, "%s=%ld\n", DIM_KEYS[i], dv[i]);
    }
    for (size_t i = 0; i < sizeof INFO_KEYS / sizeof INFO_KEYS[0]; i++)
        off = appendf(buf, cap, off, "%s=%s\n", INFO_KEYS[i][0], INFO_KEYS[i][1]);
    return off;
}

// Set one key from its text value. 0 on success, -1 if the value is bad.
static int set_key(GrsnQmixTrainConfig *cfg, const ConfigKey *k, const char *v) {
    void *p = (char *)cfg + k->off;
    char *end;
    errno = 0;
    switch (k->type) {
    case K_U64: {
        if (*v == '-') return -1;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || end == v || *end) return -1;
        *(uint64_t *)p = x;
        return 0;
    }
    case K_LONG: case K_INT: {
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end) return -1;
        if (k->type == K_INT) {
            if (x < -2147483647L || x > 2147483647L) return -1;
            *(int *)p = (int)x;
        } else {
            *(long *)p = x;
        }
        return 0;
    }
    case K_FLOAT: {
        float x = strtof(v, &end);
        if (errno || end == v || *end || !isfinite(x)) return -1;
        *(float *)p = x;
        return 0;
    }
    case K_BETA: { int i = name_index(BETA_NAMES, 3, v); if (i < 0) return -1; *(grsn_beta_mode *)p = (grsn_beta_mode)i; return 0; }
    case K_RESET: { int i = name_index(RESET_NAMES, 2, v); if (i < 0) return -1; *(grsn_reset_mode *)p = (grsn_reset_mode)i; return 0; }
    case K_DECODE: { int i = name_index(DECODE_NAMES, 2, v); if (i < 0) return -1; *(grsn_decode *)p = (grsn_decode)i; return 0; }
    case K_UNITS: { int i = name_index(UNIT_NAMES, 2, v); if (i < 0) return -1; *(grsn_smac_unit_table *)p = (grsn_smac_unit_table)i; return 0; }
    }
    return -1;
}

// Split the next line of text[*pos..len) into key and value (trimmed, in
// the caller's buffer). Returns 0 at the end, 1 for a key=value line, 2 for
// a blank or comment line, -1 for a malformed line.
static int next_line(const char *text, size_t len, size_t *pos, char *line, size_t cap,
                     char **key, char **value) {
    if (*pos >= len) return 0;
    size_t start = *pos, end = start;
    while (end < len && text[end] != '\n') end++;
    *pos = end + 1;
    size_t n = end - start;
    if (n >= cap) n = cap - 1;
    memcpy(line, text + start, n);
    line[n] = '\0';
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) line[--n] = '\0';
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (*s == '\0' || *s == '#') return 2;
    char *eq = strchr(s, '=');
    if (!eq || eq == s) return -1;
    *eq = '\0';
    char *k_end = eq;
    while (k_end > s && (k_end[-1] == ' ' || k_end[-1] == '\t')) *--k_end = '\0';
    char *v = eq + 1;
    while (*v == ' ' || *v == '\t') v++;
    *key = s; *value = v;
    return 1;
}

// The value of `key` in key=value text, trimmed, into out. 1 if found.
static int find_value(const char *text, size_t len, const char *key, char *out, size_t cap) {
    char line[256], *k, *v;
    size_t pos = 0;
    int r;
    while ((r = next_line(text, len, &pos, line, sizeof line, &k, &v)) != 0)
        if (r == 1 && !strcmp(k, key)) { snprintf(out, cap, "%s", v); return 1; }
    return 0;
}

// Re-raise the current message as GRSN_ERR_FORMAT with a prefix.
static grsn_status fail_format(const char *prefix) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", grsn_last_error());
    return grsn_fail(GRSN_ERR_FORMAT, "%s%s", prefix, msg);
}

grsn_status grsn_qmix_train_config_parse(GrsnQmixTrainConfig *cfg, const char *text, size_t len) {
    // Pass 1: algo, env and net select the defaults.
    char algo[32] = "", env[64] = "", net[32] = "";
    find_value(text, len, "algo", algo, sizeof algo);
    find_value(text, len, "env", env, sizeof env);
    find_value(text, len, "net", net, sizeof net);
    if (!algo[0] || !env[0] || !net[0])
        return grsn_fail(GRSN_ERR_FORMAT, "config lacks one of the keys algo, env, net");
    if (strcmp(algo, "qmix") != 0)
        return grsn_fail(GRSN_ERR_FORMAT, "config: algo=%s on %s is not a QMIX run", algo, env);
    if (strncmp(env, SMAC_PREFIX, strlen(SMAC_PREFIX)) != 0)
        return grsn_fail(GRSN_ERR_FORMAT, "config: env=%s; QMIX runs on a SMAC map, env=" SMAC_PREFIX "MAP", env);
    int n = grsn_net_from_name(net);
    if (n < 0) return grsn_fail(GRSN_ERR_FORMAT, "config: unknown net '%s'; valid nets for qmix: " GRSN_QMIX_NET_NAMES, net);
    if (grsn_qmix_train_defaults(cfg, env + strlen(SMAC_PREFIX), (grsn_net)n, 0) != GRSN_OK)
        return fail_format("config: ");

    // Pass 2: every key overrides its default; the map's sizes are checked.
    char line[256], *key, *value;
    size_t pos = 0;
    int r, lineno = 0, have_dims[NDIMS] = {0};
    long dims[NDIMS] = {0};
    while ((r = next_line(text, len, &pos, line, sizeof line, &key, &value)) != 0) {
        lineno++;
        if (r < 0) return grsn_fail(GRSN_ERR_FORMAT, "config line %d: expected key=value, got '%s'", lineno, line);
        if (r != 1) continue;
        if (!strcmp(key, "grsn_version") || !strcmp(key, "algo") || !strcmp(key, "env") || !strcmp(key, "net"))
            continue;
        int known = 0;
        for (size_t i = 0; i < sizeof INFO_KEYS / sizeof INFO_KEYS[0]; i++)
            if (!strcmp(key, INFO_KEYS[i][0])) {
                if (strcmp(value, INFO_KEYS[i][1]))
                    return grsn_fail(GRSN_ERR_FORMAT, "config line %d: %s=%s, this build reads only %s", lineno,
                                     key, value, INFO_KEYS[i][1]);
                known = 1;
            }
        for (int i = 0; i < NDIMS && !known; i++)
            if (!strcmp(key, DIM_KEYS[i])) {
                char *end;
                errno = 0;
                dims[i] = strtol(value, &end, 10);
                if (errno || end == value || *end)
                    return grsn_fail(GRSN_ERR_FORMAT, "config line %d: bad value '%s' for %s", lineno, value, key);
                have_dims[i] = known = 1;
            }
        for (int i = 0; i < NKEYS && !known; i++)
            if (!strcmp(key, KEYS[i].key)) {
                if (set_key(cfg, &KEYS[i], value) != 0)
                    return grsn_fail(GRSN_ERR_FORMAT, "config line %d: bad value '%s' for %s", lineno, value, key);
                known = 1;
            }
        if (!known) return grsn_fail(GRSN_ERR_FORMAT, "config line %d: unknown key '%s'", lineno, key);
    }
    if (grsn_qmix_train_check(cfg) != GRSN_OK) return fail_format("config: ");
    grsn_smac_dims d;
    GRSN_TRY(map_dims(&cfg->qmix, &d));
    long want[NDIMS];
    dims_values(&d, want);
    for (int i = 0; i < NDIMS; i++)
        if (have_dims[i] && dims[i] != want[i])
            return grsn_fail(GRSN_ERR_FORMAT, "config: %s=%ld, but map %s has %s %ld in this build", DIM_KEYS[i],
                             dims[i], cfg->qmix.map, DIM_KEYS[i], want[i]);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Checkpoints: the learner's tensors
//
// Names: both arenas under "online." and "target." (grsn_qmix_params names),
// Adam's moments "adam.m.<name>" and "adam.v.<name>" of the online arena and
// its step "adam.step", the counters, and the learner's streams.

typedef struct {
    GrsnTensorRec *rec;
    int n, cap;
    int64_t adam_step;
    int64_t counters[4];       // env_steps, episodes, updates, last_target_update
} QmixTensors;

static grsn_status add_tensor(QmixTensors *t, const char *name, grsn_dtype dt, void *data, int ndim,
                              uint64_t d0, uint64_t d1) {
    if (strlen(name) >= 64) return grsn_fail(GRSN_ERR_ARG, "checkpoint tensor name too long: %s", name);
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 128;
        GrsnTensorRec *r = realloc(t->rec, (size_t)cap * sizeof *r);
        if (!r) return grsn_fail(GRSN_ERR_OOM, "out of memory listing checkpoint tensors");
        t->rec = r; t->cap = cap;
    }
    uint64_t dims[2] = {d0, d1};
    grsn_tensor_rec(&t->rec[t->n++], name, dt, data, ndim, dims);
    return GRSN_OK;
}

// Every tensor of arena `p` under `prefix`, pointing into `values`
// (p->data for parameters, Adam's m or v for moments).
static grsn_status add_arena(QmixTensors *t, const GrsnParams *p, const char *prefix, float *values) {
    for (int i = 0; i < p->count; i++) {
        const GrsnParamInfo *info = &p->info[i];
        char name[160];
        snprintf(name, sizeof name, "%s%s", prefix, info->name);
        float *data = values + info->offset;
        if (info->cols == 1) GRSN_TRY(add_tensor(t, name, GRSN_DT_F32, data, 1, (uint64_t)info->rows, 0));
        else GRSN_TRY(add_tensor(t, name, GRSN_DT_F32, data, 2, (uint64_t)info->rows, (uint64_t)info->cols));
    }
    return GRSN_OK;
}

// List every tensor of the learner in `t`, pointing into the learner and
// into t->adam_step / t->counters. Free t->rec afterwards.
static grsn_status list_tensors(QmixTensors *t, GrsnQmix *q) {
    memset(t, 0, sizeof *t);
    GrsnParams *online = grsn_qmix_params(q, GRSN_QMIX_ONLINE), *target = grsn_qmix_params(q, GRSN_QMIX_TARGET);
    GrsnAdam *adam = grsn_qmix_adam(q);
    GRSN_ASSERT(adam->n == online->n, "Adam over %zu values, the online arena has %zu", adam->n, online->n);
    GRSN_TRY(add_arena(t, online, "online.", online->data));
    GRSN_TRY(add_arena(t, target, "target.", target->data));
    GRSN_TRY(add_arena(t, online, "adam.m.", adam->m));
    GRSN_TRY(add_arena(t, online, "adam.v.", adam->v));
    GRSN_TRY(add_tensor(t, "adam.step", GRSN_DT_I64, &t->adam_step, 1, 1, 0));
    GRSN_TRY(add_tensor(t, "counters", GRSN_DT_I64, t->counters, 1, 4, 0));
    GRSN_TRY(add_tensor(t, "rng.explore", GRSN_DT_U64, grsn_qmix_rng_state(q, GRSN_QMIX_RNG_EXPLORE)->s, 1, 4, 0));
    GRSN_TRY(add_tensor(t, "rng.replay", GRSN_DT_U64, grsn_qmix_rng_state(q, GRSN_QMIX_RNG_REPLAY)->s, 1, 4, 0));
    return GRSN_OK;
}

grsn_status grsn_qmix_ckpt_save(const char *path, const GrsnQmixTrainConfig *cfg, GrsnQmix *q) {
    QmixTensors t;
    grsn_status st = list_tensors(&t, q);
    if (st == GRSN_OK) {
        const GrsnQmixCounters *c = grsn_qmix_counters(q);
        t.adam_step = grsn_qmix_adam(q)->step;
        t.counters[0] = c->env_steps; t.counters[1] = c->episodes;
        t.counters[2] = c->updates; t.counters[3] = c->last_target_update;
        char meta[4096];
        size_t need = grsn_qmix_train_config_text(cfg, meta, sizeof meta);
        GRSN_ASSERT(need < sizeof meta, "config text of %zu bytes", need);
        st = grsn_ckpt_write(path, (uint64_t)c->updates, (uint64_t)c->env_steps, meta, t.rec, t.n);
    }
    free(t.rec);
    return st;
}

// Prefix the current message with the path: "PATH: what".
static grsn_status fail_in(grsn_status s, const char *path, const char *what) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", grsn_last_error());
    return grsn_fail(s, "%s: %s%s", path, what, msg);
}

// The configuration of an open checkpoint, or why it is not a QMIX one.
static grsn_status file_config(const GrsnCkptFile *f, GrsnQmixTrainConfig *cfg) {
    char algo[32] = "", env[64] = "";
    find_value(f->meta, f->meta_len, "algo", algo, sizeof algo);
    find_value(f->meta, f->meta_len, "env", env, sizeof env);
    if (!algo[0]) return grsn_fail(GRSN_ERR_FORMAT, "%s: the metadata names no algorithm", f->path);
    if (strcmp(algo, "qmix") != 0)
        return grsn_fail(GRSN_ERR_FORMAT, "%s: a %s checkpoint of the control task %s, not a QMIX one", f->path,
                         algo, env[0] ? env : "?");
    if (grsn_qmix_train_config_parse(cfg, f->meta, f->meta_len) != GRSN_OK)
        return fail_in(GRSN_ERR_FORMAT, f->path, "metadata: ");
    return GRSN_OK;
}

int grsn_qmix_ckpt_probe(const char *path) {
    GrsnCkptFile f;
    if (grsn_ckpt_read(&f, path) != GRSN_OK) return 0;
    char algo[32] = "";
    int is_qmix = find_value(f.meta, f.meta_len, "algo", algo, sizeof algo) && !strcmp(algo, "qmix");
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
    find_value(f->meta, f->meta_len, "grsn_version", info->grsn_version, sizeof info->grsn_version);
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
        if (!KEYS[i].network) continue;
        char a[64], b[64];
        key_value(have, &KEYS[i], a, sizeof a);
        key_value(&w, &KEYS[i], b, sizeof b);
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
    for (int i = 0; i < t.n && st == GRSN_OK; i++) {
        const GrsnTensorRec *r = &t.rec[i];
        st = grsn_ckpt_get(&f, r->name, (grsn_dtype)r->dtype, (int)r->ndim, r->dims, (void *)r->data);
    }
    if (st == GRSN_OK && f.n != t.n) {
        // Every expected tensor is there, so the file has some the learner lacks.
        const char *extra = "?";
        for (int i = 0; i < f.n; i++) {
            int found = 0;
            for (int j = 0; j < t.n && !found; j++) found = !strcmp(f.rec[i].name, t.rec[j].name);
            if (!found) { extra = f.rec[i].name; break; }
        }
        st = grsn_fail(GRSN_ERR_FORMAT, "%s: %d tensors, the learner has %d (unexpected '%s')", path, f.n, t.n,
                       extra);
    }
    if (st == GRSN_OK) {
        GrsnQmixCounters *c = grsn_qmix_counters(q);
        c->env_steps = (long)t.counters[0]; c->episodes = (long)t.counters[1];
        c->updates = (long)t.counters[2]; c->last_target_update = (long)t.counters[3];
        grsn_qmix_adam(q)->step = (long)t.adam_step;
        if (info) info_from_file(&f, &cfg, t.counters, info);
    }
    free(t.rec);
    grsn_ckpt_close(&f);
    return st;
}

grsn_status grsn_qmix_ckpt_load(const char *path, int seed_override, uint64_t seed, GrsnQmix **out,
                                GrsnQmixCkptInfo *info) {
    GrsnQmixCkptInfo head;
    GRSN_TRY(grsn_qmix_ckpt_info(path, &head));
    GrsnQmix *q;
    if (grsn_qmix_create(&q, &head.config.qmix, seed_override ? seed : head.config.seed) != GRSN_OK)
        return fail_in(GRSN_ERR_FORMAT, path, "cannot build the learner its metadata describes: ");
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
    FILE *progress, *timing;
    char dir[512], ckpt[600];      // run directory, the latest periodic checkpoint ("" if none)
    long next_test, last_test_steps, tests;
    // Sums since the previous test.
    double win_sum, ret_sum, loss_sum;
    long ep_n, upd_n;
    GrsnQmixTest test;             // the latest test (test.episodes == 0 before the first)
    double t0;
    grsn_qmix_progress_fn progress_fn;
    void *user;
} Run;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// mkdir -p
static grsn_status make_dirs(const char *dir) {
    char p[512];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return grsn_fail(GRSN_ERR_ARG, "path too long: %s", dir);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return grsn_fail(GRSN_ERR_IO, "cannot create directory %s: %s", p, strerror(errno));
            *s = c;
            if (c == '\0') break;
        }
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return grsn_fail(GRSN_ERR_IO, "%s is not a directory", dir);
    return GRSN_OK;
}

static void run_path(const Run *r, char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", r->dir, name);
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
    p->wall_s = now_s() - r->t0;
    p->env_steps_per_s = p->wall_s > 0 ? (double)c->env_steps / p->wall_s : 0;
    p->updates_per_s = p->wall_s > 0 ? (double)c->updates / p->wall_s : 0;
}

// ",%.9g", or ",nan" whatever the sign bit, so rows compare as text.
static void put_num(FILE *f, double x) {
    if (isnan(x)) fputs(",nan", f);
    else fprintf(f, ",%.9g", x);
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
    if (st == GRSN_ERR_NAN) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", grsn_last_error());
        return grsn_fail(GRSN_ERR_NAN, "%s; the run stopped at env step %ld; last good checkpoint: %s", msg,
                         c->env_steps, r->ckpt[0] ? r->ckpt : "none yet");
    }
    GRSN_TRY(st);
    r->loss_sum += s.loss;
    r->upd_n++;
    return GRSN_OK;
}

// Test, append the rows, write the checkpoint, reset the sums.
static grsn_status test_and_log(Run *r) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    GRSN_TRY(grsn_qmix_test(r->q, r->cfg.test_episodes, &r->test));
    r->tests++;
    r->last_test_steps = c->env_steps;
    while (r->next_test <= c->env_steps) r->next_test += r->cfg.test_interval;

    GrsnQmixTrainProgress p;
    fill_progress(r, &p, 1, NULL);
    fprintf(r->progress, "%ld,%ld,%ld", c->env_steps, c->episodes, c->updates);
    put_num(r->progress, p.train_win_rate);
    put_num(r->progress, p.train_return);
    put_num(r->progress, p.test_win_rate);
    put_num(r->progress, p.test_return);
    put_num(r->progress, p.test_return_std);
    put_num(r->progress, p.test_length);
    put_num(r->progress, p.loss);
    put_num(r->progress, p.epsilon);
    put_num(r->progress, p.firing_rate);
    fputc('\n', r->progress);
    fprintf(r->timing, "%ld,%.3f,%.2f,%.3f\n", c->env_steps, p.wall_s, p.env_steps_per_s, p.updates_per_s);
    if (fflush(r->progress) != 0 || fflush(r->timing) != 0)
        return grsn_fail(GRSN_ERR_IO, "cannot write %s/progress.csv: %s", r->dir, strerror(errno));

    // The new checkpoint first; then the previous one can go.
    char path[600], name[64];
    snprintf(name, sizeof name, "ckpt_%08ld.grsn", c->env_steps);
    run_path(r, path, sizeof path, name);
    GRSN_TRY(grsn_qmix_ckpt_save(path, &r->cfg, r->q));
    if (r->ckpt[0] && strcmp(r->ckpt, path) != 0) unlink(r->ckpt);
    snprintf(r->ckpt, sizeof r->ckpt, "%s", path);

    if (r->progress_fn) r->progress_fn(&p, r->user);
    r->win_sum = r->ret_sum = r->loss_sum = 0;
    r->ep_n = r->upd_n = 0;
    return GRSN_OK;
}

static grsn_status open_logs(Run *r) {
    char path[600], text[4096];
    size_t n = grsn_qmix_train_config_text(&r->cfg, text, sizeof text);
    GRSN_ASSERT(n < sizeof text, "config text of %zu bytes", n);
    run_path(r, path, sizeof path, "config");
    GRSN_TRY(grsn_write_file_atomic(path, text, n));
    run_path(r, path, sizeof path, "progress.csv");
    r->progress = fopen(path, "w");
    if (!r->progress) return grsn_fail(GRSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    fprintf(r->progress, "env_steps,episodes,updates,train_win_rate,train_return,test_win_rate,test_return,"
                         "test_return_std,test_length,loss,epsilon,firing_rate\n");
    run_path(r, path, sizeof path, "timing.csv");
    r->timing = fopen(path, "w");
    if (!r->timing) return grsn_fail(GRSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    fprintf(r->timing, "env_steps,wall_s,env_steps_per_s,updates_per_s\n");
    return GRSN_OK;
}

static grsn_status run_setup(Run *r) {
    const GrsnQmixTrainConfig *c = &r->cfg;
    GRSN_TRY(grsn_qmix_train_check(c));
    GRSN_TRY(make_dirs(r->dir));
    grsn_set_threads(c->threads);
    GRSN_TRY(grsn_qmix_create(&r->q, &c->qmix, c->seed));
    GRSN_TRY(open_logs(r));
    r->next_test = 0;               // the first test follows the first rollout
    r->last_test_steps = -1;
    return GRSN_OK;
}

static grsn_status write_result(Run *r) {
    const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
    char text[1024], path[600];
    size_t off = 0;
    off = appendf(text, sizeof text, off,
                  "test_win_rate=%.9g\ntest_return_mean=%.9g\ntest_return_std=%.9g\ntest_length_mean=%.9g\n"
                  "test_episodes=%d\nfiring_rate=%.9g\n",
                  r->test.win_rate, r->test.return_mean, r->test.return_std, r->test.length_mean,
                  r->test.episodes, r->test.firing_rate);
    off = appendf(text, sizeof text, off, "env_steps=%ld\nepisodes=%ld\nupdates=%ld\ntests=%ld\nwall_s=%.3f\n",
                  c->env_steps, c->episodes, c->updates, r->tests, now_s() - r->t0);
    GRSN_ASSERT(off < sizeof text, "result text of %zu bytes", off);
    run_path(r, path, sizeof path, "result");
    return grsn_write_file_atomic(path, text, off);
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
    run_path(r, path, sizeof path, "final.grsn");
    GRSN_TRY(grsn_qmix_ckpt_save(path, &r->cfg, r->q));
    return write_result(r);
}

grsn_status grsn_qmix_train_run(const GrsnQmixTrainConfig *cfg, const char *out_dir,
                                grsn_qmix_progress_fn progress, void *user, GrsnQmixTrainResult *result) {
    Run *r = grsn_calloc(1, sizeof *r);
    if (!r) return GRSN_ERR_OOM;
    r->cfg = *cfg;
    r->progress_fn = progress;
    r->user = user;
    r->t0 = now_s();
    grsn_status st = GRSN_OK;
    if (snprintf(r->dir, sizeof r->dir, "%s", out_dir) >= (int)sizeof r->dir)
        st = grsn_fail(GRSN_ERR_ARG, "run directory name too long: %s", out_dir);
    if (st == GRSN_OK) st = run_setup(r);
    if (st == GRSN_OK) st = run_loop(r);
    if (st == GRSN_OK && result) {
        const GrsnQmixCounters *c = grsn_qmix_counters(r->q);
        result->test_win_rate = r->test.win_rate;
        result->test_return = r->test.return_mean;
        result->test_return_std = r->test.return_std;
        result->test_length = r->test.length_mean;
        result->env_steps = c->env_steps;
        result->episodes = c->episodes;
        result->updates = c->updates;
        result->tests = r->tests;
        result->wall_s = now_s() - r->t0;
    }
    if (r->progress) fclose(r->progress);
    if (r->timing) fclose(r->timing);
    grsn_qmix_free(r->q);
    free(r);
    return st;
}
