import CXXHash

/// A validated, memory-mapped Quiver model file (docs/model-format.md).
///
/// Opening maps the file and checks, in order: size, magic, version, header checksum, header fields,
/// the section table (kinds, element types, bounds, alignment, one of each required kind, lengths
/// that fit the header), then — unless told to skip it — every section's checksum and the content
/// hash. Nothing is copied into the heap: the typed views below point into the map.
public final class ModelFile: @unchecked Sendable {
  /// One entry of the section table.
  public struct Section: Sendable {
    public let kind: ModelFormat.SectionKind
    public let elementType: ModelFormat.ElementType
    public let offset: Int
    public let length: Int
    public let checksum: UInt64
  }

  /// How much of the file to verify at open.
  public enum Verification: Sendable {
    /// Header checksum, structure, every section checksum and the content hash (default).
    case full
    /// Header checksum and structure only: for callers that verified the file before.
    case structure
  }

  /// The file's path.
  public let path: String
  /// The format version the file declares.
  public let version: UInt32
  /// Number of pieces in the vocabulary.
  public let vocabularySize: Int
  /// The native dimension of token (and sentence) vectors.
  public let dimension: Int
  /// PQ sub-spaces (0 for an unquantised model).
  public let subspaceCount: Int
  /// Centroids per sub-space (256 for PQ, 0 for an unquantised model).
  public let centroidCount: Int
  /// Header flags.
  public let flags: ModelFormat.Flags
  /// The aggregator the model was trained for.
  public let aggregator: ModelFormat.AggregatorKind
  /// XXH3-128 of every byte after the header: the model's identity in space keys.
  public let contentHash: (low: UInt64, high: UInt64)
  /// The section table, in file order.
  public let sections: [Section]
  /// Whether section checksums and the content hash were verified at open.
  public let isVerified: Bool

  let file: MappedFile

  /// Maps and validates the model file at `path`.
  /// - Throws: ``ModelFileError`` naming the first problem found.
  public init(path: String, verification: Verification = .full) throws {
    let file = try MappedFile(path: path) { ModelFileError.unreadable(path: $0, errno: $1) }
    let bytes = file.bytes
    let header = ModelFormat.headerSize
    guard bytes.count >= header else { throw ModelFileError.truncated(expected: header, actual: bytes.count) }
    guard bytes.prefix(8).elementsEqual(ModelFormat.magic) else { throw ModelFileError.badMagic }
    func u32(_ at: Int) -> UInt32 { LittleEndian.load(bytes, at: at) }
    func u64(_ at: Int) -> UInt64 { LittleEndian.load(bytes, at: at) }

    let version = u32(8)
    guard version == ModelFormat.version else { throw ModelFileError.unsupportedVersion(version) }
    guard XXH3_64bits(bytes.baseAddress, 120) == u64(120) else { throw ModelFileError.headerChecksumMismatch }
    guard u32(12) == UInt32(header) else { throw ModelFileError.invalidHeader("header size \(u32(12))") }
    // A size past Int.max would trap in the conversion (a crafted header's checksum can be right).
    guard let declaredSize = Int(exactly: u64(64)) else { throw ModelFileError.invalidHeader("declared size \(u64(64))") }
    guard bytes.count >= declaredSize else { throw ModelFileError.truncated(expected: declaredSize, actual: bytes.count) }
    guard bytes.count == declaredSize else { throw ModelFileError.invalidHeader("file has \(bytes.count) bytes, header says \(declaredSize)") }

    let vocabulary = Int(u32(16))
    let dimension = Int(u32(20))
    let m = Int(u32(24))
    let k = Int(u32(28))
    let flags = ModelFormat.Flags(rawValue: u32(32))
    guard vocabulary > 0 else { throw ModelFileError.invalidHeader("empty vocabulary") }
    guard dimension > 0, dimension <= 65_536 else { throw ModelFileError.invalidHeader("dimension \(dimension)") }
    guard ModelFormat.Flags.known.isSuperset(of: flags) else { throw ModelFileError.invalidHeader("unknown flags \(flags.rawValue)") }
    guard let aggregator = ModelFormat.AggregatorKind(rawValue: u32(36)) else {
      throw ModelFileError.invalidHeader("unknown aggregator \(u32(36))")
    }
    if m != 0 {
      guard k == 256, dimension % m == 0 else { throw ModelFileError.invalidHeader("PQ M=\(m) K=\(k) for dimension \(dimension)") }
    } else {
      guard k == 0 else { throw ModelFileError.invalidHeader("K=\(k) without PQ") }
    }
    let count = Int(u32(40))
    guard count > 0, count <= 64 else { throw ModelFileError.invalidHeader("section count \(count)") }
    let tableEnd = header + count * ModelFormat.entrySize
    guard tableEnd <= bytes.count else { throw ModelFileError.truncated(expected: tableEnd, actual: bytes.count) }

    var sections: [Section] = []
    for i in 0..<count {
      let at = header + i * ModelFormat.entrySize
      let rawKind = u32(at)
      guard let kind = ModelFormat.SectionKind(rawValue: rawKind),
        let type = ModelFormat.ElementType(rawValue: u32(at + 4))
      else { throw ModelFileError.unknownSection(kind: rawKind) }
      let offset = u64(at + 8)
      let length = u64(at + 16)
      guard offset >= UInt64(tableEnd), offset % UInt64(ModelFormat.alignment) == 0,
        length <= UInt64(bytes.count), offset <= UInt64(bytes.count) - length
      else { throw ModelFileError.sectionOutOfBounds(kind: rawKind) }
      sections.append(Section(kind: kind, elementType: type, offset: Int(offset), length: Int(length), checksum: u64(at + 24)))
    }

    func one(_ kind: ModelFormat.SectionKind) throws -> Section {
      let found = sections.filter { $0.kind == kind }
      guard found.count == 1 else { throw ModelFileError.missingSection(kind.description) }
      return found[0]
    }
    func expect(_ s: Section, _ elements: Int, _ types: [ModelFormat.ElementType]) throws {
      guard types.contains(s.elementType) else { throw ModelFileError.unknownSection(kind: s.kind.rawValue) }
      let expected = elements * s.elementType.size
      guard s.length == expected else {
        throw ModelFileError.sectionSizeMismatch(kind: s.kind.description, expected: expected, actual: s.length)
      }
    }
    if m != 0 {
      try expect(try one(.codebook), m * k * (dimension / m), [.float32])
      try expect(try one(.codes), vocabulary * m, [.bytes])
      guard !sections.contains(where: { $0.kind == .embeddings }) else { throw ModelFileError.invalidHeader("PQ model with an embeddings section") }
    } else {
      try expect(try one(.embeddings), vocabulary * dimension, [.float32, .float16])
    }
    try expect(try one(.weights), vocabulary, [.float32])
    try expect(try one(.tokenMeta), vocabulary, [.bytes])
    _ = try one(.aggregator)
    _ = try one(.tokenizer)
    _ = try one(.metadata)

    if verification == .full {
      for s in sections {
        let sum = XXH3_64bits(bytes.baseAddress! + s.offset, s.length)
        guard sum == s.checksum else { throw ModelFileError.sectionChecksumMismatch(kind: s.kind.description) }
      }
      let content = XXH3_128bits(bytes.baseAddress! + header, bytes.count - header)
      guard content.low64 == u64(48), content.high64 == u64(56) else { throw ModelFileError.contentHashMismatch }
    }

    self.file = file
    self.path = path
    self.version = version
    self.vocabularySize = vocabulary
    self.dimension = dimension
    self.subspaceCount = m
    self.centroidCount = k
    self.flags = flags
    self.aggregator = aggregator
    self.contentHash = (u64(48), u64(56))
    self.sections = sections
    self.isVerified = verification == .full
  }

  /// The size of the file in bytes.
  public var fileSize: Int { file.bytes.count }

  /// Whether the model's vectors are product-quantised.
  public var isQuantized: Bool { subspaceCount > 0 }

  /// The content hash as 32 lowercase hex digits (high 64 bits first).
  public var contentHashHex: String { Self.hex(contentHash.high) + Self.hex(contentHash.low) }
  /// The model's identity in a store (a space's model key): `qvm:` and the content hash.
  public var identity: String { "qvm:" + contentHashHex }

  /// `v` as 16 lowercase hex digits.
  static func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }

  /// The bytes of the section of `kind` (zero-copy; valid while this object lives).
  public func bytes(of kind: ModelFormat.SectionKind) -> UnsafeRawBufferPointer? {
    guard let s = sections.first(where: { $0.kind == kind }) else { return nil }
    return UnsafeRawBufferPointer(rebasing: file.bytes[s.offset..<(s.offset + s.length)])
  }

  /// The section entry of `kind`.
  public func section(_ kind: ModelFormat.SectionKind) -> Section? {
    sections.first { $0.kind == kind }
  }

  /// The metadata section as a UTF-8 string (JSON).
  public var metadataJSON: String {
    bytes(of: .metadata).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}
