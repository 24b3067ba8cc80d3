/// Little-endian encoding of the store's fixed-layout records (`docs/store-layout.md`).
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u16(_ v: UInt16) { for i in 0..<2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
  mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
  mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
  mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
}

/// Reads what ``ByteWriter`` wrote; every read is bounds-checked and throws
/// ``StoreError/corruptRecord(_:)`` past the end.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  private(set) var position = 0
  let what: String

  init(_ bytes: UnsafeRawBufferPointer, what: String) {
    self.bytes = bytes
    self.what = what
  }

  private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
    guard n >= 0, bytes.count - position >= n else {
      throw StoreError.corruptRecord("\(what): needs \(n) bytes at \(position), has \(bytes.count)")
    }
    defer { position += n }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
  }

  /// Bytes not read yet.
  var remaining: Int { bytes.count - position }

  mutating func u8() throws -> UInt8 { try take(1)[0] }
  mutating func u16() throws -> UInt16 { UInt16(try uint(2)) }
  mutating func u32() throws -> UInt32 { UInt32(try uint(4)) }
  mutating func u64() throws -> UInt64 { try uint(8) }
  mutating func raw(_ n: Int) throws -> UnsafeRawBufferPointer { try take(n) }
  mutating func string(_ n: Int) throws -> String { String(decoding: try take(n), as: UTF8.self) }

  private mutating func uint(_ n: Int) throws -> UInt64 {
    let b = try take(n)
    var v: UInt64 = 0
    for i in 0..<n { v |= UInt64(b[i]) << (8 * UInt64(i)) }
    return v
  }
}
