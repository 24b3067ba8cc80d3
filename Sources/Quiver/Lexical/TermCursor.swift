/// One query token's postings across the segments of a lexical index, walked in passage-key order:
/// when the segments hold increasing, disjoint key ranges their lists simply follow one another
/// (read in place); otherwise they are decoded and merged first.
struct TermCursor {
  /// idf × the token's count in the query.
  let weight: Double
  /// The most any passage can get from this token: its weight at the segments' largest tf and
  /// smallest length (BM25 rises with tf and falls with length).
  let upperBound: Double
  private var readers: [PostingsList.Reader]
  private var index = 0
  /// The entry the cursor is on; nil once every list is exhausted.
  private(set) var current: PostingsList.Entry?

  private var merged: [PostingsList.Entry]?
  private var mergedIndex = 0

  /// - Parameter ordered: whether `lists` follow one another in key order.
  init(weight: Double, lists: [PostingsList.Reader], ordered: Bool, bm25: BM25, averageLength: Double) throws {
    self.weight = weight
    readers = lists
    if !ordered {
      var all: [PostingsList.Entry] = []
      for var reader in lists { while let e = try reader.next() { all.append(e) } }
      merged = all.sorted { $0.passage < $1.passage }
    }
    let maxTF = lists.map(\.maxTF).max() ?? 0
    let minLength = lists.map(\.minLength).min() ?? 0
    upperBound = lists.isEmpty ? 0 : bm25.termScore(idf: weight, tf: Int(maxTF), length: Int(minLength), averageLength: averageLength)
    try advance()
  }

  /// Moves to the next entry.
  mutating func advance() throws {
    if let merged {
      current = mergedIndex < merged.count ? merged[mergedIndex] : nil
      mergedIndex += 1
      return
    }
    while index < readers.count {
      if let e = try readers[index].next() {
        current = e
        return
      }
      index += 1
    }
    current = nil
  }

  /// Moves to the first entry whose passage key is ≥ `key`.
  mutating func advance(to key: UInt64) throws {
    while let c = current, c.passage < key { try advance() }
  }
}
