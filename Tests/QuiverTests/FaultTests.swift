import Foundation
import Quiver
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Faults: processes killed at random moments, several processes at once, and every bad input a
/// clear one-line answer that loses nothing (docs/errors.md, docs/reliability.md).
@Suite(.serialized) struct FaultTests {
  static var quiver: String { CrashSafetyTests.quiverBinary }

  /// `count` distinct fixture documents (with their Packages metadata) as JSONL lines, ids suffixed
  /// with the copy number beyond the fixture's 4,000.
  static func corpusLines(_ count: Int) throws -> [String] {
    let base = try TestFixtures.lines(TestFixtures.corpus)
    var seen = Set<String>()
    var out: [String] = []
    var copy = 0
    while out.count < count {
      for line in base where out.count < count {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let id = "\(object["id"] as! String)~\(copy)"
        guard seen.insert(id).inserted else { continue }
        object["id"] = id
        out.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
      }
      copy += 1
    }
    return out
  }

  static func write(_ lines: [String], to path: String) throws {
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
  }

  static func start(_ arguments: [String], errors: String? = nil) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: quiver)
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    if let errors {
      _ = FileManager.default.createFile(atPath: errors, contents: nil)
      p.standardError = FileHandle(forWritingAtPath: errors)
    } else {
      p.standardError = FileHandle.nullDevice
    }
    try p.run()
    return p
  }

  static func lastLine(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
  }

  /// Store.check() finds nothing, and the counts say what they should.
  static func expectConsistent(_ path: String, _ context: String) throws -> Store.CheckReport {
    let report = try Store.open(at: path, creating: false).check()
    #expect(report.problems.isEmpty, "\(context): \(report.problems.prefix(5))")
    return report
  }

  // MARK: Crashes at scale

  /// A seeded driver SIGKILLs `quiver ingest`, `delete` and `compact` at random moments
  /// (QUIVER_CRASH_KILLS times: 6 in `make test`, 50 in `make crash-test`); after every kill the
  /// store opens and `check()` finds every committed document whole and none half present; a final
  /// resume stores exactly the corpus — no duplicate, no loss — and every document is findable.
  @Test func randomKillsOfIngestDeleteAndCompactLoseNothing() throws {
    let kills = Int(ProcessInfo.processInfo.environment["QUIVER_CRASH_KILLS"] ?? "") ?? 6
    var rng = SplitMix64(seed: UInt64(ProcessInfo.processInfo.environment["QUIVER_CRASH_SEED"] ?? "") ?? 20261130)
    let lines = try Self.corpusLines(8000)
    let ids = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["id"] as! String }
    try withTemporaryDirectory { dir in
      let input = dir + "/corpus.jsonl"
      try Self.write(lines, to: input)
      let store = dir + "/store"
      var killed = 0, finished = 0
      var outcomes: [String] = []
      for round in 0..<kills {
        let roll = rng.next() % 10
        let arguments: [String]
        if roll < 6 || access(store + "/data.mdb", F_OK) != 0 {
          // Half the documents with a revised text, so that every ingest has work to do (replacing
          // a document rewrites its rows, passages and metadata entries).
          var revised: [String] = []
          for line in lines {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if rng.next() % 2 == 0 { object["text"] = (object["text"] as! String) + " (revision \(round))" }
            revised.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
          }
          try Self.write(revised, to: dir + "/round.jsonl")
          arguments = ["ingest", "--store", store, "--model", TestFixtures.model256PQ, dir + "/round.jsonl"]
        } else if roll < 8 {
          arguments = ["delete", "--store", store] + (0..<200).map { _ in ids[Int(rng.next() % UInt64(ids.count))] }
        } else {
          arguments = ["compact", "--store", store]
        }
        let process = try Self.start(arguments)
        // An ingest runs ~2 s, a delete or a compaction a fraction of that: kill within it.
        usleep(useconds_t(arguments[0] == "ingest" ? 100_000 + rng.next() % 1_500_000 : 20_000 + rng.next() % 150_000))
        if process.isRunning {
          kill(process.processIdentifier, SIGKILL)
          killed += 1
          process.waitUntilExit()
        } else {
          finished += 1
          process.waitUntilExit()
          outcomes.append("\(arguments[0]) exited \(process.terminationStatus)")
        }
        if access(store + "/data.mdb", F_OK) == 0 { _ = try Self.expectConsistent(store, "after round \(round) (\(arguments[0]))") }
      }
      #expect(killed >= max(1, kills / 3), "only \(killed) of \(kills) processes were killed before they finished: \(outcomes)")
      // Resume: the whole corpus, exactly.
      let resume = try Self.start(["ingest", "--store", store, "--model", TestFixtures.model256PQ, input])
      resume.waitUntilExit()
      #expect(resume.terminationStatus == 0)
      let report = try Self.expectConsistent(store, "after the resume")
      #expect(report.documents == lines.count)
      let stats = try CommandLineTests.object(try CommandLineTests.quiver(["stats", "--store", store, "--json"]).output)
      #expect(stats["documents"] as? Int == lines.count)
      let opened = try Store.open(at: store, creating: false)
      let texts = Dictionary(uniqueKeysWithValues: try opened.documents().map { ($0.id, $0.text) })
      #expect(Set(texts.keys) == Set(ids))
      for line in lines {  // every text is the corpus's own again, not a revision
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(texts[object["id"] as! String] == object["text"] as? String)
      }
      let info = try opened.spaces()[0]
      let space = try opened.space(info.key)
      try space.updateGraph()
      #expect(try HNSWGraph.open(path: space.graphPath).unreachableNodes().isEmpty)
      let model = try StaticModel(path: TestFixtures.model256PQ)
      var text = ""
      for (i, line) in lines.enumerated() where i % 600 == 0 {
        text = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["text"] as! String
        let top = try space.search(text: String(text.prefix(300)), model: model, k: 1, index: .hnsw(ef: 64)).first
        #expect(try opened.document(id: top?.id ?? "")?.text.hasPrefix(String(text.prefix(300))) == true)
      }
    }
  }

  // MARK: Several processes at once

  /// Two ingests into one store at once, a delete and a compaction while they run, and queries
  /// from other processes throughout: LMDB serialises the writers, every process sees the others'
  /// commits, no query fails, and at the end the store is consistent, holds exactly what was
  /// ingested minus what was deleted, and its graph has no unreachable node (USearch #772).
  @Test func concurrentIngestsDeletesCompactionsAndQueriesKeepTheStoreWhole() throws {
    let lines = try Self.corpusLines(8000)
    try withTemporaryDirectory { dir in
      let store = dir + "/store"
      try Self.write(Array(lines[0..<4000]), to: dir + "/a.jsonl")
      try Self.write(Array(lines[4000...]), to: dir + "/b.jsonl")
      try Self.write(Array(lines[0..<50]), to: dir + "/seed.jsonl")
      #expect(try CommandLineTests.quiver(["ingest", "--store", store, dir + "/seed.jsonl"]).status == 0)
      let a = try Self.start(["ingest", "--store", store, dir + "/a.jsonl"], errors: dir + "/a.err")
      let b = try Self.start(["ingest", "--store", store, dir + "/b.jsonl"], errors: dir + "/b.err")
      var queries = 0, failures: [String] = []
      let doomed = (0..<50).map { i in try! JSONSerialization.jsonObject(with: Data(lines[i * 40].utf8)) as! [String: Any] }.map { $0["id"] as! String }
      var deleted = false, compacted = false
      while a.isRunning || b.isRunning {
        let q = try CommandLineTests.quiver(["query", "--store", store, "--json", "-k", "5", "mail server"])
        queries += 1
        if q.status != 0 { failures.append(q.error) }
        if !deleted && queries == 1 {
          deleted = try CommandLineTests.quiver(["delete", "--store", store] + doomed).status == 0
        }
        if !compacted && queries == 2 {
          let c = try CommandLineTests.quiver(["compact", "--store", store])
          compacted = c.status == 0
          if !compacted { failures.append("compact: " + c.error) }
        }
      }
      a.waitUntilExit(); b.waitUntilExit()
      #expect(a.terminationStatus == 0, "\(Self.lastLine(dir + "/a.err"))")
      #expect(b.terminationStatus == 0, "\(Self.lastLine(dir + "/b.err"))")
      #expect(failures.isEmpty, "\(failures.prefix(3))")
      #expect(queries >= 3 && deleted && compacted, "queries \(queries), deleted \(deleted), compacted \(compacted)")
      let report = try Self.expectConsistent(store, "after concurrent writers")
      let opened = try Store.open(at: store, creating: false)
      let stored = Set(try opened.documents().map(\.id))
      // A doomed id deleted before its ingest committed it is stored again; one deleted after is gone.
      #expect(stored.count == report.documents && stored.count >= 8000 - doomed.count && stored.count <= 8000)
      let space = try opened.space(try opened.spaces()[0].key)
      try space.updateGraph()
      let graph = try HNSWGraph.open(path: space.graphPath)
      let unreachable = graph.unreachableNodes()
      #expect(unreachable.isEmpty, "\(unreachable.count) unreachable nodes of \(graph.count): \(unreachable.prefix(10))")
    }
  }

  // MARK: The peers' known failures

  /// hnswlib #288 / USearch #726: after deleting half a space and compacting, no deleted id comes
  /// back, through either index; hnswlib #309: an id deleted and re-added is found again.
  @Test func deletedIdsNeverReturnAndReaddedOnesAreFound() throws {
    let docs = try StoreTests.corpus(600).map(\.doc)
    var seen = Set<String>()
    let unique = docs.filter { seen.insert($0.id).inserted }.prefix(400)
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let model = StoreTests.model
      let space = try store.space(for: model)
      try space.ingest(Array(unique), model: model)
      let gone = unique.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
      #expect(try store.delete(ids: gone.map(\.id)) == gone.count)
      try space.compact()
      let goneIDs = Set(gone.map(\.id))
      for d in gone.prefix(40) {
        for index in [Space.Index.exact, .hnsw(ef: 64)] {
          let hits = try space.search(text: String(d.text.prefix(200)), model: model, k: 10, index: index)
          #expect(hits.allSatisfy { !goneIDs.contains($0.id) })
        }
      }
      try space.ingest([gone[0]], model: model)
      let back = try space.search(text: String(gone[0].text.prefix(300)), model: model, k: 1, index: .hnsw(ef: 64))
      #expect(back.first?.id == gone[0].id)
      #expect(try store.check().problems.isEmpty)
    }
  }

  /// LMDB never shrinks `data.mdb`: after deleting most of a store and compacting, the rewrite
  /// (a compacting copy renamed over the file) makes the file smaller, keeps every document, and is
  /// refused while another handle has the store open.
  @Test func aCompactingRewriteShrinksTheFileAndNeedsTheStoreAlone() throws {
    try withTemporaryDirectory { dir in
      try Self.write(try Self.corpusLines(1500), to: dir + "/docs.jsonl")
      let store = dir + "/store"
      #expect(try CommandLineTests.quiver(["ingest", "--store", store, dir + "/docs.jsonl"]).status == 0)
      #expect(try CommandLineTests.quiver(["delete", "--store", store, "--where", #"{"installed_size": {"$gte": 60}}"#]).status == 0)
      do {
        let open = try Store.open(at: store, creating: false)
        #expect(throws: StoreError.busy(path: store, operation: "a compacting rewrite")) { try Store.rewrite(at: store) }
        #expect(try open.check().problems.isEmpty)
      }
      let run = try CommandLineTests.quiver(["compact", "--store", store, "--rewrite", "--json"])
      #expect(run.status == 0, "\(run.error)")
      let result = try CommandLineTests.object(run.output)
      let before = try #require(result["bytes_before"] as? Int), after = try #require(result["bytes_after"] as? Int)
      #expect(after < before / 2, "\(before) → \(after) bytes")
      let report = try Self.expectConsistent(store, "after the rewrite")
      #expect(report.documents > 0 && report.documents < 1500)
      #expect(try CommandLineTests.quiver(["query", "--store", store, "-k", "3", "mail"]).status == 0)
    }
  }

  // MARK: Bad input

  /// The bad-input matrix of docs/errors.md, through the CLI on a store holding 40 documents: each
  /// input gets a non-zero exit and a one-line error naming the problem, and the store still holds
  /// its 40 documents, consistent.
  @Test(arguments: BadInput.allCases)
  func badInputIsAOneLineErrorAndLosesNothing(_ input: BadInput) throws {
    try withTemporaryDirectory { dir in
      let store = dir + "/store"
      try Self.write(try Self.corpusLines(40), to: dir + "/good.jsonl")
      #expect(try CommandLineTests.quiver(["ingest", "--store", store, dir + "/good.jsonl"]).status == 0)
      let (arguments, message, cleanup) = try input.prepare(dir: dir, store: store)
      let run = try CommandLineTests.quiver(arguments)
      cleanup()
      #expect(run.status != 0, "\(input): exit 0; stdout \(run.output.prefix(200))")
      let errorLines = run.error.split(separator: "\n").filter { !$0.hasPrefix("ingest: ") }
      #expect(errorLines.count == 1, "\(input): \(run.error)")
      #expect(run.error.contains(message), "\(input): \(run.error)")
      if input != .futureFormat && input != .missingDirectory {
        // What was there is there (a failed ingest may have committed whole batches before it).
        let report = try Self.expectConsistent(store, "\(input)")
        #expect(report.documents >= 40, "\(input)")
        let kept = try Store.open(at: store, creating: false).documents().map(\.id)
        let first = try Self.corpusLines(40).map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["id"] as! String }
        #expect(Set(first).isSubset(of: kept))
      }
    }
  }

  enum BadInput: String, CaseIterable, CustomStringConvertible {
    case malformedJSON, invalidUTF8, binaryFile, nanVector, infiniteVector, wrongLengthVector, truncatedNPY, flippedFvecs,
      truncatedModel, flippedModel, otherModelsSpace, futureFormat, missingDirectory, fullMap, readOnlyStore

    var description: String { rawValue }

    /// Writes what the case needs; returns the command, the text its error must contain, and what
    /// to undo after the command ran.
    func prepare(dir: String, store: String) throws -> ([String], String, () -> Void) {
      let (arguments, message) = try setUp(dir: dir, store: store)
      let mounted = dir + "/replica"
      return (arguments, message, { if self == .readOnlyStore { _ = FaultTests.run("/bin/umount", [mounted]) } })
    }

    private func setUp(dir: String, store: String) throws -> ([String], String) {
      switch self {
      case .malformedJSON:
        try FaultTests.write(["{\"id\": \"x\", \"text\": "], to: dir + "/bad.jsonl")
        return (["ingest", "--strict", "--store", store, dir + "/bad.jsonl"], "bad.jsonl:1")
      case .invalidUTF8:
        try Data([0x7B, 0x22, 0x69, 0x64, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D, 0x0A]).write(to: URL(fileURLWithPath: dir + "/bad.jsonl"))
        return (["ingest", "--strict", "--store", store, dir + "/bad.jsonl"], "bad.jsonl:1")
      case .binaryFile:
        var rng = SplitMix64(seed: 1)
        try Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }).write(to: URL(fileURLWithPath: dir + "/blob.txt"))
        return (["ingest", "--strict", "--store", store, dir + "/blob.txt"], "blob.txt")
      case .nanVector, .infiniteVector, .wrongLengthVector:
        let v = self == .wrongLengthVector ? "[0.1, 0.2, 0.3]" : self == .nanVector ? "[0.1, NaN, 0.3, 0.4]" : "[0.1, 1e999, 0.3, 0.4]"
        try FaultTests.write(["{\"id\": \"v0\", \"text\": \"t\", \"vector\": [0.1, 0.2, 0.3, 0.4]}", "{\"id\": \"v1\", \"text\": \"t\", \"vector\": \(v)}"],
                             to: dir + "/vectors.jsonl")
        return (["ingest", "--strict", "--store", store, "--space", "ext@4", dir + "/vectors.jsonl"], "vectors.jsonl:2")
      case .truncatedNPY:
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (100, 32), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        for i in 0..<(100 * 32) { npy += withUnsafeBytes(of: Float(i % 7).bitPattern.littleEndian, Array.init) }
        try writeBytes(Array(npy.prefix(npy.count - 1000)), to: dir + "/v.npy")
        return (["ingest", "--store", store, "--space", "ext@32", dir + "/v.npy"], "v.npy")
      case .flippedFvecs:
        var bytes: [UInt8] = []
        for i in 0..<10 {
          bytes += withUnsafeBytes(of: Int32(i == 7 ? 9 : 8).littleEndian, Array.init)
          for j in 0..<8 { bytes += withUnsafeBytes(of: Float(j).bitPattern.littleEndian, Array.init) }
        }
        try writeBytes(bytes, to: dir + "/v.fvecs")
        return (["ingest", "--store", store, "--space", "ext@8", dir + "/v.fvecs"], "v.fvecs")
      case .truncatedModel, .flippedModel:
        var model = try TestFixtures.readBytes(TestFixtures.model64PQ)
        if self == .truncatedModel { model = Array(model.prefix(model.count / 2)) } else { model[model.count / 2] ^= 0x40 }
        try writeBytes(model, to: dir + "/m.qvm")
        return (["query", "--store", store, "--model", dir + "/m.qvm", "mail"], self == .truncatedModel ? "model file is truncated" : "checksum mismatch")
      case .otherModelsSpace:
        let space = try Store.open(at: store).spaces()[0].key.description
        return (["query", "--store", store, "--space", space, "--model", TestFixtures.model64PQ, "mail"], "model")
      case .futureFormat:
        try FaultTests.setFormatVersion(99, store: store)
        return (["query", "--store", store, "mail"], "store format version 99 is not supported")
      case .missingDirectory:
        return (["query", "--store", dir + "/nowhere", "mail"], "no Quiver store at")
      case .fullMap:
        try FaultTests.write(try FaultTests.corpusLines(3000).suffix(2000).map { $0 }, to: dir + "/more.jsonl")
        return (["ingest", "--strict", "--store", store, "--max-map-mib", "8", dir + "/more.jsonl"], "map size limit")
      case .readOnlyStore:
        // A read-only bind mount of the store (a replica): queries work, a write is refused.
        let mounted = dir + "/replica"
        mkdir(mounted, 0o755)
        guard FaultTests.run("/bin/mount", ["--bind", store, mounted]) == 0,
          FaultTests.run("/bin/mount", ["-o", "remount,bind,ro", mounted]) == 0
        else { throw TestFailure("cannot make a read-only bind mount (the tests run as root in CI)") }
        let query = try CommandLineTests.quiver(["query", "--store", mounted, "-k", "3", "mail"])
        #expect(query.status == 0 && query.output.split(separator: "\n").count == 3, "\(query.error)")
        return (["delete", "--store", mounted, "anything"], "open read-only")
      }
    }
  }

  static func run(_ tool: String, _ arguments: [String]) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = arguments
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return -1 }
    p.waitUntilExit()
    return p.terminationStatus
  }

  /// Rewrites `meta.format_version` of a store (a store "from the future").
  static func setFormatVersion(_ version: UInt32, store: String) throws {
    let env = try LMDBEnvironment(path: store)
    try env.write { txn in
      try txn.put(try txn.openDatabase(named: "meta"), key: "format_version", value: withUnsafeBytes(of: version.littleEndian, Array.init))
    }
  }

  /// A full disk: the store on a 12 MiB tmpfs, an ingest that needs more fails with ENOSPC in one
  /// line, and everything committed before it is whole and still answers.
  @Test func aFullDiskIsAOneLineErrorAndLosesNothing() throws {
    try withTemporaryDirectory { dir in
      let mountPoint = dir + "/small"
      mkdir(mountPoint, 0o755)
      guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=12m", "tmpfs", mountPoint]) == 0 else {
        throw TestFailure("cannot mount a tmpfs (the tests run as root in CI)")
      }
      defer { _ = Self.run("/bin/umount", [mountPoint]) }
      let store = mountPoint + "/store"
      try Self.write(try Self.corpusLines(1000), to: dir + "/first.jsonl")
      #expect(try CommandLineTests.quiver(["ingest", "--store", store, "--no-lexical", dir + "/first.jsonl"]).status == 0)
      try Self.write(Array(try Self.corpusLines(12000).suffix(11000)), to: dir + "/more.jsonl")
      let run = try CommandLineTests.quiver(["ingest", "--strict", "--store", store, dir + "/more.jsonl"])
      #expect(run.status != 0)
      #expect(run.error.contains("full disk") || run.error.contains("disk is full") || run.error.contains("No space left"), "\(run.error)")
      #expect(run.error.split(separator: "\n").filter { !$0.hasPrefix("ingest: ") }.count == 1, "\(run.error)")
      let report = try Self.expectConsistent(store, "after ENOSPC")
      #expect(report.documents >= 1000)
      #expect(try CommandLineTests.quiver(["query", "--store", store, "-k", "3", "mail"]).status == 0)
    }
  }
}
