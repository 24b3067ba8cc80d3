import Foundation
import Testing

/// Every committed fuzz input — the seeds and each input a fuzzer found (then fixed) — replayed
/// through its harness by the `quiver-fuzz` replayer: each must be answered without a crash.
@Suite struct FuzzReplayTests {
  static var replayer: String { (CrashSafetyTests.quiverBinary as NSString).deletingLastPathComponent + "/quiver-fuzz" }

  @Test(arguments: ["model", "sentencepiece", "json", "vectors", "graph"])
  func everySavedInputIsAnsweredWithoutACrash(_ target: String) throws {
    let dir = TestFixtures.directory + "/../Tests/Fuzz/" + target
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { dir + "/" + $0 }
    #expect(!files.isEmpty)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Self.replayer)
    p.arguments = [target] + files
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationReason == .exit && p.terminationStatus == 0, "\(target): \(printed)")
    #expect(printed.contains("\(files.count) inputs replayed"))
  }
}
