import CLMDB

#if canImport(Glibc)
  import Glibc
#endif

/// One LMDB environment: a memory-mapped database file (and its lock file) in a directory.
///
/// Open at most one `LMDBEnvironment` per file per process (LMDB's rule: a second open of the same
/// file in one process breaks its locks). The environment is thread-safe; transactions are scoped to
/// the closures of ``read(_:)`` and ``write(_:)`` and must not escape them.
///
/// The map grows by itself: when a write transaction fails with `MDB_MAP_FULL`, the transaction is
/// aborted, the map size doubled (up to ``Options/maxMapSize``) and the write closure run again.
public final class LMDBEnvironment: @unchecked Sendable {
  /// How to open an environment.
  public struct Options: Sendable {
    /// The initial size of the memory map in bytes. An existing larger file keeps its size.
    public var mapSize: Int = 16 << 20
    /// The largest size growth may reach; `MDB_MAP_FULL` is thrown beyond it.
    public var maxMapSize: Int = 1 << 40
    /// The maximum number of named databases (`mdb_env_set_maxdbs`).
    public var maxDatabases: Int = 32
    /// The maximum number of concurrent read transactions (`mdb_env_set_maxreaders`).
    public var maxReaders: Int = 126
    /// Open read-only (`MDB_RDONLY`); writes then fail with `EACCES`.
    public var readOnly = false
    /// Skip the fsync at commit (`MDB_NOSYNC`): faster, but a system crash may lose recent commits.
    /// A process crash loses nothing either way.
    public var noSync = false
    /// Create the directory when it does not exist.
    public var createDirectory = true
    /// Permissions of newly created files.
    public var fileMode: mode_t = 0o644

    /// The default options.
    public init() {}
  }

  let handle: OpaquePointer
  /// The directory holding `data.mdb` and `lock.mdb`.
  public let path: String
  private let options: Options
  /// Held shared by every transaction, exclusively while the map grows.
  private let mapLock = ReadWriteLock()

  /// Opens (and, unless read-only, creates) the environment in the directory `path`.
  /// - Throws: ``LMDBError`` — `system(errno: ENOENT)` for a missing directory when
  ///   `createDirectory` is off, `invalid` for a file that is not LMDB, `versionMismatch`, …
  public init(path: String, options: Options = Options()) throws {
    if options.createDirectory && !options.readOnly {
      try LMDBEnvironment.makeDirectory(path)
    }
    var env: OpaquePointer?
    try LMDBError.check(mdb_env_create(&env))
    guard let env else { throw LMDBError.panic }
    do {
      try LMDBError.check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)))
      try LMDBError.check(mdb_env_set_maxreaders(env, UInt32(options.maxReaders)))
      try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize))
      var flags = UInt32(MDB_NOTLS)
      if options.readOnly { flags |= UInt32(MDB_RDONLY) }
      if options.noSync { flags |= UInt32(MDB_NOSYNC) }
      try LMDBError.check(mdb_env_open(env, path, flags, options.fileMode))
    } catch {
      mdb_env_close(env)
      throw error
    }
    self.handle = env
    self.path = path
    self.options = options
  }

  deinit {
    mdb_env_close(handle)
  }

  /// Copies the environment's data file into the existing, empty directory `directory`
  /// (`mdb_env_copy2`); with `compacting`, free pages are left out and pages renumbered
  /// (`MDB_CP_COMPACT`), so the copy is as small as the live data. Consistent: it copies one read
  /// snapshot, while writers may go on.
  public func copy(to directory: String, compacting: Bool) throws {
    try LMDBError.check(mdb_env_copy2(handle, directory, compacting ? UInt32(MDB_CP_COMPACT) : 0))
  }

  /// The current size of the memory map in bytes.
  public var mapSize: Int {
    var info = MDB_envinfo()
    mdb_env_info(handle, &info)
    return info.me_mapsize
  }

  /// Statistics of the main (unnamed) database.
  public var pageSize: Int {
    var stat = MDB_stat()
    mdb_env_stat(handle, &stat)
    return Int(stat.ms_psize)
  }

  /// Runs `body` in a read-only transaction that sees a consistent snapshot: commits made while it
  /// runs are invisible to it. Buffers it hands out are valid until `body` returns.
  public func read<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
    try withMapRetries {
      try run(body, in: try begin(flags: UInt32(MDB_RDONLY)), readOnly: true)
    }
  }

  /// Runs `body` in the write transaction and commits when it returns; aborts (keeping nothing of
  /// it) when it throws. Writers are serialised: one write transaction at a time, across threads
  /// and processes. On `MDB_MAP_FULL` the map grows and `body` runs again from the start, so `body`
  /// must not have side effects outside the transaction. Do not call `write` from inside `read` or
  /// `write` on the same thread.
  public func write<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
    try withMapRetries {
      try run(body, in: try begin(flags: 0), readOnly: false)
    }
  }

  /// Opens (or, with `.create`, creates) a named database, or the main database when `name` is
  /// `nil`. The handle stays valid for the environment's lifetime.
  public func database(named name: String?, flags: LMDBDatabase.Flags = []) throws -> LMDBDatabase {
    if flags.contains(.create) && !options.readOnly {
      return try write { try $0.openDatabase(named: name, flags: flags) }
    }
    return try read { try $0.openDatabase(named: name, flags: flags) }
  }

  /// Flushes the map to disk (`mdb_env_sync`), useful after writes made with `noSync`.
  public func sync() throws {
    try LMDBError.check(mdb_env_sync(handle, 1))
  }

  // MARK: - Private

  /// Runs `transaction` holding the map lock shared; when the map is full (this process must grow
  /// it) or was resized by another process (this process must adopt the new size), takes the lock
  /// exclusively to change the map, then runs `transaction` again.
  private func withMapRetries<R>(_ transaction: () throws -> R) throws -> R {
    while true {
      do {
        return try mapLock.shared(transaction)
      } catch LMDBError.mapFull {
        try mapLock.exclusive {
          let current = mapSize
          guard current < options.maxMapSize else { throw LMDBError.mapFull }
          try LMDBError.check(mdb_env_set_mapsize(handle, min(current * 2, options.maxMapSize)))
        }
      } catch LMDBError.mapResized {
        try mapLock.exclusive { try LMDBError.check(mdb_env_set_mapsize(handle, 0)) }
      }
    }
  }

  /// Runs `body` in `txn`, then commits; aborts when `body` throws. Read-only transactions commit
  /// too, because LMDB keeps a database handle opened in a transaction only if it commits.
  private func run<R>(_ body: (LMDBTransaction) throws -> R, in txn: OpaquePointer, readOnly: Bool) throws -> R {
    let result: R
    do {
      result = try body(LMDBTransaction(handle: txn, isReadOnly: readOnly))
    } catch {
      mdb_txn_abort(txn)
      throw error
    }
    // mdb_txn_commit frees the transaction whether it succeeds or not.
    try LMDBError.check(mdb_txn_commit(txn))
    return result
  }

  private func begin(flags: UInt32) throws -> OpaquePointer {
    var txn: OpaquePointer?
    try LMDBError.check(mdb_txn_begin(handle, nil, flags, &txn))
    guard let txn else { throw LMDBError.badTransaction }
    return txn
  }

  static func makeDirectory(_ path: String) throws {
    var components: [Substring] = []
    var prefix = path.hasPrefix("/") ? "/" : ""
    components = path.split(separator: "/")
    for component in components {
      prefix += component
      if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
        throw LMDBError.system(errno: errno)
      }
      prefix += "/"
    }
  }
}
