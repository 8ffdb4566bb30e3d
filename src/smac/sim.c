/*
 * sim.c — the dynamics of the SMAC simulator (spec smac-simulator.md §9–§13):
 * placing the armies, turning actions into orders, and the game loop with
 * movement, separation, terrain, enemy target acquisition, weapons,
 * delayed hits, damage, shield regeneration and Medivac healing.
 *
 * One agent step is 8 game loops (§11.1). Within a loop (§13.1 step 4):
 *   1. pending hits age by one loop;
 *   2. orders on dead targets are dropped;
 *   3. enemies acquire targets (§12);
 *   4. every unit moves toward what its order wants (§11.5) and ground units
 *      stay on pathable cells;
 *   5. every unit ticks its cooldown, shields and energy and executes its
 *      order: fire (scheduling hits, §11.2) or heal (§11.4);
 *   6. overlapping pairs are pushed apart (§11.5);
 *   7. hits whose time has come land (§11.3), so all units of a loop act on
 *      the same situation and a fixed update order favours nobody.
 * The push comes after the units act, so that a unit fires from where its
 * move took it; config push_first = 1 pushes before they act, the order
 * grsn had until session 15 (see smac_env_loop).
 */
#include "smac/sim.h"

// ----------------------------------------------------------------------------
// Placement (§9): SMAClite's grid. Each army is laid out in rows of
// ceil(sqrt(n)) units in map-script creation order, 0.05 apart, centred on
// the ally spawn point; the enemy army is then mirrored through (16, 16).
// The centring differs from SMAClite's: grsn centres the extent of the units
// with their gaps, SMAClite leaves the gaps out of the width and counts the
// empty rows of its square in the height. Every unit starts within 0.05 of
// SMAClite's position (test_smac start_positions). Kept, as every QMIX
// result was trained so.

#define SMAC_PLACEMENT_GAP 0.05

static void layout_group(const SmacUnitStats *stats, const SmacGroup *groups, int n,
                         double *x, double *y, uint8_t *kind) {
    int k = 0;
    for (int g = 0; g < SMAC_MAX_GROUPS; g++)
        for (int c = 0; c < groups[g].count; c++) kind[k++] = (uint8_t)groups[g].kind;
    GRSN_ASSERT(k == n, "group sizes %d != %d", k, n);
    int cols = (int)ceil(sqrt((double)n));
    double width = 0, row_top = 0;
    for (int first = 0; first < n; first += cols) {
        int last = first + cols < n ? first + cols : n;
        double rmax = 0, cursor = 0;
        for (int i = first; i < last; i++) rmax = fmax(rmax, stats[kind[i]].radius);
        for (int i = first; i < last; i++) {
            double r = stats[kind[i]].radius;
            x[i] = cursor + r;
            y[i] = row_top + rmax;
            cursor += 2 * r + SMAC_PLACEMENT_GAP;
        }
        width = fmax(width, cursor - SMAC_PLACEMENT_GAP);
        row_top += 2 * rmax + SMAC_PLACEMENT_GAP;
    }
    double height = row_top - SMAC_PLACEMENT_GAP;
    for (int i = 0; i < n; i++) {
        x[i] += SMAC_ALLY_SPAWN_X - width / 2;
        y[i] += SMAC_ALLY_SPAWN_Y - height / 2;
    }
}

// Allies are sorted by (unit type, x, y) at every reset (§5.3).
static int ally_before(int ta, double xa, double ya, int tb, double xb, double yb) {
    if (ta != tb) return ta < tb;
    if (xa != xb) return xa < xb;
    return ya < yb;
}

static void init_unit(SmacEnv *e, int u, int kind, double x, double y) {
    const SmacUnitStats *st = &e->stats[kind];
    int team = smac_is_ally(e, u) ? 0 : 1;
    e->kind[u] = (uint8_t)kind;
    e->type_id[u] = (int8_t)smac_type_id(e->map, team, kind);
    e->x[u] = x; e->y[u] = y; e->vx[u] = 0; e->vy[u] = 0;
    e->hp[u] = st->health; e->sh[u] = st->shield; e->en[u] = st->energy_start;
    e->prev_hp[u] = e->hp[u]; e->prev_sh[u] = e->sh[u];
    e->cd[u] = 0;
    e->since_hit[u] = SMAC_SHIELD_DELAY;
    e->alive[u] = 1; e->healing[u] = 0; e->dead_counted[u] = 0;
    e->tgt[u] = -1;
    if (team == 0) {
        e->order[u] = SMAC_ORDER_IDLE;
        e->px[u] = x; e->py[u] = y;
    } else {
        // The map's only enemy order: attack-move to the ally spawn (§9).
        e->order[u] = SMAC_ORDER_ATTACK_MOVE;
        e->px[u] = SMAC_ALLY_SPAWN_X; e->py[u] = SMAC_ALLY_SPAWN_Y;
    }
}

void smac_env_init(SmacEnv *e, const grsn_smac *s, int index) {
    memset(e, 0, sizeof *e);
    e->map = s->map;
    e->stats = s->stats;
    e->cfg = &s->cfg;
    e->enemy_order = s->enemy_order;
    e->n_agents = s->map->n_agents;
    e->n_enemies = s->map->n_enemies;
    e->n_units = e->n_agents + e->n_enemies;
    e->n_actions = s->dims.n_actions;
    e->reward_divisor = s->dims.reward_divisor;
    grsn_rng_seed(&e->rng, s->cfg.seed, s->cfg.stream_base + (uint64_t)index);
    e->done = 1;   // no episode until the first reset
}

void smac_env_reset(SmacEnv *e) {
    double ax[SMAC_MAX_UNITS], ay[SMAC_MAX_UNITS];
    uint8_t ak[SMAC_MAX_UNITS];
    int na = e->n_agents, ne = e->n_enemies;

    // Allies: lay out, then insertion-sort by (type, x, y).
    layout_group(e->stats, e->map->allies, na, ax, ay, ak);
    int order[SMAC_MAX_UNITS];
    for (int i = 0; i < na; i++) {
        int j = i;
        int ti = smac_type_id(e->map, 0, ak[i]);
        while (j > 0) {
            int p = order[j - 1];
            if (!ally_before(ti, ax[i], ay[i], smac_type_id(e->map, 0, ak[p]), ax[p], ay[p])) break;
            order[j] = p; j--;
        }
        order[j] = i;
    }
    for (int a = 0; a < na; a++) init_unit(e, a, ak[order[a]], ax[order[a]], ay[order[a]]);

    // Enemies: laid out in creation order, mirrored through the map centre,
    // numbered by the configured order (creation order by default).
    layout_group(e->stats, e->map->enemies, ne, ax, ay, ak);
    for (int j = 0; j < ne; j++) {
        int c = e->enemy_order[j];
        init_unit(e, na + j, ak[c], SMAC_MAP_X - ax[c], SMAC_MAP_Y - ay[c]);
    }

    for (int a = 0; a < na; a++) e->last_action[a] = -1;
    e->n_hits = 0;
    e->steps = 0;
    e->done = 0;
    memset(&e->info, 0, sizeof e->info);
}

// ----------------------------------------------------------------------------
// Orders (§13.1 step 3, queue_command = False: a new order replaces the old)

void smac_env_issue(SmacEnv *e, const int32_t *actions) {
    for (int a = 0; a < e->n_agents; a++) {
        int act = actions[a];
        e->last_action[a] = act;
        if (!e->alive[a] || act == SMAC_A_NOOP) continue;
        switch (act) {
        case SMAC_A_STOP:
            e->order[a] = SMAC_ORDER_IDLE; e->tgt[a] = -1; break;
        case SMAC_A_NORTH: case SMAC_A_SOUTH: case SMAC_A_EAST: case SMAC_A_WEST:
            e->order[a] = SMAC_ORDER_MOVE; e->tgt[a] = -1;
            e->px[a] = e->x[a] + (act == SMAC_A_EAST ? SMAC_MOVE_AMOUNT : act == SMAC_A_WEST ? -SMAC_MOVE_AMOUNT : 0);
            e->py[a] = e->y[a] + (act == SMAC_A_NORTH ? SMAC_MOVE_AMOUNT : act == SMAC_A_SOUTH ? -SMAC_MOVE_AMOUNT : 0);
            break;
        default: {
            int j = act - SMAC_A_ATTACK0;
            if (smac_is_medivac_agent(e, a)) {
                e->order[a] = SMAC_ORDER_HEAL; e->tgt[a] = (int16_t)j;        // ally j
            } else if (smac_can_target(e, a, e->n_agents + j)) {
                e->order[a] = SMAC_ORDER_ATTACK; e->tgt[a] = (int16_t)(e->n_agents + j);
            }
            // else: SC2 rejects an attack order a weapon cannot carry out
            // (a marauder or zealot on a Medivac), and the unit keeps its
            // previous order. The mask allows it, as SMAC's does.
            break;
        }
        }
    }
}

// ----------------------------------------------------------------------------
// Movement (§11.5)

// Whether a ground unit may stand at (x, y): its centre must be in a
// pathable cell. Air units may go anywhere on the map.
static int can_stand(const SmacEnv *e, int u, double x, double y) {
    if (x < 0 || y < 0 || x >= SMAC_MAP_X || y >= SMAC_MAP_Y) return 0;
    if (smac_stats(e, u)->air) return 1;
    return smac_cell_pathable(e->map, (int)x, (int)y);
}

// Move unit u toward (nx, ny); where the destination is blocked, slide
// along one axis, else stay.
static void settle(SmacEnv *e, int u, double nx, double ny) {
    if (can_stand(e, u, nx, ny)) { e->x[u] = nx; e->y[u] = ny; }
    else if (can_stand(e, u, nx, e->y[u])) e->x[u] = nx;
    else if (can_stand(e, u, e->x[u], ny)) e->y[u] = ny;
}

// Where unit u wants to go this loop: returns 1 and the goal and the
// distance it may cover toward it (to stop at the edge of its reach).
static int want_goal(const SmacEnv *e, int u, double *gx, double *gy, double *reach) {
    const SmacUnitStats *st = smac_stats(e, u);
    int t = e->tgt[u];
    *reach = 0;
    switch (e->order[u]) {
    case SMAC_ORDER_MOVE:
        *gx = e->px[u]; *gy = e->py[u]; return 1;
    case SMAC_ORDER_ATTACK:
    case SMAC_ORDER_ATTACK_MOVE:
        if (t >= 0) {   // walk into weapon range, then stand and fire (§11.2)
            *gx = e->x[t]; *gy = e->y[t];
            *reach = (st->healer ? st->heal_range : st->range) + st->radius + smac_stats(e, t)->radius;
            return 1;
        }
        if (e->order[u] == SMAC_ORDER_ATTACK) return 0;
        if (st->healer) {   // enemy Medivac without a patient: stay with the army (§12)
            double sx = 0, sy = 0; int n = 0;
            for (int v = e->n_agents; v < e->n_units; v++)
                if (v != u && e->alive[v] && !smac_stats(e, v)->air) { sx += e->x[v]; sy += e->y[v]; n++; }
            if (n == 0) { *gx = e->px[u]; *gy = e->py[u]; return 1; }
            *gx = sx / n; *gy = sy / n; *reach = 1.0;
            return 1;
        }
        *gx = e->px[u]; *gy = e->py[u]; return 1;
    case SMAC_ORDER_HEAL:
        if (t < 0) return 0;
        *gx = e->x[t]; *gy = e->y[t];
        *reach = st->heal_range + st->radius + smac_stats(e, t)->radius;
        return 1;
    default:
        return 0;
    }
}

static void move_unit(SmacEnv *e, int u) {
    const SmacUnitStats *st = smac_stats(e, u);
    double gx, gy, reach;
    int has_goal = want_goal(e, u, &gx, &gy, &reach);
    double dx = has_goal ? gx - e->x[u] : 0, dy = has_goal ? gy - e->y[u] : 0;
    double d = smac_norm(dx, dy);
    double togo = has_goal ? d - reach : 0;   // distance still to cover

    if (st->accel > 0) {
        // Air unit with acceleration (Medivac, pitfall 18): steer the
        // velocity toward the desired one, braking to stop at the goal.
        double want = togo > 0 ? fmin(st->speed, sqrt(2 * st->accel * togo)) : 0;
        double wx = d > 0 ? dx / d * want : 0, wy = d > 0 ? dy / d * want : 0;
        double ex = wx - e->vx[u], ey = wy - e->vy[u], en = smac_norm(ex, ey);
        if (en > st->accel) { ex *= st->accel / en; ey *= st->accel / en; }
        e->vx[u] += ex; e->vy[u] += ey;
        double nx = fmin(fmax(e->x[u] + e->vx[u], 0), SMAC_MAP_X - 1e-6);
        double ny = fmin(fmax(e->y[u] + e->vy[u], 0), SMAC_MAP_Y - 1e-6);
        e->x[u] = nx; e->y[u] = ny;
        if (e->order[u] == SMAC_ORDER_MOVE && smac_norm(gx - nx, gy - ny) < 1e-3 && smac_norm(e->vx[u], e->vy[u]) < 1e-3) {
            e->order[u] = SMAC_ORDER_IDLE; e->vx[u] = 0; e->vy[u] = 0;
        }
        return;
    }
    if (!has_goal || togo <= 0) return;
    // Ground unit: full speed at once (acceleration 1000). When closing in on
    // a target, step a hair past the edge of the reach so the range test
    // that follows holds despite rounding.
    double step = fmin(st->speed, reach > 0 ? togo + 1e-9 : togo);
    settle(e, u, e->x[u] + dx / d * step, e->y[u] + dy / d * step);
    if (e->order[u] == SMAC_ORDER_MOVE && step >= d) e->order[u] = SMAC_ORDER_IDLE;   // arrived
}

// Pairwise push (§11.5, SMAX's rule): overlapping units of the same plane
// move apart by half the overlap each. Air and ground never collide.
static void separate(SmacEnv *e) {
    for (int i = 0; i < e->n_units; i++) {
        if (!e->alive[i]) continue;
        double ri = smac_stats(e, i)->radius; int ai = smac_stats(e, i)->air;
        for (int j = i + 1; j < e->n_units; j++) {
            if (!e->alive[j] || smac_stats(e, j)->air != ai) continue;
            double rs = ri + smac_stats(e, j)->radius;
            double dx = e->x[j] - e->x[i], dy = e->y[j] - e->y[i];
            if (fabs(dx) >= rs || fabs(dy) >= rs) continue;
            double d2 = dx * dx + dy * dy;
            if (d2 >= rs * rs) continue;
            double d = sqrt(d2), ux, uy;
            if (d > 1e-9) { ux = dx / d; uy = dy / d; }
            else { ux = 1; uy = 0; }   // coincident: split along x, lower index west
            double half = 0.5 * (rs - d);
            settle(e, i, e->x[i] - ux * half, e->y[i] - uy * half);
            settle(e, j, e->x[j] + ux * half, e->y[j] + uy * half);
        }
    }
}

// ----------------------------------------------------------------------------
// Enemy AI (§12)

static int attacking(const SmacEnv *e, int a, int u) {
    return e->alive[a] && e->order[a] == SMAC_ORDER_ATTACK && e->tgt[a] == u;
}

// Whether ally a can hurt enemy u (or raises its priority by healing).
static int threatens(const SmacEnv *e, int a, int u) {
    return smac_can_target(e, a, u) || e->healing[a];
}

static void acquire_attack(SmacEnv *e, int u) {
    const SmacUnitStats *st = smac_stats(e, u);
    int t = e->tgt[u];
    if (t >= 0) {   // keep: alive and within range + slop, or attacking this unit
        double keep = st->range + st->radius + smac_stats(e, t)->radius + SMAC_RANGE_SLOP;
        if (e->alive[t] && (smac_dist(e, u, t) <= keep || attacking(e, t, u))) return;
        e->tgt[u] = -1;
    }
    // Scan: allies within MinScanRange (+ radii) or attacking this unit.
    // Prefer those that can fire back, then those attacking it, then the nearest.
    int best = -1, best_rank = 4; double best_d = 1e30;
    for (int a = 0; a < e->n_agents; a++) {
        if (!e->alive[a] || !smac_can_target(e, u, a)) continue;
        double d = smac_dist(e, u, a);
        int att = attacking(e, a, u);
        if (!att && d > st->scan_range + st->radius + smac_stats(e, a)->radius) continue;
        int rank = (threatens(e, a, u) ? 0 : 2) + (att ? 0 : 1);
        if (rank < best_rank || (rank == best_rank && d < best_d)) { best = a; best_rank = rank; best_d = d; }
    }
    e->tgt[u] = (int16_t)best;
}

// Enemy Medivac: the lowest-health damaged comrade within autocast range.
static void acquire_heal(SmacEnv *e, int u) {
    const SmacUnitStats *st = smac_stats(e, u);
    int t = e->tgt[u];
    if (t >= 0 && e->alive[t] && e->hp[t] < smac_stats(e, t)->health) return;
    int best = -1; double best_f = 2, best_d = 1e30;
    for (int v = e->n_agents; v < e->n_units; v++) {
        if (v == u || !e->alive[v] || smac_stats(e, v)->healer) continue;
        double f = e->hp[v] / smac_stats(e, v)->health;
        if (f >= 1) continue;
        double d = smac_dist(e, u, v);
        if (d > st->scan_range + st->radius + smac_stats(e, v)->radius) continue;
        if (f < best_f || (f == best_f && d < best_d)) { best = v; best_f = f; best_d = d; }
    }
    e->tgt[u] = (int16_t)best;
}

// ----------------------------------------------------------------------------
// Combat (§11.2–§11.4)

void smac_env_damage(SmacEnv *e, int u, double damage) {
    if (!e->alive[u]) return;
    e->since_hit[u] = 0;
    if (e->sh[u] >= damage) { e->sh[u] -= damage; return; }   // shields first, no shield armor
    double rest = damage - e->sh[u];
    e->sh[u] = 0;
    double hurt = rest - smac_stats(e, u)->armor;                // armor once per hit
    double floor_dmg = e->cfg->min_damage ? 0.5 : 0.0;
    e->hp[u] -= hurt > floor_dmg ? hurt : floor_dmg;
    if (e->hp[u] <= 0) {   // death: out of collision and targeting at once
        e->hp[u] = 0; e->sh[u] = 0; e->alive[u] = 0;
        e->order[u] = SMAC_ORDER_IDLE; e->tgt[u] = -1; e->vx[u] = 0; e->vy[u] = 0;
    }
}

static void schedule_hit(SmacEnv *e, int source, int target, double damage, double launch, double flight) {
    GRSN_ASSERT(e->n_hits < SMAC_MAX_HITS, "pending-hit queue full");
    SmacHit *h = &e->hits[e->n_hits++];
    h->launch_left = launch; h->t_left = launch + flight; h->damage = damage;
    h->source = (int16_t)source; h->target = (int16_t)target;
}

static void fire(SmacEnv *e, int u, int t) {
    const SmacUnitStats *st = smac_stats(e, u);
    double dmg = st->damage + (smac_stats(e, t)->armored ? st->bonus_armored : 0);
    double flight = 0;
    if (e->cfg->projectiles && st->missile_speed > 0) {
        double gap = smac_dist(e, u, t) - st->radius - smac_stats(e, t)->radius;
        flight = fmax(gap, 0) / st->missile_speed;
    }
    for (int h = 0; h < st->hits; h++) {
        double launch = e->cfg->projectiles ? st->damage_point + h * st->hit_gap : 0;
        schedule_hit(e, u, t, dmg, launch, flight);
    }
    // Next shot: period plus the random delay of U(-1, +2) loops (§10.1, §11.2).
    double jitter = e->cfg->weapon_delay ? -1.0 + 3.0 * grsn_rng_double(&e->rng) : 0;
    e->cd[u] += st->period + jitter;
}

static void act(SmacEnv *e, int u) {
    const SmacUnitStats *st = smac_stats(e, u);
    if (e->cd[u] > 0) e->cd[u] -= 1;   // counts down whatever the order (kiting, pitfall 4)
    if (st->shield > 0) {
        e->since_hit[u] += 1;
        if (e->since_hit[u] >= SMAC_SHIELD_DELAY) e->sh[u] = fmin(e->sh[u] + SMAC_SHIELD_REGEN, st->shield);
    }
    e->healing[u] = 0;
    if (st->healer) e->en[u] = fmin(e->en[u] + st->energy_per_loop, st->energy_max);

    int t = e->tgt[u];
    if (t < 0 || !e->alive[t]) return;
    double d = smac_dist(e, u, t), radii = st->radius + smac_stats(e, t)->radius;
    if (st->healer) {
        if (e->order[u] != SMAC_ORDER_HEAL && smac_is_ally(e, u)) return;
        double room = smac_stats(e, t)->health - e->hp[t];
        if (d > st->heal_range + radii || room <= 0 || e->en[u] <= 0) return;
        double amount = fmin(fmin(st->heal_per_loop, room), e->en[u] * st->hp_per_energy);
        e->hp[t] += amount;
        e->en[u] -= amount / st->hp_per_energy;
        e->healing[u] = 1;
        return;
    }
    if (e->order[u] != SMAC_ORDER_ATTACK && e->order[u] != SMAC_ORDER_ATTACK_MOVE) return;
    if (d <= st->range + radii && e->cd[u] <= 0) fire(e, u, t);
}

static void deliver_hits(SmacEnv *e) {
    int kept = 0;
    for (int i = 0; i < e->n_hits; i++) {
        SmacHit h = e->hits[i];
        if (h.launch_left > 0 && !e->alive[h.source]) continue;   // attacker died before release
        if (h.t_left <= 0) smac_env_damage(e, h.target, h.damage);
        else e->hits[kept++] = h;
    }
    e->n_hits = kept;
}

// ----------------------------------------------------------------------------
// The loop

void smac_env_loop(SmacEnv *e) {
    int n = e->n_units;
    // 1. age pending hits
    for (int i = 0; i < e->n_hits; i++) { e->hits[i].launch_left -= 1; e->hits[i].t_left -= 1; }

    // 2. drop orders on dead targets; 3. enemy acquisition
    for (int u = 0; u < n; u++) {
        if (!e->alive[u]) continue;
        int t = e->tgt[u];
        if (t >= 0 && !e->alive[t]) {
            e->tgt[u] = -1;
            if (smac_is_ally(e, u)) e->order[u] = SMAC_ORDER_IDLE;   // order done: stand
        }
        if (!smac_is_ally(e, u)) {
            if (smac_stats(e, u)->healer) acquire_heal(e, u);
            else acquire_attack(e, u);
        }
    }

    // 4. movement
    for (int u = 0; u < n; u++) if (e->alive[u]) move_unit(e, u);
    if (e->cfg->push_first) separate(e);

    // 5. act, in a fixed or shuffled order. Units fire from where their move
    // took them: a melee unit steps to the edge of its reach, and the push of
    // its neighbours (6.) would otherwise move it back out before every strike,
    // so a crowd around a cornered target never hits it (spec §13.1 resolves
    // collisions before units move and act, to the same effect).
    if (e->cfg->shuffle_update_order) {
        int perm[SMAC_MAX_UNITS];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = (int)grsn_rng_below(&e->rng, (uint32_t)(i + 1));
            int tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
        }
        for (int i = 0; i < n; i++) if (e->alive[perm[i]]) act(e, perm[i]);
    } else {
        for (int u = 0; u < n; u++) if (e->alive[u]) act(e, u);
    }

    // 6. separation (§11.5); 7. hits land
    if (!e->cfg->push_first) separate(e);
    deliver_hits(e);
}
