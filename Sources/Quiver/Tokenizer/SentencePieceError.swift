/// Why a SentencePiece model could not be loaded or used.
public enum SentencePieceError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The model file does not exist or cannot be read.
  case fileNotFound(path: String)
  /// The bytes are not a SentencePiece model; `reason` is SentencePiece's own message.
  case invalidModel(reason: String)
  /// SentencePiece refused to encode the input.
  case encodingFailed
  /// Memory ran out inside SentencePiece.
  case outOfMemory
  /// Any other failure inside the C++ library.
  case internalError(String)
  /// The model uses a feature that Quiver's native ``UnigramTokenizer`` does not implement.
  case unsupportedByNativeTokenizer(String)

  public var description: String {
    switch self {
    case .fileNotFound(let path): "SentencePiece model not found or unreadable: \(path)"
    case .invalidModel(let reason): "not a valid SentencePiece model: \(reason)"
    case .encodingFailed: "SentencePiece could not encode the text"
    case .outOfMemory: "out of memory in SentencePiece"
    case .internalError(let message): "SentencePiece internal error: \(message)"
    case .unsupportedByNativeTokenizer(let feature): "the native unigram tokenizer does not support \(feature)"
    }
  }
}
