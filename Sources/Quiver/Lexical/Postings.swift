/// A postings list of one token in one segment of a lexical index (`docs/store-layout.md` §11):
/// the passages holding the token, in increasing passage-key order, each with the token's count in
/// the passage (tf) and the passage's length in tokens, in blocks of ``blockSize`` entries that a
/// search can skip whole.
///
/// Bound: BM25's tf part rises with tf and falls with length, so the largest it can be over the list
/// is reached on its Pareto front of (high tf, short length). The header carries a *cover* of that
/// front: at most four (tf, length) points, each ≥ the tf and ≤ the length of the front points it
/// stands for — exact when the front has ≤ 4 points, safe always, and far tighter than (max tf, min
/// length). A list of ≤ 4 entries stores its own points as its cover (dominated ones included: the
/// bound is the same), without computing the front.
///
/// Bytes (little-endian): a 48-byte header — u32 count n, u32 block count B, u32 0, u32 cover size c,
/// 4 × (u32 tf, u32 length) the cover (the first c used); B block descriptors of 16 bytes — u64 the
/// block's last passage key, u32 the byte offset of its first entry from the start of the entries,
/// u32 0; then the n entries, three LEB128 varints each — the passage key's difference from the
/// previous entry's (a block's first entry: from the previous block's last key, the first block's
/// from 0), tf, length.
struct PostingsList {
  static let blockSize = 128
  static let headerBytes = 48
  static let descriptorBytes = 16
  static let coverSize = 4

  struct Entry: Equatable {
    var passage: UInt64
    var tf: UInt32
    var length: UInt32
  }

  /// A list whose bytes do not follow the format (damage, or a bug); the store reports it as its
  /// corrupt record.
  struct Malformed: Error {
    let reason: String
  }

  /// At most ``coverSize`` (tf, length) points that bound every point of `points` (some cover point
  /// has a tf at least its tf and a length at most its length).
  static func cover(_ points: some Sequence<(tf: UInt32, length: UInt32)>) -> [(tf: UInt32, length: UInt32)] {
    // The shortest length at each tf, then the Pareto front by tf descending: each kept point is
    // shorter than every higher-tf point.
    var front: [(tf: UInt32, length: UInt32)] = []
    let all = Array(points)
    if all.count <= 32 {  // most lists: sort the few points
      for p in all.sorted(by: { $0.tf != $1.tf ? $0.tf > $1.tf : $0.length < $1.length }) {
        if front.last.map({ p.length < $0.length }) ?? true { front.append(p) }
      }
    } else {
      // The shortest length at each tf in a table indexed by tf (tfs are small; a list whose
      // largest tf is not takes the dictionary).
      let largest = all.reduce(0) { Swift.max($0, $1.tf) }
      if largest < 4096 {
        var shortest = [UInt32](repeating: .max, count: Int(largest) + 1)
        for p in all { shortest[Int(p.tf)] = Swift.min(shortest[Int(p.tf)], p.length) }
        for tf in stride(from: Int(largest), through: 0, by: -1) where shortest[tf] != .max {
          if front.last.map({ shortest[tf] < $0.length }) ?? true { front.append((UInt32(tf), shortest[tf])) }
        }
      } else {
        var shortest: [UInt32: UInt32] = [:]
        for p in all { shortest[p.tf] = Swift.min(shortest[p.tf] ?? .max, p.length) }
        for tf in shortest.keys.sorted(by: >) {
          let length = shortest[tf]!
          if front.last.map({ length < $0.length }) ?? true { front.append((tf, length)) }
        }
      }
    }
    guard front.count > coverSize else { return front }
    // Consecutive groups of the front, each bounded by (its highest tf, its shortest length).
    var out: [(tf: UInt32, length: UInt32)] = []
    let per = (front.count + coverSize - 1) / coverSize
    var start = 0
    while start < front.count {
      let group = front[start..<min(front.count, start + per)]
      out.append((group.first!.tf, group.last!.length))
      start += per
    }
    return out
  }

  /// The header's cover field: the point count, then `coverSize` (tf, length) slots, unused ones 0.
  private static func write(_ cover: some Collection<(tf: UInt32, length: UInt32)>, to w: inout ByteWriter) {
    precondition(cover.count <= coverSize, "a cover of \(cover.count) points")
    w.u32(UInt32(cover.count))
    for p in cover {
      w.u32(p.tf)
      w.u32(p.length)
    }
    for _ in cover.count..<coverSize {
      w.u32(0)
      w.u32(0)
    }
  }

  /// Encodes `entries` (sorted by passage key, keys distinct, tf ≥ 1).
  static func encode(_ entries: some Collection<Entry>) -> [UInt8] {
    precondition(!entries.isEmpty, "empty postings list")
    let blocks = (entries.count + blockSize - 1) / blockSize
    var body = ByteWriter(capacity: 4 * entries.count)
    var descriptors = ByteWriter(capacity: descriptorBytes * blocks)
    var previous: UInt64 = 0
    // A list of at most `coverSize` entries (most lists of a batch's segment) is its own cover:
    // every point bounds itself, and the largest bound is the same with dominated points kept.
    let small = entries.count <= coverSize
    var points: [(tf: UInt32, length: UInt32)] = []
    if !small { points.reserveCapacity(entries.count) }
    var blockStart = 0
    for (i, e) in entries.enumerated() {
      precondition(e.tf > 0 && (i == 0 || e.passage > previous), "postings out of order")
      if i % blockSize == 0 { blockStart = body.bytes.count }
      body.varint(e.passage - previous)
      body.varint(UInt64(e.tf))
      body.varint(UInt64(e.length))
      previous = e.passage
      if !small { points.append((e.tf, e.length)) }
      if i % blockSize == blockSize - 1 || i == entries.count - 1 {
        descriptors.u64(e.passage)
        descriptors.u32(UInt32(blockStart))
        descriptors.u32(0)
      }
    }
    var w = ByteWriter(capacity: headerBytes + descriptors.bytes.count + body.bytes.count)
    w.u32(UInt32(entries.count))
    w.u32(UInt32(blocks))
    w.u32(0)
    if small {
      write(entries.lazy.map { (tf: $0.tf, length: $0.length) }, to: &w)
    } else {
      write(cover(points), to: &w)
    }
    w.raw(descriptors.bytes)
    w.raw(body.bytes)
    return w.bytes
  }

  /// Every entry of an encoded list.
  /// - Throws: ``Malformed``.
  static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [Entry] {
    var reader = try Reader(bytes)
    var out: [Entry] = []
    out.reserveCapacity(reader.count)
    while let e = try reader.next() { out.append(e) }
    return out
  }

  /// Reads an encoded list in place (zero-copy: valid as long as `bytes`), one entry at a time, or
  /// skipping to a key a block at a time. Every read is bounds-checked; a malformed list throws.
  struct Reader {
    let count: Int
    private let bytes: UnsafeRawBufferPointer
    private let blocks: Int
    private let entriesStart: Int
    private var position: Int
    private var read = 0
    private var previous: UInt64 = 0

    /// - Throws: ``Malformed`` for a header that does not fit the bytes.
    init(_ bytes: UnsafeRawBufferPointer) throws {
      self.bytes = bytes
      guard bytes.count >= PostingsList.headerBytes else { throw Malformed(reason: "postings list of \(bytes.count) bytes") }
      count = Int(LittleEndian.load(bytes, at: 0, as: UInt32.self))
      blocks = Int(LittleEndian.load(bytes, at: 4, as: UInt32.self))
      entriesStart = PostingsList.headerBytes + blocks * PostingsList.descriptorBytes
      guard count > 0, blocks == (count + PostingsList.blockSize - 1) / PostingsList.blockSize, entriesStart <= bytes.count,
        Self.coverCount(bytes, at: 12) <= PostingsList.coverSize
      else {
        throw Malformed(reason: "postings list header: \(count) entries, \(blocks) blocks, \(bytes.count) bytes")
      }
      position = entriesStart
    }

    private static func coverCount(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
      Int(LittleEndian.load(bytes, at: offset, as: UInt32.self))
    }

    /// The largest of `f(tf, length)` over the cover stored at `offset` (its count, then the points).
    private func bound(at offset: Int, _ f: (UInt32, UInt32) -> Double) -> Double {
      var best = 0.0
      for i in 0..<Self.coverCount(bytes, at: offset) {
        let at = offset + 4 + 8 * i
        best = Swift.max(best, f(LittleEndian.load(bytes, at: at), LittleEndian.load(bytes, at: at + 4)))
      }
      return best
    }

    /// The largest `f(tf, length)` any entry of the list can have (f rising in tf, falling in length).
    func listBound(_ f: (UInt32, UInt32) -> Double) -> Double { bound(at: 12, f) }

    /// The largest passage key in the list.
    var lastPassage: UInt64 { blockLastKey(blocks - 1) }

    private func blockLastKey(_ b: Int) -> UInt64 {
      LittleEndian.load(bytes, at: PostingsList.headerBytes + b * PostingsList.descriptorBytes)
    }

    private func blockOffset(_ b: Int) -> Int {
      Int(LittleEndian.load(bytes, at: PostingsList.headerBytes + b * PostingsList.descriptorBytes + 8, as: UInt32.self))
    }

    @inline(__always)
    private mutating func varint() throws -> UInt64 {
      // Ten bytes left (the longest varint): decode without a bounds check per byte. Most tf and
      // lengths take one byte, key deltas three or four (documents are 2²⁰ keys apart).
      if position &+ 10 <= bytes.count, let base = bytes.baseAddress {
        let p = base + position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for i in 0..<10 {
          let b = p.load(fromByteOffset: i, as: UInt8.self)
          value |= UInt64(b & 0x7F) &<< shift
          if b & 0x80 == 0 {
            position &+= i &+ 1
            return value
          }
          shift &+= 7
        }
        throw Malformed(reason: "postings varint at \(position) longer than 10 bytes")
      }
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard position < bytes.count, shift < 64 else { throw Malformed(reason: "postings varint at \(position) of \(bytes.count) bytes") }
        let b = bytes[position]
        position &+= 1
        value |= UInt64(b & 0x7F) << shift
        if b & 0x80 == 0 { return value }
        shift &+= 7
      }
    }

    /// The next entry, or nil after the last.
    mutating func next() throws -> Entry? {
      guard read < count else { return nil }
      read &+= 1
      previous &+= try varint()
      let tf = try varint()
      let length = try varint()
      guard tf > 0, tf <= UInt64(UInt32.max), length <= UInt64(UInt32.max) else {
        throw Malformed(reason: "postings entry tf \(tf), length \(length)")
      }
      return Entry(passage: previous, tf: UInt32(tf), length: UInt32(length))
    }

    /// The first entry whose key is ≥ `key` after the current position, skipping the blocks that
    /// end below `key` without decoding them; nil when there is none.
    mutating func next(atLeast key: UInt64) throws -> Entry? {
      guard read < count else { return nil }
      var b = read / PostingsList.blockSize  // the block of the next entry
      if blockLastKey(b) < key {  // the rest of this block is below key
        b += 1
        while b < blocks && blockLastKey(b) < key { b += 1 }
        guard b < blocks else {
          read = count
          return nil
        }
        let offset = blockOffset(b)
        guard entriesStart + offset <= bytes.count else { throw Malformed(reason: "postings block offset \(offset)") }
        position = entriesStart + offset
        previous = blockLastKey(b - 1)
        read = b * PostingsList.blockSize
      }
      while let e = try next() {
        if e.passage >= key { return e }
      }
      return nil
    }
  }
}
