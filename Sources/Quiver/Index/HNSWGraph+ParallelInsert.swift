import Dispatch
import Synchronization

extension HNSWGraph {
  /// Inserts the rows of `vectors` (`dimension` floats each) as the next nodes, linking them with
  /// `threads` threads (Algorithm 1 per node, as ``insert(_:)``).
  ///
  /// Every new node's vector, level and empty lists are stored before any thread starts, so a
  /// node becomes reachable only when a neighbour links to it. Each link-list read or write holds
  /// that node's lock (``LinkLocks``); a node whose level exceeds the graph's top level holds a
  /// global lock for its whole insertion (so the entry point changes under it), as in hnswlib.
  /// Levels are drawn in node order from the graph's generator; the links depend on thread timing,
  /// so two parallel builds of the same rows give equally good but not identical graphs.
  /// - Precondition: `vectors.count` is a multiple of `dimension` (cosine: unit rows).
  public func insert(contentsOf vectors: UnsafeBufferPointer<Float>, threads: Int) {
    precondition(vectors.count % dimension == 0, "insert(contentsOf:): not whole rows")
    let n = vectors.count / dimension
    func row(_ r: Int) -> UnsafeBufferPointer<Float> { UnsafeBufferPointer(rebasing: vectors[(r * dimension)..<((r + 1) * dimension)]) }
    guard threads > 1, n >= 4 * threads else {
      for r in 0..<n { insert(row(r)) }
      return
    }
    grow(to: count + n)
    let first = count
    var nodeLevels: [Int] = []
    nodeLevels.reserveCapacity(n)
    for r in 0..<n {
      store(row(r), at: UInt32(first + r))
      let l = drawLevel()
      appendNode(level: l)
      nodeLevels.append(l)
    }
    var start = 0
    if maxLevel < 0 {
      entryPoint = UInt32(first)
      maxLevel = nodeLevels[0]
      start = 1
    }
    count = first + n
    linkLocks = LinkLocks(count: count)
    defer { linkLocks = nil }
    let top = LinkLocks(count: 1)
    let next = Atomic<Int>(start)
    let newLevels = nodeLevels
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
      var scratch = SearchScratch(nodes: count, parameters: parameters)
      while true {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard i < n else { break }
        let q = UInt32(first + i)
        let l = newLevels[i]
        top.lock(0)
        let currentMax = maxLevel
        let currentEntry = entryPoint
        if l <= currentMax { top.unlock(0) }
        link(q, level: l, entryPoint: currentEntry, maxLevel: currentMax, scratch: &scratch)
        if l > currentMax {
          maxLevel = l
          entryPoint = q
          top.unlock(0)
        }
      }
    }
  }
}
