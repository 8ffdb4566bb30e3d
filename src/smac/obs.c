/*
 * obs.c — SMAC's interface on top of the dynamics, byte for byte as in
 * starcraft2.py (spec smac-simulator.md "level I"): the availability mask
 * (get_avail_agent_actions, §4.2), the agent observation (get_obs_agent, §5),
 * the global state (get_state, §6), the shaped reward (reward_battle, §7) and
 * the game-end rules and episode limit (update_units and step, §8).
 */
#include "smac/sim.h"

// ----------------------------------------------------------------------------
// Sizes (§3, §5.1, §6)

static int nf_enemy_obs(const SmacMap *m) { return 4 + m->unit_type_bits + 1 + m->shield_bits_enemy; }
static int nf_ally_obs(const SmacMap *m, const grsn_smac_config *c, int n_actions) {
    return 4 + m->unit_type_bits + 1 + m->shield_bits_ally + (c->obs_last_action ? n_actions : 0);
}
static int nf_own_obs(const SmacMap *m, const grsn_smac_config *c) {
    return m->unit_type_bits + 1 + m->shield_bits_ally + (c->obs_own_cooldown ? 1 : 0) + (c->obs_timestep_number ? 1 : 0);
}
static int nf_ally_state(const SmacMap *m) { return 4 + m->shield_bits_ally + m->unit_type_bits; }
static int nf_enemy_state(const SmacMap *m) { return 3 + m->shield_bits_enemy + m->unit_type_bits; }

// An ally's weapon cooldown as the state reports it (§6): cooldown/max_cd,
// which may exceed 1 (pitfall 14); a Medivac's energy/200 instead. The
// observation carries it only with obs_own_cooldown.
static float cooldown_feature(const SmacEnv *e, int a) {
    const SmacUnitStats *st = smac_stats(e, a);
    if (smac_is_medivac_agent(e, a)) return (float)(e->en[a] / st->max_cooldown);   // energy / 200
    return (float)(fmax(e->cd[a], 0) / st->max_cooldown);
}

// One agent's observation (§5.4) and the state in SMAC's layout (§6), in floats.
static int obs_size(const SmacMap *m, const grsn_smac_config *c, int n_actions) {
    return 4 + m->n_enemies * nf_enemy_obs(m) + (m->n_agents - 1) * nf_ally_obs(m, c, n_actions) + nf_own_obs(m, c);
}

static int state_size(const SmacMap *m, const grsn_smac_config *c, int n_actions) {
    return m->n_agents * nf_ally_state(m) + m->n_enemies * nf_enemy_state(m)
         + (c->state_last_action ? m->n_agents * n_actions : 0) + (c->state_timestep_number ? 1 : 0);
}

void smac_compute_dims(const SmacMap *m, const SmacUnitStats *stats, const grsn_smac_config *c,
                       grsn_smac_dims *d) {
    memset(d, 0, sizeof *d);
    d->n_agents = m->n_agents;
    d->n_enemies = m->n_enemies;
    d->n_actions = 6 + m->n_enemies;
    d->episode_limit = m->episode_limit;
    d->unit_type_bits = m->unit_type_bits;
    d->obs_dim = obs_size(m, c, d->n_actions);
    d->state_dim = c->obs_instead_of_state ? m->n_agents * d->obs_dim : state_size(m, c, d->n_actions);
    // max_reward, once, from the map table (§7): n_enemies*10 + 200 + sum(health + shield).
    double r = m->n_enemies * SMAC_REWARD_DEATH + SMAC_REWARD_WIN;
    for (int g = 0; g < SMAC_MAX_GROUPS; g++)
        r += m->enemies[g].count * (stats[m->enemies[g].kind].health + stats[m->enemies[g].kind].shield);
    d->max_reward = r;
    d->reward_divisor = r / SMAC_REWARD_SCALE_RATE;
}

// ----------------------------------------------------------------------------
// Mask (§4.2)

// can_move: the integer cell one unit ahead must be in bounds and pathable.
// C's (int) truncates toward zero, as Python's int() does.
static uint8_t can_move(const SmacEnv *e, double x, double y) {
    return (uint8_t)smac_cell_pathable(e->map, (int)x, (int)y);
}

void smac_env_avail(const SmacEnv *e, int a, uint8_t *row) {
    memset(row, 0, (size_t)e->n_actions);
    if (!e->alive[a]) { row[SMAC_A_NOOP] = 1; return; }   // dead: only the no-op
    double x = e->x[a], y = e->y[a];
    row[SMAC_A_STOP] = 1;
    row[SMAC_A_NORTH] = can_move(e, x, y + 1);
    row[SMAC_A_SOUTH] = can_move(e, x, y - 1);
    row[SMAC_A_EAST] = can_move(e, x + 1, y);
    row[SMAC_A_WEST] = can_move(e, x - 1, y);
    if (smac_is_medivac_agent(e, a)) {
        // Heal ally j: alive, not a Medivac, within 6; damage not required (pitfall 13).
        for (int j = 0; j < e->n_agents; j++)
            if (e->alive[j] && e->kind[j] != GRSN_SMAC_MEDIVAC && smac_dist(e, a, j) <= SMAC_SHOOT_RANGE)
                row[SMAC_A_ATTACK0 + j] = 1;
    } else {
        for (int j = 0; j < e->n_enemies; j++) {
            int u = e->n_agents + j;
            if (e->alive[u] && smac_dist(e, a, u) <= SMAC_SHOOT_RANGE) row[SMAC_A_ATTACK0 + j] = 1;
        }
    }
}

static void action_name(const SmacEnv *e, int a, int act, char *buf, size_t n) {
    static const char *basic[] = {"no-op", "stop", "move north", "move south", "move east", "move west"};
    if (act >= 0 && act < SMAC_A_ATTACK0) snprintf(buf, n, "%s", basic[act]);
    else if (act >= SMAC_A_ATTACK0 && act < e->n_actions)
        snprintf(buf, n, smac_is_medivac_agent(e, a) ? "heal ally %d" : "attack enemy %d", act - SMAC_A_ATTACK0);
    else snprintf(buf, n, "out of range [0, %d)", e->n_actions);
}

grsn_status smac_env_check(const SmacEnv *e, int env_index, const int32_t *actions) {
    uint8_t row[SMAC_MAX_ACTIONS];
    for (int a = 0; a < e->n_agents; a++) {
        int act = actions[a];
        smac_env_avail(e, a, row);
        if (act >= 0 && act < e->n_actions && row[act]) continue;
        char name[48], list[256]; size_t off = 0;
        action_name(e, a, act, name, sizeof name);
        list[0] = '\0';
        for (int k = 0; k < e->n_actions && off < sizeof list - 8; k++)
            if (row[k]) off += (size_t)snprintf(list + off, sizeof list - off, "%s%d", off ? " " : "", k);
        return grsn_fail(GRSN_ERR_ACTION,
                         "env %d, agent %d (%s, %s): action %d (%s) is not available; available: %s",
                         env_index, a, grsn_smac_kind_name(e->kind[a]), e->alive[a] ? "alive" : "dead",
                         act, name, list);
    }
    return GRSN_OK;
}

// ----------------------------------------------------------------------------
// Observation (§5)

void smac_env_obs(const SmacEnv *e, int a, const uint8_t *avail, float *row) {
    const SmacMap *m = e->map;
    const grsn_smac_config *c = e->cfg;
    int nf_en = nf_enemy_obs(m), nf_al = nf_ally_obs(m, c, e->n_actions);
    int bits = m->unit_type_bits;
    memset(row, 0, sizeof(float) * (size_t)obs_size(m, c, e->n_actions));
    if (!e->alive[a]) return;                       // dead: all zeros
    double x = e->x[a], y = e->y[a];

    for (int k = 0; k < 4; k++) row[k] = avail[SMAC_A_NORTH + k];   // move block

    float *en = row + 4;                            // enemies
    for (int j = 0; j < e->n_enemies; j++) {
        int u = e->n_agents + j;
        if (!e->alive[u]) continue;
        double dx = e->x[u] - x, dy = e->y[u] - y, d = smac_norm(dx, dy);
        if (!(d < SMAC_SIGHT_RANGE)) continue;       // strict (pitfall 20)
        float *f = en + j * nf_en;
        const SmacUnitStats *st = smac_stats(e, u);
        f[0] = avail[SMAC_A_ATTACK0 + j];            // Medivac: heal-ally-j bit (pitfall 13)
        f[1] = (float)(d / SMAC_SIGHT_RANGE);
        f[2] = (float)(dx / SMAC_SIGHT_RANGE);
        f[3] = (float)(dy / SMAC_SIGHT_RANGE);
        f[4] = (float)(e->hp[u] / st->health);
        int k = 5;
        if (m->shield_bits_enemy) f[k++] = (float)(e->sh[u] / st->obs_max_shield);
        if (bits) f[k + e->type_id[u]] = 1;
    }

    float *al = en + e->n_enemies * nf_en;          // other allies, id order, skipping self
    int slot = 0;
    for (int b = 0; b < e->n_agents; b++) {
        if (b == a) continue;
        float *f = al + (slot++) * nf_al;
        if (!e->alive[b]) continue;
        double dx = e->x[b] - x, dy = e->y[b] - y, d = smac_norm(dx, dy);
        if (!(d < SMAC_SIGHT_RANGE)) continue;
        const SmacUnitStats *st = smac_stats(e, b);
        f[0] = 1;
        f[1] = (float)(d / SMAC_SIGHT_RANGE);
        f[2] = (float)(dx / SMAC_SIGHT_RANGE);
        f[3] = (float)(dy / SMAC_SIGHT_RANGE);
        f[4] = (float)(e->hp[b] / st->health);
        int k = 5;
        if (m->shield_bits_ally) f[k++] = (float)(e->sh[b] / st->obs_max_shield);
        if (bits) { f[k + e->type_id[b]] = 1; k += bits; }
        if (c->obs_last_action && e->last_action[b] >= 0) f[k + e->last_action[b]] = 1;
    }

    float *own = al + (e->n_agents - 1) * nf_al;    // own features
    const SmacUnitStats *st = smac_stats(e, a);
    int k = 0;
    own[k++] = (float)(e->hp[a] / st->health);
    if (m->shield_bits_ally) own[k++] = (float)(e->sh[a] / st->obs_max_shield);
    if (bits) { own[k + e->type_id[a]] = 1; k += bits; }
    if (c->obs_own_cooldown) own[k++] = cooldown_feature(e, a);
    if (c->obs_timestep_number) own[k] = (float)e->steps / (float)m->episode_limit;
}

// ----------------------------------------------------------------------------
// State (§6)

void smac_env_state(const SmacEnv *e, float *row) {
    const SmacMap *m = e->map;
    const grsn_smac_config *c = e->cfg;
    if (c->obs_instead_of_state) {
        uint8_t av[SMAC_MAX_ACTIONS];
        int obs_dim = obs_size(m, c, e->n_actions);
        for (int a = 0; a < e->n_agents; a++) {
            smac_env_avail(e, a, av);
            smac_env_obs(e, a, av, row + (size_t)a * obs_dim);
        }
        return;
    }
    int nf_al = nf_ally_state(m), nf_en = nf_enemy_state(m), bits = m->unit_type_bits;
    memset(row, 0, sizeof(float) * (size_t)state_size(m, c, e->n_actions));
    const double cx = SMAC_MAP_X / 2.0, cy = SMAC_MAP_Y / 2.0;

    for (int a = 0; a < e->n_agents; a++) {
        if (!e->alive[a]) continue;                  // dead: zeros
        const SmacUnitStats *st = smac_stats(e, a);
        float *f = row + a * nf_al;
        f[0] = (float)(e->hp[a] / st->health);
        f[1] = cooldown_feature(e, a);
        f[2] = (float)((e->x[a] - cx) / m->max_distance_x);
        f[3] = (float)((e->y[a] - cy) / m->max_distance_y);
        if (m->shield_bits_ally) f[4] = (float)(e->sh[a] / st->obs_max_shield);
        if (bits) f[nf_al - bits + e->type_id[a]] = 1;   // the last `bits` columns (pitfall 7)
    }
    float *en = row + e->n_agents * nf_al;
    for (int j = 0; j < e->n_enemies; j++) {
        int u = e->n_agents + j;
        if (!e->alive[u]) continue;
        const SmacUnitStats *st = smac_stats(e, u);
        float *f = en + j * nf_en;
        f[0] = (float)(e->hp[u] / st->health);
        f[1] = (float)((e->x[u] - cx) / m->max_distance_x);
        f[2] = (float)((e->y[u] - cy) / m->max_distance_y);
        if (m->shield_bits_enemy) f[3] = (float)(e->sh[u] / st->obs_max_shield);
        if (bits) f[nf_en - bits + e->type_id[u]] = 1;
    }
    float *tail = en + e->n_enemies * nf_en;
    if (c->state_last_action) {
        for (int a = 0; a < e->n_agents; a++)
            if (e->last_action[a] >= 0) tail[a * e->n_actions + e->last_action[a]] = 1;
        tail += e->n_agents * e->n_actions;
    }
    if (c->state_timestep_number) tail[0] = (float)e->steps / (float)m->episode_limit;
}

void smac_env_write(const SmacEnv *e, float *obs, float *state, uint8_t *avail) {
    uint8_t scratch[SMAC_MAX_ACTIONS];
    int obs_dim = obs ? obs_size(e->map, e->cfg, e->n_actions) : 0;
    for (int a = 0; a < e->n_agents; a++) {
        uint8_t *row = avail ? avail + (size_t)a * e->n_actions : scratch;
        if (avail || obs) smac_env_avail(e, a, row);
        if (obs) smac_env_obs(e, a, row, obs + (size_t)a * obs_dim);
    }
    if (state) smac_env_state(e, state);
}

// ----------------------------------------------------------------------------
// Snapshots
//
// Layout, for na agents and nu units: doubles x[nu] y[nu] hp[nu] sh[nu]
// cd[na] en[na], then int32 steps, uint8 alive[nu], int8 last_action[na]
// (-1: none yet), zero-padded to a multiple of 8 bytes. Values are copied
// with memcpy, so a snapshot needs no alignment. Doubles, not floats: the
// interface computes from the doubles, and the rebuilt observation must have
// the same bits as the one the environment wrote.

size_t smac_snapshot_bytes(int n_agents, int n_units) {
    size_t bytes = sizeof(double) * (size_t)(4 * n_units + 2 * n_agents) + sizeof(int32_t)
                 + (size_t)n_units + (size_t)n_agents;
    return (bytes + 7) & ~(size_t)7;
}

// The doubles of the layout, in order, as (source array, count) pairs.
#define SNAP_DOUBLES(e, X) X((e)->x, (e)->n_units) X((e)->y, (e)->n_units) X((e)->hp, (e)->n_units) \
                           X((e)->sh, (e)->n_units) X((e)->cd, (e)->n_agents) X((e)->en, (e)->n_agents)

void smac_env_snapshot(const SmacEnv *e, uint8_t *snap) {
    uint8_t *p = snap;
#define PUT(arr, count) memcpy(p, (arr), sizeof(double) * (size_t)(count)); p += sizeof(double) * (size_t)(count);
    SNAP_DOUBLES(e, PUT)
#undef PUT
    int32_t steps = e->steps;
    memcpy(p, &steps, sizeof steps); p += sizeof steps;
    memcpy(p, e->alive, (size_t)e->n_units); p += e->n_units;
    for (int a = 0; a < e->n_agents; a++) *p++ = (uint8_t)(int8_t)e->last_action[a];
    memset(p, 0, smac_snapshot_bytes(e->n_agents, e->n_units) - (size_t)(p - snap));
}

void smac_env_from_snapshot(SmacEnv *e, const SmacEnv *proto, const uint8_t *snap) {
    e->map = proto->map; e->stats = proto->stats; e->cfg = proto->cfg; e->enemy_order = proto->enemy_order;
    e->n_agents = proto->n_agents; e->n_enemies = proto->n_enemies; e->n_units = proto->n_units;
    e->n_actions = proto->n_actions; e->reward_divisor = proto->reward_divisor;
    memcpy(e->kind, proto->kind, (size_t)e->n_units);
    memcpy(e->type_id, proto->type_id, (size_t)e->n_units);
    const uint8_t *p = snap;
#define GET(arr, count) memcpy((arr), p, sizeof(double) * (size_t)(count)); p += sizeof(double) * (size_t)(count);
    SNAP_DOUBLES(e, GET)
#undef GET
    int32_t steps;
    memcpy(&steps, p, sizeof steps); p += sizeof steps;
    e->steps = steps;
    memcpy(e->alive, p, (size_t)e->n_units); p += e->n_units;
    for (int a = 0; a < e->n_agents; a++) e->last_action[a] = (int8_t)*p++;
}

const char *smac_env_check_situation(const SmacEnv *e, char *why, size_t n) {
    for (int u = 0; u < e->n_units; u++) {
        if (!(e->x[u] >= 0 && e->x[u] < SMAC_MAP_X && e->y[u] >= 0 && e->y[u] < SMAC_MAP_Y)) {
            snprintf(why, n, "unit %d at (%g, %g), off the %dx%d map", u, e->x[u], e->y[u], SMAC_MAP_X, SMAC_MAP_Y);
            return why;
        }
        int agent = u < e->n_agents;
        if (!isfinite(e->hp[u]) || !isfinite(e->sh[u]) || (agent && (!isfinite(e->cd[u]) || !isfinite(e->en[u])))) {
            snprintf(why, n, "unit %d has a non-finite health, shield, cooldown or energy", u);
            return why;
        }
        if (e->alive[u] > 1) { snprintf(why, n, "unit %d has alive flag %d (0 or 1)", u, e->alive[u]); return why; }
    }
    for (int a = 0; a < e->n_agents; a++)
        if (e->last_action[a] < -1 || e->last_action[a] >= e->n_actions) {
            snprintf(why, n, "agent %d has last action %d, outside [-1, %d)", a, e->last_action[a], e->n_actions);
            return why;
        }
    if (e->steps < 0 || e->steps > e->map->episode_limit) {
        snprintf(why, n, "step count %d outside [0, %d]", e->steps, e->map->episode_limit);
        return why;
    }
    return NULL;
}

// ----------------------------------------------------------------------------
// Step, reward and termination (§7, §8)

// reward_battle (§7): damage dealt to enemies (health + shield) plus 10 per
// kill, under abs() by default so enemy shield regeneration counts too.
static double reward_battle(SmacEnv *e) {
    double delta_enemy = 0, delta_deaths = 0, delta_ally = 0;
    const double neg = SMAC_REWARD_NEG_SCALE;
    int only_pos = e->cfg->reward_only_positive;
    for (int a = 0; a < e->n_agents; a++) {
        if (e->dead_counted[a]) continue;
        double prev = e->prev_hp[a] + e->prev_sh[a];
        if (!e->alive[a]) {
            e->dead_counted[a] = 1;
            if (!only_pos) delta_deaths -= SMAC_REWARD_DEATH * neg;
            delta_ally += prev * neg;
        } else {
            delta_ally += neg * (prev - e->hp[a] - e->sh[a]);
        }
    }
    for (int u = e->n_agents; u < e->n_units; u++) {
        if (e->dead_counted[u]) continue;
        double prev = e->prev_hp[u] + e->prev_sh[u];
        if (!e->alive[u]) {
            e->dead_counted[u] = 1;
            delta_deaths += SMAC_REWARD_DEATH;
            delta_enemy += prev;
        } else {
            delta_enemy += prev - e->hp[u] - e->sh[u];
        }
    }
    if (only_pos) return fabs(delta_enemy + delta_deaths);
    return delta_enemy + delta_deaths - delta_ally;
}

// Game-end code (§8): -1 loss, +1 win, 0 draw, 2 still running. The tests
// run in SMAC's order, so a simultaneous wipe on an MMM map is a loss.
static int game_end_code(const SmacEnv *e) {
    int allies = 0, enemies = 0, ally_fighters = 0, last_enemy = -1;
    for (int a = 0; a < e->n_agents; a++)
        if (e->alive[a]) { allies++; if (e->kind[a] != GRSN_SMAC_MEDIVAC) ally_fighters++; }
    for (int u = e->n_agents; u < e->n_units; u++)
        if (e->alive[u]) { enemies++; last_enemy = u; }
    int mmm = e->map->map_type == SMAC_MAP_MMM;
    if ((allies == 0 && enemies > 0) || (mmm && ally_fighters == 0)) return -1;
    if ((allies > 0 && enemies == 0) || (mmm && enemies == 1 && e->kind[last_enemy] == GRSN_SMAC_MEDIVAC))
        return 1;
    if (allies == 0 && enemies == 0) return 0;
    return 2;
}

void smac_env_step(SmacEnv *e, const int32_t *actions, float *reward_out) {
    smac_env_issue(e, actions);
    for (int l = 0; l < SMAC_STEP_MUL; l++) smac_env_loop(e);
    e->steps++;

    const grsn_smac_config *c = e->cfg;
    double reward = c->reward_sparse ? 0 : reward_battle(e);
    int code = game_end_code(e);
    grsn_smac_info *info = &e->info;
    memset(info, 0, sizeof *info);
    int terminated = 0;
    if (code != 2) {   // the battle is decided: tested before the limit (pitfall 19)
        terminated = 1;
        if (code == 1) { info->battle_won = 1; reward = c->reward_sparse ? 1 : reward + SMAC_REWARD_WIN; }
        else if (code == -1) { info->battle_lost = 1; reward = c->reward_sparse ? -1 : reward + SMAC_REWARD_DEFEAT; }
        else info->draw = 1;
    } else if (e->steps >= e->map->episode_limit) {
        terminated = 1;
        info->timeout = 1;
    }
    // reward_scale: every step's reward, win bonus included (pitfall 21).
    reward /= e->reward_divisor;
    for (int u = 0; u < e->n_units; u++) {
        e->prev_hp[u] = e->hp[u]; e->prev_sh[u] = e->sh[u];
        if (!e->alive[u]) { if (u < e->n_agents) info->dead_allies++; else info->dead_enemies++; }
    }
    info->episode_steps = e->steps;
    e->done = terminated;
    if (reward_out) *reward_out = (float)reward;
}
