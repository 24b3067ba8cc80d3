/// A parsed JSON value (RFC 8259): what document metadata and metadata filters are made of.
/// Numbers are doubles (as in JavaScript, and as MongoDB and Chroma compare them); object members
/// keep their order, and a repeated key keeps its last value (``JSONParser`` enforces this).
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(key: String, value: JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.number(let x), .number(let y)): x == y
    case (.string(let x), .string(let y)): x == y
    case (.array(let x), .array(let y)): x == y
    case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: false
    }
  }

  /// The member `key` of an object (nil for a missing member or a value that is not an object).
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last { $0.key == key }?.value
  }

  /// The value at a dotted path (`"a.b"`): each step an object member; nil when a step is missing.
  /// A path step through an array is not taken here (see ``MetadataFilter``'s matching).
  public func value(atPath path: String) -> JSONValue? {
    var current = self
    for step in path.split(separator: ".", omittingEmptySubsequences: false) {
      guard let next = current[String(step)] else { return nil }
      current = next
    }
    return current
  }

  /// The type's name with its article ("an array", "a string"), for error messages.
  public var describedType: String { (typeName.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + typeName }

  /// A short name of the value's type, for error messages.
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "boolean"
    case .number: "number"
    case .string: "string"
    case .array: "array"
    case .object: "object"
    }
  }
}
