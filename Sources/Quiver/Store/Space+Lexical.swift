extension Space {
  /// Makes the store's lexical index of `tokenizer` this space's (creating it if needed) and
  /// records `modelPath` as the space's model file; indexes the documents the space already holds
  /// when it had no index (a store upgraded from format 1, or an external space indexed later).
  /// - Throws: ``StoreError/spaceMismatch(_:)`` when the space is indexed by another tokenizer.
  func attachLexicon(_ tokenizer: any LexicalTokenizer, modelPath: String?) throws {
    let identity = try tokenizer.tokenizerIdentity
    _ = try store.currentDatabases()
    let backfill: UInt32? = try store.env.write { txn in
      guard var record = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      let lexicon = try store.lexiconNumber(for: identity, modelPath: tokenizer.modelFilePath, txn)
      var changed = false
      if let modelPath, record.modelPath != modelPath {
        record.modelPath = modelPath
        changed = true
      }
      var backfill: UInt32?
      if record.lexicon != lexicon {
        guard record.lexicon == 0 else {
          throw StoreError.spaceMismatch("\(key) is indexed lexically by another tokenizer than \(identity)")
        }
        record.lexicon = lexicon
        changed = true
        if record.liveCount > 0 { backfill = lexicon }
      }
      if changed { try txn.put(store.spacesDB, key: Array(key.description.utf8), value: record.encoded()) }
      return backfill
    }
    if let backfill { try indexStoredDocuments(lexicon: backfill, tokenizer: tokenizer) }
  }

  /// Posts the passages of every document with rows in this space that lexicon `lexicon` does not
  /// hold yet, `maximumBatch` documents a transaction (their rows give the passages).
  private func indexStoredDocuments(lexicon: UInt32, tokenizer: any LexicalTokenizer) throws {
    var pending: [[UInt8]] = []
    try store.env.read { txn in
      try txn.withCursor(store.docs) { cursor in
        try cursor.forEach { entry in
          let doc = try DocumentRecord(decoding: entry.value)
          if doc.rows.contains(where: { $0.space == number }) && !doc.lexicons.contains(lexicon) { pending.append(Array(entry.key)) }
          return true
        }
      }
    }
    var start = 0
    while start < pending.count {
      let batch = pending[start..<min(pending.count, start + Self.maximumBatch)]
      // Passages (from the rows) and their texts, read outside the write transaction.
      var found: [(id: [UInt8], number: UInt64, passages: [(index: Int, range: Range<Int>)], texts: [String])] = []
      try store.env.read { txn in
        for id in batch {
          guard let bytes = try txn.get(store.docs, key: id) else { continue }
          let doc = try DocumentRecord(decoding: bytes)
          guard let number = doc.number, let run = doc.rows.first(where: { $0.space == self.number }) else { continue }
          var passages: [(index: Int, range: Range<Int>)] = []
          for row in run.first..<(run.first + UInt64(run.count)) {
            guard let r = try txn.get(rows, key: BigEndianKey(row)) else { throw StoreError.corruptRecord("row \(row) missing") }
            let record = try RowRecord(decoding: r)
            guard record.utf8Range.upperBound <= doc.text.count else { throw StoreError.corruptRecord("passage range") }
            passages.append((Int(record.passage), record.utf8Range))
          }
          found.append((id, number, passages, passages.map { String(decoding: doc.text[$0.range], as: UTF8.self) }))
        }
      }
      let lexical = LexicalBatch(passages: try tokenizer.lexicalTokenIDs(found.flatMap(\.texts)),
                                 utf8Ranges: found.flatMap { $0.passages.map(\.range) })
      try store.env.write { txn in
        guard let entry = try store.lexicon(lexicon, txn) else { throw StoreError.corruptRecord("lexicon \(lexicon) missing") }
        var record = entry.record
        var keys = [UInt64](repeating: LexicalIndex.notPosted, count: lexical.count)
        var next = 0
        for f in found {
          let t = next
          next += f.passages.count
          guard let bytes = try txn.get(store.docs, key: f.id) else { continue }
          var doc = try DocumentRecord(decoding: bytes)
          guard doc.number == f.number, !doc.lexicons.contains(lexicon) else { continue }
          for (p, r) in zip(f.passages, t..<(t + f.passages.count)) { keys[r] = LexicalIndex.passageKey(document: f.number, passage: p.index) }
          doc.lexicons.append(lexicon)
          try txn.put(store.docs, key: f.id, value: doc.encoded())
        }
        try store.lexicalIndex(lexicon, txn).add(lexical, keys: keys, record: &record, txn)
        try store.putLexicon(entry.identity, record, txn)
      }
      start += batch.count
    }
  }
}
