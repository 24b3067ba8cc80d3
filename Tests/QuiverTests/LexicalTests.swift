import Foundation
import Quiver
import Testing

/// The store's lexical index and the query modes: BM25 equal to a direct computation, postings
/// consistent through every write, documents as results, and format 1 stores upgraded.
@Suite struct LexicalTests {
  static let model = StoreTests.model

  static func docs(_ n: Int) throws -> [Document] {
    var seen = Set<String>()
    return try StoreTests.corpus(n).map(\.doc).filter { seen.insert($0.id).inserted }
  }

  /// Lexical token ids as libsentencepiece gives them for the lower-cased text (the store uses
  /// Quiver's own encoder: the same ids, another code path).
  static func lexicalIDs(_ text: String) throws -> [Int32] { try model.tokenizer.encode(text.lowercased()) }

  /// BM25 of every passage computed directly from the passages' token ids (idf = ln(1 + (N − df +
  /// 0.5)/(df + 0.5)), k1 and b as a new store records them — 0.6 and 0.75 — or as given,
  /// repeats of a query token counted), best first.
  static func directBM25(_ query: String, passages: [(id: String, passage: Int, tokens: [Int32])], k1: Double = 0.6,
                         b: Double = 0.75) throws -> [(id: String, passage: Int, score: Double)] {
    let q = try lexicalIDs(query)
    let n = Double(passages.count)
    let avgdl = Double(passages.reduce(0) { $0 + $1.tokens.count }) / n
    var df: [Int32: Int] = [:]
    for p in passages { for t in Set(p.tokens) { df[t, default: 0] += 1 } }
    var out: [(id: String, passage: Int, score: Double)] = []
    for p in passages {
      var score = 0.0
      for t in q {
        guard let d = df[t] else { continue }
        let tf = Double(p.tokens.filter { $0 == t }.count)
        guard tf > 0 else { continue }
        let idf: Double = log(1 + (n - Double(d) + 0.5) / (Double(d) + 0.5))
        let norm: Double = 1 - b + b * Double(p.tokens.count) / avgdl
        score += idf * tf * (k1 + 1) / (tf + k1 * norm)
      }
      if score > 0 { out.append((p.id, p.passage, score)) }
    }
    return out.sorted { $0.score > $1.score }
  }

  static func expectConsistent(_ store: Store, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let problems = try store.verifyLexicalIndexes()
    #expect(problems.isEmpty, "\(problems.joined(separator: "; "))", sourceLocation: sourceLocation)
  }

  @Test func lexicalScoresEqualADirectBM25Computation() throws {
    let docs = try Self.docs(400)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      // Several ingests, so that the postings span segments.
      for start in stride(from: 0, to: docs.count, by: 90) {
        try space.ingest(Array(docs[start..<min(docs.count, start + 90)]), model: Self.model)
      }
      var passages: [(id: String, passage: Int, tokens: [Int32])] = []
      for d in docs {
        let utf8 = Array(d.text.utf8)
        for p in PassageSplitter().passages(of: d.text) {
          passages.append((d.id, p.index, try Self.lexicalIDs(String(decoding: utf8[p.utf8Range], as: UTF8.self))))
        }
      }
      for query in ["Python library for parsing XML", "mail transfer agent", "GTK theme engine", "the the library", "zzzqqq"] {
        let expected = try Self.directBM25(query, passages: passages).prefix(10)
        let got = try space.query(query, model: Self.model, options: SearchOptions(k: 10, mode: .lexical, passages: true))
        #expect(got.count == expected.count, "\(query)")
        for (g, e) in zip(got, expected) {
          #expect(abs(Double(g.score) - e.score) <= 1e-4 * max(1, e.score), "\(query): \(g.id)#\(g.passage) \(g.score) vs \(e.id)#\(e.passage) \(e.score)")
          #expect(g.lexicalScore == g.score)
        }
        // Same scores, same order (ties may swap documents of equal score).
        #expect(zip(got, expected).allSatisfy { abs(Double($0.score) - $1.score) <= 1e-4 * max(1, $1.score) })
        // Another k1 and b for one query: the index keeps raw tf and lengths.
        let lucene = try Self.directBM25(query, passages: passages, k1: 1.2, b: 0.3).prefix(10)
        let rescored = try space.query(query, model: Self.model,
                                       options: SearchOptions(k: 10, mode: .lexical, passages: true, bm25K1: 1.2, bm25B: 0.3))
        #expect(rescored.count == lucene.count, "\(query) k1 1.2 b 0.3")
        for (g, e) in zip(rescored, lucene) {
          #expect(abs(Double(g.score) - e.score) <= 1e-4 * max(1, e.score), "\(query) k1 1.2 b 0.3: \(g.score) vs \(e.score)")
        }
        // Documents (each at its best passage): small k (the heap finds a document by scanning)
        // and large k (by its table).
        var best: [String: Double] = [:]
        for e in try Self.directBM25(query, passages: passages) { best[e.id] = max(best[e.id] ?? 0, e.score) }
        let byDocument = best.values.sorted(by: >)
        for k in [10, 100] {
          let documents = try space.query(query, model: Self.model, options: SearchOptions(k: k, mode: .lexical))
          #expect(documents.count == min(k, byDocument.count), "\(query) k \(k)")
          #expect(Set(documents.map(\.id)).count == documents.count, "\(query) k \(k): a document twice")
          for (g, e) in zip(documents, byDocument) {
            #expect(abs(Double(g.score) - e) <= 1e-4 * max(1, e), "\(query) k \(k): \(g.id) \(g.score) vs \(e)")
            #expect(abs(Double(g.score) - best[g.id]!) <= 1e-4 * max(1, best[g.id]!), "\(query) k \(k): \(g.id) not at its best passage")
          }
        }
      }
    }
  }

  @Test func postingsStayConsistentThroughReingestDeleteAndCompaction() throws {
    let docs = try Self.docs(1300)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      for start in stride(from: 0, to: 1000, by: 100) {  // 10 segments: the first 8 merge
        try space.ingest(Array(docs[start..<(start + 100)]), model: Self.model)
        try Self.expectConsistent(store)
      }
      // New text for 20 documents, 30 deleted, 300 new ones, one unchanged re-ingest.
      let replaced = (0..<20).map { Document(id: docs[$0 * 7].id, text: "quasar telemetry decoder number \($0) for radio astronomy") }
      try space.ingest(replaced + Array(docs[1000...]) + [docs[500]], model: Self.model)
      let deleted = (0..<30).map { docs[300 + $0 * 11].id }
      #expect(try store.delete(ids: deleted) == 30)
      try Self.expectConsistent(store)
      let hit = try space.query("quasar telemetry decoder number 7 for radio astronomy", model: Self.model,
                                options: SearchOptions(k: 1, mode: .lexical)).first
      #expect(hit?.id == docs[49].id)
      let gone = Set(deleted + replaced.map(\.id))
      for d in docs where gone.contains(d.id) && !replaced.contains(where: { $0.id == d.id }) {
        let top = try space.query(String(d.text.prefix(200)), model: Self.model, options: SearchOptions(k: 10, mode: .lexical))
        #expect(!top.contains { $0.id == d.id }, "deleted \(d.id) returned")
      }
      let before = try space.query("network file system client", model: Self.model, options: SearchOptions(k: 10, mode: .lexical))
      try space.compact()
      try Self.expectConsistent(store)
      let after = try space.query("network file system client", model: Self.model, options: SearchOptions(k: 10, mode: .lexical))
      #expect(after.map(\.id) == before.map(\.id))
      #expect(zip(after, before).allSatisfy { abs($0.score - $1.score) < 1e-4 })
    }
  }

  /// A merge copies old lists out of the map in chunks of tokens (memory bounded however large
  /// the segments): merging in chunks of a single token's lists builds the same index as in one.
  @Test func mergesInSmallChunksBuildTheSameIndex() throws {
    let docs = try Self.docs(700)
    try withTemporaryDirectory { dir in
      let whole = try Store.open(at: dir + "/whole"), chunked = try Store.open(at: dir + "/chunked")
      chunked.lexicalMergeChunkBytes.withLock { $0 = 1 }  // every chunk one token
      let deleted = (0..<25).map { docs[$0 * 13].id }
      for store in [whole, chunked] {
        let space = try store.space(for: Self.model)
        for start in stride(from: 0, to: 700, by: 70) {  // 10 segments: the first 8 merge
          try space.ingest(Array(docs[start..<(start + 70)]), model: Self.model)
        }
        #expect(try store.delete(ids: deleted) == 25)
        try Self.expectConsistent(store)
      }
      func answers(_ store: Store) throws -> [[String]] {
        let space = try store.space(for: Self.model)
        return try docs.prefix(40).map { d in
          try space.query(String(d.text.prefix(120)), model: Self.model, options: SearchOptions(k: 10, mode: .lexical))
            .map { "\($0.id) \($0.score)" }
        }
      }
      #expect(try answers(chunked) == answers(whole))
      for store in [whole, chunked] {  // compaction merges every segment, dropping the deleted
        try store.space(for: Self.model).compact()
        try Self.expectConsistent(store)
      }
      #expect(try answers(chunked) == answers(whole))
    }
  }

  /// The dead passages are read once per snapshot: again after every commit, always inside a write
  /// transaction, per lexicon.
  @Test func deadPassagesAreReadOncePerSnapshot() throws {
    try withTemporaryDirectory { dir in
      let env = try LMDBEnvironment(path: dir)
      let db = try env.database(named: "items", flags: .create)
      let cache = DeadPassageCache()
      var reads = 0
      func keys(_ lexicon: UInt32, _ txn: LMDBTransaction, _ value: UInt64) -> Set<UInt64> {
        cache.keys(lexicon: lexicon, txn) {
          reads += 1
          return [value]
        }
      }
      try env.write { try $0.put(db, key: "a", value: "1") }
      #expect(try env.read { keys(1, $0, 10) } == [10] && reads == 1)
      #expect(try env.read { keys(1, $0, 11) } == [10] && reads == 1)  // the same snapshot: cached
      #expect(try env.read { keys(2, $0, 20) } == [20] && reads == 2)  // another lexicon
      try env.write { try $0.put(db, key: "a", value: "2") }
      #expect(try env.read { keys(1, $0, 12) } == [12] && reads == 3)  // a commit since: read again
      #expect(try env.write { keys(1, $0, 13) } == [13] && reads == 4)  // a write transaction: always
    }
  }

  /// Deletes and re-ingests are seen by the very next query, with the dead passages read through
  /// the store's cache (results are also checked against the documents, so a stale set would cost
  /// time, not answers: the unit test above is what pins the cache itself).
  @Test func aDeleteIsSeenByTheNextQuery() throws {
    let docs = try Self.docs(300)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(docs, model: Self.model)
      let target = docs[123]
      let query = String(target.text.prefix(160))
      func top() throws -> [String] {
        try space.query(query, model: Self.model, options: SearchOptions(k: 5, mode: .lexical)).map(\.id)
      }
      #expect(try top().first == target.id)
      #expect(try top().first == target.id)  // the same snapshot: the cached set
      #expect(try store.delete(ids: [target.id]) == 1)
      #expect(try !top().contains(target.id))
      try space.ingest([target], model: Self.model)
      #expect(try top().first == target.id)
      #expect(try store.delete(ids: [target.id]) == 1)
      #expect(try !top().contains(target.id))
      try Self.expectConsistent(store)
    }
  }

  @Test func resultsAreDocumentsUnlessPassagesAreAsked() throws {
    let docs = try Self.docs(600)
    let long = Document(id: "long", text: (0..<600).map { "word\($0 % 97) kernel module loader" }.joined(separator: " "))
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(docs + [long], model: Self.model)
      for mode in SearchMode.allCases {
        let results = try space.query("kernel module loader", model: Self.model, options: SearchOptions(k: 10, mode: mode))
        #expect(results.count == 10, "\(mode)")
        #expect(Set(results.map(\.id)).count == results.count, "\(mode): a document twice")
        #expect(zip(results, results.dropFirst()).allSatisfy { $0.score >= $1.score })
        switch mode {
        case .vector: #expect(results.allSatisfy { $0.vectorScore != nil && $0.lexicalScore == nil })
        case .lexical: #expect(results.allSatisfy { $0.lexicalScore != nil && $0.vectorScore == nil })
        case .hybrid: #expect(results.allSatisfy { $0.lexicalScore != nil && $0.vectorScore != nil })
        }
      }
      let passages = try space.query("kernel module loader", model: Self.model, options: SearchOptions(k: 10, mode: .lexical, passages: true))
      #expect(passages.count == 10)
      #expect(passages.filter { $0.id == "long" }.count > 1)  // its passages, several
      let strong = try space.query("kernel module loader", model: Self.model, options: SearchOptions(k: 10, mode: .lexical))
      let cut = try space.query("kernel module loader", model: Self.model,
                                options: SearchOptions(k: 10, mode: .lexical, minimumScore: strong[2].score))
      #expect(cut.count == 3 && cut.allSatisfy { $0.score >= strong[2].score })
      #expect(throws: StoreError.invalidArgument("k must be at least 1, not 0")) {
        _ = try space.query("x", model: Self.model, options: SearchOptions(k: 0))
      }
    }
  }

  @Test func aFormat1StoreAnswersAsItIsAndIsUpgradedByItsFirstWrite() throws {
    try withTemporaryDirectory { dir in
      try FileManager.default.copyItem(atPath: TestFixtures.directory + "/store-format1/data.mdb", toPath: dir + "/data.mdb")
      let before = try Store.open(at: dir)
      #expect(try before.stats().formatVersion == 1)
      let space = try before.space(for: Self.model)
      #expect(try !space.hasLexicalIndex)
      let probe = "Python library for parsing XML"
      let vectorAnswer = try space.query(probe, model: Self.model, options: SearchOptions(k: 5, index: .exact))
      #expect(vectorAnswer.count == 5)
      #expect(throws: StoreError.noLexicalIndex(space.key.description)) {
        _ = try space.query(probe, model: Self.model, options: SearchOptions(mode: .lexical))
      }
      #expect(try before.stats().formatVersion == 1)  // reading wrote nothing
      // The first write upgrades it (here a delete of nothing): the answers stay the same.
      #expect(try before.delete(ids: ["no such document"]) == 0)
      let upgradedStore = try Store.open(at: dir)
      #expect(try upgradedStore.stats().formatVersion == 2)
      #expect(try upgradedStore.space(for: Self.model).query(probe, model: Self.model, options: SearchOptions(k: 5, index: .exact))
        == vectorAnswer)
      // The first ingest indexes the documents already stored, then its own.
      let extra = try Self.docs(200).suffix(10)
      try space.ingest(Array(extra), model: Self.model)
      let after = try Store.open(at: dir)
      #expect(try after.stats().documents == 70)
      try Self.expectConsistent(after)
      let upgraded = try after.space(for: Self.model)
      #expect(try upgraded.hasLexicalIndex)
      let lexical = try upgraded.query(probe, model: Self.model, options: SearchOptions(k: 70, mode: .lexical))
      let vector = try upgraded.query(probe, model: Self.model, options: SearchOptions(k: 70, mode: .vector, index: .exact))
      #expect(Set(lexical.map(\.id)).isSubset(of: Set(vector.map(\.id))) && lexical.count > 10)
      let old = Set(vectorAnswer.map(\.id))
      #expect(lexical.contains { old.contains($0.id) })  // stored before the upgrade, found lexically
    }
  }

  /// Deleting most of a space never costs results: every mode returns k documents while k live
  /// ones match (the search widens its candidates until it has k or the space is exhausted).
  @Test func kResultsAfterDeletingMostOfASpace() throws {
    let docs = try Self.docs(1100).prefix(1000)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(Array(docs), model: Self.model)
      #expect(try store.delete(ids: docs.prefix(950).map(\.id)) == 950)
      let live = Set(docs.suffix(50).map(\.id))
      for mode in SearchMode.allCases {
        for index in [Space.Index.hnsw(ef: 64), .exact] {
          let results = try space.query("library for the command line", model: Self.model, options: SearchOptions(k: 10, mode: mode, index: index))
          if mode == .lexical {
            #expect(results.count >= 1 && results.allSatisfy { live.contains($0.id) })
          } else {
            #expect(results.count == 10, "\(mode) \(index): \(results.count) results")
            #expect(results.allSatisfy { live.contains($0.id) })
          }
        }
      }
    }
  }

  /// Reading never creates a store; NaN vectors are refused before anything is written.
  @Test func aQueryNeverCreatesAStoreAndNaNVectorsAreRefused() throws {
    try withTemporaryDirectory { dir in
      let path = dir + "/nothing-here"
      #expect(throws: StoreError.noStore(path: path)) { _ = try Store.open(at: path, creating: false) }
      #expect(!FileManager.default.fileExists(atPath: path))
      let store = try Store.open(at: dir + "/store")
      let space = try store.openOrCreateSpace(SpaceKey(model: "toy", dimension: 2))
      let docs = [Document(id: "a", text: "first"), Document(id: "b", text: "second")]
      #expect(throws: StoreError.invalidDocument(id: "b", reason: "vector component 1 is nan")) {
        try space.ingest(docs, vectors: [1, 0, 0, .nan])
      }
      #expect(try store.stats().documents == 0)
      #expect(throws: StoreError.self) { try space.ingest(docs, vectors: [1, 0, .infinity, 0]) }
    }
  }
}
