/// How a text query is answered.
public enum SearchMode: String, Sendable, CaseIterable {
  /// The nearest passage vectors (HNSW or exact).
  case vector
  /// BM25 over the passages' token ids (the space's lexical index).
  case lexical
  /// Both, fused (``Fusion``).
  case hybrid
}

/// How hybrid search combines the two rankings of its candidates.
public enum Fusion: Sendable, Equatable {
  /// Reciprocal-rank fusion (Cormack et al. 2009): Σ over the two rankings of 1 / (c + rank), rank
  /// from 1; a candidate absent from a ranking gets nothing from it.
  case reciprocalRank(constant: Double)
  /// A weighted sum of z-normalised scores: α · z(cosine) + (1 − α) · z(BM25), each score
  /// normalised by the mean and standard deviation of the candidates' scores, every candidate
  /// scored exactly on both sides.
  case normalizedScores(vectorWeight: Double)

  /// The default, chosen on a validation slice no trained part has seen (docs/quality.md).
  public static let standard = Fusion.normalizedScores(vectorWeight: 0.5)

  /// The name used on the command line and in JSON.
  public var name: String {
    switch self {
    case .reciprocalRank: "rrf"
    case .normalizedScores: "zscore"
    }
  }
}

/// The settings of ``Space/query(_:model:lexicalTokenizer:options:)``.
public struct SearchOptions: Sendable {
  /// Results returned: documents, or passages with ``passages``.
  public var k: Int
  /// nil: hybrid when the space has a lexical index, else vector.
  public var mode: SearchMode?
  /// The vector side's index.
  public var index: Space.Index
  public var fusion: Fusion
  /// Return passages (each document's best passages may appear more than once) instead of
  /// documents (each once, at its best passage).
  public var passages: Bool
  /// Drop results scoring below this (in the mode's own scale: cosine, BM25, or the fused score).
  public var minimumScore: Float?
  /// Candidates each side contributes to a hybrid query (at least k).
  public var candidates: Int
  /// Only documents whose metadata passes this filter (evaluated once per query); with it, k
  /// results are returned whenever at least k live documents pass (and match, lexically).
  public var filter: MetadataFilter?
  /// Only these documents (a filter evaluated beforehand, ``Store/documentSet(where:)``); with
  /// ``filter`` too, documents in both.
  public var allowedDocuments: DocumentSet?
  /// BM25's k1 and b for this query instead of the lexical index's own (recorded when it was
  /// made: ``BM25/standard`` for an index made now); nil keeps the index's. The index keeps raw term
  /// frequencies and lengths, so any k1 and b can be scored without re-indexing.
  public var bm25K1: Double?
  public var bm25B: Double?

  public init(k: Int = 10, mode: SearchMode? = nil, index: Space.Index = .hnsw(ef: 64), fusion: Fusion = .standard,
              passages: Bool = false, minimumScore: Float? = nil, candidates: Int = 30, filter: MetadataFilter? = nil,
              allowedDocuments: DocumentSet? = nil, bm25K1: Double? = nil, bm25B: Double? = nil) {
    self.k = k
    self.mode = mode
    self.index = index
    self.fusion = fusion
    self.passages = passages
    self.minimumScore = minimumScore
    self.candidates = candidates
    self.filter = filter
    self.allowedDocuments = allowedDocuments
    self.bm25K1 = bm25K1
    self.bm25B = bm25B
  }
}

/// One answer of ``Space/query(_:model:lexicalTokenizer:options:)``: a document at its best
/// passage (or one passage, with ``SearchOptions/passages``).
public struct SearchResult: Sendable, Equatable {
  public var id: String
  /// The mode's score: cosine for vector, BM25 for lexical, the fused score for hybrid.
  public var score: Float
  /// The passage's vector score (cosine/dot; −distance² for L2), when the mode computed it.
  public var vectorScore: Float?
  /// The passage's BM25 score, when the mode computed it.
  public var lexicalScore: Float?
  /// The passage's index in its document.
  public var passage: Int
  /// The passage's text.
  public var text: String
}
