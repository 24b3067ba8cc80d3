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

/// Reads vectors computed elsewhere, for a space of an external model: `.npy` (float32, 2-D),
/// `.fvecs`, or JSONL with a `vector` array (and `id`, `text`, `metadata` as for documents). Rows of
/// `.npy`/`.fvecs` files become documents `<file>#<row>` whose text is that id.
enum VectorReader {
  static func read(_ paths: [String], dimension: Int) throws -> (documents: [Document], vectors: [Float]) {
    var docs: [Document] = []
    var vectors: [Float] = []
    for path in paths {
      if path.hasSuffix(".npy") || path.hasSuffix(".fvecs") {
        let (rows, columns, data): (Int, Int, [Float])
        if path.hasSuffix(".npy") {
          let f = try NPYFile(path: path)
          var all: [Float] = []
          all.reserveCapacity(f.rows * f.columns)
          for r in 0..<f.rows { all.append(contentsOf: f.row(r)) }
          (rows, columns, data) = (f.rows, f.columns, all)
        } else {
          let f = try FvecsFile(path: path)
          (rows, columns, data) = (f.rows, f.columns, f.rows(0..<f.rows))
        }
        guard columns == dimension else { throw StoreError.wrongDimension(expected: dimension, actual: columns) }
        for r in 0..<rows { docs.append(Document(id: "\(path)#\(r)", text: "\(path)#\(r)")) }
        vectors += data
      } else if path.hasSuffix(".jsonl") {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for (n, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
          guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let vector = object["vector"] as? [NSNumber]
          else { throw CorpusReader.Failure(description: "\(path):\(n + 1): no \"vector\" array") }
          guard vector.count == dimension else { throw StoreError.wrongDimension(expected: dimension, actual: vector.count) }
          let id = (object["id"] as? String) ?? "\(path):\(n + 1)"
          let text = (object["text"] as? String) ?? id
          var metadata: String?
          if let m = object["metadata"], !(m is NSNull) {
            metadata = String(data: try JSONSerialization.data(withJSONObject: m, options: [.sortedKeys]), encoding: .utf8)
          }
          docs.append(Document(id: id, text: text, metadataJSON: metadata))
          vectors += vector.map(\.floatValue)
        }
      } else {
        throw CorpusReader.Failure(description: "\(path): vectors come from .npy, .fvecs or .jsonl files")
      }
    }
    return (docs, vectors)
  }

  /// One query vector: the first row of a `.npy`/`.fvecs` file, or a JSON array in a text file.
  static func query(_ path: String) throws -> [Float] {
    if path.hasSuffix(".npy") {
      let f = try NPYFile(path: path)
      return Array(f.row(0))
    }
    if path.hasSuffix(".fvecs") { return try FvecsFile(path: path).rows(0..<1) }
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let array = try JSONSerialization.jsonObject(with: data) as? [NSNumber] else {
      throw CorpusReader.Failure(description: "\(path): not a JSON array of numbers")
    }
    return array.map(\.floatValue)
  }
}
