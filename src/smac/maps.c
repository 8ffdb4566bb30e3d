/*
 * maps.c — the map table of spec §3 (smac_maps.py) and the unit-type
 * encoding of §5.2 (get_unit_type_id).
 */
#include "common.h"
#include "smac/maps.h"

#define G(kind, n) {GRSN_SMAC_##kind, n}
// The playable-area extent SMAC divides state positions by (§6). The real
// value could not be read without the game; 32 (SMAClite's) until corrected.
#define PLAYABLE 32.0, 32.0

static const SmacMap maps[] = {
    // name         agents enemies  map_type                       bits sh_al sh_en limit
    {"3m",          3,  3,  SMAC_MAP_MARINES,              0, 0, 0, 60,
     {G(MARINE, 3)}, {G(MARINE, 3)}, SMAC_TERRAIN_BAND, PLAYABLE},
    {"8m",          8,  8,  SMAC_MAP_MARINES,              0, 0, 0, 120,
     {G(MARINE, 8)}, {G(MARINE, 8)}, SMAC_TERRAIN_BAND, PLAYABLE},
    {"2s3z",        5,  5,  SMAC_MAP_STALKERS_AND_ZEALOTS, 2, 1, 1, 120,
     {G(STALKER, 2), G(ZEALOT, 3)}, {G(STALKER, 2), G(ZEALOT, 3)}, SMAC_TERRAIN_BAND, PLAYABLE},
    {"8m_vs_9m",    8,  9,  SMAC_MAP_MARINES,              0, 0, 0, 120,
     {G(MARINE, 8)}, {G(MARINE, 9)}, SMAC_TERRAIN_BAND, PLAYABLE},
    {"3s_vs_5z",    3,  5,  SMAC_MAP_STALKERS,             0, 1, 1, 250,
     {G(STALKER, 3)}, {G(ZEALOT, 5)}, SMAC_TERRAIN_OPEN, PLAYABLE},
    {"27m_vs_30m",  27, 30, SMAC_MAP_MARINES,              0, 0, 0, 180,
     {G(MARINE, 27)}, {G(MARINE, 30)}, SMAC_TERRAIN_BAND, PLAYABLE},
    {"MMM2",        10, 12, SMAC_MAP_MMM,                  3, 0, 0, 180,
     {G(MARINE, 7), G(MARAUDER, 2), G(MEDIVAC, 1)},
     {G(MARINE, 8), G(MARAUDER, 3), G(MEDIVAC, 1)}, SMAC_TERRAIN_BAND, PLAYABLE},
};
static const int nmaps = (int)(sizeof maps / sizeof maps[0]);

const SmacMap *smac_find_map(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < nmaps; i++)
        if (!strcmp(maps[i].name, name)) return &maps[i];
    return NULL;
}

void smac_map_list(char *out, size_t cap) {
    size_t off = 0;
    if (cap) out[0] = '\0';
    for (int i = 0; i < nmaps && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%s%s", i ? ", " : "", maps[i].name);
}

int smac_type_id(const SmacMap *m, int team, int kind) {
    switch (m->map_type) {
    case SMAC_MAP_STALKERS_AND_ZEALOTS:
        // Allies: stalker 0, zealot 1. Enemies: type - 73, so zealot (73) 0
        // and stalker (74) 1 — the reverse (§5.2, pitfall 5).
        if (team == 0) return kind == GRSN_SMAC_STALKER ? 0 : 1;
        return kind == GRSN_SMAC_ZEALOT ? 0 : 1;
    case SMAC_MAP_MMM:
        // Both sides: marauder 0, marine 1, medivac 2.
        return kind == GRSN_SMAC_MARAUDER ? 0 : kind == GRSN_SMAC_MARINE ? 1 : 2;
    default:
        return -1;
    }
}

int grsn_smac_map_count(void) { return nmaps; }
const char *grsn_smac_map_name(int i) { return i >= 0 && i < nmaps ? maps[i].name : NULL; }
