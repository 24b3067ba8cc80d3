/// Raw bytes viewed as typed memory only where they are aligned for the type: the check at every
/// place where bytes Quiver did not allocate (LMDB values, file maps) become `UnsafeBufferPointer<T>`.
enum AlignedView {
  /// Calls `body` with `bytes` as `T` values: in place when the address is aligned for `T` (the
  /// usual case — LMDB gives values of a page or more their own pages), else through an aligned
  /// copy, never a misaligned typed pointer.
  /// - Precondition: `bytes.count` is a multiple of `MemoryLayout<T>.stride`.
  static func with<T: BitwiseCopyable, R>(_ bytes: UnsafeRawBufferPointer, as _: T.Type,
                                          _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
    let stride = MemoryLayout<T>.stride
    precondition(bytes.count % stride == 0, "\(bytes.count) bytes are not whole \(T.self) values")
    let n = bytes.count / stride
    guard let base = bytes.baseAddress, n > 0 else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
    if Int(bitPattern: base) % MemoryLayout<T>.alignment == 0 {
      return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: n))
    }
    let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: MemoryLayout<T>.alignment)
    defer { copy.deallocate() }
    copy.copyMemory(from: base, byteCount: bytes.count)
    return try body(UnsafeBufferPointer(start: copy.assumingMemoryBound(to: T.self), count: n))
  }
}
