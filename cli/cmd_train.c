/*
 * cmd_train.c — `grsn train`: one training run on a partially observable
 * control task (paper Table 1), with every hyperparameter of the agent and
 * every option of the neuron as a flag whose default is the paper's setup
 * (reference-implementation.md §6.1, decisions of §11).
 *
 *   grsn train --env pendulum-p --algo td3 --net grsn --seed 0 --out runs/pp
 *
 * The run directory gets the resolved config, progress.csv, timing.csv,
 * checkpoints and the final result (see grsn_train.h). Stdout gets one line
 * per evaluation; stderr, when it is a terminal, a live progress line.
 * Bad input is one line on stderr and exit status 2; a failed run (I/O, a
 * non-finite loss) one line and exit status 1.
 *
 * `--env smac:MAP` or `--algo qmix` selects QMIX on the SMAC-compatible
 * simulator instead (paper Table 2, grsn_train_qmix.h), with pymarl2's
 * hyperparameters as flag defaults:
 *
 *   grsn train --env smac:8m --algo qmix --net grsn --seed 0 --out runs/8m
 *
 * `--resume DIR` carries on a killed (or finished) run of either kind from
 * its latest resume pair, with the config in DIR/config.
 */
#include "cli.h"
#include "grsn_train.h"
#include "grsn_train_qmix.h"
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *CMD = "train";

// The paper's Table 1 (GRSN, spec §8.1), printed beside the final score.
static const char *paper_score(const GrsnTrainConfig *c) {
    if (c->agent.net != GRSN_NET_GRSN || c->agent.cell.substeps != 1) return NULL;
    if (!strcmp(c->env, "cartpole-v")) return "200.0 ± 0.00";
    if (!strcmp(c->env, "cartpole-p")) return "199.9 ± 0.20";
    if (!strcmp(c->env, "pendulum-v")) return "-189.4 ± 17.64";
    if (!strcmp(c->env, "pendulum-p")) return "-195.8 ± 43.99";
    return NULL;
}

// ----------------------------------------------------------------------------
// Progress output

typedef struct {
    int tty;            // stderr is a terminal: keep a live line there
    int live;           // a live line is showing
} Progress;

static void clear_live(Progress *pr) {
    if (pr->live) { fputs("\r\033[K", stderr); fflush(stderr); pr->live = 0; }
}

static void on_progress(const GrsnTrainProgress *p, void *user) {
    Progress *pr = user;
    if (p->evaluated) {
        clear_live(pr);
        printf("steps %7ld  episodes %5ld  updates %7ld  eval %9.2f ± %-7.2f  train %9.2f  "
               "q_loss %-9.4g pi_loss %-9.4g alpha %-7.3g fire %.3f  %6.1f upd/s  %5.0fs\n",
               p->env_steps, p->episodes, p->updates, p->eval_return, p->eval_std, p->train_return,
               p->q_loss, p->pi_loss, p->alpha, p->firing_rate, p->updates_per_s, p->wall_s);
        fflush(stdout);
    } else if (pr->tty) {
        char eval[32] = "-", losses[64] = "";
        if (!isnan(p->eval_return)) snprintf(eval, sizeof eval, "%.2f", p->eval_return);
        if (!isnan(p->q_loss)) snprintf(losses, sizeof losses, "  q_loss %.4g  pi_loss %.4g", p->q_loss, p->pi_loss);
        fprintf(stderr, "\r\033[K%s steps %ld  episodes %ld  return %.2f  eval %s%s  %.1f upd/s",
                p->warmup ? "warm-up" : "train  ", p->env_steps, p->episodes, p->episode_return, eval, losses,
                p->updates_per_s);
        fflush(stderr);
        pr->live = 1;
    }
}

// ----------------------------------------------------------------------------
// The run directory

// Refuse to mix two runs in one directory, unless --force: then remove the
// files an earlier run left there (checkpoints, result).
static void prepare_out(const char *dir, int force) {
    char path[1024];
    snprintf(path, sizeof path, "%s/config", dir);
    struct stat sb;
    if (stat(path, &sb) != 0) return;
    if (!force)
        cli_usage_error(CMD, "--out %s already holds a run (%s exists); choose another directory or pass --force",
                        dir, path);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        int ckpt = len > 5 && !strcmp(n + len - 5, ".grsn");
        if (ckpt || !strcmp(n, "result")) {
            snprintf(path, sizeof path, "%s/%s", dir, n);
            unlink(path);
        }
    }
    closedir(d);
}

// The run directory: --out, or runs/NAME__YYYYmmdd-HHMMSS; made ready by prepare_out.
static void choose_out(char *dir, size_t cap, const char *out, int force, const char *name) {
    if (out) {
        snprintf(dir, cap, "%s", out);
    } else {
        char stamp[32];
        time_t t = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&t));
        snprintf(dir, cap, "runs/%s__%s", name, stamp);
    }
    prepare_out(dir, force);
}

// ----------------------------------------------------------------------------
// The neuron's flags, the same for both kinds of run

typedef struct {
    const char *beta_mode, *lif_reset, *decode, *gates, *readout;
    int detach_reset, tap, no_tap, substeps;
    double threshold, surrogate_alpha, beta, u_reset;
} NeuronFlags;

// The ArgSpec entries of the neuron's flags, stored in nf. The three help
// texts say what "auto" means for the kind of run.
#define NEURON_SPECS(nf, beta_mode_help, lif_reset_help, decode_help) \
    {"threshold", ARG_FLOAT, &(nf).threshold, "1", "firing threshold theta", NULL}, \
    {"surrogate-alpha", ARG_FLOAT, &(nf).surrogate_alpha, "2", "ATan surrogate width alpha", NULL}, \
    {"beta", ARG_FLOAT, &(nf).beta, "0.5", "membrane decay (initial value when learnable)", NULL}, \
    {"beta-mode", ARG_CHOICE, &(nf).beta_mode, "auto", beta_mode_help, "auto|layer|neuron|fixed"}, \
    {"lif-reset", ARG_CHOICE, &(nf).lif_reset, "auto", lif_reset_help, "auto|hard|soft"}, \
    {"u-reset", ARG_FLOAT, &(nf).u_reset, "0", "potential after a hard reset", NULL}, \
    {"detach-reset", ARG_BOOL, &(nf).detach_reset, "0", "no gradient through the reset", NULL}, \
    {"tap", ARG_BOOL, &(nf).tap, "1", "one neuron update per env step (TAP); 0: the w/o-TAP ablation", NULL}, \
    {"no-tap", ARG_BOOL, &(nf).no_tap, "0", "the w/o-TAP ablation: --substeps updates per env step", NULL}, \
    {"substeps", ARG_INT, &(nf).substeps, "4", "neuron updates per env step without TAP", NULL}, \
    {"decode", ARG_CHOICE, &(nf).decode, "auto", decode_help, "auto|rate|last"}, \
    {"gates", ARG_CHOICE, &(nf).gates, "input", "what GRSN's gates read: input (x_t, Eq. 13-14) or spikes " \
     "(the layer's previous spikes, plus an input current: the authors' 2026 revision; TAP only)", "input|spikes"}, \
    {"readout", ARG_CHOICE, &(nf).readout, "spikes", "what a spiking core hands on: spikes (Eq. 4, the paper) or " \
     "membrane (its potential before firing; a diagnostic, not a spiking network)", "spikes|membrane"}

// The cell options the flags set over the defaults of a `net` core.
static void apply_neuron_flags(const NeuronFlags *nf, grsn_net net, GrsnCellConfig *c) {
    c->threshold = (float)nf->threshold; c->alpha = (float)nf->surrogate_alpha; c->beta = (float)nf->beta;
    c->u_reset = (float)nf->u_reset; c->detach_reset = nf->detach_reset;
    if (!strcmp(nf->beta_mode, "layer")) c->beta_mode = GRSN_BETA_LAYER;
    else if (!strcmp(nf->beta_mode, "neuron")) c->beta_mode = GRSN_BETA_NEURON;
    else if (!strcmp(nf->beta_mode, "fixed")) c->beta_mode = GRSN_BETA_FIXED;
    if (net == GRSN_NET_LIF && strcmp(nf->lif_reset, "auto") != 0)
        c->reset = !strcmp(nf->lif_reset, "hard") ? GRSN_RESET_HARD : GRSN_RESET_SOFT;
    c->gates = !strcmp(nf->gates, "spikes") ? GRSN_GATES_SPIKES : GRSN_GATES_INPUT;
    c->readout = !strcmp(nf->readout, "membrane") ? GRSN_READOUT_MEMBRANE : GRSN_READOUT_SPIKES;
    if (strcmp(nf->decode, "auto") != 0)
        c->decode = !strcmp(nf->decode, "last") ? GRSN_DECODE_LAST : GRSN_DECODE_RATE;
    c->substeps = (!nf->tap || nf->no_tap) ? nf->substeps : 1;
    if ((!nf->tap || nf->no_tap) && nf->substeps < 2)
        cli_usage_error(CMD, "--substeps %d: the w/o-TAP ablation needs at least 2", nf->substeps);
}

// ----------------------------------------------------------------------------

static int train_qmix(int argc, char **argv);
static int train_resume(int argc, char **argv);
static void qmix_train_and_report(const GrsnQmixTrainConfig *cfg, const char *dir, int resume);

// Train (fresh, or resumed from dir's last checkpoint) with the live progress
// line, then print the final evaluation beside the paper's score and the
// run's counters; a failure exits with its message.
static void train_and_report(const GrsnTrainConfig *cfg, const char *dir, int resume) {
    Progress pr = {isatty(fileno(stderr)), 0};
    GrsnTrainResult res;
    grsn_status st = resume ? grsn_train_resume(cfg, dir, on_progress, &pr, &res)
                            : grsn_train_run(cfg, dir, on_progress, &pr, &res);
    clear_live(&pr);
    if (st != GRSN_OK) cli_fail(CMD, "%s", grsn_last_error());
    const char *paper = paper_score(cfg);
    printf("final evaluation (%d episodes): %.2f ± %.2f", cfg->eval_episodes, res.eval_mean, res.eval_std);
    if (paper) printf("   paper (GRSN, 5 seeds): %s", paper);
    printf("\n%ld env steps, %ld episodes, %ld updates in %.1f s (%.1f updates/s); run directory %s\n",
           res.env_steps, res.episodes, res.updates, res.wall_s,
           res.wall_s > 0 ? (double)res.updates / res.wall_s : 0.0, dir);
}

// The value of flag --name in argv (as "--name V" or "--name=V"), or NULL.
static const char *flag_value(int argc, char **argv, const char *name) {
    size_t len = strlen(name);
    const char *v = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, len) != 0) continue;
        if (a[2 + len] == '=') v = a + 3 + len;
        else if (a[2 + len] == '\0' && i + 1 < argc) v = argv[i + 1];
    }
    return v;
}

int cmd_train(int argc, char **argv) {
    if (flag_value(argc, argv, "resume")) return train_resume(argc, argv);
    // QMIX when the task is a SMAC map or the algorithm is qmix.
    const char *env_arg = flag_value(argc, argv, "env"), *algo_arg = flag_value(argc, argv, "algo");
    if ((env_arg && !strncmp(env_arg, "smac:", 5)) || (algo_arg && !strcmp(algo_arg, "qmix")))
        return train_qmix(argc, argv);

    const char *env = NULL, *algo, *net, *out = NULL, *act_reset;
    int seed, steps, force, threads, print_config, warmup, eval_episodes, eval_interval, buffer_size;
    int batch, seq_len, policy_delay, actor_q1, hidden, head_hidden, emb_a, emb_r, emb_o, compat;
    double updates_per_step, gamma, tau, lr, expl_noise, target_noise, noise_clip, te_scale, alpha_lr;
    NeuronFlags nf;
    ArgSpec specs[] = {
        // The run
        {"env", ARG_STR, &env, NULL, "task: " GRSN_ENV_NAMES, NULL},
        {"algo", ARG_STR, &algo, "auto", "td3 | sacd; auto: td3 for pendulum, sacd for cartpole", NULL},
        {"net", ARG_STR, &net, "grsn", "recurrent core: " GRSN_NET_NAMES, NULL},
        {"seed", ARG_INT, &seed, "0", "master seed of every random stream", NULL},
        {"out", ARG_STR, &out, NULL, "run directory; default runs/ENV__ALGO__NET__sSEED__YYYYmmdd-HHMMSS", NULL},
        {"force", ARG_BOOL, &force, "0", "reuse an --out directory that holds an earlier run", NULL},
        {"steps", ARG_INT, &steps, "0", "env-step budget, warm-up included; 0: pendulum 51000, cartpole 11000", NULL},
        {"warmup-episodes", ARG_INT, &warmup, "5", "random-action episodes before learning", NULL},
        {"eval-episodes", ARG_INT, &eval_episodes, "10", "deterministic episodes per evaluation", NULL},
        {"eval-interval", ARG_INT, &eval_interval, "1000", "env steps between evaluations", NULL},
        {"updates-per-step", ARG_FLOAT, &updates_per_step, "1.0", "updates after an episode of L steps: ceil(this x L)", NULL},
        {"buffer-size", ARG_INT, &buffer_size, "1000000", "replay capacity in transitions", NULL},
        {"threads", ARG_INT, &threads, "0", "threads (0: all cores; results do not depend on it)", NULL},
        {"print-config", ARG_BOOL, &print_config, "0", "print the resolved config and exit", NULL},
        // The agent (spec §6.1)
        {"gamma", ARG_FLOAT, &gamma, "0.9", "discount", NULL},
        {"tau", ARG_FLOAT, &tau, "0.005", "Polyak rate of the target networks", NULL},
        {"lr", ARG_FLOAT, &lr, "3e-4", "Adam learning rate of actor and critic", NULL},
        {"batch", ARG_INT, &batch, "32", "windows per batch", NULL},
        {"seq-len", ARG_INT, &seq_len, "64", "window length S", NULL},
        {"expl-noise", ARG_FLOAT, &expl_noise, "0.1", "TD3 exploration noise std", NULL},
        {"target-noise", ARG_FLOAT, &target_noise, "0.2", "TD3 target policy noise std", NULL},
        {"noise-clip", ARG_FLOAT, &noise_clip, "0.5", "TD3 target noise clip", NULL},
        {"policy-delay", ARG_INT, &policy_delay, "1", "TD3 actor update every N critic updates (canonical TD3: 2)", NULL},
        {"actor-q1", ARG_BOOL, &actor_q1, "0", "TD3 actor maximises Q1 (canonical) instead of min(Q1, Q2)", NULL},
        {"target-entropy-scale", ARG_FLOAT, &te_scale, "0.7", "SAC-discrete target entropy = scale x ln|A|", NULL},
        {"alpha-lr", ARG_FLOAT, &alpha_lr, "3e-4", "SAC-discrete temperature learning rate", NULL},
        {"hidden", ARG_INT, &hidden, "128", "recurrent core units", NULL},
        {"head-hidden", ARG_INT, &head_hidden, "128", "width of the two hidden head layers", NULL},
        {"emb-a", ARG_INT, &emb_a, "8", "previous-action embedding size", NULL},
        {"emb-r", ARG_INT, &emb_r, "8", "previous-reward embedding size", NULL},
        {"emb-o", ARG_INT, &emb_o, "32", "observation embedding size", NULL},
        // The neuron (spec §11)
        NEURON_SPECS(nf, "decay: auto = layer for grsn, fixed for lif (fixed with --compat)",
                     "LIF reset: auto = hard (soft with --compat)",
                     "w/o-TAP output: auto = rate (last with --compat for grsn)"),
        {"act-reset-membrane", ARG_CHOICE, &act_reset, "auto",
         "GRSN membrane reset before every act: auto = 0 (1 with --compat)", "auto|0|1"},
        {"compat", ARG_BOOL, &compat, "0",
         "the authors' code: compat neuron, Pendulum warm-up U[-2, 2], a fall at step 200 is a timeout", NULL},
    };
    char *pos[1];
    args_parse(CMD, "train --env ENV [--algo td3|sacd] [--net grsn|lif|gru|mlp] [--seed S] [--out DIR] [flags]\n\n"
               "Trains a recurrent TD3 / SAC-discrete agent on a partially observable control task.\n"
               "ENV is one of: " GRSN_ENV_NAMES "\n"
               "QMIX on a SMAC map: grsn train --env smac:MAP --algo qmix --help\n"
               "Carry on a stopped run: grsn train --resume DIR [--steps N] [--threads N] (--resume x --help)",
               specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, pos, 0);

    // Names first: each error lists the choices.
    if (!env) cli_usage_error(CMD, "name a task with --env: %s", GRSN_ENV_NAMES);
    int a = -1, n = grsn_net_from_name(net);
    if (strcmp(algo, "auto") != 0 && (a = grsn_algo_from_name(algo)) < 0)
        cli_usage_error(CMD, "unknown algo '%s'; valid algos: %s; qmix on smac:MAP", algo, GRSN_ALGO_NAMES);
    if (n < 0) cli_usage_error(CMD, "unknown net '%s'; valid nets: %s", net, GRSN_NET_NAMES);
    if (seed < 0) cli_usage_error(CMD, "--seed %d must be >= 0", seed);
    if (steps < 0) cli_usage_error(CMD, "--steps %d must be >= 0", steps);

    GrsnTrainConfig cfg;
    if (grsn_train_defaults(&cfg, env, a, n, (uint64_t)seed) != GRSN_OK) {
        grsn_smac_dims d;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", grsn_last_error());
        if (grsn_smac_map_dims(env, NULL, &d) == GRSN_OK)   // a SMAC map without its prefix
            cli_usage_error(CMD, "%s is a SMAC map: train QMIX on it with --env smac:%s --algo qmix", env, env);
        cli_usage_error(CMD, "%s", msg);
    }
    if (compat) grsn_train_set_compat(&cfg);

    if (steps > 0) cfg.steps = steps;
    cfg.warmup_episodes = warmup;
    cfg.eval_episodes = eval_episodes;
    cfg.eval_interval = eval_interval;
    cfg.updates_per_step = updates_per_step;
    cfg.buffer_size = buffer_size;
    cfg.threads = threads;
    GrsnAgentConfig *ag = &cfg.agent;
    ag->gamma = (float)gamma; ag->tau = (float)tau; ag->lr = (float)lr;
    ag->batch = batch; ag->seq_len = seq_len;
    ag->expl_noise = (float)expl_noise; ag->target_noise = (float)target_noise; ag->noise_clip = (float)noise_clip;
    ag->policy_delay = policy_delay; ag->actor_q1 = actor_q1;
    ag->target_entropy_scale = (float)te_scale; ag->alpha_lr = (float)alpha_lr;
    ag->hidden = hidden; ag->head_hidden = head_hidden;
    ag->emb_a = emb_a; ag->emb_r = emb_r; ag->emb_o = emb_o;
    GrsnCellConfig *c = &ag->cell;
    if (strcmp(act_reset, "auto") != 0) c->act_reset_membrane = !strcmp(act_reset, "1");
    apply_neuron_flags(&nf, ag->net, c);
    if (grsn_train_check(&cfg) != GRSN_OK) cli_usage_error(CMD, "%s", grsn_last_error());

    char text[4096];
    grsn_train_config_text(&cfg, text, sizeof text);
    if (print_config) { fputs(text, stdout); return 0; }

    char name[128], dir[512];
    snprintf(name, sizeof name, "%s__%s__%s__s%d", cfg.env, grsn_algo_name(ag->algo), grsn_net_name(ag->net), seed);
    choose_out(dir, sizeof dir, out, force, name);

    grsn_set_threads(threads);
    printf("grsn train: %s, %s, %s core (hidden %d%s), seed %d, %ld env steps, threads %d -> %s\n", cfg.env,
           grsn_algo_name(ag->algo), grsn_net_name(ag->net), ag->hidden,
           c->substeps > 1 ? ", w/o TAP" : "", seed, cfg.steps, grsn_threads(), dir);
    fflush(stdout);

    train_and_report(&cfg, dir, 0);
    return 0;
}

// ----------------------------------------------------------------------------
// Carrying on a stopped (or finished) run from its latest resume pair

static int train_resume(int argc, char **argv) {
    const char *dir;
    int steps, threads;
    ArgSpec specs[] = {
        {"resume", ARG_STR, &dir, NULL, "run directory to carry on from its latest checkpoint and resume state",
         NULL},
        {"steps", ARG_INT, &steps, "0",
         "env-step budget; 0: the run's own; more extends a finished run (QMIX: one trained with --keep-resume 1)", NULL},
        {"threads", ARG_INT, &threads, "0", "threads (0: all cores; results do not depend on it)", NULL},
    };
    char *pos[1];
    args_parse(CMD, "train --resume DIR [--steps N] [--threads N]\n\n"
               "Carries on the run in DIR from its latest checkpoint with its resume state (ckpt_N.grsn with\n"
               "replay_N.grsn: a control run writes them at every evaluation, a QMIX run at the first test past\n"
               "every --resume-interval env steps, and at its end if trained with --keep-resume 1) with the\n"
               "config in DIR/config: the rows, checkpoints and result are those the uninterrupted run would\n"
               "have written.",
               specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, pos, 0);
    if (steps < 0) cli_usage_error(CMD, "--steps %d must be >= 0", steps);
    grsn_set_threads(threads);
    if (grsn_qmix_run_probe(dir)) {
        GrsnQmixTrainConfig q;
        if (grsn_qmix_train_resume_config(dir, &q) != GRSN_OK) cli_fail(CMD, "%s", grsn_last_error());
        if (steps > 0) q.steps = steps;
        q.threads = threads;
        printf("grsn train: resuming %s (smac:%s, qmix, %s agents, seed %llu) to %ld env steps, threads %d\n", dir,
               q.qmix.map, grsn_net_name(q.qmix.net), (unsigned long long)q.seed, q.steps, grsn_threads());
        fflush(stdout);
        qmix_train_and_report(&q, dir, 1);
        return 0;
    }
    GrsnTrainConfig cfg;
    if (grsn_train_resume_config(dir, &cfg) != GRSN_OK) cli_fail(CMD, "%s", grsn_last_error());
    if (steps > 0) cfg.steps = steps;
    cfg.threads = threads;
    printf("grsn train: resuming %s (%s, %s, %s core, seed %llu) to %ld env steps, threads %d\n", dir, cfg.env,
           grsn_algo_name(cfg.agent.algo), grsn_net_name(cfg.agent.net), (unsigned long long)cfg.seed, cfg.steps,
           grsn_threads());
    fflush(stdout);
    train_and_report(&cfg, dir, 1);
    return 0;
}

// ----------------------------------------------------------------------------
// QMIX on a SMAC map (paper Table 2; pymarl2's defaults, spec §9.2)

// The live line while training and one line per test row on stdout.
static void on_qmix_progress(const GrsnQmixTrainProgress *p, void *user) {
    Progress *pr = user;
    if (p->tested) {
        clear_live(pr);
        printf("steps %9ld  episodes %7ld  updates %6ld  test win %5.1f%%  return %6.2f ± %-5.2f  len %5.1f  "
               "train win %5.1f%%  loss %-8.4g eps %.3f  fire %.3f  %6.0f steps/s  %6.0fs\n",
               p->env_steps, p->episodes, p->updates, 100.0 * p->test_win_rate, p->test_return, p->test_return_std,
               p->test_length, 100.0 * p->train_win_rate, p->loss, p->epsilon, p->firing_rate, p->env_steps_per_s,
               p->wall_s);
        fflush(stdout);
    } else if (pr->tty) {
        char test[32] = "-";
        if (!isnan(p->test_win_rate)) snprintf(test, sizeof test, "%.1f%%", 100.0 * p->test_win_rate);
        fprintf(stderr, "\r\033[Ksteps %ld  episodes %ld  updates %ld  rollout win %.0f%%  return %.2f  eps %.3f  "
                "test win %s  %.0f steps/s", p->env_steps, p->episodes, p->updates, 100.0 * p->rollout_win_rate,
                p->rollout_return, p->epsilon, test, p->env_steps_per_s);
        fflush(stderr);
        pr->live = 1;
    }
}

// Train QMIX (fresh, or resumed from dir's latest resume pair) with the live
// progress line, then print the final test and the run's counters; a
// failure exits with its message.
static void qmix_train_and_report(const GrsnQmixTrainConfig *cfg, const char *dir, int resume) {
    Progress pr = {isatty(fileno(stderr)), 0};
    GrsnQmixTrainResult res;
    grsn_status st = resume ? grsn_qmix_train_resume(cfg, dir, on_qmix_progress, &pr, &res)
                            : grsn_qmix_train_run(cfg, dir, on_qmix_progress, &pr, &res);
    clear_live(&pr);
    if (st != GRSN_OK) cli_fail(CMD, "%s", grsn_last_error());
    printf("final test (%d greedy episodes): win rate %.1f%%, return %.2f ± %.2f, length %.1f\n", cfg->test_episodes,
           100.0 * res.test_win_rate, res.test_return, res.test_return_std, res.test_length);
    printf("%ld env steps, %ld episodes, %ld updates, %ld tests in %.1f s (%.0f env-steps/s, %.2f updates/s); "
           "run directory %s\n", res.env_steps, res.episodes, res.updates, res.tests, res.wall_s,
           res.wall_s > 0 ? (double)res.env_steps / res.wall_s : 0.0,
           res.wall_s > 0 ? (double)res.updates / res.wall_s : 0.0, dir);
}

static int train_qmix(int argc, char **argv) {
    const char *env = NULL, *algo, *net, *out = NULL, *units, *preset, *optimizer;
    int seed, steps, force, threads, print_config, test_interval, test_episodes, resume_interval;
    int keep_resume;
    int n_envs, batch, buffer, eps_anneal, target_update, hidden, mixer_embed, hypernet_embed, state_last_action, push_first;
    int obs_own_cooldown;
    int decoder_hidden;
    double q_leak;
    int readout_anneal, readout_anneal_start;
    double lr, optim_alpha, optim_eps, gamma, td_lambda, grad_clip, eps_start, eps_finish;
    NeuronFlags nf;
    ArgSpec specs[] = {
        // The run
        {"env", ARG_STR, &env, NULL, "smac:MAP, MAP one of the SMAC maps (grsn smac --help)", NULL},
        {"algo", ARG_STR, &algo, "qmix", "qmix (the only algorithm on SMAC maps)", NULL},
        {"net", ARG_STR, &net, "grsn", "recurrent agent core: " GRSN_QMIX_NET_NAMES, NULL},
        {"seed", ARG_INT, &seed, "0", "master seed of every random stream", NULL},
        {"out", ARG_STR, &out, NULL, "run directory; default runs/smac_MAP__qmix__NET__sSEED__YYYYmmdd-HHMMSS", NULL},
        {"force", ARG_BOOL, &force, "0", "reuse an --out directory that holds an earlier run", NULL},
        {"steps", ARG_INT, &steps, "10050000", "env-step budget (pymarl2's t_max)", NULL},
        {"test-interval", ARG_INT, &test_interval, "10000", "env steps between greedy tests", NULL},
        {"test-episodes", ARG_INT, &test_episodes, "32", "greedy episodes per test", NULL},
        {"resume-interval", ARG_INT, &resume_interval, "100000",
         "env steps between resume states (episode buffer, streams) for --resume; 0: none", NULL},
        {"keep-resume", ARG_BOOL, &keep_resume, "0",
         "keep the resume state when the run finishes, so --resume --steps can extend it (a full buffer is GBs)",
         NULL},
        {"threads", ARG_INT, &threads, "0", "threads (0: all cores; results do not depend on it)", NULL},
        {"print-config", ARG_BOOL, &print_config, "0", "print the resolved config and exit", NULL},
        // The learner (pymarl2)
        {"preset", ARG_CHOICE, &preset, "pymarl2",
         "learner defaults: pymarl2's, or oxwhirl/pymarl's (rmsprop, lr 5e-4, td-lambda 0, batch 32, n-envs 1, "
         "eps-anneal 50000; flags given beside it win)", "pymarl2|pymarl"},
        {"n-envs", ARG_INT, &n_envs, "8", "parallel environments: episodes per rollout", NULL},
        {"batch", ARG_INT, &batch, "128", "episodes per update", NULL},
        {"buffer", ARG_INT, &buffer, "5000", "episodes kept in the buffer", NULL},
        {"optimizer", ARG_CHOICE, &optimizer, "adam", "optimiser of agent and mixer", "adam|rmsprop"},
        {"lr", ARG_FLOAT, &lr, "1e-3", "learning rate", NULL},
        {"optim-alpha", ARG_FLOAT, &optim_alpha, "0.99", "RMSprop smoothing constant", NULL},
        {"optim-eps", ARG_FLOAT, &optim_eps, "1e-5", "RMSprop epsilon", NULL},
        {"gamma", ARG_FLOAT, &gamma, "0.99", "discount", NULL},
        {"td-lambda", ARG_FLOAT, &td_lambda, "0.6", "TD(lambda) of the targets", NULL},
        {"grad-clip", ARG_FLOAT, &grad_clip, "10", "gradient-norm clip over agent and mixer", NULL},
        {"eps-start", ARG_FLOAT, &eps_start, "1.0", "epsilon at the start", NULL},
        {"eps-finish", ARG_FLOAT, &eps_finish, "0.05", "epsilon after the anneal", NULL},
        {"eps-anneal", ARG_INT, &eps_anneal, "100000", "env steps of the linear epsilon anneal", NULL},
        {"target-update", ARG_INT, &target_update, "200", "episodes between hard target copies", NULL},
        {"hidden", ARG_INT, &hidden, "64", "agent fc1 and recurrent core units", NULL},
        {"mixer-embed", ARG_INT, &mixer_embed, "32", "mixer embedding size", NULL},
        {"hypernet-embed", ARG_INT, &hypernet_embed, "64", "hypernetwork hidden size", NULL},
        {"decoder-hidden", ARG_INT, &decoder_hidden, "0", "0: Q = fc2(core output), the paper's linear decoder; "
         "N > 0 (not the paper's agent): an MLP decoder, Q = fc2(ReLU(dec(core output))), dec with N units", NULL},
        {"q-leak", ARG_FLOAT, &q_leak, "0", "0: Q = the decoder's output, the paper's; L in (0, 1) (not the paper's "
         "agent): Q from non-spiking leaky output neurons, y_t = L y_{t-1} + fc2(...)_t", NULL},
        {"readout-anneal", ARG_INT, &readout_anneal, "0", "0: the core hands on its spikes throughout, the paper's; "
         "N > 0 (a training schedule, not the paper's): it hands on o_t + m (u_t - o_t), the membrane share m "
         "falling linearly from 1 at --readout-anneal-start to 0 at env step N, from where the agent is the paper's",
         NULL},
        {"readout-anneal-start", ARG_INT, &readout_anneal_start, "0",
         "env step where the readout anneal begins; the agent reads its potentials (m = 1) until then", NULL},
        {"state-last-action", ARG_INT, &state_last_action, "1", "1: the mixer's state ends with all last actions", NULL},
        {"units", ARG_CHOICE, &units, "liberty", "unit data: SMAC's Wings of Liberty or LotV multiplayer", "liberty|lotv"},
        {"push-first", ARG_INT, &push_first, "0", "1: the simulator pushes crowded units apart before they fire, "
         "as before session 15 (melee crowds can stall out of reach)", NULL},
        {"obs-own-cooldown", ARG_INT, &obs_own_cooldown, "0", "1 (a diagnostic, not SMAC's observation): each "
         "agent also observes its own weapon cooldown, as the state does (SMAX's observation has it)", NULL},
        // The neuron
        NEURON_SPECS(nf, "decay: auto = layer for grsn, fixed for lif", "LIF reset: auto = hard",
                     "w/o-TAP output: auto = rate"),
    };
    int nspecs = (int)(sizeof specs / sizeof specs[0]);
    args_parse(CMD, "train --env smac:MAP --algo qmix [--net grsn|lif|gru] [--steps N] [--seed S] [--out DIR] [flags]\n\n"
               "Trains QMIX with recurrent agents on the SMAC-compatible simulator (pymarl2 defaults).\n"
               "Carry on a stopped run: grsn train --resume DIR [--steps N] [--threads N]",
               specs, nspecs, argc, argv, NULL, 0);

    // Names first: each error lists the choices.
    if (!env) cli_usage_error(CMD, "qmix needs a SMAC map: --env smac:MAP");
    if (strcmp(algo, "qmix") != 0) {
        if (grsn_algo_from_name(algo) >= 0 || !strcmp(algo, "auto"))
            cli_usage_error(CMD, "algo %s is for the control tasks, not SMAC map %s; use --algo qmix", algo, env);
        cli_usage_error(CMD, "unknown algo '%s'; valid algos on SMAC maps: qmix", algo);
    }
    if (strncmp(env, "smac:", 5) != 0)
        cli_usage_error(CMD, "algo qmix runs on a SMAC map (--env smac:MAP), not on %s; "
                        "td3 and sacd run on the control tasks", env);
    grsn_net n;
    if (grsn_qmix_net_from_name(net, &n) != GRSN_OK) cli_usage_error(CMD, "%s", grsn_last_error());
    if (seed < 0) cli_usage_error(CMD, "--seed %d must be >= 0", seed);

    GrsnQmixTrainConfig cfg;
    if (grsn_qmix_train_defaults(&cfg, env + 5, n, (uint64_t)seed) != GRSN_OK)
        cli_usage_error(CMD, "%s", grsn_last_error());
    cfg.steps = steps;
    cfg.test_interval = test_interval;
    cfg.test_episodes = test_episodes;
    cfg.resume_interval = resume_interval;
    cfg.keep_resume = keep_resume;
    cfg.threads = threads;
    GrsnQmixConfig *q = &cfg.qmix;
    // --preset pymarl sets its own values of these flags; one given beside it wins.
    int pymarl = !strcmp(preset, "pymarl");
    if (pymarl) grsn_qmix_preset_pymarl(q);
#define PRESET_OR_FLAG(flag, assign) \
    do { if (!pymarl || args_given(specs, nspecs, argc, argv, flag)) { assign; } } while (0)
    PRESET_OR_FLAG("n-envs", q->n_envs = n_envs);
    PRESET_OR_FLAG("batch", q->batch = batch);
    PRESET_OR_FLAG("optimizer", q->optimizer = !strcmp(optimizer, "rmsprop") ? GRSN_QMIX_RMSPROP : GRSN_QMIX_ADAM);
    PRESET_OR_FLAG("lr", q->lr = (float)lr);
    PRESET_OR_FLAG("optim-alpha", q->optim_alpha = (float)optim_alpha);
    PRESET_OR_FLAG("optim-eps", q->optim_eps = (float)optim_eps);
    PRESET_OR_FLAG("td-lambda", q->td_lambda = (float)td_lambda);
    PRESET_OR_FLAG("eps-anneal", q->eps_anneal = eps_anneal);
#undef PRESET_OR_FLAG
    q->buffer = buffer;
    q->gamma = (float)gamma; q->grad_clip = (float)grad_clip;
    q->eps_start = (float)eps_start; q->eps_finish = (float)eps_finish;
    q->target_update_episodes = target_update;
    q->hidden = hidden; q->mixer_embed = mixer_embed; q->hypernet_embed = hypernet_embed;
    q->decoder_hidden = decoder_hidden;
    q->q_leak = (float)q_leak;
    q->readout_anneal = readout_anneal;
    q->readout_anneal_start = readout_anneal_start;
    q->state_last_action = state_last_action;
    q->push_first = push_first;
    q->obs_own_cooldown = obs_own_cooldown;
    q->units = !strcmp(units, "lotv") ? GRSN_SMAC_UNITS_LOTV : GRSN_SMAC_UNITS_LIBERTY;
    GrsnCellConfig *c = &q->cell;
    apply_neuron_flags(&nf, q->net, c);
    if ((!nf.tap || nf.no_tap) && q->net == GRSN_NET_GRU)
        cli_usage_error(CMD, "the w/o-TAP ablation (--no-tap) applies to the spiking nets grsn and lif, not gru");
    if (grsn_qmix_train_check(&cfg) != GRSN_OK) cli_usage_error(CMD, "%s", grsn_last_error());

    char text[4096];
    grsn_qmix_train_config_text(&cfg, text, sizeof text);
    if (print_config) { fputs(text, stdout); return 0; }

    char name[128], dir[512];
    snprintf(name, sizeof name, "smac_%s__qmix__%s__s%d", q->map, grsn_net_name(q->net), seed);
    choose_out(dir, sizeof dir, out, force, name);

    grsn_set_threads(threads);
    grsn_smac_dims d;
    grsn_smac_map_dims(q->map, NULL, &d);
    printf("grsn train: smac:%s (%d agents, %d actions), qmix, %s agents (hidden %d%s), seed %d, %ld env steps, "
           "%d envs, batch %d, threads %d -> %s\n", q->map, d.n_agents, d.n_actions, grsn_net_name(q->net), q->hidden,
           c->substeps > 1 ? ", w/o TAP" : "", seed, cfg.steps, q->n_envs, q->batch, grsn_threads(), dir);
    fflush(stdout);

    qmix_train_and_report(&cfg, dir, 0);
    return 0;
}
