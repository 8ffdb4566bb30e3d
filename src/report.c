/*
 * report.c — `grsn report`: reads a tree of training run directories
 * (control tasks and QMIX, told apart by config and CSV headers), groups
 * them by method across seeds, and writes one folder with Markdown tables
 * in the format of the paper's Tables 1-4 (our mean ± std beside the
 * paper's), SVG learning curves, spike rasters of trained GRSN cores and a
 * per-run CSV. See grsn_report.h for what is read and how it is averaged.
 *
 * Sections: reading files; one run; the tree and its groups; SVG figures;
 * spike recording; Table 4; the Markdown index.
 */
#include "common.h"
#include "grsn_report.h"
#include "grsn_train.h"
#include "io.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>

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

static void read_progress(GrsnRunInfo *r) {
    char path[600];
    snprintf(path, sizeof path, "%s/progress.csv", r->dir);
    Csv c;
    if (!csv_read(&c, path)) return;
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
            int percent = 0;
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

static void read_result(GrsnRunInfo *r) {
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
    if (!isnan(w)) r->win_rate = as_fraction(w, w > 1.0);
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

grsn_status grsn_run_read(GrsnRunInfo *r, const char *dir) {
    memset(r, 0, sizeof *r);
    r->score = r->score_std = r->win_rate = r->ep_length = r->firing_rate = r->wall_s = NAN;
    r->win95_wall = r->win_last10 = NAN;
    r->win95_steps = -1;
    r->substeps = 1;
    r->seed = -1;
    snprintf(r->dir, sizeof r->dir, "%s", dir);
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
    // with the runs whose settings are known.
    if (grsn_run_config_variant(cfg, r->variant, sizeof r->variant) != GRSN_OK)
        snprintf(r->variant, sizeof r->variant, "unreadable config: %.120s", grsn_last_error());
    free(cfg);
    if (!r->task[0] || !r->net[0])
        return grsn_fail(GRSN_ERR_FORMAT, "%s names no %s", path, !r->task[0] ? "env or map" : "net");
    if (r->substeps < 1) r->substeps = 1;

    read_progress(r);
    read_timing(r);
    read_result(r);
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
           a->budget == b->budget;
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

static grsn_status scan_dir(GrsnRunList *l, const char *dir, int depth) {
    char path[1024];
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
    struct dirent *e;
    grsn_status st = GRSN_OK;
    while (st == GRSN_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) st = scan_dir(l, path, depth + 1);
    }
    closedir(d);
    return st;
}

grsn_status grsn_runs_scan(GrsnRunList *l, const char *root) {
    memset(l, 0, sizeof *l);
    struct stat sb;
    if (stat(root, &sb) != 0) return grsn_fail(GRSN_ERR_IO, "cannot open %s: %s", root, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return grsn_fail(GRSN_ERR_IO, "%s is not a directory", root);
    GRSN_TRY(scan_dir(l, root, 0));
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
        for (int r = i; r < j; r++) {
            gr->run[r - i] = r;
            if (!l->run[r].finished) continue;   // partial runs are never averaged
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
static int group_is(const GrsnRunGroup *gr, const char *task, const char *algo, const char *net, int substeps,
                    const char *variant) {
    return !strcmp(gr->task, task) && (!algo || !strcmp(gr->algo, algo)) && !strcmp(gr->net, net) &&
           gr->substeps == substeps && !strcmp(gr->variant, variant);
}

// Groups are sorted largest budget first, so the first match has the largest.
static const GrsnRunGroup *find_variant(const GrsnGroups *g, const char *task, const char *algo, const char *net,
                                        int substeps, const char *variant) {
    for (int i = 0; i < g->n; i++)
        if (group_is(&g->group[i], task, algo, net, substeps, variant)) return &g->group[i];
    return NULL;
}

const GrsnRunGroup *grsn_groups_find(const GrsnGroups *g, const char *task, const char *algo, const char *net,
                                     int substeps) {
    return find_variant(g, task, algo, net, substeps, "");
}

// ----------------------------------------------------------------------------
// SVG figures
//
// Written by hand: a plot area with axes, "nice" ticks (1, 2 or 5 x 10^k),
// axis labels, a title and a legend; shapes are polylines and polygons.

static void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *extra, const char *s) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s%s>", x, y, anchor, size,
            extra ? " " : "", extra ? extra : "");
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
    fputs("</text>\n", f);
}

// A tick step of 1, 2 or 5 x 10^k giving about `want` intervals over span.
static double nice_step(double span, int want) {
    double raw = span / want, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

// Tick labels: 51000 -> "51k", 1.5e6 -> "1.5M", -200 -> "-200".
static void tick_label(char *out, size_t cap, double v, int thousands) {
    if (fabs(v) < 1e-9) v = 0;
    if (thousands && fabs(v) >= 1e6) snprintf(out, cap, "%gM", v / 1e6);
    else if (thousands && fabs(v) >= 1e3) snprintf(out, cap, "%gk", v / 1e3);
    else snprintf(out, cap, "%g", v);
}

typedef struct {
    double x0, x1, y0, y1;     // data range
    double left, top, w, h;    // plot area in pixels
} Frame;

// About 5 intervals on the y axis, 3 on a short one.
static int y_ticks(const Frame *fr) { return fr->h < 150 ? 3 : 5; }

static double fx(const Frame *fr, double x) { return fr->left + (x - fr->x0) / (fr->x1 - fr->x0) * fr->w; }
static double fy(const Frame *fr, double y) { return fr->top + (fr->y1 - y) / (fr->y1 - fr->y0) * fr->h; }

// Round the data range out to whole ticks.
static void frame_fit(Frame *fr, double xmin, double xmax, double ymin, double ymax) {
    if (!(xmax > xmin)) { xmin -= 1; xmax += 1; }
    if (!(ymax > ymin)) { ymin -= 1; ymax += 1; }
    double sx = nice_step(xmax - xmin, 6), sy = nice_step(ymax - ymin, y_ticks(fr));
    fr->x0 = floor(xmin / sx) * sx;
    fr->x1 = ceil(xmax / sx) * sx;
    fr->y0 = floor(ymin / sy) * sy;
    fr->y1 = ceil(ymax / sy) * sy;
}

static void svg_axes(FILE *f, const Frame *fr, const char *xlabel, const char *ylabel, int x_thousands) {
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
            fr->left, fr->top, fr->w, fr->h);
    char lab[32];
    double sx = nice_step(fr->x1 - fr->x0, 6), sy = nice_step(fr->y1 - fr->y0, y_ticks(fr));
    for (double x = fr->x0; x <= fr->x1 + 1e-9 * sx; x += sx) {
        double px = fx(fr, x);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, fr->top, px,
                fr->top + fr->h);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", px, fr->top + fr->h,
                px, fr->top + fr->h + 5);
        tick_label(lab, sizeof lab, x, x_thousands);
        svg_text(f, px, fr->top + fr->h + 18, "middle", 11, NULL, lab);
    }
    for (double y = fr->y0; y <= fr->y1 + 1e-9 * sy; y += sy) {
        double py = fy(fr, y);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", fr->left, py,
                fr->left + fr->w, py);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", fr->left - 5, py,
                fr->left, py);
        tick_label(lab, sizeof lab, y, 0);
        svg_text(f, fr->left - 8, py + 4, "end", 11, NULL, lab);
    }
    svg_text(f, fr->left + fr->w / 2, fr->top + fr->h + 38, "middle", 12, NULL, xlabel);
    char rot[96];
    double ly = fr->top + fr->h / 2;
    snprintf(rot, sizeof rot, "transform=\"rotate(-90 %.1f %.1f)\"", fr->left - 52, ly);
    svg_text(f, fr->left - 52, ly, "middle", 12, rot, ylabel);
}

static void svg_open(FILE *f, int w, int h) {
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"Helvetica, Arial, sans-serif\">\n"
               "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
            w, h, w, h, w, h);
}

// One method's curve: mean and std over seeds at each evaluation.
typedef struct {
    char label[240];           // "first line|second line"
    const char *color;
    int dashed;
    int thin;                  // a shorter budget than another group of the method: dotted, no band
    int n;
    double *x, *mean, *std;    // [n]
} Series;

static const char *net_color(const char *net) {
    if (!strcmp(net, "grsn")) return "#d62728";
    if (!strcmp(net, "lif")) return "#ff7f0e";
    if (!strcmp(net, "gru")) return "#1f77b4";
    if (!strcmp(net, "mlp")) return "#7f7f7f";
    return "#2ca02c";
}

// Runs with settings off the defaults: a colour of their own, from the text.
static const char *variant_color(const char *variant) {
    static const char *const PALETTE[] = {"#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#2ca02c"};
    unsigned h = 5381;
    for (const char *p = variant; *p; p++) h = h * 33u + (unsigned char)*p;
    return PALETTE[h % (sizeof PALETTE / sizeof PALETTE[0])];
}

// Dashed: w/o TAP or partial; dotted: a shorter budget of a method.
static const char *line_dash(const Series *s) {
    return s->thin ? " stroke-dasharray=\"2 3\"" : s->dashed ? " stroke-dasharray=\"6 4\"" : "";
}

// percent: a win rate, whose axis and bands stay within 0..100.
static grsn_status svg_curves(const char *path, const char *title, const char *ylabel, const Series *s, int ns,
                              int percent) {
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < ns; i++)
        for (int k = 0; k < s[i].n; k++) {
            double sd = isfinite(s[i].std[k]) ? s[i].std[k] : 0;
            if (!isfinite(s[i].mean[k]) || !isfinite(s[i].x[k])) continue;
            xmin = fmin(xmin, s[i].x[k]); xmax = fmax(xmax, s[i].x[k]);
            ymin = fmin(ymin, s[i].mean[k] - sd); ymax = fmax(ymax, s[i].mean[k] + sd);
        }
    if (percent) { ymin = 0; ymax = 100; }
    if (!isfinite(xmin)) return grsn_fail(GRSN_ERR_ARG, "%s: no points to plot", path);
    if (xmin > 0) xmin = 0;
    const int W = 760, H = 440;
    Frame fr = {0, 0, 0, 0, 80, 40, 470, 340};
    frame_fit(&fr, xmin, xmax, ymin, ymax);

    GrsnAtomicFile af;
    GRSN_TRY(grsn_atomic_open(&af, path));
    FILE *f = af.fp;
    svg_open(f, W, H);
    svg_text(f, fr.left + fr.w / 2, 24, "middle", 15, "font-weight=\"bold\"", title);
    svg_axes(f, &fr, "environment steps", ylabel, 1);
    fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
               "</clipPath></defs>\n",
            fr.left, fr.top, fr.w, fr.h);
    fprintf(f, "<g clip-path=\"url(#plot)\">\n");
    // Bands first, so that no line hides under another method's band.
    double lo = percent ? 0.0 : -INFINITY, hi = percent ? 100.0 : INFINITY;
    for (int i = 0; i < ns; i++) {
        if (s[i].n < 2 || s[i].thin) continue;
        fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\" points=\"", s[i].color);
        for (int k = 0; k < s[i].n; k++) {
            double sd = isfinite(s[i].std[k]) ? s[i].std[k] : 0;
            fprintf(f, "%.1f,%.1f ", fx(&fr, s[i].x[k]), fy(&fr, fmin(hi, s[i].mean[k] + sd)));
        }
        for (int k = s[i].n - 1; k >= 0; k--) {
            double sd = isfinite(s[i].std[k]) ? s[i].std[k] : 0;
            fprintf(f, "%.1f,%.1f ", fx(&fr, s[i].x[k]), fy(&fr, fmax(lo, s[i].mean[k] - sd)));
        }
        fprintf(f, "\"/>\n");
    }
    for (int i = 0; i < ns; i++) {
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"", s[i].color,
                s[i].thin ? "1.2" : "2", line_dash(&s[i]));
        for (int k = 0; k < s[i].n; k++) fprintf(f, "%.1f,%.1f ", fx(&fr, s[i].x[k]), fy(&fr, s[i].mean[k]));
        fprintf(f, "\"/>\n");
        for (int k = 0; k < s[i].n; k++)   // a dot per evaluation: single points stay visible
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"/>\n", fx(&fr, s[i].x[k]),
                    fy(&fr, s[i].mean[k]), s[i].thin ? "1.5" : "2.5", s[i].color);
    }
    fprintf(f, "</g>\n");
    // Legend, right of the plot.
    double lx = fr.left + fr.w + 20, ly = fr.top + 10;
    for (int i = 0; i < ns; i++, ly += 34) {
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"26\" height=\"12\" fill=\"%s\" fill-opacity=\"0.18\"/>\n", lx,
                ly - 6, s[i].color);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>\n", lx,
                ly, lx + 26, ly, s[i].color, line_dash(&s[i]));
        char first[240], *rest;
        snprintf(first, sizeof first, "%s", s[i].label);
        if ((rest = strchr(first, '|'))) *rest++ = '\0';
        svg_text(f, lx + 34, ly + 4, "start", 12, NULL, first);
        if (rest) svg_text(f, lx + 34, ly + 18, "start", 10, "fill=\"#555\"", rest);
    }
    svg_text(f, fr.left + fr.w + 20, fr.top + fr.h + 38, "start", 10, "fill=\"#555\"", "line: mean over seeds");
    svg_text(f, fr.left + fr.w + 20, fr.top + fr.h + 52, "start", 10, "fill=\"#555\"", "band: \xC2\xB1 1 std");
    fprintf(f, "</svg>\n");
    return grsn_atomic_commit(&af);
}

// ----------------------------------------------------------------------------
// Spike recording
//
// The acting API returns a count per decision, not which neurons fired. The
// actor's embeddings and core are rebuilt from the checkpoint's tensors with
// the public layer API (the same layers, kernels and state layout as the
// actor's step) and run beside the agent on the same inputs; the count
// grsn_agent_act reports must match at every step.

typedef struct {
    GrsnParams p;
    GrsnLinear emb_a, emb_r, emb_o;
    GrsnCell cell;
    int H, K;
    float *state, *x, *z;      // [state_size], [in], [H]
} CoreMirror;

static void mirror_free(CoreMirror *m) {
    grsn_linear_free(&m->emb_a); grsn_linear_free(&m->emb_r); grsn_linear_free(&m->emb_o);
    grsn_cell_free(&m->cell);
    grsn_params_free(&m->p);
    free(m->state); free(m->x); free(m->z);
}

static grsn_status mirror_init(CoreMirror *m, const GrsnAgentConfig *c, const GrsnParams *actor) {
    memset(m, 0, sizeof *m);
    grsn_params_init(&m->p);
    int in = c->emb_a + c->emb_r + c->emb_o;
    m->H = c->hidden;
    m->K = c->cell.substeps;
    GRSN_TRY(grsn_linear_init(&m->emb_a, &m->p, "actor.emb_a", c->act_dim, c->emb_a));
    GRSN_TRY(grsn_linear_init(&m->emb_r, &m->p, "actor.emb_r", 1, c->emb_r));
    GRSN_TRY(grsn_linear_init(&m->emb_o, &m->p, "actor.emb_o", c->obs_dim, c->emb_o));
    GrsnCellConfig cc = c->cell;
    cc.kind = c->net == GRSN_NET_GRSN ? GRSN_CELL_GRSN : GRSN_CELL_LIF;
    cc.in = in;
    cc.hidden = m->H;
    GRSN_TRY(grsn_cell_init(&m->cell, &m->p, "actor.cell", &cc, 1, 1));
    GRSN_TRY(grsn_params_alloc(&m->p));
    for (int i = 0; i < m->p.count; i++) {
        const GrsnParamInfo *to = &m->p.info[i], *from = grsn_params_find(actor, to->name);
        if (!from || from->n != to->n)
            return grsn_fail(GRSN_ERR_FORMAT, "the agent has no tensor %s of %zu values", to->name, to->n);
        memcpy(m->p.data + to->offset, actor->data + from->offset, to->n * sizeof(float));
    }
    m->state = grsn_calloc((size_t)m->cell.state_size, sizeof(float));
    m->x = grsn_calloc((size_t)in, sizeof(float));
    m->z = grsn_calloc((size_t)m->H, sizeof(float));
    return m->state && m->x && m->z ? GRSN_OK : GRSN_ERR_OOM;
}

// One decision: spikes[j] = substeps in which neuron j fired; returns the
// number of neurons with a nonzero output (what grsn_agent_act counts).
static int mirror_step(CoreMirror *m, const float *prev_a, float prev_r, const float *obs, unsigned char *spikes) {
    int ea = m->emb_a.out, er = m->emb_r.out, eo = m->emb_o.out;
    grsn_linear_forward(&m->emb_a, m->x, prev_a, NULL, 1);
    grsn_linear_forward(&m->emb_r, m->x + ea, &prev_r, NULL, 1);
    grsn_linear_forward(&m->emb_o, m->x + ea + er, obs, NULL, 1);
    grsn_act_forward(GRSN_ACT_RELU, m->x, m->x, (size_t)(ea + er + eo));
    // The authors' act-time membrane reset (a compat switch), as the actor does it.
    if (m->cell.cfg.act_reset_membrane)
        memset(m->state + m->cell.state_size - m->H, 0, (size_t)m->H * sizeof(float));
    grsn_cell_forward(&m->cell, m->z, m->state, m->x, NULL, 1, 1);
    for (int j = 0; j < m->H; j++) {
        int n = 0;
        for (int k = 0; k < m->K; k++) n += m->cell.o_seq[k * m->H + j] != 0.0f;   // [K][1][H]
        spikes[j] = (unsigned char)n;
    }
    int active = 0;
    for (int j = 0; j < m->H; j++) active += m->z[j] != 0.0f;
    return active;
}

grsn_status grsn_record_spikes(const char *path, uint64_t seed, int max_steps, unsigned char **spikes_out,
                               int *hidden, int *steps, double *ret) {
    *spikes_out = NULL;
    GrsnAgent *agent;
    GrsnCkptInfo info;
    GRSN_TRY(grsn_ckpt_load(path, &agent, &info));
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    grsn_status st = GRSN_OK;
    if (c->net != GRSN_NET_GRSN && c->net != GRSN_NET_LIF)
        st = grsn_fail(GRSN_ERR_ARG, "%s: a %s core does not spike", path, grsn_net_name(c->net));
    if (!st && c->act_dim > 64) st = grsn_fail(GRSN_ERR_ARG, "%s: act_dim %d beyond 64", path, c->act_dim);
    CoreMirror m;
    memset(&m, 0, sizeof m);
    grsn_env env;
    float *astate = NULL;
    unsigned char *spikes = NULL;
    if (!st) st = mirror_init(&m, c, grsn_agent_params(agent, GRSN_PART_ACTOR));
    if (!st) st = grsn_train_make_env(&env, &info.config, seed, GRSN_STREAM_EVAL_ENV);
    if (!st) {
        astate = grsn_calloc((size_t)grsn_agent_state_size(agent) + 1, sizeof(float));
        spikes = grsn_calloc((size_t)max_steps * (size_t)c->hidden, 1);
        if (!astate || !spikes) st = GRSN_ERR_OOM;
    }
    int t = 0;
    double total = 0;
    if (!st) {
        float obs[GRSN_ENV_MAX_OBS], act[64], prev[64] = {0}, prev_r = 0;
        grsn_rng unused;
        grsn_rng_seed(&unused, 0, 0);   // deterministic acting draws nothing
        grsn_env_reset(&env, obs);
        for (; t < max_steps && !st; t++) {
            int mirrored = mirror_step(&m, prev, prev_r, obs, spikes + (size_t)t * (size_t)c->hidden), counted = 0;
            grsn_agent_act(agent, astate, prev, prev_r, obs, 1, &unused, act, &counted);
            if (counted != mirrored) {
                st = grsn_fail(GRSN_ERR_FORMAT, "%s: spike recording diverged from the actor at step %d (%d against %d)",
                               path, t, mirrored, counted);
                break;
            }
            grsn_env_result res;
            st = grsn_env_step(&env, act, obs, &res);
            total += res.reward;
            memcpy(prev, act, (size_t)c->act_dim * sizeof(float));
            prev_r = (float)res.reward;
            if (res.terminated || res.truncated) { t++; break; }
        }
    }
    if (!st) {
        *spikes_out = spikes;
        *hidden = c->hidden;
        *steps = t;
        *ret = total;
    } else {
        free(spikes);
    }
    mirror_free(&m);
    free(astate);
    grsn_agent_free(agent);
    return st;
}

// The raster: one row per neuron, a dark mark per spike (merged along
// time), and above it the fraction of neurons that fired at each step.
static grsn_status svg_raster(const char *path, const char *title, const unsigned char *spikes, int H, int L, int K) {
    if (L < 1 || H < 1) return grsn_fail(GRSN_ERR_ARG, "%s: an empty recording (%d steps, %d neurons)", path, L, H);
    const int W = 760;
    double left = 70, pw = 640, top_rate = 50, rate_h = 90, top = top_rate + rate_h + 30;
    double row_h = H <= 32 ? 160.0 / H : H <= 128 ? 3.0 : 2.0, ph = row_h * H;
    int Hpx = (int)(top + ph + 60);
    GrsnAtomicFile af;
    GRSN_TRY(grsn_atomic_open(&af, path));
    FILE *f = af.fp;
    svg_open(f, W, Hpx);
    svg_text(f, left + pw / 2, 24, "middle", 14, "font-weight=\"bold\"", title);

    // Upper panel: firing rate per decision.
    double maxrate = 0;
    for (int t = 0; t < L; t++) {
        int n = 0;
        for (int j = 0; j < H; j++) n += spikes[(size_t)t * H + j];
        maxrate = fmax(maxrate, (double)n / (H * K));
    }
    Frame fr = {0, 0, 0, 0, left, top_rate, pw, rate_h};
    frame_fit(&fr, 0, L, 0, maxrate > 0 ? maxrate : 0.1);
    fr.x0 = 0;
    fr.x1 = L;
    svg_axes(f, &fr, "", "firing rate", 0);
    fprintf(f, "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"");
    for (int t = 0; t < L; t++) {
        int n = 0;
        for (int j = 0; j < H; j++) n += spikes[(size_t)t * H + j];
        fprintf(f, "%.1f,%.1f ", fx(&fr, t + 0.5), fy(&fr, (double)n / (H * K)));
    }
    fprintf(f, "\"/>\n");

    // Lower panel: the raster.
    Frame rr = {0, (double)L, 0, (double)H, left, top, pw, ph};
    double cw = pw / L;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#333\"/>\n", left,
            top, pw, ph);
    for (int j = 0; j < H; j++)
        for (int t = 0; t < L;) {
            int v = spikes[(size_t)t * H + j];
            if (!v) { t++; continue; }
            int e = t + 1;
            while (e < L && spikes[(size_t)e * H + j] == v) e++;
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#111\"", left + t * cw,
                    top + j * row_h, (e - t) * cw, row_h * 0.9);
            if (K > 1) fprintf(f, " fill-opacity=\"%.2f\"", (double)v / K);
            fprintf(f, "/>\n");
            t = e;
        }
    char lab[32];
    double sx = nice_step(L, 8);
    for (double x = 0; x <= L + 1e-9; x += sx) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", fx(&rr, x), top + ph,
                fx(&rr, x), top + ph + 5);
        tick_label(lab, sizeof lab, x, 0);
        svg_text(f, fx(&rr, x), top + ph + 18, "middle", 11, NULL, lab);
    }
    double sy = nice_step(H, 4);
    for (double y = 0; y < H; y += sy) {
        double py = top + y * row_h + row_h / 2;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left - 5, py, left, py);
        tick_label(lab, sizeof lab, y, 0);
        svg_text(f, left - 8, py + 4, "end", 11, NULL, lab);
    }
    svg_text(f, left + pw / 2, top + ph + 38, "middle", 12, NULL, "decision (environment step)");
    char rot[96];
    snprintf(rot, sizeof rot, "transform=\"rotate(-90 %.1f %.1f)\"", left - 45, top + ph / 2);
    svg_text(f, left - 45, top + ph / 2, "middle", 12, rot, "neuron");
    fprintf(f, "</svg>\n");
    return grsn_atomic_commit(&af);
}

// ----------------------------------------------------------------------------
// The Markdown index: formatting helpers

static grsn_status make_dirs(const char *dir) {
    char p[1024];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) return grsn_fail(GRSN_ERR_ARG, "path too long: %s", dir);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return grsn_fail(GRSN_ERR_IO, "cannot create directory %s: %s", p, strerror(errno));
        *s = c;
        if (c == '\0') break;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) return grsn_fail(GRSN_ERR_IO, "%s is not a directory", dir);
    return GRSN_OK;
}

// "−189.4 ± 17.64" as the paper prints it (one decimal, std two).
// Negative numbers take the minus sign (U+2212), as the paper's tables do.
static void pm(char *out, size_t cap, double mean, double std, double scale) {
    if (isnan(mean)) { snprintf(out, cap, "–"); return; }
    double m = mean * scale;
    if (fabs(m) < 0.05) m = 0;   // no "−0.0"
    snprintf(out, cap, "%s%.1f ± %.2f", m < 0 ? "−" : "", fabs(m), (isnan(std) ? 0 : std) * scale);
}

// The largest number of run directories of any group of `kind`.
static int max_seeds(const GrsnGroups *g, grsn_run_kind kind) {
    int m = 0;
    for (int i = 0; i < g->n; i++)
        if (g->group[i].kind == kind && strcmp(g->group[i].task, "?") != 0 && g->group[i].nruns > m) m = g->group[i].nruns;
    return m;
}

// A group's cell: "mean ± std (n=5)", flagged when seeds are missing.
static void cell(char *out, size_t cap, const GrsnRunGroup *gr, int want, int win) {
    if (!gr) { snprintf(out, cap, "–"); return; }
    char v[64];
    if (gr->nfinished == 0) {
        snprintf(out, cap, "⚠ no finished run (%d partial)", gr->nruns);
        return;
    }
    pm(v, sizeof v, win ? gr->win_mean : gr->mean, win ? gr->win_std : gr->std, win ? 100.0 : 1.0);
    int short_of = gr->nfinished < gr->nruns || gr->nfinished < want;
    snprintf(out, cap, "%s (n=%d%s)", v, gr->nfinished, short_of ? " ⚠" : "");
}

static const char *net_label(const char *net) {
    if (!strcmp(net, "grsn")) return "GRSN";
    if (!strcmp(net, "lif")) return "LIF";
    if (!strcmp(net, "gru")) return "GRU";
    if (!strcmp(net, "mlp")) return "MLP";
    return net;
}

// A net and the settings it ran with off the defaults: "GRSN (cell.gates=spikes)".
static void method_net(char *out, size_t cap, const char *net, const char *variant) {
    if (variant[0]) snprintf(out, cap, "%s (%s)", net_label(net), variant);
    else snprintf(out, cap, "%s", net_label(net));
}

// The algorithm a control task uses in the paper's setup.
static const char *default_algo(const char *task) { return !strncmp(task, "cartpole", 8) ? "sacd" : "td3"; }

// ----------------------------------------------------------------------------
// Tables 1-3

static const char *const T1_TASKS[4] = {"cartpole-v", "cartpole-p", "pendulum-v", "pendulum-p"};
static const char *const T1_NETS[4] = {"mlp", "gru", "lif", "grsn"};
static const char *const T1_PARADIGM[4] = {"Actor-Critic", "Recurrent RL", "TAP", "TAP"};
static const char *const T1_PAPER[4][4] = {
    {"21.6 ± 1.49", "21.2 ± 1.95", "−1502.8 ± 61.09", "−1380.1 ± 47.45"},
    {"200.0 ± 0.00", "196.7 ± 6.30", "−181.3 ± 15.47", "−203.5 ± 16.36"},
    {"200.0 ± 0.00", "152.2 ± 21.21", "−942.4 ± 92.19", "−824.8 ± 178.80"},
    {"200.0 ± 0.00", "199.9 ± 0.20", "−189.4 ± 17.64", "−195.8 ± 43.99"},
};

static const struct {
    const char *map, *difficulty;
    const char *gru_reward, *gru_win, *grsn_reward, *grsn_win;
} T2_PAPER[6] = {
    {"8m", "Easy", "19.8 ± 0.26", "97.6 ± 3.49", "20.0 ± 0.12", "99.4 ± 1.48"},
    {"2s3z", "Easy", "19.9 ± 0.18", "97.9 ± 2.84", "19.9 ± 0.20", "97.0 ± 3.57"},
    {"8m_vs_9m", "Hard", "19.4 ± 0.69", "91.6 ± 8.73", "19.6 ± 0.35", "94.6 ± 4.54"},
    {"3s_vs_5z", "Hard", "21.0 ± 0.44", "97.1 ± 3.46", "21.4 ± 0.60", "93.0 ± 5.48"},
    {"27m_vs_30m", "Super Hard", "19.2 ± 0.51", "79.4 ± 12.19", "19.9 ± 0.14", "96.4 ± 3.74"},
    {"MMM2", "Super Hard", "17.6 ± 3.76", "75.2 ± 37.93", "18.5 ± 0.73", "83.6 ± 8.17"},
};

// Table 3 as printed: per (environment, TAP, net) mean reward, std, win
// rate, total time steps, training time (h).
static const struct {
    const char *task;
    int tap;
    const char *net, *mean, *std, *win, *steps, *hours;
} T3_PAPER[8] = {
    {"pendulum-p", 1, "lif", "−824.8", "178.80", "–", "64", "3.55"},
    {"pendulum-p", 1, "grsn", "−195.8", "43.99", "–", "64", "3.42"},
    {"pendulum-p", 0, "lif", "−1069.9", "65.85", "–", "256", "7.26"},
    {"pendulum-p", 0, "grsn", "−235.4", "44.16", "–", "256", "10.18"},
    {"8m", 1, "lif", "15.3", "1.59", "50.4", "26", "12.91"},
    {"8m", 1, "grsn", "19.9", "0.02", "99.4", "26", "12.76"},
    {"8m", 0, "lif", "16.9", "1.38", "64.6", "104", "19.52"},
    {"8m", 0, "grsn", "19.7", "0.31", "96.5", "104", "18.57"},
};

// The w/o-TAP group of a method: T = 4 if present, else any T > 1.
static const GrsnRunGroup *find_wotap(const GrsnGroups *g, const char *task, const char *algo, const char *net) {
    const GrsnRunGroup *gr = grsn_groups_find(g, task, algo, net, 4);
    for (int i = 0; !gr && i < g->n; i++) {
        const GrsnRunGroup *c = &g->group[i];
        if (!strcmp(c->task, task) && (!algo || !strcmp(c->algo, algo)) && !strcmp(c->net, net) && c->substeps > 1)
            gr = c;
    }
    return gr;
}

static void table1(FILE *f, const GrsnGroups *g, int want, const char *runs) {
    fprintf(f, "## Table 1 — partially observable control tasks\n\n"
               "Final score per seed: the mean return of the episodes of the final deterministic evaluation (10 in "
               "the paper's setup). "
               "CartPole runs use SAC-discrete and Pendulum runs TD3, as in the paper's setup; the paper labels "
               "every row TD3.\n\n");
    fprintf(f, "| Alg.-Net. | Learning paradigm |");
    for (int t = 0; t < 4; t++) fprintf(f, " %s ours | %s paper |", T1_TASKS[t], T1_TASKS[t]);
    fprintf(f, "\n|---|---|");
    for (int t = 0; t < 4; t++) fprintf(f, "---:|---:|");
    fprintf(f, "\n");
    for (int n = 0; n < 4; n++) {
        fprintf(f, "| TD3-%s | %s |", net_label(T1_NETS[n]), T1_PARADIGM[n]);
        for (int t = 0; t < 4; t++) {
            char c[96];
            cell(c, sizeof c, grsn_groups_find(g, T1_TASKS[t], default_algo(T1_TASKS[t]), T1_NETS[n], 1), want, 0);
            fprintf(f, " %s | %s |", c, T1_PAPER[n][t]);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\nReproduce: `grsn sweep --envs cartpole-v,cartpole-p,pendulum-v,pendulum-p --nets mlp,gru,lif,grsn "
               "--seeds 0-4 --runs %s` then `grsn report %s`.\n\n", runs, runs);
}

static void table2(FILE *f, const GrsnGroups *g, int want, const char *runs) {
    fprintf(f, "## Table 2 — SMAC (QMIX)\n\n"
               "Final test return and test win rate (%%) per seed, mean ± std across seeds.\n\n");
    fprintf(f, "| Scenario | Difficulty | QMIX-GRU reward ours | paper | QMIX-GRU win %% ours | paper | "
               "QMIX-GRSN reward ours | paper | QMIX-GRSN win %% ours | paper |\n"
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < 6; i++) {
        const GrsnRunGroup *gru = grsn_groups_find(g, T2_PAPER[i].map, "qmix", "gru", 1);
        const GrsnRunGroup *grsn = grsn_groups_find(g, T2_PAPER[i].map, "qmix", "grsn", 1);
        char a[96], b[96], c[96], d[96];
        cell(a, sizeof a, gru, want, 0); cell(b, sizeof b, gru, want, 1);
        cell(c, sizeof c, grsn, want, 0); cell(d, sizeof d, grsn, want, 1);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", T2_PAPER[i].map, T2_PAPER[i].difficulty, a,
                T2_PAPER[i].gru_reward, b, T2_PAPER[i].gru_win, c, T2_PAPER[i].grsn_reward, d, T2_PAPER[i].grsn_win);
    }
    fprintf(f, "\nReproduce: `grsn sweep --envs smac:8m,smac:2s3z,smac:8m_vs_9m,smac:3s_vs_5z,smac:27m_vs_30m,"
               "smac:MMM2 --nets gru,grsn --algo qmix --seeds 0-4 --runs %s -- --steps N` (the paper: N = 10050000; "
               "each run's own command, with its budget, is in [runs.csv](runs.csv)).\n\n", runs);
}

// Neuron updates per training sequence: control runs window length x T,
// QMIX runs mean test episode length x T; NaN if the logs do not say.
static double time_steps(const GrsnRunList *l, const GrsnRunGroup *gr) {
    double v[64];
    int n = 0;
    for (int k = 0; k < gr->nruns && n < 64; k++) {
        const GrsnRunInfo *r = &l->run[gr->run[k]];
        if (!r->finished) continue;
        v[n++] = r->kind == GRSN_RUN_QMIX ? r->ep_length * r->substeps
                                          : r->seq_len > 0 ? (double)r->seq_len * r->substeps : NAN;
    }
    double m, sd;
    grsn_mean_std(v, n, &m, &sd);
    return m;
}

static void table3(FILE *f, const GrsnRunList *l, const GrsnGroups *g, int want_ctl, int want_qmix, const char *runs) {
    fprintf(f, "## Table 3 — ablation: TAP vs. w/o TAP (T = 4, repeated input, rate decoding)\n\n"
               "Total time steps: neuron updates per training sequence (control: window length × T; SMAC: mean "
               "test episode length × T). Training time: mean wall time of the finished seeds.\n\n");
    fprintf(f, "| Environment | Paradigm | Net | Mean reward ours | paper | Std ours | paper | Test win %% ours | "
               "paper | Total time steps ours | paper | Training time (h) ours | paper |\n"
               "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < 8; i++) {
        const char *task = T3_PAPER[i].task;
        int qmix = !strcmp(task, "8m");
        const char *algo = qmix ? "qmix" : "td3";
        const GrsnRunGroup *gr = T3_PAPER[i].tap ? grsn_groups_find(g, task, algo, T3_PAPER[i].net, 1)
                                                 : find_wotap(g, task, algo, T3_PAPER[i].net);
        char mean[80] = "–", std[32] = "–", win[32] = "–", steps[32] = "–", hours[32] = "–";
        if (gr && gr->nfinished > 0) {
            int want = qmix ? want_qmix : want_ctl;
            int short_of = gr->nfinished < gr->nruns || gr->nfinished < want;
            snprintf(mean, sizeof mean, "%s%.1f (n=%d%s)", gr->mean < -0.05 ? "−" : "", fabs(gr->mean), gr->nfinished,
                     short_of ? " ⚠" : "");
            snprintf(std, sizeof std, "%.2f", gr->std);
            if (qmix && !isnan(gr->win_mean)) snprintf(win, sizeof win, "%.1f", 100.0 * gr->win_mean);
            double ts = time_steps(l, gr);
            if (!isnan(ts)) snprintf(steps, sizeof steps, "%.0f", ts);
            if (!isnan(gr->wall_mean)) snprintf(hours, sizeof hours, "%.2f", gr->wall_mean / 3600.0);
        } else if (gr) {
            snprintf(mean, sizeof mean, "⚠ no finished run (%d partial)", gr->nruns);
        }
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                qmix ? "SMAC-8m" : "Pendulum-P", T3_PAPER[i].tap ? "w/ TAP" : "w/o TAP", net_label(T3_PAPER[i].net),
                mean, T3_PAPER[i].mean, std, T3_PAPER[i].std, win, T3_PAPER[i].win, steps, T3_PAPER[i].steps, hours,
                T3_PAPER[i].hours);
    }
    fprintf(f, "\nReproduce: `grsn sweep --envs pendulum-p --nets lif,grsn --seeds 0-4 --runs %s` and the same with "
               "`--runs %s/wotap -- --no-tap 1` (and `--envs smac:8m --algo qmix` for the SMAC half).\n\n", runs, runs);
}

// ----------------------------------------------------------------------------
// Table 4: the energy model on the runs' checkpoints

// Thousands, rounded half up as the paper prints them (35,745 -> 35.75).
static double K(double x) { return floor(x / 10.0 + 0.5) / 100.0; }

// The GRSN agent in `path` measured in the paper's convention (actor and
// critic, spikes counted over `samples` decisions of its evaluation
// environment), and the GRU agent of the same sizes.
static grsn_status measure_ckpt(const char *path, long samples, GrsnEnergyReport *grsn, GrsnEnergyReport *gru,
                                double *rate) {
    GrsnAgent *agent;
    GrsnCkptInfo info;
    GRSN_TRY(grsn_ckpt_load(path, &agent, &info));
    GrsnEnergyOptions opt = grsn_energy_options_default();
    opt.convention = GRSN_ENERGY_PAPER;
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    GrsnOpModel m;
    grsn_env env;
    grsn_status st = grsn_energy_model_agent(&m, c, &opt);
    if (!st) st = grsn_train_make_env(&env, &info.config, info.config.seed, GRSN_STREAM_EVAL_ENV);
    if (!st) st = grsn_energy_measure_agent(&m, agent, &env, samples);
    if (!st) st = grsn_energy_count(grsn, &m, &opt);
    if (!st) *rate = m.nsources ? grsn_energy_rate(&m, 0) : 0;
    if (!st) {
        GrsnAgentConfig gc = *c;
        gc.net = GRSN_NET_GRU;
        gc.cell.substeps = 1;
        st = grsn_energy_model_agent(&m, &gc, &opt);
        if (!st) st = grsn_energy_count(gru, &m, &opt);
    }
    grsn_agent_free(agent);
    return st;
}

// The QMIX GRSN agent in `path` measured in the paper's convention (spikes
// counted over `samples` agent decisions, one agent at one env step, of
// greedy episodes on the test stream of the run's seed), and the GRU agent of
// the same sizes.
static grsn_status measure_qmix_ckpt(const char *path, long samples, GrsnEnergyReport *grsn, GrsnEnergyReport *gru,
                                     double *rate) {
    GrsnQmixCkptInfo info;
    GrsnQmix *q;
    GRSN_TRY(grsn_qmix_ckpt_info(path, &info));
    GRSN_TRY(grsn_energy_load_qmix(path, &q));
    GrsnEnergyOptions opt = grsn_energy_options_default();
    opt.convention = GRSN_ENERGY_PAPER;
    GrsnQmixArch a;
    GrsnOpModel m;
    grsn_energy_qmix_arch(&a, q);
    grsn_status st = grsn_energy_model_qmix(&m, &a, &opt);
    if (!st) st = grsn_energy_measure_qmix(&m, q, info.config.seed, samples, NULL);
    if (!st) st = grsn_energy_count(grsn, &m, &opt);
    if (!st) *rate = m.nsources ? grsn_energy_rate(&m, 0) : 0;
    if (!st) {
        a.net = GRSN_NET_GRU;
        a.substeps = 1;
        st = grsn_energy_model_qmix(&m, &a, &opt);
        if (!st) st = grsn_energy_count(gru, &m, &opt);
    }
    grsn_qmix_free(q);
    return st;
}

static void energy_line(FILE *f, const char *task, const GrsnTable4Row *ours, const GrsnTable4Row *paper,
                        const char *source) {
    fprintf(f, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | "
               "%.1f%% | %.1f%% |", task, K(ours->gru_mlp), K(paper->gru_mlp), K(ours->gru_rnn), K(paper->gru_rnn),
            K(ours->gru_energy_pj), K(paper->gru_energy_pj), K(ours->grsn_mlp), K(paper->grsn_mlp), K(ours->grsn_snn),
            K(paper->grsn_snn), K(ours->grsn_energy_pj), K(paper->grsn_energy_pj),
            100.0 * ours->grsn_energy_pj / ours->gru_energy_pj, 100.0 * paper->grsn_energy_pj / paper->gru_energy_pj);
    fprintf(f, " %s |\n", source);
}

static void table4(FILE *f, const GrsnRunList *l, const GrsnGroups *g, const GrsnReportOptions *opt,
                   GrsnReportSummary *sum) {
    fprintf(f, "## Table 4 — energy (paper convention: actor + critic, E_MAC 4.6 pJ, E_AC 0.9 pJ)\n\n"
               "K = thousand operations per decision (SMAC: per agent and step). The GRSN columns are measured on "
               "the finished runs' `final.grsn`, averaged over the checkpoints: control agents over %ld "
               "deterministic decisions each, QMIX agents over %ld agent decisions (one agent at one env step) of "
               "greedy episodes each; the GRU columns are the GRU agent of the same sizes. A SMAC row whose runs "
               "left no `final.grsn` is marked: it uses the architecture of `grsn energy --map` at the firing rate "
               "of the runs' final tests instead.\n\n",
            opt->energy_samples, opt->energy_samples);
    fprintf(f, "| Task | GRU MLP (K) ours | paper | GRU RNN (K) ours | paper | GRU energy (K pJ) ours | paper | "
               "GRSN MLP (K) ours | paper | GRSN SNN (K) ours | paper | GRSN energy (K pJ) ours | paper | "
               "GRSN/GRU ours | paper | measured on |\n"
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    int rows = 0;
    for (int t = 0; t < GRSN_TABLE4_ROWS; t++) {
        const char *task = grsn_table4_task(t);
        GrsnTable4Row paper, ours;
        if (grsn_energy_table4_paper(&paper, task) != GRSN_OK) continue;
        memset(&ours, 0, sizeof ours);
        char source[160] = "";
        int qmix = t >= 4;
        const GrsnRunGroup *gr = grsn_groups_find(g, task, qmix ? "qmix" : default_algo(task), "grsn", 1);
        if (!gr) continue;
        // The trained agents: every finished seed's final.grsn, measured.
        int n = 0;
        double rate_sum = 0;
        for (int k = 0; k < gr->nruns; k++) {
            const GrsnRunInfo *r = &l->run[gr->run[k]];
            if (!r->finished || !r->has_final) continue;
            char path[600];
            snprintf(path, sizeof path, "%s/final.grsn", r->dir);
            GrsnEnergyReport a, b;
            double rate;
            grsn_status st = qmix ? measure_qmix_ckpt(path, opt->energy_samples, &a, &b, &rate)
                                  : measure_ckpt(path, opt->energy_samples, &a, &b, &rate);
            if (st != GRSN_OK) {
                if (!sum->warning[0]) snprintf(sum->warning, sizeof sum->warning, "Table 4: %s", grsn_last_error());
                continue;
            }
            ours.grsn_mlp += a.mlp; ours.grsn_snn += a.snn; ours.grsn_energy_pj += a.energy_pj;
            ours.gru_mlp += b.mlp; ours.gru_rnn += b.rnn; ours.gru_energy_pj += b.energy_pj;
            rate_sum += rate;
            n++;
        }
        if (n > 0) {
            ours.grsn_mlp /= n; ours.grsn_snn /= n; ours.grsn_energy_pj /= n;
            ours.gru_mlp /= n; ours.gru_rnn /= n; ours.gru_energy_pj /= n;
            snprintf(source, sizeof source, "%d checkpoint%s, %s firing rate %.2f%%", n, n == 1 ? "" : "s",
                     qmix ? "agent" : "actor", 100.0 * rate_sum / n);
        } else if (qmix) {
            // No trained agent to measure: the firing rate the runs' final
            // tests logged, on the architecture, marked as such.
            double v[64];
            int nr = 0;
            for (int k = 0; k < gr->nruns && nr < 64; k++) {
                const GrsnRunInfo *r = &l->run[gr->run[k]];
                if (r->finished && isfinite(r->firing_rate)) v[nr++] = r->firing_rate;
            }
            double rate, sd;
            if (grsn_mean_std(v, nr, &rate, &sd) == 0) continue;
            GrsnEnergyOptions o = grsn_energy_options_default();
            if (grsn_energy_table4_row(&ours, task, rate, &o) != GRSN_OK) continue;
            snprintf(source, sizeof source, "no trained agent (no final.grsn): firing rate %.2f%% of the final "
                     "tests of %d run%s", 100.0 * rate, nr, nr == 1 ? "" : "s");
        } else {
            continue;
        }
        energy_line(f, task, &ours, &paper, source);
        rows++;
    }
    sum->energy_rows = rows;
    if (rows == 0)
        fprintf(f, "| (none) | | | | | | | | | | | | | | | no finished GRSN run with final.grsn, or (SMAC) with "
                   "a firing_rate column |\n");
    fprintf(f, "\nThe paper's full table from the architectures alone: `grsn energy --table4 1`.\n\n");
}

// ----------------------------------------------------------------------------
// Figures for the index

static void safe_name(char *out, size_t cap, const char *s) {
    size_t i = 0;
    for (; *s && i + 1 < cap; s++) out[i++] = (isalnum((unsigned char)*s) || *s == '-' || *s == '_') ? *s : '_';
    out[i] = '\0';
}

// How many groups are gr's method (any budget).
static int method_budgets(const GrsnGroups *g, const GrsnRunGroup *gr) {
    int n = 0;
    for (int i = 0; i < g->n; i++)
        n += group_is(&g->group[i], gr->task, gr->algo, gr->net, gr->substeps, gr->variant);
    return n;
}

// One series per method of the task over its finished seeds (all of its
// seeds, dashed and labelled partial, if none finished); win = 1 plots the
// win rate in percent. Returns the number of series.
static int task_series(const GrsnRunList *l, const GrsnGroups *g, const char *task, int win, Series *s, int cap) {
    int ns = 0;
    for (int i = 0; i < g->n && ns < cap; i++) {
        const GrsnRunGroup *gr = &g->group[i];
        if (strcmp(gr->task, task) != 0) continue;
        int use_all = gr->nfinished == 0, n = -1, k = 0;
        const GrsnRunInfo *used[64];
        for (int r = 0; r < gr->nruns && k < 64; r++) {
            const GrsnRunInfo *ri = &l->run[gr->run[r]];
            if ((use_all || ri->finished) && ri->npoints > 0) {
                used[k++] = ri;
                if (n < 0 || ri->npoints < n) n = ri->npoints;
            }
        }
        if (k == 0) continue;
        Series *se = &s[ns];
        memset(se, 0, sizeof *se);
        se->x = malloc((size_t)n * sizeof(double));
        se->mean = malloc((size_t)n * sizeof(double));
        se->std = malloc((size_t)n * sizeof(double));
        if (!se->x || !se->mean || !se->std) { free(se->x); free(se->mean); free(se->std); break; }
        // Evaluations are aligned by their index: every seed evaluates at
        // the first episode boundary past each multiple of the interval.
        int m = 0;
        for (int p = 0; p < n; p++) {
            double xs[64], ys[64], sd;
            for (int j = 0; j < k; j++) {
                xs[j] = used[j]->x[p];
                ys[j] = win ? 100.0 * used[j]->win[p] : used[j]->y[p];
            }
            grsn_mean_std(xs, k, &se->x[m], &sd);
            if (grsn_mean_std(ys, k, &se->mean[m], &se->std[m]) > 0 && isfinite(se->x[m])) m++;
        }
        se->n = m;
        if (m == 0) { free(se->x); free(se->mean); free(se->std); continue; }
        se->color = net_color(gr->net);
        se->dashed = use_all || gr->substeps > 1;
        char tap[48] = "";
        int n0 = 0;
        if (gr->substeps > 1) n0 = snprintf(tap, sizeof tap, " w/o TAP T=%d", gr->substeps);
        if (gr->budget > 0 && method_budgets(g, gr) > 1) {
            snprintf(tap + n0, sizeof tap - (size_t)n0, " %ldk steps", gr->budget / 1000);
            // not the largest budget
            se->thin = gr != find_variant(g, gr->task, gr->algo, gr->net, gr->substeps, gr->variant);
        }
        if (gr->variant[0]) se->color = variant_color(gr->variant);
        snprintf(se->label, sizeof se->label, "%s%s%s|%s%s%s, %d %sseed%s", net_label(gr->net), gr->variant[0] ? "*" : "",
                 tap, gr->variant, gr->variant[0] ? ", " : "", gr->algo, k, use_all ? "partial " : "",
                 k == 1 ? "" : "s");
        ns++;
    }
    return ns;
}

static void free_series(Series *s, int n) {
    for (int i = 0; i < n; i++) { free(s[i].x); free(s[i].mean); free(s[i].std); }
}

static void figures(FILE *f, const GrsnRunList *l, const GrsnGroups *g, const char *out_dir,
                    const GrsnReportOptions *opt, GrsnReportSummary *sum) {
    fprintf(f, "## Learning curves\n\n"
               "Evaluation return (QMIX: test return) against environment steps: the line is the mean over the "
               "finished seeds at each evaluation, the band ± one standard deviation. Dashed: w/o TAP, or a "
               "method with no finished seed (then its partial seeds are drawn, and labelled so).\n\n");
    char path[1024], name[64], title[128];
    for (int i = 0; i < g->n; i++) {
        if (i > 0 && !strcmp(g->group[i].task, g->group[i - 1].task)) continue;
        const char *task = g->group[i].task;
        int qmix = g->group[i].kind == GRSN_RUN_QMIX;
        for (int win = 0; win <= qmix; win++) {
            Series s[16];
            int ns = task_series(l, g, task, win, s, 16);
            if (ns == 0) continue;
            char file[96];
            safe_name(name, sizeof name, task);
            snprintf(file, sizeof file, "curves_%s%s.svg", name, win ? "_win" : "");
            snprintf(path, sizeof path, "%s/%s", out_dir, file);
            const char *what = win ? "test win rate" : qmix ? "test return" : "evaluation return";
            snprintf(title, sizeof title, "%s: %s", task, what);
            if (svg_curves(path, title, win ? "test win rate (%)" : qmix ? "test return" : "evaluation return", s, ns,
                           win) ==
                GRSN_OK) {
                fprintf(f, "### %s%s\n\n![%s](%s)\n\n", task, win ? " (win rate)" : "", title, file);
                sum->curves++;
            } else if (!sum->warning[0]) {
                snprintf(sum->warning, sizeof sum->warning, "%s", grsn_last_error());
            }
            free_series(s, ns);
        }
    }

    fprintf(f, "## Spike rasters\n\n");
    if (!opt->raster) { fprintf(f, "Not drawn (--raster 0).\n\n"); return; }
    fprintf(f, "One deterministic episode of a trained GRSN agent (`final.grsn` of the lowest finished seed, TAP) "
               "on its evaluation environment. Rows are the actor core's neurons, a dark mark is a spike at that "
               "decision; above, the fraction of neurons that fired at each step. The acting API reports only a "
               "spike count per decision, so the recording rebuilds the actor's embeddings and core from the "
               "checkpoint's tensors with the public layer API and runs it beside the agent; the two counts must "
               "agree at every step, and they did for every raster below.\n\n");
    int any = 0;
    const char *drawn = "";   // one raster per task: the first group, the defaults if there are any
    for (int i = 0; i < g->n; i++) {
        const GrsnRunGroup *gr = &g->group[i];
        if (gr->kind != GRSN_RUN_CONTROL || strcmp(gr->net, "grsn") != 0 || gr->substeps != 1) continue;
        if (!strcmp(gr->task, drawn)) continue;
        const GrsnRunInfo *r = NULL;
        for (int k = 0; k < gr->nruns && !r; k++)
            if (l->run[gr->run[k]].finished && l->run[gr->run[k]].has_final) r = &l->run[gr->run[k]];
        if (!r) continue;
        char ckpt[600];
        snprintf(ckpt, sizeof ckpt, "%s/final.grsn", r->dir);
        unsigned char *spikes;
        int H, L;
        double ret;
        if (grsn_record_spikes(ckpt, (uint64_t)r->seed, GRSN_ENV_MAX_STEPS, &spikes, &H, &L, &ret) != GRSN_OK) {
            fprintf(f, "- %s: no raster: %s\n\n", gr->task, grsn_last_error());
            if (!sum->warning[0]) snprintf(sum->warning, sizeof sum->warning, "%s", grsn_last_error());
            continue;
        }
        long total = 0;
        for (long k = 0; k < (long)H * L; k++) total += spikes[k];
        char file[96];
        safe_name(name, sizeof name, gr->task);
        snprintf(file, sizeof file, "raster_%s.svg", name);
        snprintf(path, sizeof path, "%s/%s", out_dir, file);
        snprintf(title, sizeof title, "%s, %s, seed %ld: GRSN actor core, %d neurons, episode return %.1f", gr->task,
                 gr->algo, r->seed, H, ret);
        drawn = gr->task;
        if (svg_raster(path, title, spikes, H, L, 1) == GRSN_OK) {
            fprintf(f, "### %s\n\n%d decisions, %ld spikes: firing rate %.2f%% per neuron and step; from `%s`.\n\n"
                       "![%s](%s)\n\n", gr->task, L, total, L ? 100.0 * total / ((double)H * L) : 0.0, ckpt, title, file);
            sum->rasters++;
            any = 1;
        }
        free(spikes);
    }
    if (!any) fprintf(f, "No finished GRSN (TAP) control run with a `final.grsn` checkpoint: nothing to draw.\n\n");
}

// ----------------------------------------------------------------------------
// Inventory: every method, missing and partial runs, every run

static const char *rel(const char *dir, const char *root) {
    size_t n = strlen(root);
    if (!strncmp(dir, root, n) && dir[n] == '/') return dir + n + 1;
    return dir;
}

// The grsn train command of a run, rebuilt from its config: task, algo, net,
// seed, budget and paradigm (other flags, if any were set, are in its config).
static void train_command(char *out, size_t cap, const GrsnRunInfo *r) {
    char steps[32] = "", tap[48] = "";
    if (r->budget > 0) snprintf(steps, sizeof steps, " --steps %ld", r->budget);
    if (r->substeps > 1) snprintf(tap, sizeof tap, " --no-tap 1 --substeps %d", r->substeps);
    if (r->kind == GRSN_RUN_QMIX)
        snprintf(out, cap, "grsn train --env smac:%s --algo qmix --net %s --seed %ld%s%s --out %s", r->task, r->net,
                 r->seed, steps, tap, r->dir);
    else
        snprintf(out, cap, "grsn train --env %s --algo %s --net %s --seed %ld%s%s --out %s", r->task, r->algo, r->net,
                 r->seed, steps, tap, r->dir);
}

// A step budget for a table cell: the number, or "–" if unknown.
static void budget_text(char *out, size_t cap, long budget) {
    if (budget > 0) snprintf(out, cap, "%ld", budget);
    else snprintf(out, cap, "–");
}

static void methods_table(FILE *f, const GrsnGroups *g) {
    fprintf(f, "## Every method\n\nRuns of one method with different step budgets are separate groups, never "
               "averaged together; Tables 1–4 show the group with the largest budget. Runs with settings off the "
               "defaults (listed beside the net) are methods of their own and never enter Tables 1–4.\n\n"
               "| Task | Algo | Net | Paradigm | Budget | Seeds finished / found | Final score | "
               "Win %% | Env steps | Wall time (s) |\n|---|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < g->n; i++) {
        const GrsnRunGroup *gr = &g->group[i];
        char score[64], win[64] = "–", wall[32] = "–", para[24];
        pm(score, sizeof score, gr->mean, gr->std, 1.0);
        if (!isnan(gr->win_mean)) pm(win, sizeof win, gr->win_mean, gr->win_std, 100.0);
        if (!isnan(gr->wall_mean)) snprintf(wall, sizeof wall, "%.0f", gr->wall_mean);
        if (gr->substeps > 1) snprintf(para, sizeof para, "w/o TAP (T=%d)", gr->substeps);
        else snprintf(para, sizeof para, "TAP");
        char budget[32], net[200];
        budget_text(budget, sizeof budget, gr->budget);
        method_net(net, sizeof net, gr->net, gr->variant);
        fprintf(f, "| %s | %s | %s | %s | %s | %d / %d%s | %s | %s | %.0f | %s |\n", gr->task, gr->algo,
                net, para, budget, gr->nfinished, gr->nruns, gr->nfinished < gr->nruns ? " ⚠" : "", score, win,
                isnan(gr->steps_mean) ? 0.0 : gr->steps_mean, wall);
    }
    fprintf(f, "\n");
}

static int missing_section(FILE *f, const GrsnRunList *l, const GrsnGroups *g, const char *root) {
    fprintf(f, "## Missing and partial runs\n\n");
    int items = 0;
    for (int i = 0; i < g->n; i++) {
        const GrsnRunGroup *gr = &g->group[i];
        int want = max_seeds(g, gr->kind);
        if (gr->nfinished == gr->nruns && gr->nruns >= want) continue;
        char net[200];
        method_net(net, sizeof net, gr->net, gr->variant);
        fprintf(f, "- **%s %s %s%s**: %d of %d run directories finished", gr->task, gr->algo, net,
                gr->substeps > 1 ? " w/o TAP" : "", gr->nfinished, gr->nruns);
        if (gr->nruns < want && strcmp(gr->task, "?") != 0)
            fprintf(f, "; fewer seeds than the largest group (%d)", want);
        if (gr->nfinished == 0) fprintf(f, ". Nothing averaged.\n");
        else fprintf(f, ". Averaged: the %d finished seed%s only.\n", gr->nfinished, gr->nfinished == 1 ? "" : "s");
        for (int k = 0; k < gr->nruns; k++) {
            const GrsnRunInfo *r = &l->run[gr->run[k]];
            if (!r->finished) fprintf(f, "  - seed %ld, `%s`: %s\n", r->seed, rel(r->dir, root), r->note);
        }
        items++;
    }
    if (!items) fprintf(f, "None: every run directory has a result, and every method has as many seeds as the largest.\n");
    fprintf(f, "\n");
    return items;
}

// Per QMIX run: how soon and how steadily greedy tests reach 95% wins. The
// single final test that Table 2 reports swings from test to test, so this
// is the fairer reading of a short run.
static void win_curve_table(FILE *f, const GrsnRunList *l, const char *root) {
    int any = 0;
    for (int i = 0; i < l->n; i++) any |= l->run[i].kind == GRSN_RUN_QMIX && l->run[i].tests > 0;
    if (!any) return;
    fprintf(f, "### QMIX learning curves in numbers\n\n"
               "Per run: the first greedy test with ≥ 95%% wins (env steps and wall seconds since the start), how "
               "many tests reached 95%%, the mean win rate of the last 10 tests, and the final test.\n\n"
               "| Run | Map | Net | T | Budget | First test ≥ 95%% (steps) | (wall s) | Tests ≥ 95%% | "
               "Mean of last 10 tests %% | Final test %% |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < l->n; i++) {
        const GrsnRunInfo *r = &l->run[i];
        if (r->kind != GRSN_RUN_QMIX || r->tests == 0) continue;
        char first[32] = "never", wall[32] = "–", fin[32] = "–", budget[32], net[200];
        method_net(net, sizeof net, r->net, r->variant);
        if (r->win95_steps >= 0) snprintf(first, sizeof first, "%ld", r->win95_steps);
        if (!isnan(r->win95_wall)) snprintf(wall, sizeof wall, "%.0f", r->win95_wall);
        if (r->finished && !isnan(r->win_rate)) snprintf(fin, sizeof fin, "%.1f", 100.0 * r->win_rate);
        budget_text(budget, sizeof budget, r->budget);
        fprintf(f, "| `%s` | %s | %s | %d | %s | %s | %s | %d of %d | %.1f | %s |\n", rel(r->dir, root), r->task,
                net, r->substeps, budget, first, wall, r->tests_win95, r->tests,
                100.0 * r->win_last10, fin);
    }
    fprintf(f, "\n");
}

static void runs_table(FILE *f, const GrsnRunList *l, const char *root) {
    fprintf(f, "## Every run\n\nAlso in [runs.csv](runs.csv), with the command of each run.\n\n"
               "| Run directory | Task | Algo | Net | T | Seed | Status | Final score | Win %% | Env steps | "
               "Wall time (s) |\n|---|---|---|---|---:|---:|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < l->n; i++) {
        const GrsnRunInfo *r = &l->run[i];
        char score[48] = "–", win[32] = "–", wall[32] = "–";
        if (r->finished) snprintf(score, sizeof score, "%.2f ± %.2f", r->score, isnan(r->score_std) ? 0 : r->score_std);
        if (r->finished && !isnan(r->win_rate)) snprintf(win, sizeof win, "%.1f", 100.0 * r->win_rate);
        if (!isnan(r->wall_s)) snprintf(wall, sizeof wall, "%.0f", r->wall_s);
        fprintf(f, "| `%s` | %s | %s | %s%s%s%s | %d | %ld | %s | %s | %s | %ld | %s |\n", rel(r->dir, root), r->task,
                r->algo, r->net, r->variant[0] ? " (" : "", r->variant, r->variant[0] ? ")" : "", r->substeps, r->seed,
                r->finished ? "finished" : !strncmp(r->note, "unreadable", 10) ? "⚠ unreadable" : "⚠ partial", score,
                win, r->env_steps, wall);
    }
    fprintf(f, "\n");
}

static void csv_num(FILE *f, double x) {
    if (isnan(x)) fputs(",", f);
    else fprintf(f, ",%.9g", x);
}

static grsn_status write_runs_csv(const GrsnRunList *l, const char *path) {
    GrsnAtomicFile af;
    GRSN_TRY(grsn_atomic_open(&af, path));
    FILE *f = af.fp;
    // settings: what the run changed from the defaults (the command below
    // is the defaults' and does not repeat them).
    fprintf(f, "dir,kind,task,algo,net,substeps,seed,finished,score,score_std,win_rate,env_steps,wall_s,note,settings,"
               "command\n");
    for (int i = 0; i < l->n; i++) {
        const GrsnRunInfo *r = &l->run[i];
        char cmd[1200];
        train_command(cmd, sizeof cmd, r);
        fprintf(f, "%s,%s,%s,%s,%s,%d,%ld,%d", r->dir, r->kind == GRSN_RUN_QMIX ? "qmix" : "control", r->task,
                r->algo, r->net, r->substeps, r->seed, r->finished);
        csv_num(f, r->finished ? r->score : NAN);
        csv_num(f, r->finished ? r->score_std : NAN);
        csv_num(f, r->finished ? r->win_rate : NAN);
        fprintf(f, ",%ld", r->env_steps);
        csv_num(f, r->wall_s);
        fprintf(f, ",\"");
        for (const char *p = r->note; *p; p++) {
            if (*p == '"') fputc('"', f);   // CSV doubles a quote inside quotes
            fputc(*p, f);
        }
        fprintf(f, "\",\"");
        for (const char *p = r->variant; *p; p++) {
            if (*p == '"') fputc('"', f);
            fputc(*p, f);
        }
        fprintf(f, "\",\"%s\"\n", cmd);
    }
    return grsn_atomic_commit(&af);
}

// ----------------------------------------------------------------------------
// The report

GrsnReportOptions grsn_report_defaults(void) {
    GrsnReportOptions o = {1024, 1, NULL};
    return o;
}

grsn_status grsn_report_write(const GrsnRunList *l, const char *root, const char *out_dir,
                              const GrsnReportOptions *opt, GrsnReportSummary *sum_out) {
    GrsnReportSummary sum;
    memset(&sum, 0, sizeof sum);
    if (opt->energy_samples < 1) return grsn_fail(GRSN_ERR_ARG, "energy samples %ld must be >= 1", opt->energy_samples);
    GRSN_TRY(make_dirs(out_dir));
    GrsnGroups g;
    GRSN_TRY(grsn_runs_group(&g, l));
    const char *runs = opt->runs_label ? opt->runs_label : root;
    for (int i = 0; i < l->n; i++) sum.finished += l->run[i].finished;
    sum.runs = l->n;
    sum.partial = l->n - sum.finished;
    sum.groups = g.n;

    char path[1024];
    snprintf(path, sizeof path, "%s/runs.csv", out_dir);
    grsn_status st = write_runs_csv(l, path);
    GrsnAtomicFile af;
    snprintf(path, sizeof path, "%s/index.md", out_dir);
    if (!st) st = grsn_atomic_open(&af, path);
    if (st) { grsn_groups_free(&g); return st; }
    FILE *f = af.fp;
    time_t now = time(NULL);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    int want_ctl = max_seeds(&g, GRSN_RUN_CONTROL), want_qmix = max_seeds(&g, GRSN_RUN_QMIX);
    fprintf(f, "# grsn report\n\nWritten by grsn %s on %s from `%s`: %d run directories (%d finished, %d partial) in "
               "%d methods. Regenerate: `grsn report %s --out %s`.\n\n",
            GRSN_VERSION, stamp, runs, sum.runs, sum.finished, sum.partial, sum.groups, runs, out_dir);
    fprintf(f, "Each cell is the mean ± standard deviation across seeds (population std, ddof = 0) of each seed's "
               "final score, with n = the number of finished seeds averaged. Runs without a `result` file are "
               "never averaged; ⚠ marks a method with fewer finished seeds than run directories or than the "
               "largest method (see [Missing and partial runs](#missing-and-partial-runs)). – : no such run.\n\n");
    fprintf(f, "Contents: [Table 1](#table-1--partially-observable-control-tasks) · "
               "[Table 2](#table-2--smac-qmix) · "
               "[Table 3](#table-3--ablation-tap-vs-wo-tap-t--4-repeated-input-rate-decoding) · "
               "[Table 4](#table-4--energy-paper-convention-actor--critic-e_mac-46-pj-e_ac-09-pj) · "
               "[Every method](#every-method) · [Learning curves](#learning-curves) · [Spike rasters](#spike-rasters) · "
               "[Missing and partial runs](#missing-and-partial-runs) · [Every run](#every-run) · "
               "[runs.csv](runs.csv)\n\n");
    table1(f, &g, want_ctl, runs);
    table2(f, &g, want_qmix, runs);
    win_curve_table(f, l, root);
    table3(f, l, &g, want_ctl, want_qmix, runs);
    table4(f, l, &g, opt, &sum);
    methods_table(f, &g);
    figures(f, l, &g, out_dir, opt, &sum);
    missing_section(f, l, &g, root);
    runs_table(f, l, root);
    if (sum.warning[0]) fprintf(f, "Note: %s\n", sum.warning);
    st = grsn_atomic_commit(&af);
    grsn_groups_free(&g);
    if (sum_out) *sum_out = sum;
    return st;
}
