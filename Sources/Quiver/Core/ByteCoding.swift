/// Little-endian encoding of Quiver's fixed-layout records (`docs/store-layout.md`,
/// `docs/hnsw-format.md`, `docs/disk-cache-format.md`).
struct ByteWriter {
  private(set) var bytes: [UInt8] = []

  init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u16(_ v: UInt16) { append(v) }
  mutating func u32(_ v: UInt32) { append(v) }
  mutating func u64(_ v: UInt64) { append(v) }
  mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
  /// A big-endian u32 (for keys that must sort numerically).
  mutating func u32BE(_ v: UInt32) { for i in (0..<4).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
  /// A big-endian u64 (for keys that must sort numerically).
  mutating func u64BE(_ v: UInt64) { for i in (0..<8).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
  /// An unsigned LEB128 varint: 7 bits a byte, least significant first, high bit = more follows.
  mutating func varint(_ v: UInt64) {
    var x = v
    while x >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: x) | 0x80)
      x >>= 7
    }
    bytes.append(UInt8(x))
  }

  /// Appends `v`'s bytes, least significant first (byte appends: measured faster than appending a
  /// raw buffer of the value, which goes through Array's generic sequence path).
  @inline(__always)
  private mutating func append<T: FixedWidthInteger>(_ v: T) {
    for i in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
  }
}

/// Reads what ``ByteWriter`` wrote. Every read is bounds-checked; past the end it throws the error
/// its owner chose (a store's corrupt record, a graph file's invalid header, …), so this bottom
/// layer knows no error of the layers above it.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  private(set) var position = 0
  let what: String
  private let failure: (String) -> any Error

  /// - Parameters:
  ///   - what: names the record in error messages.
  ///   - failure: makes the error thrown for a short read from its message.
  init(_ bytes: UnsafeRawBufferPointer, what: String, failure: @escaping (String) -> any Error) {
    self.bytes = bytes
    self.what = what
    self.failure = failure
  }

  private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
    guard n >= 0, bytes.count - position >= n else {
      throw failure("\(what): needs \(n) bytes at \(position), has \(bytes.count)")
    }
    defer { position += n }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
  }

  /// Bytes not read yet.
  var remaining: Int { bytes.count - position }

  mutating func u8() throws -> UInt8 { try take(1)[0] }
  mutating func u16() throws -> UInt16 { try integer() }
  mutating func u32() throws -> UInt32 { try integer() }
  mutating func u64() throws -> UInt64 { try integer() }
  mutating func raw(_ n: Int) throws -> UnsafeRawBufferPointer { try take(n) }
  mutating func string(_ n: Int) throws -> String { String(decoding: try take(n), as: UTF8.self) }
  mutating func u32BE() throws -> UInt32 { UInt32(bigEndian: try integer()) }
  mutating func u64BE() throws -> UInt64 { UInt64(bigEndian: try integer()) }
  /// An unsigned LEB128 varint of at most 10 bytes.
  mutating func varint() throws -> UInt64 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = try u8()
      guard shift < 64 else { throw failure("\(what): varint longer than 10 bytes at \(position)") }
      value |= UInt64(b & 0x7F) << shift
      if b & 0x80 == 0 { return value }
      shift += 7
    }
  }

  private mutating func integer<T: FixedWidthInteger>() throws -> T {
    LittleEndian.load(try take(MemoryLayout<T>.size), at: 0)
  }
}
