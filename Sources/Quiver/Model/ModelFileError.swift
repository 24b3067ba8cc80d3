/// Why a model file was rejected. Every case names the problem; nothing of a rejected file is used.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file cannot be opened or mapped.
  case unreadable(path: String, errno: Int32)
  /// The file is shorter than the header, or than its header says it is.
  case truncated(expected: Int, actual: Int)
  /// The first 8 bytes are not `QUIVERMD`.
  case badMagic
  /// Written in a format version this reader does not know.
  case unsupportedVersion(UInt32)
  /// The header's checksum does not match its bytes.
  case headerChecksumMismatch
  /// A header field holds a value this reader does not accept.
  case invalidHeader(String)
  /// A section lies outside the file, overlaps the header, or is not 64-byte aligned.
  case sectionOutOfBounds(kind: UInt32)
  /// A section has a kind or element type this reader does not know.
  case unknownSection(kind: UInt32)
  /// A section's bytes do not match its checksum.
  case sectionChecksumMismatch(kind: String)
  /// A required section is absent, or present twice.
  case missingSection(String)
  /// A section's length does not fit the header's vocabulary, dimension or M.
  case sectionSizeMismatch(kind: String, expected: Int, actual: Int)
  /// The content hash does not match the file's bytes.
  case contentHashMismatch
  /// The embedded tokenizer is not a SentencePiece model, or its vocabulary differs from the header's.
  case tokenizerMismatch(String)
  /// The aggregator section or the token metadata codes do not fit the header's aggregator
  /// (docs/aggregators.md).
  case invalidAggregatorParameters(String)

  public var description: String {
    switch self {
    case .unreadable(let path, let errno): "cannot read model file \(path) (errno \(errno))"
    case .truncated(let expected, let actual): "model file is truncated: \(actual) bytes, expected \(expected)"
    case .badMagic: "not a Quiver model file (bad magic)"
    case .unsupportedVersion(let v): "model file format version \(v) is not supported by this Quiver (supports 1)"
    case .headerChecksumMismatch: "model file header is corrupt (checksum mismatch)"
    case .invalidHeader(let what): "model file header is invalid: \(what)"
    case .sectionOutOfBounds(let kind): "model file section \(kind) lies outside the file or is misaligned"
    case .unknownSection(let kind): "model file has a section of unknown kind or element type \(kind)"
    case .sectionChecksumMismatch(let kind): "model file section \(kind) is corrupt (checksum mismatch)"
    case .missingSection(let kind): "model file lacks exactly one \(kind) section"
    case .sectionSizeMismatch(let kind, let e, let a): "model file section \(kind) has \(a) bytes, expected \(e)"
    case .contentHashMismatch: "model file content hash does not match its bytes"
    case .tokenizerMismatch(let why): "model file tokenizer is unusable: \(why)"
    case .invalidAggregatorParameters(let why): "model file aggregator parameters are invalid: \(why)"
    }
  }
}
