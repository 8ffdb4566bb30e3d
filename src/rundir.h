/*
 * rundir.h — the run directory of a training run (train.c, train_qmix.c):
 * its config, the progress.csv and timing.csv logs, the periodic
 * checkpoint that replaces the one before, the result, and the run's clock.
 *
 *   GrsnRunDir d = {0};
 *   GRSN_TRY(grsn_rundir_init(&d, "runs/x"));       // the name and the clock
 *   GRSN_TRY(grsn_rundir_create(&d));               // mkdir -p
 *   GRSN_TRY(grsn_rundir_open_logs(&d, config, n, "a,b", "c,d"));
 *   fprintf(d.progress, ...); GRSN_TRY(grsn_rundir_flush(&d));
 *   grsn_rundir_close(&d);
 */
#ifndef GRSN_RUNDIR_H
#define GRSN_RUNDIR_H

#include "grsn.h"
#include "ckpt.h"
#include <stdio.h>

typedef struct {
    char dir[512];
    char ckpt[600];             // the latest periodic checkpoint ("" if none)
    char pair[600];             // the checkpoint of the latest resume pair ("" if none)
    char replay[600];           // its replay state, "" if none
    FILE *progress, *timing;    // the logs, open after grsn_rundir_open_logs
    double t0;                  // grsn_now_s() when the run started
} GrsnRunDir;

// Seconds on the monotonic clock.
double grsn_now_s(void);

// Name the directory (GRSN_ERR_ARG if the name is too long) and start the clock.
grsn_status grsn_rundir_init(GrsnRunDir *d, const char *dir);

// Create the directory and every missing parent (mkdir -p).
grsn_status grsn_rundir_create(const GrsnRunDir *d);

// dir/name into out.
void grsn_rundir_path(const GrsnRunDir *d, char *out, size_t cap, const char *name);

// Write dir/name atomically.
grsn_status grsn_rundir_write(const GrsnRunDir *d, const char *name, const char *text, size_t n);

// Write the config text (n bytes) as dir/config, then create progress.csv
// and timing.csv with their header lines.
grsn_status grsn_rundir_open_logs(GrsnRunDir *d, const char *config, size_t n, const char *progress_header,
                                  const char *timing_header);

// Append ",%.9g", or ",nan" whatever the sign bit, so rows compare as text.
void grsn_put_num(FILE *f, double x);

// Flush both logs after a row in each.
grsn_status grsn_rundir_flush(GrsnRunDir *d);

// The path of the periodic checkpoint at env_steps: dir/ckpt_NNNNNNNN.grsn.
void grsn_rundir_ckpt_path(const GrsnRunDir *d, long env_steps, char *out, size_t cap);

// The path of the replay state at env_steps: dir/replay_NNNNNNNN.grsn.
void grsn_rundir_replay_path(const GrsnRunDir *d, long env_steps, char *out, size_t cap);

// The periodic checkpoint at `path` is written: remove the one before it,
// unless it belongs to the resume pair.
void grsn_rundir_keep_ckpt(GrsnRunDir *d, const char *path);

// A resume pair, a periodic checkpoint and its replay state, both written:
// the pair before them goes. Until then the older pair is complete. Control
// runs write a pair at every evaluation; QMIX runs a checkpoint at every
// test and a pair at some of them, so the latest checkpoint and the resume
// pair's may differ.
void grsn_rundir_keep_pair(GrsnRunDir *d, const char *ckpt, const char *replay);

// Remove the resume pair's replay state, and its checkpoint unless that is
// the latest one (a finished run that keeps no resume state).
void grsn_rundir_drop_pair(GrsnRunDir *d);

// Whether resuming at `steps` env steps would cut a run short: below the
// `done` steps it has run and below the budget it was started with. (A run
// stopped after its final evaluation or test but before its result resumes
// at its own budget, and just finishes.)
int grsn_rundir_budget_below(long steps, long done, long run_budget);

// Open the resume state at `path` (replay_N.grsn, a checkpoint container) and
// make the checks every run type needs before reading its tensors: it was
// written at env step n, the step of its checkpoint, by this run, which
// `same_run` judges from the file's metadata (the config text of the run
// that wrote it) and the caller's run config. `what` names the file kind in
// the messages (GRSN_ERR_FORMAT, naming the file). On success *f is open:
// the caller reads its tensors and closes it.
grsn_status grsn_rundir_open_state(GrsnCkptFile *f, const char *path, long n, const char *what,
                                   int (*same_run)(const char *meta, size_t len, const void *run_cfg),
                                   const void *run_cfg);

// The latest env step N with both ckpt_N.grsn and replay_N.grsn in dir; -1 if none.
long grsn_rundir_latest_pair(const char *dir);

// Resuming: write the config text as dir/config, cut progress.csv and
// timing.csv back to their header and the rows of env_steps <= upto (rows a
// killed run logged after its last checkpoint), and open both to append.
grsn_status grsn_rundir_reopen_logs(GrsnRunDir *d, const char *config, size_t n, long upto);

// A non-finite loss: the current message as GRSN_ERR_NAN, with the env step
// the run stopped at and its last good checkpoint.
grsn_status grsn_rundir_fail_nan(const GrsnRunDir *d, long env_steps);

// Close the logs.
void grsn_rundir_close(GrsnRunDir *d);

#endif
