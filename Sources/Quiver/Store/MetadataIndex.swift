import CXXHash

/// The store's metadata index (`metaindex`, one LMDB database whatever the number of fields;
/// layout in `docs/store-layout.md` §11a): for every indexed field path and value, the set of
/// documents holding it, as roaring-style containers (``DocumentSetContainer``) keyed by
/// document number — metadata belongs to a document, and a document's number is stable while its
/// text is (rows are per space and renumbered by compaction, so sets of rows would have to be kept
/// per space and rewritten by every compaction). A filter thus becomes a ``DocumentSet`` without
/// reading documents; a search maps it to rows through each space's row → document numbers.
///
/// Key: `u8 path length (1…255) · path · u8 kind · value · u32 BE container (number >> 16)`, kinds:
/// 1 exists (no value), 2 boolean (1 byte), 3 number (8 bytes, order-preserving, so a range is one
/// cursor walk), 4 string (its UTF-8 bytes, ≤ 255), 5 longer string (XXH3-64 of its bytes, BE).
/// The set of every document is `u8 0 · u32 BE container`.
struct MetadataIndex {
  static let databaseName = "metaindex"
  /// The `meta` key of the unindexed field paths (a JSON list of strings).
  static let unindexedKey = "unindexed_fields"
  /// Longer field paths are not indexed (filters on them scan documents).
  static let maximumPathBytes = 255
  /// Longer strings are keyed by their hash.
  static let maximumStringBytes = 255

  enum Kind: UInt8 {
    case exists = 1, bool = 2, number = 3, string = 4, hashedString = 5
  }

  let database: LMDBDatabase
  /// Field paths the user turned indexing off for (their sub-paths too).
  let unindexed: [String]

  /// Whether terms of `path` are in the index.
  func isIndexed(_ path: String) -> Bool {
    path.utf8.count <= Self.maximumPathBytes && !unindexed.contains { path == $0 || path.hasPrefix($0 + ".") }
  }

  // MARK: Keys

  static let allDocumentsPrefix: [UInt8] = [0]

  /// The key of `path`'s terms of `kind`, without a value.
  static func prefix(path: String, kind: Kind) -> [UInt8] {
    let p = Array(path.utf8)
    precondition(!p.isEmpty && p.count <= maximumPathBytes, "path of \(p.count) bytes")
    return [UInt8(p.count)] + p + [kind.rawValue]
  }

  /// The key of a term's set, without its container number.
  static func key(_ term: MetadataTerm) -> [UInt8] {
    switch term.value {
    case .exists: return prefix(path: term.path, kind: .exists)
    case .bool(let b): return prefix(path: term.path, kind: .bool) + [b ? 1 : 0]
    case .number(let n): return prefix(path: term.path, kind: .number) + orderedBytes(n)
    case .string(let s):
      let bytes = Array(s.utf8)
      if bytes.count <= maximumStringBytes { return prefix(path: term.path, kind: .string) + bytes }
      var w = ByteWriter()
      w.u64BE(bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) })
      return prefix(path: term.path, kind: .hashedString) + w.bytes
    }
  }

  /// A double's 8 bytes such that byte order is numeric order (−0 as 0): the sign bit flipped for
  /// positives, every bit flipped for negatives, big-endian.
  static func orderedBytes(_ x: Double) -> [UInt8] {
    let bits = (x == 0 ? 0 : x).bitPattern
    let ordered = bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    var w = ByteWriter()
    w.u64BE(ordered)
    return w.bytes
  }

  static func number(orderedBytes b: UnsafeRawBufferPointer) -> Double {
    let ordered = UInt64(bigEndian: b.loadUnaligned(as: UInt64.self))
    return Double(bitPattern: ordered & (1 << 63) != 0 ? ordered & ~(1 << 63) : ~ordered)
  }

  static func containerKey(_ prefix: [UInt8], _ high: UInt64) -> [UInt8] {
    var w = ByteWriter(capacity: prefix.count + 4)
    w.raw(prefix)
    w.u32BE(UInt32(truncatingIfNeeded: high))
    return w.bytes
  }

  // MARK: Writing

  /// Set changes gathered during a write transaction and applied once at its end (each container
  /// read and written once). For one (set, document), the last change wins.
  struct Changes {
    private(set) var pending: [[UInt8]: [UInt64: Bool]] = [:]

    var isEmpty: Bool { pending.isEmpty }

    /// Puts document `number` into the sets of its `terms` that `index` indexes, and into the
    /// set of every document.
    mutating func add(document number: UInt64, terms: Set<MetadataTerm>, _ index: MetadataIndex) {
      set(number, terms, index, present: true)
    }

    /// Takes document `number` out of the sets of `terms` and out of the set of every document.
    mutating func remove(document number: UInt64, terms: Set<MetadataTerm>, _ index: MetadataIndex) {
      set(number, terms, index, present: false)
    }

    private mutating func set(_ number: UInt64, _ terms: Set<MetadataTerm>, _ index: MetadataIndex, present: Bool) {
      pending[MetadataIndex.allDocumentsPrefix, default: [:]][number] = present
      for t in terms where index.isIndexed(t.path) {
        pending[MetadataIndex.key(t), default: [:]][number] = present
      }
    }
  }

  /// Calls `body` with every numbered document's number and metadata terms, in id order (the one
  /// walk that building, re-enabling, verifying and scanning the index share); `unnumbered` gets the
  /// id of each document without a number (a format 1 record).
  static func forEachDocument(in documents: LMDBDatabase, _ txn: LMDBTransaction, unnumbered: (String) -> Void = { _ in },
                              _ body: (UInt64, Set<MetadataTerm>) throws -> Void) throws {
    try txn.withCursor(documents) { cursor in
      try cursor.forEach { entry in
        let record = try DocumentRecord(decoding: entry.value)
        guard let number = record.number else {
          unnumbered(String(decoding: entry.key, as: UTF8.self))
          return true
        }
        try body(number, try MetadataFilterEvaluator.terms(ofMetadata: record.metadata))
        return true
      }
    }
  }

  /// Writes `changes`: each touched container is read, updated and rewritten (deleted when empty).
  func apply(_ changes: Changes, _ txn: LMDBTransaction) throws {
    for prefix in changes.pending.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
      var byContainer: [UInt64: [(low: Int, present: Bool)]] = [:]
      for (n, present) in changes.pending[prefix]! { byContainer[n >> 16, default: []].append((Int(n & 0xFFFF), present)) }
      for (high, updates) in byContainer {
        let key = Self.containerKey(prefix, high)
        var words = try txn.get(database, key: key).map { try DocumentSetContainer.decode($0) }
          ?? [UInt64](repeating: 0, count: DocumentSetContainer.span / 64)
        for u in updates {
          if u.present { words[u.low >> 6] |= 1 << UInt64(u.low & 63) } else { words[u.low >> 6] &= ~(1 << UInt64(u.low & 63)) }
        }
        if let bytes = DocumentSetContainer.encode(words) {
          try txn.put(database, key: key, value: bytes)
        } else {
          _ = try txn.delete(database, key: key)
        }
      }
    }
  }

  /// Deletes every set of `path` and its sub-paths (indexing turned off for it).
  func removeAll(path: String, _ txn: LMDBTransaction) throws {
    var doomed: [[UInt8]] = []
    try txn.withCursor(database) { cursor in
      try cursor.forEach { entry in
        if let p = Self.path(ofKey: entry.key), p == path || p.hasPrefix(path + ".") { doomed.append(Array(entry.key)) }
        return true
      }
    }
    for k in doomed { _ = try txn.delete(database, key: k) }
  }

  /// The field path of a set key (nil: the set of every document).
  static func path(ofKey key: UnsafeRawBufferPointer) -> String? {
    guard let n = key.first, n > 0, key.count > Int(n) else { return nil }
    return String(decoding: key[1...Int(n)], as: UTF8.self)
  }

  // MARK: Reading

  /// The documents in the set of `prefix` (a whole term key).
  func documents(term prefix: [UInt8], capacity: Int, _ txn: LMDBTransaction) throws -> DocumentSet {
    var set = DocumentSet(capacity: capacity)
    try txn.withCursor(database) { cursor in
      try cursor.forEach(from: prefix, to: nil as [UInt8]?) { entry in
        guard entry.key.count >= prefix.count + 4, entry.key.starts(with: prefix) else { return false }
        if entry.key.count == prefix.count + 4 {
          let high = UInt64(UInt32(bigEndian: entry.key.loadUnaligned(fromByteOffset: prefix.count, as: UInt32.self)))
          try DocumentSetContainer.union(entry.value, high: high, into: &set)
        }
        return true
      }
    }
    return set
  }

  /// The documents holding a number of `path` within the bounds (nil: open).
  func documents(path: String, above lower: (Double, inclusive: Bool)?, below upper: (Double, inclusive: Bool)?,
                 capacity: Int, _ txn: LMDBTransaction) throws -> DocumentSet {
    var set = DocumentSet(capacity: capacity)
    let prefix = Self.prefix(path: path, kind: .number)
    let start = lower.map { prefix + Self.orderedBytes($0.0) } ?? prefix
    try txn.withCursor(database) { cursor in
      try cursor.forEach(from: start, to: nil as [UInt8]?) { entry in
        guard entry.key.count == prefix.count + 12, entry.key.starts(with: prefix) else { return false }
        let value = Self.number(orderedBytes: UnsafeRawBufferPointer(rebasing: entry.key[prefix.count..<(prefix.count + 8)]))
        if let (bound, inclusive) = lower, inclusive ? value < bound : value <= bound { return true }
        if let (bound, inclusive) = upper, inclusive ? value > bound : value >= bound { return false }
        let high = UInt64(UInt32(bigEndian: entry.key.loadUnaligned(fromByteOffset: prefix.count + 8, as: UInt32.self)))
        try DocumentSetContainer.union(entry.value, high: high, into: &set)
        return true
      }
    }
    return set
  }

  /// Whether any document holds a term of `path` of `kind`.
  func hasTerms(path: String, kind: Kind, _ txn: LMDBTransaction) throws -> Bool {
    let prefix = Self.prefix(path: path, kind: kind)
    return try txn.withCursor(database) { cursor in
      guard let e = try cursor.seek(atLeast: prefix) else { return false }
      return e.key.starts(with: prefix)
    }
  }
}
