/// A binary heap of (distance, node) in raw memory, min- or max-ordered by distance: the HNSW
/// search's candidate and result sets. Non-copyable: it owns its two buffers and frees them in
/// `deinit`, so a copy can never free them twice.
struct RawHeap: ~Copyable {
  private var distances: UnsafeMutablePointer<Float>
  private var nodes: UnsafeMutablePointer<UInt32>
  private var capacity: Int
  private(set) var count = 0
  let maxOnTop: Bool

  init(maxOnTop: Bool) {
    self.maxOnTop = maxOnTop
    capacity = 256
    distances = .allocate(capacity: capacity)
    nodes = .allocate(capacity: capacity)
  }

  deinit {
    distances.deallocate()
    nodes.deallocate()
  }

  mutating func reserve(_ n: Int) {
    guard n > capacity else { return }
    let d = UnsafeMutablePointer<Float>.allocate(capacity: n)
    let v = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
    d.update(from: distances, count: count)
    v.update(from: nodes, count: count)
    distances.deallocate()
    nodes.deallocate()
    distances = d
    nodes = v
    capacity = n
  }

  mutating func removeAll() { count = 0 }

  /// The distance on top. - Precondition: not empty.
  var topDistance: Float {
    assert(count > 0, "RawHeap.topDistance of an empty heap")
    return distances[0]
  }

  @inline(__always)
  private func above(_ a: Float, _ b: Float) -> Bool { maxOnTop ? a > b : a < b }

  @inline(__always)
  mutating func push(_ distance: Float, _ node: UInt32) {
    if count == capacity { reserve(capacity * 2) }
    assert(count < capacity)
    var i = count
    count += 1
    while i > 0 {
      let parent = (i - 1) >> 1
      guard above(distance, distances[parent]) else { break }
      distances[i] = distances[parent]
      nodes[i] = nodes[parent]
      i = parent
    }
    distances[i] = distance
    nodes[i] = node
  }

  /// Removes and returns the top. - Precondition: not empty.
  @inline(__always)
  @discardableResult
  mutating func pop() -> (distance: Float, node: UInt32) {
    precondition(count > 0, "RawHeap.pop of an empty heap")
    let top = (distances[0], nodes[0])
    count -= 1
    let lastD = distances[count], lastN = nodes[count]
    var i = 0
    while true {
      let l = 2 * i + 1
      if l >= count { break }
      var c = l
      if l + 1 < count, above(distances[l + 1], distances[l]) { c = l + 1 }
      guard above(distances[c], lastD) else { break }
      distances[i] = distances[c]
      nodes[i] = nodes[c]
      i = c
    }
    if count > 0 {
      distances[i] = lastD
      nodes[i] = lastN
    }
    return top
  }

  /// Empties the heap into an array sorted by increasing distance.
  mutating func drainAscending() -> [(distance: Float, node: UInt32)] {
    var out = [(distance: Float, node: UInt32)](repeating: (0, 0), count: count)
    var i = count - 1
    while count > 0 {
      out[i] = pop()
      i -= 1
    }
    if !maxOnTop { out.reverse() }
    return out
  }
}
