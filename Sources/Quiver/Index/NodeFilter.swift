/// Which graph nodes a filtered search may return (it walks through the others). A generic
/// parameter, not a closure, so that the walk's test inlines.
public protocol NodeFilter {
  /// Whether node `node` may be a result.
  func allows(_ node: UInt32) -> Bool
}

/// Every node: a search that only skips deleted nodes.
public struct AllNodes: NodeFilter {
  public init() {}
  @inline(__always) public func allows(_ node: UInt32) -> Bool { true }
}
