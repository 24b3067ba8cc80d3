/// A lexical index's entry in the `lexicons` database (`docs/store-layout.md` §10): one per
/// tokenizer, keyed by the tokenizer's identity (`spm:<hash>`).
struct LexiconRecord: Equatable {
  static let recordVersion: UInt32 = 1

  /// Numbers the index's databases (`lex.<number>.postings`, …); from 1.
  var number: UInt32
  var bm25: BM25
  /// Live passages (N of BM25).
  var passages: UInt64 = 0
  /// The live passages' total length in tokens (N · avgdl).
  var totalLength: UInt64 = 0
  /// The number the next segment gets.
  var nextSegment: UInt32 = 1
  /// The model file whose tokenizer this is (to tokenise queries of spaces without a model of
  /// their own, e.g. external vectors); empty when unknown.
  var modelPath = ""

  init(number: UInt32, bm25: BM25, modelPath: String) {
    self.number = number
    self.bm25 = bm25
    self.modelPath = modelPath
  }

  /// Mean passage length (1 for an empty index, so that scores stay finite).
  var averageLength: Double { passages == 0 ? 1 : Double(totalLength) / Double(passages) }

  func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: 48)
    w.u32(Self.recordVersion)
    w.u32(number)
    w.u64(bm25.k1.bitPattern)
    w.u64(bm25.b.bitPattern)
    w.u64(passages)
    w.u64(totalLength)
    w.u32(nextSegment)
    let path = Array(modelPath.utf8)
    w.u32(UInt32(path.count))
    w.raw(path)
    return w.bytes
  }

  init(decoding bytes: UnsafeRawBufferPointer) throws {
    var r = ByteReader(bytes, what: "lexicon record", failure: StoreError.corruptRecord)
    let version = try r.u32()
    guard version == Self.recordVersion else { throw StoreError.corruptRecord("lexicon record version \(version)") }
    number = try r.u32()
    bm25 = BM25(k1: Double(bitPattern: try r.u64()), b: Double(bitPattern: try r.u64()))
    passages = try r.u64()
    totalLength = try r.u64()
    nextSegment = try r.u32()
    modelPath = try r.string(Int(try r.u32()))
  }
}

/// A segment's entry in `lex.<n>.segments`: the passages one ingest batch (or one merge) posted.
struct LexicalSegment: Equatable {
  /// The segment's number: its postings' key prefix, and its place in search order.
  var number: UInt32
  /// The smallest and largest passage key it holds.
  var firstPassage: UInt64
  var lastPassage: UInt64
  /// Passages posted (dead ones included until a merge drops them).
  var passages: UInt64
  /// 0 for a batch's segment; a merge of segments of level L makes one of level L + 1.
  var level: UInt8

  func encoded() -> [UInt8] {
    var w = ByteWriter(capacity: 28)
    w.u64(firstPassage)
    w.u64(lastPassage)
    w.u64(passages)
    w.u8(level)
    return w.bytes
  }

  init(number: UInt32, firstPassage: UInt64, lastPassage: UInt64, passages: UInt64, level: UInt8) {
    self.number = number
    self.firstPassage = firstPassage
    self.lastPassage = lastPassage
    self.passages = passages
    self.level = level
  }

  init(number: UInt32, decoding bytes: UnsafeRawBufferPointer) throws {
    var r = ByteReader(bytes, what: "lexical segment", failure: StoreError.corruptRecord)
    self.number = number
    firstPassage = try r.u64()
    lastPassage = try r.u64()
    passages = try r.u64()
    level = try r.u8()
  }
}
