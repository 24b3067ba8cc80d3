/// The raw memory of an HNSW graph, behind one non-copyable handle: the level-0 records (on the
/// heap, or in a graph file's private map), the int8 walk's f32 vectors, and the upper-level link
/// lists. Every pointer of the graph is made here; the algorithm asks for a node's record, vector
/// or list by node id. Debug builds check each id against the capacity.
///
/// Layout of a level-0 record (`recordBytes` bytes, node n at `records + n·recordBytes`): a u32
/// link count, M₀ u32 links, then the node's walk vector. Upper lists of all nodes in one buffer,
/// in node order: node n's level-l list (l ≥ 1) at `upperStart[n] + (l − 1)·(1 + M)`.
struct HNSWNodeStorage: ~Copyable {
  let dimension: Int
  let M: Int
  let walk: HNSWWalkEncoding
  /// Bytes of a level-0 record: count + M₀ links + the walk vector.
  let recordBytes: Int
  /// Byte offset of the walk vector inside a record.
  let vectorOffset: Int
  /// Nodes the records (and `exact`) have room for.
  private(set) var capacity: Int
  private(set) var records: UnsafeMutableRawPointer
  /// With the int8 walk: the f32 vectors, `dimension` floats per node.
  private(set) var exact: UnsafeMutablePointer<Float>?
  /// The graph file whose private map holds `records` and `exact`, until the graph grows.
  private var file: MappedFile?
  private var upperLinks: UnsafeMutablePointer<UInt32>
  private var upperCapacity: Int
  /// u32 slots of `upperLinks` in use.
  private(set) var upperUsed = 0
  /// Where node n's upper lists start in `upperLinks`.
  private(set) var upperStart: [Int] = []

  var upperStride: Int { 1 + M }

  static func recordLayout(dimension: Int, M: Int, walk: HNSWWalkEncoding) -> (recordBytes: Int, vectorOffset: Int) {
    let offset = 4 * (1 + 2 * M)
    return (offset + walk.recordVectorBytes(dimension: dimension), offset)
  }

  /// Empty storage on the heap for `capacity` nodes.
  init(dimension: Int, M: Int, walk: HNSWWalkEncoding, capacity: Int) {
    self.dimension = dimension
    self.M = M
    self.walk = walk
    (recordBytes, vectorOffset) = Self.recordLayout(dimension: dimension, M: M, walk: walk)
    self.capacity = max(capacity, 16)
    records = .allocate(byteCount: self.capacity * recordBytes, alignment: 64)
    exact = walk == .int8 ? .allocate(capacity: self.capacity * dimension) : nil
    upperCapacity = 1024
    upperLinks = .allocate(capacity: upperCapacity)
  }

  /// Storage over a graph file's private map: `count` records at byte `recordsOffset` of `file`,
  /// the f32 vectors (int8 walk) right after them, and the upper lists given as `upper` slots for
  /// nodes of `levels`.
  /// - Precondition: the file holds the records and vectors (the caller checked its size) and the
  ///   records start 4-byte aligned.
  init(dimension: Int, M: Int, walk: HNSWWalkEncoding, file: MappedFile, recordsOffset: Int, count: Int,
       levels: [UInt8], upper: [UInt32]) {
    self.dimension = dimension
    self.M = M
    self.walk = walk
    (recordBytes, vectorOffset) = Self.recordLayout(dimension: dimension, M: M, walk: walk)
    let base = file.writableBase!
    precondition(file.bytes.count >= recordsOffset + count * recordBytes + (walk == .int8 ? count * dimension * 4 : 0),
                 "graph file smaller than its records")
    precondition(Int(bitPattern: base + recordsOffset) % 4 == 0, "graph records misaligned")
    self.file = file
    capacity = count
    records = base + recordsOffset
    exact = walk == .int8 ? (base + recordsOffset + count * recordBytes).assumingMemoryBound(to: Float.self) : nil
    upperCapacity = max(upper.count, 1)
    upperLinks = .allocate(capacity: upperCapacity)
    upper.withUnsafeBufferPointer { upperLinks.update(from: $0.baseAddress!, count: upper.count) }
    upperUsed = upper.count
    upperStart.reserveCapacity(count)
    var start = 0
    for l in levels {
      upperStart.append(start)
      start += Int(l) * (1 + M)
    }
  }

  deinit {
    if file == nil {
      records.deallocate()
      exact?.deallocate()
    }
    upperLinks.deallocate()
  }

  /// Makes room for `needed` nodes, keeping the first `count` (records move to the heap, out of
  /// any file map).
  mutating func grow(to needed: Int, keeping count: Int) {
    guard needed > capacity else { return }
    let newCapacity = max(needed, capacity * 2)
    let r = UnsafeMutableRawPointer.allocate(byteCount: newCapacity * recordBytes, alignment: 64)
    r.copyMemory(from: records, byteCount: count * recordBytes)
    var e: UnsafeMutablePointer<Float>?
    if let exact {
      e = .allocate(capacity: newCapacity * dimension)
      e!.update(from: exact, count: count * dimension)
    }
    if file == nil {
      records.deallocate()
      exact?.deallocate()
    }
    file = nil
    records = r
    exact = e
    capacity = newCapacity
  }

  /// Adds the (empty) upper lists of the next node, of level `level`.
  mutating func appendUpperLists(level: Int) {
    let slots = level * upperStride
    if upperUsed + slots > upperCapacity {
      let newCapacity = max(upperUsed + slots, upperCapacity * 2)
      let u = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
      u.update(from: upperLinks, count: upperUsed)
      upperLinks.deallocate()
      upperLinks = u
      upperCapacity = newCapacity
    }
    upperStart.append(upperUsed)
    (upperLinks + upperUsed).initialize(repeating: 0, count: slots)
    upperUsed += slots
  }

  /// Node n's level-0 record: its count, then M₀ link slots.
  @inline(__always)
  func record(_ n: UInt32) -> UnsafeMutablePointer<UInt32> {
    assert(Int(n) < capacity, "HNSW node \(n) beyond capacity \(capacity)")
    return (records + Int(n) &* recordBytes).assumingMemoryBound(to: UInt32.self)
  }

  /// Node n's list on level `level` ≥ 1: its count, then M link slots.
  @inline(__always)
  func upperList(_ n: UInt32, _ level: Int) -> UnsafeMutablePointer<UInt32> {
    assert(level >= 1 && Int(n) < upperStart.count, "upper list of node \(n) level \(level)")
    let slot = upperStart[Int(n)] + (level - 1) * upperStride
    assert(slot + upperStride <= upperUsed, "upper list beyond the buffer")
    return upperLinks + slot
  }

  /// Node n's f32 vector (inside its record, or in `exact` with the int8 walk).
  @inline(__always)
  func vector(_ n: UInt32) -> UnsafeBufferPointer<Float> {
    assert(Int(n) < capacity, "HNSW node \(n) beyond capacity \(capacity)")
    if let exact { return UnsafeBufferPointer(start: exact + Int(n) &* dimension, count: dimension) }
    return UnsafeBufferPointer(start: (records + Int(n) &* recordBytes + vectorOffset).assumingMemoryBound(to: Float.self), count: dimension)
  }

  /// Where node n's walk vector starts.
  @inline(__always)
  func walkVector(_ n: UInt32) -> UnsafeMutableRawPointer {
    assert(Int(n) < capacity, "HNSW node \(n) beyond capacity \(capacity)")
    return records + Int(n) &* recordBytes + vectorOffset
  }

  /// The first `count` records' bytes and, with the int8 walk, the f32 vectors' (for writing a file).
  func withNodeBytes<R>(count: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    try body(UnsafeRawBufferPointer(start: records, count: count * recordBytes),
             exact.map { UnsafeRawBufferPointer(start: $0, count: count * dimension * 4) })
  }

  /// The upper-link slots in use (for writing a file).
  var upperSlots: UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(start: upperLinks, count: upperUsed) }
}
