#if canImport(Glibc)
  import Glibc
#endif

/// Where the committed fixtures live — the default model, its SentencePiece model and the corpus
/// slice — so that every command works out of the box in a checkout.
///
/// Order: the `QUIVER_FIXTURES` environment variable; `fixtures/` under the current directory; the
/// `fixtures/` folder of the checkout this library was built from (found from this source file's
/// path).
public enum Fixtures {
  /// The fixtures directory.
  public static var directory: String {
    if let env = getenv("QUIVER_FIXTURES") { return String(cString: env) }
    if access("fixtures/debian-unigram-32k.model", R_OK) == 0 { return "fixtures" }
    var source = #filePath
    for _ in 0..<4 {  // Sources/Quiver/Service/Fixtures.swift → the package root
      if let slash = source.lastIndex(of: "/") { source = String(source[..<slash]) }
    }
    return source + "/fixtures"
  }

  /// The default static model: 256-d, product-quantised, with the stateful aggregator, its token
  /// vectors trained with it (docs/aggregators.md, docs/quality.md).
  public static var model: String { directory + "/quiver-256d-pq-stateful-trained-vectors.qvm" }

  /// The fixture model file whose identity (`qvm:<content hash>`) is `identity`, if one is: how a
  /// store made with an earlier default model keeps answering with its own model.
  public static func model(identity: String) -> String? {
    guard let names = directoryEntries(directory) else { return nil }
    for name in names.sorted() where name.hasSuffix(".qvm") {
      let path = directory + "/" + name
      if let file = try? ModelFile(path: path, verification: .structure), file.identity == identity { return path }
    }
    return nil
  }
  /// The SentencePiece model trained on the Debian descriptions.
  public static var sentencePieceModel: String { directory + "/debian-unigram-32k.model" }
  /// The committed slice of the Debian descriptions corpus (JSONL).
  public static var corpus: String { directory + "/debian-descriptions.jsonl" }
}
