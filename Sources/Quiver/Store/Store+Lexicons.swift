extension Store {
  /// The lexicon of the tokenizer `identity` (the model at `modelPath` has it), created with
  /// `bm25` if the store has none yet. Returns its number.
  func lexiconNumber(for identity: String, modelPath: String, bm25: BM25 = .standard, _ txn: LMDBTransaction) throws -> UInt32 {
    let registry = try currentDatabases().lexicons
    let key = Array(identity.utf8)
    if let bytes = try txn.get(registry, key: key) {
      var record = try LexiconRecord(decoding: bytes)
      if record.modelPath != modelPath && !modelPath.isEmpty {  // remember where the tokenizer was seen last
        record.modelPath = modelPath
        try txn.put(registry, key: key, value: record.encoded())
      }
      return record.number
    }
    var highest: UInt32 = 0
    try txn.withCursor(registry) { cursor in
      try cursor.forEach { entry in
        highest = max(highest, try LexiconRecord(decoding: entry.value).number)
        return true
      }
    }
    let record = LexiconRecord(number: highest + 1, bm25: bm25, modelPath: modelPath)
    _ = try LexicalIndex(number: record.number, txn, create: true)
    try txn.put(registry, key: key, value: record.encoded())
    return record.number
  }

  /// Lexicon `number`'s record and registry key (its tokenizer identity), or nil.
  func lexicon(_ number: UInt32, _ txn: LMDBTransaction) throws -> (identity: String, record: LexiconRecord)? {
    guard let registry = currentDatabasesIfPresent?.lexicons else { return nil }
    var found: (String, LexiconRecord)?
    try txn.withCursor(registry) { cursor in
      try cursor.forEach { entry in
        let record = try LexiconRecord(decoding: entry.value)
        if record.number == number { found = (String(decoding: entry.key, as: UTF8.self), record); return false }
        return true
      }
    }
    return found
  }

  /// Lexicon `number`'s index opened in `txn`, merging in this store's chunk size
  /// (``lexicalMergeChunkBytes``): what every write to an index goes through.
  func lexicalIndex(_ number: UInt32, _ txn: LMDBTransaction) throws -> LexicalIndex {
    try LexicalIndex(number: number, txn, mergeChunkBytes: lexicalMergeChunkBytes.withLock { $0 })
  }

  /// Stores lexicon `number`'s record under its identity.
  func putLexicon(_ identity: String, _ record: LexiconRecord, _ txn: LMDBTransaction) throws {
    try txn.put(try currentDatabases().lexicons, key: Array(identity.utf8), value: record.encoded())
  }

  /// Removes document `number`'s passages from each of `lexicons`.
  func removeFromLexicons(document number: UInt64, lexicons: [UInt32], _ txn: LMDBTransaction) throws {
    for l in lexicons {
      guard let found = try lexicon(l, txn) else { continue }
      var record = found.record
      try LexicalIndex(number: l, txn).remove(document: number, record: &record, txn)
      try putLexicon(found.identity, record, txn)
    }
  }

  /// The document id of document number `number`, or nil.
  func documentID(number: UInt64, _ txn: LMDBTransaction) throws -> String? {
    guard let db = currentDatabasesIfPresent?.documentNumbers, let bytes = try txn.get(db, key: BigEndianKey(number)) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }
}
