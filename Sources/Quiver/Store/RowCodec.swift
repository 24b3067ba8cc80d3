/// Encodes f32 rows into a space's element type (`docs/store-layout.md` §6).
struct RowCodec {
  let elementType: ElementType
  let dimension: Int

  /// `rows` (row-major f32) as stored bytes.
  func encode(_ rows: [Float]) -> [UInt8] {
    precondition(rows.count % dimension == 0, "\(rows.count) floats are not whole \(dimension)-d rows")
    let d = dimension
    let n = rows.count / d
    switch elementType {
    case .float32:
      return rows.withUnsafeBytes { Array($0) }
    case .int8:
      var out = [UInt8](repeating: 0, count: n * (4 + d))
      rows.withUnsafeBufferPointer { all in
        out.withUnsafeMutableBytes { bytes in
          for r in 0..<n {
            let row = bytes.baseAddress! + r * (4 + d)
            let scale = Int8Quantizer.quantize(UnsafeBufferPointer(rebasing: all[(r * d)..<((r + 1) * d)]),
                                               into: (row + 4).assumingMemoryBound(to: Int8.self))
            row.storeBytes(of: scale.bitPattern.littleEndian, as: UInt32.self)
          }
        }
      }
      return out
    }
  }
}
