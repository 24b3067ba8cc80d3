/// Top-k BM25 retrieval that does not score every posting: MaxScore (Turtle & Flood 1995, as in
/// Lucene's `MaxScoreBulkScorer`), document-at-a-time over passage keys.
///
/// Terms are ordered by their upper bounds; the lowest terms whose bounds together cannot lift a
/// passage above the current k-th score are *non-essential*: a passage is found only through an
/// essential term, and non-essential terms are looked up for it only while they can still put it
/// into the top k (a non-essential list is skipped to the candidate a block at a time). Term bounds
/// come from the lists' (tf, length) covers, exact for most lists. (Block-max skipping of essential
/// lists was measured and removed: no gain on the Debian corpus, docs/design.md.)
enum MaxScoreSearch {
  /// The k best live passages for `terms` (with `groupShift`, of distinct groups), best first (ties:
  /// lower key first).
  /// - Parameter isLive: whether a passage still exists (deleted passages stay in immutable
  ///   segments until a merge drops them).
  /// - Parameter groupShift: keep only the best passage of each group (key >> groupShift: a document).
  static func topK(_ terms: [TermCursor], k: Int, bm25: BM25, averageLength: Double,
                   groupShift: UInt64? = nil, isLive: (UInt64) -> Bool) throws -> [(passage: UInt64, score: Double)] {
    precondition(k > 0, "k must be positive")
    var sorted = terms.filter { $0.current != nil }.sorted { $0.upperBound < $1.upperBound }
    guard !sorted.isEmpty else { return [] }
    // prefix[i] = upper bound of terms 0…i together
    var prefix: [Double] = []
    var sum = 0.0
    for c in sorted { sum += c.upperBound; prefix.append(sum) }
    var heap = ScoreHeap(k: k, groupShift: groupShift)
    let table = SaturationTable(bm25: bm25, averageLength: averageLength)
    let n = sorted.count
    // No nested function captures `heap` or `firstEssential`: a captured var is boxed, and every
    // access to it then pays a dynamic exclusivity check (measured: 7.5 % of a query's time).
    try sorted.withUnsafeMutableBufferPointer { cursors in  // no copy-on-write checks in the loop
      var firstEssential = 0
      while firstEssential < n {
        // The next candidate: the smallest key among the essential cursors.
        var candidate = UInt64.max
        for i in firstEssential..<n {
          if let c = cursors[i].current, c.passage < candidate { candidate = c.passage }
        }
        if candidate == .max { break }
        var score = 0.0
        for i in firstEssential..<n {
          guard let c = cursors[i].current, c.passage == candidate else { continue }
          score += cursors[i].weight * table.value(tf: c.tf, length: c.length)
          try cursors[i].advance()
        }
        var i = firstEssential - 1
        while i >= 0 {
          if score + prefix[i] <= heap.threshold { break }  // cannot make the top k
          try cursors[i].advance(to: candidate)
          if let c = cursors[i].current, c.passage == candidate {
            score += cursors[i].weight * table.value(tf: c.tf, length: c.length)
          }
          i -= 1
        }
        if score > heap.threshold, isLive(candidate) {
          heap.offer(score, candidate)
          let threshold = heap.threshold
          while firstEssential < n && prefix[firstEssential] <= threshold { firstEssential += 1 }
        }
      }
    }
    return heap.sorted()
  }
}

/// BM25's tf part, tf · (k1 + 1) / (tf + k1 · (1 − b + b · length / avgdl)), precomputed for the
/// small tf and lengths that most postings have (one multiply instead of a division per posting),
/// computed directly beyond them. Exactly ``BM25/termScore(idf:tf:length:averageLength:)`` / idf.
struct SaturationTable {
  static let tfs = 8
  static let lengths = 256
  private let bm25: BM25
  private let averageLength: Double
  private let values: [Double]

  init(bm25: BM25, averageLength: Double) {
    self.bm25 = bm25
    self.averageLength = averageLength
    var v = [Double](repeating: 0, count: Self.tfs * Self.lengths)
    for tf in 1..<Self.tfs {
      for length in 0..<Self.lengths { v[tf * Self.lengths + length] = bm25.termScore(idf: 1, tf: tf, length: length, averageLength: averageLength) }
    }
    values = v
  }

  @inline(__always)
  func value(tf: UInt32, length: UInt32) -> Double {
    if tf < UInt32(Self.tfs) && length < UInt32(Self.lengths) {
      return values.withUnsafeBufferPointer { $0[Int(tf) &* Self.lengths &+ Int(length)] }
    }
    return bm25.termScore(idf: 1, tf: Int(tf), length: Int(length), averageLength: averageLength)
  }
}

/// The k highest (score, passage) pairs seen, at most one per group of passages (with a
/// `groupShift`, passages whose keys agree above that bit — a document's — keep only their best);
/// `threshold` is the k-th score (−∞ until k are kept).
struct ScoreHeap {
  let k: Int
  private let groupShift: UInt64?
  private var items: [(score: Double, passage: UInt64)] = []
  /// Where each group's entry is in `items` (grouped heaps only).
  private var slots: [UInt64: Int] = [:]

  init(k: Int, groupShift: UInt64? = nil) {
    self.k = k
    self.groupShift = groupShift
  }

  var threshold: Double { items.count < k ? -.infinity : items[0].score }

  /// Keeps (score, passage) if it is among the k best so far (and, grouped, its group's best).
  mutating func offer(_ score: Double, _ passage: UInt64) {
    if let shift = groupShift {
      let group = passage >> shift
      if let i = slot(of: group, shift) {
        guard below(items[i], (score, passage)) else { return }
        items[i] = (score, passage)
        siftDown(i)  // a min-heap entry that grew moves down
        return
      }
    }
    if items.count < k {
      items.append((score, passage))
      place(items.count - 1)
      siftUp(items.count - 1)
    } else if below(items[0], (score, passage)) {
      if let shift = groupShift, k > Self.scannedSize { slots[items[0].passage >> shift] = nil }
      items[0] = (score, passage)
      place(0)
      siftDown(0)
    }
  }

  /// Heaps of at most this many entries find a group by scanning (cheaper than hashing at this
  /// size); larger ones keep `slots`.
  private static let scannedSize = 64

  /// Where group `group`'s entry is in `items`, if it has one.
  @inline(__always)
  private func slot(of group: UInt64, _ shift: UInt64) -> Int? {
    guard k > Self.scannedSize else { return items.firstIndex { $0.passage >> shift == group } }
    return slots[group]
  }

  private mutating func place(_ i: Int) {
    if let shift = groupShift, k > Self.scannedSize { slots[items[i].passage >> shift] = i }
  }

  private mutating func swapAt(_ a: Int, _ b: Int) {
    items.swapAt(a, b)
    place(a)
    place(b)
  }

  private mutating func siftUp(_ start: Int) {
    var i = start
    while i > 0 {
      let parent = (i - 1) / 2
      guard below(items[i], items[parent]) else { break }
      swapAt(i, parent)
      i = parent
    }
  }

  private mutating func siftDown(_ start: Int) {
    var i = start
    while true {
      let l = 2 * i + 1, r = l + 1
      var lowest = i
      if l < items.count, below(items[l], items[lowest]) { lowest = l }
      if r < items.count, below(items[r], items[lowest]) { lowest = r }
      if lowest == i { break }
      swapAt(i, lowest)
      i = lowest
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
