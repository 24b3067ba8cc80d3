/// Something that turns texts into vectors of one model (lattice-embed's `EmbeddingService`): the
/// one seam through which the store, the CLI and the caches take their vectors. A ``StaticModel``
/// is one (mapped, in process); so are ``StaticEmbeddingService`` (the same, mapped lazily),
/// ``FunctionEmbeddingService`` (a model that runs elsewhere) and ``CachedEmbeddingService`` (any
/// of these behind the two cache layers).
public protocol EmbeddingService: Sendable {
  /// A short human-readable name.
  var name: String { get }
  /// The model this service serves at its native dimension (loads the model if needed).
  func modelConfiguration() throws -> ModelConfiguration
  /// Whether `configuration` names this service's model (at any supported dimension).
  func supports(_ configuration: ModelConfiguration) -> Bool
  /// Embeds a validated batch, in order: one `configuration.dimension`-d vector per text.
  /// - Throws: ``EmbeddingError`` for an invalid batch (INV-7) or another model (INV-8).
  func embed(_ texts: [String], configuration: ModelConfiguration) throws -> [[Float]]
  /// The same vectors as ``embed(_:configuration:)``, row-major in one array — what the store
  /// writes; services that produce rows in place override it to skip the per-text arrays.
  func embedRows(_ texts: [String], configuration: ModelConfiguration) throws -> [Float]
  /// The configuration of this service's model at `dimension` (nil: native), checked: the one
  /// dimension check of every caller (INV-2, INV-3, and a model's own constraints).
  /// - Throws: ``EmbeddingError/unsupportedOutputDimension(requested:native:reason:)``.
  func configuration(dimension: Int?) throws -> ModelConfiguration
  /// The bytes that identify a text for the on-disk cache: its token-id sequence when the service
  /// tokenises, else its UTF-8 bytes.
  func cacheIdentity(of text: String) throws -> [UInt8]
}

extension EmbeddingService {
  /// Embeds one text.
  public func embedOne(_ text: String, configuration: ModelConfiguration) throws -> [Float] {
    try embed([text], configuration: configuration)[0]
  }

  public func embedRows(_ texts: [String], configuration: ModelConfiguration) throws -> [Float] {
    let vectors = try embed(texts, configuration: configuration)
    guard vectors.count == texts.count else { throw EmbeddingError.countMismatch(expected: texts.count, actual: vectors.count) }
    var rows: [Float] = []
    rows.reserveCapacity(texts.count * configuration.dimension)
    for (i, v) in vectors.enumerated() {
      guard v.count == configuration.dimension else {
        throw EmbeddingError.wrongDimension(index: i, expected: configuration.dimension, actual: v.count)
      }
      rows.append(contentsOf: v)
    }
    return rows
  }

  public func configuration(dimension: Int?) throws -> ModelConfiguration {
    try modelConfiguration().with(outputDimension: dimension)
  }

  /// INV-8 and INV-7, the checks every service makes first.
  func check(_ texts: [String], _ configuration: ModelConfiguration) throws {
    let served = try modelConfiguration()
    guard configuration.model == served.model else {
      throw EmbeddingError.modelMismatch(requested: configuration.model, loaded: served.model)
    }
    try EmbeddingLimits.validate(texts)
  }

  public func cacheIdentity(of text: String) throws -> [UInt8] { Array(text.utf8) }
}
