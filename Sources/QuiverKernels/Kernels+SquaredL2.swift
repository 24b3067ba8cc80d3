extension Kernels {
  /// The squared Euclidean distance Σ (aᵢ − bᵢ)². O(n).
  /// - Precondition: `a.count == b.count`.
  @inlinable
  public static func squaredL2(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "squaredL2: operands differ in length")
    let n = a.count
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    let ra = UnsafeRawPointer(pa)
    let rb = UnsafeRawPointer(pb)
    var acc0 = SIMD16<Float>()
    var acc1 = SIMD16<Float>()
    var i = 0
    while i + 32 <= n {
      let d0 = ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        - rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
      let d1 = ra.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self)
        - rb.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self)
      acc0 += d0 * d0
      acc1 += d1 * d1
      i &+= 32
    }
    if i + 16 <= n {
      let d0 = ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        - rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
      acc0 += d0 * d0
      i &+= 16
    }
    var sum = (acc0 + acc1).treeSum
    while i < n {
      let d = pa[i] - pb[i]
      sum += d * d
      i &+= 1
    }
    return sum
  }
}
