/*
 * test_report.c — `grsn report` (grsn_report.h) on the hand-made run tree
 * tests/fixtures/runs_tiny and on a run written here from a tiny agent:
 *   - both kinds of run directory are read by their config and CSV headers
 *     (control: eval_return; QMIX: test_return, test_win_rate);
 *   - groups across seeds: mean ± population std of the finished seeds only;
 *     a partial run (no result) and an unreadable one are listed, never
 *     averaged, and methods short of seeds are flagged;
 *   - index.md holds the expected cells, the paper's numbers, the QMIX
 *     time-to-95%-wins rows and the missing-run list;
 *   - runs of one method with two step budgets stay two groups; every SVG is well-formed XML with a viewBox;
 *   - the spike recording of a GRSN checkpoint agrees with grsn_agent_act's
 *     counts, its raster and Table 4 row are written; a GRU checkpoint is
 *     refused with a clear error.
 */
#include "test.h"
#include "grsn.h"
#include "grsn_train.h"
#include "report/report.h"   // report_svg_curves
#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURE_RUNS "tests/fixtures/runs_tiny"

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs(text, f);
    return fclose(f) == 0;
}

// ----------------------------------------------------------------------------
// A small XML checker: tags balance, attribute quotes close, entities are
// known, one root <svg> with a viewBox. Returns 1 if well-formed, else 0
// with the reason in why.

static int xml_name(const char *p, char *out, size_t cap) {
    size_t n = 0;
    while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_' || p[n] == ':') && n + 1 < cap) {
        out[n] = p[n];
        n++;
    }
    out[n] = '\0';
    return (int)n;
}

static int svg_well_formed(const char *s, char *why, size_t cap) {
    char stack[64][32];
    int depth = 0, roots = 0, viewbox = 0;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            if (strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) && strncmp(p, "&amp;", 5) && strncmp(p, "&quot;", 6) &&
                strncmp(p, "&#", 2)) { snprintf(why, cap, "bare & at %ld", (long)(p - s)); return 0; }
            p++;
            continue;
        }
        if (*p != '<') { p++; continue; }
        if (p[1] == '?') {
            const char *e = strstr(p, "?>");
            if (!e) { snprintf(why, cap, "unclosed <?"); return 0; }
            p = e + 2;
            continue;
        }
        if (!strncmp(p, "<!--", 4)) {
            const char *e = strstr(p, "-->");
            if (!e) { snprintf(why, cap, "unclosed comment"); return 0; }
            p = e + 3;
            continue;
        }
        char name[32];
        if (p[1] == '/') {
            if (!xml_name(p + 2, name, sizeof name)) { snprintf(why, cap, "empty closing tag"); return 0; }
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                snprintf(why, cap, "</%s> closes <%s>", name, depth ? stack[depth - 1] : "(nothing)");
                return 0;
            }
            depth--;
            p = strchr(p, '>');
            if (!p) { snprintf(why, cap, "unclosed </%s", name); return 0; }
            p++;
            continue;
        }
        if (!xml_name(p + 1, name, sizeof name)) { snprintf(why, cap, "bare < at %ld", (long)(p - s)); return 0; }
        // The tag's end, outside quoted attribute values.
        const char *q = p + 1;
        char quote = 0;
        for (; *q && (quote || *q != '>'); q++) {
            if (quote && *q == quote) quote = 0;
            else if (!quote && (*q == '"' || *q == '\'')) quote = *q;
            else if (!quote && *q == '<') { snprintf(why, cap, "< inside <%s>", name); return 0; }
        }
        if (!*q) { snprintf(why, cap, "unclosed <%s", name); return 0; }
        int self_closing = q[-1] == '/';
        if (depth == 0) {
            roots++;
            if (strcmp(name, "svg") != 0) { snprintf(why, cap, "root <%s>, not <svg>", name); return 0; }
            char tag[512];
            size_t n = (size_t)(q - p) < sizeof tag - 1 ? (size_t)(q - p) : sizeof tag - 1;
            memcpy(tag, p, n);
            tag[n] = '\0';
            viewbox = strstr(tag, "viewBox=\"") != NULL;
        }
        if (!self_closing) {
            if (depth == 64) { snprintf(why, cap, "nested too deep"); return 0; }
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
        }
        p = q + 1;
    }
    if (depth) { snprintf(why, cap, "<%s> not closed", stack[depth - 1]); return 0; }
    if (roots != 1) { snprintf(why, cap, "%d root elements", roots); return 0; }
    if (!viewbox) { snprintf(why, cap, "no viewBox on <svg>"); return 0; }
    return 1;
}

// Check every .svg in dir; returns how many there were (-1 if one is bad).
static int check_svgs(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int n = 0, bad = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".svg") != 0) continue;
        char path[1024], why[160] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *s = read_text(path);
        if (!s || !svg_well_formed(s, why, sizeof why)) {
            printf("    %s: not well-formed: %s\n", path, why);
            bad = 1;
        }
        free(s);
        n++;
    }
    closedir(d);
    return bad ? -1 : n;
}

TEST(xml_checker_rejects_broken_svg) {
    char why[160];
    CHECK(svg_well_formed("<svg viewBox=\"0 0 1 1\"><g><rect/></g></svg>", why, sizeof why));
    CHECK(!svg_well_formed("<svg viewBox=\"0 0 1 1\"><g><rect/></svg>", why, sizeof why));
    CHECK(!svg_well_formed("<svg><rect/></svg>", why, sizeof why));
    CHECK(!svg_well_formed("<svg viewBox=\"0 0 1 1\"><text>a & b</text></svg>", why, sizeof why));
    CHECK(!svg_well_formed("<svg viewBox=\"0 0 1 1\"><rect x=\"1/></svg>", why, sizeof why));
}

// ----------------------------------------------------------------------------
// The fixture tree

TEST(mean_std_is_population_and_skips_nan) {
    double x[4] = {200, 190, 180, NAN}, m, s;
    CHECK(grsn_mean_std(x, 4, &m, &s) == 3);
    CHECK_NEAR(m, 190.0, 1e-12, 0);
    CHECK_NEAR(s, sqrt(200.0 / 3.0), 1e-12, 0);
    CHECK(grsn_mean_std(x + 3, 1, &m, &s) == 0 && isnan(m) && isnan(s));
}

TEST(fixture_runs_are_read_and_grouped) {
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, FIXTURE_RUNS) == GRSN_OK);
    CHECK(l.n == 13);
    GrsnGroups g;
    CHECK(grsn_runs_group(&g, &l) == GRSN_OK);
    const GrsnRunGroup *grsn = grsn_groups_find(&g, "cartpole-v", "sacd", "grsn", 1);
    const GrsnRunGroup *gru = grsn_groups_find(&g, "cartpole-v", "sacd", "gru", 1);
    const GrsnRunGroup *wotap = grsn_groups_find(&g, "pendulum-p", "td3", "grsn", 4);
    const GrsnRunGroup *q = grsn_groups_find(&g, "8m", "qmix", "grsn", 1);
    const GrsnRunGroup *qgru = grsn_groups_find(&g, "8m", "qmix", "gru", 1);
    CHECK(grsn && gru && wotap && q && qgru);
    if (grsn && gru && wotap && q && qgru) {
        CHECK(grsn->nruns == 3 && grsn->nfinished == 3);
        CHECK_NEAR(grsn->mean, 190.0, 1e-9, 0);
        CHECK_NEAR(grsn->std, 8.16496581, 1e-6, 0);
        // The partial seed 2 (no result) is not averaged in.
        CHECK(gru->nruns == 3 && gru->nfinished == 2);
        CHECK_NEAR(gru->mean, 198.0, 1e-9, 0);
        CHECK_NEAR(gru->std, 2.0, 1e-9, 0);
        CHECK_NEAR(wotap->mean, -235.0, 1e-9, 0);
        CHECK(q->kind == GRSN_RUN_QMIX && q->nfinished == 2);
        CHECK_NEAR(q->mean, 20.0, 1e-9, 0);
        CHECK_NEAR(q->std, 0.5, 1e-9, 0);
        CHECK_NEAR(q->win_mean, 0.95, 1e-9, 0);
        CHECK_NEAR(q->win_std, 0.05, 1e-9, 0);
        CHECK(qgru->nfinished == 0 && isnan(qgru->mean));
    }
    // A QMIX run: curves from test_return and test_win_rate, length from the result.
    int found = 0;
    for (int i = 0; i < l.n; i++) {
        const GrsnRunInfo *r = &l.run[i];
        if (strstr(r->dir, "qmix/8m/grsn/s1")) {
            found = 1;
            CHECK(r->npoints == 3);
            CHECK_NEAR(r->y[2], 20.5, 1e-9, 0);
            CHECK_NEAR(r->win[1], 0.75, 1e-9, 0);
            CHECK_NEAR(r->ep_length, 26.0, 1e-9, 0);
            CHECK_NEAR(r->win_rate, 1.0, 1e-9, 0);
        }
        if (strstr(r->dir, "broken/nonet")) CHECK(!r->finished && strstr(r->note, "unreadable") != NULL);
        if (strstr(r->dir, "cartpole-v/gru/s2")) CHECK(!r->finished && strstr(r->note, "no result") != NULL);
    }
    CHECK(found);
    grsn_groups_free(&g);
    grsn_runs_free(&l);
}

// Writes the report of list l (found under root) into out and returns its
// index.md (NULL if either failed); sum gets the summary.
static char *report_index(const GrsnRunList *l, const char *root, const char *out, GrsnReportSummary *sum) {
    GrsnReportOptions opt = grsn_report_defaults();
    if (grsn_report_write(l, root, out, &opt, sum) != GRSN_OK) return NULL;
    char path[400];
    snprintf(path, sizeof path, "%s/index.md", out);
    return read_text(path);
}

// The index.md of the report of the runs of list l, found under dir and
// written to dir/report (NULL if it failed).
static char *report_in(const GrsnRunList *l, const char *dir) {
    char out[320];
    snprintf(out, sizeof out, "%s/report", dir);
    GrsnReportSummary sum;
    return report_index(l, dir, out, &sum);
}

TEST(fixture_report_has_tables_flags_and_valid_svg) {
    char dir[] = "/tmp/grsn_test_report.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[256];
    snprintf(out, sizeof out, "%s/report", dir);
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, FIXTURE_RUNS) == GRSN_OK);
    GrsnReportSummary sum;
    char *md = report_index(&l, FIXTURE_RUNS, out, &sum);
    CHECK(md != NULL);
    CHECK(sum.runs == 13 && sum.finished == 10 && sum.partial == 3);
    CHECK(sum.curves == 4);           // cartpole-v, pendulum-p, 8m return and win rate
    CHECK(sum.energy_rows == 1);      // 8m from the firing rate in the QMIX results
    char path[320];
    if (md) {
        CHECK(strstr(md, "| TD3-GRSN | TAP | 190.0 ± 8.16 (n=3) | 200.0 ± 0.00 |") != NULL);
        CHECK(strstr(md, "| TD3-GRU | Recurrent RL | 198.0 ± 2.00 (n=2 ⚠) |") != NULL);
        CHECK(strstr(md, "−200.5 ± 0.00 (n=1 ⚠) | −195.8 ± 43.99 |") != NULL);   // fewer seeds than the others
        CHECK(strstr(md, "| 8m | Easy | ⚠ no finished run (1 partial) |") != NULL);
        CHECK(strstr(md, "20.0 ± 0.50 (n=2) | 20.0 ± 0.12 | 95.0 ± 5.00 (n=2) | 99.4 ± 1.48 |") != NULL);
        CHECK(strstr(md, "| Pendulum-P | w/o TAP | GRSN | −235.0 (n=2 ⚠) | −235.4 | 5.00 | 44.16 |") != NULL);
        CHECK(strstr(md, "`control/cartpole-v/gru/s2`: no result") != NULL);
        CHECK(strstr(md, "`broken/nonet`: unreadable") != NULL);
        CHECK(strstr(md, "](curves_cartpole-v.svg)") != NULL && strstr(md, "](curves_8m_win.svg)") != NULL);
        CHECK(strstr(md, "grsn sweep --envs") != NULL);
        // Time to 95% wins: seed 1's third test (30000 steps, 300 s in timing.csv); seed 0 never.
        CHECK(strstr(md, "| `qmix/8m/grsn/s1` | 8m | GRSN | 1 | 30000 | 30000 | 300 | 1 of 3 | 66.7 | 100.0 |") != NULL);
        CHECK(strstr(md, "| `qmix/8m/grsn/s0` | 8m | GRSN | 1 | 30000 | never | – | 0 of 3 | 63.3 | 90.0 |") != NULL);
    }
    free(md);
    CHECK(check_svgs(out) == 4);
    snprintf(path, sizeof path, "%s/runs.csv", out);
    char *csv = read_text(path);
    int lines = 0;
    for (const char *p = csv; p && *p; p++) lines += *p == '\n';
    CHECK(lines == 14);
    // Each run's command carries its budget and paradigm.
    CHECK(csv && strstr(csv, "grsn train --env pendulum-p --algo td3 --net grsn --seed 1 --steps 3000 --no-tap 1 "
                             "--substeps 4 --out ") != NULL);
    CHECK(csv && strstr(csv, "grsn train --env smac:8m --algo qmix --net grsn --seed 1 --steps 30000 --out ") != NULL);
    free(csv);
    grsn_runs_free(&l);
    CHECK(remove_tree(dir));
}

// Two copies of the fixture's 8m GRSN seed 0 under dir, in a/s0 and b/s0;
// b's config gets `config_edit` (a sed script) and its final return 12.5
// instead of 19.5, so that averaging the two would show.
static int two_copies(const char *dir, const char *a, const char *b, const char *config_edit) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/%s %s/%s && cp -r " FIXTURE_RUNS "/qmix/8m/grsn/s0 %s/%s/s0 && "
             "cp -r " FIXTURE_RUNS "/qmix/8m/grsn/s0 %s/%s/s0 && sed -i '%s' %s/%s/s0/config && "
             "sed -i 's/^test_return_mean=19.5/test_return_mean=12.5/' %s/%s/s0/result",
             dir, a, dir, b, dir, a, dir, b, config_edit, dir, b, dir, b);
    return system(cmd) == 0;
}

// Runs of one method trained for different budgets are two groups: the
// tables take the largest budget, "Every method" lists both, the curves
// label them by budget, and nothing averages across them.
TEST(runs_of_two_budgets_are_not_averaged_together) {
    char dir[] = "/tmp/grsn_test_budget.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(two_copies(dir, "short", "long", "s/^steps=30000/steps=90000/"));
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, dir) == GRSN_OK);
    CHECK(l.n == 2);
    GrsnGroups g;
    CHECK(grsn_runs_group(&g, &l) == GRSN_OK);
    CHECK(g.n == 2);
    const GrsnRunGroup *q = grsn_groups_find(&g, "8m", "qmix", "grsn", 1);
    CHECK(q != NULL && q->budget == 90000 && q->nfinished == 1);
    if (q) CHECK_NEAR(q->mean, 12.5, 1e-9, 0);
    if (g.n == 2) CHECK(g.group[1].budget == 30000 && g.group[1].nfinished == 1);
    grsn_groups_free(&g);
    char out[320], path[400];
    snprintf(out, sizeof out, "%s/report", dir);
    GrsnReportSummary sum;
    char *md = report_index(&l, dir, out, &sum);
    CHECK(md != NULL);
    if (md) {
        CHECK(strstr(md, "| 8m | qmix | GRSN | TAP | 90000 | 1 / 1 | 12.5") != NULL);
        CHECK(strstr(md, "| 8m | qmix | GRSN | TAP | 30000 | 1 / 1 | 19.5") != NULL);
    }
    free(md);
    snprintf(path, sizeof path, "%s/curves_8m.svg", out);
    char *svg = read_text(path);
    CHECK(svg && strstr(svg, "90k steps") && strstr(svg, "30k steps"));
    free(svg);
    grsn_runs_free(&l);
    CHECK(remove_tree(dir));
}

// Runs with settings off the defaults are a method of their own: never in
// the paper's tables, never averaged with the defaults, named by what they
// changed. A key that an older build did not write is not a change.
TEST(runs_with_other_settings_are_their_own_method) {
    char dir[] = "/tmp/grsn_test_variant.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(two_copies(dir, "a", "b", "$a cell.threshold=0.5\\ncell.gates=spikes"));
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, dir) == GRSN_OK);
    CHECK(l.n == 2);
    if (l.n == 2) {
        CHECK(!strcmp(l.run[0].variant, ""));   // the defaults sort first
        CHECK(!strcmp(l.run[1].variant, "cell.threshold=0.5 cell.gates=spikes"));
    }
    GrsnGroups g;
    CHECK(grsn_runs_group(&g, &l) == GRSN_OK);
    CHECK(g.n == 2);
    const GrsnRunGroup *q = grsn_groups_find(&g, "8m", "qmix", "grsn", 1);
    CHECK(q != NULL && q->nfinished == 1 && q->variant[0] == '\0');
    if (q) CHECK_NEAR(q->mean, 19.5, 1e-9, 0);
    grsn_groups_free(&g);
    char *md = report_in(&l, dir);
    CHECK(md != NULL);
    if (md) {
        CHECK(strstr(md, "| 8m | qmix | GRSN | TAP | 30000 | 1 / 1 | 19.5") != NULL);
        CHECK(strstr(md, "| 8m | qmix | GRSN (cell.threshold=0.5 cell.gates=spikes) | TAP | 30000 | 1 / 1 | 12.5") != NULL);
        CHECK(strstr(md, "19.5 ± 0.00 (n=1") != NULL);   // Table 2 holds the defaults only
    }
    free(md);
    grsn_runs_free(&l);
    // An unreadable config is a method of its own, named so.
    char variant[160];
    CHECK(grsn_run_config_variant("algo=qmix\nenv=smac:8m\nnet=grsn\ncell.gates=sometimes\n", variant,
                                  sizeof variant) == GRSN_ERR_FORMAT);
    // A QMIX run from before the simulator's push_first switch trained with
    // the push first: a method of its own, not averaged with today's runs.
    CHECK(grsn_run_config_variant("algo=qmix\nenv=smac:8m\nnet=grsn\n", variant, sizeof variant) == GRSN_OK &&
          !strcmp(variant, "push_first=1"));
    CHECK(grsn_run_config_variant("algo=qmix\nenv=smac:8m\nnet=grsn\npush_first=0\n", variant, sizeof variant) ==
          GRSN_OK && !strcmp(variant, ""));
    CHECK(remove_tree(dir));
}

// Table 3 compares the paradigms of one method: a w/o-TAP run with other
// settings (here T = 2 and the old game loop) fills no cell of it, even
// where no default w/o-TAP run exists, while the with-TAP default does.
TEST(table3_holds_default_runs_only) {
    char dir[] = "/tmp/grsn_test_t3variant.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(two_copies(dir, "tap", "wotap", "s/^cell.substeps=1/cell.substeps=2/; /^push_first=/d"));
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, dir) == GRSN_OK);
    char *md = report_in(&l, dir);
    CHECK(md != NULL);
    if (md) {
        CHECK(strstr(md, "| SMAC-8m | w/ TAP | GRSN | 19.5 (n=1") != NULL);
        CHECK(strstr(md, "| SMAC-8m | w/o TAP | GRSN | – |") != NULL);
        CHECK(strstr(md, "| 8m | qmix | GRSN (push_first=1) | w/o TAP (T=2) |") != NULL);   // listed as its own method
    }
    free(md);
    grsn_runs_free(&l);
    CHECK(remove_tree(dir));
}

// Table 3's SMAC block comes from one game loop: with both paradigms trained
// on the old loop (push_first=1, as results/run_table3.sh trains them) and
// none on today's, the block shows the old-loop runs and says so.
TEST(table3_takes_its_smac_block_from_one_game_loop) {
    char dir[] = "/tmp/grsn_test_t3loop.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(two_copies(dir, "tap", "wotap", "s/^cell.substeps=1/cell.substeps=4/; /^push_first=/d"));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "sed -i '/^push_first=/d' %s/tap/s0/config", dir);
    CHECK(system(cmd) == 0);
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, dir) == GRSN_OK);
    char *md = report_in(&l, dir);
    CHECK(md != NULL);
    if (md) {
        CHECK(strstr(md, "| SMAC-8m (old loop, push_first=1) | w/ TAP | GRSN | 19.5 (n=1") != NULL);
        CHECK(strstr(md, "| SMAC-8m (old loop, push_first=1) | w/o TAP | GRSN | 12.5 (n=1") != NULL);
    }
    free(md);
    grsn_runs_free(&l);
    CHECK(remove_tree(dir));
}

// A run directory reached twice, through a symbolic link, is one run; a
// copy of a run directory (the same seed twice in one method) is flagged.
TEST(linked_runs_count_once_and_copied_seeds_are_flagged) {
    char dir[] = "/tmp/grsn_test_links.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/a && cp -r " FIXTURE_RUNS "/qmix/8m/grsn/s0 %s/a/s0 && "
             "ln -s a %s/b && ln -s ../a %s/a/loop", dir, dir, dir, dir);
    CHECK(system(cmd) == 0);
    GrsnRunList l;
    GrsnGroups g;
    CHECK(grsn_runs_scan(&l, dir) == GRSN_OK);
    CHECK_MSG(l.n == 1, "%d runs found", l.n);
    CHECK(l.n >= 1 && strstr(l.run[0].dir, "/a/s0") != NULL);   // named by its first path in name order
    CHECK(grsn_runs_group(&g, &l) == GRSN_OK);
    CHECK(g.n == 1 && g.group[0].nfinished == 1 && g.group[0].repeated_seeds == 0);
    grsn_groups_free(&g);
    grsn_runs_free(&l);
    snprintf(cmd, sizeof cmd, "cp -r %s/a/s0 %s/a/s0_copy", dir, dir);
    CHECK(system(cmd) == 0);
    CHECK(grsn_runs_scan(&l, dir) == GRSN_OK);
    CHECK(l.n == 2);
    CHECK(grsn_runs_group(&g, &l) == GRSN_OK);
    CHECK(g.n == 1 && g.group[0].nfinished == 2 && g.group[0].repeated_seeds == 1);
    grsn_groups_free(&g);
    char *md = report_in(&l, dir);
    CHECK(md && strstr(md, "19.5 ± 0.00 (n=2, a seed repeated ⚠)") != NULL);
    free(md);
    grsn_runs_free(&l);
    CHECK(remove_tree(dir));
}

// A curve whose values differ by less than their precision allows (every
// seed at the same return, up to rounding) gets a widened axis with a few
// ticks, not a tick step too small to advance.
TEST(curves_of_a_flat_line_at_a_large_value) {
    double x[3] = {0, 1000, 2000}, mean[3] = {1e8, 1e8, nextafter(1e8, 2e8)}, std[3] = {0, 0, 0};
    Series s = {.label = "flat|test", .color = "#1f77b4", .n = 3, .x = x, .mean = mean, .std = std};
    char path[64];
    snprintf(path, sizeof path, "/tmp/grsn_test_flat.%d.svg", (int)getpid());
    CHECK(report_svg_curves(path, "flat", "return", &s, 1, 0) == GRSN_OK);
    char *svg = read_text(path), why[200] = "";
    CHECK(svg && strlen(svg) < 20000 && svg_well_formed(svg, why, sizeof why));
    free(svg);
    remove(path);
}

// Two nets trained with the same off-default setting are two methods, drawn
// in two colours.
TEST(same_setting_on_two_nets_two_colours) {
    char dir[] = "/tmp/grsn_test_colours.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/a %s/b && cp -r " FIXTURE_RUNS "/qmix/8m/grsn/s0 %s/a/s0 && "
             "cp -r " FIXTURE_RUNS "/qmix/8m/gru/s0 %s/b/s0 && echo lr=0.0005 >> %s/a/s0/config && "
             "echo lr=0.0005 >> %s/b/s0/config", dir, dir, dir, dir, dir, dir);
    CHECK(system(cmd) == 0);
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, dir) == GRSN_OK);
    CHECK(l.n == 2);
    if (l.n == 2) CHECK(!strncmp(l.run[0].variant, "lr=0.0005", 9) && !strcmp(l.run[0].variant, l.run[1].variant));
    char *md = report_in(&l, dir);
    CHECK(md != NULL);
    free(md);
    grsn_runs_free(&l);
    char path[400];
    snprintf(path, sizeof path, "%s/report/curves_8m.svg", dir);
    char *svg = read_text(path);
    CHECK(svg != NULL);
    // The legend: one swatch per series, "<rect ... width="26" height="12" fill="#rrggbb"".
    char colour[2][8] = {"", ""};
    int n = 0;
    for (const char *p = svg; p && n < 3 && (p = strstr(p, "width=\"26\" height=\"12\" fill=\"#")) != NULL; p++, n++)
        if (n < 2) memcpy(colour[n], p + strlen("width=\"26\" height=\"12\" fill=\""), 7);
    CHECK(n == 2);
    CHECK(colour[0][0] == '#' && strcmp(colour[0], colour[1]) != 0);
    free(svg);
    CHECK(remove_tree(dir));
}

TEST(bad_input_is_a_clear_error) {
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, "tests/fixtures/no_such_dir") == GRSN_ERR_IO);
    CHECK(strstr(grsn_last_error(), "no_such_dir") != NULL);
    GrsnRunInfo r;
    CHECK(grsn_run_read(&r, "tests/fixtures") == GRSN_ERR_IO);
    CHECK(grsn_run_read(&r, FIXTURE_RUNS "/broken/nonet") == GRSN_ERR_FORMAT);
    CHECK(strstr(grsn_last_error(), "names no net") != NULL);
}

// ----------------------------------------------------------------------------
// A run with a checkpoint: the raster and Table 4

// A finished run directory of a tiny untrained agent on cartpole-v.
static int write_run(const char *dir, grsn_net net, uint64_t seed) {
    GrsnTrainConfig cfg;
    if (grsn_train_defaults(&cfg, "cartpole-v", -1, net, seed) != GRSN_OK) return 0;
    cfg.steps = 400;   // the paper's sizes: other settings would be a method of their own
    char path[600], text[4096];
    if (!make_tree(dir)) return 0;
    grsn_train_config_text(&cfg, text, sizeof text);
    snprintf(path, sizeof path, "%s/config", dir);
    if (!write_text(path, text)) return 0;
    snprintf(path, sizeof path, "%s/progress.csv", dir);
    if (!write_text(path, "env_steps,episodes,updates,train_return,eval_return,eval_return_std,q_loss,pi_loss,alpha,"
                          "entropy,firing_rate\n200,10,100,12,11,1,0.1,-1,0.9,0.6,0.05\n400,20,300,15,14,1,0.1,-1,"
                          "0.9,0.6,0.05\n")) return 0;
    snprintf(path, sizeof path, "%s/result", dir);
    if (!write_text(path, "eval_return_mean=14\neval_return_std=1\neval_returns=13,15\nenv_steps=400\nepisodes=20\n"
                          "updates=300\nwall_s=1.5\n")) return 0;
    GrsnAgent *agent;
    if (grsn_agent_create(&agent, &cfg.agent, seed) != GRSN_OK) return 0;
    GrsnTrainRngs rng;
    memset(&rng, 0, sizeof rng);
    snprintf(path, sizeof path, "%s/final.grsn", dir);
    grsn_status st = grsn_ckpt_save(path, &cfg, agent, 400, &rng);
    grsn_agent_free(agent);
    return st == GRSN_OK;
}

TEST(raster_and_energy_from_a_checkpoint) {
    char dir[] = "/tmp/grsn_test_report.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char run[256], gru[256], out[256], ckpt[320];
    snprintf(run, sizeof run, "%s/runs/cartpole-v/grsn/s0", dir);
    snprintf(gru, sizeof gru, "%s/runs/cartpole-v/gru/s0", dir);
    snprintf(out, sizeof out, "%s/report", dir);
    CHECK(write_run(run, GRSN_NET_GRSN, 0));
    CHECK(write_run(gru, GRSN_NET_GRU, 0));

    // The recording checks itself against grsn_agent_act at every step.
    unsigned char *spikes = NULL;
    int H = 0, L = 0;
    double ret = 0;
    snprintf(ckpt, sizeof ckpt, "%s/final.grsn", run);
    CHECK(grsn_record_spikes(ckpt, 0, GRSN_ENV_MAX_STEPS, &spikes, &H, &L, &ret) == GRSN_OK);
    CHECK(H == 128 && L >= 1 && L <= GRSN_ENV_MAX_STEPS);
    CHECK_NEAR(ret, (double)L, 1e-9, 0);   // CartPole: +1 per step
    for (long k = 0; spikes && k < (long)H * L; k++) CHECK(spikes[k] <= 1);
    free(spikes);
    snprintf(ckpt, sizeof ckpt, "%s/final.grsn", gru);
    CHECK(grsn_record_spikes(ckpt, 0, GRSN_ENV_MAX_STEPS, &spikes, &H, &L, &ret) == GRSN_ERR_ARG);
    CHECK(strstr(grsn_last_error(), "does not spike") != NULL);

    char root[256];
    snprintf(root, sizeof root, "%s/runs", dir);
    GrsnRunList l;
    CHECK(grsn_runs_scan(&l, root) == GRSN_OK);
    GrsnReportOptions opt = grsn_report_defaults();
    opt.energy_samples = 64;
    GrsnReportSummary sum;
    CHECK(grsn_report_write(&l, root, out, &opt, &sum) == GRSN_OK);
    CHECK(sum.rasters == 1 && sum.energy_rows == 1 && sum.curves == 1);
    CHECK_MSG(sum.warning[0] == '\0', "%s", sum.warning);
    CHECK(check_svgs(out) == 2);
    char path[320];
    snprintf(path, sizeof path, "%s/index.md", out);
    char *md = read_text(path);
    CHECK(md && strstr(md, "](raster_cartpole-v.svg)") && strstr(md, "| cartpole-v | ") &&
          strstr(md, "1 checkpoint, actor firing rate"));
    free(md);
    grsn_runs_free(&l);
    CHECK(remove_tree(dir));
}

int main(void) {
    RUN(xml_checker_rejects_broken_svg);
    RUN(mean_std_is_population_and_skips_nan);
    RUN(fixture_runs_are_read_and_grouped);
    RUN(fixture_report_has_tables_flags_and_valid_svg);
    RUN(runs_of_two_budgets_are_not_averaged_together);
    RUN(runs_with_other_settings_are_their_own_method);
    RUN(table3_holds_default_runs_only);
    RUN(table3_takes_its_smac_block_from_one_game_loop);
    RUN(linked_runs_count_once_and_copied_seeds_are_flagged);
    RUN(curves_of_a_flat_line_at_a_large_value);
    RUN(same_setting_on_two_nets_two_colours);
    RUN(bad_input_is_a_clear_error);
    RUN(raster_and_energy_from_a_checkpoint);
    return test_summary("test_report");
}
