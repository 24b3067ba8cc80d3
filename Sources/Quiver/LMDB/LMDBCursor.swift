import CLMDB

/// A cursor over one database, lent to the closure of ``LMDBTransaction/withCursor(_:_:)``.
///
/// Positioning calls return the entry they land on, or `nil` at either end of the data; the key
/// and value buffers point into the memory map and are valid until the transaction ends.
public struct LMDBCursor {
  /// A key and its value, both zero-copy views of the map.
  public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

  let handle: OpaquePointer
  let transaction: LMDBTransaction
  let database: LMDBDatabase

  /// Moves to the first entry.
  public func first() throws -> Entry? { try move(MDB_FIRST) }
  /// Moves to the last entry.
  public func last() throws -> Entry? { try move(MDB_LAST) }
  /// Moves to the next entry.
  public func next() throws -> Entry? { try move(MDB_NEXT) }
  /// Moves to the previous entry.
  public func previous() throws -> Entry? { try move(MDB_PREV) }
  /// The entry under the cursor.
  public func current() throws -> Entry? { try move(MDB_GET_CURRENT) }

  /// Moves to the first entry whose key is ≥ `key` (`MDB_SET_RANGE`).
  public func seek(atLeast key: some LMDBBytes) throws -> Entry? {
    try key.withLMDBBytes { try move(MDB_SET_RANGE, key: $0) }
  }

  /// Moves to the entry whose key equals `key` (`MDB_SET_KEY`), or returns `nil`.
  public func seek(exactly key: some LMDBBytes) throws -> Entry? {
    try key.withLMDBBytes { try move(MDB_SET_KEY, key: $0) }
  }

  /// Calls `body` for every entry with `lower ≤ key < upper` in key order (`nil` bounds are open).
  /// `body` returns `false` to stop early.
  public func forEach(from lower: (some LMDBBytes)?, to upper: (some LMDBBytes)?,
                      _ body: (Entry) throws -> Bool) throws {
    var entry = try lower.map { try seek(atLeast: $0) } ?? first()
    while let current = entry {
      if let upper {
        let beyond = upper.withLMDBBytes { transaction.compare(database, current.key, $0) >= 0 }
        if beyond { return }
      }
      guard try body(current) else { return }
      entry = try next()
    }
  }

  /// Calls `body` for every entry in key order; `body` returns `false` to stop early.
  public func forEach(_ body: (Entry) throws -> Bool) throws {
    try forEach(from: nil as [UInt8]?, to: nil as [UInt8]?, body)
  }

  /// Deletes the entry under the cursor (write transactions only).
  public func deleteCurrent() throws {
    try LMDBError.check(mdb_cursor_del(handle, 0))
  }

  private func move(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
    var k = key.map { MDB_val(reading: $0) } ?? MDB_val()
    var v = MDB_val()
    let code = mdb_cursor_get(handle, &k, &v, op)
    if code == MDB_NOTFOUND { return nil }
    try LMDBError.check(code)
    return (k.bytes, v.bytes)
  }
}
