import CPrefetch
import QuiverKernels

#if canImport(Glibc)
  import Glibc
#endif

/// A hierarchical navigable small-world graph (Malkov & Yashunin, "Efficient and robust approximate
/// nearest neighbor search using HNSW graphs", 2018), over vectors it holds itself.
///
/// Layout, for a search that walks memory in order (as hnswlib does): node n's level-0 record is
/// one fixed-size block at `records + n·recordBytes` — a u32 link count, M₀ u32 links (M₀ = 2M), then
/// the node's d f32 components — so visiting a neighbour touches one contiguous region.
/// Upper-level links per node in `upper[n]` (level l ≥ 1 at `(l − 1)·(1 + M)`: count, then M links).
/// Distances are "smaller is closer": −q·v for cosine (unit vectors) and dot, ‖q − v‖² for L2.
///
/// Not thread-safe for writes; searches through ``Searcher`` may run concurrently with each other.
public final class HNSWGraph: @unchecked Sendable {
  /// Construction and search parameters, named as in the paper.
  public struct Parameters: Sendable, Equatable {
    /// Links per node on levels ≥ 1 (level 0 keeps 2·M).
    public var M: Int = 16
    public var efConstruction: Int = 200
    /// Seed of the level generator.
    public var seed: UInt64 = 42

    public init(M: Int = 16, efConstruction: Int = 200, seed: UInt64 = 42) {
      self.M = M
      self.efConstruction = efConstruction
      self.seed = seed
    }

    /// M₀ = 2M, the level-0 degree bound.
    public var M0: Int { 2 * M }
    /// mL = 1 / ln M, the level normalisation.
    public var mL: Double { 1 / log(Double(M)) }
  }

  public let dimension: Int
  public let metric: Metric
  public let parameters: Parameters
  public private(set) var count = 0
  public private(set) var entryPoint: UInt32 = 0
  public private(set) var maxLevel = -1

  var capacity = 0
  /// Level-0 records, `recordBytes` bytes each.
  var records: UnsafeMutableRawPointer
  /// When the records live in a private, writable map of a graph file: the map to unmap.
  var mapping: (base: UnsafeMutableRawPointer, length: Int)?
  var levels: [UInt8] = []
  var upper: [[UInt32]] = []
  var deleted: [Bool] = []
  var rng: SplitMix64
  private lazy var builder = Searcher(graph: self)

  /// Bytes of a level-0 record: count + M₀ links + d floats.
  let recordBytes: Int
  /// Byte offset of the vector inside a record.
  let vectorOffset: Int
  var upperStride: Int { 1 + parameters.M }

  public init(dimension: Int, metric: Metric, parameters: Parameters = Parameters(), capacity: Int = 1024) {
    self.dimension = dimension
    self.metric = metric
    self.parameters = parameters
    rng = SplitMix64(seed: parameters.seed)
    self.capacity = max(capacity, 16)
    vectorOffset = 4 * (1 + parameters.M0)
    recordBytes = vectorOffset + 4 * dimension
    records = .allocate(byteCount: self.capacity * recordBytes, alignment: 64)
  }

  deinit { releaseRecords() }

  private func releaseRecords() {
    if let mapping {
      munmap(mapping.base, mapping.length)
    } else {
      records.deallocate()
    }
  }

  /// Makes room for `needed` nodes (records move to the heap, out of any file map).
  func grow(to needed: Int) {
    guard needed > capacity else { return }
    let newCapacity = max(needed, capacity * 2)
    let r = UnsafeMutableRawPointer.allocate(byteCount: newCapacity * recordBytes, alignment: 64)
    r.copyMemory(from: records, byteCount: count * recordBytes)
    releaseRecords()
    mapping = nil
    records = r
    capacity = newCapacity
  }

  /// A graph over records already in memory (a file map), for ``open(path:)``.
  init(dimension: Int, metric: Metric, parameters: Parameters, mapped: UnsafeMutableRawPointer, mapLength: Int,
       records: UnsafeMutableRawPointer, count: Int, entryPoint: UInt32, maxLevel: Int, rng: SplitMix64,
       levels: [UInt8], upper: [[UInt32]], deleted: [Bool]) {
    self.dimension = dimension
    self.metric = metric
    self.parameters = parameters
    self.rng = rng
    vectorOffset = 4 * (1 + parameters.M0)
    recordBytes = vectorOffset + 4 * dimension
    self.records = records
    mapping = (mapped, mapLength)
    capacity = count
    self.count = count
    self.entryPoint = entryPoint
    self.maxLevel = maxLevel
    self.levels = levels
    self.upper = upper
    self.deleted = deleted
  }

  @inline(__always)
  func record(_ n: UInt32) -> UnsafeMutablePointer<UInt32> {
    (records + Int(n) &* recordBytes).assumingMemoryBound(to: UInt32.self)
  }

  @inline(__always)
  func vector(_ n: UInt32) -> UnsafeBufferPointer<Float> {
    UnsafeBufferPointer(start: (records + Int(n) &* recordBytes + vectorOffset).assumingMemoryBound(to: Float.self), count: dimension)
  }

  @inline(__always)
  func distance(_ q: UnsafeBufferPointer<Float>, _ n: UInt32) -> Float {
    switch metric {
    case .l2: Kernels.squaredL2(q, vector(n))
    case .cosine, .dot: -Kernels.dot(q, vector(n))
    }
  }

  // MARK: Insert (Algorithm 1)

  /// Inserts `vector` as node `count` and returns its id.
  /// - Precondition: `vector.count == dimension` (cosine: a unit vector).
  @discardableResult
  public func insert(_ vector: UnsafeBufferPointer<Float>) -> UInt32 {
    precondition(vector.count == dimension)
    grow(to: count + 1)
    let q = UInt32(count)
    (records + Int(q) * recordBytes + vectorOffset).assumingMemoryBound(to: Float.self).update(from: vector.baseAddress!, count: dimension)
    record(q)[0] = 0
    let l = min(Int(-log(max(rng.nextUnit(), 1e-300)) * parameters.mL), 31)
    levels.append(UInt8(l))
    upper.append([UInt32](repeating: 0, count: l * upperStride))
    deleted.append(false)
    count += 1
    if maxLevel < 0 {
      entryPoint = q
      maxLevel = l
      return q
    }
    let qv = self.vector(q)
    var ep = entryPoint
    var epDistance = distance(qv, ep)
    if maxLevel > l {
      for level in stride(from: maxLevel, to: l, by: -1) {
        (ep, epDistance) = greedyClosest(qv, from: ep, distance: epDistance, level: level)
      }
    }
    for level in stride(from: min(maxLevel, l), through: 0, by: -1) {
      let candidates = builder.searchLayer(qv, entry: (epDistance, ep), ef: parameters.efConstruction, level: level)
      let bound = level == 0 ? parameters.M0 : parameters.M
      let neighbours = selectNeighbours(candidates, count: parameters.M)
      setLinks(q, level, neighbours.map(\.node))
      for e in neighbours { addLink(from: e.node, to: q, distance: e.distance, level: level, bound: bound) }
      ep = candidates[0].node
      epDistance = candidates[0].distance
    }
    if l > maxLevel {
      maxLevel = l
      entryPoint = q
    }
    return q
  }

  /// Greedy descent on one level (SEARCH-LAYER with ef = 1).
  func greedyClosest(_ q: UnsafeBufferPointer<Float>, from start: UInt32, distance d0: Float, level: Int) -> (UInt32, Float) {
    var current = start
    var best = d0
    var changed = true
    while changed {
      changed = false
      forEachLink(current, level) { n in
        let d = distance(q, n)
        if d < best { best = d; current = n; changed = true }
      }
    }
    return (current, best)
  }

  @inline(__always)
  public func forEachLink(_ n: UInt32, _ level: Int, _ body: (UInt32) -> Void) {
    if level == 0 {
      let links = record(n)
      let c = Int(links[0])
      for i in 0..<c { body(links[1 + i]) }
    } else {
      upper[Int(n)].withUnsafeBufferPointer { u in
        let base = (level - 1) * upperStride
        let c = Int(u[base])
        for i in 0..<c { body(u[base + 1 + i]) }
      }
    }
  }

  private func setLinks(_ n: UInt32, _ level: Int, _ ids: [UInt32]) {
    if level == 0 {
      let links = record(n)
      links[0] = UInt32(ids.count)
      for (i, id) in ids.enumerated() { links[1 + i] = id }
    } else {
      let base = (level - 1) * upperStride
      upper[Int(n)][base] = UInt32(ids.count)
      for (i, id) in ids.enumerated() { upper[Int(n)][base + 1 + i] = id }
    }
  }

  private func currentLinks(_ n: UInt32, _ level: Int) -> [UInt32] {
    var out: [UInt32] = []
    forEachLink(n, level) { out.append($0) }
    return out
  }

  /// Adds q to e's links; over the bound, e's links are re-chosen by the heuristic.
  private func addLink(from e: UInt32, to q: UInt32, distance: Float, level: Int, bound: Int) {
    var existing = currentLinks(e, level)
    if existing.count < bound {
      existing.append(q)
      setLinks(e, level, existing)
      return
    }
    let ev = vector(e)
    var candidates = existing.map { (distance: self.distance(ev, $0), node: $0) }
    candidates.append((distance, q))
    candidates.sort { $0.distance < $1.distance }
    setLinks(e, level, selectNeighbours(candidates, count: bound).map(\.node))
  }

  // MARK: Neighbour selection (Algorithm 4, the heuristic)

  /// Keeps a candidate only if it is closer to the base than to every neighbour already kept, so
  /// that links spread in different directions. `candidates` must be sorted by distance.
  func selectNeighbours(_ candidates: [(distance: Float, node: UInt32)], count m: Int) -> [(distance: Float, node: UInt32)] {
    guard candidates.count > m else { return candidates }
    var kept: [(distance: Float, node: UInt32)] = []
    kept.reserveCapacity(m)
    for c in candidates {
      let cv = vector(c.node)
      var good = true
      for r in kept where distance(cv, r.node) < c.distance {
        good = false
        break
      }
      if good {
        kept.append(c)
        if kept.count == m { break }
      }
    }
    return kept
  }

  // MARK: Delete

  /// Marks node `n` deleted: searches walk through it but never return it.
  public func markDeleted(_ n: UInt32) { deleted[Int(n)] = true }

  public func isDeleted(_ n: UInt32) -> Bool { deleted[Int(n)] }

  // MARK: Search (Algorithms 2 and 5)

  /// Per-thread search state: visited stamps and heaps, reused across searches. Its buffers are
  /// raw memory so that the hot loop pays no exclusivity or bounds checks.
  public final class Searcher {
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
      let lines = min(8, (g.dimension * 4 + 63) / 64)
      let fresh = self.fresh
      while candidates.count > 0 {
        let c = candidates.pop()
        if c.distance > results.topDistance && results.count >= ef { break }
        // Collect the unvisited neighbours and prefetch their records, then score them: the loads
        // overlap instead of each distance waiting for its own cache misses.
        var n = 0
        g.forEachLink(c.node, level) { e in
          guard visited[Int(e)] != stamp else { return }
          visited[Int(e)] = stamp
          quiver_prefetch(g.vector(e).baseAddress!, Int32(lines))
          fresh[n] = e
          n += 1
        }
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
      return results.drainAscending()
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

/// A binary heap of (distance, node) in raw memory: min- or max-ordered by distance.
struct RawHeap {
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

  func deallocate() {
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

  var topDistance: Float { distances[0] }

  @inline(__always)
  private func above(_ a: Float, _ b: Float) -> Bool { maxOnTop ? a > b : a < b }

  @inline(__always)
  mutating func push(_ distance: Float, _ node: UInt32) {
    if count == capacity { reserve(capacity * 2) }
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

  @inline(__always)
  @discardableResult
  mutating func pop() -> (distance: Float, node: UInt32) {
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

  /// Empties a max-heap into an array sorted by increasing distance.
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

