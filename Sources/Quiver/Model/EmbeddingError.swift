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
  /// Vector `index` has another length than the configuration's dimension.
  case wrongDimension(index: Int, expected: Int, actual: Int)

  /// The index, in its batch, of the text the error is about (0 when it is about no one text).
  public var textIndex: Int {
    switch self {
    case .emptyText(let i), .textTooLong(let i, _, _), .invalidUTF8(let i), .wrongDimension(let i, _, _): i
    default: 0
    }
  }

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
    case .wrongDimension(let i, let expected, let actual): "vector \(i) has \(actual) dimensions, expected \(expected)"
    }
  }
}
