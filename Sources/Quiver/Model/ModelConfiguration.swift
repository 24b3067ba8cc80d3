/// A model and the output dimension asked of it: the request's identity, and the space its vectors
/// belong to.
public struct ModelConfiguration: Hashable, Sendable, CustomStringConvertible {
  /// `qvm:<content hash>` for a Quiver model file, or an external model's declared name.
  public let model: String
  /// The model's own dimension.
  public let nativeDimension: Int
  /// Whether leading components form a valid smaller embedding (MRL, or PCA order).
  public let supportsOutputDimension: Bool
  /// A truncated output dimension, or nil for the native one.
  public let outputDimension: Int?

  /// - Throws: ``EmbeddingError/unsupportedOutputDimension(requested:native:reason:)`` when an
  ///   output dimension is given for a model without MRL support (INV-2) or outside
  ///   [32, native] (INV-3).
  public init(model: String, nativeDimension: Int, supportsOutputDimension: Bool, outputDimension: Int? = nil) throws {
    self.model = model
    self.nativeDimension = nativeDimension
    self.supportsOutputDimension = supportsOutputDimension
    self.outputDimension = outputDimension
    if let d = outputDimension {
      guard supportsOutputDimension else {
        throw EmbeddingError.unsupportedOutputDimension(requested: d, native: nativeDimension, reason: "\(model) is not trained for truncation")
      }
      guard (EmbeddingLimits.minimumOutputDimension...nativeDimension).contains(d) else {
        throw EmbeddingError.unsupportedOutputDimension(
          requested: d, native: nativeDimension, reason: "must be in \(EmbeddingLimits.minimumOutputDimension)...\(nativeDimension)")
      }
    }
  }

  /// The dimension of the vectors produced.
  public var dimension: Int { outputDimension ?? nativeDimension }

  /// The embedding space (INV-1: every dimension is its own space).
  public var spaceKey: SpaceKey { SpaceKey(model: model, dimension: dimension) }

  /// The same model at another output dimension.
  public func with(outputDimension: Int?) throws -> ModelConfiguration {
    try ModelConfiguration(model: model, nativeDimension: nativeDimension, supportsOutputDimension: supportsOutputDimension,
                           outputDimension: outputDimension == nativeDimension ? nil : outputDimension)
  }

  public var description: String { spaceKey.description }
}
