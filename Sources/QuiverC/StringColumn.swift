import Quiver

/// n strings handed over the C ABI as one UTF-8 buffer plus n + 1 offsets (Arrow's string layout,
/// 32- or 64-bit): the one place that reads a caller's text buffers. Every offset is checked —
/// non-negative, non-decreasing, n + 1 of them — before a byte is read, and each slice must be
/// valid UTF-8; the buffer's length is the last offset (the caller's contract).
struct StringColumn: ~Copyable {
  private let bytes: UnsafePointer<CChar>?
  private let offsets: UnsafeRawPointer
  private let width: Int32
  let count: Int

  /// - Throws: ``ABIError/invalidArgument(_:)`` for a null pointer, a width other than 4 or 8, a
  ///   negative count, or offsets that decrease or are negative (`what` names the column).
  init(_ bytes: UnsafePointer<CChar>?, offsets: UnsafeRawPointer?, width: Int32, count: Int64, what: String) throws {
    guard count >= 0 else { throw ABIError.invalidArgument("\(what): count \(count) is negative") }
    guard width == 4 || width == 8 else { throw ABIError.invalidArgument("\(what): offset width is 4 or 8 bytes, not \(width)") }
    let offsets = try required(offsets, "\(what) offsets")
    func offset(_ i: Int) -> Int64 { Self.load(offsets, width, i) }
    var previous = offset(0)
    guard previous >= 0 else { throw ABIError.invalidArgument("\(what): offset 0 is negative (\(previous))") }
    for i in stride(from: 1, through: Int(count), by: 1) {
      let next = offset(i)
      guard next >= previous else { throw ABIError.invalidArgument("\(what): offset \(i) (\(next)) is less than offset \(i - 1) (\(previous))") }
      previous = next
    }
    if previous > offset(0) && bytes == nil { throw ABIError.invalidArgument("\(what) buffer is null") }
    self.offsets = offsets
    self.width = width
    self.count = Int(count)
    self.bytes = bytes
  }

  private static func load(_ offsets: UnsafeRawPointer, _ width: Int32, _ i: Int) -> Int64 {
    width == 4 ? Int64(offsets.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
      : offsets.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
  }

  /// Offset `i` (0…count).
  private func offset(_ i: Int) -> Int64 {
    assert(i >= 0 && i <= count, "offset index out of range")
    return Self.load(offsets, width, i)
  }

  /// Slice `i`'s bytes (empty for an empty slice).
  func bytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
    precondition(i >= 0 && i < count, "string index out of range")
    let start = offset(i), end = offset(i + 1)
    guard end > start, let bytes else { return UnsafeBufferPointer(start: nil, count: 0) }
    return UnsafeRawPointer(bytes + Int(start)).withMemoryRebound(to: UInt8.self, capacity: Int(end - start)) {
      UnsafeBufferPointer(start: $0, count: Int(end - start))
    }
  }

  /// Slice `i` as a string.
  /// - Throws: ``EmbeddingError/invalidUTF8(index:)`` (as embedding does) when it is not UTF-8.
  func string(_ i: Int) throws -> String {
    guard let s = String(validating: bytes(i), as: UTF8.self) else { throw EmbeddingError.invalidUTF8(index: i) }
    return s
  }

  /// Every slice as a string.
  func strings() throws -> [String] { try (0..<count).map { try string($0) } }

  /// Whether slice `i` is empty.
  func isEmpty(_ i: Int) -> Bool { offset(i + 1) == offset(i) }
}

/// `count` rows of `dimension` floats from a caller's buffer, checked finite.
/// - Throws: ``ABIError/invalidArgument(_:)`` for a null buffer, a non-positive dimension, a size
///   that overflows, or a NaN or infinite component (naming its row).
func readVectors(_ pointer: UnsafePointer<Float>?, count: Int64, dimension: Int32) throws -> [[Float]] {
  guard count >= 0 else { throw ABIError.invalidArgument("vector count \(count) is negative") }
  guard dimension > 0 else { throw ABIError.invalidArgument("dimension \(dimension) must be positive") }
  let (total, overflow) = Int(count).multipliedReportingOverflow(by: Int(dimension))
  guard !overflow else { throw ABIError.invalidArgument("\(count) × \(dimension) floats overflow") }
  if total == 0 { return [] }
  let base = try required(pointer, "vectors")
  let d = Int(dimension)
  return try (0..<Int(count)).map { row in
    let v = Array(UnsafeBufferPointer(start: base + row * d, count: d))
    guard v.allSatisfy(\.isFinite) else { throw ABIError.invalidArgument("vector \(row) has a NaN or infinite component") }
    return v
  }
}
