/// Why an embedding request was refused. Nothing is embedded or cached when one is thrown.
public enum EmbeddingError: Error, Equatable, Sendable, CustomStringConvertible {
  case emptyBatch
  /// Text `index` of the batch is empty (or only whitespace).
  case emptyText(index: Int)
  /// More than ``EmbeddingLimits/maximumBatch`` texts.
  case batchTooLarge(count: Int, limit: Int)
  /// Text `index` has more than ``EmbeddingLimits/maximumCharacters`` characters.
  case textTooLong(index: Int, characters: Int, limit: Int)
  /// Text `index` is not valid UTF-8.
  case invalidUTF8(index: Int)
  /// The request names another model than the service's (INV-8).
  case modelMismatch(requested: String, loaded: String)
  /// The output dimension is not available (INV-2, INV-3).
  case unsupportedOutputDimension(requested: Int, native: Int, reason: String)
  /// The embedder returned another number of vectors than it was asked for (INV-6).
  case countMismatch(expected: Int, actual: Int)

  public var description: String {
    switch self {
    case .emptyBatch: "empty batch: nothing to embed"
    case .emptyText(let i): "text \(i) is empty"
    case .batchTooLarge(let n, let limit): "batch of \(n) texts exceeds the limit of \(limit)"
    case .textTooLong(let i, let n, let limit): "text \(i) has \(n) characters, more than \(limit)"
    case .invalidUTF8(let i): "text \(i) is not valid UTF-8"
    case .modelMismatch(let requested, let loaded): "requested model \(requested), but this service serves \(loaded)"
    case .unsupportedOutputDimension(let requested, let native, let reason):
      "output dimension \(requested) is not available (native \(native)): \(reason)"
    case .countMismatch(let expected, let actual): "embedder returned \(actual) vectors for \(expected) texts"
    }
  }
}

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
