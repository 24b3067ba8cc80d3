/// A tokenizer whose ids feed a store's lexical index: the index is per tokenizer, so every space
/// of models that share one shares its postings.
///
/// Lexical ids are the ids of the *case-folded* text: BM25 over Quiver's cased SentencePiece pieces
/// missed "python" for "Python"; folding raised lexical Recall@10 from 87.8 to 92.5 on the
/// validation slice (docs/quality.md).
public protocol LexicalTokenizer: Sendable {
  /// The tokenizer's identity in a store: `spm:`, the XXH3-128 (32 hex digits) of its
  /// SentencePiece model bytes, and `/casefold`.
  var tokenizerIdentity: String { get throws }
  /// The model file the tokenizer comes from (recorded in the store, to tokenise queries later).
  var modelFilePath: String { get }
  /// The token ids of each text, lower-cased, in order.
  func lexicalTokenIDs(_ texts: [String]) throws -> [[Int32]]
}
