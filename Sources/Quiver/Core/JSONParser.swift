/// A strict JSON parser (RFC 8259) over UTF-8 bytes, with one-line errors that say where.
/// Nesting is bounded (``maximumDepth``) so a hostile input cannot exhaust the stack.
public struct JSONParser {
  /// Why a text is not JSON: the problem and the byte offset where it was found.
  public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
  }

  /// The deepest nesting of arrays and objects accepted.
  public static let maximumDepth = 64

  private let bytes: [UInt8]
  private var i = 0

  private init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// Parses `text`, which must hold exactly one JSON value (whitespace around it allowed).
  public static func parse(_ text: String) throws(Failure) -> JSONValue {
    var p = JSONParser(Array(text.utf8))
    p.skipSpace()
    let v = try p.value(depth: 0)
    p.skipSpace()
    guard p.i == p.bytes.count else { throw p.failure("unexpected text after the value") }
    return v
  }

  private func failure(_ reason: String) -> Failure { Failure(reason: reason, offset: i) }

  private mutating func skipSpace() {
    while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
  }

  private mutating func value(depth: Int) throws(Failure) -> JSONValue {
    guard i < bytes.count else { throw failure("unexpected end of text") }
    switch bytes[i] {
    case UInt8(ascii: "{"):
      guard depth < Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth)") }
      return try object(depth: depth + 1)
    case UInt8(ascii: "["):
      guard depth < Self.maximumDepth else { throw failure("nested deeper than \(Self.maximumDepth)") }
      return try array(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
    default: throw failure("unexpected character '\(Unicode.Scalar(bytes[i]))'")
    }
  }

  private mutating func literal(_ word: StaticString) throws(Failure) {
    let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    guard bytes.count - i >= w.count, zip(bytes[i..<(i + w.count)], w).allSatisfy({ $0 == $1 }) else {
      throw failure("expected \(word)")
    }
    i += w.count
  }

  private mutating func object(depth: Int) throws(Failure) -> JSONValue {
    i += 1
    var members: [(key: String, value: JSONValue)] = []
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
    while true {
      skipSpace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw failure("expected a member name in quotes") }
      let key = try string()
      skipSpace()
      guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
      i += 1
      skipSpace()
      let v = try value(depth: depth)
      if let j = members.firstIndex(where: { $0.key == key }) { members.remove(at: j) }
      members.append((key, v))
      skipSpace()
      guard i < bytes.count else { throw failure("unterminated object") }
      if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
      if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
      throw failure("expected ',' or '}' in an object")
    }
  }

  private mutating func array(depth: Int) throws(Failure) -> JSONValue {
    i += 1
    var elements: [JSONValue] = []
    skipSpace()
    if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
    while true {
      skipSpace()
      elements.append(try value(depth: depth))
      skipSpace()
      guard i < bytes.count else { throw failure("unterminated array") }
      if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
      if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
      throw failure("expected ',' or ']' in an array")
    }
  }

  private mutating func number() throws(Failure) -> Double {
    let start = i
    if bytes[i] == UInt8(ascii: "-") { i += 1 }
    func digits(_ p: inout JSONParser) -> Int {
      let s = p.i
      while p.i < p.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(p.bytes[p.i]) { p.i += 1 }
      return p.i - s
    }
    guard i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) else { throw failure("expected a digit") }
    if bytes[i] == UInt8(ascii: "0") { i += 1 } else { _ = digits(&self) }
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      guard digits(&self) > 0 else { throw failure("expected a digit after '.'") }
    }
    if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
      i += 1
      if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard digits(&self) > 0 else { throw failure("expected a digit in the exponent") }
    }
    let text = String(decoding: bytes[start..<i], as: UTF8.self)
    guard let v = Double(text), v.isFinite else { throw Failure(reason: "number \(text) out of range", offset: start) }
    return v
  }

  private mutating func string() throws(Failure) -> String {
    i += 1
    var out: [UInt8] = []
    while true {
      guard i < bytes.count else { throw failure("unterminated string") }
      let b = bytes[i]
      if b == UInt8(ascii: "\"") { i += 1; break }
      if b < 0x20 { throw failure("control character in a string") }
      if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
      i += 1
      guard i < bytes.count else { throw failure("unterminated escape") }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {  // a surrogate pair
          guard bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
            throw failure("unpaired surrogate")
          }
          i += 2
          let low = try hex4()
          guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
          throw failure("unpaired surrogate")
        }
        out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
      default: throw failure("unknown escape '\\\(Unicode.Scalar(e))'")
      }
    }
    // The input is a Swift String, so its bytes are valid UTF-8 already.
    return String(decoding: out, as: UTF8.self)
  }

  private mutating func hex4() throws(Failure) -> UInt32 {
    guard bytes.count - i >= 4 else { throw failure("short \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[i]
      let d: UInt32
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
      default: throw failure("bad hex digit in \\u escape")
      }
      v = v << 4 | d
      i += 1
    }
    return v
  }
}
