extension HNSWGraph {
  /// The nodes a search can never reach: not connected to the entry point through level-0 links
  /// (deleted nodes are walked through, as searches do). A graph built by concurrent inserts must
  /// leave none (USearch #772). O(nodes · M₀).
  public func unreachableNodes() -> [UInt32] {
    guard count > 0 else { return [] }
    var seen = [Bool](repeating: false, count: count)
    var stack: [UInt32] = [entryPoint]
    seen[Int(entryPoint)] = true
    while let n = stack.popLast() {
      forEachLink(n, 0) { e in
        guard Int(e) < count, !seen[Int(e)] else { return }
        seen[Int(e)] = true
        stack.append(e)
      }
    }
    return seen.indices.filter { !seen[$0] }.map { UInt32($0) }
  }
}

extension HNSWGraph {
  /// Links every node a search cannot reach back into the graph: the nearest of its own level-0
  /// neighbours that is reachable gets a link to it (in a free slot, else in place of its
  /// farthest link), until none is unreachable (at most four passes). HNSW's neighbour heuristic
  /// can prune every link into a node — rarely, more often when threads insert concurrently — and
  /// such a node is never found again (hnswlib's and USearch's known failure). Returns the links
  /// added. O(passes · nodes · M₀); not thread-safe (the store calls it under its graph lock,
  /// before writing the file).
  @discardableResult
  public func reconnectUnreachable() -> Int {
    var added = 0
    for _ in 0..<4 {
      let lost = unreachableNodes()
      if lost.isEmpty { break }
      let isLost = Set(lost)
      for u in lost {
        let uv = vector(u)
        var best: (distance: Float, node: UInt32)?
        forEachLink(u, 0) { v in
          guard !isLost.contains(v) else { return }
          let d = distance(uv, v)
          if best == nil || d < best!.distance { best = (d, v) }
        }
        let v = best?.node ?? entryPoint
        guard v != u else { continue }
        var links = currentLinks(v, 0)
        if links.contains(u) { continue }
        if links.count < parameters.M0 {
          links.append(u)
        } else {
          let vv = vector(v)
          let farthest = links.indices.max { distance(vv, links[$0]) < distance(vv, links[$1]) }!
          links[farthest] = u
        }
        setLinks(v, 0, links)
        added += 1
      }
    }
    return added
  }
}
