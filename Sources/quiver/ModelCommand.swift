import ArgumentParser
import Quiver

struct ModelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "model", abstract: "Inspect model files.", subcommands: [ModelInfoCommand.self])
}

struct ModelInfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Print a model file's header, sections, sizes and checksum status.")

  @Argument(help: "Model file (default: the fixture model).")
  var path: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let file = try ModelFile(path: path ?? Fixtures.model)
    let sectionInfo = file.sections.map { s in
      (s.kind.description, s.elementType.description, s.offset, s.length, String(s.checksum, radix: 16))
    }
    let checksums = file.isVerified ? "ok" : "not verified"
    if json {
      let sections = sectionInfo.map {
        "{\"kind\":\"\($0.0)\",\"element\":\"\($0.1)\",\"offset\":\($0.2),\"length\":\($0.3),\"checksum\":\"\($0.4)\"}"
      }.joined(separator: ",")
      print("{\"path\":\(JSONText.quoted(file.path)),\"format_version\":\(file.version),\"bytes\":\(file.fileSize),"
        + "\"vocabulary\":\(file.vocabularySize),\"dimension\":\(file.dimension),\"pq_m\":\(file.subspaceCount),"
        + "\"pq_k\":\(file.centroidCount),\"truncatable\":\(file.flags.contains(.truncatable)),"
        + "\"aggregator\":\"\(file.aggregator)\",\"content_hash\":\"\(file.contentHashHex)\","
        + "\"checksums\":\"\(checksums)\",\"sections\":[\(sections)],\"metadata\":\(file.metadataJSON)}")
      return
    }
    print("model       \(file.path)")
    print("format      version \(file.version), \(file.fileSize) bytes, checksums \(checksums)")
    print("content     \(file.contentHashHex)")
    print("vocabulary  \(file.vocabularySize) pieces")
    print("dimension   \(file.dimension)\(file.flags.contains(.truncatable) ? " (truncatable to 32…\(file.dimension))" : "")")
    print("vectors     " + (file.isQuantized
      ? "PQ, M = \(file.subspaceCount) sub-spaces × K = \(file.centroidCount) centroids (\(file.subspaceCount) bytes a token)"
      : "unquantised \(file.section(.embeddings)!.elementType)"))
    print("aggregator  \(file.aggregator)")
    print("metadata    \(file.metadataJSON)")
    print("sections")
    for s in sectionInfo {
      print("  " + column(s.0, 12) + column(s.1, 5) + column("offset \(s.2)", 16) + column("\(s.3) bytes", 16) + "xxh3 \(s.4)")
    }
  }

  private func column(_ s: String, _ width: Int) -> String {
    s + String(repeating: " ", count: max(1, width - s.count))
  }
}
