/*
 * bench_cells.c — `grsn bench cells`: forward + backward throughput of the
 * GRSN, LIF and GRU layers over a window, at the paper's sizes by default
 * (input 48, hidden 128, batch 32, T = 65). dev/bench_cells.py times the same
 * cells in PyTorch; run both on the same machine and thread count.
 */
#include "../cli/cli.h"
#include <stdlib.h>
#include <string.h>
#include "rundir.h"   // grsn_now_s

// Dense FLOPs of one forward + backward (2 per multiply-add; backward = dx + dW).
static double cell_flops(grsn_cell_kind k, int T, int B, int in, int H) {
    double rows = (double)T * B;
    switch (k) {
    case GRSN_CELL_GRSN: return 3 * 2 * rows * in * 2 * H;
    case GRSN_CELL_LIF:  return 3 * 2 * rows * in * H;
    case GRSN_CELL_GRU:  return 3 * 2 * rows * 3 * H * (in + H);
    }
    return 0;
}

int bench_cells(int argc, char **argv) {
    int T, B, in, H, iters, threads, substeps;
    double min_time;
    const char *cells;
    ArgSpec specs[] = {
        {"cells", ARG_STR, &cells, "grsn,lif,gru", "comma-separated cells to time", NULL},
        {"T", ARG_INT, &T, "65", "window length (time steps)", NULL},
        {"batch", ARG_INT, &B, "32", "batch size", NULL},
        {"in", ARG_INT, &in, "48", "input size", NULL},
        {"hidden", ARG_INT, &H, "128", "hidden size", NULL},
        {"substeps", ARG_INT, &substeps, "1", "spiking substeps per step (1 = TAP)", NULL},
        {"iters", ARG_INT, &iters, "0", "iterations per cell (0: run for --min-time)", NULL},
        {"min-time", ARG_FLOAT, &min_time, "2", "seconds per cell when --iters is 0", NULL},
        {"threads", ARG_INT, &threads, "0", "threads (0: all cores)", NULL},
    };
    args_parse("bench cells", "bench cells [flags]", specs, (int)(sizeof specs / sizeof specs[0]),
               argc, argv, NULL, 0);
    if (T < 1 || B < 1 || in < 1 || H < 1 || iters < 0 || substeps < 1)
        cli_usage_error("bench cells", "sizes must be positive (T=%d batch=%d in=%d hidden=%d substeps=%d)",
                        T, B, in, H, substeps);
    grsn_set_threads(threads);
    printf("grsn bench cells: T=%d batch=%d in=%d hidden=%d substeps=%d threads=%d (idle: %s)\n",
           T, B, in, H, substeps, grsn_threads(), cli_omp_wait());
    printf("| cell | fwd+bwd ms | neuron-steps/s | GFLOP/s (dense) |\n|---|---|---|---|\n");

    char list[256];
    snprintf(list, sizeof list, "%s", cells);
    for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
        int kind = grsn_cell_kind_from_name(name);
        if (kind < 0) cli_usage_error("bench cells", "unknown cell '%s'; valid cells: grsn, lif, gru", name);
        GrsnCellConfig cfg = grsn_cell_config((grsn_cell_kind)kind, in, H);
        if (kind != GRSN_CELL_GRU) cfg.substeps = substeps;
        GrsnParams p; grsn_params_init(&p);
        GrsnCell c;
        cli_check("bench cells", grsn_cell_init(&c, &p, "cell", &cfg, T, B));
        cli_check("bench cells", grsn_params_alloc(&p));
        grsn_rng r; grsn_rng_seed(&r, 0, GRSN_STREAM_INIT);
        cli_check("bench cells", grsn_cell_reset_parameters(&c, &r));
        size_t TB = (size_t)T * B;
        float *x = malloc(TB * in * sizeof(float)), *out = malloc(TB * H * sizeof(float));
        float *dout = malloc(TB * H * sizeof(float)), *dx = malloc(TB * in * sizeof(float));
        float *state = calloc((size_t)B * c.state_size, sizeof(float));
        if (!x || !out || !dout || !dx || !state) cli_fail("bench cells", "out of memory");
        for (size_t i = 0; i < TB * in; i++) x[i] = (float)grsn_rng_normal(&r);
        for (size_t i = 0; i < TB * H; i++) dout[i] = (float)grsn_rng_normal(&r) * 0.01f;

        double spikes = 0;
        int n = 0;
        double t0 = grsn_now_s(), elapsed = 0;
        while (iters ? n < iters + 1 : (elapsed < min_time || n < 3)) {
            if (n == 1) t0 = grsn_now_s();                 // first iteration warms up
            memset(state, 0, (size_t)B * c.state_size * sizeof(float));
            memset(dx, 0, TB * in * sizeof(float));
            grsn_cell_forward(&c, out, state, x, NULL, T, B);
            grsn_params_zero_grad(&p);
            grsn_cell_backward(&c, dx, NULL, dout, x, T, B);
            if (n == 0 && kind != GRSN_CELL_GRU)
                for (size_t i = 0; i < TB * H; i++) spikes += out[i];
            n++;
            elapsed = grsn_now_s() - t0;
        }
        double per = elapsed / (n - 1);
        printf("| %s | %.3f | %.3g | %.1f |", name, per * 1e3, (double)TB * H / per,
               cell_flops((grsn_cell_kind)kind, T, B, in, H) / per * 1e-9);
        if (kind != GRSN_CELL_GRU) printf(" firing rate %.3f", spikes / ((double)TB * H));
        printf("\n");
        free(x); free(out); free(dout); free(dx); free(state);
        grsn_cell_free(&c); grsn_params_free(&p);
    }
    return 0;
}
