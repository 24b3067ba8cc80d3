/// A `.fvecs` file (the TEXMEX/SIFT convention): each row is a little-endian i32 dimension d
/// followed by d little-endian float32 values; every row has the same d. Memory-mapped; rows are
/// copied out with ``rows(_:)``.
public final class FvecsFile: @unchecked Sendable {
  /// Number of rows.
  public let rows: Int
  /// The vector dimension.
  public let columns: Int
  private let file: MappedFile

  /// Maps and validates `path`.
  /// - Throws: ``VectorFileError``.
  public init(path: String) throws {
    file = try MappedFile(path: path) { VectorFileError.unreadable(path: $0, errno: $1) }
    let b = file.bytes
    guard b.count >= 4 else { throw VectorFileError.malformed(path: path, reason: "shorter than one row header") }
    let d = Int(LittleEndian.load(b, at: 0, as: Int32.self))
    guard d > 0 && d <= 65_536 else { throw VectorFileError.malformed(path: path, reason: "dimension \(d)") }
    let stride = 4 + 4 * d
    guard b.count % stride == 0 else {
      throw VectorFileError.malformed(path: path, reason: "\(b.count) bytes is not a whole number of \(stride)-byte rows")
    }
    let n = b.count / stride
    for r in 0..<n where Int(LittleEndian.load(b, at: r * stride, as: Int32.self)) != d {
      throw VectorFileError.malformed(path: path, reason: "row \(r) has a different dimension")
    }
    rows = n
    columns = d
  }

  /// Rows `range`, row-major.
  public func rows(_ range: Range<Int>) -> [Float] {
    var out = [Float]()
    out.reserveCapacity(range.count * columns)
    let b = file.bytes
    let stride = 4 + 4 * columns
    for r in range {
      for i in 0..<columns { out.append(b.loadUnaligned(fromByteOffset: r * stride + 4 + 4 * i, as: Float.self)) }
    }
    return out
  }
}
