/// The k best (highest-scoring) rows seen so far: a binary min-heap of size ≤ k, so offering a
/// score costs one comparison when it does not make the cut and O(log k) when it does.
struct TopK {
  let k: Int
  private(set) var scores: [Float] = []
  private(set) var rows: [UInt64] = []

  init(k: Int) {
    self.k = k
    scores.reserveCapacity(k)
    rows.reserveCapacity(k)
  }

  @inline(__always)
  mutating func offer(_ score: Float, row: UInt64) {
    if scores.count < k {
      scores.append(score)
      rows.append(row)
      var i = scores.count - 1
      while i > 0 {
        let parent = (i - 1) / 2
        guard scores[i] < scores[parent] else { break }
        scores.swapAt(i, parent); rows.swapAt(i, parent)
        i = parent
      }
    } else if score > scores[0] {
      scores[0] = score
      rows[0] = row
      var i = 0
      while true {
        let l = 2 * i + 1, r = l + 1
        var smallest = i
        if l < k, scores[l] < scores[smallest] { smallest = l }
        if r < k, scores[r] < scores[smallest] { smallest = r }
        if smallest == i { break }
        scores.swapAt(i, smallest); rows.swapAt(i, smallest)
        i = smallest
      }
    }
  }

  /// The kept rows, best first (ties: lower row first).
  func sorted() -> [(row: UInt64, score: Float)] {
    zip(rows, scores).map { ($0, $1) }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.row < $1.row }
  }
}
