import Quiver
import QuiverABI

// The search entry points of include/quiver.h (see there for each contract).

/// The library's search options from a caller's `qv_search_options`, every field checked, the
/// filter evaluated once for the whole batch (as `quiver query --queries` does).
private func searchOptions(_ pointer: UnsafePointer<qv_search_options>?, store: Store) throws -> SearchOptions {
  let o = try required(pointer, "options").pointee
  guard (1...10_000).contains(o.k) else { throw ABIError.invalidArgument("k must be in 1…10000, not \(o.k)") }
  guard (0...100_000).contains(o.ef) else { throw ABIError.invalidArgument("ef must be in 0…100000 (0: 64), not \(o.ef)") }
  let modes: [Int32: SearchMode?] = [
    Int32(QV_MODE_DEFAULT.rawValue): nil, Int32(QV_MODE_VECTOR.rawValue): .vector,
    Int32(QV_MODE_LEXICAL.rawValue): .lexical, Int32(QV_MODE_HYBRID.rawValue): .hybrid,
  ]
  guard let mode = modes[o.mode] else { throw ABIError.invalidArgument("mode \(o.mode) is not a qv_mode (0…3)") }
  var options = SearchOptions(k: Int(o.k), mode: mode, index: o.exact != 0 ? .exact : .hnsw(ef: o.ef == 0 ? 64 : Int(o.ef)))
  if let filter = o.filter {
    options.allowedDocuments = try store.documentSet(where: try MetadataFilter.parse(String(cString: filter)))
  }
  return options
}

/// What both search entry points start with: the output cleared, the store and model handles.
private func searchHandles(_ store: OpaquePointer?, _ model: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<qv_results>?>?)
  throws -> (store: StoreHandle, model: ModelHandle, out: UnsafeMutablePointer<UnsafeMutablePointer<qv_results>?>)
{
  let out = try required(out, "out_results")
  out.pointee = nil
  return (try StoreHandle.from(store), try ModelHandle.from(model), out)
}

@_cdecl("qv_store_search_texts")
public func qvStoreSearchTexts(
  _ store: OpaquePointer?, _ model: OpaquePointer?, _ texts: UnsafePointer<CChar>?, _ offsets: UnsafeRawPointer?,
  _ offsetWidth: Int32, _ n: Int64, _ options: UnsafePointer<qv_search_options>?,
  _ out: UnsafeMutablePointer<UnsafeMutablePointer<qv_results>?>?
) -> Int32 {
  guarded {
    let (handle, model, out) = try searchHandles(store, model, out)
    let column = try StringColumn(texts, offsets: offsets, width: offsetWidth, count: n, what: "queries")
    let settings = try searchOptions(options, store: handle.store)
    let space = try handle.shared.space(model.configuration.spaceKey)
    let lexical = model.service as? any LexicalTokenizer
    var answers: [[SearchResult]] = []
    answers.reserveCapacity(column.count)
    for i in 0..<column.count {
      answers.append(try space.query(try column.string(i), model: model.service, lexicalTokenizer: lexical, options: settings))
    }
    out.pointee = ResultsBuffer.make(answers)
  }
}

@_cdecl("qv_store_search_vectors")
public func qvStoreSearchVectors(
  _ store: OpaquePointer?, _ model: OpaquePointer?, _ vectors: UnsafePointer<Float>?, _ n: Int64, _ dimension: Int32,
  _ options: UnsafePointer<qv_search_options>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<qv_results>?>?
) -> Int32 {
  guarded {
    let (handle, model, out) = try searchHandles(store, model, out)
    guard Int(dimension) == model.dimension else {
      throw ABIError.invalidArgument("vectors have \(dimension) dimensions, the model's space \(model.dimension)")
    }
    var settings = try searchOptions(options, store: handle.store)
    guard settings.mode == nil || settings.mode == .vector else { throw ABIError.invalidArgument("a vector query is answered in vector mode only") }
    settings.mode = .vector
    let queries = try readVectors(vectors, count: n, dimension: dimension)
    let space = try handle.shared.space(model.configuration.spaceKey)
    out.pointee = ResultsBuffer.make(try queries.map { try space.query(text: nil, vector: $0, lexicalTokenizer: nil, options: settings) })
  }
}

@_cdecl("qv_free")
public func qvFree(_ results: UnsafeMutablePointer<qv_results>?) {
  if let results { ResultsBuffer.free(results) }
}
