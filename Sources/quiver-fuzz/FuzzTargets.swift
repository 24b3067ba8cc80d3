import Quiver

#if canImport(Glibc)
  import Glibc
#endif

/// The parsers a hostile file reaches, each as a function of raw bytes that must return or throw —
/// never trap, read out of bounds or hang. Each writes the bytes where its reader expects a file
/// when the reader takes a path (a private temporary file, reused).
enum FuzzTarget: String, CaseIterable {
  /// `ModelFile` (the `.qvm` reader: header, section table, checksums) and `StaticModel` on top.
  case model
  /// The SentencePiece `ModelProto` parser and the native unigram tokenizer built from it.
  case sentencepiece
  /// The strict JSON parser and the metadata filter language (document metadata, `--where`).
  case json
  /// The `.npy` and `.fvecs` vector readers.
  case vectors
  /// The HNSW graph file reader (`HNSWGraph.open`), then a search over what it opened.
  case graph

  func run(_ bytes: UnsafeRawBufferPointer) {
    switch self {
    case .model:
      let path = Self.write(bytes, suffix: "qvm")
      if let file = try? ModelFile(path: path) { _ = file.version }
      // Structure-only verification skips the section checksums, so that mutations reach the
      // sections themselves (a caller that verified the file before opens it this way).
      if let model = try? StaticModel(path: path, verification: .structure) { _ = try? model.embed("fuzzing the model reader") }
    case .sentencepiece:
      if let tokenizer = try? UnigramTokenizer(modelBytes: bytes) {
        var ids: [Int32] = []
        tokenizer.encode("Fuzzing ▁ the tokenizer: ünïcödé, 数字 123", scratch: UnigramTokenizer.Scratch(), into: &ids)
      }
    case .json:
      let text = String(decoding: bytes, as: UTF8.self)
      if let value = try? JSONParser.parse(text) { _ = MetadataTerm.terms(of: value) }
      if let filter = try? MetadataFilter.parse(text) { _ = filter.matches([]) }
    case .vectors:
      let npy = Self.write(bytes, suffix: "npy")
      if let f = try? NPYFile(path: npy), f.rows > 0 { _ = f.row(f.rows - 1) }
      let fvecs = Self.write(bytes, suffix: "fvecs")
      if let f = try? FvecsFile(path: fvecs), f.rows > 0 { _ = f.rows(0..<f.rows) }
    case .graph:
      let path = Self.write(bytes, suffix: "hnsw")
      if let graph = try? HNSWGraph.open(path: path), graph.count > 0 {
        let q = [Float](repeating: 0.5, count: graph.dimension)
        _ = q.withUnsafeBufferPointer { HNSWGraph.Searcher(graph: graph).search($0, k: 3, ef: 8) }
        _ = graph.checkInvariants()
      }
    }
  }

  /// `bytes` in this process's temporary file for `suffix`.
  static func write(_ bytes: UnsafeRawBufferPointer, suffix: String) -> String {
    let path = "/tmp/quiver-fuzz-\(getpid()).\(suffix)"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    if fd >= 0 {
      if let base = bytes.baseAddress, bytes.count > 0 { _ = Glibc.write(fd, base, bytes.count) }
      close(fd)
    }
    return path
  }
}
