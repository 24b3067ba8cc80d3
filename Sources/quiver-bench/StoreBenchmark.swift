import ArgumentParser
import Foundation
import Quiver
import QuiverKernels

#if canImport(Glibc)
  import Glibc
#endif

/// `quiver-bench store`: end-to-end ingest of real short documents, then synthetic vectors at
/// scale — ingest rate, bytes on disk per vector, open cost, exact query latency — with the raw
/// LMDB put rate and a plain memory scan of the same bytes measured in the same run as baselines.
struct StoreBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "store", abstract: "Store ingest, open and exact-query benchmarks.")

  @Option(help: "JSONL corpus: ingest format ({\"id\",\"text\",\"metadata\":{\"short\"}}) or the extractor's ({\"package\",\"short\"}); its short descriptions are the documents (default: the fixture corpus).")
  var corpus: String?

  @Option(help: "Model file (default: the fixture model).")
  var model: String?

  @Option(help: "Synthetic vectors to ingest for the scale part (0 skips it).")
  var synthetic = 1_000_000

  @Option(help: "Dimension of the synthetic vectors.")
  var dimension = 256

  @Option(help: "Queries timed at each checkpoint.")
  var queries = 50

  @Option(help: "Directory for the temporary stores (removed afterwards).")
  var scratch = "/tmp"

  @Flag(help: "Print one JSON object instead of a table.")
  var json = false

  func run() throws {
    let report = Report(json: json)
    if !json { print("store benchmark (release build; 2 cores)") }
    try benchmarkTextDocuments(report)
    if synthetic > 0 {
      let (all, queryVectors) = syntheticVectors()
      try benchmarkFloatVectors(all, queryVectors, report)
      try benchmarkInt8Vectors(all, queryVectors, report)
      try benchmarkRawPuts(all, report)
    }
    if json {
      print("{\"benchmark\":\"store\"," + report.results.map { "\"\($0.0)\":\(fmt($0.1))" }.joined(separator: ",") + "}")
    }
  }

  /// The figures of a run, printed as they come (table) or collected for one JSON object.
  final class Report {
    let json: Bool
    private(set) var results: [(String, Double)] = []

    init(json: Bool) { self.json = json }

    func callAsFunction(_ key: String, _ value: Double) {
      results.append((key, value))
      if !json { print(pad(key, 44) + pad(fmt(value), 16, left: true)) }
    }
  }

  /// 1. Real documents end to end: read, split, embed (2 threads), write; then text queries.
  private func benchmarkTextDocuments(_ report: Report) throws {
    let docs = try Self.shortDocuments(corpus ?? Fixtures.corpus)
    let staticModel = try StaticModel(path: model ?? Fixtures.model)
    try withScratchStore("text") { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: staticModel)
      let t0 = MonotonicClock.nanoseconds()
      let summary = try space.ingest(docs, model: staticModel, updatingGraph: false)
      let seconds = Double(MonotonicClock.nanoseconds() - t0) / 1e9
      report("text_documents", Double(summary.documents))
      report("text_ingest_docs_per_second", Double(summary.documents) / seconds)
      report("text_bytes_on_disk_per_document", Double(try store.stats().fileBytes) / Double(summary.documents))
      var latencies: [Double] = []
      for doc in docs.prefix(queries) {
        let t = MonotonicClock.nanoseconds()
        blackHole(try space.search(text: doc.text, model: staticModel, k: 10))
        latencies.append(Double(MonotonicClock.nanoseconds() - t) / 1000)
      }
      let p = Percentiles(latencies)
      report("text_query_p50_us", p.median)
      report("text_query_p99_us", p.at(99))
    }
    // The full documents (long descriptions) as `quiver ingest` stores them: vectors, lexical index
    // and the HNSW graph maintained batch by batch, its file written at the end.
    let (long, _) = try SearchBenchCommand.load(corpus ?? Fixtures.corpus)
    try withScratchStore("graph") { dir in
      let space = try Store.open(at: dir).space(for: staticModel)
      let t0 = MonotonicClock.nanoseconds()
      var done = 0
      while done < long.count {  // streamed as the CLI does: batches, one graph file at the end
        let end = min(long.count, done + Space.maximumBatch)
        try space.ingest(Array(long[done..<end]), model: staticModel, updatingGraph: true, persistingGraph: false)
        done = end
      }
      try space.updateGraph()
      report("full_documents", Double(long.count))
      report("full_ingest_with_graph_docs_per_second", Double(long.count) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9))
    }
  }

  /// `synthetic` random unit vectors of `dimension` (seeded), and `queries` of them as queries.
  private func syntheticVectors() -> (all: [Float], queries: [[Float]]) {
    let d = dimension
    let n = synthetic
    var rng = SplitMix64(seed: 42)
    var all = [Float](repeating: 0, count: n * d)
    for r in 0..<n {
      var norm: Float = 0
      for i in 0..<d { let x = rng.nextGaussian(); all[r * d + i] = x; norm += x * x }
      let s = 1 / norm.squareRoot()
      for i in 0..<d { all[r * d + i] *= s }
    }
    let queryVectors = (0..<queries).map { q in Array(all[(q * 7919 % n) * d..<((q * 7919 % n) + 1) * d]) }
    return (all, queryVectors)
  }

  /// The space key of the synthetic vectors.
  private var syntheticKey: SpaceKey { SpaceKey(model: "synthetic-gaussian", dimension: dimension) }

  /// 2. The synthetic vectors at scale through the external-vector path: ingest rate, open cost
  /// and exact query latency at each checkpoint, against a plain SIMD scan of the same bytes.
  private func benchmarkFloatVectors(_ all: [Float], _ queryVectors: [[Float]], _ report: Report) throws {
    let d = dimension
    let n = synthetic
    let key = syntheticKey
    try withScratchStore("vectors") { dir in
      var store: Store? = try Store.open(at: dir)
      var space = try store!.openOrCreateSpace(key, metric: .cosine)
      var ingested = 0
      var ingestNanos: UInt64 = 0
      let checkpoints = [1_000, 100_000, n].filter { $0 <= n }.reduce(into: [Int]()) { if $0.last != $1 { $0.append($1) } }
      for checkpoint in checkpoints {
        let docs = (ingested..<checkpoint).map { Document(id: "v\($0)", text: "synthetic vector \($0)") }
        let t0 = MonotonicClock.nanoseconds()
        try space.ingest(docs, vectors: Array(all[(ingested * d)..<(checkpoint * d)]), updatingGraph: false)
        ingestNanos += MonotonicClock.nanoseconds() - t0
        ingested = checkpoint
        // Open cost: a new Store and Space over the same files, median of 21.
        store = nil
        var opens: [Double] = []
        for _ in 0..<21 {
          let t = MonotonicClock.nanoseconds()
          let s = try Store.open(at: dir)
          blackHole(try s.space(key))
          opens.append(Double(MonotonicClock.nanoseconds() - t) / 1000)
        }
        store = try Store.open(at: dir)
        space = try store!.space(key)
        report("open_us_at_\(checkpoint)", Percentiles(opens).median)
        if checkpoint >= 100_000 {
          let p = try Self.queryLatencies(space, queryVectors)
          report("exact_query_p50_us_at_\(checkpoint)", p.median)
          report("exact_query_p99_us_at_\(checkpoint)", p.at(99))
          // Baseline: a plain SIMD pass over the same bytes in heap memory (dot with the query).
          var scans: [Double] = []
          try all.withUnsafeBufferPointer { a in
            try queryVectors[0].withUnsafeBufferPointer { qp in
              for _ in 0..<max(5, queries / 5) {
                let t = MonotonicClock.nanoseconds()
                var best: Float = -1
                for r in 0..<checkpoint {
                  best = max(best, Kernels.dot(qp, UnsafeBufferPointer(rebasing: a[(r * d)..<((r + 1) * d)])))
                }
                blackHole(best)
                scans.append(Double(MonotonicClock.nanoseconds() - t) / 1000)
                if scans.isEmpty { throw ValidationError("unreachable") }
              }
            }
          }
          let scan = Percentiles(scans).median
          report("heap_scan_p50_us_at_\(checkpoint)", scan)
          report("exact_query_over_heap_scan_at_\(checkpoint)", p.median / scan)
          report("scan_gb_per_second_at_\(checkpoint)", Double(checkpoint * d * 4) / (scan * 1000))
        }
      }
      report("vectors", Double(n))
      report("vector_ingest_per_second", Double(n) / (Double(ingestNanos) / 1e9))
      report("bytes_on_disk_per_vector", Double(try store!.stats().fileBytes) / Double(n))
      report("raw_vector_bytes_per_vector", Double(d * 4))
    }

  }

  /// 2b. The same vectors as int8 (scale + d bytes a row), against a heap scan of int8 rows.
  private func benchmarkInt8Vectors(_ all: [Float], _ queryVectors: [[Float]], _ report: Report) throws {
    let d = dimension
    let n = synthetic
    let key = syntheticKey
    try withScratchStore("int8") { dir in
      let store = try Store.open(at: dir)
      let space = try store.openOrCreateSpace(key, metric: .cosine, elementType: .int8)
      let docs = (0..<n).map { Document(id: "v\($0)", text: "synthetic vector \($0)") }
      let t0 = MonotonicClock.nanoseconds()
      try space.ingest(docs, vectors: all, updatingGraph: false)
      report("int8_vector_ingest_per_second", Double(n) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9))
      report("int8_bytes_on_disk_per_vector", Double(try store.stats().fileBytes) / Double(n))
      let p = try Self.queryLatencies(space, queryVectors)
      report("int8_exact_query_p50_us_at_\(n)", p.median)
      report("int8_exact_query_p99_us_at_\(n)", p.at(99))
      // Baseline: the same int8 kernel over the same rows in heap memory.
      var codes = [Int8](repeating: 0, count: n * d)
      var scales = [Float](repeating: 0, count: n)
      for r in 0..<n {
        var peak: Float = 0
        for i in 0..<d { peak = max(peak, abs(all[r * d + i])) }
        scales[r] = peak / 127
        for i in 0..<d { codes[r * d + i] = Int8((all[r * d + i] / scales[r]).rounded()) }
      }
      var qc = [Int8](repeating: 0, count: d)
      let qs = (queryVectors[0].map(abs).max() ?? 1) / 127
      for i in 0..<d { qc[i] = Int8((queryVectors[0][i] / qs).rounded()) }
      var scans: [Double] = []
      codes.withUnsafeBufferPointer { c in
        qc.withUnsafeBufferPointer { qp in
          for _ in 0..<max(5, queries / 5) {
            let t = MonotonicClock.nanoseconds()
            var best: Float = -1
            for r in 0..<n {
              best = max(best, Kernels.dotScaledInt8(qp, scaleA: qs, UnsafeBufferPointer(rebasing: c[(r * d)..<((r + 1) * d)]), scaleB: scales[r]))
            }
            blackHole(best)
            scans.append(Double(MonotonicClock.nanoseconds() - t) / 1000)
          }
        }
      }
      let scan = Percentiles(scans).median
      report("int8_heap_scan_p50_us_at_\(n)", scan)
      report("int8_exact_query_over_heap_scan_at_\(n)", p.median / scan)
    }

  }

  /// 3. Baseline: raw LMDB puts of the same vector bytes, 1 MiB values, 1,000 per transaction.
  private func benchmarkRawPuts(_ all: [Float], _ report: Report) throws {
    let d = dimension
    let n = synthetic
    try withScratchStore("raw") { dir in
      var options = LMDBEnvironment.Options()
      options.mapSize = 64 << 20
      let env = try LMDBEnvironment(path: dir, options: options)
      let db = try env.database(named: "raw", flags: .create)
      let chunkBytes = Space.rowsPerChunk * d * 4
      let chunks = (n * d * 4 + chunkBytes - 1) / chunkBytes
      let t0 = MonotonicClock.nanoseconds()
      try all.withUnsafeBytes { bytes in
        var c = 0
        while c < chunks {
          let end = min(chunks, c + 1000)
          try env.write { txn in
            for k in c..<end {
              let slice = UnsafeRawBufferPointer(rebasing: bytes[(k * chunkBytes)..<min(bytes.count, (k + 1) * chunkBytes)])
              try txn.reserve(db, key: BigEndianKey(UInt64(k)), count: slice.count).copyMemory(from: slice)
            }
          }
          c = end
        }
      }
      let seconds = Double(MonotonicClock.nanoseconds() - t0) / 1e9
      report("raw_lmdb_put_vectors_per_second", Double(n) / seconds)
      report("raw_lmdb_put_mb_per_second", Double(n * d * 4) / seconds / 1e6)
    }
  }

  private func withScratchStore(_ name: String, _ body: (String) throws -> Void) throws {
    let dir = "\(scratch)/quiver-bench-\(name)-\(getpid())"
    _ = try? FileManager.default.removeItem(atPath: dir)
    defer { _ = try? FileManager.default.removeItem(atPath: dir) }
    try body(dir)
  }

  /// Latencies (µs) of exact top-10 searches for each query vector.
  static func queryLatencies(_ space: Space, _ queries: [[Float]]) throws -> Percentiles {
    var latencies: [Double] = []
    for q in queries {
      let t = MonotonicClock.nanoseconds()
      blackHole(try space.search(vector: q, k: 10))
      latencies.append(Double(MonotonicClock.nanoseconds() - t) / 1000)
    }
    return Percentiles(latencies)
  }

  /// Short descriptions as documents (id = package).
  static func shortDocuments(_ path: String) throws -> [Document] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    var out: [Document] = []
    var seen = Set<String>()
    for line in data.split(separator: UInt8(ascii: "\n")) {
      guard let r = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
      let id = (r["id"] as? String) ?? (r["package"] as? String) ?? "\(out.count)"
      let short = (r["short"] as? String) ?? ((r["metadata"] as? [String: Any])?["short"] as? String)
      guard let short, !short.isEmpty, seen.insert(id).inserted else { continue }
      out.append(Document(id: id, text: short))
    }
    return out
  }
}
