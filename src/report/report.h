/*
 * report.h — the parts of `grsn report` shared by its files (internal):
 *
 *   runs.c    read run directories and group them by method across seeds
 *   svg.c     SVG learning curves and spike rasters, drawn by hand
 *   tables.c  Markdown Tables 1-4, our mean ± std beside the paper's
 *   index.c   the report folder: figures, inventory, index.md, runs.csv
 *
 * The public side is include/grsn_report.h.
 */
#ifndef GRSN_REPORT_INTERNAL_H
#define GRSN_REPORT_INTERNAL_H

#include "common.h"
#include "grsn_report.h"
#include <stdio.h>

// runs.c: whether group gr is the method (task, algo, net, substeps,
// variant), of any budget (algo NULL: any algo); the first such group, which
// has the largest budget.
int report_group_is(const GrsnRunGroup *gr, const char *task, const char *algo, const char *net, int substeps,
                    const char *variant);
const GrsnRunGroup *report_find_variant(const GrsnGroups *g, const char *task, const char *algo, const char *net,
                                        int substeps, const char *variant);

// svg.c: figures. A method's curve: mean and std over seeds at each evaluation.
typedef struct {
    char label[640];           // "first line|second line" (room for the longest variant)
    const char *color;
    int dashed;
    int thin;                  // a shorter budget than another group of the method: dotted, no band
    int n;
    double *x, *mean, *std;    // [n]
} Series;

// Curves with ± std bands; percent: a win rate, axis and bands within 0..100.
grsn_status report_svg_curves(const char *path, const char *title, const char *ylabel, const Series *s, int ns,
                              int percent);
// spikes[t * H + j]: the substeps (at most K) in which neuron j fired at
// decision t, for H neurons over L decisions.
grsn_status report_svg_raster(const char *path, const char *title, const unsigned char *spikes, int H, int L, int K);

// tables.c: "−189.4 ± 17.64" as the paper prints it (scale: 100 for a
// percentage); a net's label ("GRSN"), with its settings off the defaults;
// Tables 1-4 in Markdown; Table 4's measurement of each checkpoint also goes
// to `csv` (table4.csv: one row per checkpoint, with its `grsn energy` command).
void report_pm(char *out, size_t cap, double mean, double std, double scale);
// One CSV field: quoted, with its quotes doubled, when `quote` is 1 or it
// holds a comma, a quote or a line break; as it is otherwise.
void report_csv_text(FILE *f, const char *s, int quote);
const char *report_net_label(const char *net);
void report_method_net(char *out, size_t cap, const char *net, const char *variant);
void report_table1(FILE *f, const GrsnGroups *g, int want, const char *runs);
void report_table2(FILE *f, const GrsnGroups *g, int want, const char *runs);
void report_table3(FILE *f, const GrsnRunList *l, const GrsnGroups *g, int want_ctl, int want_qmix, const char *runs);
void report_table4(FILE *f, FILE *csv, const GrsnRunList *l, const GrsnGroups *g, const GrsnReportOptions *opt,
                   GrsnReportSummary *sum);

#endif
