/*
 * bench_update.c — `grsn bench update`: gradient updates per second of a
 * control agent at the paper's batch (32 windows of 64 steps), on replay
 * filled with random-action episodes. dev/bench_update.py times the same
 * update in PyTorch; run both on the same machine and thread count.
 *
 * A fresh agent's spiking core fires little, and the spike-fed products only
 * sum active inputs, so a fresh agent times faster than a trained one.
 * --checkpoint FILE times the update of a trained agent (its task, net and
 * sizes) on episodes that agent plays with its exploration noise, at the
 * firing rates of training.
 */
#include "../cli/cli.h"
#include <stdlib.h>
#include <string.h>
#include "rundir.h"   // grsn_now_s

int bench_update(int argc, char **argv) {
    const char *env_name, *algo_name, *net_name, *ckpt_path = NULL;
    int iters, threads, seed, hidden, substeps;
    double min_time;
    ArgSpec specs[] = {
        {"env", ARG_STR, &env_name, "pendulum-p", "environment (" GRSN_ENV_NAMES ")", NULL},
        {"algo", ARG_STR, &algo_name, "auto", "td3 | sacd | auto (td3 continuous, sacd discrete)", NULL},
        {"net", ARG_CHOICE, &net_name, "grsn", "recurrent core", "grsn|lif|gru|mlp"},
        {"hidden", ARG_INT, &hidden, "128", "core size", NULL},
        {"substeps", ARG_INT, &substeps, "1", "spiking substeps per decision (1 = TAP)", NULL},
        {"iters", ARG_INT, &iters, "0", "updates to time (0: run for --min-time)", NULL},
        {"min-time", ARG_FLOAT, &min_time, "5", "seconds to time when --iters is 0", NULL},
        {"seed", ARG_INT, &seed, "0", "random seed", NULL},
        {"threads", ARG_INT, &threads, "0", "threads (0: all cores)", NULL},
        {"checkpoint", ARG_STR, &ckpt_path, NULL,
         "time this trained control agent instead (its env, algo, net and sizes)", NULL},
    };
    const int nspecs = (int)(sizeof specs / sizeof specs[0]);
    args_parse("bench update", "bench update [flags]", specs, nspecs, argc, argv, NULL, 0);
    grsn_set_threads(threads);
    grsn_env env;
    GrsnAgentConfig cfg;
    GrsnAgent *agent;
    if (ckpt_path) {
        static const char *const fixed[] = {"env", "algo", "net", "hidden", "substeps"};
        args_refuse_beside("bench update", specs, nspecs, argc, argv, "checkpoint", fixed, 5);
        GrsnCkptInfo info;
        cli_check("bench update", grsn_ckpt_load(ckpt_path, &agent, &info));
        cfg = *grsn_agent_config(agent);
        cli_check("bench update", grsn_train_make_env(&env, &info.config, (uint64_t)seed, GRSN_STREAM_ENV));
        net_name = grsn_net_name(cfg.net);
    } else {
        cli_check("bench update", grsn_env_make(&env, env_name, (uint64_t)seed, GRSN_STREAM_ENV));
        int algo = !strcmp(algo_name, "auto") ? (env.discrete ? GRSN_ALGO_SACD : GRSN_ALGO_TD3)
                                              : grsn_algo_from_name(algo_name);
        if (algo < 0)
            cli_usage_error("bench update", "unknown algo '%s'; valid algos: " GRSN_ALGO_NAMES ", auto", algo_name);
        cfg = grsn_agent_defaults((grsn_algo)algo, (grsn_net)grsn_net_from_name(net_name),
                                  env.obs_dim, env.discrete ? env.n_actions : env.act_dim, env.discrete);
        cfg.hidden = hidden;
        cfg.cell.substeps = substeps;
        cli_check("bench update", grsn_agent_create(&agent, &cfg, (uint64_t)seed));
    }

    // Replay of 20 episodes (up to 4,000 steps): random actions, or the
    // checkpoint's agent acting with its exploration.
    grsn_seqbuf_config bc = grsn_seqbuf_defaults(env.obs_dim, cfg.act_dim, env.discrete);
    bc.capacity = 10000;
    bc.seq_len = cfg.seq_len;
    grsn_seqbuf *buf;
    cli_check("bench update", grsn_seqbuf_init(&buf, &bc));
    grsn_rng explore, replay, noise;
    grsn_rng_seed(&explore, (uint64_t)seed, GRSN_STREAM_EXPLORE);
    grsn_rng_seed(&replay, (uint64_t)seed, GRSN_STREAM_REPLAY);
    grsn_rng_seed(&noise, (uint64_t)seed, GRSN_STREAM_TARGET_NOISE);
    enum { MAX_ACT = 8 };
    if (cfg.act_dim > MAX_ACT) cli_fail("bench update", "%d action dimensions, at most %d here", cfg.act_dim, MAX_ACT);
    float obs[GRSN_ENV_MAX_OBS], next[GRSN_ENV_MAX_OBS], act[MAX_ACT] = {0}, prev[MAX_ACT];
    size_t S = (size_t)grsn_agent_state_size(agent);
    float *state = calloc(S ? S : 1, sizeof(float));
    if (!state) cli_fail("bench update", "out of memory");
    for (int ep = 0; ep < 20; ep++) {
        grsn_env_result r = {0};
        grsn_env_reset(&env, obs);
        memset(state, 0, S * sizeof(float));
        memset(prev, 0, sizeof prev);
        while (!r.terminated && !r.truncated) {
            if (ckpt_path) grsn_agent_act(agent, state, prev, r.reward, obs, 0, &explore, act, NULL);
            else grsn_env_random_action(&env, &explore, act);
            memcpy(prev, act, sizeof prev);
            cli_check("bench update", grsn_env_step(&env, act, next, &r));
            cli_check("bench update", grsn_seqbuf_push(buf, obs, act, (float)r.reward, r.terminated, next));
            memcpy(obs, next, sizeof obs);
        }
        cli_check("bench update", grsn_seqbuf_end_episode(buf));
    }
    grsn_seqbatch batch;
    cli_check("bench update", grsn_seqbatch_init(&batch, buf, cfg.batch));

    printf("grsn bench update: %s %s %s, hidden %d, batch %d x %d, substeps %d, threads %d (idle: %s)%s%s\n",
           grsn_env_name(&env), grsn_algo_name(cfg.algo), net_name, cfg.hidden, cfg.batch, cfg.seq_len,
           cfg.cell.substeps, grsn_threads(), cli_omp_wait(), ckpt_path ? ", trained agent of " : "", ckpt_path ? ckpt_path : "");
    GrsnUpdateStats st;
    int n = 0;
    double t0 = grsn_now_s(), elapsed = 0;
    while (iters ? n < iters + 1 : (elapsed < min_time || n < 4)) {
        if (n == 1) t0 = grsn_now_s();   // the first update warms up
        cli_check("bench update", grsn_seqbuf_sample(buf, &replay, &batch));
        cli_check("bench update", grsn_agent_update(agent, &batch, &noise, &st));
        n++;
        elapsed = grsn_now_s() - t0;
    }
    double per = elapsed / (n - 1);
    printf("updates/s %.2f  (%.2f ms per update, %d updates)  q_loss %.4g  firing rate %.3f\n",
           1.0 / per, per * 1e3, n - 1, st.q_loss, st.firing_rate);
    free(state);
    grsn_seqbatch_free(&batch);
    grsn_seqbuf_free(buf);
    grsn_agent_free(agent);
    return 0;
}
