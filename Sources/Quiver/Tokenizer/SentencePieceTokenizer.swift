import CSentencePiece

/// A loaded SentencePiece model: text in, token ids out.
///
/// Immutable after loading, so one instance may encode from many threads at once.
public final class SentencePieceTokenizer: @unchecked Sendable {
  private let handle: OpaquePointer

  /// The number of pieces in the vocabulary; ids are `0..<vocabularySize`.
  public let vocabularySize: Int
  /// The id of the unknown piece, if the model has one.
  public let unknownID: Int32?
  /// The id of the beginning-of-sentence piece, if the model has one.
  public let bosID: Int32?
  /// The id of the end-of-sentence piece, if the model has one.
  public let eosID: Int32?
  /// The id of the padding piece, if the model has one.
  public let padID: Int32?

  /// Loads the `.model` file at `path`.
  /// - Throws: ``SentencePieceError/fileNotFound(path:)`` or ``SentencePieceError/invalidModel(reason:)``.
  public convenience init(contentsOf path: String) throws {
    let handle = try Self.load(path: path) { message, capacity in
      var out: OpaquePointer?
      let status = qsp_load_file(path, &out, message, capacity)
      return (status, out)
    }
    self.init(handle: handle)
  }

  /// Loads a model from the bytes of a `.model` file (for example a section of a Quiver model).
  /// The bytes are copied; the buffer may be released afterwards.
  public convenience init(bytes: UnsafeRawBufferPointer) throws {
    let handle = try Self.load(path: "<bytes>") { message, capacity in
      var out: OpaquePointer?
      let status = qsp_load_bytes(bytes.baseAddress, bytes.count, &out, message, capacity)
      return (status, out)
    }
    self.init(handle: handle)
  }

  private init(handle: OpaquePointer) {
    self.handle = handle
    vocabularySize = Int(qsp_vocab_size(handle))
    func id(_ raw: Int32) -> Int32? { raw >= 0 ? raw : nil }
    unknownID = id(qsp_unk_id(handle))
    bosID = id(qsp_bos_id(handle))
    eosID = id(qsp_eos_id(handle))
    padID = id(qsp_pad_id(handle))
  }

  deinit { qsp_free(handle) }

  /// Encodes UTF-8 `text` into `ids`, returning how many ids the text has. When the count exceeds
  /// `ids.count`, only the first `ids.count` are written and the caller may retry with more room.
  /// No Swift allocation happens here.
  public func encode(utf8 text: UnsafeRawBufferPointer, into ids: UnsafeMutableBufferPointer<Int32>) throws -> Int {
    var count = 0
    let status = qsp_encode(
      handle, text.baseAddress?.assumingMemoryBound(to: CChar.self), text.count,
      ids.baseAddress, ids.count, &count)
    try Self.check(status)
    return count
  }

  /// Encodes `text`, reusing `ids`' storage (its contents are replaced by the text's ids).
  public func encode(_ text: String, into ids: inout [Int32]) throws {
    var text = text
    try text.withUTF8 { utf8 in
      let raw = UnsafeRawBufferPointer(utf8)
      let room = max(ids.capacity, 32)
      if ids.count < room { ids.append(contentsOf: repeatElement(0, count: room - ids.count)) }
      var count = try ids.withUnsafeMutableBufferPointer { try encode(utf8: raw, into: $0) }
      if count > ids.count {
        ids.append(contentsOf: repeatElement(0, count: count - ids.count))
        count = try ids.withUnsafeMutableBufferPointer { try encode(utf8: raw, into: $0) }
      }
      ids.removeLast(ids.count - count)
    }
  }

  /// The ids of `text`.
  public func encode(_ text: String) throws -> [Int32] {
    var ids: [Int32] = []
    try encode(text, into: &ids)
    return ids
  }

  /// The piece (surface string, with `▁` for a word boundary) of `id`, or `nil` outside the vocabulary.
  public func piece(for id: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 64)
    var length = qsp_id_to_piece(handle, id, &buffer, buffer.count)
    if length == 0 { return nil }
    if length > buffer.count {
      buffer = [CChar](repeating: 0, count: length)
      length = qsp_id_to_piece(handle, id, &buffer, buffer.count)
    }
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// The pieces of `ids`; ids outside the vocabulary give `nil`.
  public func pieces(for ids: [Int32]) -> [String?] {
    ids.map { piece(for: $0) }
  }

  /// The piece's score (its log probability in a unigram model).
  public func score(for id: Int32) -> Float {
    qsp_piece_score(handle, id)
  }

  // MARK: - Private

  private static func load(
    path: String, _ call: (UnsafeMutablePointer<CChar>, Int) -> (qsp_status, OpaquePointer?)
  ) throws -> OpaquePointer {
    var message = [CChar](repeating: 0, count: 512)
    let (status, handle) = message.withUnsafeMutableBufferPointer { call($0.baseAddress!, $0.count) }
    let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    switch status {
    case QSP_OK:
      guard let handle else { throw SentencePieceError.internalError("no processor returned") }
      return handle
    case QSP_NOT_FOUND: throw SentencePieceError.fileNotFound(path: path)
    case QSP_INVALID_MODEL: throw SentencePieceError.invalidModel(reason: text)
    case QSP_OUT_OF_MEMORY: throw SentencePieceError.outOfMemory
    default: throw SentencePieceError.internalError(text)
    }
  }

  private static func check(_ status: qsp_status) throws {
    switch status {
    case QSP_OK: return
    case QSP_ENCODE_FAILED: throw SentencePieceError.encodingFailed
    case QSP_OUT_OF_MEMORY: throw SentencePieceError.outOfMemory
    default: throw SentencePieceError.internalError("encode failed with status \(status.rawValue)")
    }
  }
}
