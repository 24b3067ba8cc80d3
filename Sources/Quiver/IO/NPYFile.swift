/// A memory-mapped NumPy `.npy` file holding a little-endian float32 matrix (C order), 1-D or 2-D.
///
/// Format (NumPy's NEP 1): `\x93NUMPY`, major and minor version bytes, a header length (u16 in
/// version 1, u32 in versions 2 and 3), a Python-literal dict with `descr`, `fortran_order` and
/// `shape`, then the data. Rows are zero-copy views into the map.
public final class NPYFile: @unchecked Sendable {
  /// Number of rows (1 for a 1-D array).
  public let rows: Int
  /// Number of columns (the vector dimension).
  public let columns: Int
  private let file: MappedFile
  private let data: UnsafePointer<Float>

  /// Maps and validates `path`.
  /// - Throws: ``VectorFileError``.
  public init(path: String) throws {
    let file = try MappedFile(path: path) { VectorFileError.unreadable(path: $0, errno: $1) }
    let b = file.bytes
    func malformed(_ why: String) -> VectorFileError { .malformed(path: path, reason: why) }
    guard b.count >= 10, b.prefix(6).elementsEqual([0x93] + Array("NUMPY".utf8)) else { throw malformed("bad magic") }
    let major = b[6]
    let headerLength: Int
    let headerStart: Int
    switch major {
    case 1:
      headerLength = Int(LittleEndian.load(b, at: 8, as: UInt16.self))
      headerStart = 10
    case 2, 3:
      guard b.count >= 12 else { throw malformed("truncated header") }
      headerLength = Int(LittleEndian.load(b, at: 8, as: UInt32.self))
      headerStart = 12
    default:
      throw VectorFileError.unsupported(path: path, reason: "npy version \(major)")
    }
    let dataStart = headerStart + headerLength
    guard dataStart <= b.count else { throw malformed("truncated header") }
    let header = String(decoding: b[headerStart..<dataStart], as: UTF8.self)
    guard header.contains("'descr': '<f4'") || header.contains("'descr': '=f4'") else {
      throw VectorFileError.unsupported(path: path, reason: "dtype is not little-endian float32")
    }
    guard header.contains("'fortran_order': False") else {
      throw VectorFileError.unsupported(path: path, reason: "Fortran order")
    }
    guard let open = header.firstIndex(of: "("), let close = header[open...].firstIndex(of: ")") else {
      throw malformed("no shape")
    }
    let dims = header[header.index(after: open)..<close].split(separator: ",")
      .map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }.map { Int($0) }
    guard !dims.isEmpty, dims.count <= 2, dims.allSatisfy({ $0 != nil && $0! >= 0 }) else { throw malformed("shape \(dims)") }
    let shape = dims.map { $0! }
    rows = shape.count == 2 ? shape[0] : 1
    columns = shape.last!
    let (bytes, overflow) = rows.multipliedReportingOverflow(by: columns * 4)
    guard !overflow, dataStart + bytes == b.count else {
      throw malformed("data holds \(b.count - dataStart) bytes, shape \(shape) needs \(bytes)")
    }
    guard dataStart % 4 == 0 else { throw malformed("data is not 4-byte aligned") }
    self.file = file
    data = (b.baseAddress! + dataStart).assumingMemoryBound(to: Float.self)
  }

  /// Row `i`, zero-copy (valid while this object lives).
  public func row(_ i: Int) -> UnsafeBufferPointer<Float> {
    precondition(i >= 0 && i < rows, "row out of range")
    return UnsafeBufferPointer(start: data + i * columns, count: columns)
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: Character) -> String {
    String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
  }
}
