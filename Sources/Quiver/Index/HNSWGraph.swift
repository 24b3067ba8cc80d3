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
/// the node's vector — so visiting a neighbour touches one contiguous region. The vector is d f32
/// components, or with the int8 walk (``HNSWWalkEncoding``) a scale and d int8 codes, the f32
/// vectors then living in a separate array (`exact`) that construction and the final re-rank read.
/// Upper-level links of all nodes in one buffer, in node order: node n's level l ≥ 1 list at
/// `upperStart[n] + (l − 1)·(1 + M)` (count, then M links).
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

  var capacity = 0
  /// Level-0 records, `recordBytes` bytes each.
  var records: UnsafeMutableRawPointer
  /// With the int8 walk: the f32 vectors, `dimension` floats per node (heap, or inside the file map).
  var exact: UnsafeMutablePointer<Float>?
  /// When the records live in a private, writable map of a graph file: the map to unmap.
  var mapping: (base: UnsafeMutableRawPointer, length: Int)?
  var levels: [UInt8] = []
  /// Upper-level link lists, `upperUsed` of `upperCapacity` u32 slots in use.
  var upperLinks: UnsafeMutablePointer<UInt32>
  var upperCapacity: Int
  var upperUsed = 0
  /// Where node n's upper lists start in `upperLinks`.
  var upperStart: [Int] = []
  var deleted: [Bool] = []
  /// Per-node link locks, present only while several threads insert.
  var linkLocks: LinkLocks?
  var rng: SplitMix64
  private lazy var builder = Searcher(graph: self)

  /// Bytes of a level-0 record: count + M₀ links + the vector in the walk's encoding.
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
    recordBytes = vectorOffset + parameters.walk.recordVectorBytes(dimension: dimension)
    records = .allocate(byteCount: self.capacity * recordBytes, alignment: 64)
    if parameters.walk == .int8 { exact = .allocate(capacity: self.capacity * dimension) }
    upperCapacity = 1024
    upperLinks = .allocate(capacity: upperCapacity)
  }

  deinit {
    releaseRecords()
    upperLinks.deallocate()
  }

  private func releaseRecords() {
    if let mapping {
      munmap(mapping.base, mapping.length)
    } else {
      records.deallocate()
      exact?.deallocate()
    }
  }

  /// Makes room for `needed` nodes (records move to the heap, out of any file map).
  func grow(to needed: Int) {
    guard needed > capacity else { return }
    let newCapacity = max(needed, capacity * 2)
    let r = UnsafeMutableRawPointer.allocate(byteCount: newCapacity * recordBytes, alignment: 64)
    r.copyMemory(from: records, byteCount: count * recordBytes)
    var e: UnsafeMutablePointer<Float>?
    if let exact {
      e = .allocate(capacity: newCapacity * dimension)
      e!.update(from: exact, count: count * dimension)
    }
    releaseRecords()
    mapping = nil
    records = r
    exact = e
    capacity = newCapacity
  }

  /// A graph over records already in memory (a file map), for ``open(path:)``.
  init(dimension: Int, metric: Metric, parameters: Parameters, mapped: UnsafeMutableRawPointer, mapLength: Int,
       records: UnsafeMutableRawPointer, exact: UnsafeMutablePointer<Float>?, count: Int, entryPoint: UInt32, maxLevel: Int, rng: SplitMix64,
       levels: [UInt8], upperLinks: UnsafeMutablePointer<UInt32>, upperUsed: Int, deleted: [Bool]) {
    self.dimension = dimension
    self.metric = metric
    self.parameters = parameters
    self.rng = rng
    vectorOffset = 4 * (1 + parameters.M0)
    recordBytes = vectorOffset + parameters.walk.recordVectorBytes(dimension: dimension)
    self.records = records
    self.exact = exact
    mapping = (mapped, mapLength)
    capacity = count
    self.count = count
    self.entryPoint = entryPoint
    self.maxLevel = maxLevel
    self.levels = levels
    self.upperLinks = upperLinks
    self.upperUsed = upperUsed
    upperCapacity = max(upperUsed, 1)
    var start = 0
    upperStart.reserveCapacity(count)
    for l in levels {
      upperStart.append(start)
      start += Int(l) * (1 + parameters.M)
    }
    self.deleted = deleted
  }

  /// Makes room for `extra` more u32 slots of upper-level links.
  func reserveUpper(_ extra: Int) {
    guard upperUsed + extra > upperCapacity else { return }
    let newCapacity = max(upperUsed + extra, upperCapacity * 2)
    let u = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
    u.update(from: upperLinks, count: upperUsed)
    upperLinks.deallocate()
    upperLinks = u
    upperCapacity = newCapacity
  }

  /// Appends node bookkeeping for a node of level `l` whose vector is already stored: its empty
  /// level-0 list, level, empty upper lists and live flag.
  func appendNode(level l: Int) {
    record(UInt32(levels.count))[0] = 0
    levels.append(UInt8(l))
    reserveUpper(l * upperStride)
    upperStart.append(upperUsed)
    (upperLinks + upperUsed).initialize(repeating: 0, count: l * upperStride)
    upperUsed += l * upperStride
    deleted.append(false)
  }

  /// A level drawn as in the paper: ⌊−ln(U)·mL⌋, capped at 31.
  func drawLevel() -> Int { min(Int(-log(max(rng.nextUnit(), 1e-300)) * parameters.mL), 31) }

  @inline(__always)
  func record(_ n: UInt32) -> UnsafeMutablePointer<UInt32> {
    (records + Int(n) &* recordBytes).assumingMemoryBound(to: UInt32.self)
  }

  /// Node n's f32 vector (inside its record, or in `exact` with the int8 walk).
  @inline(__always)
  func vector(_ n: UInt32) -> UnsafeBufferPointer<Float> {
    if let exact { return UnsafeBufferPointer(start: exact + Int(n) &* dimension, count: dimension) }
    return UnsafeBufferPointer(start: (records + Int(n) &* recordBytes + vectorOffset).assumingMemoryBound(to: Float.self), count: dimension)
  }

  /// Where node n's walk vector starts (for prefetching).
  @inline(__always)
  func walkVector(_ n: UInt32) -> UnsafeRawPointer { UnsafeRawPointer(records + Int(n) &* recordBytes + vectorOffset) }

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
      return Kernels.dot(q, q) - 2 * scale * Kernels.dotInt8(q, codes) + scale * scale * Kernels.int8Dot(codes, scaleA: 1, codes, scaleB: 1)
    case .cosine, .dot: return -scale * Kernels.dotInt8(q, codes)
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
    let p = records + Int(n) * recordBytes + vectorOffset
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
    link(q, level: l, entryPoint: entryPoint, maxLevel: maxLevel, searcher: builder)
    if l > maxLevel {
      maxLevel = l
      entryPoint = q
    }
    return q
  }

  /// Algorithm 1 for a node whose vector and bookkeeping are in place: descends from the entry
  /// point to level l, then links q on levels min(l, maxLevel)…0. With `linkLocks` set, every read
  /// and write of a link list holds that node's lock.
  func link(_ q: UInt32, level l: Int, entryPoint: UInt32, maxLevel: Int, searcher: Searcher) {
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
      let candidates = searcher.searchLayer(qv, entry: (epDistance, ep), ef: parameters.efConstruction, level: level)
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

  @inline(__always)
  public func forEachLink(_ n: UInt32, _ level: Int, _ body: (UInt32) -> Void) {
    if level == 0 {
      let links = record(n)
      let c = Int(links[0])
      for i in 0..<c { body(links[1 + i]) }
    } else {
      let u = upperLinks + upperStart[Int(n)] + (level - 1) * upperStride
      let c = Int(u[0])
      for i in 0..<c { body(u[1 + i]) }
    }
  }

  private func setLinks(_ n: UInt32, _ level: Int, _ ids: [UInt32]) {
    if level == 0 {
      let links = record(n)
      links[0] = UInt32(ids.count)
      for (i, id) in ids.enumerated() { links[1 + i] = id }
    } else {
      let u = upperLinks + upperStart[Int(n)] + (level - 1) * upperStride
      u[0] = UInt32(ids.count)
      for (i, id) in ids.enumerated() { u[1 + i] = id }
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
}
