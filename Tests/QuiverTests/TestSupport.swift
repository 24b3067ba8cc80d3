#if canImport(Glibc)
  import Glibc
#endif

/// The committed fixtures of this checkout.
enum TestFixtures {
  static let directory: String = {
    var path = #filePath
    for _ in 0..<3 {  // Tests/QuiverTests/TestSupport.swift → the package root
      path = String(path[..<path.lastIndex(of: "/")!])
    }
    return path + "/fixtures"
  }()

  static var sentencePieceModel: String { directory + "/debian-unigram-32k.model" }
  static var sentences: String { directory + "/debian-sentences.txt" }
  static var sentenceIDs: String { directory + "/debian-sentences.spm-ids.txt" }
  static var corpus: String { directory + "/debian-descriptions.jsonl" }
  static var model256PQ: String { directory + "/quiver-256d-pq.qvm" }
  static var model64PQ: String { directory + "/quiver-64d-pq.qvm" }
  static var model32F16: String { directory + "/quiver-32d-f16.qvm" }
  static func reference(_ name: String) -> String { directory + "/reference-\(name).npy" }
  static var model256Fusion: String { directory + "/quiver-256d-pq-fusion.qvm" }
  static var model256Stateful: String { directory + "/quiver-256d-pq-stateful.qvm" }
  /// The default model: the stateful aggregator with its token vectors trained too.
  static var model256StatefulTrainedVectors: String { directory + "/quiver-256d-pq-stateful-trained-vectors.qvm" }

  /// The rows of a little-endian float16 `.npy` matrix (the aggregators' reference vectors), as f32.
  static func float16Rows(_ path: String) throws -> [[Float]] {
    let b = try readBytes(path)
    guard b.count > 10, b[6] == 1 else { throw TestFailure("\(path): not an npy version 1 file") }
    let headerLength = Int(b[8]) | Int(b[9]) << 8
    let header = String(decoding: b[10..<(10 + headerLength)], as: UTF8.self)
    guard header.contains("'<f2'"), let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
      throw TestFailure("\(path): not a float16 matrix")
    }
    let shape = header[header.index(after: open)..<close].split(separator: ",").compactMap { Int($0.filter(\.isNumber)) }
    guard shape.count == 2 else { throw TestFailure("\(path): shape \(shape)") }
    let start = 10 + headerLength
    guard b.count == start + shape[0] * shape[1] * 2 else { throw TestFailure("\(path): size") }
    return (0..<shape[0]).map { r in
      (0..<shape[1]).map { c in
        let at = start + 2 * (r * shape[1] + c)
        return Float(Float16(bitPattern: UInt16(b[at]) | UInt16(b[at + 1]) << 8))
      }
    }
  }

  /// The lines of a text file.
  static func lines(_ path: String) throws -> [String] {
    try String(decoding: readBytes(path), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
      .map(String.init).filter { !$0.isEmpty }
  }

  static func readBytes(_ path: String) throws -> [UInt8] {
    guard let file = fopen(path, "rb") else { throw TestFailure("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = fread(&chunk, 1, chunk.count, file)
      if n == 0 { break }
      bytes += chunk[0..<n]
    }
    return bytes
  }
}

/// Writes `bytes` to `path`.
func writeBytes(_ bytes: [UInt8], to path: String) throws {
  guard let file = fopen(path, "wb") else { throw TestFailure("cannot create \(path)") }
  defer { fclose(file) }
  guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw TestFailure("short write to \(path)") }
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// A fresh directory under /tmp, removed with its contents when the closure returns.
func withTemporaryDirectory<R>(_ body: (String) throws -> R) throws -> R {
  var template = Array("/tmp/quiver-test-XXXXXX".utf8CString)
  guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed") }
  let path = String(cString: made)
  defer { removeTree(path) }
  return try body(path)
}

/// Removes a directory tree (files one level deep, which is all LMDB and the tests create).
func removeTree(_ path: String) {
  if let dir = opendir(path) {
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
      if name == "." || name == ".." { continue }
      let child = path + "/" + name
      if unlink(child) != 0 { removeTree(child) }
    }
    closedir(dir)
  }
  rmdir(path)
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
func string(_ b: UnsafeRawBufferPointer?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }
