import Quiver
import QuiverKernels
import Testing
import CAllocationCounter

@Suite struct StaticEmbedderTests {
  /// Swift's embeddings agree with the numpy reference (tools/distill/reference.py) on 1,000 real
  /// sentences, for the PQ model (decoding codes per token) and for the unquantised f16 model.
  @Test(arguments: [("256d-pq", TestFixtures.model256PQ), ("32d-f16", TestFixtures.model32F16)])
  func matchesTheNumpyReference(name: String, path: String) throws {
    let model = try StaticModel(path: path)
    let reference = try NPYFile(path: TestFixtures.reference(name))
    let sentences = try TestFixtures.lines(TestFixtures.sentences)
    #expect(reference.rows >= 1000)
    #expect(reference.columns == model.dimension)
    let embedder = try model.makeEmbedder()
    var vector = [Float](repeating: 0, count: model.dimension)
    var worst: Float = 1
    for i in 0..<reference.rows {
      try vector.withUnsafeMutableBufferPointer { _ = try embedder.embed(sentences[i], into: $0) }
      let cosine = vector.withUnsafeBufferPointer { Kernels.cosine($0, reference.row(i)) }
      worst = min(worst, cosine)
      if cosine < 0.9999 { Issue.record("sentence \(i) \"\(sentences[i])\": cosine \(cosine)") }
    }
    #expect(worst >= 0.9999)
  }

  @Test func vectorsAreUnitLength() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    for text in ["network file system", "Python bindings for GTK", "a"] {
      let v = try model.embed(text)
      let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
      #expect(abs(norm - 1) < 1e-5)
    }
  }

  @Test func relatedTextsAreCloserThanUnrelatedOnes() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    let mail = try model.embed("mail transfer agent for sending email")
    let smtp = try model.embed("SMTP server that delivers electronic mail")
    let game = try model.embed("real-time strategy game of ancient warfare")
    func cos(_ a: [Float], _ b: [Float]) -> Float { a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { Kernels.cosine(x, $0) } } }
    #expect(cos(mail, smtp) > cos(mail, game) + 0.1)
  }

  @Test func batchEqualsOneByOneInOrder() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    let sentences = Array(try TestFixtures.lines(TestFixtures.sentences).prefix(300))
    let flat = try model.embed(batch: sentences, threads: 2, parallelThreshold: 64)
    #expect(flat.count == sentences.count * 256)
    for i in [0, 1, 149, 150, 151, 299] {
      #expect(Array(flat[(i * 256)..<((i + 1) * 256)]) == (try model.embed(sentences[i])))
    }
  }

  @Test func truncationKeepsTheLeadingDimensions() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    let full = try model.embed("distributed revision control system")
    let embedder = try model.makeEmbedder(outputDimension: 64)
    var short = [Float](repeating: 0, count: 64)
    try short.withUnsafeMutableBufferPointer { _ = try embedder.embed("distributed revision control system", into: $0) }
    let prefixNorm = full.prefix(64).reduce(0) { $0 + $1 * $1 }.squareRoot()
    for i in 0..<64 { #expect(abs(short[i] - full[i] / prefixNorm) < 1e-5) }
  }

  @Test func unsupportedDimensionsAreTypedErrors() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    #expect(throws: EmbeddingError.self) { _ = try model.makeEmbedder(outputDimension: 16) }
    #expect(throws: EmbeddingError.self) { _ = try model.makeEmbedder(outputDimension: 300) }
    #expect(throws: EmbeddingError.self) { _ = try model.makeEmbedder(outputDimension: 102) }  // not a multiple of 4
    _ = try model.makeEmbedder(outputDimension: 128)
  }

  @Test func textOfOnlyUnknownOrEmptyTokensEmbedsToZeros() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    #expect(try model.embed("").allSatisfy { $0 == 0 })
  }
}

/// INV-E2: in steady state an embed call allocates nothing (tokenise, look up, aggregate, normalise).
@Suite struct EmbedAllocationTests {
  @Test(.enabled(if: qac_available() != 0, "allocations are not counted under a sanitizer")) func embeddingAllocatesNothingOnceWarm() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    let embedder = try model.makeEmbedder()
    let sentences = try TestFixtures.lines(TestFixtures.sentences)
    var out = [Float](repeating: 0, count: embedder.outputDimension)
    try out.withUnsafeMutableBufferPointer { buffer in
      for s in sentences { try embedder.embed(s, into: buffer) }  // grow every scratch buffer
      // The counter itself works: an array allocation is seen.
      qac_start()
      blackHoleArray([Int](repeating: 1, count: 100))
      #expect(qac_stop() >= 1)
      qac_start()
      for s in sentences { try embedder.embed(s, into: buffer) }
      let allocations = qac_stop()
      #expect(allocations == 0, "\(allocations) allocations in \(sentences.count) embeds")
    }
  }
}

/// The lexical index's tokenisation, word by word through a warm cache, allocates nothing either.
@Suite struct WordPathAllocationTests {
  @Test(.enabled(if: qac_available() != 0, "allocations are not counted under a sanitizer")) func wordByWordAllocatesNothingOnceWarm() throws {
    let bytes = try TestFixtures.readBytes(TestFixtures.sentencePieceModel)
    let tokenizer = try bytes.withUnsafeBytes { try UnigramTokenizer(modelBytes: $0) }
    let sentences = try TestFixtures.lines(TestFixtures.sentences).map { Array($0.lowercased().utf8) }
    let scratch = UnigramTokenizer.Scratch(), cache = WordSegmentCache()
    var ids: [Int32] = []
    for s in sentences { s.withUnsafeBytes { tokenizer.encode(utf8: $0, scratch: scratch, words: cache, into: &ids) } }
    qac_start()
    for s in sentences { s.withUnsafeBytes { tokenizer.encode(utf8: $0, scratch: scratch, words: cache, into: &ids) } }
    let allocations = qac_stop()
    #expect(allocations == 0, "\(allocations) allocations in \(sentences.count) encodes")
    #expect(cache.count > 1000)
    // The batch embedder's path: embed word by word, the lexical ids from the same pass.
    let model = try StaticModel(path: TestFixtures.model256StatefulTrainedVectors)
    let embedder = try model.makeEmbedder()
    let texts = try TestFixtures.lines(TestFixtures.sentences).filter { !$0.utf8.contains { $0 >= 0x80 } }
    var out = [Float](repeating: 0, count: embedder.outputDimension)
    var lexical: [Int32] = []
    let words = WordSegmentCache()
    try out.withUnsafeMutableBufferPointer { buffer in
      for t in texts { try embedder.embed(t, into: buffer, words: words, lexicalIDs: &lexical) }
      qac_start()
      for t in texts { try embedder.embed(t, into: buffer, words: words, lexicalIDs: &lexical) }
      let embedAllocations = qac_stop()
      #expect(embedAllocations == 0, "\(embedAllocations) allocations in \(texts.count) embeds with lexical ids")
    }
  }
}

@inline(never) func blackHoleArray(_ a: [Int]) { precondition(a.count > 0) }
