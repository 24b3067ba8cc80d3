#if canImport(Glibc)
  import Glibc
#endif
import Quiver
import QuiverABI

// The store entry points of include/quiver.h (see there for each contract).

@_cdecl("qv_store_open")
public func qvStoreOpen(_ path: UnsafePointer<CChar>?, _ flags: UInt32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  guarded {
    let out = try required(out, "out_store")
    out.pointee = nil
    let directory = String(cString: try required(path, "path"))
    guard !directory.isEmpty else { throw ABIError.invalidArgument("path is empty") }
    let known = UInt32(QV_OPEN_CREATE | QV_OPEN_READ_ONLY)
    guard flags & ~known == 0 else { throw ABIError.invalidArgument("unknown open flags \(flags & ~known)") }
    let readOnly = flags & UInt32(QV_OPEN_READ_ONLY) != 0
    let creating = flags & UInt32(QV_OPEN_CREATE) != 0
    guard !(readOnly && creating) else { throw ABIError.invalidArgument("QV_OPEN_CREATE and QV_OPEN_READ_ONLY exclude each other") }
    let shared = try StoreRegistry.acquire(directory, creating: creating, readOnly: readOnly)
    out.pointee = OpaquePointer(Unmanaged.passRetained(StoreHandle(shared: shared, readOnly: readOnly)).toOpaque())
  }
}

@_cdecl("qv_store_close")
public func qvStoreClose(_ store: OpaquePointer?) {
  guard let store else { return }
  let handle = Unmanaged<StoreHandle>.fromOpaque(UnsafeRawPointer(store)).takeRetainedValue()
  StoreRegistry.release(handle.shared)
}

/// The documents of an ingest call: ids, texts and (optional) metadata columns, every one checked.
private func documents(
  _ n: Int64, _ offsetWidth: Int32, _ ids: UnsafePointer<CChar>?, _ idOffsets: UnsafeRawPointer?,
  _ texts: UnsafePointer<CChar>?, _ textOffsets: UnsafeRawPointer?,
  _ metadata: UnsafePointer<CChar>?, _ metadataOffsets: UnsafeRawPointer?
) throws -> [Document] {
  let idColumn = try StringColumn(ids, offsets: idOffsets, width: offsetWidth, count: n, what: "ids")
  let textColumn = try StringColumn(texts, offsets: textOffsets, width: offsetWidth, count: n, what: "texts")
  var documents: [Document] = []
  documents.reserveCapacity(Int(n))
  if metadata != nil || metadataOffsets != nil {
    let metaColumn = try StringColumn(metadata, offsets: metadataOffsets, width: offsetWidth, count: n, what: "metadata")
    for i in 0..<Int(n) {
      documents.append(Document(id: try idColumn.string(i), text: try textColumn.string(i),
                                metadataJSON: metaColumn.isEmpty(i) ? nil : try metaColumn.string(i)))
    }
  } else {
    for i in 0..<Int(n) { documents.append(Document(id: try idColumn.string(i), text: try textColumn.string(i))) }
  }
  return documents
}

/// Both ingest entry points: the documents checked, then embedded by `model` or stored with the
/// caller's `vectors` (n × `dimension`), in the model's space; the graph file is written when the
/// store's last handle closes (StoreRegistry.release).
private func ingest(
  _ store: OpaquePointer?, _ model: OpaquePointer?, _ n: Int64, _ offsetWidth: Int32,
  _ ids: UnsafePointer<CChar>?, _ idOffsets: UnsafeRawPointer?, _ texts: UnsafePointer<CChar>?, _ textOffsets: UnsafeRawPointer?,
  _ metadata: UnsafePointer<CChar>?, _ metadataOffsets: UnsafeRawPointer?, vectors: (rows: UnsafePointer<Float>?, dimension: Int32)?,
  _ out: UnsafeMutablePointer<qv_ingest_summary>?
) throws {
  let handle = try StoreHandle.from(store)
  let model = try ModelHandle.from(model)
  try handle.requireWritable()
  if let vectors, Int(vectors.dimension) != model.dimension {
    throw ABIError.invalidArgument("vectors have \(vectors.dimension) dimensions, the model's space \(model.dimension)")
  }
  let batch = try documents(n, offsetWidth, ids, idOffsets, texts, textOffsets, metadata, metadataOffsets)
  let rows = try vectors.map { try readVectors($0.rows, count: n, dimension: $0.dimension).flatMap { $0 } }
  var done = Space.IngestSummary()
  if !batch.isEmpty {
    let space = try handle.shared.spaceForWriting(model)
    if let rows {
      done = try space.ingest(batch, vectors: rows, lexicalTokenizer: model.service as? any LexicalTokenizer, persistingGraph: false)
    } else {
      done = try space.ingest(batch, model: model.service, persistingGraph: false)
    }
  }
  out?.pointee = qv_ingest_summary(documents: Int64(done.documents), unchanged: Int64(done.unchanged), replaced: Int64(done.replaced),
                                   passages: Int64(done.passages))
}

@_cdecl("qv_store_ingest")
public func qvStoreIngest(
  _ store: OpaquePointer?, _ model: OpaquePointer?, _ n: Int64, _ offsetWidth: Int32,
  _ ids: UnsafePointer<CChar>?, _ idOffsets: UnsafeRawPointer?,
  _ texts: UnsafePointer<CChar>?, _ textOffsets: UnsafeRawPointer?,
  _ metadata: UnsafePointer<CChar>?, _ metadataOffsets: UnsafeRawPointer?,
  _ out: UnsafeMutablePointer<qv_ingest_summary>?
) -> Int32 {
  guarded { try ingest(store, model, n, offsetWidth, ids, idOffsets, texts, textOffsets, metadata, metadataOffsets, vectors: nil, out) }
}

@_cdecl("qv_store_ingest_vectors")
public func qvStoreIngestVectors(
  _ store: OpaquePointer?, _ model: OpaquePointer?, _ n: Int64, _ offsetWidth: Int32,
  _ ids: UnsafePointer<CChar>?, _ idOffsets: UnsafeRawPointer?,
  _ texts: UnsafePointer<CChar>?, _ textOffsets: UnsafeRawPointer?,
  _ metadata: UnsafePointer<CChar>?, _ metadataOffsets: UnsafeRawPointer?,
  _ vectors: UnsafePointer<Float>?, _ dimension: Int32, _ out: UnsafeMutablePointer<qv_ingest_summary>?
) -> Int32 {
  guarded {
    try ingest(store, model, n, offsetWidth, ids, idOffsets, texts, textOffsets, metadata, metadataOffsets,
               vectors: (vectors, dimension), out)
  }
}

@_cdecl("qv_store_delete")
public func qvStoreDelete(
  _ store: OpaquePointer?, _ n: Int64, _ offsetWidth: Int32, _ ids: UnsafePointer<CChar>?, _ idOffsets: UnsafeRawPointer?,
  _ out: UnsafeMutablePointer<Int64>?
) -> Int32 {
  guarded {
    let handle = try StoreHandle.from(store)
    try handle.requireWritable()
    let column = try StringColumn(ids, offsets: idOffsets, width: offsetWidth, count: n, what: "ids")
    let deleted = n == 0 ? 0 : try handle.store.delete(ids: try column.strings())
    out?.pointee = Int64(deleted)
  }
}

@_cdecl("qv_store_count")
public func qvStoreCount(_ store: OpaquePointer?, _ filter: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
  guarded {
    let handle = try StoreHandle.from(store)
    let out = try required(out, "out_count")
    if let filter {
      out.pointee = Int64(try handle.store.count(where: try MetadataFilter.parse(String(cString: filter))))
    } else {
      out.pointee = Int64(try handle.store.stats().documents)
    }
  }
}

@_cdecl("qv_store_stats")
public func qvStoreStats(_ store: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  guarded {
    let handle = try StoreHandle.from(store)
    let out = try required(out, "out_json")
    out.pointee = nil
    out.pointee = strdup(try handle.store.stats().json)
  }
}

@_cdecl("qv_string_free")
public func qvStringFree(_ string: UnsafeMutablePointer<CChar>?) {
  free(string)
}

@_cdecl("qv_store_snapshot")
public func qvStoreSnapshot(_ store: OpaquePointer?, _ destination: UnsafePointer<CChar>?) -> Int32 {
  guarded {
    let handle = try StoreHandle.from(store)
    try handle.store.snapshot(to: String(cString: try required(destination, "destination")))
  }
}
