/// SentencePiece's compiled normalisation rules (`NormalizerSpec.precompiled_charsmap`): a
/// little-endian u32 trie size, a darts-clone double-array trie of that many bytes mapping input
/// byte strings to offsets, then the NUL-terminated replacement strings those offsets point into.
///
/// ``longestMatch(_:)`` returns the longest rule that is a prefix of the input, as SentencePiece's
/// normaliser applies it.
final class PrecompiledCharsMap: @unchecked Sendable {
  // Immutable after init; owned here so that returned replacement pointers stay valid.
  private let units: UnsafeMutableBufferPointer<UInt32>
  private let replacements: UnsafeMutableBufferPointer<UInt8>
  /// Bit b set: ASCII byte b followed by an ASCII byte (or by nothing) is never rewritten — the
  /// common case, answered without touching the trie.
  private let asciiUntouched: (UInt64, UInt64)

  /// - Throws: ``SentencePieceError/invalidModel(reason:)`` if the blob is inconsistent.
  init(_ blob: [UInt8]) throws {
    guard blob.count > 4 else { throw SentencePieceError.invalidModel(reason: "charsmap too short") }
    let trieSize = blob.withUnsafeBytes { Int(LittleEndian.load($0, at: 0, as: UInt32.self)) }
    guard trieSize < blob.count - 4, trieSize % 4 == 0, trieSize > 0 else {
      throw SentencePieceError.invalidModel(reason: "charsmap trie size \(trieSize) out of bounds")
    }
    let units = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: trieSize / 4)
    blob.withUnsafeBytes { bytes in
      for i in 0..<units.count { units[i] = LittleEndian.load(bytes, at: 4 + 4 * i) }
    }
    self.units = units
    let tail = blob[(4 + trieSize)...]
    let replacements = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: tail.count + 1)
    _ = replacements.initialize(from: tail)
    replacements[tail.count] = 0  // every replacement is NUL-terminated, even a damaged last one
    self.replacements = replacements
    // ASCII byte b is left as is when followed by another ASCII byte (or nothing) if no rule is
    // exactly [b] and no rule starts with [b, c] for an ASCII c. (Letters start rules only through
    // combining marks, which are not ASCII.)
    var untouched: (UInt64, UInt64) = (0, 0)
    let rootBase = Int(Self.offset(units[0]))
    func child(_ node: Int, _ b: Int) -> Int? {
      let c = node ^ b
      return c < units.count && units[c] & 0x8000_00FF == UInt32(b) ? c : nil
    }
    for b in 0..<128 {
      var keep = true
      if let node = child(rootBase, b) {
        let next = node ^ Int(Self.offset(units[node]))
        if units[node] & 0x100 != 0 { keep = false }  // [b] alone is a rule
        for c in 1..<128 where child(next, c) != nil { keep = false }
      }
      if keep {
        if b < 64 { untouched.0 |= 1 << UInt64(b) } else { untouched.1 |= 1 << UInt64(b - 64) }
      }
    }
    asciiUntouched = untouched
  }

  /// Whether ASCII byte `b` (< 128), followed by an ASCII byte or by nothing, is left as is.
  @inline(__always)
  func leavesUntouched(ascii b: UInt8) -> Bool {
    b < 64 ? asciiUntouched.0 >> UInt64(b) & 1 != 0 : asciiUntouched.1 >> UInt64(b &- 64) & 1 != 0
  }

  deinit {
    units.deallocate()
    replacements.deallocate()
  }

  /// The longest rule matching a prefix of `input`: the replacement bytes (a pointer into this
  /// map's storage, valid as long as the map) and the number of input bytes it consumes; nil when
  /// no rule matches. Allocation-free.
  func longestMatch(_ input: UnsafeRawBufferPointer) -> (replacement: UnsafeBufferPointer<UInt8>, consumed: Int)? {
    // darts-clone unit layout: bit 8 has-leaf; bits 0-7 (and 31) label; offset = (u >> 10) << ((u & 0x200) >> 6);
    // a leaf's value is u & 0x7FFFFFFF.
    do {
      var node = Int(Self.offset(units[0]))
      var best: (value: Int, length: Int)?
      for i in 0..<input.count {
        let byte = Int(input[i])
        node ^= byte
        guard node < units.count else { break }
        let unit = units[node]
        guard unit & 0x8000_00FF == UInt32(byte) else { break }
        node ^= Int(Self.offset(unit))
        if unit & 0x100 != 0, node < units.count {
          best = (Int(units[node] & 0x7FFF_FFFF), i + 1)
        }
      }
      guard let best, best.value < replacements.count else { return nil }
      var end = best.value
      while replacements[end] != 0 { end += 1 }
      return (UnsafeBufferPointer(rebasing: replacements[best.value..<end]), best.length)
    }
  }

  private static func offset(_ unit: UInt32) -> UInt32 { (unit >> 10) << ((unit & 0x200) >> 6) }
}
