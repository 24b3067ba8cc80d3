import Dispatch
import Quiver
import Testing

/// The invariants of `lattice-embed-design.md`, adapted to Quiver, one test each, plus the restart
/// and eviction behaviour of the disk cache.
@Suite struct EmbeddingServiceTests {
  static let service = StaticEmbeddingService(path: TestFixtures.model256PQ)
  static func sentences(_ n: Int) throws -> [String] { Array(try TestFixtures.lines(TestFixtures.sentences).prefix(n)) }

  @Test func inv1_differentOutputDimensionsAreDifferentSpaces() throws {
    let native = try Self.service.modelConfiguration()
    let d64 = try native.with(outputDimension: 64)
    #expect(native.spaceKey != d64.spaceKey)
    #expect(CacheKey(identity: Array("x".utf8), space: native.spaceKey) != CacheKey(identity: Array("x".utf8), space: d64.spaceKey))
    #expect(CacheKey(text: "x", seed: CacheKey.spaceSeed(native.spaceKey)) != CacheKey(text: "x", seed: CacheKey.spaceSeed(d64.spaceKey)))
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let model = try Self.service.model()
      let a = try store.space(for: model, dimension: 256)
      let b = try store.space(for: model, dimension: 64)
      let count = try store.spaces().count
      #expect(a.key != b.key && count == 2)
    }
  }

  @Test func inv2_outputDimensionOnlyForModelsThatSupportIt() throws {
    #expect(throws: EmbeddingError.self) {
      _ = try ModelConfiguration(model: "bge-small-en-v1.5", nativeDimension: 384, supportsOutputDimension: false, outputDimension: 128)
    }
    let external = try FunctionEmbeddingService(model: "bge-small-en-v1.5", dimension: 384) { texts, d in texts.map { _ in [Float](repeating: 0.1, count: d) } }
    #expect(throws: EmbeddingError.self) { _ = try external.modelConfiguration().with(outputDimension: 128) }
    #expect(try Self.service.modelConfiguration().supportsOutputDimension)  // PCA-ordered fixture
  }

  @Test func inv3_outputDimensionWithinMinimumAndNative() throws {
    let native = try Self.service.modelConfiguration()
    for bad in [0, 16, 31, 257, 1024] {
      #expect(throws: EmbeddingError.self, "\(bad)") { _ = try native.with(outputDimension: bad) }
    }
    for good in [32, 64, 128, 256] { #expect(try native.with(outputDimension: good).dimension == good) }
  }

  @Test func inv4_modelLoadsExactlyOnceUnderConcurrentFirstUse() throws {
    let fresh = StaticEmbeddingService(path: TestFixtures.model256PQ)
    #expect(fresh.loadCount == 0)
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      _ = try? fresh.embed(["mail server"], configuration: try! fresh.modelConfiguration())
    }
    #expect(fresh.loadCount == 1)
    let a = try fresh.model(), b = try fresh.model()
    #expect(a === b)
  }

  @Test func inv5_cacheKeyIncludesTheSpace() throws {
    let cached = CachedEmbeddingService(Self.service)
    let native = try Self.service.modelConfiguration()
    let v256 = try cached.embedOne("network file system client", configuration: native)
    let v64 = try cached.embedOne("network file system client", configuration: try native.with(outputDimension: 64))
    #expect(v256.count == 256 && v64.count == 64)
    #expect(cached.computed == 2)  // the 64-d request did not hit the 256-d entry
  }

  @Test func inv6_mergePreservesOrderAndCountsMustMatch() throws {
    let texts = try Self.sentences(300)
    let native = try Self.service.modelConfiguration()
    let cached = CachedEmbeddingService(Self.service)
    _ = try cached.embed(Array(texts.prefix(150)), configuration: native)  // half warm
    let shuffled = texts.shuffled()
    let viaCache = try cached.embed(shuffled, configuration: native)
    let direct = try Self.service.embed(shuffled, configuration: native)
    #expect(viaCache == direct)
    #expect(cached.computed == 300)  // 150 then the other 150
    // An embedder that drops a vector is caught, not merged.
    let broken = try FunctionEmbeddingService(model: "broken", dimension: 8) { texts, d in
      texts.dropLast().map { _ in [Float](repeating: 1, count: d) }
    }
    let wrapped = CachedEmbeddingService(broken)
    #expect(throws: EmbeddingError.countMismatch(expected: 2, actual: 1)) {
      _ = try wrapped.embed(["a", "b"], configuration: try broken.modelConfiguration())
    }
  }

  @Test func inv7_batchAndTextLimits() throws {
    let native = try Self.service.modelConfiguration()
    #expect(throws: EmbeddingError.emptyBatch) { _ = try Self.service.embed([], configuration: native) }
    #expect(throws: EmbeddingError.batchTooLarge(count: 1001, limit: 1000)) {
      _ = try Self.service.embed([String](repeating: "a", count: 1001), configuration: native)
    }
    #expect(throws: EmbeddingError.textTooLong(index: 1, characters: 32_769, limit: 32_768)) {
      _ = try Self.service.embed(["ok", String(repeating: "é", count: 32_769)], configuration: native)
    }
    #expect(try Self.service.embed([String(repeating: "a", count: 32_768)], configuration: native).count == 1)
    #expect(throws: EmbeddingError.emptyText(index: 0)) { _ = try Self.service.embed(["  "], configuration: native) }
    #expect(throws: EmbeddingError.invalidUTF8(index: 1)) { _ = try EmbeddingLimits.decode([[0x61], [0x61, 0xFF]]) }
    // The cached service refuses the same way, before touching a cache.
    let cached = CachedEmbeddingService(Self.service)
    #expect(throws: EmbeddingError.emptyBatch) { _ = try cached.embed([], configuration: native) }
    #expect(cached.memory!.statistics.misses == 0)
  }

  @Test func inv8_requestedModelMustBeTheLoadedModel() throws {
    let other = try StaticEmbeddingService(path: TestFixtures.model64PQ).modelConfiguration()
    #expect(throws: EmbeddingError.self) { _ = try Self.service.embed(["text"], configuration: other) }
    #expect(!Self.service.supports(other))
    #expect(Self.service.supports(try Self.service.modelConfiguration()))
  }

  /// A cache filled, the process "restarted" (new service, new memory cache, disk cache reopened),
  /// the same corpus re-embedded: every text hits layer 2, nothing is computed.
  @Test func diskCacheSurvivesARestart() throws {
    let texts = Array(Set(try Self.sentences(500)))
    try withTemporaryDirectory { dir in
      let native = try Self.service.modelConfiguration()
      let first: [[Float]]
      do {
        let cached = CachedEmbeddingService(StaticEmbeddingService(path: TestFixtures.model256PQ), disk: try DiskCache(path: dir))
        first = try cached.embed(texts, configuration: native)
        #expect(cached.computed == texts.count)
      }
      let disk = try DiskCache(path: dir)
      let restarted = CachedEmbeddingService(StaticEmbeddingService(path: TestFixtures.model256PQ), disk: disk)
      let again = try restarted.embed(texts, configuration: native)
      #expect(restarted.computed == 0)
      #expect(again == first)
      let stats = try disk.statistics
      #expect(stats.entries == texts.count && stats.hits >= texts.count)
    }
  }

  @Test func diskCacheEvictsTheLeastRecentlyUsedOverBudget() throws {
    try withTemporaryDirectory { dir in
      let space = SpaceKey(model: "toy", dimension: 64)
      let entryBytes = 12 + 64 * 4
      let disk = try DiskCache(path: dir, byteBudget: 100 * entryBytes)
      let keys = (0..<150).map { CacheKey(identity: Array("t\($0)".utf8), space: space) }
      try disk.put(keys.prefix(60).map { ($0, [Float](repeating: 1, count: 64)) })
      _ = try disk.get(Array(keys.prefix(10)))  // the first 10 were used recently
      try disk.put(keys[60..<150].map { ($0, [Float](repeating: 2, count: 64)) })
      let stats = try disk.statistics
      #expect(stats.bytes <= 100 * entryBytes && stats.evictions > 0)
      #expect(try disk.get(Array(keys.prefix(10))).allSatisfy { $0 != nil })  // recently used: kept
      #expect(try disk.get(Array(keys[10..<20])).allSatisfy { $0 == nil })  // oldest epoch: evicted
    }
  }

  @Test func memoryCacheIsAnLRUPerShard() {
    let cache = MemoryCache(capacity: 16)  // one entry a shard
    let space = SpaceKey(model: "toy", dimension: 2)
    var sameShard: [CacheKey] = []
    var i = 0
    while sameShard.count < 2 {
      let k = CacheKey(identity: Array("k\(i)".utf8), space: space)
      if sameShard.isEmpty || k.hashValue != sameShard[0].hashValue, sameShard.isEmpty || shardOf(k) == shardOf(sameShard[0]) { sameShard.append(k) }
      i += 1
    }
    cache.put(sameShard[0], [1, 1])
    #expect(cache.get(sameShard[0]) == [1, 1])
    cache.put(sameShard[1], [2, 2])  // evicts the first: the shard holds one
    #expect(cache.get(sameShard[0]) == nil && cache.get(sameShard[1]) == [2, 2])
    let s = cache.statistics
    #expect(s.hits == 2 && s.misses == 1 && s.evictions == 1 && s.entries == 1)
  }

  private func shardOf(_ k: CacheKey) -> Int { Int(k.low & 0xF) }
}
