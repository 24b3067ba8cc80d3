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
      rows.withUnsafeBufferPointer { all in
        out.withUnsafeMutableBytes { bytes in
          for r in 0..<n {
            let row = bytes.baseAddress! + r * (4 + d)
            let scale = Self.quantize(UnsafeBufferPointer(rebasing: all[(r * d)..<((r + 1) * d)]),
                                      into: (row + 4).assumingMemoryBound(to: Int8.self))
            row.storeBytes(of: scale.bitPattern.littleEndian, as: UInt32.self)
          }
        }
      }
      return out
    }
  }

  /// Symmetric int8 quantisation: scale = max|xᵢ| / 127, qᵢ = round(xᵢ / scale).
  func quantize(_ x: [Float]) -> ([Int8], Float) {
    var q = [Int8](repeating: 0, count: x.count)
    let scale = x.withUnsafeBufferPointer { xp in q.withUnsafeMutableBufferPointer { Self.quantize(xp, into: $0.baseAddress!) } }
    return (q, scale)
  }

  /// Symmetric int8 quantisation of `x` into `codes` (`x.count` bytes), allocation-free: scale =
  /// max|xᵢ| / 127, cᵢ = round(xᵢ / scale) clamped to ±127; an all-zero `x` gets scale 0 and zero
  /// codes. Returns the scale. Stored rows of int8 spaces and the HNSW int8 walk's records use it.
  static func quantize(_ x: UnsafeBufferPointer<Float>, into codes: UnsafeMutablePointer<Int8>) -> Float {
    var peak: Float = 0
    for v in x { peak = max(peak, abs(v)) }
    guard peak > 0 else {
      codes.update(repeating: 0, count: x.count)
      return 0
    }
    let scale = peak / 127
    for i in 0..<x.count { codes[i] = Int8(max(-127, min(127, (x[i] / scale).rounded()))) }
    return scale
  }
}
