import CXXHash

#if canImport(Glibc)
  import Glibc
#endif

/// Why a graph file could not be opened.
public enum HNSWFileError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(path: String, errno: Int32)
  case invalid(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let path, let errno): "cannot read HNSW graph \(path) (errno \(errno))"
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

  /// Writes the graph to `path` atomically: a temporary file, fsync, rename.
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
    let recordsLength = count * recordBytes
    var tail = ByteWriter(capacity: 2 * count)
    tail.raw(levels)
    tail.raw(deleted.map { $0 ? UInt8(1) : 0 })
    for i in 0..<upperUsed { tail.u32(upperLinks[i]) }
    let checksum = tail.bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
    header.u64(UInt64(tail.bytes.count))
    header.u64(checksum)
    header.raw(repeatElement(0, count: Self.headerBytes - header.bytes.count))

    let temporary = path + ".tmp"
    let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw HNSWFileError.unreadable(path: temporary, errno: errno) }
    func writeAll(_ p: UnsafeRawPointer, _ n: Int) throws {
      var done = 0
      while done < n {
        let w = Glibc.write(fd, p + done, n - done)
        guard w > 0 else { close(fd); throw HNSWFileError.unreadable(path: temporary, errno: errno) }
        done += w
      }
    }
    try header.bytes.withUnsafeBytes { try writeAll($0.baseAddress!, $0.count) }
    try writeAll(records, recordsLength)
    if let exact { try writeAll(exact, count * dimension * 4) }
    try tail.bytes.withUnsafeBytes { try writeAll($0.baseAddress!, $0.count) }
    guard fsync(fd) == 0 else { close(fd); throw HNSWFileError.unreadable(path: temporary, errno: errno) }
    close(fd)
    guard rename(temporary, path) == 0 else { throw HNSWFileError.unreadable(path: path, errno: errno) }
  }

  /// Maps a graph file: the level-0 records are used in place (a private, writable map: inserts
  /// change memory, never the file); levels, tombstones and upper links are read. O(nodes with
  /// upper levels) work, no graph rebuilding.
  public static func open(path: String) throws -> HNSWGraph {
    let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw HNSWFileError.unreadable(path: path, errno: errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw HNSWFileError.unreadable(path: path, errno: errno) }
    let size = Int(info.st_size)
    func invalid(_ why: String) -> HNSWFileError { .invalid(path: path, reason: why) }
    guard size >= headerBytes else { throw invalid("shorter than its header") }
    guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
      throw HNSWFileError.unreadable(path: path, errno: errno)
    }
    var mapped = true
    defer { if mapped { munmap(base, size) } }
    let all = UnsafeRawBufferPointer(start: base, count: size)
    var r = ByteReader(UnsafeRawBufferPointer(rebasing: all[0..<headerBytes]), what: "HNSW header", failure: invalid)
    do {
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
      let count = Int(try r.u64())
      let entryPoint = try r.u32()
      let maxLevel = Int(Int32(bitPattern: try r.u32()))
      let rngState = try r.u64()
      let recordBytes = Int(try r.u64())
      let tailLength = Int(try r.u64())
      let checksum = try r.u64()
      let parameters = Parameters(M: m, efConstruction: efConstruction, walk: walk)
      guard dimension > 0, m > 1, recordBytes == 4 * (1 + 2 * m) + walk.recordVectorBytes(dimension: dimension) else {
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
      let upperLinks = UnsafeMutablePointer<UInt32>.allocate(capacity: max(upperUsed, 1))
      for i in 0..<upperUsed { upperLinks[i] = try t.u32() }
      // Every upper list is a count ≤ M and in-range node ids: a damaged tail cannot send a search
      // out of bounds (the tail is checksummed too; this also catches a writer's bug).
      var slot = 0
      for l in levels where l > 0 {
        for _ in 0..<Int(l) {
          let c = Int(upperLinks[slot])
          guard c <= m, (0..<c).allSatisfy({ Int(upperLinks[slot + 1 + $0]) < count }) else {
            upperLinks.deallocate()
            throw invalid("upper link list out of range")
          }
          slot += 1 + m
        }
      }
      guard count == 0 || (Int(entryPoint) < count && maxLevel == Int(levels[Int(entryPoint)])) else {
        throw invalid("entry point")
      }
      mapped = false
      return HNSWGraph(dimension: dimension, metric: metric, parameters: parameters, mapped: base, mapLength: size,
                       records: base + headerBytes,
                       exact: walk == .int8 ? (base + headerBytes + count * recordBytes).assumingMemoryBound(to: Float.self) : nil,
                       count: count, entryPoint: entryPoint,
                       maxLevel: count == 0 ? -1 : maxLevel, rng: SplitMix64(seed: rngState),
                       levels: levels, upperLinks: upperLinks, upperUsed: upperUsed, deleted: deleted)
    }
  }
}
