/*
 * sim.h — the internals of the SMAC simulator: one environment's state as a
 * structure of arrays (SmacEnv), the handle that owns n_envs of them, and the
 * functions that reset an environment, run one agent step of 8 game loops
 * (spec smac-simulator.md §13.1) and read out SMAC's interface (masks §4,
 * observation §5, state §6, reward §7, termination §8).
 *
 * Units live in one array: allies (the agents) at [0, n_agents) in agent-id
 * order, then enemies in enemy-id order. A unit's team is therefore implied
 * by its index. Tests include this header to build scripted situations.
 */
#ifndef GRSN_SMAC_SIM_H
#define GRSN_SMAC_SIM_H

#include "common.h"
#include "smac/maps.h"
#include "smac/units.h"

#define SMAC_MAX_UNITS   64     // 27m_vs_30m has 57
#define SMAC_MAX_AGENTS  32
#define SMAC_MAX_ACTIONS (6 + SMAC_MAX_UNITS)
#define SMAC_MAX_HITS    256    // pending delayed hits per environment

// SMAC constants (§2, §4, §5, §7, §10.1).
#define SMAC_SIGHT_RANGE   9.0   // observation: strict distance < 9
#define SMAC_SHOOT_RANGE   6.0   // attack mask: distance <= 6
#define SMAC_MOVE_AMOUNT   2.0   // a move order targets a point 2 units away
#define SMAC_STEP_MUL      8     // game loops per agent step
#define SMAC_RANGE_SLOP    1.0   // enemies keep a target within range + 1
#define SMAC_SHIELD_DELAY  160.0 // loops without damage before shields regenerate (10 s)
#define SMAC_SHIELD_REGEN  (2.0 / 16.0)  // shield per loop (2/s)
#define SMAC_REWARD_DEATH  10.0
#define SMAC_REWARD_WIN    200.0
#define SMAC_REWARD_DEFEAT 0.0
#define SMAC_REWARD_NEG_SCALE 0.5
#define SMAC_REWARD_SCALE_RATE 20.0

// Actions (§4.1).
enum { SMAC_A_NOOP = 0, SMAC_A_STOP = 1, SMAC_A_NORTH = 2, SMAC_A_SOUTH = 3, SMAC_A_EAST = 4,
       SMAC_A_WEST = 5, SMAC_A_ATTACK0 = 6 };

// What a unit is currently doing.
typedef enum {
    SMAC_ORDER_IDLE = 0,     // stands still; allies never act on their own (§1.6)
    SMAC_ORDER_MOVE,         // walk to (px, py), then idle
    SMAC_ORDER_ATTACK,       // attack unit tgt until it dies, walking into range (§11.2)
    SMAC_ORDER_HEAL,         // Medivac: heal unit tgt (§11.4)
    SMAC_ORDER_ATTACK_MOVE,  // enemy AI: walk to (px, py), acquiring targets on the way (§12)
} SmacOrder;

// A hit on its way (§11.2): first the attacker's damage point (or the wait
// for the zealot's second blade), during which the attacker's death cancels
// it; then, once launched, a missile's flight. Lands when t_left reaches 0.
typedef struct {
    double launch_left;   // loops until the attacker releases it
    double t_left;        // loops until it lands (>= launch_left)
    double damage;        // base + bonus, before shields and armor
    int16_t source, target;
} SmacHit;

typedef struct {
    // --- read-only context, owned by the handle
    const SmacMap *map;
    const SmacUnitStats *stats;        // [GRSN_SMAC_KIND_COUNT]
    const grsn_smac_config *cfg;
    const int16_t *enemy_order;        // [n_enemies]: enemy id -> creation index
    int n_agents, n_enemies, n_units;  // n_units = n_agents + n_enemies
    int n_actions;
    double reward_divisor;             // max_reward / 20 (§7)

    // --- units, structure of arrays, each [SMAC_MAX_UNITS]
    double x[SMAC_MAX_UNITS], y[SMAC_MAX_UNITS];     // position
    double vx[SMAC_MAX_UNITS], vy[SMAC_MAX_UNITS];   // velocity per loop (air units only)
    double hp[SMAC_MAX_UNITS], sh[SMAC_MAX_UNITS];   // health, shield
    double en[SMAC_MAX_UNITS];                       // energy (Medivac)
    double cd[SMAC_MAX_UNITS];                       // loops until the weapon is ready (<= 0: ready)
    double since_hit[SMAC_MAX_UNITS];                // loops since the unit last took damage
    double px[SMAC_MAX_UNITS], py[SMAC_MAX_UNITS];   // order point
    double prev_hp[SMAC_MAX_UNITS], prev_sh[SMAC_MAX_UNITS];  // at the end of the previous step (§7)
    uint8_t kind[SMAC_MAX_UNITS];                    // grsn_smac_kind
    int8_t type_id[SMAC_MAX_UNITS];                  // one-hot index (§5.2), -1 if none
    uint8_t alive[SMAC_MAX_UNITS];
    uint8_t order[SMAC_MAX_UNITS];                   // SmacOrder
    uint8_t healing[SMAC_MAX_UNITS];                 // healed during the last loop
    uint8_t dead_counted[SMAC_MAX_UNITS];            // SMAC's death trackers (§7)
    int16_t tgt[SMAC_MAX_UNITS];                     // order target unit, -1 none
    int32_t last_action[SMAC_MAX_AGENTS];            // -1 right after reset (§6: zeros)

    // --- pending hits
    SmacHit hits[SMAC_MAX_HITS];
    int n_hits;

    // --- episode
    int steps;            // agent steps in this episode
    int done;             // the episode has ended
    grsn_smac_info info;  // outcome of the last step
    grsn_rng rng;         // this environment's stream: weapon delay, update order
} SmacEnv;

struct grsn_smac {
    grsn_smac_config cfg;
    char map_name[32];                        // cfg.map points here
    const SmacMap *map;
    SmacUnitStats stats[GRSN_SMAC_KIND_COUNT];
    int16_t enemy_order[SMAC_MAX_UNITS];      // enemy id -> creation index
    grsn_smac_dims dims;
    int n_envs;
    SmacEnv *envs;                            // [n_envs]
    SmacEnv proto;                            // a reset environment: the map's units (snapshots)
};

// ----------------------------------------------------------------------------
// sim.c: dynamics

// Bind an environment to its handle's context (once, at create).
void smac_env_init(SmacEnv *e, const grsn_smac *s, int index);
// Place both armies and start an episode (§9, §5.3).
void smac_env_reset(SmacEnv *e);
// Turn the agents' actions into orders (§13.1 step 3); actions already checked.
void smac_env_issue(SmacEnv *e, const int32_t *actions);
// One game loop (§13.1 step 4).
void smac_env_loop(SmacEnv *e);
// Apply one hit to unit u (§11.3).
void smac_env_damage(SmacEnv *e, int u, double damage);

// ----------------------------------------------------------------------------
// obs.c: SMAC's interface

// Availability row of agent a (§4.2): row[n_actions].
void smac_env_avail(const SmacEnv *e, int a, uint8_t *row);
// GRSN_ERR_ACTION naming env, agent and action if any action is forbidden.
grsn_status smac_env_check(const SmacEnv *e, int env_index, const int32_t *actions);
// A whole agent step on actions already checked (smac_env_check): issue, 8
// loops, reward and termination.
void smac_env_step(SmacEnv *e, const int32_t *actions, float *reward);
// Write the observation / state / masks of the current situation.
void smac_env_write(const SmacEnv *e, float *obs, float *state, uint8_t *avail);
// Observation of agent a (§5) given its avail row.
void smac_env_obs(const SmacEnv *e, int a, const uint8_t *avail, float *row);
// Global state (§6).
void smac_env_state(const SmacEnv *e, float *row);

// Sizes of a map under a config (§3, §5.1, §6).
void smac_compute_dims(const SmacMap *m, const SmacUnitStats *stats, const grsn_smac_config *c,
                       grsn_smac_dims *d);

// ----------------------------------------------------------------------------
// obs.c: snapshots (grsn_smac_snapshot_bytes)
//
// A snapshot holds what the interface above reads of an environment and what
// changes during an episode: every unit's position, health, shield and alive
// flag, the agents' weapon cooldowns, energy and last actions, and the step
// count. The unit kinds and everything else the interface reads are fixed by
// the map and come from a freshly reset environment (the handle's `proto`).

// Bytes of one snapshot (a multiple of 8, so that snapshots can be packed).
size_t smac_snapshot_bytes(int n_agents, int n_units);
void smac_env_snapshot(const SmacEnv *e, uint8_t *snap);
// Set e to proto's context and unit kinds and snap's situation: the fields
// smac_env_write reads, and only those.
void smac_env_from_snapshot(SmacEnv *e, const SmacEnv *proto, const uint8_t *snap);
// NULL if e (set from a snapshot) is a situation its map can be in: positions
// on the map, finite values, flags 0/1, actions and step count in range;
// else what is wrong, in `why`.
const char *smac_env_check_situation(const SmacEnv *e, char *why, size_t n);

// ----------------------------------------------------------------------------
// Small geometry helpers

// Euclidean length (SMAC: math.hypot). sqrt of the sum of squares is within
// an ulp of hypot at map scale (no overflow possible) and several times faster.
static inline double smac_norm(double dx, double dy) { return sqrt(dx * dx + dy * dy); }

// Centre-to-centre distance between units a and b.
static inline double smac_dist(const SmacEnv *e, int a, int b) {
    return smac_norm(e->x[b] - e->x[a], e->y[b] - e->y[a]);
}
static inline int smac_is_ally(const SmacEnv *e, int u) { return u < e->n_agents; }
static inline const SmacUnitStats *smac_stats(const SmacEnv *e, int u) { return &e->stats[e->kind[u]]; }
// Whether attacker a's weapon can hit unit t at all (ground/air, §10.1).
static inline int smac_can_target(const SmacEnv *e, int a, int t) {
    const SmacUnitStats *sa = smac_stats(e, a);
    if (sa->damage <= 0) return 0;
    return smac_stats(e, t)->air ? sa->hits_air : sa->hits_ground;
}
// Whether the Medivac rule of MMM maps applies to agent a (§4.2).
static inline int smac_is_medivac_agent(const SmacEnv *e, int a) {
    return e->map->map_type == SMAC_MAP_MMM && e->kind[a] == GRSN_SMAC_MEDIVAC;
}

#endif
