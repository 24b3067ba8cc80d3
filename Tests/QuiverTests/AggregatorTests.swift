import CAllocationCounter
import Quiver
import QuiverKernels
import Testing

/// The fusion and stateful aggregators on their trained fixture models (docs/aggregators.md).
@Suite struct AggregatorTests {
  static func embed(_ embedder: Embedder, _ text: String) throws -> [Float] {
    var v = [Float](repeating: 0, count: embedder.outputDimension)
    try v.withUnsafeMutableBufferPointer { _ = try embedder.embed(text, into: $0) }
    return v
  }

  static func cosine(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in Kernels.cosine(pa, pb) } }
  }

  /// Swift agrees with the numpy reference (tools/distill/aggregators.py) on real sentences, for each
  /// aggregator and, for the stateful model, each ablation setting (PQ codes decoded per token).
  @Test(arguments: [
    ("256d-pq-fusion", "fusion"), ("256d-pq-stateful", "stateful"),
    ("256d-pq-stateful-boost-only", "boost-only"), ("256d-pq-stateful-boost-state", "boost+state"),
    ("256d-pq-stateful-trained-vectors", "stateful"),
  ])
  func matchesTheNumpyReference(reference: String, setting: String) throws {
    let path = setting == "fusion" ? TestFixtures.model256Fusion
      : reference.hasSuffix("trained-vectors") ? TestFixtures.model256StatefulTrainedVectors : TestFixtures.model256Stateful
    let model = try StaticModel(path: path)
    let rows = try TestFixtures.float16Rows(TestFixtures.directory + "/reference-\(reference).npy")
    let sentences = try TestFixtures.lines(TestFixtures.sentences)
    // The trained aggregators on 1,000 sentences; the ablation settings (the same code, terms switched
    // off) on 400, to keep the fixtures small.
    #expect(rows.count >= (reference.contains("-boost") ? 400 : 1000))
    let embedder = try model.makeEmbedder()
    if setting != "fusion" { embedder.statefulModes = StatefulModes(name: setting) }
    var worst: Float = 1
    for (i, row) in rows.enumerated() {
      let c = Self.cosine(try Self.embed(embedder, sentences[i]), row)
      worst = min(worst, c)
      if c < 0.9999 { Issue.record("sentence \(i) \"\(sentences[i])\": cosine \(c)") }
    }
    #expect(worst >= 0.9999)
  }

  @Test func theFileSaysWhichAggregatorRuns() throws {
    #expect(try StaticModel(path: TestFixtures.model256PQ).aggregator == .mean)
    #expect(try StaticModel(path: TestFixtures.model256Fusion).aggregator == .fusion)
    let stateful = try StaticModel(path: TestFixtures.model256Stateful)
    #expect(stateful.aggregator == .stateful && stateful.trainedStatefulModes == .full)
    // The default model is the stateful aggregator over token vectors trained with it.
    let defaultModel = try StaticModel(path: Fixtures.model)
    #expect(Fixtures.model.hasSuffix("/quiver-256d-pq-stateful-trained-vectors.qvm"))
    #expect(defaultModel.aggregator == .stateful && defaultModel.trainedStatefulModes == .full)
  }

  /// Mean pooling cannot hear word order; fusion and the stateful aggregator can.
  @Test func orderSensitivity() throws {
    let pairs = [("black cat", "cat black"), ("red tape", "tape red"), ("free software library", "library software free")]
    for (a, b) in pairs {
      let mean = try StaticModel(path: TestFixtures.model256PQ).makeEmbedder()
      #expect(Self.cosine(try Self.embed(mean, a), try Self.embed(mean, b)) > 0.99999)
      for path in [TestFixtures.model256Fusion, TestFixtures.model256Stateful] {
        let e = try StaticModel(path: path).makeEmbedder()
        #expect(Self.cosine(try Self.embed(e, a), try Self.embed(e, b)) < 0.9999, "\(path): \(a) vs \(b)")
      }
    }
  }

  /// The ablation settings run different terms, so they give different vectors.
  @Test func settingsChangeTheResult() throws {
    let e = try StaticModel(path: TestFixtures.model256Stateful).makeEmbedder()
    let text = "fast command line tool to search text in large files"
    var vectors: [[Float]] = []
    for modes in [StatefulModes.boostOnly, .boostAndState, .full] {
      e.statefulModes = modes
      vectors.append(try Self.embed(e, text))
    }
    #expect(Self.cosine(vectors[0], vectors[2]) < 0.99999)
    #expect(Self.cosine(vectors[1], vectors[2]) < 0.99999)
  }

  @Test(.enabled(if: qac_available() != 0, "allocations are not counted under a sanitizer"), arguments: ["fusion", "stateful"])
  func aggregatingAllocatesNothingOnceWarm(kind: String) throws {
    let model = try StaticModel(path: kind == "fusion" ? TestFixtures.model256Fusion : TestFixtures.model256Stateful)
    let embedder = try model.makeEmbedder()
    let sentences = try TestFixtures.lines(TestFixtures.sentences)
    var out = [Float](repeating: 0, count: embedder.outputDimension)
    try out.withUnsafeMutableBufferPointer { buffer in
      for s in sentences { try embedder.embed(s, into: buffer) }
      qac_start()
      for s in sentences { try embedder.embed(s, into: buffer) }
      let allocations = qac_stop()
      #expect(allocations == 0, "\(allocations) allocations in \(sentences.count) embeds")
    }
  }

  /// A damaged parameter section is a typed error, not a crash (checksums skipped to reach it).
  @Test func aDamagedAggregatorSectionIsATypedError() throws {
    let file = try ModelFile(path: TestFixtures.model256Stateful)
    let offset = file.section(.aggregator)!.offset
    var bytes = try TestFixtures.readBytes(TestFixtures.model256Stateful)
    try withTemporaryDirectory { dir in
      for (at, value) in [(0, UInt8(9)), (12, UInt8(2))] {  // version 9; K = 2 (< the buckets in token_meta / size)
        var damaged = bytes
        damaged[offset + at] = value
        try writeBytes(damaged, to: dir + "/m.qvm")
        #expect(throws: ModelFileError.self) { try StaticModel(path: dir + "/m.qvm", verification: .structure) }
      }
    }
    bytes.removeAll()
  }
}
