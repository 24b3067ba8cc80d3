/// A document to ingest: an id, its text, optional JSON metadata.
public struct Document: Sendable, Equatable {
  public var id: String
  public var text: String
  /// Metadata as a JSON text, stored verbatim (nil: none).
  public var metadataJSON: String?

  public init(id: String, text: String, metadataJSON: String? = nil) {
    self.id = id
    self.text = text
    self.metadataJSON = metadataJSON
  }

  /// The service limits of `lattice-embed-design.md`, applied per document.
  public static let maximumTextLength = 32_768

  func validate() throws {
    if id.isEmpty { throw StoreError.invalidDocument(id: id, reason: "empty id") }
    if id.utf8.count > 400 { throw StoreError.invalidDocument(id: id, reason: "id longer than 400 bytes") }
    if EmbeddingLimits.isBlank(text) { throw StoreError.invalidDocument(id: id, reason: "empty text") }
    if text.utf8.count > Self.maximumTextLength, text.count > Self.maximumTextLength {
      throw StoreError.invalidDocument(id: id, reason: "text of \(text.count) characters exceeds \(Self.maximumTextLength)")
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

/// Splits texts into passages of at most `window` words that overlap by `overlap` words; a text
/// of at most `window` words is one passage. Words are maximal runs of non-whitespace; a passage
/// spans from its first word's start to its last word's end. (Words, not tokens: the fixture
/// vocabulary averages ≈1.3 tokens a word, so 128 words ≈ 170 tokens.)
public struct PassageSplitter: Sendable {
  public var window: Int
  public var overlap: Int

  public init(window: Int = 128, overlap: Int = 16) {
    precondition(window > 0 && overlap >= 0 && overlap < window)
    self.window = window
    self.overlap = overlap
  }

  public func passages(of text: String) -> [Passage] {
    var words: [Range<Int>] = []
    let utf8 = Array(text.utf8)
    var i = 0
    while i < utf8.count {
      while i < utf8.count, Self.isSpace(utf8[i]) { i += 1 }
      let start = i
      while i < utf8.count, !Self.isSpace(utf8[i]) { i += 1 }
      if i > start { words.append(start..<i) }
    }
    guard !words.isEmpty else { return [] }
    var out: [Passage] = []
    var first = 0
    while true {
      let last = min(first + window, words.count) - 1
      out.append(Passage(index: out.count, utf8Range: words[first].lowerBound..<words[last].upperBound))
      if last == words.count - 1 { break }
      first = last + 1 - overlap
    }
    return out
  }

  private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
}
