#if canImport(Glibc)
  import Glibc
#endif

/// The names in directory `path` other than `.` and `..`, unsorted (nil: no such directory, or it
/// cannot be read). Glibc's `readdir`, so that the library needs no Foundation.
func directoryEntries(_ path: String) -> [String]? {
  guard let dir = opendir(path) else { return nil }
  defer { closedir(dir) }
  var names: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    if name != "." && name != ".." { names.append(name) }
  }
  return names
}
