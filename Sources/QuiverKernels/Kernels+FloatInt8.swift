import CKernels

extension Kernels {
  /// Whether this CPU runs the AVX2 + FMA kernels of `CKernels` (checked once): a portable build
  /// then calls them for the walk's int8 distance instead of its own SSE2 code.
  @usableFromInline static let hasAVX2 = quiver_cpu_has_avx2_fma() != 0

  /// The inner product of a float vector with int8 codes, Σ qᵢ·cᵢ (the caller multiplies by the
  /// codes' scale): the asymmetric distance of a graph walk over int8 vectors, where the query
  /// keeps full precision and only the stored side is quantised. O(n), reading 1 byte per stored
  /// component instead of 4. On a CPU with AVX2 and FMA the C kernel runs (chosen at run time:
  /// measured 2–3× the portable build's SIMD code, `quiver-bench kernels`), else
  /// ``dotFloatInt8Portable(_:_:)``; the two agree to float round-off.
  /// - Precondition: `q.count == codes.count`.
  @inlinable
  public static func dotFloatInt8(_ q: UnsafeBufferPointer<Float>, _ codes: UnsafeBufferPointer<Int8>) -> Float {
    precondition(q.count == codes.count, "dotFloatInt8: operands differ in length")
    if hasAVX2, let pq = q.baseAddress, let pc = codes.baseAddress { return quiver_dot_f32_i8_avx2(pq, pc, q.count) }
    return dotFloatInt8Portable(q, codes)
  }

  /// ``dotFloatInt8(_:_:)`` in Swift SIMD: what runs without AVX2, and what a build with
  /// `QUIVER_TARGET_CPU` compiles to AVX2 itself.
  /// - Precondition: `q.count == codes.count`.
  @inlinable
  public static func dotFloatInt8Portable(_ q: UnsafeBufferPointer<Float>, _ codes: UnsafeBufferPointer<Int8>) -> Float {
    precondition(q.count == codes.count, "dotFloatInt8: operands differ in length")
    let n = q.count
    guard n > 0, let pq = q.baseAddress, let pc = codes.baseAddress else { return 0 }
    let rq = UnsafeRawPointer(pq)
    let rc = UnsafeRawPointer(pc)
    var acc0 = SIMD16<Float>()
    var acc1 = SIMD16<Float>()
    var i = 0
    while i + 32 <= n {
      let c0 = widen(rc.loadUnaligned(fromByteOffset: i, as: SIMD16<Int8>.self))
      let c1 = widen(rc.loadUnaligned(fromByteOffset: i &+ 16, as: SIMD16<Int8>.self))
      acc0 += rq.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) * c0
      acc1 += rq.loadUnaligned(fromByteOffset: (i &+ 16) &* 4, as: SIMD16<Float>.self) * c1
      i &+= 32
    }
    if i + 16 <= n {
      let c0 = widen(rc.loadUnaligned(fromByteOffset: i, as: SIMD16<Int8>.self))
      acc0 += rq.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) * c0
      i &+= 16
    }
    var sum = (acc0 + acc1).treeSum
    while i < n {
      sum += pq[i] * Float(pc[i])
      i &+= 1
    }
    return sum
  }

  /// 16 int8 lanes as floats, lane by lane: the optimiser turns this into one sign-extend and one
  /// convert, where the generic `SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded:))` stays an
  /// out-of-line call per vector (measured: 9 % of an int8 graph walk).
  @inlinable @inline(__always)
  static func widen(_ bytes: SIMD16<Int8>) -> SIMD16<Float> {
    var out = SIMD16<Float>()
    for k in 0..<16 { out[k] = Float(bytes[k]) }
    return out
  }
}
