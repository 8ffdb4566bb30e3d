/*
 * grsn.c — the `grsn` command: dispatches to one subcommand per concern.
 * Every subcommand takes --help and lists its flags with their defaults.
 */
#include "cli.h"
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

static const CliCommand commands[] = {
    {"cells", cmd_cells, "train one cell on a delayed-recall task (a short demo: GRSN remembers, LIF forgets)"},
    {"env", cmd_env, "run CartPole or Pendulum (F/P/V views) and print a CSV trace"},
    {"smac", cmd_smac, "SMAC-compatible combat simulator: info MAP | play MAP"},
    {"train", cmd_train, "train a recurrent TD3 / SAC-discrete agent on CartPole or Pendulum (-F/-P/-V), "
                         "or QMIX on a SMAC map (--env smac:MAP)"},
    {"eval", cmd_eval, "evaluate a checkpoint: deterministic episodes, mean ± std return"},
    {"energy", cmd_energy, "operation counts and energy (Eq. 15-16, Table 4): --env, --checkpoint, --map, --table4"},
    {"report", cmd_report, "Tables 1-4, learning curves and spike rasters of a runs directory: report RUNS_DIR"},
    {"sweep", cmd_sweep, "train a grid of env x net x seed runs, N jobs at a time; resumes; one summary CSV"},
    {"bench", cmd_bench, "benchmarks: cells, update, qmix, smac (throughput); act (one decision's latency)"},
};
static const int ncommands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *f) {
    fprintf(f, "grsn %s — gated recurrent spiking neurons for reinforcement learning\n\n", GRSN_VERSION);
    fprintf(f, "usage: grsn COMMAND [flags]    (grsn COMMAND --help lists the flags)\n\ncommands:\n");
    for (int i = 0; i < ncommands; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n  --help     show this help\n  --version  print the version\n");
}

// Between parallel regions an OpenMP thread spins a short while, then
// sleeps, unless the user chose otherwise (OMP_WAIT_POLICY or GOMP_SPINCOUNT).
// A TD3 update has about 200 parallel regions, and waking a sleeping thread
// for each costs a quarter of the 2-thread speed: trained Pendulum-P agent,
// idle 2-core machine, updates/s passive 25.9-31.4, a 3000-iteration spin
// 32.4-34.8, unbounded spin (active) 27.7-35.7. Spinning hurts when the
// threads' cores are busy with other work, and the bound keeps that small:
// the same bench beside two 1-thread runs gave 17.2-19.4 passive,
// 12.3-13.9 with the bounded spin and 4.4-7.7 active. The runtime reads
// these variables once at start-up, before main, so the command re-executes
// itself once with them set. Results do not depend on them.
static void prefer_short_spin(char **argv) {
#ifdef GRSN_OMP
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
    setenv("OMP_WAIT_POLICY", "passive", 1);
    setenv("GOMP_SPINCOUNT", "3000", 1);   // overrides passive's spin count of 0
    execv("/proc/self/exe", argv);         // returns only if that failed: go on with the default
#else
    (void)argv;
#endif
}

const char *cli_omp_wait(void) {
#ifdef GRSN_OMP
    const char *policy = getenv("OMP_WAIT_POLICY"), *spin = getenv("GOMP_SPINCOUNT");
    if (spin) {
        static char text[64];
        snprintf(text, sizeof text, "spin %s, then sleep", spin);
        return text;
    }
    if (policy && !strcmp(policy, "passive")) return "sleep";
    if (policy && !strcmp(policy, "active")) return "spin";
    return "the OpenMP runtime's default";
#else
    return "no OpenMP";
#endif
}

int main(int argc, char **argv) {
    prefer_short_spin(argv);
    if (argc < 2) { usage(stderr); return 2; }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) { usage(stdout); return 0; }
    if (!strcmp(name, "--version")) { printf("grsn %s\n", GRSN_VERSION); return 0; }
    for (int i = 0; i < ncommands; i++)
        if (!strcmp(commands[i].name, name)) return commands[i].run(argc - 2, argv + 2);
    char valid[512] = ""; size_t off = 0;
    for (int i = 0; i < ncommands; i++)
        off += (size_t)snprintf(valid + off, sizeof valid - off, "%s%s", i ? ", " : "", commands[i].name);
    fprintf(stderr, "grsn: unknown command '%s'; valid commands: %s\n", name, valid);
    return 2;
}
