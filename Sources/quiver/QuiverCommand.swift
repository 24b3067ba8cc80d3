import ArgumentParser

@main
struct QuiverCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quiver",
    abstract: "A memory-mapped embedding store and nearest-neighbour index with its own static text embedder.",
    subcommands: [
      IngestCommand.self, QueryCommand.self, SpacesCommand.self, StatsCommand.self, DeleteCommand.self,
      ExportCommand.self, CountCommand.self, FieldsCommand.self, CompactCommand.self, SnapshotCommand.self, CheckCommand.self, EmbedCommand.self, ModelCommand.self, TokenizeCommand.self,
    ]
  )
}
