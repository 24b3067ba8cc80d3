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
    // Texts from the arguments, or raw stdin lines (so that invalid UTF-8 is an error, not repaired).
    let all: [String]
    if texts.isEmpty {
      let data = FileHandle.standardInput.readDataToEndOfFile()
      var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
      if lines.last?.isEmpty == true { lines.removeLast() }
      all = try EmbeddingLimits.decode(lines.isEmpty ? [[]] : lines)
    } else {
      all = texts
    }
    var start = 0
    repeat {
      let batch = Array(all[start..<min(all.count, start + EmbeddingLimits.maximumBatch)])
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
      start += batch.count
    } while start < all.count
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
