import ArgumentParser
import Foundation
import Quiver

struct QueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query",
    abstract: "Answer a text: hybrid (vector + BM25) by default, vector or lexical on request; documents, each once, at their best passage.")

  @Option(help: "The store directory.")
  var store: String

  @Option(help: "Model file (default: the one the space was ingested with).")
  var model: String?

  @Option(help: "Space key (default: the store's text space; the model's space with --model).")
  var space: String?

  @Option(help: "Output dimension of the model's space, with --model.")
  var dimension: Int?

  @Option(name: .short, help: "Number of results.")
  var k = 10

  @Option(help: "vector, lexical or hybrid (default: hybrid when the space has a lexical index, else vector).")
  var mode: String?

  @Option(help: "Hybrid fusion: zscore (weighted z-normalised scores) or rrf (reciprocal ranks).")
  var fusion: String?

  @Option(help: "Weight of the vector side in zscore fusion (0…1).")
  var alpha: Double?

  @Option(help: "Candidates each side gives a hybrid query.")
  var candidates = 30

  @Option(help: "BM25 k1 for this query (default: the lexical index's own, recorded when it was made).")
  var k1: Double?

  @Option(help: "BM25 b for this query, 0…1 (default: the lexical index's own).")
  var b: Double?

  @Flag(help: "List passages (a document may appear more than once) instead of documents.")
  var passages = false

  @Option(help: "Drop results scoring below this (the mode's scale).")
  var minScore: Float?

  @Flag(help: "Use the exact (flat) index for the vector side instead of HNSW.")
  var exact = false

  @Option(help: "HNSW search breadth.")
  var ef = 64

  @Flag(help: "Print JSON: one object (or, with --queries, one line per query).")
  var json = false

  @Option(help: "Query vector (first row of a .npy/.fvecs file, or a JSON array): for a space of an external model; with a text too, hybrid.")
  var vectorFile: String?

  @Option(help: "A file of queries, one a line ('-': standard input); answers as JSON lines.")
  var queries: String?

  @Option(name: .customLong("where"), help: "Only documents whose metadata passes this JSON filter, e.g. '{\"section\": \"python\"}' ($eq $ne $gt $gte $lt $lte $in $nin $exists $and $or).")
  var filter: String?

  @Argument(help: "The query text.")
  var text: String?

  func validate() throws {
    guard k > 0 else { throw ValidationError("-k must be at least 1") }
    guard candidates > 0 else { throw ValidationError("--candidates must be at least 1") }
    guard text != nil || vectorFile != nil || queries != nil else { throw ValidationError("give a query text, --vector-file or --queries") }
    if let alpha, !(0...1).contains(alpha) { throw ValidationError("--alpha must be in 0…1") }
    if let mode, SearchMode(rawValue: mode) == nil { throw ValidationError("--mode is vector, lexical or hybrid, not \(mode)") }
    if let fusion, !["zscore", "rrf"].contains(fusion) { throw ValidationError("--fusion is zscore or rrf, not \(fusion)") }
    if let k1, !(k1.isFinite && k1 >= 0) { throw ValidationError("--k1 must be a number ≥ 0") }
    if let b, !(0...1).contains(b) { throw ValidationError("--b must be in 0…1") }
  }

  var searchOptions: SearchOptions {
    var fused = Fusion.standard
    if fusion == "rrf" { fused = .reciprocalRank(constant: 60) }
    if let alpha { fused = .normalizedScores(vectorWeight: alpha) }
    var options = SearchOptions(k: k, mode: mode.flatMap(SearchMode.init(rawValue:)), index: exact ? .exact : .hnsw(ef: ef),
                                fusion: fused, passages: passages, minimumScore: minScore, candidates: candidates)
    options.bm25K1 = k1
    options.bm25B = b
    return options
  }

  func run() throws {
    let store = try openForReading(self.store)
    let target = try resolveSpace(store)
    var options = searchOptions
    // A space of an external model answers a text alone lexically (its vectors come from elsewhere).
    if options.mode == nil && target.model == nil && vectorFile == nil { options.mode = .lexical }
    let vector = try vectorFile.map { try VectorReader.query($0) }
    let modeName = try target.space.resolvedMode(options).rawValue
    // The filter is evaluated once, for every query of the run.
    if let filter { options.allowedDocuments = try store.documentSet(where: try MetadataFilter.parse(filter)) }
    func answer(_ text: String?) throws -> [SearchResult] {
      if let model = target.model, vector == nil, let text {
        return try target.space.query(text, model: model, lexicalTokenizer: target.lexical, options: options)
      }
      return try target.space.query(text: text, vector: vector, lexicalTokenizer: target.lexical, options: options)
    }
    if let queries {
      let input = queries == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: queries))
      for line in String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true) {
        let q = String(line)
        print(Self.json(try answer(q), space: target.space.key, mode: modeName, query: q))
      }
      return
    }
    let results = try answer(text)
    if json {
      print(Self.json(results, space: target.space.key, mode: modeName, query: text))
    } else {
      for (i, r) in results.enumerated() {
        let snippet = r.text.count > 100 ? String(r.text.prefix(100)) + "…" : r.text
        print(String(format: "%2d. %.4f  %@  %@", i + 1, r.score, r.id, snippet.replacingOccurrences(of: "\n", with: " ")))
      }
    }
  }

  /// The space to answer from, its model (nil for an external space) and its lexical tokenizer.
  private func resolveSpace(_ store: Store) throws -> (space: Space, model: StaticModel?, lexical: StaticModel?) {
    let explicitModel = try model.map { try StaticModel(path: $0) }
    let chosen: Space
    if let key = space {
      guard let parsed = SpaceKey(parsing: key) else { throw ValidationError("not a space key (name@dimension): \(key)") }
      chosen = try store.space(parsed)
    } else if let explicitModel {
      chosen = try store.space(try explicitModel.configuration(dimension: dimension).spaceKey)
    } else {
      let text = try store.spaces().filter { $0.key.model.hasPrefix("qvm:") }
      guard let only = text.first else { throw ValidationError("the store has no space of a Quiver model; pass --space") }
      guard text.count == 1 else {
        throw ValidationError("the store has \(text.count) text spaces (\(text.map(\.key.description).joined(separator: ", "))): pass --space or --model")
      }
      chosen = try store.space(only.key)
    }
    var model = explicitModel
    if model == nil, chosen.key.model.hasPrefix("qvm:") {
      // The file the space recorded while it still holds that model, else a fixture model of the
      // space's identity (a format 1 store, or a recorded file since replaced by another model).
      let recorded = try chosen.modelPath.flatMap { path -> String? in
        guard let file = try? ModelFile(path: path, verification: .structure), file.identity == chosen.key.model
        else { return nil }
        return path
      }
      guard let path = recorded ?? Fixtures.model(identity: chosen.key.model)
      else {
        let where_ = try chosen.modelPath.map { FileManager.default.fileExists(atPath: $0) ? "\($0) now holds another model" : "\($0) is gone" }
        throw CommandFailure(description: "space \(chosen.key) was made with a model file that is not here (\(where_ ?? "not recorded")): pass --model")
      }
      model = try StaticModel(path: path)
    }
    var lexical = model
    if try chosen.hasLexicalIndex, model == nil || !chosen.key.model.hasPrefix("qvm:") {
      lexical = try StaticModel(path: try chosen.lexicalModelPath ?? Fixtures.model)
    }
    return (chosen, model, lexical)
  }

  static func json(_ results: [SearchResult], space: SpaceKey, mode: String, query: String?) -> String {
    func number(_ x: Float?) -> String { x.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
    let items = results.map {
      "{\"id\":\(JSONText.quoted($0.id)),\"score\":\(number($0.score)),\"vector_score\":\(number($0.vectorScore)),"
        + "\"lexical_score\":\(number($0.lexicalScore)),\"passage\":\($0.passage),\"text\":\(JSONText.quoted($0.text))}"
    }
    let q = query.map { ",\"query\":\(JSONText.quoted($0))" } ?? ""
    return "{\"space\":\(JSONText.quoted(space.description)),\"mode\":\"\(mode)\"\(q),\"results\":[\(items.joined(separator: ","))]}"
  }
}
