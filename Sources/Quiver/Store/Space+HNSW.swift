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

  /// ``sync(persist:)`` under the graph's exclusive lock.
  @discardableResult
  func syncGraph(persist: Bool) throws -> (graph: HNSWGraph, inserted: Int) {
    try graphLock.exclusive { try sync(persist: persist) }
  }

  /// The graph's candidates for q, best first: live rows only, and with `allowed` only rows of
  /// those documents — tested inside the walk, which passes through the others
  /// (``HNSWGraph/Searcher/filteredCandidates(_:ef:filter:visitLimit:)``). nil when the walk gave
  /// up (it scored more than `visitLimit` nodes) or found fewer than `needed` rows: the caller then
  /// scans exactly. Searched under the read lock when the graph is in step with the space record,
  /// else after a sync under the write lock. A graph whose search met a damaged link (a damaged
  /// file) is rebuilt from LMDB and searched again.
  func graphCandidates(_ q: [Float], ef: Int, needed: Int, allowed: DocumentSet?, visitLimit: Int) throws -> [(row: UInt64, score: Float)]? {
    let counts = try recordCounts()
    // nil: damaged graph; .some(nil): the walk gave up.
    func search(_ graph: HNSWGraph) -> [(row: UInt64, score: Float)]?? {
      let searcher = searchers.searcher(for: graph)
      defer { searchers.recycle(searcher) }
      let found: [(distance: Float, node: UInt32)]? = q.withUnsafeBufferPointer { qp in
        if let allowed {
          return searcher.filteredCandidates(qp, ef: ef, filter: RowAllowance(rowDocuments: graphState.rowDocuments, documents: allowed),
                                             visitLimit: visitLimit)
        }
        if graphState.syncedLive == graphState.syncedRows { return searcher.candidates(qp, ef: ef) }
        return searcher.filteredCandidates(qp, ef: ef, filter: AllNodes(), visitLimit: visitLimit)
      }
      guard !graph.foundDamagedLink else { return nil }
      guard let found, found.count >= needed else { return .some(nil) }
      return .some(found.map { (UInt64($0.node), -$0.distance) })
    }
    let fresh: [(row: UInt64, score: Float)]??? = graphLock.shared {
      guard let graph = graphState.graph, graphState.syncedRows == counts.rows, graphState.syncedLive == counts.live,
        allowed == nil || graphState.rowDocuments.count == graph.count
      else {
        return nil
      }
      return .some(search(graph))
    }
    if case .some(.some(let found)) = fresh { return found }
    return try graphLock.exclusive {
      if let found = search(try sync(persist: true).graph) { return found }
      discardGraph()  // damaged: rebuild from LMDB (the file is replaced) and search the new graph
      let rebuilt = try sync(persist: true).graph
      guard let found = search(rebuilt) else { throw StoreError.corruptRecord("HNSW graph of \(key) rebuilt with a bad link") }
      return found
    }
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
    try graphLock.exclusive {
      let graph = try sync(persist: true).graph
      return (graph.count, graph.parameters.walk)
    }
  }

  /// Removes the graph file (after compaction renumbered the rows).
  func dropGraph() {
    graphLock.exclusive { discardGraph() }
  }

  /// Forgets the graph in memory and its file. Call under the exclusive lock.
  private func discardGraph() {
    searchers.removeAll()
    graphState = GraphState()
    unlink(graphPath)
  }

  /// Brings the graph up to date with LMDB — open or rebuild it, insert the rows committed since,
  /// mark the rows deleted since — and with `persist` writes its file if memory is ahead of it
  /// (otherwise only marks it unsaved, for a later persisting call). Call under the exclusive lock.
  func sync(persist: Bool) throws -> (graph: HNSWGraph, inserted: Int) {
    let (rowCount, liveCount) = try recordCounts()
    if let current = graphState.graph, graphState.syncedRows == rowCount, graphState.syncedLive == liveCount {
      try saveGraph(current, if: persist)
      return (current, 0)
    }
    let graph = graphState.graph ?? openedOrNewGraph(rows: rowCount)
    let first = UInt64(graph.count)
    if first < rowCount { try insertRows(first..<rowCount, into: graph) }
    if graphState.graph !== graph { graphState.rowDocuments = [] }
    try loadRowDocuments(upTo: graph.count)
    let changedDeletes = try applyTombstones(to: graph)
    let inserted = Int(rowCount - UInt64(first))
    if inserted > 0 || changedDeletes || graphState.graph == nil && !fileExists(graphPath) { graphState.unsaved = true }
    if graphState.graph !== graph { searchers.removeAll() }
    graphState.graph = graph
    graphState.syncedRows = rowCount
    graphState.syncedLive = liveCount
    try saveGraph(graph, if: persist)
    return (graph, inserted)
  }

  /// The graph file when it fits this space (dimension, metric, no more nodes than rows), else a
  /// new, empty graph (the file is replaced when it is next saved).
  private func openedOrNewGraph(rows: UInt64) -> HNSWGraph {
    if let opened = try? HNSWGraph.open(path: graphPath), opened.dimension == dimension, opened.metric == metric,
      UInt64(opened.count) <= rows
    {
      return opened
    }
    return HNSWGraph(dimension: dimension, metric: metric, parameters: Self.graphParameters, capacity: Int(rows))
  }

  /// Copies rows `range` out of the map (as f32), then inserts them outside the transaction.
  private func insertRows(_ range: Range<UInt64>, into graph: HNSWGraph) throws {
    let d = dimension
    let rowBytes = elementType.rowBytes(dimension: d)
    let codec = RowCodec(elementType: elementType, dimension: d)
    var pending: [Float] = []
    pending.reserveCapacity(range.count * d)
    try store.env.read { txn in
      var row = range.lowerBound
      while row < range.upperBound {
        let chunk = row / UInt64(Self.rowsPerChunk)
        guard let value = try txn.get(vectors, key: BigEndianKey(chunk)) else { throw StoreError.corruptRecord("chunk \(chunk) missing") }
        let inChunk = value.count / rowBytes
        var i = Int(row % UInt64(Self.rowsPerChunk))
        while i < inChunk && row < range.upperBound {
          codec.decode(value.baseAddress! + i * rowBytes, appendingTo: &pending)
          i += 1
          row += 1
        }
      }
    }
    pending.withUnsafeBufferPointer { p in graph.insert(contentsOf: p, threads: Self.graphThreads) }
  }

  /// Extends `graphState.rowDocuments` to rows `0..<count` from the space's row → document
  /// numbers (left empty in a format 1 store, which has none until upgraded).
  private func loadRowDocuments(upTo count: Int) throws {
    var numbers = graphState.rowDocuments
    guard numbers.count < count else { return }
    try store.env.read { txn in
      guard let db = try? txn.openDatabase(named: SpaceDatabases(number: number).rowDocuments) else { return }
      numbers.reserveCapacity(count)
      while numbers.count < count {
        let chunk = UInt64(numbers.count / Self.rowsPerChunk)
        guard let bytes = try txn.get(db, key: BigEndianKey(chunk)) else { throw StoreError.corruptRecord("row-document chunk \(chunk) missing") }
        var i = numbers.count % Self.rowsPerChunk
        while i < bytes.count / 8 && numbers.count < count {
          numbers.append(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
          i += 1
        }
        if i < Self.rowsPerChunk && numbers.count < count { throw StoreError.corruptRecord("row-document chunk \(chunk) short") }
      }
    }
    graphState.rowDocuments = numbers
  }

  /// Marks every dead row deleted in the graph too; returns whether any was not yet.
  private func applyTombstones(to graph: HNSWGraph) throws -> Bool {
    var changed = false
    try store.env.read { txn in
      try txn.withCursor(dead) { cursor in
        try cursor.forEach { entry in
          guard let chunk = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("chunk key") }
          DeadRows.forEach(in: entry.value) { i in
            let row = chunk * UInt64(Self.rowsPerChunk) + UInt64(i)
            if row < UInt64(graph.count), !graph.isDeleted(UInt32(row)) {
              graph.markDeleted(UInt32(row))
              changed = true
            }
          }
          return true
        }
      }
    }
    return changed
  }

  /// Writes the graph file when `persist` and memory is ahead of it.
  private func saveGraph(_ graph: HNSWGraph, if persist: Bool) throws {
    guard persist && graphState.unsaved else { return }
    try graph.write(to: graphPath)
    graphState.unsaved = false
  }

  func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
