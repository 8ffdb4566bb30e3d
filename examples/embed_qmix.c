/*
 * embed_qmix.c — trained QMIX agents acting inside your own program.
 *
 * QMIX trains centrally and acts decentrally: the mixer and the global state
 * are for training only, and each agent decides from what it sees. To run
 * the agents of a checkpoint in a world of your own:
 *
 *   1. load the checkpoint (grsn_qmix_ckpt_load): the learner comes back with
 *      the agent network it was trained with;
 *   2. allocate, once, what an episode carries per agent: its core state
 *      (grsn_qmix_agent_state_size floats) and its previous action;
 *   3. at every step hand grsn_qmix_act each agent's observation and action
 *      mask; it returns each agent's greedy available action, one neuron
 *      update per decision under TAP. At the start of an episode zero the
 *      states and set the previous actions to -1.
 *      Or, where each agent runs on its own (its own thread, process or
 *      chip), let each call grsn_qmix_act_agent with its id, its own state
 *      and what it sees (MODE each below): the same decisions, bit for bit.
 *
 * Acting allocates nothing. Here the world is grsn's SMAC-compatible
 * simulator with the learner's settings (grsn_qmix_smac_config), on the
 * stream `grsn smac play MAP --checkpoint FILE --seed S` plays on, so the
 * episodes printed are that command's, line for line (tests/cli_train_qmix.sh
 * checks it). In your program the observations and masks come from your
 * world, laid out as SMAC's (grsn smac info MAP), and the actions go back to it:
 * the lines marked "your world" below.
 *
 *   make
 *   ./build/examples/embed_qmix runs/smac_8m/final.grsn [EPISODES] [SEED] [team|each]
 *
 * Self-contained, to be copied into your program whole (so the two examples
 * repeat their few lines of argument handling). It includes the public
 * header only, as a program built against an installed grsn does.
 */
#include <grsn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "embed_qmix: %s\n", what);
    return 1;
}

// A whole number in [lo, hi] from argv, or -1.
static long whole(const char *s, long lo, long hi) {
    char *end;
    long v = strtol(s, &end, 10);
    return (*s && !*end && v >= lo && v <= hi) ? v : -1;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: embed_qmix CHECKPOINT [EPISODES (10)] [SEED (0)] [MODE: team|each (team)]\n");
        return 2;
    }
    long episodes = argc > 2 ? whole(argv[2], 1, 1000000) : 10;
    long seed = argc > 3 ? whole(argv[3], 0, 2147483647) : 0;
    int each = argc > 4 && strcmp(argv[4], "each") == 0;
    if (episodes < 0 || seed < 0 || (argc > 4 && !each && strcmp(argv[4], "team") != 0)) {
        fprintf(stderr, "embed_qmix: EPISODES must lie in 1..1000000, SEED in 0..2147483647 and MODE be team or each\n");
        return 2;
    }

    // 1. The agents, rebuilt from their checkpoint.
    GrsnQmix *q;
    GrsnQmixCkptInfo info;
    if (grsn_qmix_ckpt_load(argv[1], 1, (uint64_t)seed, &q, &info) != GRSN_OK) return fail(grsn_last_error());
    const GrsnQmixConfig *c = grsn_qmix_config(q);
    grsn_smac_dims d = grsn_qmix_dims(q);
    int n = d.n_agents, A = d.n_actions, spiking = c->net != GRSN_NET_GRU;
    printf("%s: smac:%s, %d agents, %s core of %d neurons\n", argv[1], c->map, n, grsn_net_name(c->net), c->hidden);

    // The world: here the simulator the agents were trained in, one environment.
    grsn_smac_config sc;
    grsn_qmix_smac_config(c, &sc, (uint64_t)seed, GRSN_STREAM_EVAL_ENV);
    sc.n_envs = 1;
    grsn_smac *world;
    if (grsn_smac_create(&world, &sc) != GRSN_OK) {
        grsn_qmix_free(q);
        return fail(grsn_last_error());
    }

    // 2. What an episode carries, allocated once (agent a's own state, in
    //    MODE each, is the S floats at state + a S); and the world's outputs.
    size_t S = (size_t)grsn_qmix_agent_state_size(q);
    float *state = malloc((size_t)n * S * sizeof(float));
    float *obs = malloc((size_t)n * d.obs_dim * sizeof(float));
    uint8_t *avail = malloc((size_t)n * A);
    int32_t *last = malloc((size_t)n * sizeof(int32_t)), *actions = malloc((size_t)n * sizeof(int32_t));
    long long *spikes = malloc((size_t)n * sizeof(long long));
    float reward;
    uint8_t done;
    grsn_smac_info end;
    grsn_smac_out out = {obs, NULL, avail, &reward, &done, &end, NULL};   // no global state: acting needs none
    int rc = 0;
    if (!state || !obs || !avail || !last || !actions || !spikes) rc = fail("out of memory");
    double all_spikes = 0, decisions = 0;

    // 3. Episodes: per step one grsn_qmix_act for the whole team, or (MODE
    //    each) one grsn_qmix_act_agent per agent.
    for (long e = 0; e < episodes && rc == 0; e++) {
        if (grsn_smac_reset(world, &out) != GRSN_OK) { rc = fail(grsn_last_error()); break; }   // your world
        memset(state, 0, (size_t)n * S * sizeof(float));
        for (int a = 0; a < n; a++) last[a] = -1;
        double ret = 0.0;
        long steps = 0, fired = 0;
        do {
            int ok = 1;
            if (each)
                for (int a = 0; a < n && ok; a++)
                    ok = grsn_qmix_act_agent(q, a, state + a * S, obs + (size_t)a * d.obs_dim, avail + (size_t)a * A,
                                             last[a], &actions[a], &spikes[a]) == GRSN_OK;
            else
                ok = grsn_qmix_act(q, state, obs, avail, last, actions, spikes) == GRSN_OK;
            if (!ok || grsn_smac_step(world, actions, &out) != GRSN_OK) {                        // your world
                rc = fail(grsn_last_error());
                break;
            }
            for (int a = 0; a < n; a++) fired += spikes[a];
            memcpy(last, actions, (size_t)n * sizeof(int32_t));
            ret += reward;
            steps++;
        } while (!done);
        if (rc) break;
        all_spikes += (double)fired;
        decisions += (double)(steps * n);
        printf("episode %ld: %s, return %.4f, length %ld, dead allies %d, dead enemies %d", e,
               end.battle_won ? "won" : end.battle_lost ? "lost" : end.draw ? "draw" : "timeout", ret, steps,
               end.dead_allies, end.dead_enemies);
        if (spiking)
            printf(" (%.2f spikes per agent decision, core of %d neurons)", (double)fired / (double)(steps * n),
                   c->hidden);
        printf("\n");
    }
    if (rc == 0 && spiking)   // as `grsn smac play --checkpoint` reports it
        printf("firing rate %.4f (spikes per neuron and substep, over %.0f decisions)\n",
               all_spikes / (decisions * c->hidden * c->cell.substeps), decisions);
    free(spikes);
    free(actions);
    free(last);
    free(avail);
    free(obs);
    free(state);
    grsn_smac_free(world);
    grsn_qmix_free(q);
    return rc;
}
