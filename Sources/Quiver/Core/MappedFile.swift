#if canImport(Glibc)
  import Glibc
#endif

/// A memory map of a whole file, the one handle through which Quiver maps its own files: model
/// files and vector files read-only, HNSW graph files as a private writable copy (inserts change
/// memory, never the file). LMDB maps `data.mdb` itself.
///
/// Pages are faulted in on first touch; nothing is read at open. The mapping lives as long as this
/// object, and every view handed out by its users must not outlive it.
final class MappedFile: @unchecked Sendable {
  /// How the pages may be used.
  enum Access {
    /// Read-only, shared with the page cache.
    case readOnly
    /// Readable and writable; writes stay in this process (copy-on-write, `MAP_PRIVATE`).
    case privateCopy
  }

  /// The mapped bytes (empty for an empty file).
  let bytes: UnsafeRawBufferPointer
  /// The path that was mapped.
  let path: String

  /// Maps `path`.
  /// - Parameter unreadable: the error to throw, from the path and `errno`, when the file cannot
  ///   be opened, sized or mapped (each file kind reports it in its own error type).
  init(path: String, access: Access = .readOnly, unreadable: (String, Int32) -> any Error) throws {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw unreadable(path, errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw unreadable(path, errno) }
    let size = Int(info.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let protection = access == .readOnly ? PROT_READ : PROT_READ | PROT_WRITE
    guard let base = mmap(nil, size, protection, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw unreadable(path, errno)
    }
    bytes = UnsafeRawBufferPointer(start: base, count: size)
  }

  /// The mapped bytes as writable memory.
  /// - Precondition: mapped with ``Access/privateCopy``.
  var writableBase: UnsafeMutableRawPointer? { bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } }

  deinit {
    if let base = bytes.baseAddress {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    }
  }
}
