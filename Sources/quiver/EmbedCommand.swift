import ArgumentParser
import Foundation
import Quiver

struct EmbedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "embed",
    abstract: "Embed texts with a static model (one line a text on stdin when no TEXT is given).")

  @Option(help: "Model file (default: the fixture model).")
  var model: String?

  @Option(help: "Output dimension (truncatable models only; 32…native).")
  var dimension: Int?

  @Flag(help: "One JSON object a line: {\"text\", \"tokens\", \"vector\"}.")
  var json = false

  @Option(help: "Use the two-layer cache, layer 2 in this directory (an LMDB environment; created if missing).")
  var cache: String?

  @Flag(help: "Print the cache layers' statistics to stderr at the end (with --cache).")
  var cacheStats = false

  @Argument(help: "Texts to embed.")
  var texts: [String] = []

  func run() throws {
    let service = StaticEmbeddingService(path: model ?? Fixtures.model)
    let configuration = try service.modelConfiguration().with(outputDimension: dimension)
    let embedding: any EmbeddingService =
      try cache.map { CachedEmbeddingService(service, memory: MemoryCache(), disk: try DiskCache(path: $0)) } ?? service
    // Texts from the arguments, or stdin streamed a batch at a time (raw lines, so that invalid
    // UTF-8 is an error, not repaired): any number of lines, one embedding call per 1,000.
    let input = texts.isEmpty ? LineReader(standardInput: ()) : nil
    var pending = texts
    func nextBatch() throws -> [String] {
      guard let input else {
        defer { pending = Array(pending.dropFirst(EmbeddingLimits.maximumBatch)) }
        return Array(pending.prefix(EmbeddingLimits.maximumBatch))
      }
      var raw: [[UInt8]] = []
      while raw.count < EmbeddingLimits.maximumBatch, let line = try input.next() { raw.append(line) }
      do {
        return raw.isEmpty ? [] : try EmbeddingLimits.decode(raw)
      } catch let error as EmbeddingError {  // name the line, not the index in the batch
        throw CommandFailure(description: "standard input line \(input.lineNumber - raw.count + 1 + error.textIndex): \(error)")
      }
    }
    while true {
      let batch = try nextBatch()
      if batch.isEmpty { break }
      let vectors = try embedding.embed(batch, configuration: configuration)
      for (text, vector) in zip(batch, vectors) {
        let numbers = vector.map { String($0) }.joined(separator: json ? "," : " ")
        if json {
          let tokens = try service.cacheIdentity(of: text).count / 4
          print("{\"text\":\(JSONText.quoted(text)),\"tokens\":\(tokens),\"vector\":[\(numbers)]}")
        } else {
          print(numbers)
        }
      }
    }
    if cacheStats, let cached = embedding as? CachedEmbeddingService {
      if let m = cached.memory?.statistics {
        FileHandle.standardError.write(Data("layer 1: \(m.entries)/\(m.capacity) entries, \(m.hits) hits, \(m.misses) misses, \(m.evictions) evictions\n".utf8))
      }
      if let d = try cached.disk?.statistics {
        FileHandle.standardError.write(Data("layer 2: \(d.entries) entries, \(d.bytes)/\(d.budget) bytes, \(d.hits) hits, \(d.misses) misses, \(d.evictions) evictions\n".utf8))
      }
    }
  }
}
