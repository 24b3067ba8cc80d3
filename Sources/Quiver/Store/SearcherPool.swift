import Synchronization

/// Searchers over a space's current graph, kept for reuse: a searcher's visited stamps are as
/// large as the graph, so a query takes one from here instead of allocating and clearing its own.
final class SearcherPool: Sendable {
  private let pool = Locked<[HNSWGraph.Searcher]>([])

  /// A searcher over `graph`, from the pool when one fits.
  func searcher(for graph: HNSWGraph) -> HNSWGraph.Searcher {
    while let s = pool.withLock({ $0.popLast() }) {
      if s.graph === graph { return s }
    }
    return HNSWGraph.Searcher(graph: graph)
  }

  /// Returns a searcher for the next query (the pool keeps at most 16).
  func recycle(_ searcher: HNSWGraph.Searcher) {
    pool.withLock { if $0.count < 16 { $0.append(searcher) } }
  }

  /// Drops every pooled searcher (their graph is being replaced).
  func removeAll() { pool.withLock { $0.removeAll() } }
}

/// A space's graph (nil until first used), whether its file is behind it, and the space record's
/// row and live counts it was last synced at (equal counts: nothing to insert or tombstone).
struct GraphState {
  var graph: HNSWGraph?
  var unsaved = false
  var syncedRows: UInt64 = 0
  var syncedLive: UInt64 = 0
  /// The space's row layout (compaction generation) the graph's nodes are numbered in.
  var syncedLayout: UInt64 = 0
  /// Each graph node's (row's) document number, for filtered walks (empty for a format 1 store
  /// not yet upgraded).
  var rowDocuments: [UInt64] = []
}
