import CLMDB

/// A handle to one database (a B+tree of sorted keys) inside an ``LMDBEnvironment``.
public struct LMDBDatabase: Hashable, Sendable {
  /// LMDB's handle; valid for the environment's lifetime once the opening transaction committed.
  public let dbi: MDB_dbi

  /// Flags for opening a database (`mdb_dbi_open`).
  public struct Flags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_CREATE`: create the database when it does not exist.
    public static let create = Flags(rawValue: UInt32(MDB_CREATE))
    /// `MDB_INTEGERKEY`: keys are native-endian `UInt32` or `size_t`, compared as integers.
    public static let integerKey = Flags(rawValue: UInt32(MDB_INTEGERKEY))
    /// `MDB_REVERSEKEY`: keys compare from their last byte to their first.
    public static let reverseKey = Flags(rawValue: UInt32(MDB_REVERSEKEY))
    /// `MDB_DUPSORT`: a key may hold several sorted values.
    public static let duplicateSort = Flags(rawValue: UInt32(MDB_DUPSORT))
  }

  /// Flags for a put (`mdb_put`, `mdb_cursor_put`).
  public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `MDB_NOOVERWRITE`: fail with ``LMDBError/keyExists`` when the key exists.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// `MDB_NODUPDATA`: in a `duplicateSort` database, fail when the pair exists.
    public static let noDuplicateData = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
    /// `MDB_APPEND`: the key sorts after every existing key (fast bulk load; `keyExists` otherwise).
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
  }
}
