/*
 * cli.h — the `grsn` command: subcommand table and the flag parser that every
 * subcommand uses. Only the CLI exits; it prints one line naming the problem
 * and the valid choices, and exits with status 2 on bad usage, 1 on failure.
 */
#ifndef GRSN_CLI_H
#define GRSN_CLI_H

#include "grsn.h"
#include <stdio.h>

typedef enum { ARG_INT, ARG_FLOAT, ARG_STR, ARG_BOOL, ARG_CHOICE } ArgType;

typedef struct {
    const char *name;     // flag name without dashes: "seed" is --seed
    ArgType type;
    void *dst;            // int* (INT, BOOL), double* (FLOAT), const char** (STR, CHOICE)
    const char *def;      // default, as text; shown by --help. NULL: no default (STR only)
    const char *help;
    const char *choices;  // ARG_CHOICE: "a|b|c"
} ArgSpec;

// Parse argv[0..argc) (the words after the subcommand). Fills defaults first.
// --help prints usage with every flag and its default, then exits 0.
// Words that are not flags are positional and go to pos[] (at most max_pos;
// more is an error). Returns the number of positionals.
int args_parse(const char *cmd, const char *usage, const ArgSpec *specs, int nspecs,
               int argc, char **argv, char **pos, int max_pos);
// Whether argv (as args_parse read it) gives --flag, by name without dashes,
// as a flag rather than as another flag's value. Call after args_parse.
int args_given(const ArgSpec *specs, int nspecs, int argc, char **argv, const char *flag);
// A usage error (exit 2) if any of the n flags in `fixed` is given beside
// --`by`, whose file fixes what they would choose (a checkpoint: its task,
// net, sizes).
void args_refuse_beside(const char *cmd, const ArgSpec *specs, int nspecs, int argc, char **argv, const char *by,
                        const char *const *fixed, int n);

// Print "grsn: CMD: message" and exit(2) (usage) or exit(1) (failure).
_Noreturn void cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
_Noreturn void cli_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
// Exit(1) with grsn_last_error() if st != GRSN_OK.
void cli_check(const char *cmd, grsn_status st);

// How idle OpenMP threads wait between parallel regions, as the grsn command
// set it up (see main): "spin 3000, then sleep", "sleep", ... for benchmark
// headers, since the 2-thread speed depends on it.
const char *cli_omp_wait(void);

// Subcommands: int cmd_x(int argc, char **argv) with argv after the name.
typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} CliCommand;

int cmd_bench(int argc, char **argv);
int cmd_cells(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_energy(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int bench_cells(int argc, char **argv);
int bench_update(int argc, char **argv);
int cmd_smac(int argc, char **argv);
int bench_smac(int argc, char **argv);
int bench_qmix(int argc, char **argv);
int bench_act(int argc, char **argv);

#endif
