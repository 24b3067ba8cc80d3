/// Small SIMD loops of the aggregators, over raw float pointers (no allocation, no bounds checks).
enum VectorMath {
  /// acc[i] += a[i]·b[i] for i < n.
  @inline(__always)
  static func addProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>, count n: Int) {
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), racc = UnsafeMutableRawPointer(acc)
    var i = 0
    while i &+ 8 <= n {
      let o = i &* 4
      let sum = racc.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
        + ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      racc.storeBytes(of: sum, toByteOffset: o, as: SIMD8<Float>.self)
      i &+= 8
    }
    while i < n {
      acc[i] += a[i] * b[i]
      i &+= 1
    }
  }

  /// acc[i] += s·a[i] for i < n.
  @inline(__always)
  static func addScaled(_ s: Float, _ a: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>, count n: Int) {
    let ra = UnsafeRawPointer(a), racc = UnsafeMutableRawPointer(acc)
    let s8 = SIMD8<Float>(repeating: s)
    var i = 0
    while i &+ 8 <= n {
      let o = i &* 4
      let sum = racc.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self) + s8 * ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
      racc.storeBytes(of: sum, toByteOffset: o, as: SIMD8<Float>.self)
      i &+= 8
    }
    while i < n {
      acc[i] += s * a[i]
      i &+= 1
    }
  }
}
