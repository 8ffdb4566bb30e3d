/*
 * embed_agent.c — a trained grsn agent inside your own program.
 *
 * A control agent of grsn (TD3 or SAC-discrete with a GRSN, LIF, GRU or MLP
 * core) is a small recurrent policy in plain C. To use one:
 *
 *   1. load its checkpoint (grsn_ckpt_load): the run's config comes with it,
 *      so the agent is rebuilt with the sizes and the neuron it was trained with;
 *   2. allocate, once, what an episode carries: the core's recurrent state
 *      (GRSN: the current c and the reset potential û), the previous action
 *      and the previous reward, which the agent reads beside the observation;
 *   3. call grsn_agent_act once per decision. Under TAP that is one neuron
 *      update per decision, the state carried from step to step; zero the
 *      state when an episode begins.
 *
 * Acting allocates nothing, so the loop can run under a real-time deadline.
 *
 * Here "your world" is the checkpoint's own task (grsn_env), seeded as `grsn
 * eval --seed S` seeds it, so this program prints the returns that `grsn eval`
 * prints, to the last digit (tests/cli_train.sh checks it). In your program
 * the observation comes from wherever you sense the world, and the action goes
 * wherever you act on it: the two lines marked "your world" below.
 *
 *   make
 *   ./build/examples/embed_agent runs/quickstart/final.grsn [EPISODES] [SEED]
 *
 * Self-contained, to be copied into your program whole (so the two examples
 * repeat their few lines of argument handling). It includes the public
 * header only, as a program built against an installed grsn does (`make
 * install`, then `cc embed_agent.c $(pkg-config --cflags --libs grsn)`).
 */
#include <grsn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "embed_agent: %s\n", what);
    return 1;
}

// A whole number in [lo, hi] from argv, or -1.
static long whole(const char *s, long lo, long hi) {
    char *end;
    long v = strtol(s, &end, 10);
    return (*s && !*end && v >= lo && v <= hi) ? v : -1;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: embed_agent CHECKPOINT [EPISODES (10)] [SEED (the run's)]\n");
        return 2;
    }
    long episodes = argc > 2 ? whole(argv[2], 1, 1000000) : 10;
    long seed = argc > 3 ? whole(argv[3], 0, 2147483647) : 0;
    if (episodes < 0 || seed < 0) {
        fprintf(stderr, "embed_agent: EPISODES must lie in 1..1000000 and SEED in 0..2147483647\n");
        return 2;
    }
    if (grsn_qmix_ckpt_probe(argv[1]))
        return fail("a QMIX checkpoint: its agents act together on the simulator (grsn_qmix_player_*, "
                    "as `grsn smac play MAP --checkpoint F` does); this example plays control agents");

    // 1. The agent, rebuilt from its checkpoint.
    GrsnAgent *agent;
    GrsnCkptInfo info;
    if (grsn_ckpt_load(argv[1], &agent, &info) != GRSN_OK) return fail(grsn_last_error());
    const GrsnAgentConfig *ac = grsn_agent_config(agent);
    int spiking = ac->net == GRSN_NET_GRSN || ac->net == GRSN_NET_LIF;
    printf("%s: %s, %s, %s core of %d neurons\n", argv[1], info.config.env, grsn_algo_name(ac->algo),
           grsn_net_name(ac->net), ac->hidden);

    // The world: here the checkpoint's task on the evaluation stream of SEED.
    grsn_env world;
    if (grsn_train_make_env(&world, &info.config, argc > 3 ? (uint64_t)seed : info.config.seed,
                            GRSN_STREAM_EVAL_ENV) != GRSN_OK) {
        grsn_agent_free(agent);
        return fail(grsn_last_error());
    }

    // 2. What an episode carries, allocated once.
    size_t S = (size_t)grsn_agent_state_size(agent), A = (size_t)ac->act_dim;
    float *state = malloc(S * sizeof(float));
    float *prev_action = malloc(A * sizeof(float)), *action = malloc(A * sizeof(float));
    float *obs = malloc((size_t)ac->obs_dim * sizeof(float));
    grsn_rng unused;                       // acting deterministically draws nothing
    grsn_rng_seed(&unused, 0, 0);
    int rc = 0;
    if (!state || !prev_action || !action || !obs) rc = fail("out of memory");

    // 3. Episodes: one grsn_agent_act per decision.
    for (long e = 0; e < episodes && rc == 0; e++) {
        memset(state, 0, S * sizeof(float));
        memset(prev_action, 0, A * sizeof(float));
        float prev_reward = 0.0f;
        grsn_env_reset(&world, obs);                                    // your world: first observation
        double ret = 0.0;
        long decisions = 0, spikes = 0;
        for (;;) {
            int fired;
            grsn_agent_act(agent, state, prev_action, prev_reward, obs, 1, &unused, action, &fired);
            grsn_env_result r;
            if (grsn_env_step(&world, action, obs, &r) != GRSN_OK) {    // your world: act, observe
                rc = fail(grsn_last_error());
                break;
            }
            decisions++;
            spikes += fired;
            ret += r.reward;
            memcpy(prev_action, action, A * sizeof(float));
            prev_reward = (float)r.reward;
            if (r.terminated || r.truncated) break;
        }
        if (rc) break;
        printf("episode %ld: %.4f", e + 1, ret);
        if (spiking)
            printf(" (%ld decisions, %.2f of %d core neurons spiking per decision)", decisions,
                   (double)spikes / (double)decisions, ac->hidden);
        printf("\n");
    }
    free(obs);
    free(action);
    free(prev_action);
    free(state);
    grsn_agent_free(agent);
    return rc;
}
