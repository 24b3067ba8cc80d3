/// A space's entry in the `spaces` database (layout in `docs/store-layout.md`).
struct SpaceRecord: Equatable {
  /// Version 2 (store format 2) added the model file path and the lexical index; version 1
  /// records (format 1 stores) still decode, with neither.
  static let recordVersion: UInt32 = 2

  var key: SpaceKey
  /// Numbers the space's own databases (`space.<number>.vectors`, …).
  var number: UInt32
  var metric: Metric
  var elementType: ElementType = .float32
  /// Rows ever appended (the next row number).
  var rowCount: UInt64 = 0
  /// Rows not deleted.
  var liveCount: UInt64 = 0
  /// The model file the space's vectors were last made with (empty: unknown, or an external model).
  var modelPath = ""
  /// The number of the lexical index (``LexiconRecord``) of the tokenizer that indexes this space's
  /// documents; 0: none.
  var lexicon: UInt32 = 0
  /// Compactions that renumbered the rows (a graph of another generation is rebuilt). Trailing, so
  /// records written before it read 0.
  var layout: UInt64 = 0

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
    let path = Array(modelPath.utf8)
    w.u32(UInt32(path.count))
    w.raw(path)
    w.u32(lexicon)
    w.u64(layout)
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
    guard version == 1 || version == Self.recordVersion else { throw StoreError.corruptRecord("space record version \(version)") }
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
    if version >= 2 {
      modelPath = try r.string(Int(try r.u32()))
      lexicon = try r.u32()
      if r.remaining >= 8 { layout = try r.u64() }
    }
  }
}
