/// Constants of the model file format (docs/model-format.md is the specification).
public enum ModelFormat {
  /// The first 8 bytes of every model file.
  public static let magic: [UInt8] = Array("QUIVERMD".utf8)
  /// The format version this reader understands.
  public static let version: UInt32 = 1
  /// Size of the fixed header in bytes.
  public static let headerSize = 128
  /// Size of one section-table entry in bytes.
  public static let entrySize = 32
  /// Alignment of every section's offset.
  public static let alignment = 64

  /// Header flag bits.
  public struct Flags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The leading k dimensions of a vector are a valid k-d embedding (MRL-style truncation).
    public static let truncatable = Flags(rawValue: 1)
    /// Every flag this reader understands.
    public static let known: Flags = [.truncatable]
  }

  /// What a section holds.
  public enum SectionKind: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case codebook = 1, codes, embeddings, weights, tokenMeta, aggregator, tokenizer, metadata

    public var description: String {
      switch self {
      case .codebook: "codebook"
      case .codes: "codes"
      case .embeddings: "embeddings"
      case .weights: "weights"
      case .tokenMeta: "token_meta"
      case .aggregator: "aggregator"
      case .tokenizer: "tokenizer"
      case .metadata: "metadata"
      }
    }
  }

  /// The type of a section's elements.
  public enum ElementType: UInt32, Sendable, CustomStringConvertible {
    case bytes = 0, float32, float16

    /// Bytes per element.
    public var size: Int { self == .float32 ? 4 : self == .float16 ? 2 : 1 }
    public var description: String { self == .float32 ? "f32" : self == .float16 ? "f16" : "u8" }
  }

  /// How token vectors are combined into a sentence vector.
  public enum AggregatorKind: UInt32, Sendable, CustomStringConvertible {
    case mean = 0, fusion, stateful
    public var description: String { self == .mean ? "mean" : self == .fusion ? "fusion" : "stateful" }
  }
}
