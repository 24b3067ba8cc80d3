/// A space's entry in the `spaces` database (layout in `docs/store-layout.md`).
struct SpaceRecord: Equatable {
  static let recordVersion: UInt32 = 1

  var key: SpaceKey
  /// Numbers the space's own databases (`space.<number>.vectors`, …).
  var number: UInt32
  var metric: Metric
  var elementType: ElementType = .float32
  /// Rows ever appended (the next row number).
  var rowCount: UInt64 = 0
  /// Rows not deleted.
  var liveCount: UInt64 = 0

  func encoded() -> [UInt8] {
    var w = ByteWriter()
    w.u32(Self.recordVersion)
    w.u32(number)
    w.u32(UInt32(key.dimension))
    w.u8(metric.rawValue)
    w.u8(elementType.rawValue)
    w.u16(0)
    w.u64(rowCount)
    w.u64(liveCount)
    let model = Array(key.model.utf8)
    w.u32(UInt32(model.count))
    w.raw(model)
    return w.bytes
  }

  init(key: SpaceKey, number: UInt32, metric: Metric, elementType: ElementType) {
    self.key = key
    self.number = number
    self.metric = metric
    self.elementType = elementType
  }

  init(decoding bytes: UnsafeRawBufferPointer) throws {
    var r = ByteReader(bytes, what: "space record", failure: StoreError.corruptRecord)
    let version = try r.u32()
    guard version == Self.recordVersion else { throw StoreError.corruptRecord("space record version \(version)") }
    number = try r.u32()
    let dimension = Int(try r.u32())
    guard let metric = Metric(rawValue: try r.u8()) else { throw StoreError.corruptRecord("unknown metric") }
    self.metric = metric
    let element = try r.u8()
    guard let elementType = ElementType(rawValue: element) else { throw StoreError.corruptRecord("unknown element type \(element)") }
    self.elementType = elementType
    _ = try r.u16()
    rowCount = try r.u64()
    liveCount = try r.u64()
    let model = try r.string(Int(try r.u32()))
    guard dimension > 0, !model.isEmpty, !model.contains("@") else { throw StoreError.corruptRecord("space key") }
    key = SpaceKey(model: model, dimension: dimension)
  }
}

/// A document's entry in the `docs` database: its text, metadata, and where its passages' rows are.
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

  func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: 24 + text.count + metadata.count + 16 * rows.count)
    w.u64(textHash)
    w.u32(UInt32(text.count))
    w.u32(UInt32(metadata.count))
    w.u32(UInt32(rows.count))
    for r in rows { w.u32(r.space); w.u32(r.count); w.u64(r.first) }
    w.raw(text)
    w.raw(metadata)
    return w.bytes
  }

  init(textHash: UInt64, text: [UInt8], metadata: [UInt8], rows: [Rows]) {
    self.textHash = textHash
    self.text = text
    self.metadata = metadata
    self.rows = rows
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
  }
}

/// A row's entry in `space.<n>.rows`: which passage of which document the vector is.
struct RowRecord {
  var deleted: Bool
  var passage: UInt32
  var utf8Range: Range<Int>
  var documentID: String

  func encoded() -> [UInt8] {
    var w = ByteWriter()
    w.u8(deleted ? 1 : 0); w.u8(0); w.u16(0)
    w.u32(passage)
    w.u32(UInt32(utf8Range.lowerBound))
    w.u32(UInt32(utf8Range.upperBound))
    w.raw(documentID.utf8)
    return w.bytes
  }

  init(deleted: Bool, passage: UInt32, utf8Range: Range<Int>, documentID: String) {
    self.deleted = deleted
    self.passage = passage
    self.utf8Range = utf8Range
    self.documentID = documentID
  }

  init(decoding bytes: UnsafeRawBufferPointer) throws {
    var r = ByteReader(bytes, what: "row record", failure: StoreError.corruptRecord)
    deleted = try r.u8() & 1 != 0
    _ = try r.u8(); _ = try r.u16()
    passage = try r.u32()
    let start = Int(try r.u32())
    let end = Int(try r.u32())
    guard start <= end else { throw StoreError.corruptRecord("row range") }
    utf8Range = start..<end
    documentID = try r.string(bytes.count - 16)
  }
}
