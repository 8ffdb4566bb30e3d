/*
 * cmd_sweep.c — `grsn sweep`: trains a grid of (env, net, seed) runs as
 * child processes of this same binary (`grsn train ...`), N at a time, and
 * writes one summary CSV of the final scores and the exact command of every
 * run. This is how the README's tables are reproduced:
 *
 *   grsn sweep --envs cartpole-v,pendulum-p --nets grsn,gru --seeds 0-4 --jobs 2
 *   grsn sweep --envs pendulum-p --nets lif,grsn --runs runs/wotap -- --no-tap 1
 *
 * Run directories are RUNS/ENV/NET/sSEED (ENV with ':' as '_'; NET prefixed
 * with ALGO- when --algo is not the task's own). A run whose directory holds
 * a `result` is finished and skipped, so a sweep resumes where it stopped,
 * provided its config is the one asked for (`grsn train --print-config`,
 * threads aside); a finished run with another config is reported and left
 * alone. A directory without a result (a run killed half-way) is carried
 * on from its last resume pair (`grsn train --resume`) when it has one and
 * the config asked for, else trained again from the start. Each job's
 * output goes to its directory's
 * train.log. Jobs get --threads so that jobs x threads <= cores (results do
 * not depend on it).
 * The summary keeps the record of an earlier summary at the same path. Rows
 * of runs outside the grid stay as they are, grid rows are replaced in place
 * and new runs follow; a run recorded there as finished, whose directory
 * holds no finished run (a fresh clone has the committed results CSVs but no
 * runs), keeps its row as "finished (recorded)" until it is trained again.
 * A failing job is reported and the others continue; the exit status is 1
 * if any job failed or a finished run has another config (2 for bad
 * usage). SIGINT/SIGTERM stop the running jobs, write the summary and
 * exit 1.
 */
#include "cli.h"
#include "grsn_train.h"
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *CMD = "sweep";

#define MAX_LIST 32
#define MAX_SEEDS 256
#define MAX_EXTRA 64

typedef enum { JOB_PENDING = 0, JOB_RUNNING, JOB_DONE, JOB_SKIPPED, JOB_FAILED, JOB_CONFLICT } JobState;

typedef struct {
    const char *env, *algo, *net;   // algo resolved: td3, sacd or qmix
    int seed;
    char dir[512];
    char *argv[MAX_EXTRA + 24];   // the child's arguments after the program name
    char command[2048];           // "grsn train ..." as run
    char seed_s[12], threads_s[12];   // argument strings
    JobState state;
    int resumed;                  // carried on from the resume pair of a stopped run
    pid_t pid;
    int exit_code;
    time_t started;
} Job;

// ----------------------------------------------------------------------------
// Parsing the grid

// Split a comma-separated list in place into out[]; returns the count.
static int split_list(char *s, const char **out, int cap, const char *what) {
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == cap) cli_usage_error(CMD, "more than %d %s", cap, what);
        out[n++] = tok;
    }
    if (n == 0) cli_usage_error(CMD, "--%s is empty", what);
    return n;
}

// "0-4", "0,2,7", "1-3,9" -> seeds; returns the count.
static int parse_seeds(const char *spec, int *seeds) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        // "A" or "A-B", both non-negative integers, A <= B.
        char *end, *end2;
        long a = strtol(tok, &end, 10), b = a;
        int valid = end != tok;
        if (valid && *end == '-') {
            b = strtol(end + 1, &end2, 10);
            valid = end2 != end + 1;
            end = end2;
        }
        if (!valid || *end != '\0' || a < 0 || b < a)
            cli_usage_error(CMD, "--seeds '%s': expected seeds like 0-4 or 0,2,5", spec);
        for (long s = a; s <= b; s++) {
            if (n == MAX_SEEDS) cli_usage_error(CMD, "--seeds '%s': more than %d seeds", spec, MAX_SEEDS);
            seeds[n++] = (int)s;
        }
    }
    if (n == 0) cli_usage_error(CMD, "--seeds is empty");
    return n;
}

static int is_smac(const char *env) { return !strncmp(env, "smac:", 5); }

static void check_env(const char *env) {
    char maps[256] = "";
    size_t off = 0;
    for (int i = 0; i < grsn_smac_map_count(); i++)
        off += (size_t)snprintf(maps + off, sizeof maps - off, "%s%s", i ? ", " : "", grsn_smac_map_name(i));
    if (is_smac(env)) {
        for (int i = 0; i < grsn_smac_map_count(); i++) if (!strcmp(env + 5, grsn_smac_map_name(i))) return;
        cli_usage_error(CMD, "unknown SMAC map in '%s'; valid maps: %s", env, maps);
    }
    grsn_env e;
    if (grsn_env_make(&e, env, 0, 0) != GRSN_OK)
        cli_usage_error(CMD, "unknown env '%s'; valid envs: %s, smac:MAP (MAP: %s)", env, GRSN_ENV_NAMES, maps);
}

// The algorithm `algo` means for `env` ("auto": the task's own).
static const char *resolve_algo(const char *algo, const char *env) {
    if (strcmp(algo, "auto") != 0) return algo;
    if (is_smac(env)) return "qmix";
    grsn_env e;   // as grsn train picks it: SAC-discrete for discrete actions (names as grsn_env_make reads them)
    return grsn_env_make(&e, env, 0, 0) == GRSN_OK && e.discrete ? "sacd" : "td3";
}

// ----------------------------------------------------------------------------
// Jobs

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

// mkdir -p; 0 with errno set on failure.
static int make_dirs(const char *dir) {
    char p[512];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) return 0;
        *s = c;
        if (c == '\0') break;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) return 0;
    if (!S_ISDIR(sb.st_mode)) { errno = ENOTDIR; return 0; }
    return 1;
}

// Arguments of one `grsn train` run. Strings live in the job or in argv.
// threads: the --threads the sweep adds (0: none, the user passes it);
// threads_s: the value a resumed job runs with.
static void build_job(Job *j, const char *runs, const char *algo, int explicit_algo, int threads,
                      const char *threads_s, char **extra, int nextra) {
    char envdir[64], netdir[64];
    snprintf(envdir, sizeof envdir, "%s", j->env);
    for (char *p = envdir; *p; p++) if (*p == ':' || *p == '/') *p = '_';
    const char *a = j->algo = resolve_algo(algo, j->env);
    if (explicit_algo && strcmp(a, resolve_algo("auto", j->env)) != 0) snprintf(netdir, sizeof netdir, "%s-%s", a, j->net);
    else snprintf(netdir, sizeof netdir, "%s", j->net);
    snprintf(j->dir, sizeof j->dir, "%s/%s/%s/s%d", runs, envdir, netdir, j->seed);

    snprintf(j->seed_s, sizeof j->seed_s, "%d", j->seed);
    snprintf(j->threads_s, sizeof j->threads_s, "%s", threads_s);
    int n = 0;
    char **v = j->argv;
    v[n++] = "train";
    v[n++] = "--env"; v[n++] = (char *)j->env;
    v[n++] = "--algo"; v[n++] = (char *)a;
    v[n++] = "--net"; v[n++] = (char *)j->net;
    v[n++] = "--seed"; v[n++] = j->seed_s;
    v[n++] = "--out"; v[n++] = j->dir;
    if (threads > 0) { v[n++] = "--threads"; v[n++] = j->threads_s; }
    for (int i = 0; i < nextra; i++) v[n++] = extra[i];
    v[n] = NULL;
    size_t off = (size_t)snprintf(j->command, sizeof j->command, "grsn");
    for (int i = 0; v[i] && off < sizeof j->command; i++)
        off += (size_t)snprintf(j->command + off, sizeof j->command - off, " %s", v[i]);
}

// The path of this very binary, so that jobs run the same build.
static void self_path(char *out, size_t cap) {
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    if (n > 0) out[n] = '\0';
    else snprintf(out, cap, "grsn");
}

// The configuration a job would run (`grsn train ... --print-config 1`),
// into buf; 0 if the child fails.
static int job_config(const Job *j, const char *self, char *buf, size_t cap) {
    int fd[2];
    if (pipe(fd) != 0) return 0;
    char *argv[MAX_EXTRA + 28];
    int n = 0;
    argv[n++] = (char *)self;
    for (int i = 0; j->argv[i]; i++) argv[n++] = j->argv[i];
    argv[n++] = "--print-config";
    argv[n++] = "1";
    argv[n] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { close(fd[0]); close(fd[1]); return 0; }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execv(self, argv);
        _exit(127);
    }
    close(fd[1]);
    size_t len = 0;
    ssize_t got;
    while (len + 1 < cap && (got = read(fd[0], buf + len, cap - 1 - len)) > 0) len += (size_t)got;
    buf[len] = '\0';
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Config lines that do not make two runs differ. The build commit
// (grsn_build) says which code ran, not what was asked for: a run of the
// same config by another build is the same run. resume_interval and
// keep_resume (QMIX; absent from the configs of earlier builds) say how a run
// saves its resume state, not what it computes.
static int ignored_line(const char *line) {
    return !strncmp(line, "grsn_build=", 11) || !strncmp(line, "resume_interval=", 16) ||
           !strncmp(line, "keep_resume=", 12);
}

// Does the finished run in j->dir have the configuration this sweep asks
// for? Lines are compared in order, except threads= (results do not depend
// on it) and the ignored lines. On a difference, `diff` names the first
// differing line.
static int same_config(const Job *j, const char *self, char *diff, size_t cap) {
    static char want[16384], have[16384], canon[16384];
    char path[600];
    snprintf(path, sizeof path, "%s/config", j->dir);
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(diff, cap, "cannot read %.200s", path); return 0; }
    size_t n = fread(have, 1, sizeof have - 1, f);
    have[n] = '\0';
    fclose(f);
    if (!job_config(j, self, want, sizeof want)) { snprintf(diff, cap, "grsn train --print-config failed"); return 0; }
    // The run's config as this build writes it: a key that an older build
    // did not write takes its default, so it is not a difference. A config
    // this build cannot read is compared as it stands.
    char *a = want, *b = grsn_run_config_canonical(have, canon, sizeof canon) == GRSN_OK ? canon : have;
    while (*a || *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (ignored_line(a)) { a += la + (a[la] == '\n'); continue; }
        if (ignored_line(b)) { b += lb + (b[lb] == '\n'); continue; }
        int skip = !strncmp(a, "threads=", 8) && !strncmp(b, "threads=", 8);
        if (!skip && (la != lb || strncmp(a, b, la) != 0)) {
            snprintf(diff, cap, "the run has '%.*s', this sweep '%.*s'", (int)(lb < 80 ? lb : 80), b,
                     (int)(la < 80 ? la : 80), a);
            return 0;
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    return 1;
}

// A directory with a config but no result is a run that was stopped. With
// the config this sweep asks for and a resume pair on disk it is carried on
// (`grsn train --resume DIR`: the rows and result of an uninterrupted run,
// its log appended to); otherwise it is trained again from the start
// (grsn train refuses the directory without --force).
static pid_t start_job(Job *j, const char *self) {
    if (!make_dirs(j->dir)) return -1;
    char cfg[600], log[600], diff[256];
    snprintf(cfg, sizeof cfg, "%s/config", j->dir);
    snprintf(log, sizeof log, "%s/train.log", j->dir);
    int stopped = file_exists(cfg);
    int resume = j->resumed =
        stopped && grsn_train_resume_point(j->dir) >= 0 && same_config(j, self, diff, sizeof diff);
    char *argv[MAX_EXTRA + 28];
    int n = 0;
    argv[n++] = (char *)self;
    if (resume) {
        argv[n++] = "train"; argv[n++] = "--resume"; argv[n++] = j->dir;
        argv[n++] = "--threads"; argv[n++] = j->threads_s;
    } else {
        for (int i = 0; j->argv[i]; i++) argv[n++] = j->argv[i];
        if (stopped) { argv[n++] = "--force"; argv[n++] = "1"; }
    }
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | (resume ? O_APPEND : O_TRUNC), 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
        execv(self, argv);
        execvp("grsn", argv);
        fprintf(stderr, "grsn sweep: cannot run %s: %s\n", self, strerror(errno));
        _exit(127);
    }
    return pid;
}

// The last non-empty line of a job's log, for the failure message.
static void last_line(const char *dir, char *out, size_t cap) {
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/train.log", dir);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *p = strrchr(line, '\r');   // the live progress line, if any
        if (p) memmove(line, p + 1, strlen(p));
        if (line[0]) snprintf(out, cap, "%s", line);
    }
    fclose(f);
}

// ----------------------------------------------------------------------------
// The summary

static void csv_field(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) { if (*s == '"') fputc('"', f); fputc(*s, f); }
    fputc('"', f);
}

static void csv_num(FILE *f, double x) {
    if (x != x) fputs(",", f);
    else fprintf(f, ",%.9g", x);
}

// A summary written before, at the same path, is the record of runs whose
// directories may be gone (a fresh clone holds the committed summaries of
// results/ but no run directories) and of runs outside this sweep's grid (a
// results script run on one map, one net or some seeds of its table). So the
// summary is rewritten, not replaced:
//   - a row of a run outside the grid (another run directory) stays as it is;
//   - a row of a grid run is replaced, where it stands, by the run's row now;
//     a run recorded there as finished, by the same command (threads aside),
//     keeps its figures, marked "finished (recorded)", until its directory
//     holds a finished run again;
//   - grid runs new to the summary follow at the end, in grid order.
// A full regeneration therefore keeps the rows in the order they had.

#define MAX_ROW 4096
#define SUMMARY_FIELDS 12   // the columns of SUMMARY_HEADER
static const char SUMMARY_HEADER[] = "env,algo,net,seed,status,score,score_std,win_rate,env_steps,wall_s,run_dir,command";
enum { F_ENV, F_ALGO, F_NET, F_SEED, F_STATUS, F_SCORE, F_SCORE_STD, F_WIN, F_STEPS, F_WALL, F_DIR, F_COMMAND };

typedef struct {
    char *raw;                       // the row as it stands in the file
    char *line;                      // a copy, cut into fields in place
    char *field[SUMMARY_FIELDS];
} SummaryRow;

// Cut a CSV line into at most `max` fields in place (quoted fields lose their
// quotes, "" becomes "). Returns the number of fields; max + 1 if there are more.
static int csv_split(char *line, char **field, int max) {
    int n = 0;
    char *r = line;
    for (;;) {
        if (n == max) return max + 1;
        char *w = r;
        field[n++] = w;
        if (*r == '"') {
            for (r++; *r && !(*r == '"' && r[1] != '"'); r++) {
                if (*r == '"') r++;   // "" -> "
                *w++ = *r;
            }
            if (*r == '"') r++;
        } else {
            while (*r && *r != ',') *w++ = *r++;
        }
        int more = *r == ',';
        *w = '\0';
        if (!more) return n;
        r++;
    }
}

// Whether two commands are the same but for their --threads values.
static int same_command(const char *a, const char *b) {
    for (;;) {
        while (*a == ' ') a++;
        while (*b == ' ') b++;
        size_t la = strcspn(a, " "), lb = strcspn(b, " ");
        if (la == 0 || lb == 0) return la == lb;
        if (la != lb || strncmp(a, b, la) != 0) return 0;
        int threads = la == 9 && !strncmp(a, "--threads", 9);
        a += la; b += lb;
        if (threads) {   // skip both values
            while (*a == ' ') a++;
            while (*b == ' ') b++;
            a += strcspn(a, " "); b += strcspn(b, " ");
        }
    }
}

static void free_summary(SummaryRow *rows, int n) {
    for (int i = 0; i < n; i++) { free(rows[i].raw); free(rows[i].line); }
    free(rows);
}

// Every row of the summary at path (none if there is no such file). A file
// that is not a sweep summary, or a row cut short, stops the sweep with an
// error naming the file and line: rewriting it would lose what it holds.
static int read_summary(const char *path, SummaryRow **out) {
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        cli_fail(CMD, "cannot read the summary %s: %s", path, strerror(errno));
    }
    int n = 0, cap = 0, lineno = 0;
    SummaryRow *rows = NULL;
    char buf[MAX_ROW];
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t len = strcspn(buf, "\r\n");
        if (buf[len] == '\0' && !feof(f))
            cli_fail(CMD, "summary %s, line %d: longer than %d bytes; is it a grsn sweep summary?", path, lineno, MAX_ROW);
        buf[len] = '\0';
        if (lineno == 1) {
            if (strcmp(buf, SUMMARY_HEADER) != 0)
                cli_fail(CMD, "%s is not a grsn sweep summary (its first line is not the header \"%s\"); "
                         "name another file with --summary", path, SUMMARY_HEADER);
            continue;
        }
        if (len == 0) continue;
        SummaryRow r = {strdup(buf), strdup(buf), {0}};
        if (!r.raw || !r.line) cli_fail(CMD, "out of memory reading %s", path);
        int nf = csv_split(r.line, r.field, SUMMARY_FIELDS);
        if (nf != SUMMARY_FIELDS)
            cli_fail(CMD, "summary %s, line %d: %s%d fields, a summary row has %d", path, lineno,
                     nf > SUMMARY_FIELDS ? "more than " : "", nf > SUMMARY_FIELDS ? SUMMARY_FIELDS : nf, SUMMARY_FIELDS);
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            rows = realloc(rows, (size_t)cap * sizeof *rows);
            if (!rows) cli_fail(CMD, "out of memory reading %s", path);
        }
        rows[n++] = r;
    }
    if (ferror(f)) cli_fail(CMD, "cannot read the summary %s: %s", path, strerror(errno));
    fclose(f);
    *out = rows;
    return n;
}

// The row recorded as finished for job j, by the same command, or NULL.
static const SummaryRow *find_recorded(const SummaryRow *rows, int n, const Job *j) {
    for (int i = 0; i < n; i++) {
        char *const *f = rows[i].field;
        if (strncmp(f[F_STATUS], "finished", 8) != 0 || !strcmp(f[F_STATUS], "finished with another config")) continue;
        if (!strcmp(f[F_ENV], j->env) && !strcmp(f[F_ALGO], j->algo) && !strcmp(f[F_NET], j->net) &&
            atoi(f[F_SEED]) == j->seed && same_command(f[F_COMMAND], j->command))
            return &rows[i];
    }
    return NULL;
}

// Job j's row; returns 1 if it is the recorded row kept.
static int write_job_row(FILE *f, const Job *j, const SummaryRow *old, int nold) {
    GrsnRunInfo r;
    int have = grsn_run_read(&r, j->dir) == GRSN_OK;
    const SummaryRow *rec = NULL;
    if (!(have && r.finished) && (j->state == JOB_PENDING || j->state == JOB_SKIPPED))
        rec = find_recorded(old, nold, j);
    if (rec) {   // its recorded figures, verbatim
        char *const *rf = rec->field;
        fprintf(f, "%s,%s,%s,%d,finished (recorded),%s,%s,%s,%s,%s,", j->env, j->algo, j->net, j->seed, rf[F_SCORE],
                rf[F_SCORE_STD], rf[F_WIN], rf[F_STEPS], rf[F_WALL]);
        csv_field(f, rf[F_DIR]);
        fputc(',', f);
        csv_field(f, rf[F_COMMAND]);
        fputc('\n', f);
        if (have) grsn_run_free(&r);
        return 1;
    }
    const char *status = j->state == JOB_CONFLICT ? "finished with another config"
                       : have && r.finished ? (j->state == JOB_SKIPPED ? "finished (earlier)" : "finished")
                       : j->state == JOB_FAILED ? "failed"
                       : have ? "partial" : "not run";
    fprintf(f, "%s,%s,%s,%d,%s", j->env, j->algo, j->net, j->seed, status);
    csv_num(f, have && r.finished ? r.score : NAN);
    csv_num(f, have && r.finished ? r.score_std : NAN);
    csv_num(f, have && r.finished ? r.win_rate : NAN);
    fprintf(f, ",%ld", have ? r.env_steps : 0L);
    csv_num(f, have ? r.wall_s : NAN);
    fputc(',', f);
    csv_field(f, j->dir);
    fputc(',', f);
    csv_field(f, j->command);
    fputc('\n', f);
    if (have) grsn_run_free(&r);
    return 0;
}

// Rewrites the summary at path as described above. Returns how many grid rows
// it kept as "finished (recorded)"; *others gets the rows of runs outside the grid.
static int write_summary(const char *path, Job *jobs, int n, int *others) {
    SummaryRow *old;
    int nold = read_summary(path, &old), kept = 0;
    *others = 0;
    char dir[512], tmp[600];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    if (slash && !make_dirs(dir)) cli_fail(CMD, "cannot create directory %s: %s", dir, strerror(errno));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unsigned char *written = calloc((size_t)n, 1);
    FILE *f = fopen(tmp, "w");
    if (!written || !f) cli_fail(CMD, "cannot write %s: %s", tmp, written ? strerror(errno) : "out of memory");
    fprintf(f, "%s\n", SUMMARY_HEADER);
    for (int i = 0; i < nold; i++) {
        int k = 0;
        while (k < n && strcmp(jobs[k].dir, old[i].field[F_DIR]) != 0) k++;
        if (k == n) { fprintf(f, "%s\n", old[i].raw); (*others)++; }        // outside the grid: as it stands
        else if (!written[k]) { kept += write_job_row(f, &jobs[k], old, nold); written[k] = 1; }   // in its place
    }
    for (int k = 0; k < n; k++)
        if (!written[k]) kept += write_job_row(f, &jobs[k], old, nold);   // new to the summary
    free(written);
    free_summary(old, nold);
    // Temp file, fsync, rename: a killed sweep leaves the old summary or the new one.
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        cli_fail(CMD, "cannot write %s: %s", path, strerror(errno));
    return kept;
}

// ----------------------------------------------------------------------------

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

// Every name of the grid, before any run starts, so that a typo fails at once.
static void check_grid(const char *const *envs, int ne, const char *const *nets, int nn, const char *algo) {
    for (int i = 0; i < ne; i++) check_env(envs[i]);
    for (int i = 0; i < nn; i++)
        if (grsn_net_from_name(nets[i]) < 0)
            cli_usage_error(CMD, "unknown net '%s'; valid nets: %s", nets[i], GRSN_NET_NAMES);
    for (int i = 0; i < ne; i++) {
        const char *a = resolve_algo(algo, envs[i]);
        if (is_smac(envs[i]) != !strcmp(a, "qmix"))
            cli_usage_error(CMD, "--algo %s does not fit %s: qmix runs on smac:MAP, td3 and sacd on the control tasks",
                            a, envs[i]);
        for (int k = 0; k < nn; k++) {
            if (is_smac(envs[i]) && !strcmp(nets[k], "mlp"))
                cli_usage_error(CMD, "QMIX takes the nets grsn, lif, gru, not mlp (%s)", envs[i]);
            GrsnTrainConfig cfg;
            if (!is_smac(envs[i]) && grsn_train_defaults(&cfg, envs[i], grsn_algo_from_name(a),
                                                         grsn_net_from_name(nets[k]), 0) != GRSN_OK)
                cli_usage_error(CMD, "%s", grsn_last_error());
        }
    }
}

// A finished run is skipped only if it is the run asked for: a run with
// other flags in the same directory is reported, never overwritten. Returns
// the number of such conflicts.
static int check_finished(Job *jobs, int njobs, const char *self) {
    int conflicts = 0;
    for (int i = 0; i < njobs; i++) {
        if (jobs[i].state != JOB_SKIPPED) continue;
        char diff[256];
        if (same_config(&jobs[i], self, diff, sizeof diff)) {
            printf("skip   %s (finished: %s/result)\n", jobs[i].command, jobs[i].dir);
        } else {
            jobs[i].state = JOB_CONFLICT;
            conflicts++;
            fprintf(stderr, "grsn: sweep: %s holds a finished run with another configuration (%s); not rerun, "
                    "choose another --runs or remove it\n", jobs[i].dir, diff);
        }
    }
    return conflicts;
}

// The scheduler: at most jobs_n children at a time, in grid order, each
// reported as it ends; SIGINT/SIGTERM stop the running ones (left pending).
static void run_jobs(Job *jobs, int njobs, int jobs_n, const char *self, int todo, int *done, int *failed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;   // no SA_RESTART: waitpid returns on a signal
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int next = 0, running = 0;
    while (!stop_signal) {
        while (running < jobs_n && next < njobs && !stop_signal) {
            Job *j = &jobs[next++];
            if (j->state != JOB_PENDING) continue;
            j->pid = start_job(j, self);
            if (j->pid < 0) {
                j->state = JOB_FAILED;
                (*failed)++;
                fprintf(stderr, "grsn: sweep: FAILED %s %s seed %d: cannot start it in %s: %s\n", j->env, j->net, j->seed,
                        j->dir, strerror(errno));
                continue;
            }
            j->state = JOB_RUNNING;
            j->started = time(NULL);
            running++;
            if (j->resumed) printf("resume %s  (from its last resume pair in %s)\n", j->command, j->dir);
            else printf("start  %s\n", j->command);
            fflush(stdout);
        }
        if (running == 0) break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) { if (errno == EINTR) continue; break; }
        for (int i = 0; i < njobs; i++) {
            Job *j = &jobs[i];
            if (j->state != JOB_RUNNING || j->pid != pid) continue;
            running--;
            j->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            long secs = (long)(time(NULL) - j->started);
            GrsnRunInfo r;
            if (j->exit_code == 0 && grsn_run_read(&r, j->dir) == GRSN_OK && r.finished) {
                j->state = JOB_DONE;
                (*done)++;
                printf("done   %s %s seed %d: %.2f ± %.2f in %ld s (%d of %d)\n", j->env, j->net, j->seed, r.score,
                       r.score_std, secs, *done, todo);
                grsn_run_free(&r);
            } else {
                j->state = JOB_FAILED;
                (*failed)++;
                char why[512];
                last_line(j->dir, why, sizeof why);
                fprintf(stderr, "grsn: sweep: FAILED %s %s seed %d (exit %d after %ld s; log %s/train.log): %s\n",
                        j->env, j->net, j->seed, j->exit_code, secs, j->dir, why[0] ? why : "no output");
            }
            fflush(stdout);
        }
    }
    if (stop_signal) {
        // Stop our own jobs, by their ids; their directories stay partial,
        // and the next sweep carries them on from their last resume pair.
        for (int i = 0; i < njobs; i++)
            if (jobs[i].state == JOB_RUNNING) kill(jobs[i].pid, SIGTERM);
        for (int i = 0; i < njobs; i++)
            if (jobs[i].state == JOB_RUNNING) { waitpid(jobs[i].pid, NULL, 0); jobs[i].state = JOB_PENDING; }
    }
}

int cmd_sweep(int argc, char **argv) {
    // Everything after "--" goes to grsn train unchanged.
    int nextra = 0;
    char **extra = NULL;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--")) { extra = argv + i + 1; nextra = argc - i - 1; argc = i; break; }
    if (nextra > MAX_EXTRA) cli_usage_error(CMD, "more than %d train flags after --", MAX_EXTRA);

    const char *envs_s, *nets_s, *seeds_s, *algo, *runs, *summary;
    int jobs_n, threads, dry_run, summary_only;
    ArgSpec specs[] = {
        {"envs", ARG_STR, &envs_s, NULL, "comma-separated tasks: " GRSN_ENV_NAMES ", smac:MAP", NULL},
        {"nets", ARG_STR, &nets_s, "grsn", "comma-separated cores: " GRSN_NET_NAMES, NULL},
        {"seeds", ARG_STR, &seeds_s, "0-4", "seeds: 0-4, 0,2,5 or 1-3,9", NULL},
        {"algo", ARG_CHOICE, &algo, "auto", "auto: td3 for pendulum, sacd for cartpole, qmix for smac:MAP",
         "auto|td3|sacd|qmix"},
        {"jobs", ARG_INT, &jobs_n, "1", "training runs at a time", NULL},
        {"threads", ARG_INT, &threads, "0", "threads per run; 0: cores / jobs (at least 1)", NULL},
        {"runs", ARG_STR, &runs, "runs/sweep", "root of the run directories RUNS/ENV/NET/sSEED", NULL},
        {"summary", ARG_STR, &summary, NULL,
         "summary CSV; default RUNS/summary.csv. An existing one is updated: its rows of runs outside the grid stay, "
         "and rows of finished runs whose directories are gone are kept, marked finished (recorded)", NULL},
        {"dry-run", ARG_BOOL, &dry_run, "0", "print the command of every run of the grid (skip: finished), run nothing",
         NULL},
        {"summary-only", ARG_BOOL, &summary_only, "0",
         "write the summary of the grid as it stands (finished, partial, not run), train nothing", NULL},
    };
    args_parse(CMD, "sweep --envs E1,E2 [--nets N1,N2] [--seeds 0-4] [--algo A] [--jobs N] [--runs DIR] "
               "[--summary FILE] [-- train flags]\n\n"
               "Trains every (env, net, seed) of the grid with `grsn train`, N runs at a time, skipping runs\n"
               "that have finished (a result file) and carrying on stopped ones from their last resume pair\n"
               "(grsn train --resume), and writes one summary CSV with each run's final score and exact\n"
               "command; an existing summary is updated in place, keeping the rows of runs outside the grid.\n"
               "Flags after -- are passed to every grsn train run.",
               specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, NULL, 0);
    if (!envs_s) cli_usage_error(CMD, "name the tasks with --envs, e.g. --envs cartpole-v,pendulum-p");
    if (jobs_n < 1 || jobs_n > 256) cli_usage_error(CMD, "--jobs %d must lie in 1..256", jobs_n);
    if (threads < 0) cli_usage_error(CMD, "--threads %d must be >= 0", threads);
    static const char *const OWN[] = {"--env", "--net", "--seed", "--out", "--algo", "--force", NULL};
    for (int i = 0; i < nextra; i++)
        for (int k = 0; OWN[k]; k++)
            if (!strcmp(extra[i], OWN[k]))
                cli_usage_error(CMD, "%s after -- is set by the sweep itself; use --envs, --nets, --seeds, --algo, --runs",
                                OWN[k]);

    char envs_buf[1024], nets_buf[512];
    snprintf(envs_buf, sizeof envs_buf, "%s", envs_s);
    snprintf(nets_buf, sizeof nets_buf, "%s", nets_s);
    const char *envs[MAX_LIST], *nets[MAX_LIST];
    int seeds[MAX_SEEDS];
    int ne = split_list(envs_buf, envs, MAX_LIST, "envs"), nn = split_list(nets_buf, nets, MAX_LIST, "nets");
    int ns = parse_seeds(seeds_s, seeds);

    check_grid(envs, ne, nets, nn, algo);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    int per_job = threads > 0 ? threads : (int)(cores / jobs_n > 0 ? cores / jobs_n : 1);
    // --threads among the pass-through flags: each job gets the user's flag, not
    // the sweep's, and a resumed job (whose command the sweep writes) gets its value.
    char threads_s[12];
    snprintf(threads_s, sizeof threads_s, "%d", per_job);
    for (int i = 0; i + 1 < nextra; i++)
        if (!strcmp(extra[i], "--threads")) { per_job = 0; snprintf(threads_s, sizeof threads_s, "%s", extra[i + 1]); }

    int njobs = ne * nn * ns;
    Job *jobs = calloc((size_t)njobs, sizeof *jobs);
    if (!jobs) cli_fail(CMD, "out of memory");
    int k = 0, todo = 0;
    for (int e = 0; e < ne; e++)
        for (int n = 0; n < nn; n++)
            for (int s = 0; s < ns; s++, k++) {
                Job *j = &jobs[k];
                j->env = envs[e]; j->net = nets[n]; j->seed = seeds[s];
                build_job(j, runs, algo, strcmp(algo, "auto") != 0, per_job, threads_s, extra, nextra);
                char result[600];
                snprintf(result, sizeof result, "%s/result", j->dir);
                if (file_exists(result)) j->state = JOB_SKIPPED;
                else todo++;
            }
    char summary_path[512];
    snprintf(summary_path, sizeof summary_path, "%s", summary ? summary : "");
    if (!summary) snprintf(summary_path, sizeof summary_path, "%s/summary.csv", runs);

    printf("grsn sweep: %d runs (%d envs x %d nets x %d seeds), %d finished earlier, %d to train; %d at a time, "
           "%s threads each -> %s\n", njobs, ne, nn, ns, njobs - todo, todo, jobs_n, threads_s, runs);
    if (dry_run) {
        for (int i = 0; i < njobs; i++)
            printf("%s %s\n", jobs[i].state == JOB_SKIPPED ? "skip" : "run ", jobs[i].command);
        free(jobs);
        return 0;
    }
    // A summary that cannot be rewritten stops the sweep now, not after hours of
    // training. write_summary reads it again when it writes, so that rows other
    // sweeps wrote in the meantime (run_table3.sh's five, one after another) stay.
    SummaryRow *existing;
    int nexisting = read_summary(summary_path, &existing);
    free_summary(existing, nexisting);
    char self[1024];
    self_path(self, sizeof self);
    int conflicts = check_finished(jobs, njobs, self);
    fflush(stdout);
    int others;
    if (summary_only) {
        int kept = write_summary(summary_path, jobs, njobs, &others);
        printf("grsn sweep: summary of %d runs (%d finished, %d recorded, %d not finished) and %d rows of other runs "
               "kept -> %s\n", njobs, njobs - todo - conflicts, kept, todo - kept, others, summary_path);
        free(jobs);
        return conflicts ? 1 : 0;
    }

    int done = 0, failed = 0;
    run_jobs(jobs, njobs, jobs_n, self, todo, &done, &failed);
    int kept = write_summary(summary_path, jobs, njobs, &others);
    int skipped = njobs - todo - conflicts;
    printf("grsn sweep: %d trained, %d failed, %d finished earlier, %d recorded, %d with another config, %d not run; "
           "%d rows of other runs kept -> %s\n", done, failed, skipped, kept, conflicts, todo - done - failed - kept,
           others, summary_path);
    free(jobs);
    if (stop_signal) {
        fprintf(stderr, "grsn: sweep: stopped by signal %d; run the same command again to resume\n", (int)stop_signal);
        return 1;
    }
    return failed || conflicts ? 1 : 0;
}
