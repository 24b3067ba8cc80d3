#if canImport(Glibc)
  import Glibc
#endif

extension Store {
  /// The lock file that keeps ``Space/compact()`` and ``snapshot(to:)`` apart: a snapshot holds it
  /// shared, a compaction exclusively (both wait for the other), so that the graph files a snapshot
  /// copies keep the row layout of the LMDB commit it copies after them.
  static func layoutLockPath(_ directory: String) -> String { directory + "/layout.lock" }

  /// Holds the layout lock (`LOCK_SH` or `LOCK_EX`) of the store in `path` while `body` runs; a
  /// directory where the lock file cannot be made (read-only) has no compaction to exclude.
  static func withLayoutLock<T>(_ path: String, _ operation: Int32, _ body: () throws -> T) rethrows -> T {
    let fd = Glibc.open(layoutLockPath(path), O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
    defer { if fd >= 0 { close(fd) } }  // closing releases the lock
    if fd >= 0 {
      while flock(fd, operation) != 0 && errno == EINTR {}
    }
    return try body()
  }

  /// What ``snapshot(to:)`` copied.
  public struct SnapshotSummary: Sendable, Equatable {
    /// Bytes of the copied (compacted) `data.mdb`.
    public var dataBytes: Int
    /// Graph files copied (one per space that had one).
    public var graphFiles: Int
  }

  /// A consistent copy of this store in `destination` (a new or empty directory) while writers
  /// run: every space's HNSW graph file is copied first, then the LMDB environment at one commit,
  /// compacted (`mdb_env_copy2` with `MDB_CP_COMPACT`: free pages left out). Rows only grow between
  /// compactions, and compactions wait meanwhile (``layoutLockPath(_:)``), so each copied graph
  /// covers a prefix of the copied rows: opening the copy catches it up with the rows committed
  /// after it, and a graph that does not fit the copy (more nodes than rows, another row layout) is
  /// never used (``Space`` rebuilds it). The copy answers exactly as this store did at that commit.
  /// - Throws: ``StoreError/invalidArgument(_:)`` when `destination` exists and is not an empty
  ///   directory; `LMDBError` for the copy (a full disk: the partial copy is removed).
  @discardableResult
  public func snapshot(to destination: String) throws -> SnapshotSummary {
    if let entries = directoryEntries(destination) {
      guard entries.isEmpty else { throw StoreError.invalidArgument("snapshot destination \(destination) is not empty") }
    } else {
      try LMDBEnvironment.makeDirectory(destination)
    }
    var copiedGraphs: [String] = []
    do {
      return try Self.withLayoutLock(path, LOCK_SH) {
        let numbers = try env.read { txn in
          var out: [UInt32] = []
          try txn.withCursor(spacesDB) { cursor in
            try cursor.forEach { entry in
              out.append(try SpaceRecord(decoding: entry.value).number)
              return true
            }
          }
          return out
        }
        for number in numbers {
          let name = "/space.\(number).hnsw"
          if try Self.copyFile(path + name, to: destination + name) { copiedGraphs.append(destination + name) }
        }
        try env.copy(to: destination, compacting: true)
        Self.syncDirectory(destination)
        return SnapshotSummary(dataBytes: Self.fileSize(destination + "/data.mdb"), graphFiles: copiedGraphs.count)
      }
    } catch {
      for file in copiedGraphs + [destination + "/data.mdb", destination + "/lock.mdb"] { unlink(file) }
      throw error
    }
  }

  /// Copies file `source` to `target` (written, then synced); false when `source` does not exist.
  /// A graph file is replaced by rename, never rewritten in place, so the open descriptor reads
  /// one whole version of it.
  static func copyFile(_ source: String, to target: String) throws -> Bool {
    let input = Glibc.open(source, O_RDONLY | O_CLOEXEC)
    guard input >= 0 else {
      if errno == ENOENT { return false }
      throw LMDBError.system(errno: errno)
    }
    defer { close(input) }
    let output = Glibc.open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard output >= 0 else { throw LMDBError.system(errno: errno) }
    defer { close(output) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw LMDBError.system(errno: errno) }
      if n == 0 { break }
      var written = 0
      while written < n {
        let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, n - written) }
        if w < 0 && errno == EINTR { continue }
        guard w > 0 else { throw LMDBError.system(errno: w < 0 ? errno : EIO) }
        written += w
      }
    }
    guard fsync(output) == 0 else { throw LMDBError.system(errno: errno) }
    return true
  }

  /// Makes a directory's entries durable.
  static func syncDirectory(_ path: String) {
    let dir = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dir >= 0 { fsync(dir); close(dir) }
  }
}
