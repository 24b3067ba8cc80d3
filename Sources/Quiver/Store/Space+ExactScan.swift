import QuiverKernels

extension Space {
  /// The exact index: every live row of every chunk, in key order, scored against `query` by the
  /// SIMD kernels straight from the mapped pages (no copy), into a bounded top-k heap.
  ///
  /// Scores: cosine and dot spaces, q·v (cosine rows and query are unit vectors); L2 spaces,
  /// −‖q − v‖²; int8 rows, scale_q · scale_v · Σ qᵢvᵢ with the query quantised the same way.
  func exactScan(query q: [Float], _ txn: LMDBTransaction, into top: inout TopK) throws {
    let d = dimension
    precondition(q.count == d, "query of \(q.count) dimensions, space of \(d)")
    let rowBytes = elementType.rowBytes(dimension: d)
    let (qInt8, qScale) = Int8Quantizer.quantize(q)
    let l2 = metric == .l2
    let int8 = elementType == .int8
    try q.withUnsafeBufferPointer { qp in
      try qInt8.withUnsafeBufferPointer { qi in
        try txn.withCursor(vectors) { cursor in
          try cursor.forEach { entry in
            guard let chunk = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("chunk key") }
            let deadBits = try txn.get(dead, key: BigEndianKey(chunk))
            guard entry.value.count % rowBytes == 0, entry.value.count <= Self.rowsPerChunk * rowBytes else {
              throw StoreError.corruptRecord("vector chunk \(chunk) holds \(entry.value.count) bytes, not whole \(rowBytes)-byte rows")
            }
            let n = entry.value.count / rowBytes
            let firstRow = chunk * UInt64(Self.rowsPerChunk)
            if int8 {  // scale (read unaligned) + int8 codes: no alignment needed
              let base = entry.value.baseAddress!
              for i in 0..<n where !DeadRows.contains(deadBits, i) {
                let row = base + i * rowBytes
                let v = UnsafeBufferPointer(start: (row + 4).assumingMemoryBound(to: Int8.self), count: d)
                top.offer(Kernels.dotScaledInt8(qi, scaleA: qScale, v, scaleB: row.loadUnaligned(as: Float.self)), row: firstRow + UInt64(i))
              }
            } else {
              AlignedView.with(entry.value, as: Float.self) { floats in
                for i in 0..<n where !DeadRows.contains(deadBits, i) {
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
}
