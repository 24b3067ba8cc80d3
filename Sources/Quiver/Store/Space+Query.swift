import QuiverKernels

extension Space {
  /// Whether the space has a lexical index (so lexical and hybrid queries work).
  public var hasLexicalIndex: Bool {
    get throws { try record().lexicon != 0 }
  }

  /// The model file the space's vectors were last made with, as recorded at ingest (nil: unknown,
  /// e.g. a store of format 1 or an external model).
  public var modelPath: String? {
    get throws {
      let path = try record().modelPath
      return path.isEmpty ? nil : path
    }
  }

  /// The model file whose tokenizer the space's lexical index uses (nil: no index, or unknown).
  public var lexicalModelPath: String? {
    get throws {
      let r = try record()
      guard r.lexicon != 0 else { return nil }
      return try store.env.read { txn in try store.lexicon(r.lexicon, txn) }.flatMap { $0.record.modelPath.isEmpty ? nil : $0.record.modelPath }
    }
  }

  /// Answers `text`: by vector, lexically, or both fused (``SearchOptions``). Results are documents
  /// (each once, at its best passage) unless `options.passages`; `k` counts what is returned.
  /// - Parameters:
  ///   - model: the space's model (for the vector side; also the lexical tokenizer when it has one).
  ///   - lexicalTokenizer: the tokenizer of the space's lexical index when `model` is not it (an
  ///     external model's space indexed with the default model's tokenizer).
  /// - Throws: ``StoreError/noLexicalIndex(_:)`` for lexical or hybrid on a space without an index,
  ///   ``StoreError/tokenizerMismatch(expected:actual:)`` for a tokenizer other than the index's,
  ///   ``EmbeddingError`` for an unusable text or another model.
  public func query(_ text: String, model: any EmbeddingService, lexicalTokenizer: (any LexicalTokenizer)? = nil,
                    options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
    let mode = try resolvedMode(options)
    let vector = mode == .lexical ? nil : try model.embedRows([text], configuration: try embeddingConfiguration(of: model))
    return try query(text: text, vector: vector, lexicalTokenizer: lexicalTokenizer ?? (model as? any LexicalTokenizer),
                     options: options)
  }

  /// Answers a query given as a text (for the lexical side), a vector (for the vector side), or
  /// both (hybrid) — the form for spaces of external models, whose query vectors come from elsewhere.
  /// - Throws: as ``query(_:model:lexicalTokenizer:options:)``; ``StoreError/invalidArgument(_:)``
  ///   when the mode needs a text or a vector that is missing.
  public func query(text: String?, vector: [Float]?, lexicalTokenizer: (any LexicalTokenizer)?,
                    options: SearchOptions = SearchOptions()) throws -> [SearchResult] {
    guard options.k > 0 else { throw StoreError.invalidArgument("k must be at least 1, not \(options.k)") }
    let spaceRecord = try record()
    let mode = Self.resolvedMode(options.mode, spaceRecord)
    if mode != .lexical && vector == nil { throw StoreError.invalidArgument("a \(mode.rawValue) query needs a query vector") }
    if mode != .vector && text == nil { throw StoreError.invalidArgument("a \(mode.rawValue) query needs a query text") }
    var lexical: (index: LexicalIndex, record: LexiconRecord, tokens: [Int32])?
    if mode != .vector {
      guard spaceRecord.lexicon != 0 else { throw StoreError.noLexicalIndex(key.description) }
      guard let found = try store.env.read({ txn in try store.lexicon(spaceRecord.lexicon, txn) }) else {
        throw StoreError.corruptRecord("lexicon \(spaceRecord.lexicon) of \(key) missing")
      }
      let identity = found.identity
      var lexicon = found.record
      guard let tokenizer = lexicalTokenizer else {
        throw StoreError.tokenizerMismatch(expected: identity, actual: "none (the query's model does not tokenise)")
      }
      let actual = try tokenizer.tokenizerIdentity
      guard actual == identity else { throw StoreError.tokenizerMismatch(expected: identity, actual: actual) }
      if let k1 = options.bm25K1 { lexicon.bm25.k1 = k1 }
      if let b = options.bm25B { lexicon.bm25.b = b }
      let index = try store.env.read { txn in try LexicalIndex(number: lexicon.number, txn) }
      lexical = (index, lexicon, try tokenizer.lexicalTokenIDs([text!])[0])
    }
    var q: [Float]?
    if mode != .lexical, var v = vector {
      guard v.count == dimension else { throw StoreError.wrongDimension(expected: dimension, actual: v.count) }
      guard v.allSatisfy(\.isFinite) else { throw StoreError.invalidArgument("the query vector has NaN or infinite components") }
      if metric == .cosine { Self.normalizeRows(&v, dimension) }
      q = v
    }
    let allowed = try allowedDocuments(options)
    var pool = max(options.k, mode == .hybrid ? options.candidates : options.k)
    while true {
      let (results, exhausted) = try answer(mode: mode, q: q, lexical: lexical, pool: pool, allowed: allowed, options: options)
      if results.count >= options.k || exhausted { return Array(results.prefix(options.k)) }
      pool *= 4
    }
  }

  /// The documents `options` allow (nil: all): its filter evaluated now, met with its set.
  func allowedDocuments(_ options: SearchOptions) throws -> DocumentSet? {
    guard let filter = options.filter else { return options.allowedDocuments }
    var set = try store.documentSet(where: filter)
    if let other = options.allowedDocuments {
      guard other.capacity == set.capacity else {
        throw StoreError.invalidArgument("the allowed documents were prepared before documents were added: prepare them again")
      }
      set.formIntersection(other)
    }
    return set
  }

  /// The mode `options` resolve to on this space: theirs, or hybrid when the space has a lexical
  /// index, else vector.
  public func resolvedMode(_ options: SearchOptions) throws -> SearchMode {
    Self.resolvedMode(options.mode, try record())
  }

  /// `mode`, or the default: hybrid when the space (`record`) has a lexical index, else vector.
  static func resolvedMode(_ mode: SearchMode?, _ record: SpaceRecord) -> SearchMode {
    mode ?? (record.lexicon != 0 ? .hybrid : .vector)
  }

  /// One round of ``query(_:model:lexicalTokenizer:options:)`` with `pool` candidates a side;
  /// `exhausted` when no side could return more.
  private func answer(mode: SearchMode, q: [Float]?, lexical: (index: LexicalIndex, record: LexiconRecord, tokens: [Int32])?,
                      pool: Int, allowed: DocumentSet?, options: SearchOptions) throws -> (results: [SearchResult], exhausted: Bool) {
    var vectorHits: [(row: UInt64, score: Float)] = []
    if let q {
      vectorHits = Array(try vectorCandidates(q, count: pool, index: options.index, allowed: allowed).prefix(pool))
    }
    return try store.env.read { txn in
      var lexicalHits: [(passage: UInt64, score: Double)] = []
      var terms = LexicalIndex.QueryTerms()
      if let lexical {
        (lexicalHits, terms) = try lexical.index.search(tokens: lexical.tokens, k: pool, documents: !options.passages,
                                                        allowed: allowed, record: lexical.record,
                                                        deadPassages: store.deadPassages, txn)
      }
      // A side is exhausted when it returned fewer than asked: both return every passing row or
      // passage up to the number asked (the graph walk falls back to an exact scan when short).
      let exhausted = (q == nil || vectorHits.count < pool) && lexicalHits.count < pool
      var candidates = CandidatePassages()
      for (rank, hit) in vectorHits.enumerated() {
        guard let bytes = try txn.get(rows, key: BigEndianKey(hit.row)) else { throw StoreError.corruptRecord("row \(hit.row) missing") }
        let row = try RowRecord(decoding: bytes)
        if row.deleted { continue }  // a graph may hold rows deleted since it was synced
        candidates.add(document: row.documentID, passage: Int(row.passage), vectorScore: hit.score, vectorRank: rank)
      }
      for (rank, hit) in lexicalHits.enumerated() {
        guard let id = try store.documentID(number: LexicalIndex.document(ofPassage: hit.passage), txn) else { continue }
        let passage = Int(hit.passage & UInt64(LexicalIndex.passagesPerDocument - 1))
        candidates.add(document: id, passage: passage, lexicalScore: hit.score, lexicalRank: rank)
      }
      // Score every candidate passage on both sides (hybrid); texts are read only for the results.
      var scored: [SearchResult] = []
      var scoredRows: [UInt64] = []
      var fusedInputs: [(vector: Float?, lexical: Double?, vectorRank: Int?, lexicalRank: Int?)] = []
      var decoded: [Float] = []
      decoded.reserveCapacity(dimension)
      for c in candidates.all {
        guard let docBytes = try txn.get(store.docs, key: Array(c.document.utf8)) else { continue }
        let doc = try DocumentRecordView(docBytes)
        guard let run = doc.run(space: number), c.passage < Int(run.count) else { continue }
        let row = run.first + UInt64(c.passage)
        var vectorScore = c.vectorScore
        var lexicalScore = c.lexicalScore
        if mode == .hybrid {
          if vectorScore == nil, let q { vectorScore = try score(row: row, query: q, scratch: &decoded, txn) }
          if lexicalScore == nil, let lexical, let number = doc.number {
            let key = LexicalIndex.passageKey(document: number, passage: c.passage)
            lexicalScore = try lexical.index.score(passage: key, terms: terms, record: lexical.record, txn) ?? 0
          }
        }
        scored.append(SearchResult(id: c.document, score: 0, vectorScore: vectorScore, lexicalScore: lexicalScore.map { Float($0) },
                                   passage: c.passage, text: ""))
        scoredRows.append(row)
        fusedInputs.append((vectorScore, lexicalScore, c.vectorRank, c.lexicalRank))
      }
      let fused = Self.fuse(fusedInputs, mode: mode, fusion: options.fusion)
      for i in scored.indices { scored[i].score = fused[i] }
      let order = scored.indices.sorted { a, b in
        scored[a].score != scored[b].score
          ? scored[a].score > scored[b].score : (scored[a].id, scored[a].passage) < (scored[b].id, scored[b].passage)
      }
      var results: [SearchResult] = []
      var seen = Set<String>()
      for i in order where results.count < options.k {
        var r = scored[i]
        if let minimum = options.minimumScore, r.score < minimum { break }
        if !options.passages && seen.contains(r.id) { continue }
        guard let rowBytes = try txn.get(rows, key: BigEndianKey(scoredRows[i])),
          let docBytes = try txn.get(store.docs, key: Array(r.id.utf8))
        else { continue }
        seen.insert(r.id)
        r.text = try DocumentRecordView(docBytes).text(try RowRecord(decoding: rowBytes).utf8Range)
        results.append(r)
      }
      return (results, exhausted)
    }
  }

  /// Each candidate's score in `mode`: its vector or BM25 score alone, or the two fused.
  static func fuse(_ inputs: [(vector: Float?, lexical: Double?, vectorRank: Int?, lexicalRank: Int?)], mode: SearchMode,
                   fusion: Fusion) -> [Float] {
    switch mode {
    case .vector: return inputs.map { $0.vector ?? -.infinity }
    case .lexical: return inputs.map { Float($0.lexical ?? 0) }
    case .hybrid:
      switch fusion {
      case .reciprocalRank(let c):
        return inputs.map { i in
          Float((i.vectorRank.map { 1 / (c + Double($0 + 1)) } ?? 0) + (i.lexicalRank.map { 1 / (c + Double($0 + 1)) } ?? 0))
        }
      case .normalizedScores(let alpha):
        let v = ZNormalizer(inputs.compactMap { $0.vector.map(Double.init) })
        let l = ZNormalizer(inputs.compactMap(\.lexical))
        return inputs.map { i in
          Float(alpha * v.z(i.vector.map(Double.init) ?? v.minimum) + (1 - alpha) * l.z(i.lexical ?? l.minimum))
        }
      }
    }
  }

  /// Row `row`'s exact score against `q` (as the exact scan scores it), decoding the row into
  /// `scratch` (reused across calls).
  private func score(row: UInt64, query q: [Float], scratch v: inout [Float], _ txn: LMDBTransaction) throws -> Float? {
    let chunk = row / UInt64(Self.rowsPerChunk)
    guard let bytes = try txn.get(vectors, key: BigEndianKey(chunk)) else { return nil }
    let rowBytes = elementType.rowBytes(dimension: dimension)
    let i = Int(row % UInt64(Self.rowsPerChunk))
    guard (i + 1) * rowBytes <= bytes.count else { return nil }
    v.removeAll(keepingCapacity: true)
    RowCodec(elementType: elementType, dimension: dimension).decode(bytes.baseAddress! + i * rowBytes, appendingTo: &v)
    return q.withUnsafeBufferPointer { qp in
      v.withUnsafeBufferPointer { vp in metric == .l2 ? -Kernels.squaredL2(qp, vp) : Kernels.dot(qp, vp) }
    }
  }

  /// The space record as committed.
  func record() throws -> SpaceRecord {
    try store.env.read { txn in
      guard let r = try Store.spaceRecord(txn, store.spacesDB, key) else { throw StoreError.unknownSpace(key.description) }
      return r
    }
  }
}

/// The passages either side of a hybrid query proposed, each once, with what that side said.
struct CandidatePassages {
  struct Candidate {
    var document: String
    var passage: Int
    var vectorScore: Float?
    var vectorRank: Int?
    var lexicalScore: Double?
    var lexicalRank: Int?
  }

  private struct Key: Hashable {
    let document: String
    let passage: Int
  }

  private(set) var all: [Candidate] = []
  private var index: [Key: Int] = [:]

  private mutating func slot(_ document: String, _ passage: Int) -> Int {
    let key = Key(document: document, passage: passage)
    if let i = index[key] { return i }
    all.append(Candidate(document: document, passage: passage))
    index[key] = all.count - 1
    return all.count - 1
  }

  mutating func add(document: String, passage: Int, vectorScore: Float, vectorRank: Int) {
    let i = slot(document, passage)
    if all[i].vectorScore == nil {
      all[i].vectorScore = vectorScore
      all[i].vectorRank = vectorRank
    }
  }

  mutating func add(document: String, passage: Int, lexicalScore: Double, lexicalRank: Int) {
    let i = slot(document, passage)
    if all[i].lexicalScore == nil {
      all[i].lexicalScore = lexicalScore
      all[i].lexicalRank = lexicalRank
    }
  }
}

/// z-scores against a sample's mean and standard deviation (1 when the sample does not vary).
struct ZNormalizer {
  let mean: Double
  let deviation: Double
  /// The sample's smallest value (what a candidate missing from it is scored as).
  let minimum: Double

  init(_ sample: [Double]) {
    let n = Double(max(sample.count, 1))
    let m = sample.reduce(0, +) / n
    mean = m
    let variance = sample.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
    deviation = variance > 0 ? variance.squareRoot() : 1
    minimum = sample.min() ?? 0
  }

  func z(_ x: Double) -> Double { (x - mean) / deviation }
}
