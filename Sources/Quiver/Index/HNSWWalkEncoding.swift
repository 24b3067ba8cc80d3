/// How an HNSW graph stores the vectors that its searches walk over.
public enum HNSWWalkEncoding: UInt8, Sendable, CaseIterable {
  /// d f32 components inside each level-0 record: every distance is exact.
  case float32 = 0
  /// A f32 scale and d int8 codes inside each level-0 record (about ¼ of the bytes a hop reads);
  /// the walk scores with the asymmetric distance (f32 query × int8 codes), and the ef candidates it
  /// ends with are re-ranked by exact distance against the f32 vectors kept beside the records.
  case int8 = 1

  /// The name used on the command line and in JSON.
  public var name: String {
    switch self {
    case .float32: "f32"
    case .int8: "int8"
    }
  }

  /// The encoding called `name` ("f32" or "int8").
  public init?(name: String) {
    guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
    self = found
  }

  /// Bytes of one vector inside a level-0 record (a multiple of 4, so records stay aligned).
  func recordVectorBytes(dimension d: Int) -> Int {
    switch self {
    case .float32: 4 * d
    case .int8: 4 + (d + 3) / 4 * 4
    }
  }
}
