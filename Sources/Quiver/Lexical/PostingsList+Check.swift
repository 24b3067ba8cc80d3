extension PostingsList {
  /// What is wrong with an encoded list, beyond what ``Reader`` refuses (empty: nothing): entries
  /// in increasing key order with tf ≥ 1; each block descriptor naming its block's last key and
  /// first entry's offset; no bytes after the last entry; a cover that bounds every entry and —
  /// when the entries' Pareto front has at most ``coverSize`` points — names only the entries' own
  /// points (so a bound is exact then, as `docs/store-layout.md` §11 says). O(entries).
  static func problems(in bytes: UnsafeRawBufferPointer) -> [String] {
    var reader: Reader
    do { reader = try Reader(bytes) } catch { return ["\(error)"] }
    let blocks = Int(LittleEndian.load(bytes, at: 4, as: UInt32.self))
    let entriesStart = headerBytes + blocks * descriptorBytes
    var problems: [String] = []
    var points: [(tf: UInt32, length: UInt32)] = []
    var previous: UInt64?
    var i = 0
    do {
      while true {
        let offset = reader.entryOffset
        guard let e = try reader.next() else { break }
        if i % blockSize == 0 {
          let stored = Int(LittleEndian.load(bytes, at: headerBytes + (i / blockSize) * descriptorBytes + 8, as: UInt32.self))
          if stored != offset { problems.append("block \(i / blockSize) starts at \(stored), its first entry at \(offset)") }
        }
        if i % blockSize == blockSize - 1 || i == reader.count - 1 {
          let stored: UInt64 = LittleEndian.load(bytes, at: headerBytes + (i / blockSize) * descriptorBytes)
          if stored != e.passage { problems.append("block \(i / blockSize) says its last key is \(stored), it is \(e.passage)") }
        }
        if let previous, e.passage <= previous { problems.append("entry \(i) key \(e.passage) after \(previous)") }
        previous = e.passage
        points.append((e.tf, e.length))
        i += 1
      }
      if entriesStart + reader.entryOffset != bytes.count {
        problems.append("\(bytes.count - entriesStart - reader.entryOffset) bytes after the last entry")
      }
    } catch {
      return problems + ["\(error)"]
    }
    let coverCount = Int(LittleEndian.load(bytes, at: 12, as: UInt32.self))
    let cover = (0..<coverCount).map { k in
      (tf: LittleEndian.load(bytes, at: 16 + 8 * k, as: UInt32.self), length: LittleEndian.load(bytes, at: 20 + 8 * k, as: UInt32.self))
    }
    for p in points where !cover.contains(where: { $0.tf >= p.tf && $0.length <= p.length }) {
      problems.append("no cover point bounds entry (tf \(p.tf), length \(p.length))")
      break
    }
    if front(points).count <= coverSize {
      for c in cover where !points.contains(where: { $0 == c }) {
        problems.append("cover point (tf \(c.tf), length \(c.length)) is no entry's, though the front has ≤ \(coverSize) points")
      }
    }
    return problems
  }
}
