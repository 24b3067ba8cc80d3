#if canImport(Glibc)
  import Glibc
#endif

/// Where the committed fixtures live, so that every command works out of the box in a checkout.
///
/// Order: the `QUIVER_FIXTURES` environment variable; `fixtures/` under the current directory; the
/// `fixtures/` folder of the checkout this binary was built from (found from this source file's path).
enum FixturePaths {
  static var directory: String {
    if let env = getenv("QUIVER_FIXTURES") { return String(cString: env) }
    if access("fixtures/debian-unigram-32k.model", R_OK) == 0 { return "fixtures" }
    var source = #filePath
    for _ in 0..<3 {  // Sources/quiver/FixturePaths.swift → the package root
      if let slash = source.lastIndex(of: "/") { source = String(source[..<slash]) }
    }
    return source + "/fixtures"
  }

  /// The default static model: 256-d, product-quantised.
  static var model: String { directory + "/quiver-256d-pq.qvm" }
  /// The SentencePiece model trained on the Debian descriptions.
  static var sentencePieceModel: String { directory + "/debian-unigram-32k.model" }
  /// The committed slice of the Debian descriptions corpus (JSONL).
  static var corpus: String { directory + "/debian-descriptions.jsonl" }
}
