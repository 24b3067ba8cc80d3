import ArgumentParser
import Dispatch
import Foundation
import Quiver

#if canImport(Glibc)
  import Glibc
#endif

/// `quiver-bench cache`: is each cache layer worth turning on, per model? For the built-in static
/// model and for a simulated external model costing 1 ms a text: uncached throughput, cold (both
/// layers filling), warm layer 1, and layer 2 after a restart; plus layer-1 lookup latency under
/// 2 threads.
struct CacheBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "cache", abstract: "Cache layers against plain embedding.")

  @Option(help: "Sentences: a JSONL corpus or a text file (default: the fixture corpus).")
  var sentences: String?

  @Option(help: "Model file (default: the fixture model).")
  var model: String?

  @Option(help: "Texts for the simulated 1 ms model (it costs this many milliseconds cold).")
  var externalTexts = 2000

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    var seen = Set<String>()
    let texts = try BenchCorpus.sentences(sentences ?? Fixtures.corpus).filter { seen.insert($0).inserted }
    var results: [(String, Double)] = []
    func report(_ key: String, _ value: Double) {
      results.append((key, value))
      if !json { print(pad(key, 44) + pad(fmt(value), 16, left: true)) }
    }
    let builtin = StaticEmbeddingService(path: model ?? Fixtures.model)
    let external = try FunctionEmbeddingService(model: "simulated-1ms", dimension: 256) { batch, d in
      batch.map { text in
        let until = MonotonicClock.nanoseconds() + 1_000_000
        while MonotonicClock.nanoseconds() < until {}  // the model's cost: 1 ms a text
        var v = [Float](repeating: 0, count: d)
        for (i, b) in text.utf8.enumerated() { v[i % d] += Float(b) }
        return v
      }
    }
    for (name, service, corpus) in [("static", builtin as any EmbeddingService, texts),
                                     ("external_1ms", external as any EmbeddingService, Array(texts.prefix(externalTexts)))] {
      let configuration = try service.modelConfiguration()
      func rate(_ s: any EmbeddingService) throws -> Double {
        let t0 = MonotonicClock.nanoseconds()
        var i = 0
        while i < corpus.count {
          blackHole(try s.embed(Array(corpus[i..<min(corpus.count, i + 1000)]), configuration: configuration))
          i += 1000
        }
        return Double(corpus.count) / (Double(MonotonicClock.nanoseconds() - t0) / 1e9)
      }
      let dir = "/tmp/quiver-bench-cache-\(getpid())"
      _ = try? FileManager.default.removeItem(atPath: dir)
      defer { _ = try? FileManager.default.removeItem(atPath: dir) }
      let uncached = try rate(service)
      let memory = MemoryCache(capacity: max(4000, corpus.count))
      let both = CachedEmbeddingService(service, memory: memory, disk: try DiskCache(path: dir))
      let cold = try rate(both)
      let warm = try rate(both)
      let restarted = CachedEmbeddingService(service, memory: MemoryCache(capacity: max(4000, corpus.count)), disk: try DiskCache(path: dir))
      let layer2 = try rate(restarted)
      let layer1Only = CachedEmbeddingService(service, memory: MemoryCache(capacity: max(4000, corpus.count)), disk: nil)
      let coldLayer1Only = try rate(layer1Only)
      report("\(name)_texts", Double(corpus.count))
      report("\(name)_uncached_per_second", uncached)
      report("\(name)_cold_both_layers_per_second", cold)
      report("\(name)_cold_layer1_only_per_second", coldLayer1Only)
      report("\(name)_warm_layer1_per_second", warm)
      report("\(name)_restart_layer2_per_second", layer2)
      report("\(name)_layer1_speedup", warm / uncached)
      report("\(name)_layer2_speedup", layer2 / uncached)
      report("\(name)_cold_overhead_both_layers", uncached / cold)
    }

    // Layer-1 lookups under 2 threads: each thread times its own gets (all hits).
    let cache = MemoryCache(capacity: 4000)
    let space = SpaceKey(model: "bench", dimension: 256)
    let seed = CacheKey.spaceSeed(space)
    let keys = texts.prefix(4000).map { CacheKey(text: $0, seed: seed) }
    for k in keys { cache.put(k, [Float](repeating: 0, count: 256)) }
    let perThread = 200_000
    let samples = UnsafeMutableBufferPointer<Double>.allocate(capacity: 2 * perThread)
    defer { samples.deallocate() }
    let shared = SampleBuffer(samples)
    DispatchQueue.concurrentPerform(iterations: 2) { t in
      var i = t
      for n in 0..<perThread {
        let t0 = MonotonicClock.nanoseconds()
        blackHole(cache.get(keys[i % keys.count]))
        shared.base[t * perThread + n] = Double(MonotonicClock.nanoseconds() - t0)
        i &+= 7
      }
    }
    let p = Percentiles(Array(samples))
    report("layer1_get_p50_ns_2_threads", p.median)
    report("layer1_get_p99_ns_2_threads", p.at(99))
    report("layer1_hit_key_and_lookup_ns_per_text_incl_hash", {
      let t0 = MonotonicClock.nanoseconds()
      for t in texts.prefix(4000) { blackHole(cache.get(CacheKey(text: t, seed: seed))) }
      return Double(MonotonicClock.nanoseconds() - t0) / 4000
    }())
    if json { print("{\"benchmark\":\"cache\"," + results.map { "\"\($0.0)\":\(fmt($0.1))" }.joined(separator: ",") + "}") }
  }
}

/// Per-thread sample slots of a concurrent measurement (each thread writes its own range).
struct SampleBuffer: @unchecked Sendable {
  let base: UnsafeMutableBufferPointer<Double>
  init(_ base: UnsafeMutableBufferPointer<Double>) { self.base = base }
}
