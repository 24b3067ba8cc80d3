#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int quiver_cpu_has_avx2_fma(void) {
  static int known = -1;  // a benign race: every thread computes the same value
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return known;
}

__attribute__((target("avx2,fma")))
float quiver_dot_f32_i8_avx2(const float *q, const int8_t *c, long n) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)(c + i));
    __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
    __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(bytes, 8)));
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), lo, acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), hi, acc1);
  }
  __m256 acc = _mm256_add_ps(acc0, acc1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  float sum = _mm_cvtss_f32(s);
  for (; i < n; i++) sum += q[i] * (float)c[i];
  return sum;
}

#else

int quiver_cpu_has_avx2_fma(void) { return 0; }

float quiver_dot_f32_i8_avx2(const float *q, const int8_t *c, long n) {
  float sum = 0;
  for (long i = 0; i < n; i++) sum += q[i] * (float)c[i];
  return sum;
}

#endif
