/*
 * grsn_smac.h — a SMAC-compatible combat simulator (StarCraft Multi-Agent
 * Challenge), written in C because StarCraft II is not available. It is
 * interface-identical to SMAC: observation, global state, availability masks,
 * action set, shaped reward, termination and episode limits follow SMAC's
 * starcraft2.py exactly (spec smac-simulator.md §2–§8, "level I"). The combat
 * underneath approximates SC2 with Wings-of-Liberty unit data: 8 game loops
 * per agent step, movement with separation, weapon cooldowns with random
 * delay, shields and armor, shield regeneration, Medivac healing and an
 * attack-moving enemy AI (§9–§13, "level D").
 *
 * One grsn_smac handle holds n_envs independent environments of one map.
 * Each environment owns its state and its own random stream (seed, stream_base
 * + i), so environments can be stepped from different threads and a given
 * seed reproduces the same episodes on any thread count. Everything is
 * allocated by grsn_smac_create; reset and step never allocate.
 *
 * Outputs are written straight into caller-owned buffers (grsn_smac_out).
 * The per-environment calls (grsn_smac_reset_env, grsn_smac_step_env) write
 * one environment's rows; the batch calls (grsn_smac_reset, grsn_smac_step)
 * write all n_envs rows of contiguous [n_envs][...] buffers, in parallel when
 * built with OpenMP. Any output pointer may be NULL to skip that output.
 *
 *   grsn_smac_config c; grsn_smac_config_default(&c, "8m"); c.n_envs = 8;
 *   grsn_smac *s; GRSN_TRY(grsn_smac_create(&s, &c));
 *   grsn_smac_dims d = grsn_smac_get_dims(s);
 *   // obs [8][d.n_agents][d.obs_dim], state [8][d.state_dim], avail [8][d.n_agents][d.n_actions]
 *   GRSN_TRY(grsn_smac_reset(s, &out));
 *   GRSN_TRY(grsn_smac_step(s, actions, &out));   // actions [8][d.n_agents]
 *
 * For QMIX (reference-implementation.md §9) with time-major episode buffers
 * [T+1][B][...], point the grsn_smac_out fields at slice t before each batch
 * step; environments whose episode has ended are skipped until reset, as in
 * PyMARL's parallel runner. The agent network input (obs, one-hot last
 * action, one-hot agent id) is assembled by the learner, not here (§2).
 */
#ifndef GRSN_SMAC_H
#define GRSN_SMAC_H

#include <stdint.h>
#include "grsn.h"   // grsn_status, grsn_rng

#ifdef __cplusplus
extern "C" {
#endif

// ----------------------------------------------------------------------------
// Maps and configuration

// The maps: 3m (a smoke map), 8m, 2s3z, 8m_vs_9m, 3s_vs_5z, 27m_vs_30m, MMM2.
int         grsn_smac_map_count(void);
const char *grsn_smac_map_name(int i);

// Unit data (spec §10): the Wings-of-Liberty values SMAC runs, or the
// Legacy-of-the-Void multiplayer values (stalker 13 (+5) at 1.87 s, Medivac
// speed 2.5, larger scan ranges) for comparisons with SMAClite and SMAX.
typedef enum { GRSN_SMAC_UNITS_LIBERTY = 0, GRSN_SMAC_UNITS_LOTV = 1 } grsn_smac_unit_table;

typedef struct {
    const char *map;            // one of grsn_smac_map_name(i)
    int n_envs;                 // environments in this handle, >= 1
    uint64_t seed;              // environment i draws from stream (seed, stream_base + i)
    uint64_t stream_base;       // GRSN_STREAM_ENV (training) or GRSN_STREAM_EVAL_ENV
    // SMAC environment options (§2); the defaults are SMAC's and PyMARL's.
    int state_last_action;      // 1: the state ends with every agent's last action (EPyMARL: 0)
    int state_timestep_number;  // 0
    int obs_last_action;        // 0: never set this for PyMARL, which appends it itself
    int obs_timestep_number;    // 0
    int obs_own_cooldown;       // 0: 1 adds the agent's own weapon cooldown to its own features
                                // (as the state has it: cooldown/max_cd, energy/200 for a Medivac).
                                // Not SMAC's observation (SMAX's has it); a diagnostic
    int obs_instead_of_state;   // 0: 1 makes the state the concatenation of all observations
    int reward_only_positive;   // 1
    int reward_sparse;          // 0
    // Simulator switches (§13.3).
    grsn_smac_unit_table units; // GRSN_SMAC_UNITS_LIBERTY
    int shuffle_update_order;   // 0: units act in a fixed order each loop; 1: shuffled per loop
    int weapon_delay;           // 1: each shot adds U(-1, +2) loops to the weapon period
    int projectiles;            // 1: damage points, missile flight and the zealot's delayed 2nd hit
    int min_damage;             // 1: a hit that reaches health does at least 0.5 damage
    int push_first;             // 0: units fire from where they moved, then overlaps are pushed
                                // apart; 1: pushed apart first, as grsn did before the fix of
                                // session 15 (crowded melee units can stall just out of reach)
    // Enemy id order (§5.3; SMAC's is undocumented). NULL: the order in which
    // the map script creates the units. Otherwise a permutation [n_enemies]:
    // enemy id k is the unit created enemy_order[k]-th. Copied at create.
    const int32_t *enemy_order;
} grsn_smac_config;

// Fill *c with the defaults above for one environment of `map`.
void grsn_smac_config_default(grsn_smac_config *c, const char *map);

// Sizes of one environment (spec §3 table).
typedef struct {
    int n_agents, n_enemies, n_actions;   // n_actions = 6 + n_enemies
    int obs_dim, state_dim;
    int episode_limit;
    int unit_type_bits;
    double max_reward;                     // n_enemies*10 + 200 + sum of enemy health+shield
    double reward_divisor;                 // max_reward / 20: every step's reward is divided by it
} grsn_smac_dims;

// Sizes of a map under a configuration (cfg NULL: the defaults). Unknown map
// -> GRSN_ERR_ARG with a message listing the maps.
grsn_status grsn_smac_map_dims(const char *map, const grsn_smac_config *cfg, grsn_smac_dims *out);

// ----------------------------------------------------------------------------
// Environments

typedef struct grsn_smac grsn_smac;     // opaque

grsn_status    grsn_smac_create(grsn_smac **out, const grsn_smac_config *cfg);
void           grsn_smac_free(grsn_smac *s);
grsn_smac_dims grsn_smac_get_dims(const grsn_smac *s);
int            grsn_smac_n_envs(const grsn_smac *s);

// Per-step outcome of one environment (SMAC's info dict, §8).
typedef struct {
    int32_t battle_won;     // the battle ended in a win this step
    int32_t battle_lost;    // ... in a loss (MMM: only Medivacs left, or a simultaneous wipe)
    int32_t draw;           // ... with both sides dead (non-MMM maps)
    int32_t timeout;        // the episode reached its limit undecided (terminal, not won)
    int32_t dead_allies, dead_enemies;
    int32_t episode_steps;  // agent steps taken in this episode
} grsn_smac_info;

// Output buffers. In the batch calls every pointer addresses n_envs
// consecutive rows; in the _env calls one row (no env index). NULL skips.
typedef struct {
    float          *obs;         // [n_envs][n_agents][obs_dim]
    float          *state;       // [n_envs][state_dim]
    uint8_t        *avail;       // [n_envs][n_agents][n_actions], 0/1
    float          *reward;      // [n_envs]          (reset writes 0)
    uint8_t        *terminated;  // [n_envs], 0/1     (reset writes 0)
    grsn_smac_info *info;        // [n_envs]          (reset clears it)
    uint8_t        *snapshot;    // [n_envs][grsn_smac_snapshot_bytes()]: see "Snapshots" below
} grsn_smac_out;

// Start a new episode in environment `env` (or in all of them) and write the
// first observation, state and masks. Episodes continue the environment's
// random stream, so the k-th episode after create is reproducible.
grsn_status grsn_smac_reset_env(grsn_smac *s, int env, const grsn_smac_out *out);
grsn_status grsn_smac_reset(grsn_smac *s, const grsn_smac_out *out);

// One agent step (8 game loops) of environment `env` with actions[n_agents].
// An action the current mask forbids -> GRSN_ERR_ACTION naming the
// environment, agent and action; the environment is then left unchanged.
// Stepping a terminated episode -> GRSN_ERR_ARG (reset it first).
grsn_status grsn_smac_step_env(grsn_smac *s, int env, const int32_t *actions, const grsn_smac_out *out);

// One agent step of every environment whose episode is still running, with
// actions[n_envs][n_agents]. Terminated environments are skipped: their
// actions are not read and their rows are not written. All actions are
// checked before any environment moves, so an error leaves every environment
// unchanged. Runs the environments in parallel (OpenMP, grsn_threads());
// results are identical for any thread count.
grsn_status grsn_smac_step(grsn_smac *s, const int32_t *actions, const grsn_smac_out *out);

// Whether environment `env`'s current episode has ended.
int grsn_smac_terminated(const grsn_smac *s, int env);

// The random stream of environment `env` (NULL if out of range). It is all
// an environment carries from one episode to the next (a reset rebuilds
// everything else), so between episodes a copy of it saves the environment,
// and setting it back continues its episodes exactly where they were.
grsn_rng *grsn_smac_rng(grsn_smac *s, int env);

// ----------------------------------------------------------------------------
// Snapshots: an environment's situation in a few bytes
//
// A snapshot is everything the observations, the state and the masks are
// computed from: each unit's position, health, shield and alive flag, the
// agents' cooldowns, energy and last actions, and the step count. It takes
// grsn_smac_snapshot_bytes() bytes: 2,344 on 27m_vs_30m, where the
// observations, state and masks it stands for take 36,432. A replay buffer
// that stores snapshots (QMIX's episode buffer does) rebuilds those with
// grsn_smac_observe, bit for bit as the environment wrote them.

size_t grsn_smac_snapshot_bytes(const grsn_smac *s);

// GRSN_OK if `snapshot` is a situation of s's map: positions on the map,
// finite values, alive flags 0/1, last actions and step count in range;
// GRSN_ERR_FORMAT saying what is wrong otherwise (a corrupt file).
grsn_status grsn_smac_snapshot_check(const grsn_smac *s, const uint8_t *snapshot);

// Write the observations [n_agents][obs_dim], the state [state_dim] and the
// masks [n_agents][n_actions] of a snapshot taken by any handle of the same
// map and configuration (each output may be NULL). Reads nothing of s's
// environments, so it may run on several threads at once. The snapshot is
// checked first (grsn_smac_snapshot_check).
grsn_status grsn_smac_observe(const grsn_smac *s, const uint8_t *snapshot, float *obs, float *state,
                              uint8_t *avail);

// ----------------------------------------------------------------------------
// Inspection (replays, viewers, tests)

typedef enum {
    GRSN_SMAC_MARINE = 0, GRSN_SMAC_MARAUDER, GRSN_SMAC_MEDIVAC, GRSN_SMAC_STALKER, GRSN_SMAC_ZEALOT,
    GRSN_SMAC_KIND_COUNT
} grsn_smac_kind;
const char *grsn_smac_kind_name(int kind);

typedef struct {
    float x, y;               // position (map units; the map is 32 x 32)
    float health, shield, energy;
    float health_max, shield_max;
    float radius;
    float cooldown;           // game loops until the weapon is ready (>= 0)
    int32_t team;             // 0 ally (agent), 1 enemy
    int32_t index;            // agent id or enemy id within its team
    int32_t kind;             // grsn_smac_kind
    int32_t alive;
    int32_t action;           // allies: the last action taken (SMAC index); enemies: -1
    int32_t target;           // unit being attacked or healed (index into the unit array), -1 none
} grsn_smac_unit;

// All units of environment `env`: agents 0..n_agents-1, then enemies.
// `out` has room for n_agents + n_enemies records.
grsn_status grsn_smac_get_units(const grsn_smac *s, int env, grsn_smac_unit *out);

// Whether the integer map cell (cx, cy) is pathable for ground units (§9).
int grsn_smac_pathable(const grsn_smac *s, int cx, int cy);

// ----------------------------------------------------------------------------
// Reference policies (for baselines, tests and the CLI)

// Uniformly random available action per agent, from the caller's stream
// (never the environment's). avail is one environment's [n_agents][n_actions].
// GRSN_ERR_ARG for an agent whose row has no available action (SMAC always
// offers a living agent an action and a dead one no-op).
grsn_status grsn_smac_policy_random(const uint8_t *avail, int n_agents, int n_actions,
                             grsn_rng *rng, int32_t *actions);

// Focus fire: the team picks, among enemies within reach (6) of some agent,
// the one the most agents can reach (ties: least health + shield); agents
// that can reach it attack it, the others attack their own weakest enemy in
// reach. Before contact the agents form a line across the band, so that all
// of them come into range together; after contact an agent with nothing in
// reach walks toward the nearest enemy. A Medivac heals the most damaged ally
// in reach, else follows its army. Reads the true state of environment `env`.
grsn_status grsn_smac_policy_heuristic(const grsn_smac *s, int env, int32_t *actions);

// Focus fire with kiting: the heuristic above, except that an agent steps
// away from enemies that can hit it but reach less far than it does (zealots,
// for stalkers): always when one is nearer than 2.5, and while its weapon
// cools down when one is nearer than 4. It wins 3s_vs_5z, which focus fire
// alone never does.
grsn_status grsn_smac_policy_kite(const grsn_smac *s, int env, int32_t *actions);

#ifdef __cplusplus
}
#endif

#endif // GRSN_SMAC_H
