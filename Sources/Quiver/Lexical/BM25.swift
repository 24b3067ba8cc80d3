#if canImport(Glibc)
  import Glibc
#endif

/// Okapi BM25 over token ids, with Lucene's non-negative idf. For a query q (token ids, repeats
/// counted) and a passage p of `length` tokens:
///
///     score(q, p) = Σ_{t ∈ q} idf(t) · tf(t, p) · (k1 + 1) / (tf(t, p) + k1 · (1 − b + b · length / avgdl))
///     idf(t)      = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
///
/// N is the number of live passages, df(t) how many of them hold t, avgdl their mean length. The
/// same formula as rank-bm25's `BM25Okapi` with this idf (`tools/eval/bm25_reference.py` checks it).
public struct BM25: Sendable, Equatable {
  /// Term-frequency saturation.
  public var k1: Double
  /// Length normalisation (0: none, 1: full).
  public var b: Double

  /// k1 = 1.2, b = 0.75: Lucene's and Elasticsearch's defaults.
  public init(k1: Double = 1.2, b: Double = 0.75) {
    self.k1 = k1
    self.b = b
  }

  /// What a store's new lexical index records: k1 = 0.6, b = 0.75, chosen on the validation slice
  /// (docs/quality.md: hybrid MRR@10 88.3 against 87.7 with Lucene's k1 = 1.2; k1 ∈ {0.5 … 2},
  /// b ∈ {0.3 … 0.9} tried). An index keeps what it was made with; `SearchOptions.bm25K1`/`bm25B`
  /// (`quiver query --k1 --b`) score a query with others.
  public static let standard = BM25(k1: 0.6, b: 0.75)

  /// idf of a token held by `df` of `passages` passages.
  @inline(__always)
  public func idf(df: Int, passages: Int) -> Double {
    log(1 + (Double(passages) - Double(df) + 0.5) / (Double(df) + 0.5))
  }

  /// One query token's contribution with weight `idf` (already multiplied by the token's count in
  /// the query) for a passage holding it `tf` times, of `length` tokens.
  @inline(__always)
  public func termScore(idf: Double, tf: Int, length: Int, averageLength: Double) -> Double {
    let t = Double(tf)
    return idf * t * (k1 + 1) / (t + k1 * (1 - b + b * Double(length) / averageLength))
  }
}
