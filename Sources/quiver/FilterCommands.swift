import ArgumentParser
import Quiver

struct CountCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "count", abstract: "Count the documents (all, or those a metadata filter selects).")

  @Option(help: "The store directory.")
  var store: String

  @Option(name: .customLong("where"), help: "Count the documents whose metadata passes this JSON filter (as query --where).")
  var filter: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let n = try openForReading(store).count(where: try filter.map { try MetadataFilter.parse($0) } ?? .all)
    print(json ? "{\"documents\":\(n)}" : "\(n)")
  }
}

struct FieldsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fields",
    abstract: "List the metadata fields the store indexes for filters; turn indexing of a field off or on.")

  @Option(help: "The store directory.")
  var store: String

  @Option(name: .customLong("no-index"), help: "Stop indexing this field (and its sub-fields): filters on it then read every document.")
  var noIndex: [String] = []

  @Option(name: .customLong("index"), help: "Index this field again (its values are indexed from every document now).")
  var index: [String] = []

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let opened = noIndex.isEmpty && index.isEmpty ? try openForReading(store) : try Store.open(at: store, creating: false)
    for f in noIndex { try opened.setIndexing(field: f, enabled: false) }
    for f in index { try opened.setIndexing(field: f, enabled: true) }
    let (indexed, unindexed) = try opened.fields()
    if json {
      let items = indexed.map {
        "{\"path\":\(JSONText.quoted($0.path)),\"documents\":\($0.documents),\"kinds\":[\($0.kinds.map { "\"\($0)\"" }.joined(separator: ","))]}"
      }
      print("{\"indexed\":[\(items.joined(separator: ","))],\"unindexed\":[\(unindexed.map(JSONText.quoted).joined(separator: ","))]}")
      return
    }
    for f in indexed { print("\(f.path)\t\(f.documents) documents\t\(f.kinds.joined(separator: ", "))") }
    for p in unindexed { print("\(p)\tnot indexed") }
  }
}
