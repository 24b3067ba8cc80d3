import Foundation
import Quiver
import Testing

/// The `quiver` binary as a script uses it: `--json` on every command that prints a result, errors
/// as one line with a non-zero exit, no store created by reading.
@Suite struct CommandLineTests {
  /// Runs the release `quiver` with `arguments`; returns its exit status, standard output and error.
  static func quiver(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CrashSafetyTests.quiverBinary)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let error = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self))
  }

  /// The first `count` distinct documents of the fixture corpus, written as ingest JSONL
  /// (`{"id", "text"}` a line) to `dir/docs.jsonl`.
  static func corpusFile(_ count: Int, in dir: String) throws -> (docs: [Document], path: String) {
    var seen = Set<String>()
    let docs = Array(try StoreTests.corpus(count * 2).map(\.doc).filter { seen.insert($0.id).inserted }.prefix(count))
    let path = dir + "/docs.jsonl"
    let lines = try docs.map { String(decoding: try JSONSerialization.data(withJSONObject: ["id": $0.id, "text": $0.text]), as: UTF8.self) }
    try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
    return (docs, path)
  }

  static func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func everyResultCommandPrintsJSON() throws {
    try withTemporaryDirectory { dir in
      let (docs, input) = try Self.corpusFile(40, in: dir)
      let store = dir + "/store"
      let ingest = try Self.quiver(["ingest", "--store", store, "--json", input])
      #expect(ingest.status == 0, "\(ingest.error)")
      #expect(try Self.object(ingest.output)["documents"] as? Int == 40)
      let stats = try Self.object(try Self.quiver(["stats", "--store", store, "--json"]).output)
      #expect(stats["documents"] as? Int == 40)
      #expect(stats["format_version"] as? Int == 2)
      let spaces = try Self.object(try Self.quiver(["spaces", "--store", store, "--json"]).output)["spaces"] as? [[String: Any]]
      #expect(spaces?.count == 1 && spaces?.first?["live_rows"] as? Int == (spaces?.first?["rows"] as? Int))
      let query = try Self.object(try Self.quiver(["query", "--store", store, "--json", "-k", "3", String(docs[3].text.prefix(200))]).output)
      let results = query["results"] as? [[String: Any]]
      #expect(query["mode"] as? String == "hybrid" && results?.count == 3)
      #expect(results?.first?["id"] as? String == docs[3].id)
      #expect(results?.allSatisfy { $0["vector_score"] is Double && $0["lexical_score"] is Double } == true)
      let deleted = try Self.object(try Self.quiver(["delete", "--store", store, "--json", docs[0].id, "no-such-id"]).output)
      #expect(deleted["deleted"] as? Int == 1 && deleted["requested"] as? Int == 2)
      let compacted = try Self.object(try Self.quiver(["compact", "--store", store, "--json"]).output)["spaces"] as? [[String: Any]]
      #expect(compacted?.first.map { ($0["rows_before"] as? Int ?? 0) > ($0["rows_after"] as? Int ?? 0) } == true)
      let snapshot = try Self.quiver(["snapshot", "--store", store, "--to", dir + "/copy", "--json"])
      #expect(snapshot.status == 0, "\(snapshot.error)")
      #expect(try Self.object(snapshot.output)["graph_files"] as? Int == 1)
      let asked = ["query", "--json", "--exact", "-k", "5", String(docs[7].text.prefix(120))]
      #expect(try Self.quiver(asked + ["--store", dir + "/copy"]).output == (try Self.quiver(asked + ["--store", store]).output))
    }
  }

  /// A space answers with its own model after the file it recorded is replaced by another model
  /// (a fixture of the space's identity is found instead), and when none is here the error says
  /// what happened to the file.
  @Test func aSpaceWhoseModelFileWasReplacedAnswersWithItsOwnModelOrSaysWhy() throws {
    try withTemporaryDirectory { dir in
      let (docs, input) = try Self.corpusFile(20, in: dir)
      let model = dir + "/model.qvm", store = dir + "/store"
      try FileManager.default.copyItem(atPath: TestFixtures.model256PQ, toPath: model)
      #expect(try Self.quiver(["ingest", "--store", store, "--model", model, input]).status == 0)
      let ask = ["query", "--store", store, "--json", "-k", "3", String(docs[2].text.prefix(200))]
      let before = try Self.quiver(ask)
      #expect(before.status == 0, "\(before.error)")
      // The recorded file now holds the fusion model: the fixture mean model (same identity) answers.
      try FileManager.default.removeItem(atPath: model)
      try FileManager.default.copyItem(atPath: TestFixtures.directory + "/quiver-256d-pq-fusion.qvm", toPath: model)
      let after = try Self.quiver(ask)
      #expect(after.status == 0, "\(after.error)")
      #expect(after.output == before.output)
      // No fixture of the space's identity (an empty fixtures folder): one line naming the file.
      try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
      let refused = try Self.quiver(ask, environment: ["QUIVER_FIXTURES": dir + "/empty"])
      #expect(refused.status != 0)
      #expect(refused.error.contains("\(model) now holds another model") && refused.error.split(separator: "\n").count == 1, "\(refused.error)")
    }
  }

  /// `--where` on query, count, export and delete, on the fixture corpus's real Packages fields;
  /// a malformed filter fails in one line with a non-zero exit and changes nothing.
  @Test func filtersWorkOnQueryCountExportAndDelete() throws {
    try withTemporaryDirectory { dir in
      let input = dir + "/docs.jsonl"
      let lines = try TestFixtures.lines(TestFixtures.corpus).prefix(300)
      try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: input))
      let store = dir + "/store"
      #expect(try Self.quiver(["ingest", "--store", store, input]).status == 0)
      let filter = #"{"section": "python", "installed_size": {"$lt": 1000}}"#
      let expected = try lines.filter { line in
        let m = try #require(try Self.object(line)["metadata"] as? [String: Any])
        return m["section"] as? String == "python" && (m["installed_size"] as? Int).map { $0 < 1000 } == true
      }.map { try Self.object($0)["id"] as! String }
      #expect(expected.count >= 5)
      let count = try Self.object(try Self.quiver(["count", "--store", store, "--json", "--where", filter]).output)
      #expect(count["documents"] as? Int == expected.count)
      let query = try Self.object(try Self.quiver(["query", "--store", store, "--json", "-k", "5", "--where", filter, "library"]).output)
      let ids = (query["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
      #expect(ids.count == 5 && ids.allSatisfy(expected.contains))
      let exported = try Self.quiver(["export", "--store", store, "--where", filter]).output.split(separator: "\n")
      #expect(Set(try exported.map { try Self.object(String($0))["id"] as! String }) == Set(expected))
      let bad = try Self.quiver(["query", "--store", store, "--where", #"{"section": {"$regex": "py"}}"#, "library"])
      #expect(bad.status != 0 && bad.error.contains("unknown operator $regex") && bad.error.split(separator: "\n").count == 1)
      let badDelete = try Self.quiver(["delete", "--store", store, "--where", #"{"sectoin": "python"}"#])
      #expect(badDelete.status != 0 && badDelete.error.contains("no document has the field \"sectoin\""))
      let deleted = try Self.object(try Self.quiver(["delete", "--store", store, "--json", "--where", filter]).output)
      #expect(deleted["deleted"] as? Int == expected.count)
      let after = try Self.object(try Self.quiver(["count", "--store", store, "--json"]).output)
      #expect(after["documents"] as? Int == 300 - expected.count - (lines.count - Set(try lines.map { try Self.object($0)["id"] as! String }).count))
    }
  }

  @Test func aQueryOfAMissingStoreFailsInOneLineAndCreatesNothing() throws {
    try withTemporaryDirectory { dir in
      let missing = dir + "/missing"
      let run = try Self.quiver(["query", "--store", missing, "anything"])
      #expect(run.status != 0)
      #expect(run.error.contains("no Quiver store at \(missing)"))
      #expect(run.error.split(separator: "\n").count == 1)
      #expect(!FileManager.default.fileExists(atPath: missing))
    }
  }

  /// A corpus with a 200,000-character document, a malformed line and an empty text: the good
  /// documents are stored, the two bad lines reported (`file:line: reason`) and counted; `--strict`
  /// stops at the first bad line after storing what came before it.
  @Test func badLinesAreSkippedAndReportedOrStopAStrictIngest() throws {
    try withTemporaryDirectory { dir in
      let long = (0..<40_000).map { "word\($0 % 700)" }.joined(separator: " ").prefix(200_000)
      func line(_ object: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
      }
      let input = dir + "/mixed.jsonl"
      let lines = [try line(["id": "first", "text": "a small tool to send mail through SMTP relays"]),
                   try line(["id": "long", "text": String(long)]),
                   #"{"id": "broken", "text": "#,
                   try line(["id": "blank", "text": "   "]),
                   try line(["id": "last", "text": "a PDF viewer for the desktop"])]
      try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: input))
      let run = try Self.quiver(["ingest", "--store", dir + "/store", "--json", input])
      #expect(run.status == 0, "\(run.error)")
      let summary = try Self.object(run.output)
      #expect(summary["documents"] as? Int == 3 && summary["skipped"] as? Int == 2)
      #expect(summary["problems"] as? [String] == ["\(input):3: not a JSON object", "\(input):4: empty text"])
      #expect(run.error.contains("skipped \(input):3: not a JSON object"))
      let stats = try Self.object(try Self.quiver(["stats", "--store", dir + "/store", "--json"]).output)
      #expect(stats["documents"] as? Int == 3)
      let strict = try Self.quiver(["ingest", "--store", dir + "/strict", "--strict", input])
      #expect(strict.status != 0 && strict.error.contains("\(input):3: not a JSON object"))
      #expect(try Self.object(try Self.quiver(["stats", "--store", dir + "/strict", "--json"]).output)["documents"] as? Int == 2)
      // Resuming (the same input again) stores nothing twice: what is there is skipped as unchanged.
      let resumed = try Self.object(try Self.quiver(["ingest", "--store", dir + "/strict", "--json", input]).output)
      #expect(resumed["unchanged"] as? Int == 2 && resumed["store_documents"] as? Int == 3)
    }
  }

  /// `quiver embed` streams standard input in batches: 2,500 lines (more than one embedding call
  /// takes) give 2,500 vectors, in order, each equal to the library's.
  @Test func embedStreamsStandardInputOfAnyLength() throws {
    let lines = (0..<2500).map { "package \($0) sends mail through an SMTP relay" }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CrashSafetyTests.quiverBinary)
    process.arguments = ["embed", "--json"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    let writer = Thread { input.fileHandleForWriting.write(Data(lines.joined(separator: "\n").utf8)); try? input.fileHandleForWriting.close() }
    writer.start()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let objects = try String(decoding: data, as: UTF8.self).split(separator: "\n").map { try Self.object(String($0)) }
    #expect(objects.count == 2500)
    #expect(objects.map { $0["text"] as? String } == lines)
    let model = try StaticModel(path: Fixtures.model)
    let expected = try model.embed(lines[2499])
    let got = (objects[2499]["vector"] as? [Double])?.map(Float.init) ?? []
    #expect(got.count == expected.count && zip(got, expected).allSatisfy { abs($0 - $1) < 1e-6 })
  }

  /// A space of an external model whose documents carry text is indexed lexically with the default
  /// model's tokenizer: a text alone is answered lexically, a text with a query vector in hybrid.
  @Test func anExternalSpaceWithTextsAnswersLexicallyAndHybrid() throws {
    try withTemporaryDirectory { dir in
      var seen = Set<String>()
      let docs = try StoreTests.corpus(80).map(\.doc).filter { seen.insert($0.id).inserted }.prefix(50)
      var rng = SplitMix64(seed: 3)
      let lines = try docs.map { d -> String in
        let vector = (0..<8).map { _ in rng.nextUnit() - 0.5 }
        return String(decoding: try JSONSerialization.data(withJSONObject: ["id": d.id, "text": d.text, "vector": vector]), as: UTF8.self)
      }
      let input = dir + "/vectors.jsonl"
      try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: input))
      let store = dir + "/store"
      #expect(try Self.quiver(["ingest", "--store", store, "--space", "toy@8", input]).status == 0)
      let probe = String(docs[9].text.prefix(120))
      let lexical = try Self.object(try Self.quiver(["query", "--store", store, "--space", "toy@8", "--json", "-k", "1", probe]).output)
      #expect(lexical["mode"] as? String == "lexical")
      #expect((lexical["results"] as? [[String: Any]])?.first?["id"] as? String == docs[9].id)
      let vectorFile = dir + "/q.json"
      try Data("[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]".utf8).write(to: URL(fileURLWithPath: vectorFile))
      let hybrid = try Self.object(try Self.quiver(["query", "--store", store, "--space", "toy@8", "--json", "-k", "3",
                                                    "--vector-file", vectorFile, probe]).output)
      #expect(hybrid["mode"] as? String == "hybrid" && (hybrid["results"] as? [[String: Any]])?.count == 3)
    }
  }
}
