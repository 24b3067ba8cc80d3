import Foundation
import Quiver

/// Reads what `quiver ingest` accepts: JSONL files (`{"id", "text", "metadata"}`, one object a
/// line; a missing id becomes `<file>:<line>`), `.txt`/`.md` files (one document each, id = the
/// path), and folders of them (walked recursively, in path order).
enum CorpusReader {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  static func documents(_ paths: [String]) throws -> [Document] {
    var out: [Document] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw Failure(description: "\(path): no such file or directory")
      }
      if isDirectory.boolValue {
        let files = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
          .filter { $0.hasSuffix(".txt") || $0.hasSuffix(".md") || $0.hasSuffix(".jsonl") }.sorted()
        for f in files { out += try file(path + "/" + f) }
      } else {
        out += try file(path)
      }
    }
    return out
  }

  private static func file(_ path: String) throws -> [Document] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard path.hasSuffix(".jsonl") else {
      guard let text = String(data: data, encoding: .utf8) else { throw Failure(description: "\(path): not UTF-8") }
      return [Document(id: path, text: text)]
    }
    var out: [Document] = []
    for (n, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
        throw Failure(description: "\(path):\(n + 1): not a JSON object")
      }
      guard let text = object["text"] as? String else { throw Failure(description: "\(path):\(n + 1): no \"text\" string") }
      let id = (object["id"] as? String) ?? (object["id"] as? NSNumber)?.stringValue ?? "\(path):\(n + 1)"
      var metadata: String?
      if let m = object["metadata"], !(m is NSNull) {
        metadata = String(data: try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]), encoding: .utf8)
      }
      out.append(Document(id: id, text: text, metadataJSON: metadata))
    }
    return out
  }
}
