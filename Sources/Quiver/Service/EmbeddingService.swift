/// Something that turns texts into vectors of one model (lattice-embed's `EmbeddingService`).
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
  /// The bytes that identify a text for the on-disk cache: its token-id sequence when the service
  /// tokenises, else its UTF-8 bytes.
  func cacheIdentity(of text: String) throws -> [UInt8]
}

extension EmbeddingService {
  /// Embeds one text.
  public func embedOne(_ text: String, configuration: ModelConfiguration) throws -> [Float] {
    try embed([text], configuration: configuration)[0]
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
