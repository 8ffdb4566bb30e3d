/*
 * grsn_report.h — reading training run directories and writing the report
 * of a whole tree of them (`grsn report`; paper Tables 1-4): Markdown
 * tables of mean ± std across seeds beside the paper's numbers, SVG
 * learning curves, a spike raster of a trained GRSN core, and Table 4 from
 * the energy model on the runs' checkpoints.
 *
 * A run directory is any directory holding a `config` file of key=value
 * lines (what grsn train writes). Two kinds are read, told apart by their
 * config and CSV headers, never by their path:
 *
 *   control  env=cartpole-v, algo=td3|sacd; progress.csv has eval_return
 *   QMIX     algo=qmix, and map=8m or env=smac:8m; progress.csv has a test
 *            return column (test_return_mean, test_return) and a test win
 *            rate column (any header with "test" and "win")
 *
 * A run is finished when its `result` file exists; its final score is that
 * file's eval_return_mean (QMIX: test_return_mean) and win rate. Runs
 * without a result are partial: the report lists them and never averages
 * them into a table cell.
 *
 * Runs are grouped by (task, algo, net, substeps, budget): one group is one
 * method across its seeds, trained for the same number of env steps. Runs of
 * another budget form a group of their own, so a tree holding both 300k- and
 * 1M-step runs of a method never averages them together; the tables show the
 * group with the largest budget and "Every method" lists all of them. A
 * group's score is the mean and the population standard deviation (numpy's
 * default, ddof = 0) of its finished seeds' final scores.
 */
#ifndef GRSN_REPORT_H
#define GRSN_REPORT_H

#include "grsn.h"

#ifdef __cplusplus
extern "C" {
#endif

// ----------------------------------------------------------------------------
// One run directory

typedef enum { GRSN_RUN_CONTROL = 0, GRSN_RUN_QMIX } grsn_run_kind;

typedef struct {
    char dir[512];             // the run directory as found
    grsn_run_kind kind;
    char task[32];             // the control task ("pendulum-p") or SMAC map ("8m")
    char algo[16], net[16];    // as the config names them ("td3", "grsn")
    int substeps;              // neuron updates per decision: 1 = TAP
    long seed;
    long budget;               // the configured env-step budget, 0 if not known
    int seq_len;               // training window (control runs), 0 if not known
    int finished;              // 1: a readable `result` file
    double score;              // final eval (QMIX: test) return mean; NaN unless finished
    double score_std;          // its std over the final evaluation's episodes
    double win_rate;           // QMIX: final test win rate in [0, 1]; NaN otherwise
    double ep_length;          // QMIX: mean test episode length of the last row; NaN if absent
    double firing_rate;        // firing_rate column of the last progress row; NaN if absent
    long env_steps;            // from `result`, else the last progress row
    double wall_s;             // from `result`, else the last timing row; NaN if unknown
    int has_final;             // final.grsn exists
    int npoints;               // progress rows read
    double *x, *y, *win;       // env steps, eval/test return, win rate (NaN if absent), [npoints]
    // QMIX learning-curve summary (from progress.csv and timing.csv):
    long win95_steps;          // env steps of the first test with win rate >= 95%; -1 if none
    double win95_wall;         // wall seconds at that test (timing.csv); NaN if unknown
    int tests, tests_win95;    // tests logged, of which >= 95% wins
    double win_last10;         // mean win rate of the last 10 tests (fewer if fewer); NaN if none
    char note[200];            // why the run is partial or unreadable ("" if neither)
    char variant[512];         // settings off the defaults (grsn_run_config_variant), "" if none;
                               // cut and ending in "..." if longer
    uint64_t variant_id;       // a hash of the whole variant text: runs group by it
} GrsnRunInfo;

// A run config as this build writes it (grsn train --print-config): keys the
// text lacks, written by an older build, take their defaults, so the same
// settings give the same text whichever build wrote them. Control and QMIX
// configs alike; GRSN_ERR_FORMAT if the text is not a config this build reads.
grsn_status grsn_run_config_canonical(const char *text, char *out, size_t cap);
// The settings of a run config that differ from the defaults of its env,
// algo and net, as "key=value key=value" ("" if none). What only runs or
// measures the method is left out: seed, steps, threads, the evaluation
// schedule, the checkpoint schedule, and cell.substeps (TAP or not, which
// the report groups by on its own).
grsn_status grsn_run_config_variant(const char *text, char *out, size_t cap);

// Read the run directory `dir`. GRSN_ERR_IO if it has no readable config;
// GRSN_ERR_FORMAT if the config names no task or net. A missing or partial
// progress.csv or result is not an error: run->finished and run->note say
// what is there.
grsn_status grsn_run_read(GrsnRunInfo *run, const char *dir);
void grsn_run_free(GrsnRunInfo *run);

// ----------------------------------------------------------------------------
// A tree of runs

typedef struct {
    GrsnRunInfo *run;          // [n], sorted by task, algo, substeps, net, variant (defaults first),
                               // budget (largest first), seed
    int n, cap;
} GrsnRunList;

// Every run directory under `root` (searched recursively in name order, up to
// 8 levels; a run directory is not searched further; a directory reached
// again through a symbolic link is read once). GRSN_ERR_IO if root cannot be
// opened, GRSN_ERR_ARG for a path too long to hold. Unreadable run
// directories are kept with finished = 0 and a note.
grsn_status grsn_runs_scan(GrsnRunList *list, const char *root);
void grsn_runs_free(GrsnRunList *list);

// One method across its seeds: runs of one task, algo, net, substeps,
// variant (its whole text) and budget.
typedef struct {
    grsn_run_kind kind;
    char task[32], algo[16], net[16];
    int substeps;
    char variant[512];         // settings off the defaults, "" for the paper's method
    long budget;               // configured env-step budget (0: not known)
    int nruns;                 // run directories found
    int nfinished;             // of which finished: the only ones averaged
    int repeated_seeds;        // finished runs whose seed another finished run of the group has
    int *run;                  // indices into the list, [nruns], by seed
    double mean, std;          // final scores of the finished seeds (NaN if none)
    double win_mean, win_std;  // final win rates (QMIX), NaN otherwise
    double wall_mean;          // mean wall time of the finished seeds, NaN if unknown
    double steps_mean;         // mean env steps of the finished seeds
} GrsnRunGroup;

typedef struct {
    GrsnRunGroup *group;       // [n]
    int n;
} GrsnGroups;

grsn_status grsn_runs_group(GrsnGroups *g, const GrsnRunList *list);
void grsn_groups_free(GrsnGroups *g);
// The group of (task, algo, net, substeps) with the default settings
// (variant "") and the largest budget, or NULL. algo NULL: any algo.
const GrsnRunGroup *grsn_groups_find(const GrsnGroups *g, const char *task, const char *algo,
                                     const char *net, int substeps);

// Mean and population std (ddof = 0) of the finite values of x[n]; NaN
// for both if there are none. Returns how many were finite.
int grsn_mean_std(const double *x, int n, double *mean, double *std);

// ----------------------------------------------------------------------------
// The report

typedef struct {
    long energy_samples;       // decisions whose spikes Table 4 counts per checkpoint, 1024
    int raster;                // 1: draw spike rasters from final.grsn checkpoints
    const char *runs_label;    // the RUNS_DIR as the user typed it (for commands); NULL: the root
} GrsnReportOptions;

GrsnReportOptions grsn_report_defaults(void);

// What grsn_report_write produced.
typedef struct {
    int runs, finished, partial, groups;
    int curves, rasters, energy_rows;
    char warning[256];         // the first thing that could not be drawn or measured, "" if none
} GrsnReportSummary;

// Write the report of the runs into out_dir (created if missing):
//   index.md             Tables 1-4 with the paper's numbers beside ours,
//                        every other group, missing and partial runs, the
//                        commands to reproduce, links to every figure
//   runs.csv             one row per run directory: its final score
//   curves_TASK.svg      eval/test return vs env steps: mean and ± std band
//                        per method over its finished seeds
//   raster_TASK.svg      the actor core's spikes over one deterministic
//                        episode of a GRSN agent (final.grsn, TAP runs)
// GRSN_ERR_IO if a file cannot be written. Checkpoints that cannot be read
// are noted in the report and in summary->warning, not failures.
grsn_status grsn_report_write(const GrsnRunList *list, const char *root, const char *out_dir,
                              const GrsnReportOptions *opt, GrsnReportSummary *summary);

// ----------------------------------------------------------------------------
// Spike recording (the raster)

// Play one deterministic episode of the agent in `path` (a control-task
// checkpoint with a GRSN or LIF core) on its evaluation environment (seed
// `seed`, stream GRSN_STREAM_EVAL_ENV) from zero state, and record which of
// the actor core's neurons spiked at each decision: spikes[t * hidden + j]
// is 1 or 0 (w/o TAP: the number of substeps in which j spiked), for
// t < *steps <= max_steps. *spikes is allocated here ([max_steps][hidden];
// free() it). The recording is checked against the spike count
// grsn_agent_act reports at every step. *ret gets the episode's return.
// GRSN_ERR_ARG for a core that does not spike.
grsn_status grsn_record_spikes(const char *path, uint64_t seed, int max_steps, unsigned char **spikes,
                               int *hidden, int *steps, double *ret);

#ifdef __cplusplus
}
#endif
#endif // GRSN_REPORT_H
