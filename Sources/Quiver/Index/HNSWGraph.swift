import CPrefetch
import QuiverKernels
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A hierarchical navigable small-world graph (Malkov & Yashunin, "Efficient and robust approximate
/// nearest neighbor search using HNSW graphs", 2018), over vectors it holds itself.
///
/// Layout (``HNSWNodeStorage``, the one handle over the graph's raw memory), for a search that
/// walks memory in order as hnswlib does: node n's level-0 record is one fixed-size block — a u32
/// link count, M₀ u32 links (M₀ = 2M), then the node's vector — so visiting a neighbour touches one
/// contiguous region. The vector is d f32 components, or with the int8 walk (``HNSWWalkEncoding``)
/// a scale and d int8 codes, the f32 vectors then living beside the records, where construction
/// and the final re-rank read them. Upper-level links of all nodes in one buffer, in node order.
/// Distances are "smaller is closer": −q·v for cosine (unit vectors) and dot, ‖q − v‖² for L2.
///
/// Not thread-safe for writes, except inside ``insert(contentsOf:threads:)``, which inserts with
/// several threads under per-node link locks; searches through ``Searcher`` may run concurrently
/// with each other.
public final class HNSWGraph: @unchecked Sendable {
  /// Construction and search parameters, named as in the paper.
  public struct Parameters: Sendable, Equatable {
    /// Links per node on levels ≥ 1 (level 0 keeps 2·M).
    public var M: Int = 16
    public var efConstruction: Int = 200
    /// Seed of the level generator.
    public var seed: UInt64 = 42
    /// The vectors inside the level-0 records: f32, or int8 with an exact re-rank.
    public var walk: HNSWWalkEncoding = .float32

    public init(M: Int = 16, efConstruction: Int = 200, seed: UInt64 = 42, walk: HNSWWalkEncoding = .float32) {
      self.M = M
      self.efConstruction = efConstruction
      self.seed = seed
      self.walk = walk
    }

    /// M₀ = 2M, the level-0 degree bound.
    public var M0: Int { 2 * M }
    /// mL = 1 / ln M, the level normalisation.
    public var mL: Double { 1 / log(Double(M)) }
  }

  public let dimension: Int
  public let metric: Metric
  public let parameters: Parameters
  public internal(set) var count = 0
  public internal(set) var entryPoint: UInt32 = 0
  public internal(set) var maxLevel = -1
  /// What the node numbers refer to, recorded in the file: a store sets its space's compaction
  /// generation, so that a graph of rows renumbered since is never used (0: unrecorded).
  public var layout: UInt64 = 0

  /// Every raw buffer of the graph (records, f32 vectors, upper lists), in one handle.
  var storage: HNSWNodeStorage
  var levels: [UInt8] = []
  var deleted: [Bool] = []
  /// Per-node link locks, present only while several threads insert.
  var linkLocks: LinkLocks?
  var rng: SplitMix64
  /// The search buffers of serial inserts.
  private var builder: SearchScratch
  /// Set when a search met a link that cannot be right (out of range, or a list longer than its
  /// bound): the graph came from a damaged file. The link is not followed; the store rebuilds.
  private let damage = Atomic<Bool>(false)

  var capacity: Int { storage.capacity }
  var recordBytes: Int { storage.recordBytes }
  var vectorOffset: Int { storage.vectorOffset }
  var exact: UnsafeMutablePointer<Float>? { storage.exact }
  var upperStride: Int { storage.upperStride }

  public init(dimension: Int, metric: Metric, parameters: Parameters = Parameters(), capacity: Int = 1024) {
    precondition(dimension > 0 && parameters.M > 1, "HNSW needs dimension > 0 and M > 1")
    self.dimension = dimension
    self.metric = metric
    self.parameters = parameters
    rng = SplitMix64(seed: parameters.seed)
    storage = HNSWNodeStorage(dimension: dimension, M: parameters.M, walk: parameters.walk, capacity: capacity)
    builder = SearchScratch(nodes: capacity, parameters: parameters)
  }

  /// A graph over storage read from a file, for ``open(path:)``.
  init(metric: Metric, parameters: Parameters, storage: consuming HNSWNodeStorage, count: Int, entryPoint: UInt32,
       maxLevel: Int, rng: SplitMix64, levels: [UInt8], deleted: [Bool]) {
    dimension = storage.dimension
    self.metric = metric
    self.parameters = parameters
    self.rng = rng
    self.count = count
    self.entryPoint = entryPoint
    self.maxLevel = maxLevel
    self.levels = levels
    self.deleted = deleted
    builder = SearchScratch(nodes: count, parameters: parameters)
    self.storage = storage
  }

  /// Makes room for `needed` nodes (records move to the heap, out of any file map).
  func grow(to needed: Int) { storage.grow(to: needed, keeping: count) }

  /// Appends node bookkeeping for a node of level `l` whose vector is already stored: its empty
  /// level-0 list, level, empty upper lists and live flag.
  func appendNode(level l: Int) {
    record(UInt32(levels.count))[0] = 0
    levels.append(UInt8(l))
    storage.appendUpperLists(level: l)
    deleted.append(false)
  }

  /// Whether a search met a damaged link (see ``checkInvariants()``); such a graph must be rebuilt.
  public var foundDamagedLink: Bool { damage.load(ordering: .relaxed) }

  /// Every structural invariant, checked over the whole graph: each list's count within its bound
  /// (M₀ on level 0, M above), every link to an existing node other than itself, upper lists only
  /// up to the node's level, the entry point an existing node on the top level, and one level and
  /// one live flag per node.
  /// - Returns: the problems found (empty for a sound graph). O(nodes · M₀).
  public func checkInvariants() -> [String] {
    var problems: [String] = []
    func note(_ p: String) { if problems.count < 20 { problems.append(p) } }
    if levels.count != count || deleted.count != count { note("\(levels.count) levels, \(deleted.count) flags for \(count) nodes") }
    if count > 0 {
      if Int(entryPoint) >= count { note("entry point \(entryPoint) of \(count) nodes") }
      else if Int(levels[Int(entryPoint)]) != maxLevel { note("entry point on level \(levels[Int(entryPoint)]), top level \(maxLevel)") }
      if levels.contains(where: { Int($0) > maxLevel }) { note("a node above the top level \(maxLevel)") }
    }
    for n in 0..<min(count, levels.count) {
      for level in 0...Int(levels[n]) {
        let list = level == 0 ? storage.record(UInt32(n)) : storage.upperList(UInt32(n), level)
        let c = Int(list[0])
        let bound = level == 0 ? parameters.M0 : parameters.M
        guard c <= bound else { note("node \(n) level \(level): \(c) links, bound \(bound)"); continue }
        for i in 0..<c {
          let e = Int(list[1 + i])
          if e >= count { note("node \(n) level \(level): link to \(e) of \(count) nodes") }
          else if e == n { note("node \(n) level \(level): self-link") }
          else if Int(levels[e]) < level { note("node \(n) level \(level): link to \(e), which has no level \(level)") }
        }
      }
    }
    return problems
  }

  /// A level drawn as in the paper: ⌊−ln(U)·mL⌋, capped at 31.
  func drawLevel() -> Int { min(Int(-log(max(rng.nextUnit(), 1e-300)) * parameters.mL), 31) }

  @inline(__always)
  func record(_ n: UInt32) -> UnsafeMutablePointer<UInt32> { storage.record(n) }

  /// Node n's f32 vector (inside its record, or beside the records with the int8 walk).
  @inline(__always)
  func vector(_ n: UInt32) -> UnsafeBufferPointer<Float> { storage.vector(n) }

  /// Where node n's walk vector starts (for prefetching).
  @inline(__always)
  func walkVector(_ n: UInt32) -> UnsafeRawPointer { UnsafeRawPointer(storage.walkVector(n)) }

  /// The distance a walk uses: exact with the f32 walk; with the int8 walk, the f32 query against
  /// node n's codes (x ≈ scale·c).
  @inline(__always)
  func distance(_ q: UnsafeBufferPointer<Float>, _ n: UInt32) -> Float {
    guard exact != nil else { return exactDistance(q, n) }
    let p = walkVector(n)
    let scale = p.load(as: Float.self)
    let codes = UnsafeBufferPointer(start: (p + 4).assumingMemoryBound(to: Int8.self), count: dimension)
    switch metric {
    case .l2:
      // ‖q − s·c‖² = ‖q‖² − 2s·q·c + s²‖c‖², with ‖c‖² read from the codes themselves.
      return Kernels.dot(q, q) - 2 * scale * Kernels.dotFloatInt8(q, codes) + scale * scale * Kernels.dotScaledInt8(codes, scaleA: 1, codes, scaleB: 1)
    case .cosine, .dot: return -scale * Kernels.dotFloatInt8(q, codes)
    }
  }

  /// The exact distance between q and node n's f32 vector.
  @inline(__always)
  func exactDistance(_ q: UnsafeBufferPointer<Float>, _ n: UInt32) -> Float {
    switch metric {
    case .l2: Kernels.squaredL2(q, vector(n))
    case .cosine, .dot: -Kernels.dot(q, vector(n))
    }
  }

  /// Stores v as node n's vector: f32 into the record, or f32 into `exact` and scale + codes into
  /// the record (``Int8Quantizer``, as int8 spaces store rows).
  func store(_ v: UnsafeBufferPointer<Float>, at n: UInt32) {
    precondition(v.count == dimension, "vector of \(v.count) components, graph dimension \(dimension)")
    let p = storage.walkVector(n)
    guard let exact else {
      p.assumingMemoryBound(to: Float.self).update(from: v.baseAddress!, count: dimension)
      return
    }
    (exact + Int(n) * dimension).update(from: v.baseAddress!, count: dimension)
    p.storeBytes(of: Int8Quantizer.quantize(v, into: (p + 4).assumingMemoryBound(to: Int8.self)), as: Float.self)
  }

  // MARK: Insert (Algorithm 1)

  /// Inserts `vector` as node `count` and returns its id.
  /// - Precondition: `vector.count == dimension` (cosine: a unit vector).
  @discardableResult
  public func insert(_ vector: UnsafeBufferPointer<Float>) -> UInt32 {
    precondition(vector.count == dimension)
    grow(to: count + 1)
    let q = UInt32(count)
    store(vector, at: q)
    let l = drawLevel()
    appendNode(level: l)
    count += 1
    if maxLevel < 0 {
      entryPoint = q
      maxLevel = l
      return q
    }
    link(q, level: l, entryPoint: entryPoint, maxLevel: maxLevel, scratch: &builder)
    if l > maxLevel {
      maxLevel = l
      entryPoint = q
    }
    return q
  }

  /// Algorithm 1 for a node whose vector and bookkeeping are in place: descends from the entry
  /// point to level l, then links q on levels min(l, maxLevel)…0. With `linkLocks` set, every read
  /// and write of a link list holds that node's lock.
  func link(_ q: UInt32, level l: Int, entryPoint: UInt32, maxLevel: Int, scratch: inout SearchScratch) {
    let qv = self.vector(q)
    var ep = entryPoint
    var epDistance = distance(qv, ep)
    if maxLevel > l {
      for level in stride(from: maxLevel, to: l, by: -1) {
        (ep, epDistance) = greedyClosest(qv, from: ep, distance: epDistance, level: level)
      }
    }
    // q's own lists are all written before any node links back to it: q is unreachable until
    // then, so no other inserting thread can start from one of its still-empty lists (the reverse
    // links of level L do not change the search of level L − 1, so a serial build is unchanged).
    var chosen: [(level: Int, neighbours: [(distance: Float, node: UInt32)])] = []
    for level in stride(from: min(maxLevel, l), through: 0, by: -1) {
      let candidates = scratch.searchLayer(self, qv, entry: (epDistance, ep), ef: parameters.efConstruction, level: level)
      let neighbours = selectNeighbours(candidates, count: parameters.M)
      linkLocks?.lock(q)
      setLinks(q, level, neighbours.map(\.node))
      linkLocks?.unlock(q)
      chosen.append((level, neighbours))
      ep = candidates[0].node
      epDistance = candidates[0].distance
    }
    for (level, neighbours) in chosen {
      let bound = level == 0 ? parameters.M0 : parameters.M
      for e in neighbours where e.node != q {
        linkLocks?.lock(e.node)
        addLink(from: e.node, to: q, distance: e.distance, level: level, bound: bound)
        linkLocks?.unlock(e.node)
      }
    }
  }

  /// Greedy descent on one level (SEARCH-LAYER with ef = 1).
  func greedyClosest(_ q: UnsafeBufferPointer<Float>, from start: UInt32, distance d0: Float, level: Int) -> (UInt32, Float) {
    var current = start
    var best = d0
    var changed = true
    while changed {
      changed = false
      let node = current
      linkLocks?.lock(node)
      forEachLink(node, level) { n in
        let d = distance(q, n)
        if d < best { best = d; current = n; changed = true }
      }
      linkLocks?.unlock(node)
    }
    return (current, best)
  }

  /// Calls `body` with each link of node n on `level`. A list that cannot be right (more links
  /// than its bound, or a link past the last node — only a damaged graph file has one) is not
  /// followed beyond that point, and ``foundDamagedLink`` is set.
  @inline(__always)
  public func forEachLink(_ n: UInt32, _ level: Int, _ body: (UInt32) -> Void) {
    let list = level == 0 ? storage.record(n) : storage.upperList(n, level)
    let c = Int(list[0])
    guard c <= (level == 0 ? parameters.M0 : parameters.M) else {
      damage.store(true, ordering: .relaxed)
      return
    }
    let nodes = UInt32(truncatingIfNeeded: count)
    for i in 0..<c {
      let e = list[1 + i]
      guard e < nodes else {
        damage.store(true, ordering: .relaxed)
        return
      }
      body(e)
    }
  }

  func setLinks(_ n: UInt32, _ level: Int, _ ids: [UInt32]) {
    let list = level == 0 ? storage.record(n) : storage.upperList(n, level)
    assert(ids.count <= (level == 0 ? parameters.M0 : parameters.M), "link list over its bound")
    list[0] = UInt32(ids.count)
    for (i, id) in ids.enumerated() { list[1 + i] = id }
  }

  func currentLinks(_ n: UInt32, _ level: Int) -> [UInt32] {
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
}
