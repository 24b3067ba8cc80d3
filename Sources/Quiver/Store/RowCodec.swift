/// Encodes f32 rows into a space's element type (`docs/store-layout.md` §6).
struct RowCodec {
  let elementType: ElementType
  let dimension: Int

  /// `rows` (row-major f32) as stored bytes.
  func encode(_ rows: [Float]) -> [UInt8] {
    let d = dimension
    let n = rows.count / d
    switch elementType {
    case .float32:
      return rows.withUnsafeBytes { Array($0) }
    case .int8:
      var out = [UInt8](repeating: 0, count: n * (4 + d))
      for r in 0..<n {
        let (q, scale) = quantize(Array(rows[(r * d)..<((r + 1) * d)]))
        let o = r * (4 + d)
        withUnsafeBytes(of: scale.bitPattern.littleEndian) { for i in 0..<4 { out[o + i] = $0[i] } }
        for i in 0..<d { out[o + 4 + i] = UInt8(bitPattern: q[i]) }
      }
      return out
    }
  }

  /// Symmetric int8 quantisation: scale = max|xᵢ| / 127, qᵢ = round(xᵢ / scale).
  func quantize(_ x: [Float]) -> ([Int8], Float) {
    var peak: Float = 0
    for v in x { peak = max(peak, abs(v)) }
    guard peak > 0 else { return ([Int8](repeating: 0, count: x.count), 0) }
    let scale = peak / 127
    return (x.map { Int8(max(-127, min(127, ($0 / scale).rounded()))) }, scale)
  }
}
