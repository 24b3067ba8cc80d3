#if canImport(Glibc)
  import Glibc
#endif

/// A read-only memory map of a whole file: the one place Quiver calls `mmap`.
///
/// Pages are faulted in on first touch; nothing is read at open. The mapping lives as long as this
/// object, and every view handed out by its users must not outlive it.
final class MappedFile: @unchecked Sendable {
  /// The mapped bytes.
  let bytes: UnsafeRawBufferPointer
  /// The path that was mapped.
  let path: String

  /// Maps `path` read-only.
  /// - Throws: ``ModelFileError/unreadable(path:errno:)`` when the file cannot be opened or mapped.
  init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ModelFileError.unreadable(path: path, errno: errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw ModelFileError.unreadable(path: path, errno: errno) }
    let size = Int(info.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw ModelFileError.unreadable(path: path, errno: errno)
    }
    bytes = UnsafeRawBufferPointer(start: base, count: size)
  }

  deinit {
    if let base = bytes.baseAddress {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    }
  }
}
