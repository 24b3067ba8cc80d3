/// The first form of a ``PieceTrie`` while it is built: nodes with lists of labelled children, node
/// 0 the root, and the piece (id, score) that ends at each node (id −1: none).
struct PointerTrie {
  var children: [[(label: UInt8, node: Int32)]] = [[]]
  var piece: [(id: Int32, score: Float)] = [(-1, 0)]

  /// The trie of `pieces`; empty pieces are ignored, and a later duplicate does not replace an
  /// earlier piece.
  init(_ pieces: [(id: Int32, bytes: [UInt8], score: Float)]) {
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
      if piece[node].id < 0 { piece[node] = (id, score) }
    }
  }
}

/// Places a ``PointerTrie`` into a double array, breadth-first, first fit: each node's children
/// go to `base + label` for the lowest base at which all their slots are free and that no other
/// node uses. `nextFree` is a union-find "first free slot at or after i", so the search skips
/// occupied runs in near-constant time.
struct DoubleArrayLayout {
  private var label = [UInt16](repeating: 0, count: 1024)  // label + 1; 0: free
  private var baseOf = [Int32](repeating: 0, count: 1024)
  private var nextFree = Array(Int32(0)..<Int32(1024))
  private var baseUsed = [Bool](repeating: false, count: 1024)

  /// Slots in the array, used and free.
  var slotCount: Int { label.count }

  /// Slot `slot`'s unit: base in bits 10–31, label + 1 in bits 0–8 (the terminal bit is the trie's).
  func unit(_ slot: Int) -> UInt32 { UInt32(baseOf[slot]) << 10 | UInt32(label[slot]) }

  /// Places every node of `tree`; returns each node's slot. Afterwards every base + 255 lies inside
  /// the array, so a lookup step never needs a bounds check.
  mutating func place(_ tree: PointerTrie) -> [Int32] {
    var slotOf = [Int32](repeating: -1, count: tree.children.count)
    slotOf[0] = 0
    occupy(0, label: 0x1FF)  // the root: slot 0, a label no byte has
    var queue = [0]
    var head = 0
    while head < queue.count {
      let node = queue[head]
      head += 1
      let kids = tree.children[node].sorted { $0.label < $1.label }
      guard !kids.isEmpty else { continue }
      let base = freeBase(for: kids.map(\.label))
      baseUsed[base] = true
      baseOf[Int(slotOf[node])] = Int32(base)
      for kid in kids {
        let child = base + Int(kid.label)
        occupy(child, label: UInt16(kid.label) + 1)
        slotOf[Int(kid.node)] = Int32(child)
        queue.append(Int(kid.node))
      }
    }
    grow(to: max(label.count, (baseOf.max().map(Int.init) ?? 0) + 256))
    return slotOf
  }

  /// The lowest unused base at which every label of `labels` (sorted, not empty) finds a free slot.
  private mutating func freeBase(for labels: [UInt8]) -> Int {
    let lowest = Int(labels[0])
    var free = findFree(lowest + 1)
    while true {
      let base = free - lowest
      grow(to: base + Int(labels.last!) + 1)
      if !baseUsed[base] && labels.dropFirst().allSatisfy({ label[base + Int($0)] == 0 }) {
        precondition(base < 1 << 22, "piece trie too large for 22-bit bases")
        return base
      }
      free = findFree(free + 1)
    }
  }

  private mutating func grow(to count: Int) {
    guard count > label.count else { return }
    let newCount = max(count, label.count * 3 / 2)
    nextFree.append(contentsOf: Int32(label.count)..<Int32(newCount))
    baseOf.append(contentsOf: repeatElement(0, count: newCount - label.count))
    baseUsed.append(contentsOf: repeatElement(false, count: newCount - label.count))
    label.append(contentsOf: repeatElement(0, count: newCount - label.count))
  }

  private mutating func findFree(_ i: Int) -> Int {
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

  private mutating func occupy(_ slot: Int, label l: UInt16) {
    grow(to: slot + 2)
    label[slot] = l
    nextFree[slot] = Int32(slot + 1)
  }
}
