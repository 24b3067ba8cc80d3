/// Why the on-disk embedding cache (layer 2) could not be used.
public enum DiskCacheError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The cache directory was written by a Quiver with another cache layout.
  case unsupportedFormatVersion(path: String, found: UInt32, supported: UInt32)
  /// An entry or counter could not be decoded (damage, or a bug).
  case corruptEntry(String)

  public var description: String {
    switch self {
    case .unsupportedFormatVersion(let path, let found, let supported):
      "embedding cache \(path) has format version \(found), this Quiver reads \(supported); remove the directory to start a new cache"
    case .corruptEntry(let what): "corrupt embedding cache entry: \(what)"
    }
  }
}
