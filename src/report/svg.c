/*
 * svg.c — the figures of `grsn report`, written as SVG by hand: learning
 * curves (mean over seeds with a ± std band per method) and spike rasters of
 * a trained GRSN core, recorded by running the actor's core beside the agent.
 *
 * Sections: SVG figures; spike recording.
 */
#include "report/report.h"
#include "grsn_train.h"
#include "io.h"

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

// A range too narrow to tick (empty, or a few rounding steps of its values
// wide) widened by 1 either side; tick steps then stay far above the
// values' precision.
static void widen(double *lo, double *hi) {
    if (!(*hi - *lo > 1e-9 * fmax(1.0, fmax(fabs(*lo), fabs(*hi))))) { *lo -= 1; *hi += 1; }
}

// Round the data range out to whole ticks.
static void frame_fit(Frame *fr, double xmin, double xmax, double ymin, double ymax) {
    widen(&xmin, &xmax);
    widen(&ymin, &ymax);
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
    // Ticks by count, never by accumulating a step (which a step below the
    // values' precision would never advance).
    int nx = (int)fmin(50.0, floor((fr->x1 - fr->x0) / sx + 1e-9));
    int ny = (int)fmin(50.0, floor((fr->y1 - fr->y0) / sy + 1e-9));
    for (int i = 0; i <= nx; i++) {
        double x = fr->x0 + i * sx, px = fx(fr, x);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, fr->top, px,
                fr->top + fr->h);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", px, fr->top + fr->h,
                px, fr->top + fr->h + 5);
        tick_label(lab, sizeof lab, x, x_thousands);
        svg_text(f, px, fr->top + fr->h + 18, "middle", 11, NULL, lab);
    }
    for (int i = 0; i <= ny; i++) {
        double y = fr->y0 + i * sy, py = fy(fr, y);
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


// Dashed: w/o TAP or partial; dotted: a shorter budget of a method.
static const char *line_dash(const Series *s) {
    return s->thin ? " stroke-dasharray=\"2 3\"" : s->dashed ? " stroke-dasharray=\"6 4\"" : "";
}

// percent: a win rate, whose axis and bands stay within 0..100.
grsn_status report_svg_curves(const char *path, const char *title, const char *ylabel, const Series *s, int ns,
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
        char first[sizeof s[i].label], *rest;
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
grsn_status report_svg_raster(const char *path, const char *title, const unsigned char *spikes, int H, int L, int K) {
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

