/*
 * runs.c — what `grsn report` reads: a tree of training run directories
 * (control tasks and QMIX, told apart by config and CSV headers), each run's
 * progress, timing, result and settings, and the groups of runs that are one
 * method across seeds. See grsn_report.h for what is read and how it is
 * averaged.
 *
 * Sections: reading files; one run; a run's settings; the tree and its groups.
 */
#include "report/report.h"
#include "grsn_train.h"
#include "io.h"
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

// ----------------------------------------------------------------------------
// Reading files

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

// The value of `key` in key=value lines, copied into out; 1 if found.
static int kv_get(const char *text, const char *key, char *out, size_t cap) {
    size_t klen = strlen(key);
    const char *line = text;
    while (*line) {
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            const char *v = line + klen + 1;
            size_t n = strcspn(v, "\r\n");
            if (n >= cap) n = cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
        const char *next = strchr(line, '\n');
        if (!next) break;
        line = next + 1;
    }
    return 0;
}

// The first of `keys` (NULL-terminated) present, as a number; NaN if none.
static double kv_number(const char *text, const char *const *keys) {
    char v[64];
    for (int i = 0; keys[i]; i++)
        if (kv_get(text, keys[i], v, sizeof v)) {
            char *end;
            double x = strtod(v, &end);
            if (end != v) return x;
        }
    return NAN;
}

// A CSV file of numbers with a header line: the columns' names and the
// rows that have exactly one field per column (a half-written last row of
// a killed run is dropped).
#define CSV_MAX_COLS 48

typedef struct {
    int ncols, nrows;
    char name[CSV_MAX_COLS][48];
    double *cell;              // [nrows][ncols]
} Csv;

static int csv_read(Csv *c, const char *path) {
    memset(c, 0, sizeof *c);
    char *text = grsn_read_text(path);
    if (!text) return 0;
    char *line = text, *next = strchr(line, '\n');
    if (!next) { free(text); return 0; }
    *next = '\0';
    for (char *save = NULL, *tok = strtok_r(line, ",\r", &save); tok && c->ncols < CSV_MAX_COLS;
         tok = strtok_r(NULL, ",\r", &save))
        snprintf(c->name[c->ncols++], sizeof c->name[0], "%s", tok);
    int cap = 0;
    for (line = next + 1; *line; line = next + 1) {
        next = strchr(line, '\n');
        if (!next) break;   // no newline: a row still being written
        *next = '\0';
        if (c->nrows == cap) {
            cap = cap ? 2 * cap : 64;
            double *bigger = realloc(c->cell, (size_t)cap * (size_t)c->ncols * sizeof(double));
            if (!bigger) break;
            c->cell = bigger;
        }
        double *row = c->cell + (size_t)c->nrows * (size_t)c->ncols;
        int k = 0;
        char *p = line;
        for (; k < c->ncols; k++) {
            char *end;
            row[k] = strtod(p, &end);
            if (end == p) row[k] = NAN;
            p = end + strcspn(end, ",");
            if (*p != ',') { k++; break; }
            p++;
        }
        if (k == c->ncols) c->nrows++;
    }
    free(text);
    return 1;
}

static void csv_free(Csv *c) { free(c->cell); c->cell = NULL; }

// The first column named exactly as one of `names`; else the first whose
// name holds both `has1` and `has2` but not `hasnt` (NULL: no condition); -1.
static int csv_col(const Csv *c, const char *const *names, const char *has1, const char *has2, const char *hasnt) {
    for (int i = 0; names && names[i]; i++)
        for (int k = 0; k < c->ncols; k++)
            if (!strcmp(c->name[k], names[i])) return k;
    if (!has1) return -1;
    for (int k = 0; k < c->ncols; k++)
        if (strstr(c->name[k], has1) && (!has2 || strstr(c->name[k], has2)) && (!hasnt || !strstr(c->name[k], hasnt)))
            return k;
    return -1;
}

static double csv_at(const Csv *c, int row, int col) {
    return col < 0 || row < 0 || row >= c->nrows ? NAN : c->cell[(size_t)row * (size_t)c->ncols + (size_t)col];
}

// ----------------------------------------------------------------------------
// One run

static const char *const X_COLS[] = {"env_steps", "t_env", "step", "steps", NULL};
static const char *const CONTROL_Y_COLS[] = {"eval_return", NULL};
static const char *const QMIX_Y_COLS[] = {"test_return_mean", "test_return", "eval_return", "return_mean", NULL};
static const char *const WIN_COLS[] = {"test_win_rate", "test_battle_won_mean", "win_rate", NULL};
static const char *const LEN_COLS[] = {"test_ep_length_mean", "test_length_mean", "test_length", "test_ep_length", NULL};
static const char *const FIRE_COLS[] = {"firing_rate", NULL};
static const char *const SCORE_KEYS[] = {"eval_return_mean", "test_return_mean", "return_mean", NULL};
static const char *const SCORE_STD_KEYS[] = {"eval_return_std", "test_return_std", "return_std", NULL};
static const char *const WIN_KEYS[] = {"test_win_rate", "win_rate", "test_battle_won_mean", NULL};
static const char *const STEP_KEYS[] = {"env_steps", "t_env", NULL};
static const char *const WALL_KEYS[] = {"wall_s", NULL};

// Win rates may be logged as fractions or percentages; keep fractions.
static double as_fraction(double w, int percent) { return percent ? w / 100.0 : w; }

// Reads the learning curve; returns 1 if its win rates are percentages (any
// above 1), which then holds for the result file's too.
static int read_progress(GrsnRunInfo *r) {
    char path[600];
    snprintf(path, sizeof path, "%s/progress.csv", r->dir);
    Csv c;
    int percent = 0;
    if (!csv_read(&c, path)) return 0;
    int cx = csv_col(&c, X_COLS, NULL, NULL, NULL);
    if (cx < 0) cx = 0;
    int cy = r->kind == GRSN_RUN_QMIX ? csv_col(&c, QMIX_Y_COLS, "test", "return", "std")
                                      : csv_col(&c, CONTROL_Y_COLS, NULL, NULL, NULL);
    int cw = csv_col(&c, WIN_COLS, "test", "win", NULL);
    int cl = csv_col(&c, LEN_COLS, "test", "len", NULL);
    int cf = csv_col(&c, FIRE_COLS, "firing", NULL, NULL);
    if (cy >= 0 && c.nrows > 0) {
        r->x = malloc((size_t)c.nrows * sizeof(double));
        r->y = malloc((size_t)c.nrows * sizeof(double));
        r->win = malloc((size_t)c.nrows * sizeof(double));
        if (r->x && r->y && r->win) {
            for (int i = 0; i < c.nrows; i++) percent |= csv_at(&c, i, cw) > 1.0;
            for (int i = 0; i < c.nrows; i++) {
                r->x[i] = csv_at(&c, i, cx);
                r->y[i] = csv_at(&c, i, cy);
                r->win[i] = as_fraction(csv_at(&c, i, cw), percent);
            }
            r->npoints = c.nrows;
        }
    }
    if (r->npoints > 0 && r->kind == GRSN_RUN_QMIX) {
        double sum = 0;
        int n10 = 0;
        for (int i = 0; i < r->npoints; i++) {
            if (isnan(r->win[i])) continue;
            r->tests++;
            if (r->win[i] >= 0.95) {
                r->tests_win95++;
                if (r->win95_steps < 0) r->win95_steps = (long)r->x[i];
            }
        }
        for (int i = r->npoints - 1; i >= 0 && n10 < 10; i--)
            if (!isnan(r->win[i])) { sum += r->win[i]; n10++; }
        if (n10 > 0) r->win_last10 = sum / n10;
    }
    int last = c.nrows - 1;
    if (last >= 0) {
        r->env_steps = (long)csv_at(&c, last, cx);
        r->ep_length = csv_at(&c, last, cl);
        r->firing_rate = csv_at(&c, last, cf);
    }
    csv_free(&c);
    return percent;
}

static void read_timing(GrsnRunInfo *r) {
    char path[600];
    snprintf(path, sizeof path, "%s/timing.csv", r->dir);
    Csv c;
    if (!csv_read(&c, path)) return;
    int cw = csv_col(&c, WALL_KEYS, "wall", NULL, NULL), cx = csv_col(&c, STEP_KEYS, NULL, NULL, NULL);
    if (c.nrows > 0) r->wall_s = csv_at(&c, c.nrows - 1, cw);
    // The wall time of the first >= 95% test: the timing row logged at the same env step.
    for (int i = 0; r->win95_steps >= 0 && cx >= 0 && i < c.nrows; i++)
        if ((long)csv_at(&c, i, cx) == r->win95_steps) { r->win95_wall = csv_at(&c, i, cw); break; }
    csv_free(&c);
}

static void read_result(GrsnRunInfo *r, int percent) {
    char path[600];
    snprintf(path, sizeof path, "%s/result", r->dir);
    char *text = grsn_read_text(path);
    if (!text) {
        if (r->npoints > 0)
            snprintf(r->note, sizeof r->note,
                     "no result: stopped or still running (last evaluation at %ld of %ld env steps)",
                     r->env_steps, r->budget);
        else
            snprintf(r->note, sizeof r->note, "no result and no evaluation yet");
        return;
    }
    r->score = kv_number(text, SCORE_KEYS);
    r->score_std = kv_number(text, SCORE_STD_KEYS);
    double w = kv_number(text, WIN_KEYS);
    if (!isnan(w)) r->win_rate = as_fraction(w, percent || w > 1.0);
    double steps = kv_number(text, STEP_KEYS), wall = kv_number(text, WALL_KEYS);
    if (!isnan(steps)) r->env_steps = (long)steps;
    if (!isnan(wall)) r->wall_s = wall;
    static const char *const LEN_KEYS[] = {"test_length_mean", NULL}, *const FIRE_KEYS[] = {"firing_rate", NULL};
    double len = kv_number(text, LEN_KEYS), fire = kv_number(text, FIRE_KEYS);
    if (!isnan(len)) r->ep_length = len;
    if (!isnan(fire)) r->firing_rate = fire;
    free(text);
    if (isnan(r->score)) snprintf(r->note, sizeof r->note, "result holds no final score (eval_return_mean)");
    else r->finished = 1;
}

// ----------------------------------------------------------------------------
// A run's settings, against the defaults of its env, algo and net

static int qmix_config(const char *text) {
    char algo[16] = "", env[48] = "";
    kv_get(text, "algo", algo, sizeof algo);
    kv_get(text, "env", env, sizeof env);
    return !strcmp(algo, "qmix") || !strncmp(env, "smac:", 5);
}

// The config rendered by this build, and (if dflt) the defaults of its env,
// algo and net with the same seed, budget, threads and substeps.
static grsn_status config_texts(const char *text, char *out, char *dflt, size_t cap) {
    size_t len = strlen(text);
    if (qmix_config(text)) {
        GrsnQmixTrainConfig c, d;
        GRSN_TRY(grsn_qmix_train_config_parse(&c, text, len));
        grsn_qmix_train_config_text(&c, out, cap);
        if (!dflt) return GRSN_OK;
        GRSN_TRY(grsn_qmix_train_defaults(&d, c.qmix.map, c.qmix.net, c.seed));
        d.steps = c.steps; d.threads = c.threads; d.qmix.cell.substeps = c.qmix.cell.substeps;
        grsn_qmix_train_config_text(&d, dflt, cap);
    } else {
        GrsnTrainConfig c, d;
        GRSN_TRY(grsn_train_config_parse(&c, text, len));
        grsn_train_config_text(&c, out, cap);
        if (!dflt) return GRSN_OK;
        GRSN_TRY(grsn_train_defaults(&d, c.env, c.agent.algo, c.agent.net, c.seed));
        if (c.compat) { grsn_train_set_compat(&d); d.compat = 0; }   // the variant says compat=1 alone
        d.steps = c.steps; d.threads = c.threads; d.agent.cell.substeps = c.agent.cell.substeps;
        grsn_train_config_text(&d, dflt, cap);
    }
    return GRSN_OK;
}

grsn_status grsn_run_config_canonical(const char *text, char *out, size_t cap) {
    return config_texts(text, out, NULL, cap);
}

grsn_status grsn_run_config_variant(const char *text, char *out, size_t cap) {
    static const char *const SKIP[] = {"grsn_version", "grsn_build", "seed", "steps", "threads", "eval_episodes",
                                       "eval_interval", "test_interval", "test_episodes", "resume_interval",
                                       "keep_resume", "cell.substeps", NULL};
    char have[8192], dflt[8192];
    if (cap) out[0] = '\0';
    GRSN_TRY(config_texts(text, have, dflt, sizeof have));
    size_t off = 0;
    for (const char *line = have; *line;) {
        size_t n = strcspn(line, "\n"), k = strcspn(line, "=");
        char key[64], v[128];
        int skip = k >= n || k >= sizeof key;
        if (!skip) {
            memcpy(key, line, k);
            key[k] = '\0';
            for (int i = 0; SKIP[i]; i++) skip |= !strcmp(key, SKIP[i]);
        }
        if (!skip && !(kv_get(dflt, key, v, sizeof v) && strlen(v) == n - k - 1 && !strncmp(v, line + k + 1, n - k - 1))) {
            int w = snprintf(out + off, off < cap ? cap - off : 0, "%s%.*s", off ? " " : "", (int)n, line);
            off += (size_t)(w > 0 ? w : 0);
        }
        line += n + (line[n] == '\n');
    }
    if (off >= cap && cap > 4) memcpy(out + cap - 4, "...", 4);   // too many to list: cut, marked
    return GRSN_OK;
}

// FNV-1a (64 bits) of a text: tells variants apart beyond what r->variant holds.
static uint64_t text_id(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

grsn_status grsn_run_read(GrsnRunInfo *r, const char *dir) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    if (strlen(dir) >= sizeof r->dir)
        return grsn_fail(GRSN_ERR_ARG, "run directory path of %zu characters, longer than %zu: %.80s...", strlen(dir),
                         sizeof r->dir - 1, dir);
    r->score = r->score_std = r->win_rate = r->ep_length = r->firing_rate = r->wall_s = NAN;
    r->win95_wall = r->win_last10 = NAN;
    r->win95_steps = -1;
    r->substeps = 1;
    r->seed = -1;
    char path[600], v[64], env[48] = "", map[48] = "";
    snprintf(path, sizeof path, "%s/config", dir);
    char *cfg = grsn_read_text(path);
    if (!cfg) return grsn_fail(GRSN_ERR_IO, "cannot read %s: %s", path, strerror(errno));

    kv_get(cfg, "env", env, sizeof env);
    kv_get(cfg, "map", map, sizeof map);
    kv_get(cfg, "algo", r->algo, sizeof r->algo);
    kv_get(cfg, "net", r->net, sizeof r->net);
    int qmix = qmix_config(cfg) || map[0];   // pymarl's configs name a map
    r->kind = qmix ? GRSN_RUN_QMIX : GRSN_RUN_CONTROL;
    snprintf(r->task, sizeof r->task, "%.31s", map[0] ? map : !strncmp(env, "smac:", 5) ? env + 5 : env);
    if (!r->algo[0]) snprintf(r->algo, sizeof r->algo, "%s", qmix ? "qmix" : "?");
    if (kv_get(cfg, "seed", v, sizeof v)) r->seed = atol(v);
    if (kv_get(cfg, "cell.substeps", v, sizeof v) || kv_get(cfg, "substeps", v, sizeof v)) r->substeps = atoi(v);
    if (kv_get(cfg, "steps", v, sizeof v) || kv_get(cfg, "t_max", v, sizeof v)) r->budget = atol(v);
    if (kv_get(cfg, "seq_len", v, sizeof v)) r->seq_len = atoi(v);
    // A config this build cannot read is its own method: never averaged
    // with the runs whose settings are known. The group key is the whole
    // variant text (its id); r->variant keeps what fits for display.
    char full[8192];
    if (grsn_run_config_variant(cfg, full, sizeof full) != GRSN_OK)
        snprintf(full, sizeof full, "unreadable config: %.120s", grsn_last_error());
    r->variant_id = text_id(full);
    size_t vn = strlen(full);
    if (vn < sizeof r->variant) {
        memcpy(r->variant, full, vn + 1);
    } else {
        memcpy(r->variant, full, sizeof r->variant - 4);
        memcpy(r->variant + sizeof r->variant - 4, "...", 4);
    }
    free(cfg);
    if (!r->task[0] || !r->net[0])
        return grsn_fail(GRSN_ERR_FORMAT, "%s names no %s", path, !r->task[0] ? "env or map" : "net");
    if (r->substeps < 1) r->substeps = 1;

    int percent = read_progress(r);
    read_timing(r);
    read_result(r, percent);
    snprintf(path, sizeof path, "%s/final.grsn", dir);
    r->has_final = file_exists(path);
    return GRSN_OK;
}

void grsn_run_free(GrsnRunInfo *r) {
    free(r->x); free(r->y); free(r->win);
    r->x = r->y = r->win = NULL;
    r->npoints = 0;
}

// ----------------------------------------------------------------------------
// The tree and its groups

// The paper's order: Table 1 tasks, then the SMAC maps of Table 2.
static const char *const TASK_ORDER[] = {"cartpole-v", "cartpole-p", "pendulum-v", "pendulum-p", "cartpole-f",
                                         "pendulum-f", "8m", "2s3z", "8m_vs_9m", "3s_vs_5z", "27m_vs_30m", "MMM2",
                                         NULL};
static const char *const NET_ORDER[] = {"mlp", "gru", "lif", "grsn", NULL};

static int rank(const char *const *order, const char *name) {
    for (int i = 0; order[i]; i++) if (!strcmp(order[i], name)) return i;
    return 1000;
}

static int same_method(const GrsnRunInfo *a, const GrsnRunInfo *b) {
    return a->kind == b->kind && !strcmp(a->task, b->task) && !strcmp(a->algo, b->algo) &&
           !strcmp(a->net, b->net) && a->substeps == b->substeps && !strcmp(a->variant, b->variant) &&
           a->variant_id == b->variant_id && a->budget == b->budget;
}

static int run_cmp(const void *pa, const void *pb) {
    const GrsnRunInfo *a = pa, *b = pb;
    int d;
    if ((d = rank(TASK_ORDER, a->task) - rank(TASK_ORDER, b->task))) return d;
    if ((d = strcmp(a->task, b->task))) return d;
    if ((d = strcmp(a->algo, b->algo))) return d;
    if ((d = a->substeps - b->substeps)) return d;
    if ((d = rank(NET_ORDER, a->net) - rank(NET_ORDER, b->net))) return d;
    if ((d = strcmp(a->net, b->net))) return d;
    if ((d = strcmp(a->variant, b->variant))) return d;   // the defaults ("") first
    if (a->variant_id != b->variant_id) return a->variant_id < b->variant_id ? -1 : 1;
    if (a->budget != b->budget) return a->budget > b->budget ? -1 : 1;   // largest budget first
    if (a->seed != b->seed) return a->seed < b->seed ? -1 : 1;
    return strcmp(a->dir, b->dir);
}

static grsn_status list_push(GrsnRunList *l, const GrsnRunInfo *r) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 32;
        GrsnRunInfo *bigger = realloc(l->run, (size_t)cap * sizeof *bigger);
        if (!bigger) return grsn_fail(GRSN_ERR_OOM, "out of memory listing runs");
        l->run = bigger;
        l->cap = cap;
    }
    l->run[l->n++] = *r;
    return GRSN_OK;
}

// The directories a scan has entered, by device and inode: a directory
// reached again through a symbolic link is read once (a run linked into two
// folders is one run, not two seeds).
typedef struct {
    GrsnRunList *l;
    struct { dev_t dev; ino_t ino; } *seen;
    int nseen, cap;
} Scan;

// 1 if dir was entered before; otherwise records it. -1 if out of memory.
static int seen_before(Scan *s, const struct stat *sb) {
    for (int i = 0; i < s->nseen; i++)
        if (s->seen[i].dev == sb->st_dev && s->seen[i].ino == sb->st_ino) return 1;
    if (s->nseen == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        void *bigger = realloc(s->seen, (size_t)cap * sizeof *s->seen);
        if (!bigger) return -1;
        s->seen = bigger;
        s->cap = cap;
    }
    s->seen[s->nseen].dev = sb->st_dev;
    s->seen[s->nseen].ino = sb->st_ino;
    s->nseen++;
    return 0;
}

enum { SCAN_PATH = 1024 };   // the longest path searched, with its terminating zero

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static grsn_status scan_dir(Scan *s, const char *dir, int depth) {
    GrsnRunList *l = s->l;
    struct stat sb;
    if (stat(dir, &sb) != 0) return GRSN_OK;   // vanished since it was listed
    int again = seen_before(s, &sb);
    if (again < 0) return grsn_fail(GRSN_ERR_OOM, "out of memory listing runs");
    if (again) return GRSN_OK;
    char path[SCAN_PATH + 16];
    snprintf(path, sizeof path, "%s/config", dir);
    if (file_exists(path)) {
        GrsnRunInfo r;
        if (grsn_run_read(&r, dir) != GRSN_OK) {
            // Kept, so that the report lists it rather than losing it.
            snprintf(r.note, sizeof r.note, "unreadable: %s", grsn_last_error());
            snprintf(r.task, sizeof r.task, "?");
            snprintf(r.algo, sizeof r.algo, "?");
            snprintf(r.net, sizeof r.net, "?");
        }
        return list_push(l, &r);
    }
    if (depth >= 8) return GRSN_OK;
    DIR *d = opendir(dir);
    if (!d) return depth == 0 ? grsn_fail(GRSN_ERR_IO, "cannot open %s: %s", dir, strerror(errno)) : GRSN_OK;
    // The entries in name order, so that the report does not depend on the
    // file system's order (which path names a linked run, for one).
    char **names = NULL;
    int n = 0, cap = 0;
    grsn_status st = GRSN_OK;
    for (struct dirent *e; st == GRSN_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **bigger = realloc(names, (size_t)cap * sizeof *names);
            if (!bigger) { st = grsn_fail(GRSN_ERR_OOM, "out of memory listing %s", dir); break; }
            names = bigger;
        }
        if (!(names[n] = strdup(e->d_name))) st = grsn_fail(GRSN_ERR_OOM, "out of memory listing %s", dir);
        else n++;
    }
    closedir(d);
    if (n > 1) qsort(names, (size_t)n, sizeof *names, name_cmp);
    for (int i = 0; st == GRSN_OK && i < n; i++) {
        if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= SCAN_PATH)
            st = grsn_fail(GRSN_ERR_ARG, "path longer than %d characters under %s: %s", SCAN_PATH - 1, dir, names[i]);
        else if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            st = scan_dir(s, path, depth + 1);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    return st;
}

grsn_status grsn_runs_scan(GrsnRunList *l, const char *root) {
    memset(l, 0, sizeof *l);
    struct stat sb;
    if (stat(root, &sb) != 0) return grsn_fail(GRSN_ERR_IO, "cannot open %s: %s", root, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return grsn_fail(GRSN_ERR_IO, "%s is not a directory", root);
    Scan s = {.l = l};
    grsn_status st = scan_dir(&s, root, 0);
    free(s.seen);
    if (st != GRSN_OK) { grsn_runs_free(l); return st; }
    if (l->n > 1) qsort(l->run, (size_t)l->n, sizeof *l->run, run_cmp);
    return GRSN_OK;
}

void grsn_runs_free(GrsnRunList *l) {
    for (int i = 0; i < l->n; i++) grsn_run_free(&l->run[i]);
    free(l->run);
    memset(l, 0, sizeof *l);
}

int grsn_mean_std(const double *x, int n, double *mean, double *std) {
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++) if (isfinite(x[i])) { s += x[i]; k++; }
    if (k == 0) { *mean = *std = NAN; return 0; }
    double m = s / k, v = 0;
    for (int i = 0; i < n; i++) if (isfinite(x[i])) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = sqrt(v / k);
    return k;
}

grsn_status grsn_runs_group(GrsnGroups *g, const GrsnRunList *l) {
    memset(g, 0, sizeof *g);
    if (l->n == 0) return GRSN_OK;
    g->group = grsn_calloc((size_t)l->n, sizeof *g->group);
    double *score = grsn_calloc((size_t)l->n, sizeof(double)), *win = grsn_calloc((size_t)l->n, sizeof(double));
    double *wall = grsn_calloc((size_t)l->n, sizeof(double)), *steps = grsn_calloc((size_t)l->n, sizeof(double));
    grsn_status st = g->group && score && win && wall && steps ? GRSN_OK : GRSN_ERR_OOM;
    // The list is sorted by method, so each group is a contiguous stretch.
    for (int i = 0; st == GRSN_OK && i < l->n;) {
        int j = i + 1;
        while (j < l->n && same_method(&l->run[i], &l->run[j])) j++;
        GrsnRunGroup *gr = &g->group[g->n++];
        const GrsnRunInfo *r0 = &l->run[i];
        gr->kind = r0->kind;
        snprintf(gr->task, sizeof gr->task, "%s", r0->task);
        snprintf(gr->algo, sizeof gr->algo, "%s", r0->algo);
        snprintf(gr->net, sizeof gr->net, "%s", r0->net);
        gr->substeps = r0->substeps;
        snprintf(gr->variant, sizeof gr->variant, "%s", r0->variant);
        gr->budget = r0->budget;
        gr->nruns = j - i;
        if (!(gr->run = grsn_calloc((size_t)gr->nruns, sizeof(int)))) { st = GRSN_ERR_OOM; break; }
        int k = 0;
        long last_seed = -2;
        for (int r = i; r < j; r++) {
            gr->run[r - i] = r;
            if (!l->run[r].finished) continue;   // partial runs are never averaged
            // Runs are sorted by seed within a method: a copy of a run
            // directory shows as the same seed twice.
            if (l->run[r].seed >= 0 && l->run[r].seed == last_seed) gr->repeated_seeds++;
            last_seed = l->run[r].seed;
            score[k] = l->run[r].score;
            win[k] = l->run[r].win_rate;
            wall[k] = l->run[r].wall_s;
            steps[k] = (double)l->run[r].env_steps;
            k++;
        }
        gr->nfinished = k;
        double unused;
        grsn_mean_std(score, k, &gr->mean, &gr->std);
        grsn_mean_std(win, k, &gr->win_mean, &gr->win_std);
        grsn_mean_std(wall, k, &gr->wall_mean, &unused);
        grsn_mean_std(steps, k, &gr->steps_mean, &unused);
        i = j;
    }
    free(score); free(win); free(wall); free(steps);
    if (st != GRSN_OK) grsn_groups_free(g);
    return st;
}

void grsn_groups_free(GrsnGroups *g) {
    for (int i = 0; i < g->n; i++) free(g->group[i].run);
    free(g->group);
    memset(g, 0, sizeof *g);
}

// Whether group gr is the method (task, algo, net, substeps, variant), of
// any budget; algo NULL: any algo.
int report_group_is(const GrsnRunGroup *gr, const char *task, const char *algo, const char *net, int substeps,
                    const char *variant) {
    return !strcmp(gr->task, task) && (!algo || !strcmp(gr->algo, algo)) && !strcmp(gr->net, net) &&
           gr->substeps == substeps && !strcmp(gr->variant, variant);
}

// Groups are sorted largest budget first, so the first match has the largest.
const GrsnRunGroup *report_find_variant(const GrsnGroups *g, const char *task, const char *algo, const char *net,
                                        int substeps, const char *variant) {
    for (int i = 0; i < g->n; i++)
        if (report_group_is(&g->group[i], task, algo, net, substeps, variant)) return &g->group[i];
    return NULL;
}

const GrsnRunGroup *grsn_groups_find(const GrsnGroups *g, const char *task, const char *algo, const char *net,
                                     int substeps) {
    return report_find_variant(g, task, algo, net, substeps, "");
}

