import CPrefetch
import QuiverKernels

extension HNSWGraph {
  // MARK: Search (Algorithms 2 and 5)

  /// The buffers of one search at a time — visited stamps, candidate and result heaps, the
  /// neighbours being scored — reused across searches so the hot loop allocates nothing and pays
  /// no bounds or exclusivity checks. Non-copyable: it owns its memory. It holds no reference to a
  /// graph (each call is given one), so a graph can own one for its own inserts without a cycle.
  struct SearchScratch: ~Copyable {
    var visited: VisitedStamps
    var candidateHeap = RawHeap(maxOnTop: false)
    var resultHeap = RawHeap(maxOnTop: true)
    /// Unvisited neighbours of the node being expanded (at most max(M₀, M)).
    let fresh: UnsafeMutablePointer<UInt32>
    let freshCapacity: Int

    init(nodes: Int, parameters: Parameters) {
      visited = VisitedStamps(capacity: nodes)
      freshCapacity = parameters.M0 + 1
      fresh = .allocate(capacity: freshCapacity)
    }

    deinit { fresh.deallocate() }

    /// SEARCH-LAYER (Algorithm 2): the ef closest nodes to q reachable on `level` from the entry
    /// point, sorted by distance.
    mutating func searchLayer(_ g: HNSWGraph, _ q: UnsafeBufferPointer<Float>, entry: (Float, UInt32), ef: Int, level: Int)
      -> [(distance: Float, node: UInt32)]
    {
      fill(g, q, entry: entry, ef: ef, level: level)
      return resultHeap.drainAscending()
    }

    /// Empties the buffers for a walk of breadth ef from `entry`, which is visited and a candidate.
    private mutating func begin(_ g: HNSWGraph, _ q: UnsafeBufferPointer<Float>, entry: (Float, UInt32), ef: Int) {
      precondition(q.count == g.dimension, "query has \(q.count) dimensions, the graph \(g.dimension)")
      visited.begin(nodes: g.capacity)
      candidateHeap.reserve(ef + 1)
      resultHeap.reserve(ef + 1)
      candidateHeap.removeAll()
      resultHeap.removeAll()
      _ = visited.insert(entry.1)
      candidateHeap.push(entry.0, entry.1)
    }

    private mutating func fill(_ g: HNSWGraph, _ q: UnsafeBufferPointer<Float>, entry: (Float, UInt32), ef: Int, level: Int) {
      begin(g, q, entry: entry, ef: ef)
      resultHeap.push(entry.0, entry.1)
      let lines = min(8, (g.recordBytes - g.vectorOffset + 63) / 64)
      let fresh = self.fresh
      while candidateHeap.count > 0 {
        let c = candidateHeap.pop()
        if c.distance > resultHeap.topDistance && resultHeap.count >= ef { break }
        let n = collectUnvisited(g, of: c.node, level: level, prefetchLines: lines)
        for i in 0..<n {
          let e = fresh[i]
          let d = g.distance(q, e)
          if resultHeap.count < ef || d < resultHeap.topDistance {
            candidateHeap.push(d, e)
            resultHeap.push(d, e)
            if resultHeap.count > ef { resultHeap.pop() }
          }
        }
      }
    }

    /// The level-0 walk of ``filteredCandidates(_:_:ef:filter:visitLimit:)``: results are live
    /// allowed nodes only; nil past `visitLimit` scored nodes.
    mutating func filteredFill<F: NodeFilter>(_ g: HNSWGraph, _ q: UnsafeBufferPointer<Float>, entry: (Float, UInt32), ef: Int,
                                              filter: F, visitLimit: Int) -> [(distance: Float, node: UInt32)]? {
      begin(g, q, entry: entry, ef: ef)
      // A local copy of the flags (a reference, not a copy of the buffer): reading the graph's
      // stored property per node would pay a dynamic exclusivity check each time.
      let deleted = g.deleted
      if !deleted[Int(entry.1)] && filter.allows(entry.1) { resultHeap.push(entry.0, entry.1) }
      let lines = min(8, (g.recordBytes - g.vectorOffset + 63) / 64)
      let fresh = self.fresh
      var scored = 1
      while candidateHeap.count > 0 {
        let c = candidateHeap.pop()
        if resultHeap.count >= ef && c.distance > resultHeap.topDistance { break }
        let n = collectUnvisited(g, of: c.node, level: 0, prefetchLines: lines)
        scored += n
        if scored > visitLimit { return nil }
        for i in 0..<n {
          let e = fresh[i]
          let d = g.distance(q, e)
          if resultHeap.count < ef || d < resultHeap.topDistance {
            candidateHeap.push(d, e)
            if !deleted[Int(e)] && filter.allows(e) {
              resultHeap.push(d, e)
              if resultHeap.count > ef { resultHeap.pop() }
            }
          }
        }
      }
      return resultHeap.drainAscending()
    }

    /// Puts node's unvisited neighbours on `level` into `fresh` (marking them visited) and
    /// prefetches their records, so that scoring them next overlaps the loads instead of each
    /// distance waiting for its own cache misses; returns how many.
    @inline(__always)
    mutating func collectUnvisited(_ g: HNSWGraph, of node: UInt32, level: Int, prefetchLines lines: Int) -> Int {
      var n = 0
      let fresh = self.fresh
      g.linkLocks?.lock(node)
      g.forEachLink(node, level) { e in
        guard visited.insert(e) else { return }
        quiver_prefetch(g.walkVector(e), Int32(lines))
        assert(n < freshCapacity)
        fresh[n] = e
        n += 1
      }
      g.linkLocks?.unlock(node)
      return n
    }

    /// The greedy descent of Algorithm 5 through the upper levels: level 0's entry for q and its
    /// distance.
    func descend(_ g: HNSWGraph, _ q: UnsafeBufferPointer<Float>) -> (distance: Float, node: UInt32) {
      var ep = g.entryPoint
      var d = g.distance(q, ep)
      if g.maxLevel > 0 {
        for level in stride(from: g.maxLevel, through: 1, by: -1) {
          (ep, d) = g.greedyClosest(q, from: ep, distance: d, level: level)
        }
      }
      return (d, ep)
    }

    /// The ef nearest nodes found (deleted ones included), nearest first: Algorithm 5 before its
    /// final cut to k. With the int8 walk, re-ranked by exact distance.
    mutating func candidates(_ g: HNSWGraph, _ q: UnsafeBufferPointer<Float>, ef: Int) -> [(distance: Float, node: UInt32)] {
      guard g.count > 0 else { return [] }
      fill(g, q, entry: descend(g, q), ef: ef, level: 0)
      guard g.exact != nil else { return resultHeap.drainAscending() }
      // The int8 walk ranked by approximate distances: re-rank what it found by exact ones.
      var found = resultHeap.drainAscending()
      for i in found.indices { found[i].distance = g.exactDistance(q, found[i].node) }
      found.sort { $0.distance < $1.distance }
      return found
    }
  }

  /// A graph and the buffers to search it, reused across searches. One thread uses a searcher at
  /// a time; it may be handed between threads (a pool), hence `@unchecked Sendable`.
  public final class Searcher: @unchecked Sendable {
    /// The graph searched (held strongly: a searcher keeps its graph alive).
    public let graph: HNSWGraph
    private var scratch: SearchScratch

    public init(graph: HNSWGraph) {
      self.graph = graph
      scratch = SearchScratch(nodes: graph.capacity, parameters: graph.parameters)
    }

    /// The ef nearest nodes found (deleted ones included), nearest first.
    /// - Precondition: `q.count == graph.dimension`.
    public func candidates(_ q: UnsafeBufferPointer<Float>, ef: Int) -> [(distance: Float, node: UInt32)] {
      scratch.candidates(graph, q, ef: ef)
    }

    /// Runs `body` on the searcher's buffers.
    func withScratch<R>(_ body: (inout SearchScratch) -> R) -> R { body(&scratch) }

    /// K-NN-SEARCH (Algorithm 5): the k nearest live nodes, nearest first, with search breadth
    /// max(ef, k).
    /// - Precondition: `q.count == graph.dimension`, `k > 0`.
    public func search(_ q: UnsafeBufferPointer<Float>, k: Int, ef: Int) -> [(distance: Float, node: UInt32)] {
      precondition(k > 0, "k must be positive")
      let found = candidates(q, ef: max(ef, k))
      var out: [(distance: Float, node: UInt32)] = []
      out.reserveCapacity(k)
      for f in found where !graph.isDeleted(f.node) {
        out.append(f)
        if out.count == k { break }
      }
      return out
    }
  }
}
