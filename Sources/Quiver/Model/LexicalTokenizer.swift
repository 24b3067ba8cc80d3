/// A tokenizer whose ids feed a store's lexical index: the index is per tokenizer, so every space
/// of models that share one shares its postings.
public protocol LexicalTokenizer: Sendable {
  /// The tokenizer's identity in a store: `spm:` and the XXH3-128 (32 hex digits) of its
  /// SentencePiece model bytes.
  var tokenizerIdentity: String { get throws }
  /// The model file the tokenizer comes from (recorded in the store, to tokenise queries later).
  var modelFilePath: String { get }
  /// The token ids of each text, in order (the ids the model embeds from).
  func tokenIDs(_ texts: [String]) throws -> [[Int32]]
}
