import Foundation
import Quiver

/// Reads what `quiver ingest` accepts, a batch at a time: JSONL files (`{"id", "text", "metadata"}`,
/// one object a line, read a line at a time; a missing id becomes `<file>:<line>`), `.txt`/`.md`
/// files (one document each, id = the path), and folders of them (walked recursively, in path
/// order). Memory holds one batch and one read chunk, whatever the corpus's size. What cannot be
/// stored — a line that is not a JSON object, a document without text, an empty or over-long text,
/// invalid UTF-8, an unreadable file — is a ``Problem`` (`file:line: reason`), reported and skipped.
final class CorpusReader {
  /// Something in the input that cannot be stored, and where.
  struct Problem: CustomStringConvertible {
    let location: String
    let reason: String
    var description: String { "\(location): \(reason)" }
  }

  private var files: [String]
  private var current: (path: String, lines: LineReader)?
  /// The bytes of every input file (for progress).
  let totalBytes: Int
  private var finishedBytes = 0

  /// - Throws: ``CommandFailure`` for a path that does not exist (nothing is read).
  init(_ paths: [String]) throws {
    var files: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CommandFailure(description: "\(path): no such file or directory")
      }
      if isDirectory.boolValue {
        let found = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
          .filter { $0.hasSuffix(".txt") || $0.hasSuffix(".md") || $0.hasSuffix(".jsonl") }.sorted()
        files += found.map { path + "/" + $0 }
      } else {
        files.append(path)
      }
    }
    self.files = files
    totalBytes = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
  }

  /// Bytes read so far.
  var bytesRead: Int { finishedBytes + (current?.lines.bytesRead ?? 0) }

  /// The next documents, at most `limit`; nil at the end. Problems met on the way are appended to
  /// `problems`; with `stoppingAtProblem`, the batch ends at the first one (the documents before it
  /// are returned, the reader stays after it).
  func next(_ limit: Int, problems: inout [Problem], stoppingAtProblem: Bool = false) throws -> [Document]? {
    var out: [Document] = []
    let before = problems.count
    while out.count < limit {
      if stoppingAtProblem && problems.count > before { break }
      if current == nil {
        guard !files.isEmpty else { break }
        let path = files.removeFirst()
        if path.hasSuffix(".jsonl") {
          do { current = (path, try LineReader(path: path)) } catch {
            problems.append(Problem(location: path, reason: "cannot be read"))
          }
          continue
        }
        if let document = textFile(path, problems: &problems) { out.append(document) }
        finishedBytes += (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        continue
      }
      guard let line = try current!.lines.next() else {
        finishedBytes += current!.lines.bytesRead
        current = nil
        continue
      }
      let location = "\(current!.path):\(current!.lines.lineNumber)"
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }  // blank line
      if let document = jsonDocument(line, location: location, problems: &problems) { out.append(document) }
    }
    return out.isEmpty && current == nil && files.isEmpty && problems.count == before ? nil : out
  }

  private func jsonDocument(_ line: [UInt8], location: String, problems: inout [Problem]) -> Document? {
    guard String(validating: line, as: UTF8.self) != nil else {
      problems.append(Problem(location: location, reason: "not valid UTF-8"))
      return nil
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
      problems.append(Problem(location: location, reason: "not a JSON object"))
      return nil
    }
    guard let text = object["text"] as? String else {
      problems.append(Problem(location: location, reason: "no \"text\" string"))
      return nil
    }
    let id = (object["id"] as? String) ?? (object["id"] as? NSNumber)?.stringValue ?? location
    var metadata: String?
    if let m = object["metadata"], !(m is NSNull) {
      metadata = (try? JSONSerialization.data(withJSONObject: m, options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) }
    }
    return checked(Document(id: id, text: text, metadataJSON: metadata), location: location, problems: &problems)
  }

  private func textFile(_ path: String, problems: inout [Problem]) -> Document? {
    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    guard size <= Document.maximumTextBytes else {
      problems.append(Problem(location: path, reason: "text of \(size) bytes exceeds the \(Document.maximumTextBytes >> 20) MiB limit"))
      return nil
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      problems.append(Problem(location: path, reason: "cannot be read"))
      return nil
    }
    guard let text = String(validating: data, as: UTF8.self) else {
      problems.append(Problem(location: path, reason: "not valid UTF-8"))
      return nil
    }
    return checked(Document(id: path, text: text), location: path, problems: &problems)
  }

  /// The document if a store takes it, else nil and a problem.
  private func checked(_ document: Document, location: String, problems: inout [Problem]) -> Document? {
    do {
      try document.validate()
      return document
    } catch StoreError.invalidDocument(_, let reason) {
      problems.append(Problem(location: location, reason: reason))
    } catch {
      problems.append(Problem(location: location, reason: "\(error)"))
    }
    return nil
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
        guard columns == dimension else { throw CommandFailure(description: "\(path): rows of \(columns) dimensions, the space has \(dimension)") }
        for r in 0..<rows { docs.append(Document(id: "\(path)#\(r)", text: "\(path)#\(r)")) }
        vectors += data
      } else if path.hasSuffix(".jsonl") {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for (n, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
          guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw CommandFailure(description: "\(path):\(n + 1): not a JSON object (NaN and Infinity are not JSON numbers)")
          }
          guard let vector = object["vector"] as? [NSNumber] else { throw CommandFailure(description: "\(path):\(n + 1): no \"vector\" array of numbers") }
          guard vector.count == dimension else {
            throw CommandFailure(description: "\(path):\(n + 1): the vector has \(vector.count) dimensions, the space \(dimension)")
          }
          if let bad = vector.firstIndex(where: { !$0.floatValue.isFinite }) {
            throw CommandFailure(description: "\(path):\(n + 1): vector component \(bad) is \(vector[bad].floatValue) (out of float range)")
          }
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
        throw CommandFailure(description: "\(path): vectors come from .npy, .fvecs or .jsonl files")
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
      throw CommandFailure(description: "\(path): not a JSON array of numbers")
    }
    return array.map(\.floatValue)
  }
}
