import ArgumentParser

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Benchmarks (build with -c release). Each prints a table, or one JSON object with --json.",
    subcommands: [KernelBenchCommand.self, EmbedBenchCommand.self, StoreBenchCommand.self, CacheBenchCommand.self, AnnBenchCommand.self])
}
