import CPrefetch
import QuiverKernels

extension HNSWGraph {
  // MARK: Search (Algorithms 2 and 5)

  /// Per-thread search state: visited stamps and heaps, reused across searches. Its buffers are
  /// raw memory so that the hot loop pays no exclusivity or bounds checks.
  /// One thread uses a searcher at a time; it may be handed between threads (a pool), hence
  /// `@unchecked Sendable`.
  public final class Searcher: @unchecked Sendable {
    unowned(unsafe) let graph: HNSWGraph
    private var visited: UnsafeMutablePointer<UInt32>
    private var visitedCapacity: Int
    private var stamp: UInt32 = 0
    private var candidates = RawHeap(maxOnTop: false)
    private var results = RawHeap(maxOnTop: true)
    /// Unvisited neighbours of the node being expanded (at most max(M₀, M)).
    private let fresh: UnsafeMutablePointer<UInt32>

    public init(graph: HNSWGraph) {
      self.graph = graph
      fresh = .allocate(capacity: graph.parameters.M0 + 1)
      visitedCapacity = max(graph.capacity, 1024)
      visited = .allocate(capacity: visitedCapacity)
      visited.initialize(repeating: 0, count: visitedCapacity)
    }

    deinit {
      visited.deallocate()
      fresh.deallocate()
      candidates.deallocate()
      results.deallocate()
    }

    /// SEARCH-LAYER (Algorithm 2): the ef closest nodes to q reachable on `level` from the entry
    /// point, sorted by distance.
    func searchLayer(_ q: UnsafeBufferPointer<Float>, entry: (Float, UInt32), ef: Int, level: Int) -> [(distance: Float, node: UInt32)] {
      fill(q, entry: entry, ef: ef, level: level)
      return results.drainAscending()
    }

    private func fill(_ q: UnsafeBufferPointer<Float>, entry: (Float, UInt32), ef: Int, level: Int) {
      let g = graph
      if visitedCapacity < g.count {
        let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: g.capacity)
        grown.initialize(repeating: 0, count: g.capacity)
        visited.deallocate()
        visited = grown
        visitedCapacity = g.capacity
        stamp = 0
      }
      stamp &+= 1
      if stamp == 0 {
        visited.update(repeating: 0, count: visitedCapacity)
        stamp = 1
      }
      let visited = self.visited, stamp = self.stamp
      candidates.reserve(ef + 1)
      results.reserve(ef + 1)
      candidates.removeAll()
      results.removeAll()
      visited[Int(entry.1)] = stamp
      candidates.push(entry.0, entry.1)
      results.push(entry.0, entry.1)
      let lines = min(8, (g.recordBytes - g.vectorOffset + 63) / 64)
      let fresh = self.fresh
      while candidates.count > 0 {
        let c = candidates.pop()
        if c.distance > results.topDistance && results.count >= ef { break }
        // Collect the unvisited neighbours and prefetch their records, then score them: the loads
        // overlap instead of each distance waiting for its own cache misses.
        var n = 0
        g.linkLocks?.lock(c.node)
        g.forEachLink(c.node, level) { e in
          guard visited[Int(e)] != stamp else { return }
          visited[Int(e)] = stamp
          quiver_prefetch(g.walkVector(e), Int32(lines))
          fresh[n] = e
          n += 1
        }
        g.linkLocks?.unlock(c.node)
        for i in 0..<n {
          let e = fresh[i]
          let d = g.distance(q, e)
          if results.count < ef || d < results.topDistance {
            candidates.push(d, e)
            results.push(d, e)
            if results.count > ef { results.pop() }
          }
        }
      }
    }

    /// The ef nearest nodes found (deleted ones included), nearest first: Algorithm 5 before its
    /// final cut to k.
    public func candidates(_ q: UnsafeBufferPointer<Float>, ef: Int) -> [(distance: Float, node: UInt32)] {
      let g = graph
      guard g.count > 0 else { return [] }
      var ep = g.entryPoint
      var d = g.distance(q, ep)
      if g.maxLevel > 0 {
        for level in stride(from: g.maxLevel, through: 1, by: -1) {
          (ep, d) = g.greedyClosest(q, from: ep, distance: d, level: level)
        }
      }
      fill(q, entry: (d, ep), ef: ef, level: 0)
      guard g.exact != nil else { return results.drainAscending() }
      // The int8 walk ranked by approximate distances: re-rank what it found by exact ones.
      var found = results.drainAscending()
      for i in found.indices { found[i].distance = g.exactDistance(q, found[i].node) }
      found.sort { $0.distance < $1.distance }
      return found
    }

    /// K-NN-SEARCH (Algorithm 5): the k nearest live nodes, nearest first, with search breadth
    /// max(ef, k).
    public func search(_ q: UnsafeBufferPointer<Float>, k: Int, ef: Int) -> [(distance: Float, node: UInt32)] {
      let g = graph
      let found = candidates(q, ef: max(ef, k))
      var out: [(distance: Float, node: UInt32)] = []
      out.reserveCapacity(k)
      for f in found where !g.deleted[Int(f.node)] {
        out.append(f)
        if out.count == k { break }
      }
      return out
    }
  }
}
