import Synchronization

/// A space's HNSW graph in memory and what guards it: searches share a read lock (any number at
/// once), syncing with LMDB takes the write lock. Searchers (whose visited stamps are as large as
/// the graph) are pooled, so a query does not allocate and clear one.
final class SpaceGraph: @unchecked Sendable {
  let lock = ReadWriteLock(preferringWriters: true)
  /// Guarded by `lock`: read under the read lock, changed under the write lock.
  var state = GraphState()
  private let pool = Mutex<[HNSWGraph.Searcher]>([])

  /// A searcher over `graph`, from the pool when one fits.
  func searcher(for graph: HNSWGraph) -> HNSWGraph.Searcher {
    while let s = pool.withLock({ $0.popLast() }) {
      if s.graph === graph { return s }
    }
    return HNSWGraph.Searcher(graph: graph)
  }

  func recycle(_ searcher: HNSWGraph.Searcher) {
    pool.withLock { if $0.count < 16 { $0.append(searcher) } }
  }

  /// Drops every pooled searcher (their graph is being replaced).
  func clearPool() { pool.withLock { $0.removeAll() } }

  /// Forgets the graph (and every searcher over it). Call under the write lock.
  func reset() {
    clearPool()
    state = GraphState()
  }
}

/// A space's graph (nil until first used), whether its file is behind it, and the space record's
/// row and live counts it was last synced at (equal counts: nothing to insert or tombstone).
struct GraphState {
  var graph: HNSWGraph?
  var unsaved = false
  var syncedRows: UInt64 = 0
  var syncedLive: UInt64 = 0
}
