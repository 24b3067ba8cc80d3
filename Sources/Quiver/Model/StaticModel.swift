import CXXHash
import Dispatch
import Synchronization

#if _endian(big)
  #error("Quiver model files are little-endian; big-endian hosts are not supported")
#endif

/// A static embedding model, ready to embed: the memory-mapped model file, its SentencePiece
/// tokenizer, and read access to its token vectors. Immutable and shared by every thread; each
/// thread embeds through its own ``Embedder`` (which owns the scratch buffers).
public final class StaticModel: @unchecked Sendable {
  /// The validated model file.
  public let file: ModelFile
  /// The tokenizer carried in the model file (libsentencepiece): the authority on ids.
  public let tokenizer: SentencePieceTokenizer
  /// The native, allocation-free encoder of the same model, giving the same ids; nil when the
  /// model uses a feature it does not implement (embedders then use ``tokenizer``).
  public let nativeTokenizer: UnigramTokenizer?
  /// The model's native output dimension.
  public var dimension: Int { file.dimension }
  /// The model's identity in space keys and embedding requests: `qvm:` and its content hash.
  public var identity: String { file.identity }
  /// The identity of the model's lexical tokenizer: `spm:`, the XXH3-128 of its SentencePiece
  /// bytes, and `/casefold` (texts are lower-cased before they are tokenised for the lexical index).
  public let tokenizerIdentity: String
  /// The model at its native dimension, as an embedding request names it.
  public var configuration: ModelConfiguration {
    // Cannot throw: no output dimension is asked for.
    try! ModelConfiguration(model: identity, nativeDimension: dimension, supportsOutputDimension: file.flags.contains(.truncatable))
  }

  let vectors: TokenVectors
  let weights: UnsafePointer<Float>
  /// Each token's metadata code (its POS bucket, docs/aggregators.md), in the map.
  let tokenCodes: UnsafePointer<UInt8>
  /// How this model combines token vectors, with the parameters read from its file.
  let aggregation: Aggregation
  /// Word caches of batch tokenisation (cased and case-folded words), kept across batches.
  let wordCaches = WordSegmentCachePool()

  /// The aggregator of a model file and its parameters.
  enum Aggregation {
    case mean
    case fusion(FusionAggregator)
    case stateful(StatefulAggregator)
  }

  /// The model's aggregator.
  public var aggregator: ModelFormat.AggregatorKind { file.aggregator }

  /// The stateful aggregator's trained setting (nil for other aggregators).
  public var trainedStatefulModes: StatefulModes? {
    if case .stateful(let s) = aggregation { return s.modes }
    return nil
  }

  /// Opens the model file at `path`; token vectors are decoded from the map (PQ codes or f16) per
  /// token as texts are embedded.
  /// - Throws: ``ModelFileError`` for a bad file (including aggregator parameters that do not parse).
  public init(path: String, verification: ModelFile.Verification = .full) throws {
    let file = try ModelFile(path: path, verification: verification)
    let tokenizer: SentencePieceTokenizer
    do {
      tokenizer = try SentencePieceTokenizer(bytes: file.bytes(of: .tokenizer)!)
    } catch {
      throw ModelFileError.tokenizerMismatch("\(error)")
    }
    guard tokenizer.vocabularySize == file.vocabularySize else {
      throw ModelFileError.tokenizerMismatch("tokenizer has \(tokenizer.vocabularySize) pieces, header \(file.vocabularySize)")
    }
    func floats<T>(_ kind: ModelFormat.SectionKind, as _: T.Type) -> UnsafePointer<T> {
      file.bytes(of: kind)!.baseAddress!.assumingMemoryBound(to: T.self)
    }
    let mapped: TokenVectors
    if file.isQuantized {
      mapped = TokenVectors(
        storage: .pq(codebook: floats(.codebook, as: Float.self), codes: floats(.codes, as: UInt8.self),
                     m: file.subspaceCount, sub: file.dimension / file.subspaceCount),
        dimension: file.dimension, count: file.vocabularySize)
    } else if file.section(.embeddings)!.elementType == .float16 {
      mapped = TokenVectors(storage: .float16(floats(.embeddings, as: Float16.self)), dimension: file.dimension, count: file.vocabularySize)
    } else {
      mapped = TokenVectors(storage: .float32(floats(.embeddings, as: Float.self)), dimension: file.dimension, count: file.vocabularySize)
    }
    let codes = floats(.tokenMeta, as: UInt8.self)
    let parameters = file.bytes(of: .aggregator)!
    switch file.aggregator {
    case .mean:
      aggregation = .mean
    case .fusion:
      aggregation = .fusion(try FusionAggregator(section: parameters, dimension: file.dimension))
    case .stateful:
      let stateful = try StatefulAggregator(section: parameters, dimension: file.dimension, vectors: mapped)
      for t in 0..<file.vocabularySize where Int(codes[t]) >= stateful.buckets {
        throw ModelFileError.invalidAggregatorParameters("token \(t) has bucket \(codes[t]), the aggregator knows \(stateful.buckets)")
      }
      aggregation = .stateful(stateful)
    }
    tokenCodes = codes
    let spm = file.bytes(of: .tokenizer)!
    let h = XXH3_128bits(spm.baseAddress, spm.count)
    tokenizerIdentity = "spm:" + ModelFile.hex(h.high64) + ModelFile.hex(h.low64) + "/casefold"
    self.file = file
    self.tokenizer = tokenizer
    nativeTokenizer = try? UnigramTokenizer(modelBytes: file.bytes(of: .tokenizer)!)
    self.weights = floats(.weights, as: Float.self)
    vectors = mapped
  }

  /// Tokenises `text` into `ids` with the native encoder when the model has one (allocation-free
  /// with a reused `scratch`), else with libsentencepiece; both give the same ids.
  func tokenize(_ text: String, scratch: UnigramTokenizer.Scratch, into ids: inout [Int32]) throws {
    if let nativeTokenizer {
      nativeTokenizer.encode(text, scratch: scratch, into: &ids)
    } else {
      try tokenizer.encode(text, into: &ids)
    }
  }

  /// The output dimensions this model can produce: its native dimension, and when the file is
  /// truncatable every dimension in [32, native] (for PQ, a whole number of sub-spaces).
  /// - Throws: ``EmbeddingError/unsupportedOutputDimension(requested:native:reason:)``.
  public func validate(outputDimension: Int) throws {
    let native = dimension
    if outputDimension == native { return }
    _ = try configuration.with(outputDimension: outputDimension)  // truncatable, and in range (INV-2, INV-3)
    if case .pq(_, _, _, let sub) = vectors.storage, outputDimension % sub != 0 {
      throw EmbeddingError.unsupportedOutputDimension(
        requested: outputDimension, native: native, reason: "must be a multiple of the PQ sub-space size \(sub)")
    }
  }

  /// A new embedder with its own scratch buffers, producing `outputDimension`-d vectors (default:
  /// native).
  public func makeEmbedder(outputDimension: Int? = nil) throws -> Embedder {
    let d = outputDimension ?? dimension
    try validate(outputDimension: d)
    return Embedder(model: self, outputDimension: d)
  }

  /// Embeds one text into a new array (allocates; use an ``Embedder`` on hot paths).
  public func embed(_ text: String) throws -> [Float] {
    let embedder = try makeEmbedder()
    var out = [Float](repeating: 0, count: dimension)
    try out.withUnsafeMutableBufferPointer { _ = try embedder.embed(text, into: $0) }
    return out
  }

  /// Embeds `texts` into one row-major array of `texts.count × outputDimension` floats, preserving
  /// order. Batches of at least `parallelThreshold` texts are split over `threads` threads, each with
  /// its own embedder; tokenisation goes word by word through caches kept across calls (the same
  /// ids as one text at a time, ``UnigramTokenizer/encode(utf8:scratch:words:into:)``).
  public func embed(batch texts: [String], outputDimension: Int? = nil, threads: Int = 2,
                    parallelThreshold: Int = 64) throws -> [Float] {
    try embedBatch(texts, outputDimension: outputDimension, threads: threads, parallelThreshold: parallelThreshold, lexical: nil)
  }

  /// Embeds `texts` as ``embed(batch:outputDimension:threads:parallelThreshold:)`` does and returns
  /// each text's lexical token ids too — the ids ``lexicalTokenIDs(_:)`` gives — from the same
  /// normalisation and word split where it can (ASCII texts), so that an ingest with the lexical
  /// index tokenises once.
  public func embedWithLexicalIDs(batch texts: [String], outputDimension: Int? = nil, threads: Int = 2,
                                  parallelThreshold: Int = 64) throws -> (rows: [Float], lexicalIDs: [[Int32]]) {
    let slots = LexicalTokenSlots(count: texts.count)
    let rows = try embedBatch(texts, outputDimension: outputDimension, threads: threads, parallelThreshold: parallelThreshold,
                              lexical: slots)
    return (rows, slots.values)
  }

  private func embedBatch(_ texts: [String], outputDimension: Int?, threads: Int, parallelThreshold: Int,
                          lexical: LexicalTokenSlots?) throws -> [Float] {
    let d = outputDimension ?? dimension
    try validate(outputDimension: d)
    var out = [Float](repeating: 0, count: texts.count * d)
    let workers = texts.count >= parallelThreshold ? max(1, threads) : 1
    let failure = FirstError()
    out.withUnsafeMutableBufferPointer { buffer in
      let base = OutputRows(base: buffer.baseAddress!)
      // Workers claim chunks of 64 texts from a shared counter, so a slow core never leaves the
      // other idle at the end.
      let next = ChunkCounter()
      let chunk = 64
      DispatchQueue.concurrentPerform(iterations: workers) { _ in
        let embedder = Embedder(model: self, outputDimension: d)
        var lexicalIDs: [Int32] = []
        wordCaches.withCache { words in
          do {
            while true {
              let start = next.claim(chunk)
              guard start < texts.count else { return }
              for i in start..<min(texts.count, start + chunk) {
                let row = UnsafeMutableBufferPointer(start: base.base + i * d, count: d)
                if let lexical {
                  try embedder.embed(texts[i], into: row, words: words, lexicalIDs: &lexicalIDs)
                  lexical.set(i, copying: lexicalIDs)
                } else {
                  try embedder.embed(texts[i], into: row, words: words)
                }
              }
            }
          } catch {
            failure.record(error)
          }
        }
      }
    }
    if let error = failure.error { throw error }
    return out
  }
}

/// The output rows of a parallel batch: each worker writes only its own rows.
struct OutputRows: @unchecked Sendable {
  let base: UnsafeMutablePointer<Float>
}

/// The next unclaimed index of a parallel batch.
final class ChunkCounter: Sendable {
  private let value = Atomic<Int>(0)

  /// Claims `count` indices; returns the first.
  func claim(_ count: Int) -> Int { value.wrappingAdd(count, ordering: .relaxed).oldValue }
}

/// The first error raised by any worker of a parallel batch.
final class FirstError: @unchecked Sendable {
  private let lock = DispatchSemaphore(value: 1)
  private(set) var error: Error?

  func record(_ error: Error) {
    lock.wait()
    if self.error == nil { self.error = error }
    lock.signal()
  }
}

extension StaticModel: LexicalTokenizer {
  public var modelFilePath: String { file.path }

  /// The lexical ids of one text — the definition behind ``tokenizerIdentity``'s `/casefold`: the
  /// text `lowercased()`, then encoded (word by word through `words` with the native encoder).
  func lexicalIDs(of text: String, scratch: UnigramTokenizer.Scratch, words: WordSegmentCache, into ids: inout [Int32]) throws {
    var folded = text.lowercased()
    if let nativeTokenizer {
      folded.withUTF8 { nativeTokenizer.encode(utf8: UnsafeRawBufferPointer($0), scratch: scratch, words: words, into: &ids) }
    } else {
      try tokenizer.encode(folded, into: &ids)
    }
  }

  /// The ids of each text case-folded (`lowercased()`), both cores for large batches; word by word
  /// through caches kept across calls (``UnigramTokenizer/encode(utf8:scratch:words:into:)``).
  public func lexicalTokenIDs(_ texts: [String]) throws -> [[Int32]] {
    let out = LexicalTokenSlots(count: texts.count)
    let failure = FirstError()
    let workers = texts.count >= 64 ? 2 : 1
    let next = ChunkCounter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      let scratch = UnigramTokenizer.Scratch()
      var ids: [Int32] = []
      wordCaches.withCache { words in
        do {
          while true {
            let start = next.claim(64)
            guard start < texts.count else { return }
            for i in start..<min(texts.count, start + 64) {
              try lexicalIDs(of: texts[i], scratch: scratch, words: words, into: &ids)
              out.set(i, copying: ids)
            }
          }
        } catch {
          failure.record(error)
        }
      }
    }
    if let error = failure.error { throw error }
    return out.values
  }
}

/// The token ids of a parallel batch's texts: each worker writes only its own texts' slots, in a
/// buffer allocated once. (Writing through a shared `[[Int32]]` — even to distinct slots — mutates
/// the array value itself on every write, a data race ThreadSanitizer caught.)
final class LexicalTokenSlots: @unchecked Sendable {
  private let slots: UnsafeMutableBufferPointer<[Int32]>

  init(count: Int) {
    slots = .allocate(capacity: count)
    slots.initialize(repeating: [])
  }

  deinit {
    slots.deinitialize()
    slots.deallocate()
  }

  /// Slot `i`, written by the one worker that tokenised text `i` (distinct slots never alias):
  /// a copy of `ids` of exactly its size. (Storing the worker's reused array itself would share its
  /// buffer, and the worker's next text would then allocate a new one of its full capacity — the
  /// longest text's so far — for every text.)
  func set(_ i: Int, copying ids: [Int32]) {
    precondition(i >= 0 && i < slots.count, "slot \(i) of \(slots.count)")
    slots[i] = Array(ids[...])
  }

  /// Every slot, once the workers are done.
  var values: [[Int32]] { Array(slots) }
}
