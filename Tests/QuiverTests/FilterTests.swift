import Foundation
import Quiver
import Testing

/// Metadata filters: the language, the store's metadata index (checked member for member against
/// the reference semantics), and filtered search that returns k.
@Suite struct FilterTests {
  // MARK: The language

  @Test func theJSONParserReadsRFC8259AndSaysWhereItFails() throws {
    #expect(try JSONParser.parse(#" {"a": [1, -2.5e3, true, null, "x\u00e9\ud83d\ude00\n"]} "#)
      == .object([("a", .array([.number(1), .number(-2500), .bool(true), .null, .string("xé😀\n")]))]))
    #expect(try JSONParser.parse(#"{"a": 1, "a": 2}"#)["a"] == .number(2))
    let bad: [(String, String)] = [
      ("{\"a\": 1", "unterminated object"), ("[1,]", "unexpected character ']'"), ("01", "unexpected text after the value"),
      ("\"\\ud800\"", "unpaired surrogate"), ("1e999", "out of range"), ("{'a': 1}", "member name in quotes"),
      ("tru", "expected true"), (String(repeating: "[", count: 100), "nested deeper than 64"),
    ]
    for (text, reason) in bad {
      #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
      do { _ = try JSONParser.parse(text) } catch { #expect(error.reason.contains(reason), "\(text): \(error)") }
    }
  }

  @Test func eachMalformedFilterGivesItsOneLineError() throws {
    let cases: [(String, String)] = [
      ("{\"section\":", "invalid JSON at byte 11"),
      ("[1]", "a filter is a JSON object, not an array"),
      ("{\"section\": {\"$foo\": 1}}", "unknown operator $foo"),
      ("{\"$nor\": []}", "unknown operator $nor"),
      ("{\"$and\": []}", "$and takes a non-empty list"),
      ("{\"$or\": {\"a\": 1}}", "$or takes a non-empty list"),
      ("{\"size\": {\"$lt\": \"5\"}}", "$lt needs a number, not a string"),
      ("{\"tags\": {\"$in\": \"x\"}}", "$in needs a list"),
      ("{\"tags\": {\"$in\": [[1]]}}", "not an array"),
      ("{\"a\": {\"$exists\": 1}}", "$exists needs true or false"),
      ("{\"a\": {\"b\": 1}}", "dotted path (\"a.b\")"),
      ("{\"a\": null}", "use {\"$exists\": false}"),
      ("{\"a\": {}}", "an empty condition"),
      ("{\"\": 1}", "empty field name"),
    ]
    for (text, message) in cases {
      do {
        _ = try MetadataFilter.parse(text)
        Issue.record("\(text) parsed")
      } catch {
        #expect(error.description.hasPrefix("filter: ") && error.description.contains(message), "\(text): \(error)")
        #expect(!error.description.contains("\n"))
      }
    }
    #expect(try MetadataFilter.parse("{}") == .all)
    #expect(try MetadataFilter.parse(#"{"a": 1, "b": {"$gte": 2, "$lt": 3}}"#)
      == .and([.field("a", .equal(.number(1))), .field("b", .greater(2, inclusive: true)), .field("b", .less(3, inclusive: false))]))
  }

  @Test func termsFollowListsAndDottedPaths() throws {
    let m = try JSONParser.parse(#"{"tags": ["x", "y"], "a": {"b": [1, {"c": true}]}, "n": null, "z": -0.0}"#)
    let terms = MetadataTerm.terms(of: m)
    func has(_ path: String, _ v: MetadataTerm.Value) -> Bool { terms.contains(MetadataTerm(path: path, value: v)) }
    #expect(has("tags", .string("x")) && has("tags", .string("y")) && has("tags", .exists))
    #expect(has("a", .exists) && has("a.b", .number(1)) && has("a.b.c", .bool(true)) && has("a.b.c", .exists))
    #expect(has("n", .exists) && has("z", .number(0)))
    #expect(try MetadataFilter.parse(#"{"tags": "y", "a.b": {"$gt": 0.5}, "missing": {"$ne": 3}}"#).matches(terms))
    #expect(try !MetadataFilter.parse(#"{"tags": {"$nin": ["x"]}}"#).matches(terms))
    #expect(try MetadataFilter.parse(#"{"n": {"$exists": true}, "q": {"$exists": false}}"#).matches(terms))
  }

  // MARK: The index

  /// Random metadata of every shape the index keys (strings short and long, numbers negative,
  /// fractional and −0, booleans, lists, nested objects, lists of objects, missing fields); a
  /// boolean held by ~90 % of documents makes bitmap containers, the rest array ones.
  static func randomMetadata(_ i: Int, _ rng: inout SplitMix64) -> String {
    var fields: [String] = []
    let colours = ["red", "green", "blue", "grey", "black"]
    if rng.next() % 10 != 0 { fields.append("\"colour\":\"\(colours[Int(rng.next() % 5)])\"") }
    let size = Double(Int(rng.next() % 2001) - 1000) / 4
    fields.append("\"size\":\(size == 0 ? "-0.0" : "\(size)")")
    fields.append("\"common\":\(rng.next() % 10 != 0)")
    let tags = (0..<Int(rng.next() % 4)).map { _ in "\"t\(rng.next() % 12)\"" }
    if !tags.isEmpty || rng.next() % 2 == 0 { fields.append("\"tags\":[\(tags.joined(separator: ","))]") }
    if rng.next() % 3 == 0 { fields.append("\"owner\":{\"team\":\"team\(rng.next() % 4)\",\"level\":\(rng.next() % 5)}") }
    if rng.next() % 7 == 0 { fields.append("\"parts\":[{\"k\":\(rng.next() % 3)},{\"k\":\"s\(rng.next() % 3)\"}]") }
    if rng.next() % 5 == 0 { fields.append("\"note\":\"\(String(repeating: "long ", count: 60))\(rng.next() % 3)\"") }
    if rng.next() % 11 == 0 { fields.append("\"size_text\":\"\(i % 7)\"") }
    return "{" + fields.joined(separator: ",") + "}"
  }

  static func randomFilter(_ rng: inout SplitMix64, depth: Int = 0) -> String {
    func scalar() -> String {
      switch rng.next() % 6 {
      case 0: "\"red\""
      case 1: "\"t\(rng.next() % 12)\""
      case 2: "\(Double(Int(rng.next() % 2001) - 1000) / 4)"
      case 3: "true"
      case 4: "\"team\(rng.next() % 4)\""
      default: "\(rng.next() % 5)"
      }
    }
    let paths = ["colour", "size", "common", "tags", "owner.team", "owner.level", "parts.k", "note", "owner"]
    if depth < 2 && rng.next() % 4 == 0 {
      let subs = (0..<(1 + Int(rng.next() % 3))).map { _ in randomFilter(&rng, depth: depth + 1) }
      return "{\"\(rng.next() % 2 == 0 ? "$and" : "$or")\":[\(subs.joined(separator: ","))]}"
    }
    let path = paths[Int(rng.next() % UInt64(paths.count))]
    let number = "\(Double(Int(rng.next() % 2001) - 1000) / 4)"
    let condition: String
    switch rng.next() % 9 {
    case 0: condition = scalar()
    case 1: condition = "{\"$ne\":\(scalar())}"
    case 2: condition = "{\"$gt\":\(number)}"
    case 3: condition = "{\"$gte\":\(number),\"$lt\":\(Double(Int(rng.next() % 800)) / 4)}"
    case 4: condition = "{\"$lte\":\(number)}"
    case 5: condition = "{\"$in\":[\(scalar()),\(scalar())]}"
    case 6: condition = "{\"$nin\":[\(scalar()),\(scalar())]}"
    case 7: condition = "{\"$exists\":\(rng.next() % 2 == 0)}"
    default: condition = "{\"$eq\":\(scalar())}"
    }
    return "{\"\(path)\":\(condition)}"
  }

  /// The reference answer: the filter applied to each stored document's metadata one by one.
  static func reference(_ filter: MetadataFilter, _ documents: [Document]) throws -> Set<String> {
    reference(filter, try termsOf(documents))
  }

  static func reference(_ filter: MetadataFilter, _ terms: [(id: String, terms: Set<MetadataTerm>)]) -> Set<String> {
    Set(terms.filter { filter.matches($0.terms) }.map(\.id))
  }

  static func termsOf(_ documents: [Document]) throws -> [(id: String, terms: Set<MetadataTerm>)] {
    try documents.map { d in (d.id, MetadataTerm.terms(of: try d.metadataJSON.map { try JSONParser.parse($0) } ?? .object([]))) }
  }

  /// A store of `count` documents with random metadata and random 8-d vectors (no graph).
  static func randomStore(_ dir: String, count: Int, seed: UInt64) throws -> (Store, Space) {
    let store = try Store.open(at: dir)
    let space = try store.openOrCreateSpace(SpaceKey(model: "random", dimension: 8))
    var rng = SplitMix64(seed: seed)
    let docs = (0..<count).map { Document(id: "d\($0)", text: "document \($0)", metadataJSON: randomMetadata($0, &rng)) }
    let vectors = (0..<(count * 8)).map { _ in Float(rng.nextUnit()) - 0.5 }
    try space.ingest(docs, vectors: vectors, updatingGraph: false)
    return (store, space)
  }

  @Test func theIndexSelectsExactlyWhatTheReferenceSemanticsSelect() throws {
    try withTemporaryDirectory { dir in
      let (store, space) = try Self.randomStore(dir, count: 6000, seed: 1)
      #expect(try store.verifyMetadataIndex().isEmpty)
      var rng = SplitMix64(seed: 2)
      func checkRandomFilters(_ n: Int) throws {
        let documents = try Self.termsOf(try store.documents())
        var checked = 0
        for _ in 0..<n {
          let text = Self.randomFilter(&rng)
          let filter = try MetadataFilter.parse(text)
          let want = Self.reference(filter, documents)
          let got: Set<String>
          do {
            got = Set(try store.documents(where: filter).map(\.id))
          } catch let e as FilterError {
            // Only a range over a field without numbers (owner, an object) or no such field.
            #expect(e.message.contains("compares numbers") || e.message.contains("no document has"), "\(text): \(e)")
            continue
          }
          #expect(got == want, "\(text): \(got.count) selected, the reference \(want.count)")
          #expect(try store.count(where: filter) == want.count)
          checked += 1
        }
        #expect(checked > n / 2)
      }
      try checkRandomFilters(300)
      // Re-ingest a third with new metadata (same text: numbers kept), another third with new
      // texts (new numbers), delete a sixth by filter and some by id: the index follows.
      var docs = try store.documents()
      var changed: [Document] = []
      for (i, d) in docs.enumerated() where i % 3 == 0 {
        changed.append(Document(id: d.id, text: i % 2 == 0 ? d.text : d.text + " v2", metadataJSON: Self.randomMetadata(i, &rng)))
      }
      try space.ingest(changed, vectors: (0..<(changed.count * 8)).map { _ in Float(rng.nextUnit()) }, updatingGraph: false)
      #expect(try store.verifyMetadataIndex().isEmpty)
      let doomed = try MetadataFilter.parse(#"{"colour": "grey", "size": {"$lt": 0}}"#)
      let expectedGone = try Self.reference(doomed, try store.documents()).count
      #expect(expectedGone > 100)
      #expect(try store.delete(where: doomed) == expectedGone)
      #expect(try store.count(where: doomed) == 0)
      docs = try store.documents()
      try store.delete(ids: docs.prefix(200).map(\.id))
      #expect(try store.verifyMetadataIndex().isEmpty)
      try checkRandomFilters(150)
      try space.compact()
      #expect(try store.verifyMetadataIndex().isEmpty)
      try checkRandomFilters(50)
    }
  }

  @Test func aFieldWithIndexingOffIsFilteredByScanningAndCanBeTurnedBackOn() throws {
    try withTemporaryDirectory { dir in
      let (store, _) = try Self.randomStore(dir, count: 800, seed: 5)
      let filter = try MetadataFilter.parse(#"{"owner.team": "team1", "colour": {"$ne": "red"}}"#)
      let want = try Self.reference(filter, try store.documents())
      try store.setIndexing(field: "owner", enabled: false)
      let (indexed, unindexed) = try store.fields()
      #expect(unindexed == ["owner"] && !indexed.contains { $0.path.hasPrefix("owner") })
      #expect(indexed.first { $0.path == "size" }?.kinds == ["number"])
      #expect(Set(try store.documents(where: filter).map(\.id)) == want)
      #expect(try store.verifyMetadataIndex().isEmpty)
      try store.setIndexing(field: "owner", enabled: true)
      #expect(try store.fields().indexed.contains { $0.path == "owner.team" })
      #expect(Set(try store.documents(where: filter).map(\.id)) == want)
      #expect(try store.verifyMetadataIndex().isEmpty)
    }
  }

  @Test func unknownFieldsAndRangesOverTextAreErrorsNotEmptyResults() throws {
    try withTemporaryDirectory { dir in
      let (store, _) = try Self.randomStore(dir, count: 200, seed: 6)
      #expect(throws: FilterError("no document has the field \"colur\"")) { try store.count(where: MetadataFilter.parse(#"{"colur": "red"}"#)) }
      #expect(throws: FilterError("field \"colour\": $lt compares numbers, and no stored value of \"colour\" is a number")) {
        try store.count(where: MetadataFilter.parse(#"{"colour": {"$lt": 3}}"#))
      }
      // Documents without the field pass $ne, $nin and $exists: false.
      #expect(try store.count(where: MetadataFilter.parse(#"{"colur": {"$ne": "red"}}"#)) == 200)
      #expect(try store.count(where: MetadataFilter.parse(#"{"colur": {"$exists": false}}"#)) == 200)
    }
  }

  // MARK: Filtered search

  /// 20,000 clustered 32-d vectors in an HNSW space, a field `bucket` = i mod 1,000: filters
  /// selecting 50 %, 10 %, 1 % and 0.1 % of the documents, each query asked for k = 10 through the
  /// graph: exactly 10 results, every one passing, and (averaged) the exact filtered answer's.
  @Test func filteredSearchReturnsKAtEverySelectivity() throws {
    try withTemporaryDirectory { dir in
      let n = 20_000, d = 32
      let store = try Store.open(at: dir)
      let space = try store.openOrCreateSpace(SpaceKey(model: "clustered", dimension: d))
      var rng = SplitMix64(seed: 9)
      let centres = (0..<50).map { _ in (0..<d).map { _ in Float(rng.nextUnit()) * 2 - 1 } }
      var vectors: [Float] = []
      for i in 0..<n { vectors += centres[i % 50].map { $0 + Float(rng.nextUnit() - 0.5) * 0.6 } }
      let docs = (0..<n).map { Document(id: "v\($0)", text: "vector \($0)", metadataJSON: "{\"bucket\":\($0 % 1000)}") }
      try space.ingest(docs, vectors: vectors)
      for (filterText, passing) in [("{\"bucket\":{\"$lt\":500}}", 10_000), ("{\"bucket\":{\"$lt\":100}}", 2000),
                                    ("{\"bucket\":{\"$in\":[1,2,3,4,5,6,7,8,9,10]}}", 200), ("{\"bucket\":7}", 20)] {
        let filter = try MetadataFilter.parse(filterText)
        #expect(try store.count(where: filter) == passing)
        // A prepared set (evaluated once, reused: the row-mask path) answers as the filter does
        // (evaluated per search: rows tested lazily).
        let prepared = try store.documentSet(where: filter)
        let probes = (0..<20).map { qi in centres[qi % 50].map { $0 + Float(rng.nextUnit() - 0.5) * 0.6 } }
        for index in [Space.Index.hnsw(ef: 64), .exact] {
          let viaMask = try probes.map { try space.search(vector: $0, k: 10, index: index, allowedDocuments: prepared).map(\.id) }
          let lazily = try probes.map { try space.search(vector: $0, k: 10, index: index, filter: filter).map(\.id) }
          #expect(viaMask == lazily, "\(filterText) \(index)")
        }
        var overlap = 0
        for qi in 0..<40 {
          let q = centres[qi % 50].map { $0 + Float(rng.nextUnit() - 0.5) * 0.6 }
          let hits = try space.search(vector: q, k: 10, index: .hnsw(ef: 64), filter: filter)
          #expect(hits.count == 10, "\(filterText): \(hits.count) results")
          #expect(hits.allSatisfy { filter.matches(MetadataTerm.terms(of: .object([("bucket", .number(Double(Int($0.id.dropFirst())! % 1000)))]))) })
          let exact = try space.search(vector: q, k: 10, index: .exact, filter: filter)
          overlap += Set(hits.map(\.id)).intersection(exact.map(\.id)).count
        }
        #expect(Double(overlap) / 400 >= 0.95, "\(filterText): recall \(Double(overlap) / 400)")
      }
    }
  }

  /// The new user's trial from the issue: 1,000 documents, 950 deleted, a graph query for 10 gives
  /// 10 (the walk skips tombstones inside the search); and a filter passing 5 gives those 5.
  @Test func deletingNinetyFivePercentStillLeavesKResults() throws {
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.openOrCreateSpace(SpaceKey(model: "deleted", dimension: 16))
      var rng = SplitMix64(seed: 4)
      let docs = (0..<1000).map { Document(id: "x\($0)", text: "text \($0)", metadataJSON: "{\"keep\":\($0 % 20 == 0)}") }
      try space.ingest(docs, vectors: (0..<16_000).map { _ in Float(rng.nextUnit()) - 0.5 })
      #expect(try store.delete(where: MetadataFilter.parse(#"{"keep": false}"#)) == 950)
      let q = (0..<16).map { _ in Float(rng.nextUnit()) - 0.5 }
      let hits = try space.search(vector: q, k: 10, index: .hnsw(ef: 16))
      #expect(hits.count == 10 && hits.allSatisfy { Int($0.id.dropFirst())! % 20 == 0 })
      #expect(hits.map(\.id) == (try space.search(vector: q, k: 10, index: .exact)).map(\.id))
      let results = try space.query(text: nil, vector: q, lexicalTokenizer: nil, options: SearchOptions(k: 10, mode: .vector, index: .hnsw(ef: 16)))
      #expect(results.count == 10)
      let five = try MetadataFilter.parse(#"{"$or": [{"keep": true}]}"#)
      #expect(try space.search(vector: q, k: 60, index: .hnsw(ef: 16), filter: five).count == 50)
    }
  }

  /// Half of a 30,000-row space deleted: the graph is walked (the cost model prefers it), and the
  /// walk skips the tombstones inside the search — k results, the exact ones. Then 90 % deleted
  /// (the passing rows are scanned): still k, still the exact ones.
  @Test func afterDeletingHalfAndThenNinetyPercentSearchesStillReturnK() throws {
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.openOrCreateSpace(SpaceKey(model: "deleted90", dimension: 16))
      var rng = SplitMix64(seed: 8)
      let docs = (0..<30_000).map { Document(id: "y\($0)", text: "text \($0)", metadataJSON: "{\"n\":\($0)}") }
      try space.ingest(docs, vectors: (0..<480_000).map { _ in Float(rng.nextUnit()) - 0.5 })
      for (kept, walks) in [(15_000, true), (3000, false)] {
        #expect(try store.delete(where: MetadataFilter.parse("{\"n\": {\"$gte\": \(kept)}}")) > 0)
        #expect(Space.prefersExactScan(passingRows: UInt64(kept), rows: 30_000, ef: 32) == !walks)
        var overlap = 0
        for _ in 0..<20 {
          let q = (0..<16).map { _ in Float(rng.nextUnit()) - 0.5 }
          let hits = try space.search(vector: q, k: 10, index: .hnsw(ef: 32))
          #expect(hits.count == 10 && hits.allSatisfy { Int($0.id.dropFirst())! < kept })
          // ef = k: a walk that let deleted rows into its results would come back short.
          #expect(try space.search(vector: q, k: 10, index: .hnsw(ef: 10)).count == 10)
          overlap += Set(hits.map(\.id)).intersection(try space.search(vector: q, k: 10, index: .exact).map(\.id)).count
        }
        #expect(overlap >= 190, "\(kept) kept: recall \(Double(overlap) / 200)")
      }
    }
  }

  /// Lexical and hybrid answers honour the filter as vector ones do, with k documents.
  @Test func lexicalAndHybridQueriesHonourTheFilter() throws {
    let lines = try TestFixtures.lines(TestFixtures.corpus).prefix(600)
    let docs = try lines.map { line -> Document in
      let object = try #require(try JSONParser.parse(line)["metadata"])
      guard case .string(let id) = try JSONParser.parse(line)["id"], case .string(let text) = try JSONParser.parse(line)["text"] else {
        throw TestFailure("fixture line")
      }
      return Document(id: id, text: text, metadataJSON: Self.jsonText(object))
    }
    try withTemporaryDirectory { dir in
      let store = try Store.open(at: dir)
      let space = try store.space(for: StoreTests.model)
      try space.ingest(docs, model: StoreTests.model)
      let filter = try MetadataFilter.parse(#"{"section": {"$in": ["python", "perl"]}, "installed_size": {"$lt": 400}}"#)
      let passing = try Set(store.documents(where: filter).map(\.id))
      #expect(passing.count >= 20)
      for mode in SearchMode.allCases {
        for index in [Space.Index.exact, .hnsw(ef: 32)] {
          let results = try space.query("library for parsing configuration files", model: StoreTests.model,
                                        options: SearchOptions(k: 10, mode: mode, index: index, filter: filter))
          #expect(results.count == 10, "\(mode)")
          #expect(results.allSatisfy { passing.contains($0.id) }, "\(mode)")
          #expect(Set(results.map(\.id)).count == 10)
        }
      }
    }
  }

  static func jsonText(_ v: JSONValue) -> String {
    switch v {
    case .null: "null"
    case .bool(let b): b ? "true" : "false"
    case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
    case .string(let s): JSONText.quoted(s)
    case .array(let a): "[" + a.map(jsonText).joined(separator: ",") + "]"
    case .object(let m): "{" + m.map { JSONText.quoted($0.key) + ":" + jsonText($0.value) }.joined(separator: ",") + "}"
    }
  }
}
