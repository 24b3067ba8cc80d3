import CXXHash

/// A per-thread memo of the unigram segmentation of normalised words: a "▁word" segment's bytes →
/// its piece ids. Natural text repeats a small vocabulary of words, so most words of a corpus are
/// segmented once and then copied (``UnigramTokenizer/encode(utf8:scratch:words:into:)``).
///
/// Open addressing over a fixed table, keys and ids in two growing arenas. When half the table is
/// used the cache takes no more words: word frequencies are Zipfian, so the words met first are
/// mostly the frequent ones, and keeping them beats emptying the cache to make room (the Debian
/// descriptions have 169k distinct lower-cased words; the 65k most frequent cover 96.6 % of the
/// 3.4M). It never grows past its bound and, once warm, a lookup allocates nothing. Not
/// thread-safe: one a thread.
public final class WordSegmentCache {
  /// Words longer than this (bytes, "▁" included) are segmented every time, not cached.
  public static let longestWord = 64

  struct Slot {
    /// The key's hash; 0: empty.
    var hash: UInt64 = 0
    var keyStart: UInt32 = 0
    var keyLength: UInt32 = 0
    var idStart: UInt32 = 0
    var idCount: UInt32 = 0
    /// The word's best path score, and how near a competing path came (``UnigramTokenizer``).
    var score: Float = 0
    var closest: Double = 0
  }

  // Unchecked: the cache belongs to one thread (see above), and a dynamic exclusivity check on
  // each of a word's three array accesses cost more than the lookup itself.
  @exclusivity(unchecked) private var slots: [Slot]
  @exclusivity(unchecked) private var keys: [UInt8] = []
  @exclusivity(unchecked) private var ids: [Int32] = []
  private var used = 0
  private let mask: Int

  /// A cache of at most `capacity / 2` words (`capacity` rounded up to a power of two; the
  /// default, 65,536 words, takes ≈ 5 MB of table and ≈ 1 MB of arenas).
  public init(capacity: Int = 1 << 17) {
    var size = 16
    while size < capacity { size <<= 1 }
    slots = [Slot](repeating: Slot(), count: size)
    mask = size - 1
    keys.reserveCapacity(size * 4)
    ids.reserveCapacity(size * 2)
  }

  /// The number of words cached.
  public var count: Int { used }
  /// Texts encoded through this cache, and those of them encoded whole instead (a word near a tie).
  public internal(set) var texts = 0, wholeTexts = 0

  /// The hash of a word, never 0.
  @inline(__always)
  static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
    let h = XXH3_64bits(word.baseAddress, word.count)
    return h == 0 ? 1 : h
  }

  /// Appends the cached ids of `word` to `out` and returns its segmentation's score and closeness
  /// to a tie, or returns nil (appending nothing) when the word is not cached.
  @inline(__always)
  func append(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, to out: inout [Int32]) -> (score: Float, closest: Double)? {
    var i = Int(truncatingIfNeeded: hash) & mask
    while true {
      let slot = slots[i]
      if slot.hash == 0 { return nil }
      if slot.hash == hash, Int(slot.keyLength) == word.count, equals(word, at: Int(slot.keyStart)) {
        let first = Int(slot.idStart)
        out.append(contentsOf: ids[first..<first + Int(slot.idCount)])
        return (slot.score, slot.closest)
      }
      i = (i + 1) & mask
    }
  }

  /// Caches `word`'s ids (the word must not be cached yet), unless the cache is full.
  func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids wordIDs: ArraySlice<Int32>, score: Float, closest: Double) {
    guard used < (mask + 1) / 2 else { return }
    var i = Int(truncatingIfNeeded: hash) & mask
    while slots[i].hash != 0 { i = (i + 1) & mask }
    slots[i] = Slot(hash: hash, keyStart: UInt32(keys.count), keyLength: UInt32(word.count),
                    idStart: UInt32(ids.count), idCount: UInt32(wordIDs.count), score: score, closest: closest)
    keys.append(contentsOf: word)
    ids.append(contentsOf: wordIDs)
    used += 1
  }

  @inline(__always)
  private func equals(_ word: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
    keys.withUnsafeBufferPointer { k in
      for j in 0..<word.count where k[start + j] != word[j] { return false }
      return true
    }
  }
}
