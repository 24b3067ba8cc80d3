/// Plain one-element-at-a-time loops: the reference the SIMD ``Kernels`` are tested against and the
/// baseline the kernel benchmark measures them against. Written the obvious way on purpose.
public enum ScalarKernels {
  /// Σ aᵢ·bᵢ, summed left to right.
  public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    var sum: Float = 0
    for i in 0..<a.count { sum += a[i] * b[i] }
    return sum
  }

  /// Σ (aᵢ − bᵢ)², summed left to right.
  public static func squaredL2(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    var sum: Float = 0
    for i in 0..<a.count {
      let d = a[i] - b[i]
      sum += d * d
    }
    return sum
  }

  /// a·b / (‖a‖‖b‖), 0 when either vector is zero.
  public static func cosine(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    var ab: Float = 0
    var aa: Float = 0
    var bb: Float = 0
    for i in 0..<a.count {
      ab += a[i] * b[i]
      aa += a[i] * a[i]
      bb += b[i] * b[i]
    }
    let norms = (aa * bb).squareRoot()
    return norms > 0 ? ab / norms : 0
  }

  /// scaleA · scaleB · Σ aᵢ·bᵢ with an `Int32` accumulator.
  public static func dotScaledInt8(
    _ a: UnsafeBufferPointer<Int8>, scaleA: Float, _ b: UnsafeBufferPointer<Int8>, scaleB: Float
  ) -> Float {
    var sum: Int32 = 0
    for i in 0..<a.count { sum &+= Int32(a[i]) &* Int32(b[i]) }
    return Float(sum) * scaleA * scaleB
  }

  /// Σ qᵢ·cᵢ over a float vector and int8 codes, one accumulator.
  public static func dotFloatInt8(_ q: UnsafeBufferPointer<Float>, _ codes: UnsafeBufferPointer<Int8>) -> Float {
    var sum: Float = 0
    for i in 0..<q.count { sum += q[i] * Float(codes[i]) }
    return sum
  }

  /// The number of differing bits, one 64-bit word at a time.
  public static func hamming(_ a: UnsafeBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) -> Int {
    var count = 0
    for i in 0..<a.count { count &+= (a[i] ^ b[i]).nonzeroBitCount }
    return count
  }

  /// Σₘ table[m·256 + codes[m]], one accumulator.
  public static func pqDistance(codes: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<Float>) -> Float {
    var sum: Float = 0
    for m in 0..<codes.count { sum += table[m * 256 + Int(codes[m])] }
    return sum
  }
}
