#ifndef QUIVER_CKERNELS_H
#define QUIVER_CKERNELS_H

#include <stdint.h>

/// Whether this CPU runs AVX2 and FMA (checked once, at the first call): the condition for
/// calling the `_avx2` kernels below. A portable build of Quiver compiles without CPU flags (so
/// that it runs anywhere and can be a package dependency); these few kernels carry their own
/// `target("avx2,fma")` attribute instead, and the Swift side picks them at run time.
int quiver_cpu_has_avx2_fma(void);

/// Σ q[i] · c[i] over n components, f32 query against int8 codes (an HNSW int8 walk's distance),
/// with AVX2 + FMA. Call only when `quiver_cpu_has_avx2_fma()` is 1. Summation order differs from
/// the Swift kernel's (8-wide partial sums): results agree to float round-off, not bit for bit.
float quiver_dot_f32_i8_avx2(const float *q, const int8_t *c, long n);

#endif
