import Quiver

#if canImport(Glibc)
  import Glibc
#endif

#if QUIVER_FUZZ
  /// libFuzzer's entry point for programs with their own main (SwiftPM links an executable's main
  /// under its own name, so libFuzzer's main cannot be used).
  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

  /// The target libFuzzer drives: `QUIVER_FUZZ_TARGET` (model, sentencepiece, json, vectors, graph).
  nonisolated(unsafe) var selectedTarget = FuzzTarget.json

  @main
  struct QuiverFuzzer {
    static func main() {
      let name = getenv("QUIVER_FUZZ_TARGET").map { String(cString: $0) } ?? ""
      guard let target = FuzzTarget(rawValue: name) else {
        FileHandleOut.error("set QUIVER_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        exit(2)
      }
      selectedTarget = target
      var argc = CommandLine.argc
      var argv = CommandLine.unsafeArgv
      exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        selectedTarget.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
        return 0
      })
    }
  }
#else
  /// Replays saved inputs through a harness: `quiver-fuzz TARGET FILE…` (the seed corpora and every
  /// input a fuzzer found, which `make test` runs as regression tests).
  @main
  struct QuiverFuzzReplay {
    static func main() {
      let arguments = CommandLine.arguments.dropFirst()
      guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
        FileHandleOut.error("usage: quiver-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE…")
        exit(2)
      }
      var count = 0
      for path in arguments.dropFirst() {
        guard let file = fopen(path, "rb") else { FileHandleOut.error("cannot read \(path)"); exit(1) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
          let n = fread(&chunk, 1, chunk.count, file)
          if n == 0 { break }
          bytes += chunk[0..<n]
        }
        fclose(file)
        bytes.withUnsafeBytes { target.run($0) }
        count += 1
      }
      print("\(name): \(count) inputs replayed")
    }
  }
#endif

/// One line to standard error.
enum FileHandleOut {
  static func error(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  }
}
