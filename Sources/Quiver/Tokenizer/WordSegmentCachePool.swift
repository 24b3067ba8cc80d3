import Dispatch

/// Word caches lent to worker threads and returned after, so that a cache outlives the batch that
/// warmed it. Thread-safe.
final class WordSegmentCachePool: @unchecked Sendable {
  private let lock = DispatchSemaphore(value: 1)
  private var idle: [WordSegmentCache] = []

  /// Runs `body` with a cache no other thread holds meanwhile.
  func withCache<R>(_ body: (WordSegmentCache) throws -> R) rethrows -> R {
    lock.wait()
    let cache = idle.popLast() ?? WordSegmentCache()
    lock.signal()
    defer {
      lock.wait()
      idle.append(cache)
      lock.signal()
    }
    return try body(cache)
  }
}
