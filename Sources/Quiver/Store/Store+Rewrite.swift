#if canImport(Glibc)
  import Glibc
#endif

extension Store {
  /// The store's process lock file: every open store holds a shared `flock` on it for its lifetime;
  /// ``rewrite(at:)`` takes it exclusively, so it runs only when no other handle has the store open.
  static func lockPath(_ directory: String) -> String { directory + "/quiver.lock" }

  /// Takes the shared process lock of the store in `directory` (-1 when the directory is read-only:
  /// such a store cannot be rewritten anyway).
  static func takeSharedLock(_ directory: String) -> Int32 {
    let fd = Glibc.open(lockPath(directory), O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return -1 }
    while flock(fd, LOCK_SH) != 0 {
      if errno != EINTR { close(fd); return -1 }
    }
    return fd
  }

  /// Rewrites `data.mdb` compactly — LMDB never shrinks its file, it only reuses free pages — by a
  /// compacting copy (`mdb_env_copy2` with `MDB_CP_COMPACT`) renamed over the file, then returns
  /// the file's size before and after. Only when no other handle, in this or another process, has
  /// the store open (it holds the store's lock exclusively meanwhile); a crash at any moment leaves
  /// either the old file or the new one, each whole. Run ``Space/compact()`` first to drop deleted
  /// rows: this rewrite frees the pages they occupied.
  /// - Throws: ``StoreError/busy(path:operation:)`` when another handle has the store open,
  ///   ``StoreError/noStore(path:)``, `LMDBError` for the copy.
  @discardableResult
  public static func rewrite(at path: String) throws -> (bytesBefore: Int, bytesAfter: Int) {
    guard access(path + "/data.mdb", F_OK) == 0 else { throw StoreError.noStore(path: path) }
    let lock = Glibc.open(lockPath(path), O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
    guard lock >= 0 else { throw StoreError.readOnly(path: path) }
    defer { close(lock) }
    guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { throw StoreError.busy(path: path, operation: "a compacting rewrite") }
    let before = fileSize(path + "/data.mdb")
    let scratch = path + "/rewrite.tmp.\(getpid())"
    mkdir(scratch, 0o755)
    defer {
      unlink(scratch + "/data.mdb")
      unlink(scratch + "/lock.mdb")
      rmdir(scratch)
    }
    do {
      var options = LMDBEnvironment.Options()
      options.maxDatabases = 256
      let env = try LMDBEnvironment(path: path, options: options)
      try env.copy(to: scratch, compacting: true)
    }
    let fd = Glibc.open(scratch + "/data.mdb", O_RDONLY | O_CLOEXEC)
    if fd >= 0 { fsync(fd); close(fd) }
    guard rename(scratch + "/data.mdb", path + "/data.mdb") == 0 else { throw LMDBError.system(errno: errno) }
    syncDirectory(path)
    return (before, fileSize(path + "/data.mdb"))
  }
}
