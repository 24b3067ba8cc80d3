/// How a space compares vectors. Cosine spaces store unit vectors and rank by dot product.
public enum Metric: UInt8, Sendable, CaseIterable {
  case cosine = 0, dot = 1, l2 = 2

  public var name: String {
    switch self {
    case .cosine: "cosine"
    case .dot: "dot"
    case .l2: "l2"
    }
  }
}
