/// One fact about a document's metadata that a filter can ask about and the store indexes: a
/// field (by dotted path) exists, or holds a scalar value (directly or as a list element).
public struct MetadataTerm: Hashable, Sendable {
  /// What the field holds.
  public enum Value: Hashable, Sendable {
    /// The field is present (whatever its value, null included).
    case exists
    case bool(Bool)
    /// A number (−0 is stored as 0).
    case number(Double)
    case string(String)
  }

  /// Object members joined by dots from the metadata's top level (`"a.b"`).
  public var path: String
  public var value: Value

  public init(path: String, value: Value) {
    self.path = path
    self.value = value
  }

  /// Every term of a document's metadata, each once. The walk: an object member at path p makes
  /// `exists(p)`; a scalar at p makes its value term; a list at p contributes each element as if
  /// it stood at p (scalars as values, objects walked further, so `"a.b"` reaches into a list of
  /// objects); a list directly inside a list is not walked; nulls make only `exists`.
  /// Metadata that is not an object has no terms.
  public static func terms(of metadata: JSONValue) -> Set<MetadataTerm> {
    var out = Set<MetadataTerm>()
    guard case .object = metadata else { return out }
    walk(metadata, path: "", inList: false, into: &out)
    return out
  }

  private static func walk(_ v: JSONValue, path: String, inList: Bool, into out: inout Set<MetadataTerm>) {
    switch v {
    case .null: break
    case .bool(let b): out.insert(MetadataTerm(path: path, value: .bool(b)))
    case .number(let n): out.insert(MetadataTerm(path: path, value: .number(n == 0 ? 0 : n)))
    case .string(let s): out.insert(MetadataTerm(path: path, value: .string(s)))
    case .array(let elements):
      guard !inList else { return }
      for e in elements { walk(e, path: path, inList: true, into: &out) }
    case .object(let members):
      for (key, value) in members {
        let p = path.isEmpty ? key : path + "." + key
        out.insert(MetadataTerm(path: p, value: .exists))
        walk(value, path: p, inList: false, into: &out)
      }
    }
  }
}
