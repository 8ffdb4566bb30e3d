/*
 * cmd_bench.c — `grsn bench TARGET`: throughput benchmarks. Benchmarks are
 * commands, never timed tests; compare ratios against dev/ PyTorch scripts run
 * on the same machine and thread count.
 */
#include "cli.h"
#include <string.h>

typedef struct { const char *name; int (*run)(int argc, char **argv); const char *summary; } BenchTarget;


static const BenchTarget targets[] = {
    {"cells", bench_cells, "forward+backward throughput of GRSN, LIF and GRU layers"},
    {"update", bench_update, "gradient updates/s of a control agent at the paper's batch"},
    {"smac", bench_smac, "SMAC simulator env-steps/s with random valid actions, 1 thread and all threads"},
    {"qmix", bench_qmix, "QMIX training env-steps/s and updates/s on a SMAC map (--curve: win rate over time)"},
    {"act", bench_act, "latency of one decision of an embedded agent (control, or a QMIX team step), 1 thread"},
};
static const int ntargets = (int)(sizeof targets / sizeof targets[0]);

int cmd_bench(int argc, char **argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        FILE *f = argc < 1 ? stderr : stdout;
        fprintf(f, "usage: grsn bench TARGET [flags]   (grsn bench TARGET --help)\n\ntargets:\n");
        for (int i = 0; i < ntargets; i++) fprintf(f, "  %-8s %s\n", targets[i].name, targets[i].summary);
        return argc < 1 ? 2 : 0;
    }
    for (int i = 0; i < ntargets; i++)
        if (!strcmp(targets[i].name, argv[0])) return targets[i].run(argc - 1, argv + 1);
    char valid[256] = ""; size_t off = 0;
    for (int i = 0; i < ntargets; i++)
        off += (size_t)snprintf(valid + off, sizeof valid - off, "%s%s", i ? ", " : "", targets[i].name);
    cli_usage_error("bench", "unknown target '%s'; valid targets: %s", argv[0], valid);
}
