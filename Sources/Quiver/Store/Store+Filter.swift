extension Store {
  /// The documents `filter` selects, in the snapshot of `txn`. Call ``currentDatabases()`` first,
  /// outside the transaction (it may upgrade the store).
  /// - Throws: ``FilterError`` (see ``MetadataFilterEvaluator``).
  func documentSet(_ filter: MetadataFilter, _ txn: LMDBTransaction) throws -> DocumentSet {
    guard let db = currentDatabasesIfPresent?.metadataIndex else { throw StoreError.corruptRecord("metadata index missing") }
    var evaluator = MetadataFilterEvaluator(index: try metadataIndex(db, txn), documents: docs,
                                            capacity: Int(try nextDocumentNumber(txn)), txn)
    var set = try evaluator.documents(matching: filter)
    set.seal()
    return set
  }

  /// The next document number (every document's number is below it).
  func nextDocumentNumber(_ txn: LMDBTransaction) throws -> UInt64 {
    try txn.get(meta, key: "next_document").map { bytes -> UInt64 in
      var r = ByteReader(bytes, what: "next_document", failure: StoreError.corruptRecord)
      return try r.u64()
    } ?? 0
  }

  /// The documents `filter` selects now, as a set of document numbers: a filter evaluated once and
  /// reused by many searches (``SearchOptions/allowedDocuments``), as a batch of queries does.
  /// - Throws: ``FilterError`` as ``count(where:)``.
  public func documentSet(where filter: MetadataFilter) throws -> DocumentSet {
    _ = try currentDatabases()
    return try env.read { txn in try documentSet(filter, txn) }
  }

  /// How many documents `filter` selects. O(sets read + capacity / 64); no document is read
  /// unless a field named has its indexing off.
  /// - Throws: ``FilterError`` for a filter naming a field no document has, or a range on a field
  ///   without numbers.
  public func count(where filter: MetadataFilter) throws -> Int {
    _ = try currentDatabases()
    return try env.read { txn in try documentSet(filter, txn).count }
  }

  /// The documents `filter` selects, in document-number (ingest) order.
  public func documents(where filter: MetadataFilter) throws -> [Document] {
    _ = try currentDatabases()
    return try env.read { txn in
      try documentSet(filter, txn).members.compactMap { n in
        guard let id = try documentID(number: n, txn), let bytes = try txn.get(docs, key: Array(id.utf8)) else { return nil }
        let record = try DocumentRecord(decoding: bytes)
        return Document(id: id, text: String(decoding: record.text, as: UTF8.self),
                        metadataJSON: record.metadata.isEmpty ? nil : String(decoding: record.metadata, as: UTF8.self))
      }
    }
  }

  /// Deletes the documents `filter` selects (evaluated in the same write transaction, so exactly
  /// those that match at commit time) and tombstones their rows in every space.
  /// - Returns: how many were deleted.
  @discardableResult
  public func delete(where filter: MetadataFilter) throws -> Int {
    try deleteDocuments { txn in try documentSet(filter, txn).members.compactMap { try documentID(number: $0, txn) } }
  }

  /// A metadata field as the index sees it.
  public struct FieldInfo: Sendable, Equatable {
    /// Its dotted path.
    public var path: String
    /// Documents that have it.
    public var documents: Int
    /// The kinds of value stored for it: "boolean", "number", "string".
    public var kinds: [String]
  }

  /// Every indexed field, in path order, and the paths whose indexing is off.
  public func fields() throws -> (indexed: [FieldInfo], unindexed: [String]) {
    let current = try currentDatabases()
    return try env.read { txn in
      var out: [FieldInfo] = []
      try txn.withCursor(current.metadataIndex!) { cursor in
        try cursor.forEach { entry in
          guard let path = MetadataIndex.path(ofKey: entry.key) else { return true }
          let kindByte = entry.key[1 + Int(entry.key[0])]
          if out.last?.path != path { out.append(FieldInfo(path: path, documents: 0, kinds: [])) }
          switch MetadataIndex.Kind(rawValue: kindByte) {
          case .exists:
            var set = DocumentSet(capacity: DocumentSetContainer.span)
            try DocumentSetContainer.union(entry.value, high: 0, into: &set)
            out[out.count - 1].documents += set.count
          case .bool: if out.last?.kinds.last != "boolean" { out[out.count - 1].kinds.append("boolean") }
          case .number: if out.last?.kinds.last != "number" { out[out.count - 1].kinds.append("number") }
          case .string, .hashedString: if !out[out.count - 1].kinds.contains("string") { out[out.count - 1].kinds.append("string") }
          case nil: throw StoreError.corruptRecord("metadata index key of kind \(kindByte)")
          }
          return true
        }
      }
      return (out, try unindexedFields(txn))
    }
  }

  /// Turns indexing of metadata field `path` (and of its sub-paths) off or back on, in one write
  /// transaction: off deletes its sets (filters on it then read every document's metadata), on
  /// indexes every document's values of it. Fields are indexed by default.
  public func setIndexing(field path: String, enabled: Bool) throws {
    guard !path.isEmpty, path.utf8.count <= MetadataIndex.maximumPathBytes else {
      throw StoreError.invalidArgument("a field path is 1…\(MetadataIndex.maximumPathBytes) bytes")
    }
    try requireWritable()
    let current = try currentDatabases()
    try env.write { txn in
      var list = try unindexedFields(txn)
      let wasOff = list.contains(path)
      guard wasOff == enabled else { return }
      if enabled { list.removeAll { $0 == path } } else { list.append(path) }
      try txn.put(meta, key: MetadataIndex.unindexedKey, value: Array(("[" + list.map(JSONText.quoted).joined(separator: ",") + "]").utf8))
      let index = try metadataIndex(current.metadataIndex!, txn)
      if !enabled {
        try index.removeAll(path: path, txn)
        return
      }
      var changes = MetadataIndex.Changes()
      try MetadataIndex.forEachDocument(in: docs, txn) { number, terms in
        changes.add(document: number, terms: terms.filter { $0.path == path || $0.path.hasPrefix(path + ".") }, index)
      }
      try index.apply(changes, txn)
    }
  }
}
