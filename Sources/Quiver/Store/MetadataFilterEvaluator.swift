/// Turns a ``MetadataFilter`` into the ``DocumentSet`` it selects, in one read snapshot: indexed
/// fields through the metadata index (set reads, no document read), fields whose indexing is off
/// by one scan of the documents' metadata (done at most once per evaluation).
struct MetadataFilterEvaluator {
  let index: MetadataIndex
  let txn: LMDBTransaction
  /// Document numbers are below this (the store's next document number).
  let capacity: Int
  private let documents: LMDBDatabase
  private var scanned: [(number: UInt64, terms: Set<MetadataTerm>)]?
  private var everyDocument: DocumentSet?

  init(index: MetadataIndex, documents: LMDBDatabase, capacity: Int, _ txn: LMDBTransaction) {
    self.index = index
    self.documents = documents
    self.capacity = capacity
    self.txn = txn
  }

  /// The documents `filter` selects.
  /// - Throws: ``FilterError`` when it names a field no document has (except in `$ne`, `$nin`,
  ///   `$exists`, which documents without it satisfy) or compares a field with no number by range.
  mutating func documents(matching filter: MetadataFilter) throws -> DocumentSet {
    switch filter {
    case .all: return try all()
    case .and(let subs):
      var set = try documents(matching: subs[0])
      for s in subs.dropFirst() { set.formIntersection(try documents(matching: s)) }
      return set
    case .or(let subs):
      var set = DocumentSet(capacity: capacity)
      for s in subs { set.formUnion(try documents(matching: s)) }
      return set
    case .field(let path, let condition):
      return index.isIndexed(path) ? try indexed(path, condition) : try scanned(path, condition)
    }
  }

  private mutating func all() throws -> DocumentSet {
    if let everyDocument { return everyDocument }
    let set = try index.documents(term: MetadataIndex.allDocumentsPrefix, capacity: capacity, txn)
    everyDocument = set
    return set
  }

  private mutating func indexed(_ path: String, _ condition: MetadataFilter.Condition) throws -> DocumentSet {
    if !condition.matchesMissingField, try !index.hasTerms(path: path, kind: .exists, txn) {
      throw FilterError("no document has the field \"\(path)\"")
    }
    func term(_ s: MetadataFilter.Scalar) throws -> DocumentSet {
      try index.documents(term: MetadataIndex.key(MetadataTerm(path: path, value: s.term)), capacity: capacity, txn)
    }
    func union(_ list: [MetadataFilter.Scalar]) throws -> DocumentSet {
      var set = DocumentSet(capacity: capacity)
      for s in list { set.formUnion(try term(s)) }
      return set
    }
    switch condition {
    case .equal(let s): return try term(s)
    case .in(let list): return try union(list)
    case .notEqual(let s): return try complement(of: term(s))
    case .notIn(let list): return try complement(of: union(list))
    case .exists(let present):
      let set = try index.documents(term: MetadataIndex.key(MetadataTerm(path: path, value: .exists)), capacity: capacity, txn)
      return present ? set : try complement(of: set)
    case .greater(let bound, let inclusive):
      try requireNumbers(path, condition)
      return try index.documents(path: path, above: (bound, inclusive), below: nil, capacity: capacity, txn)
    case .less(let bound, let inclusive):
      try requireNumbers(path, condition)
      return try index.documents(path: path, above: nil, below: (bound, inclusive), capacity: capacity, txn)
    }
  }

  private func requireNumbers(_ path: String, _ condition: MetadataFilter.Condition) throws {
    guard try index.hasTerms(path: path, kind: .number, txn) else {
      throw FilterError("field \"\(path)\": \(Self.name(condition)) compares numbers, and no stored value of \"\(path)\" is a number")
    }
  }

  private mutating func complement(of set: DocumentSet) throws -> DocumentSet {
    var out = try all()
    out.subtract(set)
    return out
  }

  /// A condition on a field whose indexing is off: every document's metadata is read once.
  private mutating func scanned(_ path: String, _ condition: MetadataFilter.Condition) throws -> DocumentSet {
    if scanned == nil {
      var out: [(number: UInt64, terms: Set<MetadataTerm>)] = []
      try MetadataIndex.forEachDocument(in: documents, txn) { number, terms in out.append((number, terms)) }
      scanned = out
    }
    let docs = scanned!
    if !condition.matchesMissingField, !docs.contains(where: { $0.terms.contains(MetadataTerm(path: path, value: .exists)) }) {
      throw FilterError("no document has the field \"\(path)\"")
    }
    if condition.isRange, !docs.contains(where: { $0.terms.contains { t in t.path == path && { if case .number = t.value { true } else { false } }() } }) {
      throw FilterError("field \"\(path)\": \(Self.name(condition)) compares numbers, and no stored value of \"\(path)\" is a number")
    }
    var set = DocumentSet(capacity: capacity)
    let leaf = MetadataFilter.field(path, condition)
    for d in docs where leaf.matches(d.terms) { set.insert(d.number) }
    return set
  }

  /// The terms of a stored metadata text (empty metadata: none).
  static func terms(ofMetadata bytes: [UInt8]) throws -> Set<MetadataTerm> {
    guard !bytes.isEmpty else { return [] }
    do {
      return MetadataTerm.terms(of: try JSONParser.parse(String(decoding: bytes, as: UTF8.self)))
    } catch {
      throw StoreError.corruptRecord("document metadata: \(error)")
    }
  }

  private static func name(_ c: MetadataFilter.Condition) -> String {
    switch c {
    case .greater(_, let inclusive): inclusive ? "$gte" : "$gt"
    case .less(_, let inclusive): inclusive ? "$lte" : "$lt"
    default: "this operator"
    }
  }
}
