import Synchronization

/// Layer 1: an in-memory LRU of embeddings, in 16 shards (by the key's first byte), each with its
/// own lock and hit/miss/eviction counters, so that concurrent requests rarely contend.
public final class MemoryCache: Sendable {
  /// Counters summed over the shards.
  public struct Statistics: Sendable, Equatable {
    public var entries = 0
    public var capacity = 0
    public var hits = 0
    public var misses = 0
    public var evictions = 0
    public var hitRate: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }
  }

  private let shards: [LockedShard]
  public let capacity: Int

  /// - Parameter capacity: entries in all (each shard holds capacity / 16, at least 1).
  public init(capacity: Int = 4000) {
    precondition(capacity > 0)
    self.capacity = capacity
    shards = (0..<16).map { _ in LockedShard(LRUShard(capacity: max(1, capacity / 16))) }
  }

  /// The cached vector for `key`, marking it most recently used.
  public func get(_ key: CacheKey) -> [Float]? {
    shards[key.shard].lock.withLock { $0.get(key) }
  }

  /// Stores `vector` under `key` (evicting the shard's least recently used entry when full).
  public func put(_ key: CacheKey, _ vector: [Float]) {
    shards[key.shard].lock.withLock { $0.put(key, vector) }
  }

  public var statistics: Statistics {
    var s = Statistics()
    for shard in shards {
      shard.lock.withLock {
        s.entries += $0.count
        s.capacity += $0.capacity
        s.hits += $0.hits
        s.misses += $0.misses
        s.evictions += $0.evictions
      }
    }
    return s
  }
}

/// A shard and its lock (a lock cannot live in an array directly: it must not move).
final class LockedShard: Sendable {
  let lock: Locked<LRUShard>
  init(_ shard: LRUShard) { lock = Locked(shard) }
}

/// One shard: a dictionary into a doubly linked list kept in arrays (no per-entry objects).
struct LRUShard {
  let capacity: Int
  private var index: [CacheKey: Int] = [:]
  private var keys: [CacheKey] = []
  private var values: [[Float]] = []
  private var previous: [Int] = []
  private var next: [Int] = []
  private var head = -1  // most recent
  private var tail = -1  // least recent
  private(set) var hits = 0
  private(set) var misses = 0
  private(set) var evictions = 0

  init(capacity: Int) { self.capacity = capacity }

  var count: Int { index.count }

  mutating func get(_ key: CacheKey) -> [Float]? {
    guard let slot = index[key] else { misses += 1; return nil }
    hits += 1
    moveToFront(slot)
    return values[slot]
  }

  mutating func put(_ key: CacheKey, _ value: [Float]) {
    if let slot = index[key] {
      values[slot] = value
      moveToFront(slot)
      return
    }
    let slot: Int
    if keys.count < capacity {
      slot = keys.count
      keys.append(key); values.append(value); previous.append(-1); next.append(-1)
    } else {
      slot = tail  // reuse the least recently used slot
      unlink(slot)
      index[keys[slot]] = nil
      evictions += 1
      keys[slot] = key
      values[slot] = value
    }
    index[key] = slot
    linkFront(slot)
  }

  private mutating func moveToFront(_ slot: Int) {
    guard head != slot else { return }
    unlink(slot)
    linkFront(slot)
  }

  private mutating func unlink(_ slot: Int) {
    let p = previous[slot], n = next[slot]
    if p >= 0 { next[p] = n } else { head = n }
    if n >= 0 { previous[n] = p } else { tail = p }
    previous[slot] = -1
    next[slot] = -1
  }

  private mutating func linkFront(_ slot: Int) {
    previous[slot] = -1
    next[slot] = head
    if head >= 0 { previous[head] = slot }
    head = slot
    if tail < 0 { tail = slot }
  }
}
