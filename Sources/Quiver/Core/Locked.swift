#if canImport(Glibc)
  import Glibc
#endif

/// A value behind a `pthread_mutex_t`, changed only inside ``withLock(_:)``. Used instead of the
/// standard library's `Synchronization.Mutex`, which on Linux waits on a raw futex that
/// ThreadSanitizer cannot see: every value published through it was reported as a race
/// (`make test-tsan`). The pthread mutex lives in its own allocation so that its address never moves.
package final class Locked<Value>: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private var value: Value

  package init(_ value: Value) {
    self.value = value
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    let status = pthread_mutex_init(mutex, nil)
    precondition(status == 0, "pthread_mutex_init failed: \(status)")
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deinitialize(count: 1)
    mutex.deallocate()
  }

  /// Runs `body` with the value, holding the lock.
  @inline(__always)
  package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body(&value)
  }
}
