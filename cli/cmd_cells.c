/*
 * cmd_cells.c — `grsn cells`: train one recurrent cell on a delayed-recall
 * task, the smallest problem that needs memory across steps. A cue (+1 or -1)
 * arrives at step 0, then `delay` steps of distractor noise; the sign must be
 * read out from the cell's output at the last step. The loop is the one every
 * agent uses: cell forward over the window, linear readout, backward through
 * time, Adam. GRSN's gated current keeps the cue; a LIF neuron with fixed
 * decay forgets it within a few steps (paper §4.2-4.3).
 */
#include "cli.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    GrsnParams p;
    GrsnCell cell;
    GrsnLinear head;
    GrsnAdam adam;
} RecallNet;

// One batch of the task: x [T][B][2] (cue channel, noise channel), y [B].
static void make_batch(float *x, float *y, int T, int B, grsn_rng *r) {
    for (int b = 0; b < B; b++) {
        y[b] = grsn_rng_below(r, 2) ? 1.0f : -1.0f;
        for (int t = 0; t < T; t++) {
            float *xt = x + ((size_t)t * B + b) * 2;
            xt[0] = t == 0 ? y[b] : 0.0f;
            xt[1] = (float)grsn_rng_normal(r) * 0.5f;
        }
    }
}

int cmd_cells(int argc, char **argv) {
    const char *cell_name;
    int delay, hidden, batch, steps, seed, threads, compat;
    double lr;
    ArgSpec specs[] = {
        {"cell", ARG_CHOICE, &cell_name, "grsn", "recurrent cell", "grsn|lif|gru"},
        {"delay", ARG_INT, &delay, "10", "steps between the cue and the answer", NULL},
        {"hidden", ARG_INT, &hidden, "64", "hidden units", NULL},
        {"batch", ARG_INT, &batch, "64", "sequences per update", NULL},
        {"steps", ARG_INT, &steps, "1500", "Adam updates", NULL},
        {"lr", ARG_FLOAT, &lr, "0.003", "Adam learning rate", NULL},
        {"seed", ARG_INT, &seed, "0", "random seed", NULL},
        {"compat", ARG_BOOL, &compat, "0", "authors' code semantics (fixed beta, LIF soft reset)", NULL},
        {"threads", ARG_INT, &threads, "0", "threads (0: all cores)", NULL},
    };
    args_parse("cells", "cells [flags]", specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, NULL, 0);
    if (delay < 1 || delay > 1000) cli_usage_error("cells", "--delay %d must lie in 1..1000", delay);
    if (hidden < 1 || batch < 1 || steps < 1) cli_usage_error("cells", "--hidden, --batch and --steps must be > 0");
    grsn_set_threads(threads);

    const int T = delay + 1, B = batch, H = hidden;
    RecallNet n;
    grsn_params_init(&n.p);
    GrsnCellConfig cfg = grsn_cell_config((grsn_cell_kind)grsn_cell_kind_from_name(cell_name), 2, H);
    if (compat) grsn_cell_config_compat(&cfg);
    cli_check("cells", grsn_cell_init(&n.cell, &n.p, "cell", &cfg, T, B));
    cli_check("cells", grsn_linear_init(&n.head, &n.p, "head", H, 1));
    cli_check("cells", grsn_params_alloc(&n.p));
    grsn_rng init, data;
    grsn_rng_seed(&init, (uint64_t)seed, GRSN_STREAM_INIT);
    grsn_rng_seed(&data, (uint64_t)seed, GRSN_STREAM_REPLAY);
    cli_check("cells", grsn_cell_reset_parameters(&n.cell, &init));
    grsn_init_linear_default(&n.head, &init);
    cli_check("cells", grsn_adam_init(&n.adam, n.p.n, (float)lr));

    size_t TB = (size_t)T * B;
    float *x = malloc(TB * 2 * sizeof(float)), *out = malloc(TB * H * sizeof(float));
    float *dout = calloc(TB * H, sizeof(float)), *state = malloc((size_t)B * n.cell.state_size * sizeof(float));
    float *y = malloc(B * sizeof(float)), *logit = malloc(B * sizeof(float)), *dlogit = malloc(B * sizeof(float));
    if (!x || !out || !dout || !state || !y || !logit || !dlogit) cli_fail("cells", "out of memory");

    printf("grsn cells: %s, delayed recall over %d steps, hidden %d, batch %d, %d updates, threads %d\n",
           cell_name, delay, H, B, steps, grsn_threads());
    double acc_avg = 0, loss_avg = 0, rate_avg = 0;
    for (int s = 1; s <= steps; s++) {
        make_batch(x, y, T, B, &data);
        memset(state, 0, (size_t)B * n.cell.state_size * sizeof(float));
        grsn_cell_forward(&n.cell, out, state, x, NULL, T, B);
        const float *last = out + (size_t)(T - 1) * B * H;
        grsn_linear_forward(&n.head, logit, last, NULL, B);
        // Logistic loss log(1 + exp(-y z)), mean over the batch.
        double loss = 0; int correct = 0;
        for (int b = 0; b < B; b++) {
            float m = -y[b] * logit[b];
            loss += m > 0 ? m + log1p(exp(-m)) : log1p(exp(m));
            dlogit[b] = -y[b] * (1.0f / (1.0f + expf(-m))) / B;
            correct += (logit[b] >= 0) == (y[b] > 0);
        }
        double rate = 0;
        if (cfg.kind != GRSN_CELL_GRU) { for (size_t i = 0; i < TB * H; i++) rate += out[i]; rate /= TB * H; }
        grsn_params_zero_grad(&n.p);
        memset(dout + (size_t)(T - 1) * B * H, 0, (size_t)B * H * sizeof(float));
        grsn_linear_backward(&n.head, dout + (size_t)(T - 1) * B * H, dlogit, last, NULL, B);
        grsn_cell_backward(&n.cell, NULL, NULL, dout, x, T, B);
        if (!grsn_params_finite(&n.p)) cli_fail("cells", "non-finite parameter or gradient at update %d", s);
        grsn_adam_step(&n.adam, n.p.data, n.p.grad);
        double k = s < 20 ? 1.0 / s : 0.05;
        acc_avg += k * ((double)correct / B - acc_avg);
        loss_avg += k * (loss / B - loss_avg);
        rate_avg += k * (rate - rate_avg);
        // A live line on a terminal; one line per tenth of the run otherwise.
        int tty = isatty(fileno(stdout));
        if ((tty && s % 20 == 0) || s == steps || (!tty && s % (steps / 10 > 0 ? steps / 10 : 1) == 0)) {
            printf("%s  update %4d/%d  loss %.4f  accuracy %5.1f%%", tty ? "\r" : "", s, steps, loss_avg, 100 * acc_avg);
            if (cfg.kind != GRSN_CELL_GRU) printf("  firing rate %.3f", rate_avg);
            if (n.cell.beta_a) printf("  beta %.3f", grsn_cell_beta(&n.cell, 0));
            if (!tty) printf("\n");
            fflush(stdout);
        }
    }
    printf("%sfinal accuracy %.1f%% (chance 50%%)\n", isatty(fileno(stdout)) ? "\n" : "", 100 * acc_avg);
    free(x); free(out); free(dout); free(state); free(y); free(logit); free(dlogit);
    grsn_adam_free(&n.adam); grsn_cell_free(&n.cell); grsn_linear_free(&n.head); grsn_params_free(&n.p);
    return 0;
}
