#if canImport(Glibc)
  import Glibc
#endif

extension Store {
  /// What ``check()`` found.
  public struct CheckReport: Sendable {
    /// Inconsistencies, each one line (empty: the store is consistent). At most 200 are listed.
    public var problems: [String] = []
    public var documents = 0
    public var spaces = 0
    public var rows: UInt64 = 0
    public var liveRows: UInt64 = 0
    /// Per space with a graph file: its key, the nodes the file holds and the space's rows (a
    /// file behind the rows is not a problem: the next open inserts the rest).
    public var graphs: [(space: String, nodes: Int, rows: UInt64)] = []
  }

  /// Walks the whole store in one read transaction and reports every inconsistency, like SQLite's
  /// `integrity_check`: every record decodes (a damaged one is reported, never followed); every
  /// document's number maps back to it and each of its row runs exists, live, pointing back at it
  /// with its passage index, range inside its text and row → document number; every space's row,
  /// live and tombstone counts agree with its rows, its vector chunks hold whole rows of finite
  /// components, its row → document chunks one number a row; the lexical and metadata indexes
  /// equal what the documents make (``verifyLexicalIndexes()``, ``verifyMetadataIndex()``); each
  /// graph file opens, fits its space and keeps its structural invariants.
  /// What can still go unnoticed is listed in `docs/errors.md`. O(store size).
  public func check() throws -> CheckReport {
    var report = CheckReport()
    func note(_ p: String) { if report.problems.count < 200 { report.problems.append(p) } }
    let current = currentDatabasesIfPresent
    var spaceRecords: [SpaceRecord] = []
    try env.read { txn in
      // Spaces.
      try txn.withCursor(spacesDB) { cursor in
        try cursor.forEach { entry in
          do { spaceRecords.append(try SpaceRecord(decoding: entry.value)) } catch { note("space \(String(decoding: entry.key, as: UTF8.self)): \(error)") }
          return true
        }
      }
      report.spaces = spaceRecords.count
      let next = try nextDocumentNumber(txn)
      // Documents and their rows.
      var rowsOfSpace: [UInt32: [UInt64: (document: UInt64?, id: String)]] = [:]
      try txn.withCursor(docs) { cursor in
        try cursor.forEach { entry in
          report.documents += 1
          let id = String(decoding: entry.key, as: UTF8.self)
          let doc: DocumentRecord
          do { doc = try DocumentRecord(decoding: entry.value) } catch { note("document \(id): \(error)"); return true }
          if current != nil {
            if let n = doc.number {
              if n >= next { note("document \(id): number \(n) not below next_document \(next)") }
              if try documentID(number: n, txn) != id { note("document \(id): docnums[\(n)] does not name it") }
            } else {
              note("document \(id): no number in a format 2 store")
            }
          }
          for run in doc.rows {
            guard let space = spaceRecords.first(where: { $0.number == run.space }) else {
              note("document \(id): rows in space number \(run.space), which does not exist")
              continue
            }
            let rows = try txn.openDatabase(named: SpaceDatabases(number: run.space).rows)
            for i in 0..<UInt64(run.count) {
              let r = run.first + i
              guard r < space.rowCount, let bytes = try txn.get(rows, key: BigEndianKey(r)) else {
                note("document \(id): row \(r) of \(space.key) missing")
                continue
              }
              do {
                let row = try RowRecord(decoding: bytes)
                if row.deleted { note("document \(id): row \(r) of \(space.key) is deleted") }
                if row.documentID != id { note("document \(id): row \(r) of \(space.key) names \(row.documentID)") }
                if row.passage != UInt32(i) { note("document \(id): row \(r) of \(space.key) is passage \(row.passage), expected \(i)") }
                if row.utf8Range.upperBound > doc.text.count { note("document \(id): row \(r) of \(space.key) ends past the text") }
              } catch {
                note("row \(r) of \(space.key): \(error)")
              }
              rowsOfSpace[run.space, default: [:]][r] = (doc.number, id)
            }
          }
          return true
        }
      }
      if let current {
        try txn.withCursor(current.documentNumbers) { cursor in
          try cursor.forEach { entry in
            let id = String(decoding: entry.value, as: UTF8.self)
            guard let n = BigEndianKey(bytes: entry.key)?.value else { note("docnums: a key of \(entry.key.count) bytes"); return true }
            guard let bytes = try txn.get(docs, key: Array(entry.value)) else { note("docnums[\(n)] names \(id), which is not stored"); return true }
            if (try? DocumentRecord(decoding: bytes))?.number != n { note("docnums[\(n)] names \(id), whose number differs") }
            return true
          }
        }
      }
      // Spaces: counts, tombstones, chunks.
      for space in spaceRecords {
        report.rows += space.rowCount
        report.liveRows += space.liveCount
        try checkSpace(space, owners: rowsOfSpace[space.number] ?? [:], hasRowDocuments: current != nil, txn, note)
      }
    }
    for p in try verifyLexicalIndexes() { note(p) }
    for p in try verifyMetadataIndex() { note(p) }
    // Graph files.
    for space in spaceRecords {
      let path = self.path + "/space.\(space.number).hnsw"
      guard access(path, F_OK) == 0 else { continue }
      do {
        let graph = try HNSWGraph.open(path: path)
        if graph.dimension != space.key.dimension || graph.metric != space.metric {
          note("graph of \(space.key): \(graph.dimension)-d \(graph.metric.name), the space is \(space.key.dimension)-d \(space.metric.name) (it is rebuilt at open)")
        }
        if UInt64(graph.count) > space.rowCount { note("graph of \(space.key): \(graph.count) nodes, more than the \(space.rowCount) rows (it is rebuilt at open)") }
        for p in graph.checkInvariants().prefix(10) { note("graph of \(space.key): \(p) (it is rebuilt at the first search that meets it)") }
        report.graphs.append((space.key.description, graph.count, space.rowCount))
      } catch {
        note("graph of \(space.key): \(error) (it is rebuilt at open)")
      }
    }
    return report
  }

  private func checkSpace(_ space: SpaceRecord, owners: [UInt64: (document: UInt64?, id: String)], hasRowDocuments: Bool,
                          _ txn: LMDBTransaction, _ note: (String) -> Void) throws {
    let names = SpaceDatabases(number: space.number)
    let rows = try txn.openDatabase(named: names.rows)
    let dead = try txn.openDatabase(named: names.dead)
    let vectors = try txn.openDatabase(named: names.vectors)
    let rowDocuments = hasRowDocuments ? try? txn.openDatabase(named: names.rowDocuments) : nil
    let name = space.key.description
    var count: UInt64 = 0
    var live: UInt64 = 0
    var expected: UInt64 = 0
    try txn.withCursor(rows) { cursor in
      try cursor.forEach { entry in
        guard let r = BigEndianKey(bytes: entry.key)?.value else { note("\(name): a row key of \(entry.key.count) bytes"); return true }
        if r != expected { note("\(name): row \(expected) missing (next is \(r))") }
        expected = r + 1
        count += 1
        let chunk = r / UInt64(Space.rowsPerChunk)
        let deadBits = try txn.get(dead, key: BigEndianKey(chunk))
        let tombstoned = DeadRows.contains(deadBits, Int(r % UInt64(Space.rowsPerChunk)))
        do {
          let row = try RowRecord(decoding: entry.value)
          if row.deleted != tombstoned { note("\(name): row \(r) is \(row.deleted ? "" : "not ")deleted but its tombstone bit is \(tombstoned ? "" : "not ")set") }
          if !row.deleted {
            live += 1
            if owners[r] == nil { note("\(name): live row \(r) of \(row.documentID), whose record does not list it") }
          }
          if let rowDocuments, !row.deleted, let owner = owners[r] {
            let numbers = try txn.get(rowDocuments, key: BigEndianKey(chunk))
            let n = numbers.flatMap { RowDocuments.number(in: $0, row: Int(r % UInt64(Space.rowsPerChunk))) }
            if n != owner.document { note("\(name): row \(r) has document number \(n.map(String.init) ?? "none"), its document \(owner.id) is \(owner.document.map(String.init) ?? "unnumbered")") }
          }
        } catch {
          note("\(name): row \(r): \(error)")
        }
        return true
      }
    }
    if count != space.rowCount { note("\(name): record counts \(space.rowCount) rows, \(count) are stored") }
    if live != space.liveCount { note("\(name): record counts \(space.liveCount) live rows, \(live) are live") }
    let rowBytes = space.elementType.rowBytes(dimension: space.key.dimension)
    let chunks = (space.rowCount + UInt64(Space.rowsPerChunk) - 1) / UInt64(Space.rowsPerChunk)
    var seen: UInt64 = 0
    try txn.withCursor(vectors) { cursor in
      try cursor.forEach { entry in
        guard let c = BigEndianKey(bytes: entry.key)?.value, c == seen else {
          note("\(name): vector chunk \(seen) missing or out of order"); return false
        }
        seen += 1
        let inChunk = Int(min(UInt64(Space.rowsPerChunk), space.rowCount - c * UInt64(Space.rowsPerChunk)))
        if entry.value.count != inChunk * rowBytes {
          note("\(name): vector chunk \(c) holds \(entry.value.count) bytes, expected \(inChunk * rowBytes)")
          return true
        }
        if space.elementType == .float32 {
          for i in 0..<(entry.value.count / 4) where !entry.value.loadUnaligned(fromByteOffset: 4 * i, as: Float.self).isFinite {
            note("\(name): vector chunk \(c) row \(i / space.key.dimension) has a non-finite component")
            break
          }
        }
        if let rowDocuments {
          let numbers = try txn.get(rowDocuments, key: BigEndianKey(c))
          if numbers?.count != inChunk * 8 { note("\(name): row-document chunk \(c) holds \(numbers?.count ?? 0) bytes, expected \(inChunk * 8)") }
        }
        return true
      }
    }
    if seen != chunks { note("\(name): \(seen) vector chunks for \(space.rowCount) rows (expected \(chunks))") }
  }
}
