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
    // 1. A plain pointer trie.
    var children: [[(label: UInt8, node: Int32)]] = [[]]
    var piece: [(Int32, Float)] = [(-1, 0)]
    for (id, bytes, score) in pieces where !bytes.isEmpty {
      var node = 0
      for b in bytes {
        if let next = children[node].first(where: { $0.label == b }) {
          node = Int(next.node)
        } else {
          children.append([])
          piece.append((-1, 0))
          children[node].append((b, Int32(children.count - 1)))
          node = children.count - 1
        }
      }
      if piece[node].0 < 0 { piece[node] = (id, score) }
    }
    // 2. Place it breadth-first into the double array, first fit. `nextFree` is a union-find
    //    "first free slot at or after i", so the search skips occupied runs in near-constant time.
    var label = [UInt16](repeating: 0, count: 1024)  // label + 1; 0: free
    var baseOf = [Int32](repeating: 0, count: 1024)
    var nextFree = Array(Int32(0)..<Int32(1024))
    var baseUsed = [Bool](repeating: false, count: 1024)
    func grow(to count: Int) {
      guard count > label.count else { return }
      let newCount = max(count, label.count * 3 / 2)
      nextFree.append(contentsOf: Int32(label.count)..<Int32(newCount))
      baseOf.append(contentsOf: repeatElement(0, count: newCount - label.count))
      baseUsed.append(contentsOf: repeatElement(false, count: newCount - label.count))
      label.append(contentsOf: repeatElement(0, count: newCount - label.count))
    }
    func findFree(_ i: Int) -> Int {
      grow(to: i + 1)
      var root = i
      while Int(nextFree[root]) != root {
        root = Int(nextFree[root])
        grow(to: root + 1)
      }
      var j = i
      while Int(nextFree[j]) != root { let next = Int(nextFree[j]); nextFree[j] = Int32(root); j = next }
      return root
    }
    func occupy(_ slot: Int, label l: UInt16) {
      grow(to: slot + 2)
      label[slot] = l
      nextFree[slot] = Int32(slot + 1)
    }
    var slotOf = [Int32](repeating: -1, count: children.count)
    slotOf[0] = 0
    occupy(0, label: 0x1FF)  // the root: slot 0, a label no byte has
    var queue = [0]
    var head = 0
    while head < queue.count {
      let node = queue[head]
      head += 1
      let slot = Int(slotOf[node])
      let kids = children[node].sorted { $0.label < $1.label }
      guard let lowest = kids.first?.label else { continue }
      var free = findFree(Int(lowest) + 1)
      var base = 0
      search: while true {
        base = free - Int(lowest)
        grow(to: base + Int(kids.last!.label) + 1)
        if baseUsed[base] {
          free = findFree(free + 1)
          continue search
        }
        for kid in kids.dropFirst() where label[base + Int(kid.label)] != 0 {
          free = findFree(free + 1)
          continue search
        }
        break
      }
      precondition(base < 1 << 22, "piece trie too large for 22-bit bases")
      baseUsed[base] = true
      baseOf[slot] = Int32(base)
      for kid in kids {
        let child = base + Int(kid.label)
        occupy(child, label: UInt16(kid.label) + 1)
        slotOf[Int(kid.node)] = Int32(child)
        queue.append(Int(kid.node))
      }
    }
    // Every base + 255 must stay inside the array, so a step never needs a bounds check.
    let top = max(label.count, (baseOf.max().map(Int.init) ?? 0) + 256)
    grow(to: top)
    units = .allocate(capacity: label.count)
    terminalAt = .allocate(capacity: label.count)
    terminalAt.initialize(repeating: Terminal())
    for slot in 0..<label.count { units[slot] = UInt32(baseOf[slot]) << 10 | UInt32(label[slot]) }
    for node in 0..<children.count where piece[node].0 >= 0 {
      let slot = Int(slotOf[node])
      units[slot] |= 1 << 9
      terminalAt[slot] = Terminal(piece: piece[node].0, score: piece[node].1)
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
