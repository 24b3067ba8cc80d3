#if canImport(Glibc)
  import Glibc
#endif
import Synchronization
import QuiverKernels

/// One embedding space of a ``Store``: its vectors, its rows (passage → document), and its exact
/// index, a sequential SIMD scan of the memory-mapped vector chunks.
public final class Space: @unchecked Sendable {
  /// Rows per vector chunk (a chunk of 256-d f32 rows is 1 MiB, one LMDB overflow run).
  public static let rowsPerChunk = 1024
  /// At most this many documents go into one write transaction.
  public static let maximumBatch = 1000
  /// Batch writes an ingest keeps queued or running while it prepares the next batch: with two,
  /// a write that takes longer than a preparation (a merge of the lexical index's segments, say)
  /// does not stall the preparing.
  static let writesInFlight = 2

  public let store: Store
  public let key: SpaceKey
  public let metric: Metric
  public let elementType: ElementType
  let number: UInt32
  let vectors: LMDBDatabase
  let rows: LMDBDatabase
  let dead: LMDBDatabase
  /// Guards `graphState`: searches share it, syncing the graph with LMDB holds it exclusively
  /// (writer-preferring, so a stream of searches cannot starve an ingest). See Space+HNSW.swift.
  let graphLock = ReadWriteLock(preferringWriters: true)
  /// The space's HNSW graph once opened or built; read under `graphLock` shared, changed under it
  /// exclusively.
  var graphState = GraphState()
  /// Searchers over the current graph.
  let searchers = SearcherPool()
  /// The last row mask made for a filter (``RowMask``).
  let rowMasks = Locked(RowMaskCache())

  init(store: Store, number: UInt32, key: SpaceKey, metric: Metric, elementType: ElementType) throws {
    self.store = store
    self.number = number
    self.key = key
    self.metric = metric
    self.elementType = elementType
    let names = SpaceDatabases(number: number)
    (vectors, rows, dead) = try store.env.read { txn in
      (try txn.openDatabase(named: names.vectors), try txn.openDatabase(named: names.rows),
       try txn.openDatabase(named: names.dead))
    }
  }

  /// The vectors' dimension.
  public var dimension: Int { key.dimension }

  // MARK: Ingest

  /// What an ingest did.
  public struct IngestSummary: Sendable, Equatable {
    public var documents = 0
    /// Documents whose text was already stored unchanged in this space.
    public var unchanged = 0
    /// Documents whose earlier text (and rows) were replaced.
    public var replaced = 0
    public var passages = 0

    public init() {}

    /// Adds another ingest's counts (a caller ingesting a stream batch by batch).
    public mutating func add(_ other: IngestSummary) {
      documents += other.documents
      unchanged += other.unchanged
      replaced += other.replaced
      passages += other.passages
    }
  }

  /// Embeds and stores `documents` with `model` (any ``EmbeddingService`` whose model is this
  /// space's), `maximumBatch` documents per write transaction; texts are split into passages by
  /// `splitter` and embedded ``EmbeddingLimits/maximumBatch`` passages a call. `progress` is called
  /// after each committed batch with the documents done so far.
  /// When `model` tokenises (a ``LexicalTokenizer``: Quiver's static models), the passages' lexical
  /// token ids also go into the store's lexical index for that tokenizer, in the same transaction,
  /// and the space records the model file and the index (documents stored before the space had an
  /// index are indexed first). `persistingGraph: false` leaves the graph file for a later
  /// ``updateGraph()`` (a caller ingesting a stream batch by batch writes it once, at the end).
  /// `indexingLexically: false` skips the lexical index (the space then
  /// answers vector queries only, until an ingest indexes it).
  /// Re-ingesting an id with the same text changes nothing; with a new text its old passages are
  /// tombstoned (in every space and lexical index) and the new ones added, in the same transaction.
  /// With `updatingGraph`, each committed batch's rows are inserted into the space's HNSW graph
  /// before the next batch, and the graph file is written once at the end (the graph is a file
  /// beside LMDB, not part of its transactions: a crash in between loses no committed row, because
  /// opening the graph catches up from LMDB, see ``updateGraph()``).
  /// - Throws: ``EmbeddingError/modelMismatch(requested:loaded:)`` for another model,
  ///   ``StoreError/invalidDocument(id:reason:)`` before anything is written.
  @discardableResult
  public func ingest(
    _ documents: [Document], model: any EmbeddingService, splitter: PassageSplitter = PassageSplitter(),
    updatingGraph: Bool = true, persistingGraph: Bool = true, indexingLexically: Bool = true,
    progress: ((Int) -> Void)? = nil
  ) throws -> IngestSummary {
    for d in documents { try d.validate() }
    return try ingestTexts(Self.batches(of: documents), validated: true, model: model, splitter: splitter,
                           updatingGraph: updatingGraph, persistingGraph: persistingGraph,
                           indexingLexically: indexingLexically, progress: progress)
  }

  /// Embeds and stores a stream of documents as ``ingest(_:model:splitter:updatingGraph:persistingGraph:indexingLexically:progress:)``
  /// does, one write transaction a batch: `next` returns the next batch (at most ``maximumBatch``
  /// documents; an empty one is skipped) or nil at the end, and is called while the batch before
  /// is being written, so reading, embedding and writing overlap. Each batch is validated before
  /// it is written; a bad document stops the ingest there, the batches before it stored.
  @discardableResult
  public func ingest(
    batches next: () throws -> [Document]?, model: any EmbeddingService, splitter: PassageSplitter = PassageSplitter(),
    updatingGraph: Bool = true, persistingGraph: Bool = true, indexingLexically: Bool = true,
    progress: ((Int) -> Void)? = nil
  ) throws -> IngestSummary {
    try ingestTexts(next, validated: false, model: model, splitter: splitter, updatingGraph: updatingGraph,
                    persistingGraph: persistingGraph, indexingLexically: indexingLexically, progress: progress)
  }

  /// The two text ingests' body; `validated`: the documents were checked before (an array).
  private func ingestTexts(
    _ next: () throws -> [Document]?, validated: Bool, model: any EmbeddingService, splitter: PassageSplitter,
    updatingGraph: Bool, persistingGraph: Bool, indexingLexically: Bool, progress: ((Int) -> Void)?
  ) throws -> IngestSummary {
    try store.requireWritable()
    let configuration = try embeddingConfiguration(of: model)
    let tokenizing = indexingLexically ? model as? any LexicalTokenizer : nil
    if let tokenizing { try attachLexicon(tokenizing, modelPath: tokenizing.modelFilePath) }
    // A static model that is also the lexical tokenizer tokenises once for both.
    let fused = tokenizing == nil ? nil : model as? StaticModel
    return try ingestBatches(next, updatingGraph: updatingGraph, persistingGraph: persistingGraph, progress: progress) { batch, _ in
      if !validated { for d in batch { try d.validate() } }
      let passages = batch.map { splitter.passages(of: $0.text) }
      var texts: [String] = []
      for (doc, ps) in zip(batch, passages) {
        let utf8 = Array(doc.text.utf8)
        for p in ps { texts.append(String(decoding: utf8[p.utf8Range], as: UTF8.self)) }
      }
      var rows: [Float] = []
      var lexical: [[Int32]] = []
      var start = 0
      while start < texts.count {
        let end = min(texts.count, start + EmbeddingLimits.maximumBatch)
        let chunk = start == 0 && end == texts.count ? texts : Array(texts[start..<end])
        if let fused {
          let (part, ids) = try fused.embedRowsWithLexicalIDs(chunk, configuration: configuration)
          rows.append(contentsOf: part)
          lexical.append(contentsOf: ids)
        } else {
          let part = try model.embedRows(chunk, configuration: configuration)
          if rows.isEmpty && end == texts.count { rows = part } else { rows.append(contentsOf: part) }
        }
        start = end
      }
      if fused == nil, let tokenizing { lexical = try tokenizing.lexicalTokenIDs(texts) }
      guard tokenizing != nil else { return (passages, rows, nil) }
      return (passages, rows, LexicalBatch(passages: lexical, utf8Ranges: passages.flatMap { $0.map(\.utf8Range) }))
    }
  }

  /// Stores documents whose passage vectors were computed elsewhere (an external model): one
  /// passage per document spanning its whole text, `vectors` row-major, one row per document.
  /// With `lexicalTokenizer` (the default model, say), the documents' texts also go into the
  /// store's lexical index for that tokenizer, which the space records: lexical and hybrid search
  /// then work for this space too. `updatingGraph` and `persistingGraph` as for a text ingest.
  @discardableResult
  public func ingest(_ documents: [Document], vectors: [Float], lexicalTokenizer: (any LexicalTokenizer)? = nil,
                     updatingGraph: Bool = true, persistingGraph: Bool = true) throws -> IngestSummary {
    try store.requireWritable()
    guard vectors.count == documents.count * dimension else {
      throw StoreError.wrongDimension(expected: dimension, actual: documents.isEmpty ? vectors.count : vectors.count / documents.count)
    }
    if let bad = vectors.firstIndex(where: { !$0.isFinite }) {
      throw StoreError.invalidDocument(id: documents[bad / dimension].id, reason: "vector component \(bad % dimension) is \(vectors[bad])")
    }
    for d in documents { try d.validate() }
    if let lexicalTokenizer { try attachLexicon(lexicalTokenizer, modelPath: nil) }
    return try ingestBatches(Self.batches(of: documents), updatingGraph: updatingGraph, persistingGraph: persistingGraph, progress: nil) { batch, range in
      var rows = Array(vectors[(range.lowerBound * dimension)..<(range.upperBound * dimension)])
      if metric == .cosine { Self.normalizeRows(&rows, dimension) }
      let passages = batch.map { [Passage(index: 0, utf8Range: 0..<$0.text.utf8.count)] }
      let lexical = try lexicalTokenizer.map {
        LexicalBatch(passages: try $0.lexicalTokenIDs(batch.map(\.text)), utf8Ranges: passages.map(\.[0].utf8Range))
      }
      return (passages, rows, lexical)
    }
  }

  /// `documents` as a stream of batches of at most `maximumBatch`.
  private static func batches(of documents: [Document]) -> () -> [Document]? {
    var start = 0
    return {
      guard start < documents.count else { return nil }
      let end = min(documents.count, start + maximumBatch)
      defer { start = end }
      return Array(documents[start..<end])
    }
  }

  /// The one ingest loop: batch by batch from `next` (each at most `maximumBatch` documents),
  /// `prepare` (given the batch and its documents' positions in the stream) gives their passages,
  /// passage vectors (row-major) and, for the lexical index, the passages made ready for it; one write
  /// transaction stores them, and the graph follows. A batch is prepared while the ones before it
  /// are written (``BackgroundWrite``, at most ``writesInFlight`` queued or running): the writes
  /// stay one at a time and in order, and a failed write stops the ingest before the next one starts.
  private func ingestBatches(
    _ next: () throws -> [Document]?, updatingGraph: Bool, persistingGraph: Bool, progress: ((Int) -> Void)?,
    prepare: ([Document], Range<Int>) throws -> ([[Passage]], [Float], LexicalBatch?)
  ) throws -> IngestSummary {
    var summary = IngestSummary()
    // Writes in flight, oldest first (at most `Self.writesInFlight`).
    var writing: [(write: BackgroundWrite<IngestSummary>, end: Int)] = []
    // The oldest write in flight, waited for: its summary counted, progress reported.
    func finishWriting() throws {
      guard !writing.isEmpty else { return }
      let w = writing.removeFirst()
      do {
        summary.add(try w.write.value())
      } catch {
        // The writes queued behind a failed one do not run; their threads are joined first.
        for queued in writing { _ = try? queued.write.value() }
        writing.removeAll()
        throw error
      }
      progress?(w.end)
    }
    var start = 0
    while true {
      // The next batch is read and prepared while the ones before are written; a failure to read
      // or prepare it is raised only after those writes have finished.
      let read = Result { try next() }
      guard case .success(let batch?) = read else {
        while !writing.isEmpty { try finishWriting() }
        _ = try read.get()
        break
      }
      guard !batch.isEmpty else { continue }
      precondition(batch.count <= Self.maximumBatch, "a batch of \(batch.count) documents, above \(Self.maximumBatch)")
      let end = start + batch.count
      let prepared = Result { try prepare(batch, start..<end) }
      if case .failure = prepared {
        while !writing.isEmpty { try finishWriting() }
      } else if writing.count == Self.writesInFlight {
        try finishWriting()
      }
      let (passages, rows, lexical) = try prepared.get()
      let next = BackgroundWrite(after: writing.last?.write) { [self] in
        let written = try write(batch, passages: passages, vectors: rows, lexical: lexical)
        if updatingGraph { try syncGraph(persist: false) }
        return written
      }
      writing.append((next, end))
      start = end
    }
    if updatingGraph && persistingGraph { try syncGraph(persist: true) }
    return summary
  }

  /// `model`'s configuration at this space's dimension.
  /// - Throws: ``EmbeddingError/modelMismatch(requested:loaded:)`` when `model` is not the space's
  ///   model, or an ``EmbeddingError`` when it cannot produce the space's dimension.
  func embeddingConfiguration(of model: any EmbeddingService) throws -> ModelConfiguration {
    let native = try model.modelConfiguration()
    guard native.model == key.model else { throw EmbeddingError.modelMismatch(requested: key.model, loaded: native.model) }
    return try model.configuration(dimension: dimension)
  }

  /// Scales each `d`-float row of `v` to unit length (all-zero rows stay zero).
  public static func normalizeRows(_ v: inout [Float], _ d: Int) {
    for r in 0..<(v.count / d) {
      var n: Float = 0
      for i in 0..<d { n += v[r * d + i] * v[r * d + i] }
      let s: Float = n > 0 ? 1 / n.squareRoot() : 0
      for i in 0..<d { v[r * d + i] *= s }
    }
  }

  /// One write transaction: documents, their row records, their vectors appended to the chunks,
  /// their rows' document numbers, their passages posted to the space's lexical index (when the
  /// space has one and `lexical` holds the passages, in the order of `flat`'s rows), the
  /// space and lexicon records. Runs again from scratch if LMDB grows the map, so it touches nothing
  /// else.
  private func write(_ batch: [Document], passages: [[Passage]], vectors flat: [Float], lexical batchLexical: LexicalBatch?) throws -> IngestSummary {
    let d = dimension
    let spaceKeyBytes = Array(key.description.utf8)
    let current = try store.currentDatabases()
    let documentNumbers = current.documentNumbers
    return try store.env.write { txn in
      guard var record = try Store.spaceRecord(txn, store.spacesDB, key) else {
        throw StoreError.unknownSpace(key.description)
      }
      let metadataIndex = try store.metadataIndex(current.metadataIndex!, txn)
      var metadataChanges = MetadataIndex.Changes()
      let lexicon = record.lexicon != 0 && batchLexical != nil ? try store.lexicon(record.lexicon, txn) : nil
      // Each passage's key in the lexical index, in `flat`'s row order (or not posted).
      var passageKeys = [UInt64](repeating: LexicalIndex.notPosted, count: lexicon == nil ? 0 : batchLexical!.count)
      var summary = IngestSummary()
      // The rows of `flat` to append, in row order from record.rowCount: all of them unless a
      // document is unchanged (then only the others', gathered below); and their documents' numbers.
      var appended: [Range<Int>] = []
      var rowNumbers: [UInt64] = []
      let firstNewRow = record.rowCount
      var offset = 0
      for (doc, ps) in zip(batch, passages) {
        let text = Array(doc.text.utf8)
        let metadata = Array((doc.metadataJSON ?? "").utf8)
        let hash = Store.textHash(text)
        let rowsOfDoc = offset..<(offset + ps.count)
        offset += ps.count
        summary.documents += 1
        var keptRows: [DocumentRecord.Rows] = []
        var keptNumber: UInt64?
        var lexicons: [UInt32] = []
        if let bytes = try txn.get(store.docs, key: Array(doc.id.utf8)) {
          let old = try DocumentRecord(decoding: bytes)
          // Tombstoning updates space records in the database: store ours first, re-read after.
          try txn.put(store.spacesDB, key: spaceKeyBytes, value: record.encoded())
          if old.textHash == hash && old.text == text {
            if old.rows.contains(where: { $0.space == self.number }) && old.metadata == metadata {
              summary.unchanged += 1
              continue
            }
            keptRows = old.rows.filter { $0.space != self.number }
            keptNumber = old.number
            lexicons = old.lexicons
            try store.tombstone(old.rows.filter { $0.space == self.number }, txn)
            if let n = old.number {  // the new metadata's terms are added below; the last change wins
              metadataChanges.remove(document: n, terms: try MetadataFilterEvaluator.terms(ofMetadata: old.metadata), metadataIndex)
            }
          } else {
            try store.forget(old, txn, metadata: &metadataChanges, metadataIndex)
            // An id repeated within this batch: its earlier passages are not posted yet.
            if let n = old.number {
              for r in passageKeys.indices where passageKeys[r] != LexicalIndex.notPosted && LexicalIndex.document(ofPassage: passageKeys[r]) == n {
                passageKeys[r] = LexicalIndex.notPosted
              }
            }
            summary.replaced += 1
          }
          // The tombstones may have changed this space's live count.
          record = try Store.spaceRecord(txn, store.spacesDB, key)!
        }
        let documentNumber = try keptNumber ?? {
          let n = try store.takeDocumentNumber(txn)
          try txn.put(documentNumbers, key: BigEndianKey(n), value: Array(doc.id.utf8))
          return n
        }()
        metadataChanges.add(document: documentNumber, terms: try MetadataFilterEvaluator.terms(ofMetadata: metadata), metadataIndex)
        let first = record.rowCount
        for p in ps {
          let row = RowRecord(deleted: false, passage: UInt32(p.index), utf8Range: p.utf8Range, documentID: doc.id)
          try txn.put(rows, key: BigEndianKey(record.rowCount), value: row.encoded())
          record.rowCount += 1
          record.liveCount += 1
        }
        appended.append(rowsOfDoc)
        rowNumbers.append(contentsOf: repeatElement(documentNumber, count: ps.count))
        summary.passages += ps.count
        if let l = lexicon, !lexicons.contains(l.record.number) {
          for (p, r) in zip(ps, rowsOfDoc) { passageKeys[r] = LexicalIndex.passageKey(document: documentNumber, passage: p.index) }
          lexicons.append(l.record.number)
        }
        keptRows.append(DocumentRecord.Rows(space: self.number, first: first, count: UInt32(ps.count)))
        let docRecord = DocumentRecord(textHash: hash, text: text, metadata: metadata, rows: keptRows,
                                       number: documentNumber, lexicons: lexicons)
        try txn.put(store.docs, key: Array(doc.id.utf8), value: docRecord.encoded())
      }
      if summary.passages * d == flat.count {
        try flat.withUnsafeBufferPointer { try appendVectors($0, from: firstNewRow, txn) }
      } else {
        var pending: [Float] = []
        pending.reserveCapacity(summary.passages * d)
        for r in appended { pending.append(contentsOf: flat[(r.lowerBound * d)..<(r.upperBound * d)]) }
        try pending.withUnsafeBufferPointer { try appendVectors($0, from: firstNewRow, txn) }
      }
      let rowDocuments = try txn.openDatabase(named: SpaceDatabases(number: self.number).rowDocuments)
      try RowDocuments.append(rowNumbers, from: firstNewRow, into: rowDocuments, txn)
      // Re-read: replacing documents above removed passages and updated the record.
      if let l = lexicon, let batchLexical, passageKeys.contains(where: { $0 != LexicalIndex.notPosted }),
        let found = try store.lexicon(l.record.number, txn)
      {
        var current = found.record
        try store.lexicalIndex(current.number, txn).add(batchLexical, keys: passageKeys, record: &current, txn)
        try store.putLexicon(found.identity, current, txn)
      }
      try metadataIndex.apply(metadataChanges, txn)
      try txn.put(store.spacesDB, key: spaceKeyBytes, value: record.encoded())
      return summary
    }
  }

  /// Appends rows `from…` to the chunks: each touched chunk is rewritten once, existing rows first,
  /// the new rows encoded straight into LMDB's reserved value.
  private func appendVectors(_ pending: UnsafeBufferPointer<Float>, from firstRow: UInt64, _ txn: LMDBTransaction) throws {
    let d = dimension
    let count = pending.count / d
    guard count > 0 else { return }
    let codec = RowCodec(elementType: elementType, dimension: d)
    let rowBytes = elementType.rowBytes(dimension: d)
    let perChunk = UInt64(Self.rowsPerChunk)
    var row = firstRow
    var done = 0
    while done < count {
      let chunk = row / perChunk
      let inChunk = Int(row % perChunk)
      let take = min(count - done, Self.rowsPerChunk - inChunk)
      let existing = try txn.get(vectors, key: BigEndianKey(chunk)).map { Array($0) } ?? []
      guard existing.count == inChunk * rowBytes else {
        throw StoreError.corruptRecord("vector chunk \(chunk) holds \(existing.count) bytes, expected \(inChunk * rowBytes)")
      }
      let out = try txn.reserve(vectors, key: BigEndianKey(chunk), count: (inChunk + take) * rowBytes)
      existing.withUnsafeBytes { out.copyMemory(from: $0) }
      codec.encode(UnsafeBufferPointer(rebasing: pending[(done * d)..<((done + take) * d)]),
                   into: UnsafeMutableRawBufferPointer(rebasing: out[existing.count...]))
      done += take
      row += UInt64(take)
    }
  }

  // MARK: Search

  /// A search hit: the passage's document, score (cosine/dot: similarity; l2: −distance²), and text.
  public struct Hit: Sendable, Equatable {
    public var id: String
    public var score: Float
    public var passage: Int
    /// The passage's text.
    public var text: String
    public var row: UInt64
  }

  /// The `k` nearest passages to `query` by an exact scan of every live row.
  /// - Throws: ``StoreError/wrongDimension(expected:actual:)`` when `query.count != dimension`.
  public func search(vector query: [Float], k: Int = 10) throws -> [Hit] {
    try search(vector: query, k: k, index: .exact)
  }

  /// Which index answers a search.
  public enum Index: Sendable, Equatable {
    /// The flat index: every live row, exactly.
    case exact
    /// The HNSW graph with search breadth `ef` (built or caught up on first use).
    case hnsw(ef: Int)

    public var name: String {
      switch self {
      case .exact: "exact"
      case .hnsw: "hnsw"
      }
    }
  }

  /// Rows nearest to the prepared query `q` (normalised for cosine), best first, live and (with
  /// `allowed`) of those documents only: the `count` best through the exact index; through HNSW
  /// the walk's candidates with ef ≥ `count` (possibly more than `count`), the walk testing
  /// tombstones and the filter inside. Either way at least min(`count`, rows that pass) rows:
  /// a filtered or tombstoned search scans the passing rows exactly when that is predicted to cost
  /// less than the walk (``prefersExactScan(passingRows:rows:ef:)``), and the walk falls back to the
  /// scan when it has scored more nodes than pass (Lucene's rule) or found too few.
  func vectorCandidates(_ q: [Float], count: Int, index: Index, allowed: DocumentSet? = nil) throws -> [(row: UInt64, score: Float)] {
    let plan = try searchPlan(allowed)
    func exact() throws -> [(row: UInt64, score: Float)] {
      try store.env.read { txn in
        var top = TopK(k: count)
        try exactScan(query: q, txn, into: &top, allowed: allowed, mask: plan.mask)
        return top.sorted()
      }
    }
    guard case .hnsw(let ef) = index else { return try exact() }
    let breadth = max(ef, count)
    // A space without deletes, unfiltered: the plain walk.
    guard allowed != nil || plan.passing < plan.rows else {
      return try graphCandidates(q, ef: breadth, needed: 0, allowed: nil, mask: nil, visitLimit: .max, counts: plan.counts) ?? exact()
    }
    if Self.prefersExactScan(passingRows: plan.passing, rows: plan.rows, ef: breadth) { return try exact() }
    let limit = Int(min(plan.passing + 2000, UInt64(Int.max)))
    return try graphCandidates(q, ef: breadth, needed: count, allowed: allowed, mask: plan.mask, visitLimit: limit, counts: plan.counts)
      ?? exact()
  }

  /// Whether a search whose filter (and tombstones) let `passingRows` of a space's `rows` through
  /// should scan them exactly rather than walk the graph with breadth `ef`. The cost model, in units
  /// of one scored row of the exact scan, fitted with `quiver-bench filter` on the Debian set
  /// (docs/filters.md, 2026-11-30): the scan scores the passing rows (prefetched) and tests the
  /// others a 64-row word at a time (0.004 a row, chunk reads included) after a fixed 200; a
  /// filtered walk costs 770 + 46·ef when every row passes, times s^−0.65 for the share s of rows
  /// that pass (it walks through the others to find ef that do). Fewer than 2,000 passing rows are
  /// always scanned.
  public static func prefersExactScan(passingRows: UInt64, rows: UInt64, ef: Int) -> Bool {
    if passingRows < 2000 { return true }
    let share = Double(passingRows) / Double(max(rows, 1))
    let exact = Double(passingRows) + 0.004 * Double(rows) + 200
    let walk = (770 + 46 * Double(ef)) * pow(share, -0.65)
    return exact < walk
  }

  /// How many of the space's rows pass `allowed` and are live (for a filter, estimated as the
  /// share of the store's documents it holds: exact when each document has as many passages), all
  /// its rows (dead ones too: the walk passes through them), and the row mask of `allowed` when one
  /// is cached or due (``rowMask(for:rows:_:)``).
  private func searchPlan(_ allowed: DocumentSet?) throws
    -> (passing: UInt64, rows: UInt64, mask: RowMask?, counts: (rows: UInt64, live: UInt64, layout: UInt64))
  {
    try store.env.read { txn in
      guard let r = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      let counts = (r.rowCount, r.liveCount, r.layout)
      guard let allowed else { return (r.liveCount, r.rowCount, nil, counts) }
      let documents = UInt64(max(1, try txn.count(store.docs)))
      let share = Double(allowed.count) / Double(documents)
      return (UInt64((Double(r.liveCount) * share).rounded(.up)), r.rowCount, try rowMask(for: allowed, rows: r.rowCount, txn), counts)
    }
  }

  /// The `k` nearest passages to `query` through `index`; with `filter` (evaluated now) or
  /// `allowedDocuments` (evaluated beforehand, ``Store/documentSet(where:)``), of those documents
  /// only — k of them whenever k live passages pass.
  /// - Throws: ``StoreError/wrongDimension(expected:actual:)``, ``StoreError/invalidArgument(_:)``
  ///   for k < 1 or a query with NaN or infinite components, ``FilterError``.
  ///   With `texts: false` hits carry no passage text (an empty string): the documents are not
  ///   read, which is what a caller that wants ids and scores (a batch, a benchmark) should ask.
  public func search(vector query: [Float], k: Int = 10, index: Index, filter: MetadataFilter? = nil,
                     allowedDocuments: DocumentSet? = nil, texts: Bool = true) throws -> [Hit] {
    guard query.count == dimension else { throw StoreError.wrongDimension(expected: dimension, actual: query.count) }
    guard k > 0 else { throw StoreError.invalidArgument("k must be at least 1, not \(k)") }
    guard query.allSatisfy(\.isFinite) else { throw StoreError.invalidArgument("the query vector has NaN or infinite components") }
    var q = query
    if metric == .cosine { Self.normalizeRows(&q, dimension) }
    let allowed = try self.allowedDocuments(SearchOptions(filter: filter, allowedDocuments: allowedDocuments))
    let found = try vectorCandidates(q, count: k, index: index, allowed: allowed)
    return try store.env.read { txn in
      var hits: [Hit] = []
      for hit in found where hits.count < k {
        guard let bytes = try txn.get(rows, key: BigEndianKey(hit.row)) else { throw StoreError.corruptRecord("row \(hit.row) missing") }
        let row = try RowRecord(decoding: bytes)
        if row.deleted { continue }  // a graph may hold rows deleted since it was synced
        guard texts else {
          hits.append(Hit(id: row.documentID, score: hit.score, passage: Int(row.passage), text: "", row: hit.row))
          continue
        }
        guard let docBytes = try txn.get(store.docs, key: Array(row.documentID.utf8)) else {
          throw StoreError.corruptRecord("document \(row.documentID) of row \(hit.row) missing")
        }
        let doc = try DocumentRecordView(docBytes)
        hits.append(Hit(id: row.documentID, score: hit.score, passage: Int(row.passage), text: try doc.text(row.utf8Range), row: hit.row))
      }
      return hits
    }
  }

  /// Embeds `text` with `model` (this space's model, through any ``EmbeddingService``) and searches.
  /// - Throws: ``EmbeddingError`` for another model or an unusable text.
  public func search(text: String, model: any EmbeddingService, k: Int = 10, index: Index = .exact) throws -> [Hit] {
    let q = try model.embedRows([text], configuration: try embeddingConfiguration(of: model))
    return try search(vector: q, k: k, index: index)
  }
}
