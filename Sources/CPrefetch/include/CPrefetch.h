#ifndef QUIVER_CPREFETCH_H
#define QUIVER_CPREFETCH_H

/// Asks the CPU to bring the cache line at `address` (and the next ones, for `lines`) into cache
/// for reading. A hint: no effect on results. Used by the HNSW search to fetch neighbours' records
/// before their distances are computed, as hnswlib does.
static inline void quiver_prefetch(const void *address, int lines) {
  const char *p = (const char *)address;
  for (int i = 0; i < lines; i++) __builtin_prefetch(p + 64 * i, 0, 3);
}

#endif
