/// A byte trie over a vocabulary's pieces as a compact double array: the children of the node in
/// slot `s` sit in slots `base(s) + label`, and a slot belongs to the child labelled `label` when
/// its stored label is `label` — unambiguous because no two nodes share a base. One 4-byte unit per
/// slot (label + 1 in bits 0–8, 0 marking a free slot; a terminal flag in bit 9; the base in bits
/// 10–31), so the whole 32k-piece trie (~83k nodes) fits in L2 and a step is one L2 load. Piece ids
/// and scores are read only at terminal nodes. Built once per model; immutable after.
final class PieceTrie: @unchecked Sendable {
  private let units: UnsafeMutableBufferPointer<UInt32>
  /// The piece id and score of each terminal slot, side by side (one cache line for both).
  private let terminalAt: UnsafeMutableBufferPointer<Terminal>

  struct Terminal {
    var piece: Int32 = -1
    var score: Float = 0
  }

  /// The number of slots (used and free).
  var slotCount: Int { units.count }

  /// Builds the trie of `pieces` (id, UTF-8 bytes, score); empty pieces are ignored. A later
  /// duplicate of an earlier piece does not replace it.
  init(_ pieces: [(id: Int32, bytes: [UInt8], score: Float)]) {
    let tree = PointerTrie(pieces)
    var layout = DoubleArrayLayout()
    let slotOf = layout.place(tree)
    units = .allocate(capacity: layout.slotCount)
    terminalAt = .allocate(capacity: layout.slotCount)
    terminalAt.initialize(repeating: Terminal())
    for slot in 0..<layout.slotCount { units[slot] = layout.unit(slot) }
    for node in 0..<tree.children.count where tree.piece[node].id >= 0 {
      let slot = Int(slotOf[node])
      units[slot] |= 1 << 9
      terminalAt[slot] = Terminal(piece: tree.piece[node].id, score: tree.piece[node].score)
    }
  }

  deinit {
    units.deallocate()
    terminalAt.deallocate()
  }

  /// Calls `body(piece, length, score)` for every piece that is a prefix of `bytes`, shortest
  /// first. O(length of the longest match).
  @inline(__always)
  func forEachPrefix(of bytes: UnsafeBufferPointer<UInt8>, _ body: (Int32, Int, Float) -> Void) {
    let units = self.units.baseAddress!
    var unit = units[0]
    var i = 0
    while i < bytes.count {
      let byte = bytes[i]
      let child = Int(unit >> 10) &+ Int(byte)
      assert(child < self.units.count, "piece trie step beyond its array")  // by construction: base + 255 < count
      unit = units[child]
      guard unit & 0x1FF == UInt32(byte) &+ 1 else { return }
      i += 1
      if unit & 0x200 != 0 {
        let t = terminalAt[child]
        body(t.piece, i, t.score)
      }
    }
  }
}
