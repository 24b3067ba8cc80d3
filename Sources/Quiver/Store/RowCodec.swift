/// Encodes f32 rows into a space's element type (`docs/store-layout.md` §6).
struct RowCodec {
  let elementType: ElementType
  let dimension: Int

  /// Writes `rows` (row-major f32) as stored bytes into `out`: f32 copied as they are; int8 as a
  /// little-endian f32 scale then d codes per row (``Int8Quantizer``).
  /// - Precondition: `rows.count` is whole rows and `out` holds exactly their stored bytes.
  func encode(_ rows: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawBufferPointer) {
    let d = dimension
    precondition(rows.count % d == 0, "\(rows.count) floats are not whole \(d)-d rows")
    let n = rows.count / d
    precondition(out.count == n * elementType.rowBytes(dimension: d), "row buffer of \(out.count) bytes for \(n) rows")
    guard n > 0 else { return }
    switch elementType {
    case .float32:
      out.copyMemory(from: UnsafeRawBufferPointer(rows))
    case .int8:
      for r in 0..<n {
        let row = out.baseAddress! + r * (4 + d)
        let scale = Int8Quantizer.quantize(UnsafeBufferPointer(rebasing: rows[(r * d)..<((r + 1) * d)]),
                                           into: (row + 4).assumingMemoryBound(to: Int8.self))
        row.storeBytes(of: scale.bitPattern.littleEndian, as: UInt32.self)
      }
    }
  }

  /// Appends the f32 values of the stored row at `row` (``elementType``'s layout; read unaligned)
  /// to `out`: an int8 row as scale · code.
  func decode(_ row: UnsafeRawPointer, appendingTo out: inout [Float]) {
    switch elementType {
    case .float32:
      for j in 0..<dimension { out.append(row.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)) }
    case .int8:
      let scale = row.loadUnaligned(as: Float.self)
      for j in 0..<dimension { out.append(scale * Float(row.load(fromByteOffset: 4 + j, as: Int8.self))) }
    }
  }
}
