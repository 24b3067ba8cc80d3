/// A store's lexical index for one tokenizer (`docs/store-layout.md` §10–11): BM25 over the token
/// ids that the tokenizer gives the store's passages, written in the same write transaction as the
/// documents whose passages it posts.
///
/// Postings are written as immutable *segments*, one per ingest batch: the batch's postings of each
/// token under the key (segment, token), so an ingest appends and never rewrites a list. The tail
/// segments are merged, eight of one level into one of the next (a log-structured merge), which
/// keeps a term's lists few (≈ 8 per level) and drops the postings of deleted passages. A deleted
/// passage's record is removed at once and its key kept in `dead` (searches skip it) until the merge
/// that drops its postings; `deadterms` counts, per token, the dead postings still in segments, so
/// that document frequencies stay exact.
///
/// Passage keys: document number << 20 | passage index (``passageKey(document:passage:)``).
struct LexicalIndex {
  /// Segments of one level merged at once.
  static let mergeFanIn = 8
  /// Bytes of old lists a merge copies out of the map at a time (a chunk of tokens), by default.
  static let mergeChunkBytes = 16 << 20
  /// Passages a document can have in the index.
  static let passagesPerDocument = 1 << 20

  let number: UInt32
  let postings: LMDBDatabase
  let passages: LMDBDatabase
  let segments: LMDBDatabase
  let dead: LMDBDatabase
  let deadTerms: LMDBDatabase
  /// This index's merges' chunk size (``mergeChunkBytes``, or smaller in tests).
  let chunkBytes: Int

  /// The names of lexicon `number`'s databases.
  static func databaseNames(_ number: UInt32) -> [String] {
    ["postings", "passages", "segments", "dead", "deadterms"].map { "lex.\(number).\($0)" }
  }

  /// Opens (with `create`, creates) lexicon `number`'s databases in `txn`.
  init(number: UInt32, _ txn: LMDBTransaction, create: Bool = false, mergeChunkBytes: Int = Self.mergeChunkBytes) throws {
    precondition(mergeChunkBytes > 0, "a merge chunk of \(mergeChunkBytes) bytes")
    self.number = number
    chunkBytes = mergeChunkBytes
    let names = Self.databaseNames(number)
    let flags: LMDBDatabase.Flags = create ? .create : []
    postings = try txn.openDatabase(named: names[0], flags: flags)
    passages = try txn.openDatabase(named: names[1], flags: flags)
    segments = try txn.openDatabase(named: names[2], flags: flags)
    dead = try txn.openDatabase(named: names[3], flags: flags)
    deadTerms = try txn.openDatabase(named: names[4], flags: flags)
  }

  static func passageKey(document: UInt64, passage: Int) -> UInt64 {
    precondition(passage < passagesPerDocument, "passage \(passage) beyond \(passagesPerDocument)")
    return document << 20 | UInt64(passage)
  }

  static func document(ofPassage key: UInt64) -> UInt64 { key >> 20 }

  // MARK: Writing

  /// A passage of a ``LexicalBatch`` that is not to be posted (its document is unchanged, say).
  static let notPosted = UInt64.max

  /// Posts `batch`'s passages under `keys` (one per passage, ``notPosted`` to leave one out; the
  /// others distinct, none posted before) as one segment, and merges the tail segments. Passages
  /// without tokens are not posted.
  func add(_ batch: LexicalBatch, keys: [UInt64], record: inout LexiconRecord, _ txn: LMDBTransaction) throws {
    precondition(keys.count == batch.count, "\(keys.count) keys for \(batch.count) passages")
    // The passages to post, in key order: batch order when their keys rise along it (documents
    // are numbered as they come), else sorted (a document that kept an older number).
    var posted = keys.indices.filter { keys[$0] != Self.notPosted && batch.lengths[$0] > 0 }
    let ordered = zip(posted, posted.dropFirst()).allSatisfy { keys[$0] < keys[$1] }
    if !ordered { posted.sort { keys[$0] < keys[$1] } }
    guard let firstOrdinal = posted.first, let lastOrdinal = posted.last else { return }
    for o in posted {
      try batch.record(o).withUnsafeBytes { try txn.put(passages, key: BigEndianKey(keys[o]), value: $0) }
      record.passages += 1
      record.totalLength += UInt64(batch.lengths[o])
    }
    let segment = LexicalSegment(number: record.nextSegment, firstPassage: keys[firstOrdinal], lastPassage: keys[lastOrdinal],
                                 passages: UInt64(posted.count), level: 0)
    record.nextSegment += 1
    // Its lists, token by token: the newest segment's keys follow every key in the database, so
    // each is appended (`MDB_APPEND`) in token order, encoded straight into LMDB's reserved value.
    var encoder = PostingsList.Encoder()
    for (i, token) in batch.tokens.enumerated() {
      encoder.removeAll()
      for k in batch.list(i) {
        let o = Int(batch.ordinals[k])
        let key = keys[o]
        guard key != Self.notPosted else { continue }
        encoder.entries.append(PostingsList.Entry(passage: key, tf: batch.tfs[k], length: batch.lengths[o]))
      }
      guard !encoder.entries.isEmpty else { continue }
      if !ordered { encoder.entries.sort { $0.passage < $1.passage } }
      try put(&encoder, segment: segment.number, token: token, txn)
    }
    try txn.put(segments, key: Self.segmentKey(segment.number), value: segment.encoded())
    try mergeTail(record: &record, txn)
  }

  /// Encodes `encoder`'s list and appends it as (`segment`, `token`)'s.
  private func put(_ encoder: inout PostingsList.Encoder, segment: UInt32, token: Int32, _ txn: LMDBTransaction) throws {
    let size = encoder.prepare()
    encoder.write(into: try txn.reserve(postings, key: Self.listKey(segment, token), count: size, flags: .append))
  }

  /// Removes every passage of document `document`: records deleted, keys marked dead, statistics
  /// updated. Returns how many passages it had.
  @discardableResult
  func remove(document: UInt64, record: inout LexiconRecord, _ txn: LMDBTransaction) throws -> Int {
    let lower = BigEndianKey(Self.passageKey(document: document, passage: 0))
    let upper = BigEndianKey(Self.passageKey(document: document + 1, passage: 0))
    var found: [(key: UInt64, length: UInt32, tokens: [Int32])] = []
    try txn.withCursor(passages) { cursor in
      try cursor.forEach(from: lower, to: upper) { entry in
        guard let key = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("passage key") }
        let p = try Self.decodePassage(entry.value)
        found.append((key, p.length, p.terms.map(\.token)))
        return true
      }
    }
    for p in found {
      try txn.delete(passages, key: BigEndianKey(p.key))
      try txn.put(dead, key: BigEndianKey(p.key), value: [UInt8]())
      for token in p.tokens { try addDeadTerms(token, 1, txn) }
      record.passages -= 1
      record.totalLength -= UInt64(p.length)
    }
    return found.count
  }

  /// Merges every segment into one (dropping all dead postings): the lexical part of compaction.
  func mergeAll(record: inout LexiconRecord, _ txn: LMDBTransaction) throws {
    let all = try allSegments(txn)
    let deadCount = try txn.count(dead)
    guard all.count > 1 || deadCount > 0, !all.isEmpty else { return }
    try merge(all, level: (all.map(\.level).max() ?? 0) + 1, record: &record, txn)
  }

  /// While the last `mergeFanIn` segments share a level, merges them into one of the next level.
  private func mergeTail(record: inout LexiconRecord, _ txn: LMDBTransaction) throws {
    while true {
      let all = try allSegments(txn)
      guard let level = all.last?.level else { return }
      let run = all.reversed().prefix { $0.level == level }
      guard run.count >= Self.mergeFanIn else { return }
      try merge(Array(run.reversed()), level: level + 1, record: &record, txn)
    }
  }

  /// Replaces `old` (consecutive segments) by one segment of `level`: their lists concatenated in
  /// key order per token, dead passages' postings dropped (and those passages forgotten). The old
  /// lists are first copied out of the map, one cursor walk a segment (the writes below may move
  /// the pages they sit on), then merged token by token.
  private func merge(_ old: [LexicalSegment], level: UInt8, record: inout LexiconRecord, _ txn: LMDBTransaction) throws {
    let deadKeys = try deadSet(txn)
    let ordered = zip(old, old.dropFirst()).allSatisfy { $0.lastPassage < $1.firstPassage }
    let number = record.nextSegment
    record.nextSegment += 1
    var dropped: [Int32: UInt32] = [:]
    var droppedPassages = Set<UInt64>()
    // In chunks of tokens: each old segment's lists of the chunk's tokens are copied out of the
    // map, one cursor walk a segment (the writes that follow may move the pages they sit on), then
    // merged token by token and written. A chunk ends where the copies pass `chunkBytes`
    // (at least one token a chunk), so memory stays bounded however large the segments.
    var encoder = PostingsList.Encoder()
    var written = false
    var copied: [UInt8] = []
    var resume: Int32 = 0
    while true {
      var limit = Int32.max  // the chunk's tokens are resume..<limit
      copied.removeAll(keepingCapacity: true)
      var lists: [[(token: Int32, start: Int, end: Int)]] = []
      for s in old {
        var these: [(token: Int32, start: Int, end: Int)] = []
        try txn.withCursor(postings) { cursor in
          try cursor.forEach(from: Self.listKey(s.number, resume), to: nil as BigEndianKey?) { entry in
            guard let (segment, token) = Self.listKeyParts(entry.key) else { throw StoreError.corruptRecord("postings key") }
            guard segment == s.number, token < limit else { return false }
            if copied.count >= chunkBytes && token > resume {
              limit = token
              return false
            }
            let start = copied.count
            copied.append(contentsOf: entry.value)
            these.append((token, start, copied.count))
            return true
          }
        }
        lists.append(these)
      }
      // Segments read before the chunk was cut hold lists past its end: those wait for the next.
      for i in lists.indices { while let last = lists[i].last, last.token >= limit { lists[i].removeLast() } }
      try copied.withUnsafeBytes { bytes in
        var next = [Int](repeating: 0, count: old.count)  // each segment's next list
        while true {
          var smallest: Int32?
          for i in old.indices where next[i] < lists[i].count {
            if lists[i][next[i]].token < (smallest ?? .max) { smallest = lists[i][next[i]].token }
          }
          guard let t = smallest else { break }
          encoder.removeAll()
          for i in old.indices where next[i] < lists[i].count && lists[i][next[i]].token == t {
            let list = lists[i][next[i]]
            var reader = try Self.reader(UnsafeRawBufferPointer(rebasing: bytes[list.start..<list.end]))
            while let e = try Self.next(&reader) {
              if !deadKeys.isEmpty && deadKeys.contains(e.passage) {
                dropped[t, default: 0] += 1
                droppedPassages.insert(e.passage)
              } else {
                encoder.entries.append(e)
              }
            }
            next[i] += 1
          }
          guard !encoder.entries.isEmpty else { continue }
          if !ordered { encoder.entries.sort { $0.passage < $1.passage } }  // a document indexed after newer ones
          try put(&encoder, segment: number, token: t, txn)
          written = true
        }
      }
      guard limit != .max else { break }
      resume = limit
    }
    for s in old {
      try txn.withCursor(postings) { cursor in
        var entry = try cursor.seek(atLeast: Self.listKey(s.number, 0))
        while let e = entry, Self.listKeyParts(e.key)?.segment == s.number {
          try cursor.deleteCurrent()
          entry = try cursor.current()
        }
      }
      try txn.delete(segments, key: Self.segmentKey(s.number))
    }
    for (t, n) in dropped { try addDeadTerms(t, -Int(n), txn) }
    for p in droppedPassages { try txn.delete(dead, key: BigEndianKey(p)) }
    guard written else { return }
    let merged = LexicalSegment(number: number, firstPassage: old.map(\.firstPassage).min()!, lastPassage: old.map(\.lastPassage).max()!,
                                passages: old.reduce(0) { $0 + $1.passages } - UInt64(droppedPassages.count), level: level)
    try txn.put(segments, key: Self.segmentKey(number), value: merged.encoded())
  }

  private func addDeadTerms(_ token: Int32, _ delta: Int, _ txn: LMDBTransaction) throws {
    let key = Self.tokenKey(token)
    let n = Int(try deadTermCount(token, txn)) + delta
    guard n >= 0 else { throw StoreError.corruptRecord("dead-term count of token \(token) below zero") }
    if n == 0 {
      try txn.delete(deadTerms, key: key)
    } else {
      var w = ByteWriter(capacity: 4)
      w.u32(UInt32(n))
      try txn.put(deadTerms, key: key, value: w.bytes)
    }
  }

  // MARK: Reading

  /// A query's terms: its distinct token ids that some live passage holds, each with its weight
  /// idf × its count in the query (repeats count, as in rank-bm25).
  struct QueryTerms {
    var weights: [Int32: Double] = [:]
  }

  /// The k best live passages for the query's token ids (repeats count), best first, and the
  /// query's terms (for scoring other passages with ``score(passage:terms:record:_:)``).
  /// With `documents`, at most one passage a document (its best): the k best documents.
  /// With `allowed`, only passages of those documents. The dead passages are read through
  /// `deadPassages` (the store's cache).
  func search(tokens: [Int32], k: Int, documents: Bool = false, allowed: DocumentSet? = nil, record: LexiconRecord,
              deadPassages: DeadPassageCache, _ txn: LMDBTransaction) throws
    -> (passages: [(passage: UInt64, score: Double)], terms: QueryTerms)
  {
    var terms = QueryTerms()
    guard record.passages > 0, !tokens.isEmpty else { return ([], terms) }
    let all = try allSegments(txn)
    let deadKeys = try deadPassages.keys(lexicon: number, txn) { try deadSet(txn) }
    // Segments usually hold increasing, disjoint key ranges (documents are numbered as they come);
    // a document added to this index later than newer ones breaks that, and its lists are merged.
    let ordered = zip(all, all.dropFirst()).allSatisfy { $0.lastPassage < $1.firstPassage }
    var cursors: [TermCursor] = []
    for t in Self.termCounts(tokens) {
      var lists: [PostingsList.Reader] = []
      var df = 0
      for s in all {
        guard let bytes = try txn.get(postings, key: Self.listKey(s.number, t.token)) else { continue }
        let reader = try Self.reader(bytes)
        df += reader.count
        lists.append(reader)
      }
      df -= Int(try deadTermCount(t.token, txn))
      guard df > 0 else { continue }
      let weight = record.bm25.idf(df: df, passages: Int(record.passages)) * Double(t.tf)
      terms.weights[t.token] = weight
      cursors.append(try Self.readingPostings {
        try TermCursor(weight: weight, lists: lists, ordered: ordered, bm25: record.bm25, averageLength: record.averageLength)
      })
    }
    let groupShift: UInt64? = documents ? 20 : nil
    let top = try Self.readingPostings {
      try MaxScoreSearch.topK(cursors, k: k, bm25: record.bm25, averageLength: record.averageLength, groupShift: groupShift) {
        (deadKeys.isEmpty || !deadKeys.contains($0)) && (allowed?.contains(Self.document(ofPassage: $0)) ?? true)
      }
    }
    return (top, terms)
  }

  /// The BM25 score of live passage `key` for `terms` (0 when it holds none), or nil when the
  /// passage is not in the index.
  func score(passage key: UInt64, terms: QueryTerms, record: LexiconRecord, _ txn: LMDBTransaction) throws -> Double? {
    guard let bytes = try txn.get(passages, key: BigEndianKey(key)) else { return nil }
    let p = try Self.decodePassage(bytes)
    var score = 0.0
    for t in p.terms {
      guard let w = terms.weights[t.token] else { continue }
      score += record.bm25.termScore(idf: w, tf: Int(t.tf), length: Int(p.length), averageLength: record.averageLength)
    }
    return score
  }

  /// The segments in search order.
  func allSegments(_ txn: LMDBTransaction) throws -> [LexicalSegment] {
    var out: [LexicalSegment] = []
    try txn.withCursor(segments) { cursor in
      try cursor.forEach { entry in
        guard entry.key.count == 4 else { throw StoreError.corruptRecord("segment key") }
        let number = UInt32(bigEndian: entry.key.loadUnaligned(as: UInt32.self))
        out.append(try LexicalSegment(number: number, decoding: entry.value))
        return true
      }
    }
    return out
  }

  private func deadSet(_ txn: LMDBTransaction) throws -> Set<UInt64> {
    var out = Set<UInt64>()
    try txn.withCursor(dead) { cursor in
      try cursor.forEach { entry in
        guard let key = BigEndianKey(bytes: entry.key)?.value else { throw StoreError.corruptRecord("dead passage key") }
        out.insert(key)
        return true
      }
    }
    return out
  }

  private func deadTermCount(_ token: Int32, _ txn: LMDBTransaction) throws -> UInt32 {
    guard let v = try txn.get(deadTerms, key: Self.tokenKey(token)) else { return 0 }
    var r = ByteReader(v, what: "dead-term count", failure: StoreError.corruptRecord)
    return try r.u32()
  }

  // MARK: Encoding

  /// `body`'s value, a malformed postings list met in it reported as the store's corrupt record
  /// (other errors pass through): the one place that mapping is spelled.
  @inline(__always)
  static func readingPostings<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as PostingsList.Malformed {
      throw StoreError.corruptRecord("postings list: \(e.reason)")
    }
  }

  /// Every entry of a stored postings list, its damage reported as the store's corrupt record.
  static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [PostingsList.Entry] {
    try readingPostings { try PostingsList.decode(bytes) }
  }

  /// The reader's next entry, its damage reported as the store's corrupt record.
  static func next(_ reader: inout PostingsList.Reader) throws -> PostingsList.Entry? {
    try readingPostings { try reader.next() }
  }

  /// A reader of a stored postings list, its damage reported as the store's corrupt record.
  static func reader(_ bytes: UnsafeRawBufferPointer) throws -> PostingsList.Reader {
    try readingPostings { try PostingsList.Reader(bytes) }
  }

  /// A passage record: u32 length, u32 start, u32 end, u32 m, then m (token delta, tf) varint pairs.
  static func decodePassage(_ bytes: UnsafeRawBufferPointer) throws -> (length: UInt32, utf8Range: Range<Int>, terms: [(token: Int32, tf: UInt32)]) {
    var r = ByteReader(bytes, what: "lexical passage", failure: StoreError.corruptRecord)
    let length = try r.u32()
    let start = Int(try r.u32()), end = Int(try r.u32())
    guard start <= end else { throw StoreError.corruptRecord("lexical passage range") }
    var terms: [(token: Int32, tf: UInt32)] = []
    var token: Int64 = 0
    for _ in 0..<Int(try r.u32()) {
      token += Int64(try r.varint())
      let tf = try r.varint()
      guard token <= Int64(Int32.max), tf <= UInt64(UInt32.max) else { throw StoreError.corruptRecord("lexical passage term") }
      terms.append((Int32(token), UInt32(tf)))
    }
    return (length, start..<end, terms)
  }

  /// Distinct tokens of `tokens`, ascending, with their counts.
  static func termCounts(_ tokens: [Int32]) -> [(token: Int32, tf: UInt32)] {
    var out: [(token: Int32, tf: UInt32)] = []
    for t in tokens.sorted() {
      if let last = out.last, last.token == t { out[out.count - 1].tf += 1 } else { out.append((t, 1)) }
    }
    return out
  }

  static func segmentKey(_ segment: UInt32) -> [UInt8] {
    var w = ByteWriter(capacity: 4)
    w.u32BE(segment)
    return w.bytes
  }

  /// A postings list's key: u32 segment ‖ u32 token id, both big-endian — one big-endian u64.
  static func listKey(_ segment: UInt32, _ token: Int32) -> BigEndianKey {
    BigEndianKey(UInt64(segment) << 32 | UInt64(UInt32(bitPattern: token)))
  }

  /// The segment and token of a postings list's key (``listKey(_:_:)``); nil for a key that is not
  /// 8 bytes.
  static func listKeyParts(_ key: UnsafeRawBufferPointer) -> (segment: UInt32, token: Int32)? {
    guard let v = BigEndianKey(bytes: key)?.value else { return nil }
    return (UInt32(truncatingIfNeeded: v >> 32), Int32(bitPattern: UInt32(truncatingIfNeeded: v)))
  }

  static func tokenKey(_ token: Int32) -> [UInt8] {
    var w = ByteWriter(capacity: 4)
    w.u32BE(UInt32(bitPattern: token))
    return w.bytes
  }
}
