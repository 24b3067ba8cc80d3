import ArgumentParser
import CAllocationCounter
import Quiver

/// `quiver-bench embed`: single-thread latency of the whole embed path per sentence, the share of
/// tokenisation, the path after tokenisation alone, allocations per call, and 2-thread batch
/// throughput, decoding token vectors from the map.
struct EmbedBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed", abstract: "Embedding latency and throughput on real sentences.")

  @Option(help: "Model file (default: the fixture model).")
  var model: String?

  @Option(help: "Sentences: a JSONL corpus or a text file, one a line (default: the fixture corpus).")
  var sentences: String?

  @Option(help: "Stateful models: the terms to run (boost-only, boost+state, stateful); default: the file's.")
  var statefulModes: String?

  @Option(help: "Timed passes over all sentences; latencies pool over passes.")
  var passes = 3

  @Flag(help: "Print one JSON object instead of a table.")
  var json = false

  func run() throws {
    let texts = try BenchCorpus.sentences(sentences ?? Fixtures.corpus)
    guard !texts.isEmpty else { throw ValidationError("no sentences") }
    let path = model ?? Fixtures.model
    let staticModel = try StaticModel(path: path)
    let results = try measure(staticModel, texts)
    if json {
      var fields = results.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(fmt($0.value))" }
      let setting = statefulModes.map { ",\"stateful_modes\":\(JSONText.quoted($0))" } ?? ""
      fields.insert("\"benchmark\":\"embed\",\"model\":\(JSONText.quoted(path)),\"aggregator\":\"\(staticModel.aggregator)\"\(setting),\"path\":\"pq\"", at: 0)
      print("{" + fields.joined(separator: ",") + "}")
    } else {
      print("embed benchmark: \(path), \(texts.count) sentences × \(passes) passes, single thread unless noted")
      for key in results.keys.sorted() {
        print(pad(key, 28) + pad(fmt(results[key]!), 14, left: true))
      }
    }
  }

  private func measure(_ model: StaticModel, _ texts: [String]) throws -> [String: Double] {
    let embedder = try model.makeEmbedder()
    if let statefulModes {
      guard let modes = StatefulModes(name: statefulModes) else { throw ValidationError("unknown --stateful-modes \(statefulModes)") }
      embedder.statefulModes = modes
    }
    let d = embedder.outputDimension
    var out = [Float](repeating: 0, count: d)
    var tokenized: [[Int32]] = []
    for t in texts {  // warm-up: grow every scratch buffer, fault in the model's pages
      try embedder.tokenize(t)
      tokenized.append(embedder.lastTokenIDs)
      _ = try out.withUnsafeMutableBufferPointer { try embedder.embed(t, into: $0) }
    }
    var latencies: [Double] = []
    var shortLatencies: [Double] = []
    var aggregateLatencies: [Double] = []
    latencies.reserveCapacity(texts.count * passes)
    var tokenizeLatencies: [Double] = []
    var libraryLatencies: [Double] = []
    var libraryIDs: [Int32] = []
    var libraryAllocations: UInt64 = 0
    var embedTotal: UInt64 = 0
    var aggregateTotal: UInt64 = 0
    var clockReads: UInt64 = 0
    var tokenizeTotal: UInt64 = 0
    var allocations: UInt64 = 0
    try out.withUnsafeMutableBufferPointer { buffer in
      for _ in 0..<passes {
        for (i, t) in texts.enumerated() {
          qac_start()
          let t0 = MonotonicClock.nanoseconds()
          try embedder.embed(t, into: buffer)
          let t1 = MonotonicClock.nanoseconds()
          allocations &+= qac_stop()
          let us = Double(t1 - t0) / 1000
          latencies.append(us)
          if tokenized[i].count <= 32 { shortLatencies.append(us) }
          embedTotal &+= t1 - t0
        }
        for t in texts {
          let t0 = MonotonicClock.nanoseconds()
          try embedder.tokenize(t)
          let t1 = MonotonicClock.nanoseconds()
          tokenizeTotal &+= t1 - t0
          tokenizeLatencies.append(Double(t1 - t0) / 1000)
        }
        for t in texts {  // the baseline: libsentencepiece itself
          qac_start()
          let t0 = MonotonicClock.nanoseconds()
          try model.tokenizer.encode(t, into: &libraryIDs)
          let t1 = MonotonicClock.nanoseconds()
          libraryAllocations &+= qac_stop()
          libraryLatencies.append(Double(t1 - t0) / 1000)
        }
        for tokens in tokenized {
          tokens.withUnsafeBufferPointer { p in
            let t0 = MonotonicClock.nanoseconds()
            embedder.embed(tokenIDs: p, into: buffer)
            aggregateLatencies.append(Double(MonotonicClock.nanoseconds() - t0) / 1000)
          }
        }
        // The same work without a clock read per call: the mean, free of timer overhead.
        let t0 = MonotonicClock.nanoseconds()
        for tokens in tokenized {
          tokens.withUnsafeBufferPointer { embedder.embed(tokenIDs: $0, into: buffer) }
        }
        aggregateTotal &+= MonotonicClock.nanoseconds() - t0
        let t1 = MonotonicClock.nanoseconds()
        for _ in 0..<1000 { blackHole(MonotonicClock.nanoseconds()) }
        clockReads &+= MonotonicClock.nanoseconds() - t1
      }
    }
    blackHole(out)
    let calls = Double(texts.count * passes)
    let all = Percentiles(latencies)
    let short = Percentiles(shortLatencies.isEmpty ? [0] : shortLatencies)
    let after = Percentiles(aggregateLatencies)

    // Batched, on 2 threads, every sentence once per pass; the best pass is reported.
    var batchRate = 0.0
    var batchRateOneThread = 0.0
    for _ in 0..<passes {
      var t0 = MonotonicClock.nanoseconds()
      blackHole(try model.embed(batch: texts, threads: 2))
      batchRate = max(batchRate, Double(texts.count) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9))
      t0 = MonotonicClock.nanoseconds()
      blackHole(try model.embed(batch: texts, threads: 1))
      batchRateOneThread = max(batchRateOneThread, Double(texts.count) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9))
    }
    return [
      "sentences": Double(texts.count),
      "mean_tokens": Double(tokenized.reduce(0) { $0 + $1.count }) / Double(texts.count),
      "per_second": calls / (Double(embedTotal) / 1e9),
      "p50_us": all.median, "p99_us": all.at(99), "p999_us": all.at(99.9),
      "le32_tokens_p50_us": short.median, "le32_tokens_p999_us": short.at(99.9),
      "le32_tokens_per_second": Double(shortLatencies.count) / (shortLatencies.reduce(0, +) / 1e6),
      "le32_sentences": Double(shortLatencies.count) / Double(passes),
      "tokenize_share": Double(tokenizeTotal) / Double(embedTotal),
      "tokenize_p50_us": Percentiles(tokenizeLatencies).median,
      "libsentencepiece_tokenize_p50_us": Percentiles(libraryLatencies).median,
      "libsentencepiece_tokenize_p99_us": Percentiles(libraryLatencies).at(99),
      "libsentencepiece_allocations_per_call": Double(libraryAllocations) / calls,
      "native_tokenizer": model.nativeTokenizer == nil ? 0 : 1,
      "after_tokenize_p50_us": after.median,
      "after_tokenize_mean_us": Double(aggregateTotal) / calls / 1000,
      "clock_read_ns": Double(clockReads) / Double(1000 * passes), "after_tokenize_p99_us": after.at(99),
      "allocations_per_call": Double(allocations) / calls,
      "batch_2_threads_per_second": batchRate,
      "batch_1_thread_per_second": batchRateOneThread,
    ]
  }
}
