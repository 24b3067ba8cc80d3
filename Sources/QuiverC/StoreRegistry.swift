#if canImport(Glibc)
  import Glibc
#endif
import Quiver

/// One open store shared by every handle of its directory in this process: LMDB allows one
/// environment per file per process (a second would break its locks), so `qv_store_open` of a
/// path already open returns a new handle onto the same ``Store`` and its spaces.
final class SharedStore: @unchecked Sendable {
  let store: Store
  let realPath: String
  /// Handles open on it (guarded by the registry's lock).
  fileprivate var handles = 0
  /// Spaces opened so far: one ``Space`` (and one HNSW graph in memory) per key per process.
  private let spaces = Locked<[SpaceKey: Space]>([:])
  /// Spaces written through any handle since open: their graph files are written at the last close.
  private let written = Locked<Set<SpaceKey>>([])

  fileprivate init(store: Store, realPath: String) {
    self.store = store
    self.realPath = realPath
  }

  /// The space `key` (``StoreError/unknownSpace(_:)`` when missing), opened once.
  func space(_ key: SpaceKey) throws -> Space {
    try spaces.withLock { open in
      if let s = open[key] { return s }
      let s = try store.space(key)
      open[key] = s
      return s
    }
  }

  /// The space of `model`, created when missing (for ingest), and marked written.
  func spaceForWriting(_ model: ModelHandle) throws -> Space {
    let key = model.configuration.spaceKey
    let s = try spaces.withLock { open in
      if let s = open[key] { return s }
      let s = try store.openOrCreateSpace(key)
      open[key] = s
      return s
    }
    written.withLock { _ = $0.insert(key) }
    return s
  }

  /// Writes the graph files of the spaces written since open (the last handle is closing): the
  /// graphs are derived data, caught up from LMDB at open if this never runs (a crash).
  fileprivate func persistGraphs() {
    let keys = written.withLock { $0 }
    for key in keys { _ = try? space(key).updateGraph() }
  }
}

/// The stores open in this process, by real path.
enum StoreRegistry {
  private static let open = Locked<[String: SharedStore]>([:])

  /// A handle onto the store in `path`: the one already open in this process, or a newly opened
  /// one. A store opened read-only cannot be shared by a handle that wants to write.
  static func acquire(_ path: String, creating: Bool, readOnly: Bool) throws -> SharedStore {
    try open.withLock { stores in
      if let key = realPath(path), let shared = stores[key] {
        if shared.store.isReadOnly && !readOnly {
          throw ABIError.invalidArgument("the store at \(path) is already open read-only in this process; close those handles first")
        }
        shared.handles += 1
        return shared
      }
      let store = try Store.open(at: path, creating: creating, readOnly: readOnly)
      guard let key = realPath(path) else { throw ABIError.notFound("cannot resolve the store path \(path)") }
      let shared = SharedStore(store: store, realPath: key)
      shared.handles = 1
      stores[key] = shared
      return shared
    }
  }

  /// Gives a handle back; the last one writes the graphs and closes the environment.
  static func release(_ shared: SharedStore) {
    let last = open.withLock { stores in
      shared.handles -= 1
      guard shared.handles == 0 else { return false }
      stores[shared.realPath] = nil
      return true
    }
    if last && !shared.store.isReadOnly { shared.persistGraphs() }
  }

  /// How many stores are open (for tests of the one-environment rule).
  static var count: Int { open.withLock { $0.count } }

  private static func realPath(_ path: String) -> String? {
    guard let resolved = Glibc.realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}

/// What a `qv_store *` points to: a handle onto a shared store, read-only if opened so.
final class StoreHandle: @unchecked Sendable {
  let shared: SharedStore
  let readOnly: Bool

  init(shared: SharedStore, readOnly: Bool) {
    self.shared = shared
    self.readOnly = readOnly
  }

  var store: Store { shared.store }

  /// The handle behind a `qv_store *` (not retained).
  static func from(_ pointer: OpaquePointer?) throws -> StoreHandle {
    Unmanaged<StoreHandle>.fromOpaque(UnsafeRawPointer(try required(pointer, "store"))).takeUnretainedValue()
  }

  /// Throws ``StoreError/readOnly(path:)`` for a handle opened read-only.
  func requireWritable() throws {
    if readOnly { throw StoreError.readOnly(path: store.path) }
  }
}
