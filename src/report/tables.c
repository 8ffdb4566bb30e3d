/*
 * tables.c — the Markdown tables of `grsn report`: Tables 1-4 in the paper's
 * format, our mean ± std across seeds beside the paper's numbers, and the
 * formatting helpers the rest of the index shares. Table 4 measures the
 * runs' checkpoints with the energy model (grsn_energy.h).
 *
 * Sections: formatting helpers; Tables 1-3; Table 4.
 */
#include "report/report.h"
#include "grsn_energy.h"
#include "grsn_train.h"

// ----------------------------------------------------------------------------
// Formatting helpers (index.c uses them too)

// "−189.4" as the paper prints a mean: one decimal, negative numbers with
// the minus sign (U+2212), as the paper's tables do; "–" for NaN.
static void mean_text(char *out, size_t cap, double mean, double scale) {
    if (isnan(mean)) { snprintf(out, cap, "–"); return; }
    double m = mean * scale;
    if (fabs(m) < 0.05) m = 0;   // no "−0.0"
    snprintf(out, cap, "%s%.1f", m < 0 ? "−" : "", fabs(m));
}

// "−189.4 ± 17.64" as the paper prints it (one decimal, std two).
void report_pm(char *out, size_t cap, double mean, double std, double scale) {
    char m[32];
    mean_text(m, sizeof m, mean, scale);
    if (isnan(mean)) snprintf(out, cap, "%s", m);
    else snprintf(out, cap, "%s ± %.2f", m, (isnan(std) ? 0 : std) * scale);
}

// A group's seed count, "n=5", flagged when seeds are missing or repeated
// (a copied run directory would count twice).
static void seeds_text(char *out, size_t cap, const GrsnRunGroup *gr, int want) {
    int short_of = gr->nfinished < gr->nruns || gr->nfinished < want || gr->repeated_seeds;
    snprintf(out, cap, "n=%d%s%s", gr->nfinished, gr->repeated_seeds ? ", a seed repeated" : "", short_of ? " ⚠" : "");
}

// A group's cell: "mean ± std (n=5)", flagged as seeds_text says.
static void cell(char *out, size_t cap, const GrsnRunGroup *gr, int want, int win) {
    if (!gr) { snprintf(out, cap, "–"); return; }
    char v[48];
    if (gr->nfinished == 0) {
        snprintf(out, cap, "⚠ no finished run (%d partial)", gr->nruns);
        return;
    }
    report_pm(v, sizeof v, win ? gr->win_mean : gr->mean, win ? gr->win_std : gr->std, win ? 100.0 : 1.0);
    char n[40];
    seeds_text(n, sizeof n, gr, want);
    snprintf(out, cap, "%s (%s)", v, n);
}

void report_csv_text(FILE *f, const char *s, int quote) {
    quote |= s[strcspn(s, ",\"\r\n")] != '\0';
    if (!quote) { fputs(s, f); return; }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

const char *report_net_label(const char *net) {
    if (!strcmp(net, "grsn")) return "GRSN";
    if (!strcmp(net, "lif")) return "LIF";
    if (!strcmp(net, "gru")) return "GRU";
    if (!strcmp(net, "mlp")) return "MLP";
    return net;
}

// A net and the settings it ran with off the defaults: "GRSN (cell.gates=spikes)".
void report_method_net(char *out, size_t cap, const char *net, const char *variant) {
    if (variant[0]) snprintf(out, cap, "%s (%s)", report_net_label(net), variant);
    else snprintf(out, cap, "%s", report_net_label(net));
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

// The w/o-TAP group of a method with the given settings: T = 4 if present,
// else any T > 1. Both paradigms of a row of Table 3 come from groups of one
// variant, so that they compare runs that differ in TAP alone.
static const GrsnRunGroup *find_wotap(const GrsnGroups *g, const char *task, const char *algo, const char *net,
                                      const char *variant) {
    const GrsnRunGroup *gr = report_find_variant(g, task, algo, net, 4, variant);
    for (int i = 0; !gr && i < g->n; i++) {
        const GrsnRunGroup *c = &g->group[i];
        if (c->substeps > 1 && report_group_is(c, task, algo, net, c->substeps, variant)) gr = c;
    }
    return gr;
}

// The settings Table 3's SMAC-8m cells are taken with: the defaults ("") or
// the old game loop ("push_first=1", which results/run_table3.sh trains
// with), whichever has more of the four cells, the defaults on a tie. Every
// cell of the block then comes from the same game loop.
static const char *table3_smac_variant(const GrsnGroups *g) {
    static const char *const VARIANTS[] = {"", "push_first=1"};
    static const char *const NETS[] = {"lif", "grsn"};
    int best = 0, best_cells = -1;
    for (int v = 0; v < 2; v++) {
        int cells = 0;
        for (int n = 0; n < 2; n++)
            cells += (report_find_variant(g, "8m", "qmix", NETS[n], 1, VARIANTS[v]) != NULL) +
                     (find_wotap(g, "8m", "qmix", NETS[n], VARIANTS[v]) != NULL);
        if (cells > best_cells) { best = v; best_cells = cells; }
    }
    return VARIANTS[best];
}

void report_table1(FILE *f, const GrsnGroups *g, int want, const char *runs) {
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
        fprintf(f, "| TD3-%s | %s |", report_net_label(T1_NETS[n]), T1_PARADIGM[n]);
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

void report_table2(FILE *f, const GrsnGroups *g, int want, const char *runs) {
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

void report_table3(FILE *f, const GrsnRunList *l, const GrsnGroups *g, int want_ctl, int want_qmix, const char *runs) {
    fprintf(f, "## Table 3 — ablation: TAP vs. w/o TAP (T = 4, repeated input, rate decoding)\n\n"
               "Total time steps: neuron updates per training sequence (control: window length × T; SMAC: mean "
               "test episode length × T). Training time: mean wall time of the finished seeds.\n\n");
    fprintf(f, "| Environment | Paradigm | Net | Mean reward ours | paper | Std ours | paper | Test win %% ours | "
               "paper | Total time steps ours | paper | Training time (h) ours | paper |\n"
               "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    const char *smac_variant = table3_smac_variant(g);
    for (int i = 0; i < 8; i++) {
        const char *task = T3_PAPER[i].task;
        int qmix = !strcmp(task, "8m");
        const char *algo = qmix ? "qmix" : default_algo(task), *variant = qmix ? smac_variant : "";
        const GrsnRunGroup *gr = T3_PAPER[i].tap ? report_find_variant(g, task, algo, T3_PAPER[i].net, 1, variant)
                                                 : find_wotap(g, task, algo, T3_PAPER[i].net, variant);
        char mean[80] = "–", std[32] = "–", win[32] = "–", steps[32] = "–", hours[32] = "–";
        if (gr && gr->nfinished > 0) {
            char v[32], n[40];
            mean_text(v, sizeof v, gr->mean, 1.0);
            seeds_text(n, sizeof n, gr, qmix ? want_qmix : want_ctl);
            snprintf(mean, sizeof mean, "%s (%s)", v, n);
            snprintf(std, sizeof std, "%.2f", gr->std);
            if (qmix && !isnan(gr->win_mean)) snprintf(win, sizeof win, "%.1f", 100.0 * gr->win_mean);
            double ts = time_steps(l, gr);
            if (!isnan(ts)) snprintf(steps, sizeof steps, "%.0f", ts);
            if (!isnan(gr->wall_mean)) snprintf(hours, sizeof hours, "%.2f", gr->wall_mean / 3600.0);
        } else if (gr) {
            snprintf(mean, sizeof mean, "⚠ no finished run (%d partial)", gr->nruns);
        }
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                qmix ? (smac_variant[0] ? "SMAC-8m (old loop, push_first=1)" : "SMAC-8m") : "Pendulum-P", T3_PAPER[i].tap ? "w/ TAP" : "w/o TAP", report_net_label(T3_PAPER[i].net),
                mean, T3_PAPER[i].mean, std, T3_PAPER[i].std, win, T3_PAPER[i].win, steps, T3_PAPER[i].steps, hours,
                T3_PAPER[i].hours);
    }
    fprintf(f, "\nReproduce: `grsn sweep --envs pendulum-p --nets lif,grsn --seeds 0-4 --runs %s` and the same with "
               "`--runs %s/wotap -- --no-tap 1` (and `--envs smac:8m --algo qmix` for the SMAC half).\n\n", runs, runs);
}

// ----------------------------------------------------------------------------
// Table 4: the energy model on the runs' checkpoints

static double K(double x) { return grsn_energy_k(x); }

static void energy_line(FILE *f, const char *task, const GrsnTable4Row *ours, const GrsnTable4Row *paper,
                        const char *source) {
    fprintf(f, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | "
               "%.1f%% | %.1f%% |", task, K(ours->gru_mlp), K(paper->gru_mlp), K(ours->gru_rnn), K(paper->gru_rnn),
            K(ours->gru_energy_pj), K(paper->gru_energy_pj), K(ours->grsn_mlp), K(paper->grsn_mlp), K(ours->grsn_snn),
            K(paper->grsn_snn), K(ours->grsn_energy_pj), K(paper->grsn_energy_pj),
            100.0 * ours->grsn_energy_pj / ours->gru_energy_pj, 100.0 * paper->grsn_energy_pj / paper->gru_energy_pj);
    fprintf(f, " %s |\n", source);
}

// One measured checkpoint as a row of table4.csv (thousands unrounded).
static void energy_csv_row(FILE *csv, const GrsnRunInfo *r, const char *path, long samples,
                           const GrsnTable4Measure *t) {
    const GrsnTable4Row *m = &t->row;
    report_csv_text(csv, m->task, 0);
    fputc(',', csv);
    report_csv_text(csv, r->dir, 0);
    fprintf(csv, ",%ld,%ld,", r->seed, r->env_steps);
    if (isfinite(r->win_rate)) fprintf(csv, "%.9g", r->win_rate);
    fprintf(csv, ",%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%ld,", r->score, m->grsn_mlp / 1000.0, m->grsn_snn / 1000.0,
            m->grsn_energy_pj / 1000.0, m->gru_energy_pj / 1000.0, m->grsn_energy_pj / m->gru_energy_pj, t->rate[0],
            samples);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "grsn energy --checkpoint %s --convention paper --seed %ld --samples %ld", path, r->seed,
             samples);
    report_csv_text(csv, cmd, 1);
    fputc('\n', csv);
}

void report_table4(FILE *f, FILE *csv, const GrsnRunList *l, const GrsnGroups *g, const GrsnReportOptions *opt,
                   GrsnReportSummary *sum) {
    fprintf(csv, "task,dir,seed,env_steps,final_win_rate,final_score,grsn_mlp_k,grsn_snn_k,grsn_energy_kpj,"
                 "gru_energy_kpj,grsn_over_gru,firing_rate,samples,command\n");
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
        // The trained agents: every finished seed's final.grsn, measured on
        // the evaluation stream of the run's own seed.
        GrsnTable4Measure *meas = grsn_calloc((size_t)gr->nruns + 1, sizeof *meas);
        GrsnEnergyOptions eo = grsn_energy_options_default();
        int n = 0;
        if (!meas && !sum->warning[0]) snprintf(sum->warning, sizeof sum->warning, "Table 4: out of memory");
        for (int k = 0; meas && k < gr->nruns; k++) {
            const GrsnRunInfo *r = &l->run[gr->run[k]];
            if (!r->finished || !r->has_final) continue;
            char path[600];
            snprintf(path, sizeof path, "%s/final.grsn", r->dir);
            if (grsn_energy_table4_measure(&meas[n], path, opt->energy_samples, (uint64_t)r->seed, &eo) != GRSN_OK) {
                if (!sum->warning[0]) snprintf(sum->warning, sizeof sum->warning, "Table 4: %s", grsn_last_error());
                continue;
            }
            energy_csv_row(csv, r, path, opt->energy_samples, &meas[n]);
            n++;
        }
        double measured_rate[2];
        snprintf(ours.task, sizeof ours.task, "%s", task);
        n = grsn_energy_table4_mean(&ours, measured_rate, meas, n);
        free(meas);
        if (n > 0) {
            snprintf(source, sizeof source, "%d checkpoint%s, %s firing rate %.2f%%", n, n == 1 ? "" : "s",
                     qmix ? "agent" : "actor", 100.0 * measured_rate[0]);
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
    fprintf(f, "\nEach checkpoint's measurement, with the `grsn energy` command that repeats it: "
               "[table4.csv](table4.csv). The paper's full table from the architectures alone: "
               "`grsn energy --table4 1`.\n\n");
}

