/*
 * optim.c — initialisers (PyTorch's Linear default and orthogonal_), Adam
 * and RMSprop with PyTorch's arithmetic, Polyak averaging and gradient-norm
 * clipping.
 */
#include "common.h"

void grsn_init_uniform(float *x, size_t n, float bound, grsn_rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = (float)grsn_rng_uniform(rng, -bound, bound);
}

void grsn_init_linear_default(GrsnLinear *l, grsn_rng *rng) {
    float bound = 1.0f / sqrtf((float)l->in);
    grsn_init_uniform(l->w, (size_t)l->in * l->out, bound, rng);
    grsn_init_uniform(l->b, (size_t)l->out, bound, rng);
}

grsn_status grsn_init_orthogonal(float *w, int rows, int cols, float gain, grsn_rng *rng) {
    // Draw an N(0,1) matrix A of shape (big x small), small = min(rows, cols),
    // and orthonormalise its columns by modified Gram-Schmidt in double. MGS
    // yields the Q of A = QR with diag(R) > 0, which is what orthogonal_
    // obtains by multiplying Householder's Q by sign(diag R).
    if (rows < 1 || cols < 1)
        return grsn_fail(GRSN_ERR_ARG, "orthogonal init of a %d x %d matrix: both sides must be >= 1", rows, cols);
    int small = rows < cols ? rows : cols, big = rows < cols ? cols : rows;
    if ((size_t)small > SIZE_MAX / sizeof(double) / (size_t)big)
        return grsn_fail(GRSN_ERR_OOM, "orthogonal init of a %d x %d matrix: too large to hold in double", rows, cols);
    double *a = malloc((size_t)big * small * sizeof(double));   // column-major: a[j*big + i]
    if (!a) return grsn_fail(GRSN_ERR_OOM, "out of memory in the orthogonal init of a %d x %d matrix", rows, cols);
    for (size_t i = 0; i < (size_t)big * small; i++) a[i] = grsn_rng_normal(rng);
    for (int j = 0; j < small; j++) {
        double *qj = a + (size_t)j * big;
        for (int k = 0; k < j; k++) {
            const double *qk = a + (size_t)k * big;
            double d = 0;
            for (int i = 0; i < big; i++) d += qk[i] * qj[i];
            for (int i = 0; i < big; i++) qj[i] -= d * qk[i];
        }
        double nrm = 0;
        for (int i = 0; i < big; i++) nrm += qj[i] * qj[i];
        nrm = sqrt(nrm);
        for (int i = 0; i < big; i++) qj[i] /= nrm;
    }
    // rows >= cols: W = Q (rows x cols), column j of W is q_j.
    // rows <  cols: W = Q^T, row j of W is q_j.
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++)
            w[(size_t)r * cols + c] = (float)(gain * (rows >= cols ? a[(size_t)c * big + r]
                                                                     : a[(size_t)r * big + c]));
    free(a);
    return GRSN_OK;
}

grsn_status grsn_adam_init(GrsnAdam *a, size_t n, float lr) {
    memset(a, 0, sizeof *a);
    if (!(lr > 0.0f)) return grsn_fail(GRSN_ERR_ARG, "learning rate %g must be > 0", lr);
    a->lr = lr; a->beta1 = 0.9f; a->beta2 = 0.999f; a->eps = 1e-8f; a->n = n;
    a->m = grsn_calloc(n, sizeof(float));
    a->v = grsn_calloc(n, sizeof(float));
    if (!a->m || !a->v) { grsn_adam_free(a); return GRSN_ERR_OOM; }
    return GRSN_OK;
}

void grsn_adam_free(GrsnAdam *a) { free(a->m); free(a->v); a->m = a->v = NULL; }

void grsn_adam_step(GrsnAdam *a, float *param, const float *grad) {
    // torch.optim.Adam (single-tensor path):
    //   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    //   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    a->step++;
    double bc1 = 1.0 - pow(a->beta1, (double)a->step);
    double bc2 = 1.0 - pow(a->beta2, (double)a->step);
    float step_size = (float)(a->lr / bc1);
    float bc2_sqrt = (float)sqrt(bc2);
    float b1 = a->beta1, b2 = a->beta2, eps = a->eps;
    // Element-wise: threads may share the loop without changing a bit.
    #pragma omp parallel for schedule(static) if (a->n > (size_t)GRSN_PAR_MIN_WORK)
    for (size_t i = 0; i < a->n; i++) {
        float g = grad[i];
        a->m[i] = a->m[i] * b1 + g * (1.0f - b1);
        a->v[i] = a->v[i] * b2 + g * g * (1.0f - b2);
        float denom = sqrtf(a->v[i]) / bc2_sqrt + eps;
        param[i] -= step_size * (a->m[i] / denom);
    }
}

grsn_status grsn_rmsprop_init(GrsnRMSprop *o, size_t n, float lr, float alpha, float eps) {
    memset(o, 0, sizeof *o);
    if (!(lr > 0.0f)) return grsn_fail(GRSN_ERR_ARG, "learning rate %g must be > 0", lr);
    if (!(alpha >= 0.0f && alpha < 1.0f)) return grsn_fail(GRSN_ERR_ARG, "RMSprop alpha %g is outside [0, 1)", alpha);
    if (!(eps > 0.0f)) return grsn_fail(GRSN_ERR_ARG, "RMSprop eps %g must be > 0", eps);
    o->lr = lr; o->alpha = alpha; o->eps = eps; o->n = n;
    o->square_avg = grsn_calloc(n, sizeof(float));
    return o->square_avg ? GRSN_OK : GRSN_ERR_OOM;
}

void grsn_rmsprop_free(GrsnRMSprop *o) { free(o->square_avg); o->square_avg = NULL; }

void grsn_rmsprop_step(GrsnRMSprop *o, float *param, const float *grad) {
    // torch.optim.RMSprop (single-tensor path), in its order of operations:
    //   s.mul_(alpha).addcmul_(g, g, value=1 - alpha)   s = s alpha + ((1 - alpha) g) g
    //   avg = s.sqrt().add_(eps)
    //   p.addcdiv_(g, avg, value=-lr)                    p = p + ((-lr) g) / avg
    float alpha = o->alpha, one_minus = 1.0f - o->alpha, eps = o->eps, neg_lr = -o->lr;
    #pragma omp parallel for schedule(static) if (o->n > (size_t)GRSN_PAR_MIN_WORK)
    for (size_t i = 0; i < o->n; i++) {
        float g = grad[i];
        o->square_avg[i] = o->square_avg[i] * alpha + one_minus * g * g;
        float avg = sqrtf(o->square_avg[i]) + eps;
        param[i] = param[i] + neg_lr * g / avg;
    }
}

void grsn_polyak(float *target, const float *source, size_t n, float tau) {
    #pragma omp parallel for schedule(static) if (n > (size_t)GRSN_PAR_MIN_WORK)
    for (size_t i = 0; i < n; i++) target[i] = target[i] * (1.0f - tau) + source[i] * tau;
}

float grsn_clip_grad_norm(float *grad, size_t n, float max_norm) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)grad[i] * grad[i];
    float total = (float)sqrt(s);
    float coef = max_norm / (total + 1e-6f);
    if (coef < 1.0f)
        for (size_t i = 0; i < n; i++) grad[i] *= coef;
    return total;
}
