/// A document's entry in the `docs` database: its text, metadata, where its passages' rows are,
/// and (store format 2) its number and the lexical indexes that hold its passages.
struct DocumentRecord {
  struct Rows: Equatable {
    var space: UInt32
    var first: UInt64
    var count: UInt32
  }

  var textHash: UInt64
  var text: [UInt8]
  var metadata: [UInt8]
  var rows: [Rows]
  /// The document's number (format 2): stable while its text is, never reused; the key of its
  /// passages in lexical indexes and of its entries in metadata indexes. nil in a format 1 record.
  var number: UInt64?
  /// The lexical indexes (``LexiconRecord/number``) that hold the document's passages.
  var lexicons: [UInt32] = []

  func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: 24 + text.count + metadata.count + 16 * rows.count)
    w.u64(textHash)
    w.u32(UInt32(text.count))
    w.u32(UInt32(metadata.count))
    w.u32(UInt32(rows.count))
    for r in rows { w.u32(r.space); w.u32(r.count); w.u64(r.first) }
    w.raw(text)
    w.raw(metadata)
    if let number {  // format 2: trailing fields after the metadata
      w.u64(number)
      w.u32(UInt32(lexicons.count))
      for l in lexicons { w.u32(l) }
    }
    return w.bytes
  }

  init(textHash: UInt64, text: [UInt8], metadata: [UInt8], rows: [Rows], number: UInt64?, lexicons: [UInt32] = []) {
    self.textHash = textHash
    self.text = text
    self.metadata = metadata
    self.rows = rows
    self.number = number
    self.lexicons = lexicons
  }

  init(decoding bytes: UnsafeRawBufferPointer) throws {
    var r = ByteReader(bytes, what: "document record", failure: StoreError.corruptRecord)
    textHash = try r.u64()
    let textLength = Int(try r.u32())
    let metadataLength = Int(try r.u32())
    let n = Int(try r.u32())
    rows = []
    for _ in 0..<n {
      let space = try r.u32()
      let count = try r.u32()
      rows.append(Rows(space: space, first: try r.u64(), count: count))
    }
    text = Array(try r.raw(textLength))
    metadata = Array(try r.raw(metadataLength))
    if r.remaining > 0 {
      number = try r.u64()
      lexicons = try (0..<Int(try r.u32())).map { _ in try r.u32() }
    }
  }
}

/// A document record read in place, for the query paths: the fixed header decoded, the text and
/// metadata left in the map (nothing copied). Valid only inside the transaction that lent `bytes`.
struct DocumentRecordView {
  private let bytes: UnsafeRawBufferPointer
  private let runCount: Int
  private let textOffset: Int
  /// The text's length in UTF-8 bytes.
  let textCount: Int
  /// The document's number (nil in a format 1 record).
  let number: UInt64?

  init(_ bytes: UnsafeRawBufferPointer) throws {
    var r = ByteReader(bytes, what: "document record", failure: StoreError.corruptRecord)
    _ = try r.u64()
    textCount = Int(try r.u32())
    let metadataCount = Int(try r.u32())
    runCount = Int(try r.u32())
    textOffset = 20 + 16 * runCount
    let end = textOffset + textCount + metadataCount
    guard bytes.count >= end else { throw StoreError.corruptRecord("document record of \(bytes.count) bytes, needs \(end)") }
    number = bytes.count >= end + 8 ? bytes.loadUnaligned(fromByteOffset: end, as: UInt64.self).littleEndian : nil
    self.bytes = bytes
  }

  /// The document's run of rows in space `space`, if it has one.
  func run(space: UInt32) -> DocumentRecord.Rows? {
    for i in 0..<runCount {
      let at = 20 + 16 * i
      if bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian == space {
        return DocumentRecord.Rows(space: space, first: bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self).littleEndian,
                                   count: bytes.loadUnaligned(fromByteOffset: at + 4, as: UInt32.self).littleEndian)
      }
    }
    return nil
  }

  /// The text's bytes `range` as a string.
  /// - Throws: ``StoreError/corruptRecord(_:)`` for a range past the text.
  func text(_ range: Range<Int>) throws -> String {
    guard range.lowerBound >= 0, range.upperBound <= textCount else { throw StoreError.corruptRecord("passage range") }
    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(textOffset + range.lowerBound)..<(textOffset + range.upperBound)]), as: UTF8.self)
  }
}
