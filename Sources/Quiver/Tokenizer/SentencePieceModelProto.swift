/// The parts of a SentencePiece `ModelProto` (sentencepiece_model.proto) that the native unigram
/// tokenizer needs, decoded from the serialized bytes with a minimal protobuf wire-format reader.
/// Fields not listed here are skipped.
struct SentencePieceModelProto {
  /// `ModelProto.SentencePiece.Type`.
  enum PieceType: UInt64 {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, byte = 6, unused = 5
  }

  struct Piece {
    var bytes: [UInt8] = []
    var score: Float = 0
    var type: PieceType = .normal
  }

  var pieces: [Piece] = []
  /// `TrainerSpec.model_type`: 1 unigram, 2 BPE, 3 word, 4 char.
  var modelType: UInt64 = 1
  var byteFallback = false
  var treatWhitespaceAsSuffix = false
  var unknownID: Int64 = 0
  /// `NormalizerSpec` fields.
  var precompiledCharsMap: [UInt8] = []
  var normalizationRuleTSV: [UInt8] = []
  var addDummyPrefix = true
  var removeExtraWhitespaces = true
  var escapeWhitespaces = true

  /// Decodes a serialized `ModelProto`.
  /// - Throws: ``SentencePieceError/invalidModel(reason:)`` on malformed wire data.
  init(bytes: UnsafeRawBufferPointer) throws {
    var reader = ProtobufReader(bytes)
    while let (field, wire) = try reader.nextTag() {
      switch (field, wire) {
      case (1, 2): pieces.append(try Self.piece(reader.lengthDelimited()))
      case (2, 2): try readTrainerSpec(reader.lengthDelimited())
      case (3, 2): try readNormalizerSpec(reader.lengthDelimited())
      default: try reader.skip(wire)
      }
    }
  }

  private static func piece(_ bytes: UnsafeRawBufferPointer) throws -> Piece {
    var reader = ProtobufReader(bytes)
    var piece = Piece()
    while let (field, wire) = try reader.nextTag() {
      switch (field, wire) {
      case (1, 2): piece.bytes = Array(try reader.lengthDelimited())
      case (2, 5): piece.score = Float(bitPattern: try reader.fixed32())
      case (3, 0):
        let raw = try reader.varint()
        guard let type = PieceType(rawValue: raw) else {
          throw SentencePieceError.invalidModel(reason: "unknown piece type \(raw)")
        }
        piece.type = type
      default: try reader.skip(wire)
      }
    }
    return piece
  }

  private mutating func readTrainerSpec(_ bytes: UnsafeRawBufferPointer) throws {
    var reader = ProtobufReader(bytes)
    while let (field, wire) = try reader.nextTag() {
      switch (field, wire) {
      case (3, 0): modelType = try reader.varint()
      case (24, 0): treatWhitespaceAsSuffix = try reader.varint() != 0
      case (35, 0): byteFallback = try reader.varint() != 0
      case (40, 0): unknownID = Int64(bitPattern: try reader.varint())
      default: try reader.skip(wire)
      }
    }
  }

  private mutating func readNormalizerSpec(_ bytes: UnsafeRawBufferPointer) throws {
    var reader = ProtobufReader(bytes)
    while let (field, wire) = try reader.nextTag() {
      switch (field, wire) {
      case (2, 2): precompiledCharsMap = Array(try reader.lengthDelimited())
      case (3, 0): addDummyPrefix = try reader.varint() != 0
      case (4, 0): removeExtraWhitespaces = try reader.varint() != 0
      case (5, 0): escapeWhitespaces = try reader.varint() != 0
      case (6, 2): normalizationRuleTSV = Array(try reader.lengthDelimited())
      default: try reader.skip(wire)
      }
    }
  }
}

/// Reads protobuf wire format (varint, 64-bit, length-delimited, 32-bit) from a byte buffer.
struct ProtobufReader {
  private let bytes: UnsafeRawBufferPointer
  private var position = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  private static func malformed(_ what: String) -> SentencePieceError {
    .invalidModel(reason: "malformed protobuf: \(what)")
  }

  /// The next (field number, wire type), or nil at the end of the buffer.
  mutating func nextTag() throws -> (UInt64, UInt64)? {
    guard position < bytes.count else { return nil }
    let tag = try varint()
    return (tag >> 3, tag & 7)
  }

  mutating func varint() throws -> UInt64 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < bytes.count, shift < 64 else { throw Self.malformed("varint") }
      let byte = bytes[position]
      position += 1
      value |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return value }
      shift += 7
    }
  }

  mutating func fixed32() throws -> UInt32 {
    guard bytes.count - position >= 4 else { throw Self.malformed("fixed32") }
    let value: UInt32 = LittleEndian.load(bytes, at: position)
    position += 4
    return value
  }

  mutating func lengthDelimited() throws -> UnsafeRawBufferPointer {
    let length = try varint()
    guard length <= UInt64(bytes.count - position) else { throw Self.malformed("length \(length)") }
    let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<position + Int(length)])
    position += Int(length)
    return slice
  }

  mutating func skip(_ wire: UInt64) throws {
    switch wire {
    case 0: _ = try varint()
    case 1:
      guard bytes.count - position >= 8 else { throw Self.malformed("fixed64") }
      position += 8
    case 2: _ = try lengthDelimited()
    case 5: _ = try fixed32()
    default: throw Self.malformed("wire type \(wire)")
    }
  }
}
