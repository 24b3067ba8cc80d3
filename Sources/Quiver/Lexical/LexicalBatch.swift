/// A batch of passages made ready for the lexical index before the write transaction gives them
/// their keys: everything about them that does not depend on a key — each passage's length and
/// record bytes (`docs/store-layout.md` §11), and the batch inverted, token by token, into
/// (passage, tf) postings — computed where the batch is prepared, off the writer's critical path.
/// The write then only maps passages to keys and encodes (``LexicalIndex``).
///
/// Passages are named by their position in the batch (their *ordinal*). Built with two counting
/// sorts on the token id (ids are below the vocabulary size), so with no comparison sort and no
/// hashing: O(tokens + largest id).
struct LexicalBatch {
  /// The number of passages, posted or not (a passage without tokens is not posted).
  let count: Int
  /// Each passage's length in tokens.
  private(set) var lengths: [UInt32]
  /// The passage records, back to back; passage i's are `records[recordEnds[i - 1]..<recordEnds[i]]`
  /// (from 0 for the first).
  private(set) var records: [UInt8] = []
  private(set) var recordEnds: [Int]
  /// The batch's distinct tokens, ascending.
  private(set) var tokens: [Int32] = []
  /// Token i's postings are `ordinals[listEnds[i - 1]..<listEnds[i]]` (from 0 for the first), passages
  /// ascending, with their tfs at the same positions of `tfs`.
  private(set) var listEnds: [Int] = []
  private(set) var ordinals: [UInt32] = []
  private(set) var tfs: [UInt32] = []

  /// - Parameters:
  ///   - passages: each passage's token ids (lexical ids), in batch order.
  ///   - utf8Ranges: each passage's byte range in its document's text.
  init(passages: [[Int32]], utf8Ranges: [Range<Int>]) {
    precondition(passages.count == utf8Ranges.count, "\(passages.count) passages, \(utf8Ranges.count) ranges")
    count = passages.count
    lengths = passages.map { UInt32($0.count) }
    var largest: Int32 = -1, smallest: Int32 = 0
    var occurrences = 0
    for p in passages {
      for t in p {
        largest = max(largest, t)
        smallest = min(smallest, t)
      }
      occurrences += p.count
    }
    precondition(smallest >= 0, "negative token id")
    // 1. Occurrences grouped by token, each token's in passage order (a stable counting sort).
    var start = [Int](repeating: 0, count: Int(largest) + 2)
    var byToken = [UInt32](repeating: 0, count: occurrences)
    start.withUnsafeMutableBufferPointer { start in
      for p in passages { p.withUnsafeBufferPointer { for t in $0 { start[Int(t) &+ 1] &+= 1 } } }
      for i in 1..<start.count { start[i] &+= start[i &- 1] }
      var next = Array(start)
      next.withUnsafeMutableBufferPointer { next in
        byToken.withUnsafeMutableBufferPointer { byToken in
          for (ordinal, p) in passages.enumerated() {
            p.withUnsafeBufferPointer {
              for t in $0 {
                byToken[next[Int(t)]] = UInt32(truncatingIfNeeded: ordinal)
                next[Int(t)] &+= 1
              }
            }
          }
        }
      }
    }
    // 2. Each token's run of equal ordinals is one posting, its length the tf.
    var terms = [Int](repeating: 0, count: count)  // distinct tokens per passage
    var ordinals: [UInt32] = [], tfs: [UInt32] = [], tokens: [Int32] = [], listEnds: [Int] = []
    ordinals.reserveCapacity(occurrences)
    tfs.reserveCapacity(occurrences)
    start.withUnsafeBufferPointer { start in
      byToken.withUnsafeBufferPointer { byToken in
        terms.withUnsafeMutableBufferPointer { terms in
          for t in 0..<(start.count &- 1) where start[t &+ 1] > start[t] {
            var i = start[t]
            while i < start[t &+ 1] {
              let ordinal = byToken[i]
              var j = i &+ 1
              while j < start[t &+ 1] && byToken[j] == ordinal { j &+= 1 }
              ordinals.append(ordinal)
              tfs.append(UInt32(truncatingIfNeeded: j &- i))
              terms[Int(ordinal)] &+= 1
              i = j
            }
            tokens.append(Int32(truncatingIfNeeded: t))
            listEnds.append(ordinals.count)
          }
        }
      }
    }
    // 3. Each passage's terms, tokens ascending: the postings dealt out by passage (counting sort
    //    again, tokens visited in ascending order), then encoded as its record.
    var termStart = [Int](repeating: 0, count: count + 1)
    for i in 0..<count { termStart[i + 1] = termStart[i] + terms[i] }
    var termTokens = [Int32](repeating: 0, count: ordinals.count)
    var termTFs = [UInt32](repeating: 0, count: ordinals.count)
    var fill = termStart
    fill.withUnsafeMutableBufferPointer { fill in
      termTokens.withUnsafeMutableBufferPointer { termTokens in
        termTFs.withUnsafeMutableBufferPointer { termTFs in
          var listStart = 0
          for (i, t) in tokens.enumerated() {
            for k in listStart..<listEnds[i] {
              let o = Int(ordinals[k])
              termTokens[fill[o]] = t
              termTFs[fill[o]] = tfs[k]
              fill[o] &+= 1
            }
            listStart = listEnds[i]
          }
        }
      }
    }
    self.ordinals = ordinals
    self.tfs = tfs
    self.tokens = tokens
    self.listEnds = listEnds
    var w = ByteWriter(capacity: 16 * count + 3 * ordinals.count)
    recordEnds = []
    recordEnds.reserveCapacity(count)
    for i in 0..<count {
      if lengths[i] > 0 {
        w.u32(lengths[i])
        w.u32(UInt32(utf8Ranges[i].lowerBound))
        w.u32(UInt32(utf8Ranges[i].upperBound))
        w.u32(UInt32(terms[i]))
        var previous: Int32 = 0
        for k in termStart[i]..<termStart[i + 1] {
          w.varint(UInt64(termTokens[k] - previous))
          w.varint(UInt64(termTFs[k]))
          previous = termTokens[k]
        }
      }
      recordEnds.append(w.bytes.count)
    }
    records = w.bytes
  }

  /// Passage `ordinal`'s record bytes (empty when it has no tokens).
  func record(_ ordinal: Int) -> ArraySlice<UInt8> {
    records[(ordinal == 0 ? 0 : recordEnds[ordinal - 1])..<recordEnds[ordinal]]
  }

  /// The postings of the token at `index` of ``tokens``: positions into ``ordinals`` and ``tfs``.
  func list(_ index: Int) -> Range<Int> {
    (index == 0 ? 0 : listEnds[index - 1])..<listEnds[index]
  }
}
