// Interposes the glibc allocation entry points to count allocations per thread (see the header).
#include "CAllocationCounter.h"

#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

// Under AddressSanitizer or ThreadSanitizer the sanitizer owns malloc: no interposer, no counting
// (qac_available() says so, and the allocation tests are left out of those runs).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define QAC_SANITIZED 1
#endif
#endif

int qac_available(void) {
#ifdef QAC_SANITIZED
  return 0;
#else
  return 1;
#endif
}

static _Thread_local int counting;
static _Thread_local uint64_t allocations;

void qac_start(void) {
  allocations = 0;
  counting = 1;
}

uint64_t qac_stop(void) {
  counting = 0;
  return allocations;
}

#ifndef QAC_SANITIZED
static inline void note(void) {
  if (__builtin_expect(counting, 0)) allocations++;
}

void *malloc(size_t size) {
  note();
  return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
  note();
  return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
  note();
  return __libc_realloc(pointer, size);
}

void free(void *pointer) { __libc_free(pointer); }

void *aligned_alloc(size_t alignment, size_t size) {
  note();
  return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
  note();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  note();
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  void *p = __libc_memalign(alignment, size);
  if (p == NULL && size != 0) return ENOMEM;
  *out = p;
  return 0;
}
#endif
