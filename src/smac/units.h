/*
 * units.h — unit data of the SMAC simulator (spec smac-simulator.md §10).
 *
 * One SmacUnitStats record per unit kind, in engine units: lengths in SC2
 * distance units, times in game loops (16 loops = 1 game second, §11.1) and
 * speeds in distance per loop. Two tables exist: Wings of Liberty, which is
 * what SMAC's maps run (§1.1, §10.1), and LotV multiplayer (§10.2). The SMAC
 * normalisers that the observation and state use (max shield, max cooldown,
 * §5.1 and §6) live here too, because they are per-kind constants.
 */
#ifndef GRSN_SMAC_UNITS_H
#define GRSN_SMAC_UNITS_H

#include "grsn.h"

#define SMAC_LOOPS_PER_SECOND 16.0

typedef struct {
    const char *name;
    // --- vitals
    double health, shield, armor;
    int armored;            // attribute Armored (bonus damage applies)
    int air;                // flying: ignores pathing, no collision with ground units
    // --- weapon (damage == 0: no weapon)
    double damage;          // per hit
    double bonus_armored;   // extra damage per hit vs Armored targets (§11.3: added before armor)
    int hits;               // hits per attack (zealot: 2)
    double hit_gap;         // loops between the hits of one attack (zealot: 0.28 s)
    double period;          // weapon period, loops (the random delay is added per shot, §11.2)
    double range;           // weapon range; the range test adds both radii (§11.2)
    double damage_point;    // loops from the start of the shot to its launch
    double missile_speed;   // distance per loop; 0 = instant
    int hits_ground, hits_air;
    double scan_range;      // MinScanRange for automatic target acquisition (§12)
    // --- healing (Medivac, §11.4)
    int healer;
    double heal_per_loop;   // 9 HP/s
    double heal_range;      // 4
    double energy_start, energy_max, energy_per_loop;
    double hp_per_energy;   // 3
    // --- movement
    double speed;           // distance per loop
    double accel;           // distance per loop per loop; 0: instant (ground units, accel 1000)
    double radius;
    // --- SMAC normalisers
    double obs_max_shield;  // unit_max_shield (§5.1)
    double max_cooldown;    // unit_max_cooldown (§6); energy maximum for the Medivac
} SmacUnitStats;

// Copy the table `table` (grsn_smac_unit_table) into out, indexed by
// grsn_smac_kind. Each simulator handle keeps its own copy.
void smac_unit_table(int table, SmacUnitStats out[GRSN_SMAC_KIND_COUNT]);

#endif
