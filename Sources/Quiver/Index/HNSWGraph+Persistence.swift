import CXXHash

#if canImport(Glibc)
  import Glibc
#endif

/// Why a graph file could not be read or written.
public enum HNSWFileError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(path: String, errno: Int32)
  case unwritable(path: String, errno: Int32)
  case invalid(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let errno): "cannot read HNSW graph \(path): \(String(cString: strerror(errno)))"
    case .unwritable(let path, let errno): "cannot write HNSW graph \(path): \(String(cString: strerror(errno)))"
    case .invalid(let path, let reason): "invalid HNSW graph \(path): \(reason)"
    }
  }
}

/// The graph file (`docs/hnsw-format.md`): a 4,096-byte header, the level-0 records exactly as in
/// memory (so a restart maps them), with the int8 walk the f32 vectors, then levels, tombstones and
/// upper-level links.
extension HNSWGraph {
  static let magic: [UInt8] = Array("QUIVHNSW".utf8)
  /// Version 2 added the walk encoding (the header byte after the metric, 0 in version 1 files).
  static let formatVersion: UInt32 = 2
  static let headerBytes = 4096

  /// Writes the graph to `path` atomically: a temporary file of a name no other writer uses
  /// (`path.tmp.<pid>.<random>`), fsync, rename over `path`.
  public func write(to path: String) throws {
    var header = ByteWriter(capacity: Self.headerBytes)
    header.raw(Self.magic)
    header.u32(Self.formatVersion)
    header.u32(UInt32(dimension))
    header.u32(UInt32(parameters.M))
    header.u32(UInt32(parameters.efConstruction))
    header.u8(metric.rawValue); header.u8(parameters.walk.rawValue); header.u16(0)
    header.u64(UInt64(count))
    header.u32(entryPoint)
    header.u32(UInt32(bitPattern: Int32(maxLevel)))
    var state = rng
    header.u64(state.next())  // the generator continues from a state derived from the old one
    header.u64(UInt64(recordBytes))
    var tail = ByteWriter(capacity: 2 * count)
    tail.raw(levels)
    tail.raw(deleted.map { $0 ? UInt8(1) : 0 })
    for link in storage.upperSlots { tail.u32(link) }
    let checksum = tail.bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
    header.u64(UInt64(tail.bytes.count))
    header.u64(checksum)
    header.u64(layout)
    header.raw(repeatElement(0, count: Self.headerBytes - header.bytes.count))

    let temporary = path + ".tmp.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
    let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw HNSWFileError.unwritable(path: temporary, errno: errno) }
    func fail() -> HNSWFileError {
      let error = HNSWFileError.unwritable(path: temporary, errno: errno)
      close(fd)
      unlink(temporary)
      return error
    }
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
      var done = 0
      while done < bytes.count {
        let w = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
        guard w > 0 else { throw fail() }
        done += w
      }
    }
    try header.bytes.withUnsafeBytes { try writeAll($0) }
    try storage.withNodeBytes(count: count) { records, exact in
      try writeAll(records)
      if let exact { try writeAll(exact) }
    }
    try tail.bytes.withUnsafeBytes { try writeAll($0) }
    guard fsync(fd) == 0 else { throw fail() }
    close(fd)
    guard rename(temporary, path) == 0 else {
      let error = HNSWFileError.unwritable(path: path, errno: errno)
      unlink(temporary)
      throw error
    }
  }

  /// Maps a graph file: the level-0 records are used in place (a private, writable map: inserts
  /// change memory, never the file); levels, tombstones and upper links are read and checked.
  /// O(nodes with upper levels) work, no graph rebuilding. Level-0 links are not read here (that
  /// would touch every page); each is checked as a search follows it (``forEachLink(_:_:_:)``).
  public static func open(path: String) throws -> HNSWGraph {
    let file = try MappedFile(path: path, access: .privateCopy) { HNSWFileError.unreadable(path: $0, errno: $1) }
    let all = file.bytes
    let size = all.count
    func invalid(_ why: String) -> HNSWFileError { .invalid(path: path, reason: why) }
    guard size >= headerBytes else { throw invalid("shorter than its header") }
    var r = ByteReader(UnsafeRawBufferPointer(rebasing: all[0..<headerBytes]), what: "HNSW header", failure: invalid)
    guard Array(try r.raw(8)) == magic else { throw invalid("bad magic") }
    let version = try r.u32()
    guard version == 1 || version == formatVersion else {
      throw invalid("format version \(version), this Quiver reads 1 and \(formatVersion)")
    }
    let dimension = Int(try r.u32())
    let m = Int(try r.u32())
    let efConstruction = Int(try r.u32())
    guard let metric = Metric(rawValue: try r.u8()) else { throw invalid("unknown metric") }
    guard let walk = HNSWWalkEncoding(rawValue: try r.u8()) else { throw invalid("unknown walk encoding") }
    _ = try r.u16()
    // Sizes are checked against the file before any arithmetic: a damaged header must not trap.
    func bounded(_ v: UInt64, _ what: String) throws -> Int {
      guard v <= UInt64(size), let n = Int(exactly: v) else { throw invalid("\(what) \(v) exceeds the file") }
      return n
    }
    let count = try bounded(try r.u64(), "node count")
    let entryPoint = try r.u32()
    let maxLevel = Int(Int32(bitPattern: try r.u32()))
    let rngState = try r.u64()
    let recordBytes = try bounded(try r.u64(), "record size")
    let tailLength = try bounded(try r.u64(), "tail length")
    let checksum = try r.u64()
    let layout = try r.u64()
    let parameters = Parameters(M: m, efConstruction: efConstruction, walk: walk)
    guard dimension > 0, dimension <= 1 << 16, m > 1, m <= 1024, count >= 0, count < 1 << 32, tailLength >= 0,
      recordBytes == HNSWNodeStorage.recordLayout(dimension: dimension, M: m, walk: walk).recordBytes
    else {
      throw invalid("inconsistent header")
    }
    let exactBytes = walk == .int8 ? count * dimension * 4 : 0
    guard size == headerBytes + count * recordBytes + exactBytes + tailLength else {
      throw invalid("size \(size), header says \(headerBytes + count * recordBytes + exactBytes + tailLength)")
    }
    let tail = UnsafeRawBufferPointer(rebasing: all[(headerBytes + count * recordBytes + exactBytes)...])
    guard XXH3_64bits(tail.baseAddress, tail.count) == checksum else { throw invalid("checksum mismatch") }
    var t = ByteReader(tail, what: "HNSW tail", failure: invalid)
    let levels = Array(try t.raw(count))
    let deleted = try t.raw(count).map { $0 != 0 }
    let upperUsed = levels.reduce(0) { $0 + Int($1) * (1 + m) }
    guard t.remaining == 4 * upperUsed else { throw invalid("upper links: \(t.remaining) bytes for \(upperUsed) slots") }
    var upper = [UInt32](repeating: 0, count: upperUsed)
    for i in 0..<upperUsed { upper[i] = try t.u32() }
    // Every upper list is a count ≤ M and in-range node ids: a damaged tail cannot send a search
    // out of bounds (the tail is checksummed too; this also catches a writer's bug).
    var slot = 0
    for l in levels where l > 0 {
      for _ in 0..<Int(l) {
        let c = Int(upper[slot])
        guard c <= m, (0..<c).allSatisfy({ Int(upper[slot + 1 + $0]) < count }) else { throw invalid("upper link list out of range") }
        slot += 1 + m
      }
    }
    guard count == 0 || (Int(entryPoint) < count && maxLevel == Int(levels[Int(entryPoint)])) else {
      throw invalid("entry point")
    }
    let storage = HNSWNodeStorage(dimension: dimension, M: m, walk: walk, file: file, recordsOffset: headerBytes, count: count,
                                  levels: levels, upper: upper)
    let graph = HNSWGraph(metric: metric, parameters: parameters, storage: storage, count: count, entryPoint: entryPoint,
                          maxLevel: count == 0 ? -1 : maxLevel, rng: SplitMix64(seed: rngState), levels: levels, deleted: deleted)
    graph.layout = layout
    return graph
  }
}
