import CPrefetch
import QuiverKernels

extension Space {
  /// The exact index: every live row of every chunk, in key order, scored against `query` by the
  /// SIMD kernels straight from the mapped pages (no copy), into a bounded top-k heap.
  ///
  /// With `allowed`, only rows whose document is in the set are scored: through `mask` (its rows,
  /// 16 words a chunk) when there is one, else each chunk's row → document numbers read beside its
  /// vectors, zero-copy; a chunk with no allowed row is not scored.
  ///
  /// Scores: cosine and dot spaces, q·v (cosine rows and query are unit vectors); L2 spaces,
  /// −‖q − v‖²; int8 rows, scale_q · scale_v · Σ qᵢvᵢ with the query quantised the same way.
  func exactScan(query q: [Float], _ txn: LMDBTransaction, into top: inout TopK, allowed: DocumentSet? = nil, mask: RowMask? = nil) throws {
    let d = dimension
    precondition(q.count == d, "query of \(q.count) dimensions, space of \(d)")
    let rowBytes = elementType.rowBytes(dimension: d)
    let (qInt8, qScale) = Int8Quantizer.quantize(q)
    let l2 = metric == .l2
    let int8 = elementType == .int8
    let rowDocuments = try allowed.map { _ in try txn.openDatabase(named: SpaceDatabases(number: number).rowDocuments) }
    // Tombstones are looked up per chunk only when the space has any (in this snapshot): one
    // B-tree lookup a chunk is most of a selective scan's time at 1M rows.
    let anyDeleted = try Store.spaceRecord(txn, store.spacesDB, key).map { $0.liveCount < $0.rowCount } ?? true
    var maskChunk = Self.noRowSkipped
    let lines = Int32(min(16, (rowBytes + 63) / 64))
    try q.withUnsafeBufferPointer { qp in
      try qInt8.withUnsafeBufferPointer { qi in
        try txn.withCursor(vectors) { cursor in
          try cursor.forEach { entry in
            guard let chunk = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("chunk key") }
            guard entry.value.count % rowBytes == 0, entry.value.count <= Self.rowsPerChunk * rowBytes else {
              throw StoreError.corruptRecord("vector chunk \(chunk) holds \(entry.value.count) bytes, not whole \(rowBytes)-byte rows")
            }
            let n = entry.value.count / rowBytes
            let firstRow = chunk * UInt64(Self.rowsPerChunk)
            var skip = Self.noRowSkipped
            if let mask {
              let first = Int(chunk) * (Self.rowsPerChunk / 64)
              var any = false
              for w in 0..<(Self.rowsPerChunk / 64) {
                maskChunk[w] = first + w < mask.words.count ? ~mask.words[first + w] : ~0
                any = any || maskChunk[w] != ~0
              }
              if !any { return true }
              skip = maskChunk
            } else if let allowed, let rowDocuments {
              guard let numbers = try txn.get(rowDocuments, key: BigEndianKey(chunk)), numbers.count >= n * 8 else {
                throw StoreError.corruptRecord("row-document chunk \(chunk) of \(key) missing or short")
              }
              skip = Self.rowsOutside(allowed, numbers, count: n)
              if skip.allSatisfy({ $0 == ~0 }) { return true }
            }
            let deadBits = anyDeleted ? try txn.get(dead, key: BigEndianKey(chunk)) : nil
            let base = entry.value.baseAddress!
            // Rows a filter picks are scattered: prefetch them (an unfiltered scan is sequential).
            let prefetching = mask != nil || allowed != nil ? (UnsafeRawPointer(base), rowBytes, lines) : nil
            if int8 {  // scale (read unaligned) + int8 codes: no alignment needed
              Self.forEachRow(count: n, skip: skip, dead: deadBits, prefetching: prefetching) { i in
                let row = base + i * rowBytes
                let v = UnsafeBufferPointer(start: (row + 4).assumingMemoryBound(to: Int8.self), count: d)
                top.offer(Kernels.dotScaledInt8(qi, scaleA: qScale, v, scaleB: row.loadUnaligned(as: Float.self)), row: firstRow + UInt64(i))
              }
            } else {
              AlignedView.with(entry.value, as: Float.self) { floats in
                Self.forEachRow(count: n, skip: skip, dead: deadBits, prefetching: prefetching) { i in
                  let v = UnsafeBufferPointer(rebasing: floats[(i * d)..<((i + 1) * d)])
                  top.offer(l2 ? -Kernels.squaredL2(qp, v) : Kernels.dot(qp, v), row: firstRow + UInt64(i))
                }
              }
            }
            return true
          }
        }
      }
    }
  }

  /// Calls `body` with each row of a chunk of `count` rows that is neither in `skip` nor deleted in
  /// `dead`, in order, a 64-row word at a time: only the set bits of each word are visited, so a
  /// 1 % filter scores 1 % of the rows and tests every word once rather than every row. With
  /// `prefetching` (the chunk's first row, the row size, cache lines a row), each row is prefetched
  /// eight rows before it is scored: the rows a filter picks are scattered through the map, and
  /// waiting for each one's cache misses in turn cost more than scoring them (1M × 64-d rows at 1 %).
  @inline(__always)
  static func forEachRow(count: Int, skip: [UInt64], dead: UnsafeRawBufferPointer?,
                         prefetching: (base: UnsafeRawPointer, rowBytes: Int, lines: Int32)?, _ body: (Int) -> Void) {
    var ahead = InlineArray<8, Int>(repeating: 0)
    var head = 0, queued = 0
    for w in 0..<((count + 63) / 64) {
      var bits = ~(skip[w] | DeadRows.word(dead, w))
      if (w + 1) * 64 > count { bits &= (1 << UInt64(count - w * 64)) &- 1 }
      if bits == ~0 && prefetching != nil {  // 64 rows in a row: the hardware prefetcher has them
        // The queue is drained inline here and at the end: a nested `drain()` capturing `body` was
        // measured 15–25 % slower on dense filters (not inlined).
        while queued > 0 {
          body(ahead[head])
          head = (head + 1) & 7
          queued -= 1
        }
        for i in (w * 64)..<(w * 64 + 64) { body(i) }
        continue
      }
      while bits != 0 {
        let i = w * 64 + bits.trailingZeroBitCount
        bits &= bits &- 1
        guard let prefetching else {
          body(i)
          continue
        }
        quiver_prefetch(prefetching.base + i * prefetching.rowBytes, prefetching.lines)
        if queued == 8 {
          body(ahead[head])
          ahead[head] = i
          head = (head + 1) & 7
        } else {
          ahead[(head + queued) & 7] = i
          queued += 1
        }
      }
    }
    while queued > 0 {
      body(ahead[head])
      head = (head + 1) & 7
      queued -= 1
    }
  }

  /// A chunk's rows to skip as a bitset (a set bit: skip): none.
  static let noRowSkipped = [UInt64](repeating: 0, count: rowsPerChunk / 64)

  /// The rows of a chunk whose document is not in `allowed` (bits past `count` set too).
  static func rowsOutside(_ allowed: DocumentSet, _ numbers: UnsafeRawBufferPointer, count: Int) -> [UInt64] {
    var skip = [UInt64](repeating: ~0, count: rowsPerChunk / 64)
    for i in 0..<count where allowed.contains(UInt64(littleEndian: numbers.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) {
      skip[i >> 6] &= ~(1 << UInt64(i & 63))
    }
    return skip
  }
}
