/*
 * cmd_smac.c — `grsn smac info MAP`, `grsn smac play MAP ...` and
 * `grsn bench smac MAP`: the command-line face of the SMAC simulator
 * (include/grsn_smac.h).
 *
 *   info   sizes, layouts and armies of a map
 *   play   run episodes with the random, the focus-fire or the kiting policy,
 *          or with the trained agents of a QMIX checkpoint (--checkpoint);
 *          prints win rate, mean return, episode length and the dead of each
 *          side (and an agent's firing rate); --replay writes the
 *          first episode as JSON lines for tools/smac_replay.html; --actions plays
 *          scripted actions first (a forbidden one is an error naming the
 *          agent and the action)
 *   bench  env-steps/s with random valid actions, on one thread and on all
 *          threads (one simulator handle per thread, no sharing)
 */
#include "cli.h"
#include "io.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rundir.h"   // grsn_now_s

// ----------------------------------------------------------------------------
// Shared helpers

static grsn_smac_unit_table parse_units(const char *v) {
    return !strcmp(v, "lotv") ? GRSN_SMAC_UNITS_LOTV : GRSN_SMAC_UNITS_LIBERTY;
}

static const char *units_name(grsn_smac_unit_table u) { return u == GRSN_SMAC_UNITS_LOTV ? "lotv" : "liberty"; }

// Buffers for one environment.
typedef struct {
    float *obs, *state, reward;
    uint8_t *avail, terminated;
    grsn_smac_info info;
    int32_t *actions;
    grsn_smac_out out;
} OneEnv;

static void one_env_alloc(OneEnv *b, const grsn_smac_dims *d) {
    b->obs = calloc((size_t)d->n_agents * d->obs_dim, sizeof(float));
    b->state = calloc((size_t)d->state_dim, sizeof(float));
    b->avail = calloc((size_t)d->n_agents * d->n_actions, 1);
    b->actions = calloc((size_t)d->n_agents, sizeof(int32_t));
    if (!b->obs || !b->state || !b->avail || !b->actions) cli_fail("smac", "out of memory");
    b->out = (grsn_smac_out){b->obs, b->state, b->avail, &b->reward, &b->terminated, &b->info, NULL};
}

static void one_env_free(OneEnv *b) { free(b->obs); free(b->state); free(b->avail); free(b->actions); }

// ----------------------------------------------------------------------------
// info

static int smac_info(int argc, char **argv) {
    const char *units = "liberty";
    int sla = 1;
    ArgSpec specs[] = {
        {"units", ARG_CHOICE, &units, "liberty", "unit data", "liberty|lotv"},
        {"state-last-action", ARG_BOOL, &sla, "1", "state ends with the agents' last actions", NULL},
    };
    char *pos[1];
    int npos = args_parse("smac info", "smac info MAP [flags]", specs, 2, argc, argv, pos, 1);
    if (npos != 1) cli_usage_error("smac info", "expected one MAP; the maps are: 3m, 8m, 2s3z, 8m_vs_9m, "
                                   "3s_vs_5z, 27m_vs_30m, MMM2");
    grsn_smac_config c;
    grsn_smac_config_default(&c, pos[0]);
    c.units = parse_units(units);
    c.state_last_action = sla;
    grsn_smac *s;
    cli_check("smac info", grsn_smac_create(&s, &c));
    grsn_smac_dims d = grsn_smac_get_dims(s);
    cli_check("smac info", grsn_smac_reset_env(s, 0, NULL));
    grsn_smac_unit u[128];
    cli_check("smac info", grsn_smac_get_units(s, 0, u));

    printf("map           %s (unit data: %s)\n", pos[0], units);
    printf("agents        %d\nenemies       %d\nactions       %d (no-op, stop, N, S, E, W, %s 0..%d)\n",
           d.n_agents, d.n_enemies, d.n_actions,
           "attack/heal", d.n_enemies - 1);
    printf("obs_dim       %d\nstate_dim     %d (state_last_action=%d)\n", d.obs_dim, d.state_dim, sla);
    printf("pymarl input  %d (obs + n_actions + n_agents)\n", d.obs_dim + d.n_actions + d.n_agents);
    printf("episode_limit %d\nmax_reward    %g (per-step divisor %g)\n", d.episode_limit, d.max_reward,
           d.reward_divisor);
    printf("unit_type_bits %d\n", d.unit_type_bits);
    // What one step costs a replay buffer: the snapshot QMIX stores, or the
    // observations, state and masks it stands for.
    printf("step bytes    %zu as a snapshot (%zu as observations, state and masks)\n", grsn_smac_snapshot_bytes(s),
           sizeof(float) * ((size_t)d.n_agents * d.obs_dim + d.state_dim) + (size_t)d.n_agents * d.n_actions);
    for (int team = 0; team < 2; team++) {
        printf("%s:\n", team ? "enemies" : "agents");
        for (int i = 0; i < d.n_agents + d.n_enemies; i++) {
            if (u[i].team != team) continue;
            printf("  %2d %-8s at (%6.3f, %6.3f)  health %3g  shield %3g  radius %g\n", u[i].index,
                   grsn_smac_kind_name(u[i].kind), u[i].x, u[i].y, u[i].health_max, u[i].shield_max, u[i].radius);
        }
    }
    grsn_smac_free(s);
    return 0;
}

// ----------------------------------------------------------------------------
// Replay: one JSON object per line. A header line, then one line per state:
// the reset state (t = 0) and the state after each step, with each unit's
// position, health, shield, energy, last action and target.

static void replay_header(FILE *f, const grsn_smac *s, const char *map) {
    grsn_smac_dims d = grsn_smac_get_dims(s);
    grsn_smac_unit u[128];
    grsn_smac_get_units(s, 0, u);
    fprintf(f, "{\"type\":\"header\",\"map\":\"%s\",\"map_x\":32,\"map_y\":32,\"n_agents\":%d,\"n_enemies\":%d,"
               "\"n_actions\":%d,\"episode_limit\":%d,\"pathable\":[", map, d.n_agents, d.n_enemies, d.n_actions,
            d.episode_limit);
    for (int y = 0; y < 32; y++) {
        fprintf(f, "%s\"", y ? "," : "");
        for (int x = 0; x < 32; x++) fputc(grsn_smac_pathable(s, x, y) ? '1' : '0', f);
        fputc('"', f);
    }
    fprintf(f, "],\"units\":[");
    for (int i = 0; i < d.n_agents + d.n_enemies; i++)
        fprintf(f, "%s{\"id\":%d,\"team\":%d,\"index\":%d,\"kind\":\"%s\",\"radius\":%g,\"health_max\":%g,"
                   "\"shield_max\":%g}", i ? "," : "", i, u[i].team, u[i].index, grsn_smac_kind_name(u[i].kind),
                u[i].radius, u[i].health_max, u[i].shield_max);
    fprintf(f, "]}\n");
}

static void replay_step(FILE *f, const grsn_smac *s, int t, double reward, int terminated,
                        const grsn_smac_info *info) {
    grsn_smac_dims d = grsn_smac_get_dims(s);
    grsn_smac_unit u[128];
    grsn_smac_get_units(s, 0, u);
    const char *result = !terminated ? "running" : info->battle_won ? "won" : info->battle_lost ? "lost"
                       : info->draw ? "draw" : "timeout";
    fprintf(f, "{\"type\":\"step\",\"t\":%d,\"reward\":%.6g,\"terminated\":%d,\"won\":%d,\"result\":\"%s\","
               "\"units\":[", t, reward, terminated, info ? info->battle_won : 0, result);
    for (int i = 0; i < d.n_agents + d.n_enemies; i++)
        fprintf(f, "%s{\"id\":%d,\"x\":%.4f,\"y\":%.4f,\"health\":%.3f,\"shield\":%.3f,\"energy\":%.2f,"
                   "\"alive\":%d,\"action\":%d,\"target\":%d}", i ? "," : "", i, u[i].x, u[i].y, u[i].health,
                u[i].shield, u[i].energy, u[i].alive, u[i].action, u[i].target);
    fprintf(f, "]}\n");
}

// ----------------------------------------------------------------------------
// play

// Parse step `t` of a script "a,b,c;d,e,f;..." into actions; 0 if past the end.
static int script_step(const char *script, int t, int n_agents, int32_t *actions) {
    const char *p = script;
    for (int k = 0; k < t && p; k++) { p = strchr(p, ';'); if (p) p++; }
    if (!p || !*p) return 0;
    for (int a = 0; a < n_agents; a++) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) cli_usage_error("smac play", "--actions: step %d needs %d comma-separated integers", t, n_agents);
        actions[a] = (int32_t)v;
        p = end;
        if (a + 1 < n_agents) {
            if (*p != ',') cli_usage_error("smac play", "--actions: step %d needs %d comma-separated integers", t, n_agents);
            p++;
        }
    }
    if (*p && *p != ';') cli_usage_error("smac play", "--actions: step %d has more than %d actions", t, n_agents);
    return 1;
}

// The trained agents of a QMIX checkpoint, for --checkpoint: the learner the
// checkpoint describes and a greedy player of it (grsn_qmix.h) on a simulator
// of its own, seeded as the run's test environment 0 is (stream
// GRSN_STREAM_EVAL_ENV), so that the first episode is the first greedy test
// episode of `grsn eval --checkpoint FILE --seed S`. The map must be the
// checkpoint's; the unit data are the checkpoint's (--units, if given, must
// agree).
typedef struct {
    GrsnQmix *q;
    GrsnQmixPlayer *player;
    long long *spikes;          // [n_agents] of one step
    int hidden, substeps, spiking;
} Agents;

static void agents_load(Agents *g, const char *path, const char *map, const char *units, int units_given,
                        int push_first, int push_first_given, int seed) {
    const char *cmd = "smac play";
    GrsnQmixCkptInfo info;   // the loader names an unreadable, corrupt, foreign or control-task file
    cli_check(cmd, grsn_qmix_ckpt_load(path, 1, (uint64_t)seed, &g->q, &info));
    const GrsnQmixConfig *c = &info.config.qmix;
    if (strcmp(c->map, map) != 0) cli_fail(cmd, "%s: a checkpoint of smac:%s, not of %s", path, c->map, map);
    if (units_given && parse_units(units) != c->units)
        cli_fail(cmd, "%s: trained with unit data %s, not %s", path, units_name(c->units), units);
    if (push_first_given && push_first != c->push_first)
        cli_fail(cmd, "%s: trained with --push-first %d, not %d", path, c->push_first, push_first);
    cli_check(cmd, grsn_qmix_player_create(&g->player, g->q, (uint64_t)seed, GRSN_STREAM_EVAL_ENV));
    g->spikes = calloc((size_t)grsn_qmix_dims(g->q).n_agents, sizeof *g->spikes);
    if (!g->spikes) cli_fail(cmd, "out of memory");
    g->hidden = c->hidden;
    g->substeps = c->cell.substeps;
    g->spiking = c->net != GRSN_NET_GRU;
    printf("agents of %s: smac:%s, %s core (hidden %d%s), %ld env steps of training%s\n", path, c->map,
           grsn_net_name(c->net), c->hidden, c->cell.substeps > 1 && g->spiking ? ", w/o TAP" : "",
           info.counters.env_steps, c->push_first ? " (simulator with the push first)" : "");
}

static void agents_free(Agents *g) {
    grsn_qmix_player_free(g->player);
    grsn_qmix_free(g->q);
    free(g->spikes);
}

static int smac_play(int argc, char **argv) {
    const char *policy = "heuristic", *replay = NULL, *units = "liberty", *script = NULL, *checkpoint = NULL;
    int episodes = 10, seed = 0, verbose = 0, push_first = 0;
    ArgSpec specs[] = {
        {"policy", ARG_CHOICE, &policy, "heuristic",
         "who controls the agents: random actions, focus fire (heuristic), focus fire with kiting (kite), "
         "or the trained agents of --checkpoint (agent)",
         "random|heuristic|kite|agent"},
        {"checkpoint", ARG_STR, &checkpoint, NULL,
         "a QMIX checkpoint of MAP whose agents play greedily, as in their tests (implies --policy agent)", NULL},
        {"episodes", ARG_INT, &episodes, "10", "episodes to play", NULL},
        {"seed", ARG_INT, &seed, "0",
         "environment seed (stream GRSN_STREAM_ENV; with --checkpoint GRSN_STREAM_EVAL_ENV, as `grsn eval --seed`)",
         NULL},
        {"replay", ARG_STR, &replay, NULL, "write the first episode as JSON lines to this file", NULL},
        {"push-first", ARG_INT, &push_first, "0", "1: crowded units are pushed apart before they fire, as before "
         "session 15 (with --checkpoint: the checkpoint's setting)", NULL},
        {"units", ARG_CHOICE, &units, "liberty", "unit data (with --checkpoint: the checkpoint's)", "liberty|lotv"},
        {"actions", ARG_STR, &script, NULL, "scripted first steps: \"a0,a1,..;a0,a1,..\" (then --policy)", NULL},
        {"verbose", ARG_BOOL, &verbose, "0", "print every episode", NULL},
    };
    int nspecs = (int)(sizeof specs / sizeof specs[0]);
    char *pos[1];
    int npos = args_parse("smac play", "smac play MAP [flags]", specs, nspecs, argc, argv, pos, 1);
    if (npos != 1) cli_usage_error("smac play", "expected one MAP; the maps are: 3m, 8m, 2s3z, 8m_vs_9m, "
                                   "3s_vs_5z, 27m_vs_30m, MMM2");
    if (episodes < 1) cli_usage_error("smac play", "--episodes must be >= 1, got %d", episodes);
    if (seed < 0) cli_usage_error("smac play", "--seed must be >= 0, got %d", seed);
    if (push_first != 0 && push_first != 1) cli_usage_error("smac play", "--push-first must be 0 or 1, got %d", push_first);
    if (checkpoint && args_given(specs, nspecs, argc, argv, "policy") && strcmp(policy, "agent") != 0)
        cli_usage_error("smac play", "--checkpoint plays the trained agents, not --policy %s", policy);
    if (!checkpoint && !strcmp(policy, "agent"))
        cli_usage_error("smac play", "--policy agent needs --checkpoint FILE (a QMIX checkpoint of %s)", pos[0]);
    if (checkpoint && script) cli_usage_error("smac play", "--actions scripts the first steps of a scripted policy, "
                                              "not of the trained agents of --checkpoint");
    int agent = checkpoint != NULL;
    if (agent) policy = "agent";

    // The simulator: the player's own for an agent, else one environment
    // seeded (seed, GRSN_STREAM_ENV).
    grsn_smac *s = NULL;
    Agents g = {0};
    const grsn_smac *view;
    grsn_smac_dims d;
    cli_check("smac play", grsn_smac_map_dims(pos[0], NULL, &d));   // an unknown map: the list of maps
    if (agent) {
        agents_load(&g, checkpoint, pos[0], units, args_given(specs, nspecs, argc, argv, "units"), push_first,
                    args_given(specs, nspecs, argc, argv, "push-first"), seed);
        view = grsn_qmix_player_env(g.player);
    } else {
        grsn_smac_config c;
        grsn_smac_config_default(&c, pos[0]);
        c.seed = (uint64_t)seed;
        c.units = parse_units(units);
        c.push_first = push_first;
        cli_check("smac play", grsn_smac_create(&s, &c));
        view = s;
    }
    d = grsn_smac_get_dims(view);
    OneEnv b;
    one_env_alloc(&b, &d);
    grsn_rng rng;
    grsn_rng_seed(&rng, (uint64_t)seed, GRSN_STREAM_EXPLORE);

    GrsnAtomicFile rf;
    if (replay) cli_check("smac play", grsn_atomic_open(&rf, replay));

    int wins = 0, losses = 0, draws = 0, timeouts = 0;
    double sum_ret = 0, sum_len = 0, sum_dead_allies = 0, sum_dead_enemies = 0, spikes = 0, decisions = 0;
    for (int ep = 0; ep < episodes; ep++) {
        if (agent) cli_check("smac play", grsn_qmix_player_begin(g.player));
        else cli_check("smac play", grsn_smac_reset_env(s, 0, &b.out));
        int rec = replay && ep == 0;
        if (rec) { replay_header(rf.fp, view, pos[0]); replay_step(rf.fp, view, 0, 0, 0, NULL); }
        double ret = 0;
        int t = 0;
        do {
            grsn_status st;
            if (agent) {
                GrsnQmixPlayStep ps;
                st = grsn_qmix_player_step(g.player, g.spikes, b.actions, &ps);
                b.reward = ps.reward; b.terminated = (uint8_t)ps.done; b.info = ps.info;
                for (int a = 0; a < d.n_agents; a++) spikes += (double)g.spikes[a];
                decisions += d.n_agents;
            } else {
                if (!(script && ep == 0 && script_step(script, t, d.n_agents, b.actions))) {
                    if (!strcmp(policy, "random"))
                        cli_check("smac play", grsn_smac_policy_random(b.avail, d.n_agents, d.n_actions, &rng, b.actions));
                    else if (!strcmp(policy, "kite")) cli_check("smac play", grsn_smac_policy_kite(s, 0, b.actions));
                    else cli_check("smac play", grsn_smac_policy_heuristic(s, 0, b.actions));
                }
                st = grsn_smac_step_env(s, 0, b.actions, &b.out);
            }
            if (st != GRSN_OK) {
                if (replay) grsn_atomic_abort(&rf);
                cli_fail("smac play", "step %d: %s", t, grsn_last_error());
            }
            ret += b.reward;
            t++;
            if (rec) replay_step(rf.fp, view, t, b.reward, b.terminated, &b.info);
        } while (!b.terminated);
        wins += b.info.battle_won; losses += b.info.battle_lost; draws += b.info.draw; timeouts += b.info.timeout;
        sum_ret += ret; sum_len += t;
        sum_dead_allies += b.info.dead_allies; sum_dead_enemies += b.info.dead_enemies;
        if (verbose)
            printf("episode %d: %s, return %.4f, length %d, dead allies %d, dead enemies %d\n", ep,
                   b.info.battle_won ? "won" : b.info.battle_lost ? "lost" : b.info.draw ? "draw" : "timeout",
                   ret, t, b.info.dead_allies, b.info.dead_enemies);
    }
    if (replay) cli_check("smac play", grsn_atomic_commit(&rf));
    printf("map %s, policy %s, %d episodes, seed %d\n", pos[0], policy, episodes, seed);
    printf("win rate %.1f%% (won %d, lost %d, draw %d, timeout %d)\n", 100.0 * wins / episodes, wins, losses,
           draws, timeouts);
    printf("mean return %.3f\nmean episode length %.2f\n", sum_ret / episodes, sum_len / episodes);
    printf("mean dead at the end: %.2f of %d allies, %.2f of %d enemies\n", sum_dead_allies / episodes, d.n_agents,
           sum_dead_enemies / episodes, d.n_enemies);
    if (agent && g.spiking)
        printf("firing rate %.4f (spikes per neuron and substep, over %.0f decisions)\n",
               spikes / (decisions * g.hidden * g.substeps), decisions);
    if (replay) printf("replay of episode 0 written to %s\n", replay);
    one_env_free(&b);
    if (agent) agents_free(&g);
    grsn_smac_free(s);
    return 0;
}

int cmd_smac(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        FILE *f = argc < 1 ? stderr : stdout;
        fprintf(f, "usage: grsn smac info MAP [flags]\n"
                   "       grsn smac play MAP [--policy random|heuristic|kite] [--episodes N] [--seed S] [--replay FILE]\n"
                   "       grsn smac play MAP --checkpoint FILE [--episodes N] [--seed S] [--replay FILE]\n"
                   "maps: 3m, 8m, 2s3z, 8m_vs_9m, 3s_vs_5z, 27m_vs_30m, MMM2\n");
        return argc < 1 ? 2 : 0;
    }
    if (!strcmp(argv[0], "info")) return smac_info(argc - 1, argv + 1);
    if (!strcmp(argv[0], "play")) return smac_play(argc - 1, argv + 1);
    cli_usage_error("smac", "unknown subcommand '%s'; valid subcommands: info, play", argv[0]);
}

// ----------------------------------------------------------------------------
// bench

typedef struct {
    const char *map;
    int envs, thread;
    double seconds;
    grsn_smac_unit_table units;
    long long steps, episodes;
    grsn_status status;
    char error[512];
} BenchJob;

// One thread: its own handle with `envs` environments, random valid actions,
// auto-reset, until the time is up.
static void *bench_thread(void *arg) {
    BenchJob *j = arg;
    grsn_smac_config c;
    grsn_smac_config_default(&c, j->map);
    c.n_envs = j->envs;
    c.seed = 1;
    c.stream_base = GRSN_STREAM_ENV + (uint64_t)j->thread * (uint64_t)j->envs;
    c.units = j->units;
    grsn_smac *s;
    j->status = grsn_smac_create(&s, &c);
    if (j->status) { snprintf(j->error, sizeof j->error, "%s", grsn_last_error()); return NULL; }
    grsn_smac_dims d = grsn_smac_get_dims(s);
    size_t no = (size_t)d.n_agents * d.obs_dim, na = (size_t)d.n_agents * d.n_actions;
    float *obs = calloc(no * j->envs, sizeof(float)), *state = calloc((size_t)d.state_dim * j->envs, sizeof(float));
    float *rew = calloc((size_t)j->envs, sizeof(float));
    uint8_t *avail = calloc(na * j->envs, 1), *term = calloc((size_t)j->envs, 1);
    int32_t *act = calloc((size_t)d.n_agents, sizeof(int32_t));
    grsn_rng rng;
    grsn_rng_seed(&rng, 1, GRSN_STREAM_EXPLORE + 100 + (uint64_t)j->thread);
    grsn_smac_out all = {obs, state, avail, rew, term, NULL, NULL};
    grsn_smac_reset(s, &all);
    double t0 = grsn_now_s(), t1 = t0;
    long long steps = 0, eps = 0;
    while (t1 - t0 < j->seconds) {
        for (int k = 0; k < 64; k++)
            for (int i = 0; i < j->envs; i++) {
                grsn_smac_out o = {obs + no * i, state + (size_t)d.state_dim * i, avail + na * i, rew + i, term + i, NULL, NULL};
                grsn_status st = grsn_smac_policy_random(o.avail, d.n_agents, d.n_actions, &rng, act);
                if (!st) st = grsn_smac_step_env(s, i, act, &o);
                if (st) { j->status = st; snprintf(j->error, sizeof j->error, "%s", grsn_last_error()); goto done; }
                steps++;
                if (term[i]) { grsn_smac_reset_env(s, i, &o); eps++; }
            }
        t1 = grsn_now_s();
    }
done:
    j->steps = steps; j->episodes = eps; j->seconds = t1 - t0;
    free(obs); free(state); free(rew); free(avail); free(term); free(act);
    grsn_smac_free(s);
    return NULL;
}

static double run_bench(const char *map, int threads, int envs, double seconds, grsn_smac_unit_table units,
                        long long *episodes) {
    BenchJob jobs[64];
    pthread_t tid[64];
    for (int t = 0; t < threads; t++) {
        jobs[t] = (BenchJob){.map = map, .envs = envs, .thread = t, .seconds = seconds, .units = units};
        if (pthread_create(&tid[t], NULL, bench_thread, &jobs[t])) cli_fail("bench smac", "pthread_create failed");
    }
    double rate = 0;
    *episodes = 0;
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    for (int t = 0; t < threads; t++) {
        if (jobs[t].status) cli_fail("bench smac", "%s", jobs[t].error);
        rate += (double)jobs[t].steps / jobs[t].seconds;
        *episodes += jobs[t].episodes;
    }
    return rate;
}

int bench_smac(int argc, char **argv) {
    double seconds = 2;
    int envs = 8, threads = 0;
    const char *units = "liberty";
    ArgSpec specs[] = {
        {"seconds", ARG_FLOAT, &seconds, "2", "duration of each measurement", NULL},
        {"envs", ARG_INT, &envs, "8", "environments per thread", NULL},
        {"threads", ARG_INT, &threads, "0", "threads for the second measurement (0: all cores)", NULL},
        {"units", ARG_CHOICE, &units, "liberty", "unit data", "liberty|lotv"},
    };
    char *pos[1];
    int npos = args_parse("bench smac", "bench smac MAP [flags]", specs, 4, argc, argv, pos, 1);
    if (npos != 1) cli_usage_error("bench smac", "expected one MAP; the maps are: 3m, 8m, 2s3z, 8m_vs_9m, "
                                   "3s_vs_5z, 27m_vs_30m, MMM2");
    if (envs < 1 || seconds <= 0) cli_usage_error("bench smac", "--envs must be >= 1 and --seconds > 0");
    grsn_smac_dims d;
    cli_check("bench smac", grsn_smac_map_dims(pos[0], NULL, &d));
    if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (threads > 64) threads = 64;
    long long eps1, epsn;
    double r1 = run_bench(pos[0], 1, envs, seconds, parse_units(units), &eps1);
    double rn = run_bench(pos[0], threads, envs, seconds, parse_units(units), &epsn);
    printf("bench smac %s: random valid actions, %d envs per thread, %.1f s per measurement\n", pos[0], envs,
           seconds);
    printf("  1 thread : %10.0f env-steps/s  (%.0f agent-steps/s, %lld episodes)\n", r1, r1 * d.n_agents, eps1);
    printf("  %d threads: %10.0f env-steps/s  (%.0f per thread, %lld episodes)\n", threads, rn, rn / threads, epsn);
    return 0;
}
