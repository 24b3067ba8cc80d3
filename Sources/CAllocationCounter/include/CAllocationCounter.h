#ifndef QUIVER_CALLOCATIONCOUNTER_H
#define QUIVER_CALLOCATIONCOUNTER_H

#include <stdint.h>

/// Counting of heap allocations in this process, for benchmarks that must show a path allocates
/// nothing. Linked into the `quiver` executable and the test runner, where it interposes glibc's malloc family
/// (the executable's definitions win symbol lookup) and forwards every call to glibc's own
/// `__libc_*` entry points. Counting costs one relaxed atomic load per call while off.

/// 1 when allocations are counted; 0 in a build under AddressSanitizer or ThreadSanitizer, whose
/// allocator the interposer would collide with.
int qac_available(void);
/// Starts counting allocations made by the calling thread.
void qac_start(void);
/// Stops counting and returns how many allocations (malloc, calloc, realloc, aligned) the calling
/// thread made since qac_start.
uint64_t qac_stop(void);

#endif
