/*
 * cmd_report.c — `grsn report RUNS_DIR [--out report]`: one folder with the
 * paper's Tables 1-4 from every run directory under RUNS_DIR (control and
 * QMIX runs), learning curves, spike rasters and a per-run CSV
 * (grsn_report.h). Runs without a result are listed as partial and never
 * averaged.
 */
#include "cli.h"
#include <stdlib.h>

static const char *CMD = "report";

int cmd_report(int argc, char **argv) {
    const char *out;
    int samples, raster;
    ArgSpec specs[] = {
        {"out", ARG_STR, &out, "report", "folder for index.md, the SVG figures, runs.csv and table4.csv", NULL},
        {"samples", ARG_INT, &samples, "1024", "Table 4: decisions whose spikes are counted per checkpoint", NULL},
        {"raster", ARG_BOOL, &raster, "1", "draw spike rasters from the GRSN runs' final.grsn", NULL},
    };
    char *pos[1];
    int npos = args_parse(CMD, "report RUNS_DIR [--out DIR] [flags]\n\n"
                          "Scans RUNS_DIR for run directories (grsn train output, control tasks and QMIX) and writes\n"
                          "Tables 1-4 (mean ± std across seeds beside the paper's), learning curves and spike rasters\n"
                          "into one folder with an index page, DIR/index.md.",
                          specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, pos, 1);
    if (npos != 1) cli_usage_error(CMD, "name the runs directory: grsn report RUNS_DIR [--out DIR]");
    if (samples < 1 || samples > 10000000) cli_usage_error(CMD, "--samples %d must lie in 1..10000000", samples);

    GrsnRunList runs;
    cli_check(CMD, grsn_runs_scan(&runs, pos[0]));
    if (runs.n == 0) cli_fail(CMD, "no run directories (a directory with a config file) under %s", pos[0]);
    GrsnReportOptions opt = grsn_report_defaults();
    opt.energy_samples = samples;
    opt.raster = raster;
    opt.runs_label = pos[0];
    GrsnReportSummary sum;
    grsn_status st = grsn_report_write(&runs, pos[0], out, &opt, &sum);
    grsn_runs_free(&runs);
    cli_check(CMD, st);
    printf("grsn report: %d run directories (%d finished, %d partial) in %d methods; %d curve plots, %d spike "
           "rasters, %d Table 4 rows -> %s/index.md\n", sum.runs, sum.finished, sum.partial, sum.groups, sum.curves,
           sum.rasters, sum.energy_rows, out);
    if (sum.partial) printf("partial runs are listed under 'Missing and partial runs' and not averaged\n");
    if (sum.warning[0]) printf("note: %s\n", sum.warning);
    return 0;
}
