import ArgumentParser
import Foundation
import Quiver
import QuiverKernels

#if canImport(Glibc)
  import Glibc
#endif

/// `quiver-bench ann`: builds an HNSW graph over base vectors, computes exact ground truth, and
/// prints recall@10, single-thread queries/s and p99 latency per ef — comparable, file for file,
/// with any other library (tools/bench/ann/).
struct AnnBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "ann", abstract: "HNSW recall and speed on vector files.")

  @Option(help: "Base vectors: float32 .npy or .fvecs.")
  var base: String

  @Option(help: "Query vectors: float32 .npy or .fvecs.")
  var queries: String

  @Option(help: "cosine, dot or l2.")
  var metric = "cosine"

  @Option(name: .customLong("M"), help: "Links per node (level 0 keeps 2M).")
  var m = 16

  @Option(help: "efConstruction.")
  var efConstruction = 200

  @Option(help: "Vectors the search walks over: f32, or int8 with an exact f32 re-rank.")
  var walk = "f32"

  @Option(help: "Comma-separated thread counts: the graph is built once per count (searches, single-threaded, use the first build).")
  var threads = "1"

  @Option(help: "Comma-separated ef values.")
  var ef = "16,32,64,128,256"

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    guard let metric = Metric.allCases.first(where: { $0.name == self.metric }) else { throw ValidationError("unknown metric") }
    var (baseRows, d) = try Self.load(base)
    var (queryRows, qd) = try Self.load(queries)
    guard d == qd else { throw ValidationError("base has \(d) dimensions, queries \(qd)") }
    guard let walk = HNSWWalkEncoding(name: self.walk) else { throw ValidationError("--walk is f32 or int8, not \(self.walk)") }
    if metric == .cosine { Space.normalizeRows(&baseRows, d); Space.normalizeRows(&queryRows, d) }
    let n = baseRows.count / d
    let nq = queryRows.count / d
    let threadCounts = threads.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
    guard !threadCounts.isEmpty else { throw ValidationError("--threads needs at least one positive count") }
    var builds: [(threads: Int, seconds: Double)] = []
    var graph: HNSWGraph!
    for t in threadCounts {
      let g = HNSWGraph(dimension: d, metric: metric, parameters: .init(M: m, efConstruction: efConstruction, walk: walk), capacity: n)
      let t0 = MonotonicClock.nanoseconds()
      baseRows.withUnsafeBufferPointer { b in g.insert(contentsOf: b, threads: t) }
      builds.append((t, Double(MonotonicClock.nanoseconds() - t0) / 1e9))
      if graph == nil { graph = g }
    }
    let buildSeconds = builds[0].seconds
    // Exact ground truth by a full scan (the 10 smallest distances, kept sorted by insertion).
    var truth: [[UInt32]] = []
    baseRows.withUnsafeBufferPointer { b in
      queryRows.withUnsafeBufferPointer { qs in
        for q in 0..<nq {
          let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
          var best: [(Float, UInt32)] = []
          for r in 0..<n {
            let v = UnsafeBufferPointer(rebasing: b[(r * d)..<((r + 1) * d)])
            let s = metric == .l2 ? Kernels.squaredL2(qv, v) : -Kernels.dot(qv, v)
            if best.count == 10, s >= best[9].0 { continue }
            let at = best.firstIndex { s < $0.0 } ?? best.count
            best.insert((s, UInt32(r)), at: at)
            if best.count > 10 { best.removeLast() }
          }
          truth.append(best.map(\.1))
        }
      }
    }
    var rows: [String] = []
    let searcher = HNSWGraph.Searcher(graph: graph)
    // One unmeasured pass, so that the first ef does not pay for first touches of the graph.
    queryRows.withUnsafeBufferPointer { qs in
      for q in 0..<nq { blackHole(searcher.search(UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)]), k: 10, ef: 16)) }
    }
    if !json {
      let b = builds.map { "\(fmt($0.seconds)) s on \($0.threads) thread(s)" }.joined(separator: ", ")
      print("n \(n), d \(d), queries \(nq), M \(m), efConstruction \(efConstruction), walk \(walk.name), build \(b)")
    }
    for ef in self.ef.split(separator: ",").compactMap({ Int($0) }) {
      var latencies: [Double] = []
      var hits = 0
      queryRows.withUnsafeBufferPointer { qs in
        for q in 0..<nq {
          let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
          let t = MonotonicClock.nanoseconds()
          let found = searcher.search(qv, k: 10, ef: ef)
          latencies.append(Double(MonotonicClock.nanoseconds() - t) / 1000)
          let expected = Set(truth[q])
          hits += found.filter { expected.contains($0.node) }.count
        }
      }
      let p = Percentiles(latencies)
      let recall = Double(hits) / Double(nq * 10)
      let qps = Double(nq) / (latencies.reduce(0, +) / 1e6)
      rows.append("{\"ef\":\(ef),\"recall_at_10\":\(String(format: "%.4f", recall)),\"per_second\":\(fmt(qps)),\"p50_us\":\(fmt(p.median)),\"p99_us\":\(fmt(p.at(99)))}")
      if !json { print("ef \(ef): recall@10 \(String(format: "%.4f", recall)), \(fmt(qps)) queries/s, p50 \(fmt(p.median)) µs, p99 \(fmt(p.at(99))) µs") }
    }
    // Persist and reopen (map): the file's size and the median time of 5 opens.
    let path = "/tmp/quiver-bench-ann-\(getpid()).hnsw"
    defer { unlink(path) }
    try graph.write(to: path)
    var opens: [Double] = []
    for _ in 0..<5 {
      let t = MonotonicClock.nanoseconds()
      blackHole(try HNSWGraph.open(path: path))
      opens.append(Double(MonotonicClock.nanoseconds() - t) / 1e6)
    }
    var info = stat()
    stat(path, &info)
    let bytes = Int(info.st_size)
    let reopenMs = Percentiles(opens).median
    if !json { print("file \(bytes) bytes, reopen \(fmt(reopenMs)) ms") }
    if json {
      print("{\"benchmark\":\"ann\",\"library\":\"\(walk == .int8 ? "quiver int8 walk" : "quiver")\",\"walk\":\"\(walk.name)\",\"n\":\(n),\"dimension\":\(d),\"queries\":\(nq),\"M\":\(m),\"ef_construction\":\(efConstruction),\"build_threads\":\(builds[0].threads),\"build_seconds\":\(fmt(buildSeconds)),\"builds\":[\(builds.map { "{\"threads\":\($0.threads),\"seconds\":\(fmt($0.seconds))}" }.joined(separator: ","))],\"bytes\":\(bytes),\"reopen_ms\":\(fmt(reopenMs)),\"results\":[\(rows.joined(separator: ","))]}")
    }
  }

  static func load(_ path: String) throws -> ([Float], Int) {
    if path.hasSuffix(".fvecs") {
      let f = try FvecsFile(path: path)
      return (f.rows(0..<f.rows), f.columns)
    }
    let f = try NPYFile(path: path)
    var out: [Float] = []
    out.reserveCapacity(f.rows * f.columns)
    for r in 0..<f.rows { out.append(contentsOf: f.row(r)) }
    return (out, f.columns)
  }
}
