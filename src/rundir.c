/*
 * rundir.c — the run directory of a training run (rundir.h): mkdir -p, the
 * config and result written atomically, the CSV logs, the periodic
 * checkpoint and the resume pair that replace the ones before, and the
 * run's monotonic clock.
 */
#include "common.h"
#include "io.h"
#include "rundir.h"
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double grsn_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

grsn_status grsn_rundir_init(GrsnRunDir *d, const char *dir) {
    memset(d, 0, sizeof *d);
    d->t0 = grsn_now_s();
    if (snprintf(d->dir, sizeof d->dir, "%s", dir) >= (int)sizeof d->dir)
        return grsn_fail(GRSN_ERR_ARG, "run directory name too long: %s", dir);
    return GRSN_OK;
}

grsn_status grsn_rundir_create(const GrsnRunDir *d) {
    char p[sizeof d->dir];
    memcpy(p, d->dir, sizeof p);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return grsn_fail(GRSN_ERR_IO, "cannot create directory %s: %s", p, strerror(errno));
            *s = c;
            if (c == '\0') break;
        }
    }
    struct stat sb;
    if (stat(d->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return grsn_fail(GRSN_ERR_IO, "%s is not a directory", d->dir);
    return GRSN_OK;
}

void grsn_rundir_path(const GrsnRunDir *d, char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", d->dir, name);
}

grsn_status grsn_rundir_write(const GrsnRunDir *d, const char *name, const char *text, size_t n) {
    char path[600];
    grsn_rundir_path(d, path, sizeof path, name);
    return grsn_write_file_atomic(path, text, n);
}

// Create dir/name with its header line.
static grsn_status open_csv(const GrsnRunDir *d, FILE **out, const char *name, const char *header) {
    char path[600];
    grsn_rundir_path(d, path, sizeof path, name);
    *out = fopen(path, "w");
    if (!*out) return grsn_fail(GRSN_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    fprintf(*out, "%s\n", header);
    return GRSN_OK;
}

grsn_status grsn_rundir_open_logs(GrsnRunDir *d, const char *config, size_t n, const char *progress_header,
                                  const char *timing_header) {
    GRSN_TRY(grsn_rundir_write(d, "config", config, n));
    GRSN_TRY(open_csv(d, &d->progress, "progress.csv", progress_header));
    return open_csv(d, &d->timing, "timing.csv", timing_header);
}

void grsn_put_num(FILE *f, double x) {
    if (isnan(x)) fputs(",nan", f);
    else fprintf(f, ",%.9g", x);
}

grsn_status grsn_rundir_flush(GrsnRunDir *d) {
    if (fflush(d->progress) != 0)
        return grsn_fail(GRSN_ERR_IO, "cannot write %s/progress.csv: %s", d->dir, strerror(errno));
    if (fflush(d->timing) != 0)
        return grsn_fail(GRSN_ERR_IO, "cannot write %s/timing.csv: %s", d->dir, strerror(errno));
    return GRSN_OK;
}

void grsn_rundir_ckpt_path(const GrsnRunDir *d, long env_steps, char *out, size_t cap) {
    char name[64];
    snprintf(name, sizeof name, "ckpt_%08ld.grsn", env_steps);
    grsn_rundir_path(d, out, cap, name);
}

void grsn_rundir_replay_path(const GrsnRunDir *d, long env_steps, char *out, size_t cap) {
    char name[64];
    snprintf(name, sizeof name, "replay_%08ld.grsn", env_steps);
    grsn_rundir_path(d, out, cap, name);
}

void grsn_rundir_keep_ckpt(GrsnRunDir *d, const char *path) {
    if (d->ckpt[0] && strcmp(d->ckpt, path) != 0 && strcmp(d->ckpt, d->pair) != 0) unlink(d->ckpt);
    snprintf(d->ckpt, sizeof d->ckpt, "%s", path);
}

void grsn_rundir_keep_pair(GrsnRunDir *d, const char *ckpt, const char *replay) {
    grsn_rundir_keep_ckpt(d, ckpt);
    if (d->pair[0] && strcmp(d->pair, ckpt) != 0 && strcmp(d->pair, d->ckpt) != 0) unlink(d->pair);
    if (d->replay[0] && strcmp(d->replay, replay) != 0) unlink(d->replay);
    snprintf(d->pair, sizeof d->pair, "%s", ckpt);
    snprintf(d->replay, sizeof d->replay, "%s", replay);
}

grsn_status grsn_rundir_open_state(GrsnCkptFile *f, const char *path, long n, const char *what,
                                   int (*same_run)(const char *meta, size_t len, const void *run_cfg),
                                   const void *run_cfg) {
    GRSN_TRY(grsn_ckpt_read(f, path));
    grsn_status st = GRSN_OK;
    if ((long)f->env_steps != n)
        st = grsn_fail(GRSN_ERR_FORMAT, "%s: %s of env step %llu, the checkpoint is at %ld", path, what,
                       (unsigned long long)f->env_steps, n);
    else if (!same_run(f->meta, f->meta_len, run_cfg))
        st = grsn_fail(GRSN_ERR_FORMAT, "%s: the %s of another run", path, what);
    if (st != GRSN_OK) grsn_ckpt_close(f);
    return st;
}

int grsn_rundir_budget_below(long steps, long done, long run_budget) {
    return steps < done && steps < run_budget;
}

void grsn_rundir_drop_pair(GrsnRunDir *d) {
    if (d->replay[0]) unlink(d->replay);
    if (d->pair[0] && strcmp(d->pair, d->ckpt) != 0) unlink(d->pair);
    d->pair[0] = d->replay[0] = '\0';
}

long grsn_rundir_latest_pair(const char *dir) {
    DIR *dd = opendir(dir);
    if (!dd) return -1;
    long best = -1;
    struct dirent *e;
    while ((e = readdir(dd)) != NULL) {
        long n;
        int end = 0;
        char path[1200];
        if (sscanf(e->d_name, "ckpt_%ld.grsn%n", &n, &end) != 1 || end == 0 || e->d_name[end] != '\0' || n <= best)
            continue;
        snprintf(path, sizeof path, "%s/replay_%08ld.grsn", dir, n);
        if (access(path, R_OK) == 0) best = n;
    }
    closedir(dd);
    return best;
}

// Keep the header and the rows whose first field is <= upto; reopen to append.
static grsn_status cut_csv(const GrsnRunDir *d, FILE **out, const char *name, long upto) {
    char path[600];
    grsn_rundir_path(d, path, sizeof path, name);
    FILE *in = fopen(path, "r");
    if (!in) return grsn_fail(GRSN_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    GrsnAtomicFile af;
    grsn_status st = grsn_atomic_open(&af, path);
    if (st != GRSN_OK) { fclose(in); return st; }
    char line[4096];
    for (int row = 0; fgets(line, sizeof line, in); row++)
        if (row == 0 || atol(line) <= upto) fputs(line, af.fp);
    fclose(in);
    GRSN_TRY(grsn_atomic_commit(&af));
    *out = fopen(path, "a");
    if (!*out) return grsn_fail(GRSN_ERR_IO, "cannot append to %s: %s", path, strerror(errno));
    return GRSN_OK;
}

grsn_status grsn_rundir_reopen_logs(GrsnRunDir *d, const char *config, size_t n, long upto) {
    GRSN_TRY(grsn_rundir_write(d, "config", config, n));
    GRSN_TRY(cut_csv(d, &d->progress, "progress.csv", upto));
    return cut_csv(d, &d->timing, "timing.csv", upto);
}

grsn_status grsn_rundir_fail_nan(const GrsnRunDir *d, long env_steps) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s", grsn_last_error());
    return grsn_fail(GRSN_ERR_NAN, "%s; the run stopped at env step %ld; last good checkpoint: %s", msg,
                     env_steps, d->ckpt[0] ? d->ckpt : "none yet");
}

void grsn_rundir_close(GrsnRunDir *d) {
    if (d->progress) fclose(d->progress);
    if (d->timing) fclose(d->timing);
    d->progress = d->timing = NULL;
}
