/*
 * bench_qmix.c — `grsn bench qmix`: QMIX training throughput on the SMAC
 * simulator (reference-implementation.md §9): env-steps/s of epsilon-greedy
 * rollouts, updates/s on batches of stored episodes, and env-steps/s and
 * updates/s of the pymarl2 loop (one rollout of n_envs episodes, then one
 * update). With --curve S it instead trains for S seconds and prints the
 * greedy test win rate over time (the time-to-win-rate figure of issue 5).
 */
#include "../cli/cli.h"
#include <stdlib.h>
#include <string.h>
#include "rundir.h"   // grsn_now_s

static const char *CMD = "bench qmix";

// Train for `seconds` of wall time, testing every `test_every` env steps.
static void curve(GrsnQmix *q, double seconds, long test_every, int test_episodes) {
    printf("%8s %9s %8s %7s %6s %8s %9s %8s %8s %7s %8s\n", "wall_s", "env_steps", "episodes", "updates",
           "eps", "loss", "train_win", "test_win", "test_ret", "fire", "steps/s");
    GrsnQmixCounters *c = grsn_qmix_counters(q);
    double t0 = grsn_now_s(), last_t = t0;
    long next_test = 0, last_steps = 0;
    int wins = 0, eps_played = 0;
    GrsnQmixStats s = {0};
    for (;;) {
        if (c->env_steps >= next_test) {
            GrsnQmixTest t;
            cli_check(CMD, grsn_qmix_test(q, test_episodes, &t));
            double now = grsn_now_s();
            printf("%8.1f %9ld %8ld %7ld %6.3f %8.4f %9.3f %8.3f %8.2f %7.4f %8.0f\n", now - t0, c->env_steps,
                   c->episodes, c->updates, grsn_qmix_epsilon(q), s.loss,
                   eps_played ? (double)wins / eps_played : 0.0, t.win_rate, t.return_mean, t.firing_rate,
                   (c->env_steps - last_steps) / (now - last_t + 1e-9));
            fflush(stdout);
            wins = eps_played = 0; last_t = now; last_steps = c->env_steps;
            next_test += test_every;
            if (now - t0 >= seconds) break;
        }
        GrsnQmixRollout r;
        cli_check(CMD, grsn_qmix_rollout(q, &r));
        wins += r.wins; eps_played += r.episodes;
        if (grsn_qmix_can_update(q)) cli_check(CMD, grsn_qmix_update(q, &s));
    }
}

int bench_qmix(int argc, char **argv) {
    const char *map, *net_name;
    int envs, batch, threads, seed, substeps, test_episodes, buffer, eps_anneal;
    double seconds, curve_s, test_every;
    ArgSpec specs[] = {
        {"map", ARG_STR, &map, "8m", "SMAC map", NULL},
        {"net", ARG_STR, &net_name, "grsn", "recurrent core (" GRSN_QMIX_NET_NAMES ")", NULL},
        {"envs", ARG_INT, &envs, "8", "parallel environments", NULL},
        {"batch", ARG_INT, &batch, "128", "episodes per update", NULL},
        {"buffer", ARG_INT, &buffer, "5000", "episodes in the buffer", NULL},
        {"eps-anneal", ARG_INT, &eps_anneal, "100000", "env steps over which epsilon falls from 1 to 0.05", NULL},
        {"substeps", ARG_INT, &substeps, "1", "spiking substeps per decision (1 = TAP; 4 = w/o TAP)", NULL},
        {"seconds", ARG_FLOAT, &seconds, "10", "seconds per measurement", NULL},
        {"curve", ARG_FLOAT, &curve_s, "0", "instead: train this many seconds and print the test win rate", NULL},
        {"test-every", ARG_FLOAT, &test_every, "10000", "--curve: env steps between tests", NULL},
        {"test-episodes", ARG_INT, &test_episodes, "32", "--curve: greedy episodes per test", NULL},
        {"seed", ARG_INT, &seed, "0", "random seed", NULL},
        {"threads", ARG_INT, &threads, "0", "threads (0: all cores)", NULL},
    };
    args_parse(CMD, "bench qmix [flags]", specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, NULL, 0);
    grsn_set_threads(threads);
    grsn_net net;
    if (grsn_qmix_net_from_name(net_name, &net) != GRSN_OK) cli_usage_error(CMD, "%s", grsn_last_error());
    GrsnQmixConfig cfg = grsn_qmix_defaults(map, net);
    cfg.n_envs = envs; cfg.batch = batch; cfg.buffer = buffer;
    cfg.cell.substeps = substeps;
    cfg.eps_anneal = eps_anneal;
    GrsnQmix *q;
    grsn_status st = grsn_qmix_create(&q, &cfg, (uint64_t)seed);
    if (st == GRSN_ERR_ARG) cli_usage_error(CMD, "%s", grsn_last_error());
    cli_check(CMD, st);
    grsn_smac_dims d = grsn_qmix_dims(q);
    printf("grsn bench qmix: map %s (%d agents, %d actions, obs %d, state %d), net %s, substeps %d, "
           "envs %d, batch %d, threads %d (idle: %s)\n", map, d.n_agents, d.n_actions, d.obs_dim, d.state_dim,
           net_name, substeps, envs, batch, grsn_threads(), cli_omp_wait());
    if (curve_s > 0) {
        curve(q, curve_s, (long)test_every, test_episodes);
        grsn_qmix_free(q);
        return 0;
    }

    // Fill the buffer with one batch of episodes (epsilon 1 at the start: random play).
    GrsnQmixRollout r;
    while (!grsn_qmix_can_update(q)) cli_check(CMD, grsn_qmix_rollout(q, &r));

    // 1. Rollouts alone.
    GrsnQmixCounters *c = grsn_qmix_counters(q);
    long s0 = c->env_steps, e0 = c->episodes;
    double t0 = grsn_now_s(), el;
    do { cli_check(CMD, grsn_qmix_rollout(q, &r)); el = grsn_now_s() - t0; } while (el < seconds);
    printf("rollout      %9.0f env-steps/s  (%ld episodes, mean length %.1f, epsilon %.2f)\n",
           (c->env_steps - s0) / el, c->episodes - e0, (double)(c->env_steps - s0) / (c->episodes - e0), r.epsilon);

    // 2. Updates alone, after one untimed update: the first touches the
    // learner's scratch memory (sized for batch x episode limit x agents
    // rows: 625k rows on 27m_vs_30m) for the first time, and its page faults
    // took most of a 10-second measurement there.
    GrsnQmixStats s;
    cli_check(CMD, grsn_qmix_update(q, &s));
    int n = 0;
    double steps = 0;
    t0 = grsn_now_s();
    do { cli_check(CMD, grsn_qmix_update(q, &s)); n++; steps += s.steps; el = grsn_now_s() - t0; } while (el < seconds);
    printf("update       %9.2f updates/s    (%.0f ms each, batch %d x %.1f steps, loss %.4g)\n",
           n / el, 1e3 * el / n, batch, steps / n, s.loss);

    // 3. The training loop: one rollout of n_envs episodes, then one update.
    s0 = c->env_steps; n = 0;
    t0 = grsn_now_s();
    do {
        cli_check(CMD, grsn_qmix_rollout(q, &r));
        cli_check(CMD, grsn_qmix_update(q, &s));
        n++; el = grsn_now_s() - t0;
    } while (el < seconds);
    printf("training     %9.0f env-steps/s  %.2f updates/s\n", (c->env_steps - s0) / el, n / el);
    grsn_qmix_free(q);
    return 0;
}
