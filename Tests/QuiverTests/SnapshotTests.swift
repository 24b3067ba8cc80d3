import Dispatch
import Foundation
import Quiver
import Testing

/// `Store.snapshot(to:)`: a consistent copy while writers run, whose exact answers are the source's
/// at the copied commit and whose HNSW graph is caught up, or not trusted when it does not fit.
@Suite struct SnapshotTests {
  static let model = StoreTests.model

  /// Exact top-10 ids and scores of `queries`.
  static func exactAnswers(_ space: Space, _ queries: [String]) throws -> [[String]] {
    try queries.map { q in
      try space.query(q, model: model, options: SearchOptions(k: 10, mode: .vector, index: .exact)).map { "\($0.id) \($0.score)" }
    }
  }

  static func recall(_ space: Space, _ queries: [String]) throws -> Double {
    var shared = 0, total = 0
    for q in queries {
      let exact = Set(try space.query(q, model: model, options: SearchOptions(k: 10, mode: .vector, index: .exact)).map(\.id))
      let approx = try space.query(q, model: model, options: SearchOptions(k: 10, mode: .vector, index: .hnsw(ef: 64)))
      shared += approx.filter { exact.contains($0.id) }.count
      total += exact.count
    }
    return Double(shared) / Double(max(total, 1))
  }

  @Test func aSnapshotTakenWhileAWriterRunsAnswersAsTheSourceDidAtItsCommit() throws {
    let corpus = try StoreHNSWTests.docs(2400).map(\.doc)
    let queries = try StoreHNSWTests.docs(2400).prefix(40).map(\.short)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir + "/source")
      let space = try store.space(for: Self.model)
      try space.ingest(Array(corpus.prefix(800)), model: Self.model)
      // The writer commits batches of 100 (graph file written after each) while snapshots are taken.
      let writer = DispatchQueue(label: "writer")
      let done = DispatchSemaphore(value: 0)
      nonisolated(unsafe) var writeError: (any Error)?
      writer.async {
        defer { done.signal() }
        do {
          var start = 800
          while start < corpus.count {
            try space.ingest(Array(corpus[start..<min(start + 100, corpus.count)]), model: Self.model)
            start += 100
          }
        } catch { writeError = error }
      }
      var copies: [String] = []
      for i in 0..<4 {
        let copy = dir + "/copy\(i)"
        try store.snapshot(to: copy)
        copies.append(copy)
        usleep(150_000)
      }
      done.wait()
      #expect(writeError == nil)
      let sourceRecall = try Self.recall(space, queries)
      var sizes: [Int] = []
      for copy in copies {
        let snapshot = try Store.open(at: copy, creating: false, readOnly: true)
        let documents = try snapshot.stats().documents
        sizes.append(documents)
        // Commits are batches in corpus order: the copy holds a prefix of the corpus, whole.
        #expect(documents >= 800 && (documents % 100 == 0 || documents == corpus.count))
        #expect(try Set(snapshot.documents().map(\.id)) == Set(corpus.prefix(documents).map(\.id)))
        // The source at that commit: the same documents ingested alone.
        let reference = try Store.open(at: copy + "-reference")
        let referenceSpace = try reference.space(for: Self.model)
        try referenceSpace.ingest(Array(corpus.prefix(documents)), model: Self.model, updatingGraph: false)
        let copied = try snapshot.space(space.key)
        #expect(try Self.exactAnswers(copied, queries) == Self.exactAnswers(referenceSpace, queries))
        // The copied graph is caught up (in memory: the copy is read-only) and keeps the recall.
        #expect(try copied.graphInfo().nodes == Int(try snapshot.spaces()[0].rows))
        #expect(try Self.recall(copied, queries) >= sourceRecall - 0.03)
      }
      #expect(sizes.count == 4)
    }
  }

  @Test func aGraphFileAheadOfTheCopiedCommitIsNeverTrusted() throws {
    let corpus = try StoreHNSWTests.docs(1200).map(\.doc)
    let queries = try StoreHNSWTests.docs(1200).prefix(30).map(\.short)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir + "/source")
      let space = try store.space(for: Self.model)
      try space.ingest(Array(corpus.prefix(600)), model: Self.model)
      try store.snapshot(to: dir + "/copy")
      try space.ingest(Array(corpus[600...]), model: Self.model)
      // Put the source's newer graph (1,200 documents' rows) into the copy of 600.
      let graphName = "/" + (space.graphPath.split(separator: "/").last.map(String.init) ?? "")
      unlink(dir + "/copy" + graphName)
      #expect(FileManager.default.fileExists(atPath: space.graphPath))
      try FileManager.default.copyItem(atPath: space.graphPath, toPath: dir + "/copy" + graphName)
      let copy = try Store.open(at: dir + "/copy", creating: false)
      let copied = try copy.space(space.key)
      let rows = Int(try copy.spaces()[0].rows)
      #expect(try copied.graphInfo().nodes == rows)  // rebuilt for the copy's rows, not the file's
      let live = Set(corpus.prefix(600).map(\.id))
      for q in queries {
        let hits = try copied.query(q, model: Self.model, options: SearchOptions(k: 10, mode: .vector, index: .hnsw(ef: 64)))
        #expect(hits.count == 10 && hits.allSatisfy { live.contains($0.id) })
      }
      #expect(try Self.recall(copied, queries) >= 0.9)
    }
  }

  @Test func aSnapshotGoesOnlyIntoANewOrEmptyDirectory() throws {
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir + "/source")
      try store.space(for: Self.model).ingest(Array(try StoreHNSWTests.docs(50).map(\.doc)), model: Self.model)
      mkdir(dir + "/empty", 0o755)
      try store.snapshot(to: dir + "/empty")
      #expect(throws: StoreError.self) { try store.snapshot(to: dir + "/empty") }
      #expect(try Store.open(at: dir + "/empty", creating: false).stats().documents == 50)
    }
  }
}
