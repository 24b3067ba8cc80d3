import Quiver
import Testing

@Suite struct SentencePieceTokenizerTests {
  let tokenizer: SentencePieceTokenizer

  init() throws {
    tokenizer = try SentencePieceTokenizer(contentsOf: TestFixtures.sentencePieceModel)
  }

  /// The committed ids were produced by `spm_encode --output_format=id` (tools/README.md).
  @Test func idsEqualSpmEncodeOnRealSentences() throws {
    let sentences = try TestFixtures.lines(TestFixtures.sentences)
    let expected = try TestFixtures.lines(TestFixtures.sentenceIDs)
    #expect(sentences.count >= 1000)
    #expect(sentences.count == expected.count)
    var ids: [Int32] = []
    var mismatches = 0
    for (sentence, line) in zip(sentences, expected) {
      try tokenizer.encode(sentence, into: &ids)
      let reference = line.split(separator: " ").map { Int32($0)! }
      if ids != reference {
        mismatches += 1
        if mismatches <= 3 { Issue.record("\"\(sentence)\": \(ids) ≠ spm_encode \(reference)") }
      }
    }
    #expect(mismatches == 0)
  }

  @Test func vocabularyAndSpecialIDs() {
    #expect(tokenizer.vocabularySize == 32000)
    #expect(tokenizer.unknownID == 0)
    #expect(tokenizer.bosID == 1)
    #expect(tokenizer.eosID == 2)
    #expect(tokenizer.padID == nil)
    #expect(tokenizer.piece(for: 0) == "<unk>")
    #expect(tokenizer.piece(for: -1) == nil)
    #expect(tokenizer.piece(for: 32000) == nil)
  }

  @Test func piecesSpellTheTextBack() throws {
    let text = "lightweight SMTP client with support for server profiles"
    let ids = try tokenizer.encode(text)
    #expect(!ids.isEmpty)
    let joined = tokenizer.pieces(for: ids).map { $0! }.joined()
    #expect(String(joined.map { $0 == "▁" ? " " : $0 }).dropFirst() == Substring(text))
  }

  @Test func bufferReuseGivesTheSameIDsAsFreshEncoding() throws {
    var ids: [Int32] = []
    let long = String(repeating: "database server library for embedded systems ", count: 40)
    for text in ["a", long, "network", long + " tail", ""] {
      try tokenizer.encode(text, into: &ids)
      #expect(ids == (try tokenizer.encode(text)))
    }
    try tokenizer.encode("", into: &ids)
    #expect(ids.isEmpty)
  }

  @Test func loadsFromBytesLikeFromAFile() throws {
    let bytes = try TestFixtures.readBytes(TestFixtures.sentencePieceModel)
    let fromBytes = try bytes.withUnsafeBytes { try SentencePieceTokenizer(bytes: $0) }
    let text = "Python bindings for the GTK toolkit"
    #expect(try fromBytes.encode(text) == (try tokenizer.encode(text)))
    #expect(fromBytes.vocabularySize == tokenizer.vocabularySize)
  }

  @Test func missingFileIsATypedError() {
    #expect(throws: SentencePieceError.fileNotFound(path: "/nonexistent/model.model")) {
      _ = try SentencePieceTokenizer(contentsOf: "/nonexistent/model.model")
    }
  }

  @Test func corruptModelIsATypedError() throws {
    var bytes = try TestFixtures.readBytes(TestFixtures.sentencePieceModel)
    bytes = Array(bytes.prefix(bytes.count / 3))  // truncated
    for corrupt in [bytes, [UInt8](repeating: 0xFF, count: 1000), []] {
      do {
        _ = try corrupt.withUnsafeBytes { try SentencePieceTokenizer(bytes: $0) }
        Issue.record("a corrupt model of \(corrupt.count) bytes loaded")
      } catch let error as SentencePieceError {
        guard case .invalidModel = error else {
          Issue.record("expected invalidModel, got \(error)")
          continue
        }
      }
    }
  }
}
