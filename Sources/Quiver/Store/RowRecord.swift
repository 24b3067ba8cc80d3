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
