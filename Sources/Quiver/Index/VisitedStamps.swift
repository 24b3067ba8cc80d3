/// Which nodes a search has visited, as one stamp per node: a node is visited when its stamp
/// equals the current search's, so starting a search is O(1) (a new stamp), not a clear.
/// Non-copyable: it owns its buffer.
struct VisitedStamps: ~Copyable {
  private var stamps: UnsafeMutablePointer<UInt32>
  private(set) var capacity: Int
  private var current: UInt32 = 0

  init(capacity: Int) {
    self.capacity = max(capacity, 1024)
    stamps = .allocate(capacity: self.capacity)
    stamps.initialize(repeating: 0, count: self.capacity)
  }

  deinit { stamps.deallocate() }

  /// Starts a search over `nodes` nodes: grows (cleared) when they do not fit, then takes a new
  /// stamp (clearing every stamp when the counter wraps).
  mutating func begin(nodes: Int) {
    if nodes > capacity {
      let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: nodes)
      grown.initialize(repeating: 0, count: nodes)
      stamps.deallocate()
      stamps = grown
      capacity = nodes
      current = 0
    }
    current &+= 1
    if current == 0 {
      stamps.update(repeating: 0, count: capacity)
      current = 1
    }
  }

  /// Marks `node` visited; returns whether it was not visited before.
  /// - Precondition: `node < capacity` (the graph's node count at ``begin(nodes:)``).
  @inline(__always)
  mutating func insert(_ node: UInt32) -> Bool {
    assert(Int(node) < capacity, "visited stamp out of range")
    if stamps[Int(node)] == current { return false }
    stamps[Int(node)] = current
    return true
  }
}
