/// Top-k BM25 retrieval that does not score every posting: MaxScore (Turtle & Flood 1995, as in
/// Lucene's `MaxScoreBulkScorer`), document-at-a-time over passage keys.
///
/// Terms are ordered by their upper bounds; the lowest terms whose bounds together cannot lift a
/// passage above the current k-th score are *non-essential*: a passage is found only through an
/// essential term, and non-essential terms are looked up for it only while they can still put it
/// into the top k.
enum MaxScoreSearch {
  /// The k best live passages for `terms`, best first (ties: lower key first).
  /// - Parameter isLive: whether a passage still exists (deleted passages stay in immutable
  ///   segments until a merge drops them).
  static func topK(_ terms: [TermCursor], k: Int, bm25: BM25, averageLength: Double,
                   isLive: (UInt64) -> Bool) throws -> [(passage: UInt64, score: Double)] {
    precondition(k > 0, "k must be positive")
    var cursors = terms.filter { $0.current != nil }.sorted { $0.upperBound < $1.upperBound }
    guard !cursors.isEmpty else { return [] }
    // prefix[i] = upper bound of terms 0…i together
    var prefix: [Double] = []
    var sum = 0.0
    for c in cursors { sum += c.upperBound; prefix.append(sum) }
    var heap = ScoreHeap(k: k)
    var firstEssential = 0
    func updateEssential() {
      while firstEssential < cursors.count && prefix[firstEssential] <= heap.threshold { firstEssential += 1 }
    }
    while firstEssential < cursors.count {
      // The next candidate: the smallest key among the essential cursors.
      var candidate = UInt64.max
      for i in firstEssential..<cursors.count {
        if let c = cursors[i].current, c.passage < candidate { candidate = c.passage }
      }
      if candidate == .max { break }
      var score = 0.0
      for i in firstEssential..<cursors.count {
        guard let c = cursors[i].current, c.passage == candidate else { continue }
        score += bm25.termScore(idf: cursors[i].weight, tf: Int(c.tf), length: Int(c.length), averageLength: averageLength)
        try cursors[i].advance()
      }
      var i = firstEssential - 1
      while i >= 0 {
        if score + prefix[i] <= heap.threshold { break }  // cannot make the top k
        try cursors[i].advance(to: candidate)
        if let c = cursors[i].current, c.passage == candidate {
          score += bm25.termScore(idf: cursors[i].weight, tf: Int(c.tf), length: Int(c.length), averageLength: averageLength)
        }
        i -= 1
      }
      if score > heap.threshold, isLive(candidate) {
        heap.offer(score, candidate)
        updateEssential()
      }
    }
    return heap.sorted()
  }
}

/// The k highest (score, passage) pairs seen; `threshold` is the k-th score (−∞ until k are kept).
struct ScoreHeap {
  let k: Int
  private var items: [(score: Double, passage: UInt64)] = []

  init(k: Int) { self.k = k }

  var threshold: Double { items.count < k ? -.infinity : items[0].score }

  /// Keeps (score, passage) if it is among the k best so far.
  mutating func offer(_ score: Double, _ passage: UInt64) {
    if items.count < k {
      items.append((score, passage))
      var i = items.count - 1
      while i > 0 {
        let parent = (i - 1) / 2
        guard below(items[i], items[parent]) else { break }
        items.swapAt(i, parent)
        i = parent
      }
    } else if below(items[0], (score, passage)) {
      items[0] = (score, passage)
      var i = 0
      while true {
        let l = 2 * i + 1, r = l + 1
        var lowest = i
        if l < items.count, below(items[l], items[lowest]) { lowest = l }
        if r < items.count, below(items[r], items[lowest]) { lowest = r }
        if lowest == i { break }
        items.swapAt(i, lowest)
        i = lowest
      }
    }
  }

  /// a ranks below b: a lower score, or the same score and a higher key.
  private func below(_ a: (score: Double, passage: UInt64), _ b: (score: Double, passage: UInt64)) -> Bool {
    a.score != b.score ? a.score < b.score : a.passage > b.passage
  }

  /// Best first.
  func sorted() -> [(passage: UInt64, score: Double)] {
    items.sorted { below($1, $0) }.map { ($0.passage, $0.score) }
  }
}
