import QuiverKernels

/// Embeds texts with a ``StaticModel``, reusing its own scratch buffers: after the first calls have
/// grown them, embedding allocates nothing. Not thread-safe: one embedder per thread.
///
/// The path, as in Model2Vec: tokenise → keep the live tokens (in the vocabulary, weight ≠ 0) →
/// aggregate as the model file says (mean: acc = Σ wₜ·vₜ, vₜ decoded from PQ codes on the fly;
/// fusion and stateful: docs/aggregators.md) → acc / ‖acc‖. A text without live tokens embeds to
/// zeros.
public final class Embedder {
  /// The model this embedder reads.
  public let model: StaticModel
  /// The dimension of the vectors it produces.
  public let outputDimension: Int
  /// For a stateful model: the terms to run (nil: the setting the model was trained with). The
  /// ablation settings of docs/quality.md.
  public var statefulModes: StatefulModes?

  private var ids: [Int32] = []
  private let tokenizerScratch = UnigramTokenizer.Scratch()
  private let accumulator: UnsafeMutableBufferPointer<Float>
  /// One token vector at the native dimension (fusion and stateful).
  private let decoded: UnsafeMutablePointer<Float>
  // The tokens that contribute (in the vocabulary, weight ≠ 0) and their weights; grown, never shrunk.
  private var liveTokens: UnsafeMutableBufferPointer<Int32> = .allocate(capacity: 256)
  private var liveWeights: UnsafeMutableBufferPointer<Float> = .allocate(capacity: 256)

  init(model: StaticModel, outputDimension: Int) {
    self.model = model
    self.outputDimension = outputDimension
    accumulator = .allocate(capacity: max(outputDimension, 8))
    decoded = .allocate(capacity: max(model.dimension, 8))
    ids.reserveCapacity(256)
  }

  deinit {
    accumulator.deallocate()
    decoded.deallocate()
    liveTokens.deallocate()
    liveWeights.deallocate()
  }

  /// The token ids of the last embedded text.
  public var lastTokenIDs: [Int32] { ids }

  /// Embeds `text` into `output` (which must hold `outputDimension` floats).
  /// - Returns: the number of tokens.
  @discardableResult
  public func embed(_ text: String, into output: UnsafeMutableBufferPointer<Float>) throws -> Int {
    precondition(output.count >= outputDimension, "output buffer too small")
    try tokenize(text)
    ids.withUnsafeBufferPointer { aggregate($0, into: output) }
    return ids.count
  }

  /// Embeds `text` as ``embed(_:into:)`` does, tokenising word by word through `words` (the same
  /// ids; a batch's worker keeps one cache for all its texts).
  @discardableResult
  public func embed(_ text: String, into output: UnsafeMutableBufferPointer<Float>, words: WordSegmentCache) throws -> Int {
    precondition(output.count >= outputDimension, "output buffer too small")
    if let native = model.nativeTokenizer {
      var t = text
      t.withUTF8 { native.encode(utf8: UnsafeRawBufferPointer($0), scratch: tokenizerScratch, words: words, into: &ids) }
    } else {
      try tokenize(text)
    }
    ids.withUnsafeBufferPointer { aggregate($0, into: output) }
    return ids.count
  }

  /// Embeds `text` as ``embed(_:into:words:)`` does and fills `lexicalIDs` with the text's lexical
  /// token ids (``StaticModel/lexicalTokenIDs(_:)``: case-folded, then encoded) — from the same
  /// normalisation and word split when the text is ASCII, else by folding and encoding it again.
  @discardableResult
  public func embed(_ text: String, into output: UnsafeMutableBufferPointer<Float>, words: WordSegmentCache,
                    lexicalIDs: inout [Int32]) throws -> Int {
    precondition(output.count >= outputDimension, "output buffer too small")
    var folded = false
    if let native = model.nativeTokenizer {
      var t = text
      folded = t.withUTF8 {
        native.encode(utf8: UnsafeRawBufferPointer($0), scratch: tokenizerScratch, words: words, into: &ids, folded: &lexicalIDs)
      }
    } else {
      try tokenize(text)
    }
    if !folded { try model.lexicalIDs(of: text, scratch: tokenizerScratch, words: words, into: &lexicalIDs) }
    ids.withUnsafeBufferPointer { aggregate($0, into: output) }
    return ids.count
  }

  /// Tokenises `text` into ``lastTokenIDs`` with the model's native encoder when it has one (no
  /// allocation), else with libsentencepiece — the first step of ``embed(_:into:)``.
  /// - Returns: the number of tokens.
  @discardableResult
  public func tokenize(_ text: String) throws -> Int {
    try model.tokenize(text, scratch: tokenizerScratch, into: &ids)
    return ids.count
  }

  /// Embeds an already tokenised text (ids from this model's tokenizer) into `output`: the part of
  /// the path after tokenisation. Ids outside the vocabulary are skipped.
  public func embed(tokenIDs: UnsafeBufferPointer<Int32>, into output: UnsafeMutableBufferPointer<Float>) {
    precondition(output.count >= outputDimension, "output buffer too small")
    aggregate(tokenIDs, into: output)
  }

  /// Aggregates the token vectors of `tokens` with the model's aggregator, normalised, into `output`.
  private func aggregate(_ tokens: UnsafeBufferPointer<Int32>, into output: UnsafeMutableBufferPointer<Float>) {
    let d = outputDimension
    if tokens.count > liveTokens.count {
      liveTokens.deallocate()
      liveWeights.deallocate()
      liveTokens = .allocate(capacity: tokens.count * 2)
      liveWeights = .allocate(capacity: tokens.count * 2)
    }
    // Keep the tokens that contribute: in the vocabulary, with a non-zero weight.
    let weights = model.weights
    let vocabulary = model.vectors.count
    var n = 0
    for id in tokens {
      let t = Int(id)
      guard t >= 0, t < vocabulary else { continue }
      let w = weights[t]
      if w == 0 { continue }
      liveTokens[n] = id
      liveWeights[n] = w
      n += 1
    }
    let acc = accumulator.baseAddress!
    let live = UnsafeBufferPointer(rebasing: liveTokens[..<n])
    let liveW = UnsafeBufferPointer(rebasing: liveWeights[..<n])
    switch model.aggregation {
    case .mean:  // acc = Σₜ wₜ · vₜ
      model.vectors.weightedSum(tokens: live, weights: liveW, into: acc, dimension: d)
    case .fusion(let fusion):
      fusion.aggregate(tokens: live, weights: liveW, vectors: model.vectors, scratch: decoded, into: acc, dimension: d)
    case .stateful(let stateful):
      stateful.aggregate(tokens: live, weights: liveW, codes: model.tokenCodes, vectors: model.vectors,
                         modes: statefulModes ?? stateful.modes, decoded: decoded, into: acc, dimension: d)
    }
    // v = acc / ‖acc‖ (the 1/Σw of a mean cancels in the normalisation)
    let accumulated = UnsafeBufferPointer(start: acc, count: d)
    let norm2 = Kernels.dot(accumulated, accumulated)
    let scale: Float = norm2 > 0 ? 1 / norm2.squareRoot() : 0
    for i in 0..<d { output[i] = acc[i] * scale }
  }
}
