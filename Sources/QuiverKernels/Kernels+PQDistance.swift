extension Kernels {
  /// Asymmetric distance computation (ADC) for product quantisation: the distance between a query
  /// and a PQ-encoded vector, Σₘ table[m·256 + codes[m]], where `table` holds, for each of the M
  /// sub-spaces, the query's distance to each of its 256 centroids. O(M).
  ///
  /// The work is M dependent table look-ups; there is no arithmetic for SIMD to widen (x86 has no
  /// gather that beats scalar loads at this size), so the kernel gains its speed from four
  /// independent accumulators that let the look-ups overlap instead of waiting on one sum.
  /// - Precondition: `table.count == codes.count * 256`.
  @inlinable
  public static func pqDistance(codes: UnsafeBufferPointer<UInt8>, table: UnsafeBufferPointer<Float>) -> Float {
    precondition(table.count == codes.count &* 256, "pqDistance: table must have 256 entries per code")
    let m = codes.count
    guard m > 0, let c = codes.baseAddress, let t = table.baseAddress else { return 0 }
    var s0: Float = 0
    var s1: Float = 0
    var s2: Float = 0
    var s3: Float = 0
    var i = 0
    while i + 4 <= m {
      s0 += t[(i &* 256) &+ Int(c[i])]
      s1 += t[((i &+ 1) &* 256) &+ Int(c[i &+ 1])]
      s2 += t[((i &+ 2) &* 256) &+ Int(c[i &+ 2])]
      s3 += t[((i &+ 3) &* 256) &+ Int(c[i &+ 3])]
      i &+= 4
    }
    while i < m {
      s0 += t[(i &* 256) &+ Int(c[i])]
      i &+= 1
    }
    return (s0 + s1) + (s2 + s3)
  }
}
