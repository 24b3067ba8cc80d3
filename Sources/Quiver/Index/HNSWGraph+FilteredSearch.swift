import CPrefetch

extension HNSWGraph.SearchScratch {
  /// Algorithm 2 on level 0 with a filter inside the walk (as hnswlib's filtered search and
  /// hannoy's): every reachable node may be walked through, but only live nodes that `filter`
  /// allows enter the results. The walk stops as the plain one does once it holds ef results and
  /// the nearest unexpanded candidate is farther than the worst of them — or, returning nil, once
  /// it has scored more than `visitLimit` nodes (then an exact scan of the allowed rows is cheaper,
  /// the rule Lucene uses).
  mutating func filteredCandidates<F: NodeFilter>(_ g: HNSWGraph, _ q: UnsafeBufferPointer<Float>, ef: Int, filter: F,
                                                  visitLimit: Int) -> [(distance: Float, node: UInt32)]? {
    guard g.count > 0 else { return [] }
    guard var found = filteredFill(g, q, entry: descend(g, q), ef: ef, filter: filter, visitLimit: visitLimit) else { return nil }
    guard g.exact != nil else { return found }
    for i in found.indices { found[i].distance = g.exactDistance(q, found[i].node) }
    found.sort { $0.distance < $1.distance }
    return found
  }
}

extension HNSWGraph.Searcher {
  /// The ef nearest live nodes that `filter` allows, nearest first (with the int8 walk, re-ranked
  /// exactly), or nil when the walk scored more than `visitLimit` nodes before it could stop.
  /// - Precondition: `q.count == graph.dimension`, `ef > 0`.
  public func filteredCandidates<F: NodeFilter>(_ q: UnsafeBufferPointer<Float>, ef: Int, filter: F,
                                                visitLimit: Int) -> [(distance: Float, node: UInt32)]? {
    precondition(ef > 0, "ef must be positive")
    return withScratch { $0.filteredCandidates(graph, q, ef: ef, filter: filter, visitLimit: visitLimit) }
  }
}
