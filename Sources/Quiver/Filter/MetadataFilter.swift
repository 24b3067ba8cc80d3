/// A filter on document metadata, in the query language of MongoDB and Chroma:
///
/// ```json
/// {"section": "python"}
/// {"installed_size": {"$lt": 500}, "tags": {"$in": ["role::program"]}}
/// {"$or": [{"priority": "required"}, {"a.b": {"$exists": true}}]}
/// ```
///
/// A field is named by its dotted path. `$eq $ne $gt $gte $lt $lte $in $nin $exists` compare it;
/// a list field matches when any element does (so `$ne` and `$nin` hold when no element matches,
/// and for documents without the field); range operators compare numbers only; several fields or
/// operators in one object must all hold; `$and` and `$or` take non-empty lists of filters. `{}`
/// matches every document. Equality compares numbers by value (500 equals 500.0) and strings
/// byte for byte.
public indirect enum MetadataFilter: Sendable, Equatable {
  /// Every document.
  case all
  case and([MetadataFilter])
  case or([MetadataFilter])
  case field(String, Condition)

  /// A scalar a filter compares with.
  public enum Scalar: Hashable, Sendable {
    case bool(Bool)
    case number(Double)
    case string(String)

    var term: MetadataTerm.Value {
      switch self {
      case .bool(let b): .bool(b)
      case .number(let n): .number(n == 0 ? 0 : n)
      case .string(let s): .string(s)
      }
    }
  }

  /// What one operator asks of a field.
  public enum Condition: Sendable, Equatable {
    case equal(Scalar)
    case notEqual(Scalar)
    /// A number above the bound (`$gt`; `$gte` when inclusive).
    case greater(Double, inclusive: Bool)
    /// A number below the bound (`$lt`; `$lte` when inclusive).
    case less(Double, inclusive: Bool)
    case `in`([Scalar])
    case notIn([Scalar])
    case exists(Bool)

    /// Whether the condition is a range operator (which needs the field's values to be numbers).
    public var isRange: Bool {
      switch self {
      case .greater, .less: true
      default: false
      }
    }

    /// Whether documents without the field can match (`$ne`, `$nin`, `$exists: false`).
    public var matchesMissingField: Bool {
      switch self {
      case .notEqual, .notIn, .exists(false): true
      default: false
      }
    }
  }

  /// Parses a filter from its JSON text.
  /// - Throws: ``FilterError`` for text that is not JSON, a filter that is not an object, an
  ///   unknown operator, an operand of the wrong type (a range bound that is not a number, `$in`
  ///   without a list, …), an empty `$and`/`$or`, or a field compared with an object or a list.
  public static func parse(_ json: String) throws(FilterError) -> MetadataFilter {
    let value: JSONValue
    do { value = try JSONParser.parse(json) } catch { throw FilterError("\(error)") }
    return try parse(value)
  }

  /// Parses a filter from a JSON value (an object).
  public static func parse(_ value: JSONValue) throws(FilterError) -> MetadataFilter {
    guard case .object(let members) = value else { throw FilterError("a filter is a JSON object, not \(value.describedType)") }
    var parts: [MetadataFilter] = []
    for (key, v) in members {
      switch key {
      case "$and", "$or":
        guard case .array(let list) = v, !list.isEmpty else { throw FilterError("\(key) takes a non-empty list of filters") }
        var subs: [MetadataFilter] = []
        for f in list { subs.append(try parse(f)) }
        parts.append(key == "$and" ? .and(subs) : .or(subs))
      case _ where key.hasPrefix("$"):
        throw FilterError("unknown operator \(key) (top-level operators: $and, $or)")
      case "":
        throw FilterError("empty field name")
      default:
        for c in try conditions(field: key, v) { parts.append(.field(key, c)) }
      }
    }
    switch parts.count {
    case 0: return .all
    case 1: return parts[0]
    default: return .and(parts)
    }
  }

  private static func conditions(field: String, _ v: JSONValue) throws(FilterError) -> [Condition] {
    guard case .object(let ops) = v else { return [.equal(try scalar(v, field: field, op: "$eq"))] }
    guard !ops.isEmpty else { throw FilterError("field \(field): an empty condition {}") }
    var out: [Condition] = []
    for (op, operand) in ops {
      switch op {
      case "$eq": out.append(.equal(try scalar(operand, field: field, op: op)))
      case "$ne": out.append(.notEqual(try scalar(operand, field: field, op: op)))
      case "$gt", "$gte", "$lt", "$lte":
        guard case .number(let n) = operand else {
          throw FilterError("field \(field): \(op) needs a number, not \(operand.describedType)")
        }
        out.append(op.hasPrefix("$g") ? .greater(n, inclusive: op == "$gte") : .less(n, inclusive: op == "$lte"))
      case "$in", "$nin":
        guard case .array(let list) = operand else { throw FilterError("field \(field): \(op) needs a list, not \(operand.describedType)") }
        var scalars: [Scalar] = []
        for e in list { scalars.append(try scalar(e, field: field, op: op)) }
        out.append(op == "$in" ? .in(scalars) : .notIn(scalars))
      case "$exists":
        guard case .bool(let b) = operand else { throw FilterError("field \(field): $exists needs true or false, not \(operand.describedType)") }
        out.append(.exists(b))
      case _ where op.hasPrefix("$"):
        throw FilterError("field \(field): unknown operator \(op) (known: $eq $ne $gt $gte $lt $lte $in $nin $exists)")
      default:
        throw FilterError("field \(field): \"\(op)\" is not an operator; name nested fields by a dotted path (\"\(field).\(op)\")")
      }
    }
    return out
  }

  private static func scalar(_ v: JSONValue, field: String, op: String) throws(FilterError) -> Scalar {
    switch v {
    case .bool(let b): return .bool(b)
    case .number(let n): return .number(n)
    case .string(let s): return .string(s)
    case .null: throw FilterError("field \(field): \(op) null is not supported; use {\"$exists\": false}")
    case .array, .object: throw FilterError("field \(field): \(op) compares with a string, number or boolean, not \(v.describedType)")
    }
  }

  /// Every field path the filter names.
  public var fields: Set<String> {
    switch self {
    case .all: []
    case .and(let subs), .or(let subs): subs.reduce(into: Set<String>()) { $0.formUnion($1.fields) }
    case .field(let path, _): [path]
    }
  }

  /// Whether a document whose metadata has `terms` (``MetadataTerm/terms(of:)``) passes: the
  /// reference semantics, which the store's metadata index reproduces.
  public func matches(_ terms: Set<MetadataTerm>) -> Bool {
    switch self {
    case .all: return true
    case .and(let subs): return subs.allSatisfy { $0.matches(terms) }
    case .or(let subs): return subs.contains { $0.matches(terms) }
    case .field(let path, let condition):
      func has(_ s: Scalar) -> Bool { terms.contains(MetadataTerm(path: path, value: s.term)) }
      switch condition {
      case .equal(let s): return has(s)
      case .notEqual(let s): return !has(s)
      case .in(let list): return list.contains(where: has)
      case .notIn(let list): return !list.contains(where: has)
      case .exists(let b): return terms.contains(MetadataTerm(path: path, value: .exists)) == b
      case .greater(let bound, let inclusive):
        return terms.contains { t in
          guard t.path == path, case .number(let n) = t.value else { return false }
          return inclusive ? n >= bound : n > bound
        }
      case .less(let bound, let inclusive):
        return terms.contains { t in
          guard t.path == path, case .number(let n) = t.value else { return false }
          return inclusive ? n <= bound : n < bound
        }
      }
    }
  }
}
