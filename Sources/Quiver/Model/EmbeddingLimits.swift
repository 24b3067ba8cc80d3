/// The service limits of `lattice-embed-design.md` (INV-7).
public enum EmbeddingLimits {
  public static let maximumBatch = 1000
  public static let maximumCharacters = 32_768
  /// The smallest truncated output dimension (INV-3).
  public static let minimumOutputDimension = 32

  /// Validates a batch: not empty, ≤ 1,000 texts, each non-empty and ≤ 32,768 characters.
  public static func validate(_ texts: [String]) throws {
    guard !texts.isEmpty else { throw EmbeddingError.emptyBatch }
    guard texts.count <= maximumBatch else { throw EmbeddingError.batchTooLarge(count: texts.count, limit: maximumBatch) }
    for (i, t) in texts.enumerated() {
      if isBlank(t) { throw EmbeddingError.emptyText(index: i) }
      // Cheap bound first: a text of ≤ 32,768 UTF-8 bytes has ≤ 32,768 characters.
      if t.utf8.count > maximumCharacters {
        let n = t.count
        if n > maximumCharacters { throw EmbeddingError.textTooLong(index: i, characters: n, limit: maximumCharacters) }
      }
    }
  }

  /// Whether `text` is empty or only whitespace. Looks at bytes first: the first ASCII byte that is
  /// not whitespace settles it without walking characters (the common case, ~ns).
  static func isBlank(_ text: String) -> Bool {
    for b in text.utf8 {
      if b >= 0x80 { return text.allSatisfy(\.isWhitespace) }  // non-ASCII: Unicode's whitespace rules
      if !(b == 0x20 || (0x09...0x0D).contains(b)) { return false }
    }
    return true
  }

  /// Decodes and validates raw byte texts (e.g. read from a file): invalid UTF-8 is refused.
  public static func decode(_ raw: [[UInt8]]) throws -> [String] {
    var out: [String] = []
    out.reserveCapacity(raw.count)
    for (i, bytes) in raw.enumerated() {
      guard let s = String(validating: bytes, as: UTF8.self) else { throw EmbeddingError.invalidUTF8(index: i) }
      out.append(s)
    }
    try validate(out)
    return out
  }
}
