/*
 * maps.h — the SMAC map table (spec smac-simulator.md §3, §9): armies,
 * map types, one-hot widths, shield bits, episode limits, terrain and spawn
 * geometry, plus the per-map unit-type encoding of §5.2.
 *
 * Every map is 32 x 32. Allies spawn around (9, 16), enemies around (23, 16),
 * and the enemy attack-moves to (9, 16) (§9). The pathable area is the band
 * y in [8, 24) on the marine, stalker/zealot and MMM maps, and the open
 * interior [3, 29)^2 on 3s_vs_5z (SMAClite's presets, §9).
 */
#ifndef GRSN_SMAC_MAPS_H
#define GRSN_SMAC_MAPS_H

#include "grsn.h"

// SMAC's map_type (§3), which selects the unit-type encoding (§5.2).
typedef enum {
    SMAC_MAP_MARINES, SMAC_MAP_STALKERS_AND_ZEALOTS, SMAC_MAP_STALKERS, SMAC_MAP_MMM,
} SmacMapType;

typedef enum { SMAC_TERRAIN_BAND, SMAC_TERRAIN_OPEN } SmacTerrain;

#define SMAC_MAX_GROUPS 3

typedef struct { int kind; int count; } SmacGroup;   // kind: grsn_smac_kind

typedef struct {
    const char *name;
    int n_agents, n_enemies;
    SmacMapType map_type;
    int unit_type_bits;
    int shield_bits_ally, shield_bits_enemy;
    int episode_limit;
    // Armies in the order the map script creates them (§5.3: this fixes the
    // enemy index order; allies are re-sorted by (type, x, y) at reset).
    SmacGroup allies[SMAC_MAX_GROUPS], enemies[SMAC_MAX_GROUPS];
    SmacTerrain terrain;
    double max_distance_x, max_distance_y;   // playable-area extent (§6; [unverified] in SC2)
} SmacMap;

// Geometry shared by all maps (§9, §6).
#define SMAC_MAP_X 32
#define SMAC_MAP_Y 32
#define SMAC_ALLY_SPAWN_X 9.0
#define SMAC_ALLY_SPAWN_Y 16.0

// The map called `name`, or NULL.
const SmacMap *smac_find_map(const char *name);
// "3m, 8m, 2s3z, ..." (every map of the table) for error messages.
void smac_map_list(char *out, size_t cap);

// Whether the integer cell (cx, cy) is inside the map and pathable (§9).
static inline int smac_cell_pathable(const SmacMap *m, int cx, int cy) {
    if (cx < 0 || cy < 0 || cx >= SMAC_MAP_X || cy >= SMAC_MAP_Y) return 0;
    if (m->terrain == SMAC_TERRAIN_BAND) return cy >= 8 && cy < 24;
    return cx >= 3 && cx < 29 && cy >= 3 && cy < 29;
}

// Unit-type one-hot index of a unit (§5.2), or -1 on maps without type bits.
// team 0 = ally, 1 = enemy. On stalker/zealot maps the enemy encoding is the
// reverse of the ally one (pitfall 5).
int smac_type_id(const SmacMap *m, int team, int kind);

#endif
