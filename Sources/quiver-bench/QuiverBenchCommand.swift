import ArgumentParser

/// `quiver-bench`: the benchmarks, in their own executable so that only it links the allocation
/// counter (a malloc interposer); the shipped `quiver` links none.
@main
struct QuiverBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "quiver-bench",
    abstract: "Quiver's benchmarks (build with -c release). Each prints a table, or one JSON object with --json.",
    subcommands: [KernelBenchCommand.self, EmbedBenchCommand.self, StoreBenchCommand.self, CacheBenchCommand.self, AnnBenchCommand.self,
                  SearchBenchCommand.self, FilterBenchCommand.self])
}
