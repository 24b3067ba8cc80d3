import Synchronization

/// One spin lock per graph node, guarding its link lists while several threads insert (as hnswlib
/// guards each node's list). Held for a few hundred nanoseconds at a time (reading or rewriting
/// ≤ 2M links), so spinning beats sleeping; contention is rare because two inserting threads
/// touch the same node only when their new nodes are neighbours.
final class LinkLocks: @unchecked Sendable {
  private let flags: UnsafeMutablePointer<Atomic<UInt8>>
  let count: Int

  init(count: Int) {
    self.count = count
    flags = .allocate(capacity: max(count, 1))
    for i in 0..<count { (flags + i).initialize(to: Atomic(0)) }
  }

  deinit {
    flags.deinitialize(count: count)
    flags.deallocate()
  }

  @inline(__always)
  func lock(_ n: UInt32) {
    assert(Int(n) < count, "link lock \(n) of \(count)")
    let flag = flags + Int(n)
    while !flag.pointee.compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
      while flag.pointee.load(ordering: .relaxed) != 0 {}
    }
  }

  @inline(__always)
  func unlock(_ n: UInt32) {
    assert(Int(n) < count, "link lock \(n) of \(count)")
    (flags + Int(n)).pointee.store(0, ordering: .releasing)
  }
}
