extension Store {
  /// Checks the metadata index against the documents, in one read transaction, and returns the
  /// inconsistencies found (empty: consistent): the index must hold exactly the sets that indexing
  /// every stored document's metadata afresh would make — every container, member for member, and
  /// no other key. O(documents · fields + index size).
  public func verifyMetadataIndex() throws -> [String] {
    guard let db = currentDatabasesIfPresent?.metadataIndex else { return [] }
    return try env.read { txn in
      var problems: [String] = []
      func note(_ p: String) { if problems.count < 50 { problems.append(p) } }
      let index = try metadataIndex(db, txn)
      var changes = MetadataIndex.Changes()
      try MetadataIndex.forEachDocument(in: docs, txn, unnumbered: { note("document \($0) has no number") }) { number, terms in
        changes.add(document: number, terms: terms, index)
      }
      var expected: [[UInt8]: [UInt64]] = [:]
      for (prefix, members) in changes.pending {
        for (n, _) in members {
          let key = MetadataIndex.containerKey(prefix, n >> 16)
          expected[key, default: [UInt64](repeating: 0, count: DocumentSetContainer.span / 64)][Int(n & 0xFFFF) >> 6] |= 1 << (n & 63)
        }
      }
      try txn.withCursor(db) { cursor in
        try cursor.forEach { entry in
          let key = Array(entry.key)
          let name = (MetadataIndex.path(ofKey: entry.key) ?? "(every document)") + " key \(key.count) bytes"
          guard let want = expected.removeValue(forKey: key) else {
            note("metadata index: \(name) is not made by any document")
            return true
          }
          let have = try DocumentSetContainer.decode(entry.value)
          if have != want {
            let diff = zip(have, want).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
            note("metadata index: \(name) differs from the documents' in \(diff) members")
          }
          if let canonical = DocumentSetContainer.encode(have), canonical.count != entry.value.count {
            note("metadata index: \(name) is not in its canonical form")
          }
          return true
        }
      }
      for key in expected.keys.prefix(10) {
        note("metadata index: a set of \(key.withUnsafeBytes { MetadataIndex.path(ofKey: $0) } ?? "(every document)") is missing")
      }
      return problems
    }
  }
}
