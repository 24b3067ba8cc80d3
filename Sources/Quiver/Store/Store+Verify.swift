extension Store {
  /// Checks every lexical index against the documents, in one read transaction, and returns the
  /// inconsistencies found (empty: consistent). What it checks, per index:
  /// - every live passage belongs to a stored document whose number it carries and whose record
  ///   names the index, and lies inside its text; every document that names the index has passages;
  /// - the index's passage count and total length equal those of its live passages;
  /// - postings and passages agree exactly: every posting is of a live passage (with that passage's
  ///   tf and length) or of a dead one; every live passage's terms are posted; the dead-term counts
  ///   equal the dead postings per token; every dead passage is absent from the live ones;
  /// - every list is well formed (``PostingsList/problems(in:)``: key order, block descriptors,
  ///   a cover that bounds its entries and is exact when their front is small).
  /// O(postings + passages + documents).
  public func verifyLexicalIndexes() throws -> [String] {
    guard let current = currentDatabasesIfPresent else { return [] }
    return try env.read { txn in
      var problems: [String] = []
      func note(_ p: String) { if problems.count < 50 { problems.append(p) } }
      var lexicons: [(String, LexiconRecord)] = []
      try txn.withCursor(current.lexicons) { cursor in
        try cursor.forEach { entry in
          lexicons.append((String(decoding: entry.key, as: UTF8.self), try LexiconRecord(decoding: entry.value)))
          return true
        }
      }
      // Documents by number, and which name each index.
      var documents: [UInt64: (id: String, textLength: Int, lexicons: [UInt32])] = [:]
      try txn.withCursor(docs) { cursor in
        try cursor.forEach { entry in
          let doc = try DocumentRecord(decoding: entry.value)
          if let n = doc.number { documents[n] = (String(decoding: entry.key, as: UTF8.self), doc.text.count, doc.lexicons) }
          return true
        }
      }
      for (identity, record) in lexicons {
        let index = try LexicalIndex(number: record.number, txn)
        let name = "lexicon \(record.number) (\(identity))"
        var live: [UInt64: (length: UInt32, terms: [Int32: UInt32])] = [:]
        var totalLength: UInt64 = 0
        var documentsWithPassages = Set<UInt64>()
        try txn.withCursor(index.passages) { cursor in
          try cursor.forEach { entry in
            guard let key = BigEndianKey(bytes: entry.key)?.value else { note("\(name): a passage key of \(entry.key.count) bytes"); return true }
            let p = try LexicalIndex.decodePassage(entry.value)
            let number = LexicalIndex.document(ofPassage: key)
            if let doc = documents[number] {
              if !doc.lexicons.contains(record.number) { note("\(name): passage \(key) of \(doc.id), whose record does not name the index") }
              if p.utf8Range.upperBound > doc.textLength { note("\(name): passage \(key) of \(doc.id) ends past its text") }
            } else {
              note("\(name): passage \(key) of document number \(number), which is not stored")
            }
            live[key] = (p.length, Dictionary(uniqueKeysWithValues: p.terms.map { ($0.token, $0.tf) }))
            totalLength += UInt64(p.length)
            documentsWithPassages.insert(number)
            return true
          }
        }
        for (number, doc) in documents where doc.lexicons.contains(record.number) && !documentsWithPassages.contains(number) {
          note("\(name): \(doc.id) names the index but has no passage in it")
        }
        if record.passages != UInt64(live.count) { note("\(name): record counts \(record.passages) passages, the index holds \(live.count)") }
        if record.totalLength != totalLength { note("\(name): record counts length \(record.totalLength), passages sum to \(totalLength)") }
        var deadKeys = Set<UInt64>()
        try txn.withCursor(index.dead) { cursor in
          try cursor.forEach { entry in
            if let key = BigEndianKey(bytes: entry.key)?.value {
              deadKeys.insert(key)
              if live[key] != nil { note("\(name): passage \(key) is both live and dead") }
            }
            return true
          }
        }
        var posted = 0
        var deadPostings: [Int32: UInt32] = [:]
        for segment in try index.allSegments(txn) {
          try txn.withCursor(index.postings) { cursor in
            try cursor.forEach(from: LexicalIndex.listKey(segment.number, 0), to: LexicalIndex.segmentKey(segment.number + 1)) { entry in
              guard let token = LexicalIndex.listKeyParts(entry.key)?.token else {
                note("\(name): a postings key of \(entry.key.count) bytes in segment \(segment.number)")
                return true
              }
              for p in PostingsList.problems(in: entry.value) { note("\(name): list of token \(token) in segment \(segment.number): \(p)") }
              for e in try LexicalIndex.decode(entry.value) {
                if e.passage < segment.firstPassage || e.passage > segment.lastPassage {
                  note("\(name): segment \(segment.number) holds passage \(e.passage) outside its range")
                }
                if let p = live[e.passage] {
                  if p.terms[token] != e.tf || p.length != e.length {
                    note("\(name): posting of token \(token) in passage \(e.passage) says tf \(e.tf) length \(e.length), the passage \(p.terms[token] ?? 0) and \(p.length)")
                  }
                  posted += 1
                } else if deadKeys.contains(e.passage) {
                  deadPostings[token, default: 0] += 1
                } else {
                  note("\(name): token \(token) is posted for passage \(e.passage), which is neither live nor dead")
                }
              }
              return true
            }
          }
        }
        let expected = live.values.reduce(0) { $0 + $1.terms.count }
        if posted != expected { note("\(name): \(posted) postings of live passages, their terms number \(expected)") }
        var deadTerms: [Int32: UInt32] = [:]
        try txn.withCursor(index.deadTerms) { cursor in
          try cursor.forEach { entry in
            let token = Int32(bitPattern: UInt32(bigEndian: entry.key.loadUnaligned(as: UInt32.self)))
            var r = ByteReader(entry.value, what: "dead-term count", failure: StoreError.corruptRecord)
            deadTerms[token] = try r.u32()
            return true
          }
        }
        if deadTerms != deadPostings { note("\(name): dead-term counts differ from the dead postings (\(deadTerms.count) vs \(deadPostings.count) tokens)") }
      }
      return problems
    }
  }
}
