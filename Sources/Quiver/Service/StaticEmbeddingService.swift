import Synchronization

/// A mapped static model is an embedding service itself: ingest, search and the caches take it
/// like any other model.
extension StaticModel: EmbeddingService {
  public var name: String { "static(\(file.path))" }

  public func modelConfiguration() throws -> ModelConfiguration { configuration }

  public func supports(_ other: ModelConfiguration) -> Bool { other.model == identity }

  /// Also checks that a PQ model is cut at a whole number of sub-spaces.
  public func configuration(dimension: Int?) throws -> ModelConfiguration {
    try validate(outputDimension: dimension ?? self.dimension)
    return try configuration.with(outputDimension: dimension)
  }

  public func embed(_ texts: [String], configuration: ModelConfiguration) throws -> [[Float]] {
    let flat = try embedRows(texts, configuration: configuration)
    let d = configuration.dimension
    return (0..<texts.count).map { Array(flat[($0 * d)..<(($0 + 1) * d)]) }
  }

  /// Rows straight from the batch embedder (both cores for large batches), no per-text arrays.
  public func embedRows(_ texts: [String], configuration: ModelConfiguration) throws -> [Float] {
    try check(texts, configuration)
    return try embed(batch: texts, outputDimension: configuration.dimension)
  }

  /// As ``embedRows(_:configuration:)``, with each text's lexical token ids from the same
  /// tokenisation pass (``embedWithLexicalIDs(batch:outputDimension:threads:parallelThreshold:)``).
  public func embedRowsWithLexicalIDs(_ texts: [String], configuration: ModelConfiguration) throws
    -> (rows: [Float], lexicalIDs: [[Int32]])
  {
    try check(texts, configuration)
    return try embedWithLexicalIDs(batch: texts, outputDimension: configuration.dimension)
  }

  /// The token ids' little-endian bytes: texts that tokenise alike share a disk-cache entry.
  public func cacheIdentity(of text: String) throws -> [UInt8] {
    var ids: [Int32] = []
    try tokenize(text, scratch: UnigramTokenizer.Scratch(), into: &ids)
    return ids.withUnsafeBytes { Array($0) }
  }
}

/// The built-in static model behind ``EmbeddingService``, mapped lazily: the model file is mapped
/// once per service, on first use, safely under concurrent first use (INV-4); ``loadCount`` says
/// how often.
public final class StaticEmbeddingService: EmbeddingService {
  public let path: String
  private let state = Locked<StaticModel?>(nil)
  private let loads = Atomic<Int>(0)

  public init(path: String) { self.path = path }

  public var name: String { "static(\(path))" }

  /// How many times the model file was mapped (1 after first use, forever).
  public var loadCount: Int { loads.load(ordering: .relaxed) }

  /// The model, mapped on first call.
  public func model() throws -> StaticModel {
    try state.withLock { model in
      if let model { return model }
      let loaded = try StaticModel(path: path)
      loads.wrappingAdd(1, ordering: .relaxed)
      model = loaded
      return loaded
    }
  }

  public func modelConfiguration() throws -> ModelConfiguration { try model().configuration }

  public func configuration(dimension: Int?) throws -> ModelConfiguration { try model().configuration(dimension: dimension) }

  public func supports(_ configuration: ModelConfiguration) -> Bool { (try? model().supports(configuration)) ?? false }

  public func embed(_ texts: [String], configuration: ModelConfiguration) throws -> [[Float]] {
    try model().embed(texts, configuration: configuration)
  }

  public func embedRows(_ texts: [String], configuration: ModelConfiguration) throws -> [Float] {
    try model().embedRows(texts, configuration: configuration)
  }

  public func cacheIdentity(of text: String) throws -> [UInt8] { try model().cacheIdentity(of: text) }
}

/// A model that runs elsewhere, behind a function (an HTTP client, a Python process, or — in the
/// benchmark — a simulated model with a fixed cost per text).
public final class FunctionEmbeddingService: EmbeddingService {
  public let name: String
  private let configuration: ModelConfiguration
  private let function: @Sendable ([String], Int) throws -> [[Float]]

  /// - Parameter function: embeds texts at a dimension.
  public init(model: String, dimension: Int, supportsOutputDimension: Bool = false,
              function: @escaping @Sendable ([String], Int) throws -> [[Float]]) throws {
    name = "external(\(model))"
    configuration = try ModelConfiguration(model: model, nativeDimension: dimension, supportsOutputDimension: supportsOutputDimension)
    self.function = function
  }

  public func modelConfiguration() throws -> ModelConfiguration { configuration }

  public func supports(_ other: ModelConfiguration) -> Bool { other.model == configuration.model }

  public func embed(_ texts: [String], configuration: ModelConfiguration) throws -> [[Float]] {
    try check(texts, configuration)
    return try function(texts, configuration.dimension)
  }
}

extension StaticEmbeddingService: LexicalTokenizer {
  public var tokenizerIdentity: String { get throws { try model().tokenizerIdentity } }

  public var modelFilePath: String { path }

  public func lexicalTokenIDs(_ texts: [String]) throws -> [[Int32]] { try model().lexicalTokenIDs(texts) }
}
