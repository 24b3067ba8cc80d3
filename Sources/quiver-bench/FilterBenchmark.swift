import ArgumentParser
import Foundation
import Quiver

/// `quiver-bench filter`: filtered search on a real store built from vector files — per filter,
/// its selectivity, the cost of evaluating it, recall@10 against the exact filtered answer and
/// single-thread queries/s through HNSW at each ef, the exact filtered scan's queries/s, and how
/// often exactly k results came back. Filters: the real fields of a metadata file (Debian's
/// Packages fields) and random allow-sets (a field `r` drawn uniformly from 0…999, filtered by
/// `$lt`). `--dump DIR` writes each filter's allowed rows as a uint8 mask (`.npy`) for the peers'
/// script (tools/bench/filter/compare.py), so FAISS filters exactly the same rows.
struct FilterBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "filter", abstract: "Filtered search: recall, queries/s and k at each selectivity.")

  @Option(help: "Base vectors: float32 .npy or .fvecs (row i becomes document r<i>).")
  var base: String

  @Option(help: "Query vectors: float32 .npy or .fvecs.")
  var queries: String

  @Option(help: "JSONL with one object per base row whose fields (--fields) become each document's metadata.")
  var metadata: String?

  @Option(help: "Comma-separated fields copied from --metadata.")
  var fields = "section,priority,installed_size,maintainer,architecture,tags"

  @Option(help: "JSON file: a list of {\"name\", \"filter\"} over the copied fields.")
  var filters: String?

  @Option(help: "Selectivities of the random allow-sets (fractions of the rows).")
  var selectivities = "0.5,0.1,0.01,0.001"

  @Option(help: "Comma-separated HNSW ef values.")
  var ef = "16,32,64,128,256,512"

  @Option(help: "At most this many queries.")
  var limit = 500

  @Option(help: "Directory for the allowed-row masks (<name>.npy, uint8 per row).")
  var dump: String?

  @Option(help: "Directory for the temporary store (removed afterwards).")
  var scratch = "/tmp"

  @Option(help: "Keep the store in this directory: built when it has no rows, reused (not rebuilt) when it holds these rows — for interleaved rounds against a peer.")
  var store: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let (baseRows, d) = try AnnBenchCommand.load(base)
    let (queryRows, qd) = try AnnBenchCommand.load(queries)
    guard d == qd else { throw ValidationError("base has \(d) dimensions, queries \(qd)") }
    let n = baseRows.count / d
    let nq = min(limit, queryRows.count / d)
    let queryVectors = (0..<nq).map { Array(queryRows[($0 * d)..<(($0 + 1) * d)]) }
    let efs = ef.split(separator: ",").compactMap { Int($0) }
    let copied = fields.split(separator: ",").map(String.init)
    var lines: [[String: Any]] = []
    if let metadata {
      let data = try Data(contentsOf: URL(fileURLWithPath: metadata))
      for line in data.split(separator: UInt8(ascii: "\n")) where lines.count < n {
        lines.append(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] ?? [:])
      }
      guard lines.count == n else { throw ValidationError("\(metadata) has \(lines.count) lines for \(n) rows") }
    }
    var rng = SplitMix64(seed: 11)
    let documents = try (0..<n).map { i -> Document in
      var m: [String: Any] = ["r": Int(rng.next() % 1000)]
      if !lines.isEmpty { for f in copied { if let v = lines[i][f] { m[f] = v } } }
      let text = String(decoding: try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]), as: UTF8.self)
      return Document(id: "r\(i)", text: "row \(i)", metadataJSON: text)
    }
    var named: [(name: String, filter: String)] = []
    if let filters {
      let list = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: filters))) as? [[String: Any]] ?? []
      for f in list {
        guard let name = f["name"] as? String, let filter = f["filter"] else { throw ValidationError("a filter needs name and filter") }
        named.append((name, String(decoding: try JSONSerialization.data(withJSONObject: filter, options: [.sortedKeys]), as: UTF8.self)))
      }
    }
    for s in selectivities.split(separator: ",").compactMap({ Double($0) }) {
      named.append(("random_\(s)", "{\"r\":{\"$lt\":\(Int((1000 * s).rounded()))}}"))
    }

    let dir = self.store ?? "\(scratch)/quiver-bench-filter-\(getpid())"
    if self.store == nil { try? FileManager.default.removeItem(atPath: dir) }
    defer { if self.store == nil { try? FileManager.default.removeItem(atPath: dir) } }
    let store = try Store.open(at: dir)
    let space = try store.openOrCreateSpace(SpaceKey(model: "bench", dimension: d))
    let t0 = MonotonicClock.nanoseconds()
    let held = try store.spaces().first { $0.key == space.key }?.liveRows ?? 0
    if held == 0 {
      try space.ingest(documents, vectors: baseRows)
    } else if held != n {
      throw ValidationError("\(dir) holds \(held) rows, not the \(n) of \(base): give another --store")
    }
    try space.updateGraph()
    let ingestSeconds = held == 0 ? Double(MonotonicClock.nanoseconds() - t0) / 1e9 : 0
    if !json { print("filter benchmark: \(n) rows × \(d), \(nq) queries, ingest with graph \(fmt(ingestSeconds)) s") }

    var reports: [String] = []
    // Baselines in the same run: the graph file searched directly (no store), and the unfiltered
    // store search (the plain walk plus the store's work: records, tombstones, texts).
    var baseline: [String] = []
    let searcher = HNSWGraph.Searcher(graph: try HNSWGraph.open(path: space.graphPath))
    let normalized = queryVectors.map { v -> [Float] in var c = v; Space.normalizeRows(&c, d); return c }
    for e in efs {
      let t = MonotonicClock.nanoseconds()
      for q in normalized { _ = q.withUnsafeBufferPointer { searcher.search($0, k: 10, ef: e) } }
      let perSecond = Double(nq) / (Double(MonotonicClock.nanoseconds() - t) / 1e9)
      baseline.append("{\"ef\":\(e),\"graph_only_per_second\":\(perSecond)}")
      if !json { print("  \(pad("graph file only", 22)) ef \(pad(String(e), 4, left: true))  \(pad(fmt(perSecond), 10, left: true)) q/s") }
    }
    for e in efs {
      var latencies: [Double] = []
      for q in queryVectors {
        let t = MonotonicClock.nanoseconds()
        _ = try space.search(vector: q, k: 10, index: .hnsw(ef: e))
        latencies.append(Double(MonotonicClock.nanoseconds() - t) / 1e3)
      }
      let perSecond = Double(latencies.count) / (latencies.reduce(0, +) / 1e6)
      baseline.append("{\"ef\":\(e),\"per_second\":\(perSecond)}")
      if !json { print("  \(pad("unfiltered", 22)) ef \(pad(String(e), 4, left: true))  \(pad(fmt(perSecond), 10, left: true)) q/s") }
    }
    if ProcessInfo.processInfo.environment["QUIVER_BENCH_BASELINES_ONLY"] != nil { return }  // profiling the plain paths
    named.insert(("all_documents", "{}"), at: 0)
    for (name, text) in named {
      let filter = try MetadataFilter.parse(text)
      var evaluations: [Double] = []
      var allowed = try store.documentSet(where: filter)
      for _ in 0..<15 {
        let t = MonotonicClock.nanoseconds()
        allowed = try store.documentSet(where: filter)
        evaluations.append(Double(MonotonicClock.nanoseconds() - t) / 1e3)
      }
      let passing = allowed.count
      if let dump {
        // Document numbers were given in row order to a fresh store: number i is row i.
        var mask = [UInt8](repeating: 0, count: n)
        for m in allowed.members where m < UInt64(n) { mask[Int(m)] = 1 }
        try Self.writeMask(mask, to: "\(dump)/\(name).npy")
      }
      func timed(_ body: ([Float]) throws -> [Space.Hit]) throws -> (found: [[String]], perSecond: Double, p50: Double, p99: Double) {
        var found: [[String]] = []
        var latencies: [Double] = []
        for q in queryVectors {
          let t = MonotonicClock.nanoseconds()
          let hits = try body(q)
          latencies.append(Double(MonotonicClock.nanoseconds() - t) / 1e3)
          found.append(hits.map(\.id))
        }
        latencies.sort()
        let total = latencies.reduce(0, +)
        return (found, Double(latencies.count) / (total / 1e6), latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
      }
      let expectedCount = min(10, passing)
      _ = try timed { try space.search(vector: $0, k: 10, index: .exact, allowedDocuments: allowed) }  // warm
      let exact = try timed { try space.search(vector: $0, k: 10, index: .exact, allowedDocuments: allowed) }
      let truth = exact.found.map { Set($0) }
      var rows: [String] = []
      for e in efs {
        let r = try timed { try space.search(vector: $0, k: 10, index: .hnsw(ef: e), allowedDocuments: allowed) }
        let recall = zip(r.found, truth).reduce(0.0) { $0 + Double(Set($1.0).intersection($1.1).count) } / Double(max(1, expectedCount * nq))
        let allK = r.found.filter { $0.count == expectedCount }.count
        let ids = try timed { try space.search(vector: $0, k: 10, index: .hnsw(ef: e), allowedDocuments: allowed, texts: false) }
        let plan = Space.prefersExactScan(passingRows: UInt64(passing), rows: UInt64(n), ef: e) ? "exact" : "walk"
        rows.append("{\"ef\":\(e),\"plan\":\"\(plan)\",\"recall_at_10\":\(recall),\"per_second\":\(r.perSecond),\"p50_us\":\(r.p50),\"p99_us\":\(r.p99),\"queries_with_k\":\(allK),\"ids_only_per_second\":\(ids.perSecond)}")
        if !json {
          print("  \(pad(name, 22)) ef \(pad(String(e), 4, left: true)) \(plan)  recall \(fmt(recall))  \(pad(fmt(r.perSecond), 10, left: true)) q/s  p99 \(fmt(r.p99)) µs  k returned \(allK)/\(nq)")
        }
      }
      // The walk alone (the graph file, the allowed rows as a bitmap, ids only): the index-level
      // figure that FAISS's IndexHNSWFlat + IDSelectorBitmap reports. No exact-scan switch.
      var mask = [UInt64](repeating: 0, count: (n + 63) / 64)
      for m in allowed.members where m < UInt64(n) { mask[Int(m >> 6)] |= 1 << (m & 63) }
      var walkRows: [String] = []
      // Below 5 % the bare walk visits most of the graph per query (the store scans instead).
      for e in efs where Double(passing) >= 0.05 * Double(n) {
        var found: [Set<String>] = []
        let t = MonotonicClock.nanoseconds()
        for q in normalized {
          let hits = q.withUnsafeBufferPointer { searcher.filteredCandidates($0, ef: e, filter: BitmapFilter(words: mask), visitLimit: .max) } ?? []
          found.append(Set(hits.prefix(10).map { "r\($0.node)" }))
        }
        let perSecond = Double(nq) / (Double(MonotonicClock.nanoseconds() - t) / 1e9)
        let recall = zip(found, truth).reduce(0.0) { $0 + Double($1.0.intersection($1.1).count) } / Double(max(1, expectedCount * nq))
        walkRows.append("{\"ef\":\(e),\"recall_at_10\":\(recall),\"per_second\":\(perSecond)}")
        if !json { print("  \(pad(name, 22)) ef \(pad(String(e), 4, left: true)) walk only  recall \(fmt(recall))  \(pad(fmt(perSecond), 10, left: true)) q/s") }
      }
      // The whole path a one-off query pays: the filter parsed and evaluated per query, ef 64.
      let perQuery = try timed { try space.search(vector: $0, k: 10, index: .hnsw(ef: 64), filter: filter) }
      evaluations.sort()
      if !json {
        print("  \(pad(name, 22)) \(passing) pass (\(fmt(100 * Double(passing) / Double(n))) %), evaluated in \(fmt(evaluations[evaluations.count / 2])) µs; exact \(fmt(exact.perSecond)) q/s; filter per query (ef 64) \(fmt(perQuery.perSecond)) q/s")
      }
      reports.append(
        "{\"name\":\(JSONText.quoted(name)),\"filter\":\(text),\"passing\":\(passing),\"selectivity\":\(Double(passing) / Double(n)),"
          + "\"evaluate_us_median\":\(evaluations[evaluations.count / 2]),"
          + "\"exact\":{\"per_second\":\(exact.perSecond),\"p50_us\":\(exact.p50),\"p99_us\":\(exact.p99),\"queries_with_k\":\(exact.found.filter { $0.count == expectedCount }.count)},"
          + "\"hnsw\":[\(rows.joined(separator: ","))],\"walk_only\":[\(walkRows.joined(separator: ","))],"
          + "\"filter_per_query_ef64\":{\"per_second\":\(perQuery.perSecond),\"p50_us\":\(perQuery.p50),\"p99_us\":\(perQuery.p99)}}")
    }
    if json {
      print("{\"rows\":\(n),\"dimension\":\(d),\"queries\":\(nq),\"ingest_seconds\":\(ingestSeconds),\"unfiltered\":[\(baseline.joined(separator: ","))],\"filters\":[\(reports.joined(separator: ","))]}")
    }
  }

  /// A uint8 vector as a version 1 `.npy` file.
  static func writeMask(_ mask: [UInt8], to path: String) throws {
    var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(mask.count),), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    bytes += Array(header.utf8)
    bytes += mask
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }
}

/// Allowed rows as a bitmap over graph nodes (the benchmark's stand-in for FAISS's IDSelectorBitmap).
struct BitmapFilter: NodeFilter {
  let words: [UInt64]
  @inline(__always) func allows(_ node: UInt32) -> Bool { words[Int(node >> 6)] & (1 << UInt64(node & 63)) != 0 }
}
