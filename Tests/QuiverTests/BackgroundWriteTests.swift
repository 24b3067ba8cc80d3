import Foundation
import Quiver
import Testing

/// The ingest's write queue: writes chained with `after:` run one at a time, in order, and none
/// runs behind one that failed.
@Suite struct BackgroundWriteTests {
  struct Refused: Error {}

  @Test func chainedWritesRunInOrderEvenWhenTheFirstIsSlow() throws {
    let log = Locked<[String]>([])
    let first = BackgroundWrite<Int> {
      usleep(50_000)  // the second is queued long before this one ends
      log.withLock { $0.append("first") }
      return 1
    }
    let second = BackgroundWrite<Int>(after: first) {
      log.withLock { $0.append("second") }
      return 2
    }
    #expect(try first.value() == 1)
    #expect(try second.value() == 2)
    #expect(log.withLock { $0 } == ["first", "second"])
  }

  @Test func noWriteRunsBehindOneThatFailed() throws {
    let log = Locked<[String]>([])
    let first = BackgroundWrite<Int> {
      usleep(20_000)
      log.withLock { $0.append("first") }
      throw Refused()
    }
    let second = BackgroundWrite<Int>(after: first) {
      log.withLock { $0.append("second") }
      return 2
    }
    let third = BackgroundWrite<Int>(after: second) {
      log.withLock { $0.append("third") }
      return 3
    }
    #expect(throws: Refused.self) { try first.value() }
    #expect(throws: PreviousWriteFailed.self) { try second.value() }
    #expect(throws: PreviousWriteFailed.self) { try third.value() }
    #expect(log.withLock { $0 } == ["first"])
  }
}
