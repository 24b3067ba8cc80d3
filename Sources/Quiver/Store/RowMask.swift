import Synchronization

/// The rows of a space whose documents are in a set, as a bitset over rows — what FAISS's
/// `IDSelectorBitmap` is, derived from a document set through the space's row → document numbers.
/// A filtered walk then tests one bit a node, the exact scan 16 words a chunk. Rows past the mask
/// (committed after it was made) do not pass.
struct RowMask: NodeFilter {
  let words: [UInt64]

  @inline(__always)
  func allows(_ node: UInt32) -> Bool {
    let w = Int(node >> 6)
    return w < words.count && words[w] & (1 << UInt64(node & 63)) != 0
  }

  /// The mask of `set` over the rows of `rowDocuments` (a space's `rowdocs`), read in `txn`.
  init(_ set: DocumentSet, rowDocuments: LMDBDatabase, rows: UInt64, _ txn: LMDBTransaction) throws {
    var words = [UInt64](repeating: 0, count: Int((rows + 63) / 64))
    try txn.withCursor(rowDocuments) { cursor in
      try cursor.forEach { entry in
        guard let chunk = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("row-document chunk key") }
        let first = Int(chunk) * Space.rowsPerChunk
        for i in 0..<(entry.value.count / 8) where first + i < Int(rows) {
          if set.contains(UInt64(littleEndian: entry.value.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) {
            words[(first + i) >> 6] |= 1 << UInt64((first + i) & 63)
          }
        }
        return true
      }
    }
    self.words = words
  }
}

/// The last row mask a space made, under the set's token and the snapshot it was read in. A mask
/// is made on the second search with the same sealed set (a batch of queries, a prepared filter);
/// a one-off filter tests rows lazily instead (a mask costs a pass over every row).
struct RowMaskCache {
  var token: UInt64 = 0
  var snapshot = -1
  var mask: RowMask?
  /// The token of the last sealed set seen without a mask.
  var seen: UInt64 = 0
}

extension Space {
  /// The row mask of `set` in `txn`'s snapshot when it is cached or worth making now (nil: test
  /// rows lazily).
  func rowMask(for set: DocumentSet, rows: UInt64, _ txn: LMDBTransaction) throws -> RowMask? {
    guard set.token != 0 else { return nil }
    let snapshot = txn.id
    let cached: RowMask?? = rowMasks.withLock { state in
      if state.token == set.token && state.snapshot == snapshot { return .some(state.mask) }
      if state.seen != set.token { state.seen = set.token; return .some(nil) }
      return nil
    }
    if let cached { return cached }
    let mask = try RowMask(set, rowDocuments: try txn.openDatabase(named: SpaceDatabases(number: number).rowDocuments), rows: rows, txn)
    rowMasks.withLock { $0 = RowMaskCache(token: set.token, snapshot: snapshot, mask: mask, seen: set.token) }
    return mask
  }
}
