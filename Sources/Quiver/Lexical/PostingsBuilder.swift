/// Collects (token, posting) pairs in passage order and hands them back grouped by token, tokens
/// ascending, each token's postings in the order they came: a counting sort on the token id (ids are
/// below the vocabulary size), stable, with no hashing — how a batch's or a merge's lists are built.
struct PostingsBuilder {
  private var tokens: [Int32] = []
  private var entries: [PostingsList.Entry] = []

  /// The number of postings collected.
  var count: Int { entries.count }

  mutating func reserve(_ n: Int) {
    tokens.reserveCapacity(n)
    entries.reserveCapacity(n)
  }

  mutating func append(token: Int32, _ entry: PostingsList.Entry) {
    precondition(token >= 0, "negative token id")
    tokens.append(token)
    entries.append(entry)
  }

  /// Calls `body` with each token and its postings (a contiguous slice), tokens ascending.
  func forEachList(_ body: (Int32, ArraySlice<PostingsList.Entry>) throws -> Void) rethrows {
    guard let maxToken = tokens.max() else { return }
    var start = [Int](repeating: 0, count: Int(maxToken) + 2)
    for t in tokens { start[Int(t) + 1] += 1 }
    for i in 1..<start.count { start[i] += start[i - 1] }
    var next = start
    var sorted = [PostingsList.Entry](repeating: PostingsList.Entry(passage: 0, tf: 0, length: 0), count: entries.count)
    for (t, e) in zip(tokens, entries) {
      sorted[next[Int(t)]] = e
      next[Int(t)] += 1
    }
    for t in 0...Int(maxToken) where start[t + 1] > start[t] {
      try body(Int32(t), sorted[start[t]..<start[t + 1]])
    }
  }
}
