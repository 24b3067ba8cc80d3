extension Kernels {
  /// The inner product Σ aᵢ·bᵢ. O(n).
  /// - Precondition: `a.count == b.count`.
  @inlinable
  public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "dot: operands differ in length")
    let n = a.count
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    let ra = UnsafeRawPointer(pa)
    let rb = UnsafeRawPointer(pb)
    var acc0 = SIMD16<Float>()
    var acc1 = SIMD16<Float>()
    var i = 0
    while i + 32 <= n {
      acc0 += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
      acc1 += ra.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self)
        * rb.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self)
      i &+= 32
    }
    if i + 16 <= n {
      acc0 += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
      i &+= 16
    }
    var sum = (acc0 + acc1).treeSum
    while i < n {
      sum += pa[i] * pb[i]
      i &+= 1
    }
    return sum
  }
}
