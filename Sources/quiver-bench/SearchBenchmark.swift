import ArgumentParser
import Foundation
import Quiver

/// `quiver-bench search`: the query modes on a real corpus — single-thread latency per query
/// (p50/p99, one query a call, through ``Space/query(_:model:lexicalTokenizer:options:)``) for
/// vector (HNSW), lexical and hybrid, and the ingest rate with the lexical index against without it
/// (store only, no graph, the same documents, the same run; and once each on the default path,
/// each batch also into the HNSW graph).
struct SearchBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "search", abstract: "Query-mode latency and the lexical index's ingest cost.")

  @Option(help: "Corpus: the extractor's JSONL ({\"package\",\"short\",\"long\"}, tools/corpus/extract_debian.py) or the ingest format with metadata.short (default: the fixture corpus).")
  var corpus: String?

  @Option(help: "Model file (default: the default model).")
  var model: String?

  @Option(help: "Queries timed per mode (short descriptions of evenly spaced documents).")
  var queries = 1000

  @Option(help: "Directory for the temporary stores (removed afterwards).")
  var scratch = "/tmp"

  @Option(help: "Store-only ingest rounds, each timing without and with the lexical index back to back (the order alternating).")
  var ingestRounds = 3

  @Option(help: "Default-path ingest rounds (each batch into the HNSW graph too), each timing without and with the lexical index back to back (the order alternating).")
  var graphRounds = 1

  @Option(help: "After timing the queries, delete this percentage of the documents (every n-th) and time them again, deletes pending (0: skip).")
  var deletedPercent = 0

  @Flag(help: "Stop after the store-only ingest rounds (no graph, no queries).")
  var ingestOnly = false

  @Flag(help: "Print one JSON object instead of a table.")
  var json = false

  func run() throws {
    let (documents, shorts) = try Self.load(corpus ?? Fixtures.corpus)
    let modelPath = model ?? Fixtures.model
    let staticModel = try StaticModel(path: modelPath)
    var results: [(String, Double)] = []
    func report(_ key: String, _ value: Double) {
      results.append((key, value))
      if !json { print(pad(key, 40) + pad(fmt(value), 16, left: true)) }
    }
    if !json { print("search benchmark: \(documents.count) documents, \(min(queries, shorts.count)) queries a mode, one thread") }
    report("documents", Double(documents.count))
    // Each ingest below loads the model afresh, as a new `quiver ingest` process does: its word
    // caches start empty, not filled by the rounds before (which would hand one side the other's
    // words — the cased words only, say, when a round without the index ran first).
    // Ingest rates, store only, without and with the lexical index, in rounds whose order
    // alternates; medians over rounds, and each round's ratio.
    var without: [Double] = [], with: [Double] = []
    var cpuWithout: [Double] = [], cpuWith: [Double] = []
    for round in 0..<max(1, ingestRounds) {
      for lexical in round % 2 == 0 ? [false, true] : [true, false] {
        let dir = "\(scratch)/quiver-bench-search-\(getpid())-\(lexical)"
        try? FileManager.default.removeItem(atPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ingestModel = try StaticModel(path: modelPath)
        let space = try Store.open(at: dir).space(for: ingestModel)
        let t0 = MonotonicClock.nanoseconds(), cpu0 = processCPUSeconds()
        try space.ingest(documents, model: ingestModel, updatingGraph: false, indexingLexically: lexical)
        let rate = Double(documents.count) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9)
        let cpu = processCPUSeconds() - cpu0
        if lexical { with.append(rate); cpuWith.append(cpu) } else { without.append(rate); cpuWithout.append(cpu) }
      }
    }
    report("ingest_docs_per_second_without_lexical", Percentiles(without).median)
    report("ingest_docs_per_second_with_lexical", Percentiles(with).median)
    report("ingest_cpu_seconds_without_lexical", Percentiles(cpuWithout).median)
    report("ingest_cpu_seconds_with_lexical", Percentiles(cpuWith).median)
    report("ingest_with_over_without", Percentiles(zip(with, without).map { $0 / $1 }).median)
    for (i, pair) in zip(with, without).enumerated() { report("ingest_with_over_without_round_\(i + 1)", pair.0 / pair.1) }
    if ingestOnly {
      if json { print(Self.json(results)) }
      return
    }
    // The default ingest path (each batch also into the HNSW graph), without and with the lexical
    // index, in rounds whose order alternates; the last store with it is the one the queries below
    // run on.
    let plain = "\(scratch)/quiver-bench-search-\(getpid())-graph"
    let dir = "\(scratch)/quiver-bench-search-\(getpid())"
    defer {
      try? FileManager.default.removeItem(atPath: plain)
      try? FileManager.default.removeItem(atPath: dir)
    }
    var graphWithoutRates: [Double] = [], graphWithRates: [Double] = []
    for round in 0..<max(1, graphRounds) {
      for lexical in round % 2 == 0 ? [false, true] : [true, false] {
        let path = lexical ? dir : plain
        try? FileManager.default.removeItem(atPath: path)
        let ingestModel = try StaticModel(path: modelPath)
        let t0 = MonotonicClock.nanoseconds()
        try Store.open(at: path).space(for: ingestModel).ingest(documents, model: ingestModel, indexingLexically: lexical)
        let rate = Double(documents.count) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9)
        if lexical { graphWithRates.append(rate) } else { graphWithoutRates.append(rate) }
      }
    }
    try? FileManager.default.removeItem(atPath: plain)
    let space = try Store.open(at: dir).space(for: staticModel)
    let graphWithout = Percentiles(graphWithoutRates).median, graphWith = Percentiles(graphWithRates).median
    report("ingest_with_graph_docs_per_second_without_lexical", graphWithout)
    report("ingest_with_graph_docs_per_second_with_lexical", graphWith)
    report("ingest_with_graph_with_over_without", Percentiles(zip(graphWithRates, graphWithoutRates).map { $0 / $1 }).median)
    if graphRounds > 1 {
      for (i, pair) in zip(graphWithRates, graphWithoutRates).enumerated() { report("ingest_with_graph_with_over_without_round_\(i + 1)", pair.0 / pair.1) }
    }
    let step = max(1, shorts.count / max(1, queries))
    let sample = stride(from: 0, to: shorts.count, by: step).prefix(queries).map { shorts[$0] }
    func measureQueries(_ suffix: String) throws {
      for mode in SearchMode.allCases {
        let options = SearchOptions(k: 10, mode: mode)
        for q in sample.prefix(20) { blackHole(try space.query(q, model: staticModel, options: options)) }  // warm
        var latencies: [Double] = []
        for q in sample {
          let t = MonotonicClock.nanoseconds()
          blackHole(try space.query(q, model: staticModel, options: options))
          latencies.append(Double(MonotonicClock.nanoseconds() - t) / 1000)
        }
        let p = Percentiles(latencies)
        report("\(mode.rawValue)_p50_us\(suffix)", p.median)
        report("\(mode.rawValue)_p99_us\(suffix)", p.at(99))
      }
    }
    try measureQueries("")
    // Deleted documents stay in the lexical index's segments (marked dead) until a merge drops
    // them, and in the graph as tombstones until compaction: queries skip them meanwhile.
    if deletedPercent > 0 {
      let every = max(1, 100 / deletedPercent)
      let ids = stride(from: 0, to: documents.count, by: every).map { documents[$0].id }
      report("deleted_documents", Double(try space.store.delete(ids: ids)))
      try measureQueries("_after_deleting")
    }
    if json { print(Self.json(results)) }
  }

  static func json(_ results: [(String, Double)]) -> String {
    "{\"benchmark\":\"search\"," + results.map { "\"\($0.0)\":\(fmt($0.1))" }.joined(separator: ",") + "}"
  }

  /// Documents (long descriptions; those over the per-document limit left out) and the short
  /// descriptions used as queries.
  static func load(_ path: String) throws -> ([Document], [String]) {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    var documents: [Document] = []
    var shorts: [String] = []
    for line in data.split(separator: UInt8(ascii: "\n")) {
      guard let r = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
      let id = (r["package"] as? String) ?? (r["id"] as? String) ?? "\(documents.count)"
      let text = (r["long"] as? String) ?? (r["text"] as? String) ?? ""
      let short = (r["short"] as? String) ?? ((r["metadata"] as? [String: Any])?["short"] as? String)
      guard !text.isEmpty, text.utf8.count <= Document.maximumTextBytes else { continue }
      documents.append(Document(id: id, text: text))
      if let short, !short.isEmpty { shorts.append(short) }
    }
    return (documents, shorts)
  }
}
