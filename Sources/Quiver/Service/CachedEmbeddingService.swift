import Synchronization

/// An ``EmbeddingService`` behind the two cache layers: for a batch, look every text up in layer 1
/// (memory), the rest in layer 2 (disk), embed only what is still missing, write the new vectors
/// back to both layers, and return all vectors in input order.
public final class CachedEmbeddingService: EmbeddingService {
  public let inner: any EmbeddingService
  public let memory: MemoryCache?
  public let disk: DiskCache?
  private let computedCount = Atomic<Int>(0)

  /// Texts embedded by `inner` over this service's life (the cache misses of both layers).
  public var computed: Int { computedCount.load(ordering: .relaxed) }

  public init(_ inner: any EmbeddingService, memory: MemoryCache? = MemoryCache(), disk: DiskCache? = nil) {
    self.inner = inner
    self.memory = memory
    self.disk = disk
  }

  /// The layers worth turning on for `service`, from `quiver-bench cache` (2026-11-24, 2-core VM,
  /// medians of runs in CHANGELOG): for the built-in static model, a layer-1 hit serves only ~1.5×
  /// faster than embedding and layer 2 (which must tokenise to build its key, then read LMDB) runs
  /// at ~0.5× even when every text hits — both off. For a model costing ~1 ms a text, layer 1
  /// serves ~700× and layer 2 ~200× faster for ~2 % extra on misses — both on.
  public static func recommended(for service: any EmbeddingService, diskCachePath: String?) throws -> any EmbeddingService {
    if service is StaticEmbeddingService || service is StaticModel { return service }
    return CachedEmbeddingService(service, memory: MemoryCache(), disk: try diskCachePath.map { try DiskCache(path: $0) })
  }

  public var name: String { "cached(\(inner.name))" }
  public func modelConfiguration() throws -> ModelConfiguration { try inner.modelConfiguration() }
  public func configuration(dimension: Int?) throws -> ModelConfiguration { try inner.configuration(dimension: dimension) }
  public func supports(_ configuration: ModelConfiguration) -> Bool { inner.supports(configuration) }
  public func cacheIdentity(of text: String) throws -> [UInt8] { try inner.cacheIdentity(of: text) }

  public func embed(_ texts: [String], configuration: ModelConfiguration) throws -> [[Float]] {
    try check(texts, configuration)
    let space = configuration.spaceKey
    var out = [[Float]?](repeating: nil, count: texts.count)
    // Layer 1: text bytes, seeded by the space key (INV-5).
    let seed = CacheKey.spaceSeed(space)
    let memoryKeys = texts.map { CacheKey(text: $0, seed: seed) }
    if let memory {
      for i in texts.indices { out[i] = memory.get(memoryKeys[i]) }
    }
    // Layer 2: token ids + space key.
    var missing = texts.indices.filter { out[$0] == nil }
    var diskKeys: [CacheKey] = []
    if let disk, !missing.isEmpty {
      diskKeys = try missing.map { CacheKey(identity: try inner.cacheIdentity(of: texts[$0]), space: space) }
      let found = try disk.get(diskKeys)
      var stillMissing: [Int] = []
      var stillMissingKeys: [CacheKey] = []
      for (j, i) in missing.enumerated() {
        if let v = found[j] {
          out[i] = v
          memory?.put(memoryKeys[i], v)
        } else {
          stillMissing.append(i)
          stillMissingKeys.append(diskKeys[j])
        }
      }
      missing = stillMissing
      diskKeys = stillMissingKeys
    }
    // Embed only the misses; the count must match (INV-6).
    if !missing.isEmpty {
      let vectors = try inner.embed(missing.map { texts[$0] }, configuration: configuration)
      guard vectors.count == missing.count else {
        throw EmbeddingError.countMismatch(expected: missing.count, actual: vectors.count)
      }
      computedCount.wrappingAdd(missing.count, ordering: .relaxed)
      for (j, i) in missing.enumerated() {
        out[i] = vectors[j]
        memory?.put(memoryKeys[i], vectors[j])
      }
      if let disk { try disk.put(Array(zip(diskKeys, vectors))) }
    }
    return out.map { $0! }
  }
}
