import ArgumentParser
import Foundation
import Quiver

#if canImport(Glibc)
  import Glibc
#endif

/// Options shared by the store commands.
struct StoreOptions: ParsableArguments {
  @Option(help: "The store directory (created by ingest when missing).")
  var store: String

  @Option(help: "Model file (default: the fixture model).")
  var model: String?

  @Option(help: "Output dimension of the model's space (default: the model's native dimension).")
  var dimension: Int?

  @Option(help: "Element type of a new space: f32 or int8 (a per-vector scale and one byte a component).")
  var element = "f32"

  func elementType() throws -> ElementType {
    guard let e = ElementType.allCases.first(where: { $0.name == element }) else { throw ValidationError("unknown element type \(element)") }
    return e
  }

  @Option(help: "Cap the store's map at this many MiB (its largest size): a write beyond it fails and commits nothing.")
  var maxMapMib: Int?

  func openModel() throws -> StaticModel { try StaticModel(path: model ?? Fixtures.model) }
}

/// Opens an existing store for a command that only reads: read-only when its directory cannot be
/// written (a replica, a read-only mount), so that reading never needs write access.
func openForReading(_ path: String) throws -> Store {
  try Store.open(at: path, creating: false, readOnly: access(path, W_OK) != 0 || isReadOnlyFileSystem(path))
}

/// Whether `path` lies on a file system mounted read-only.
func isReadOnlyFileSystem(_ path: String) -> Bool {
  var st = statvfs()
  return statvfs(path, &st) == 0 && st.f_flag & UInt(ST_RDONLY) != 0
}

struct IngestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest", abstract: "Embed and store documents: JSONL files, .txt/.md files, or folders of them.")

  @OptionGroup var options: StoreOptions

  @Option(help: "Store precomputed vectors in this space (e.g. bge-small-en-v1.5@384) instead of embedding texts; inputs are .npy, .fvecs or JSONL with a \"vector\" field.")
  var space: String?

  @Option(help: "Metric of a new external space: cosine, dot or l2.")
  var metric = "cosine"

  @Flag(inversion: .prefixedNo, help: "Insert each committed batch into the space's HNSW graph (--no-hnsw leaves that to the first HNSW query).")
  var hnsw = true

  @Flag(inversion: .prefixedNo, help: "Post the passages to the store's lexical (BM25) index (--no-lexical: vector queries only, until an ingest with it).")
  var lexical = true

  @Flag(help: "Print the summary as one JSON object (progress still goes to standard error).")
  var json = false

  @Flag(help: "Stop at the first line or file that cannot be stored (after committing what came before); by default it is reported and skipped.")
  var strict = false

  @Argument(help: "Files or folders to ingest.")
  var paths: [String]

  /// The summary of an ingest as one JSON object (the first 100 problems listed).
  private func printJSON(_ summary: Space.IngestSummary, space: Space, seconds: Double, store: Store,
                         problems: [CorpusReader.Problem] = []) throws {
    let stats = try store.stats()
    let graph = hnsw ? try space.graphInfo().nodes : 0
    let listed = problems.prefix(100).map { JSONText.quoted($0.description) }.joined(separator: ",")
    print("{\"space\":\(JSONText.quoted(space.key.description)),\"documents\":\(summary.documents),\"unchanged\":\(summary.unchanged),"
      + "\"replaced\":\(summary.replaced),\"passages\":\(summary.passages),\"skipped\":\(problems.count),\"problems\":[\(listed)],"
      + "\"seconds\":\(seconds),\"documents_per_second\":\(Double(summary.documents) / max(seconds, 1e-9)),"
      + "\"store_documents\":\(stats.documents),\"file_bytes\":\(stats.fileBytes),\"graph_nodes\":\(graph),"
      + "\"lexical_index\":\(try space.hasLexicalIndex)}")
  }

  func run() throws {
    let started = monotonicSeconds()
    let store = try Store.open(at: options.store, maximumMapBytes: options.maxMapMib.map { $0 << 20 })
    if let space {
      guard let key = SpaceKey(parsing: space) else { throw ValidationError("not a space key (name@dimension): \(space)") }
      guard let m = Metric.allCases.first(where: { $0.name == metric }) else { throw ValidationError("unknown metric \(metric)") }
      let (documents, vectors) = try VectorReader.read(paths, dimension: key.dimension)
      let target = try store.openOrCreateSpace(key, metric: m, elementType: try options.elementType())
      // Documents that carry text (not just their id) are indexed lexically with the default
      // model's tokenizer, so the space answers lexical and hybrid queries too.
      let tokenizer = lexical && documents.contains { $0.text != $0.id } ? try options.openModel() : nil
      let summary = try target.ingest(documents, vectors: vectors, lexicalTokenizer: tokenizer, updatingGraph: hnsw)
      if json { return try printJSON(summary, space: target, seconds: monotonicSeconds() - started, store: store) }
      print(String(format: "ingested %d vectors (%d unchanged, %d replaced) into space %@ in %.2f s",
                   summary.documents, summary.unchanged, summary.replaced, key.description, monotonicSeconds() - started))
      if hnsw { try reportGraph(target) }
      return
    }
    // Streamed: batches of documents are read and embedded while the batch before is written (one
    // transaction each), and dropped once stored.
    let reader = try CorpusReader(paths)
    let model = try options.openModel()
    let space = try store.space(for: model, dimension: options.dimension, elementType: try options.elementType())
    let terminal = isatty(STDERR_FILENO) != 0
    var problems: [CorpusReader.Problem] = []
    var reported = 0
    let summary = try space.ingest(batches: {
      // --strict: the batch read up to the first problem is stored, then the stream ends.
      guard !(strict && !problems.isEmpty), let batch = try reader.next(Space.maximumBatch, problems: &problems, stoppingAtProblem: strict)
      else { return nil }
      if !strict { for p in problems[reported...] { FileHandle.standardError.write(Data("skipped \(p)\n".utf8)) } }
      reported = problems.count
      return batch
    }, model: model, updatingGraph: hnsw, persistingGraph: false, indexingLexically: lexical) { done in
      reportProgress(done, reader: reader, started: started, terminal: terminal)
    }
    if strict, let first = problems.first {
      if hnsw { try space.updateGraph() }
      throw CommandFailure(description: "\(first) (stopped by --strict; \(summary.documents) documents before it are stored)")
    }
    if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    if hnsw { try space.updateGraph() }  // the graph file, written once
    let seconds = monotonicSeconds() - started
    if json { return try printJSON(summary, space: space, seconds: seconds, store: store, problems: problems) }
    print(String(format: "ingested %d documents (%d unchanged, %d replaced, %d skipped), %d passages into space %@ in %.2f s (%.0f docs/s)",
                 summary.documents, summary.unchanged, summary.replaced, problems.count, summary.passages, space.key.description,
                 seconds, Double(summary.documents) / max(seconds, 1e-9)))
    let stats = try store.stats()
    print("store \(stats.path): \(stats.documents) documents, \(stats.spaces.count) space(s), \(stats.fileBytes) bytes on disk")
    if hnsw { try reportGraph(space) }
  }

  /// One progress line on standard error: documents, bytes read of the total, rate and ETA (by bytes).
  private func reportProgress(_ documents: Int, reader: CorpusReader, started: Double, terminal: Bool) {
    let elapsed = monotonicSeconds() - started
    let read = reader.bytesRead, total = max(reader.totalBytes, 1)
    let rate = Double(documents) / max(elapsed, 1e-9)
    let eta = elapsed * Double(total - min(read, total)) / Double(max(read, 1))
    let line = String(format: "ingest: %d documents, %.1f of %.1f MB read, %.0f docs/s, ETA %.1f s",
                      documents, Double(read) / 1e6, Double(total) / 1e6, rate, eta)
    if terminal {
      let width = 30
      let filled = width * min(read, total) / total
      let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
      FileHandle.standardError.write(Data("\r\(bar) \(line)".utf8))
    } else {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }

  private func reportGraph(_ space: Space) throws {
    let info = try space.graphInfo()
    print("HNSW graph: \(info.nodes) nodes, \(info.walk.name) walk, up to date with the store (\(space.graphPath))")
  }
}

struct SpacesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "spaces", abstract: "List the store's embedding spaces.")

  @Option(help: "The store directory.")
  var store: String

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let spaces = try openForReading(store).spaces()
    if json {
      print("{\"spaces\":[" + spaces.map(\.json).joined(separator: ",") + "]}")
      return
    }
    for s in spaces {
      print("\(s.key)  metric \(s.metric.name)  \(s.elementType.name)  rows \(s.rows)  live \(s.liveRows)")
    }
  }
}

struct StatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "stats", abstract: "Counts and sizes of a store and of an embedding cache.")

  @Option(help: "The store directory.")
  var store: String

  @Option(help: "Embedding cache directory (layer 2) to report on (default: STORE/embedding-cache when it exists).")
  var cache: String?

  @Flag(help: "Print one JSON object (the store's counts and sizes; no cache lines).")
  var json = false

  func run() throws {
    let s = try openForReading(store).stats()
    if json {
      print(s.json)
      return
    }
    defer { try? reportCache() }
    print("store      \(s.path) (format \(s.formatVersion), created by \(s.createdBy))")
    print("documents  \(s.documents)")
    print("on disk    \(s.fileBytes) bytes (map \(s.mapBytes))")
    for space in s.spaces {
      let perVector = space.rows > 0 ? Double(s.fileBytes) / Double(space.rows) : 0
      print(String(format: "space      %@  %@ %@  %llu rows, %llu live, %.0f bytes on disk a row (whole store)",
                   space.key.description, space.metric.name, space.elementType.name, space.rows, space.liveRows, perVector))
    }
  }
}

extension StatsCommand {
  func reportCache() throws {
    let dir = cache ?? store + "/embedding-cache"
    guard FileManager.default.fileExists(atPath: dir + "/data.mdb") else {
      print("cache      layer 1: in-process LRU, 16 shards, 4000 entries by default (see quiver-bench cache); layer 2: none at \(dir)")
      return
    }
    let d = try DiskCache(path: dir).statistics
    print(String(format: "cache      layer 1: in-process LRU, 16 shards, 4000 entries by default (per process; see quiver-bench cache)"))
    print(String(format: "cache      layer 2: %@: %d entries, %d of %d bytes, %d hits, %d misses (hit rate %.1f %%), %d evictions",
                 dir, d.entries, d.bytes, d.budget, d.hits, d.misses, d.hitRate * 100, d.evictions))
  }
}

struct DeleteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete documents by id, or those a metadata filter selects.")

  @Option(help: "The store directory.")
  var store: String

  @Option(name: .customLong("where"), help: "Delete the documents whose metadata passes this JSON filter (as query --where).")
  var filter: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  @Argument(help: "Document ids.")
  var ids: [String] = []

  func validate() throws {
    guard ids.isEmpty != (filter == nil) else { throw ValidationError("give document ids or --where, not both") }
  }

  func run() throws {
    let opened = try openForReading(store)  // read-only when the directory is: then a write is a clear error
    if let filter {
      let n = try opened.delete(where: try MetadataFilter.parse(filter))
      print(json ? "{\"deleted\":\(n)}" : "deleted \(n) documents")
      return
    }
    let n = try opened.delete(ids: ids)
    print(json ? "{\"deleted\":\(n),\"requested\":\(ids.count)}" : "deleted \(n) of \(ids.count) documents")
  }
}

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "export", abstract: "Print the documents as JSONL (every one, or those a filter selects).")

  @Option(help: "The store directory.")
  var store: String

  @Option(name: .customLong("where"), help: "Only the documents whose metadata passes this JSON filter (as query --where).")
  var filter: String?

  func run() throws {
    let opened = try openForReading(store)  // read-only when the directory is: then a write is a clear error
    let documents = try filter.map { try opened.documents(where: try MetadataFilter.parse($0)) } ?? opened.documents()
    for d in documents {
      let metadata = d.metadataJSON.map { ",\"metadata\":\($0)" } ?? ""
      print("{\"id\":\(JSONText.quoted(d.id)),\"text\":\(JSONText.quoted(d.text))\(metadata)}")
    }
  }
}

func monotonicSeconds() -> Double { Double(MonotonicClock.nanoseconds()) / 1e9 }

struct CompactCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compact",
    abstract: "Drop deleted rows from a space's indexes (all spaces by default); --rewrite then shrinks data.mdb itself.")

  @Option(help: "The store directory.")
  var store: String

  @Option(help: "Only this space.")
  var space: String?

  @Flag(help: "Then rewrite data.mdb compactly (LMDB never shrinks its file): only when no other process has the store open.")
  var rewrite = false

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    var results: [String] = []
    do {
      let opened = try openForReading(store)  // read-only when the directory is: then a write is a clear error
      let keys = try space.map { text -> [SpaceKey] in
        guard let key = SpaceKey(parsing: text) else { throw ValidationError("not a space key: \(text)") }
        return [key]
      } ?? opened.spaces().map(\.key)
      for key in keys {
        let summary = try opened.space(key).compact()
        if json {
          results.append("{\"space\":\(JSONText.quoted(key.description)),\"rows_before\":\(summary.rowsBefore),\"rows_after\":\(summary.rowsAfter)}")
        } else {
          print("\(key): \(summary.rowsBefore) rows → \(summary.rowsAfter)")
        }
      }
    }  // the store is closed here: a rewrite needs it alone
    var rewritten = ""
    if rewrite {
      let (before, after) = try Store.rewrite(at: store)
      if json { rewritten = ",\"bytes_before\":\(before),\"bytes_after\":\(after)" } else { print("data.mdb: \(before) bytes → \(after)") }
    }
    if json { print("{\"spaces\":[" + results.joined(separator: ",") + "]\(rewritten)}") }
  }
}
