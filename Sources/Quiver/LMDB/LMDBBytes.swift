import CLMDB

/// A value that can lend its bytes to LMDB as a key or as data without copying.
public protocol LMDBBytes {
  /// Calls `body` with the value's bytes; the buffer is valid only inside `body`.
  func withLMDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: LMDBBytes where Element == UInt8 {
  @inlinable
  public func withLMDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(body)
  }
}

extension ArraySlice: LMDBBytes where Element == UInt8 {
  @inlinable
  public func withLMDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(body)
  }
}

extension String: LMDBBytes {
  /// The string's UTF-8 bytes, without a terminating NUL.
  @inlinable
  public func withLMDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    var copy = self
    return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
  }
}

extension UnsafeRawBufferPointer: LMDBBytes {
  @inlinable
  public func withLMDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(self)
  }
}

/// A `UInt64` key stored big-endian, so that LMDB's byte order is the numeric order.
public struct BigEndianKey: LMDBBytes, Hashable, Sendable {
  /// The numeric value of the key.
  public var value: UInt64

  /// A key for `value`.
  public init(_ value: UInt64) { self.value = value }

  /// Reads a key back from the 8 bytes LMDB returns; `nil` when the buffer is not 8 bytes long.
  public init?(bytes: UnsafeRawBufferPointer) {
    guard bytes.count == 8 else { return nil }
    value = UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
  }

  @inlinable
  public func withLMDBBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withUnsafeBytes(of: value.bigEndian, body)
  }
}

// MARK: - MDB_val views (the only place that builds MDB_val from Swift buffers)

extension MDB_val {
  /// An `MDB_val` that points at `buffer`; LMDB only reads through it.
  @inline(__always)
  init(reading buffer: UnsafeRawBufferPointer) {
    self.init(mv_size: buffer.count, mv_data: UnsafeMutableRawPointer(mutating: buffer.baseAddress))
  }

  /// The bytes LMDB returned: they live in the memory map and are valid until the transaction ends.
  @inline(__always)
  var bytes: UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: mv_data, count: mv_size)
  }
}
