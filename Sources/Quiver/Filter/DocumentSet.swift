import Synchronization

/// A set of document numbers as a bitset over `0..<capacity`: what a metadata filter evaluates
/// to, and what a filtered search tests each candidate against (one load and a mask).
/// O(capacity / 64) to combine two sets; O(1) to test or insert a member.
public struct DocumentSet: Sendable, Equatable {
  /// Documents `0..<capacity` can be members.
  public let capacity: Int
  private(set) var words: [UInt64]
  /// Names this value's members within the process once sealed (``seal()``): every change resets
  /// it to 0, "unnamed". A search caches what it derives from a named set (its rows) under it.
  public private(set) var token: UInt64 = 0

  private static let tokens = Atomic<UInt64>(0)

  /// The empty set over `0..<capacity`.
  public init(capacity: Int) {
    self.capacity = max(0, capacity)
    words = [UInt64](repeating: 0, count: (self.capacity + 63) / 64)
  }

  /// Gives the set a token no other set value of this process has.
  public mutating func seal() { token = Self.tokens.add(1, ordering: .relaxed).newValue }

  /// Equal members (tokens aside).
  public static func == (a: DocumentSet, b: DocumentSet) -> Bool { a.capacity == b.capacity && a.words == b.words }

  /// Whether document `n` is a member (false past the capacity).
  @inline(__always)
  public func contains(_ n: UInt64) -> Bool {
    guard n < UInt64(capacity) else { return false }
    return words[Int(n >> 6)] & (1 << (n & 63)) != 0
  }

  /// Adds document `n` (ignored past the capacity).
  @inline(__always)
  public mutating func insert(_ n: UInt64) {
    guard n < UInt64(capacity) else { return }
    words[Int(n >> 6)] |= 1 << (n & 63)
    token = 0
  }

  /// The number of members.
  public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

  public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

  /// Keeps the members of both.
  public mutating func formIntersection(_ other: DocumentSet) {
    precondition(other.capacity == capacity, "sets of different capacities")
    for i in words.indices { words[i] &= other.words[i] }
    token = 0
  }

  /// Adds the members of `other`.
  public mutating func formUnion(_ other: DocumentSet) {
    precondition(other.capacity == capacity, "sets of different capacities")
    for i in words.indices { words[i] |= other.words[i] }
    token = 0
  }

  /// Removes the members of `other`.
  public mutating func subtract(_ other: DocumentSet) {
    precondition(other.capacity == capacity, "sets of different capacities")
    for i in words.indices { words[i] &= ~other.words[i] }
    token = 0
  }

  /// ORs 64-bit little-endian words into the set from word `first` (a bitmap of 64·n documents
  /// starting at document 64·first); words past the capacity are dropped.
  mutating func formUnion(littleEndianWords bytes: UnsafeRawBufferPointer, atWord first: Int) {
    let n = min(bytes.count / 8, words.count - first)
    guard n > 0 else { return }
    for i in 0..<n { words[first + i] |= UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
    if capacity % 64 != 0 { words[words.count - 1] &= (1 << UInt64(capacity % 64)) - 1 }
    token = 0
  }

  /// The members in increasing order.
  public var members: [UInt64] {
    var out: [UInt64] = []
    out.reserveCapacity(count)
    for (i, w) in words.enumerated() {
      var bits = w
      while bits != 0 {
        out.append(UInt64(i * 64 + bits.trailingZeroBitCount))
        bits &= bits - 1
      }
    }
    return out
  }
}
