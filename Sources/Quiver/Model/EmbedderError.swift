/// Why a static model could not be opened for embedding, or an embedding could not be made.
public enum EmbedderError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The requested output dimension is not available from this model.
  case unsupportedDimension(requested: Int, native: Int, reason: String)

  public var description: String {
    switch self {
    case .unsupportedDimension(let requested, let native, let reason):
      "output dimension \(requested) is not supported by this model (native \(native)): \(reason)"
    }
  }
}
