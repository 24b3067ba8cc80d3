/// One container of a metadata index set (`docs/store-layout.md` §11a): the members of a set whose
/// document numbers share their high bits (n >> 16), as roaring bitmaps keep them. Fewer than
/// 4,096 members: an array of the low 16 bits, u16 little-endian, increasing (2 bytes a member);
/// otherwise a bitmap of 65,536 bits as 1,024 u64 little-endian words (8,192 bytes). The length
/// says which: an array is at most 8,190 bytes.
enum DocumentSetContainer {
  /// Members of one container.
  static let span = 1 << 16
  /// The most members an array container holds.
  static let arrayLimit = 4095
  /// Bytes of a bitmap container.
  static let bitmapBytes = span / 8

  /// A container's members as a bitmap of 1,024 words (for updating).
  static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [UInt64] {
    var words = [UInt64](repeating: 0, count: span / 64)
    if bytes.count == bitmapBytes {
      for i in 0..<words.count { words[i] = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
      return words
    }
    guard bytes.count % 2 == 0, bytes.count / 2 <= arrayLimit else {
      throw StoreError.corruptRecord("metadata index container of \(bytes.count) bytes")
    }
    var previous = -1
    for i in 0..<(bytes.count / 2) {
      let low = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
      guard low > previous else { throw StoreError.corruptRecord("metadata index container not increasing") }
      previous = low
      words[low >> 6] |= 1 << UInt64(low & 63)
    }
    return words
  }

  /// The container bytes of a bitmap's members (nil: none, the key is deleted).
  static func encode(_ words: [UInt64]) -> [UInt8]? {
    let count = words.reduce(0) { $0 + $1.nonzeroBitCount }
    if count == 0 { return nil }
    var w = ByteWriter(capacity: count > arrayLimit ? bitmapBytes : 2 * count)
    if count > arrayLimit {
      for word in words { w.u64(word) }
    } else {
      for (i, word) in words.enumerated() {
        var bits = word
        while bits != 0 {
          w.u16(UInt16(i * 64 + bits.trailingZeroBitCount))
          bits &= bits - 1
        }
      }
    }
    return w.bytes
  }

  /// Adds container `high`'s members to `set`.
  static func union(_ bytes: UnsafeRawBufferPointer, high: UInt64, into set: inout DocumentSet) throws {
    let base = high << 16
    if bytes.count == bitmapBytes {
      set.formUnion(littleEndianWords: bytes, atWord: Int(base >> 6))
      return
    }
    guard bytes.count % 2 == 0, bytes.count / 2 <= arrayLimit else {
      throw StoreError.corruptRecord("metadata index container of \(bytes.count) bytes")
    }
    for i in 0..<(bytes.count / 2) {
      set.insert(base | UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
    }
  }
}
