import CLMDB

#if canImport(Glibc)
  import Glibc
#endif

/// Every failure that LMDB can report, one case per LMDB return code.
///
/// LMDB returns either one of its own codes (the `MDB_*` constants, all negative) or a positive
/// `errno` value from the operating system; the latter become ``system(errno:)``.
public enum LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `MDB_KEYEXIST`: the key/data pair already exists (a put with `noOverwrite`).
  case keyExists
  /// `MDB_NOTFOUND`: the key/data pair was not found (end of data for cursors).
  case notFound
  /// `MDB_PAGE_NOTFOUND`: a requested page was not found; this usually means corruption.
  case pageNotFound
  /// `MDB_CORRUPTED`: a located page was of the wrong type.
  case corrupted
  /// `MDB_PANIC`: an update of the meta page failed or the environment had a fatal error.
  case panic
  /// `MDB_VERSION_MISMATCH`: the environment was written by an incompatible LMDB version.
  case versionMismatch
  /// `MDB_INVALID`: the file is not a valid LMDB file.
  case invalid
  /// `MDB_MAP_FULL`: the environment's map size was reached.
  case mapFull
  /// `MDB_DBS_FULL`: the environment's maximum number of named databases was reached.
  case databasesFull
  /// `MDB_READERS_FULL`: the environment's maximum number of readers was reached.
  case readersFull
  /// `MDB_TLS_FULL`: too many thread-local keys in use (Windows only).
  case tlsFull
  /// `MDB_TXN_FULL`: the transaction has too many dirty pages.
  case transactionFull
  /// `MDB_CURSOR_FULL`: the cursor stack is too deep (an internal error).
  case cursorFull
  /// `MDB_PAGE_FULL`: a page has not enough space (an internal error).
  case pageFull
  /// `MDB_MAP_RESIZED`: the database grew beyond the map size (another process grew it).
  case mapResized
  /// `MDB_INCOMPATIBLE`: the operation and the database are incompatible, or the flags changed.
  case incompatible
  /// `MDB_BAD_RSLOT`: invalid reuse of a reader lock-table slot.
  case badReaderSlot
  /// `MDB_BAD_TXN`: the transaction must abort, has a child, or is invalid.
  case badTransaction
  /// `MDB_BAD_VALSIZE`: unsupported size of a key, database name or data.
  case badValueSize
  /// `MDB_BAD_DBI`: the database handle was changed unexpectedly.
  case badDatabase
  /// `MDB_PROBLEM` (LMDB ≥ 0.9.27): an unexpected problem; the transaction should abort.
  case problem
  /// A code in LMDB's range that this LMDB version does not define.
  case unknown(code: Int32)
  /// A positive return value: an operating-system `errno` (`ENOENT`, `EACCES`, `ENOSPC`, …).
  case system(errno: Int32)

  /// Maps an LMDB return code to its case. `code` must not be `MDB_SUCCESS`.
  public init(code: Int32) {
    switch code {
    case MDB_KEYEXIST: self = .keyExists
    case MDB_NOTFOUND: self = .notFound
    case MDB_PAGE_NOTFOUND: self = .pageNotFound
    case MDB_CORRUPTED: self = .corrupted
    case MDB_PANIC: self = .panic
    case MDB_VERSION_MISMATCH: self = .versionMismatch
    case MDB_INVALID: self = .invalid
    case MDB_MAP_FULL: self = .mapFull
    case MDB_DBS_FULL: self = .databasesFull
    case MDB_READERS_FULL: self = .readersFull
    case MDB_TLS_FULL: self = .tlsFull
    case MDB_TXN_FULL: self = .transactionFull
    case MDB_CURSOR_FULL: self = .cursorFull
    case MDB_PAGE_FULL: self = .pageFull
    case MDB_MAP_RESIZED: self = .mapResized
    case MDB_INCOMPATIBLE: self = .incompatible
    case MDB_BAD_RSLOT: self = .badReaderSlot
    case MDB_BAD_TXN: self = .badTransaction
    case MDB_BAD_VALSIZE: self = .badValueSize
    case MDB_BAD_DBI: self = .badDatabase
    case LMDBError.problemCode: self = .problem
    case let c where c > 0: self = .system(errno: c)
    default: self = .unknown(code: code)
    }
  }

  /// `MDB_PROBLEM`, which the LMDB 0.9.24 header does not define yet.
  static let problemCode: Int32 = -30779

  /// The LMDB return code of this error.
  public var code: Int32 {
    switch self {
    case .keyExists: MDB_KEYEXIST
    case .notFound: MDB_NOTFOUND
    case .pageNotFound: MDB_PAGE_NOTFOUND
    case .corrupted: MDB_CORRUPTED
    case .panic: MDB_PANIC
    case .versionMismatch: MDB_VERSION_MISMATCH
    case .invalid: MDB_INVALID
    case .mapFull: MDB_MAP_FULL
    case .databasesFull: MDB_DBS_FULL
    case .readersFull: MDB_READERS_FULL
    case .tlsFull: MDB_TLS_FULL
    case .transactionFull: MDB_TXN_FULL
    case .cursorFull: MDB_CURSOR_FULL
    case .pageFull: MDB_PAGE_FULL
    case .mapResized: MDB_MAP_RESIZED
    case .incompatible: MDB_INCOMPATIBLE
    case .badReaderSlot: MDB_BAD_RSLOT
    case .badTransaction: MDB_BAD_TXN
    case .badValueSize: MDB_BAD_VALSIZE
    case .badDatabase: MDB_BAD_DBI
    case .problem: LMDBError.problemCode
    case .unknown(let code): code
    case .system(let errno): errno
    }
  }

  /// LMDB's own message for the code (`mdb_strerror`, which falls back to `strerror`).
  /// For the failures a user can act on, what happened and what to do.
  public var description: String {
    let base = "LMDB error \(code): " + String(cString: mdb_strerror(code))
    switch self {
    case .mapFull: return base + " — the store reached its map size limit; nothing of the failed write was committed (raise the limit, e.g. quiver ingest --max-map-mib, and resume)"
    case .system(ENOSPC): return base + " — the disk is full; nothing of the failed write was committed (free space and resume)"
    // LMDB reports a short write (what a full disk gives mid-page) as EIO.
    case .system(EIO): return base + " — a write failed (a full disk, or a failing device); nothing of the failed write was committed (check free space and resume)"
    case .system(EACCES), .system(EROFS): return base + " — the store's files cannot be written (a read-only directory or replica opens for queries only)"
    default: return base
    }
  }

  /// Throws the error for `code` unless it is `MDB_SUCCESS`.
  @inline(__always)
  static func check(_ code: Int32) throws {
    if code != MDB_SUCCESS { throw LMDBError(code: code) }
  }
}
