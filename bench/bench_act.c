/*
 * bench_act.c — `grsn bench act`: what one decision of an embedded agent
 * costs (examples/embed_agent.c, examples/embed_qmix.c). One thread, one
 * decision at a time, the core's state carried from step to step (TAP):
 *   - a control agent: grsn_agent_act, deterministic, per decision;
 *   - the agents of a QMIX checkpoint: grsn_qmix_act, per team step of its
 *     n agents (and per agent decision), and grsn_qmix_act_agent, one agent
 *     deciding alone (batch 1), on the same episodes.
 * The agents act in their own episodes, so a trained agent fires at its own
 * rates (the spike-fed products sum only active inputs); only the acting
 * calls are timed, not the environment. A fresh control agent (--env, --net)
 * has the paper's sizes. dev/bench_act.py times the same decision in
 * PyTorch, as the authors' code makes it: under no_grad, one step of the core
 * from the carried state. Run both on the same machine.
 */
#include "../cli/cli.h"
#include <stdlib.h>
#include <string.h>
#include "rundir.h"   // grsn_now_s

static const char *CMD = "bench act";

// Decisions of a control agent on its task until `min_time` seconds of
// acting (at least `min_n` decisions); returns seconds per decision.
static double time_control(GrsnAgent *agent, grsn_env *env, double min_time, long min_n, long *n_out,
                           double *rate) {
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    size_t S = (size_t)grsn_agent_state_size(agent), A = (size_t)c->act_dim;
    float *state = calloc(S ? S : 1, sizeof(float)), *prev = calloc(A, sizeof(float)), *act = calloc(A, sizeof(float));
    float obs[GRSN_ENV_MAX_OBS];
    if (!state || !prev || !act) cli_fail(CMD, "out of memory");
    grsn_rng unused;
    grsn_rng_seed(&unused, 0, 0);
    double acting = 0, spikes = 0;
    long n = 0;
    while (acting < min_time || n < min_n) {
        memset(state, 0, S * sizeof(float));
        memset(prev, 0, A * sizeof(float));
        float prev_r = 0;
        grsn_env_reset(env, obs);
        grsn_env_result r = {0};
        while (!r.terminated && !r.truncated) {
            int fired;
            double t0 = grsn_now_s();
            grsn_agent_act(agent, state, prev, prev_r, obs, 1, &unused, act, &fired);
            acting += grsn_now_s() - t0;
            n++;
            spikes += fired;
            cli_check(CMD, grsn_env_step(env, act, obs, &r));
            memcpy(prev, act, A * sizeof(float));
            prev_r = (float)r.reward;
        }
    }
    free(state); free(prev); free(act);
    *n_out = n;
    *rate = spikes / ((double)n * c->hidden);
    return acting / (double)n;
}

// Team steps of a QMIX checkpoint's agents in their simulator, likewise;
// *alone: seconds per decision of one agent through grsn_qmix_act_agent,
// each agent keeping its own state beside the team's (the same decisions).
static double time_qmix(GrsnQmix *q, uint64_t seed, double min_time, long min_n, long *n_out, double *rate,
                        double *alone) {
    const GrsnQmixConfig *c = grsn_qmix_config(q);
    grsn_smac_dims d = grsn_qmix_dims(q);
    int n = d.n_agents;
    grsn_smac_config sc;
    grsn_qmix_smac_config(c, &sc, seed, GRSN_STREAM_EVAL_ENV);
    sc.n_envs = 1;
    grsn_smac *world;
    cli_check(CMD, grsn_smac_create(&world, &sc));
    size_t S = (size_t)grsn_qmix_agent_state_size(q);
    float *state = malloc((size_t)n * S * sizeof(float)), *own = malloc((size_t)n * S * sizeof(float));
    float *obs = malloc((size_t)n * d.obs_dim * sizeof(float));
    uint8_t *avail = malloc((size_t)n * d.n_actions), done = 0;
    int32_t *last = malloc((size_t)n * sizeof(int32_t)), *actions = malloc((size_t)n * sizeof(int32_t));
    long long *spikes = malloc((size_t)n * sizeof(long long));
    if (!state || !own || !obs || !avail || !last || !actions || !spikes) cli_fail(CMD, "out of memory");
    float reward;
    grsn_smac_info info;
    grsn_smac_out out = {obs, NULL, avail, &reward, &done, &info, NULL};
    double acting = 0, acting_alone = 0, fired = 0;
    long steps = 0;
    while (acting < min_time || steps < min_n) {
        cli_check(CMD, grsn_smac_reset(world, &out));
        memset(state, 0, (size_t)n * S * sizeof(float));
        memset(own, 0, (size_t)n * S * sizeof(float));
        for (int a = 0; a < n; a++) last[a] = -1;
        do {
            double t0 = grsn_now_s();
            for (int a = 0; a < n; a++) {
                int32_t act;
                cli_check(CMD, grsn_qmix_act_agent(q, a, own + a * S, obs + (size_t)a * d.obs_dim,
                                                   avail + (size_t)a * d.n_actions, last[a], &act, NULL));
            }
            acting_alone += grsn_now_s() - t0;
            t0 = grsn_now_s();
            cli_check(CMD, grsn_qmix_act(q, state, obs, avail, last, actions, spikes));
            acting += grsn_now_s() - t0;
            steps++;
            for (int a = 0; a < n; a++) fired += (double)spikes[a];
            cli_check(CMD, grsn_smac_step(world, actions, &out));
            memcpy(last, actions, (size_t)n * sizeof(int32_t));
        } while (!done);
    }
    free(state); free(own); free(obs); free(avail); free(last); free(actions); free(spikes);
    grsn_smac_free(world);
    *n_out = steps;
    *rate = fired / ((double)steps * n * c->hidden * c->cell.substeps);
    *alone = acting_alone / ((double)steps * n);
    return acting / (double)steps;
}

int bench_act(int argc, char **argv) {
    const char *env_name, *net_name, *ckpt_path = NULL;
    int seed, hidden;
    double min_time;
    ArgSpec specs[] = {
        {"checkpoint", ARG_STR, &ckpt_path, NULL,
         "time this trained agent (control or QMIX) in its own episodes instead of a fresh one", NULL},
        {"env", ARG_STR, &env_name, "pendulum-p", "task of a fresh control agent (" GRSN_ENV_NAMES ")", NULL},
        {"net", ARG_CHOICE, &net_name, "grsn", "core of a fresh control agent", "grsn|lif|gru|mlp"},
        {"hidden", ARG_INT, &hidden, "128", "core size of a fresh control agent", NULL},
        {"min-time", ARG_FLOAT, &min_time, "3", "seconds of acting to time", NULL},
        {"seed", ARG_INT, &seed, "0", "seed of the episodes (and of a fresh agent)", NULL},
    };
    const int nspecs = (int)(sizeof specs / sizeof specs[0]);
    args_parse(CMD, "bench act [--checkpoint FILE | --env ENV --net NET] [flags]", specs, nspecs, argc, argv, NULL, 0);
    if (!(min_time > 0 && min_time <= 3600)) cli_usage_error(CMD, "--min-time %g must lie in (0, 3600]", min_time);
    if (hidden < 1 || hidden > 4096) cli_usage_error(CMD, "--hidden %d must lie in 1..4096", hidden);
    if (seed < 0) cli_usage_error(CMD, "--seed %d must be >= 0", seed);
    grsn_set_threads(1);   // one decision at a time: batch 1 has nothing to share out
    long n;
    double per, rate;
    if (ckpt_path) {
        static const char *const fixed[] = {"env", "net", "hidden"};
        args_refuse_beside(CMD, specs, nspecs, argc, argv, "checkpoint", fixed, 3);
    }
    if (ckpt_path && grsn_qmix_ckpt_probe(ckpt_path)) {
        GrsnQmix *q;
        GrsnQmixCkptInfo info;
        cli_check(CMD, grsn_qmix_ckpt_load(ckpt_path, 1, (uint64_t)seed, &q, &info));
        const GrsnQmixConfig *c = grsn_qmix_config(q);
        int agents = grsn_qmix_dims(q).n_agents;
        printf("grsn bench act: smac:%s qmix %s, hidden %d, %d agents, 1 thread, trained agents of %s\n", c->map,
               grsn_net_name(c->net), c->hidden, agents, ckpt_path);
        double alone;
        per = time_qmix(q, (uint64_t)seed, min_time, 100, &n, &rate, &alone);
        printf("team steps/s %.0f  (%.2f us per team step, %.2f us per agent decision, %ld team steps)  "
               "firing rate %.3f\n", 1.0 / per, per * 1e6, per * 1e6 / agents, n, rate);
        printf("one agent alone (grsn_qmix_act_agent): %.2f us per decision\n", alone * 1e6);
        grsn_qmix_free(q);
        return 0;
    }
    GrsnAgent *agent;
    grsn_env env;
    if (ckpt_path) {
        GrsnCkptInfo info;
        cli_check(CMD, grsn_ckpt_load(ckpt_path, &agent, &info));
        cli_check(CMD, grsn_train_make_env(&env, &info.config, (uint64_t)seed, GRSN_STREAM_EVAL_ENV));
    } else {
        grsn_status st = grsn_env_make(&env, env_name, (uint64_t)seed, GRSN_STREAM_EVAL_ENV);
        if (st == GRSN_ERR_ARG) cli_usage_error(CMD, "%s", grsn_last_error());
        cli_check(CMD, st);
        GrsnAgentConfig cfg = grsn_agent_defaults(env.discrete ? GRSN_ALGO_SACD : GRSN_ALGO_TD3,
                                                  (grsn_net)grsn_net_from_name(net_name), env.obs_dim,
                                                  env.discrete ? env.n_actions : env.act_dim, env.discrete);
        cfg.hidden = hidden;
        cli_check(CMD, grsn_agent_create(&agent, &cfg, (uint64_t)seed));
    }
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    printf("grsn bench act: %s %s %s, hidden %d, 1 thread, %s%s\n", grsn_env_name(&env), grsn_algo_name(c->algo),
           grsn_net_name(c->net), c->hidden, ckpt_path ? "trained agent of " : "fresh agent",
           ckpt_path ? ckpt_path : "");
    per = time_control(agent, &env, min_time, 1000, &n, &rate);
    printf("decisions/s %.0f  (%.2f us per decision, %ld decisions)  firing rate %.3f\n", 1.0 / per, per * 1e6, n,
           rate);
    grsn_agent_free(agent);
    return 0;
}
