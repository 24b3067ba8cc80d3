extension Kernels {
  /// The cosine similarity a·b / (‖a‖‖b‖), computed in one pass over both vectors. O(n).
  /// Returns 0 when either vector is all zeros (the similarity is undefined there).
  /// - Precondition: `a.count == b.count`.
  @inlinable
  public static func cosine(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "cosine: operands differ in length")
    let n = a.count
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    let ra = UnsafeRawPointer(pa)
    let rb = UnsafeRawPointer(pb)
    // SIMD8, not SIMD16: three SIMD16 accumulators plus two SIMD16 loads need 20 SSE registers
    // and spill on the portable (16-register) build; three SIMD8 sums and their loads fit.
    var ab = SIMD8<Float>()
    var aa = SIMD8<Float>()
    var bb = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
      let x = ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
      let y = rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
      ab += x * y
      aa += x * x
      bb += y * y
      i &+= 8
    }
    var sab = ab.treeSum
    var saa = aa.treeSum
    var sbb = bb.treeSum
    while i < n {
      sab += pa[i] * pb[i]
      saa += pa[i] * pa[i]
      sbb += pb[i] * pb[i]
      i &+= 1
    }
    let norms = (saa * sbb).squareRoot()
    return norms > 0 ? sab / norms : 0
  }
}
