import CLMDB

/// A transaction, lent to the closures of ``LMDBEnvironment/read(_:)`` and
/// ``LMDBEnvironment/write(_:)``. It must not escape them: the environment ends it when they return.
///
/// Buffers returned by ``get(_:key:)`` and the cursors point straight into the memory map
/// (zero-copy) and are valid only until the transaction ends.
public struct LMDBTransaction {
  let handle: OpaquePointer
  /// Whether this is a read-only snapshot.
  public let isReadOnly: Bool

  /// Opens (or creates, with `.create`, in a write transaction) a named database, or the main
  /// database when `name` is `nil`.
  /// The snapshot's transaction id (`mdb_txn_id`): every committed write transaction has a larger
  /// one, so two reads with the same id saw the same data.
  public var id: Int { Int(mdb_txn_id(handle)) }

  public func openDatabase(named name: String?, flags: LMDBDatabase.Flags = []) throws -> LMDBDatabase {
    var dbi = MDB_dbi()
    try LMDBError.check(mdb_dbi_open(handle, name, flags.rawValue, &dbi))
    return LMDBDatabase(dbi: dbi)
  }

  /// The value stored under `key`, zero-copy, or `nil` when the key is absent.
  public func get(_ database: LMDBDatabase, key: some LMDBBytes) throws -> UnsafeRawBufferPointer? {
    try key.withLMDBBytes { keyBytes in
      var k = MDB_val(reading: keyBytes)
      var v = MDB_val()
      let code = mdb_get(handle, database.dbi, &k, &v)
      if code == MDB_NOTFOUND { return nil }
      try LMDBError.check(code)
      return v.bytes
    }
  }

  /// Stores `value` under `key`, replacing any value unless `flags` say otherwise.
  public func put(_ database: LMDBDatabase, key: some LMDBBytes, value: some LMDBBytes,
                  flags: LMDBDatabase.PutFlags = []) throws {
    try key.withLMDBBytes { keyBytes in
      try value.withLMDBBytes { valueBytes in
        var k = MDB_val(reading: keyBytes)
        var v = MDB_val(reading: valueBytes)
        try LMDBError.check(mdb_put(handle, database.dbi, &k, &v, flags.rawValue))
      }
    }
  }

  /// Reserves `count` bytes under `key` (`MDB_RESERVE`) and returns them for the caller to fill
  /// before the transaction ends: the value is written in place, with no intermediate copy.
  public func reserve(_ database: LMDBDatabase, key: some LMDBBytes, count: Int,
                      flags: LMDBDatabase.PutFlags = []) throws -> UnsafeMutableRawBufferPointer {
    try key.withLMDBBytes { keyBytes in
      var k = MDB_val(reading: keyBytes)
      var v = MDB_val(mv_size: count, mv_data: nil)
      try LMDBError.check(mdb_put(handle, database.dbi, &k, &v, flags.rawValue | UInt32(MDB_RESERVE)))
      return UnsafeMutableRawBufferPointer(start: v.mv_data, count: v.mv_size)
    }
  }

  /// Deletes `key` (all its values in a `duplicateSort` database).
  /// - Returns: `false` when the key was absent.
  @discardableResult
  public func delete(_ database: LMDBDatabase, key: some LMDBBytes) throws -> Bool {
    try key.withLMDBBytes { keyBytes in
      var k = MDB_val(reading: keyBytes)
      let code = mdb_del(handle, database.dbi, &k, nil)
      if code == MDB_NOTFOUND { return false }
      try LMDBError.check(code)
      return true
    }
  }

  /// Removes every entry of `database`, keeping the database itself.
  public func removeAll(_ database: LMDBDatabase) throws {
    try LMDBError.check(mdb_drop(handle, database.dbi, 0))
  }

  /// The number of entries in `database`.
  public func count(_ database: LMDBDatabase) throws -> Int {
    var stat = MDB_stat()
    try LMDBError.check(mdb_stat(handle, database.dbi, &stat))
    return stat.ms_entries
  }

  /// Compares two keys the way `database` orders them (`mdb_cmp`): negative, zero or positive.
  public func compare(_ database: LMDBDatabase, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32 {
    var x = MDB_val(reading: a)
    var y = MDB_val(reading: b)
    return mdb_cmp(handle, database.dbi, &x, &y)
  }

  /// Opens a cursor over `database` for the duration of `body`.
  public func withCursor<R>(_ database: LMDBDatabase, _ body: (LMDBCursor) throws -> R) throws -> R {
    var cursor: OpaquePointer?
    try LMDBError.check(mdb_cursor_open(handle, database.dbi, &cursor))
    guard let cursor else { throw LMDBError.badTransaction }
    defer { mdb_cursor_close(cursor) }
    return try body(LMDBCursor(handle: cursor, transaction: self, database: database))
  }
}
