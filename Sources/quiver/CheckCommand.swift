import ArgumentParser
import Quiver

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Walk the whole store and report every inconsistency (documents, rows, chunks, tombstones, lexical and metadata indexes, graph files); exit 1 if any.")

  @Option(help: "The store directory.")
  var store: String

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let report = try openForReading(store).check()
    if json {
      let graphs = report.graphs.map { "{\"space\":\(JSONText.quoted($0.space)),\"nodes\":\($0.nodes),\"rows\":\($0.rows)}" }
      print("{\"ok\":\(report.problems.isEmpty),\"documents\":\(report.documents),\"spaces\":\(report.spaces),\"rows\":\(report.rows),"
        + "\"live_rows\":\(report.liveRows),\"graphs\":[\(graphs.joined(separator: ","))],"
        + "\"problems\":[\(report.problems.map(JSONText.quoted).joined(separator: ","))]}")
    } else {
      for p in report.problems { print(p) }
      for g in report.graphs where UInt64(g.nodes) < g.rows {
        print("note: the graph of \(g.space) covers \(g.nodes) of \(g.rows) rows; the rest are inserted when it is next opened")
      }
      print(report.problems.isEmpty
        ? "ok: \(report.documents) documents, \(report.spaces) space(s), \(report.rows) rows (\(report.liveRows) live)"
        : "\(report.problems.count) problem(s) found")
    }
    if !report.problems.isEmpty { throw ExitCode(1) }
  }
}
