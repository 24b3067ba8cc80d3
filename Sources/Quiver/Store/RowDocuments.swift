/// Each row's document number, per space (`space.<n>.rowdocs`, `docs/store-layout.md` §8a): chunk
/// c holds rows 1024·c … as little-endian u64 numbers, laid out like the vector chunks, so a filter
/// on document numbers maps to rows without reading row records.
enum RowDocuments {
  /// The number of a row whose document is gone (a deleted row of a format 1 store upgraded).
  static let noDocument = UInt64.max

  /// Appends `numbers` for rows `firstRow…` (each touched chunk rewritten once).
  static func append(_ numbers: [UInt64], from firstRow: UInt64, into db: LMDBDatabase, _ txn: LMDBTransaction) throws {
    let perChunk = Space.rowsPerChunk
    var row = Int(firstRow)
    var done = 0
    while done < numbers.count {
      let chunk = UInt64(row / perChunk)
      let inChunk = row % perChunk
      let take = min(numbers.count - done, perChunk - inChunk)
      let existing = try txn.get(db, key: BigEndianKey(chunk)).map { Array($0) } ?? []
      guard existing.count == inChunk * 8 else {
        throw StoreError.corruptRecord("row-document chunk \(chunk) holds \(existing.count) bytes, expected \(inChunk * 8)")
      }
      var w = ByteWriter(capacity: existing.count + 8 * take)
      w.raw(existing)
      for n in numbers[done..<(done + take)] { w.u64(n) }
      try txn.put(db, key: BigEndianKey(chunk), value: w.bytes)
      done += take
      row += take
    }
  }

  /// Row `row`'s document number in chunk `bytes` (the chunk of `row`), or nil past its end.
  @inline(__always)
  static func number(in bytes: UnsafeRawBufferPointer, row: Int) -> UInt64? {
    let i = row % Space.rowsPerChunk
    guard (i + 1) * 8 <= bytes.count else { return nil }
    return LittleEndian.load(bytes, at: i * 8)
  }
}
