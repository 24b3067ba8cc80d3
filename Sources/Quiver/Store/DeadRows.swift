/// A vector chunk's tombstones (`space.<n>.dead`, `docs/store-layout.md`): one bit a row of the
/// chunk, bit i of byte i/8 (least significant first), set when row i is deleted. A chunk without
/// an entry has no deleted rows.
struct DeadRows {
  /// Bytes of a chunk's bitset.
  static let byteCount = Space.rowsPerChunk / 8

  /// Whether row `i` of the chunk is deleted in `bits` (nil: none is).
  @inline(__always)
  static func contains(_ bits: UnsafeRawBufferPointer?, _ i: Int) -> Bool {
    guard let bits, i / 8 < bits.count else { return false }
    return bits[i / 8] & (1 << UInt8(i % 8)) != 0
  }

  /// Rows 64·w … 64·w + 63 of the chunk as one word, bit j set when row 64·w + j is deleted (bytes
  /// past the end of `bits` read as 0: not deleted).
  @inline(__always)
  static func word(_ bits: UnsafeRawBufferPointer?, _ w: Int) -> UInt64 {
    guard let bits else { return 0 }
    let start = w * 8
    if start + 8 <= bits.count { return UInt64(littleEndian: bits.loadUnaligned(fromByteOffset: start, as: UInt64.self)) }
    var out: UInt64 = 0
    for b in start..<min(start + 8, bits.count) { out |= UInt64(bits[b]) << UInt64(8 * (b - start)) }
    return out
  }

  /// Marks row `i` deleted in `bits`.
  static func insert(_ i: Int, into bits: inout [UInt8]) {
    bits[i / 8] |= 1 << UInt8(i % 8)
  }

  /// Calls `body` with every deleted row of `bits`, in order.
  static func forEach(in bits: UnsafeRawBufferPointer, _ body: (Int) throws -> Void) rethrows {
    for i in 0..<(bits.count * 8) where contains(bits, i) { try body(i) }
  }
}
