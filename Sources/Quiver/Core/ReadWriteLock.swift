#if canImport(Glibc)
  import Glibc
#endif

/// A readers–writer lock (`pthread_rwlock_t`): many holders shared, or one exclusive. The pthread
/// lock lives in its own allocation so that its address never moves.
///
/// Used for an LMDB environment's memory map (every transaction holds it shared; growing the map,
/// which LMDB allows only while no transaction of this process is active, holds it exclusively;
/// glibc's default kind) and for a space's HNSW graph (searches shared, syncing exclusive;
/// writer-preferring, so that a steady stream of searches cannot starve an ingest).
final class ReadWriteLock: @unchecked Sendable {
  private let lock: UnsafeMutablePointer<pthread_rwlock_t>

  /// - Parameter preferringWriters: queue new shared holders behind a waiting exclusive one
  ///   (glibc's `PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP`); otherwise glibc's default.
  init(preferringWriters: Bool = false) {
    lock = .allocate(capacity: 1)
    lock.initialize(to: pthread_rwlock_t())
    var attributes = pthread_rwlockattr_t()
    pthread_rwlockattr_init(&attributes)
    if preferringWriters {
      pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
    }
    let status = pthread_rwlock_init(lock, &attributes)
    pthread_rwlockattr_destroy(&attributes)
    precondition(status == 0, "pthread_rwlock_init failed: \(status)")
  }

  deinit {
    pthread_rwlock_destroy(lock)
    lock.deinitialize(count: 1)
    lock.deallocate()
  }

  /// Runs `body` while holding the lock shared.
  func shared<R>(_ body: () throws -> R) rethrows -> R {
    pthread_rwlock_rdlock(lock)
    defer { pthread_rwlock_unlock(lock) }
    return try body()
  }

  /// Runs `body` while holding the lock exclusively.
  func exclusive<R>(_ body: () throws -> R) rethrows -> R {
    pthread_rwlock_wrlock(lock)
    defer { pthread_rwlock_unlock(lock) }
    return try body()
  }
}
