extension PostingsList {
  /// Encodes postings lists one after another through reused buffers — a batch's lists, a merge's
  /// — so that a warm encoder allocates nothing per list: gather a list's entries in ``entries``,
  /// ``prepare()`` (its size, cover and block offsets), then ``write(into:)`` straight into the
  /// memory that will hold it (LMDB's reserved value).
  ///
  /// The cover is the front of ``PostingsList/front(_:)`` shrunk by
  /// ``PostingsList/reduceToCover(_:)``, found here with a table of the shortest length at each
  /// tf below ``tableTFs`` (a list with a larger tf takes the general form).
  struct Encoder {
    /// Tfs the cover table holds.
    static let tableTFs = 4096

    /// The list to encode: sorted by passage key, keys distinct, tf ≥ 1.
    var entries: [Entry] = []
    private var shortest = [UInt32](repeating: .max, count: Encoder.tableTFs)
    private var cover: [(tf: UInt32, length: UInt32)] = []
    private var blockOffsets: [UInt32] = []
    private var size = 0

    init() {
      cover.reserveCapacity(Self.tableTFs)
    }

    /// Starts a new list: ``entries`` emptied, its capacity kept.
    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// Measures the list in ``entries``: returns its encoded size in bytes, and keeps its cover and
    /// block offsets for ``write(into:)``.
    /// - Precondition: `entries` is not empty, sorted by key, keys distinct, every tf ≥ 1.
    mutating func prepare() -> Int {
      let n = entries.count
      precondition(n > 0, "empty postings list")
      blockOffsets.removeAll(keepingCapacity: true)
      cover.removeAll(keepingCapacity: true)
      let small = n <= coverSize  // its own cover: every point bounds itself
      var body = 0
      var largest: UInt32 = 0
      var general = false
      var inOrder = true
      var offsets = blockOffsets
      blockOffsets = []  // filled through `offsets` below, without a copy
      entries.withUnsafeBufferPointer { es in
        shortest.withUnsafeMutableBufferPointer { table in
          var previous: UInt64 = 0
          for i in 0..<n {
            let e = es[i]
            inOrder = inOrder && e.tf > 0 && (i == 0 || e.passage > previous)
            if i & (blockSize - 1) == 0 { offsets.append(UInt32(truncatingIfNeeded: body)) }
            body &+= RawByteWriter.varintSize(e.passage &- previous) &+ RawByteWriter.varintSize(UInt64(e.tf))
              &+ RawByteWriter.varintSize(UInt64(e.length))
            previous = e.passage
            if small {
              continue
            } else if e.tf < Self.tableTFs {
              table[Int(e.tf)] = Swift.min(table[Int(e.tf)], e.length)
              largest = Swift.max(largest, e.tf)
            } else {
              general = true
            }
          }
        }
      }
      blockOffsets = offsets
      precondition(inOrder, "postings out of order")
      if small { for e in entries { cover.append((e.tf, e.length)) } }
      if !small {
        // The front from the table (tf descending), the table cleared behind it.
        for tf in stride(from: Int(largest), through: 1, by: -1) where shortest[tf] != .max {
          if !general, cover.last.map({ shortest[tf] < $0.length }) ?? true { cover.append((UInt32(tf), shortest[tf])) }
          shortest[tf] = .max
        }
        if general { cover = PostingsList.front(entries.lazy.map { (tf: $0.tf, length: $0.length) }) }
        PostingsList.reduceToCover(&cover)
      }
      size = headerBytes + descriptorBytes * blockOffsets.count + body
      return size
    }

    /// Writes the list measured by ``prepare()`` into `buffer`, which must be exactly its size.
    func write(into buffer: UnsafeMutableRawBufferPointer) {
      precondition(buffer.count == size, "a buffer of \(buffer.count) bytes for a list of \(size)")
      var w = RawByteWriter(buffer)
      w.u32(UInt32(entries.count))
      w.u32(UInt32(blockOffsets.count))
      w.u32(0)
      w.u32(UInt32(cover.count))
      for i in 0..<coverSize {
        w.u32(i < cover.count ? cover[i].tf : 0)
        w.u32(i < cover.count ? cover[i].length : 0)
      }
      for (b, offset) in blockOffsets.enumerated() {
        w.u64(entries[Swift.min(entries.count, (b + 1) * blockSize) - 1].passage)
        w.u32(offset)
        w.u32(0)
      }
      entries.withUnsafeBufferPointer { es in
        var previous: UInt64 = 0
        for e in es {
          w.varint(e.passage &- previous)
          w.varint(UInt64(e.tf))
          w.varint(UInt64(e.length))
          previous = e.passage
        }
      }
      w.finish()
    }
  }
}
