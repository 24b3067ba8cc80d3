/// SIMD distance kernels over unsafe buffers.
///
/// Every kernel has a plain scalar twin in ``ScalarKernels`` that the tests compare against and the
/// kernel benchmark uses as its baseline. The kernels accept any length (the tail that does not fill
/// a SIMD register is handled with scalar code) and require both operands to have the same length.
///
/// A Swift loop over floats does not vectorise by itself (IEEE addition is not associative, so the
/// compiler keeps the order); these kernels reorder the sum on purpose, into 32 independent lanes,
/// so results differ from the scalar order by rounding only.
public enum Kernels {}

extension SIMD16 where Scalar == Float {
  /// The sum of the 16 lanes as a balanced tree (4 dependent additions). `SIMD.sum()` on floats
  /// adds the lanes one after another to keep IEEE order, which costs 16 dependent additions and
  /// measured about 15 ns per call, more than a whole 64-d dot product.
  @inlinable @inline(__always)
  var treeSum: Float {
    let h8 = lowHalf + highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
  }
}

extension SIMD8 where Scalar == Float {
  /// The sum of the lanes, as ``SIMD16/treeSum`` does it.
  @inlinable @inline(__always)
  var treeSum: Float {
    let h4 = lowHalf + highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
  }
}
