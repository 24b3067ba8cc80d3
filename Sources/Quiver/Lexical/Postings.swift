/// A postings list of one token in one segment of a lexical index (`docs/store-layout.md` §11):
/// the passages holding the token, in increasing passage-key order, each with the token's count in
/// the passage (tf) and the passage's length in tokens.
///
/// Bytes: u32 count n, u32 max tf, u32 min length (the list's bounds, for skipping in a search),
/// then n entries of three LEB128 varints — the passage key's difference from the previous entry's
/// (the first entry's from 0), tf, length.
struct PostingsList {
  struct Entry: Equatable {
    var passage: UInt64
    var tf: UInt32
    var length: UInt32
  }

  /// Encodes `entries` (sorted by passage key, keys distinct, tf ≥ 1).
  static func encode(_ entries: [Entry]) -> [UInt8] {
    precondition(!entries.isEmpty, "empty postings list")
    var w = ByteWriter(capacity: 12 + 4 * entries.count)
    w.u32(UInt32(entries.count))
    w.u32(entries.map(\.tf).max()!)
    w.u32(entries.map(\.length).min()!)
    var previous: UInt64 = 0
    for e in entries {
      precondition(e.passage >= previous && e.tf > 0, "postings out of order")
      w.varint(e.passage - previous)
      w.varint(UInt64(e.tf))
      w.varint(UInt64(e.length))
      previous = e.passage
    }
    return w.bytes
  }

  /// Every entry of an encoded list; a malformed list throws `failure`'s error.
  static func decode(_ bytes: UnsafeRawBufferPointer, failure: @escaping (String) -> any Error) throws -> [Entry] {
    var reader = try Reader(bytes, failure: failure)
    var out: [Entry] = []
    out.reserveCapacity(reader.count)
    while let e = try reader.next() { out.append(e) }
    return out
  }

  /// Reads an encoded list in place (zero-copy: valid as long as `bytes`), one entry at a time.
  struct Reader {
    let count: Int
    let maxTF: UInt32
    let minLength: UInt32
    private var body: ByteReader
    private var read = 0
    private var previous: UInt64 = 0
    private let failure: (String) -> any Error

    /// - Parameter failure: makes the error thrown for a malformed list (the store's corrupt record).
    init(_ bytes: UnsafeRawBufferPointer, failure: @escaping (String) -> any Error) throws {
      self.failure = failure
      var r = ByteReader(bytes, what: "postings list", failure: failure)
      count = Int(try r.u32())
      maxTF = try r.u32()
      minLength = try r.u32()
      body = r
    }

    /// The next entry, or nil after the last.
    mutating func next() throws -> Entry? {
      guard read < count else { return nil }
      read += 1
      previous += try body.varint()
      let tf = try body.varint()
      let length = try body.varint()
      guard tf > 0, tf <= UInt64(UInt32.max), length <= UInt64(UInt32.max) else {
        throw failure("postings entry tf \(tf), length \(length)")
      }
      return Entry(passage: previous, tf: UInt32(tf), length: UInt32(length))
    }
  }
}
