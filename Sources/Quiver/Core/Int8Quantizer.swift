/// Symmetric int8 quantisation, the one used by int8 spaces' stored rows (`docs/store-layout.md`)
/// and by the HNSW int8 walk's records (`docs/hnsw-format.md`): x ≈ scale · c.
enum Int8Quantizer {
  /// Quantises `x` into `codes` (`x.count` bytes), allocation-free: scale = max|xᵢ| / 127,
  /// cᵢ = round(xᵢ / scale) clamped to ±127; an all-zero `x` gets scale 0 and zero codes.
  /// Returns the scale.
  /// - Precondition: `codes` holds `x.count` bytes (the caller's; not checkable here).
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

  /// `x` quantised into a new array, and its scale.
  static func quantize(_ x: [Float]) -> (codes: [Int8], scale: Float) {
    var q = [Int8](repeating: 0, count: x.count)
    let scale = x.withUnsafeBufferPointer { xp in q.withUnsafeMutableBufferPointer { quantize(xp, into: $0.baseAddress!) } }
    return (q, scale)
  }
}
