import Dispatch
import Foundation
import Quiver
import Testing

/// The HNSW index of a space, through the store: built from committed rows, mapped on reopen,
/// tombstones respected, repaired after compaction, safe beside concurrent readers.
@Suite struct StoreHNSWTests {
  static let model = StoreTests.model

  static func docs(_ n: Int) throws -> [(doc: Document, short: String)] {
    var seen = Set<String>()
    return try StoreTests.corpus(n).filter { seen.insert($0.doc.id).inserted }
  }

  @Test func hnswAgreesWithExactAndSurvivesReopenWithoutRebuilding() throws {
    let corpus = try Self.docs(3000)
    try withTemporaryDirectory { dir in
      var before: [[UInt64]] = []
      do {
        let store = try Store.open(at: dir)
        let space = try store.space(for: Self.model)
        try space.ingest(corpus.map(\.doc), model: Self.model)
        // Ingest inserted every committed batch and wrote the file: nothing is left to catch up.
        #expect(FileManager.default.fileExists(atPath: space.graphPath))
        #expect(try space.updateGraph() == 0)
        #expect(try space.graphInfo().nodes == Int(try store.spaces()[0].rows))
        var shared = 0
        for (_, short) in corpus.prefix(60) {
          let exact = Set(try space.search(text: short, model: Self.model, k: 10, index: .exact).map(\.row))
          let approx = try space.search(text: short, model: Self.model, k: 10, index: .hnsw(ef: 64))
          before.append(approx.map(\.row))
          shared += approx.filter { exact.contains($0.row) }.count
        }
        #expect(shared >= 570, "HNSW recall@10 at ef 64: \(shared)/600")
      }
      let reopened = try Store.open(at: dir)
      let space = try reopened.space(SpaceKey(model: Self.model.identity, dimension: 256))
      #expect(try space.updateGraph() == 0)  // mapped as written: nothing rebuilt or inserted
      for (i, (_, short)) in corpus.prefix(60).enumerated() {
        #expect(try space.search(text: short, model: Self.model, k: 10, index: .hnsw(ef: 64)).map(\.row) == before[i])
      }
    }
  }

  @Test func deletedDocumentsNeverReturnAndCompactionRepairsTheGraph() throws {
    let corpus = try Self.docs(1500)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(corpus.map(\.doc), model: Self.model)
      try space.updateGraph()
      let victims = Set(corpus.prefix(300).map(\.doc.id))
      try store.delete(ids: Array(victims))
      for (doc, _) in corpus.prefix(300) {
        let hits = try space.search(text: String(doc.text.prefix(200)), model: Self.model, k: 10, index: .hnsw(ef: 64))
        #expect(!hits.contains { victims.contains($0.id) })
      }
      let summary = try space.compact()
      // Compaction renumbered the rows and rebuilt the graph over the live ones at once.
      #expect(FileManager.default.fileExists(atPath: space.graphPath))
      #expect(try UInt64(space.graphInfo().nodes) == summary.rowsAfter)
      var agree = 0
      for (doc, _) in corpus[300..<340] {
        let probe = String(doc.text.prefix(200))
        let approx = try space.search(text: probe, model: Self.model, k: 1, index: .hnsw(ef: 64)).first
        let exact = try space.search(text: probe, model: Self.model, k: 1, index: .exact).first
        if approx?.row == exact?.row { agree += 1 }
        #expect(approx.map { !victims.contains($0.id) } ?? false)
      }
      #expect(agree >= 38, "HNSW top-1 = exact top-1 for \(agree)/40 after compaction")
      #expect(FileManager.default.fileExists(atPath: space.graphPath))
    }
  }

  /// A crash after LMDB committed rows but before the graph file was written (simulated by an
  /// ingest that skips the graph) loses nothing: the next open inserts exactly the missing rows.
  @Test func aGraphBehindTheStoreIsCaughtUpOnOpen() throws {
    let corpus = try Self.docs(1200)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(corpus.prefix(800).map(\.doc), model: Self.model)
      let covered = try space.graphInfo().nodes
      try space.ingest(corpus.dropFirst(800).map(\.doc), model: Self.model, updatingGraph: false)
      let rows = try store.spaces()[0].rows
      #expect(UInt64(covered) < rows)
      let reopened = try Store.open(at: dir).space(space.key)
      #expect(try UInt64(reopened.updateGraph()) == rows - UInt64(covered))
      let probe = String(corpus[1100].doc.text.prefix(200))
      let top = try reopened.search(text: probe, model: Self.model, k: 1, index: .hnsw(ef: 64))
      #expect(try store.document(id: top.first?.id ?? "")?.text.hasPrefix(probe) == true)
    }
  }

  @Test func aDamagedGraphFileIsRebuiltNotTrusted() throws {
    let corpus = try Self.docs(500)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(corpus.map(\.doc), model: Self.model)
      try space.updateGraph()
      // Cut the file short, then open a new store over it.
      let bytes = try TestFixtures.readBytes(space.graphPath)
      try writeBytes(Array(bytes.prefix(bytes.count - 100)), to: space.graphPath)
      let reopened = try Store.open(at: dir).space(space.key)
      let rows = try store.spaces()[0].rows
      #expect(try UInt64(reopened.updateGraph()) == rows)  // rebuilt from the committed rows
      let top = try reopened.search(text: String(corpus[5].doc.text.prefix(200)), model: Self.model, k: 1, index: .hnsw(ef: 64))
      #expect(try store.document(id: top.first?.id ?? "")?.text.hasPrefix(String(corpus[5].doc.text.prefix(200))) == true)
    }
  }

  /// A graph file whose level-0 links were damaged in place (size, header and checksummed tail
  /// intact, so it opens) is never followed out of bounds: the first search that meets a bad link
  /// makes the store rebuild the graph from LMDB, and answers from the rebuilt one.
  @Test func aGraphFileWithACorruptedLevel0LinkIsRebuiltNeverFollowed() throws {
    let corpus = try Self.docs(500)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(corpus.map(\.doc), model: Self.model)
      let probe = String(corpus[7].doc.text.prefix(200))
      let expected = try space.search(text: probe, model: Self.model, k: 5, index: .exact).map(\.row)
      let graph = try HNSWGraph.open(path: space.graphPath)
      #expect(graph.checkInvariants() == [])
      var bytes = try TestFixtures.readBytes(space.graphPath)
      for n in 0..<graph.count {
        let at = 4096 + n * (4 * (1 + graph.parameters.M0) + 4 + 256) + 4  // int8 walk record: first link
        for (i, b) in withUnsafeBytes(of: UInt32(1 << 30).littleEndian, Array.init).enumerated() { bytes[at + i] = b }
      }
      try writeBytes(bytes, to: space.graphPath)
      #expect(try !HNSWGraph.open(path: space.graphPath).checkInvariants().isEmpty)
      let reopened = try Store.open(at: dir).space(space.key)
      let hits = try reopened.search(text: probe, model: Self.model, k: 5, index: .hnsw(ef: 64))
      #expect(hits.map(\.row) == expected)
      #expect(try HNSWGraph.open(path: space.graphPath).checkInvariants() == [])  // the file was rebuilt
    }
  }

  /// Readers searching while a writer ingests and extends the graph always see whole results.
  @Test func concurrentReadersDuringInsertsSeeAConsistentGraph() throws {
    let corpus = try Self.docs(2000)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: Self.model)
      try space.ingest(corpus.prefix(1000).map(\.doc), model: Self.model)
      try space.updateGraph()
      let failures = Failures()
      let group = DispatchGroup()
      for r in 0..<2 {
        DispatchQueue.global().async(group: group) {
          for i in 0..<40 {
            do {
              let hits = try space.search(text: corpus[(r * 40 + i) % 1000].short, model: Self.model, k: 5, index: .hnsw(ef: 32))
              if hits.count != 5 || hits.contains(where: { $0.text.isEmpty }) { failures.add("bad result") }
            } catch {
              failures.add("\(error)")
            }
          }
        }
      }
      try space.ingest(corpus.dropFirst(1000).map(\.doc), model: Self.model)
      try space.updateGraph()
      group.wait()
      #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
      let top = try space.search(text: String(corpus[1500].doc.text.prefix(200)), model: Self.model, k: 1, index: .hnsw(ef: 64))
      #expect(try store.document(id: top.first?.id ?? "")?.text.hasPrefix(String(corpus[1500].doc.text.prefix(200))) == true)
    }
  }
}

final class Failures: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [String] = []
  func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
  var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
