/// Why a file of vectors (`.npy`, `.fvecs`) could not be read.
public enum VectorFileError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file cannot be opened or mapped.
  case unreadable(path: String, errno: Int32)
  /// The file does not follow its format; the string says where.
  case malformed(path: String, reason: String)
  /// The file is valid but holds something other than little-endian float32 rows.
  case unsupported(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let errno): "cannot read vector file \(path) (errno \(errno))"
    case .malformed(let path, let reason): "malformed vector file \(path): \(reason)"
    case .unsupported(let path, let reason): "unsupported vector file \(path): \(reason)"
    }
  }
}
