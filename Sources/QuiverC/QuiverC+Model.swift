import Quiver
import QuiverABI

// The model entry points of include/quiver.h (see there for each contract).

@_cdecl("qv_model_open")
public func qvModelOpen(_ path: UnsafePointer<CChar>?, _ dimension: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  guarded {
    let out = try required(out, "out_model")
    out.pointee = nil
    let file = String(cString: try required(path, "path"))
    guard dimension >= 0 else { throw ABIError.invalidArgument("dimension \(dimension) is negative (0: the model's native)") }
    let handle = try ModelHandle(file: file, dimension: dimension == 0 ? nil : Int(dimension))
    out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
  }
}

@_cdecl("qv_model_open_external")
public func qvModelOpenExternal(
  _ name: UnsafePointer<CChar>?, _ dimension: Int32, _ callback: qv_embed_callback?, _ context: UnsafeMutableRawPointer?,
  _ memoryEntries: Int64, _ cachePath: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  guarded {
    let out = try required(out, "out_model")
    out.pointee = nil
    let model = String(cString: try required(name, "name"))
    guard !model.isEmpty, !model.contains("@") else { throw ABIError.invalidArgument("model name must be non-empty and without '@': \"\(model)\"") }
    guard (1...65_536).contains(dimension) else { throw ABIError.invalidArgument("dimension \(dimension) is not in 1…65536") }
    guard (0...100_000_000).contains(memoryEntries) else { throw ABIError.invalidArgument("memory_entries \(memoryEntries) is not in 0…100,000,000") }
    let function = ExternalFunction(callback: try required(callback, "callback"), context: context)
    let inner = try FunctionEmbeddingService(model: model, dimension: Int(dimension)) { texts, d in try function(texts, d) }
    let disk = try cachePath.map { try DiskCache(path: String(cString: $0)) }
    let cached = CachedEmbeddingService(inner, memory: memoryEntries > 0 ? MemoryCache(capacity: Int(memoryEntries)) : nil, disk: disk)
    out.pointee = OpaquePointer(Unmanaged.passRetained(try ModelHandle(external: cached, dimension: Int(dimension))).toOpaque())
  }
}

@_cdecl("qv_model_close")
public func qvModelClose(_ model: OpaquePointer?) {
  guard let model else { return }
  Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("qv_model_dimension")
public func qvModelDimension(_ model: OpaquePointer?) -> Int32 {
  guard let handle = try? ModelHandle.from(model) else { return 0 }
  return Int32(handle.dimension)
}

@_cdecl("qv_model_space_key")
public func qvModelSpaceKey(_ model: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int64 {
  guard let handle = try? ModelHandle.from(model) else { return 0 }
  let key = Array(handle.configuration.spaceKey.description.utf8)
  if let buffer, capacity > 0 {
    let n = min(key.count, Int(capacity) - 1)
    key.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: n) }
    buffer[n] = 0
  }
  return Int64(key.count)
}

@_cdecl("qv_model_embed")
public func qvModelEmbed(
  _ model: OpaquePointer?, _ texts: UnsafePointer<CChar>?, _ offsets: UnsafeRawPointer?, _ offsetWidth: Int32, _ n: Int64,
  _ out: UnsafeMutablePointer<Float>?, _ outCapacity: Int64
) -> Int32 {
  guarded {
    let handle = try ModelHandle.from(model)
    let column = try StringColumn(texts, offsets: offsets, width: offsetWidth, count: n, what: "texts")
    let (needed, overflow) = Int(n).multipliedReportingOverflow(by: handle.dimension)
    guard !overflow, outCapacity >= needed else {
      throw ABIError.invalidArgument("out has room for \(outCapacity) floats; \(n) texts × \(handle.dimension) need \(needed)")
    }
    guard n > 0 else { return }
    try handle.embed(try column.strings(), into: try required(out, "out"))
  }
}

@_cdecl("qv_model_cache_stats")
public func qvModelCacheStats(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<qv_cache_stats>?) -> Int32 {
  guarded {
    let handle = try ModelHandle.from(model)
    let out = try required(out, "out")
    var stats = qv_cache_stats()
    if let cached = handle.cached {
      stats.computed = Int64(cached.computed)
      if let m = cached.memory?.statistics {
        stats.memory_hits = Int64(m.hits)
        stats.memory_misses = Int64(m.misses)
      }
      if let d = try cached.disk?.statistics {
        stats.disk_hits = Int64(d.hits)
        stats.disk_misses = Int64(d.misses)
        stats.disk_entries = Int64(d.entries)
      }
    }
    out.pointee = stats
  }
}
