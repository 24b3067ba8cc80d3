/// One query token's postings across the segments of a lexical index, walked in passage-key order:
/// when the segments hold increasing, disjoint key ranges their lists simply follow one another
/// (read in place, the list being read kept inline so that the hot path touches one reader);
/// otherwise they are decoded and merged first.
struct TermCursor {
  /// idf × the token's count in the query.
  let weight: Double
  /// The most any passage can get from this token: its weight times the largest tf part any of its
  /// lists' covers allows (``PostingsList``).
  let upperBound: Double
  /// The list being read, and the lists after it.
  private var reader: PostingsList.Reader?
  private var rest: [PostingsList.Reader]
  private var restIndex = 0
  /// The entry the cursor is on; nil once every list is exhausted.
  private(set) var current: PostingsList.Entry?

  private var merged: [PostingsList.Entry]?
  private var mergedIndex = 0

  /// - Parameter ordered: whether `lists` follow one another in key order.
  init(weight: Double, lists: [PostingsList.Reader], ordered: Bool, bm25: BM25, averageLength: Double) throws {
    self.weight = weight
    upperBound = weight * (lists.map { $0.listBound { bm25.termScore(idf: 1, tf: Int($0), length: Int($1), averageLength: averageLength) } }.max() ?? 0)
    if ordered {
      reader = lists.first
      rest = Array(lists.dropFirst())
    } else {
      rest = []
      var all: [PostingsList.Entry] = []
      for var r in lists { while let e = try r.next() { all.append(e) } }
      merged = all.sorted { $0.passage < $1.passage }
    }
    try advance()
  }

  /// Moves on to the next list; false when there is none.
  private mutating func nextList() -> Bool {
    guard restIndex < rest.count else {
      reader = nil
      return false
    }
    reader = rest[restIndex]
    restIndex += 1
    return true
  }

  /// Moves to the next entry.
  @inline(__always)
  mutating func advance() throws {
    if merged != nil {
      current = mergedIndex < merged!.count ? merged![mergedIndex] : nil
      mergedIndex += 1
      return
    }
    while reader != nil {
      if let e = try reader!.next() {
        current = e
        return
      }
      if !nextList() { break }
    }
    current = nil
  }

  /// Moves to the first entry whose passage key is ≥ `key`, skipping whole lists and blocks.
  mutating func advance(to key: UInt64) throws {
    guard let c = current, c.passage < key else { return }
    if merged != nil {
      while let c = current, c.passage < key { try advance() }
      return
    }
    while reader != nil {
      if reader!.lastPassage >= key, let e = try reader!.next(atLeast: key) {
        current = e
        return
      }
      if !nextList() { break }
    }
    current = nil
  }
}
