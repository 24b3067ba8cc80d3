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
  /// those documents (through `mask` when there is one) — tested inside the walk, which passes through the others
  /// (``HNSWGraph/Searcher/filteredCandidates(_:ef:filter:visitLimit:)``). nil when the walk gave
  /// up (it scored more than `visitLimit` nodes) or found fewer than `needed` rows: the caller then
  /// scans exactly. Searched under the read lock when the graph is in step with the space record,
  /// else after a sync under the write lock. A graph whose search met a damaged link (a damaged
  /// file) is rebuilt from LMDB and searched again.
  /// `counts` are the space record's, as the caller read them (nil: read them now).
  func graphCandidates(_ q: [Float], ef: Int, needed: Int, allowed: DocumentSet?, mask: RowMask?, visitLimit: Int,
                       counts known: (rows: UInt64, live: UInt64, layout: UInt64)? = nil) throws -> [(row: UInt64, score: Float)]? {
    let counts = try known ?? recordCounts()
    // nil: damaged graph; .some(nil): the walk gave up.
    func search(_ graph: HNSWGraph) -> [(row: UInt64, score: Float)]?? {
      let searcher = searchers.searcher(for: graph)
      defer { searchers.recycle(searcher) }
      let found: [(distance: Float, node: UInt32)]? = q.withUnsafeBufferPointer { qp in
        if let mask { return searcher.filteredCandidates(qp, ef: ef, filter: mask, visitLimit: visitLimit) }
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
        graphState.syncedLayout == counts.layout,
        allowed == nil || mask != nil || graphState.rowDocuments.count == graph.count
      else {
        return nil
      }
      return .some(search(graph))
    }
    if case .some(.some(let found)) = fresh { return found }
    return try graphLock.exclusive {
      // A query saves the graph it caught up, best effort: a full disk must not fail a search.
      if let found = search(try sync(persist: true, saveFailureIsFatal: false).graph) { return found }
      discardGraph()  // damaged: rebuild from LMDB (the file is replaced) and search the new graph
      let rebuilt = try sync(persist: true, saveFailureIsFatal: false).graph
      guard let found = search(rebuilt) else { throw StoreError.corruptRecord("HNSW graph of \(key) rebuilt with a bad link") }
      return found
    }
  }

  /// The space record's row and live counts.
  private func recordCounts() throws -> (rows: UInt64, live: UInt64, layout: UInt64) {
    try store.env.read { txn in
      guard let record = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      return (record.rowCount, record.liveCount, record.layout)
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
  /// (otherwise only marks it unsaved, for a later persisting call). Everything it reads from LMDB
  /// (the space record, the new rows' vectors and document numbers, the tombstones) comes from one
  /// snapshot, so a compaction or ingest committed by another process meanwhile is either wholly
  /// seen or not at all. Call under the exclusive lock.
  func sync(persist: Bool, saveFailureIsFatal: Bool = true) throws -> (graph: HNSWGraph, inserted: Int) {
    func save(_ graph: HNSWGraph) throws {
      do { try saveGraph(graph, if: persist) } catch where !saveFailureIsFatal {}  // stays unsaved: a later write retries
    }
    let snapshot = try store.env.read { txn -> SyncSnapshot in
      guard let record = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      // Another process compacted the space: the graph in memory numbers rows that moved.
      if graphState.graph != nil && graphState.syncedLayout != record.layout {
        searchers.removeAll()
        graphState = GraphState()
      }
      if let current = graphState.graph, graphState.syncedRows == record.rowCount, graphState.syncedLive == record.liveCount {
        return SyncSnapshot(record: record, graph: current, upToDate: true)
      }
      let graph = graphState.graph ?? openedOrNewGraph(rows: record.rowCount, layout: record.layout)
      var snapshot = SyncSnapshot(record: record, graph: graph, upToDate: false)
      let first = UInt64(graph.count)
      if first < record.rowCount { snapshot.vectors = try readRows(first..<record.rowCount, txn) }
      let known = graphState.graph === graph ? graphState.rowDocuments.count : 0
      snapshot.rowDocuments = try readRowDocuments(UInt64(known)..<record.rowCount, txn)
      snapshot.deadRows = try readDeadRows(txn)
      return snapshot
    }
    let graph = snapshot.graph
    let record = snapshot.record
    if snapshot.upToDate {
      try save(graph)
      return (graph, 0)
    }
    graph.layout = record.layout
    let first = graph.count
    if !snapshot.vectors.isEmpty {
      snapshot.vectors.withUnsafeBufferPointer { p in graph.insert(contentsOf: p, threads: Self.graphThreads) }
    }
    if graphState.graph !== graph { graphState.rowDocuments = [] }
    if let numbers = snapshot.rowDocuments { graphState.rowDocuments += numbers } else { graphState.rowDocuments = [] }
    var changedDeletes = false
    for row in snapshot.deadRows where row < UInt64(graph.count) && !graph.isDeleted(UInt32(row)) {
      graph.markDeleted(UInt32(row))
      changedDeletes = true
    }
    let inserted = graph.count - first
    if inserted > 0 || changedDeletes || graphState.graph == nil && !fileExists(graphPath) { graphState.unsaved = true }
    if graphState.graph !== graph { searchers.removeAll() }
    graphState.graph = graph
    graphState.syncedRows = record.rowCount
    graphState.syncedLive = record.liveCount
    graphState.syncedLayout = record.layout
    try save(graph)
    return (graph, inserted)
  }

  /// What one read snapshot says a graph sync must do.
  private struct SyncSnapshot {
    let record: SpaceRecord
    let graph: HNSWGraph
    let upToDate: Bool
    /// The rows the graph lacks, as f32, row-major.
    var vectors: [Float] = []
    /// Document numbers of the rows past those the graph state knows (nil: a format 1 store).
    var rowDocuments: [UInt64]? = []
    var deadRows: [UInt64] = []
  }

  /// The graph file when it fits this space (dimension, metric, row layout, no more nodes than
  /// rows), else a new, empty graph (the file is replaced when it is next saved).
  private func openedOrNewGraph(rows: UInt64, layout: UInt64) -> HNSWGraph {
    if let opened = try? HNSWGraph.open(path: graphPath), opened.dimension == dimension, opened.metric == metric,
      UInt64(opened.count) <= rows, opened.layout == layout
    {
      return opened
    }
    return HNSWGraph(dimension: dimension, metric: metric, parameters: Self.graphParameters, capacity: Int(rows))
  }

  /// Rows `range` copied out of the map as f32.
  private func readRows(_ range: Range<UInt64>, _ txn: LMDBTransaction) throws -> [Float] {
    let d = dimension
    let rowBytes = elementType.rowBytes(dimension: d)
    let codec = RowCodec(elementType: elementType, dimension: d)
    var pending: [Float] = []
    pending.reserveCapacity(range.count * d)
    var row = range.lowerBound
    while row < range.upperBound {
      let chunk = row / UInt64(Self.rowsPerChunk)
      guard let value = try txn.get(vectors, key: BigEndianKey(chunk)) else { throw StoreError.corruptRecord("chunk \(chunk) missing") }
      let inChunk = value.count / rowBytes
      var i = Int(row % UInt64(Self.rowsPerChunk))
      guard i < inChunk else { throw StoreError.corruptRecord("chunk \(chunk) ends before row \(row)") }
      while i < inChunk && row < range.upperBound {
        codec.decode(value.baseAddress! + i * rowBytes, appendingTo: &pending)
        i += 1
        row += 1
      }
    }
    return pending
  }

  /// The document numbers of rows `range` (nil in a format 1 store, which has none until upgraded).
  private func readRowDocuments(_ range: Range<UInt64>, _ txn: LMDBTransaction) throws -> [UInt64]? {
    guard let db = try? txn.openDatabase(named: SpaceDatabases(number: number).rowDocuments) else { return nil }
    var numbers: [UInt64] = []
    numbers.reserveCapacity(range.count)
    var row = range.lowerBound
    while row < range.upperBound {
      let chunk = row / UInt64(Self.rowsPerChunk)
      guard let bytes = try txn.get(db, key: BigEndianKey(chunk)) else { throw StoreError.corruptRecord("row-document chunk \(chunk) missing") }
      var i = Int(row % UInt64(Self.rowsPerChunk))
      guard i < bytes.count / 8 else { throw StoreError.corruptRecord("row-document chunk \(chunk) ends before row \(row)") }
      while i < bytes.count / 8 && row < range.upperBound {
        numbers.append(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
        i += 1
        row += 1
      }
    }
    return numbers
  }

  /// Every tombstoned row.
  private func readDeadRows(_ txn: LMDBTransaction) throws -> [UInt64] {
    var rows: [UInt64] = []
    try txn.withCursor(dead) { cursor in
      try cursor.forEach { entry in
        guard let chunk = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("chunk key") }
        DeadRows.forEach(in: entry.value) { i in rows.append(chunk * UInt64(Self.rowsPerChunk) + UInt64(i)) }
        return true
      }
    }
    return rows
  }

  /// Writes the graph file when `persist` and memory is ahead of it (never in a read-only store),
  /// under an exclusive `flock` of `space.<n>.hnsw.lock`, so that processes sharing the store write
  /// the file one at a time (each through its own temporary name, renamed over the file).
  private func saveGraph(_ graph: HNSWGraph, if persist: Bool) throws {
    guard persist && graphState.unsaved && !store.isReadOnly else { return }
    let lock = open(graphPath + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
    guard lock >= 0 else { throw HNSWFileError.unwritable(path: graphPath + ".lock", errno: errno) }
    defer { close(lock) }  // closing releases the lock
    while flock(lock, LOCK_EX) != 0 {
      guard errno == EINTR else { throw HNSWFileError.unwritable(path: graphPath + ".lock", errno: errno) }
    }
    graph.reconnectUnreachable()  // no node the file holds is out of a search's reach
    try graph.write(to: graphPath)
    graphState.unsaved = false
  }

  func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}
