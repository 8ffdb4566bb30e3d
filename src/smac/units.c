/*
 * units.c — the unit tables of spec §10. Values are stated in the units the
 * spec gives (seconds, distance per second) and converted to loops by the
 * macros below, so each number can be checked against the spec by eye.
 */
#include "smac/units.h"

#define SEC(s)      ((s) * SMAC_LOOPS_PER_SECOND)   // seconds -> loops
#define PER_SEC(v)  ((v) / SMAC_LOOPS_PER_SECOND)   // per second -> per loop
#define ACCEL(a)    ((a) / (SMAC_LOOPS_PER_SECOND * SMAC_LOOPS_PER_SECOND))

// §10.1 Wings of Liberty (SMAC's data). Weapon-less units have damage 0.
static const SmacUnitStats liberty[GRSN_SMAC_KIND_COUNT] = {
    [GRSN_SMAC_MARINE] = {
        .name = "marine", .health = 45, .shield = 0, .armor = 0, .armored = 0, .air = 0,
        .damage = 6, .bonus_armored = 0, .hits = 1, .hit_gap = 0,
        .period = SEC(0.8608), .range = 5, .damage_point = SEC(0.05), .missile_speed = 0,
        .hits_ground = 1, .hits_air = 1, .scan_range = 5,
        .speed = PER_SEC(2.25), .accel = 0, .radius = 0.375,
        .obs_max_shield = 1, .max_cooldown = 15,
    },
    [GRSN_SMAC_MARAUDER] = {
        .name = "marauder", .health = 125, .shield = 0, .armor = 1, .armored = 1, .air = 0,
        .damage = 10, .bonus_armored = 10, .hits = 1, .hit_gap = 0,
        .period = SEC(1.5), .range = 6, .damage_point = 0, .missile_speed = PER_SEC(20),
        .hits_ground = 1, .hits_air = 0, .scan_range = 5,
        .speed = PER_SEC(2.25), .accel = 0, .radius = 0.5625,
        .obs_max_shield = 1, .max_cooldown = 25,
    },
    [GRSN_SMAC_MEDIVAC] = {
        .name = "medivac", .health = 150, .shield = 0, .armor = 1, .armored = 1, .air = 1,
        .damage = 0, .hits = 0, .scan_range = 6,
        .healer = 1, .heal_per_loop = PER_SEC(9), .heal_range = 4,
        .energy_start = 50, .energy_max = 200, .energy_per_loop = PER_SEC(0.5625), .hp_per_energy = 3,
        .speed = PER_SEC(2.75), .accel = ACCEL(2.3125), .radius = 0.75,
        .obs_max_shield = 1, .max_cooldown = 200,
    },
    [GRSN_SMAC_STALKER] = {
        .name = "stalker", .health = 80, .shield = 80, .armor = 1, .armored = 1, .air = 0,
        .damage = 10, .bonus_armored = 4, .hits = 1, .hit_gap = 0,
        .period = SEC(1.44), .range = 6, .damage_point = SEC(0.167), .missile_speed = PER_SEC(18.75),
        .hits_ground = 1, .hits_air = 1, .scan_range = 5,
        .speed = PER_SEC(2.9531), .accel = 0, .radius = 0.625,
        .obs_max_shield = 80, .max_cooldown = 35,
    },
    [GRSN_SMAC_ZEALOT] = {
        .name = "zealot", .health = 100, .shield = 50, .armor = 1, .armored = 0, .air = 0,
        .damage = 8, .bonus_armored = 0, .hits = 2, .hit_gap = SEC(0.28),
        .period = SEC(1.2), .range = 0.1, .damage_point = 0, .missile_speed = 0,
        .hits_ground = 1, .hits_air = 0, .scan_range = 5,
        .speed = PER_SEC(2.25), .accel = 0, .radius = 0.5,
        .obs_max_shield = 50, .max_cooldown = 22,
    },
};

// §10.2 LotV multiplayer: Liberty with these differences.
static void apply_lotv(SmacUnitStats *t) {
    t[GRSN_SMAC_STALKER].damage = 13;
    t[GRSN_SMAC_STALKER].bonus_armored = 5;
    t[GRSN_SMAC_STALKER].period = SEC(1.87);
    t[GRSN_SMAC_MEDIVAC].speed = PER_SEC(2.5);
    t[GRSN_SMAC_MEDIVAC].accel = ACCEL(2.25);
    t[GRSN_SMAC_MARINE].scan_range = 5.5;
    t[GRSN_SMAC_MARAUDER].scan_range = 6.5;
    t[GRSN_SMAC_STALKER].scan_range = 6.5;
}

void smac_unit_table(int table, SmacUnitStats out[GRSN_SMAC_KIND_COUNT]) {
    for (int k = 0; k < GRSN_SMAC_KIND_COUNT; k++) out[k] = liberty[k];
    if (table == GRSN_SMAC_UNITS_LOTV) apply_lotv(out);
}

const char *grsn_smac_kind_name(int kind) {
    return kind >= 0 && kind < GRSN_SMAC_KIND_COUNT ? liberty[kind].name : "unknown";
}
