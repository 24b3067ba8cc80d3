import ArgumentParser
import Foundation
import Quiver

struct SnapshotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "snapshot",
    abstract: "Copy a store consistently while writers run (for a read replica or a backup): one commit, compacted.")

  @Option(help: "The store directory.")
  var store: String

  @Option(help: "The copy's directory (new or empty).")
  var to: String

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let started = monotonicSeconds()
    let summary = try openForReading(store).snapshot(to: to)
    let seconds = monotonicSeconds() - started
    if json {
      print("{\"snapshot\":\(JSONText.quoted(to)),\"data_bytes\":\(summary.dataBytes),\"graph_files\":\(summary.graphFiles),\"seconds\":\(seconds)}")
    } else {
      print(String(format: "snapshot of %@ in %@: data.mdb %d bytes, %d graph file(s), %.2f s", store, to, summary.dataBytes, summary.graphFiles, seconds))
    }
  }
}
