import Synchronization

/// Layer 2: embeddings on disk in an LMDB environment of their own, surviving restarts.
///
/// Layout (`docs/disk-cache-format.md`, format ``formatVersion``): database `entries`, key = the 16
/// bytes of a ``CacheKey`` (hash of the token ids and the space key), value = u64 access epoch, u32
/// dimension, then the f32 vector (little-endian); database `meta`: `format_version` (u32), `epoch`,
/// `bytes` (sum of value sizes), and the lifetime `hits`, `misses`, `evictions` counters (u64 each).
///
/// Bounded by a byte budget. Eviction is approximate LRU by access epoch: every write batch starts a
/// new epoch; entries read since the last write are stamped with it at the next write; when the
/// values exceed the budget, the oldest epochs go first until 90 % of the budget is used.
public final class DiskCache: @unchecked Sendable {
  public struct Statistics: Sendable, Equatable {
    public var entries = 0
    public var bytes = 0
    public var budget = 0
    public var hits = 0
    public var misses = 0
    public var evictions = 0
    public var hitRate: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }
  }

  /// The layout this Quiver writes and the only one it reads.
  public static let formatVersion: UInt32 = 1

  public let path: String
  public let byteBudget: Int
  private let env: LMDBEnvironment
  private let entries: LMDBDatabase
  private let meta: LMDBDatabase
  /// Keys read since the last write, and counters not yet persisted.
  private let pending = Locked<(touched: Set<CacheKey>, hits: Int, misses: Int)>((Set(), 0, 0))

  public init(path: String, byteBudget: Int = 256 << 20) throws {
    self.path = path
    self.byteBudget = byteBudget
    var options = LMDBEnvironment.Options()
    options.maxDatabases = 4
    options.mapSize = 16 << 20
    env = try LMDBEnvironment(path: path, options: options)
    (entries, meta) = try env.write { txn in
      let entries = try txn.openDatabase(named: "entries", flags: .create)
      let meta = try txn.openDatabase(named: "meta", flags: .create)
      if let v = try txn.get(meta, key: "format_version") {
        var r = ByteReader(v, what: "format_version", failure: DiskCacheError.corruptEntry)
        let version = try r.u32()
        guard version == Self.formatVersion else {
          throw DiskCacheError.unsupportedFormatVersion(path: path, found: version, supported: Self.formatVersion)
        }
      } else {
        // A new cache, or one written before the layout had a version (the same layout: version 1).
        var w = ByteWriter()
        w.u32(Self.formatVersion)
        try txn.put(meta, key: "format_version", value: w.bytes)
      }
      return (entries, meta)
    }
  }

  /// The cached vectors for `keys` (nil where absent).
  public func get(_ keys: [CacheKey]) throws -> [[Float]?] {
    let found: [[Float]?] = try env.read { txn in
      try keys.map { key in
        guard let value = try txn.get(entries, key: key.bytes) else { return nil }
        var r = ByteReader(value, what: "disk cache entry", failure: DiskCacheError.corruptEntry)
        _ = try r.u64()
        let d = Int(try r.u32())
        let floats = try r.raw(d * 4)
        return (0..<d).map { floats.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
      }
    }
    pending.withLock { p in
      for (key, vector) in zip(keys, found) {
        if vector != nil { p.touched.insert(key); p.hits += 1 } else { p.misses += 1 }
      }
    }
    return found
  }

  /// Stores vectors, stamps recently read entries, persists counters and evicts over budget — one
  /// write transaction.
  public func put(_ items: [(CacheKey, [Float])]) throws {
    let (touched, hits, misses) = pending.withLock { p in
      defer { p = (Set(), 0, 0) }
      return (p.touched, p.hits, p.misses)
    }
    try env.write { txn in
      let epoch = try counter(txn, "epoch") + 1
      var bytes = try counter(txn, "bytes")
      for key in touched {
        guard let old = try txn.get(entries, key: key.bytes) else { continue }
        var value = Array(old)
        var stamp = ByteWriter(capacity: 8)
        stamp.u64(epoch)
        value.replaceSubrange(0..<8, with: stamp.bytes)
        try txn.put(entries, key: key.bytes, value: value)
      }
      for (key, vector) in items {
        var w = ByteWriter(capacity: 12 + 4 * vector.count)
        w.u64(epoch)
        w.u32(UInt32(vector.count))
        for x in vector { w.u32(x.bitPattern) }
        if let old = try txn.get(entries, key: key.bytes) { bytes -= UInt64(old.count) }
        try txn.put(entries, key: key.bytes, value: w.bytes)
        bytes += UInt64(w.bytes.count)
      }
      var evicted = 0
      if bytes > UInt64(byteBudget) {
        var all: [(epoch: UInt64, key: [UInt8], size: Int)] = []
        try txn.withCursor(entries) { cursor in
          try cursor.forEach { entry in
            var r = ByteReader(entry.value, what: "disk cache entry", failure: DiskCacheError.corruptEntry)
            all.append((try r.u64(), Array(entry.key), entry.value.count))
            return true
          }
        }
        all.sort { $0.epoch < $1.epoch }
        let target = UInt64(byteBudget) * 9 / 10
        for e in all where bytes > target {
          try txn.delete(entries, key: e.key)
          bytes -= UInt64(e.size)
          evicted += 1
        }
      }
      try setCounter(txn, "epoch", epoch)
      try setCounter(txn, "bytes", bytes)
      try setCounter(txn, "hits", try counter(txn, "hits") + UInt64(hits))
      try setCounter(txn, "misses", try counter(txn, "misses") + UInt64(misses))
      try setCounter(txn, "evictions", try counter(txn, "evictions") + UInt64(evicted))
    }
  }

  /// Sizes and lifetime counters (including this process's reads not yet persisted).
  public var statistics: Statistics {
    get throws {
      let p = pending.withLock { ($0.hits, $0.misses) }
      return try env.read { txn in
        Statistics(entries: try txn.count(entries), bytes: Int(try counter(txn, "bytes")), budget: byteBudget,
                   hits: Int(try counter(txn, "hits")) + p.0, misses: Int(try counter(txn, "misses")) + p.1,
                   evictions: Int(try counter(txn, "evictions")))
      }
    }
  }

  private func counter(_ txn: LMDBTransaction, _ name: String) throws -> UInt64 {
    guard let v = try txn.get(meta, key: name) else { return 0 }
    var r = ByteReader(v, what: "disk cache counter", failure: DiskCacheError.corruptEntry)
    return try r.u64()
  }

  private func setCounter(_ txn: LMDBTransaction, _ name: String, _ value: UInt64) throws {
    var w = ByteWriter()
    w.u64(value)
    try txn.put(meta, key: name, value: w.bytes)
  }
}
