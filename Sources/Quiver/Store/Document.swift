/// A document to ingest: an id, its text, optional JSON metadata.
public struct Document: Sendable, Equatable {
  public var id: String
  public var text: String
  /// Metadata as the text of a JSON object, stored verbatim (nil: none); its fields are indexed
  /// for filters (``MetadataFilter``).
  public var metadataJSON: String?

  public init(id: String, text: String, metadataJSON: String? = nil) {
    self.id = id
    self.text = text
    self.metadataJSON = metadataJSON
  }

  /// The longest text a document may have, in UTF-8 bytes: 16 MiB (a book). A document is split
  /// into passages (``PassageSplitter``), each well under the 32,768 characters of one embedding
  /// call (``EmbeddingLimits/maximumCharacters``).
  public static let maximumTextBytes = 16 << 20

  /// Throws what is wrong with the document for a store (nothing is written for it).
  /// - Throws: ``StoreError/invalidDocument(id:reason:)``: an empty or over-long (400-byte) id, an
  ///   empty text, a text over ``maximumTextBytes``, metadata that is not a JSON object.
  public func validate() throws {
    if id.isEmpty { throw StoreError.invalidDocument(id: id, reason: "empty id") }
    if id.utf8.count > 400 { throw StoreError.invalidDocument(id: id, reason: "id longer than 400 bytes") }
    if EmbeddingLimits.isBlank(text) { throw StoreError.invalidDocument(id: id, reason: "empty text") }
    if text.utf8.count > Self.maximumTextBytes {
      throw StoreError.invalidDocument(id: id, reason: "text of \(text.utf8.count) bytes exceeds the \(Self.maximumTextBytes >> 20) MiB limit")
    }
    if let metadataJSON {
      let value: JSONValue
      do { value = try JSONParser.parse(metadataJSON) } catch { throw StoreError.invalidDocument(id: id, reason: "metadata: \(error)") }
      guard case .object = value else { throw StoreError.invalidDocument(id: id, reason: "metadata is \(value.describedType), not a JSON object") }
    }
  }
}

/// A passage: a window of a document's text, the unit that gets a vector.
public struct Passage: Sendable, Equatable {
  /// Its index in the document.
  public var index: Int
  /// Byte offsets into the document's UTF-8 text, half-open.
  public var utf8Range: Range<Int>
}

/// Splits texts into passages of at most `window` words that overlap by `overlap` words, and of at
/// most `maximumBytes` UTF-8 bytes; a short text is one passage. Words are maximal runs of
/// non-whitespace, a word longer than `maximumBytes` being cut at character boundaries into pieces
/// that count as words; a passage spans from its first word's start to its last word's end. (Words,
/// not tokens: the fixture vocabulary averages ≈1.3 tokens a word, so 128 words ≈ 170 tokens.)
public struct PassageSplitter: Sendable {
  public var window: Int
  public var overlap: Int
  /// The most bytes a passage spans: 4,096 (≈ 5× a typical 128-word passage), far under one
  /// embedding call's 32,768 characters, so that a run of text without spaces (a base64 blob, a
  /// table) still gives passages of a sensible size.
  public var maximumBytes: Int

  public init(window: Int = 128, overlap: Int = 16, maximumBytes: Int = 4096) {
    precondition(window > 0 && overlap >= 0 && overlap < window && maximumBytes >= 4)
    self.window = window
    self.overlap = overlap
    self.maximumBytes = maximumBytes
  }

  public func passages(of text: String) -> [Passage] {
    var words: [Range<Int>] = []
    let utf8 = Array(text.utf8)
    var i = 0
    while i < utf8.count {
      while i < utf8.count, Self.isSpace(utf8[i]) { i += 1 }
      var start = i
      while i < utf8.count, !Self.isSpace(utf8[i]) {
        i += 1
        if i - start >= maximumBytes {  // an over-long word: cut it at a character boundary
          var cut = i
          while cut > start + 1, cut < utf8.count, utf8[cut] & 0xC0 == 0x80 { cut -= 1 }
          words.append(start..<cut)
          start = cut
          i = cut
        }
      }
      if i > start { words.append(start..<i) }
    }
    guard !words.isEmpty else { return [] }
    var out: [Passage] = []
    var first = 0
    while true {
      var last = min(first + window, words.count) - 1
      while last > first && words[last].upperBound - words[first].lowerBound > maximumBytes { last -= 1 }
      out.append(Passage(index: out.count, utf8Range: words[first].lowerBound..<words[last].upperBound))
      if last == words.count - 1 { break }
      let back = min(overlap, (last - first + 1) / 2)  // a passage cut short by bytes overlaps less
      first = max(first + 1, last + 1 - back)
    }
    return out
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
}
