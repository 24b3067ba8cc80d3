extension Kernels {
  /// The Hamming distance between two bit strings packed into 64-bit words: the number of bits that
  /// differ. O(words).
  /// - Precondition: `a.count == b.count`.
  @inlinable
  public static func hamming(_ a: UnsafeBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>) -> Int {
    precondition(a.count == b.count, "hamming: operands differ in length")
    let n = a.count
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    let ra = UnsafeRawPointer(pa)
    let rb = UnsafeRawPointer(pb)
    var acc = SIMD4<UInt64>()
    var i = 0
    while i + 4 <= n {
      let x = ra.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<UInt64>.self)
      let y = rb.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<UInt64>.self)
      acc &+= (x ^ y).nonzeroBitCount
      i &+= 4
    }
    var sum = Int(acc.wrappedSum())
    while i < n {
      sum &+= (pa[i] ^ pb[i]).nonzeroBitCount
      i &+= 1
    }
    return sum
  }
}
