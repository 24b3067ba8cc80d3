/// An embedding service that tokenises with a ``LexicalTokenizer`` and can hand back the ids it
/// embedded from, so that an ingest feeds the lexical index without tokenising twice.
public protocol TokenizingEmbeddingService: EmbeddingService, LexicalTokenizer {
  /// ``EmbeddingService/embedRows(_:configuration:)``, and each text's token ids into `tokenIDs`.
  func embedRows(_ texts: [String], configuration: ModelConfiguration, tokenIDs: inout [[Int32]]) throws -> [Float]
}

extension StaticModel: TokenizingEmbeddingService {
  public func embedRows(_ texts: [String], configuration: ModelConfiguration, tokenIDs: inout [[Int32]]) throws -> [Float] {
    try check(texts, configuration)
    return try embed(batch: texts, outputDimension: configuration.dimension, tokenIDs: &tokenIDs)
  }
}

extension StaticEmbeddingService: TokenizingEmbeddingService {
  public var tokenizerIdentity: String { get throws { try model().tokenizerIdentity } }

  public var modelFilePath: String { path }

  public func tokenIDs(_ texts: [String]) throws -> [[Int32]] { try model().tokenIDs(texts) }

  public func embedRows(_ texts: [String], configuration: ModelConfiguration, tokenIDs: inout [[Int32]]) throws -> [Float] {
    try model().embedRows(texts, configuration: configuration, tokenIDs: &tokenIDs)
  }
}
