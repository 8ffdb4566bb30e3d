/*
 * index.c — `grsn report` writes one folder: index.md (Tables 1-4, every
 * method, learning curves, spike rasters, missing and partial runs, every
 * run) and runs.csv, one row per run.
 *
 * Sections: figures for the index; inventory; the report.
 */
#include "report/report.h"
#include "io.h"
#include <ctype.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>

// ----------------------------------------------------------------------------
// Figures for the index

// A method's colour: one per net, as in every figure of the report.
static const char *net_color(const char *net) {
    if (!strcmp(net, "grsn")) return "#d62728";
    if (!strcmp(net, "lif")) return "#ff7f0e";
    if (!strcmp(net, "gru")) return "#1f77b4";
    if (!strcmp(net, "mlp")) return "#7f7f7f";
    return "#2ca02c";
}

// Runs with settings off the defaults: a colour of their own, from the text,
// shifted by the net's index (4 nets, 6 colours) so that two nets with the
// same setting differ.
static const char *variant_color(const char *net, const char *variant) {
    static const char *const PALETTE[] = {"#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#2ca02c"};
    const unsigned ncolors = sizeof PALETTE / sizeof PALETTE[0];
    int ni = grsn_net_from_name(net);
    unsigned h = 5381;
    for (const char *p = variant; *p; p++) h = h * 33u + (unsigned char)*p;
    return PALETTE[(h % ncolors + (unsigned)(ni > 0 ? ni : 0)) % ncolors];
}

static void safe_name(char *out, size_t cap, const char *s) {
    size_t i = 0;
    for (; *s && i + 1 < cap; s++) out[i++] = (isalnum((unsigned char)*s) || *s == '-' || *s == '_') ? *s : '_';
    out[i] = '\0';
}

// How many groups are gr's method (any budget).
static int method_budgets(const GrsnGroups *g, const GrsnRunGroup *gr) {
    int n = 0;
    for (int i = 0; i < g->n; i++)
        n += report_group_is(&g->group[i], gr->task, gr->algo, gr->net, gr->substeps, gr->variant);
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
            se->thin = gr != report_find_variant(g, gr->task, gr->algo, gr->net, gr->substeps, gr->variant);
        }
        if (gr->variant[0]) se->color = variant_color(gr->net, gr->variant);
        snprintf(se->label, sizeof se->label, "%s%s%s|%s%s%s, %d %sseed%s", report_net_label(gr->net), gr->variant[0] ? "*" : "",
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
            if (report_svg_curves(path, title, win ? "test win rate (%)" : qmix ? "test return" : "evaluation return", s, ns,
                           win) ==
                GRSN_OK) {
                fprintf(f, "### %s%s\n\n![%s](%s)\n\n", task, win ? " (win rate)" : "", title, file);
                int methods = 0;
                for (int k = 0; k < g->n; k++) methods += !strcmp(g->group[k].task, task);
                if (methods > 16)
                    fprintf(f, "Drawn: the first 16 of the %d methods of %s (defaults first); \"Every method\" below "
                               "lists them all.\n\n", methods, task);
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
        snprintf(title, sizeof title, "%s, %s, seed %ld: GRSN%s actor core, %d neurons, episode return %.1f", gr->task,
                 gr->algo, r->seed, gr->variant[0] ? "*" : "", H, ret);
        drawn = gr->task;
        if (report_svg_raster(path, title, spikes, H, L, 1) == GRSN_OK) {
            fprintf(f, "### %s\n\n%d decisions, %ld spikes: firing rate %.2f%% per neuron and step; from `%s`",
                    gr->task, L, total, L ? 100.0 * total / ((double)H * L) : 0.0, ckpt);
            // A task without a default GRSN run is drawn from a run with other settings: say which.
            if (gr->variant[0]) fprintf(f, " (*not the defaults: %s)", gr->variant);
            fprintf(f, ".\n\n![%s](%s)\n\n", title, file);
            sum->rasters++;
            any = 1;
        }
        free(spikes);
    }
    if (!any) fprintf(f, "No finished GRSN (TAP) control run with a `final.grsn` checkpoint: nothing to draw.\n\n");
}

// ----------------------------------------------------------------------------
// Inventory: every method, missing and partial runs, every run

// The seeds a method is expected to have: the largest number of run
// directories of any group of `kind` with the default settings (a variant
// tried on more seeds does not flag the paper's methods as short).
static int max_seeds(const GrsnGroups *g, grsn_run_kind kind) {
    int m = 0;
    for (int i = 0; i < g->n; i++) {
        const GrsnRunGroup *gr = &g->group[i];
        if (gr->kind == kind && strcmp(gr->task, "?") != 0 && !gr->variant[0] && gr->nruns > m) m = gr->nruns;
    }
    return m;
}

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
        char score[64], win[64] = "–", wall[32] = "–", steps[32] = "–", para[24];
        report_pm(score, sizeof score, gr->mean, gr->std, 1.0);   // "–" without a finished seed
        if (!isnan(gr->steps_mean)) snprintf(steps, sizeof steps, "%.0f", gr->steps_mean);
        if (!isnan(gr->win_mean)) report_pm(win, sizeof win, gr->win_mean, gr->win_std, 100.0);
        if (!isnan(gr->wall_mean)) snprintf(wall, sizeof wall, "%.0f", gr->wall_mean);
        if (gr->substeps > 1) snprintf(para, sizeof para, "w/o TAP (T=%d)", gr->substeps);
        else snprintf(para, sizeof para, "TAP");
        char budget[32], net[600];
        budget_text(budget, sizeof budget, gr->budget);
        report_method_net(net, sizeof net, gr->net, gr->variant);
        fprintf(f, "| %s | %s | %s | %s | %s | %d / %d%s | %s | %s | %s | %s |\n", gr->task, gr->algo,
                net, para, budget, gr->nfinished, gr->nruns, gr->nfinished < gr->nruns ? " ⚠" : "", score, win,
                steps, wall);
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
        report_method_net(net, sizeof net, gr->net, gr->variant);
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
        report_method_net(net, sizeof net, r->net, r->variant);
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
        report_csv_text(f, r->dir, 0);
        fprintf(f, ",%s,", r->kind == GRSN_RUN_QMIX ? "qmix" : "control");
        report_csv_text(f, r->task, 0);
        fputc(',', f);
        report_csv_text(f, r->algo, 0);
        fputc(',', f);
        report_csv_text(f, r->net, 0);
        fprintf(f, ",%d,%ld,%d", r->substeps, r->seed, r->finished);
        csv_num(f, r->finished ? r->score : NAN);
        csv_num(f, r->finished ? r->score_std : NAN);
        csv_num(f, r->finished ? r->win_rate : NAN);
        fprintf(f, ",%ld", r->env_steps);
        csv_num(f, r->wall_s);
        fputc(',', f);
        report_csv_text(f, r->note, 1);
        fputc(',', f);
        report_csv_text(f, r->variant, 1);
        fputc(',', f);
        report_csv_text(f, cmd, 1);
        fputc('\n', f);
    }
    return grsn_atomic_commit(&af);
}

// ----------------------------------------------------------------------------
// The report

// mkdir -p: dir and its missing parents.
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

GrsnReportOptions grsn_report_defaults(void) {
    GrsnReportOptions o = {1024, 1, NULL};
    return o;
}

grsn_status grsn_report_write(const GrsnRunList *l, const char *root, const char *out_dir,
                              const GrsnReportOptions *opt, GrsnReportSummary *sum_out) {
    GrsnReportSummary sum;
    memset(&sum, 0, sizeof sum);
    if (opt->energy_samples < 1) return grsn_fail(GRSN_ERR_ARG, "energy samples %ld must be >= 1", opt->energy_samples);
    // Every file is out_dir/NAME with NAME under 64 characters (the longest,
    // curves_TASK_win.svg, has a task of at most 31): paths of 1024 then fit.
    if (strlen(out_dir) > 1024 - 64)
        return grsn_fail(GRSN_ERR_ARG, "output folder path of %zu characters, longer than %d: %.80s...",
                         strlen(out_dir), 1024 - 64, out_dir);
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
    GrsnAtomicFile af, energy;
    snprintf(path, sizeof path, "%s/table4.csv", out_dir);
    if (!st) st = grsn_atomic_open(&energy, path);
    if (st) { grsn_groups_free(&g); return st; }
    snprintf(path, sizeof path, "%s/index.md", out_dir);
    st = grsn_atomic_open(&af, path);
    if (st) { grsn_atomic_abort(&energy); grsn_groups_free(&g); return st; }
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
    report_table1(f, &g, want_ctl, runs);
    report_table2(f, &g, want_qmix, runs);
    win_curve_table(f, l, root);
    report_table3(f, l, &g, want_ctl, want_qmix, runs);
    report_table4(f, energy.fp, l, &g, opt, &sum);
    methods_table(f, &g);
    figures(f, l, &g, out_dir, opt, &sum);
    missing_section(f, l, &g, root);
    runs_table(f, l, root);
    if (sum.warning[0]) fprintf(f, "Note: %s\n", sum.warning);
    st = grsn_atomic_commit(&energy);
    if (st) grsn_atomic_abort(&af);
    else st = grsn_atomic_commit(&af);
    grsn_groups_free(&g);
    if (sum_out) *sum_out = sum;
    return st;
}
