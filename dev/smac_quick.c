// smac_quick.c — dev check: random vs heuristic statistics on every map.
#include "grsn.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    int episodes = argc > 1 ? atoi(argv[1]) : 50;
    for (int m = 0; m < grsn_smac_map_count(); m++) {
        const char *name = grsn_smac_map_name(m);
        for (int pol = 0; pol < 2; pol++) {
            grsn_smac_config c; grsn_smac_config_default(&c, name);
            grsn_smac *s; if (grsn_smac_create(&s, &c)) { printf("%s\n", grsn_last_error()); return 1; }
            grsn_smac_dims d = grsn_smac_get_dims(s);
            float *obs = malloc(sizeof(float) * d.n_agents * d.obs_dim), *st = malloc(sizeof(float) * d.state_dim);
            uint8_t *av = malloc(d.n_agents * d.n_actions); int32_t act[64];
            float r; uint8_t term; grsn_smac_info info;
            grsn_smac_out o = {obs, st, av, &r, &term, &info};
            grsn_rng rng; grsn_rng_seed(&rng, 1, GRSN_STREAM_EXPLORE);
            int wins = 0, len = 0, to = 0; double ret = 0;
            for (int ep = 0; ep < episodes; ep++) {
                grsn_smac_reset_env(s, 0, &o);
                do {
                    if (pol == 0) grsn_smac_policy_random(av, d.n_agents, d.n_actions, &rng, act);
                    else grsn_smac_policy_heuristic(s, 0, act);
                    if (grsn_smac_step_env(s, 0, act, &o)) { printf("%s\n", grsn_last_error()); return 1; }
                    ret += r; len++;
                } while (!term);
                wins += info.battle_won; to += info.timeout;
            }
            printf("%-11s %-9s obs %3d state %4d act %2d  win %5.1f%%  return %6.2f  len %6.1f  timeouts %d\n",
                   name, pol ? "heuristic" : "random", d.obs_dim, d.state_dim, d.n_actions,
                   100.0 * wins / episodes, ret / episodes, (double)len / episodes, to);
            free(obs); free(st); free(av); grsn_smac_free(s);
        }
    }
    return 0;
}
