import Quiver
import QuiverKernels
import Testing

/// The HNSW graph on real vectors: the fixture model's embeddings of the fixture sentences and
/// descriptions' clauses (20,000 of ≈ 21.5k distinct texts), queries = other real sentences, truth = an exact scan.
@Suite struct HNSWTests {
  static let data: (base: [Float], queries: [Float], d: Int) = {
    let model = try! StaticModel(path: TestFixtures.model256PQ)
    var seen = Set<String>()
    var texts: [String] = []
    for line in try! TestFixtures.lines(TestFixtures.sentences) where seen.insert(line).inserted { texts.append(line) }
    for record in try! StoreTests.corpus(4000) {
      for sentence in record.doc.text.split(whereSeparator: { ".,;:".contains($0) }) where sentence.count > 20 {
        let s = String(sentence)
        if seen.insert(s).inserted { texts.append(s) }
      }
    }
    let base = Array(texts.prefix(20_000))
    let queries = Array(texts.dropFirst(20_000).prefix(200))
    precondition(base.count == 20_000 && queries.count == 200, "fixture text ran short: \(texts.count)")
    var b: [Float] = []
    for chunk in stride(from: 0, to: base.count, by: 1000) {
      b += try! model.embed(batch: Array(base[chunk..<min(base.count, chunk + 1000)]))
    }
    return (b, try! model.embed(batch: queries), 256)
  }()

  static func exactTop10(_ q: UnsafeBufferPointer<Float>, _ base: [Float], _ d: Int) -> Set<UInt32> {
    base.withUnsafeBufferPointer { b in
      var scored: [(Float, UInt32)] = []
      for r in 0..<(b.count / d) {
        scored.append((Kernels.dot(q, UnsafeBufferPointer(rebasing: b[(r * d)..<((r + 1) * d)])), UInt32(r)))
      }
      scored.sort { $0.0 > $1.0 }
      return Set(scored.prefix(10).map(\.1))
    }
  }

  static func build(_ base: [Float], _ d: Int) -> HNSWGraph {
    let graph = HNSWGraph(dimension: d, metric: .cosine, parameters: .init(M: 16, efConstruction: 100), capacity: base.count / d)
    base.withUnsafeBufferPointer { b in
      for r in 0..<(b.count / d) { graph.insert(UnsafeBufferPointer(rebasing: b[(r * d)..<((r + 1) * d)])) }
    }
    return graph
  }

  static let graph = build(data.base, data.d)

  /// Recall@10 of `graph` over the fixture queries at search breadth `ef`.
  static func recall(_ graph: HNSWGraph, ef: Int) -> Double {
    let (base, queries, d) = data
    let searcher = HNSWGraph.Searcher(graph: graph)
    var hits = 0
    queries.withUnsafeBufferPointer { qs in
      for q in 0..<(qs.count / d) {
        let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
        hits += searcher.search(qv, k: 10, ef: ef).filter { exactTop10(qv, base, d).contains($0.node) }.count
      }
    }
    return Double(hits) / Double(queries.count / d * 10)
  }

  /// Every level-0 list holds ≤ M₀ distinct, in-range links, none to the node itself, and the
  /// graph is not sparse (a lost-link bug shows up as a low mean degree).
  static func checkLinks(_ g: HNSWGraph) {
    var total = 0
    for n in 0..<UInt32(g.count) {
      var seen = Set<UInt32>()
      g.forEachLink(n, 0) { e in
        #expect(e < UInt32(g.count) && e != n)
        seen.insert(e)
        total += 1
      }
      #expect(seen.count <= g.parameters.M0)
    }
    #expect(Double(total) / Double(g.count) > Double(g.parameters.M) / 2)
    #expect(g.checkInvariants() == [])
  }

  @Test func theInt8WalkKeepsRecallAndItsFileReopensIdentically() throws {
    let (base, queries, d) = Self.data
    let graph = HNSWGraph(dimension: d, metric: .cosine, parameters: .init(M: 16, efConstruction: 100, walk: .int8), capacity: base.count / d)
    base.withUnsafeBufferPointer { b in
      for r in 0..<(b.count / d) { graph.insert(UnsafeBufferPointer(rebasing: b[(r * d)..<((r + 1) * d)])) }
    }
    let recall = Self.recall(graph, ef: 64)
    #expect(recall >= 0.95, "int8 walk recall@10 at ef 64: \(recall)")
    // Results come back re-ranked by exact distance.
    let searcher = HNSWGraph.Searcher(graph: graph)
    try withTemporaryDirectory { dir in
      let path = dir + "/g.hnsw"
      try graph.write(to: path)
      let reopened = try HNSWGraph.open(path: path)
      #expect(reopened.parameters.walk == .int8 && reopened.count == graph.count)
      let again = HNSWGraph.Searcher(graph: reopened)
      queries.withUnsafeBufferPointer { qs in
        for q in 0..<20 {
          let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
          let a = searcher.search(qv, k: 10, ef: 64)
          #expect(a.map(\.node) == again.search(qv, k: 10, ef: 64).map(\.node))
          let exact = a.map { r in -base.withUnsafeBufferPointer { b in Kernels.dot(qv, UnsafeBufferPointer(rebasing: b[(Int(r.node) * d)..<((Int(r.node) + 1) * d)])) } }
          #expect(zip(a, exact).allSatisfy { $0.distance == $1 })
        }
      }
    }
  }

  @Test func aTwoThreadBuildKeepsRecallAndValidLinks() {
    let (base, _, d) = Self.data
    let graph = HNSWGraph(dimension: d, metric: .cosine, parameters: .init(M: 16, efConstruction: 100), capacity: 16)
    // Two batches: the first into an empty graph, the second extending it.
    base.withUnsafeBufferPointer { b in
      graph.insert(contentsOf: UnsafeBufferPointer(rebasing: b[0..<(5000 * d)]), threads: 2)
      graph.insert(contentsOf: UnsafeBufferPointer(rebasing: b[(5000 * d)...]), threads: 2)
    }
    #expect(graph.count == base.count / d)
    let recall = Self.recall(graph, ef: 64)
    #expect(recall >= 0.95, "2-thread build recall@10 at ef 64: \(recall)")
    Self.checkLinks(graph)
  }

  /// The filtered walk returns only allowed live nodes (a seventh of the graph deleted), ef of them
  /// when enough pass, with recall@10 ≥ 0.95 against the exact filtered top 10 at ef 128, at 50 %
  /// and at 10 % passing.
  @Test func theFilteredWalkReturnsOnlyAllowedLiveNodesWithRecall() {
    let (base, queries, d) = Self.data
    let graph = Self.build(base, d)
    let n = graph.count
    for node in stride(from: 0, to: n, by: 7) { graph.markDeleted(UInt32(node)) }
    struct Every: NodeFilter {
      let modulus: UInt32
      func allows(_ node: UInt32) -> Bool { (node &* 2_654_435_761) % modulus == 0 }
    }
    let searcher = HNSWGraph.Searcher(graph: graph)
    for modulus in [UInt32(2), 10] {
      let filter = Every(modulus: modulus)
      do {
        var hits = 0, total = 0
        queries.withUnsafeBufferPointer { qs in
          base.withUnsafeBufferPointer { b in
            for q in 0..<min(100, qs.count / d) {
              let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
              let found = searcher.filteredCandidates(qv, ef: 128, filter: filter, visitLimit: .max) ?? []
              #expect(found.count == 128)
              #expect(found.allSatisfy { filter.allows($0.node) && Int($0.node) % 7 != 0 })
              var exact: [(Float, UInt32)] = []
              for r in 0..<n where filter.allows(UInt32(r)) && r % 7 != 0 {
                exact.append((Kernels.dot(qv, UnsafeBufferPointer(rebasing: b[(r * d)..<((r + 1) * d)])), UInt32(r)))
              }
              exact.sort { $0.0 > $1.0 }
              let truth = Set(exact.prefix(10).map(\.1))
              hits += found.prefix(10).filter { truth.contains($0.node) }.count
              total += 10
            }
          }
        }
        #expect(Double(hits) / Double(total) >= 0.95, "1/\(modulus) pass: recall \(Double(hits) / Double(total))")
      }
    }
  }

  @Test func recallAt10IsAtLeast095AtEf64() {
    let (base, queries, d) = Self.data
    let searcher = HNSWGraph.Searcher(graph: Self.graph)
    var hits = 0
    queries.withUnsafeBufferPointer { qs in
      for q in 0..<(qs.count / d) {
        let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
        let found = searcher.search(qv, k: 10, ef: 64)
        #expect(found.count == 10)
        #expect(zip(found, found.dropFirst()).allSatisfy { $0.distance <= $1.distance })
        hits += found.filter { Self.exactTop10(qv, base, d).contains($0.node) }.count
      }
    }
    let recall = Double(hits) / Double(queries.count / d * 10)
    #expect(recall >= 0.95, "recall@10 at ef 64: \(recall)")
  }

  @Test func deletedNodesNeverReturn() {
    let (base, queries, d) = Self.data
    let graph = Self.build(Array(base.prefix(3000 * d)), d)
    let searcher = HNSWGraph.Searcher(graph: graph)
    var removed = Set<UInt32>()
    queries.withUnsafeBufferPointer { qs in
      for q in 0..<50 {
        let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
        for hit in searcher.search(qv, k: 3, ef: 32) {
          graph.markDeleted(hit.node)
          removed.insert(hit.node)
        }
      }
      for q in 0..<50 {
        let qv = UnsafeBufferPointer(rebasing: qs[(q * d)..<((q + 1) * d)])
        let found = searcher.search(qv, k: 10, ef: 64)
        #expect(found.count == 10 && found.allSatisfy { !removed.contains($0.node) })
      }
    }
  }

  @Test func everyLinkIsBoundedAndValid() { Self.checkLinks(Self.graph) }

  /// A graph file whose level-0 links were damaged (every node's first link pointing past the last
  /// node) maps without complaint — its links are not read at open — but the damage is seen: the
  /// invariant check names it, and a search neither follows such a link nor crashes; it reports it.
  @Test func aDamagedLevel0LinkIsCaughtNotFollowed() throws {
    let (_, queries, d) = Self.data
    try withTemporaryDirectory { dir in
      let path = dir + "/g.hnsw"
      try Self.graph.write(to: path)
      #expect(try HNSWGraph.open(path: path).checkInvariants() == [])
      var bytes = try TestFixtures.readBytes(path)
      let recordBytes = 4 * (1 + Self.graph.parameters.M0) + 4 * d
      for n in 0..<Self.graph.count {
        let at = 4096 + n * recordBytes + 4  // the record's first link, after its count
        for (i, b) in withUnsafeBytes(of: UInt32(0xFFFF_FFF0).littleEndian, Array.init).enumerated() { bytes[at + i] = b }
      }
      try writeBytes(bytes, to: path)
      let damaged = try HNSWGraph.open(path: path)
      #expect(damaged.checkInvariants().contains { $0.contains("link to 4294967280") })
      #expect(!damaged.foundDamagedLink)
      let searcher = HNSWGraph.Searcher(graph: damaged)
      let found = queries.withUnsafeBufferPointer { qs in searcher.search(UnsafeBufferPointer(rebasing: qs[0..<d]), k: 10, ef: 64) }
      #expect(found.allSatisfy { Int($0.node) < damaged.count })
      #expect(damaged.foundDamagedLink)
    }
  }
}
