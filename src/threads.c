// threads.c — the thread count used by the OpenMP loops (if built with OpenMP).
#include "common.h"
#ifdef GRSN_OMP
#include <omp.h>
#endif

void grsn_set_threads(int n) {
#ifdef GRSN_OMP
    if (n <= 0) n = omp_get_num_procs();
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

int grsn_threads(void) {
#ifdef GRSN_OMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}
