/// Why a store operation failed. Every case leaves the store as it was.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
  /// There is no store at the path (and none was to be created).
  case noStore(path: String)
  /// The directory holds a store of a format this Quiver does not implement.
  case unsupportedFormatVersion(found: UInt32, supported: UInt32)
  /// The directory holds an LMDB environment that is not a Quiver store.
  case notAStore(path: String)
  /// No space has this key.
  case unknownSpace(String)
  /// A vector's length differs from its space's dimension.
  case wrongDimension(expected: Int, actual: Int)
  /// A record in the store could not be decoded (damage, or a bug).
  case corruptRecord(String)
  /// A document to ingest is unusable (empty id or text, text too long).
  case invalidDocument(id: String, reason: String)
  /// A space of this metric cannot store this element type (int8 rows carry no norm for L2).
  case unsupportedElementType(metric: String, element: String)
  /// The space exists with another metric or element type than asked for.
  case spaceMismatch(String)
  /// A lexical or hybrid query on a space without a lexical index.
  case noLexicalIndex(String)
  /// The query's tokenizer is not the one the space's lexical index was built with.
  case tokenizerMismatch(expected: String, actual: String)
  /// An argument out of its range (k < 1, …).
  case invalidArgument(String)
  /// A write to a store opened read-only.
  case readOnly(path: String)
  /// An operation that needs the store alone while another process (or handle) has it open.
  case busy(path: String, operation: String)

  public var description: String {
    switch self {
    case .unsupportedFormatVersion(let found, let supported):
      "store format version \(found) is not supported (this Quiver reads version \(supported)); refusing to open it"
    case .noStore(let path): "no Quiver store at \(path) (quiver ingest --store \(path) … creates one)"
    case .notAStore(let path): "\(path) is an LMDB environment but not a Quiver store (no meta record)"
    case .unknownSpace(let key): "no embedding space \(key) in this store"
    case .wrongDimension(let expected, let actual): "vector has \(actual) dimensions, the space has \(expected)"
    case .corruptRecord(let what): "corrupt store record: \(what)"
    case .invalidDocument(let id, let reason): "document \"\(id)\": \(reason)"
    case .unsupportedElementType(let metric, let element): "\(element) vectors are not supported in \(metric) spaces"
    case .spaceMismatch(let what): "space exists with different settings: \(what)"
    case .noLexicalIndex(let space):
      "space \(space) has no lexical index (vectors ingested without a tokenizer, or a store not yet re-ingested): use --mode vector"
    case .tokenizerMismatch(let expected, let actual):
      "the space's lexical index uses tokenizer \(expected), not \(actual): query with the model it was built with"
    case .invalidArgument(let what): what
    case .readOnly(let path): "the store at \(path) is open read-only (a replica or a read-only directory): writes are refused"
    case .busy(let path, let operation): "\(operation) needs the store at \(path) alone, and another process has it open: stop it and retry"
    }
  }
}
