/*
 * cmd_env.c — `grsn env NAME`: run one environment and print a CSV trace, so
 * that anyone can hold grsn's physics against Gym's. Each row is one step:
 * the observation the action was taken at, the action, and what the step
 * returned (reward, terminated, truncated). After an episode ends the
 * environment is reset, and the next row starts from the reset observation.
 * Actions come from a file (one per line) or from the random warm-up policy.
 */
#include "cli.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *CMD = "env";

// Read one action per line from `path`. Blank lines and lines starting with
// '#' are skipped. CartPole wants 0 or 1; Pendulum a finite number (the
// normalised action, clipped to [-1, 1] by the environment's wrapper).
static float *read_actions(const char *path, const grsn_env *env, int *count) {
    FILE *f = fopen(path, "r");
    if (!f) cli_fail(CMD, "cannot open actions file '%s': %s", path, strerror(errno));
    int cap = 1024, n = 0, lineno = 0;
    float *a = malloc((size_t)cap * sizeof(float));
    if (!a) cli_fail(CMD, "out of memory reading '%s'", path);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(f))
            cli_fail(CMD, "%s:%d: line too long", path, lineno);
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) *--e = '\0';
        if (*s == '\0' || *s == '#') continue;
        char *end;
        float v;
        errno = 0;
        if (env->discrete) {
            long k = strtol(s, &end, 10);
            if (*end || errno || k < 0 || k >= env->n_actions)
                cli_fail(CMD, "%s:%d: bad action '%s' for %s (expects an integer in 0..%d)", path, lineno, s,
                         grsn_env_name(env), env->n_actions - 1);
            v = (float)k;
        } else {
            double x = strtod(s, &end);
            if (*end || errno || !isfinite(x) || fabs(x) > 1e30)
                cli_fail(CMD, "%s:%d: bad action '%s' for %s (expects a finite number)", path, lineno, s,
                         grsn_env_name(env));
            v = (float)x;
        }
        if (n == cap) {
            cap *= 2;
            float *b = realloc(a, (size_t)cap * sizeof(float));
            if (!b) cli_fail(CMD, "out of memory reading '%s'", path);
            a = b;
        }
        a[n++] = v;
    }
    if (ferror(f)) cli_fail(CMD, "cannot read actions file '%s'", path);
    fclose(f);
    *count = n;
    return a;
}

// "--init-state 0.1,0,-0.02,0": exactly state_dim finite numbers.
static void parse_state(const char *text, const grsn_env *env, double *state) {
    const char *p = text;
    for (int i = 0; i < env->state_dim; i++) {
        char *end;
        errno = 0;
        state[i] = strtod(p, &end);
        if (end == p || errno || !isfinite(state[i]) || (*end != ',' && *end != '\0') ||
            (*end == ',') != (i + 1 < env->state_dim))
            cli_usage_error(CMD, "--init-state '%s': %s needs %d comma-separated finite numbers (%s)", text,
                            grsn_env_name(env), env->state_dim,
                            env->discrete ? "x,x_dot,theta,theta_dot" : "theta,theta_dot");
        p = end + 1;
    }
}

int cmd_env(int argc, char **argv) {
    const char *actions_path = NULL, *policy = NULL, *init_state = NULL;
    int seed, steps, max_steps, override, warmup_code;
    ArgSpec specs[] = {
        {"seed", ARG_INT, &seed, "0", "seed of the environment's stream (and of the random policy's)", NULL},
        {"actions", ARG_STR, &actions_path, NULL, "file with one action per line (CartPole 0|1, Pendulum a number)", NULL},
        {"policy", ARG_CHOICE, &policy, NULL, "action source instead of --actions", "random"},
        {"steps", ARG_INT, &steps, "0", "steps to run; 0: every action in the file, or 200 with --policy", NULL},
        {"max-steps", ARG_INT, &max_steps, "200", "episode cap (0: none)", NULL},
        {"init-state", ARG_STR, &init_state, NULL,
         "physical state of the first episode instead of a random reset, comma-separated doubles: "
         "CartPole x,x_dot,theta,theta_dot; Pendulum theta,theta_dot", NULL},
        {"timeout-overrides-terminal", ARG_BOOL, &override, "0",
         "the authors' code: a fall on the cap's last step is a timeout (decision 16)", NULL},
        {"warmup-code", ARG_BOOL, &warmup_code, "0",
         "the authors' code: random Pendulum actions ~ U[-2, 2] (decision 15)", NULL},
    };
    char *pos[1];
    int npos = args_parse(CMD, "env NAME (--actions FILE | --policy random) [--seed S] [--steps N]\n\n"
                          "Prints a CSV trace: step, the observation the action was taken at, the action,\n"
                          "reward, terminated, truncated. NAME is one of: " GRSN_ENV_NAMES,
                          specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, pos, 1);
    if (npos != 1) cli_usage_error(CMD, "name an environment: %s", GRSN_ENV_NAMES);
    if (!actions_path == !policy) cli_usage_error(CMD, "give exactly one of --actions FILE and --policy random");
    if (steps < 0) cli_usage_error(CMD, "--steps %d must be >= 0", steps);
    if (seed < 0) cli_usage_error(CMD, "--seed %d must be >= 0", seed);

    grsn_env env;
    if (grsn_env_make(&env, pos[0], (uint64_t)seed, GRSN_STREAM_ENV + 0) != GRSN_OK)
        cli_usage_error(CMD, "%s", grsn_last_error());
    env.max_steps = max_steps;
    env.timeout_overrides_terminal = override;
    env.warmup_pendulum_code = warmup_code;

    float *actions = NULL;
    int n_actions = 0;
    if (actions_path) {
        actions = read_actions(actions_path, &env, &n_actions);
        if (steps == 0) steps = n_actions;
        if (steps > n_actions)
            cli_fail(CMD, "'%s' holds %d actions, --steps asks for %d", actions_path, n_actions, steps);
    } else if (steps == 0) {
        steps = GRSN_ENV_MAX_STEPS;
    }
    grsn_rng policy_rng;
    grsn_rng_seed(&policy_rng, (uint64_t)seed, GRSN_STREAM_EXPLORE);

    float obs[GRSN_ENV_MAX_OBS], next[GRSN_ENV_MAX_OBS], act[2];
    if (init_state) {
        double state[GRSN_ENV_MAX_STATE];
        parse_state(init_state, &env, state);
        cli_check(CMD, grsn_env_set_state(&env, state, 0, obs));
    } else {
        grsn_env_reset(&env, obs);
    }

    printf("step");
    for (int i = 0; i < env.obs_dim; i++) printf(",%s", grsn_env_obs_name(&env, i));
    printf(",action,reward,terminated,truncated\n");

    for (int t = 0; t < steps; t++) {
        grsn_env_result r;
        int index = 0;
        if (actions) {
            index = (int)actions[t];
            act[0] = actions[t];
        } else {
            index = grsn_env_random_action(&env, &policy_rng, act);
        }
        if (env.discrete) cli_check(CMD, grsn_env_step_discrete(&env, index, next, &r));
        else cli_check(CMD, grsn_env_step(&env, act, next, &r));

        printf("%d", t);
        for (int i = 0; i < env.obs_dim; i++) printf(",%.9g", obs[i]);
        if (env.discrete) printf(",%d", index);
        else printf(",%.9g", act[0]);
        printf(",%.17g,%d,%d\n", r.reward, r.terminated, r.truncated);

        if (r.terminated || r.truncated) grsn_env_reset(&env, obs);
        else memcpy(obs, next, sizeof obs);
    }
    free(actions);
    if (fflush(stdout) != 0 || ferror(stdout)) cli_fail(CMD, "cannot write the trace");
    return 0;
}
