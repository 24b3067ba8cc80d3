import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

extension Space {
  /// Where the space's graph lives: `<store>/space.<n>.hnsw` (`docs/hnsw-format.md`).
  public var graphPath: String { store.path + "/space.\(number).hnsw" }

  /// HNSW parameters of every space: M = 16, efConstruction = 200, and the int8 walk with an exact
  /// re-rank (docs/ann.md: faster than the f32 walk at equal recall on both benchmark sets).
  public static let graphParameters = HNSWGraph.Parameters(M: 16, efConstruction: 200, walk: .int8)

  /// Threads that insert rows into a graph: the machine's cores, at most 8.
  static let graphThreads = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

  /// Opens, builds or catches up the graph so that it covers every committed row, saving the file
  /// when it changed; returns how many rows were inserted. The graph is derived data: it is
  /// checked against LMDB at open (node count ≤ rows, same dimension and metric), extended with
  /// the rows committed since it was written, and rebuilt when it does not match.
  @discardableResult
  public func updateGraph() throws -> Int { try syncGraph(persist: true).inserted }

  /// ``sync(_:persist:)`` of the space's graph under its exclusive lock.
  @discardableResult
  func syncGraph(persist: Bool) throws -> (graph: HNSWGraph, inserted: Int) {
    try graphHolder.lock.exclusive { try sync(&graphHolder.state, persist: persist) }
  }

  /// The graph's candidates for q (live nodes, best first), under the read lock when the graph is
  /// in step with the space record, else after a sync under the write lock.
  func graphCandidates(_ q: [Float], ef: Int) throws -> [(row: UInt64, score: Float)] {
    let counts = try recordCounts()
    let holder = graphHolder
    func search(_ graph: HNSWGraph) -> [(row: UInt64, score: Float)] {
      let searcher = holder.searcher(for: graph)
      defer { holder.recycle(searcher) }
      return q.withUnsafeBufferPointer { qp in
        searcher.candidates(qp, ef: ef).filter { !graph.isDeleted($0.node) }.map { (UInt64($0.node), -$0.distance) }
      }
    }
    let fresh: [(row: UInt64, score: Float)]? = holder.lock.shared {
      guard let graph = holder.state.graph, holder.state.syncedRows == counts.rows, holder.state.syncedLive == counts.live else {
        return nil
      }
      return search(graph)
    }
    if let fresh { return fresh }
    return try holder.lock.exclusive { search(try sync(&holder.state, persist: true).graph) }
  }

  /// The space record's row and live counts.
  private func recordCounts() throws -> (rows: UInt64, live: UInt64) {
    try store.env.read { txn in
      guard let record = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      return (record.rowCount, record.liveCount)
    }
  }

  /// The graph's node count and walk encoding, bringing it up to date first.
  public func graphInfo() throws -> (nodes: Int, walk: HNSWWalkEncoding) {
    try graphHolder.lock.exclusive {
      let graph = try sync(&graphHolder.state, persist: true).graph
      return (graph.count, graph.parameters.walk)
    }
  }

  /// Removes the graph file (after compaction renumbered the rows).
  func dropGraph() {
    graphHolder.lock.exclusive {
      graphHolder.reset()
      unlink(graphPath)
    }
  }

  /// Brings `state` up to date with LMDB; with `persist`, writes the graph file if memory is
  /// ahead of it (otherwise only marks it unsaved, for a later persisting call). Call under
  /// `graphHolder`'s write lock.
  func sync(_ state: inout GraphState, persist: Bool) throws -> (graph: HNSWGraph, inserted: Int) {
    let d = dimension
    let graphMetric: Metric = metric
    let (rowCount, liveCount) = try recordCounts()
    if let current = state.graph, state.syncedRows == rowCount, state.syncedLive == liveCount {
      if persist && state.unsaved {
        try current.write(to: graphPath)
        state.unsaved = false
      }
      return (current, 0)
    }
    var graph: HNSWGraph
    if let current = state.graph {
      graph = current
    } else if let opened = try? HNSWGraph.open(path: graphPath), opened.dimension == d, opened.metric == graphMetric,
      UInt64(opened.count) <= rowCount
    {
      graph = opened
    } else {
      graph = HNSWGraph(dimension: d, metric: graphMetric, parameters: Self.graphParameters, capacity: Int(rowCount))
    }
    if UInt64(graph.count) > rowCount {  // rows vanished (compaction elsewhere): rebuild
      graph = HNSWGraph(dimension: d, metric: graphMetric, parameters: Self.graphParameters, capacity: Int(rowCount))
    }
    let first = UInt64(graph.count)
    if first < rowCount {
      // Copy the missing rows out of the map (as f32), then insert them outside the transaction.
      let rowBytes = elementType.rowBytes(dimension: d)
      var pending: [Float] = []
      pending.reserveCapacity(Int(rowCount - first) * d)
      try store.env.read { txn in
        var row = first
        while row < rowCount {
          let chunk = row / UInt64(Self.rowsPerChunk)
          guard let value = try txn.get(vectors, key: BigEndianKey(chunk)) else { throw StoreError.corruptRecord("chunk \(chunk) missing") }
          let inChunk = value.count / rowBytes
          var i = Int(row % UInt64(Self.rowsPerChunk))
          while i < inChunk && row < rowCount {
            let base = value.baseAddress! + i * rowBytes
            if elementType == .int8 {
              let scale = base.loadUnaligned(as: Float.self)
              for j in 0..<d { pending.append(scale * Float(base.load(fromByteOffset: 4 + j, as: Int8.self))) }
            } else {
              for j in 0..<d { pending.append(base.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)) }
            }
            i += 1
            row += 1
          }
        }
      }
      pending.withUnsafeBufferPointer { p in graph.insert(contentsOf: p, threads: Self.graphThreads) }
    }
    // Tombstones: every dead row is deleted in the graph too.
    var changedDeletes = false
    try store.env.read { txn in
      try txn.withCursor(dead) { cursor in
        try cursor.forEach { entry in
          guard let chunk = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("chunk key") }
          for i in 0..<(entry.value.count * 8) where entry.value[i / 8] & (1 << UInt8(i % 8)) != 0 {
            let row = chunk * UInt64(Self.rowsPerChunk) + UInt64(i)
            if row < UInt64(graph.count), !graph.isDeleted(UInt32(row)) {
              graph.markDeleted(UInt32(row))
              changedDeletes = true
            }
          }
          return true
        }
      }
    }
    let inserted = Int(rowCount - first)
    if inserted > 0 || changedDeletes || state.graph == nil && !fileExists(graphPath) { state.unsaved = true }
    if state.graph !== graph { graphHolder.clearPool() }
    state.graph = graph
    state.syncedRows = rowCount
    state.syncedLive = liveCount
    if persist && state.unsaved {
      try graph.write(to: graphPath)
      state.unsaved = false
    }
    return (graph, inserted)
  }

  func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}

