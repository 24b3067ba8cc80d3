#if canImport(Glibc)
  import Glibc
#endif

/// One batch's write running on a thread of its own, so that an ingest prepares (embeds, tokenises)
/// the next batches meanwhile. A write made `after:` another starts only once that one has
/// finished, and only if it succeeded, so writes run one at a time and in order, each in its own
/// transaction: a crash loses only batches not yet committed (the one being written and those
/// queued behind it).
///
/// A plain thread, not a block on Dispatch's global queue: an ingest called from a thread of that
/// pool (a test runner, a server) would then block one of the pool's threads waiting for work that
/// needs another — a precaution (not observed here), at the cost of one thread start per batch.
package final class BackgroundWrite<Value: Sendable>: @unchecked Sendable {
  // Written once by the write's thread; read after joining it or after `finished` opened (either
  // orders the two).
  private var result: Result<Value, Error>?
  private var thread: pthread_t?
  /// Opened once `result` is set.
  private let finished = Latch()

  /// Starts `body` now (on the calling thread if no thread can be made) — or, with `previous`,
  /// once `previous` has finished, and only if it succeeded (else this write fails without running).
  package init(after previous: BackgroundWrite<Value>? = nil, _ body: @escaping @Sendable () throws -> Value) {
    let start = ThreadStart { [self] in
      if let previous, case .failure = previous.waitUntilFinished() {
        result = .failure(PreviousWriteFailed())
      } else {
        result = Result { try body() }
      }
      finished.open()
    }
    let context = Unmanaged.passRetained(start).toOpaque()
    var handle = pthread_t()
    let made = pthread_create(&handle, nil, { raw in
      guard let raw else { return nil }
      Unmanaged<ThreadStart>.fromOpaque(raw).takeRetainedValue().run()
      return nil
    }, context)
    if made == 0 {
      thread = handle
    } else {
      Unmanaged<ThreadStart>.fromOpaque(context).takeRetainedValue().run()
    }
  }

  /// A write never waited for is still finished before its memory goes (no thread outlives it).
  deinit {
    if let thread { pthread_join(thread, nil) }
  }

  /// Waits until the write has finished (from any thread); its result.
  private func waitUntilFinished() -> Result<Value, Error> {
    finished.wait()
    guard let result else { preconditionFailure("a background write finished without a result") }
    return result
  }

  /// Waits for the write; its value, or its error thrown. Call once.
  package func value() throws -> Value {
    if let thread {
      pthread_join(thread, nil)
      self.thread = nil
    }
    return try waitUntilFinished().get()
  }
}

/// The error of a write queued behind one that failed: it did not run.
package struct PreviousWriteFailed: Error {}

/// A thread's body, passed through pthread_create's context pointer.
private final class ThreadStart {
  let run: () -> Void
  init(_ run: @escaping () -> Void) { self.run = run }
}
