import Synchronization

/// The built-in static models behind ``EmbeddingService``. The model file is mapped once per
/// service, on first use, safely under concurrent first use (INV-4); ``loadCount`` says how often.
public final class StaticEmbeddingService: EmbeddingService {
  public let path: String
  private let state = Mutex<StaticModel?>(nil)
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

  public func modelConfiguration() throws -> ModelConfiguration {
    let m = try model()
    return try ModelConfiguration(model: "qvm:" + m.file.contentHashHex, nativeDimension: m.dimension,
                                  supportsOutputDimension: m.file.flags.contains(.truncatable))
  }

  public func supports(_ configuration: ModelConfiguration) -> Bool {
    (try? modelConfiguration().model == configuration.model) ?? false
  }

  public func embed(_ texts: [String], configuration: ModelConfiguration) throws -> [[Float]] {
    try check(texts, configuration)
    let m = try model()
    let d = configuration.dimension
    let flat = try m.embed(batch: texts, outputDimension: d)
    return (0..<texts.count).map { Array(flat[($0 * d)..<(($0 + 1) * d)]) }
  }

  /// The token ids' little-endian bytes: texts that tokenise alike share a disk-cache entry.
  public func cacheIdentity(of text: String) throws -> [UInt8] {
    let m = try model()
    var ids: [Int32] = []
    if let native = m.nativeTokenizer {
      native.encode(text, scratch: UnigramTokenizer.Scratch(), into: &ids)
    } else {
      try m.tokenizer.encode(text, into: &ids)
    }
    return ids.withUnsafeBytes { Array($0) }
  }
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
