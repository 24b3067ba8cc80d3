import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

extension Space {
  /// Where the space's graph lives: `<store>/space.<n>.hnsw` (`docs/hnsw-format.md`).
  public var graphPath: String { store.path + "/space.\(number).hnsw" }

  /// HNSW parameters of every space (M = 16, efConstruction = 200).
  public static let graphParameters = HNSWGraph.Parameters(M: 16, efConstruction: 200)

  /// Opens, builds or catches up the graph so that it covers every committed row, saving the file
  /// when it changed; returns how many rows were inserted. The graph is derived data: it is
  /// checked against LMDB at open (node count ≤ rows, same dimension and metric), extended with
  /// the rows committed since it was written, and rebuilt when it does not match.
  @discardableResult
  public func updateGraph() throws -> Int {
    try graphState.withLock { state in try sync(&state).inserted }
  }

  func graphCandidates(_ q: [Float], ef: Int) throws -> [(row: UInt64, score: Float)] {
    try graphState.withLock { state in
      let graph = try sync(&state).graph
      let searcher = HNSWGraph.Searcher(graph: graph)
      return q.withUnsafeBufferPointer { qp in
        searcher.candidates(qp, ef: ef).filter { !graph.isDeleted($0.node) }.map { (UInt64($0.node), -$0.distance) }
      }
    }
  }

  /// Removes the graph file (after compaction renumbered the rows).
  func dropGraph() {
    graphState.withLock { $0 = nil }
    unlink(graphPath)
  }

  private func sync(_ state: inout HNSWGraph?) throws -> (graph: HNSWGraph, inserted: Int) {
    let d = dimension
    let graphMetric: Metric = metric
    let rowCount: UInt64 = try store.env.read { txn in
      guard let record = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      return record.rowCount
    }
    var graph: HNSWGraph
    if let current = state {
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
      pending.withUnsafeBufferPointer { p in
        for r in 0..<Int(rowCount - first) { graph.insert(UnsafeBufferPointer(rebasing: p[(r * d)..<((r + 1) * d)])) }
      }
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
    if inserted > 0 || changedDeletes || state == nil && !fileExists(graphPath) {
      try graph.write(to: graphPath)
    }
    state = graph
    return (graph, inserted)
  }

  private func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
