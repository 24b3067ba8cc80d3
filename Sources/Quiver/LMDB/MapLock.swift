#if canImport(Glibc)
  import Glibc
#endif

/// A process-wide readers–writer lock over one LMDB memory map.
///
/// Every transaction holds it shared for its whole life; growing the map (`mdb_env_set_mapsize`,
/// which LMDB allows only while no transaction of this process is active) holds it exclusively.
/// The pthread lock lives in its own allocation so that its address never moves.
final class MapLock: @unchecked Sendable {
  private let lock: UnsafeMutablePointer<pthread_rwlock_t>

  init() {
    lock = .allocate(capacity: 1)
    lock.initialize(to: pthread_rwlock_t())
    let status = pthread_rwlock_init(lock, nil)
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
