import CXXHash

/// A 128-bit cache key. Layer 1: XXH3-128 of the text's UTF-8 bytes, seeded by a hash of the space
/// key's canonical bytes (INV-5). Layer 2: XXH3-128 of the text's cache identity (token ids) followed by
/// the space key's canonical bytes.
public struct CacheKey: Hashable, Sendable {
  public let low: UInt64
  public let high: UInt64

  /// The key of `identity` (text bytes or token-id bytes) in space `space`.
  public init(identity: [UInt8], space: SpaceKey) {
    var bytes = identity
    bytes.append(0)  // separator: no identity is a prefix of another's bytes + key
    bytes.append(contentsOf: space.description.utf8)
    let h = bytes.withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
    low = h.low64
    high = h.high64
  }

  /// The layer-1 key of `text` in `space`: XXH3-128 of the text's UTF-8 bytes, seeded with
  /// ``spaceSeed(_:)`` — the same role as appending the space key's bytes (INV-5), without copying
  /// the text.
  public init(text: String, seed: UInt64) {
    var text = text
    let h = text.withUTF8 { XXH3_128bits_withSeed($0.baseAddress, $0.count, seed) }
    low = h.low64
    high = h.high64
  }

  /// The hash seed of a space: XXH3-64 of its canonical key bytes.
  public static func spaceSeed(_ space: SpaceKey) -> UInt64 {
    let bytes = Array(space.description.utf8)
    return bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
  }

  init(low: UInt64, high: UInt64) {
    self.low = low
    self.high = high
  }

  /// The shard of a 16-shard cache: the key's first byte, low nibble.
  var shard: Int { Int(low & 0xF) }

  /// 16 little-endian bytes: the layer-2 database key.
  var bytes: [UInt8] {
    var w = ByteWriter(capacity: 16)
    w.u64(low)
    w.u64(high)
    return w.bytes
  }
}
