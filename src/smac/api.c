/*
 * api.c — the public, vectorised face of the SMAC simulator (grsn_smac.h):
 * configuration, the handle holding n_envs environments, per-environment and
 * batch reset/step writing into caller buffers, unit inspection, and the three
 * reference policies (uniform random over the mask, focus fire, focus fire
 * with kiting).
 *
 * The batch step checks every action first, then steps the environments in
 * parallel. Environments share only read-only data (map, unit table, config),
 * so the result does not depend on the thread count.
 */
#include "smac/sim.h"
#ifdef GRSN_OMP
#include <omp.h>
#endif

// ----------------------------------------------------------------------------
// Configuration

void grsn_smac_config_default(grsn_smac_config *c, const char *map) {
    memset(c, 0, sizeof *c);
    c->map = map;
    c->n_envs = 1;
    c->seed = 0;
    c->stream_base = GRSN_STREAM_ENV;
    c->state_last_action = 1;
    c->reward_only_positive = 1;
    c->units = GRSN_SMAC_UNITS_LIBERTY;
    c->weapon_delay = 1;
    c->projectiles = 1;
    c->min_damage = 1;
}

static grsn_status find_map(const char *name, const SmacMap **out) {
    *out = smac_find_map(name);
    if (*out) return GRSN_OK;
    char maps[256];
    smac_map_list(maps, sizeof maps);
    return grsn_fail(GRSN_ERR_ARG, "unknown SMAC map '%s'; the maps are: %s", name ? name : "(null)", maps);
}

grsn_status grsn_smac_map_dims(const char *map, const grsn_smac_config *cfg, grsn_smac_dims *out) {
    const SmacMap *m;
    GRSN_TRY(find_map(map, &m));
    grsn_smac_config def;
    if (!cfg) { grsn_smac_config_default(&def, map); cfg = &def; }
    SmacUnitStats stats[GRSN_SMAC_KIND_COUNT];
    smac_unit_table(cfg->units, stats);
    smac_compute_dims(m, stats, cfg, out);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Handle

grsn_status grsn_smac_create(grsn_smac **out, const grsn_smac_config *cfg) {
    *out = NULL;
    const SmacMap *m;
    GRSN_TRY(find_map(cfg->map, &m));
    if (cfg->n_envs < 1) return grsn_fail(GRSN_ERR_ARG, "SMAC: n_envs must be >= 1, got %d", cfg->n_envs);
    if (cfg->units != GRSN_SMAC_UNITS_LIBERTY && cfg->units != GRSN_SMAC_UNITS_LOTV)
        return grsn_fail(GRSN_ERR_ARG, "SMAC: unknown unit table %d (0 liberty, 1 lotv)", (int)cfg->units);
    GRSN_ASSERT(m->n_agents + m->n_enemies <= SMAC_MAX_UNITS && m->n_agents <= SMAC_MAX_AGENTS,
                "map %s exceeds SMAC_MAX_UNITS", m->name);

    int seen[SMAC_MAX_UNITS] = {0};
    if (cfg->enemy_order)
        for (int k = 0; k < m->n_enemies; k++) {
            int c = cfg->enemy_order[k];
            if (c < 0 || c >= m->n_enemies || seen[c]++)
                return grsn_fail(GRSN_ERR_ARG, "SMAC: enemy_order is not a permutation of 0..%d (entry %d is %d)",
                                 m->n_enemies - 1, k, c);
        }

    grsn_smac *s = grsn_calloc(1, sizeof *s);
    if (!s) return GRSN_ERR_OOM;
    s->cfg = *cfg;
    for (int k = 0; k < m->n_enemies; k++)
        s->enemy_order[k] = (int16_t)(cfg->enemy_order ? cfg->enemy_order[k] : k);
    s->cfg.enemy_order = NULL;   // copied; never keep the caller's pointer
    snprintf(s->map_name, sizeof s->map_name, "%s", m->name);
    s->cfg.map = s->map_name;   // never keep the caller's pointer
    s->map = m;
    smac_unit_table(cfg->units, s->stats);
    smac_compute_dims(m, s->stats, &s->cfg, &s->dims);
    s->n_envs = cfg->n_envs;
    s->envs = grsn_calloc((size_t)s->n_envs, sizeof *s->envs);
    if (!s->envs) { free(s); return GRSN_ERR_OOM; }
    for (int i = 0; i < s->n_envs; i++) smac_env_init(&s->envs[i], s, i);
    smac_env_init(&s->proto, s, 0);
    smac_env_reset(&s->proto);   // deterministic: the map's units, in id order
    *out = s;
    return GRSN_OK;
}

void grsn_smac_free(grsn_smac *s) {
    if (!s) return;
    free(s->envs);
    free(s);
}

grsn_smac_dims grsn_smac_get_dims(const grsn_smac *s) { return s->dims; }
int grsn_smac_n_envs(const grsn_smac *s) { return s->n_envs; }

static grsn_status check_env(const grsn_smac *s, int env) {
    if (env < 0 || env >= s->n_envs)
        return grsn_fail(GRSN_ERR_ARG, "SMAC: environment %d out of range [0, %d)", env, s->n_envs);
    return GRSN_OK;
}

int grsn_smac_terminated(const grsn_smac *s, int env) {
    return env >= 0 && env < s->n_envs ? s->envs[env].done : 1;
}

grsn_rng *grsn_smac_rng(grsn_smac *s, int env) {
    return env >= 0 && env < s->n_envs ? &s->envs[env].rng : NULL;
}

// ----------------------------------------------------------------------------
// Reset and step

// Row `env` of a batch buffer set, as a one-environment buffer set.
static grsn_smac_out row_of(const grsn_smac *s, const grsn_smac_out *o, int env) {
    const grsn_smac_dims *d = &s->dims;
    grsn_smac_out r = {0};
    if (!o) return r;
    size_t i = (size_t)env;
    if (o->obs) r.obs = o->obs + i * (size_t)d->n_agents * (size_t)d->obs_dim;
    if (o->state) r.state = o->state + i * (size_t)d->state_dim;
    if (o->avail) r.avail = o->avail + i * (size_t)d->n_agents * (size_t)d->n_actions;
    if (o->reward) r.reward = o->reward + i;
    if (o->terminated) r.terminated = o->terminated + i;
    if (o->info) r.info = o->info + i;
    if (o->snapshot) r.snapshot = o->snapshot + i * grsn_smac_snapshot_bytes(s);
    return r;
}

static void reset_one(SmacEnv *e, const grsn_smac_out *o) {
    smac_env_reset(e);
    if (!o) return;
    smac_env_write(e, o->obs, o->state, o->avail);
    if (o->snapshot) smac_env_snapshot(e, o->snapshot);
    if (o->reward) *o->reward = 0;
    if (o->terminated) *o->terminated = 0;
    if (o->info) memset(o->info, 0, sizeof *o->info);
}

static void step_one(SmacEnv *e, const int32_t *actions, const grsn_smac_out *o) {
    float r;
    smac_env_step(e, actions, &r);
    if (!o) return;
    smac_env_write(e, o->obs, o->state, o->avail);
    if (o->snapshot) smac_env_snapshot(e, o->snapshot);
    if (o->reward) *o->reward = r;
    if (o->terminated) *o->terminated = (uint8_t)e->done;
    if (o->info) *o->info = e->info;
}

grsn_status grsn_smac_reset_env(grsn_smac *s, int env, const grsn_smac_out *out) {
    GRSN_TRY(check_env(s, env));
    reset_one(&s->envs[env], out);
    return GRSN_OK;
}

grsn_status grsn_smac_reset(grsn_smac *s, const grsn_smac_out *out) {
    for (int i = 0; i < s->n_envs; i++) {
        grsn_smac_out r = row_of(s, out, i);
        reset_one(&s->envs[i], out ? &r : NULL);
    }
    return GRSN_OK;
}

grsn_status grsn_smac_step_env(grsn_smac *s, int env, const int32_t *actions, const grsn_smac_out *out) {
    GRSN_TRY(check_env(s, env));
    SmacEnv *e = &s->envs[env];
    if (e->done)
        return grsn_fail(GRSN_ERR_ARG, "SMAC: env %d has no running episode (terminated or never reset); "
                         "reset it first", env);
    GRSN_TRY(smac_env_check(e, env, actions));
    step_one(e, actions, out);
    return GRSN_OK;
}

// Environment i's part of a batch step: nothing once its episode has ended.
static void step_env(grsn_smac *s, const int32_t *actions, const grsn_smac_out *out, int i) {
    if (s->envs[i].done) return;
    grsn_smac_out r = row_of(s, out, i);
    step_one(&s->envs[i], actions + (size_t)i * s->dims.n_agents, out ? &r : NULL);
}

grsn_status grsn_smac_step(grsn_smac *s, const int32_t *actions, const grsn_smac_out *out) {
    int na = s->dims.n_agents;
    for (int i = 0; i < s->n_envs; i++)   // check everything before anything moves
        if (!s->envs[i].done) GRSN_TRY(smac_env_check(&s->envs[i], i, actions + (size_t)i * na));
    // A plain if, not OpenMP's if clause: one environment (a player, a test
    // of one episode) enters no region at all (common.h, grsn_par).
    if (s->n_envs > 1 && grsn_threads() > 1) {
#ifdef GRSN_OMP
        #pragma omp parallel for schedule(static)
#endif
        for (int i = 0; i < s->n_envs; i++) step_env(s, actions, out, i);
    } else {
        for (int i = 0; i < s->n_envs; i++) step_env(s, actions, out, i);
    }
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Snapshots

size_t grsn_smac_snapshot_bytes(const grsn_smac *s) {
    return smac_snapshot_bytes(s->proto.n_agents, s->proto.n_units);
}

// e (on the caller's stack: only the fields smac_env_write reads are set)
// from a snapshot, checked.
static grsn_status load_snapshot(const grsn_smac *s, const uint8_t *snapshot, SmacEnv *e) {
    char why[160];
    smac_env_from_snapshot(e, &s->proto, snapshot);
    if (smac_env_check_situation(e, why, sizeof why))
        return grsn_fail(GRSN_ERR_FORMAT, "SMAC snapshot of %s: %s", s->map_name, why);
    return GRSN_OK;
}

grsn_status grsn_smac_snapshot_check(const grsn_smac *s, const uint8_t *snapshot) {
    SmacEnv e;
    return load_snapshot(s, snapshot, &e);
}

grsn_status grsn_smac_observe(const grsn_smac *s, const uint8_t *snapshot, float *obs, float *state,
                              uint8_t *avail) {
    SmacEnv e;
    GRSN_TRY(load_snapshot(s, snapshot, &e));
    smac_env_write(&e, obs, state, avail);
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Inspection

grsn_status grsn_smac_get_units(const grsn_smac *s, int env, grsn_smac_unit *out) {
    GRSN_TRY(check_env(s, env));
    const SmacEnv *e = &s->envs[env];
    for (int u = 0; u < e->n_units; u++) {
        const SmacUnitStats *st = smac_stats(e, u);
        grsn_smac_unit *o = &out[u];
        o->x = (float)e->x[u]; o->y = (float)e->y[u];
        o->health = (float)e->hp[u]; o->shield = (float)e->sh[u]; o->energy = (float)e->en[u];
        o->health_max = (float)st->health; o->shield_max = (float)st->shield;
        o->radius = (float)st->radius;
        o->cooldown = (float)fmax(e->cd[u], 0);
        o->team = smac_is_ally(e, u) ? 0 : 1;
        o->index = smac_is_ally(e, u) ? u : u - e->n_agents;
        o->kind = e->kind[u];
        o->alive = e->alive[u];
        o->action = smac_is_ally(e, u) ? e->last_action[u] : -1;
        o->target = e->alive[u] && e->tgt[u] >= 0 && e->alive[e->tgt[u]] ? e->tgt[u] : -1;
    }
    return GRSN_OK;
}

int grsn_smac_pathable(const grsn_smac *s, int cx, int cy) { return smac_cell_pathable(s->map, cx, cy); }

// ----------------------------------------------------------------------------
// Reference policies

grsn_status grsn_smac_policy_random(const uint8_t *avail, int n_agents, int n_actions,
                                    grsn_rng *rng, int32_t *actions) {
    for (int a = 0; a < n_agents; a++) {
        const uint8_t *row = avail + (size_t)a * n_actions;
        int n = 0;
        for (int k = 0; k < n_actions; k++) n += row[k];
        if (n == 0) return grsn_fail(GRSN_ERR_ARG, "random policy: agent %d has no available action", a);
        int pick = (int)grsn_rng_below(rng, (uint32_t)n);
        for (int k = 0; k < n_actions; k++)
            if (row[k] && pick-- == 0) { actions[a] = k; break; }
    }
    return GRSN_OK;
}

// The move action (2-5) that best heads from agent a toward (tx, ty), among
// the available ones; stop if none helps.
static int move_toward(const SmacEnv *e, const uint8_t *row, int a, double tx, double ty) {
    double dx = tx - e->x[a], dy = ty - e->y[a];
    int horiz = dx >= 0 ? SMAC_A_EAST : SMAC_A_WEST, vert = dy >= 0 ? SMAC_A_NORTH : SMAC_A_SOUTH;
    int first = fabs(dx) >= fabs(dy) ? horiz : vert, second = first == horiz ? vert : horiz;
    if (row[first]) return first;
    if (row[second] && fabs(first == horiz ? dy : dx) > 0.5) return second;
    return SMAC_A_STOP;
}

grsn_status grsn_smac_policy_heuristic(const grsn_smac *s, int env, int32_t *actions) {
    GRSN_TRY(check_env(s, env));
    const SmacEnv *e = &s->envs[env];
    uint8_t row[SMAC_MAX_ACTIONS];
    // The team's target: among enemies within the attack reach (6) of some
    // agent, the one the most agents can reach, then the least health + shield.
    int team_target = -1, team_n = 0; double team_v = 1e30;
    for (int j = 0; j < e->n_enemies; j++) {
        int u = e->n_agents + j, n = 0;
        if (!e->alive[u]) continue;
        for (int a = 0; a < e->n_agents; a++)
            if (e->alive[a] && smac_can_target(e, a, u) && smac_dist(e, a, u) <= SMAC_SHOOT_RANGE) n++;
        double v = e->hp[u] + e->sh[u];
        if (n > 0 && (n > team_n || (n == team_n && v < team_v))) { team_target = j; team_n = n; team_v = v; }
    }
    // Contact: some agent sees some enemy (sight 9).
    int contact = 0, line_n = 0, line_k = 0;
    double line_gap = 0, line_x = SMAC_ALLY_SPAWN_X + 2;
    for (int a = 0; a < e->n_agents; a++) {
        if (!e->alive[a] || smac_is_medivac_agent(e, a)) continue;
        line_n++;
        line_gap = fmax(line_gap, 2 * smac_stats(e, a)->radius + 0.2);
        for (int u = e->n_agents; u < e->n_units; u++)
            if (e->alive[u] && smac_dist(e, a, u) < SMAC_SIGHT_RANGE) contact = 1;
    }
    if (line_n * line_gap > 14) line_gap = 14.0 / line_n;   // stay inside the band
    for (int a = 0; a < e->n_agents; a++) {
        smac_env_avail(e, a, row);
        if (!e->alive[a]) { actions[a] = SMAC_A_NOOP; continue; }
        if (smac_is_medivac_agent(e, a)) {
            // Heal the most damaged ally in reach; else follow the army.
            int best = -1; double best_f = 1;
            double sx = 0, sy = 0; int n = 0;
            for (int j = 0; j < e->n_agents; j++) {
                if (!e->alive[j] || e->kind[j] == GRSN_SMAC_MEDIVAC) continue;
                sx += e->x[j]; sy += e->y[j]; n++;
                double f = e->hp[j] / smac_stats(e, j)->health;
                if (row[SMAC_A_ATTACK0 + j] && f < best_f) { best = j; best_f = f; }
            }
            if (best >= 0) actions[a] = SMAC_A_ATTACK0 + best;
            else if (n > 0 && smac_norm(sx / n - e->x[a], sy / n - e->y[a]) > 2)
                actions[a] = move_toward(e, row, a, sx / n, sy / n);
            else actions[a] = SMAC_A_STOP;
            continue;
        }
        // Focus fire: the team's target if this agent can reach it, else
        // its own reachable enemy with the least health + shield.
        int best = -1; double best_v = 1e30;
        if (team_target >= 0 && row[SMAC_A_ATTACK0 + team_target] && smac_can_target(e, a, e->n_agents + team_target))
            best = team_target;
        for (int j = 0; j < e->n_enemies && best != team_target; j++) {
            int u = e->n_agents + j;
            if (!row[SMAC_A_ATTACK0 + j] || !smac_can_target(e, a, u)) continue;
            double v = e->hp[u] + e->sh[u];
            if (v < best_v) { best = j; best_v = v; }
        }
        if (best >= 0) { actions[a] = SMAC_A_ATTACK0 + best; continue; }
        // Before contact: form a line across the band facing the enemy, so
        // that every agent comes into range at once.
        if (!contact) {
            double slot_y = 16.0 + (line_k - (line_n - 1) / 2.0) * line_gap;
            line_k++;
            if (smac_norm(line_x - e->x[a], slot_y - e->y[a]) > 0.6)
                actions[a] = move_toward(e, row, a, line_x, slot_y);
            else actions[a] = SMAC_A_STOP;
            continue;
        }
        // Nothing in reach: head for the nearest living enemy it can hit.
        int near = -1; double near_d = 1e30;
        for (int u = e->n_agents; u < e->n_units; u++) {
            if (!e->alive[u] || !smac_can_target(e, a, u)) continue;
            double d = smac_dist(e, a, u);
            if (d < near_d) { near = u; near_d = d; }
        }
        actions[a] = near >= 0 ? move_toward(e, row, a, e->x[near], e->y[near]) : SMAC_A_STOP;
    }
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Kiting: focus fire, and a ranged agent steps away from enemies of shorter
// reach (zealots, for stalkers) before they close in. Both distances were
// chosen on 3s_vs_5z, where this script wins every one of 200 episodes
// (`grsn smac play 3s_vs_5z --policy kite --episodes 200 --seed 1`). Without
// KITE_CLOSE, that is with agents that fire whenever their weapon is ready
// however near the zealots are, it wins 1 of the 200.

#define KITE_CLOSE  2.5   // a threat nearer than this: step away, even with the weapon ready
#define KITE_DANGER 4.0   // a threat nearer than this: step away while the weapon cools down

// Distance from (x, y) to the nearest living enemy that can hit agent a and
// reaches less far than a does; 1e30 if there is none.
static double threat_distance(const SmacEnv *e, int a, double x, double y) {
    double best = 1e30;
    for (int u = e->n_agents; u < e->n_units; u++) {
        if (!e->alive[u] || !smac_can_target(e, u, a) || smac_stats(e, u)->range >= smac_stats(e, a)->range)
            continue;
        best = fmin(best, smac_norm(e->x[u] - x, e->y[u] - y));
    }
    return best;
}

// How far (x, y) is from unpathable ground along the four axes, capped at 4.
static double edge_clearance(const SmacEnv *e, double x, double y) {
    static const double dx[4] = {0, 0, 1, -1}, dy[4] = {1, -1, 0, 0};
    double clear = 4.0;
    for (int k = 0; k < 4; k++)
        for (double t = 0; t < clear; t += 0.25)
            if (!smac_cell_pathable(e->map, (int)floor(x + t * dx[k]), (int)floor(y + t * dy[k]))) {
                clear = t;
                break;
            }
    return clear;
}

// The available move (2-5) whose end point is farthest from the threats,
// counting the clearance from the edge so as not to be cornered; stop if no
// move is available.
static int move_away(const SmacEnv *e, const uint8_t *row, int a) {
    static const int moves[4] = {SMAC_A_NORTH, SMAC_A_SOUTH, SMAC_A_EAST, SMAC_A_WEST};
    static const double dx[4] = {0, 0, SMAC_MOVE_AMOUNT, -SMAC_MOVE_AMOUNT};
    static const double dy[4] = {SMAC_MOVE_AMOUNT, -SMAC_MOVE_AMOUNT, 0, 0};
    int best = SMAC_A_STOP;
    double best_v = -1e30;
    for (int k = 0; k < 4; k++) {
        if (!row[moves[k]]) continue;
        double x = e->x[a] + dx[k], y = e->y[a] + dy[k];
        double v = threat_distance(e, a, x, y) + edge_clearance(e, x, y);
        if (v > best_v) { best = moves[k]; best_v = v; }
    }
    return best;
}

grsn_status grsn_smac_policy_kite(const grsn_smac *s, int env, int32_t *actions) {
    GRSN_TRY(grsn_smac_policy_heuristic(s, env, actions));
    const SmacEnv *e = &s->envs[env];
    uint8_t row[SMAC_MAX_ACTIONS];
    for (int a = 0; a < e->n_agents; a++) {
        if (!e->alive[a] || smac_is_medivac_agent(e, a)) continue;
        double d = threat_distance(e, a, e->x[a], e->y[a]);
        if (d < KITE_CLOSE || (d < KITE_DANGER && e->cd[a] > 0)) {
            smac_env_avail(e, a, row);
            actions[a] = move_away(e, row, a);
        }
    }
    return GRSN_OK;
}
