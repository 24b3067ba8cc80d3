import CXXHash
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A Quiver store: one LMDB environment in a directory holding documents and any number of
/// embedding spaces, each with its own exact index (layout: `docs/store-layout.md`).
///
/// ```swift
/// let store = try Store.open(at: "/tmp/quiver-store")
/// let model = try StaticModel(path: "fixtures/quiver-256d-pq.qvm")
/// let space = try store.space(for: model)
/// try space.ingest([Document(id: "exim4", text: "mail transfer agent")], model: model)
/// let hits = try space.search(text: "smtp server", model: model, k: 5)
/// ```
///
/// Thread safety: a `Store` and its `Space`s may be used from any thread; writes are serialised by
/// LMDB, readers see committed snapshots.
public final class Store: @unchecked Sendable {
  /// The format this Quiver writes (`docs/store-layout.md`). Version 2 added document numbers,
  /// lexical indexes, row → document numbers per space, and the space's model path.
  public static let formatVersion: UInt32 = 2
  /// The formats this Quiver opens. A version 1 store is read as it is and upgraded to version 2 by
  /// its first write (one transaction; nothing is lost, nothing is rewritten twice).
  public static let readableFormats: ClosedRange<UInt32> = 1...2
  /// Recorded in `meta` when a store is created.
  public static let createdBy = "quiver 0.4"

  /// The store's directory.
  public let path: String
  /// Opened for reading only (``open(at:creating:readOnly:maximumMapBytes:)``).
  public let isReadOnly: Bool
  /// The shared lock on `quiver.lock` held while this handle is open (-1: none).
  private var processLock: Int32 = -1
  let env: LMDBEnvironment
  let meta: LMDBDatabase
  let spacesDB: LMDBDatabase
  let docs: LMDBDatabase
  /// The databases format 2 added; nil while a format 1 store has not been written.
  private let current = Locked<CurrentDatabases?>(nil)
  /// Bytes of old postings a lexical-index merge copies out of the map at a time
  /// (``LexicalIndex/mergeChunkBytes``); tests make it small, to merge in many chunks.
  package let lexicalMergeChunkBytes = Locked(LexicalIndex.mergeChunkBytes)
  /// Each lexical index's dead passages, read once per committed write (``DeadPassageCache``).
  let deadPassages = DeadPassageCache()

  /// The databases of format 2 beyond format 1's.
  struct CurrentDatabases {
    /// Document number (u64 big-endian) → document id.
    let documentNumbers: LMDBDatabase
    /// Tokenizer identity → ``LexiconRecord``.
    let lexicons: LMDBDatabase
    /// The metadata index (``MetadataIndex``); nil in a store written before it existed, until
    /// ``Store/upgrade()`` builds it.
    let metadataIndex: LMDBDatabase?
  }

  private init(path: String, env: LMDBEnvironment, meta: LMDBDatabase, spaces: LMDBDatabase, docs: LMDBDatabase,
               current: CurrentDatabases?, readOnly: Bool) {
    self.path = path
    self.isReadOnly = readOnly
    self.env = env
    self.meta = meta
    self.spacesDB = spaces
    self.docs = docs
    self.current.withLock { $0 = current }
  }

  deinit {
    if processLock >= 0 { close(processLock) }
  }

  /// Opens the store in `path`; with `creating` (the default) the directory and an empty store are
  /// made when there is none, without it a missing store is an error and nothing is created (what
  /// queries, listings and deletes want).
  /// - Throws: ``StoreError/noStore(path:)`` when `creating` is false and `path` holds no store,
  ///   ``StoreError/unsupportedFormatVersion(found:supported:)`` for a store of another format
  ///   (nothing is read or written), ``StoreError/notAStore(path:)`` for an LMDB environment that
  ///   is not a store, ``LMDBError`` for LMDB failures.
  ///   `readOnly` opens the store for reading only (a replica, a read-only directory): it must
  ///   exist, nothing is written (graphs are caught up in memory only), and every write is
  ///   ``StoreError/readOnly(path:)``. `maximumMapBytes` caps the map (and so the store's size):
  ///   a write beyond it fails with `LMDBError.mapFull` and commits nothing.
  public static func open(at path: String, creating: Bool = true, readOnly: Bool = false, maximumMapBytes: Int? = nil) throws -> Store {
    if (!creating || readOnly) && access(path + "/data.mdb", F_OK) != 0 { throw StoreError.noStore(path: path) }
    var options = LMDBEnvironment.Options()
    options.maxDatabases = 256
    options.mapSize = 64 << 20
    if let maximumMapBytes {
      options.maxMapSize = max(maximumMapBytes, 1 << 20)
      options.mapSize = min(options.mapSize, options.maxMapSize)
    }
    options.readOnly = readOnly
    // The shared process lock is taken before the environment opens (see ``rewrite(at:)``).
    if !readOnly { try LMDBEnvironment.makeDirectory(path) }
    let lock = takeSharedLock(path)
    let env: LMDBEnvironment
    do { env = try LMDBEnvironment(path: path, options: options) } catch {
      if lock >= 0 { close(lock) }
      throw error
    }
    let store: Store
    do { store = try openStore(path: path, env: env, readOnly: readOnly) } catch {
      if lock >= 0 { close(lock) }
      throw error
    }
    store.processLock = lock
    return store
  }

  private static func openStore(path: String, env: LMDBEnvironment, readOnly: Bool) throws -> Store {
    // Check before creating anything: a foreign or newer store must stay untouched.
    let existing: (hasMeta: Bool, version: UInt32?, entries: Int) = try env.read { txn in
      let entries = try txn.count(try txn.openDatabase(named: nil))
      guard let meta = try? txn.openDatabase(named: "meta") else { return (false, nil, entries) }
      guard let v = try txn.get(meta, key: "format_version") else { return (true, nil, entries) }
      var r = ByteReader(v, what: "format_version", failure: StoreError.corruptRecord)
      return (true, try r.u32(), entries)
    }
    if let version = existing.version, !readableFormats.contains(version) {
      throw StoreError.unsupportedFormatVersion(found: version, supported: formatVersion)
    }
    if existing.version == nil && existing.entries > 0 { throw StoreError.notAStore(path: path) }
    if readOnly && existing.version == nil { throw StoreError.noStore(path: path) }
    if let version = existing.version {  // an existing store: open its databases without writing
      return try env.read { txn in
        let current = version >= 2
          ? CurrentDatabases(documentNumbers: try txn.openDatabase(named: "docnums"), lexicons: try txn.openDatabase(named: "lexicons"),
                             metadataIndex: try? txn.openDatabase(named: MetadataIndex.databaseName))
          : nil
        return Store(path: path, env: env, meta: try txn.openDatabase(named: "meta"), spaces: try txn.openDatabase(named: "spaces"),
                     docs: try txn.openDatabase(named: "docs"), current: current, readOnly: readOnly)
      }
    }
    return try env.write { txn in
      let meta = try txn.openDatabase(named: "meta", flags: .create)
      let spaces = try txn.openDatabase(named: "spaces", flags: .create)
      let docs = try txn.openDatabase(named: "docs", flags: .create)
      let current = CurrentDatabases(documentNumbers: try txn.openDatabase(named: "docnums", flags: .create),
                                     lexicons: try txn.openDatabase(named: "lexicons", flags: .create),
                                     metadataIndex: try txn.openDatabase(named: MetadataIndex.databaseName, flags: .create))
      var w = ByteWriter()
      w.u32(formatVersion)
      try txn.put(meta, key: "format_version", value: w.bytes)
      try txn.put(meta, key: "created_by", value: Array(createdBy.utf8))
      return Store(path: path, env: env, meta: meta, spaces: spaces, docs: docs, current: current, readOnly: false)
    }
  }

  /// The format 2 databases, upgrading a format 1 store first (see ``upgrade()``). Every write
  /// path calls this before its write transaction.
  func currentDatabases() throws -> CurrentDatabases {
    if let c = current.withLock({ $0 }), c.metadataIndex != nil { return c }
    try requireWritable()
    try upgrade()
    return current.withLock { $0! }
  }

  /// Throws ``StoreError/readOnly(path:)`` for a store opened read-only: every write path calls
  /// this before its write transaction.
  func requireWritable() throws {
    if isReadOnly { throw StoreError.readOnly(path: path) }
  }

  /// The format 2 databases if the store has them (nil: a format 1 store not yet written).
  var currentDatabasesIfPresent: CurrentDatabases? { current.withLock { $0 } }

  /// Upgrades a format 1 store to format 2 in one write transaction: numbers every document (in id
  /// order), writes the number → id map and each space's row → document numbers, rewrites space and
  /// document records in their version 2 layout, sets `format_version` to 2. Lexical indexes are
  /// built by the next ingest into each text space (``Space/ingest(_:model:splitter:updatingGraph:progress:)``).
  /// The metadata index is built in the same transaction (also for a format 2 store written before
  /// the index existed).
  func upgrade() throws {
    let upgraded: CurrentDatabases = try env.write { txn in
      var r = ByteReader(try txn.get(meta, key: "format_version")!, what: "format_version", failure: StoreError.corruptRecord)
      let version = try r.u32()
      let hadMetadataIndex = (try? txn.openDatabase(named: MetadataIndex.databaseName)) != nil
      let current = CurrentDatabases(documentNumbers: try txn.openDatabase(named: "docnums", flags: .create),
                                     lexicons: try txn.openDatabase(named: "lexicons", flags: .create),
                                     metadataIndex: try txn.openDatabase(named: MetadataIndex.databaseName, flags: .create))
      guard version < 2 else {  // format 2 already (another process may have upgraded it)
        if !hadMetadataIndex { try buildMetadataIndex(current.metadataIndex!, txn) }
        return current
      }
      var numbers: [String: UInt64] = [:]
      var records: [([UInt8], DocumentRecord)] = []
      try txn.withCursor(docs) { cursor in
        try cursor.forEach { entry in
          records.append((Array(entry.key), try DocumentRecord(decoding: entry.value)))
          return true
        }
      }
      for (i, (key, record)) in records.enumerated() {
        var record = record
        record.number = UInt64(i)
        numbers[String(decoding: key, as: UTF8.self)] = UInt64(i)
        try txn.put(docs, key: key, value: record.encoded())
        try txn.put(current.documentNumbers, key: BigEndianKey(UInt64(i)), value: key)
      }
      try setNextDocumentNumber(UInt64(records.count), txn)
      var spaceRecords: [([UInt8], SpaceRecord)] = []
      try txn.withCursor(spacesDB) { cursor in
        try cursor.forEach { entry in
          spaceRecords.append((Array(entry.key), try SpaceRecord(decoding: entry.value)))
          return true
        }
      }
      for (key, space) in spaceRecords {
        let names = SpaceDatabases(number: space.number)
        let rows = try txn.openDatabase(named: names.rows)
        let rowDocs = try txn.openDatabase(named: names.rowDocuments, flags: .create)
        var documentOfRow: [UInt64] = []
        documentOfRow.reserveCapacity(Int(space.rowCount))
        try txn.withCursor(rows) { cursor in
          try cursor.forEach { entry in
            let row = try RowRecord(decoding: entry.value)
            documentOfRow.append(numbers[row.documentID] ?? RowDocuments.noDocument)  // deleted rows may have none
            return true
          }
        }
        try RowDocuments.append(documentOfRow, from: 0, into: rowDocs, txn)
        try txn.put(spacesDB, key: key, value: space.encoded())
      }
      var w = ByteWriter()
      w.u32(Self.formatVersion)
      try txn.put(meta, key: "format_version", value: w.bytes)
      try buildMetadataIndex(current.metadataIndex!, txn)
      return current
    }
    current.withLock { $0 = upgraded }
  }

  /// Indexes every numbered document's metadata into the empty metadata index `db`.
  private func buildMetadataIndex(_ db: LMDBDatabase, _ txn: LMDBTransaction) throws {
    let index = try metadataIndex(db, txn)
    var changes = MetadataIndex.Changes()
    try MetadataIndex.forEachDocument(in: docs, txn) { number, terms in changes.add(document: number, terms: terms, index) }
    try index.apply(changes, txn)
  }

  /// The metadata index in `db` with the store's unindexed fields (`meta.unindexed_fields`).
  func metadataIndex(_ db: LMDBDatabase, _ txn: LMDBTransaction) throws -> MetadataIndex {
    MetadataIndex(database: db, unindexed: try unindexedFields(txn))
  }

  /// The field paths whose indexing is off.
  func unindexedFields(_ txn: LMDBTransaction) throws -> [String] {
    guard let bytes = try txn.get(meta, key: MetadataIndex.unindexedKey) else { return [] }
    guard case .array(let list) = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)) else {
      throw StoreError.corruptRecord("meta.\(MetadataIndex.unindexedKey)")
    }
    return list.compactMap { if case .string(let s) = $0 { s } else { nil } }
  }

  /// Takes the next document number (`meta.next_document`).
  func takeDocumentNumber(_ txn: LMDBTransaction) throws -> UInt64 {
    let n = try txn.get(meta, key: "next_document").map { bytes -> UInt64 in
      var r = ByteReader(bytes, what: "next_document", failure: StoreError.corruptRecord)
      return try r.u64()
    } ?? 0
    try setNextDocumentNumber(n + 1, txn)
    return n
  }

  private func setNextDocumentNumber(_ n: UInt64, _ txn: LMDBTransaction) throws {
    var w = ByteWriter()
    w.u64(n)
    try txn.put(meta, key: "next_document", value: w.bytes)
  }

  // MARK: Spaces

  /// Every space, in key order.
  public func spaces() throws -> [SpaceInfo] {
    try env.read { txn in
      var out: [SpaceInfo] = []
      try txn.withCursor(spacesDB) { cursor in
        try cursor.forEach { entry in
          out.append(SpaceInfo(try SpaceRecord(decoding: entry.value)))
          return true
        }
      }
      return out
    }
  }

  /// The space `key`.
  /// - Throws: ``StoreError/unknownSpace(_:)`` when the store has none.
  public func space(_ key: SpaceKey) throws -> Space {
    guard let record = try env.read({ txn in try Self.spaceRecord(txn, spacesDB, key) }) else {
      throw StoreError.unknownSpace(key.description)
    }
    return try Space(store: self, number: record.number, key: key, metric: record.metric, elementType: record.elementType)
  }

  /// The space `key`: the existing one, which must have `metric` and `elementType`, or else a new,
  /// empty one with them.
  /// - Throws: ``StoreError/unsupportedElementType(metric:element:)`` for int8 with L2;
  ///   ``StoreError/spaceMismatch(_:)`` when the space exists with another metric or element type.
  public func openOrCreateSpace(_ key: SpaceKey, metric: Metric = .cosine, elementType: ElementType = .float32) throws -> Space {
    if isReadOnly { return try space(key) }
    if elementType == .int8 && metric == .l2 {
      throw StoreError.unsupportedElementType(metric: metric.name, element: elementType.name)
    }
    let record: SpaceRecord = try env.write { txn in
      if let existing = try Self.spaceRecord(txn, spacesDB, key) {
        guard existing.metric == metric, existing.elementType == elementType else {
          throw StoreError.spaceMismatch("\(key) is \(existing.metric.name)/\(existing.elementType.name), not \(metric.name)/\(elementType.name)")
        }
        return existing
      }
      var highest: UInt32 = 0
      try txn.withCursor(spacesDB) { cursor in
        try cursor.forEach { entry in
          highest = max(highest, try SpaceRecord(decoding: entry.value).number)
          return true
        }
      }
      let record = SpaceRecord(key: key, number: highest + 1, metric: metric, elementType: elementType)
      for name in SpaceDatabases(number: record.number).all { _ = try txn.openDatabase(named: name, flags: .create) }
      try txn.put(spacesDB, key: Array(key.description.utf8), value: record.encoded())
      return record
    }
    return try Space(store: self, number: record.number, key: key, metric: record.metric, elementType: record.elementType)
  }

  /// The space of `model` (a static model or any other ``EmbeddingService``) at `dimension`
  /// (default: native), created if needed (cosine).
  /// - Throws: ``EmbeddingError/unsupportedOutputDimension(requested:native:reason:)`` for a
  ///   dimension the model cannot produce.
  public func space(for model: any EmbeddingService, dimension: Int? = nil, elementType: ElementType = .float32) throws -> Space {
    let configuration = try model.configuration(dimension: dimension)
    return try openOrCreateSpace(configuration.spaceKey, metric: .cosine, elementType: elementType)
  }

  static func spaceRecord(_ txn: LMDBTransaction, _ db: LMDBDatabase, _ key: SpaceKey) throws -> SpaceRecord? {
    try txn.get(db, key: Array(key.description.utf8)).map { try SpaceRecord(decoding: $0) }
  }

  // MARK: Documents

  /// The stored document `id`, or nil.
  public func document(id: String) throws -> Document? {
    try env.read { txn in
      try txn.get(docs, key: Array(id.utf8)).map { bytes in
        let record = try DocumentRecord(decoding: bytes)
        return Document(id: id, text: String(decoding: record.text, as: UTF8.self),
                        metadataJSON: record.metadata.isEmpty ? nil : String(decoding: record.metadata, as: UTF8.self))
      }
    }
  }

  /// Every stored document, in id (byte) order.
  public func documents() throws -> [Document] {
    try env.read { txn in
      var out: [Document] = []
      try txn.withCursor(docs) { cursor in
        try cursor.forEach { entry in
          let record = try DocumentRecord(decoding: entry.value)
          out.append(Document(id: String(decoding: entry.key, as: UTF8.self), text: String(decoding: record.text, as: UTF8.self),
                              metadataJSON: record.metadata.isEmpty ? nil : String(decoding: record.metadata, as: UTF8.self)))
          return true
        }
      }
      return out
    }
  }

  /// Deletes documents and tombstones their rows in every space, in one transaction.
  /// - Returns: how many of `ids` existed.
  @discardableResult
  public func delete(ids: [String]) throws -> Int {
    try deleteDocuments { _ in ids }
  }

  /// Deletes the documents whose ids `select` names (evaluated inside the write transaction):
  /// everything pointing at them forgotten, their metadata index entries removed, in one transaction.
  /// - Returns: how many of them existed.
  func deleteDocuments(_ select: (LMDBTransaction) throws -> [String]) throws -> Int {
    try requireWritable()
    let current = try currentDatabases()
    return try env.write { txn in
      let index = try metadataIndex(current.metadataIndex!, txn)
      var changes = MetadataIndex.Changes()
      var deleted = 0
      for id in try select(txn) {
        guard let bytes = try txn.get(docs, key: Array(id.utf8)) else { continue }
        try forget(try DocumentRecord(decoding: bytes), txn, metadata: &changes, index)
        try txn.delete(docs, key: Array(id.utf8))
        deleted += 1
      }
      try index.apply(changes, txn)
      return deleted
    }
  }

  /// Removes everything that points at a document's current text: its rows in every space
  /// (tombstoned), its passages in every lexical index, its number and (into `metadata`, which the
  /// caller applies) its metadata index entries. The caller deletes or replaces the record itself,
  /// in the same transaction.
  func forget(_ record: DocumentRecord, _ txn: LMDBTransaction, metadata: inout MetadataIndex.Changes, _ index: MetadataIndex) throws {
    try tombstone(record.rows, txn)
    if let number = record.number {
      metadata.remove(document: number, terms: try MetadataFilterEvaluator.terms(ofMetadata: record.metadata), index)
      try removeFromLexicons(document: number, lexicons: record.lexicons, txn)
      try txn.delete(try currentDatabases().documentNumbers, key: BigEndianKey(number))
    }
  }

  /// Marks rows deleted: their row records, their chunks' dead bitsets, their spaces' live counts.
  func tombstone(_ rows: [DocumentRecord.Rows], _ txn: LMDBTransaction) throws {
    for run in rows where run.count > 0 {
      guard let found = try spaceRecord(number: run.space, txn) else { continue }
      let key = found.0
      var record = found.1
      let names = SpaceDatabases(number: run.space)
      let rowsDB = try txn.openDatabase(named: names.rows)
      let deadDB = try txn.openDatabase(named: names.dead)
      for row in run.first..<(run.first + UInt64(run.count)) {
        guard let bytes = try txn.get(rowsDB, key: BigEndianKey(row)) else { continue }
        var rowRecord = try RowRecord(decoding: bytes)
        if rowRecord.deleted { continue }
        rowRecord.deleted = true
        try txn.put(rowsDB, key: BigEndianKey(row), value: rowRecord.encoded())
        let chunk = row / UInt64(Space.rowsPerChunk)
        var bits = try txn.get(deadDB, key: BigEndianKey(chunk)).map { Array($0) }
          ?? [UInt8](repeating: 0, count: DeadRows.byteCount)
        DeadRows.insert(Int(row % UInt64(Space.rowsPerChunk)), into: &bits)
        try txn.put(deadDB, key: BigEndianKey(chunk), value: bits)
        record.liveCount -= 1
      }
      try txn.put(spacesDB, key: key, value: record.encoded())
    }
  }

  private func spaceRecord(number: UInt32, _ txn: LMDBTransaction) throws -> ([UInt8], SpaceRecord)? {
    var found: ([UInt8], SpaceRecord)?
    try txn.withCursor(spacesDB) { cursor in
      try cursor.forEach { entry in
        let record = try SpaceRecord(decoding: entry.value)
        if record.number == number { found = (Array(entry.key), record); return false }
        return true
      }
    }
    return found
  }

  // MARK: Statistics

  /// Counts and sizes.
  public func stats() throws -> StoreStats {
    let (documents, formatVersion, createdBy): (Int, UInt32, String) = try env.read { txn in
      var r = ByteReader(try txn.get(meta, key: "format_version")!, what: "format_version", failure: StoreError.corruptRecord)
      let created = try txn.get(meta, key: "created_by").map { String(decoding: $0, as: UTF8.self) } ?? ""
      return (try txn.count(docs), try r.u32(), created)
    }
    return StoreStats(path: path, formatVersion: formatVersion, createdBy: createdBy, documents: documents,
                      spaces: try spaces(), fileBytes: Self.fileSize(path + "/data.mdb"), mapBytes: env.mapSize)
  }

  static func fileSize(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_size) : 0
  }

  /// XXH3-64 of UTF-8 text: the "same text" test of re-ingestion.
  static func textHash(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
  }
}

/// The database names of space `number`.
struct SpaceDatabases {
  let vectors: String
  let rows: String
  let dead: String
  /// Format 2: each row's document number, in chunks (``RowDocuments``).
  let rowDocuments: String

  init(number: UInt32) {
    vectors = "space.\(number).vectors"
    rows = "space.\(number).rows"
    dead = "space.\(number).dead"
    rowDocuments = "space.\(number).rowdocs"
  }

  var all: [String] { [vectors, rows, dead, rowDocuments] }
}

/// A space as listed by ``Store/spaces()``.
public struct SpaceInfo: Sendable, Equatable {
  public let key: SpaceKey
  public let metric: Metric
  public let elementType: ElementType
  /// Rows appended, including deleted ones.
  public let rows: UInt64
  /// Rows not deleted.
  public let liveRows: UInt64

  init(_ record: SpaceRecord) {
    key = record.key
    metric = record.metric
    elementType = record.elementType
    rows = record.rowCount
    liveRows = record.liveCount
  }
}

/// What ``Store/stats()`` reports.
public struct StoreStats: Sendable {
  public let path: String
  public let formatVersion: UInt32
  public let createdBy: String
  public let documents: Int
  public let spaces: [SpaceInfo]
  /// Size of `data.mdb` on disk.
  public let fileBytes: Int
  /// The current map size.
  public let mapBytes: Int
}
