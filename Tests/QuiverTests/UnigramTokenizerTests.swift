import Foundation
import Quiver
import Testing

/// The native unigram encoder must give libsentencepiece's ids, exactly, on everything.
@Suite struct UnigramTokenizerTests {
  let native: UnigramTokenizer
  let reference: SentencePieceTokenizer

  init() throws {
    let bytes = try TestFixtures.readBytes(TestFixtures.sentencePieceModel)
    native = try bytes.withUnsafeBytes { try UnigramTokenizer(modelBytes: $0) }
    reference = try SentencePieceTokenizer(contentsOf: TestFixtures.sentencePieceModel)
  }

  private func referenceIDs(_ bytes: [UInt8]) throws -> [Int32] {
    var ids = [Int32](repeating: 0, count: bytes.count * 2 + 8)
    let n = try bytes.withUnsafeBytes { text in
      try ids.withUnsafeMutableBufferPointer { try reference.encode(utf8: text, into: $0) }
    }
    return Array(ids.prefix(n))
  }

  /// Every long description of the fixture corpus, then every fixture sentence.
  static func fixtureTexts() throws -> [String] {
    let data = Data(try TestFixtures.readBytes(TestFixtures.corpus))
    return try data.split(separator: UInt8(ascii: "\n")).map {
      (try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any])["text"] as! String
    } + TestFixtures.lines(TestFixtures.sentences)
  }

  private func nativeIDs(_ bytes: [UInt8], _ scratch: UnigramTokenizer.Scratch) -> [Int32] {
    var ids: [Int32] = []
    bytes.withUnsafeBytes { native.encode(utf8: $0, scratch: scratch, into: &ids) }
    return ids
  }

  @Test func idsEqualSpmEncodeOnRealSentences() throws {
    let sentences = try TestFixtures.lines(TestFixtures.sentences)
    let expected = try TestFixtures.lines(TestFixtures.sentenceIDs)
    #expect(sentences.count == expected.count && sentences.count >= 1000)
    let scratch = UnigramTokenizer.Scratch()
    var ids: [Int32] = []
    var mismatches = 0
    for (sentence, line) in zip(sentences, expected) {
      native.encode(sentence, scratch: scratch, into: &ids)
      if ids != line.split(separator: " ").map({ Int32($0)! }) {
        mismatches += 1
        if mismatches <= 3 { Issue.record("\"\(sentence)\": \(ids) ≠ spm_encode \(line)") }
      }
    }
    #expect(mismatches == 0)
  }

  /// The long descriptions of the fixture corpus: multi-line, punctuation, URLs, version numbers.
  @Test func idsEqualLibsentencepieceOnLongDescriptions() throws {
    let data = Data(try TestFixtures.readBytes(TestFixtures.corpus))
    let scratch = UnigramTokenizer.Scratch()
    var checked = 0
    var mismatches = 0
    for line in data.split(separator: UInt8(ascii: "\n")) {
      let record = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
      let bytes = Array((record["text"] as! String).utf8)
      let expected = try referenceIDs(bytes)
      if nativeIDs(bytes, scratch) != expected {
        mismatches += 1
        if mismatches <= 3 { Issue.record("mismatch on \(record["id"]!): native \(nativeIDs(bytes, scratch)) ≠ \(expected)") }
      }
      checked += 1
    }
    #expect(checked >= 4000)
    #expect(mismatches == 0)
  }

  /// Normalisation and segmentation corner cases: whitespace runs, NFKC rules (ligatures,
  /// full-width, circled digits, compatibility forms), unknown characters and runs of them,
  /// combining marks, malformed UTF-8, control characters.
  @Test func idsEqualLibsentencepieceOnAwkwardInput() throws {
    var cases: [[UInt8]] = [
      "", " ", "   ", "\t\n", "a", " a ", "  leading and   inner   and trailing  ",
      "ﬁle ﬂow ﬀ", "ＦＵＬＬ　ＷＩＤＴＨ　ｔｅｘｔ１２３", "①②③ ⅷ ㎏ ™ ½", "ｶﾀｶﾅ ﾃﾞ",
      "emoji 🦀🦀 and 漢字かな交じり文 — “quotes”", "e\u{301}cole cafe\u{301} naïve", "Ω Å K",
      "tab\tseparated\u{00A0}nbsp\u{2003}emspace\u{200B}zwsp", "\u{FEFF}bom", "a\u{0}b\u{7}c",
      "x86_64-linux-gnu libfoo.so.6 (>= 2.36) https://example.org/~user?q=1&r=2",
      String(repeating: "🦀", count: 40), String(repeating: "database ", count: 500),
    ].map { Array($0.utf8) }
    cases.append([0x61, 0xFF, 0x62])  // a stray byte
    cases.append([0xE2, 0x96])  // truncated "▁"
    cases.append([0xC0, 0xAF, 0x20, 0x61])  // overlong "/"
    cases.append([0xED, 0xA0, 0x80, 0x61])  // a UTF-16 surrogate encoded in UTF-8
    cases.append([0xF4, 0x90, 0x80, 0x80])  // above U+10FFFF
    cases.append(Array("▁▁ already ▁escaped▁".utf8))
    let scratch = UnigramTokenizer.Scratch()
    for bytes in cases {
      #expect(nativeIDs(bytes, scratch) == (try referenceIDs(bytes)), "\(bytes.prefix(40))")
    }
  }

  /// Word by word through a cache (the lexical index's path) gives the whole-text ids: on every
  /// long description and fixture sentence, cased and case-folded, with a roomy cache and with one
  /// so small that it is full after eight words (later words are segmented every time); and on
  /// the awkward inputs.
  @Test func wordByWordEqualsWholeText() throws {
    #expect(native.segmentsByWord)
    var texts = try Self.fixtureTexts()
    texts += texts.map { $0.lowercased() }
    texts += ["", " ", "\t\n", "ﬁle ﬂow", "ＦＵＬＬ　ＷＩＤＴＨ", "emoji 🦀🦀 and 漢字かな 漢字かな", "▁▁ already ▁escaped▁",
              "x86_64 \u{0}\u{7} 🦀 🦀🦀 🦀", String(repeating: "🦀", count: 40) + " " + String(repeating: "🦀", count: 40),
              String(repeating: "a", count: 200) + " " + String(repeating: "a", count: 200)]
    let scratch = UnigramTokenizer.Scratch()
    var whole: [Int32] = [], words: [Int32] = []
    for cache in [WordSegmentCache(), WordSegmentCache(capacity: 16)] {
      var mismatches = 0
      for text in texts {
        var t = text
        t.withUTF8 { native.encode(utf8: UnsafeRawBufferPointer($0), scratch: scratch, into: &whole) }
        t.withUTF8 { native.encode(utf8: UnsafeRawBufferPointer($0), scratch: scratch, words: cache, into: &words) }
        if whole != words {
          mismatches += 1
          if mismatches <= 3 { Issue.record("\"\(text.prefix(80))\": words \(words) ≠ whole \(whole)") }
        }
      }
      #expect(mismatches == 0)
      #expect(cache.count == 8 || cache.count > 1000)
      // Some texts hold a word whose segmentation ties (e.g. "LIGGGHTS": two orders of the same
      // pieces): those take the whole-text pass; the rest go word by word.
      #expect(cache.wholeTexts > 0 && cache.wholeTexts * 20 < cache.texts, "\(cache.wholeTexts) of \(cache.texts) whole")
    }
  }

  /// The fused pass (an ingest with the lexical index tokenises once): the cased ids and the
  /// case-folded ids equal two separate whole-text passes (the text, and its `lowercased()`), on
  /// every fixture text and on mixed-case, non-ASCII and tie-prone ones.
  @Test func oneWordPassGivesTheCasedAndTheFoldedIDs() throws {
    #expect(native.foldsAfterNormalising)
    var texts = try Self.fixtureTexts()
    texts += ["", "ABC abc AbC", "LIGGGHTS and LAMMPS", "Émile ÉCOLE école", "x86_64 QT5 Qt5 qt5", "MiXeD~CaSe^^ \u{7} TAB\tEND",
              // unknown pieces (these ASCII symbols are not in the vocabulary) beside words with
              // and without capitals
              "A~ ~b ~~ C~ ~~d E{ {f", "~~A ~a ^^ ``B `b {{ }}C", "Q| |q q| |Q ||| Q@@ @@q"]
    let scratch = UnigramTokenizer.Scratch()
    var wholeCased: [Int32] = [], wholeFolded: [Int32] = [], ids: [Int32] = [], folded: [Int32] = []
    for cache in [WordSegmentCache(), WordSegmentCache(capacity: 16)] {
      var derived = 0, mismatches = 0
      for text in texts {
        var t = text, lower = text.lowercased()
        t.withUTF8 { native.encode(utf8: UnsafeRawBufferPointer($0), scratch: scratch, into: &wholeCased) }
        lower.withUTF8 { native.encode(utf8: UnsafeRawBufferPointer($0), scratch: scratch, into: &wholeFolded) }
        let ok = t.withUTF8 { native.encode(utf8: UnsafeRawBufferPointer($0), scratch: scratch, words: cache, into: &ids, folded: &folded) }
        if ok { derived += 1 }
        if ids != wholeCased || (ok && folded != wholeFolded) {
          mismatches += 1
          if mismatches <= 3 { Issue.record("\"\(text.prefix(80))\": cased \(ids == wholeCased), folded \(folded == wholeFolded)") }
        }
        // Non-ASCII texts are never derived (the caller folds and encodes them itself).
        if text.utf8.contains(where: { $0 >= 0x80 }) { #expect(!ok) }
      }
      #expect(mismatches == 0)
      #expect(derived * 10 > texts.count * 9, "\(derived) of \(texts.count) folded in the same pass")
    }
  }

  /// The batch embedder with lexical ids gives the same rows as without, and the ids
  /// `lexicalTokenIDs` gives (the path a lexical-index ingest takes).
  @Test func embeddingWithLexicalIDsChangesNeitherRowsNorIDs() throws {
    let model = try StaticModel(path: TestFixtures.model256PQ)
    var texts = try TestFixtures.lines(TestFixtures.sentences).prefix(600).map { $0 }
    texts += ["Émile ÉCOLE école", "LIGGGHTS and LAMMPS", "PDF viewer for KDE"]
    let plain = try model.embed(batch: texts)
    let (rows, ids) = try model.embedWithLexicalIDs(batch: texts)
    #expect(rows == plain)
    #expect(ids == (try model.lexicalTokenIDs(texts)))
  }

  @Test func scratchReuseAcrossLengthsGivesStableIDs() {
    let scratch = UnigramTokenizer.Scratch()
    let long = Array(String(repeating: "embedded database server ", count: 100).utf8)
    let short = Array("network".utf8)
    let first = nativeIDs(short, scratch)
    _ = nativeIDs(long, scratch)
    #expect(nativeIDs(short, scratch) == first)
    #expect(nativeIDs(long, UnigramTokenizer.Scratch()) == nativeIDs(long, scratch))
  }

  @Test func malformedModelBytesAreTypedErrors() throws {
    let junk: [UInt8] = [0x0A, 0xFF, 0xFF, 0xFF, 0x0F]  // field 1, length beyond the buffer
    #expect(throws: SentencePieceError.self) { try junk.withUnsafeBytes { _ = try UnigramTokenizer(modelBytes: $0) } }
    let empty: [UInt8] = []
    #expect(throws: SentencePieceError.self) { try empty.withUnsafeBytes { _ = try UnigramTokenizer(modelBytes: $0) } }
  }
}
