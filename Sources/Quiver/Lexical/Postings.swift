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

  /// The Pareto front of `points` by tf descending: the shortest length at each tf, kept when it is
  /// shorter than every higher-tf point's — what ``reduceToCover(_:)`` turns into a cover. The
  /// encoder computes the same front in a reused table; this general form serves any tf.
  static func front(_ points: some Sequence<(tf: UInt32, length: UInt32)>) -> [(tf: UInt32, length: UInt32)] {
    var shortest: [UInt32: UInt32] = [:]
    for p in points { shortest[p.tf] = Swift.min(shortest[p.tf] ?? .max, p.length) }
    var front: [(tf: UInt32, length: UInt32)] = []
    for tf in shortest.keys.sorted(by: >) {
      let length = shortest[tf]!
      if front.last.map({ length < $0.length }) ?? true { front.append((tf, length)) }
    }
    return front
  }

  /// Shrinks a front (tf descending) to at most ``coverSize`` points in place: consecutive groups
  /// of it, each bounded by (its highest tf, its shortest length) — its first tf and last length.
  static func reduceToCover(_ front: inout [(tf: UInt32, length: UInt32)]) {
    guard front.count > coverSize else { return }
    let per = (front.count + coverSize - 1) / coverSize
    var out = 0
    var start = 0
    while start < front.count {
      let last = min(front.count, start + per) - 1
      front[out] = (front[start].tf, front[last].length)
      out += 1
      start += per
    }
    front.removeLast(front.count - out)
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

    /// Where the next entry starts, in bytes from the start of the entries.
    var entryOffset: Int { position - entriesStart }

    /// The next entry, or nil after the last.
    @inline(__always)
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
