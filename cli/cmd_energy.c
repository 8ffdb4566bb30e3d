/*
 * cmd_energy.c — `grsn energy`: operation counts and energy of an agent
 * (paper §5.4, Eq. 15-16; reference-implementation.md §10; grsn_energy.h).
 *
 *   grsn energy --env pendulum-p --net grsn      an agent built from --seed
 *   grsn energy --checkpoint runs/x/final.grsn   a trained agent: control or QMIX
 *   grsn energy --map 8m --net grsn --firing-rate 0.02   a QMIX agent + mixer
 *   grsn energy --table4 1 [--checkpoints A,B]     the paper's Table 4, all tasks
 *
 * Spikes of trained agents are counted over --samples decisions on an
 * environment seeded from --seed (stream GRSN_STREAM_EVAL_ENV): control
 * agents in deterministic episodes, one decision per env step; QMIX agents
 * in greedy episodes, one decision per agent and env step (Table 4's unit
 * for the SMAC rows). Prints the Table 4 columns and a per-block breakdown
 * (MACs, ACs, bias additions, element-wise work, pJ), and for a spiking
 * agent the GRU agent of the same sizes beside it.
 */
#include "cli.h"
#include "grsn_train.h"
#include "grsn_train_qmix.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *CMD = "energy";

// ----------------------------------------------------------------------------
// Printing

static double K(double x) { return grsn_energy_k(x); }

// a / b as a percentage, or "n/a" when b is 0 (both energy constants 0).
static const char *percent(char *buf, size_t cap, double a, double b) {
    if (b > 0) snprintf(buf, cap, "%.1f%%", 100.0 * a / b);
    else snprintf(buf, cap, "n/a");
    return buf;
}

static const char *kind_name(grsn_block_kind k) {
    return k == GRSN_BLOCK_SPIKE ? "spike" : k == GRSN_BLOCK_RNN ? "gru" : "dense";
}

static void print_sources(const GrsnOpModel *m) {
    for (int i = 0; i < m->nsources; i++) {
        const GrsnSpikeSource *s = &m->source[i];
        if (s->samples > 0)
            printf("spikes %-12s %lld over %ld decisions = %.3f per decision; firing rate %.4f%% (%d neurons, T = %d)\n",
                   s->name, s->total, s->samples, s->spikes, 100.0 * grsn_energy_rate(m, i), s->neurons, s->T);
        else
            printf("spikes %-12s %.3f per decision (set, not measured); firing rate %.4f%% (%d neurons, T = %d)\n",
                   s->name, s->spikes, 100.0 * grsn_energy_rate(m, i), s->neurons, s->T);
        if (s->fed_T != s->T)
            printf("       %-12s %.3f per decision reach the blocks it feeds (the last of the %d substeps is "
                   "decoded)%s\n", "", s->fed, s->T, s->samples > 0 ? "" : "; set: a 1/T share");
    }
}

static void print_report(const GrsnOpModel *m, const GrsnEnergyReport *r, const GrsnEnergyOptions *o) {
    int paper = o->convention == GRSN_ENERGY_PAPER;
    printf("\n| block | kind | in | out | MACs | ACs (spikes) | bias adds | element-wise | charged as MAC | charged as AC | pJ |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < m->nblocks; i++) {
        const GrsnOpBlock *b = &m->block[i];
        const GrsnBlockCost *c = &r->block[i];
        printf("| %s | %s | %d | %d | %.0f | %.2f | %.0f | %.0f | %.2f | %.2f | %.2f |\n", b->name, kind_name(b->kind),
               b->in, b->out, c->macs, c->acs, c->bias, c->elem, c->mac_ops, c->add_ops, c->pj);
    }
    double macs = 0, acs = 0, bias = 0, mac_ops = 0, add_ops = 0;
    for (int i = 0; i < r->nblocks; i++) {
        macs += r->block[i].macs; acs += r->block[i].acs; bias += r->block[i].bias;
        mac_ops += r->block[i].mac_ops; add_ops += r->block[i].add_ops;
    }
    printf("| total | | | | %.0f | %.2f | %.0f | %.0f | %.2f | %.2f | %.2f |\n", macs, acs, bias, r->elem, mac_ops,
           add_ops, r->energy_pj);

    if (m->has_mixer) {
        printf("\n| mixer layer (per state) | in | out | MACs | bias adds |\n|---|---:|---:|---:|---:|\n");
        for (int i = 0; i < m->nmixer; i++)
            printf("| %s | %d | %d | %d | %d |\n", m->mixer[i].name, m->mixer[i].in, m->mixer[i].out,
                   m->mixer[i].in * m->mixer[i].out, m->mixer[i].out);
        printf("| total | | | | %.0f |\n", r->mixer);
    }
    printf("\nTable 4 columns (%s convention; K = thousand operations per decision):\n",
           grsn_energy_convention_name(o->convention));
    printf("| MLP (K) | RNN (K) | SNN (K) |%s Energy (K pJ) |%s\n", paper ? "" : " adds (K) |",
           m->has_mixer ? " mixer (K) |" : "");
    printf("|---:|---:|---:|%s---:|%s\n", paper ? "" : "---:|", m->has_mixer ? "---:|" : "");
    printf("| %.2f | %.2f | %.2f |", K(r->mlp), K(r->rnn), K(r->snn));
    if (!paper) printf(" %.2f |", K(r->adds));
    printf(" %.2f |", K(r->energy_pj));
    if (m->has_mixer) printf(" %.2f |", K(r->mixer));
    printf("\nE = %.3g pJ x (MLP + RNN) + %.3g pJ x (SNN%s)%s\n", o->e_mac_pj, o->e_ac_pj, paper ? "" : " + adds",
           m->has_mixer ? "; the mixer is counted per state and is in no energy (as in Table 4)" : "");
}

// The GRU agent of the same sizes beside a spiking one, in the same
// convention, and the ratio of their energies (Table 4's comparison).
static void print_gru_beside(const GrsnOpModel *m, const GrsnEnergyReport *r, const GrsnOpModel *gru,
                             const GrsnEnergyOptions *o) {
    GrsnEnergyReport g;
    cli_check(CMD, grsn_energy_count(&g, gru, o));
    int paper = o->convention == GRSN_ENERGY_PAPER;
    printf("\nBeside it, the GRU agent of the same sizes (%s convention; K per decision):\n",
           grsn_energy_convention_name(o->convention));
    printf("| agent | MLP (K) | RNN (K) | SNN (K) |%s Energy (K pJ) |\n", paper ? "" : " adds (K) |");
    printf("|---|---:|---:|---:|%s---:|\n", paper ? "" : "---:|");
    const GrsnOpModel *model[2] = {m, gru};
    const GrsnEnergyReport *rep[2] = {r, &g};
    for (int i = 0; i < 2; i++) {
        printf("| %s | %.2f | %.2f | %.2f |", model[i]->title, K(rep[i]->mlp), K(rep[i]->rnn), K(rep[i]->snn));
        if (!paper) printf(" %.2f |", K(rep[i]->adds));
        printf(" %.2f |\n", K(rep[i]->energy_pj));
    }
    char pc[16];
    printf("energy of the agent (%s) / the GRU agent: %s\n", m->title,
           percent(pc, sizeof pc, r->energy_pj, g.energy_pj));
}

// ----------------------------------------------------------------------------
// Table 4

static void table4_line(const GrsnTable4Row *r, const char *rate) {
    char pc[16];
    printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %s |", r->task, K(r->gru_mlp), K(r->gru_rnn),
           K(r->gru_energy_pj), K(r->grsn_mlp), K(r->grsn_snn), K(r->grsn_energy_pj),
           percent(pc, sizeof pc, r->grsn_energy_pj, r->gru_energy_pj));
    if (r->mixer >= 0) printf(" %.2f |", K(r->mixer));
    else printf(" – |");
    printf(" %s |\n", rate);
}

static void table4_header(void) {
    printf("| task | GRU MLP (K) | GRU RNN (K) | GRU energy (K pJ) | GRSN MLP (K) | GRSN SNN (K) | "
           "GRSN energy (K pJ) | GRSN/GRU | mixer (K) | GRSN firing rate |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
}

// The --checkpoints of Table 4: each is measured and listed, and a row's GRSN
// columns become the mean over the checkpoints of its task (as `grsn report`
// averages over seeds), so several seeds of one task all count. All are
// measured before anything is printed, so a bad file gives its one-line error.
enum { TABLE4_MAX_CHECKPOINTS = 256 };

static void table4_measure_all(GrsnTable4Row *rows, char rates[][128], const char *checkpoints,
                               const GrsnEnergyOptions *o, long samples, int seed) {
    char list[4096];
    const char *path[TABLE4_MAX_CHECKPOINTS];
    GrsnTable4Measure t[TABLE4_MAX_CHECKPOINTS];
    int count = 0;
    if (strlen(checkpoints) >= sizeof list) cli_usage_error(CMD, "--checkpoints: list longer than 4095 characters");
    snprintf(list, sizeof list, "%s", checkpoints);
    for (char *save = NULL, *p = strtok_r(list, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (count == TABLE4_MAX_CHECKPOINTS)
            cli_usage_error(CMD, "--checkpoints: more than %d checkpoints", TABLE4_MAX_CHECKPOINTS);
        path[count] = p;
        cli_check(CMD, grsn_energy_table4_measure(&t[count++], p, samples, (uint64_t)seed, o));
    }
    printf("Measured (%ld decisions each, seed %d):\n\n", samples, seed);
    printf("| checkpoint | task | GRSN SNN (K) | GRSN energy (K pJ) | firing rate |\n");
    printf("|---|---|---:|---:|---|\n");
    for (int c = 0; c < count; c++) {
        const GrsnTable4Row *r = &t[c].row;
        printf("| %s | %s | %.2f | %.2f | ", path[c], r->task, K(r->grsn_snn), K(r->grsn_energy_pj));
        if (r->mixer >= 0) printf("agents %.2f%% |\n", 100.0 * t[c].rate[0]);
        else printf("actor %.2f%%, critic %.2f%% |\n", 100.0 * t[c].rate[0], 100.0 * t[c].rate[1]);
    }
    printf("\n");
    for (int i = 0; i < GRSN_TABLE4_ROWS; i++) {
        double rate[2];
        int n = grsn_energy_table4_mean(&rows[i], rate, t, count);
        if (!n) continue;
        if (rows[i].mixer >= 0)
            snprintf(rates[i], 128, "measured, mean of %d: agents %.2f%%", n, 100.0 * rate[0]);
        else
            snprintf(rates[i], 128, "measured, mean of %d: actor %.2f%%, critic %.2f%%", n, 100.0 * rate[0],
                     100.0 * rate[1]);
    }
}

// Rates of the GRSN columns: --firing-rate if given, else the rate that
// reproduces the paper's printed SNN column (SNN / the SNN at rate 1), and
// measured rates for the tasks of the --checkpoints given.
static int run_table4(const GrsnEnergyOptions *opt, double firing_rate, const char *checkpoints, long samples,
                      int seed) {
    GrsnEnergyOptions o = *opt;
    o.convention = GRSN_ENERGY_PAPER;
    GrsnTable4Row rows[GRSN_TABLE4_ROWS], paper[GRSN_TABLE4_ROWS];
    char rates[GRSN_TABLE4_ROWS][128];
    for (int i = 0; i < GRSN_TABLE4_ROWS; i++) {
        const char *task = grsn_table4_task(i);
        cli_check(CMD, grsn_energy_table4_paper(&paper[i], task));
        double rate = firing_rate;
        if (rate >= 0) {
            snprintf(rates[i], sizeof rates[i], "%.2f%% (--firing-rate)", 100.0 * rate);
        } else {
            cli_check(CMD, grsn_energy_table4_row(&rows[i], task, 1.0, &o));
            rate = paper[i].grsn_snn / rows[i].grsn_snn;
            snprintf(rates[i], sizeof rates[i], "%.2f%% (implied by the printed SNN column)", 100.0 * rate);
        }
        cli_check(CMD, grsn_energy_table4_row(&rows[i], task, rate, &o));
    }
    if (checkpoints) table4_measure_all(rows, rates, checkpoints, &o, samples, seed);

    printf("Table 4 from the architectures, paper convention (actor + critic, bias adds as MACs; spec §10.2)%s.\n",
           o.paper_grsn_fit ? ", GRSN MLP column by the empirical fit of §10.2" : "");
    printf("E_MAC %.3g pJ, E_AC %.3g pJ; K = thousand operations per decision (per agent and step for SMAC).\n\n",
           o.e_mac_pj, o.e_ac_pj);
    printf("Computed:\n\n");
    table4_header();
    for (int i = 0; i < GRSN_TABLE4_ROWS; i++) table4_line(&rows[i], rates[i]);
    printf("\nPaper (as printed; spec §10.2):\n\n");
    table4_header();
    for (int i = 0; i < GRSN_TABLE4_ROWS; i++) table4_line(&paper[i], "–");
    printf("\nNotes: the GRU columns and the mixer follow from the architectures alone. The GRSN MLP column\n"
           "charges every spike-fed block as ACs and the gate biases as MACs%s.\n"
           "2s3z and MMM2 print 8,256 more GRSN MLP operations than any rule found (spec §10.2).\n"
           "The mixer is in no energy column.\n",
           o.paper_grsn_fit ? " (here: Table 4's empirical fit instead, [unverified])"
                            : " (--paper-fit 1: Table 4's empirical fit)");
    return 0;
}

// ----------------------------------------------------------------------------
// One agent

// A trained QMIX agent (grsn_energy_measure_qmix): one decision is one agent
// at one environment step, the unit of --map and of Table 4's SMAC rows.
static void qmix_checkpoint(GrsnOpModel *m, GrsnQmixArch *a, const char *path, const GrsnEnergyOptions *o,
                            double firing_rate, long samples, int seed) {
    GrsnQmixCkptInfo info;
    GrsnQmix *q;
    cli_check(CMD, grsn_qmix_ckpt_info(path, &info));
    cli_check(CMD, grsn_energy_load_qmix(path, &q));
    grsn_energy_qmix_arch(a, q);
    cli_check(CMD, grsn_energy_model_qmix(m, a, o));
    printf("grsn energy: checkpoint %s (QMIX on smac:%s, %ld env steps, %ld updates); %s (hidden %d, T = %d); "
           "%s convention, E_AC %.3g pJ, E_MAC %.3g pJ\n", path, info.config.qmix.map,
           info.counters.env_steps, info.counters.updates, m->title, a->hidden, a->substeps,
           grsn_energy_convention_name(o->convention), o->e_ac_pj, o->e_mac_pj);
    printf("one decision = one agent at one env step (Table 4's SMAC unit); obs %d, actions %d, agents %d, "
           "state %d\n", a->obs_dim, a->n_actions, a->n_agents, a->state_dim);
    if (firing_rate >= 0) {
        for (int i = 0; i < m->nsources; i++) cli_check(CMD, grsn_energy_set_rate(m, m->source[i].name, firing_rate));
    } else {
        GrsnEnergyQmixPlay play;
        cli_check(CMD, grsn_energy_measure_qmix(m, q, (uint64_t)seed, samples, &play));
        if (m->nsources)
            printf("measured on the first %ld agent decisions of greedy smac:%s episodes: %ld env steps x %d agents%s; "
                   "%d episodes begun, %d finished, %d won (eval stream, seed %d)\n", play.decisions,
                   info.config.qmix.map, play.env_steps, a->n_agents,
                   play.env_steps * a->n_agents == play.decisions ? "" : " (the last step in part)", play.episodes,
                   play.finished, play.won, seed);
    }
    grsn_qmix_free(q);
}

// A control agent: trained (--checkpoint) or built from --seed (--env).
// *gru_cfg receives its config with a GRU core, for the comparison.
static void control_agent(GrsnOpModel *m, GrsnAgentConfig *gru_cfg, const char *ckpt, const char *env_name,
                          const char *algo_s, grsn_net net, int substeps, const GrsnEnergyOptions *o,
                          double firing_rate, long samples, int seed) {
    GrsnAgent *agent = NULL;
    grsn_env env;
    char what[160];
    if (ckpt) {
        GrsnCkptInfo info;
        cli_check(CMD, grsn_ckpt_load(ckpt, &agent, &info));
        cli_check(CMD, grsn_train_make_env(&env, &info.config, (uint64_t)seed, GRSN_STREAM_EVAL_ENV));
        snprintf(what, sizeof what, "checkpoint %s (%s, %llu env steps)", ckpt, info.config.env,
                 (unsigned long long)info.env_steps);
    } else {
        cli_check(CMD, grsn_env_make(&env, env_name, (uint64_t)seed, GRSN_STREAM_EVAL_ENV));
        int algo = !strcmp(algo_s, "auto") ? (env.discrete ? GRSN_ALGO_SACD : GRSN_ALGO_TD3)
                                            : grsn_algo_from_name(algo_s);
        GrsnAgentConfig c = grsn_agent_defaults((grsn_algo)algo, net, env.obs_dim, env.act_dim, env.discrete);
        if (net == GRSN_NET_GRSN || net == GRSN_NET_LIF) c.cell.substeps = substeps;
        else if (substeps != 1) cli_usage_error(CMD, "--substeps applies to spiking cores (grsn, lif) only");
        cli_check(CMD, grsn_agent_create(&agent, &c, (uint64_t)seed));
        snprintf(what, sizeof what, "%s, untrained agent from seed %d (shows the accounting)", env_name, seed);
    }
    const GrsnAgentConfig *c = grsn_agent_config(agent);
    cli_check(CMD, grsn_energy_model_agent(m, c, o));
    printf("grsn energy: %s; %s (hidden %d, T = %d); %s convention, E_AC %.3g pJ, E_MAC %.3g pJ\n", what,
           m->title, c->hidden, c->net == GRSN_NET_GRSN || c->net == GRSN_NET_LIF ? c->cell.substeps : 1,
           grsn_energy_convention_name(o->convention), o->e_ac_pj, o->e_mac_pj);
    printf("one decision = one env step of the agent\n");
    if (firing_rate >= 0) {
        for (int i = 0; i < m->nsources; i++) cli_check(CMD, grsn_energy_set_rate(m, m->source[i].name, firing_rate));
    } else {
        cli_check(CMD, grsn_energy_measure_agent(m, agent, &env, samples));
        if (m->nsources)
            printf("measured on the first %ld decisions of deterministic %s episodes (eval stream, seed %d)\n",
                   samples, grsn_env_name(&env), seed);
    }
    *gru_cfg = *c;
    gru_cfg->net = GRSN_NET_GRU;
    gru_cfg->cell.substeps = 1;
    grsn_agent_free(agent);
}

// ----------------------------------------------------------------------------
// Entry

int cmd_energy(int argc, char **argv) {
    const char *env_name = NULL, *ckpt = NULL, *map = NULL, *ckpts = NULL, *algo_s, *net_s, *conv_s;
    int table4, paper_fit, samples, seed, substeps;
    double ac_pj, mac_pj, firing_rate;
    ArgSpec specs[] = {
        {"env", ARG_STR, &env_name, NULL, "control task for an agent built from --seed: " GRSN_ENV_NAMES, NULL},
        {"algo", ARG_CHOICE, &algo_s, "auto", "with --env: auto = td3 for Pendulum, sacd for CartPole", "auto|td3|sacd"},
        {"net", ARG_CHOICE, &net_s, "grsn", "core of the --env or --map agent", "grsn|lif|gru|mlp"},
        {"substeps", ARG_INT, &substeps, "1", "with --env/--map: neuron updates per decision (1 = TAP)", NULL},
        {"checkpoint", ARG_STR, &ckpt, NULL, "a trained agent (ckpt_*.grsn or final.grsn): control (one decision = "
         "one env step) or QMIX (one decision = one agent at one env step)", NULL},
        {"map", ARG_STR, &map, NULL, "SMAC map: the QMIX agent (per agent and step) and mixer", NULL},
        {"table4", ARG_BOOL, &table4, "0", "print Table 4 for the 4 control tasks and 6 maps (paper convention)", NULL},
        {"checkpoints", ARG_STR, &ckpts, NULL, "with --table4: trained grsn agents, control or QMIX (comma-separated), "
         "whose measured spikes replace the rate of their task's row (several of one task: their mean)", NULL},
        {"convention", ARG_CHOICE, &conv_s, "acting",
         "acting: the actor's (QMIX: one agent network's) work per decision; paper: Table 4's accounting "
         "(spec §10.2)", "acting|paper"},
        {"paper-fit", ARG_BOOL, &paper_fit, "0", "paper convention: the GRSN MLP column by Table 4's empirical fit", NULL},
        {"ac-pj", ARG_FLOAT, &ac_pj, "0.9", "energy of an accumulate (pJ)", NULL},
        {"mac-pj", ARG_FLOAT, &mac_pj, "4.6", "energy of a multiply-accumulate (pJ)", NULL},
        {"samples", ARG_INT, &samples, "1024", "decisions whose spikes are counted (QMIX: agent decisions, "
         "n_agents per env step)", NULL},
        {"seed", ARG_INT, &seed, "0", "seed of the agent (--env) and of the measuring episodes (eval stream)", NULL},
        {"firing-rate", ARG_FLOAT, &firing_rate, "-1",
         "spikes per neuron and substep instead of measuring (needed for --map with a spiking core); -1: measure "
         "(--table4: the rate implied by the paper)", NULL},
    };
    args_parse(CMD, "energy (--env ENV [--net NET] | --checkpoint FILE | --map MAP --net NET | --table4) [flags]",
               specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, NULL, 0);

    int modes = (env_name != NULL) + (ckpt != NULL) + (map != NULL) + (table4 != 0);
    if (modes != 1) cli_usage_error(CMD, "choose one of --env ENV, --checkpoint FILE, --map MAP, --table4");
    if (samples < 1 || samples > 10000000) cli_usage_error(CMD, "--samples %d must lie in 1..10000000", samples);
    if (seed < 0) cli_usage_error(CMD, "--seed %d must be >= 0", seed);
    if (substeps < 1 || substeps > 64) cli_usage_error(CMD, "--substeps %d must lie in 1..64", substeps);
    if (ac_pj < 0) cli_usage_error(CMD, "--ac-pj %g must be >= 0", ac_pj);
    if (mac_pj < 0) cli_usage_error(CMD, "--mac-pj %g must be >= 0", mac_pj);
    if (firing_rate != -1 && !(firing_rate >= 0 && firing_rate <= 1))
        cli_usage_error(CMD, "--firing-rate %g must lie in [0, 1] (or -1 to measure)", firing_rate);
    // Flags a mode would ignore are refused, not dropped.
    int nspecs = (int)(sizeof specs / sizeof specs[0]);
    static const char *const FIXED_BY_FILE[] = {"algo", "net", "substeps"};
    if (ckpt) args_refuse_beside(CMD, specs, nspecs, argc, argv, "checkpoint", FIXED_BY_FILE, 3);
    if (table4) args_refuse_beside(CMD, specs, nspecs, argc, argv, "table4", FIXED_BY_FILE, 3);
    if (map) args_refuse_beside(CMD, specs, nspecs, argc, argv, "map", FIXED_BY_FILE, 1);   // QMIX: no --algo
    if (paper_fit && !strcmp(conv_s, "acting") && !table4)
        cli_usage_error(CMD, "--paper-fit 1 changes the paper convention only: add --convention paper (or use "
                        "--table4 1)");
    if (paper_fit && (map || (ckpt && grsn_qmix_ckpt_probe(ckpt))))
        cli_usage_error(CMD, "--paper-fit 1 concerns the control agents' Table 4 rows, not a QMIX agent");
    if (map && substeps != 1 && strcmp(net_s, "grsn") && strcmp(net_s, "lif"))
        cli_usage_error(CMD, "--substeps applies to spiking cores (grsn, lif) only");

    GrsnEnergyOptions opt = grsn_energy_options_default();
    opt.convention = (grsn_energy_convention)grsn_energy_convention_from_name(conv_s);
    opt.e_ac_pj = ac_pj;
    opt.e_mac_pj = mac_pj;
    opt.paper_grsn_fit = paper_fit;
    if (ckpts && !table4) cli_usage_error(CMD, "--checkpoints goes with --table4 1 (one agent: --checkpoint FILE)");
    if (table4) return run_table4(&opt, firing_rate, ckpts, samples, seed);

    grsn_net net = (grsn_net)grsn_net_from_name(net_s);
    GrsnOpModel m, gru;   // the agent, and the GRU agent of its sizes
    GrsnEnergyReport r;
    if (map || (ckpt && grsn_qmix_ckpt_probe(ckpt))) {
        GrsnQmixArch a;
        if (map) {
            cli_check(CMD, grsn_energy_qmix_arch_smac(&a, map, net));
            a.substeps = net == GRSN_NET_GRSN || net == GRSN_NET_LIF ? substeps : 1;
            cli_check(CMD, grsn_energy_model_qmix(&m, &a, &opt));
            if (m.nsources && firing_rate < 0)
                cli_usage_error(CMD, "--map with a spiking core needs --firing-rate (or measure a trained agent: "
                                "--checkpoint FILE)");
            for (int i = 0; i < m.nsources; i++) cli_check(CMD, grsn_energy_set_rate(&m, m.source[i].name, firing_rate));
            printf("grsn energy: %s, %s; obs %d, actions %d, agents %d, state %d; %s convention, E_AC %.3g pJ, "
                   "E_MAC %.3g pJ\n", map, m.title, a.obs_dim, a.n_actions, a.n_agents, a.state_dim,
                   grsn_energy_convention_name(opt.convention), ac_pj, mac_pj);
        } else {
            qmix_checkpoint(&m, &a, ckpt, &opt, firing_rate, samples, seed);
        }
        a.net = GRSN_NET_GRU;
        a.substeps = 1;
        cli_check(CMD, grsn_energy_model_qmix(&gru, &a, &opt));
    } else {
        GrsnAgentConfig gc;
        control_agent(&m, &gc, ckpt, env_name, algo_s, net, substeps, &opt, firing_rate, samples, seed);
        cli_check(CMD, grsn_energy_model_agent(&gru, &gc, &opt));
    }
    print_sources(&m);
    cli_check(CMD, grsn_energy_count(&r, &m, &opt));
    print_report(&m, &r, &opt);
    if (m.nsources) print_gru_beside(&m, &r, &gru, &opt);
    return 0;
}
