/// How a space stores its vectors.
public enum ElementType: UInt8, Sendable, CaseIterable {
  /// 4 bytes a component.
  case float32 = 0
  /// A float32 scale, then one signed byte a component: vᵢ ≈ scale · qᵢ, scale = max|vᵢ| / 127.
  /// 4× smaller; cosine and dot spaces only.
  case int8 = 1

  public var name: String {
    switch self {
    case .float32: "f32"
    case .int8: "int8"
    }
  }

  /// Bytes a row of `dimension` components takes.
  public func rowBytes(dimension: Int) -> Int { self == .float32 ? 4 * dimension : 4 + dimension }
}
