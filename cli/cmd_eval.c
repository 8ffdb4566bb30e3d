/*
 * cmd_eval.c — `grsn eval --checkpoint FILE`: evaluation of a saved agent.
 *
 * A control-task checkpoint (TD3, SAC-discrete): deterministic episodes
 * (TD3: mu; SAC-discrete: argmax), the actor state carried through each
 * episode (TAP), on its own environment seeded from --seed (stream
 * GRSN_STREAM_EVAL_ENV). Prints every episode's return and the mean and std.
 *
 * A QMIX checkpoint (its metadata says algo=qmix): greedy test episodes on
 * the learner's own test environments, seeded from --seed, as the run's
 * tests play them. Prints the win rate and the return's mean and std.
 *
 * --env and --net, when given, state what the checkpoint must hold; another
 * task, map or net is an error naming the mismatch. A missing, truncated,
 * corrupt or foreign checkpoint is one line naming the file and the
 * problem, exit status 1.
 */
#include "cli.h"
#include "grsn_train.h"
#include "grsn_train_qmix.h"
#include <stdlib.h>
#include <string.h>

static const char *CMD = "eval";

static int eval_qmix(const char *path, int episodes, int seed, const char *env, const char *net) {
    GrsnQmixCkptInfo info;
    cli_check(CMD, grsn_qmix_ckpt_info(path, &info));
    GrsnQmixTrainConfig *cfg = &info.config;
    uint64_t test_seed = seed >= 0 ? (uint64_t)seed : cfg->seed;
    if (episodes < 0) episodes = cfg->test_episodes;

    // The learner to evaluate in: the checkpoint's own, or the one --env and
    // --net ask for, which the checkpoint must then match.
    GrsnQmixConfig want = cfg->qmix;
    if (env) {
        if (strncmp(env, "smac:", 5) != 0)
            cli_fail(CMD, "%s: a QMIX checkpoint of smac:%s, not a %s one", path, cfg->qmix.map, env);
        snprintf(want.map, sizeof want.map, "%s", env + 5);
    }
    if (net) {
        grsn_net n;
        if (grsn_qmix_net_from_name(net, &n) != GRSN_OK) cli_usage_error(CMD, "%s", grsn_last_error());
        want.net = n;
    }
    GrsnQmix *q;
    grsn_status st = grsn_qmix_create(&q, &want, test_seed);
    if (st == GRSN_ERR_ARG) cli_usage_error(CMD, "%s", grsn_last_error());
    cli_check(CMD, st);
    cli_check(CMD, grsn_qmix_ckpt_restore(path, q, &info));

    grsn_smac_dims d = grsn_qmix_dims(q);
    printf("checkpoint %s: smac:%s (%d agents), qmix, %s agents (hidden %d%s), run seed %llu, %ld env steps, "
           "%ld updates\n", path, cfg->qmix.map, d.n_agents, grsn_net_name(cfg->qmix.net), cfg->qmix.hidden,
           cfg->qmix.cell.substeps > 1 ? ", w/o TAP" : "", (unsigned long long)cfg->seed,
           info.counters.env_steps, info.counters.updates);
    GrsnQmixTest t;
    cli_check(CMD, grsn_qmix_test(q, episodes, &t));
    printf("greedy test over %d episodes (test seed %llu): win rate %.1f%% (%d of %d), return %.4f ± %.4f, "
           "length %.1f, firing rate %.4f\n", t.episodes, (unsigned long long)test_seed, 100.0 * t.win_rate,
           (int)(t.win_rate * (float)t.episodes + 0.5f), t.episodes, t.return_mean, t.return_std, t.length_mean,
           t.firing_rate);
    grsn_qmix_free(q);
    return 0;
}

int cmd_eval(int argc, char **argv) {
    const char *path = NULL, *env = NULL, *net = NULL;
    int episodes, seed;
    ArgSpec specs[] = {
        {"checkpoint", ARG_STR, &path, NULL, "checkpoint file (ckpt_*.grsn or final.grsn of a run)", NULL},
        {"episodes", ARG_INT, &episodes, "-1",
         "episodes; -1: 10 deterministic ones (control tasks), the run's test episodes (QMIX, 32)", NULL},
        {"seed", ARG_INT, &seed, "-1", "seed of the evaluation environments; -1: the run's seed", NULL},
        {"env", ARG_STR, &env, NULL, "the task or smac:MAP the checkpoint must have been trained on", NULL},
        {"net", ARG_STR, &net, NULL, "the net the checkpoint must have", NULL},
    };
    args_parse(CMD, "eval --checkpoint FILE [--episodes N] [--seed S] [--env ENV] [--net NET]", specs,
               (int)(sizeof specs / sizeof specs[0]), argc, argv, NULL, 0);
    if (!path) cli_usage_error(CMD, "name a checkpoint with --checkpoint FILE");
    if (episodes != -1 && (episodes < 1 || episodes > 1000000))
        cli_usage_error(CMD, "--episodes %d must lie in 1..1000000", episodes);
    if (seed < -1) cli_usage_error(CMD, "--seed %d must be >= 0 (or -1 for the run's seed)", seed);

    // The metadata tells a QMIX checkpoint from a control-task one.
    if (grsn_qmix_ckpt_probe(path)) return eval_qmix(path, episodes, seed, env, net);
    if (episodes < 0) episodes = 10;

    GrsnAgent *agent;
    GrsnCkptInfo info;
    cli_check(CMD, grsn_ckpt_load(path, &agent, &info));
    const GrsnTrainConfig *cfg = &info.config;
    if (env) {
        grsn_env want;
        if (strncmp(env, "smac:", 5) == 0)
            cli_fail(CMD, "%s: a %s checkpoint of the control task %s, not a QMIX one for %s", path,
                     grsn_algo_name(cfg->agent.algo), cfg->env, env);
        if (grsn_env_make(&want, env, 0, GRSN_STREAM_EVAL_ENV) != GRSN_OK) cli_usage_error(CMD, "%s", grsn_last_error());
        if (strcmp(grsn_env_name(&want), cfg->env) != 0)
            cli_fail(CMD, "%s: trained on %s, not %s", path, cfg->env, grsn_env_name(&want));
    }
    if (net && strcmp(net, grsn_net_name(cfg->agent.net)) != 0)
        cli_fail(CMD, "%s: trained with net %s, not %s", path, grsn_net_name(cfg->agent.net), net);
    uint64_t env_seed = seed >= 0 ? (uint64_t)seed : cfg->seed;
    grsn_env env_;
    cli_check(CMD, grsn_train_make_env(&env_, cfg, env_seed, GRSN_STREAM_EVAL_ENV));

    printf("checkpoint %s: %s, %s, %s core (hidden %d), run seed %llu, %llu env steps, %llu updates\n", path,
           cfg->env, grsn_algo_name(cfg->agent.algo), grsn_net_name(cfg->agent.net), cfg->agent.hidden,
           (unsigned long long)cfg->seed, (unsigned long long)info.env_steps, (unsigned long long)info.updates);
    double *returns = malloc((size_t)episodes * sizeof(double)), mean, std;
    if (!returns) cli_fail(CMD, "out of memory");
    cli_check(CMD, grsn_evaluate(agent, &env_, episodes, returns, &mean, &std));
    for (int e = 0; e < episodes; e++) printf("episode %d: %.4f\n", e + 1, returns[e]);
    printf("mean ± std over %d episodes (eval seed %llu): %.4f ± %.4f\n", episodes, (unsigned long long)env_seed,
           mean, std);
    free(returns);
    grsn_agent_free(agent);
    return 0;
}
