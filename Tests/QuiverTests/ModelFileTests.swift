import Quiver
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ModelFileTests {
  @Test func fixtureModelHeaderAndSections() throws {
    let file = try ModelFile(path: TestFixtures.model256PQ)
    #expect(file.version == 1)
    #expect(file.vocabularySize == 32000)
    #expect(file.dimension == 256)
    #expect(file.subspaceCount == 64)
    #expect(file.centroidCount == 256)
    #expect(file.flags.contains(.truncatable))
    #expect(file.aggregator == .mean)
    #expect(file.isVerified)
    #expect(file.contentHashHex.count == 32)
    #expect(file.section(.codes)?.length == 32000 * 64)
    #expect(file.section(.codebook)?.length == 64 * 256 * 4 * 4)
    #expect(file.sections.allSatisfy { $0.offset % 64 == 0 })
    #expect(file.metadataJSON.contains("all-MiniLM-L6-v2"))
  }

  @Test func distinctModelsHaveDistinctContentHashes() throws {
    let a = try ModelFile(path: TestFixtures.model256PQ)
    let b = try ModelFile(path: TestFixtures.model64PQ)
    let c = try ModelFile(path: TestFixtures.model32F16)
    #expect(Set([a.contentHashHex, b.contentHashHex, c.contentHashHex]).count == 3)
    #expect(try ModelFile(path: TestFixtures.model256PQ).contentHashHex == a.contentHashHex)
  }

  /// Each damaged copy of the fixture model is refused with the error that names its damage.
  @Test func damagedFilesAreRejectedWithTypedErrors() throws {
    let original = try TestFixtures.readBytes(TestFixtures.model256PQ)
    let file = try ModelFile(path: TestFixtures.model256PQ)
    let codes = file.section(.codes)!
    let tokenizer = file.section(.tokenizer)!
    func put32(_ bytes: inout [UInt8], _ at: Int, _ value: UInt32) {
      for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }
    var cases: [(String, [UInt8], ModelFileError)] = []
    cases.append(("empty", [], .truncated(expected: 128, actual: 0)))
    cases.append(("truncated", Array(original.prefix(original.count - 100)),
                  .truncated(expected: original.count, actual: original.count - 100)))
    var magic = original; magic[0] = UInt8(ascii: "X")
    cases.append(("magic", magic, .badMagic))
    var version = original; put32(&version, 8, 2)
    cases.append(("version", version, .unsupportedVersion(2)))
    var header = original; put32(&header, 20, 128)  // dimension changed without fixing the checksum
    cases.append(("header", header, .headerChecksumMismatch))
    var codeByte = original; codeByte[codes.offset + 1234] ^= 0x40
    cases.append(("codes", codeByte, .sectionChecksumMismatch(kind: "codes")))
    var spmByte = original; spmByte[tokenizer.offset + 99] ^= 0x01
    cases.append(("tokenizer", spmByte, .sectionChecksumMismatch(kind: "tokenizer")))
    // Padding between sections is covered only by the content hash.
    let padded = file.sections.first { $0.length % 64 != 0 && $0.offset + $0.length < original.count }
    if let padded {
      var padding = original; padding[padded.offset + padded.length] = 0xEE
      cases.append(("padding", padding, .contentHashMismatch))
    }

    try withTemporaryDirectory { dir in
      for (name, bytes, expected) in cases {
        let path = dir + "/\(name).qvm"
        try writeBytes(bytes, to: path)
        #expect(throws: expected, "\(name)") { _ = try ModelFile(path: path) }
      }
      // Structure-only verification skips checksums, by design: the damaged codes still open.
      try writeBytes(codeByte, to: dir + "/structure.qvm")
      #expect(try ModelFile(path: dir + "/structure.qvm", verification: .structure).isVerified == false)
    }
    #expect(padded != nil)
  }

  @Test func missingFileIsUnreadable() {
    #expect(throws: ModelFileError.unreadable(path: "/nonexistent.qvm", errno: ENOENT)) {
      _ = try ModelFile(path: "/nonexistent.qvm")
    }
  }

  @Test func aSentencePieceModelIsNotAModelFile() {
    #expect(throws: ModelFileError.badMagic) { _ = try ModelFile(path: TestFixtures.sentencePieceModel) }
  }
}
