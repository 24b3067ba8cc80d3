/// A native, allocation-free implementation of SentencePiece's unigram encoder for the models Quiver
/// ships: the same normalisation (precompiled charsmap, whitespace rules, "▁" escaping) and the same
/// Viterbi segmentation (best path by summed piece log-probabilities, with libsentencepiece's
/// Float/Double rounding; an unknown character scores min_score − 10; ties keep the earlier candidate; runs of unknowns merge into one id), so its ids
/// equal libsentencepiece's — `UnigramTokenizerTests` holds it to that on real text.
///
/// Why: libsentencepiece allocates ~70 times per call (lattice nodes, strings, vectors) and takes
/// three quarters of the embed time. This encoder reuses a caller-owned ``Scratch`` and allocates
/// nothing once the scratch has grown.
///
/// Models it does not cover (BPE/word/char, byte fallback, user-defined symbols, whitespace as
/// suffix) are refused at init with ``SentencePieceError/unsupportedByNativeTokenizer(_:)``; callers
/// then use ``SentencePieceTokenizer``.
public final class UnigramTokenizer: @unchecked Sendable {
  /// Per-thread working memory for ``encode(utf8:scratch:into:)``. Not thread-safe.
  public final class Scratch {
    var normalized: [UInt8] = []
    // Per byte position: the best path ending there — its score, where its last piece starts
    // (-1: no path yet), and that piece's id.
    var score: [Float] = []
    var start: [Int32] = []
    var id: [Int32] = []

    public init() {
      normalized.reserveCapacity(1024)
      score.reserveCapacity(1024)
      start.reserveCapacity(1024)
      id.reserveCapacity(1024)
    }

    func reset(positions: Int) {
      score.removeAll(keepingCapacity: true)
      start.removeAll(keepingCapacity: true)
      id.removeAll(keepingCapacity: true)
      score.append(contentsOf: repeatElement(0, count: positions))
      start.append(contentsOf: repeatElement(-1, count: positions))
      id.append(contentsOf: repeatElement(-1, count: positions))
      start[0] = 0
    }

    /// Runs `body` with the three per-position arrays as raw buffers (one exclusivity check per
    /// call, not per access).
    @inline(__always)
    func withPaths<R>(_ body: (Paths) -> R) -> R {
      score.withUnsafeMutableBufferPointer { score in
        start.withUnsafeMutableBufferPointer { start in
          id.withUnsafeMutableBufferPointer { id in body(Paths(score: score, start: start, id: id)) }
        }
      }
    }
  }

  /// The per-position best paths, as raw buffers valid inside ``Scratch/withPaths(_:)``.
  struct Paths {
    let score: UnsafeMutableBufferPointer<Float>
    let start: UnsafeMutableBufferPointer<Int32>
    let id: UnsafeMutableBufferPointer<Int32>

    /// Offers a path to `end` whose last piece `piece` starts at `from`. The candidate is the exact
    /// (Double) sum of the Float path score and the piece score, compared against the stored Float
    /// and stored rounded to Float; the first offer wins ties. This is libsentencepiece's own
    /// arithmetic (its piece score is promoted to double there), so rounding ties fall its way.
    @inline(__always)
    func offer(from: Int, to end: Int, piece: Int32, score pieceScore: Float, closest gap: inout Double) {
      let candidate = Double(pieceScore) + Double(score[from])
      if start[end] >= 0 { gap = min(gap, abs(candidate - Double(score[end]))) }
      if start[end] < 0 || candidate > Double(score[end]) {
        score[end] = Float(candidate)
        start[end] = Int32(from)
        id[end] = piece
      }
    }
  }

  /// The number of pieces.
  public let vocabularySize: Int
  /// The id of the unknown piece.
  public let unknownID: Int32

  private let trie: PieceTrie
  private let charsMap: PrecompiledCharsMap?
  private let unknownScore: Float
  private let addDummyPrefix: Bool
  private let removeExtraWhitespaces: Bool
  private let escapeWhitespaces: Bool
  /// U+FFFD, what a malformed byte normalises to.
  private let replacementCharacter: UnsafeMutableBufferPointer<UInt8>

  /// Builds the encoder from a serialized SentencePiece model (`.model` bytes).
  /// - Throws: ``SentencePieceError/invalidModel(reason:)`` for malformed bytes,
  ///   ``SentencePieceError/unsupportedByNativeTokenizer(_:)`` for model features this encoder
  ///   does not implement.
  public init(modelBytes: UnsafeRawBufferPointer) throws {
    let proto = try SentencePieceModelProto(bytes: modelBytes)
    func unsupported(_ what: String) -> SentencePieceError { .unsupportedByNativeTokenizer(what) }
    guard proto.modelType == 1 else { throw unsupported("model type \(proto.modelType) is not unigram") }
    guard !proto.byteFallback else { throw unsupported("byte fallback") }
    guard !proto.treatWhitespaceAsSuffix else { throw unsupported("whitespace as suffix") }
    guard !proto.pieces.contains(where: { $0.type == .userDefined || $0.type == .byte }) else {
      throw unsupported("user-defined or byte pieces")
    }
    guard !(proto.precompiledCharsMap.isEmpty && !proto.normalizationRuleTSV.isEmpty) else {
      throw unsupported("normalization rules without a precompiled charsmap")
    }
    guard !proto.pieces.isEmpty, proto.unknownID >= 0, proto.unknownID < proto.pieces.count,
      proto.pieces[Int(proto.unknownID)].type == .unknown
    else { throw SentencePieceError.invalidModel(reason: "no unknown piece at unk_id \(proto.unknownID)") }

    vocabularySize = proto.pieces.count
    unknownID = Int32(proto.unknownID)
    var minScore = Float.greatestFiniteMagnitude
    for p in proto.pieces where p.type == .normal { minScore = min(minScore, p.score) }
    unknownScore = minScore - 10
    trie = PieceTrie(proto.pieces.enumerated().compactMap { i, p in
      p.type == .normal ? (Int32(i), p.bytes, p.score) : nil
    })
    charsMap = proto.precompiledCharsMap.isEmpty ? nil : try PrecompiledCharsMap(proto.precompiledCharsMap)
    addDummyPrefix = proto.addDummyPrefix
    removeExtraWhitespaces = proto.removeExtraWhitespaces
    escapeWhitespaces = proto.escapeWhitespaces
    let space: [UInt8] = [0xE2, 0x96, 0x81]
    segmentsByWord = proto.escapeWhitespaces && !proto.pieces.contains { p in
      p.bytes.count > 3 && (1..<(p.bytes.count - 2)).contains { p.bytes[$0] == 0xE2 && Array(p.bytes[$0..<$0 + 3]) == space }
    }
    let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).flatMap { [$0, $0 | 0x20] }
    foldsAfterNormalising = charsMap.map { map in letters.allSatisfy { map.leavesUntouched(ascii: $0) } } ?? true
    replacementCharacter = .allocate(capacity: 3)
    _ = replacementCharacter.initialize(from: [0xEF, 0xBF, 0xBD])
  }

  deinit { replacementCharacter.deallocate() }

  /// Encodes `text` into `ids` (replacing its contents).
  public func encode(_ text: String, scratch: Scratch, into ids: inout [Int32]) {
    var text = text
    text.withUTF8 { encode(utf8: UnsafeRawBufferPointer($0), scratch: scratch, into: &ids) }
  }

  /// Encodes UTF-8 bytes into `ids` (replacing its contents). Malformed UTF-8 bytes become U+FFFD,
  /// one per byte, as SentencePiece does. O(n · longest piece) for n input bytes.
  public func encode(utf8 text: UnsafeRawBufferPointer, scratch: Scratch, into ids: inout [Int32]) {
    ids.removeAll(keepingCapacity: true)
    normalize(text, into: &scratch.normalized)
    guard !scratch.normalized.isEmpty else { return }
    _ = scratch.normalized.withUnsafeBufferPointer { segment($0, scratch: scratch, appendingTo: &ids) }
  }

  /// Viterbi over `text` (normalised bytes), its ids appended to `ids` in order; runs of unknowns
  /// merge into one id. Returns the best path's score and how near two competing paths came.
  @discardableResult
  private func segment(_ text: UnsafeBufferPointer<UInt8>, scratch: Scratch, appendingTo ids: inout [Int32])
    -> (score: Float, closest: Double)
  {
    let n = text.count
    let first = ids.count
    scratch.reset(positions: n + 1)
    let result = scratch.withPaths { paths in
      let closest = viterbi(text, paths)
      // Backtrack from the end; merge runs of unknowns.
      var end = n
      var previous: Int32 = -1
      while end > 0 {
        let id = paths.id[end]
        if !(id == unknownID && previous == unknownID) { ids.append(id) }
        previous = id
        end = Int(paths.start[end])
      }
      return (paths.score[n], closest)
    }
    // Reversed in place (a reverse through `ids[first...]` copies the slice: an allocation a call).
    var i = first, j = ids.count - 1
    while i < j {
      ids.swapAt(i, j)
      i += 1
      j -= 1
    }
    return result
  }

  /// Whether ``encode(utf8:scratch:words:into:)`` may segment word by word: spaces are escaped as
  /// "▁" and no piece holds a "▁" after its first character, so no piece spans a word boundary
  /// and every path of a text passes through each word's start.
  public let segmentsByWord: Bool

  /// Encodes UTF-8 bytes into `ids` (replacing its contents), the same ids as
  /// ``encode(utf8:scratch:into:)``, but word by word through `words`: the normalised text is cut
  /// before every "▁" and a word segmented before is copied from the cache.
  ///
  /// Why the ids are the same: every path passes through each word's start, so the whole-text
  /// Viterbi picks, inside each word, between candidates that share the score up to that start;
  /// only Float rounding of that shared score (which grows along the text) can tip a choice, and
  /// only between candidates nearer than a few ulps of it. Each word's segmentation records how
  /// near its closest competition came; when that is within the rounding margin at the word's
  /// place in the text (an exact tie, say, between two orders of the same pieces), the text is
  /// encoded whole instead. Models for which ``segmentsByWord`` is false are always encoded whole.
  public func encode(utf8 text: UnsafeRawBufferPointer, scratch: Scratch, words: WordSegmentCache, into ids: inout [Int32]) {
    var unused: [Int32] = []
    _ = encode(utf8: text, scratch: scratch, words: words, into: &ids, folding: false, folded: &unused)
  }

  /// As ``encode(utf8:scratch:words:into:)``, and also the ids of the text case-folded — what a
  /// lexical index posts: `lowercased()`, then encoded — from the same normalisation and word
  /// split. For ASCII text folding commutes with the normaliser (which leaves letters alone:
  /// ``foldsAfterNormalising``), so the folded words are the words with A–Z lowered, and a word
  /// without capitals is its own folded word (its ids are copied, not looked up again). Returns
  /// false, `folded` unspecified, when it could not: a byte above 0x7F, or a folded word near a
  /// tie; the caller then folds and encodes the text itself.
  public func encode(utf8 text: UnsafeRawBufferPointer, scratch: Scratch, words: WordSegmentCache,
                     into ids: inout [Int32], folded: inout [Int32]) -> Bool {
    encode(utf8: text, scratch: scratch, words: words, into: &ids, folding: true, folded: &folded)
  }

  /// Whether letters pass the normaliser unchanged (folding ASCII text before or after it is the same).
  public let foldsAfterNormalising: Bool

  private func encode(utf8 text: UnsafeRawBufferPointer, scratch: Scratch, words: WordSegmentCache,
                      into ids: inout [Int32], folding: Bool, folded: inout [Int32]) -> Bool {
    guard segmentsByWord else {
      encode(utf8: text, scratch: scratch, into: &ids)
      return false
    }
    ids.removeAll(keepingCapacity: true)
    folded.removeAll(keepingCapacity: true)
    var folding = folding && foldsAfterNormalising
    if folding { for b in text where b >= 0x80 { folding = false; break } }
    normalize(text, into: &scratch.normalized)
    let n = scratch.normalized.count
    guard n > 0 else { return folding }
    var foldedByWords = folding
    let byWords = scratch.normalized.withUnsafeBufferPointer { all -> Bool in
      var start = 0
      // |the whole-text pass's running score| at the end of this word, cased and folded
      var magnitude = 0.0, foldedMagnitude = 0.0
      // The folded ids lag behind: `folded` holds those of the words before `pending` (an index
      // into `ids`); the words since have no capitals, so their folded ids are their cased ids,
      // copied in one go when a word that differs comes, or at the end.
      var pending = 0
      // Whether the last word's folded ids differ from its cased ones (it had capitals).
      var lastDiffered = false
      while start < n {
        // The next word starts at the next "▁" (E2 96 81) after this word's first character;
        // the scan notes capitals on the way.
        var end = start + Self.oneCharLength(all[start])
        var capitals = false
        if foldedByWords { for i in start..<min(end, n) where all[i] &- 65 < 26 { capitals = true } }
        while end < n, !(all[end] == 0xE2 && end + 2 < n && all[end + 1] == 0x96 && all[end + 2] == 0x81) {
          if foldedByWords && all[end] &- 65 < 26 { capitals = true }
          end += 1
        }
        end = min(end, n)
        let word = UnsafeBufferPointer(rebasing: all[start..<end])
        start = end
        let first = ids.count
        let found = wordIDs(word, scratch: scratch, words: words, appendingTo: &ids)
        magnitude += Double(abs(found.score))
        guard found.closest > Self.tieMargin(magnitude, found.score, word.count) else { return false }
        var flushed = false
        if foldedByWords {
          // A word without capitals joins the pending run — unless its first id is unknown right
          // after a word whose folded ids differ: whether it merges into an unknown run then
          // depends on the folded ids before it, so it is copied on its own.
          let unknownFirst = ids.count > first && ids[first] == unknownID
          var lowered = found
          if capitals || (unknownFirst && lastDiffered) {
            folded.append(contentsOf: ids[pending..<first])
            let foldedFirst = folded.count
            if capitals {
              // A–Z lowered, on the stack (a scratch array on the class paid an exclusivity
              // check per byte appended).
              lowered = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: word.count) { lower in
                for i in 0..<word.count { lower[i] = word[i] &- 65 < 26 ? word[i] | 0x20 : word[i] }
                return wordIDs(UnsafeBufferPointer(lower), scratch: scratch, words: words, appendingTo: &folded)
              }
            } else {
              folded.append(contentsOf: ids[first..<ids.count])
            }
            mergeUnknownRun(at: foldedFirst, in: &folded)
            flushed = true
          }
          lastDiffered = capitals
          foldedMagnitude += Double(abs(lowered.score))
          if lowered.closest <= Self.tieMargin(foldedMagnitude, lowered.score, word.count) { foldedByWords = false }
        }
        mergeUnknownRun(at: first, in: &ids)  // after the folded ids took this word's own
        if flushed { pending = ids.count }
      }
      if foldedByWords { folded.append(contentsOf: ids[pending..<ids.count]) }
      return true
    }
    words.texts += 1
    if !byWords {
      words.wholeTexts += 1
      encode(utf8: text, scratch: scratch, into: &ids)
      return false
    }
    return foldedByWords
  }

  /// Runs of unknowns merge into one id across words too, as in one whole-text pass: drops the
  /// word's first id (at `first`) when it and the previous word's last id are both unknown.
  @inline(__always)
  private func mergeUnknownRun(at first: Int, in ids: inout [Int32]) {
    if first > 0, first < ids.count, ids[first] == unknownID, ids[first - 1] == unknownID { ids.remove(at: first) }
  }

  /// How near two paths through a word may come before Float rounding of the running score
  /// (`magnitude`, at the word's end) could decide between them in the whole-text pass.
  @inline(__always)
  private static func tieMargin(_ magnitude: Double, _ wordScore: Float, _ wordBytes: Int) -> Double {
    (Double(Float(magnitude).ulp) + Double(abs(wordScore).ulp)) * Double(wordBytes + 2)
  }

  /// Appends the ids of one word, from the cache or segmented (and then cached).
  @inline(__always)
  private func wordIDs(_ word: UnsafeBufferPointer<UInt8>, scratch: Scratch, words: WordSegmentCache,
                       appendingTo out: inout [Int32]) -> (score: Float, closest: Double) {
    if word.count > WordSegmentCache.longestWord { return segment(word, scratch: scratch, appendingTo: &out) }
    let first = out.count
    let hash = WordSegmentCache.hash(word)
    if let cached = words.append(word, hash: hash, to: &out) { return cached }
    let found = segment(word, scratch: scratch, appendingTo: &out)
    words.insert(word, hash: hash, ids: out[first...], score: found.score, closest: found.closest)
    return found
  }

  /// Viterbi over the lattice, built on the fly: for each character boundary `pos` in order, every
  /// piece starting there (shortest first), then an unknown single character when no
  /// one-character piece exists, is offered as the last piece of a path to its end.
  /// Returns the smallest difference between two competing paths' scores at any position (∞ when
  /// no two ever competed): how near the segmentation came to a tie.
  private func viterbi(_ text: UnsafeBufferPointer<UInt8>, _ paths: Paths) -> Double {
    let n = text.count
    var closest = Double.infinity
    do {
      var pos = 0
      while pos < n {
        let charLength = min(Self.oneCharLength(text[pos]), n - pos)
        var hasSingle = false
        trie.forEachPrefix(of: UnsafeBufferPointer(rebasing: text[pos...])) { piece, length, score in
          paths.offer(from: pos, to: pos + length, piece: piece, score: score, closest: &closest)
          if length == charLength { hasSingle = true }
        }
        if !hasSingle { paths.offer(from: pos, to: pos + charLength, piece: unknownID, score: unknownScore, closest: &closest) }
        pos += charLength
      }
    }
    return closest
  }

  /// SentencePiece's normaliser: charsmap rules (longest match), else the character as is (or
  /// U+FFFD for a malformed byte); heading, trailing and repeated spaces dropped; a "▁" prefix;
  /// spaces escaped as "▁".
  private func normalize(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) {
    out.removeAll(keepingCapacity: true)
    var i = 0
    let n = input.count
    if removeExtraWhitespaces {
      while i < n {
        let (replacement, consumed) = normalizePrefix(UnsafeRawBufferPointer(rebasing: input[i...]))
        guard replacement.count == 1, replacement[0] == 0x20 else { break }
        i += consumed
      }
    }
    guard i < n else { return }
    if addDummyPrefix { appendSpace(&out) }
    var previousIsSpace = removeExtraWhitespaces
    while i < n {
      let (replacement, consumed) = normalizePrefix(UnsafeRawBufferPointer(rebasing: input[i...]))
      var k = 0
      while previousIsSpace, k < replacement.count, replacement[k] == 0x20 { k += 1 }
      if k < replacement.count {
        for j in k..<replacement.count {
          if escapeWhitespaces, replacement[j] == 0x20 { appendSpace(&out) } else { out.append(replacement[j]) }
        }
        previousIsSpace = replacement[replacement.count - 1] == 0x20
      }
      i += consumed
      if !removeExtraWhitespaces { previousIsSpace = false }
    }
    if removeExtraWhitespaces {
      if escapeWhitespaces {
        while out.count >= 3, out[out.count - 3] == 0xE2, out[out.count - 2] == 0x96, out[out.count - 1] == 0x81 {
          out.removeLast(3)
        }
      } else {
        while out.last == 0x20 { out.removeLast() }
      }
    }
  }

  @inline(__always)
  private func appendSpace(_ out: inout [UInt8]) {
    if escapeWhitespaces {
      out.append(0xE2); out.append(0x96); out.append(0x81)  // U+2581 "▁"
    } else {
      out.append(0x20)
    }
  }


  @inline(__always)
  private func normalizePrefix(_ input: UnsafeRawBufferPointer) -> (UnsafeBufferPointer<UInt8>, Int) {
    let first = input[0]
    if first < 0x80, input.count == 1 || input[1] < 0x80, charsMap?.leavesUntouched(ascii: first) ?? true {
      return (UnsafeBufferPointer(start: input.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 1), 1)
    }
    if let charsMap, let match = charsMap.longestMatch(input) { return match }
    guard let length = Self.validCharacterLength(input) else { return (UnsafeBufferPointer(replacementCharacter), 1) }
    return (UnsafeBufferPointer(start: input.baseAddress!.assumingMemoryBound(to: UInt8.self), count: length), length)
  }

  /// SentencePiece's OneCharLen: the length a UTF-8 lead byte announces (1 for stray bytes).
  @inline(__always)
  static func oneCharLength(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: 2
    case 0xE: 3
    case 0xF: 4
    default: 1
    }
  }

  /// The length of the well-formed UTF-8 character at the start of `s`, or nil when it is
  /// malformed (truncated, overlong, a surrogate, or above U+10FFFF).
  static func validCharacterLength(_ s: UnsafeRawBufferPointer) -> Int? {
    let b0 = UInt32(s[0])
    if b0 < 0x80 { return 1 }
    func continuation(_ i: Int) -> UInt32? {
      guard i < s.count, s[i] & 0xC0 == 0x80 else { return nil }
      return UInt32(s[i] & 0x3F)
    }
    if b0 & 0xE0 == 0xC0 {
      guard let c1 = continuation(1) else { return nil }
      return ((b0 & 0x1F) << 6 | c1) >= 0x80 ? 2 : nil
    }
    if b0 & 0xF0 == 0xE0 {
      guard let c1 = continuation(1), let c2 = continuation(2) else { return nil }
      let c = (b0 & 0x0F) << 12 | c1 << 6 | c2
      return c >= 0x800 && !(0xD800...0xDFFF).contains(c) ? 3 : nil
    }
    if b0 & 0xF8 == 0xF0 {
      guard let c1 = continuation(1), let c2 = continuation(2), let c3 = continuation(3) else { return nil }
      let c = (b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
      return c >= 0x10000 && c <= 0x10FFFF ? 4 : nil
    }
    return nil
  }
}
