#if canImport(Glibc)
  import Glibc
#endif

extension Space {
  /// What ``compact()`` did.
  public struct CompactionSummary: Sendable, Equatable {
    public var rowsBefore: UInt64
    public var rowsAfter: UInt64
  }

  /// Removes tombstoned rows: live rows are renumbered densely in their old order, the vector
  /// chunks, row records and row → document numbers are rewritten, the dead bitsets dropped and
  /// every document's row run in this space updated — in one write transaction, so a crash leaves
  /// the old layout intact. The space's lexical index is merged into one segment, without the
  /// deleted passages, in the same transaction. O(rows + documents + postings); each is rewritten once.
  @discardableResult
  public func compact() throws -> CompactionSummary {
    try store.requireWritable()
    // A snapshot copying the graph files waits, and waits for us (``Store/snapshot(to:)``).
    return try Store.withLayoutLock(store.path, LOCK_EX) { try compactRows() }
  }

  private func compactRows() throws -> CompactionSummary {
    // Row numbers change: the graph is dropped, and rebuilt at once if the space had one.
    let hadGraph = graphLock.shared { graphState.graph != nil } || fileExists(graphPath)
    defer {
      dropGraph()
      if hadGraph { _ = try? updateGraph() }
    }
    _ = try store.currentDatabases()
    let rowBytes = elementType.rowBytes(dimension: dimension)
    let spaceKeyBytes = Array(key.description.utf8)
    return try store.env.write { txn in
      guard var record = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      let before = record.rowCount
      if record.lexicon != 0, let found = try store.lexicon(record.lexicon, txn) {
        var lexicon = found.record
        try store.lexicalIndex(record.lexicon, txn).mergeAll(record: &lexicon, txn)
        try store.putLexicon(found.identity, lexicon, txn)
      }
      guard record.liveCount < record.rowCount else { return CompactionSummary(rowsBefore: before, rowsAfter: before) }
      let rowDocuments = try txn.openDatabase(named: SpaceDatabases(number: number).rowDocuments)
      var liveNumbers: [UInt64] = []
      // 1. Live rows, in order: their vectors and row records (copied out of the map).
      var liveVectors: [UInt8] = []
      liveVectors.reserveCapacity(Int(record.liveCount) * rowBytes)
      var liveRecords: [[UInt8]] = []
      var newRow = [UInt64: UInt64]()  // old first row of a run → new first row
      try txn.withCursor(vectors) { cursor in
        try cursor.forEach { entry in
          guard let chunk = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("chunk key") }
          let deadBits = try txn.get(dead, key: BigEndianKey(chunk))
          let numbers = try txn.get(rowDocuments, key: BigEndianKey(chunk))
          for i in 0..<(entry.value.count / rowBytes) {
            if DeadRows.contains(deadBits, i) { continue }
            let old = chunk * UInt64(Self.rowsPerChunk) + UInt64(i)
            guard let bytes = try txn.get(rows, key: BigEndianKey(old)) else { throw StoreError.corruptRecord("row \(old) missing") }
            newRow[old] = UInt64(liveRecords.count)
            guard let n = numbers.flatMap({ RowDocuments.number(in: $0, row: i) }) else {
              throw StoreError.corruptRecord("row \(old) has no document number")
            }
            liveNumbers.append(n)
            liveRecords.append(Array(bytes))
            liveVectors.append(contentsOf: UnsafeRawBufferPointer(rebasing: entry.value[(i * rowBytes)..<((i + 1) * rowBytes)]))
          }
          return true
        }
      }
      // 2. Rewrite the space's databases densely.
      try txn.removeAll(vectors)
      try txn.removeAll(rows)
      try txn.removeAll(dead)
      try txn.removeAll(rowDocuments)
      try RowDocuments.append(liveNumbers, from: 0, into: rowDocuments, txn)
      for (i, bytes) in liveRecords.enumerated() { try txn.put(rows, key: BigEndianKey(UInt64(i)), value: bytes) }
      var start = 0
      var chunk: UInt64 = 0
      while start < liveRecords.count {
        let end = min(liveRecords.count, start + Self.rowsPerChunk)
        let out = try txn.reserve(vectors, key: BigEndianKey(chunk), count: (end - start) * rowBytes)
        liveVectors.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[(start * rowBytes)..<(end * rowBytes)])) }
        start = end
        chunk += 1
      }
      // 3. Point every document's run in this space at its new first row.
      var updates: [([UInt8], [UInt8])] = []
      try txn.withCursor(store.docs) { cursor in
        try cursor.forEach { entry in
          var doc = try DocumentRecord(decoding: entry.value)
          guard doc.rows.contains(where: { $0.space == number }) else { return true }
          doc.rows = try doc.rows.map { run in
            guard run.space == number else { return run }
            guard let first = newRow[run.first] else { throw StoreError.corruptRecord("live document with a dead row run") }
            return DocumentRecord.Rows(space: run.space, first: first, count: run.count)
          }
          updates.append((Array(entry.key), doc.encoded()))
          return true
        }
      }
      for (k, v) in updates { try txn.put(store.docs, key: k, value: v) }
      record.rowCount = UInt64(liveRecords.count)
      record.liveCount = record.rowCount
      record.layout += 1  // row numbers changed: every graph of the old numbering is stale
      try txn.put(store.spacesDB, key: spaceKeyBytes, value: record.encoded())
      return CompactionSummary(rowsBefore: before, rowsAfter: record.rowCount)
    }
  }
}
