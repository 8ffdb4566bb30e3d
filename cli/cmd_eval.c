/*
 * cmd_eval.c — `grsn eval --checkpoint FILE`: deterministic evaluation of a
 * saved agent (TD3: mu; SAC-discrete: argmax), the actor state carried
 * through each episode (TAP), on its own environment seeded from --seed
 * (stream GRSN_STREAM_EVAL_ENV). Prints every episode's return and the mean
 * and std. A missing, truncated, corrupt or foreign checkpoint is one line
 * naming the file and the problem, exit status 1.
 */
#include "cli.h"
#include "grsn_train.h"
#include <stdlib.h>

static const char *CMD = "eval";

int cmd_eval(int argc, char **argv) {
    const char *path = NULL;
    int episodes, seed;
    ArgSpec specs[] = {
        {"checkpoint", ARG_STR, &path, NULL, "checkpoint file (ckpt_*.grsn or final.grsn of a run)", NULL},
        {"episodes", ARG_INT, &episodes, "10", "deterministic episodes", NULL},
        {"seed", ARG_INT, &seed, "-1", "seed of the evaluation environment; -1: the run's seed", NULL},
    };
    args_parse(CMD, "eval --checkpoint FILE [--episodes N] [--seed S]", specs,
               (int)(sizeof specs / sizeof specs[0]), argc, argv, NULL, 0);
    if (!path) cli_usage_error(CMD, "name a checkpoint with --checkpoint FILE");
    if (episodes < 1 || episodes > 1000000) cli_usage_error(CMD, "--episodes %d must lie in 1..1000000", episodes);
    if (seed < -1) cli_usage_error(CMD, "--seed %d must be >= 0 (or -1 for the run's seed)", seed);

    GrsnAgent *agent;
    GrsnCkptInfo info;
    cli_check(CMD, grsn_ckpt_load(path, &agent, &info));
    const GrsnTrainConfig *cfg = &info.config;
    uint64_t env_seed = seed >= 0 ? (uint64_t)seed : cfg->seed;
    grsn_env env;
    cli_check(CMD, grsn_train_make_env(&env, cfg, env_seed, GRSN_STREAM_EVAL_ENV));

    printf("checkpoint %s: %s, %s, %s core (hidden %d), run seed %llu, %llu env steps, %llu updates\n", path,
           cfg->env, grsn_algo_name(cfg->agent.algo), grsn_net_name(cfg->agent.net), cfg->agent.hidden,
           (unsigned long long)cfg->seed, (unsigned long long)info.env_steps, (unsigned long long)info.updates);
    double *returns = malloc((size_t)episodes * sizeof(double)), mean, std;
    if (!returns) cli_fail(CMD, "out of memory");
    cli_check(CMD, grsn_evaluate(agent, &env, episodes, returns, &mean, &std));
    for (int e = 0; e < episodes; e++) printf("episode %d: %.4f\n", e + 1, returns[e]);
    printf("mean ± std over %d episodes (eval seed %llu): %.4f ± %.4f\n", episodes, (unsigned long long)env_seed,
           mean, std);
    free(returns);
    grsn_agent_free(agent);
    return 0;
}
