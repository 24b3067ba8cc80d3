/// The one little-endian integer reader of Quiver's file and record formats (model files, store
/// records, graph files, vector files, SentencePiece protobufs): unaligned loads, any offset.
enum LittleEndian {
  /// The `T` whose little-endian bytes start at `offset` of `bytes`.
  /// - Precondition: `offset + MemoryLayout<T>.size <= bytes.count` (checked in debug builds;
  ///   callers bound their offsets first).
  @inline(__always)
  static func load<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, at offset: Int, as _: T.Type = T.self) -> T {
    assert(offset >= 0 && offset + MemoryLayout<T>.size <= bytes.count, "little-endian read out of bounds")
    return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
  }
}
