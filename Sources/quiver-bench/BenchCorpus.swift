import Foundation

/// Real sentences for benchmarks: the fixture corpus's short descriptions and the sentences of its
/// long descriptions (split after ". ").
enum BenchCorpus {
  struct Record: Decodable {
    struct Metadata: Decodable {
      let short: String?
    }

    let id: String
    let text: String
    let metadata: Metadata?
  }

  /// The records of a JSONL file in the ingest format.
  static func records(_ path: String) throws -> [Record] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let decoder = JSONDecoder()
    return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Record.self, from: Data($0)) }
  }

  /// Sentences from a JSONL corpus, or the lines of a plain text file.
  static func sentences(_ path: String) throws -> [String] {
    if path.hasSuffix(".jsonl") {
      var out: [String] = []
      for r in try records(path) {
        if let short = r.metadata?.short { out.append(short) }
        for paragraph in r.text.split(separator: "\n") {
          for s in paragraph.components(separatedBy: ". ") where s.count >= 3 { out.append(s) }
        }
      }
      return out
    }
    return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
  }
}
