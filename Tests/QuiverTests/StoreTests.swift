import Foundation
import Quiver
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The store on a real LMDB directory, with the real fixture model and corpus.
@Suite struct StoreTests {
  static let model: StaticModel = try! StaticModel(path: TestFixtures.model256PQ)

  static func corpus(_ n: Int) throws -> [(doc: Document, short: String)] {
    let data = Data(try TestFixtures.readBytes(TestFixtures.corpus))
    var out: [(Document, String)] = []
    for line in data.split(separator: UInt8(ascii: "\n")).prefix(n) {
      let r = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
      let short = (r["metadata"] as? [String: Any])?["short"] as? String ?? ""
      out.append((Document(id: r["id"] as! String, text: r["text"] as! String, metadataJSON: "{\"short\":\"x\"}"), short))
    }
    return out
  }

  @Test func ingestQueryCloseReopenGivesIdenticalResults() throws {
    let docs = try Self.corpus(400)
    try withTemporaryDirectory { dir in
      var before: [[Space.Hit]] = []
      do {
        let store = try Store.open(at: dir)
        let space = try store.space(for: Self.model)
        let summary = try space.ingest(docs.map(\.doc), model: Self.model)
        #expect(summary.documents == 400 && summary.passages >= 400)
        // A document's own text finds that document first.
        for (doc, _) in docs.prefix(20) {
          let hits = try space.search(text: String(doc.text.prefix(300)), model: Self.model, k: 3)
          #expect(hits.first?.id == doc.id)
        }
        // Its short description (a different text) finds it in the top 10 for most packages.
        var found = 0
        for (doc, short) in docs.prefix(50) {
          let hits = try space.search(text: short, model: Self.model, k: 10)
          before.append(hits)
          if hits.contains(where: { $0.id == doc.id }) { found += 1 }
        }
        #expect(found >= 35, "short description found its package in the top 10 for \(found)/50")
        let info = try store.spaces()
        #expect(info.count == 1 && info[0].liveRows == UInt64(summary.passages))
      }
      let reopened = try Store.open(at: dir)
      let space = try reopened.space(SpaceKey(model: Self.model.identity, dimension: 256))
      for (i, (_, short)) in docs.prefix(50).enumerated() {
        #expect(try space.search(text: short, model: Self.model, k: 10) == before[i])
      }
      #expect(try reopened.stats().documents == 400)
    }
  }

  @Test func passagesMapBackToTheirDocument() throws {
    let words = (0..<300).map { "word\($0)" }
    let text = words.joined(separator: " ")
    let splitter = PassageSplitter(window: 100, overlap: 10)
    let passages = splitter.passages(of: text)
    #expect(passages.count == 4)  // 0–99, 90–189, 180–279, 270–299
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest([Document(id: "long", text: text)], model: Self.model, splitter: splitter)
      let hits = try space.search(text: "word185 word186 word187", model: Self.model, k: 4)
      #expect(hits.count == 4 && hits.allSatisfy { $0.id == "long" })
      for hit in hits {
        let utf8 = Array(text.utf8)
        #expect(hit.text == String(decoding: utf8[passages[hit.passage].utf8Range], as: UTF8.self))
      }
    }
  }

  /// A stream of batches (the CLI's path): every batch stored, in order, with the same result as
  /// one array; an invalid document stops the stream at its batch, the batches before it kept, and
  /// a failure to read the next batch surfaces after the batch in flight is written.
  @Test func streamedBatchesAreStoredInOrderAndStopAtABadBatch() throws {
    let docs = try Self.corpus(300).map(\.doc)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      var batches = [Array(docs[0..<120]), [], Array(docs[120..<250])][...]
      var reported: [Int] = []
      let summary = try space.ingest(batches: { batches.popFirst() }, model: Self.model) { reported.append($0) }
      #expect(summary.documents == 250 && reported == [120, 250])
      #expect(try store.stats().documents == 250)
      #expect(try store.verifyLexicalIndexes().isEmpty)
      for doc in docs.prefix(250).suffix(5) {
        #expect(try space.search(text: String(doc.text.prefix(300)), model: Self.model, k: 1).first?.id == doc.id)
      }
      var bad = [Array(docs[250..<270]), [Document(id: "empty", text: "")], Array(docs[270..<300])][...]
      #expect(throws: StoreError.self) { try space.ingest(batches: { bad.popFirst() }, model: Self.model) }
      #expect(try store.stats().documents == 270 && bad.count <= 1)
      struct ReadFailure: Error {}
      var calls = 0
      #expect(throws: ReadFailure.self) {
        try space.ingest(batches: {
          calls += 1
          if calls == 2 { throw ReadFailure() }
          return Array(docs[270..<300])
        }, model: Self.model)
      }
      #expect(try store.stats().documents == 300)
      #expect(try store.verifyLexicalIndexes().isEmpty)
    }
  }

  @Test func deleteAndReingest() throws {
    let docs = try Self.corpus(60).map(\.doc)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      let first = try space.ingest(docs, model: Self.model)
      // Same ids, same texts: nothing changes.
      let again = try space.ingest(docs, model: Self.model)
      #expect(again.unchanged == 60 && again.passages == 0)
      #expect(try store.spaces()[0].rows == UInt64(first.passages))
      // Delete one: gone from search and from the documents.
      let victim = docs[7]
      #expect(try store.delete(ids: [victim.id, "no-such-id"]) == 1)
      #expect(try store.document(id: victim.id) == nil)
      let hits = try space.search(text: String(victim.text.prefix(300)), model: Self.model, k: 10)
      #expect(!hits.contains { $0.id == victim.id })
      let victimPassages = PassageSplitter().passages(of: victim.text).count
      #expect(try store.spaces()[0].liveRows == UInt64(first.passages - victimPassages))
      // New text for an existing id replaces its passages in the same transaction.
      let target = docs[3]
      let replaced = try space.ingest([Document(id: target.id, text: "quantum chromodynamics lattice simulation toolkit")], model: Self.model)
      #expect(replaced.replaced == 1)
      let top = try space.search(text: "quantum chromodynamics lattice simulation toolkit", model: Self.model, k: 1)
      #expect(top.first?.id == target.id && top.first?.text == "quantum chromodynamics lattice simulation toolkit")
      let old = try space.search(text: String(target.text.prefix(300)), model: Self.model, k: 10)
      #expect(!old.contains { $0.id == target.id && $0.text != "quantum chromodynamics lattice simulation toolkit" })
      #expect(try store.document(id: target.id)?.text == "quantum chromodynamics lattice simulation toolkit")
    }
  }

  /// The same id twice in one batch (the fixture corpus has one such package): the later text wins,
  /// row numbering stays consistent across the batch, and later batches append after it.
  @Test func repeatedIDWithinABatchKeepsRowsConsistent() throws {
    var seen = Set<String>()
    var docs = try Self.corpus(1500).map(\.doc).filter { seen.insert($0.id).inserted }
    docs.insert(Document(id: docs[10].id, text: "a replacement text about kernel modules"), at: 500)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      let summary = try space.ingest(docs, model: Self.model)
      #expect(summary.replaced == 1)
      let info = try store.spaces()[0]
      #expect(info.rows == UInt64(summary.passages))
      let replacedPassages = PassageSplitter().passages(of: docs[10].text).count
      #expect(info.liveRows == info.rows - UInt64(replacedPassages))
      for doc in [docs[0], docs[700], docs[1400]] {
        let top = try space.search(text: String(doc.text.prefix(300)), model: Self.model, k: 1).first
        // (Some packages share a description verbatim, e.g. msmtp and msmtp-mta: compare texts.)
        #expect(try store.document(id: top?.id ?? "")?.text.hasPrefix(String(doc.text.prefix(300))) == true, "\(doc.id) → \(top?.id ?? "nothing")")
      }
      #expect(try space.search(text: "a replacement text about kernel modules", model: Self.model, k: 1).first?.id == docs[10].id)
      let problems = try store.verifyLexicalIndexes()  // the earlier text's passages were never posted
      #expect(problems.isEmpty, "\(problems)")
    }
  }

  /// A batch that mixes unchanged, new and changed documents stores exactly the new rows, each
  /// with its own vector: every stored row's vector is its passage's embedding.
  @Test func aMixedBatchAppendsOnlyTheNewRowsWithTheirOwnVectors() throws {
    var seen = Set<String>()
    let docs = try Self.corpus(60).map(\.doc).filter { seen.insert($0.id).inserted }
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(Array(docs[0..<20]), model: Self.model)
      let changed = Document(id: docs[5].id, text: "a changed description of a tiling window manager")
      // unchanged 0..<5 and 6..<20 around a changed one, then 40 new documents
      let mixed = Array(docs[0..<5]) + [changed] + Array(docs[6..<20]) + Array(docs[20...])
      let summary = try space.ingest(mixed, model: Self.model)
      #expect(summary.unchanged == 19 && summary.replaced == 1)
      for doc in [changed] + Array(docs[20...]) {
        let probe = PassageSplitter().passages(of: doc.text).first!
        let text = String(decoding: Array(doc.text.utf8)[probe.utf8Range], as: UTF8.self)
        let hit = try space.search(text: text, model: Self.model, k: 1, index: .exact).first
        #expect(hit.map { abs($0.score - 1) < 1e-4 } == true, "\(doc.id): best score \(hit?.score ?? 0)")
        #expect(hit?.text == text)
      }
    }
  }

  @Test func compactionRemovesTombstonesAndKeepsResults() throws {
    var seen = Set<String>()
    let docs = try Self.corpus(2500).map(\.doc).filter { seen.insert($0.id).inserted }
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(docs, model: Self.model)
      try store.delete(ids: stride(from: 0, to: docs.count, by: 3).map { docs[$0].id })
      let probes = docs.indices.filter { $0 % 3 != 0 }.prefix(40).map { String(docs[$0].text.prefix(200)) }
      let before = try probes.map { try space.search(text: $0, model: Self.model, k: 5).map { [$0.id, $0.text] } }
      let info = try store.spaces()[0]
      let summary = try space.compact()
      #expect(summary.rowsBefore == info.rows && summary.rowsAfter == info.liveRows && summary.rowsAfter < summary.rowsBefore)
      let after = try probes.map { try space.search(text: $0, model: Self.model, k: 5).map { [$0.id, $0.text] } }
      #expect(after == before)
      // Rows are dense again, and ingest and delete keep working on the compacted layout.
      #expect(try store.spaces()[0].rows == summary.rowsAfter)
      try space.ingest([Document(id: "fresh", text: "a brand new package for testing compaction")], model: Self.model)
      #expect(try space.search(text: "a brand new package for testing compaction", model: Self.model, k: 1).first?.id == "fresh")
      #expect(try store.delete(ids: [docs[1].id]) == 1)
      #expect(try store.spaces()[0].liveRows == summary.rowsAfter + 1 - UInt64(PassageSplitter().passages(of: docs[1].text).count))
    }
  }

  /// An int8 space (4× smaller rows) ranks like the f32 space of the same model. (A space is
  /// keyed by model and dimension, so the two live in two stores.)
  @Test func int8SpaceAgreesWithFloat32() throws {
    var seen = Set<String>()
    let corpus = try Self.corpus(1500).filter { seen.insert($0.doc.id).inserted }
    try withTemporaryDirectory { dir in
      let f32Store = try Store.open(at: dir + "/f32")
      let i8Store = try Store.open(at: dir + "/int8")
      let f32 = try f32Store.space(for: Self.model)
      let i8 = try i8Store.space(for: Self.model, elementType: .int8)
      try f32.ingest(corpus.map(\.doc), model: Self.model)
      try i8.ingest(corpus.map(\.doc), model: Self.model)
      var overlap = 0
      for (_, short) in corpus.prefix(30) {
        let a = Set(try f32.search(text: short, model: Self.model, k: 10).map(\.row))
        let b = Set(try i8.search(text: short, model: Self.model, k: 10).map(\.row))
        overlap += a.intersection(b).count
      }
      #expect(overlap >= 270, "int8 top-10 shares \(overlap)/300 rows with f32")
      #expect(try Store.open(at: dir + "/int8").spaces()[0].elementType == .int8)
      #expect(try i8Store.stats().fileBytes < f32Store.stats().fileBytes)
      #expect(throws: StoreError.unsupportedElementType(metric: "l2", element: "int8")) {
        _ = try i8Store.openOrCreateSpace(SpaceKey(model: "x", dimension: 8), metric: .l2, elementType: .int8)
      }
      #expect(throws: StoreError.self) { _ = try i8Store.space(for: Self.model) }  // exists as int8
    }
  }

  @Test func typedErrors() throws {
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      #expect(throws: StoreError.wrongDimension(expected: 256, actual: 3)) { _ = try space.search(vector: [1, 2, 3]) }
      let missing = SpaceKey(model: "bge-small-en-v1.5", dimension: 384)
      #expect(throws: StoreError.unknownSpace(missing.description)) { _ = try store.space(missing) }
      #expect(throws: StoreError.self) { try space.ingest([Document(id: "e", text: "  ")], model: Self.model) }
      #expect(throws: StoreError.invalidDocument(id: "big", reason: "text of 16777217 bytes exceeds the 16 MiB limit")) {
        try space.ingest([Document(id: "big", text: String(repeating: "a", count: Document.maximumTextBytes + 1))], model: Self.model)
      }
      let other = try StaticModel(path: TestFixtures.model64PQ)
      #expect(throws: EmbeddingError.modelMismatch(requested: Self.model.identity, loaded: other.identity)) {
        _ = try space.search(text: "x", model: other)
      }
      #expect(throws: EmbeddingError.modelMismatch(requested: Self.model.identity, loaded: other.identity)) {
        try space.ingest([Document(id: "o", text: "other model")], model: other)
      }
      #expect(try store.stats().documents == 0)  // nothing was half-written
    }
  }

  /// A document may be far longer than one embedding call allows: a 200,000-character text and a
  /// 43,000-character run without spaces are each split into passages of at most 4,096 bytes, all
  /// stored, and a passage deep inside is found.
  @Test func documentsOfAnyLengthAreSplitIntoBoundedPassages() throws {
    let words = (0..<30_000).map { "w\($0 % 997)x\($0 / 997)" }
    let long = Document(id: "long", text: String(words.joined(separator: " ").prefix(200_000)))
    let run = Document(id: "run", text: String(repeating: "é", count: 21_500) + "z")  // 43,001 bytes, no space
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      let summary = try space.ingest([long, run], model: Self.model)
      #expect(summary.documents == 2)
      for d in [long, run] {
        let passages = PassageSplitter().passages(of: d.text)
        #expect(passages.count > 1)
        #expect(passages.allSatisfy { $0.utf8Range.count <= 4096 })
        #expect(passages.last!.utf8Range.upperBound == d.text.utf8.count)
        #expect(passages.allSatisfy { String(validating: Array(d.text.utf8)[$0.utf8Range], as: UTF8.self) != nil })
      }
      #expect(summary.passages == PassageSplitter().passages(of: long.text).count + PassageSplitter().passages(of: run.text).count)
      // A passage deep inside: its exact text is found first.
      let deep = PassageSplitter().passages(of: long.text)[150]
      let text = String(decoding: Array(long.text.utf8)[deep.utf8Range], as: UTF8.self)
      let hit = try space.query(text, model: Self.model, options: SearchOptions(k: 1, mode: .lexical, passages: true)).first
      #expect(hit?.id == "long" && hit?.passage == 150)
    }
  }

  @Test func unknownFormatVersionAndForeignEnvironmentsAreRefused() throws {
    try withTemporaryDirectory { dir in
      _ = try Store.open(at: dir)
      do {  // a newer Quiver wrote this store
        let env = try LMDBEnvironment(path: dir, options: { var o = LMDBEnvironment.Options(); o.maxDatabases = 256; return o }())
        let meta = try env.database(named: "meta")
        try env.write { try $0.put(meta, key: "format_version", value: [3, 0, 0, 0] as [UInt8]) }
      }
      #expect(throws: StoreError.unsupportedFormatVersion(found: 3, supported: 2)) { _ = try Store.open(at: dir) }
    }
    try withTemporaryDirectory { dir in
      do {
        let env = try LMDBEnvironment(path: dir)
        let db = try env.database(named: "something-else", flags: .create)
        try env.write { try $0.put(db, key: "k", value: "v") }
      }
      #expect(throws: StoreError.notAStore(path: dir)) { _ = try Store.open(at: dir) }
    }
  }

  @Test func externalVectorsLiveInTheirOwnSpace() throws {
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let key = SpaceKey(model: "toy-model", dimension: 4)
      let space = try store.openOrCreateSpace(key, metric: .l2)
      let docs = (0..<3000).map { Document(id: "v\($0)", text: "vector \($0)") }
      var vectors: [Float] = []
      for i in 0..<3000 { vectors += [Float(i), Float(i % 7), 0, 1] }
      try space.ingest(docs, vectors: vectors)  // 3 batches, 3 chunks
      let hits = try space.search(vector: [2049.2, 5, 0, 1], k: 3)
      #expect(hits.map(\.id) == ["v2049", "v2050", "v2048"])  // squared distances 0.04, 1.64, 2.44
      #expect(throws: StoreError.self) { try space.ingest([docs[0]], vectors: [1, 2, 3]) }
      _ = try store.space(for: Self.model)
      #expect(Set(try store.spaces().map(\.key)) == [key, SpaceKey(model: Self.model.identity, dimension: 256)])
    }
  }
}

/// A crash mid-ingest loses nothing that was committed: a real `quiver ingest` process is killed
/// with SIGKILL while it writes; the store then opens, holds whole batches only, and every document
/// it holds is searchable.
@Suite struct CrashSafetyTests {
  /// The `quiver` binary under test: `QUIVER_BINARY_DIR/quiver` (the sanitizer runs), else the
  /// release build's.
  static var quiverBinary: String {
    let dir = ProcessInfo.processInfo.environment["QUIVER_BINARY_DIR"].map { $0.hasPrefix("/") ? $0 : TestFixtures.directory + "/../" + $0 }
    return (dir ?? TestFixtures.directory + "/../.build/release") + "/quiver"
  }

  @Test func killedIngestKeepsEveryCommittedBatch() throws {
    #expect(FileManager.default.isExecutableFile(atPath: Self.quiverBinary), "build the CLI first: swift build -c release")
    var seen = Set<String>()
    let base = try StoreTests.corpus(4000).map(\.doc).filter { seen.insert($0.id).inserted }.prefix(3000)
    try withTemporaryDirectory { dir in
      // 30,000 distinct documents (10 copies of 3,000 under new ids), one JSONL file.
      var lines: [String] = []
      for copy in 0..<10 {
        for d in base {
          let object: [String: Any] = ["id": "\(d.id)#\(copy)", "text": d.text,
                                       "metadata": ["copy": copy, "tags": ["c\(copy % 3)", "x"], "source": ["name": d.id]]]
          lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
      }
      let input = dir + "/input.jsonl"
      try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: input))
      let storeDir = dir + "/store"
      let process = Process()
      process.executableURL = URL(fileURLWithPath: Self.quiverBinary)
      process.arguments = ["ingest", "--store", storeDir, "--model", TestFixtures.model256PQ, input]
      process.standardOutput = FileHandle.nullDevice
      let errors = Pipe()
      process.standardError = errors
      try process.run()
      // Wait for the first committed batch to be reported, then kill the process mid-write.
      let reader = errors.fileHandleForReading
      var seen = ""
      while !seen.contains("ingest: 1000 documents"), process.isRunning {
        seen += String(decoding: reader.availableData, as: UTF8.self)
      }
      usleep(150_000)
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      #expect(process.terminationReason == .uncaughtSignal, "the ingest finished before it could be killed")

      let store = try Store.open(at: storeDir)
      let documents = try store.documents()
      #expect(documents.count >= 1000 && documents.count % 1000 == 0, "\(documents.count) documents: not whole batches")
      let model = try StaticModel(path: TestFixtures.model256PQ)
      let space = try store.space(for: model)
      let info = try store.spaces()[0]
      #expect(info.rows == info.liveRows)
      // The lexical index holds exactly the committed documents' passages, no more, no less.
      let problems = try store.verifyLexicalIndexes()
      #expect(problems.isEmpty, "\(problems)")
      #expect(try space.hasLexicalIndex)
      // So does the metadata index: exactly the committed documents' sets.
      #expect(try store.verifyMetadataIndex().isEmpty)
      #expect(try store.count(where: .field("tags", .equal(.string("x")))) == documents.count)
      var expectedRows = 0
      for d in documents { expectedRows += PassageSplitter().passages(of: d.text).count }
      #expect(info.rows == UInt64(expectedRows))
      for d in documents.prefix(50) {
        let top = try space.search(text: String(d.text.prefix(300)), model: model, k: 1).first
        #expect(try store.document(id: top?.id ?? "")?.text.hasPrefix(String(d.text.prefix(300))) == true)
      }
    }
  }
}
