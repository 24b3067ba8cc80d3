/// Writes little-endian integers and LEB128 varints into memory someone else owns and sized
/// beforehand — LMDB's reserved value (`MDB_RESERVE`), say — with no intermediate array. The one
/// place the postings encoder touches a raw pointer. Non-copyable, so two writers cannot share a
/// position; every write is bounds-checked in debug builds, and ``finish()`` checks, in every
/// build, that exactly the sized bytes were written.
struct RawByteWriter: ~Copyable {
  private let base: UnsafeMutableRawPointer
  private let count: Int
  private(set) var position = 0

  /// A writer over `buffer`, which must stay valid (and untouched by others) while it writes.
  init(_ buffer: UnsafeMutableRawBufferPointer) {
    precondition(buffer.count == 0 || buffer.baseAddress != nil, "a raw byte writer over no memory")
    base = buffer.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!
    count = buffer.count
  }

  @inline(__always)
  mutating func u32(_ v: UInt32) {
    assert(position + 4 <= count, "raw byte write past the end")
    base.storeBytes(of: v.littleEndian, toByteOffset: position, as: UInt32.self)
    position &+= 4
  }

  @inline(__always)
  mutating func u64(_ v: UInt64) {
    assert(position + 8 <= count, "raw byte write past the end")
    base.storeBytes(of: v.littleEndian, toByteOffset: position, as: UInt64.self)
    position &+= 8
  }

  /// An unsigned LEB128 varint (as ``ByteWriter/varint(_:)``), ``RawByteWriter/varintSize(_:)`` bytes.
  @inline(__always)
  mutating func varint(_ v: UInt64) {
    var x = v
    while x >= 0x80 {
      assert(position < count, "raw byte write past the end")
      base.storeBytes(of: UInt8(truncatingIfNeeded: x) | 0x80, toByteOffset: position, as: UInt8.self)
      position &+= 1
      x >>= 7
    }
    assert(position < count, "raw byte write past the end")
    base.storeBytes(of: UInt8(truncatingIfNeeded: x), toByteOffset: position, as: UInt8.self)
    position &+= 1
  }

  /// The bytes of `v` as a LEB128 varint.
  @inline(__always)
  static func varintSize(_ v: UInt64) -> Int {
    // 7 bits a byte; 0 takes one byte.
    (64 &- (v | 1).leadingZeroBitCount &+ 6) / 7
  }

  /// Ends the writing: every sized byte must have been written.
  consuming func finish() {
    precondition(position == count, "wrote \(position) of \(count) sized bytes")
  }
}
